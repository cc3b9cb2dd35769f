//! IBC core through the app's transaction pipeline: ICS-02 client creation with ibc-go's protobuf
//! messages, ibc-go's store layout, and proofs of it against the app hash.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::inproc::*;
use cosmrs::Any;
use estuary_sdk::store::{verify_membership, verify_non_membership, Substore};
use ibc_proto::google::protobuf::{Duration, Timestamp};
use ibc_proto::ibc::core::client::v1::{Height, MsgCreateClient, MsgUpdateClient};
use ibc_proto::ibc::core::commitment::v1::MerkleRoot;
use ibc_proto::ibc::lightclients::tendermint::v1::{ClientState, ConsensusState, Fraction};
use prost::Message;

#[allow(deprecated)] // ibc-go still sends the two allow_update fields; so do we.
fn client_state(latest: u64) -> Any {
    let cs = ClientState {
        chain_id: "counterparty-1".into(),
        trust_level: Some(Fraction {
            numerator: 1,
            denominator: 3,
        }),
        trusting_period: Some(Duration {
            seconds: 14 * 86_400,
            nanos: 0,
        }),
        unbonding_period: Some(Duration {
            seconds: 21 * 86_400,
            nanos: 0,
        }),
        max_clock_drift: Some(Duration {
            seconds: 10,
            nanos: 0,
        }),
        frozen_height: Some(Height {
            revision_number: 0,
            revision_height: 0,
        }),
        latest_height: Some(Height {
            revision_number: 1,
            revision_height: latest,
        }),
        proof_specs: vec![ics23::iavl_spec(), ics23::tendermint_spec()],
        upgrade_path: vec!["upgrade".into(), "upgradedIBCState".into()],
        allow_update_after_expiry: false,
        allow_update_after_misbehaviour: false,
    };
    Any {
        type_url: "/ibc.lightclients.tendermint.v1.ClientState".into(),
        value: cs.encode_to_vec(),
    }
}

fn consensus_state(unix_secs: i64) -> Any {
    let cs = ConsensusState {
        timestamp: Some(Timestamp {
            seconds: unix_secs,
            nanos: 0,
        }),
        root: Some(MerkleRoot { hash: vec![7; 32] }),
        next_validators_hash: vec![9; 32],
    };
    Any {
        type_url: "/ibc.lightclients.tendermint.v1.ConsensusState".into(),
        value: cs.encode_to_vec(),
    }
}

fn create_client(signer: &str) -> Any {
    let msg = MsgCreateClient {
        client_state: Some(client_state(10)),
        consensus_state: Some(consensus_state(1_767_225_000)),
        signer: signer.into(),
    };
    Any {
        type_url: "/ibc.core.client.v1.MsgCreateClient".into(),
        value: msg.encode_to_vec(),
    }
}

#[test]
fn create_client_stores_ibc_go_layout_and_proves_it() {
    let (mut chain, ka, a, ..) = setup();
    chain.block(vec![]);
    let out = chain.block(vec![Tx::new(
        &ka,
        0,
        0,
        vec![create_client(&a.to_bech32())],
    )
    .bytes()]);
    let r = &out.tx_results[0];
    assert_eq!(r.code, 0, "{}", r.log);
    let created = r
        .events
        .iter()
        .find(|e| e.kind == "create_client")
        .expect("create_client event");
    assert_eq!(created.get("client_id"), Some("07-tendermint-0"));
    assert_eq!(created.get("client_type"), Some("07-tendermint"));
    assert_eq!(created.get("consensus_height"), Some("1-10"));
    assert!(r
        .events
        .iter()
        .any(|e| e.kind == "message" && e.get("module") == Some("ibc")));

    // The client state is where ibc-go keeps it, proven against the app hash.
    let app_hash = chain.app_hash();
    let path = b"clients/07-tendermint-0/clientState";
    let q = estuary_app::query::handle(&chain.app, "store/ibc/key", path, 0, true);
    assert_eq!(q.code, 0, "{}", q.log);
    let stored = cosmrs::Any::decode(q.value.as_slice()).unwrap();
    assert_eq!(
        stored.type_url,
        "/ibc.lightclients.tendermint.v1.ClientState"
    );
    let decoded = ClientState::decode(stored.value.as_slice()).unwrap();
    assert_eq!(decoded.chain_id, "counterparty-1");
    assert!(verify_membership(
        q.proof.as_ref().unwrap(),
        &app_hash,
        Substore::Ibc,
        path,
        &q.value
    ));

    let cons = b"clients/07-tendermint-0/consensusStates/1-10";
    let q = estuary_app::query::handle(&chain.app, "store/ibc/key", cons, 0, true);
    assert!(verify_membership(
        q.proof.as_ref().unwrap(),
        &app_hash,
        Substore::Ibc,
        cons,
        &q.value
    ));
    let absent = b"clients/07-tendermint-1/clientState";
    let q = estuary_app::query::handle(&chain.app, "store/ibc/key", absent, 0, true);
    assert!(q.value.is_empty());
    assert!(verify_non_membership(
        q.proof.as_ref().unwrap(),
        &app_hash,
        Substore::Ibc,
        absent
    ));

    let seq =
        estuary_app::query::handle(&chain.app, "store/ibc/key", b"nextClientSequence", 0, false);
    assert_eq!(
        seq.value,
        1u64.to_be_bytes().to_vec(),
        "counters are 8-byte big-endian"
    );

    let out = chain.block(vec![Tx::new(
        &ka,
        0,
        1,
        vec![create_client(&a.to_bech32())],
    )
    .bytes()]);
    let created = out.tx_results[0]
        .events
        .iter()
        .find(|e| e.kind == "create_client")
        .unwrap();
    assert_eq!(created.get("client_id"), Some("07-tendermint-1"));
}

#[test]
fn bad_ibc_messages_are_rejected_and_change_nothing() {
    let (mut chain, ka, a, _kb, b) = setup();
    chain.block(vec![]);
    assert_eq!(
        chain
            .block(vec![Tx::new(
                &ka,
                0,
                0,
                vec![create_client(&a.to_bech32())]
            )
            .bytes()])
            .tx_results[0]
            .code,
        0
    );
    let before = chain.module_state();

    // A header that is not a header: the light client refuses it.
    let bogus = MsgUpdateClient {
        client_id: "07-tendermint-0".into(),
        client_message: Some(Any {
            type_url: "/ibc.lightclients.tendermint.v1.Header".into(),
            value: vec![1, 2, 3],
        }),
        signer: a.to_bech32(),
    };
    let update = Any {
        type_url: "/ibc.core.client.v1.MsgUpdateClient".into(),
        value: bogus.encode_to_vec(),
    };
    // A client that does not exist.
    let missing = MsgUpdateClient {
        client_id: "07-tendermint-9".into(),
        ..bogus.clone()
    };
    let missing = Any {
        type_url: "/ibc.core.client.v1.MsgUpdateClient".into(),
        value: missing.encode_to_vec(),
    };
    // A client that is created frozen.
    let mut frozen = ClientState::decode(client_state(10).value.as_slice()).unwrap();
    frozen.frozen_height = Some(Height {
        revision_number: 1,
        revision_height: 5,
    });
    let frozen_msg = MsgCreateClient {
        client_state: Some(Any {
            type_url: "/ibc.lightclients.tendermint.v1.ClientState".into(),
            value: frozen.encode_to_vec(),
        }),
        consensus_state: Some(consensus_state(1_767_225_000)),
        signer: a.to_bech32(),
    };
    let frozen_msg = Any {
        type_url: "/ibc.core.client.v1.MsgCreateClient".into(),
        value: frozen_msg.encode_to_vec(),
    };

    let txs = vec![
        Tx::new(&ka, 0, 1, vec![update]).bytes(),
        Tx::new(&ka, 0, 2, vec![missing]).bytes(),
        Tx::new(&ka, 0, 3, vec![frozen_msg]).bytes(),
    ];
    let out = chain.block(txs);
    for r in &out.tx_results {
        assert_ne!(r.code, 0, "must be rejected");
        assert!(!r.log.is_empty());
    }
    // A message whose signer field is someone who did not sign the transaction.
    let out = chain.block(vec![Tx::new(
        &ka,
        0,
        4,
        vec![create_client(&b.to_bech32())],
    )
    .bytes()]);
    assert_ne!(out.tx_results[0].code, 0);

    // Only the sequences moved (failed messages still count, as in the SDK).
    let without_accounts = |mut v: serde_json::Value| {
        v["auth"]["accounts"] = serde_json::Value::Null;
        v
    };
    assert_eq!(
        without_accounts(before),
        without_accounts(chain.module_state())
    );
    let q = estuary_app::query::handle(
        &chain.app,
        "store/ibc/key",
        b"clients/07-tendermint-1/clientState",
        0,
        false,
    );
    assert!(q.value.is_empty(), "no second client was created");
}
