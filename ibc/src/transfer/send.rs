//! `MsgTransfer`: take the tokens (escrow or burn), then send the packet through ibc-rs's core.

use std::cell::RefCell;
use std::rc::Rc;

use estuary_bank::BankKeeper;
use estuary_sdk::store::StateWrite;
use estuary_sdk::{Address, Any, Coin, Denom, Event, TxContext, TxError, TxResult};
use ibc_core::channel::handler::{send_packet_execute, send_packet_validate};
use ibc_core::channel::types::packet::Packet;
use ibc_core::channel::types::timeout::{TimeoutHeight, TimeoutTimestamp};
use ibc_core::client::types::Height;
use ibc_core::host::types::identifiers::{ChannelId, PortId};
use ibc_core::host::types::path::{ChannelEndPath, SeqSendPath};
use ibc_core::host::ValidationContext;
use ibc_core::primitives::Timestamp;
use ibc_proto::ibc::applications::transfer::v1::MsgTransfer;

use super::error::TransferError;
use super::hop_prefix;
use super::module::parse_amount;
use super::state::{set_channel_escrow, TransferReader};
use crate::context::{HostInfo, IbcContext};
use crate::ics20::{escrow_address, PacketData};

pub const MSG_TRANSFER: &str = "/ibc.applications.transfer.v1.MsgTransfer";

pub fn decode(msg: &Any) -> TxResult<MsgTransfer> {
    estuary_sdk::proto::decode_strict(&msg.value, "MsgTransfer")
}

/// `MsgTransfer` as amino JSON (`cosmos-sdk/MsgTransfer`), as ibc-go and cosmjs write it: the
/// token and the timeout height always present (a zero height is `{}`), a zero timestamp and an
/// empty memo left out, zero height fields left out.
pub fn transfer_amino_json(m: &MsgTransfer) -> TxResult<serde_json::Value> {
    let mut value = serde_json::Map::new();
    let mut put = |k: &str, v: serde_json::Value| {
        value.insert(k.to_string(), v);
    };
    let nonzero = |n: u64| (n != 0).then(|| serde_json::Value::String(n.to_string()));
    if !m.source_port.is_empty() {
        put("source_port", m.source_port.clone().into());
    }
    if !m.source_channel.is_empty() {
        put("source_channel", m.source_channel.clone().into());
    }
    let token = m.token.clone().unwrap_or_default();
    put(
        "token",
        serde_json::json!({"amount": token.amount, "denom": token.denom}),
    );
    if !m.sender.is_empty() {
        put("sender", m.sender.clone().into());
    }
    if !m.receiver.is_empty() {
        put("receiver", m.receiver.clone().into());
    }
    let h = m.timeout_height.unwrap_or_default();
    let mut height = serde_json::Map::new();
    if let Some(v) = nonzero(h.revision_height) {
        height.insert("revision_height".into(), v);
    }
    if let Some(v) = nonzero(h.revision_number) {
        height.insert("revision_number".into(), v);
    }
    put("timeout_height", serde_json::Value::Object(height));
    if let Some(v) = nonzero(m.timeout_timestamp) {
        put("timeout_timestamp", v);
    }
    if !m.memo.is_empty() {
        put("memo", m.memo.clone().into());
    }
    Ok(estuary_sdk::amino::msg(
        "cosmos-sdk/MsgTransfer",
        serde_json::Value::Object(value),
    ))
}

fn transfer_err(e: TransferError) -> TxError {
    match e {
        TransferError::Store(m) => TxError::Internal(m),
        TransferError::RateLimited { code, log } => TxError::Module {
            codespace: "ratelimit",
            code,
            log,
        },
        other => TxError::Module {
            codespace: "transfer",
            code: other.code(),
            log: other.to_string(),
        },
    }
}

/// The full trace of a local denom: `ibc/HASH` is looked up, anything else is native.
fn full_denom(state: &dyn StateWrite, denom: &str) -> Result<String, TransferError> {
    match denom.strip_prefix("ibc/") {
        Some(hash) => state
            .denom_trace(hash)?
            .map(|t| t.full())
            .ok_or_else(|| TransferError::UnknownTrace(denom.to_string())),
        None => Ok(denom.to_string()),
    }
}

pub fn deliver_transfer(ctx: &mut TxContext<'_>, m: &MsgTransfer, host: HostInfo) -> TxResult {
    if !host.params.send_enabled {
        return Err(transfer_err(TransferError::SendDisabled));
    }
    let sender = Address::parse(&m.sender)?;
    if !ctx.is_signer(&sender) {
        return Err(TxError::Unauthorized(format!(
            "{sender} did not sign this transaction"
        )));
    }
    if m.receiver.trim().is_empty() || m.receiver.len() > crate::ics20::MAX_RECEIVER_BYTES {
        return Err(transfer_err(TransferError::InvalidReceiver(
            m.receiver.chars().take(64).collect(),
        )));
    }
    if m.memo.len() > crate::ics20::MAX_MEMO_BYTES {
        return Err(transfer_err(TransferError::InvalidMemo(format!(
            "memo must not exceed {} bytes, got {}",
            crate::ics20::MAX_MEMO_BYTES,
            m.memo.len()
        ))));
    }
    let token = m
        .token
        .clone()
        .ok_or_else(|| TxError::InvalidCoins("no token".into()))?;
    let amount = parse_amount(&token.amount).map_err(transfer_err)?;
    let coin = Coin {
        denom: Denom::new(token.denom.clone())?,
        amount,
    };
    let port =
        PortId::new(m.source_port.clone()).map_err(|e| TxError::InvalidRequest(e.to_string()))?;
    let channel = ChannelId::new(parse_channel_number(&m.source_channel)?);
    let timeout_height = match &m.timeout_height {
        Some(h) if h.revision_height > 0 => TimeoutHeight::At(
            Height::new(h.revision_number, h.revision_height)
                .map_err(|e| TxError::InvalidRequest(e.to_string()))?,
        ),
        _ => TimeoutHeight::Never,
    };
    let events = {
        let state: &mut (dyn StateWrite + '_) = &mut *ctx.state;
        let shared = Rc::new(RefCell::new(state));
        send_packet_from(
            shared,
            host,
            &Outgoing {
                sender,
                coin,
                port: &port,
                channel: &channel,
                receiver: &m.receiver,
                sender_text: &m.sender,
                memo: &m.memo,
                timeout_height,
                timeout_timestamp_ns: m.timeout_timestamp,
            },
        )?
        .1
    };
    for e in events {
        ctx.emit(e);
    }
    Ok(())
}

/// A transfer about to leave this chain: from a user (`MsgTransfer`) or forwarded by the
/// packet-forward logic from its intermediate account.
pub(crate) struct Outgoing<'x> {
    pub sender: Address,
    pub coin: Coin,
    pub port: &'x PortId,
    pub channel: &'x ChannelId,
    pub receiver: &'x str,
    /// The sender as the packet names it.
    pub sender_text: &'x str,
    pub memo: &'x str,
    pub timeout_height: TimeoutHeight,
    pub timeout_timestamp_ns: u64,
}

/// Takes the tokens (escrow or burn), counts them for the rate limiter and sends the packet
/// through ibc-rs's core; the sequence it got and the events. Every check that can refuse runs
/// before the first write.
pub(crate) fn send_packet_from(
    shared: crate::context::SharedState<'_>,
    host: HostInfo,
    out: &Outgoing<'_>,
) -> TxResult<(u64, Vec<Event>)> {
    let (port, channel, coin) = (out.port, out.channel, &out.coin);
    let mut ibc = IbcContext::new(shared.clone(), host);
    let chan_end = ibc
        .channel_end(&ChannelEndPath::new(port, channel))
        .map_err(|e| TxError::InvalidRequest(e.to_string()))?;
    let cp_port = chan_end.counterparty().port_id().clone();
    let cp_chan = chan_end
        .counterparty()
        .channel_id()
        .cloned()
        .ok_or_else(|| {
            TxError::InvalidRequest(format!("channel {channel} has no counterparty yet"))
        })?;
    let sequence = ibc
        .get_next_sequence_send(&SeqSendPath::new(port, channel))
        .map_err(|e| TxError::InvalidRequest(e.to_string()))?;
    let full = full_denom(&**shared.borrow(), coin.denom.as_str()).map_err(transfer_err)?;
    let data = PacketData {
        amount: coin.amount.to_string(),
        denom: full.clone(),
        memo: out.memo.to_string(),
        receiver: out.receiver.to_string(),
        sender: out.sender_text.to_string(),
    };
    let timeout_timestamp = match out.timeout_timestamp_ns {
        0 => TimeoutTimestamp::Never,
        ns => TimeoutTimestamp::At(Timestamp::from_nanoseconds(ns)),
    };
    let packet = Packet {
        seq_on_a: sequence,
        port_id_on_a: port.clone(),
        chan_id_on_a: channel.clone(),
        port_id_on_b: cp_port,
        chan_id_on_b: cp_chan,
        data: data.to_bytes(),
        timeout_height_on_b: out.timeout_height,
        timeout_timestamp_on_b: timeout_timestamp,
    };
    let core_err = |e: ibc_core::channel::types::error::ChannelError| TxError::Module {
        codespace: "ibc",
        code: 1,
        log: e.to_string(),
    };
    send_packet_validate(&ibc, &packet).map_err(core_err)?;
    // The rate limiter (ibc-go's middleware sits in the same place: before the packet goes
    // out): refused past the quota, counted otherwise.
    crate::rate_limit::on_send(
        &mut **shared.borrow_mut(),
        &crate::rate_limit::PacketFlow {
            channel: channel.as_str(),
            denom: crate::rate_limit::send_denom(&full),
            amount: coin.amount,
            sender: out.sender_text,
            receiver: out.receiver,
        },
        u64::from(sequence),
    )
    .map_err(transfer_err)?;
    take_tokens(
        &mut **shared.borrow_mut(),
        &out.sender,
        coin,
        &full,
        port.as_str(),
        channel.as_str(),
    )
    .map_err(transfer_err)?;
    send_packet_execute(&mut ibc, packet).map_err(core_err)?;
    if let Some(e) = ibc.store_error.take() {
        return Err(e.into());
    }
    let mut events: Vec<Event> = std::mem::take(&mut ibc.events)
        .into_iter()
        .filter_map(crate::handler::to_event)
        .collect();
    events.push(
        Event::new("ibc_transfer")
            .attr("sender", &data.sender)
            .attr("receiver", &data.receiver)
            .attr("amount", &data.amount)
            .attr("denom", &data.denom)
            .attr("memo", &data.memo),
    );
    events.push(Event::new("message").attr("module", "transfer"));
    Ok((u64::from(sequence), events))
}

fn parse_channel_number(id: &str) -> TxResult<u64> {
    id.strip_prefix("channel-")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| TxError::InvalidRequest(format!("{id:?} is not a channel id (channel-N)")))
}

/// Escrows native tokens (and counts them against the channel), or burns returning vouchers.
fn take_tokens(
    state: &mut dyn StateWrite,
    sender: &Address,
    coin: &Coin,
    full: &str,
    port: &str,
    channel: &str,
) -> Result<(), TransferError> {
    if full.starts_with(&hop_prefix(port, channel)) {
        state.burn(sender, std::slice::from_ref(coin))?;
        return Ok(());
    }
    let held = state.channel_escrow(port, channel, full)?;
    let total = held
        .checked_add(coin.amount)
        .ok_or_else(|| TransferError::InvalidAmount(coin.amount.to_string()))?;
    state.send(
        sender,
        &Address(escrow_address(port, channel)),
        std::slice::from_ref(coin),
    )?;
    set_channel_escrow(state, port, channel, full, total)?;
    Ok(())
}
