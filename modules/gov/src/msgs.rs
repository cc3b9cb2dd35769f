//! Gov's messages: `cosmos.gov.v1` `MsgSubmitProposal`, `MsgVote`, `MsgVoteWeighted`,
//! `MsgDeposit`, `MsgCancelProposal`, `MsgUpdateParams`, and the `v1beta1` vote and deposit messages that wallets
//! built on cosmjs' default amino converters send.

use cosmrs::proto::cosmos::gov::{v1 as pb, v1beta1 as pb1};
use estuary_sdk::store::StateWriteExt;
use estuary_sdk::{
    Address, Any, Coin, DecodedMsg, Event, ModuleManager, Msg, Signers, TxContext, TxError,
    TxResult,
};
use estuary_validators::{ensure_authority, gov_authority, ValidatorsReader};
use serde_json::{json, Value};

use crate::dec::Dec;
use crate::errors::*;
use crate::keeper::{
    add_deposit, coin_list, coins_of, covers, timestamp, GovKeeper, GovReader, STATUS_DEPOSIT,
    STATUS_VOTING,
};
use crate::state_key;
use crate::tally::{ABSTAIN, NO, NO_WITH_VETO, YES};

pub const MSG_SUBMIT_PROPOSAL: &str = "/cosmos.gov.v1.MsgSubmitProposal";
pub const MSG_VOTE: &str = "/cosmos.gov.v1.MsgVote";
pub const MSG_VOTE_WEIGHTED: &str = "/cosmos.gov.v1.MsgVoteWeighted";
pub const MSG_DEPOSIT: &str = "/cosmos.gov.v1.MsgDeposit";
pub const MSG_UPDATE_PARAMS: &str = "/cosmos.gov.v1.MsgUpdateParams";
pub const MSG_CANCEL_PROPOSAL: &str = "/cosmos.gov.v1.MsgCancelProposal";
pub const MSG_VOTE_V1BETA1: &str = "/cosmos.gov.v1beta1.MsgVote";
pub const MSG_VOTE_WEIGHTED_V1BETA1: &str = "/cosmos.gov.v1beta1.MsgVoteWeighted";
pub const MSG_DEPOSIT_V1BETA1: &str = "/cosmos.gov.v1beta1.MsgDeposit";

pub const ALL: &[&str] = &[
    MSG_SUBMIT_PROPOSAL,
    MSG_VOTE,
    MSG_VOTE_WEIGHTED,
    MSG_DEPOSIT,
    MSG_UPDATE_PARAMS,
    MSG_CANCEL_PROPOSAL,
    MSG_VOTE_V1BETA1,
    MSG_VOTE_WEIGHTED_V1BETA1,
    MSG_DEPOSIT_V1BETA1,
];

/// The SDK's default limits (`MaxMetadataLen`, title 255, `MaxSummaryLen`).
pub const MAX_METADATA_LEN: usize = 255;
pub const MAX_TITLE_LEN: usize = 255;
pub const MAX_SUMMARY_LEN: usize = 10_200;
/// Messages a proposal may carry: more is no use to an authority and costs every node the
/// decoding at submission and at execution.
pub const MAX_PROPOSAL_MSGS: usize = 64;

/// Decodes one of gov's messages. `router` decodes the messages a proposal carries (every other
/// module's); gov's own `MsgUpdateParams` is the only gov message a proposal may carry.
pub fn decode(msg: &Any, router: &ModuleManager) -> TxResult<Box<dyn Msg>> {
    match msg.type_url.as_str() {
        MSG_SUBMIT_PROPOSAL => SubmitProposal::decode(msg, router).map(|m| Box::new(m) as _),
        MSG_UPDATE_PARAMS => UpdateParams::decode(msg).map(|m| Box::new(m) as _),
        MSG_DEPOSIT | MSG_DEPOSIT_V1BETA1 => Deposit::decode(msg).map(|m| Box::new(m) as _),
        MSG_CANCEL_PROPOSAL => CancelProposal::decode(msg).map(|m| Box::new(m) as _),
        MSG_VOTE | MSG_VOTE_WEIGHTED | MSG_VOTE_V1BETA1 | MSG_VOTE_WEIGHTED_V1BETA1 => {
            Vote::decode(msg).map(|m| Box::new(m) as _)
        }
        other => Err(TxError::UnknownRequest(format!(
            "unrecognized message type: {other}"
        ))),
    }
}

/// One message a proposal carries, decoded and checked as the SDK's `MsgSubmitProposal`
/// checks them: routable, valid on its own, and to be signed by the gov account only.
pub fn decode_proposal_msg(any: &Any, router: &ModuleManager) -> TxResult<DecodedMsg> {
    let decoded = if any.type_url == MSG_UPDATE_PARAMS {
        let msg = UpdateParams::decode(any)?;
        DecodedMsg {
            any: any.clone(),
            module: "gov",
            msg: Box::new(msg),
        }
    } else if ALL.contains(&any.type_url.as_str()) {
        return Err(gov_error(
            INVALID_PROPOSAL_MSG,
            format!(
                "{} cannot be proposed: invalid proposal message",
                any.type_url
            ),
        ));
    } else {
        let mut list = router
            .decode_msgs(std::slice::from_ref(any))
            .map_err(|e| match e {
                TxError::UnknownRequest(_) => gov_error(
                    UNROUTABLE_PROPOSAL_MSG,
                    format!(
                        "{}: proposal message not recognized by router",
                        any.type_url
                    ),
                ),
                other => other,
            })?;
        list.pop()
            .ok_or_else(|| TxError::Internal("decoding one message gave none".into()))?
    };
    decoded.msg.validate_basic()?;
    let gov = gov_authority();
    if decoded.msg.signers().iter().any(|s| *s != gov) {
        return Err(gov_error(
            INVALID_SIGNER,
            format!(
                "{}: expected gov account {gov} as only signer for proposal message",
                any.type_url
            ),
        ));
    }
    Ok(decoded)
}

fn check_metadata(metadata: &str) -> TxResult {
    if metadata.len() > MAX_METADATA_LEN {
        return Err(gov_error(
            METADATA_TOO_LONG,
            format!("metadata too long: {} > {MAX_METADATA_LEN}", metadata.len()),
        ));
    }
    Ok(())
}

fn positive_coins(
    coins: &[cosmrs::proto::cosmos::base::v1beta1::Coin],
    what: &str,
) -> TxResult<Vec<Coin>> {
    let coins = coins_of(coins)?;
    if coins.iter().any(|c| c.amount == 0) {
        return Err(TxError::InvalidCoins(format!("{what} has a zero coin")));
    }
    let mut denoms: Vec<&str> = coins.iter().map(|c| c.denom.as_str()).collect();
    denoms.sort_unstable();
    denoms.dedup();
    if denoms.len() != coins.len() {
        return Err(TxError::InvalidCoins(format!(
            "{what} repeats a denomination"
        )));
    }
    Ok(coins)
}

type Object = serde_json::Map<String, Value>;

/// Amino JSON puts an amino-omitempty field only when it is set.
fn set_if(value: &mut Object, key: &str, field: &str) {
    if !field.is_empty() {
        value.insert(key.into(), field.into());
    }
}

pub struct SubmitProposal {
    raw: pb::MsgSubmitProposal,
    proposer: Address,
    deposit: Vec<Coin>,
    msgs: Vec<DecodedMsg>,
    signers: Signers,
}

impl SubmitProposal {
    fn decode(msg: &Any, router: &ModuleManager) -> TxResult<SubmitProposal> {
        let raw: pb::MsgSubmitProposal =
            estuary_sdk::proto::decode_strict(&msg.value, "MsgSubmitProposal")?;
        let proposer = Address::parse(&raw.proposer)?;
        let deposit = positive_coins(&raw.initial_deposit, "initial deposit")?;
        check_metadata(&raw.metadata)?;
        if raw.title.is_empty() || raw.summary.is_empty() {
            return Err(gov_error(
                INVALID_PROPOSAL,
                "a proposal needs a title and a summary: invalid proposal",
            ));
        }
        if raw.title.len() > MAX_TITLE_LEN {
            return Err(gov_error(
                METADATA_TOO_LONG,
                format!("title too long: {} > {MAX_TITLE_LEN}", raw.title.len()),
            ));
        }
        if raw.summary.len() > MAX_SUMMARY_LEN {
            return Err(gov_error(
                SUMMARY_TOO_LONG,
                format!(
                    "summary too long: {} > {MAX_SUMMARY_LEN}",
                    raw.summary.len()
                ),
            ));
        }
        // A proposal that runs nothing (a text proposal) must say something (the SDK's rule).
        if raw.messages.is_empty() && raw.metadata.is_empty() {
            return Err(gov_error(
                NO_PROPOSAL_MSGS,
                "either metadata or Msgs length must be non-nil: no messages proposed",
            ));
        }
        if raw.messages.len() > MAX_PROPOSAL_MSGS {
            return Err(gov_error(
                INVALID_PROPOSAL,
                format!("a proposal carries at most {MAX_PROPOSAL_MSGS} messages"),
            ));
        }
        let msgs = raw
            .messages
            .iter()
            .map(|m| {
                decode_proposal_msg(
                    &Any {
                        type_url: m.type_url.clone(),
                        value: m.value.clone(),
                    },
                    router,
                )
            })
            .collect::<TxResult<_>>()?;
        Ok(SubmitProposal {
            raw,
            proposer,
            deposit,
            msgs,
            signers: Signers::one(proposer),
        })
    }
}

impl Msg for SubmitProposal {
    fn signers(&self) -> &Signers {
        &self.signers
    }

    fn execute(&self, ctx: &mut TxContext<'_>) -> TxResult {
        let params = ctx.state().gov_params()?.for_proposal(self.raw.expedited);
        // The SDK's `validateInitialDeposit`: at least min_initial_deposit_ratio of the minimum
        // (the expedited minimum for an expedited proposal).
        let needed = params.share_of_min_deposit(params.min_initial_deposit_ratio);
        if !covers(&self.deposit, &needed) {
            return Err(gov_error(
                MIN_DEPOSIT_TOO_SMALL,
                format!(
                    "initial deposit too small: need at least {}",
                    coin_list(&needed)
                ),
            ));
        }
        let id = ctx.state().next_proposal_id()?;
        let next = id
            .checked_add(1)
            .ok_or_else(|| TxError::Internal("proposal ids exhausted".into()))?;
        ctx.state.set_next_proposal_id(next)?;
        let now = ctx.block.time_unix_nanos;
        let proposal = pb::Proposal {
            id,
            messages: self.raw.messages.clone(),
            status: STATUS_DEPOSIT,
            final_tally_result: Some(crate::tally::Counts::default().to_proto()),
            submit_time: Some(timestamp(now)),
            deposit_end_time: Some(timestamp(
                now.saturating_add(params.max_deposit_period_nanos),
            )),
            total_deposit: vec![],
            voting_start_time: None,
            voting_end_time: None,
            metadata: self.raw.metadata.clone(),
            title: self.raw.title.clone(),
            summary: self.raw.summary.clone(),
            proposer: self.proposer.to_bech32(),
            expedited: self.raw.expedited,
            failed_reason: String::new(),
        };
        ctx.state.set_proposal(&proposal)?;
        ctx.state.put(state_key::deposit_queue(id), &1u8)?;
        let types: String = self
            .msgs
            .iter()
            .map(|m| format!(",{}", m.type_url()))
            .collect();
        ctx.emit(
            Event::new("submit_proposal")
                .attr("proposal_id", id)
                .attr("proposal_messages", types),
        );
        if self.deposit.is_empty() {
            // Nothing deposited: the proposal waits in its deposit period (params always ask
            // for a positive minimum, so it cannot be funded already).
            return Ok(());
        }
        let events = add_deposit(ctx.state, id, &self.proposer, &self.deposit, now)?;
        for e in events {
            ctx.emit(e);
        }
        Ok(())
    }

    /// Amino JSON (`cosmos-sdk/v1/MsgSubmitProposal`): the carried messages as their own amino
    /// JSON, the initial deposit always (amino `dont_omitempty`), the rest when set.
    fn amino_json(&self) -> Option<TxResult<Value>> {
        let msgs: TxResult<Vec<Value>> = self.msgs.iter().map(DecodedMsg::amino_json).collect();
        let msgs = match msgs {
            Ok(m) => m,
            Err(e) => return Some(Err(e)),
        };
        let mut value = Object::new();
        let deposit = estuary_sdk::amino::coins(&self.raw.initial_deposit);
        value.insert("initial_deposit".into(), deposit);
        value.insert("proposer".into(), self.raw.proposer.clone().into());
        if !msgs.is_empty() {
            value.insert("messages".into(), Value::Array(msgs));
        }
        set_if(&mut value, "metadata", &self.raw.metadata);
        set_if(&mut value, "title", &self.raw.title);
        set_if(&mut value, "summary", &self.raw.summary);
        Some(Ok(estuary_sdk::amino::msg(
            "cosmos-sdk/v1/MsgSubmitProposal",
            value.into(),
        )))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

pub struct Deposit {
    proposal_id: u64,
    depositor: Address,
    amount: Vec<Coin>,
    amino: Value,
    signers: Signers,
}

impl Deposit {
    fn decode(msg: &Any) -> TxResult<Deposit> {
        let (proposal_id, depositor, amount, amino_name) = if msg.type_url == MSG_DEPOSIT {
            let raw: pb::MsgDeposit = estuary_sdk::proto::decode_strict(&msg.value, "MsgDeposit")?;
            (
                raw.proposal_id,
                raw.depositor,
                raw.amount,
                "cosmos-sdk/v1/MsgDeposit",
            )
        } else {
            let raw: pb1::MsgDeposit = estuary_sdk::proto::decode_strict(&msg.value, "MsgDeposit")?;
            (
                raw.proposal_id,
                raw.depositor,
                raw.amount,
                "cosmos-sdk/MsgDeposit",
            )
        };
        let depositor_addr = Address::parse(&depositor)?;
        let coins = positive_coins(&amount, "deposit")?;
        if coins.is_empty() {
            return Err(TxError::InvalidCoins("a deposit needs coins".into()));
        }
        let amino = estuary_sdk::amino::msg(
            amino_name,
            json!({
                "amount": estuary_sdk::amino::coins(&amount),
                "depositor": depositor,
                "proposal_id": proposal_id.to_string(),
            }),
        );
        Ok(Deposit {
            proposal_id,
            depositor: depositor_addr,
            amount: coins,
            amino,
            signers: Signers::one(depositor_addr),
        })
    }
}

impl Msg for Deposit {
    fn signers(&self) -> &Signers {
        &self.signers
    }

    fn execute(&self, ctx: &mut TxContext<'_>) -> TxResult {
        let now = ctx.block.time_unix_nanos;
        // The SDK's `min_deposit_ratio` (0.01 by default): a later deposit brings at least
        // that share of the minimum, so a proposal cannot be kept alive with dust.
        let expedited = ctx
            .state()
            .proposal(self.proposal_id)?
            .is_some_and(|p| p.expedited);
        let params = ctx.state().gov_params()?.for_proposal(expedited);
        let needed = params.share_of_min_deposit(params.min_deposit_ratio);
        if !covers(&self.amount, &needed) {
            return Err(gov_error(
                MIN_DEPOSIT_TOO_SMALL,
                format!(
                    "received {} but need at least {}: minimum deposit is too small",
                    coin_list(&self.amount),
                    coin_list(&needed)
                ),
            ));
        }
        for e in add_deposit(
            ctx.state,
            self.proposal_id,
            &self.depositor,
            &self.amount,
            now,
        )? {
            ctx.emit(e);
        }
        Ok(())
    }

    fn amino_json(&self) -> Option<TxResult<Value>> {
        Some(Ok(self.amino.clone()))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A vote, plain or weighted, of either API version: each option with its weight (a plain vote
/// is one option weighing 1).
pub struct Vote {
    proposal_id: u64,
    voter: Address,
    options: Vec<(i32, Dec)>,
    metadata: String,
    amino: Value,
    signers: Signers,
}

fn option_name(option: i32) -> &'static str {
    match option {
        YES => "VOTE_OPTION_YES",
        ABSTAIN => "VOTE_OPTION_ABSTAIN",
        NO => "VOTE_OPTION_NO",
        NO_WITH_VETO => "VOTE_OPTION_NO_WITH_VETO",
        _ => "VOTE_OPTION_UNSPECIFIED",
    }
}

/// The SDK's `WeightedVoteOptions` check: known options, each once, weights in (0, 1] that add
/// up to exactly 1.
fn check_options(options: &[(i32, String)]) -> TxResult<Vec<(i32, Dec)>> {
    let invalid = |why: String| gov_error(INVALID_VOTE, format!("{why}: invalid vote option"));
    if options.is_empty() {
        return Err(invalid("no vote options".into()));
    }
    let mut out: Vec<(i32, Dec)> = Vec::with_capacity(options.len());
    let mut sum = Dec(0);
    for (option, weight) in options {
        if !(YES..=NO_WITH_VETO).contains(option) {
            return Err(invalid(format!("{option}")));
        }
        if out.iter().any(|(o, _)| o == option) {
            return Err(invalid(format!("{} given twice", option_name(*option))));
        }
        let w = Dec::parse(weight).map_err(|_| invalid(format!("weight {weight:?}")))?;
        if w == Dec(0) || w > Dec::ONE {
            return Err(invalid(format!("weight {weight} is not in (0, 1]")));
        }
        sum = Dec(sum.0.saturating_add(w.0));
        out.push((*option, w));
    }
    if sum != Dec::ONE {
        return Err(invalid(format!("weights add up to {sum}, not 1")));
    }
    Ok(out)
}

impl Vote {
    fn decode(msg: &Any) -> TxResult<Vote> {
        let one = |o: i32| vec![(o, "1".to_string())];
        let weighted = |opts: Vec<(i32, String)>| opts;
        let (proposal_id, voter, options, metadata, amino_name) = match msg.type_url.as_str() {
            MSG_VOTE => {
                let r: pb::MsgVote = estuary_sdk::proto::decode_strict(&msg.value, "MsgVote")?;
                (
                    r.proposal_id,
                    r.voter,
                    one(r.option),
                    r.metadata,
                    "cosmos-sdk/v1/MsgVote",
                )
            }
            MSG_VOTE_V1BETA1 => {
                let r: pb1::MsgVote = estuary_sdk::proto::decode_strict(&msg.value, "MsgVote")?;
                (
                    r.proposal_id,
                    r.voter,
                    one(r.option),
                    String::new(),
                    "cosmos-sdk/MsgVote",
                )
            }
            MSG_VOTE_WEIGHTED => {
                let r: pb::MsgVoteWeighted =
                    estuary_sdk::proto::decode_strict(&msg.value, "MsgVoteWeighted")?;
                let opts = weighted(
                    r.options
                        .into_iter()
                        .map(|o| (o.option, o.weight))
                        .collect(),
                );
                (
                    r.proposal_id,
                    r.voter,
                    opts,
                    r.metadata,
                    "cosmos-sdk/v1/MsgVoteWeighted",
                )
            }
            _ => {
                let r: pb1::MsgVoteWeighted =
                    estuary_sdk::proto::decode_strict(&msg.value, "MsgVoteWeighted")?;
                let opts = weighted(
                    r.options
                        .into_iter()
                        .map(|o| (o.option, o.weight))
                        .collect(),
                );
                (
                    r.proposal_id,
                    r.voter,
                    opts,
                    String::new(),
                    "cosmos-sdk/MsgVoteWeighted",
                )
            }
        };
        let voter_addr = Address::parse(&voter)?;
        check_metadata(&metadata)?;
        let checked = check_options(&options)?;
        let mut value = Object::new();
        value.insert("proposal_id".into(), proposal_id.to_string().into());
        value.insert("voter".into(), voter.clone().into());
        if msg.type_url == MSG_VOTE || msg.type_url == MSG_VOTE_V1BETA1 {
            let option = options.first().map_or(0, |o| o.0);
            value.insert("option".into(), option.into());
        } else {
            let shown = options
                .iter()
                .map(|(o, w)| json!({"option": o, "weight": w}))
                .collect();
            value.insert("options".into(), shown);
        }
        set_if(&mut value, "metadata", &metadata);
        Ok(Vote {
            proposal_id,
            voter: voter_addr,
            options: checked,
            metadata,
            amino: estuary_sdk::amino::msg(amino_name, value.into()),
            signers: Signers::one(voter_addr),
        })
    }
}

impl Msg for Vote {
    fn signers(&self) -> &Signers {
        &self.signers
    }

    fn execute(&self, ctx: &mut TxContext<'_>) -> TxResult {
        let id = self.proposal_id;
        // The SDK asks only whether the proposal is in its voting period: a missing one is
        // "inactive" too.
        let voting = ctx.state().proposal(id)?.map(|p| p.status) == Some(STATUS_VOTING);
        if !voting {
            return Err(gov_error(
                INACTIVE_PROPOSAL,
                format!("{id}: inactive proposal"),
            ));
        }
        // Power votes, not accounts: only a validator's operator has a say, weighed at the
        // tally by that validator's power then.
        if ctx.state().validator_operated_by(&self.voter)?.is_none() {
            return Err(TxError::Unauthorized(format!(
                "{} operates no validator: only validators' operators vote",
                self.voter
            )));
        }
        let options: Vec<pb::WeightedVoteOption> = self
            .options
            .iter()
            .map(|(o, w)| pb::WeightedVoteOption {
                option: *o,
                weight: w.to_sdk_string(),
            })
            .collect();
        ctx.state.set_vote(
            &pb::Vote {
                proposal_id: id,
                voter: self.voter.to_bech32(),
                options: options.clone(),
                metadata: self.metadata.clone(),
            },
            &self.voter,
        )?;
        let shown = options
            .iter()
            .map(|o| format!("option:{} weight:\"{}\"", option_name(o.option), o.weight))
            .collect::<Vec<_>>()
            .join("\n");
        ctx.emit(
            Event::new("proposal_vote")
                .attr("voter", self.voter)
                .attr("option", shown)
                .attr("proposal_id", id),
        );
        Ok(())
    }

    fn amino_json(&self) -> Option<TxResult<Value>> {
        Some(Ok(self.amino.clone()))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Gov's own parameters, changed by the chain's authority (a passed proposal, or the admin).
pub struct UpdateParams {
    authority: Address,
    params: pb::Params,
    signers: Signers,
}

impl UpdateParams {
    fn decode(msg: &Any) -> TxResult<UpdateParams> {
        let raw: pb::MsgUpdateParams =
            estuary_sdk::proto::decode_strict(&msg.value, "MsgUpdateParams")?;
        let authority = Address::parse(&raw.authority)?;
        let params = raw
            .params
            .ok_or_else(|| TxError::InvalidRequest("params: missing".into()))?;
        crate::params::Params::check(&params)?;
        Ok(UpdateParams {
            authority,
            params,
            signers: Signers::one(authority),
        })
    }
}

impl Msg for UpdateParams {
    fn signers(&self) -> &Signers {
        &self.signers
    }

    fn execute(&self, ctx: &mut TxContext<'_>) -> TxResult {
        ensure_authority(ctx, &self.authority, "change gov params")?;
        ctx.state.set_gov_params(&self.params)?;
        Ok(())
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// `MsgCancelProposal`: the proposer withdraws a proposal still in its deposit or voting period;
/// `proposal_cancel_ratio` of every deposit is burnt (or sent to `proposal_cancel_dest`), the
/// rest refunded, and the proposal and its votes are gone — the SDK's `CancelProposal`.
pub struct CancelProposal {
    proposal_id: u64,
    proposer: Address,
    signers: Signers,
}

impl CancelProposal {
    fn decode(msg: &Any) -> TxResult<CancelProposal> {
        let raw: pb::MsgCancelProposal =
            estuary_sdk::proto::decode_strict(&msg.value, "MsgCancelProposal")?;
        let proposer = Address::parse(&raw.proposer)?;
        Ok(CancelProposal {
            proposal_id: raw.proposal_id,
            proposer,
            signers: Signers::one(proposer),
        })
    }
}

impl Msg for CancelProposal {
    fn signers(&self) -> &Signers {
        &self.signers
    }

    fn execute(&self, ctx: &mut TxContext<'_>) -> TxResult {
        let id = self.proposal_id;
        let proposal = ctx.state().existing_proposal(id)?;
        let proposer = self.proposer.to_bech32();
        if proposal.proposer.is_empty() {
            return Err(gov_error(
                INVALID_PROPOSAL,
                format!(
                    "proposal {id} doesn't have proposer {proposer}, so cannot be canceled: \
                     invalid proposal"
                ),
            ));
        }
        if proposal.proposer != proposer {
            return Err(gov_error(
                INVALID_PROPOSER,
                format!("invalid proposer {proposer}: invalid proposer"),
            ));
        }
        if proposal.status != STATUS_DEPOSIT && proposal.status != STATUS_VOTING {
            return Err(gov_error(
                INVALID_PROPOSAL,
                "proposal should be in the deposit or voting period: invalid proposal",
            ));
        }
        let now = ctx.block.time_unix_nanos;
        if proposal.voting_end_time.is_some()
            && crate::keeper::nanos_of(proposal.voting_end_time.as_ref()) < now
        {
            return Err(gov_error(
                VOTING_PERIOD_ENDED,
                format!(
                    "voting period is already ended for this proposal {id}: voting period \
                     already ended"
                ),
            ));
        }
        let params = ctx.state().gov_params()?;
        let events = crate::keeper::charge_deposits(
            ctx.state,
            id,
            params.proposal_cancel_ratio,
            params.proposal_cancel_dest.as_ref(),
        )?;
        for e in events {
            ctx.emit(e);
        }
        ctx.state.delete_votes(id)?;
        ctx.state.delete(state_key::proposal(id))?;
        ctx.state.delete(state_key::deposit_queue(id))?;
        ctx.state.delete(state_key::voting_queue(id))?;
        ctx.emit(
            Event::new("cancel_proposal")
                .attr("sender", &proposer)
                .attr("proposal_id", id),
        );
        Ok(())
    }

    /// Amino JSON (`cosmos-sdk/v1/MsgCancelProposal`).
    fn amino_json(&self) -> Option<TxResult<Value>> {
        Some(Ok(estuary_sdk::amino::msg(
            "cosmos-sdk/v1/MsgCancelProposal",
            json!({
                "proposal_id": self.proposal_id.to_string(),
                "proposer": self.proposer.to_bech32(),
            }),
        )))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
