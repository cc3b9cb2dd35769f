//! `cosmos.gov.v1.Query`: proposals (filtered by status, voter, depositor; paged), votes,
//! deposits, the tally (live during voting, final after) and the parameters.

use cosmrs::proto::cosmos::gov::v1 as pb;
use estuary_sdk::page::paginate;
use estuary_sdk::query::{QueryContext, QueryRegistry};
use estuary_sdk::store::StateRead;
use estuary_sdk::{Address, TxError, TxResult};
use prost::Message;

use crate::keeper::{GovReader, STATUS_VOTING};
use crate::state_key;

pub fn register(registry: &mut QueryRegistry) {
    registry
        .register(proposal)
        .register(proposals)
        .register(vote)
        .register(votes)
        .register(deposit)
        .register(deposits)
        .register(tally_result)
        .register(params);
}

fn proposal(
    ctx: &QueryContext<'_>,
    req: pb::QueryProposalRequest,
) -> TxResult<pb::QueryProposalResponse> {
    if req.proposal_id == 0 {
        return Err(TxError::InvalidRequest("proposal id can not be 0".into()));
    }
    let p = found(ctx.state, req.proposal_id)?;
    Ok(pb::QueryProposalResponse { proposal: Some(p) })
}

/// Proposal `id`, or gRPC's not-found (what simd answers over REST as 404).
fn found(state: &dyn StateRead, id: u64) -> TxResult<pb::Proposal> {
    state
        .proposal(id)?
        .ok_or_else(|| TxError::NotFound(format!("proposal {id} doesn't exist")))
}

fn optional_address(s: &str) -> TxResult<Option<Address>> {
    match s {
        "" => Ok(None),
        s => Address::parse(s).map(Some),
    }
}

fn proposals(
    ctx: &QueryContext<'_>,
    req: pb::QueryProposalsRequest,
) -> TxResult<pb::QueryProposalsResponse> {
    let state = ctx.state;
    let voter = optional_address(&req.voter)?;
    let depositor = optional_address(&req.depositor)?;
    let (list, page) = paginate(
        state,
        state_key::PREFIX_PROPOSAL,
        req.pagination.as_ref().map(Into::into).as_ref(),
        |_, bytes| {
            let p = pb::Proposal::decode(bytes.as_slice())
                .map_err(|e| TxError::Internal(format!("corrupt proposal: {e}")))?;
            if req.proposal_status != 0 && p.status != req.proposal_status {
                return Ok(None);
            }
            if let Some(v) = &voter {
                if state.vote_of(p.id, v)?.is_none() {
                    return Ok(None);
                }
            }
            if let Some(d) = &depositor {
                if state.deposit_of(p.id, d)?.is_none() {
                    return Ok(None);
                }
            }
            Ok(Some(p))
        },
    )?;
    Ok(pb::QueryProposalsResponse {
        proposals: list,
        pagination: Some(page.into()),
    })
}

fn vote(ctx: &QueryContext<'_>, req: pb::QueryVoteRequest) -> TxResult<pb::QueryVoteResponse> {
    let voter = Address::parse(&req.voter)?;
    let v = ctx.state.vote_of(req.proposal_id, &voter)?.ok_or_else(|| {
        TxError::NotFound(format!(
            "voter: {voter} not found for proposal: {}",
            req.proposal_id
        ))
    })?;
    Ok(pb::QueryVoteResponse { vote: Some(v) })
}

fn decoded_page<M: Message + Default>(
    state: &dyn StateRead,
    prefix: &[u8],
    pagination: Option<&cosmrs::proto::cosmos::base::query::v1beta1::PageRequest>,
) -> TxResult<(
    Vec<M>,
    cosmrs::proto::cosmos::base::query::v1beta1::PageResponse,
)> {
    let (list, page) = paginate(
        state,
        prefix,
        pagination.map(Into::into).as_ref(),
        |_, bytes| {
            M::decode(bytes.as_slice())
                .map(Some)
                .map_err(|e| TxError::Internal(format!("corrupt gov entry: {e}")))
        },
    )?;
    Ok((list, page.into()))
}

fn votes(ctx: &QueryContext<'_>, req: pb::QueryVotesRequest) -> TxResult<pb::QueryVotesResponse> {
    let (votes, page) = decoded_page(
        ctx.state,
        &state_key::votes_of(req.proposal_id),
        req.pagination.as_ref(),
    )?;
    Ok(pb::QueryVotesResponse {
        votes,
        pagination: Some(page),
    })
}

fn deposit(
    ctx: &QueryContext<'_>,
    req: pb::QueryDepositRequest,
) -> TxResult<pb::QueryDepositResponse> {
    let depositor = Address::parse(&req.depositor)?;
    let d = ctx
        .state
        .deposit_of(req.proposal_id, &depositor)?
        .ok_or_else(|| {
            TxError::NotFound(format!(
                "depositor: {depositor} not found for proposal: {}",
                req.proposal_id
            ))
        })?;
    Ok(pb::QueryDepositResponse { deposit: Some(d) })
}

fn deposits(
    ctx: &QueryContext<'_>,
    req: pb::QueryDepositsRequest,
) -> TxResult<pb::QueryDepositsResponse> {
    let (deposits, page) = decoded_page(
        ctx.state,
        &state_key::deposits_of(req.proposal_id),
        req.pagination.as_ref(),
    )?;
    Ok(pb::QueryDepositsResponse {
        deposits,
        pagination: Some(page),
    })
}

/// During voting, the tally if voting ended now; after it, the final tally.
fn tally_result(
    ctx: &QueryContext<'_>,
    req: pb::QueryTallyResultRequest,
) -> TxResult<pb::QueryTallyResultResponse> {
    let p = found(ctx.state, req.proposal_id)?;
    let tally = if p.status == STATUS_VOTING {
        let params = ctx.state.gov_params()?.for_proposal(p.expedited);
        crate::lifecycle::tally_of(ctx.state, p.id, &params)?
            .counts
            .to_proto()
    } else {
        p.final_tally_result.unwrap_or_default()
    };
    Ok(pb::QueryTallyResultResponse { tally: Some(tally) })
}

/// The parameters, and the deprecated split form `params_type` names ("voting", "deposit",
/// "tallying"), as the SDK answers: the other split forms unset, an unknown type refused.
#[allow(deprecated)] // the split forms: deprecated, still filled by the SDK
fn params(
    ctx: &QueryContext<'_>,
    req: pb::QueryParamsRequest,
) -> TxResult<pb::QueryParamsResponse> {
    let p = ctx.state.gov_params_proto()?;
    let mut out = pb::QueryParamsResponse::default();
    match req.params_type.as_str() {
        "" => {}
        "voting" => {
            out.voting_params = Some(pb::VotingParams {
                voting_period: p.voting_period,
            })
        }
        "deposit" => {
            out.deposit_params = Some(pb::DepositParams {
                min_deposit: p.min_deposit.clone(),
                max_deposit_period: p.max_deposit_period,
            })
        }
        "tallying" => {
            out.tally_params = Some(pb::TallyParams {
                quorum: p.quorum.clone(),
                threshold: p.threshold.clone(),
                veto_threshold: p.veto_threshold.clone(),
            })
        }
        other => {
            return Err(TxError::InvalidRequest(format!(
                "unknown params type: {other}"
            )))
        }
    }
    out.params = Some(p);
    Ok(out)
}
