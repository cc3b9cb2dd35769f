//! ICS-20 rate limits, with ibc-go v11's rate-limiting middleware semantics and wire types: per
//! denom and channel, a send that would take the window's net outflow past `max_percent_send` of
//! the channel value (the denom's supply at the window's start) is refused in the transaction; a
//! receive past `max_percent_recv` is answered with an error acknowledgement, so its sender is
//! refunded. A send later refunded (error ack, timeout) in the same window gives its amount
//! back. Windows are `duration_hours` long, counted on an hourly epoch; denylisted denoms never
//! cross, allowlisted sender/receiver pairs are never limited (both from genesis). The limits
//! are set by the chain's authority (`MsgAddRateLimit`, … — a governance proposal).

mod flow;
mod msgs;
mod query;
mod state;
pub mod types;

pub use flow::{Direction, Limit};
pub use msgs::{
    MSG_ADD_RATE_LIMIT, MSG_REMOVE_RATE_LIMIT, MSG_RESET_RATE_LIMIT, MSG_UPDATE_RATE_LIMIT,
};
pub use state::RateLimitReader;

use estuary_bank::BankReader;
use estuary_sdk::store::{StateRead, StateWrite};
use estuary_sdk::{Any, BlockInfo, Component, Denom, Event, TxResult};
use serde::{Deserialize, Serialize};

use crate::ics20::voucher_denom;
use crate::transfer::{hop_prefix, TransferError};
use flow::ERR_DENOM_BLACKLISTED;
use state::{HourEpoch, RateLimitKeeper};

const HOUR_NANOS: i128 = 3_600_000_000_000;

/// The rate limiter's slice of genesis: limits (a flow and channel value of their own, or
/// fresh when left out), denylisted denoms and allowlisted sender/receiver pairs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitGenesis {
    pub rate_limits: Vec<GenesisRateLimit>,
    pub blacklisted_denoms: Vec<String>,
    pub whitelisted_address_pairs: Vec<GenesisAddressPair>,
    /// Sends counted in their window, `channel/sequence/denom` (ibc-go's form).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending_send_packet_sequence_numbers: Vec<String>,
    /// The hour epoch of an exported chain (a new chain starts its own at its first block).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hour_epoch: Option<GenesisHourEpoch>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisHourEpoch {
    pub epoch_number: u64,
    /// Nanoseconds since the Unix epoch, as a decimal string.
    pub epoch_start_time: String,
    pub epoch_start_height: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisRateLimit {
    pub denom: String,
    pub channel_or_client_id: String,
    pub max_percent_send: String,
    pub max_percent_recv: String,
    pub duration_hours: u64,
    #[serde(default)]
    pub inflow: String,
    #[serde(default)]
    pub outflow: String,
    #[serde(default)]
    pub channel_value: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAddressPair {
    pub sender: String,
    pub receiver: String,
}

fn invalid(e: impl std::fmt::Display) -> estuary_sdk::TxError {
    estuary_sdk::TxError::InvalidRequest(format!("ratelimit genesis: {e}"))
}

#[derive(Default)]
pub struct RateLimiting;

impl Component for RateLimiting {
    type Genesis = RateLimitGenesis;

    fn name(&self) -> &'static str {
        "ratelimit"
    }

    fn init_genesis(&self, state: &mut dyn StateWrite, g: &RateLimitGenesis) -> TxResult {
        for r in &g.rate_limits {
            let proto = types::RateLimit {
                path: Some(types::Path {
                    denom: r.denom.clone(),
                    channel_or_client_id: r.channel_or_client_id.clone(),
                }),
                quota: Some(types::Quota {
                    max_percent_send: r.max_percent_send.clone(),
                    max_percent_recv: r.max_percent_recv.clone(),
                    duration_hours: r.duration_hours,
                }),
                flow: Some(types::Flow {
                    inflow: r.inflow.clone(),
                    outflow: r.outflow.clone(),
                    channel_value: r.channel_value.clone(),
                }),
            };
            let mut limit = Limit::from_proto(&proto).map_err(invalid)?;
            msgs::check_path(&limit.denom, &limit.channel).map_err(invalid)?;
            if limit.duration_hours == 0 {
                return Err(invalid("duration can not be zero"));
            }
            if r.channel_value.is_empty() {
                limit.channel_value = channel_value(state, &limit.denom)?;
            }
            state.set_rate_limit(&limit)?;
        }
        for denom in &g.blacklisted_denoms {
            if denom.is_empty() || denom.contains('\0') {
                return Err(invalid(format!("blacklisted denom {denom:?}")));
            }
            state.blacklist(denom)?;
        }
        for id in &g.pending_send_packet_sequence_numbers {
            let mut parts = id.splitn(3, '/');
            let (Some(channel), Some(seq), Some(denom)) =
                (parts.next(), parts.next(), parts.next())
            else {
                return Err(invalid(format!(
                    "pending packet {id:?} is not channel/sequence/denom"
                )));
            };
            let seq: u64 = seq
                .parse()
                .map_err(|_| invalid(format!("pending packet {id:?}")))?;
            msgs::check_path(denom, channel).map_err(invalid)?;
            state.set_pending_send(channel, denom, seq)?;
        }
        if let Some(e) = &g.hour_epoch {
            state.set_hour_epoch(&HourEpoch {
                number: e.epoch_number,
                start_unix_nanos: e
                    .epoch_start_time
                    .parse()
                    .map_err(|_| invalid("hour_epoch.epoch_start_time is not nanoseconds"))?,
                start_height: e.epoch_start_height,
            })?;
        }
        for p in &g.whitelisted_address_pairs {
            if p.sender.contains('\0') || p.receiver.contains('\0') {
                return Err(invalid("an allowlisted address holds NUL"));
            }
            state.whitelist(&types::WhitelistedAddressPair {
                sender: p.sender.clone(),
                receiver: p.receiver.clone(),
            })?;
        }
        Ok(())
    }

    fn export_genesis(&self, state: &dyn StateRead) -> TxResult<RateLimitGenesis> {
        let mut rate_limits = Vec::new();
        for r in state.rate_limits()? {
            let l = Limit::from_proto(&r).map_err(estuary_sdk::TxError::Internal)?;
            rate_limits.push(GenesisRateLimit {
                denom: l.denom,
                channel_or_client_id: l.channel,
                max_percent_send: l.max_percent_send.to_string(),
                max_percent_recv: l.max_percent_recv.to_string(),
                duration_hours: l.duration_hours,
                inflow: l.inflow.to_string(),
                outflow: l.outflow.to_string(),
                channel_value: l.channel_value.to_string(),
            });
        }
        Ok(RateLimitGenesis {
            rate_limits,
            blacklisted_denoms: state.blacklisted()?,
            whitelisted_address_pairs: state
                .whitelisted()?
                .into_iter()
                .map(|p| GenesisAddressPair {
                    sender: p.sender,
                    receiver: p.receiver,
                })
                .collect(),
            pending_send_packet_sequence_numbers: state.pending_sends()?,
            hour_epoch: state.hour_epoch()?.map(|e| GenesisHourEpoch {
                epoch_number: e.number,
                epoch_start_time: e.start_unix_nanos.to_string(),
                epoch_start_height: e.start_height,
            }),
        })
    }

    /// ibc-go's `BeginBlocker`: on each new hour of the epoch, the limits whose window ends then
    /// start a new one.
    fn begin_block(&self, state: &mut dyn StateWrite, block: &BlockInfo) -> TxResult<Vec<Event>> {
        let now = block.time_unix_nanos;
        let Some(mut epoch) = state.hour_epoch()? else {
            // First block: the epoch number is the hour of the day, started on the hour.
            let start = now.div_euclid(HOUR_NANOS).saturating_mul(HOUR_NANOS);
            let hour = u64::try_from(now.div_euclid(HOUR_NANOS).rem_euclid(24)).unwrap_or(0);
            state.set_hour_epoch(&HourEpoch {
                number: hour,
                start_unix_nanos: start,
                start_height: block.height,
            })?;
            return Ok(Vec::new());
        };
        let end = epoch.start_unix_nanos.saturating_add(HOUR_NANOS);
        if now <= end {
            return Ok(Vec::new());
        }
        epoch.number = epoch.number.saturating_add(1);
        epoch.start_unix_nanos = end;
        epoch.start_height = block.height;
        state.set_hour_epoch(&epoch)?;
        for r in state.rate_limits()? {
            let Ok(limit) = Limit::from_proto(&r) else {
                continue;
            };
            if epoch.number.checked_rem(limit.duration_hours) != Some(0) {
                continue;
            }
            reset(state, &limit.channel, &limit.denom)?;
        }
        Ok(Vec::new())
    }

    fn msg_type_urls(&self) -> &'static [&'static str] {
        msgs::ALL
    }

    fn decode_msg(&self, msg: &Any) -> TxResult<Box<dyn estuary_sdk::Msg>> {
        msgs::decode(msg)
    }

    fn register_queries(&self, registry: &mut estuary_sdk::query::QueryRegistry) {
        query::register(registry)
    }
}

/// The channel value of `denom`: its supply now.
fn channel_value(state: &dyn StateRead, denom: &str) -> TxResult<u128> {
    match Denom::new(denom) {
        Ok(d) => state.supply(&d),
        Err(_) => Ok(0),
    }
}

/// A new window for one limit: flows zeroed, the channel value re-read, pending sends forgotten.
fn reset(state: &mut dyn StateWrite, channel: &str, denom: &str) -> TxResult<bool> {
    let Some(mut limit) = state.rate_limit(channel, denom)? else {
        return Ok(false);
    };
    limit.inflow = 0;
    limit.outflow = 0;
    limit.channel_value = channel_value(state, denom)?;
    state.set_rate_limit(&limit)?;
    state.remove_pending_sends(channel, denom)?;
    Ok(true)
}

/// What a packet moves, as the rate limiter counts it.
pub struct PacketFlow<'a> {
    /// This chain's channel: the source of a send, the destination of a receive.
    pub channel: &'a str,
    /// The local denom the tokens are (or become) here.
    pub denom: String,
    pub amount: u128,
    pub sender: &'a str,
    pub receiver: &'a str,
}

/// The local denom a sent packet's tokens are (ibc-go's `ParseDenomFromSendPacket`).
pub fn send_denom(full_denom: &str) -> String {
    voucher_denom(full_denom)
}

/// The local denom a received packet's tokens become (ibc-go's `ParseDenomFromRecvPacket`).
pub fn recv_denom(
    packet_denom: &str,
    (src_port, src_channel): (&str, &str),
    (dst_port, dst_channel): (&str, &str),
) -> String {
    match packet_denom.strip_prefix(&hop_prefix(src_port, src_channel)) {
        Some(home) => voucher_denom(home),
        None => voucher_denom(&format!(
            "{}{packet_denom}",
            hop_prefix(dst_port, dst_channel)
        )),
    }
}

/// The limit a packet is counted against, updated, or `None` when none applies; a denylisted
/// denom is refused, exceeding the quota is refused.
fn counted(
    state: &dyn StateRead,
    direction: Direction,
    f: &PacketFlow<'_>,
) -> Result<Option<Limit>, TransferError> {
    if state.is_blacklisted(&f.denom)? {
        return Err(TransferError::RateLimited {
            code: ERR_DENOM_BLACKLISTED,
            log: format!("denom {} is blacklisted: denom is blacklisted", f.denom),
        });
    }
    let Some(mut limit) = state.rate_limit(f.channel, &f.denom)? else {
        return Ok(None);
    };
    if state.is_whitelisted(f.sender, f.receiver)? {
        return Ok(None);
    }
    limit.update_flow(direction, f.amount)?;
    Ok(Some(limit))
}

/// Before a packet is sent (in the sending transaction): refuses it, or counts it and records
/// it as sent in this window.
pub fn on_send(
    state: &mut dyn StateWrite,
    f: &PacketFlow<'_>,
    sequence: u64,
) -> Result<(), TransferError> {
    if let Some(limit) = counted(state, Direction::Send, f)? {
        state.set_rate_limit(&limit)?;
        state.set_pending_send(f.channel, &f.denom, sequence)?;
    }
    Ok(())
}

/// For a received packet: the limit with the inflow counted (for [`commit_recv`] once the
/// tokens are credited), or the refusal that becomes its error acknowledgement.
pub fn check_recv(
    state: &dyn StateRead,
    f: &PacketFlow<'_>,
) -> Result<Option<Limit>, TransferError> {
    counted(state, Direction::Recv, f)
}

pub fn commit_recv(state: &mut dyn StateWrite, limit: Option<Limit>) -> Result<(), TransferError> {
    if let Some(limit) = limit {
        state.set_rate_limit(&limit)?;
    }
    Ok(())
}

/// A sent packet's end: acknowledged with success it stays counted; refunded (error ack or
/// timeout) in the window it was sent in, its amount leaves the outflow.
pub fn on_send_finished(
    state: &mut dyn StateWrite,
    f: &PacketFlow<'_>,
    sequence: u64,
    refunded: bool,
) -> Result<(), TransferError> {
    let pending = state.is_pending_send(f.channel, &f.denom, sequence)?;
    if !pending {
        return Ok(());
    }
    if refunded {
        if let Some(mut limit) = state.rate_limit(f.channel, &f.denom)? {
            limit.outflow = limit.outflow.saturating_sub(f.amount);
            state.set_rate_limit(&limit)?;
        }
    }
    state.remove_pending_send(f.channel, &f.denom, sequence)?;
    Ok(())
}
