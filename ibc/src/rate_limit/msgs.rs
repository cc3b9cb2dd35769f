//! `MsgAddRateLimit`, `MsgUpdateRateLimit`, `MsgRemoveRateLimit`, `MsgResetRateLimit`: the chain's
//! authority manages limits (a governance proposal; the genesis admin until it hands over), with
//! ibc-go's checks and codes.

use estuary_sdk::{Address, Any, Event, Msg, Signers, TxContext, TxError, TxResult};
use serde_json::Value;

use super::flow::{
    percent, Limit, ERR_ALREADY_EXISTS, ERR_CHANNEL_NOT_FOUND, ERR_NOT_FOUND,
    ERR_ZERO_CHANNEL_VALUE,
};
use super::state::{RateLimitKeeper, RateLimitReader};
use super::types::{MsgAddRateLimit, MsgRemoveRateLimit};
use super::{channel_value, reset};

pub const MSG_ADD_RATE_LIMIT: &str = "/ibc.applications.rate_limiting.v1.MsgAddRateLimit";
pub const MSG_UPDATE_RATE_LIMIT: &str = "/ibc.applications.rate_limiting.v1.MsgUpdateRateLimit";
pub const MSG_REMOVE_RATE_LIMIT: &str = "/ibc.applications.rate_limiting.v1.MsgRemoveRateLimit";
pub const MSG_RESET_RATE_LIMIT: &str = "/ibc.applications.rate_limiting.v1.MsgResetRateLimit";

pub const ALL: &[&str] = &[
    MSG_ADD_RATE_LIMIT,
    MSG_UPDATE_RATE_LIMIT,
    MSG_REMOVE_RATE_LIMIT,
    MSG_RESET_RATE_LIMIT,
];

fn err(code: u32, log: impl Into<String>) -> TxError {
    TxError::Module {
        codespace: "ratelimit",
        code,
        log: log.into(),
    }
}

/// ibc-go's checks of a limit's path: a denom, and `channel-N` or a client id.
pub fn check_path(denom: &str, channel: &str) -> Result<(), String> {
    if denom.is_empty() || denom.contains('\0') {
        return Err(format!("invalid denom ({denom})"));
    }
    let is_channel = channel
        .strip_prefix("channel-")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let is_client = channel
        .parse::<ibc_core::host::types::identifiers::ClientId>()
        .is_ok();
    if !is_channel && !is_client {
        return Err(format!(
            "invalid channel or client-id ({channel}), must be of the format 'channel-{{N}}' or a valid client-id"
        ));
    }
    Ok(())
}

enum Action {
    Add(Limit),
    Update(Limit),
    Remove,
    Reset,
}

pub struct RateLimitMsg {
    signer: Address,
    denom: String,
    channel: String,
    action: Action,
    amino: Value,
    signers: Signers,
}

fn quota(m: &MsgAddRateLimit) -> TxResult<Limit> {
    let bad = |e: String| TxError::InvalidRequest(e);
    let send = percent(&m.max_percent_send, "max-percent-send").map_err(bad)?;
    let recv = percent(&m.max_percent_recv, "max-percent-recv").map_err(bad)?;
    if send == 0 && recv == 0 {
        return Err(TxError::InvalidRequest(
            "either the max send or max receive threshold must be greater than 0".into(),
        ));
    }
    if m.duration_hours == 0 {
        return Err(TxError::InvalidRequest("duration can not be zero".into()));
    }
    Ok(Limit {
        denom: m.denom.clone(),
        channel: m.channel_or_client_id.clone(),
        max_percent_send: send,
        max_percent_recv: recv,
        duration_hours: m.duration_hours,
        inflow: 0,
        outflow: 0,
        channel_value: 0,
    })
}

/// Amino JSON (`ratelimit/Msg…`): amino omits empty fields; integers as strings.
fn amino(name: &str, fields: &[(&str, String)]) -> Value {
    let mut value = serde_json::Map::new();
    for (k, v) in fields {
        if !v.is_empty() && v != "0" {
            value.insert((*k).into(), v.clone().into());
        }
    }
    estuary_sdk::amino::msg(name, Value::Object(value))
}

pub fn decode(msg: &Any) -> TxResult<Box<dyn Msg>> {
    let (signer, denom, channel, action, amino) = match msg.type_url.as_str() {
        MSG_ADD_RATE_LIMIT | MSG_UPDATE_RATE_LIMIT => {
            let m: MsgAddRateLimit =
                estuary_sdk::proto::decode_strict(&msg.value, "MsgAddRateLimit")?;
            let limit = quota(&m)?;
            let (name, action) = if msg.type_url == MSG_ADD_RATE_LIMIT {
                ("ratelimit/MsgAddRateLimit", Action::Add(limit))
            } else {
                ("ratelimit/MsgUpdateRateLimit", Action::Update(limit))
            };
            let amino = amino(
                name,
                &[
                    ("signer", m.signer.clone()),
                    ("denom", m.denom.clone()),
                    ("channel_or_client_id", m.channel_or_client_id.clone()),
                    ("max_percent_send", m.max_percent_send.clone()),
                    ("max_percent_recv", m.max_percent_recv.clone()),
                    ("duration_hours", m.duration_hours.to_string()),
                ],
            );
            (m.signer, m.denom, m.channel_or_client_id, action, amino)
        }
        MSG_REMOVE_RATE_LIMIT | MSG_RESET_RATE_LIMIT => {
            let m: MsgRemoveRateLimit =
                estuary_sdk::proto::decode_strict(&msg.value, "MsgRemoveRateLimit")?;
            let (name, action) = if msg.type_url == MSG_REMOVE_RATE_LIMIT {
                ("ratelimit/MsgRemoveRateLimit", Action::Remove)
            } else {
                ("ratelimit/MsgResetRateLimit", Action::Reset)
            };
            let amino = amino(
                name,
                &[
                    ("signer", m.signer.clone()),
                    ("denom", m.denom.clone()),
                    ("channel_or_client_id", m.channel_or_client_id.clone()),
                ],
            );
            (m.signer, m.denom, m.channel_or_client_id, action, amino)
        }
        other => {
            return Err(TxError::UnknownRequest(format!(
                "unrecognized message type: {other}"
            )))
        }
    };
    let signer = Address::parse(&signer)?;
    check_path(&denom, &channel).map_err(TxError::InvalidRequest)?;
    Ok(Box::new(RateLimitMsg {
        signer,
        denom,
        channel,
        action,
        amino,
        signers: Signers::one(signer),
    }))
}

/// Whether `id` names a transfer channel or a client of this chain.
fn path_exists(ctx: &TxContext<'_>, id: &str) -> bool {
    crate::query::channel_end(ctx.state(), crate::ics20::PORT, id).is_ok()
        || crate::query::identified_client(ctx.state(), id).is_ok()
}

impl Msg for RateLimitMsg {
    fn signers(&self) -> &Signers {
        &self.signers
    }

    fn execute(&self, ctx: &mut TxContext<'_>) -> TxResult {
        estuary_validators::ensure_authority(ctx, &self.signer, "manage IBC rate limits")?;
        let (denom, channel) = (self.denom.as_str(), self.channel.as_str());
        let existing = ctx.state().rate_limit(channel, denom)?;
        let kind = match &self.action {
            Action::Add(limit) => {
                let value = channel_value(ctx.state(), denom)?;
                if value == 0 {
                    return Err(err(
                        ERR_ZERO_CHANNEL_VALUE,
                        format!("{denom} has no supply: channel value is zero"),
                    ));
                }
                if existing.is_some() {
                    return Err(err(
                        ERR_ALREADY_EXISTS,
                        format!("{denom} on {channel}: ratelimit key duplicated"),
                    ));
                }
                if !path_exists(ctx, channel) {
                    return Err(err(
                        ERR_CHANNEL_NOT_FOUND,
                        format!("{channel}: channel does not exist"),
                    ));
                }
                let mut limit = limit.clone();
                limit.channel_value = value;
                ctx.state.set_rate_limit(&limit)?;
                "add_rate_limit"
            }
            Action::Update(limit) => {
                if existing.is_none() {
                    return Err(err(
                        ERR_NOT_FOUND,
                        format!("{denom} on {channel}: rate limit not found"),
                    ));
                }
                let mut limit = limit.clone();
                limit.channel_value = channel_value(ctx.state(), denom)?;
                ctx.state.set_rate_limit(&limit)?;
                "update_rate_limit"
            }
            Action::Remove => {
                if existing.is_none() {
                    return Err(err(
                        ERR_NOT_FOUND,
                        format!("{denom} on {channel}: rate limit not found"),
                    ));
                }
                ctx.state.remove_rate_limit(channel, denom)?;
                "remove_rate_limit"
            }
            Action::Reset => {
                if !reset(ctx.state, channel, denom)? {
                    return Err(err(
                        ERR_NOT_FOUND,
                        format!("{denom} on {channel}: rate limit not found"),
                    ));
                }
                "reset_rate_limit"
            }
        };
        ctx.emit(
            Event::new(kind)
                .attr("denom", denom)
                .attr("channel_or_client", channel),
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
