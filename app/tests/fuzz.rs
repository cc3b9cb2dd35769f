//! Structure-aware fuzzing of everything a transaction or a query can carry, on stable Rust
//! (proptest-driven generators under `cargo test`).
//!
//! Each case is one block: signed transactions carrying generated messages of every routable
//! type (bank, validators, every IBC core message, MsgTransfer, unknown types, malformed `Any`s)
//! with extreme field values, and byte-level mutations of valid signed transactions. Every
//! transaction goes through CheckTx, then the block through FinalizeBlock + Commit on two
//! independent app instances. After every block:
//! - no panic was reached (a contained panic is still a bug: code 111222 fails the run);
//! - both instances have the same app hash (determinism: one of them also ran CheckTx, so its
//!   signature cache differs);
//! - every denomination's supply equals the sum of its balances;
//! - what each channel records as escrowed is what its escrow account holds.
//!
//! Queries get the same treatment: every gRPC method path the node serves, with generated and
//! random request bytes at extreme heights, must answer without a panic. So does InitChain: a
//! genesis file is operator input that may be crafted; generated genesis documents (extreme
//! values in every field, duplicated and dropped entries, byte-level mutations of a valid one)
//! are accepted or refused, never a panic, and a refused one leaves the store empty.
//!
//! `ESTUARY_FUZZ_CASES` sets the number of blocks (CI runs the default); the run prints cases per
//! second. A crash found here becomes a named test in `tests/hostile.rs`.
#![allow(
    deprecated,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use common::inproc::*;
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::Any;
use estuary_auth::AuthReader;
use estuary_bank::BankReader;
use estuary_ibc::transfer::TransferReader;
use ibc_proto::google::protobuf::{Any as IbcAny, Duration as PbDuration, Timestamp};
use ibc_proto::ibc::core::channel::v1 as channel;
use ibc_proto::ibc::core::client::v1 as client;
use ibc_proto::ibc::core::commitment::v1::MerkleRoot;
use ibc_proto::ibc::core::connection::v1 as connection;
use ibc_proto::ibc::lightclients::tendermint::v1 as tm;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use prost::Message;

const DEFAULT_CASES: u32 = 150;
const KEYS: u8 = 4;

fn cases() -> u32 {
    std::env::var("ESTUARY_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

// ---- values -------------------------------------------------------------------------------

fn arb_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(u64::MAX),
        Just(u64::MAX - 1),
        Just(1 << 63),
        Just(i64::MAX as u64),
        0..100u64,
        any::<u64>(),
    ]
}

fn arb_str() -> impl Strategy<Value = String> {
    // Mostly identifiers that pass the ibc-rs format checks, so cases reach the handlers.
    prop_oneof![
        3 => Just("transfer".to_string()),
        3 => Just("channel-0".to_string()),
        3 => Just("connection-0".to_string()),
        3 => Just("07-tendermint-0".to_string()),
        2 => Just("stake".to_string()),
        3 => (1..=KEYS).prop_map(|n| addr(&key(n)).to_bech32()),
        1 => Just(String::new()),
        1 => Just("channel-18446744073709551615".to_string()),
        1 => Just("ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2".to_string()),
        1 => Just("transfer/channel-0/stake".to_string()),
        1 => Just("x".repeat(20_000)),
        2 => "[a-z0-9/._-]{1,24}",
        1 => any::<String>(),
    ]
}

fn arb_amount() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("1".to_string()),
        Just("-1".to_string()),
        Just(u128::MAX.to_string()),
        Just("340282366920938463463374607431768211456".to_string()),
        "[0-9]{1,7}",
        arb_str(),
    ]
}

fn arb_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        proptest::collection::vec(any::<u8>(), 0..96),
        Just(vec![0xff; 20_000]),
    ]
}

fn arb_height() -> impl Strategy<Value = Option<client::Height>> {
    proptest::option::of((arb_u64(), arb_u64()).prop_map(|(n, h)| client::Height {
        revision_number: n,
        revision_height: h,
    }))
}

fn arb_duration() -> impl Strategy<Value = Option<PbDuration>> {
    proptest::option::of(prop_oneof![
        (0i64..4_000_000, 0i32..1_000_000_000).prop_map(|(s, n)| PbDuration {
            seconds: s,
            nanos: n
        }),
        (any::<i64>(), any::<i32>()).prop_map(|(s, n)| PbDuration {
            seconds: s,
            nanos: n
        }),
    ])
}

/// A Tendermint client state: sometimes one this chain accepts, often a mangled one.
fn arb_client_state() -> impl Strategy<Value = tm::ClientState> {
    let sane = (1u64..50, any::<bool>()).prop_map(|(h, specs)| tm::ClientState {
        chain_id: "other-1".into(),
        trust_level: Some(tm::Fraction {
            numerator: 1,
            denominator: 3,
        }),
        trusting_period: Some(PbDuration {
            seconds: 1000,
            nanos: 0,
        }),
        unbonding_period: Some(PbDuration {
            seconds: 2000,
            nanos: 0,
        }),
        max_clock_drift: Some(PbDuration {
            seconds: 10,
            nanos: 0,
        }),
        frozen_height: None,
        latest_height: Some(client::Height {
            revision_number: 1,
            revision_height: h,
        }),
        proof_specs: if specs {
            estuary_sdk::store::proof_specs()
        } else {
            vec![]
        },
        upgrade_path: vec!["upgrade".into(), "upgradedIBCState".into()],
        allow_update_after_expiry: false,
        allow_update_after_misbehaviour: false,
    });
    let wild = (
        arb_str(),
        (arb_u64(), arb_u64()),
        (arb_duration(), arb_duration(), arb_duration()),
        (arb_height(), arb_height()),
        proptest::collection::vec(arb_str(), 0..3),
    )
        .prop_map(
            |(chain_id, (n, d), (tp, up, drift), (frozen, latest), path)| tm::ClientState {
                chain_id,
                trust_level: Some(tm::Fraction {
                    numerator: n,
                    denominator: d,
                }),
                trusting_period: tp,
                unbonding_period: up,
                max_clock_drift: drift,
                frozen_height: frozen,
                latest_height: latest,
                proof_specs: estuary_sdk::store::proof_specs(),
                upgrade_path: path,
                allow_update_after_expiry: false,
                allow_update_after_misbehaviour: false,
            },
        );
    prop_oneof![sane, wild]
}

fn arb_consensus_state() -> impl Strategy<Value = tm::ConsensusState> {
    (
        any::<i64>(),
        0i32..1_000_000_000,
        arb_bytes(),
        arb_bytes(),
        any::<bool>(),
    )
        .prop_map(|(secs, nanos, root, nvh, recent)| tm::ConsensusState {
            timestamp: Some(Timestamp {
                seconds: if recent { 1_767_225_600 } else { secs },
                nanos,
            }),
            root: Some(MerkleRoot {
                hash: if recent { vec![7; 32] } else { root },
            }),
            next_validators_hash: if recent { vec![9; 32] } else { nvh },
        })
}

/// An `Any` where a light-client value belongs: a real type with generated fields, or not.
fn arb_light_any() -> impl Strategy<Value = Option<IbcAny>> {
    let any = |type_url: &str, value: Vec<u8>| IbcAny {
        type_url: type_url.into(),
        value,
    };
    proptest::option::of(prop_oneof![
        arb_client_state().prop_map(move |cs| any(
            "/ibc.lightclients.tendermint.v1.ClientState",
            cs.encode_to_vec()
        )),
        arb_consensus_state().prop_map(move |cs| any(
            "/ibc.lightclients.tendermint.v1.ConsensusState",
            cs.encode_to_vec()
        )),
        arb_bytes().prop_map(move |b| any("/ibc.lightclients.tendermint.v1.Header", b)),
        arb_bytes().prop_map(move |b| any("/ibc.lightclients.tendermint.v1.Misbehaviour", b)),
        (arb_str(), arb_bytes()).prop_map(|(t, b)| IbcAny {
            type_url: t,
            value: b
        }),
    ])
}

fn arb_packet() -> impl Strategy<Value = Option<channel::Packet>> {
    let data = prop_oneof![
        arb_bytes(),
        (arb_amount(), arb_str(), arb_str(), arb_str(), arb_str()).prop_map(
            |(amount, denom, memo, receiver, sender)| {
                serde_json::to_vec(&serde_json::json!({
                    "amount": amount, "denom": denom, "memo": memo,
                    "receiver": receiver, "sender": sender,
                }))
                .unwrap()
            }
        ),
    ];
    proptest::option::of(
        (
            arb_u64(),
            arb_str(),
            arb_str(),
            arb_str(),
            arb_str(),
            data,
            arb_height(),
            arb_u64(),
        )
            .prop_map(|(sequence, sp, sc, dp, dc, data, th, tt)| channel::Packet {
                sequence,
                source_port: sp,
                source_channel: sc,
                destination_port: dp,
                destination_channel: dc,
                data,
                timeout_height: th,
                timeout_timestamp: tt,
            }),
    )
}

fn arb_channel() -> impl Strategy<Value = Option<channel::Channel>> {
    proptest::option::of(
        (0i32..6, 0i32..4, arb_str(), arb_str(), arb_str(), arb_str()).prop_map(
            |(state, ordering, cp_port, cp_chan, hop, version)| channel::Channel {
                state,
                ordering,
                counterparty: Some(channel::Counterparty {
                    port_id: cp_port,
                    channel_id: cp_chan,
                }),
                connection_hops: vec![hop],
                version,
                upgrade_sequence: 0,
            },
        ),
    )
}

fn arb_conn_counterparty() -> impl Strategy<Value = Option<connection::Counterparty>> {
    proptest::option::of((arb_str(), arb_str(), arb_bytes()).prop_map(|(c, k, p)| {
        connection::Counterparty {
            client_id: c,
            connection_id: k,
            prefix: Some(ibc_proto::ibc::core::commitment::v1::MerklePrefix { key_prefix: p }),
        }
    }))
}

fn arb_version() -> impl Strategy<Value = Option<connection::Version>> {
    proptest::option::of(
        (arb_str(), proptest::collection::vec(arb_str(), 0..3)).prop_map(
            |(identifier, features)| connection::Version {
                identifier,
                features,
            },
        ),
    )
}

// ---- messages -----------------------------------------------------------------------------

/// Who a message names as its signer: the transaction's signer (so it reaches execution), or
/// something else (so the signer checks are exercised).
#[derive(Clone, Debug)]
enum SignerField {
    TxSigner,
    Other(String),
}

fn arb_signer() -> impl Strategy<Value = SignerField> {
    prop_oneof![
        4 => Just(SignerField::TxSigner),
        1 => arb_str().prop_map(SignerField::Other),
    ]
}

/// A message with its signer left open until the transaction is built.
#[derive(Clone, Debug)]
struct MsgSpec {
    type_url: &'static str,
    build: fn(&MsgFields, &str) -> Vec<u8>,
    fields: MsgFields,
    signer: SignerField,
}

#[derive(Clone, Debug)]
struct MsgFields {
    s: [String; 4],
    n: [u64; 3],
    b: [Vec<u8>; 3],
    amount: String,
    heights: [Option<client::Height>; 2],
    light: [Option<IbcAny>; 2],
    packet: Option<channel::Packet>,
    channel: Option<channel::Channel>,
    counterparty: Option<connection::Counterparty>,
    version: Option<connection::Version>,
}

fn arb_fields() -> impl Strategy<Value = MsgFields> {
    (
        [arb_str(), arb_str(), arb_str(), arb_str()],
        [arb_u64(), arb_u64(), arb_u64()],
        [arb_bytes(), arb_bytes(), arb_bytes()],
        arb_amount(),
        [arb_height(), arb_height()],
        [arb_light_any(), arb_light_any()],
        arb_packet(),
        arb_channel(),
        arb_conn_counterparty(),
        arb_version(),
    )
        .prop_map(
            |(s, n, b, amount, heights, light, packet, channel, counterparty, version)| MsgFields {
                s,
                n,
                b,
                amount,
                heights,
                light,
                packet,
                channel,
                counterparty,
                version,
            },
        )
}

type Builder = (&'static str, fn(&MsgFields, &str) -> Vec<u8>);

/// Every routable message type, and one that no module routes.
const BUILDERS: &[Builder] = &[
    ("/cosmos.bank.v1beta1.MsgSend", |f, signer| {
        cosmrs::proto::cosmos::bank::v1beta1::MsgSend {
            from_address: signer.into(),
            to_address: f.s[0].clone(),
            amount: vec![cosmrs::proto::cosmos::base::v1beta1::Coin {
                denom: f.s[1].clone(),
                amount: f.amount.clone(),
            }],
        }
        .encode_to_vec()
    }),
    (
        "/estuary.validators.v1.MsgSetValidatorPower",
        |f, signer| {
            estuary_validators::MsgSetValidatorPower {
                authority: signer.into(),
                name: f.s[0].clone(),
                pub_key: f.b[0].clone(),
                power: f.n[0],
                operator: String::new(),
            }
            .encode_to_vec()
        },
    ),
    ("/ibc.applications.transfer.v1.MsgTransfer", |f, signer| {
        ibc_proto::ibc::applications::transfer::v1::MsgTransfer {
            source_port: f.s[0].clone(),
            source_channel: f.s[1].clone(),
            token: Some(ibc_proto::cosmos::base::v1beta1::Coin {
                denom: f.s[2].clone(),
                amount: f.amount.clone(),
            }),
            sender: signer.into(),
            receiver: f.s[3].clone(),
            timeout_height: f.heights[0],
            timeout_timestamp: f.n[0],
            memo: String::from_utf8_lossy(&f.b[0]).into_owned(),
        }
        .encode_to_vec()
    }),
    ("/ibc.core.client.v1.MsgCreateClient", |f, signer| {
        client::MsgCreateClient {
            client_state: f.light[0].clone(),
            consensus_state: f.light[1].clone(),
            signer: signer.into(),
        }
        .encode_to_vec()
    }),
    ("/ibc.core.client.v1.MsgUpdateClient", |f, signer| {
        client::MsgUpdateClient {
            client_id: f.s[0].clone(),
            client_message: f.light[0].clone(),
            signer: signer.into(),
        }
        .encode_to_vec()
    }),
    ("/ibc.core.client.v1.MsgUpgradeClient", |f, signer| {
        client::MsgUpgradeClient {
            client_id: f.s[0].clone(),
            client_state: f.light[0].clone(),
            consensus_state: f.light[1].clone(),
            proof_upgrade_client: f.b[0].clone(),
            proof_upgrade_consensus_state: f.b[1].clone(),
            signer: signer.into(),
        }
        .encode_to_vec()
    }),
    ("/cosmos.upgrade.v1beta1.MsgSoftwareUpgrade", |f, signer| {
        #[allow(deprecated)]
        cosmrs::proto::cosmos::upgrade::v1beta1::MsgSoftwareUpgrade {
            authority: signer.into(),
            plan: Some(cosmrs::proto::cosmos::upgrade::v1beta1::Plan {
                name: f.s[0].clone(),
                height: f.n[0] as i64,
                info: f.s[1].clone(),
                time: None,
                upgraded_client_state: f.light[0].clone().map(|a| cosmrs::Any {
                    type_url: a.type_url,
                    value: a.value,
                }),
            }),
        }
        .encode_to_vec()
    }),
    ("/ibc.core.client.v1.MsgIBCSoftwareUpgrade", |f, signer| {
        #[allow(deprecated)]
        client::MsgIbcSoftwareUpgrade {
            plan: Some(ibc_proto::cosmos::upgrade::v1beta1::Plan {
                name: f.s[0].clone(),
                height: f.n[0] as i64,
                info: f.s[1].clone(),
                time: None,
                upgraded_client_state: f.light[1].clone(),
            }),
            upgraded_client_state: f.light[0].clone(),
            signer: signer.into(),
        }
        .encode_to_vec()
    }),
    ("/cosmos.upgrade.v1beta1.MsgCancelUpgrade", |_f, signer| {
        cosmrs::proto::cosmos::upgrade::v1beta1::MsgCancelUpgrade {
            authority: signer.into(),
        }
        .encode_to_vec()
    }),
    ("/ibc.core.client.v1.MsgRecoverClient", |f, signer| {
        client::MsgRecoverClient {
            subject_client_id: f.s[0].clone(),
            substitute_client_id: f.s[1].clone(),
            signer: signer.into(),
        }
        .encode_to_vec()
    }),
    ("/ibc.core.client.v1.MsgSubmitMisbehaviour", |f, signer| {
        client::MsgSubmitMisbehaviour {
            client_id: f.s[0].clone(),
            misbehaviour: f.light[0].clone(),
            signer: signer.into(),
        }
        .encode_to_vec()
    }),
    (
        "/ibc.core.connection.v1.MsgConnectionOpenInit",
        |f, signer| {
            connection::MsgConnectionOpenInit {
                client_id: f.s[0].clone(),
                counterparty: f.counterparty.clone(),
                version: f.version.clone(),
                delay_period: f.n[0],
                signer: signer.into(),
            }
            .encode_to_vec()
        },
    ),
    (
        "/ibc.core.connection.v1.MsgConnectionOpenTry",
        |f, signer| {
            #[allow(deprecated)]
            connection::MsgConnectionOpenTry {
                client_id: f.s[0].clone(),
                previous_connection_id: String::new(),
                client_state: f.light[0].clone(),
                counterparty: f.counterparty.clone(),
                delay_period: f.n[0],
                counterparty_versions: f.version.clone().into_iter().collect(),
                proof_height: f.heights[0],
                proof_init: f.b[0].clone(),
                proof_client: f.b[1].clone(),
                proof_consensus: f.b[2].clone(),
                consensus_height: f.heights[1],
                signer: signer.into(),
                host_consensus_state_proof: vec![],
            }
            .encode_to_vec()
        },
    ),
    (
        "/ibc.core.connection.v1.MsgConnectionOpenAck",
        |f, signer| {
            connection::MsgConnectionOpenAck {
                connection_id: f.s[0].clone(),
                counterparty_connection_id: f.s[1].clone(),
                version: f.version.clone(),
                client_state: f.light[0].clone(),
                proof_height: f.heights[0],
                proof_try: f.b[0].clone(),
                proof_client: f.b[1].clone(),
                proof_consensus: f.b[2].clone(),
                consensus_height: f.heights[1],
                signer: signer.into(),
                host_consensus_state_proof: vec![],
            }
            .encode_to_vec()
        },
    ),
    (
        "/ibc.core.connection.v1.MsgConnectionOpenConfirm",
        |f, signer| {
            connection::MsgConnectionOpenConfirm {
                connection_id: f.s[0].clone(),
                proof_ack: f.b[0].clone(),
                proof_height: f.heights[0],
                signer: signer.into(),
            }
            .encode_to_vec()
        },
    ),
    ("/ibc.core.channel.v1.MsgChannelOpenInit", |f, signer| {
        channel::MsgChannelOpenInit {
            port_id: f.s[0].clone(),
            channel: f.channel.clone(),
            signer: signer.into(),
        }
        .encode_to_vec()
    }),
    ("/ibc.core.channel.v1.MsgChannelOpenTry", |f, signer| {
        #[allow(deprecated)]
        channel::MsgChannelOpenTry {
            port_id: f.s[0].clone(),
            previous_channel_id: String::new(),
            channel: f.channel.clone(),
            counterparty_version: f.s[1].clone(),
            proof_init: f.b[0].clone(),
            proof_height: f.heights[0],
            signer: signer.into(),
        }
        .encode_to_vec()
    }),
    ("/ibc.core.channel.v1.MsgChannelOpenAck", |f, signer| {
        channel::MsgChannelOpenAck {
            port_id: f.s[0].clone(),
            channel_id: f.s[1].clone(),
            counterparty_channel_id: f.s[2].clone(),
            counterparty_version: f.s[3].clone(),
            proof_try: f.b[0].clone(),
            proof_height: f.heights[0],
            signer: signer.into(),
        }
        .encode_to_vec()
    }),
    ("/ibc.core.channel.v1.MsgChannelOpenConfirm", |f, signer| {
        channel::MsgChannelOpenConfirm {
            port_id: f.s[0].clone(),
            channel_id: f.s[1].clone(),
            proof_ack: f.b[0].clone(),
            proof_height: f.heights[0],
            signer: signer.into(),
        }
        .encode_to_vec()
    }),
    ("/ibc.core.channel.v1.MsgChannelCloseInit", |f, signer| {
        channel::MsgChannelCloseInit {
            port_id: f.s[0].clone(),
            channel_id: f.s[1].clone(),
            signer: signer.into(),
        }
        .encode_to_vec()
    }),
    (
        "/ibc.core.channel.v1.MsgChannelCloseConfirm",
        |f, signer| {
            channel::MsgChannelCloseConfirm {
                port_id: f.s[0].clone(),
                channel_id: f.s[1].clone(),
                proof_init: f.b[0].clone(),
                proof_height: f.heights[0],
                signer: signer.into(),
                counterparty_upgrade_sequence: f.n[0],
            }
            .encode_to_vec()
        },
    ),
    ("/ibc.core.channel.v1.MsgRecvPacket", |f, signer| {
        channel::MsgRecvPacket {
            packet: f.packet.clone(),
            proof_commitment: f.b[0].clone(),
            proof_height: f.heights[0],
            signer: signer.into(),
        }
        .encode_to_vec()
    }),
    ("/ibc.core.channel.v1.MsgAcknowledgement", |f, signer| {
        channel::MsgAcknowledgement {
            packet: f.packet.clone(),
            acknowledgement: f.b[0].clone(),
            proof_acked: f.b[1].clone(),
            proof_height: f.heights[0],
            signer: signer.into(),
        }
        .encode_to_vec()
    }),
    ("/ibc.core.channel.v1.MsgTimeout", |f, signer| {
        channel::MsgTimeout {
            packet: f.packet.clone(),
            proof_unreceived: f.b[0].clone(),
            proof_height: f.heights[0],
            next_sequence_recv: f.n[0],
            signer: signer.into(),
        }
        .encode_to_vec()
    }),
    ("/ibc.core.channel.v1.MsgTimeoutOnClose", |f, signer| {
        channel::MsgTimeoutOnClose {
            packet: f.packet.clone(),
            proof_unreceived: f.b[0].clone(),
            proof_close: f.b[1].clone(),
            proof_height: f.heights[0],
            next_sequence_recv: f.n[0],
            signer: signer.into(),
            counterparty_upgrade_sequence: f.n[1],
        }
        .encode_to_vec()
    }),
    ("/cosmos.gov.v1.MsgSubmitProposal", |f, signer| {
        use cosmrs::proto::cosmos::gov::v1 as gov;
        // What the proposal carries: a power change for gov (the real case), the same signed
        // by someone else, gov's own params, or bytes that claim a type.
        let gov_addr = estuary_validators::gov_authority().to_bech32();
        let power = |authority: String| cosmrs::proto::Any {
            type_url: "/estuary.validators.v1.MsgSetValidatorPower".into(),
            value: estuary_validators::MsgSetValidatorPower {
                authority,
                name: f.s[2].clone(),
                pub_key: f.b[1].clone(),
                power: f.n[1] % 50,
                operator: f.s[3].clone(),
            }
            .encode_to_vec(),
        };
        let messages = match f.n[2] % 5 {
            0 => vec![],
            1 => vec![power(gov_addr)],
            2 => vec![power(signer.into())],
            3 => vec![power(gov_addr.clone()), power(gov_addr)],
            _ => vec![cosmrs::proto::Any {
                type_url: f.s[3].clone(),
                value: f.b[2].clone(),
            }],
        };
        // Mostly well-formed (so proposals reach voting, tally and execution), now and then
        // any field hostile.
        let hostile = f.n[0] % 4 == 0;
        let pick = |good: &str, bad: &String| if hostile { bad.clone() } else { good.into() };
        gov::MsgSubmitProposal {
            messages,
            initial_deposit: vec![cosmrs::proto::cosmos::base::v1beta1::Coin {
                denom: pick("stake", &f.s[1]),
                amount: pick("100", &f.amount),
            }],
            proposer: signer.into(),
            metadata: f.s[3].clone(),
            title: pick("title", &f.s[0]),
            summary: pick("summary", &f.s[2]),
            expedited: hostile && f.n[1] % 2 == 0,
        }
        .encode_to_vec()
    }),
    ("/cosmos.gov.v1.MsgVote", |f, signer| {
        cosmrs::proto::cosmos::gov::v1::MsgVote {
            proposal_id: f.n[0] % 4,
            voter: signer.into(),
            option: (f.n[1] % 6) as i32,
            metadata: f.s[0].clone(),
        }
        .encode_to_vec()
    }),
    ("/cosmos.gov.v1.MsgVoteWeighted", |f, signer| {
        use cosmrs::proto::cosmos::gov::v1 as gov;
        gov::MsgVoteWeighted {
            proposal_id: f.n[0] % 8,
            voter: signer.into(),
            options: vec![
                gov::WeightedVoteOption {
                    option: (f.n[1] % 6) as i32,
                    weight: f.amount.clone(),
                },
                gov::WeightedVoteOption {
                    option: (f.n[2] % 6) as i32,
                    weight: f.s[0].clone(),
                },
            ],
            metadata: String::new(),
        }
        .encode_to_vec()
    }),
    ("/cosmos.gov.v1.MsgCancelProposal", |f, signer| {
        cosmrs::proto::cosmos::gov::v1::MsgCancelProposal {
            proposal_id: f.n[0] % 8,
            proposer: signer.into(),
        }
        .encode_to_vec()
    }),
    ("/cosmos.gov.v1.MsgDeposit", |f, signer| {
        cosmrs::proto::cosmos::gov::v1::MsgDeposit {
            proposal_id: f.n[0] % 8,
            depositor: signer.into(),
            amount: vec![cosmrs::proto::cosmos::base::v1beta1::Coin {
                denom: f.s[1].clone(),
                amount: f.amount.clone(),
            }],
        }
        .encode_to_vec()
    }),
    ("/cosmos.gov.v1.MsgUpdateParams", |f, signer| {
        use cosmrs::proto::cosmos::gov::v1 as gov;
        let period = cosmrs::proto::tendermint::google::protobuf::Duration {
            seconds: (f.n[0] % 20) as i64,
            nanos: (f.n[1] % 3) as i32,
        };
        gov::MsgUpdateParams {
            authority: signer.into(),
            params: Some(gov::Params {
                min_deposit: vec![cosmrs::proto::cosmos::base::v1beta1::Coin {
                    denom: f.s[1].clone(),
                    amount: f.amount.clone(),
                }],
                max_deposit_period: Some(period),
                voting_period: Some(period),
                quorum: f.s[0].clone(),
                threshold: "0.5".into(),
                veto_threshold: f.s[2].clone(),
                min_initial_deposit_ratio: "0".into(),
                // The expedited and cancellation parameters, checked against the regular ones.
                expedited_voting_period: Some(
                    cosmrs::proto::tendermint::google::protobuf::Duration {
                        seconds: (f.n[1] % 20) as i64,
                        nanos: 0,
                    },
                ),
                expedited_threshold: f.s[3].clone(),
                expedited_min_deposit: vec![cosmrs::proto::cosmos::base::v1beta1::Coin {
                    denom: f.s[1].clone(),
                    amount: f.amount.clone(),
                }],
                proposal_cancel_ratio: f.s[0].clone(),
                proposal_cancel_dest: f.s[2].clone(),
                ..Default::default()
            }),
        }
        .encode_to_vec()
    }),
    ("/cosmos.gov.v1beta1.MsgVote", |f, signer| {
        cosmrs::proto::cosmos::gov::v1beta1::MsgVote {
            proposal_id: f.n[0] % 4,
            voter: signer.into(),
            option: (f.n[1] % 6) as i32,
        }
        .encode_to_vec()
    }),
    ("/cosmos.gov.v1beta1.MsgDeposit", |f, signer| {
        cosmrs::proto::cosmos::gov::v1beta1::MsgDeposit {
            proposal_id: f.n[0] % 8,
            depositor: signer.into(),
            amount: vec![cosmrs::proto::cosmos::base::v1beta1::Coin {
                denom: "stake".into(),
                amount: f.amount.clone(),
            }],
        }
        .encode_to_vec()
    }),
    ("/estuary.validators.v1.MsgRotateOperator", |f, signer| {
        estuary_validators::MsgRotateOperator {
            operator: signer.into(),
            pub_key: f.b[0].clone(),
            new_operator: f.s[0].clone(),
        }
        .encode_to_vec()
    }),
    ("/estuary.validators.v1.MsgHandOverToGov", |f, signer| {
        estuary_validators::MsgHandOverToGov {
            admin: if f.n[0] % 2 == 0 {
                signer.into()
            } else {
                f.s[0].clone()
            },
        }
        .encode_to_vec()
    }),
    (
        "/ibc.applications.rate_limiting.v1.MsgAddRateLimit",
        |f, signer| {
            estuary_ibc::rate_limit::types::MsgAddRateLimit {
                signer: signer.into(),
                denom: f.s[1].clone(),
                channel_or_client_id: f.s[0].clone(),
                max_percent_send: f.amount.clone(),
                max_percent_recv: (f.n[0] % 120).to_string(),
                duration_hours: f.n[1],
            }
            .encode_to_vec()
        },
    ),
    (
        "/ibc.applications.rate_limiting.v1.MsgUpdateRateLimit",
        |f, signer| {
            estuary_ibc::rate_limit::types::MsgAddRateLimit {
                signer: signer.into(),
                denom: f.s[1].clone(),
                channel_or_client_id: f.s[0].clone(),
                max_percent_send: (f.n[0] % 120).to_string(),
                max_percent_recv: f.amount.clone(),
                duration_hours: f.n[1],
            }
            .encode_to_vec()
        },
    ),
    (
        "/ibc.applications.rate_limiting.v1.MsgRemoveRateLimit",
        |f, signer| {
            estuary_ibc::rate_limit::types::MsgRemoveRateLimit {
                signer: signer.into(),
                denom: f.s[1].clone(),
                channel_or_client_id: f.s[0].clone(),
            }
            .encode_to_vec()
        },
    ),
    (
        "/ibc.applications.rate_limiting.v1.MsgResetRateLimit",
        |f, signer| {
            estuary_ibc::rate_limit::types::MsgRemoveRateLimit {
                signer: signer.into(),
                denom: f.s[1].clone(),
                channel_or_client_id: f.s[0].clone(),
            }
            .encode_to_vec()
        },
    ),
    ("/cosmos.staking.v1beta1.MsgDelegate", |f, _| f.b[0].clone()),
];

fn arb_msg() -> impl Strategy<Value = MsgSpec> {
    (
        0..BUILDERS.len(),
        arb_fields(),
        arb_signer(),
        proptest::bool::weighted(0.1),
    )
        .prop_map(|(i, fields, signer, garble)| {
            let (type_url, build) = BUILDERS[i];
            MsgSpec {
                type_url,
                // Now and then the value is not the type it claims at all.
                build: if garble { |f, _| f.b[2].clone() } else { build },
                fields,
                signer,
            }
        })
}

// ---- transactions and blocks --------------------------------------------------------------

#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

#[derive(Clone, Debug)]
enum TxSpec {
    /// Signed by key `signer` at its current sequence: reaches the messages.
    Signed {
        signer: u8,
        msgs: Vec<MsgSpec>,
        fee: u128,
        gas: u64,
        /// Signed with SIGN_MODE_LEGACY_AMINO_JSON instead of DIRECT.
        amino: bool,
    },
    /// A valid signed bank send, then mutated byte by byte.
    Mutated {
        signer: u8,
        mutations: Vec<Mutation>,
    },
    /// A send from the 2-of-3 multisig of keys 0, 1 and 2, signed by the members `signers`
    /// names (bits 0–2; fewer than two must be refused), one member signature possibly flipped
    /// (`forge`), then mutated byte by byte.
    Multisig {
        signers: u8,
        forge: Option<(usize, u8)>,
        amount: u128,
        mutations: Vec<Mutation>,
    },
    /// Bytes that were never a transaction.
    Raw(Vec<u8>),
    /// Key 0, the validator's operator, governs with well-formed messages: it votes `option` on
    /// the proposal `back` before the latest (when set), or proposes generated messages signed by the gov account,
    /// so proposals reach their tally and any message runs as the chain's authority in EndBlock.
    Govern {
        vote: Option<(u64, i32)>,
        carried: Vec<MsgSpec>,
    },
    /// Honest traffic among the funded accounts, so that state really moves between the hostile
    /// cases (amounts up to more than the sender holds).
    Send {
        from: u8,
        to: u8,
        amount: u128,
        amino: bool,
    },
}

fn arb_tx() -> impl Strategy<Value = TxSpec> {
    let mutation = prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, x)| Mutation::Flip(i, x)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, x)| Mutation::Insert(i, x)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Truncate),
    ];
    prop_oneof![
        2 => (
            proptest::option::of((0u64..3, prop_oneof![3 => Just(1i32), 1 => 0i32..6])),
            proptest::collection::vec(arb_msg(), 0..3),
        )
            .prop_map(|(vote, carried)| TxSpec::Govern { vote, carried }),
        6 => (
            0..KEYS,
            prop_oneof![
                3 => proptest::collection::vec(arb_msg(), 1..2),
                1 => proptest::collection::vec(arb_msg(), 2..4),
            ],
            prop_oneof![Just(0u128), 1..100u128, Just(u128::MAX)],
            prop_oneof![8 => Just(5_000_000u64), 1 => Just(1), 1 => 1..300_000u64],
            proptest::bool::weighted(0.3),
        )
            .prop_map(|(signer, msgs, fee, gas, amino)| TxSpec::Signed {
                signer,
                msgs,
                fee,
                gas,
                amino
            }),
        2 => (0..KEYS, proptest::collection::vec(mutation.clone(), 1..5))
            .prop_map(|(signer, mutations)| TxSpec::Mutated { signer, mutations }),
        1 => arb_bytes().prop_map(TxSpec::Raw),
        2 => (
            0u8..8,
            proptest::option::of((any::<usize>(), 1u8..=255)),
            prop_oneof![1..1_000u128, 1..2_000_000_000u128],
            proptest::collection::vec(mutation, 0..3),
        )
            .prop_map(|(signers, forge, amount, mutations)| TxSpec::Multisig {
                signers,
                forge,
                amount,
                mutations,
            }),
        2 => (
            0..KEYS,
            0..KEYS,
            prop_oneof![1..1_000u128, 1..2_000_000_000u128],
            proptest::bool::weighted(0.3)
        )
            .prop_map(|(from, to, amount, amino)| TxSpec::Send { from, to, amount, amino }),
    ]
}

struct Net {
    /// Runs CheckTx on every tx before the block; `b` only executes blocks.
    a: Chain,
    b: Chain,
    keys: Vec<SigningKey>,
    /// How many transactions ended with each `codespace/code`: shows how deep the cases reach.
    outcomes: BTreeMap<String, usize>,
}

impl Net {
    fn new() -> Net {
        let keys: Vec<SigningKey> = (1..=KEYS).map(key).collect();
        let mut funded: Vec<_> = keys.iter().map(|k| (addr(k), 1_000_000_000u128)).collect();
        // The multisig of keys 0–2, account number KEYS.
        let members = keys[..3]
            .iter()
            .map(|k| k.public_key().to_bytes())
            .collect();
        let multisig = estuary_sdk::multisig::LegacyAminoPubKey::new(2, members).unwrap();
        funded.push((multisig.address(), 1_000_000_000u128));
        // Governable: key 0 operates the validator and the periods are seconds (a block is
        // one), so proposals reach their tally and execution within a run.
        let mut genesis: serde_json::Value =
            serde_json::from_slice(&genesis_json(&funded)).unwrap();
        genesis["validators"]["validators"][0]["operator"] = addr(&keys[0]).to_bech32().into();
        genesis["gov"] = serde_json::json!({"params": {
            "min_deposit": [{"denom": "stake", "amount": "100"}],
            "max_deposit_period": "3s",
            "voting_period": "3s",
        }});
        let genesis = serde_json::to_vec(&genesis).unwrap();
        Net {
            a: Chain::with_genesis(genesis.clone()),
            b: Chain::with_genesis(genesis),
            keys,
            outcomes: BTreeMap::new(),
        }
    }

    fn build(&self, spec: &TxSpec, sequences: &mut BTreeMap<u8, u64>) -> Vec<u8> {
        match spec {
            TxSpec::Raw(bytes) => bytes.clone(),
            TxSpec::Send {
                from,
                to,
                amount,
                amino,
            } => {
                let key = &self.keys[usize::from(*from)];
                let to = addr(&self.keys[usize::from(*to)]).to_bech32();
                let seq = sequences.entry(*from).or_insert(0);
                let msg = send_msg(&addr(key), &to, &amount.to_string());
                let tx = Tx::new(key, u64::from(*from), *seq, vec![msg]);
                *seq += 1;
                self.signed(&tx, *amino)
            }
            TxSpec::Signed {
                signer,
                msgs,
                fee,
                gas,
                amino,
            } => {
                let key = &self.keys[usize::from(*signer)];
                let me = addr(key).to_bech32();
                let msgs = msgs
                    .iter()
                    .map(|m| {
                        let signer = match &m.signer {
                            SignerField::TxSigner => me.clone(),
                            SignerField::Other(s) => s.clone(),
                        };
                        Any {
                            type_url: m.type_url.into(),
                            value: (m.build)(&m.fields, &signer),
                        }
                    })
                    .collect();
                let seq = sequences.entry(*signer).or_insert(0);
                let mut tx = Tx::new(key, u64::from(*signer), *seq, msgs);
                *seq += 1;
                tx.fee = (*fee).min(1_000_000_000_000);
                tx.gas = *gas;
                self.signed(&tx, *amino)
            }
            TxSpec::Govern { vote, carried } => {
                use cosmrs::proto::cosmos::gov::v1 as gov;
                let key = &self.keys[0];
                let me = addr(key).to_bech32();
                let msg = match vote {
                    Some((back, option)) => Any {
                        type_url: estuary_gov::MSG_VOTE.into(),
                        value: gov::MsgVote {
                            proposal_id: estuary_gov::GovReader::next_proposal_id(
                                self.a.app.storage(),
                            )
                            .unwrap()
                            .saturating_sub(1 + back),
                            voter: me,
                            option: *option,
                            metadata: String::new(),
                        }
                        .encode_to_vec(),
                    },
                    None => {
                        let authority = estuary_validators::gov_authority().to_bech32();
                        let messages = carried
                            .iter()
                            .map(|m| cosmrs::proto::Any {
                                type_url: m.type_url.into(),
                                value: (m.build)(&m.fields, &authority),
                            })
                            .collect();
                        Any {
                            type_url: estuary_gov::MSG_SUBMIT_PROPOSAL.into(),
                            value: gov::MsgSubmitProposal {
                                messages,
                                initial_deposit: vec![cosmrs::proto::cosmos::base::v1beta1::Coin {
                                    denom: "stake".into(),
                                    amount: "100".into(),
                                }],
                                proposer: me,
                                metadata: "generated".into(),
                                title: "generated".into(),
                                summary: "generated messages".into(),
                                ..Default::default()
                            }
                            .encode_to_vec(),
                        }
                    }
                };
                let seq = sequences.entry(0).or_insert(0);
                let mut tx = Tx::new(key, 0, *seq, vec![msg]);
                tx.gas = 5_000_000;
                *seq += 1;
                tx.bytes()
            }
            TxSpec::Multisig {
                signers,
                forge,
                amount,
                mutations,
            } => {
                let seq = sequences.entry(KEYS).or_insert(0);
                let mut bytes = self.multisig_send(*signers, *forge, *amount, *seq);
                *seq += 1;
                mutate(&mut bytes, mutations);
                bytes
            }
            TxSpec::Mutated { signer, mutations } => {
                let key = &self.keys[usize::from(*signer)];
                let me = addr(key);
                let seq = sequences.entry(*signer).or_insert(0);
                let mut bytes = Tx::new(
                    key,
                    u64::from(*signer),
                    *seq,
                    vec![send_msg(&me, &me.to_bech32(), "1")],
                )
                .bytes();
                *seq += 1;
                mutate(&mut bytes, mutations);
                bytes
            }
        }
    }

    /// The multisig (2 of keys 0, 1, 2; account number KEYS, funded at genesis).
    fn multisig(&self) -> estuary_sdk::multisig::LegacyAminoPubKey {
        let keys = self.keys[..3]
            .iter()
            .map(|k| k.public_key().to_bytes())
            .collect();
        estuary_sdk::multisig::LegacyAminoPubKey::new(2, keys).unwrap()
    }

    /// A send of `amount` from the multisig to key 0, signed (amino JSON, as the ante builds
    /// it) by the members whose bits `signers` sets, the `forge`d one's signature flipped.
    fn multisig_send(
        &self,
        signers: u8,
        forge: Option<(usize, u8)>,
        amount: u128,
        sequence: u64,
    ) -> Vec<u8> {
        use cosmrs::proto::cosmos::tx::signing::v1beta1::SignMode;
        use cosmrs::proto::cosmos::tx::v1beta1::{
            mode_info, AuthInfo, Fee, ModeInfo, SignerInfo, TxBody, TxRaw,
        };
        let m = self.multisig();
        let me = m.address();
        let to = addr(&self.keys[0]).to_bech32();
        let bits: Vec<bool> = (0..3).map(|i| signers & (1 << i) != 0).collect();
        let set = bits.iter().filter(|b| **b).count();
        let single = || ModeInfo {
            sum: Some(mode_info::Sum::Single(mode_info::Single {
                mode: SignMode::LegacyAminoJson as i32,
            })),
        };
        let any = m.to_any();
        let auth = AuthInfo {
            signer_infos: vec![SignerInfo {
                public_key: Some(cosmrs::proto::Any {
                    type_url: any.type_url,
                    value: any.value,
                }),
                mode_info: Some(ModeInfo {
                    sum: Some(mode_info::Sum::Multi(mode_info::Multi {
                        bitarray: Some(estuary_sdk::multisig::bit_array(&bits)),
                        mode_infos: (0..set).map(|_| single()).collect(),
                    })),
                }),
                sequence,
            }],
            fee: Some(Fee {
                amount: vec![],
                gas_limit: 200_000,
                payer: String::new(),
                granter: String::new(),
            }),
            ..Default::default()
        };
        let msg = send_msg(&me, &to, &amount.to_string());
        let body = TxBody {
            messages: vec![cosmrs::proto::Any {
                type_url: msg.type_url,
                value: msg.value,
            }],
            ..Default::default()
        };
        let mut raw = TxRaw {
            body_bytes: body.encode_to_vec(),
            auth_info_bytes: auth.encode_to_vec(),
            signatures: vec![vec![0]],
        };
        let params = self.a.app.storage().auth_params().unwrap();
        let decoded = estuary_app::tx::decode(&raw.encode_to_vec(), &params).unwrap();
        let msgs = self.a.app.modules().decode_msgs(&decoded.messages).unwrap();
        let doc =
            estuary_app::ante::amino_sign_bytes(&decoded, &msgs, CHAIN, u64::from(KEYS), sequence)
                .unwrap();
        let mut sigs: Vec<Vec<u8>> = (0..3)
            .filter(|i| bits[*i])
            .map(|i| self.keys[i].sign(&doc).unwrap().to_bytes().to_vec())
            .collect();
        if let Some((i, x)) = forge {
            let len = sigs.len().max(1);
            if let Some(sig) = sigs.get_mut(i % len) {
                sig[i % 64] ^= x;
            }
        }
        raw.signatures = vec![estuary_sdk::multisig::multi_signature(sigs)];
        raw.encode_to_vec()
    }

    /// `tx` signed in DIRECT mode, or in amino JSON mode with the sign bytes the chain's own
    /// ante builds (what a message's amino form is, hostile fields included, is fuzzed here; that
    /// it is what cosmjs signs is `interop/tests/cosmjs.rs`'s business).
    fn signed(&self, tx: &Tx<'_>, amino: bool) -> Vec<u8> {
        use cosmrs::proto::cosmos::tx::signing::v1beta1::SignMode;
        use cosmrs::proto::cosmos::tx::v1beta1::{mode_info, ModeInfo, TxRaw};
        let direct = tx.bytes();
        if !amino {
            return direct;
        }
        let mut raw = TxRaw::decode(direct.as_slice()).unwrap();
        let mut auth =
            cosmrs::proto::cosmos::tx::v1beta1::AuthInfo::decode(raw.auth_info_bytes.as_slice())
                .unwrap();
        auth.signer_infos[0].mode_info = Some(ModeInfo {
            sum: Some(mode_info::Sum::Single(mode_info::Single {
                mode: SignMode::LegacyAminoJson as i32,
            })),
        });
        raw.auth_info_bytes = auth.encode_to_vec();
        let params = self.a.app.storage().auth_params().unwrap();
        let Ok(decoded) = estuary_app::tx::decode(&raw.encode_to_vec(), &params) else {
            return raw.encode_to_vec(); // refused before any signature matters
        };
        let Ok(msgs) = self.a.app.modules().decode_msgs(&decoded.messages) else {
            return raw.encode_to_vec(); // refused before any signature matters
        };
        // A message with no amino form keeps the DIRECT signature, and is refused.
        if let Ok(doc) = estuary_app::ante::amino_sign_bytes(
            &decoded,
            &msgs,
            CHAIN,
            tx.account_number,
            tx.sequence,
        ) {
            raw.signatures = vec![tx.key.sign(&doc).unwrap().to_bytes().to_vec()];
        }
        raw.encode_to_vec()
    }

    fn sequences(&self) -> BTreeMap<u8, u64> {
        (0..=KEYS)
            .map(|i| {
                let a = match self.keys.get(usize::from(i)) {
                    Some(k) => addr(k),
                    None => self.multisig().address(), // index KEYS
                };
                let seq = self
                    .a
                    .app
                    .storage()
                    .account(&a)
                    .unwrap()
                    .map_or(0, |acc| acc.sequence);
                (i, seq)
            })
            .collect()
    }

    fn run_block(&mut self, specs: &[TxSpec]) -> Result<(), TestCaseError> {
        let mut sequences = self.sequences();
        let txs: Vec<Vec<u8>> = specs
            .iter()
            .map(|s| self.build(s, &mut sequences))
            .collect();
        for (i, tx) in txs.iter().enumerate() {
            let r = self.a.app.check_tx(tx);
            prop_assert_ne!(
                r.code,
                111222,
                "CheckTx of tx {} panicked: {:?}",
                i,
                specs[i]
            );
        }
        let (x, y) = (self.a.block(txs.clone()), self.b.block(txs));
        prop_assert_eq!(x.tx_results.len(), specs.len());
        for (i, r) in x.tx_results.iter().enumerate() {
            prop_assert_ne!(r.code, 111222, "tx {} panicked: {:?}", i, specs[i]);
            prop_assert!(!r.log.contains('\n'), "multi-line log: {}", r.log);
            prop_assert!(
                !r.log.contains(".rs:"),
                "a source path in the log: {}",
                r.log
            );
        }
        prop_assert_eq!(x.app_hash, y.app_hash, "the two nodes disagree");
        for r in &x.tx_results {
            *self
                .outcomes
                .entry(format!("{}/{}", r.codespace, r.code))
                .or_default() += 1;
            if std::env::var("ESTUARY_FUZZ_LOGS").is_ok() {
                println!(
                    "{}/{}: {}",
                    r.codespace,
                    r.code,
                    r.log.chars().take(200).collect::<String>()
                );
            }
        }
        let codes = |o: &estuary_app::app::BlockOutcome| {
            o.tx_results
                .iter()
                .map(|r| (r.code, r.gas_used))
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(codes(&x), codes(&y));
        check_invariants(&self.a)
    }
}

/// Supply = sum of balances for every denomination; escrow recorded = escrow held per channel.
fn check_invariants(chain: &Chain) -> Result<(), TestCaseError> {
    let storage = chain.app.storage();
    let mut sums: BTreeMap<String, u128> = BTreeMap::new();
    let mut holders: BTreeMap<(String, String), u128> = BTreeMap::new();
    for (address, coin) in storage.all_balances().unwrap() {
        let denom = coin.denom.to_string();
        *sums.entry(denom.clone()).or_default() += coin.amount;
        holders.insert((address.to_bech32(), denom), coin.amount);
    }
    let supply: BTreeMap<String, u128> = storage
        .total_supply()
        .unwrap()
        .into_iter()
        .map(|c| (c.denom.to_string(), c.amount))
        .collect();
    prop_assert_eq!(&sums, &supply, "supply is not the sum of balances");
    // What each channel records as escrowed (`transfer/escrow/{port}/{channel}/{trace}`) must
    // be in its escrow account, in the local denom of that trace.
    for (port, channel, trace, recorded) in storage.channel_escrows().unwrap() {
        let escrow = estuary_sdk::Address(estuary_ibc::ics20::escrow_address(&port, &channel));
        let denom = estuary_ibc::ics20::voucher_denom(&trace);
        let held = holders
            .get(&(escrow.to_bech32(), denom))
            .copied()
            .unwrap_or(0);
        prop_assert!(
            held >= recorded,
            "{}/{} records {} of {} but holds {}",
            port,
            channel,
            recorded,
            trace,
            held
        );
    }
    Ok(())
}

/// proptest's generators for these nested messages take deep stack frames in unoptimised test
/// builds (the generator, not the app: 8 MB is enough); give the runs room.
fn with_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

#[test]
fn generated_blocks_never_panic_diverge_or_break_supply() {
    with_big_stack(fuzz_blocks);
}

fn fuzz_blocks() {
    let cases = cases();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        // The two chains carry state from case to case, so shrinking would replay against a
        // different state; the failing block is printed whole instead.
        max_shrink_iters: 0,
        ..Config::default()
    });
    let net = std::cell::RefCell::new(Net::new());
    let started = Instant::now();
    let txs = std::cell::Cell::new(0usize);
    let result = runner.run(&proptest::collection::vec(arb_tx(), 1..6), |block| {
        txs.set(txs.get() + block.len());
        net.borrow_mut().run_block(&block)
    });
    let secs = started.elapsed().as_secs_f64();
    println!(
        "fuzz blocks: {cases} blocks, {} txs in {secs:.1} s: {:.0} blocks/s, {:.0} txs/s (CheckTx + FinalizeBlock + Commit on two apps)",
        txs.get(),
        f64::from(cases) / secs,
        txs.get() as f64 / secs
    );
    println!(
        "fuzz block outcomes (codespace/code: txs): {:?}",
        net.borrow().outcomes
    );
    // How far proposals got: a run that never tallies one does not fuzz execution.
    let mut statuses: BTreeMap<i32, usize> = BTreeMap::new();
    let state = net.borrow();
    let storage = state.a.app.storage();
    for id in 1..estuary_gov::GovReader::next_proposal_id(storage).unwrap() {
        if let Some(p) = estuary_gov::GovReader::proposal(storage, id).unwrap() {
            *statuses.entry(p.status).or_default() += 1;
        }
    }
    println!("fuzz proposals by status (1 deposit, 2 voting, 3 passed, 4 rejected, 5 failed): {statuses:?}");
    result.unwrap();
}

/// Every query path the node answers, from its query registry (so a newly registered query is
/// fuzzed without being listed here), the raw store paths, and one path nobody registered.
fn query_paths(app: &estuary_app::app::App) -> Vec<String> {
    let mut paths: Vec<String> = app.queries().paths().map(|(p, ..)| p.to_string()).collect();
    paths.extend([
        "store/ibc/key".into(),
        "store/main/key".into(),
        "store/upgrade/key".into(),
        "/cosmos.staking.v1beta1.Query/Validators".into(),
    ]);
    paths.sort();
    paths.dedup();
    paths
}

#[test]
fn generated_queries_never_panic() {
    with_big_stack(fuzz_queries);
}

fn fuzz_queries() {
    let mut chain = setup().0;
    let paths = query_paths(&chain.app);
    assert!(paths.len() > 35, "found only {} query paths", paths.len());
    chain.block(vec![]);
    chain.block(vec![]);
    let cases = cases().saturating_mul(20);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let data = prop_oneof![
        arb_bytes(),
        // Requests shaped like the real ones: strings and numbers in the first fields, and a
        // page request (field 4 or 2 in most list queries) with extreme limits.
        (arb_str(), arb_str(), arb_u64(), arb_bytes()).prop_map(|(a, b, n, key)| {
            let mut out = Vec::new();
            prost::encoding::string::encode(1, &a, &mut out);
            prost::encoding::string::encode(2, &b, &mut out);
            prost::encoding::uint64::encode(3, &n, &mut out);
            let page = cosmrs::proto::cosmos::base::query::v1beta1::PageRequest {
                key,
                offset: n,
                limit: n,
                count_total: true,
                reverse: n % 2 == 0,
            };
            prost::encoding::message::encode(4, &page, &mut out);
            out
        }),
    ];
    let started = Instant::now();
    let result = runner.run(
        &(
            proptest::sample::select(paths.clone()),
            data,
            arb_u64(),
            any::<bool>(),
        ),
        |(path, data, height, prove)| {
            let out = estuary_app::query::handle(&chain.app, &path, &data, height, prove);
            prop_assert_ne!(out.code, 111222, "{} panicked on {:?}", path, data);
            Ok(())
        },
    );
    let secs = started.elapsed().as_secs_f64();
    println!(
        "fuzz queries: {cases} queries over {} paths in {secs:.1} s: {:.0} queries/s",
        paths.len(),
        f64::from(cases) / secs
    );
    result.unwrap();
}

#[derive(Clone, Debug)]
enum GenesisEdit {
    /// Replace the value at a path (module / list / index / field) with a generated one.
    Set(
        &'static str,
        &'static str,
        usize,
        &'static str,
        serde_json::Value,
    ),
    /// Append a copy of an entry (duplicate accounts, balances, validators).
    Duplicate(&'static str, &'static str, usize),
    /// Replace a whole module slice.
    Slice(&'static str, serde_json::Value),
    /// Overwrite, insert or cut bytes of the serialized document.
    Bytes(usize, Vec<u8>, bool),
}

fn arb_json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    prop_oneof![
        arb_amount().prop_map(Value::String),
        arb_str().prop_map(Value::String),
        arb_u64().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        Just(Value::Null),
        Just(Value::Bool(true)),
        Just(serde_json::json!([])),
        Just(serde_json::json!({})),
        Just(
            serde_json::json!([{"denom": "stake", "amount": "1"}, {"denom": "stake", "amount": "1"}])
        ),
    ]
}

fn arb_genesis_edit() -> impl Strategy<Value = GenesisEdit> {
    let field = prop_oneof![
        Just(("auth", "accounts", "address")),
        Just(("auth", "accounts", "account_number")),
        Just(("auth", "accounts", "pub_key")),
        Just(("auth", "accounts", "sequence")),
        Just(("bank", "balances", "address")),
        Just(("bank", "balances", "coins")),
        Just(("validators", "validators", "pub_key")),
        Just(("validators", "validators", "power")),
        Just(("validators", "validators", "name")),
    ];
    prop_oneof![
        (field, 0usize..3, arb_json_value())
            .prop_map(|((m, l, f), i, v)| GenesisEdit::Set(m, l, i, f, v)),
        (
            prop_oneof![
                Just(("auth", "accounts")),
                Just(("bank", "balances")),
                Just(("validators", "validators"))
            ],
            0usize..3
        )
            .prop_map(|((m, l), i)| GenesisEdit::Duplicate(m, l, i)),
        (
            prop_oneof![
                Just("auth"),
                Just("bank"),
                Just("validators"),
                Just("ibc"),
                Just("transfer")
            ],
            arb_json_value()
        )
            .prop_map(|(m, v)| GenesisEdit::Slice(m, v)),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 0..8),
            any::<bool>()
        )
            .prop_map(|(at, bytes, insert)| GenesisEdit::Bytes(at, bytes, insert)),
    ]
}

fn edited_genesis(base: &serde_json::Value, edits: &[GenesisEdit]) -> Vec<u8> {
    let mut doc = base.clone();
    let mut bytes_edits = Vec::new();
    for edit in edits {
        match edit {
            GenesisEdit::Set(m, l, i, f, v) => {
                // Only where the path still exists (an earlier edit may have replaced it).
                let entry = doc
                    .get_mut(*m)
                    .and_then(|x| x.get_mut(*l))
                    .and_then(|x| x.get_mut(*i))
                    .and_then(|x| x.as_object_mut());
                if let Some(entry) = entry {
                    entry.insert((*f).to_string(), v.clone());
                }
            }
            GenesisEdit::Duplicate(m, l, i) => {
                let list = doc
                    .get_mut(*m)
                    .and_then(|x| x.get_mut(*l))
                    .and_then(|x| x.as_array_mut());
                if let Some(list) = list {
                    if let Some(copy) = list.get(*i).cloned() {
                        list.push(copy);
                    }
                }
            }
            GenesisEdit::Slice(m, v) => {
                if let Some(obj) = doc.as_object_mut() {
                    obj.insert((*m).to_string(), v.clone());
                }
            }
            GenesisEdit::Bytes(..) => bytes_edits.push(edit.clone()),
        }
    }
    let mut out = serde_json::to_vec(&doc).unwrap();
    for edit in bytes_edits {
        if let GenesisEdit::Bytes(at, bytes, insert) = edit {
            let at = at % (out.len() + 1);
            if insert {
                out.splice(at..at, bytes);
            } else {
                let end = (at + bytes.len().max(1)).min(out.len());
                out.splice(at..end, bytes);
            }
        }
    }
    out
}

#[test]
fn generated_genesis_documents_never_panic() {
    with_big_stack(fuzz_genesis);
}

fn fuzz_genesis() {
    let (ka, kb, kc) = (key(1), key(2), key(3));
    let base: serde_json::Value = serde_json::from_slice(&genesis_json(&[
        (addr(&ka), 1_000),
        (addr(&kb), 5),
        (addr(&kc), 0),
    ]))
    .unwrap();
    let cases = cases().saturating_mul(2);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let (accepted, refused) = (std::cell::Cell::new(0u32), std::cell::Cell::new(0u32));
    let started = Instant::now();
    let result = runner.run(
        &proptest::collection::vec(arb_genesis_edit(), 0..4),
        |edits| {
            let bytes = edited_genesis(&base, &edits);
            let dir = tempfile::tempdir().unwrap();
            let app = open(&dir, estuary_app::app::AppConfig::default());
            let first = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                app.init_chain(CHAIN, 1, &bytes)
            }));
            prop_assert!(
                first.is_ok(),
                "InitChain panicked on {}",
                String::from_utf8_lossy(&bytes)
            );
            match first.unwrap() {
                Ok(out) => {
                    accepted.set(accepted.get() + 1);
                    // CometBFT's repeated InitChain (a restart before the first block) gets
                    // the same answer.
                    let again = app.init_chain(CHAIN, 1, &bytes).unwrap();
                    prop_assert_eq!(again.app_hash, out.app_hash);
                }
                Err(_) => {
                    refused.set(refused.get() + 1);
                    prop_assert_eq!(app.storage().latest(), None, "a refused genesis left state");
                }
            }
            Ok(())
        },
    );
    let secs = started.elapsed().as_secs_f64();
    println!(
        "fuzz genesis: {cases} documents in {secs:.1} s ({} accepted, {} refused)",
        accepted.get(),
        refused.get()
    );
    result.unwrap();
}

/// `n - s` for a 32-byte big-endian `s` (the other signature with the same `r`: high-S when `s`
/// was low).
fn negate_s(s: &[u8]) -> Vec<u8> {
    const N: [u8; 32] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36,
        0x41, 0x41,
    ];
    let mut out = vec![0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(N[i]) - i16::from(s[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    out
}

/// libsecp256k1 (what the chain verifies with) and k256 (what it verified with before) accept
/// exactly the same signatures: valid ones, and refuse high-S twins, other messages, other keys,
/// malformed keys of every prefix and length, and random bytes alike.
#[test]
fn libsecp256k1_and_k256_accept_the_same_signatures() {
    use estuary_app::ante::{verify_secp256k1, verify_secp256k1_k256};
    let mut runner = TestRunner::new(Config {
        cases: cases().saturating_mul(4),
        failure_persistence: None,
        ..Config::default()
    });
    let accepted = std::cell::Cell::new(0u32);
    let strategy = (
        any::<[u8; 32]>(),
        proptest::collection::vec(any::<u8>(), 0..200),
        0u8..8,
        proptest::collection::vec(any::<u8>(), 0..70),
        any::<u8>(),
    );
    runner
        .run(&strategy, |(seed, msg, variant, noise, prefix)| {
            let Ok(key) = SigningKey::from_slice(&seed) else {
                return Ok(());
            };
            let pub_key = key.public_key().to_bytes();
            let sig = key.sign(&msg).unwrap().to_bytes().to_vec();
            let (k, m, s): (Vec<u8>, Vec<u8>, Vec<u8>) = match variant {
                0 => (pub_key.clone(), msg.clone(), sig.clone()),
                1 => (
                    pub_key.clone(),
                    msg.clone(),
                    [&sig[..32], &negate_s(&sig[32..])].concat(),
                ),
                2 => (
                    pub_key.clone(),
                    [msg.as_slice(), b"x"].concat(),
                    sig.clone(),
                ),
                3 => (pub_key.clone(), msg.clone(), noise.clone()),
                4 => ([&[prefix][..], &noise].concat(), msg.clone(), sig.clone()),
                5 => {
                    // The same key uncompressed, and in the hybrid encodings (0x06/0x07).
                    let point = k256::ecdsa::VerifyingKey::from_sec1_bytes(&pub_key)
                        .unwrap()
                        .to_encoded_point(false);
                    let mut bytes = point.as_bytes().to_vec();
                    bytes[0] = [0x04, 0x06, 0x07][usize::from(prefix % 3)];
                    if prefix % 4 == 3 {
                        // SEC1's "compact" form: 0x05 and x alone.
                        bytes = [&[0x05], &pub_key[1..]].concat();
                    }
                    (bytes, msg.clone(), sig.clone())
                }
                6 => (
                    pub_key.clone(),
                    msg.clone(),
                    [&sig[..32], &[0u8; 32][..]].concat(),
                ),
                _ => {
                    let mut s = sig.clone();
                    let i = usize::from(prefix) % s.len();
                    s[i] ^= 1 << (prefix % 8);
                    (pub_key.clone(), msg.clone(), s)
                }
            };
            let (lib, k256) = (
                verify_secp256k1(&k, &m, &s),
                verify_secp256k1_k256(&k, &m, &s),
            );
            prop_assert_eq!(lib, k256, "variant {}", variant);
            if variant == 0 {
                prop_assert!(lib, "a valid signature is accepted");
            }
            if variant == 1 || variant == 2 {
                prop_assert!(!lib, "variant {} is refused", variant);
            }
            accepted.set(accepted.get() + u32::from(lib));
            Ok(())
        })
        .unwrap();
    assert!(accepted.get() > 0);
}

/// The address the chain derives from a signer's key (libsecp256k1, hashing the compressed
/// encoding) is the one tendermint-rs and cosmrs derive, and both refuse the same byte strings.
#[test]
fn addresses_of_keys_match_tendermint_rs() {
    let mut runner = TestRunner::new(Config {
        cases: cases().saturating_mul(4),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        any::<[u8; 32]>(),
        0u8..4,
        any::<u8>(),
        proptest::collection::vec(any::<u8>(), 0..70),
    );
    runner
        .run(&strategy, |(seed, variant, prefix, noise)| {
            let Ok(key) = SigningKey::from_slice(&seed) else {
                return Ok(());
            };
            let compressed = key.public_key().to_bytes();
            let bytes = match variant {
                0 => compressed,
                1 => {
                    let point = k256::ecdsa::VerifyingKey::from_sec1_bytes(&compressed)
                        .unwrap()
                        .to_encoded_point(false);
                    let mut b = point.as_bytes().to_vec();
                    b[0] = [0x04, 0x06, 0x07][usize::from(prefix % 3)];
                    if prefix % 4 == 3 {
                        b = [&[0x05], &compressed[1..]].concat();
                    }
                    b
                }
                2 => [&[prefix][..], &compressed[1..]].concat(),
                _ => noise,
            };
            let ours = estuary_app::ante::address_of(&bytes).ok();
            let theirs = tendermint::PublicKey::from_raw_secp256k1(&bytes).and_then(|tm| {
                let id = cosmrs::crypto::PublicKey::from(tm)
                    .account_id("estuary")
                    .ok()?;
                estuary_sdk::Address::from_slice(&id.to_bytes()).ok()
            });
            prop_assert_eq!(ours, theirs, "variant {}", variant);
            if variant == 0 {
                prop_assert!(ours.is_some());
            }
            Ok(())
        })
        .unwrap();
}

/// State sync from hostile peers: random and well-formed-but-lying snapshot offers, chunks in
/// any order, with wrong hashes, out-of-range indexes and bytes that do or do not decode. The
/// app never panics, and the empty store stays empty unless a snapshot restores to the app
/// hash CometBFT verified (which no generated one can).
#[test]
fn hostile_snapshot_offers_and_chunks_never_restore_a_wrong_state() {
    use borsh::BorshSerialize;
    use estuary_app::snapshots::{Applied, SnapshotConfig, SnapshotMeta, Snapshots};
    use estuary_sdk::store::{Storage, StorageConfig};
    use sha2::Digest;
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(dir.path().join("state.redb"), StorageConfig::default()).unwrap();
    let snapshots = Snapshots::new(
        dir.path().join("snapshots"),
        SnapshotConfig {
            interval: 0,
            keep_recent: 2,
            chunk_bytes: 1 << 20,
        },
    );
    let chunk = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..120),
        // A chunk that decodes: (key, value) entries.
        proptest::collection::vec(
            (
                proptest::collection::vec(any::<u8>(), 0..8),
                proptest::collection::vec(any::<u8>(), 0..8)
            ),
            0..4
        )
        .prop_map(|entries| borsh::to_vec(&entries).unwrap()),
    ];
    let strategy = (
        any::<u64>(),
        0u32..3,
        any::<bool>(),
        proptest::collection::vec(any::<u8>(), 0..80),
        any::<[u8; 32]>(),
        proptest::collection::vec(chunk, 1..4),
        proptest::collection::vec((0u32..5, any::<bool>()), 0..8),
    );
    let mut runner = TestRunner::new(Config {
        cases: cases().saturating_mul(4),
        failure_persistence: None,
        ..Config::default()
    });
    let outcomes = std::cell::RefCell::new(BTreeMap::<String, u32>::new());
    runner
        .run(
            &strategy,
            |(height, format, well_formed, noise, trusted, chunks, order)| {
                let metadata = if well_formed {
                    let meta = SnapshotMeta {
                        app_hash: trusted,
                        chunk_hashes: chunks
                            .iter()
                            .map(|c| sha2::Sha256::digest(c).into())
                            .collect(),
                    };
                    let mut bytes = Vec::new();
                    meta.serialize(&mut bytes).unwrap();
                    bytes
                } else {
                    noise.clone()
                };
                let offer = snapshots.offer(&storage, height, format, &metadata, &trusted);
                *outcomes
                    .borrow_mut()
                    .entry(format!("offer {offer:?}"))
                    .or_default() += 1;
                // Every chunk in order, after the hostile sequence (so that the restore runs).
                let sequence = order
                    .iter()
                    .map(|&(i, corrupt)| (i, corrupt))
                    .chain((0..chunks.len() as u32).map(|i| (i, false)));
                for (index, corrupt) in sequence {
                    let mut bytes = chunks
                        .get(index as usize)
                        .cloned()
                        .unwrap_or_else(|| noise.clone());
                    if corrupt {
                        bytes.push(1);
                    }
                    let applied = snapshots.apply(&storage, index, &bytes, "peer");
                    *outcomes
                        .borrow_mut()
                        .entry(format!("apply {applied:?}"))
                        .or_default() += 1;
                    prop_assert!(
                        !matches!(applied, Applied::Accepted { done: true }),
                        "a lying snapshot was restored"
                    );
                }
                prop_assert!(storage.latest().is_none(), "the store stays empty");
                Ok(())
            },
        )
        .unwrap();
    let outcomes = outcomes.into_inner();
    println!("snapshot outcomes: {outcomes:?}");
    assert!(outcomes.contains_key("offer Accept"), "{outcomes:?}");
    assert!(
        outcomes.contains_key("apply RejectSnapshot"),
        "{outcomes:?}"
    );
    assert!(outcomes.contains_key("apply Refetch"), "{outcomes:?}");
}

/// Byte-level mutations of a transaction's encoding.
fn mutate(bytes: &mut Vec<u8>, mutations: &[Mutation]) {
    for m in mutations {
        let len = bytes.len().max(1);
        match *m {
            Mutation::Flip(i, x) => {
                if let Some(b) = bytes.get_mut(i % len) {
                    *b ^= x;
                }
            }
            Mutation::Insert(i, x) => bytes.insert(i % (bytes.len() + 1), x),
            Mutation::Delete(i) => {
                if !bytes.is_empty() {
                    bytes.remove(i % len);
                }
            }
            Mutation::Truncate(i) => bytes.truncate(i % len),
        }
    }
}

/// The multisig cases reach the chain's verification as a wallet would send them: two members'
/// signatures move funds; one, or a forged one, is refused with SDK code 4 and moves nothing.
#[test]
fn generated_multisig_sends_verify_as_the_sdk_verifies_them() {
    let mut net = Net::new();
    let ms = net.multisig().address();
    let before = net.a.balance(&ms);
    let two = net.multisig_send(0b101, None, 7, 0);
    let out = net.a.block(vec![two]);
    assert_eq!(out.tx_results[0].code, 0, "{}", out.tx_results[0].log);
    assert_eq!(net.a.balance(&ms), before - 7);
    for (signers, forge) in [(0b001, None), (0b011, Some((0, 1))), (0b000, None)] {
        let tx = net.multisig_send(signers, forge, 7, 1);
        let out = net.a.block(vec![tx]);
        assert_eq!(
            out.tx_results[0].code, 4,
            "{signers:03b}: {}",
            out.tx_results[0].log
        );
    }
    assert_eq!(net.a.balance(&ms), before - 7);
    let three = net.multisig_send(0b111, None, 5, 1);
    assert_eq!(net.a.block(vec![three]).tx_results[0].code, 0);
}
