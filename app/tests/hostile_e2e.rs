//! Hostile transactions through the real binaries (`estuaryd` under `cometbft`, over CometBFT's
//! RPC): malformed and extreme bank, validator, IBC core and ICS-20 messages, each signed by a
//! funded account and paying a fee. Each one is refused (in CheckTx, or by its failed result in a
//! block), the chain keeps making blocks after every one, and no balance moves but the fees of
//! the transactions that were included.
//!
//! With `ESTUARY_ESTUARYD` pointing at a release build, the same test checks that a release
//! `estuaryd` (overflow checks on) behaves identically.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    deprecated
)]

mod common;

use std::time::Duration;

use common::{rt, Net};
use cosmrs::Any;
use estuary_app::client::{sign_tx, TxPlan};
use estuary_app::keyring::{Backend, Keyring};
use estuary_sdk::Coin;
use ibc_proto::google::protobuf::{Any as IbcAny, Duration as PbDuration};
use ibc_proto::ibc::applications::transfer::v1::MsgTransfer;
use ibc_proto::ibc::core::channel::v1 as channel;
use ibc_proto::ibc::core::client::v1 as client;
use ibc_proto::ibc::core::connection::v1 as connection;
use ibc_proto::ibc::lightclients::tendermint::v1 as tm;
use prost::Message;

fn any(type_url: &str, value: Vec<u8>) -> Any {
    Any {
        type_url: type_url.into(),
        value,
    }
}

fn height(n: u64, h: u64) -> Option<client::Height> {
    Some(client::Height {
        revision_number: n,
        revision_height: h,
    })
}

fn client_state(chain_id: &str, num: u64, den: u64, trusting: i64, unbonding: i64) -> IbcAny {
    let secs = |s| {
        Some(PbDuration {
            seconds: s,
            nanos: 0,
        })
    };
    IbcAny {
        type_url: "/ibc.lightclients.tendermint.v1.ClientState".into(),
        value: tm::ClientState {
            chain_id: chain_id.into(),
            trust_level: Some(tm::Fraction {
                numerator: num,
                denominator: den,
            }),
            trusting_period: secs(trusting),
            unbonding_period: secs(unbonding),
            max_clock_drift: secs(10),
            frozen_height: height(0, 0),
            latest_height: height(1, 10),
            proof_specs: estuary_sdk::store::proof_specs(),
            upgrade_path: vec!["upgrade".into(), "upgradedIBCState".into()],
            allow_update_after_expiry: false,
            allow_update_after_misbehaviour: false,
        }
        .encode_to_vec(),
    }
}

fn consensus_state() -> IbcAny {
    IbcAny {
        type_url: "/ibc.lightclients.tendermint.v1.ConsensusState".into(),
        value: tm::ConsensusState {
            timestamp: Some(ibc_proto::google::protobuf::Timestamp {
                seconds: 1_700_000_000,
                nanos: 0,
            }),
            root: Some(ibc_proto::ibc::core::commitment::v1::MerkleRoot { hash: vec![1; 32] }),
            next_validators_hash: vec![2; 32],
        }
        .encode_to_vec(),
    }
}

fn packet(
    sequence: u64,
    timeout_height: Option<client::Height>,
    timeout_ts: u64,
) -> channel::Packet {
    channel::Packet {
        sequence,
        source_port: "transfer".into(),
        source_channel: "channel-7".into(),
        destination_port: "transfer".into(),
        destination_channel: "channel-0".into(),
        data: br#"{"amount":"340282366920938463463374607431768211455","denom":"stake","receiver":"x","sender":"y"}"#.to_vec(),
        timeout_height,
        timeout_timestamp: timeout_ts,
    }
}

fn transfer(sender: &str, receiver: String, amount: &str, memo: String, channel: &str) -> Any {
    any(
        "/ibc.applications.transfer.v1.MsgTransfer",
        MsgTransfer {
            source_port: "transfer".into(),
            source_channel: channel.into(),
            token: Some(ibc_proto::cosmos::base::v1beta1::Coin {
                denom: "stake".into(),
                amount: amount.into(),
            }),
            sender: sender.into(),
            receiver,
            timeout_height: None,
            timeout_timestamp: u64::MAX,
            memo,
        }
        .encode_to_vec(),
    )
}

fn send(from: &str, to: &str, coins: Vec<(&str, &str)>) -> Any {
    any(
        "/cosmos.bank.v1beta1.MsgSend",
        cosmrs::proto::cosmos::bank::v1beta1::MsgSend {
            from_address: from.into(),
            to_address: to.into(),
            amount: coins
                .into_iter()
                .map(|(d, a)| cosmrs::proto::cosmos::base::v1beta1::Coin {
                    denom: d.into(),
                    amount: a.into(),
                })
                .collect(),
        }
        .encode_to_vec(),
    )
}

/// What a case is: messages to sign, or bytes to tamper with after signing.
enum Case {
    Msgs(Vec<Any>),
    Tampered(Vec<Any>, fn(&mut Vec<u8>)),
}

fn cases(alice: &str, bob: &str) -> Vec<(&'static str, Case)> {
    use Case::*;
    let proof = vec![0x0a, 0x02, 0x01, 0x02];
    let mut v9_transfer = transfer(alice, bob.into(), "1", String::new(), "channel-0");
    for _ in 0..200 {
        let coin = ibc_proto::cosmos::base::v1beta1::Coin {
            denom: "stake".into(),
            amount: "1000".into(),
        };
        prost::encoding::message::encode(9, &coin, &mut v9_transfer.value);
    }
    let mut send_unknown = send(alice, bob, vec![("stake", "1")]);
    send_unknown.value.extend_from_slice(&[0xa8, 0x01, 0x01]); // field 21, varint
    let many_denoms: Vec<(&str, &str)> = vec![
        ("aaa", "1"),
        ("bbb", "1"),
        ("ccc", "1"),
        ("ddd", "1"),
        ("eee", "1"),
    ];
    vec![
        (
            "trust level 2^63/(2^64-1) in ConnOpenTry (the report's halting tx)",
            Msgs(vec![any(
                "/ibc.core.connection.v1.MsgConnectionOpenTry",
                connection::MsgConnectionOpenTry {
                    client_id: "07-tendermint-0".into(),
                    client_state: Some(client_state(
                        "estuary-hostile-1",
                        1 << 63,
                        u64::MAX,
                        100,
                        200,
                    )),
                    counterparty: Some(connection::Counterparty {
                        client_id: "07-tendermint-0".into(),
                        connection_id: "connection-0".into(),
                        prefix: Some(ibc_proto::ibc::core::commitment::v1::MerklePrefix {
                            key_prefix: b"ibc".to_vec(),
                        }),
                    }),
                    counterparty_versions: vec![connection::Version {
                        identifier: "1".into(),
                        features: vec!["ORDER_UNORDERED".into()],
                    }],
                    proof_height: height(1, 5),
                    proof_init: proof.clone(),
                    proof_client: proof.clone(),
                    proof_consensus: proof.clone(),
                    consensus_height: height(1, 3),
                    signer: alice.into(),
                    ..Default::default()
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "client with trust level 1/0",
            Msgs(vec![any(
                "/ibc.core.client.v1.MsgCreateClient",
                client::MsgCreateClient {
                    client_state: Some(client_state("other-1", 1, 0, 100, 200)),
                    consensus_state: Some(consensus_state()),
                    signer: alice.into(),
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "client whose trusting period exceeds its unbonding period",
            Msgs(vec![any(
                "/ibc.core.client.v1.MsgCreateClient",
                client::MsgCreateClient {
                    client_state: Some(client_state("other-1", 1, 3, 500, 200)),
                    consensus_state: Some(consensus_state()),
                    signer: alice.into(),
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "client with a 20 KB chain id",
            Msgs(vec![any(
                "/ibc.core.client.v1.MsgCreateClient",
                client::MsgCreateClient {
                    client_state: Some(client_state(&"c".repeat(20_000), 1, 3, 100, 200)),
                    consensus_state: Some(consensus_state()),
                    signer: alice.into(),
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "update of a client that does not exist, garbage header",
            Msgs(vec![any(
                "/ibc.core.client.v1.MsgUpdateClient",
                client::MsgUpdateClient {
                    client_id: "07-tendermint-99".into(),
                    client_message: Some(IbcAny {
                        type_url: "/ibc.lightclients.tendermint.v1.Header".into(),
                        value: vec![0x0a, 0x00],
                    }),
                    signer: alice.into(),
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "misbehaviour for a missing client",
            Msgs(vec![any(
                "/ibc.core.client.v1.MsgSubmitMisbehaviour",
                client::MsgSubmitMisbehaviour {
                    client_id: "07-tendermint-0".into(),
                    misbehaviour: Some(IbcAny {
                        type_url: "/ibc.lightclients.tendermint.v1.Misbehaviour".into(),
                        value: vec![],
                    }),
                    signer: alice.into(),
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "client upgrade with bogus proofs",
            Msgs(vec![any(
                "/ibc.core.client.v1.MsgUpgradeClient",
                client::MsgUpgradeClient {
                    client_id: "07-tendermint-0".into(),
                    client_state: Some(client_state("other-2", 1, 3, 100, 200)),
                    consensus_state: Some(consensus_state()),
                    proof_upgrade_client: proof.clone(),
                    proof_upgrade_consensus_state: proof.clone(),
                    signer: alice.into(),
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "connection init for a missing client, delay u64::MAX",
            Msgs(vec![any(
                "/ibc.core.connection.v1.MsgConnectionOpenInit",
                connection::MsgConnectionOpenInit {
                    client_id: "07-tendermint-42".into(),
                    counterparty: Some(connection::Counterparty {
                        client_id: "07-tendermint-0".into(),
                        connection_id: String::new(),
                        prefix: Some(ibc_proto::ibc::core::commitment::v1::MerklePrefix {
                            key_prefix: b"ibc".to_vec(),
                        }),
                    }),
                    version: None,
                    delay_period: u64::MAX,
                    signer: alice.into(),
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "connection ack with heights at u64::MAX",
            Msgs(vec![any(
                "/ibc.core.connection.v1.MsgConnectionOpenAck",
                connection::MsgConnectionOpenAck {
                    connection_id: "connection-0".into(),
                    counterparty_connection_id: "connection-9".into(),
                    version: Some(connection::Version {
                        identifier: "1".into(),
                        features: vec!["ORDER_UNORDERED".into()],
                    }),
                    client_state: Some(client_state("estuary-hostile-1", 1, 3, 100, 200)),
                    proof_height: height(u64::MAX, u64::MAX),
                    proof_try: proof.clone(),
                    proof_client: proof.clone(),
                    proof_consensus: proof.clone(),
                    consensus_height: height(u64::MAX, u64::MAX),
                    signer: alice.into(),
                    host_consensus_state_proof: vec![],
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "connection confirm with a bogus proof",
            Msgs(vec![any(
                "/ibc.core.connection.v1.MsgConnectionOpenConfirm",
                connection::MsgConnectionOpenConfirm {
                    connection_id: "connection-0".into(),
                    proof_ack: proof.clone(),
                    proof_height: height(1, 1),
                    signer: alice.into(),
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "channel init over a missing connection",
            Msgs(vec![any(
                "/ibc.core.channel.v1.MsgChannelOpenInit",
                channel::MsgChannelOpenInit {
                    port_id: "transfer".into(),
                    channel: Some(channel::Channel {
                        state: 1,
                        ordering: 1,
                        counterparty: Some(channel::Counterparty {
                            port_id: "transfer".into(),
                            channel_id: String::new(),
                        }),
                        connection_hops: vec!["connection-5".into()],
                        version: "ics20-1".into(),
                        upgrade_sequence: 0,
                    }),
                    signer: alice.into(),
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "channel try with a 20 KB version",
            Msgs(vec![any(
                "/ibc.core.channel.v1.MsgChannelOpenTry",
                channel::MsgChannelOpenTry {
                    port_id: "transfer".into(),
                    channel: Some(channel::Channel {
                        state: 2,
                        ordering: 1,
                        counterparty: Some(channel::Counterparty {
                            port_id: "transfer".into(),
                            channel_id: "channel-3".into(),
                        }),
                        connection_hops: vec!["connection-0".into()],
                        version: "v".repeat(20_000),
                        upgrade_sequence: 0,
                    }),
                    counterparty_version: "v".repeat(20_000),
                    proof_init: proof.clone(),
                    proof_height: height(1, 9),
                    signer: alice.into(),
                    ..Default::default()
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "channel ack for a missing channel",
            Msgs(vec![any(
                "/ibc.core.channel.v1.MsgChannelOpenAck",
                channel::MsgChannelOpenAck {
                    port_id: "transfer".into(),
                    channel_id: "channel-0".into(),
                    counterparty_channel_id: "channel-1".into(),
                    counterparty_version: "ics20-1".into(),
                    proof_try: proof.clone(),
                    proof_height: height(1, 2),
                    signer: alice.into(),
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "channel confirm with a bogus proof",
            Msgs(vec![any(
                "/ibc.core.channel.v1.MsgChannelOpenConfirm",
                channel::MsgChannelOpenConfirm {
                    port_id: "transfer".into(),
                    channel_id: "channel-0".into(),
                    proof_ack: proof.clone(),
                    proof_height: height(1, 2),
                    signer: alice.into(),
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "user close of a transfer channel",
            Msgs(vec![any(
                "/ibc.core.channel.v1.MsgChannelCloseInit",
                channel::MsgChannelCloseInit {
                    port_id: "transfer".into(),
                    channel_id: "channel-0".into(),
                    signer: alice.into(),
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "close confirm with a bogus proof",
            Msgs(vec![any(
                "/ibc.core.channel.v1.MsgChannelCloseConfirm",
                channel::MsgChannelCloseConfirm {
                    port_id: "transfer".into(),
                    channel_id: "channel-0".into(),
                    proof_init: proof.clone(),
                    proof_height: height(1, 2),
                    signer: alice.into(),
                    counterparty_upgrade_sequence: 0,
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "receive of sequence u64::MAX minting u128::MAX on an unknown channel",
            Msgs(vec![any(
                "/ibc.core.channel.v1.MsgRecvPacket",
                channel::MsgRecvPacket {
                    packet: Some(packet(u64::MAX, height(1, u64::MAX), u64::MAX)),
                    proof_commitment: proof.clone(),
                    proof_height: height(1, 3),
                    signer: alice.into(),
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "acknowledgement with a forged proof",
            Msgs(vec![any(
                "/ibc.core.channel.v1.MsgAcknowledgement",
                channel::MsgAcknowledgement {
                    packet: Some(packet(1, height(1, 100), 0)),
                    acknowledgement: br#"{"result":"AQ=="}"#.to_vec(),
                    proof_acked: proof.clone(),
                    proof_height: height(1, 3),
                    signer: alice.into(),
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "timeout at height u64::MAX",
            Msgs(vec![any(
                "/ibc.core.channel.v1.MsgTimeout",
                channel::MsgTimeout {
                    packet: Some(packet(1, height(u64::MAX, u64::MAX), u64::MAX)),
                    proof_unreceived: proof.clone(),
                    proof_height: height(u64::MAX, u64::MAX),
                    next_sequence_recv: u64::MAX,
                    signer: alice.into(),
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "timeout on close with forged proofs",
            Msgs(vec![any(
                "/ibc.core.channel.v1.MsgTimeoutOnClose",
                channel::MsgTimeoutOnClose {
                    packet: Some(packet(2, height(1, 5), 0)),
                    proof_unreceived: proof.clone(),
                    proof_close: proof.clone(),
                    proof_height: height(1, 6),
                    next_sequence_recv: 3,
                    signer: alice.into(),
                    counterparty_upgrade_sequence: 0,
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "transfer with a 32,769-byte memo",
            Msgs(vec![transfer(
                alice,
                bob.into(),
                "1",
                "m".repeat(32_769),
                "channel-0",
            )]),
        ),
        (
            "transfer to a 2,049-byte receiver",
            Msgs(vec![transfer(
                alice,
                "r".repeat(2_049),
                "1",
                String::new(),
                "channel-0",
            )]),
        ),
        (
            "transfer carrying ibc-go v9's tokens field with 200 coins",
            Msgs(vec![v9_transfer]),
        ),
        (
            "transfer of 2^128 tokens",
            Msgs(vec![transfer(
                alice,
                bob.into(),
                "340282366920938463463374607431768211456",
                String::new(),
                "channel-0",
            )]),
        ),
        (
            "transfer of u128::MAX over channel-18446744073709551615",
            Msgs(vec![transfer(
                alice,
                bob.into(),
                &u128::MAX.to_string(),
                String::new(),
                "channel-18446744073709551615",
            )]),
        ),
        (
            "send of u128::MAX",
            Msgs(vec![send(
                alice,
                bob,
                vec![("stake", &u128::MAX.to_string())],
            )]),
        ),
        (
            "send of five denominations nobody holds",
            Msgs(vec![send(alice, bob, many_denoms)]),
        ),
        ("send with an unknown field", Msgs(vec![send_unknown])),
        (
            "send with a 20 KB denomination",
            Msgs(vec![send(
                alice,
                bob,
                vec![(&*"d".repeat(20_000).leak(), "1")],
            )]),
        ),
        (
            "validator power u64::MAX (a total CometBFT would refuse)",
            Msgs(vec![any(
                "/estuary.validators.v1.MsgSetValidatorPower",
                estuary_validators::MsgSetValidatorPower {
                    authority: alice.into(),
                    name: "x".into(),
                    pub_key: vec![5; 32],
                    power: u64::MAX,
                    operator: String::new(),
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "IBC software upgrade whose client state is no Tendermint client",
            Msgs(vec![any(
                "/ibc.core.client.v1.MsgIBCSoftwareUpgrade",
                client::MsgIbcSoftwareUpgrade {
                    plan: Some(ibc_proto::cosmos::upgrade::v1beta1::Plan {
                        name: "x".into(),
                        height: i64::MAX,
                        ..Default::default()
                    }),
                    upgraded_client_state: Some(IbcAny {
                        type_url: "/ibc.lightclients.solomachine.v3.ClientState".into(),
                        value: vec![0xff; 64],
                    }),
                    signer: alice.into(),
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "IBC software upgrade to a client whose height is not in its chain's revision, at height -1",
            Msgs(vec![any(
                "/ibc.core.client.v1.MsgIBCSoftwareUpgrade",
                client::MsgIbcSoftwareUpgrade {
                    plan: Some(ibc_proto::cosmos::upgrade::v1beta1::Plan {
                        name: "x".into(),
                        height: -1,
                        ..Default::default()
                    }),
                    upgraded_client_state: Some(client_state("estuary-x-2", 0, 0, 0, 100)),
                    signer: alice.into(),
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "gov proposal with a deposit of 2^128 and a nested proposal",
            Msgs(vec![any(
                "/cosmos.gov.v1.MsgSubmitProposal",
                cosmrs::proto::cosmos::gov::v1::MsgSubmitProposal {
                    messages: vec![cosmrs::Any {
                        type_url: "/cosmos.gov.v1.MsgSubmitProposal".into(),
                        value: vec![0x0a, 0x00],
                    }],
                    initial_deposit: vec![cosmrs::proto::cosmos::base::v1beta1::Coin {
                        denom: "stake".into(),
                        amount: "340282366920938463463374607431768211456".into(),
                    }],
                    proposer: alice.into(),
                    title: "t".repeat(10_000),
                    ..Default::default()
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "gov vote on proposal u64::MAX with option 99",
            Msgs(vec![any(
                "/cosmos.gov.v1.MsgVote",
                cosmrs::proto::cosmos::gov::v1::MsgVote {
                    proposal_id: u64::MAX,
                    voter: alice.into(),
                    option: 99,
                    metadata: String::new(),
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "gov cancellation of proposal u64::MAX",
            Msgs(vec![any(
                "/cosmos.gov.v1.MsgCancelProposal",
                cosmrs::proto::cosmos::gov::v1::MsgCancelProposal {
                    proposal_id: u64::MAX,
                    proposer: alice.into(),
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "rate limit of 255% on channel-18446744073709551615 for u64::MAX hours",
            Msgs(vec![any(
                "/ibc.applications.rate_limiting.v1.MsgAddRateLimit",
                estuary_ibc::rate_limit::types::MsgAddRateLimit {
                    signer: alice.into(),
                    denom: "stake".into(),
                    channel_or_client_id: "channel-18446744073709551615".into(),
                    max_percent_send: "255".into(),
                    max_percent_recv: "-1".into(),
                    duration_hours: u64::MAX,
                }
                .encode_to_vec(),
            )]),
        ),
        (
            "message type nobody routes",
            Msgs(vec![any(
                "/cosmos.staking.v1beta1.MsgDelegate",
                vec![0x0a, 0x01, 0x61],
            )]),
        ),
        (
            "byte appended to a signed transaction",
            Tampered(vec![send(alice, bob, vec![("stake", "1")])], |b| b.push(0)),
        ),
        (
            "unknown field appended to a signed transaction",
            Tampered(vec![send(alice, bob, vec![("stake", "1")])], |b| {
                b.extend_from_slice(&[0x22, 0x00])
            }),
        ),
    ]
}

#[test]
fn hostile_transactions_change_nothing_but_fees_and_never_stop_the_chain() {
    if estuary_interop::skip_without(
        "hostile_transactions_change_nothing_but_fees_and_never_stop_the_chain",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    let mut net = Net::new("estuary-hostile-1", 1, 0);
    net.start_all();
    let (alice, bob) = (net.address("alice"), net.address("bob"));
    let key = Keyring::new(net.nodes[0].home.join("keyring-test"), Backend::Test, None)
        .signing_key("alice")
        .unwrap();
    let node = net.rpc(0);
    let (alice_start, bob_start, supply) = (
        net.balance(0, &alice, "stake"),
        net.balance(0, &bob, "stake"),
        net.supply(0, "stake"),
    );
    let cases = cases(&alice, &bob);
    assert!(cases.len() >= 25);
    let mut fees_paid = 0u128;
    let mut in_blocks = 0;
    for (name, case) in cases {
        let account = rt().block_on(node.account(&alice)).unwrap();
        let (msgs, tamper) = match case {
            Case::Msgs(m) => (m, None),
            Case::Tampered(m, f) => (m, Some(f)),
        };
        let mut bytes = sign_tx(&TxPlan {
            key: &key,
            chain_id: "estuary-hostile-1",
            account_number: account.account_number,
            sequence: account.sequence,
            messages: msgs,
            fee: vec![Coin::new(1, "stake").unwrap()],
            gas_limit: 3_000_000,
            memo: String::new(),
            timeout_height: 0,
        })
        .unwrap();
        if let Some(f) = tamper {
            f(&mut bytes);
        }
        let before = net.height(0).unwrap();
        let report = rt()
            .block_on(node.broadcast(bytes, Some(Duration::from_secs(20))))
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        println!(
            "{name}: {} {}/{} {}",
            report.stage,
            report.codespace,
            report.code,
            report.log.chars().take(160).collect::<String>()
        );
        assert_ne!(report.code, 0, "{name} was accepted: {}", report.log);
        assert_ne!(
            report.code, 111222,
            "{name} reached a panic: {}",
            report.log
        );
        assert!(
            !report.log.contains(".rs:"),
            "{name}: a source path in the log"
        );
        if report.stage == "block" {
            fees_paid += 1;
            in_blocks += 1;
        }
        // The chain goes on after every one.
        net.wait_height(0, before + 2, Duration::from_secs(30));
    }
    println!("{in_blocks} of the hostile transactions were included in blocks and failed there");
    assert!(
        in_blocks >= 10,
        "most cases must reach FinalizeBlock, not only CheckTx"
    );
    assert_eq!(net.balance(0, &alice, "stake"), alice_start - fees_paid);
    assert_eq!(net.balance(0, &bob, "stake"), bob_start);
    assert_eq!(net.supply(0, "stake"), supply, "nothing minted or burnt");
    // Still serving: an honest send goes through.
    let out = net.json(
        0,
        &[
            "tx", "bank", "send", "alice", &bob, "3stake", "--yes", "--wait",
        ],
    );
    assert_eq!(out["code"], 0, "{out}");
    assert_eq!(net.balance(0, &bob, "stake"), bob_start + 3);
}
