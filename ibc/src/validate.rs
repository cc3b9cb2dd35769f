//! Stateless checks of IBC messages, run before ibc-rs sees them (the SDK's `ValidateBasic` plus
//! its strict decoding): each message's bytes must be the canonical encoding of its ibc-go type,
//! with no field this chain does not know, and so must the Tendermint client states, consensus
//! states and headers they carry in `Any`s. A Tendermint client state's trust level must lie in
//! [1/3, 1] — checked here with widened arithmetic, because the libraries below compute
//! `3 * numerator` in u64, which a crafted value overflows.

use estuary_sdk::proto::decode_strict;
use estuary_sdk::{Any, TxError, TxResult};
use ibc_proto::ibc::applications::transfer::v1 as transfer;
use ibc_proto::ibc::core::channel::v1 as channel;
use ibc_proto::ibc::core::client::v1 as client;
use ibc_proto::ibc::core::connection::v1 as connection;
use ibc_proto::ibc::lightclients::tendermint::v1 as tm;

use crate::self_client::trust_level_in_range;

const TM_CLIENT_STATE: &str = "/ibc.lightclients.tendermint.v1.ClientState";
const TM_CONSENSUS_STATE: &str = "/ibc.lightclients.tendermint.v1.ConsensusState";
const TM_HEADER: &str = "/ibc.lightclients.tendermint.v1.Header";
const TM_MISBEHAVIOUR: &str = "/ibc.lightclients.tendermint.v1.Misbehaviour";

/// Checks the encoding of an IBC core or transfer message and of the light-client values in it.
pub fn check_message(msg: &Any) -> TxResult {
    let name = msg.type_url.rsplit('.').next().unwrap_or(&msg.type_url);
    let v = msg.value.as_slice();
    match msg.type_url.as_str() {
        "/ibc.core.client.v1.MsgCreateClient" => {
            let m: client::MsgCreateClient = decode_strict(v, name)?;
            check_client_state(m.client_state.as_ref())?;
            check_light_value(m.consensus_state.as_ref())
        }
        "/ibc.core.client.v1.MsgUpdateClient" => {
            let m: client::MsgUpdateClient = decode_strict(v, name)?;
            check_light_value(m.client_message.as_ref())
        }
        "/ibc.core.client.v1.MsgUpgradeClient" => {
            let m: client::MsgUpgradeClient = decode_strict(v, name)?;
            check_upgraded_client_state(m.client_state.as_ref())?;
            check_light_value(m.consensus_state.as_ref())
        }
        "/ibc.core.client.v1.MsgSubmitMisbehaviour" => {
            let m: client::MsgSubmitMisbehaviour = decode_strict(v, name)?;
            check_light_value(m.misbehaviour.as_ref())
        }
        "/ibc.core.client.v1.MsgRecoverClient" => {
            decode_strict::<client::MsgRecoverClient>(v, name).map(drop)
        }
        "/ibc.core.connection.v1.MsgConnectionOpenInit" => {
            decode_strict::<connection::MsgConnectionOpenInit>(v, name).map(drop)
        }
        "/ibc.core.connection.v1.MsgConnectionOpenTry" => {
            let m: connection::MsgConnectionOpenTry = decode_strict(v, name)?;
            check_client_state(m.client_state.as_ref())
        }
        "/ibc.core.connection.v1.MsgConnectionOpenAck" => {
            let m: connection::MsgConnectionOpenAck = decode_strict(v, name)?;
            check_client_state(m.client_state.as_ref())
        }
        "/ibc.core.connection.v1.MsgConnectionOpenConfirm" => {
            decode_strict::<connection::MsgConnectionOpenConfirm>(v, name).map(drop)
        }
        "/ibc.core.channel.v1.MsgChannelOpenInit" => {
            decode_strict::<channel::MsgChannelOpenInit>(v, name).map(drop)
        }
        "/ibc.core.channel.v1.MsgChannelOpenTry" => {
            decode_strict::<channel::MsgChannelOpenTry>(v, name).map(drop)
        }
        "/ibc.core.channel.v1.MsgChannelOpenAck" => {
            decode_strict::<channel::MsgChannelOpenAck>(v, name).map(drop)
        }
        "/ibc.core.channel.v1.MsgChannelOpenConfirm" => {
            decode_strict::<channel::MsgChannelOpenConfirm>(v, name).map(drop)
        }
        "/ibc.core.channel.v1.MsgChannelCloseInit" => {
            decode_strict::<channel::MsgChannelCloseInit>(v, name).map(drop)
        }
        "/ibc.core.channel.v1.MsgChannelCloseConfirm" => {
            decode_strict::<channel::MsgChannelCloseConfirm>(v, name).map(drop)
        }
        "/ibc.core.channel.v1.MsgRecvPacket" => {
            decode_strict::<channel::MsgRecvPacket>(v, name).map(drop)
        }
        "/ibc.core.channel.v1.MsgAcknowledgement" => {
            decode_strict::<channel::MsgAcknowledgement>(v, name).map(drop)
        }
        "/ibc.core.channel.v1.MsgTimeout" => {
            decode_strict::<channel::MsgTimeout>(v, name).map(drop)
        }
        "/ibc.core.channel.v1.MsgTimeoutOnClose" => {
            decode_strict::<channel::MsgTimeoutOnClose>(v, name).map(drop)
        }
        crate::transfer::MSG_TRANSFER => decode_strict::<transfer::MsgTransfer>(v, name).map(drop),
        other => Err(TxError::UnknownRequest(format!(
            "unrecognized message type: {other}"
        ))),
    }
}

/// The client state of a `MsgUpgradeClient`: as a chain commits to it, its custom fields are
/// zeroed (ibc-go's `ZeroCustomFields`: trust level 0/0, no trusting period — the upgrade keeps
/// the client's own), and then only its unbonding period must be positive; a complete one is
/// checked as any other.
fn check_upgraded_client_state(any: Option<&ibc_proto::google::protobuf::Any>) -> TxResult {
    let Some(any) = any.filter(|a| a.type_url == TM_CLIENT_STATE) else {
        return check_client_state(any);
    };
    let cs: tm::ClientState = decode_strict(&any.value, "tendermint ClientState")?;
    let zeroed = cs
        .trust_level
        .as_ref()
        .is_some_and(|t| t.numerator == 0 && t.denominator == 0);
    if !zeroed {
        return check_client_state(Some(any));
    }
    let positive = |d: Option<ibc_proto::google::protobuf::Duration>| {
        d.is_some_and(|d| (d.seconds, d.nanos) > (0, 0))
    };
    if positive(cs.trusting_period) || !positive(cs.unbonding_period) {
        return Err(invalid_client(
            "an upgraded client state with zeroed custom fields has no trusting period and a \
             positive unbonding period"
                .into(),
        ));
    }
    Ok(())
}

/// A client state carried by a message: a Tendermint one must be canonical and its trust level
/// in range. Other client types are left to ibc-rs, which refuses the ones this chain lacks.
fn check_client_state(any: Option<&ibc_proto::google::protobuf::Any>) -> TxResult {
    let Some(any) = any else { return Ok(()) };
    if any.type_url != TM_CLIENT_STATE {
        return check_light_value(Some(any));
    }
    let cs: tm::ClientState = decode_strict(&any.value, "tendermint ClientState")?;
    let Some(trust) = cs.trust_level else {
        return Err(invalid_client("trust level is missing".into()));
    };
    if !trust_level_in_range(trust.numerator, trust.denominator) {
        return Err(invalid_client(format!(
            "trust level {}/{} must be within [1/3, 1] with a non-zero denominator",
            trust.numerator, trust.denominator
        )));
    }
    // ibc-go's `ClientState.Validate`: both periods positive, trusting shorter than unbonding.
    let period = |d: Option<ibc_proto::google::protobuf::Duration>| {
        d.map(|d| (d.seconds, d.nanos)).unwrap_or_default()
    };
    let (trusting, unbonding) = (period(cs.trusting_period), period(cs.unbonding_period));
    if trusting <= (0, 0) || unbonding <= (0, 0) {
        return Err(invalid_client(
            "trusting and unbonding periods must be positive".into(),
        ));
    }
    if trusting >= unbonding {
        return Err(invalid_client(format!(
            "trusting period {}s must be shorter than the unbonding period {}s",
            trusting.0, unbonding.0
        )));
    }
    Ok(())
}

/// Tendermint consensus states, headers and misbehaviour must be canonical too.
fn check_light_value(any: Option<&ibc_proto::google::protobuf::Any>) -> TxResult {
    let Some(any) = any else { return Ok(()) };
    let v = any.value.as_slice();
    match any.type_url.as_str() {
        TM_CLIENT_STATE => check_client_state(Some(any)),
        TM_CONSENSUS_STATE => decode_strict::<tm::ConsensusState>(v, "ConsensusState").map(drop),
        TM_HEADER => decode_strict::<tm::Header>(v, "Header").map(drop),
        TM_MISBEHAVIOUR => decode_strict::<tm::Misbehaviour>(v, "Misbehaviour").map(drop),
        _ => Ok(()),
    }
}

/// ibc-go's `ErrInvalidClient` (02-client code 2... reported under our single `ibc` codespace).
fn invalid_client(log: String) -> TxError {
    TxError::Module {
        codespace: "ibc",
        code: 2,
        log: format!("{log}: invalid client state"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    fn client_state(numerator: u64, denominator: u64) -> ibc_proto::google::protobuf::Any {
        with_periods(numerator, denominator, 100, 200)
    }

    fn with_periods(
        n: u64,
        d: u64,
        trusting: i64,
        unbonding: i64,
    ) -> ibc_proto::google::protobuf::Any {
        let secs = |seconds| Some(ibc_proto::google::protobuf::Duration { seconds, nanos: 0 });
        ibc_proto::google::protobuf::Any {
            type_url: TM_CLIENT_STATE.into(),
            value: tm::ClientState {
                chain_id: "estuary-b-1".into(),
                trust_level: Some(tm::Fraction {
                    numerator: n,
                    denominator: d,
                }),
                trusting_period: secs(trusting),
                unbonding_period: secs(unbonding),
                ..Default::default()
            }
            .encode_to_vec(),
        }
    }

    #[test]
    fn trusting_must_be_shorter_than_unbonding() {
        assert!(check_message(&open_try(with_periods(1, 3, 100, 200))).is_ok());
        let err = check_message(&open_try(with_periods(1, 3, 200, 200))).unwrap_err();
        assert!(err.to_string().contains("shorter"), "{err}");
        assert!(check_message(&open_try(with_periods(1, 3, 0, 200))).is_err());
        assert!(check_message(&open_try(with_periods(1, 3, -5, 200))).is_err());
    }

    fn open_try(cs: ibc_proto::google::protobuf::Any) -> Any {
        Any {
            type_url: "/ibc.core.connection.v1.MsgConnectionOpenTry".into(),
            value: connection::MsgConnectionOpenTry {
                client_id: "07-tendermint-0".into(),
                client_state: Some(cs),
                signer: "x".into(),
                ..Default::default()
            }
            .encode_to_vec(),
        }
    }

    fn upgrade(cs: ibc_proto::google::protobuf::Any) -> Any {
        Any {
            type_url: "/ibc.core.client.v1.MsgUpgradeClient".into(),
            value: client::MsgUpgradeClient {
                client_id: "07-tendermint-0".into(),
                client_state: Some(cs),
                signer: "x".into(),
                ..Default::default()
            }
            .encode_to_vec(),
        }
    }

    #[test]
    fn an_upgraded_client_state_may_have_its_custom_fields_zeroed_and_nothing_else() {
        // As a chain commits to it (ibc-go's ZeroCustomFields): no trust level, no trusting period.
        assert!(check_message(&upgrade(with_periods(0, 0, 0, 200))).is_ok());
        // Zeroed, it still needs an unbonding period, and no trusting period of its own.
        assert!(check_message(&upgrade(with_periods(0, 0, 0, 0))).is_err());
        assert!(check_message(&upgrade(with_periods(0, 0, 100, 200))).is_err());
        // Complete, it is checked as any client state; a zero trust level elsewhere is refused.
        assert!(check_message(&upgrade(with_periods(1, 3, 100, 200))).is_ok());
        assert!(check_message(&upgrade(with_periods(1, 5, 100, 200))).is_err());
        assert!(check_message(&upgrade(with_periods(0, 3, 100, 200))).is_err());
        assert!(check_message(&open_try(with_periods(0, 0, 0, 200))).is_err());
    }

    #[test]
    fn trust_levels_are_checked_without_overflow() {
        // The values of the transaction that halted the chain.
        let err = check_message(&open_try(client_state(1 << 63, u64::MAX))).unwrap_err();
        assert!(err.to_string().contains("trust level"), "{err}");
        assert_eq!(err.abci_code(), ("ibc", 2));
        let err = check_message(&open_try(client_state(1 << 62, u64::MAX))).unwrap_err();
        assert!(err.to_string().contains("trust level"), "{err}");
        assert!(check_message(&open_try(client_state(1, 0))).is_err());
        assert!(check_message(&open_try(client_state(u64::MAX, 0))).is_err());
        assert!(check_message(&open_try(client_state(1, 3))).is_ok());
    }

    #[test]
    fn unknown_fields_in_a_nested_client_state_are_refused() {
        let mut cs = client_state(1, 3);
        cs.value.extend_from_slice(&[0xf8, 0x01, 0x01]); // field 31, varint
        let err = check_message(&open_try(cs)).unwrap_err();
        assert_eq!(err.abci_code(), ("sdk", 2), "{err}");
    }

    #[test]
    fn ibc_go_v9_tokens_on_msg_transfer_are_refused() {
        let mut value = transfer::MsgTransfer {
            source_port: "transfer".into(),
            source_channel: "channel-0".into(),
            sender: "s".into(),
            receiver: "r".into(),
            ..Default::default()
        }
        .encode_to_vec();
        // field 9 (`tokens`, repeated Coin) as ibc-go v9 adds it
        value.extend_from_slice(&[0x4a, 0x00]);
        let msg = Any {
            type_url: crate::transfer::MSG_TRANSFER.into(),
            value,
        };
        let err = check_message(&msg).unwrap_err();
        assert!(err.to_string().contains("TagNum: 9"), "{err}");
    }
}
