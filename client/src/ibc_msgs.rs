//! Side-effect-free builders of the IBC messages and states a relayer sends: the pieces of the
//! connection and channel handshakes and the Tendermint client state, in the form ibc-go
//! expects. The bundled relayer and the two-chain tests build their handshakes from these.

use cosmrs::Any;
use ibc_proto::google::protobuf::Duration;
use ibc_proto::ibc::core::channel::v1 as chan;
use ibc_proto::ibc::core::client::v1 as client;
use ibc_proto::ibc::core::commitment::v1::MerklePrefix;
use ibc_proto::ibc::core::connection::v1 as conn;
use ibc_proto::ibc::lightclients::tendermint::v1 as tm;
use ibc_proto::ics23::ProofSpec;
use prost::{Message, Name};

/// `msg` as an `Any`, its type URL taken from its protobuf name.
pub fn any<M: Message + Name>(msg: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: msg.encode_to_vec(),
    }
}

/// The store prefix IBC state lives under, on Estuary and on any Cosmos SDK chain.
pub fn merkle_prefix() -> Option<MerklePrefix> {
    Some(MerklePrefix {
        key_prefix: b"ibc".to_vec(),
    })
}

/// ibc-go's connection version: ordered and unordered channels.
pub fn connection_version() -> conn::Version {
    conn::Version {
        identifier: "1".into(),
        features: vec!["ORDER_ORDERED".into(), "ORDER_UNORDERED".into()],
    }
}

/// An unordered `ics20-1` channel end on port `transfer` over `connection`.
pub fn transfer_channel(
    state: chan::State,
    connection: &str,
    counterparty_channel: &str,
) -> chan::Channel {
    chan::Channel {
        state: state as i32,
        ordering: chan::Order::Unordered as i32,
        counterparty: Some(chan::Counterparty {
            port_id: "transfer".into(),
            channel_id: counterparty_channel.into(),
        }),
        connection_hops: vec![connection.into()],
        version: "ics20-1".into(),
        upgrade_sequence: 0,
    }
}

/// What a Tendermint client of a chain is made of.
pub struct ClientParams {
    pub chain_id: String,
    pub trusting_period_secs: u64,
    pub unbonding_period_secs: u64,
    pub max_clock_drift_secs: u64,
    pub latest_height: client::Height,
    pub proof_specs: Vec<ProofSpec>,
}

/// A 07-tendermint client state (trust level 1/3, ibc-go's upgrade path), as an `Any`.
pub fn tendermint_client_state(p: &ClientParams) -> Any {
    let secs = |s: u64| {
        Some(Duration {
            seconds: i64::try_from(s).unwrap_or(i64::MAX),
            nanos: 0,
        })
    };
    #[allow(deprecated)]
    let cs = tm::ClientState {
        chain_id: p.chain_id.clone(),
        trust_level: Some(tm::Fraction {
            numerator: 1,
            denominator: 3,
        }),
        trusting_period: secs(p.trusting_period_secs),
        unbonding_period: secs(p.unbonding_period_secs),
        max_clock_drift: secs(p.max_clock_drift_secs),
        frozen_height: Some(client::Height {
            revision_number: 0,
            revision_height: 0,
        }),
        latest_height: Some(p.latest_height),
        proof_specs: p.proof_specs.clone(),
        upgrade_path: vec!["upgrade".into(), "upgradedIBCState".into()],
        allow_update_after_expiry: false,
        allow_update_after_misbehaviour: false,
    };
    any(&cs)
}
