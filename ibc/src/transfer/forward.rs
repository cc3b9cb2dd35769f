//! Estuary as a hop of a multi-hop transfer: ibc-go's packet-forward middleware, same memo
//! (`{"forward":{"receiver","port","channel","timeout","retries","next"}}`), same intermediate
//! account and the same promise — the packet that arrives is acknowledged only when the one it
//! is forwarded as is: success passes the success on; an error or a timeout (after `retries`
//! resends) undoes the receive here and answers the original packet with an error
//! acknowledgement, so its sender is refunded on its own chain, exactly once.

use borsh::{BorshDeserialize, BorshSerialize};
use estuary_bank::BankKeeper;
use estuary_sdk::store::{StateReadExt, StateWrite, StateWriteExt};
use estuary_sdk::{Address, Amount, Coin, Denom, TxResult};
use ibc_core::channel::types::packet::Packet;
use ibc_core::channel::types::timeout::{TimeoutHeight, TimeoutTimestamp};
use ibc_core::client::types::Height;
use ibc_core::host::types::identifiers::{ChannelId, PortId, Sequence};
use ibc_core::primitives::Timestamp;
use sha2::{Digest, Sha256};

use super::error::TransferError;
use super::hop_prefix;
use super::state::{set_channel_escrow, TransferReader};
use crate::ics20::{escrow_address, PacketData};

/// ibc-go's middleware module name (its spelling), hashed into the intermediate accounts.
const MODULE_NAME: &str = "packetfowardmiddleware";
/// ibc-go's defaults: 28,800 s to the next hop, 3 resends after a timeout.
pub const DEFAULT_TIMEOUT_NS: u64 = 28_800 * 1_000_000_000;
pub const DEFAULT_RETRIES: u8 = 3;

/// The `forward` object of a packet's memo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forward {
    pub receiver: String,
    pub port: String,
    pub channel: String,
    pub timeout_ns: u64,
    pub retries: u8,
    /// The memo of the next hop's packet (`next`, as JSON text).
    pub next: String,
}

fn bad(why: impl Into<String>) -> TransferError {
    TransferError::InvalidMemo(format!("packet-forward metadata: {}", why.into()))
}

/// A Go duration (`"10m"`, `"1h30m"`, `"5s"`, `"250ms"`) or a number of nanoseconds.
fn duration_ns(v: &serde_json::Value) -> Result<u64, TransferError> {
    if let Some(n) = v.as_u64() {
        return Ok(n);
    }
    let s = v
        .as_str()
        .ok_or_else(|| bad("timeout is neither a duration nor a number"))?;
    let mut total: u64 = 0;
    let mut rest = s;
    if rest.is_empty() {
        return Err(bad("empty timeout"));
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (num, tail) = rest.split_at(digits);
        let n: u64 = num.parse().map_err(|_| bad(format!("timeout {s:?}")))?;
        let unit_len = tail.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
        let (unit, tail) = tail.split_at(unit_len);
        let scale: u64 = match unit {
            "h" => 3_600_000_000_000,
            "m" => 60_000_000_000,
            "s" => 1_000_000_000,
            "ms" => 1_000_000,
            "us" | "µs" => 1_000,
            "ns" => 1,
            _ => return Err(bad(format!("timeout {s:?}"))),
        };
        total = n
            .checked_mul(scale)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(|| bad(format!("timeout {s:?} is too long")))?;
        rest = tail;
    }
    Ok(total)
}

/// The forward instruction a memo carries, if any; a malformed one is refused (the packet gets
/// an error acknowledgement, as ibc-go's middleware gives it).
pub fn parse(memo: &str) -> Result<Option<Forward>, TransferError> {
    if memo.trim().is_empty() {
        return Ok(None);
    }
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(memo) else {
        return Ok(None);
    };
    let Some(f) = map.get("forward") else {
        return Ok(None);
    };
    let f = f
        .as_object()
        .ok_or_else(|| bad("forward is not an object"))?;
    let text = |k: &str| -> Result<String, TransferError> {
        match f.get(k).and_then(|v| v.as_str()) {
            Some(s) if !s.trim().is_empty() => Ok(s.to_string()),
            _ => Err(bad(format!("{k} is missing"))),
        }
    };
    let timeout_ns = match f.get("timeout") {
        None => DEFAULT_TIMEOUT_NS,
        Some(v) => duration_ns(v)?,
    };
    let retries = match f.get("retries") {
        None => DEFAULT_RETRIES,
        Some(v) => v
            .as_u64()
            .and_then(|n| u8::try_from(n).ok())
            .ok_or_else(|| bad("retries is not a number below 256"))?,
    };
    let next = match f.get("next") {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    };
    Ok(Some(Forward {
        receiver: text("receiver")?,
        port: text("port")?,
        channel: text("channel")?,
        timeout_ns,
        retries,
        next,
    }))
}

/// The account that holds forwarded tokens between the hops: ibc-go's
/// `GetReceiver(channel, originalSender)` (the arrival channel here and the original sender).
pub fn intermediate_account(arrival_channel: &str, original_sender: &str) -> Address {
    let typ: [u8; 32] = Sha256::digest(MODULE_NAME.as_bytes()).into();
    let mut h = Sha256::new();
    h.update(typ);
    h.update(format!("{arrival_channel}/{original_sender}").as_bytes());
    let full: [u8; 32] = h.finalize().into();
    let mut out = [0u8; 20];
    out.iter_mut().zip(full).for_each(|(o, b)| *o = b);
    Address(out)
}

/// A forwarded packet waiting for the next hop's acknowledgement.
#[derive(Clone, Debug, BorshSerialize, BorshDeserialize)]
pub struct InFlight {
    // The packet that arrived (to acknowledge, or to undo).
    pub seq: u64,
    pub port_a: String,
    pub chan_a: String,
    pub port_b: String,
    pub chan_b: String,
    pub data: Vec<u8>,
    pub timeout_revision: u64,
    pub timeout_height: u64,
    pub timeout_ns: u64,
    // What was forwarded, to resend after a timeout.
    pub intermediate: [u8; 20],
    pub local_denom: String,
    pub amount: Amount,
    pub receiver: String,
    pub next_memo: String,
    pub retries_left: u8,
    pub hop_timeout_ns: u64,
}

impl InFlight {
    pub fn arrived(&self) -> Result<Packet, TransferError> {
        let id = |s: &str| {
            s.parse::<PortId>()
                .map_err(|e| TransferError::Store(e.to_string()))
        };
        let chan = |s: &str| {
            s.parse::<ChannelId>()
                .map_err(|e| TransferError::Store(e.to_string()))
        };
        Ok(Packet {
            seq_on_a: Sequence::from(self.seq),
            port_id_on_a: id(&self.port_a)?,
            chan_id_on_a: chan(&self.chan_a)?,
            port_id_on_b: id(&self.port_b)?,
            chan_id_on_b: chan(&self.chan_b)?,
            data: self.data.clone(),
            timeout_height_on_b: match self.timeout_height {
                0 => TimeoutHeight::Never,
                h => TimeoutHeight::At(
                    Height::new(self.timeout_revision, h)
                        .map_err(|e| TransferError::Store(e.to_string()))?,
                ),
            },
            timeout_timestamp_on_b: match self.timeout_ns {
                0 => TimeoutTimestamp::Never,
                ns => TimeoutTimestamp::At(Timestamp::from_nanoseconds(ns)),
            },
        })
    }

    pub fn record(
        packet: &Packet,
        f: &Forward,
        intermediate: &Address,
        local_denom: &str,
        amount: Amount,
    ) -> InFlight {
        let (timeout_revision, timeout_height) = match packet.timeout_height_on_b {
            TimeoutHeight::At(h) => (h.revision_number(), h.revision_height()),
            TimeoutHeight::Never => (0, 0),
        };
        InFlight {
            seq: u64::from(packet.seq_on_a),
            port_a: packet.port_id_on_a.to_string(),
            chan_a: packet.chan_id_on_a.to_string(),
            port_b: packet.port_id_on_b.to_string(),
            chan_b: packet.chan_id_on_b.to_string(),
            // The bytes as they came: the sender's commitment is over them (ibc-go v10 on does
            // not sort the JSON keys, so a re-encoding would not match).
            data: packet.data.clone(),
            timeout_revision,
            timeout_height,
            timeout_ns: match packet.timeout_timestamp_on_b {
                TimeoutTimestamp::At(t) => t.nanoseconds(),
                TimeoutTimestamp::Never => 0,
            },
            intermediate: intermediate.0,
            local_denom: local_denom.to_string(),
            amount,
            receiver: f.receiver.clone(),
            next_memo: f.next.clone(),
            retries_left: f.retries,
            hop_timeout_ns: f.timeout_ns,
        }
    }
}

fn in_flight_key(channel: &str, sequence: u64) -> Vec<u8> {
    let mut k = format!("transfer/forward/{channel}/").into_bytes();
    k.extend_from_slice(&sequence.to_be_bytes());
    k
}

pub fn set_in_flight(
    state: &mut dyn StateWrite,
    channel: &str,
    sequence: u64,
    r: &InFlight,
) -> TxResult {
    Ok(state.put(in_flight_key(channel, sequence), r)?)
}

/// The forward waiting on the packet `channel`/`sequence` this chain sent, taken out.
pub fn take_in_flight(
    state: &mut dyn StateWrite,
    channel: &str,
    sequence: u64,
) -> TxResult<Option<InFlight>> {
    let key = in_flight_key(channel, sequence);
    let r: Option<InFlight> = state.get(&key)?;
    if r.is_some() {
        state.delete(key)?;
    }
    Ok(r)
}

/// The local denom the tokens of an arrived packet became, and whether they came home (escrow
/// was released) rather than being minted.
pub fn arrival_denom(packet: &Packet, data: &PacketData) -> (String, bool) {
    let came_home = data.denom.starts_with(&hop_prefix(
        packet.port_id_on_a.as_str(),
        packet.chan_id_on_a.as_str(),
    ));
    let local = crate::rate_limit::recv_denom(
        &data.denom,
        (packet.port_id_on_a.as_str(), packet.chan_id_on_a.as_str()),
        (packet.port_id_on_b.as_str(), packet.chan_id_on_b.as_str()),
    );
    (local, came_home)
}

/// Undoes an arrived packet's credit to the intermediate account (which holds the tokens again):
/// vouchers minted are burnt, escrow released is taken back into escrow. After it the chain is
/// as if the packet had never been received, and its error ack refunds the original sender.
pub fn undo_arrival(state: &mut dyn StateWrite, r: &InFlight) -> Result<(), TransferError> {
    let packet = r.arrived()?;
    let data = PacketData::from_bytes(&r.data).map_err(|e| TransferError::Store(e.to_string()))?;
    let (local, came_home) = arrival_denom(&packet, &data);
    let coin = Coin {
        denom: Denom::new(local).map_err(|e| TransferError::InvalidDenom(e.to_string()))?,
        amount: r.amount,
    };
    let holder = Address(r.intermediate);
    if came_home {
        let source = hop_prefix(&r.port_a, &r.chan_a);
        let full = data
            .denom
            .strip_prefix(&source)
            .unwrap_or(&data.denom)
            .to_string();
        let held = state.channel_escrow(&r.port_b, &r.chan_b, &full)?;
        let total = held
            .checked_add(r.amount)
            .ok_or_else(|| TransferError::InvalidAmount(r.amount.to_string()))?;
        state.send(
            &holder,
            &Address(escrow_address(&r.port_b, &r.chan_b)),
            std::slice::from_ref(&coin),
        )?;
        set_channel_escrow(state, &r.port_b, &r.chan_b, &full, total)?;
    } else {
        state.burn(&holder, std::slice::from_ref(&coin))?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn memos_parse_as_ibc_go_reads_them() {
        let f = parse(r#"{"forward":{"receiver":"r","port":"transfer","channel":"channel-1","timeout":"1h30m","retries":2,"next":{"forward":{"receiver":"x","port":"transfer","channel":"channel-9"}}}}"#)
            .unwrap()
            .unwrap();
        assert_eq!(f.timeout_ns, 5_400 * 1_000_000_000);
        assert_eq!(f.retries, 2);
        assert!(f.next.contains("channel-9"));
        assert_eq!(parse("a plain memo").unwrap(), None);
        assert_eq!(parse(r#"{"wasm":{}}"#).unwrap(), None);
        assert!(parse(r#"{"forward":{"receiver":"r","port":"transfer"}}"#).is_err());
        assert!(parse(
            r#"{"forward":{"receiver":"r","port":"transfer","channel":"c","timeout":"5x"}}"#
        )
        .is_err());
        let d = parse(r#"{"forward":{"receiver":"r","port":"transfer","channel":"c"}}"#)
            .unwrap()
            .unwrap();
        assert_eq!(
            (d.timeout_ns, d.retries),
            (DEFAULT_TIMEOUT_NS, DEFAULT_RETRIES)
        );
    }

    proptest::proptest! {
        /// A memo is whatever a sender wrote: it parses or is refused, never a panic.
        #[test]
        fn any_memo_parses_or_is_refused(memo in ".{0,200}", t in proptest::prelude::any::<u64>()) {
            let _ = parse(&memo);
            let _ = parse(&format!(r#"{{"forward":{{"receiver":"r","port":"p","channel":"c","timeout":{t},"retries":{t}}}}}"#));
            let _ = parse(&format!(r#"{{"forward":{{"receiver":"r","port":"p","channel":"c","timeout":"{memo}"}}}}"#));
        }
    }

    #[test]
    fn durations_and_accounts() {
        assert_eq!(
            duration_ns(&serde_json::json!("250ms")).unwrap(),
            250_000_000
        );
        assert_eq!(duration_ns(&serde_json::json!(7)).unwrap(), 7);
        assert!(duration_ns(&serde_json::json!("99999999999999h")).is_err());
        assert_ne!(
            intermediate_account("channel-0", "a"),
            intermediate_account("channel-1", "a")
        );
    }
}
