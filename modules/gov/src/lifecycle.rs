//! What happens to proposals at the end of each block (the SDK's gov `EndBlocker`): a deposit
//! period that ran out without the minimum drops the proposal; a voting period that ran out is
//! tallied, its deposits refunded or burnt, and if it passed its messages run — all of them
//! or none, on one overlay, signed by the gov account.

use estuary_sdk::store::{GasMeter, StateRead, StateWrite, TxOverlay};
use estuary_sdk::{Any, BlockInfo, Event, ModuleManager, TxContext, TxError, TxResult};
use estuary_validators::{gov_authority, ValidatorsReader};

use crate::dec::Dec;
use crate::keeper::{
    burn_deposits, nanos_of, refund_deposits, GovKeeper, GovReader, STATUS_FAILED, STATUS_PASSED,
    STATUS_REJECTED,
};
use crate::msgs::decode_proposal_msg;
use crate::params::Params;
use crate::state_key;
use crate::tally::{tally, CountedVote, Outcome};

/// The tally of proposal `id` against the validator set now: each validator with an operator
/// that voted counts with its power.
pub fn tally_of(state: &dyn StateRead, id: u64, params: &Params) -> TxResult<Outcome> {
    let mut total: u64 = 0;
    let mut votes = Vec::new();
    for v in state.validator_set()? {
        total = total.saturating_add(v.power);
        let Some(operator) = state.operator_of(&v.pub_key)? else {
            continue;
        };
        let Some(vote) = state.vote_of(id, &operator)? else {
            continue;
        };
        let options = vote
            .options
            .iter()
            .map(|o| Ok((o.option, Dec::parse(&o.weight)?)))
            .collect::<TxResult<Vec<_>>>()?;
        votes.push(CountedVote {
            power: v.power,
            options,
        });
    }
    Ok(tally(total, &votes, params))
}

pub fn end_block(
    router: &ModuleManager,
    state: &mut dyn StateWrite,
    block: &BlockInfo,
) -> TxResult<Vec<Event>> {
    let now = block.time_unix_nanos;
    let mut events = Vec::new();
    for id in state.queued(state_key::PREFIX_DEPOSIT_QUEUE)? {
        let Some(p) = state.proposal(id)? else {
            state.delete(state_key::deposit_queue(id))?;
            continue;
        };
        if nanos_of(p.deposit_end_time.as_ref()) > now {
            continue;
        }
        let params = state.gov_params()?;
        events.extend(if params.burn_proposal_deposit_prevote {
            burn_deposits(state, id)?
        } else {
            refund_deposits(state, id)?
        });
        state.delete(state_key::proposal(id))?;
        state.delete(state_key::deposit_queue(id))?;
        events.push(
            Event::new("inactive_proposal")
                .attr("proposal_id", id)
                .attr("proposal_result", "proposal_dropped"),
        );
    }
    for id in state.queued(state_key::PREFIX_VOTING_QUEUE)? {
        let Some(mut p) = state.proposal(id)? else {
            state.delete(state_key::voting_queue(id))?;
            continue;
        };
        if nanos_of(p.voting_end_time.as_ref()) > now {
            continue;
        }
        let params = state.gov_params()?;
        let outcome = tally_of(state, id, &params.for_proposal(p.expedited))?;
        // An expedited proposal that does not pass becomes a regular one, voted on until the
        // regular voting period from its start ends: its deposits stay (the SDK's EndBlocker).
        let converted = p.expedited && !outcome.passes;
        if !converted {
            events.extend(if outcome.burn_deposits {
                burn_deposits(state, id)?
            } else {
                refund_deposits(state, id)?
            });
        }
        let (result, log) = if converted {
            p.expedited = false;
            p.voting_end_time = Some(crate::keeper::timestamp(
                nanos_of(p.voting_start_time.as_ref()).saturating_add(params.voting_period_nanos),
            ));
            (
                "expedited_proposal_rejected",
                "expedited proposal converted to regular".to_string(),
            )
        } else if outcome.passes {
            match execute(router, state, &p.messages, block) {
                Ok(msg_events) => {
                    events.extend(msg_events);
                    p.status = STATUS_PASSED;
                    ("proposal_passed", String::new())
                }
                Err(e) => {
                    p.status = STATUS_FAILED;
                    p.failed_reason = estuary_sdk::clean_log(&e.to_string());
                    ("proposal_failed", p.failed_reason.clone())
                }
            }
        } else {
            p.status = STATUS_REJECTED;
            ("proposal_rejected", String::new())
        };
        p.final_tally_result = Some(outcome.counts.to_proto());
        state.set_proposal(&p)?;
        // The SDK's tally removes the votes it counts: a converted proposal is voted on afresh.
        state.delete_votes(id)?;
        if !converted {
            state.delete(state_key::voting_queue(id))?;
        }
        let mut event = Event::new("active_proposal")
            .attr("proposal_id", id)
            .attr("proposal_result", result);
        if !log.is_empty() {
            event = event.attr("proposal_log", log);
        }
        events.push(event);
    }
    Ok(events)
}

/// Runs a passed proposal's messages on one overlay, as the gov account: all succeed and their
/// writes land, or none do and the first error is the proposal's failure. A panic in a message
/// is contained like one in a transaction, so a proposal cannot halt the chain.
fn execute(
    router: &ModuleManager,
    state: &mut dyn StateWrite,
    messages: &[cosmrs::proto::Any],
    block: &BlockInfo,
) -> TxResult<Vec<Event>> {
    let signers = [gov_authority()];
    let mut overlay = TxOverlay::new(&*state, GasMeter::infinite());
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut events = Vec::new();
        for (index, m) in messages.iter().enumerate() {
            let any = Any {
                type_url: m.type_url.clone(),
                value: m.value.clone(),
            };
            let decoded = decode_proposal_msg(&any, router)?;
            let mut ctx = TxContext::new(&mut overlay, &signers, block);
            decoded.msg.execute(&mut ctx).map_err(|e| {
                TxError::InvalidRequest(format!("message {index} ({}): {e}", any.type_url))
            })?;
            events.extend(ctx.events);
        }
        Ok(events)
    }))
    .unwrap_or(Err(TxError::Panic));
    let events = ran?;
    let (writes, _) = overlay.into_parts();
    writes.write_into(state)?;
    Ok(events)
}
