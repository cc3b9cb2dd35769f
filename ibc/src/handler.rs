//! Runs IBC core messages (ICS-02 clients, ICS-03 connections, ICS-04 channels and packets)
//! through ibc-rs's `dispatch` on the transaction's state.

use ibc_core::handler::types::error::HandlerError;
use std::cell::RefCell;
use std::rc::Rc;

use estuary_sdk::{Address, Any, Event, Msg, Signers, TxContext, TxError, TxResult};
use ibc_core::channel::types::msgs::{ChannelMsg, PacketMsg};
use ibc_core::client::types::msgs::ClientMsg;
use ibc_core::connection::types::msgs::ConnectionMsg;
use ibc_core::handler::types::msgs::MsgEnvelope;
use ibc_core::host::types::identifiers::ChainId;
use ibc_core::primitives::Signer;

use crate::context::{HostInfo, IbcContext};
use crate::router::IbcRouter;

/// The IBC core messages this chain accepts, by their ibc-go type URLs.
pub const MSG_TYPE_URLS: &[&str] = &[
    "/ibc.core.client.v1.MsgCreateClient",
    "/ibc.core.client.v1.MsgUpdateClient",
    "/ibc.core.client.v1.MsgUpgradeClient",
    "/ibc.core.client.v1.MsgSubmitMisbehaviour",
    "/ibc.core.client.v1.MsgRecoverClient",
    crate::client_upgrade::MSG_IBC_SOFTWARE_UPGRADE,
    "/ibc.core.connection.v1.MsgConnectionOpenInit",
    "/ibc.core.connection.v1.MsgConnectionOpenTry",
    "/ibc.core.connection.v1.MsgConnectionOpenAck",
    "/ibc.core.connection.v1.MsgConnectionOpenConfirm",
    "/ibc.core.channel.v1.MsgChannelOpenInit",
    "/ibc.core.channel.v1.MsgChannelOpenTry",
    "/ibc.core.channel.v1.MsgChannelOpenAck",
    "/ibc.core.channel.v1.MsgChannelOpenConfirm",
    "/ibc.core.channel.v1.MsgChannelCloseInit",
    "/ibc.core.channel.v1.MsgChannelCloseConfirm",
    "/ibc.core.channel.v1.MsgRecvPacket",
    "/ibc.core.channel.v1.MsgAcknowledgement",
    "/ibc.core.channel.v1.MsgTimeout",
    "/ibc.core.channel.v1.MsgTimeoutOnClose",
];

/// The ibc codespace of ibc-go's errors is per submodule; ours is one, "ibc".
const CODESPACE: &str = "ibc";

pub(crate) fn decode(msg: &Any) -> TxResult<MsgEnvelope> {
    crate::validate::check_message(msg)?;
    // ibc-rs has the handler but its envelope does not decode this one type URL.
    if msg.type_url == ibc_core::client::types::msgs::RECOVER_CLIENT_TYPE_URL {
        let raw: ibc_proto::ibc::core::client::v1::MsgRecoverClient =
            estuary_sdk::proto::decode_strict(&msg.value, "MsgRecoverClient")?;
        let m = ibc_core::client::types::msgs::MsgRecoverClient::try_from(raw)
            .map_err(|e| TxError::Decode(format!("{}: {e}", msg.type_url)))?;
        return Ok(MsgEnvelope::Client(ClientMsg::RecoverClient(m)));
    }
    let any = ibc_core::primitives::proto::Any {
        type_url: msg.type_url.clone(),
        value: msg.value.clone(),
    };
    MsgEnvelope::try_from(any).map_err(|e| TxError::Decode(format!("{}: {e}", msg.type_url)))
}

fn signer_of(envelope: &MsgEnvelope) -> &Signer {
    match envelope {
        MsgEnvelope::Client(m) => match m {
            ClientMsg::CreateClient(m) => &m.signer,
            ClientMsg::UpdateClient(m) => &m.signer,
            #[allow(deprecated)]
            ClientMsg::Misbehaviour(m) => &m.signer,
            ClientMsg::UpgradeClient(m) => &m.signer,
            ClientMsg::RecoverClient(m) => &m.signer,
        },
        MsgEnvelope::Connection(m) => match m {
            ConnectionMsg::OpenInit(m) => &m.signer,
            ConnectionMsg::OpenTry(m) => &m.signer,
            ConnectionMsg::OpenAck(m) => &m.signer,
            ConnectionMsg::OpenConfirm(m) => &m.signer,
        },
        MsgEnvelope::Channel(m) => match m {
            ChannelMsg::OpenInit(m) => &m.signer,
            ChannelMsg::OpenTry(m) => &m.signer,
            ChannelMsg::OpenAck(m) => &m.signer,
            ChannelMsg::OpenConfirm(m) => &m.signer,
            ChannelMsg::CloseInit(m) => &m.signer,
            ChannelMsg::CloseConfirm(m) => &m.signer,
        },
        MsgEnvelope::Packet(m) => match m {
            PacketMsg::Recv(m) => &m.signer,
            PacketMsg::Ack(m) => &m.signer,
            PacketMsg::Timeout(m) => &m.signer,
            PacketMsg::TimeoutOnClose(m) => &m.signer,
        },
    }
}

/// An IBC core message, decoded once into ibc-rs's envelope (which validates its fields).
pub struct CoreMsg {
    type_url: String,
    envelope: MsgEnvelope,
    signers: Signers,
}

impl CoreMsg {
    pub fn envelope(&self) -> &MsgEnvelope {
        &self.envelope
    }
}

pub fn decode_msg(msg: &Any) -> TxResult<Box<dyn Msg>> {
    if msg.type_url == crate::client_upgrade::MSG_IBC_SOFTWARE_UPGRADE {
        return crate::client_upgrade::decode(msg);
    }
    let envelope = decode(msg)?;
    let signer = Address::parse(signer_of(&envelope).as_ref())?;
    Ok(Box::new(CoreMsg {
        type_url: msg.type_url.clone(),
        envelope,
        signers: Signers::one(signer),
    }))
}

impl Msg for CoreMsg {
    fn signers(&self) -> &Signers {
        &self.signers
    }

    /// Only recovery has an amino form (ibc-go's `cosmos-sdk/MsgRecoverClient`): it is what an
    /// authority signs, possibly a multisig whose members sign amino JSON. Relaying messages are
    /// signed by relayers with SIGN_MODE_DIRECT.
    fn amino_json(&self) -> Option<TxResult<serde_json::Value>> {
        let MsgEnvelope::Client(ClientMsg::RecoverClient(m)) = &self.envelope else {
            return None;
        };
        Some(Ok(estuary_sdk::amino::msg(
            "cosmos-sdk/MsgRecoverClient",
            serde_json::json!({
                "signer": m.signer.as_ref(),
                "subject_client_id": m.subject_client_id.as_str(),
                "substitute_client_id": m.substitute_client_id.as_str(),
            }),
        )))
    }

    fn execute(&self, ctx: &mut TxContext<'_>) -> TxResult {
        if let MsgEnvelope::Client(ClientMsg::RecoverClient(m)) = &self.envelope {
            check_authority(ctx, m.signer.as_ref())?;
        }
        deliver(ctx, &self.type_url, self.envelope.clone())
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Recovering a client rewrites what the chain trusts about its counterparty, so only the
/// chain's authority may (governance, or the genesis admin until it hands its powers over), as
/// ibc-go gates it on the governance module account.
fn check_authority(ctx: &TxContext<'_>, signer: &str) -> TxResult {
    let signer = estuary_sdk::Address::parse(signer)?;
    estuary_validators::ensure_authority(ctx, &signer, "recover a client")
}

/// The revision number of a chain id (`name-N` → N), by ibc-rs's parsing.
pub fn revision_of(chain_id: &str) -> u64 {
    ChainId::new(chain_id)
        .map(|c| c.revision_number())
        .unwrap_or(0)
}

pub fn host_info(ctx: &TxContext<'_>) -> TxResult<HostInfo> {
    let params = crate::component::params(ctx.state())?;
    Ok(HostInfo {
        chain_id: ctx.block.chain_id.clone(),
        revision: revision_of(&ctx.block.chain_id),
        height: ctx.block.height,
        time_unix_nanos: ctx.block.time_unix_nanos,
        params,
        signers: ctx.signers.to_vec(),
    })
}

fn deliver(ctx: &mut TxContext<'_>, type_url: &str, envelope: MsgEnvelope) -> TxResult {
    let is_recv = matches!(envelope, MsgEnvelope::Packet(PacketMsg::Recv(_)));
    let recovered = match &envelope {
        MsgEnvelope::Client(ClientMsg::RecoverClient(m)) => Some(m.subject_client_id.to_string()),
        _ => None,
    };
    let host = host_info(ctx)?;
    let (result, events, store_error) = {
        let state: &mut (dyn estuary_sdk::store::StateWrite + '_) = &mut *ctx.state;
        let shared = Rc::new(RefCell::new(state));
        let mut ibc = IbcContext::new(shared.clone(), host.clone());
        let mut router = IbcRouter::new(shared, host);
        let result = match envelope {
            // ibc-rs's `dispatch` leaves recovery to the host (only governance may ask for it):
            // its handler, run here once the authority has been checked.
            MsgEnvelope::Client(ClientMsg::RecoverClient(m)) => recover_client(&mut ibc, m),
            other => ibc_core::entrypoint::dispatch(&mut ibc, &mut router, other),
        };
        (
            result,
            std::mem::take(&mut ibc.events),
            ibc.store_error.take(),
        )
    };
    if let Some(e) = store_error {
        return Err(e.into());
    }
    // A packet another relayer already received is a no-op, not a failure that would take the
    // rest of this relayer's batch down with it (ibc-go's `ErrNoOpMsg`, returned after the
    // proof verified). ibc-rs treats redundant acks and timeouts so already, but ends a
    // verified redundant receive on an unordered channel with `DuplicateAcknowledgment`, in
    // validation, before anything was written.
    if is_recv
        && matches!(
            result,
            Err(HandlerError::Channel(
                ibc_core::channel::types::error::ChannelError::DuplicateAcknowledgment(_)
            ))
        )
    {
        return Ok(());
    }
    result.map_err(|e| handler_error(type_url, &e))?;
    for event in events.into_iter().filter_map(to_event) {
        ctx.emit(event);
    }
    if let Some(subject) = recovered {
        // ibc-go's event for a recovery (ibc-rs emits none).
        ctx.emit(
            Event::new("recover_client")
                .attr("subject_client_id", subject)
                .attr("client_type", "07-tendermint"),
        );
    }
    Ok(())
}

/// ICS-02 recovery: the subject (expired or frozen) takes the substitute's (active, higher)
/// latest consensus state, trusting period and chain id, after ibc-rs checks that the two
/// clients match in everything else.
fn recover_client(
    ctx: &mut IbcContext<'_>,
    msg: ibc_core::client::types::msgs::MsgRecoverClient,
) -> Result<(), HandlerError> {
    use ibc_core::client::handler::recover_client;
    recover_client::validate(ctx, msg.clone()).map_err(HandlerError::Client)?;
    recover_client::execute(ctx, msg).map_err(HandlerError::Client)
}

/// ibc-rs's error as the transaction's log. A proof above the client's latest height gets
/// ibc-go's code and wording, which relayers recognise: Hermes, simulating the second transaction
/// of a batch whose client update is still in the mempool, falls back on its default gas only
/// when it reads "verification failed" and "client state height < proof height".
fn handler_error(type_url: &str, e: &HandlerError) -> TxError {
    if let Some((latest, proof)) = client_height_too_low(e) {
        let what = type_url.rsplit('.').next().unwrap_or(type_url);
        return TxError::Module {
            codespace: CODESPACE,
            code: 2,
            log: format!(
                "{what} verification failed: client state height < proof height ({latest} < \
                 {proof}), please ensure the client has been updated: invalid height"
            ),
        };
    }
    TxError::Module {
        codespace: CODESPACE,
        code: 1,
        log: e.to_string(),
    }
}

/// `(client's latest height, proof height)` when a proof is above what the client knows.
fn client_height_too_low(
    e: &HandlerError,
) -> Option<(
    ibc_core::client::types::Height,
    ibc_core::client::types::Height,
)> {
    use ibc_core::channel::types::error::ChannelError;
    use ibc_core::client::types::error::ClientError;
    use ibc_core::connection::types::error::ConnectionError;
    let client = match e {
        HandlerError::Client(c)
        | HandlerError::Channel(ChannelError::Client(c))
        | HandlerError::Connection(ConnectionError::Client(c)) => c,
        _ => return None,
    };
    match client {
        ClientError::InsufficientProofHeight { expected, actual } => Some((*actual, *expected)),
        _ => None,
    }
}

/// ibc-rs's event as the ABCI event ibc-go emits (same names and attributes).
pub fn to_event(event: ibc_core::handler::types::events::IbcEvent) -> Option<Event> {
    tendermint::abci::Event::try_from(event).ok().map(from_abci)
}

fn from_abci(e: tendermint::abci::Event) -> Event {
    let mut out = Event::new(e.kind);
    for a in e.attributes {
        let key = a.key_str().unwrap_or_default().to_string();
        let value = a.value_str().unwrap_or_default().to_string();
        out = out.attr(key, value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ibc_core::channel::types::error::ChannelError;
    use ibc_core::client::types::error::ClientError;
    use ibc_core::client::types::Height;

    #[test]
    fn a_proof_above_the_client_reads_as_ibc_go_says_it() {
        let h = |n| Height::new(1, n).unwrap();
        let e = HandlerError::Channel(ChannelError::Client(ClientError::InsufficientProofHeight {
            expected: h(142),
            actual: h(141),
        }));
        let TxError::Module { code, log, .. } =
            handler_error("/ibc.core.channel.v1.MsgRecvPacket", &e)
        else {
            panic!("not a module error");
        };
        assert_eq!(code, 2);
        // What Hermes matches on to fall back on its default gas.
        assert!(log.contains("verification failed"), "{log}");
        assert!(
            log.contains("client state height < proof height (1-141 < 1-142)"),
            "{log}"
        );
        let other = HandlerError::Channel(ChannelError::MissingCounterparty);
        assert!(matches!(
            handler_error("/ibc.core.channel.v1.MsgRecvPacket", &other),
            TxError::Module { code: 1, .. }
        ));
    }
}
