//! `ibc.applications.rate_limiting.v1.Query`, as ibc-go answers it.

use estuary_sdk::page::paginate;
use estuary_sdk::query::{QueryContext, QueryRegistry};
use estuary_sdk::store::StateRead;
use estuary_sdk::{TxError, TxResult};
use ibc_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use prost::Message;

use super::state::{RateLimitReader, PREFIX_BLACKLIST, PREFIX_LIMIT, PREFIX_WHITELIST};
use super::types::*;

pub fn register(registry: &mut QueryRegistry) {
    registry
        .register(all_rate_limits)
        .register(rate_limit)
        .register(by_chain_id)
        .register(by_channel)
        .register(blacklisted)
        .register(whitelisted);
}

/// One page of the limits `keep` accepts.
fn limits_page(
    state: &dyn StateRead,
    page: Option<&PageRequest>,
    keep: impl Fn(&RateLimit) -> bool,
) -> TxResult<(Vec<RateLimit>, Option<PageResponse>)> {
    let (list, out) = paginate(
        state,
        PREFIX_LIMIT.as_bytes(),
        page.map(Into::into).as_ref(),
        |_, v| {
            let r = RateLimit::decode(v.as_slice())
                .map_err(|e| TxError::Internal(format!("corrupt rate limit: {e}")))?;
            Ok(keep(&r).then_some(r))
        },
    )?;
    Ok((list, Some(out.into())))
}

fn all_rate_limits(
    ctx: &QueryContext<'_>,
    req: QueryAllRateLimitsRequest,
) -> TxResult<QueryAllRateLimitsResponse> {
    let (rate_limits, pagination) = limits_page(ctx.state, req.pagination.as_ref(), |_| true)?;
    Ok(QueryAllRateLimitsResponse {
        rate_limits,
        pagination,
    })
}

fn rate_limit(
    ctx: &QueryContext<'_>,
    req: QueryRateLimitRequest,
) -> TxResult<QueryRateLimitResponse> {
    Ok(QueryRateLimitResponse {
        rate_limit: ctx
            .state
            .rate_limit(&req.channel_or_client_id, &req.denom)?
            .map(|l| l.to_proto()),
    })
}

fn channel_of(r: &RateLimit) -> &str {
    r.path
        .as_ref()
        .map_or("", |p| p.channel_or_client_id.as_str())
}

/// The chain a channel (through its connection's client) or a client is of.
fn chain_id_of(state: &dyn StateRead, id: &str) -> Option<String> {
    let client_id = match crate::query::channel_end(state, crate::ics20::PORT, id) {
        Ok(channel) => {
            let connection = channel.connection_hops.first()?;
            crate::query::connection_end(state, connection)
                .ok()?
                .client_id
        }
        Err(_) => id.to_string(),
    };
    let any = crate::query::identified_client(state, &client_id)
        .ok()?
        .client_state?;
    let cs =
        ibc_proto::ibc::lightclients::tendermint::v1::ClientState::decode(any.value.as_slice())
            .ok()?;
    Some(cs.chain_id)
}

fn by_chain_id(
    ctx: &QueryContext<'_>,
    req: QueryRateLimitsByChainIdRequest,
) -> TxResult<QueryRateLimitsByChainIdResponse> {
    if req.chain_id.is_empty() {
        return Err(TxError::InvalidRequest("chain_id cannot be empty".into()));
    }
    let state = ctx.state;
    let (rate_limits, pagination) = limits_page(state, req.pagination.as_ref(), |r| {
        chain_id_of(state, channel_of(r)).as_deref() == Some(req.chain_id.as_str())
    })?;
    Ok(QueryRateLimitsByChainIdResponse {
        rate_limits,
        pagination,
    })
}

fn by_channel(
    ctx: &QueryContext<'_>,
    req: QueryRateLimitsByChannelOrClientIdRequest,
) -> TxResult<QueryRateLimitsByChannelOrClientIdResponse> {
    if req.channel_or_client_id.is_empty() {
        return Err(TxError::InvalidRequest(
            "channel_or_client_id cannot be empty".into(),
        ));
    }
    let (rate_limits, pagination) = limits_page(ctx.state, req.pagination.as_ref(), |r| {
        channel_of(r) == req.channel_or_client_id
    })?;
    Ok(QueryRateLimitsByChannelOrClientIdResponse {
        rate_limits,
        pagination,
    })
}

fn blacklisted(
    ctx: &QueryContext<'_>,
    req: QueryAllBlacklistedDenomsRequest,
) -> TxResult<QueryAllBlacklistedDenomsResponse> {
    let (denoms, out) = paginate(
        ctx.state,
        PREFIX_BLACKLIST.as_bytes(),
        req.pagination.as_ref().map(Into::into).as_ref(),
        |k, _| Ok(Some(String::from_utf8_lossy(k).into_owned())),
    )?;
    Ok(QueryAllBlacklistedDenomsResponse {
        denoms,
        pagination: Some(out.into()),
    })
}

fn whitelisted(
    ctx: &QueryContext<'_>,
    req: QueryAllWhitelistedAddressesRequest,
) -> TxResult<QueryAllWhitelistedAddressesResponse> {
    let (address_pairs, out) = paginate(
        ctx.state,
        PREFIX_WHITELIST.as_bytes(),
        req.pagination.as_ref().map(Into::into).as_ref(),
        |_, v| {
            WhitelistedAddressPair::decode(v.as_slice())
                .map(Some)
                .map_err(|e| TxError::Internal(format!("corrupt allowlist entry: {e}")))
        },
    )?;
    Ok(QueryAllWhitelistedAddressesResponse {
        address_pairs,
        pagination: Some(out.into()),
    })
}
