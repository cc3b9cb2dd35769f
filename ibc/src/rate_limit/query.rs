//! `ibc.applications.rate_limiting.v1.Query`, as ibc-go v11 answers it: whole lists, no pages
//! (what they list is set by the chain's authority, so they stay short).

use estuary_sdk::query::{QueryContext, QueryRegistry};
use estuary_sdk::store::StateRead;
use estuary_sdk::{TxError, TxResult};
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

/// Every entry under `prefix`, as `item` reads it (from the key after the prefix and the value);
/// `None` leaves it out.
fn all_under<T>(
    state: &dyn StateRead,
    prefix: &str,
    item: impl Fn(&[u8], &[u8]) -> TxResult<Option<T>>,
) -> TxResult<Vec<T>> {
    let mut out = Vec::new();
    for (k, v) in state.prefix_raw(prefix.as_bytes())? {
        if let Some(t) = item(k.get(prefix.len()..).unwrap_or_default(), &v)? {
            out.push(t);
        }
    }
    Ok(out)
}

/// The limits `keep` accepts.
fn limits(state: &dyn StateRead, keep: impl Fn(&RateLimit) -> bool) -> TxResult<Vec<RateLimit>> {
    all_under(state, PREFIX_LIMIT, |_, v| {
        let r = RateLimit::decode(v)
            .map_err(|e| TxError::Internal(format!("corrupt rate limit: {e}")))?;
        Ok(keep(&r).then_some(r))
    })
}

fn all_rate_limits(
    ctx: &QueryContext<'_>,
    _req: QueryAllRateLimitsRequest,
) -> TxResult<QueryAllRateLimitsResponse> {
    Ok(QueryAllRateLimitsResponse {
        rate_limits: limits(ctx.state, |_| true)?,
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
    Ok(QueryRateLimitsByChainIdResponse {
        rate_limits: limits(state, |r| {
            chain_id_of(state, channel_of(r)).as_deref() == Some(req.chain_id.as_str())
        })?,
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
    Ok(QueryRateLimitsByChannelOrClientIdResponse {
        rate_limits: limits(ctx.state, |r| channel_of(r) == req.channel_or_client_id)?,
    })
}

fn blacklisted(
    ctx: &QueryContext<'_>,
    _req: QueryAllBlacklistedDenomsRequest,
) -> TxResult<QueryAllBlacklistedDenomsResponse> {
    Ok(QueryAllBlacklistedDenomsResponse {
        denoms: all_under(ctx.state, PREFIX_BLACKLIST, |k, _| {
            Ok(Some(String::from_utf8_lossy(k).into_owned()))
        })?,
    })
}

fn whitelisted(
    ctx: &QueryContext<'_>,
    _req: QueryAllWhitelistedAddressesRequest,
) -> TxResult<QueryAllWhitelistedAddressesResponse> {
    Ok(QueryAllWhitelistedAddressesResponse {
        address_pairs: all_under(ctx.state, PREFIX_WHITELIST, |_, v| {
            WhitelistedAddressPair::decode(v)
                .map(Some)
                .map_err(|e| TxError::Internal(format!("corrupt allowlist entry: {e}")))
        })?,
    })
}
