//! The transfer application's ICS-26 callbacks: channel handshake checks, receive, ack, timeout.

use estuary_bank::BankKeeper;
use estuary_sdk::store::StateWrite;
use estuary_sdk::{Address, Amount, Coin, Denom};
use ibc_core::channel::types::acknowledgement::Acknowledgement;
use ibc_core::channel::types::channel::{Counterparty, Order};
use ibc_core::channel::types::error::ChannelError;
use ibc_core::channel::types::packet::Packet;
use ibc_core::channel::types::Version;
use ibc_core::host::types::identifiers::{ChannelId, ConnectionId, PortId};
use ibc_core::primitives::Signer;
use ibc_core::router::module::Module;
use ibc_core::router::types::event::ModuleEvent;
use ibc_core::router::types::module::ModuleExtras;

use super::error::TransferError;
use super::forward::{self, Forward, InFlight};
use super::hop_prefix;
use super::state::{set_channel_escrow, set_denom_trace, DenomTrace, TransferReader};
use crate::context::{HostInfo, SharedState};
use crate::genesis::IbcParams;
use crate::ics20::{
    error_ack, escrow_address, success_ack, voucher_denom, PacketData, PORT, VERSION,
};
use crate::rate_limit;

pub struct TransferModule<'a> {
    state: SharedState<'a>,
    params: IbcParams,
    /// The block and chain, for the packets this module sends itself (forwarding).
    host: HostInfo,
}

impl std::fmt::Debug for TransferModule<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TransferModule")
    }
}

fn app_err(e: impl ToString) -> ChannelError {
    ChannelError::AppSpecific {
        description: e.to_string(),
    }
}

fn event(kind: &str, attrs: &[(&str, String)]) -> ModuleEvent {
    ModuleEvent {
        kind: kind.into(),
        attributes: attrs.iter().map(|(k, v)| (*k, v.clone()).into()).collect(),
    }
}

/// One of Estuary's events as an ibc-rs module event (for events of packets this module sends or
/// acknowledges itself).
fn to_module_event(e: estuary_sdk::Event) -> ModuleEvent {
    ModuleEvent {
        kind: e.kind,
        attributes: e
            .attributes
            .into_iter()
            .map(|a| (a.key, a.value).into())
            .collect(),
    }
}

fn extras(events: Vec<ModuleEvent>) -> ModuleExtras {
    ModuleExtras {
        events,
        log: Vec::new(),
    }
}

/// ibc-go's deterministic error acknowledgement: only the ABCI code survives.
pub fn deterministic_error_ack(e: &TransferError) -> Vec<u8> {
    error_ack(&format!(
        "ABCI code: {}: error handling packet: see events for details",
        e.code()
    ))
}

/// Parses an amount as ibc-go does (a positive decimal integer) within u128.
pub(super) fn parse_amount(s: &str) -> Result<Amount, TransferError> {
    let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match s.parse::<u128>() {
        Ok(a) if digits && a > 0 => Ok(a),
        _ => Err(TransferError::InvalidAmount(s.to_string())),
    }
}

/// ibc-go's `FungibleTokenPacketData.ValidateBasic`, with the same limits, on every received
/// packet: a counterparty that does not enforce them gets an error acknowledgement, never a
/// 1 MB receiver stored in events or a trace without bound stored forever.
pub(super) fn validate_packet_data(data: &PacketData) -> Result<(), TransferError> {
    use crate::ics20::{MAX_DENOM_BYTES, MAX_MEMO_BYTES, MAX_RECEIVER_BYTES};
    if data.sender.trim().is_empty() {
        return Err(TransferError::InvalidPacketData(
            "sender address cannot be blank".into(),
        ));
    }
    if data.receiver.trim().is_empty() || data.receiver.len() > MAX_RECEIVER_BYTES {
        return Err(TransferError::InvalidReceiver(truncated(&data.receiver)));
    }
    if data.memo.len() > MAX_MEMO_BYTES {
        return Err(TransferError::InvalidMemo(format!(
            "memo must not exceed {MAX_MEMO_BYTES} bytes, got {}",
            data.memo.len()
        )));
    }
    if data.denom.len() > MAX_DENOM_BYTES {
        return Err(TransferError::InvalidDenom(format!(
            "denom trace must not exceed {MAX_DENOM_BYTES} bytes, got {}",
            data.denom.len()
        )));
    }
    if data.denom.trim().is_empty() || data.denom.split('/').any(|part| part.trim().is_empty()) {
        return Err(TransferError::InvalidDenom(truncated(&data.denom)));
    }
    Ok(())
}

/// At most 64 characters of an attacker's string, for an error message.
fn truncated(s: &str) -> String {
    s.chars().take(64).collect()
}

fn local_coin(full_denom: &str, amount: Amount) -> Result<Coin, TransferError> {
    let denom = Denom::new(voucher_denom(full_denom))
        .map_err(|e| TransferError::InvalidDenom(e.to_string()))?;
    Ok(Coin { denom, amount })
}

/// Pays `coin` out of channel `port/channel`'s escrow to `to`, never more than the channel took in.
fn release_escrow(
    state: &mut dyn StateWrite,
    port: &str,
    channel: &str,
    full_denom: &str,
    to: &Address,
    coin: &Coin,
) -> Result<(), TransferError> {
    let held = state.channel_escrow(port, channel, full_denom)?;
    let left = held
        .checked_sub(coin.amount)
        .ok_or_else(|| TransferError::EscrowShort {
            channel: channel.into(),
            denom: full_denom.into(),
            held,
            wanted: coin.amount,
        })?;
    state.send(
        &Address(escrow_address(port, channel)),
        to,
        std::slice::from_ref(coin),
    )?;
    set_channel_escrow(state, port, channel, full_denom, left)?;
    Ok(())
}

impl<'a> TransferModule<'a> {
    pub fn new(state: SharedState<'a>, host: HostInfo) -> Self {
        TransferModule {
            state,
            params: host.params.clone(),
            host,
        }
    }

    fn check_channel(
        order: Order,
        port_id: &PortId,
        version: &Version,
    ) -> Result<Version, ChannelError> {
        if order != Order::Unordered {
            return Err(app_err(format!(
                "ics20 channels must be unordered, not {order}"
            )));
        }
        if port_id.as_str() != PORT {
            return Err(app_err(format!(
                "the transfer app is bound to port {PORT}, not {port_id}"
            )));
        }
        if !version.as_str().is_empty() && version.as_str() != VERSION {
            return Err(app_err(format!("version {version} is not {VERSION}")));
        }
        Ok(Version::new(VERSION.into()))
    }

    /// Credits a received packet: releases escrow when the tokens come home, mints vouchers
    /// otherwise. Every check runs before the first write, so a refusal leaves no trace.
    fn receive(
        &self,
        packet: &Packet,
        data: &PacketData,
    ) -> Result<Vec<ModuleEvent>, TransferError> {
        self.check_receivable(data)?;
        let receiver = Address::parse(&data.receiver)
            .map_err(|_| TransferError::InvalidReceiver(data.receiver.clone()))?;
        let mut guard = self.state.borrow_mut();
        credit(&mut **guard, packet, data, &receiver)
    }

    /// What every arriving packet must pass, whether it stays here or is forwarded: receiving
    /// enabled, and packet data ICS-20 accepts.
    fn check_receivable(&self, data: &PacketData) -> Result<(), TransferError> {
        if !self.params.receive_enabled {
            return Err(TransferError::ReceiveDisabled);
        }
        validate_packet_data(data)
    }
}

/// Credits a received packet's tokens to `receiver`: releases escrow when they come home, mints
/// vouchers otherwise. Every check runs before the first write, so a refusal leaves no trace.
pub(super) fn credit(
    state: &mut dyn StateWrite,
    packet: &Packet,
    data: &PacketData,
    receiver: &Address,
) -> Result<Vec<ModuleEvent>, TransferError> {
    let amount = parse_amount(&data.amount)?;
    let source = hop_prefix(packet.port_id_on_a.as_str(), packet.chan_id_on_a.as_str());
    let (port_b, chan_b) = (packet.port_id_on_b.as_str(), packet.chan_id_on_b.as_str());
    // The rate limiter first (a refusal is this packet's error acknowledgement), its count
    // written only once the tokens are credited.
    let counted = rate_limit::check_recv(
        state,
        &rate_limit::PacketFlow {
            channel: chan_b,
            denom: rate_limit::recv_denom(
                &data.denom,
                (packet.port_id_on_a.as_str(), packet.chan_id_on_a.as_str()),
                (port_b, chan_b),
            ),
            amount,
            sender: &data.sender,
            receiver: &data.receiver,
        },
    )?;
    let mut events = Vec::new();
    if let Some(unprefixed) = data.denom.strip_prefix(&source) {
        // The tokens are coming home: release what this channel holds in escrow.
        let coin = local_coin(unprefixed, amount)?;
        release_escrow(state, port_b, chan_b, unprefixed, receiver, &coin)?;
    } else {
        let prefixed = format!("{}{}", hop_prefix(port_b, chan_b), data.denom);
        let trace = DenomTrace::parse(&prefixed);
        if trace.base_denom.is_empty() {
            return Err(TransferError::InvalidDenom(data.denom.clone()));
        }
        let coin = local_coin(&prefixed, amount)?;
        // Mint first: it is the step that can refuse (supply overflow) and then wrote nothing.
        state.mint(receiver, std::slice::from_ref(&coin))?;
        if state.denom_trace(&trace.hash_hex())?.is_none() {
            set_denom_trace(state, &trace)?;
            events.push(event(
                "denomination_trace",
                &[
                    ("trace_hash", trace.hash_hex()),
                    ("denom", coin.denom.to_string()),
                ],
            ));
        }
    }
    rate_limit::commit_recv(state, counted)?;
    Ok(events)
}

impl<'a> TransferModule<'a> {
    /// Receives a packet to forward into the intermediate account and sends it on, all or
    /// nothing (on an overlay of its own): a refusal of either step leaves no trace and becomes
    /// the packet's error acknowledgement.
    fn forward_arrival(
        &self,
        packet: &Packet,
        data: &PacketData,
        f: &Forward,
    ) -> Result<Vec<ModuleEvent>, TransferError> {
        use estuary_sdk::store::{GasMeter, StateRead, TxOverlay};
        self.check_receivable(data)?;
        let amount = parse_amount(&data.amount)?;
        let intermediate =
            forward::intermediate_account(packet.chan_id_on_b.as_str(), &data.sender);
        let (local, _) = forward::arrival_denom(packet, data);
        let port: PortId = f
            .port
            .parse()
            .map_err(|_| TransferError::InvalidMemo(format!("forward port {:?}", f.port)))?;
        let channel: ChannelId = f
            .channel
            .parse()
            .map_err(|_| TransferError::InvalidMemo(format!("forward channel {:?}", f.channel)))?;
        let now = u64::try_from(self.host.time_unix_nanos).unwrap_or(0);
        let mut guard = self.state.borrow_mut();
        let parent: &dyn StateRead = &**guard;
        let mut overlay = TxOverlay::new(parent, GasMeter::infinite());
        let mut events = credit(&mut overlay, packet, data, &intermediate)?;
        let coin = Coin {
            denom: Denom::new(local.clone())
                .map_err(|e| TransferError::InvalidDenom(e.to_string()))?,
            amount,
        };
        let (sequence, sent) = {
            let shared: SharedState<'_> =
                std::rc::Rc::new(std::cell::RefCell::new(&mut overlay as &mut dyn StateWrite));
            super::send::send_packet_from(
                shared,
                self.host.clone(),
                &super::send::Outgoing {
                    sender: intermediate,
                    coin,
                    port: &port,
                    channel: &channel,
                    receiver: &f.receiver,
                    sender_text: &intermediate.to_bech32(),
                    memo: &f.next,
                    timeout_height: ibc_core::channel::types::timeout::TimeoutHeight::Never,
                    timeout_timestamp_ns: now.saturating_add(f.timeout_ns),
                },
            )
            .map_err(|e| TransferError::Bank(format!("forwarding: {e}")))?
        };
        let record = InFlight::record(packet, f, &intermediate, &local, amount);
        forward::set_in_flight(&mut overlay, channel.as_str(), sequence, &record)?;
        let (writes, _) = overlay.into_parts();
        writes
            .write_into(&mut **guard)
            .map_err(|e| TransferError::Store(e.to_string()))?;
        events.extend(sent.into_iter().map(to_module_event));
        events.push(event(
            "packet_forward",
            &[
                ("intermediate", intermediate.to_bech32()),
                ("channel", channel.to_string()),
                ("sequence", sequence.to_string()),
            ],
        ));
        Ok(events)
    }

    /// The next hop acknowledged a forwarded packet: the packet that arrived is acknowledged
    /// now — with success, or (the next hop refused it, so its tokens are back with the
    /// intermediate account) with an error once the arrival is undone.
    fn forward_finished(
        &self,
        packet: &Packet,
        success: bool,
    ) -> Result<Vec<ModuleEvent>, TransferError> {
        let record = self.take_forward(packet)?;
        let Some(r) = record else {
            return Ok(Vec::new());
        };
        if success {
            return self.acknowledge_arrival(&r, crate::ics20::success_ack());
        }
        self.refuse_arrival(&r)
    }

    /// A forwarded packet timed out: sent again while retries are left, else the arrival is
    /// undone and refused.
    fn forward_timed_out(&self, packet: &Packet) -> Result<Vec<ModuleEvent>, TransferError> {
        let record = self.take_forward(packet)?;
        let Some(mut r) = record else {
            return Ok(Vec::new());
        };
        if r.retries_left == 0 {
            return self.refuse_arrival(&r);
        }
        r.retries_left = r.retries_left.saturating_sub(1);
        let now = u64::try_from(self.host.time_unix_nanos).unwrap_or(0);
        let intermediate = Address(r.intermediate);
        let coin = Coin {
            denom: Denom::new(r.local_denom.clone())
                .map_err(|e| TransferError::InvalidDenom(e.to_string()))?,
            amount: r.amount,
        };
        let resent = super::send::send_packet_from(
            self.state.clone(),
            self.host.clone(),
            &super::send::Outgoing {
                sender: intermediate,
                coin,
                port: &packet.port_id_on_a,
                channel: &packet.chan_id_on_a,
                receiver: &r.receiver,
                sender_text: &intermediate.to_bech32(),
                memo: &r.next_memo,
                timeout_height: ibc_core::channel::types::timeout::TimeoutHeight::Never,
                timeout_timestamp_ns: now.saturating_add(r.hop_timeout_ns),
            },
        );
        match resent {
            Ok((sequence, events)) => {
                let mut guard = self.state.borrow_mut();
                forward::set_in_flight(&mut **guard, packet.chan_id_on_a.as_str(), sequence, &r)?;
                Ok(events.into_iter().map(to_module_event).collect())
            }
            Err(_) => self.refuse_arrival(&r),
        }
    }

    /// The forward waiting on `packet` (one this chain sent), taken out of the store.
    fn take_forward(&self, packet: &Packet) -> Result<Option<InFlight>, TransferError> {
        let mut guard = self.state.borrow_mut();
        Ok(forward::take_in_flight(
            &mut **guard,
            packet.chan_id_on_a.as_str(),
            u64::from(packet.seq_on_a),
        )?)
    }

    fn refuse_arrival(&self, r: &InFlight) -> Result<Vec<ModuleEvent>, TransferError> {
        {
            let mut guard = self.state.borrow_mut();
            forward::undo_arrival(&mut **guard, r)?;
        }
        // ibc-go's middleware answers with a plain error (code 1 in its deterministic form).
        let ack =
            crate::ics20::error_ack("ABCI code: 1: error handling packet: see events for details");
        self.acknowledge_arrival(r, ack)
    }

    /// Writes the acknowledgement of the packet that arrived to be forwarded (an asynchronous
    /// acknowledgement, as ibc-go writes one), with ibc-go's `write_acknowledgement` event.
    fn acknowledge_arrival(
        &self,
        r: &InFlight,
        ack: Vec<u8>,
    ) -> Result<Vec<ModuleEvent>, TransferError> {
        use ibc_core::channel::handler::{
            commit_packet_acknowledgment, emit_packet_acknowledgement_event,
        };
        let arrived = r.arrived()?;
        let ack =
            Acknowledgement::try_from(ack).map_err(|e| TransferError::Store(e.to_string()))?;
        let mut ibc = crate::context::IbcContext::new(self.state.clone(), self.host.clone());
        commit_packet_acknowledgment(&mut ibc, &arrived, &ack)
            .map_err(|e| TransferError::Store(e.to_string()))?;
        emit_packet_acknowledgement_event(&mut ibc, arrived, ack)
            .map_err(|e| TransferError::Store(e.to_string()))?;
        if let Some(e) = ibc.store_error.take() {
            return Err(TransferError::Store(e.to_string()));
        }
        Ok(std::mem::take(&mut ibc.events)
            .into_iter()
            .filter_map(crate::handler::to_event)
            .map(to_module_event)
            .collect())
    }

    /// A sent packet's end for the rate limiter (ibc-go's ack and timeout hooks).
    fn sent_packet_finished(
        &self,
        packet: &Packet,
        data: &PacketData,
        refunded: bool,
    ) -> Result<(), TransferError> {
        let amount = parse_amount(&data.amount)?;
        let mut guard = self.state.borrow_mut();
        rate_limit::on_send_finished(
            &mut **guard,
            &rate_limit::PacketFlow {
                channel: packet.chan_id_on_a.as_str(),
                denom: rate_limit::send_denom(&data.denom),
                amount,
                sender: &data.sender,
                receiver: &data.receiver,
            },
            u64::from(packet.seq_on_a),
            refunded,
        )
    }

    /// Gives the sender back exactly what sending took: escrow released, or vouchers re-minted.
    fn refund(&self, packet: &Packet, data: &PacketData) -> Result<(), TransferError> {
        let amount = parse_amount(&data.amount)?;
        let sender = Address::parse(&data.sender)
            .map_err(|e| TransferError::InvalidPacketData(e.to_string()))?;
        let (port_a, chan_a) = (packet.port_id_on_a.as_str(), packet.chan_id_on_a.as_str());
        let coin = local_coin(&data.denom, amount)?;
        let mut guard = self.state.borrow_mut();
        let state: &mut dyn StateWrite = &mut **guard;
        if data.denom.starts_with(&hop_prefix(port_a, chan_a)) {
            // Vouchers burnt on send come back.
            state.mint(&sender, std::slice::from_ref(&coin))?;
        } else {
            release_escrow(state, port_a, chan_a, &data.denom, &sender, &coin)?;
        }
        Ok(())
    }

    fn packet_event(kind: &str, data: &PacketData, extra: &[(&str, String)]) -> ModuleEvent {
        let mut attrs = vec![
            ("module", "transfer".to_string()),
            ("sender", data.sender.clone()),
            ("receiver", data.receiver.clone()),
            ("denom", data.denom.clone()),
            ("amount", data.amount.clone()),
            ("memo", data.memo.clone()),
        ];
        attrs.extend_from_slice(extra);
        event(kind, &attrs)
    }
}

impl Module for TransferModule<'_> {
    fn on_chan_open_init_validate(
        &self,
        order: Order,
        _: &[ConnectionId],
        port_id: &PortId,
        _: &ChannelId,
        _: &Counterparty,
        version: &Version,
    ) -> Result<Version, ChannelError> {
        Self::check_channel(order, port_id, version)
    }

    fn on_chan_open_init_execute(
        &mut self,
        order: Order,
        _: &[ConnectionId],
        port_id: &PortId,
        _: &ChannelId,
        _: &Counterparty,
        version: &Version,
    ) -> Result<(ModuleExtras, Version), ChannelError> {
        Ok((
            ModuleExtras::empty(),
            Self::check_channel(order, port_id, version)?,
        ))
    }

    fn on_chan_open_try_validate(
        &self,
        order: Order,
        _: &[ConnectionId],
        port_id: &PortId,
        _: &ChannelId,
        _: &Counterparty,
        counterparty_version: &Version,
    ) -> Result<Version, ChannelError> {
        if counterparty_version.as_str() != VERSION {
            return Err(app_err(format!(
                "counterparty version {counterparty_version} is not {VERSION}"
            )));
        }
        Self::check_channel(order, port_id, counterparty_version)
    }

    fn on_chan_open_try_execute(
        &mut self,
        order: Order,
        hops: &[ConnectionId],
        port_id: &PortId,
        chan: &ChannelId,
        cp: &Counterparty,
        counterparty_version: &Version,
    ) -> Result<(ModuleExtras, Version), ChannelError> {
        Ok((
            ModuleExtras::empty(),
            self.on_chan_open_try_validate(order, hops, port_id, chan, cp, counterparty_version)?,
        ))
    }

    fn on_chan_open_ack_validate(
        &self,
        _: &PortId,
        _: &ChannelId,
        counterparty_version: &Version,
    ) -> Result<(), ChannelError> {
        if counterparty_version.as_str() != VERSION {
            return Err(app_err(format!(
                "counterparty version {counterparty_version} is not {VERSION}"
            )));
        }
        Ok(())
    }

    fn on_chan_close_init_validate(&self, _: &PortId, _: &ChannelId) -> Result<(), ChannelError> {
        // As in ibc-go: a transfer channel is never closed by a user, or escrowed funds would be stuck.
        Err(app_err("transfer channels cannot be closed"))
    }

    fn on_recv_packet_execute(
        &mut self,
        packet: &Packet,
        _relayer: &Signer,
    ) -> (ModuleExtras, Option<Acknowledgement>) {
        let data = PacketData::from_bytes(&packet.data)
            .map_err(|e| TransferError::InvalidPacketData(e.to_string()));
        // A packet to forward is received by the intermediate account and sent on; it is
        // acknowledged later, when the next hop's packet is (ibc-go's packet-forward middleware).
        let forwarding = data.as_ref().ok().map(|d| forward::parse(&d.memo));
        if let (Ok(d), Some(Ok(Some(f)))) = (&data, &forwarding) {
            match self.forward_arrival(packet, d, f) {
                Ok(mut events) => {
                    events.insert(
                        0,
                        Self::packet_event(
                            "fungible_token_packet",
                            d,
                            &[("success", "true".into())],
                        ),
                    );
                    return (extras(events), None);
                }
                Err(e) => {
                    let ev = Self::packet_event(
                        "fungible_token_packet",
                        d,
                        &[("success", "false".into()), ("error", e.to_string())],
                    );
                    return (
                        extras(vec![ev]),
                        Acknowledgement::try_from(deterministic_error_ack(&e)).ok(),
                    );
                }
            }
        }
        let outcome = match forwarding {
            Some(Err(e)) => Err(e),
            _ => data
                .as_ref()
                .map_err(|e| TransferError::InvalidPacketData(e.to_string()))
                .and_then(|d| self.receive(packet, d)),
        };
        let (mut events, ack) = match &outcome {
            Ok(events) => (events.clone(), success_ack()),
            Err(e) => (Vec::new(), deterministic_error_ack(e)),
        };
        let success = outcome.is_ok().to_string();
        let mut extra = vec![("success", success)];
        if let Err(e) = &outcome {
            extra.push(("error", e.to_string()));
        }
        let empty = PacketData {
            amount: String::new(),
            denom: String::new(),
            memo: String::new(),
            receiver: String::new(),
            sender: String::new(),
        };
        events.insert(
            0,
            Self::packet_event(
                "fungible_token_packet",
                data.as_ref().unwrap_or(&empty),
                &extra,
            ),
        );
        (extras(events), Acknowledgement::try_from(ack).ok())
    }

    fn on_acknowledgement_packet_validate(
        &self,
        packet: &Packet,
        ack: &Acknowledgement,
        _: &Signer,
    ) -> Result<(), ChannelError> {
        PacketData::from_bytes(&packet.data).map_err(app_err)?;
        serde_json::from_slice::<serde_json::Value>(ack.as_bytes()).map_err(app_err)?;
        Ok(())
    }

    fn on_acknowledgement_packet_execute(
        &mut self,
        packet: &Packet,
        ack: &Acknowledgement,
        _: &Signer,
    ) -> (ModuleExtras, Result<(), ChannelError>) {
        let data = match PacketData::from_bytes(&packet.data) {
            Ok(d) => d,
            Err(e) => return (ModuleExtras::empty(), Err(app_err(e))),
        };
        let parsed: serde_json::Value = serde_json::from_slice(ack.as_bytes()).unwrap_or_default();
        let ack_text = String::from_utf8_lossy(ack.as_bytes()).into_owned();
        let mut events = vec![Self::packet_event(
            "fungible_token_packet",
            &data,
            &[("acknowledgement", ack_text)],
        )];
        let refunded = parsed.get("error").is_some();
        if let Err(e) = self.sent_packet_finished(packet, &data, refunded) {
            return (extras(events), Err(app_err(e)));
        }
        if let Some(err) = parsed.get("error").and_then(|e| e.as_str()) {
            if let Err(e) = self.refund(packet, &data) {
                return (extras(events), Err(app_err(e)));
            }
            events.push(event(
                "fungible_token_packet",
                &[("error", err.to_string())],
            ));
        } else {
            events.push(event(
                "fungible_token_packet",
                &[("success", "\u{1}".to_string())],
            ));
        }
        match self.forward_finished(packet, !refunded) {
            Ok(more) => events.extend(more),
            Err(e) => return (extras(events), Err(app_err(e))),
        }
        (extras(events), Ok(()))
    }

    fn on_timeout_packet_validate(&self, packet: &Packet, _: &Signer) -> Result<(), ChannelError> {
        PacketData::from_bytes(&packet.data)
            .map(|_| ())
            .map_err(app_err)
    }

    fn on_timeout_packet_execute(
        &mut self,
        packet: &Packet,
        _: &Signer,
    ) -> (ModuleExtras, Result<(), ChannelError>) {
        let data = match PacketData::from_bytes(&packet.data) {
            Ok(d) => d,
            Err(e) => return (ModuleExtras::empty(), Err(app_err(e))),
        };
        if let Err(e) = self
            .refund(packet, &data)
            .and_then(|()| self.sent_packet_finished(packet, &data, true))
        {
            return (ModuleExtras::empty(), Err(app_err(e)));
        }
        let forwarded = match self.forward_timed_out(packet) {
            Ok(more) => more,
            Err(e) => return (ModuleExtras::empty(), Err(app_err(e))),
        };
        let ev = event(
            "timeout",
            &[
                ("module", "transfer".into()),
                ("refund_receiver", data.sender.clone()),
                ("refund_denom", data.denom.clone()),
                ("refund_amount", data.amount.clone()),
                ("memo", data.memo.clone()),
            ],
        );
        let mut events = vec![ev];
        events.extend(forwarded);
        (extras(events), Ok(()))
    }
}

#[cfg(test)]
mod limit_tests {
    use super::*;

    fn data(memo: usize, receiver: usize, denom: &str) -> PacketData {
        PacketData {
            amount: "1".into(),
            denom: denom.into(),
            memo: "m".repeat(memo),
            receiver: "r".repeat(receiver),
            sender: "s".into(),
        }
    }

    /// What a counterparty that does not enforce ibc-go's limits may send gets an error
    /// acknowledgement here (the receive path refuses before any write).
    #[test]
    fn received_packets_keep_ibc_gos_limits() {
        assert!(validate_packet_data(&data(32_768, 2_048, "transfer/channel-0/stake")).is_ok());
        assert!(matches!(
            validate_packet_data(&data(32_769, 10, "stake")),
            Err(TransferError::InvalidMemo(_))
        ));
        let long = validate_packet_data(&data(0, 2_049, "stake")).unwrap_err();
        assert!(matches!(long, TransferError::InvalidReceiver(_)));
        assert!(long.to_string().len() < 120, "the error does not echo 2 KB");
        assert!(matches!(
            validate_packet_data(&data(0, 10, &"d".repeat(2_049))),
            Err(TransferError::InvalidDenom(_))
        ));
        for bad in ["", "transfer//stake", "transfer/channel-0/", " "] {
            assert!(validate_packet_data(&data(0, 10, bad)).is_err(), "{bad:?}");
        }
        let mut blank_sender = data(0, 10, "stake");
        blank_sender.sender = " ".into();
        assert!(validate_packet_data(&blank_sender).is_err());
    }
}
