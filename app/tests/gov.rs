//! Governance in process, through the entry points CometBFT calls: proposals carrying gated
//! messages, deposits, operators' votes weighted by their validators' power at the end of the
//! voting period, the tally's rules, atomic execution, and the admin's one-way hand-over.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use base64::Engine;
use common::inproc::*;
use cosmrs::proto::cosmos::gov::v1 as pb;
use cosmrs::Any;
use estuary_app::app::BlockOutcome;
use estuary_gov::GovReader;
use estuary_sdk::Address;
use estuary_validators::{gov_authority, ValidatorsReader};
use prost::Message;

const DEPOSIT: u128 = 1_000;

/// Four validators of power 10, each voted for by its operator (keys 11–14); an admin (key 20);
/// a proposer (key 1). Deposits of 1000stake; ten seconds to deposit and to vote (a block is a
/// second here).
struct Gov {
    chain: Chain,
    operators: Vec<u8>,
    admin: u8,
    proposer: u8,
}

fn consensus_key(n: u8) -> [u8; 32] {
    [n; 32]
}

fn b64(k: [u8; 32]) -> String {
    base64::engine::general_purpose::STANDARD.encode(k)
}

impl Gov {
    fn new() -> Gov {
        Gov::with_params(serde_json::json!({}))
    }

    fn with_params(overrides: serde_json::Value) -> Gov {
        let operators: Vec<u8> = (11..=14).collect();
        let (admin, proposer) = (20, 1);
        let mut funded: Vec<Address> = operators.iter().map(|n| addr(&key(*n))).collect();
        funded.push(addr(&key(admin)));
        funded.push(addr(&key(proposer)));
        let accounts: Vec<_> = funded
            .iter()
            .enumerate()
            .map(|(i, a)| serde_json::json!({"address": a, "account_number": i}))
            .collect();
        let balances: Vec<_> = funded
            .iter()
            .map(|a| serde_json::json!({"address": a, "coins": [{"denom": "stake", "amount": "100000"}]}))
            .collect();
        let validators: Vec<_> = operators
            .iter()
            .enumerate()
            .map(|(i, n)| {
                serde_json::json!({"name": format!("v{i}"), "pub_key": b64(consensus_key(i as u8 + 1)), "power": 10, "operator": addr(&key(*n))})
            })
            .collect();
        let mut params = serde_json::json!({
            "min_deposit": [{"denom": "stake", "amount": DEPOSIT.to_string()}],
            "max_deposit_period": "10s",
            "voting_period": "10s",
        });
        for (k, v) in overrides.as_object().unwrap() {
            params[k] = v.clone();
        }
        let app_state = serde_json::json!({
            "auth": {"accounts": accounts},
            "bank": {"balances": balances},
            "validators": {"admin": addr(&key(admin)), "validators": validators},
            "gov": {"params": params},
        });
        Gov {
            chain: Chain::with_genesis(serde_json::to_vec(&app_state).unwrap()),
            operators,
            admin,
            proposer,
        }
    }

    fn state(&self) -> &dyn estuary_sdk::store::StateRead {
        self.chain.app.storage()
    }

    /// Submits a proposal carrying `msgs` with `deposit`; its id.
    fn propose(&mut self, msgs: Vec<Any>, deposit: u128) -> u64 {
        let id = self.state().next_proposal_id().unwrap();
        let proposer = key(self.proposer);
        let out = self
            .chain
            .submit(&proposer, vec![submit(&addr(&proposer), msgs, deposit)]);
        ok(&out);
        id
    }

    fn vote(&mut self, operator: usize, id: u64, option: pb::VoteOption) -> BlockOutcome {
        let k = key(self.operators[operator]);
        self.chain.submit(&k, vec![vote(&addr(&k), id, option)])
    }

    fn proposal(&self, id: u64) -> pb::Proposal {
        self.state().proposal(id).unwrap().expect("proposal")
    }

    /// Runs empty blocks until proposal `id` leaves its voting period; the block that ended it.
    fn run_to_end(&mut self, id: u64) -> BlockOutcome {
        for _ in 0..30 {
            let out = self.chain.block(vec![]);
            match self.state().proposal(id).unwrap() {
                Some(p) if p.status == pb::ProposalStatus::VotingPeriod as i32 => continue,
                Some(p) if p.status == pb::ProposalStatus::DepositPeriod as i32 => continue,
                _ => return out,
            }
        }
        panic!("proposal {id} never ended");
    }

    /// Three of the four operators vote yes, the voting period runs out, and the proposal must
    /// have passed; it is returned.
    fn pass_with_three_yes(&mut self, id: u64) -> pb::Proposal {
        for op in 0..3 {
            ok(&self.vote(op, id, pb::VoteOption::Yes));
        }
        self.run_to_end(id);
        let p = self.proposal(id);
        assert_eq!(
            p.status,
            pb::ProposalStatus::Passed as i32,
            "{}",
            p.failed_reason
        );
        p
    }

    fn power_of(&self, n: u8) -> Option<u64> {
        self.state()
            .validator(&consensus_key(n))
            .unwrap()
            .map(|v| v.power)
    }
}

fn ok(out: &BlockOutcome) {
    for r in &out.tx_results {
        assert_eq!(r.code, 0, "{}", r.log);
    }
}

fn any<M: Message>(type_url: &str, m: M) -> Any {
    Any {
        type_url: type_url.into(),
        value: m.encode_to_vec(),
    }
}

fn coins(amount: u128) -> Vec<cosmrs::proto::cosmos::base::v1beta1::Coin> {
    vec![cosmrs::proto::cosmos::base::v1beta1::Coin {
        denom: "stake".into(),
        amount: amount.to_string(),
    }]
}

fn submit(proposer: &Address, msgs: Vec<Any>, deposit: u128) -> Any {
    any(
        estuary_gov::MSG_SUBMIT_PROPOSAL,
        pb::MsgSubmitProposal {
            messages: msgs
                .into_iter()
                .map(|m| cosmrs::proto::Any {
                    type_url: m.type_url,
                    value: m.value,
                })
                .collect(),
            initial_deposit: if deposit > 0 { coins(deposit) } else { vec![] },
            proposer: proposer.to_bech32(),
            metadata: "ipfs://proposal".into(),
            title: "a proposal".into(),
            summary: "what it does".into(),
            expedited: false,
        },
    )
}

fn vote(voter: &Address, id: u64, option: pb::VoteOption) -> Any {
    any(
        estuary_gov::MSG_VOTE,
        pb::MsgVote {
            proposal_id: id,
            voter: voter.to_bech32(),
            option: option as i32,
            metadata: String::new(),
        },
    )
}

fn set_power(authority: &Address, n: u8, power: u64) -> Any {
    any(
        estuary_validators::MSG_SET_VALIDATOR_POWER,
        estuary_validators::MsgSetValidatorPower {
            authority: authority.to_bech32(),
            name: format!("v{n}"),
            pub_key: consensus_key(n).to_vec(),
            power,
            operator: String::new(),
        },
    )
}

fn event_attr(out: &BlockOutcome, kind: &str, key: &str) -> Option<String> {
    let tx_events = out.tx_results.iter().flat_map(|r| r.events.iter());
    out.events
        .iter()
        .chain(tx_events)
        .filter(|e| e.kind == kind)
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}

#[test]
fn three_of_four_operators_voting_yes_change_the_validator_set() {
    let mut g = Gov::new();
    let proposer = addr(&key(g.proposer));
    let before = g.chain.balance(&proposer);
    let id = g.propose(vec![set_power(&gov_authority(), 9, 7)], DEPOSIT);
    let p = g.proposal(id);
    assert_eq!(
        p.status,
        pb::ProposalStatus::VotingPeriod as i32,
        "the deposit reached the minimum"
    );
    assert_eq!(
        g.chain.balance(&proposer),
        before - DEPOSIT,
        "the deposit is held by gov"
    );
    assert_eq!(g.chain.balance(&gov_authority()), DEPOSIT);
    for op in 0..3 {
        ok(&g.vote(op, id, pb::VoteOption::Yes));
    }
    assert_eq!(
        g.power_of(9),
        None,
        "nothing changes before the end of voting"
    );
    let out = g.run_to_end(id);
    let p = g.proposal(id);
    assert_eq!(
        p.status,
        pb::ProposalStatus::Passed as i32,
        "{}",
        p.failed_reason
    );
    assert_eq!(p.final_tally_result.unwrap().yes_count, "30");
    assert_eq!(g.power_of(9), Some(7));
    assert!(
        out.validator_updates
            .iter()
            .any(|u| u.ed25519_pubkey == consensus_key(9) && u.power == 7),
        "the new validator reaches CometBFT in the block that executed the proposal"
    );
    assert_eq!(
        event_attr(&out, "active_proposal", "proposal_result").as_deref(),
        Some("proposal_passed")
    );
    assert_eq!(
        g.chain.balance(&proposer),
        before,
        "a passed proposal's deposit is refunded"
    );
    assert_eq!(g.chain.balance(&gov_authority()), 0);
    assert!(
        g.state().votes_on(id).unwrap().is_empty(),
        "votes are dropped after the tally"
    );
}

#[test]
fn without_quorum_a_proposal_is_rejected_changes_nothing_and_refunds() {
    let mut g = Gov::new();
    let proposer = addr(&key(g.proposer));
    let before = g.chain.balance(&proposer);
    let supply = g.chain.supply();
    let id = g.propose(vec![set_power(&gov_authority(), 9, 7)], DEPOSIT);
    ok(&g.vote(0, id, pb::VoteOption::Yes)); // 10 of 40: below 0.334
    g.run_to_end(id);
    let p = g.proposal(id);
    assert_eq!(p.status, pb::ProposalStatus::Rejected as i32);
    assert_eq!(g.power_of(9), None);
    assert_eq!(g.chain.balance(&proposer), before);
    assert_eq!(g.chain.supply(), supply);
}

#[test]
fn a_veto_rejects_and_burns_the_deposit() {
    let mut g = Gov::new();
    let supply = g.chain.supply();
    let id = g.propose(vec![set_power(&gov_authority(), 9, 7)], DEPOSIT);
    ok(&g.vote(0, id, pb::VoteOption::Yes));
    ok(&g.vote(1, id, pb::VoteOption::Yes));
    ok(&g.vote(2, id, pb::VoteOption::NoWithVeto)); // 10 of 30 = 0.333…: not a veto yet
    ok(&g.vote(3, id, pb::VoteOption::NoWithVeto)); // 20 of 40 = 0.5 > 0.334: vetoed
    g.run_to_end(id);
    assert_eq!(g.proposal(id).status, pb::ProposalStatus::Rejected as i32);
    assert_eq!(g.power_of(9), None);
    assert_eq!(
        g.chain.supply(),
        supply - DEPOSIT,
        "a vetoed proposal's deposit is burnt"
    );
    assert_eq!(g.chain.balance(&gov_authority()), 0);
}

#[test]
fn a_failing_message_fails_the_whole_proposal_and_leaves_state_untouched() {
    let mut g = Gov::new();
    // The first message is fine on its own; the second removes a validator that does not
    // exist. All or none: the first must not land either.
    let id = g.propose(
        vec![
            set_power(&gov_authority(), 9, 7),
            set_power(&gov_authority(), 8, 0),
        ],
        DEPOSIT,
    );
    for op in 0..4 {
        ok(&g.vote(op, id, pb::VoteOption::Yes));
    }
    let out = g.run_to_end(id);
    let p = g.proposal(id);
    assert_eq!(p.status, pb::ProposalStatus::Failed as i32);
    assert!(p.failed_reason.contains("message 1"), "{}", p.failed_reason);
    assert_eq!(
        g.power_of(9),
        None,
        "the first message's change was dropped with the second"
    );
    assert!(out.validator_updates.is_empty());
    assert_eq!(
        event_attr(&out, "active_proposal", "proposal_result").as_deref(),
        Some("proposal_failed")
    );
}

#[test]
fn powers_are_weighed_at_the_end_of_voting() {
    let mut g = Gov::new();
    let id = g.propose(vec![set_power(&gov_authority(), 9, 7)], DEPOSIT);
    ok(&g.vote(0, id, pb::VoteOption::Yes));
    // 10 of 40 would not reach quorum; the admin raises validator 1 to 100 during the vote:
    // 100 of 130 does.
    let admin = key(g.admin);
    ok(&g
        .chain
        .submit(&admin, vec![set_power(&addr(&admin), 1, 100)]));
    g.run_to_end(id);
    let p = g.proposal(id);
    assert_eq!(p.status, pb::ProposalStatus::Passed as i32);
    assert_eq!(p.final_tally_result.unwrap().yes_count, "100");
}

#[test]
fn weighted_votes_split_a_validators_power() {
    let mut g = Gov::new();
    let id = g.propose(vec![], DEPOSIT);
    let k = key(g.operators[0]);
    let weighted = any(
        estuary_gov::MSG_VOTE_WEIGHTED,
        pb::MsgVoteWeighted {
            proposal_id: id,
            voter: addr(&k).to_bech32(),
            options: vec![
                pb::WeightedVoteOption {
                    option: 1,
                    weight: "0.6".into(),
                },
                pb::WeightedVoteOption {
                    option: 3,
                    weight: "0.4".into(),
                },
            ],
            metadata: String::new(),
        },
    );
    ok(&g.chain.submit(&k, vec![weighted]));
    let bad = any(
        estuary_gov::MSG_VOTE_WEIGHTED,
        pb::MsgVoteWeighted {
            proposal_id: id,
            voter: addr(&k).to_bech32(),
            options: vec![
                pb::WeightedVoteOption {
                    option: 1,
                    weight: "0.6".into(),
                },
                pb::WeightedVoteOption {
                    option: 3,
                    weight: "0.6".into(),
                },
            ],
            metadata: String::new(),
        },
    );
    let out = g.chain.submit(&k, vec![bad]);
    assert_eq!(
        (out.tx_results[0].codespace.as_str(), out.tx_results[0].code),
        ("gov", 7)
    );
    ok(&g.vote(1, id, pb::VoteOption::Yes));
    g.run_to_end(id);
    let tally = g.proposal(id).final_tally_result.unwrap();
    assert_eq!(
        (tally.yes_count.as_str(), tally.no_count.as_str()),
        ("16", "4")
    );
    assert_eq!(
        g.proposal(id).status,
        pb::ProposalStatus::Passed as i32,
        "a text proposal passes"
    );
}

#[test]
fn only_operators_vote_and_only_during_voting() {
    let mut g = Gov::new();
    let id = g.propose(vec![], 10); // below the minimum: deposit period
    let out = g.vote(0, id, pb::VoteOption::Yes);
    assert_eq!(
        (out.tx_results[0].codespace.as_str(), out.tx_results[0].code),
        ("gov", 3),
        "inactive"
    );
    let proposer = key(g.proposer);
    let dust = any(
        estuary_gov::MSG_DEPOSIT,
        pb::MsgDeposit {
            proposal_id: id,
            depositor: addr(&proposer).to_bech32(),
            amount: coins(9),
        },
    );
    let out = g.chain.submit(&proposer, vec![dust]);
    assert_eq!(
        (out.tx_results[0].codespace.as_str(), out.tx_results[0].code),
        ("gov", 16),
        "below 1% of the minimum: {}",
        out.tx_results[0].log
    );
    let deposit = any(
        estuary_gov::MSG_DEPOSIT,
        pb::MsgDeposit {
            proposal_id: id,
            depositor: addr(&proposer).to_bech32(),
            amount: coins(DEPOSIT - 10),
        },
    );
    let out = g.chain.submit(&proposer, vec![deposit]);
    ok(&out);
    assert_eq!(
        event_attr(&out, "proposal_deposit", "voting_period_start").as_deref(),
        Some("1")
    );
    assert_eq!(
        g.proposal(id).status,
        pb::ProposalStatus::VotingPeriod as i32
    );
    let out = g.chain.submit(
        &proposer,
        vec![vote(&addr(&proposer), id, pb::VoteOption::Yes)],
    );
    assert_eq!(
        out.tx_results[0].code, 4,
        "a non-operator is unauthorized: {}",
        out.tx_results[0].log
    );
    assert_eq!(g.vote(0, id, pb::VoteOption::Yes).tx_results[0].code, 0);
    let out = g.chain.submit(
        &proposer,
        vec![vote(&addr(&proposer), 99, pb::VoteOption::Yes)],
    );
    assert_eq!(
        (out.tx_results[0].codespace.as_str(), out.tx_results[0].code),
        ("gov", 3),
        "a vote on a proposal that does not exist: inactive, as the SDK says"
    );
}

#[test]
fn an_unfunded_proposal_is_dropped_and_refunded_after_the_deposit_period() {
    let mut g = Gov::new();
    let proposer = addr(&key(g.proposer));
    let before = g.chain.balance(&proposer);
    let id = g.propose(vec![set_power(&gov_authority(), 9, 7)], 10);
    assert_eq!(g.chain.balance(&proposer), before - 10);
    let out = g.run_to_end(id);
    assert!(g.state().proposal(id).unwrap().is_none(), "dropped");
    assert_eq!(
        event_attr(&out, "inactive_proposal", "proposal_result").as_deref(),
        Some("proposal_dropped")
    );
    assert_eq!(g.chain.balance(&proposer), before);

    let mut g = Gov::with_params(serde_json::json!({"burn_proposal_deposit_prevote": true}));
    let supply = g.chain.supply();
    let id = g.propose(vec![], 10);
    g.run_to_end(id);
    assert_eq!(
        g.chain.supply(),
        supply - 10,
        "burnt when the params say so"
    );
}

#[test]
fn a_proposal_message_must_be_signed_by_gov_alone() {
    let mut g = Gov::new();
    let proposer = key(g.proposer);
    let out = g.chain.submit(
        &proposer,
        vec![submit(
            &addr(&proposer),
            vec![set_power(&addr(&proposer), 9, 7)],
            DEPOSIT,
        )],
    );
    assert_eq!(
        (out.tx_results[0].codespace.as_str(), out.tx_results[0].code),
        ("gov", 13),
        "{}",
        out.tx_results[0].log
    );
    let nested = submit(&gov_authority(), vec![], 0);
    let out = g.chain.submit(
        &proposer,
        vec![submit(&addr(&proposer), vec![nested], DEPOSIT)],
    );
    assert_eq!(
        (out.tx_results[0].codespace.as_str(), out.tx_results[0].code),
        ("gov", 12)
    );
    let out = g.chain.submit(
        &proposer,
        vec![submit(
            &addr(&proposer),
            vec![Any {
                type_url: "/cosmos.staking.v1beta1.MsgDelegate".into(),
                value: vec![],
            }],
            DEPOSIT,
        )],
    );
    assert_eq!(
        (out.tx_results[0].codespace.as_str(), out.tx_results[0].code),
        ("gov", 10)
    );
    // A proposal that runs nothing must say something (metadata), as the SDK requires.
    let mut silent =
        pb::MsgSubmitProposal::decode(submit(&addr(&proposer), vec![], DEPOSIT).value.as_slice())
            .unwrap();
    silent.metadata.clear();
    let out = g.chain.submit(
        &proposer,
        vec![any(estuary_gov::MSG_SUBMIT_PROPOSAL, silent)],
    );
    assert_eq!(
        (out.tx_results[0].codespace.as_str(), out.tx_results[0].code),
        ("gov", 11)
    );
    assert_eq!(
        g.chain.balance(&gov_authority()),
        0,
        "nothing was deposited by the refused ones"
    );
}

#[test]
fn after_the_hand_over_only_governance_holds_the_authority() {
    let mut g = Gov::new();
    let admin = key(g.admin);
    let a = addr(&admin);
    let outsider = key(g.proposer);
    // Anyone else is refused, before and after.
    let out = g
        .chain
        .submit(&outsider, vec![set_power(&addr(&outsider), 2, 20)]);
    assert_eq!(out.tx_results[0].code, 4, "{}", out.tx_results[0].log);
    // The admin may, until it hands over.
    ok(&g.chain.submit(&admin, vec![set_power(&a, 2, 20)]));
    assert_eq!(g.power_of(2), Some(20));
    let hand_over = any(
        estuary_validators::MSG_HAND_OVER_TO_GOV,
        estuary_validators::MsgHandOverToGov {
            admin: a.to_bech32(),
        },
    );
    ok(&g.chain.submit(&admin, vec![hand_over.clone()]));
    assert_eq!(g.state().validators_admin().unwrap(), None);
    let out = g.chain.submit(&admin, vec![set_power(&a, 2, 30)]);
    assert_eq!(
        out.tx_results[0].code, 4,
        "the old admin is refused: {}",
        out.tx_results[0].log
    );
    let upgrade = any(
        estuary_upgrade::MSG_SOFTWARE_UPGRADE,
        cosmrs::proto::cosmos::upgrade::v1beta1::MsgSoftwareUpgrade {
            authority: a.to_bech32(),
            #[allow(deprecated)]
            plan: Some(cosmrs::proto::cosmos::upgrade::v1beta1::Plan {
                name: "x".into(),
                height: 1000,
                ..Default::default()
            }),
        },
    );
    assert_eq!(g.chain.submit(&admin, vec![upgrade]).tx_results[0].code, 4);
    let rate_limit = any(
        estuary_ibc::rate_limit::MSG_ADD_RATE_LIMIT,
        estuary_ibc::rate_limit::types::MsgAddRateLimit {
            signer: a.to_bech32(),
            denom: "stake".into(),
            channel_or_client_id: "channel-0".into(),
            max_percent_send: "10".into(),
            max_percent_recv: "10".into(),
            duration_hours: 24,
        },
    );
    assert_eq!(
        g.chain.submit(&admin, vec![rate_limit]).tx_results[0].code,
        4
    );
    assert_eq!(
        g.chain.submit(&admin, vec![hand_over]).tx_results[0].code,
        4,
        "once only"
    );
    assert_eq!(g.power_of(2), Some(20));
    // Governance still can.
    let id = g.propose(vec![set_power(&gov_authority(), 2, 30)], DEPOSIT);
    for op in 0..4 {
        ok(&g.vote(op, id, pb::VoteOption::Yes));
    }
    g.run_to_end(id);
    assert_eq!(g.power_of(2), Some(30));
}

#[test]
fn governance_changes_its_own_params() {
    let mut g = Gov::new();
    let mut params = g.state().gov_params_proto().unwrap();
    params.voting_period = Some(cosmrs::proto::tendermint::google::protobuf::Duration {
        seconds: 3,
        nanos: 0,
    });
    // The expedited period must stay shorter (the SDK's rule).
    params.expedited_voting_period = Some(cosmrs::proto::tendermint::google::protobuf::Duration {
        seconds: 2,
        nanos: 0,
    });
    let update = any(
        estuary_gov::MSG_UPDATE_PARAMS,
        pb::MsgUpdateParams {
            authority: gov_authority().to_bech32(),
            params: Some(params),
        },
    );
    let id = g.propose(vec![update], DEPOSIT);
    for op in 0..4 {
        ok(&g.vote(op, id, pb::VoteOption::Yes));
    }
    g.run_to_end(id);
    assert_eq!(
        g.state().gov_params().unwrap().voting_period_nanos,
        3_000_000_000
    );
}

#[test]
fn an_operator_rotates_its_key_and_the_new_one_votes() {
    let mut g = Gov::new();
    let old = key(g.operators[0]);
    let new = key(g.proposer);
    let rotate = any(
        estuary_validators::MSG_ROTATE_OPERATOR,
        estuary_validators::MsgRotateOperator {
            operator: addr(&old).to_bech32(),
            pub_key: consensus_key(1).to_vec(),
            new_operator: addr(&new).to_bech32(),
        },
    );
    ok(&g.chain.submit(&old, vec![rotate.clone()]));
    assert_eq!(
        g.state().operator_of(&consensus_key(1)).unwrap(),
        Some(addr(&new))
    );
    assert_eq!(
        g.chain.submit(&old, vec![rotate]).tx_results[0].code,
        4,
        "the old key no longer operates it"
    );
    let id = g.propose(vec![], DEPOSIT);
    let out = g
        .chain
        .submit(&new, vec![vote(&addr(&new), id, pb::VoteOption::Yes)]);
    ok(&out);
    let out = g
        .chain
        .submit(&old, vec![vote(&addr(&old), id, pb::VoteOption::Yes)]);
    assert_eq!(out.tx_results[0].code, 4);
}

#[test]
fn gov_state_survives_export_and_import() {
    let mut g = Gov::new();
    let id = g.propose(vec![set_power(&gov_authority(), 9, 7)], DEPOSIT);
    ok(&g.vote(0, id, pb::VoteOption::Yes));
    let exported = g.chain.module_state();
    let mut state = exported.clone();
    state["ibc"] = serde_json::Value::Null;
    let again = Chain::with_genesis(serde_json::to_vec(&state).unwrap());
    let reexported = again.module_state();
    assert_eq!(exported["gov"], reexported["gov"]);
    assert_eq!(
        again.app.storage().proposal(id).unwrap(),
        g.state().proposal(id).unwrap()
    );
}

/// An upgrade scheduled (and ones applied, with the module versions they recorded) survive an
/// export and an import: an imported chain neither forgets its plan nor runs an upgrade twice.
#[test]
fn upgrade_state_survives_export_and_import() {
    use estuary_upgrade::UpgradeReader;
    let mut g = Gov::new();
    let admin = key(g.admin);
    let plan = any(
        estuary_upgrade::MSG_SOFTWARE_UPGRADE,
        cosmrs::proto::cosmos::upgrade::v1beta1::MsgSoftwareUpgrade {
            authority: addr(&admin).to_bech32(),
            #[allow(deprecated)]
            plan: Some(cosmrs::proto::cosmos::upgrade::v1beta1::Plan {
                name: "v3".into(),
                height: 1000,
                info: "binaries".into(),
                ..Default::default()
            }),
        },
    );
    ok(&g.chain.submit(&admin, vec![plan]));
    let mut state = g.chain.module_state();
    state["ibc"] = serde_json::Value::Null;
    state["upgrade"]["applied"] = serde_json::json!([{"name": "v2", "height": 77}]);
    state["upgrade"]["module_versions"] = serde_json::json!([{"name": "bank", "version": 2}]);
    let again = Chain::with_genesis(serde_json::to_vec(&state).unwrap());
    let s = again.app.storage();
    assert_eq!(s.upgrade_plan().unwrap().unwrap().name, "v3");
    assert_eq!(s.applied_upgrade("v2").unwrap(), Some(77));
    assert_eq!(s.module_versions().unwrap(), vec![("bank".to_string(), 2)]);
    assert_eq!(again.module_state()["upgrade"], state["upgrade"]);
}

/// An IBC upgrade decided by governance: the proposal carries ibc-go's `MsgIBCSoftwareUpgrade`
/// signed by the gov account; once it passes, the plan is scheduled and the upgraded client
/// committed to, with the counterparties' trust settings zeroed.
#[test]
fn a_passed_proposal_schedules_an_ibc_upgrade() {
    let mut g = Gov::new();
    let height = g.chain.height + 200;
    let client = estuary_client::ibc_msgs::tendermint_client_state(
        &estuary_client::ibc_msgs::ClientParams {
            chain_id: "estuary-test-2".into(),
            trusting_period_secs: 100,
            unbonding_period_secs: 200,
            max_clock_drift_secs: 5,
            latest_height: ibc_proto::ibc::core::client::v1::Height {
                revision_number: 2,
                revision_height: height - 1,
            },
            proof_specs: estuary_sdk::store::proof_specs(),
        },
    );
    #[allow(deprecated)]
    let msg = ibc_proto::ibc::core::client::v1::MsgIbcSoftwareUpgrade {
        plan: Some(ibc_proto::cosmos::upgrade::v1beta1::Plan {
            name: "v2".into(),
            height: height as i64,
            ..Default::default()
        }),
        upgraded_client_state: Some(ibc_proto::google::protobuf::Any {
            type_url: client.type_url,
            value: client.value,
        }),
        signer: gov_authority().to_bech32(),
    };
    let id = g.propose(
        vec![any("/ibc.core.client.v1.MsgIBCSoftwareUpgrade", msg)],
        DEPOSIT,
    );
    g.pass_with_three_yes(id);
    use estuary_upgrade::UpgradeReader;
    let plan = g.state().upgrade_plan().unwrap().expect("scheduled");
    assert_eq!((plan.name.as_str(), plan.height), ("v2", height));
    let stored = g
        .state()
        .upgraded_client(height)
        .unwrap()
        .expect("committed");
    let stored = ibc_proto::google::protobuf::Any::decode(stored.as_slice()).unwrap();
    let cs =
        ibc_proto::ibc::lightclients::tendermint::v1::ClientState::decode(stored.value.as_slice())
            .unwrap();
    assert_eq!(cs.chain_id, "estuary-test-2");
    assert_eq!(cs.trusting_period.unwrap().seconds, 0);
    assert_eq!(cs.unbonding_period.unwrap().seconds, 200);
}

fn cancel(proposer: &Address, id: u64) -> Any {
    any(
        estuary_gov::MSG_CANCEL_PROPOSAL,
        pb::MsgCancelProposal {
            proposal_id: id,
            proposer: proposer.to_bech32(),
        },
    )
}

/// The SDK's `MsgCancelProposal`: only the proposer, only while deposits or votes are open;
/// half of every deposit is burnt (the SDK's default ratio), the rest refunded; the proposal
/// and its votes are gone.
#[test]
fn the_proposer_cancels_a_proposal_for_half_its_deposits() {
    let mut g = Gov::new();
    let proposer = addr(&key(g.proposer));
    let supply = g.chain.supply();
    let before = g.chain.balance(&proposer);
    let id = g.propose(vec![set_power(&gov_authority(), 9, 7)], DEPOSIT + 1);
    ok(&g.vote(0, id, pb::VoteOption::Yes));
    // Someone else may not.
    let other = key(g.operators[1]);
    let out = g.chain.submit(&other, vec![cancel(&addr(&other), id)]);
    assert_eq!(
        (out.tx_results[0].codespace.as_str(), out.tx_results[0].code),
        ("gov", 18),
        "{}",
        out.tx_results[0].log
    );
    let out = g
        .chain
        .submit(&key(g.proposer), vec![cancel(&proposer, id)]);
    ok(&out);
    assert_eq!(
        event_attr(&out, "cancel_proposal", "proposal_id").as_deref(),
        Some(id.to_string().as_str())
    );
    assert!(
        g.state().proposal(id).unwrap().is_none(),
        "the proposal is gone"
    );
    assert!(g.state().votes_on(id).unwrap().is_empty(), "and its votes");
    assert!(g.state().deposits_on(id).unwrap().is_empty());
    // DEPOSIT + 1 deposited: half of it, rounded down, burnt; the rest back.
    let deposited = DEPOSIT + 1;
    let burnt = deposited / 2;
    assert_eq!(g.chain.balance(&proposer), before - burnt);
    assert_eq!(g.chain.supply(), supply - burnt);
    assert_eq!(g.chain.balance(&gov_authority()), 0);
    // Nothing is tallied for it at the end of its voting period, and it cannot be cancelled twice.
    let out = g
        .chain
        .submit(&key(g.proposer), vec![cancel(&proposer, id)]);
    assert_ne!(out.tx_results[0].code, 0);
    for _ in 0..15 {
        g.chain.block(vec![]);
    }
    assert_eq!(g.power_of(9), None, "a cancelled proposal never executes");
}

/// A finished proposal is not the proposer's to cancel any more.
#[test]
fn a_finished_proposal_cannot_be_cancelled() {
    let mut g = Gov::new();
    let proposer = addr(&key(g.proposer));
    let id = g.propose(vec![set_power(&gov_authority(), 9, 7)], DEPOSIT);
    g.run_to_end(id);
    let out = g
        .chain
        .submit(&key(g.proposer), vec![cancel(&proposer, id)]);
    assert_eq!(
        (out.tx_results[0].codespace.as_str(), out.tx_results[0].code),
        ("gov", 21),
        "{}",
        out.tx_results[0].log
    );
}

/// An expedited proposal, as the SDK's: five times the deposit (the default), half the voting
/// period here (the SDK's day, shorter than this genesis' 10 s voting period), a 0.667
/// threshold.
fn propose_expedited(g: &mut Gov, msgs: Vec<Any>, deposit: u128) -> u64 {
    let id = g.state().next_proposal_id().unwrap();
    let proposer = key(g.proposer);
    let mut msg = submit(&addr(&proposer), msgs, deposit);
    let mut raw = pb::MsgSubmitProposal::decode(msg.value.as_slice()).unwrap();
    raw.expedited = true;
    msg.value = raw.encode_to_vec();
    ok(&g.chain.submit(&proposer, vec![msg]));
    id
}

#[test]
fn an_expedited_proposal_needs_more_deposit_and_votes_and_passes_sooner() {
    let mut g = Gov::new();
    let params = g.state().gov_params().unwrap();
    assert_eq!(params.expedited_min_deposit[0].amount, 5 * DEPOSIT);
    assert_eq!(params.expedited_voting_period_nanos, 5_000_000_000);
    // The regular minimum is not enough for an expedited proposal.
    let id = propose_expedited(&mut g, vec![set_power(&gov_authority(), 9, 7)], DEPOSIT);
    assert_eq!(
        g.proposal(id).status,
        pb::ProposalStatus::DepositPeriod as i32
    );
    let proposer = key(g.proposer);
    let more = any(
        estuary_gov::MSG_DEPOSIT,
        pb::MsgDeposit {
            proposal_id: id,
            depositor: addr(&proposer).to_bech32(),
            amount: coins(4 * DEPOSIT),
        },
    );
    ok(&g.chain.submit(&proposer, vec![more]));
    let p = g.proposal(id);
    assert_eq!(p.status, pb::ProposalStatus::VotingPeriod as i32);
    assert!(p.expedited);
    let started = estuary_gov_nanos(p.voting_start_time.as_ref());
    assert_eq!(
        estuary_gov_nanos(p.voting_end_time.as_ref()) - started,
        5_000_000_000,
        "the expedited voting period"
    );
    // 3 of 4 > 0.667.
    let p = g.pass_with_three_yes(id);
    assert_eq!(g.power_of(9), Some(7));
    assert!(
        estuary_gov_nanos(p.voting_end_time.as_ref()) - started < 10_000_000_000,
        "before a regular proposal would have ended"
    );
}

#[test]
fn an_expedited_proposal_short_of_its_threshold_goes_on_as_a_regular_one() {
    let mut g = Gov::new();
    let id = propose_expedited(&mut g, vec![set_power(&gov_authority(), 9, 7)], 5 * DEPOSIT);
    let started = estuary_gov_nanos(g.proposal(id).voting_start_time.as_ref());
    // Two yes and one no of four: 2/3 of the votes cast, short of 0.667.
    ok(&g.vote(0, id, pb::VoteOption::Yes));
    ok(&g.vote(1, id, pb::VoteOption::Yes));
    ok(&g.vote(2, id, pb::VoteOption::No));
    let proposer = addr(&key(g.proposer));
    let held = g.chain.balance(&gov_authority());
    let mut converted = None;
    for _ in 0..10 {
        let out = g.chain.block(vec![]);
        if let Some(r) = event_attr(&out, "active_proposal", "proposal_result") {
            converted = Some(r);
            break;
        }
    }
    assert_eq!(converted.as_deref(), Some("expedited_proposal_rejected"));
    let p = g.proposal(id);
    assert_eq!(p.status, pb::ProposalStatus::VotingPeriod as i32);
    assert!(!p.expedited);
    assert_eq!(
        estuary_gov_nanos(p.voting_end_time.as_ref()) - started,
        10_000_000_000,
        "the regular voting period from its start"
    );
    assert_eq!(g.chain.balance(&gov_authority()), held, "the deposits stay");
    assert!(
        g.state().votes_on(id).unwrap().is_empty(),
        "votes are cast again"
    );
    // Regular rules now: the same votes pass it (2/3 > 0.5).
    ok(&g.vote(0, id, pb::VoteOption::Yes));
    ok(&g.vote(1, id, pb::VoteOption::Yes));
    ok(&g.vote(2, id, pb::VoteOption::No));
    g.run_to_end(id);
    assert_eq!(g.proposal(id).status, pb::ProposalStatus::Passed as i32);
    assert_eq!(g.power_of(9), Some(7));
    assert_eq!(g.chain.balance(&gov_authority()), 0, "deposits refunded");
    assert!(g.chain.balance(&proposer) > 0);
}

fn estuary_gov_nanos(t: Option<&cosmrs::proto::Timestamp>) -> i128 {
    let t = t.expect("time");
    i128::from(t.seconds) * 1_000_000_000 + i128::from(t.nanos)
}
