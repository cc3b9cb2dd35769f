//! Redundant relays, as ibc-go treats them: when several relayers serve one channel, a packet
//! message often arrives after another relayer's copy has been applied. A `MsgRecvPacket` for a
//! packet already received, a `MsgAcknowledgement` or `MsgTimeout` for a packet whose commitment
//! is already gone, is a no-op inside a transaction (success, no state change), so the rest of
//! the batch still runs; and CheckTx refuses a transaction whose packet messages are *all*
//! redundant (ibc-go's `RedundantRelayDecorator`), so no block space or fee is spent on it.

use estuary_sdk::store::{StateRead, Substore};
use estuary_sdk::{DecodedMsg, TxError, TxResult};
use ibc_core::channel::types::msgs::PacketMsg;
use ibc_core::channel::types::packet::Packet;
use ibc_core::handler::types::msgs::MsgEnvelope;
use ibc_core::host::types::path::{CommitmentPath, ReceiptPath};

/// ibc-go's `ErrRedundantTx` (04-channel, code 22), with its codespace and words, which relayers
/// recognise as "another relayer got there first".
pub fn redundant_tx() -> TxError {
    TxError::Module {
        codespace: "channel",
        code: 22,
        log: "packet messages are redundant".into(),
    }
}

fn exists(state: &dyn StateRead, path: String) -> TxResult<bool> {
    Ok(state
        .get_raw(&Substore::Ibc.full_key(path.as_bytes()))?
        .is_some())
}

fn received(state: &dyn StateRead, p: &Packet) -> TxResult<bool> {
    exists(
        state,
        ReceiptPath::new(&p.port_id_on_b, &p.chan_id_on_b, p.seq_on_a).to_string(),
    )
}

fn still_committed(state: &dyn StateRead, p: &Packet) -> TxResult<bool> {
    exists(
        state,
        CommitmentPath::new(&p.port_id_on_a, &p.chan_id_on_a, p.seq_on_a).to_string(),
    )
}

/// `Some(true)` for a packet message another relayer has already delivered, `Some(false)` for
/// one still owed, `None` for a message that is not a packet message.
pub fn is_redundant(state: &dyn StateRead, envelope: &MsgEnvelope) -> TxResult<Option<bool>> {
    let MsgEnvelope::Packet(m) = envelope else {
        return Ok(None);
    };
    Ok(Some(match m {
        PacketMsg::Recv(m) => received(state, &m.packet)?,
        PacketMsg::Ack(m) => !still_committed(state, &m.packet)?,
        PacketMsg::Timeout(m) => !still_committed(state, &m.packet)?,
        PacketMsg::TimeoutOnClose(m) => !still_committed(state, &m.packet)?,
    }))
}

/// The mempool check: refuse a transaction that carries packet messages and nothing but
/// redundant ones (client updates and other messages do not count either way, as in ibc-go).
pub fn check_tx(state: &dyn StateRead, msgs: &[DecodedMsg]) -> TxResult {
    let (mut packets, mut redundant) = (0usize, 0usize);
    for msg in msgs {
        let Some(core) = msg.downcast::<crate::handler::CoreMsg>() else {
            continue;
        };
        if let Some(r) = is_redundant(state, core.envelope())? {
            packets = packets.saturating_add(1);
            redundant = redundant.saturating_add(usize::from(r));
        }
    }
    if packets > 0 && redundant == packets {
        return Err(redundant_tx());
    }
    Ok(())
}
