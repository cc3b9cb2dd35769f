//! Typed reads and writes of gov's state, and the deposit flows (escrow in the gov module
//! account, refund, burn), for the module's messages, its end block and its queries.

use cosmrs::proto::cosmos::gov::v1 as pb;
use cosmrs::proto::Timestamp;
use estuary_bank::BankKeeper;
use estuary_sdk::store::{StateRead, StateReadExt, StateWrite, StateWriteExt};
use estuary_sdk::{Address, Coin, Event, TxError, TxResult};
use estuary_validators::gov_authority;

use crate::dec::Dec;
use crate::errors::{gov_error, INACTIVE_PROPOSAL, INVALID_DEPOSIT_DENOM, UNKNOWN_PROPOSAL};
use crate::params::{GovParams, Params};
use crate::state_key;

pub const STATUS_DEPOSIT: i32 = pb::ProposalStatus::DepositPeriod as i32;
pub const STATUS_VOTING: i32 = pb::ProposalStatus::VotingPeriod as i32;
pub const STATUS_PASSED: i32 = pb::ProposalStatus::Passed as i32;
pub const STATUS_REJECTED: i32 = pb::ProposalStatus::Rejected as i32;
pub const STATUS_FAILED: i32 = pb::ProposalStatus::Failed as i32;

pub trait GovReader: StateRead {
    /// The parameters as stored (the SDK's defaults before genesis has written any).
    fn gov_params_proto(&self) -> TxResult<pb::Params> {
        match self.get_proto::<pb::Params>(&state_key::params())? {
            Some(p) => Ok(p),
            None => GovParams::default().to_proto(),
        }
    }

    fn gov_params(&self) -> TxResult<Params> {
        Params::check(&self.gov_params_proto()?)
    }

    fn proposal(&self, id: u64) -> TxResult<Option<pb::Proposal>> {
        Ok(self.get_proto(&state_key::proposal(id))?)
    }

    /// The proposal `id`, or the SDK's unknown-proposal error.
    fn existing_proposal(&self, id: u64) -> TxResult<pb::Proposal> {
        self.proposal(id)?.ok_or_else(|| {
            gov_error(
                UNKNOWN_PROPOSAL,
                format!("proposal {id} doesn't exist: unknown proposal"),
            )
        })
    }

    fn vote_of(&self, id: u64, voter: &Address) -> TxResult<Option<pb::Vote>> {
        Ok(self.get_proto(&state_key::vote(id, voter))?)
    }

    fn votes_on(&self, id: u64) -> TxResult<Vec<pb::Vote>> {
        decode_all(self.prefix_raw(&state_key::votes_of(id))?, "vote")
    }

    fn deposit_of(&self, id: u64, depositor: &Address) -> TxResult<Option<pb::Deposit>> {
        Ok(self.get_proto(&state_key::deposit(id, depositor))?)
    }

    fn deposits_on(&self, id: u64) -> TxResult<Vec<pb::Deposit>> {
        decode_all(self.prefix_raw(&state_key::deposits_of(id))?, "deposit")
    }

    fn next_proposal_id(&self) -> TxResult<u64> {
        Ok(self.get(&state_key::next_proposal_id())?.unwrap_or(1))
    }

    /// The ids queued under `prefix` (a deposit or voting queue), in id order.
    fn queued(&self, prefix: &[u8]) -> TxResult<Vec<u64>> {
        Ok(self
            .prefix_raw(prefix)?
            .iter()
            .filter_map(|(k, _)| state_key::id_after(prefix, k))
            .collect())
    }
}
impl<S: StateRead + ?Sized> GovReader for S {}

fn decode_all<M: prost::Message + Default>(
    entries: Vec<(Vec<u8>, Vec<u8>)>,
    what: &str,
) -> TxResult<Vec<M>> {
    entries
        .into_iter()
        .map(|(k, v)| {
            M::decode(v.as_slice()).map_err(|e| {
                TxError::Internal(format!("corrupt gov {what} at {}: {e}", hex::encode(k)))
            })
        })
        .collect()
}

pub trait GovKeeper: StateWrite {
    fn set_gov_params(&mut self, params: &pb::Params) -> TxResult {
        Params::check(params)?;
        Ok(self.put_proto(state_key::params(), params)?)
    }

    fn set_proposal(&mut self, p: &pb::Proposal) -> TxResult {
        Ok(self.put_proto(state_key::proposal(p.id), p)?)
    }

    fn set_vote(&mut self, vote: &pb::Vote, voter: &Address) -> TxResult {
        Ok(self.put_proto(state_key::vote(vote.proposal_id, voter), vote)?)
    }

    fn set_next_proposal_id(&mut self, id: u64) -> TxResult {
        Ok(self.put(state_key::next_proposal_id(), &id)?)
    }

    /// Drops every vote on `id` (after its tally, as the SDK does).
    fn delete_votes(&mut self, id: u64) -> TxResult {
        for (k, _) in self.prefix_raw(&state_key::votes_of(id))? {
            self.delete(k)?;
        }
        Ok(())
    }
}
impl<S: StateWrite + ?Sized> GovKeeper for S {}

/// A block time (nanoseconds since the Unix epoch) as a protobuf timestamp.
pub fn timestamp(nanos: i128) -> Timestamp {
    let seconds = nanos.div_euclid(1_000_000_000);
    let sub = nanos.rem_euclid(1_000_000_000);
    Timestamp {
        seconds: i64::try_from(seconds).unwrap_or(i64::MAX),
        nanos: i32::try_from(sub).unwrap_or(0),
    }
}

pub fn nanos_of(t: Option<&Timestamp>) -> i128 {
    t.map_or(0, |t| {
        i128::from(t.seconds)
            .saturating_mul(1_000_000_000)
            .saturating_add(i128::from(t.nanos))
    })
}

/// `a + b`, coin by coin, sorted by denomination (the SDK's `Coins.Add`).
pub fn add_coins(a: &[Coin], b: &[Coin]) -> TxResult<Vec<Coin>> {
    let mut out: std::collections::BTreeMap<String, u128> = std::collections::BTreeMap::new();
    for c in a.iter().chain(b) {
        let slot = out.entry(c.denom.as_str().to_string()).or_insert(0);
        *slot = slot
            .checked_add(c.amount)
            .ok_or_else(|| TxError::InvalidCoins(format!("{} overflows", c.denom)))?;
    }
    out.into_iter()
        .filter(|(_, a)| *a > 0)
        .map(|(d, a)| Coin::new(a, &d))
        .collect()
}

/// Coins as the SDK prints them: `10stake,5uatom`.
pub fn coin_list(coins: &[Coin]) -> String {
    coins
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Whether `have` holds at least every coin of `need` (the SDK's `IsAllGTE`).
pub fn covers(have: &[Coin], need: &[Coin]) -> bool {
    need.iter().all(|n| {
        have.iter()
            .find(|h| h.denom == n.denom)
            .is_some_and(|h| h.amount >= n.amount)
    })
}

pub fn coins_of(proto: &[cosmrs::proto::cosmos::base::v1beta1::Coin]) -> TxResult<Vec<Coin>> {
    proto.iter().map(Coin::from_proto).collect()
}

pub fn to_proto(coins: &[Coin]) -> Vec<cosmrs::proto::cosmos::base::v1beta1::Coin> {
    coins.iter().map(Coin::to_proto).collect()
}

/// Moves `coins` from `depositor` into the gov account for proposal `id`, and starts its voting
/// period when the deposits reach the minimum. The SDK's `AddDeposit`.
pub fn add_deposit(
    state: &mut dyn StateWrite,
    id: u64,
    depositor: &Address,
    coins: &[Coin],
    now_nanos: i128,
) -> TxResult<Vec<Event>> {
    let mut proposal = state.existing_proposal(id)?;
    if proposal.status != STATUS_DEPOSIT && proposal.status != STATUS_VOTING {
        return Err(gov_error(
            INACTIVE_PROPOSAL,
            format!("{id}: inactive proposal"),
        ));
    }
    let params = state.gov_params()?.for_proposal(proposal.expedited);
    if let Some(c) = coins
        .iter()
        .find(|c| !params.min_deposit.iter().any(|m| m.denom == c.denom))
    {
        return Err(gov_error(
            INVALID_DEPOSIT_DENOM,
            format!(
                "deposited {c}, but gov accepts only {}: invalid deposit denom",
                params
                    .min_deposit
                    .iter()
                    .map(|m| m.denom.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let mut events = state.send(depositor, &gov_authority(), coins)?;
    let key = state_key::deposit(id, depositor);
    let before = match state.get_proto::<pb::Deposit>(&key)? {
        Some(d) => coins_of(&d.amount)?,
        None => Vec::new(),
    };
    let mine = add_coins(&before, coins)?;
    state.put_proto(
        key,
        &pb::Deposit {
            proposal_id: id,
            depositor: depositor.to_bech32(),
            amount: to_proto(&mine),
        },
    )?;
    let total = add_coins(&coins_of(&proposal.total_deposit)?, coins)?;
    proposal.total_deposit = to_proto(&total);
    let mut event = Event::new("proposal_deposit")
        .attr("amount", coin_list(coins))
        .attr("proposal_id", id)
        .attr("depositor", depositor);
    if proposal.status == STATUS_DEPOSIT && covers(&total, &params.min_deposit) {
        activate_voting(state, &mut proposal, &params, now_nanos)?;
        event = event.attr("voting_period_start", id);
    }
    state.set_proposal(&proposal)?;
    events.push(event);
    Ok(events)
}

/// Moves a proposal from its deposit period to its voting period, starting now.
pub fn activate_voting(
    state: &mut dyn StateWrite,
    proposal: &mut pb::Proposal,
    params: &Params,
    now_nanos: i128,
) -> TxResult {
    proposal.status = STATUS_VOTING;
    proposal.voting_start_time = Some(timestamp(now_nanos));
    proposal.voting_end_time = Some(timestamp(
        now_nanos.saturating_add(params.voting_period_nanos),
    ));
    state.delete(state_key::deposit_queue(proposal.id))?;
    state.put(state_key::voting_queue(proposal.id), &1u8)?;
    Ok(())
}

/// Returns every deposit on `id` to its depositor.
pub fn refund_deposits(state: &mut dyn StateWrite, id: u64) -> TxResult<Vec<Event>> {
    charge_deposits(state, id, Dec(0), None)
}

/// Destroys every deposit on `id`.
pub fn burn_deposits(state: &mut dyn StateWrite, id: u64) -> TxResult<Vec<Event>> {
    charge_deposits(state, id, Dec::ONE, None)
}

/// The SDK's `ChargeDeposit`: `ratio` of every deposit on `id` (coin by coin, rounded down) is
/// burnt, or sent to `dest`; the rest goes back to its depositor. A cancelled proposal pays the
/// cancel ratio; a refund is ratio 0, a burn ratio 1.
pub fn charge_deposits(
    state: &mut dyn StateWrite,
    id: u64,
    ratio: Dec,
    dest: Option<&Address>,
) -> TxResult<Vec<Event>> {
    let mut events = Vec::new();
    let mut charged = Vec::new();
    for d in state.deposits_on(id)? {
        let depositor = Address::parse(&d.depositor)?;
        let mut back = Vec::new();
        for coin in coins_of(&d.amount)? {
            let charge = crate::dec::mul_floor(coin.amount, ratio).min(coin.amount);
            let rest = coin.amount.saturating_sub(charge);
            if charge > 0 {
                charged = add_coins(&charged, &[Coin::new(charge, coin.denom.as_str())?])?;
            }
            if rest > 0 {
                back.push(Coin::new(rest, coin.denom.as_str())?);
            }
        }
        if !back.is_empty() {
            events.extend(state.send(&gov_authority(), &depositor, &back)?);
        }
        state.delete(state_key::deposit(id, &depositor))?;
    }
    if !charged.is_empty() {
        events.extend(match dest {
            Some(to) => state.send(&gov_authority(), to, &charged)?,
            None => state.burn(&gov_authority(), &charged)?,
        });
    }
    Ok(events)
}
