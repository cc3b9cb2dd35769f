//! An IBC upgrade in process: `MsgIBCSoftwareUpgrade` (the authority only) schedules the plan and
//! commits to the upgraded client with its custom fields zeroed; the block before the plan's
//! height writes the upgraded consensus state; both are proven from the `upgrade` substore at
//! ibc-go's paths — checked with ibc-rs's own ICS-07 upgrade verification, as a counterparty
//! runs it — and a cancelled or replaced plan takes them away.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::inproc::*;
use cosmrs::Any;
use estuary_app::app::BlockOutcome;
use estuary_auth::AuthReader;
use estuary_sdk::store::Substore;
use estuary_sdk::BlockInfo;
use ibc_proto::ibc::lightclients::tendermint::v1 as tm;
use prost::Message;

const UPGRADE: &str = "/ibc.core.client.v1.MsgIBCSoftwareUpgrade";
const NEXT_VALIDATORS: [u8; 32] = [0xAB; 32];

/// A chain whose validators admin is `key(1)`; `key(2)` is anyone else.
fn chain() -> Chain {
    let (admin, other) = (addr(&key(1)), addr(&key(2)));
    let mut state: serde_json::Value =
        serde_json::from_slice(&genesis_json(&[(admin, 1_000_000), (other, 1_000_000)])).unwrap();
    state["validators"]["admin"] = serde_json::json!(admin);
    Chain::with_genesis(serde_json::to_vec(&state).unwrap())
}

/// A block whose header names `NEXT_VALIDATORS` as the next validators' hash.
fn block(chain: &mut Chain, txs: Vec<Vec<u8>>) -> BlockOutcome {
    chain.height += 1;
    let info = BlockInfo {
        height: chain.height,
        time_unix_nanos: (1_767_225_600 + chain.height as i128) * 1_000_000_000 + 250,
        chain_id: CHAIN.into(),
        next_validators_hash: NEXT_VALIDATORS.to_vec(),
        ..Default::default()
    };
    let out = chain.app.finalize_block(info, &txs);
    chain.app.commit();
    out
}

fn submit(chain: &mut Chain, signer: u8, msg: Any) -> BlockOutcome {
    let k = key(signer);
    let account = chain.app.storage().account(&addr(&k)).unwrap().unwrap();
    let tx = Tx::new(&k, account.account_number, account.sequence, vec![msg]);
    block(chain, vec![tx.bytes()])
}

#[allow(deprecated)] // allow_update_* and the plan's time and client state stay empty
fn upgraded_client(chain_id: &str, revision: u64, height: u64) -> tm::ClientState {
    let secs = |s: i64| {
        Some(ibc_proto::google::protobuf::Duration {
            seconds: s,
            nanos: 0,
        })
    };
    tm::ClientState {
        chain_id: chain_id.into(),
        trust_level: Some(tm::Fraction {
            numerator: 1,
            denominator: 3,
        }),
        trusting_period: secs(14 * 86_400),
        unbonding_period: secs(21 * 86_400),
        max_clock_drift: secs(20),
        frozen_height: Some(Default::default()),
        latest_height: Some(ibc_proto::ibc::core::client::v1::Height {
            revision_number: revision,
            revision_height: height,
        }),
        proof_specs: estuary_sdk::store::proof_specs(),
        upgrade_path: vec!["upgrade".into(), "upgradedIBCState".into()],
        allow_update_after_expiry: false,
        allow_update_after_misbehaviour: false,
    }
}

#[allow(deprecated)]
fn schedule(signer: u8, name: &str, height: u64, client: Option<(&str, Vec<u8>)>) -> Any {
    let msg = ibc_proto::ibc::core::client::v1::MsgIbcSoftwareUpgrade {
        plan: Some(ibc_proto::cosmos::upgrade::v1beta1::Plan {
            name: name.into(),
            height: height as i64,
            ..Default::default()
        }),
        upgraded_client_state: client.map(|(type_url, value)| ibc_proto::google::protobuf::Any {
            type_url: type_url.into(),
            value,
        }),
        signer: addr(&key(signer)).to_bech32(),
    };
    Any {
        type_url: UPGRADE.into(),
        value: msg.encode_to_vec(),
    }
}

fn tm_client(cs: &tm::ClientState) -> Option<(&'static str, Vec<u8>)> {
    Some((
        "/ibc.lightclients.tendermint.v1.ClientState",
        cs.encode_to_vec(),
    ))
}

fn read(chain: &Chain, key: &str) -> Option<Vec<u8>> {
    chain.app.storage().get_latest(key.as_bytes()).unwrap()
}

fn log(out: &BlockOutcome) -> String {
    out.tx_results[0].log.clone()
}

#[test]
fn an_ibc_upgrade_commits_to_the_upgraded_client_and_the_last_block_to_its_consensus_state() {
    let mut chain = chain();
    block(&mut chain, vec![]);
    // Past the five refusals and the scheduling, each a block.
    let h = chain.height + 12;
    let client = upgraded_client("estuary-test-2", 2, h - 1);

    // Refused: anyone but the authority; no client state, or one of another type; a latest
    // height outside the new chain id's revision; a plan in the past.
    let refusals = [
        (schedule(2, "v2", h, tm_client(&client)), "authority"),
        (schedule(1, "v2", h, None), "upgraded client state: missing"),
        (
            schedule(
                1,
                "v2",
                h,
                Some(("/ibc.lightclients.solomachine.v3.ClientState", vec![])),
            ),
            "tendermint",
        ),
        (
            schedule(
                1,
                "v2",
                h,
                tm_client(&upgraded_client("estuary-test-2", 3, 5)),
            ),
            "not in revision 2",
        ),
        (
            schedule(1, "v2", 1, tm_client(&client)),
            "cannot be scheduled in the past",
        ),
    ];
    for (msg, why) in refusals {
        let out = submit(&mut chain, if why == "authority" { 2 } else { 1 }, msg);
        assert_ne!(out.tx_results[0].code, 0, "{why}");
        assert!(log(&out).contains(why), "{why}: {}", log(&out));
    }
    assert!(read(&chain, "upgrade/plan").is_none(), "nothing scheduled");

    let out = submit(&mut chain, 1, schedule(1, "v2", h, tm_client(&client)));
    assert_eq!(out.tx_results[0].code, 0, "{}", log(&out));
    assert!(out.tx_results[0]
        .events
        .iter()
        .any(|e| e.kind == "schedule_ibc_software_upgrade"));
    // Stored as an Any, with what each counterparty chose for its client zeroed.
    let client_key = format!("upgrade/upgradedIBCState/{h}/upgradedClient");
    let cons_key = format!("upgrade/upgradedIBCState/{h}/upgradedConsState");
    let stored = ibc_proto::google::protobuf::Any::decode(
        read(&chain, &client_key)
            .expect("upgraded client")
            .as_slice(),
    )
    .unwrap();
    let stored_cs = tm::ClientState::decode(stored.value.as_slice()).unwrap();
    assert_eq!(stored_cs.chain_id, "estuary-test-2");
    assert_eq!(stored_cs.trust_level.unwrap().denominator, 0);
    assert_eq!(stored_cs.trusting_period.unwrap().seconds, 0);
    assert_eq!(stored_cs.max_clock_drift.unwrap().seconds, 0);
    assert_eq!(stored_cs.unbonding_period.unwrap().seconds, 21 * 86_400);
    assert_eq!(Substore::route(client_key.as_bytes()).0, Substore::Upgrade);

    let before = estuary_app::query::handle(
        &chain.app,
        "/ibc.core.client.v1.Query/UpgradedConsensusState",
        &[],
        0,
        false,
    );
    assert_ne!(before.code, 0, "no upgraded consensus state yet");
    // Not before the last block before the height.
    while chain.height < h - 2 {
        block(&mut chain, vec![]);
        assert!(read(&chain, &cons_key).is_none());
    }
    let out = block(&mut chain, vec![]);
    assert_eq!(chain.height, h - 1);
    assert!(out.events.iter().any(|e| e.kind == "upgrade_chain"));
    let cons_any =
        ibc_proto::google::protobuf::Any::decode(read(&chain, &cons_key).unwrap().as_slice())
            .unwrap();
    let cons = tm::ConsensusState::decode(cons_any.value.as_slice()).unwrap();
    let t = cons.timestamp.unwrap();
    assert_eq!((t.seconds, t.nanos), (1_767_225_600 + (h - 1) as i64, 250));
    assert_eq!(cons.next_validators_hash, NEXT_VALIDATORS);

    // ibc-go's queries serve both (ABCI here; gRPC and REST through the same registry).
    let q = |path: &str| estuary_app::query::handle(&chain.app, path, &[], 0, false);
    let r = q("/ibc.core.client.v1.Query/UpgradedClientState");
    assert_eq!(r.code, 0, "{}", r.log);
    let r = ibc_proto::ibc::core::client::v1::QueryUpgradedClientStateResponse::decode(
        r.value.as_slice(),
    )
    .unwrap();
    assert_eq!(r.upgraded_client_state.unwrap().value, stored.value);
    let r = q("/ibc.core.client.v1.Query/UpgradedConsensusState");
    assert_eq!(r.code, 0, "{}", r.log);
    let r = ibc_proto::ibc::core::client::v1::QueryUpgradedConsensusStateResponse::decode(
        r.value.as_slice(),
    )
    .unwrap();
    assert_eq!(r.upgraded_consensus_state.unwrap().value, cons_any.value);

    // A counterparty's client of this chain at the height the chain stops at (whose root is
    // the state after block h-1) verifies both with ibc-rs's ICS-07 upgrade check.
    let version = h - 1;
    let app_hash = chain.app.last_commit().unwrap().app_hash;
    let proof = |key: &str| {
        let (_, p) = chain
            .app
            .storage()
            .get_with_proof(key.as_bytes(), version)
            .unwrap();
        ibc_proto::ibc::core::commitment::v1::MerkleProof { proofs: p.proofs }.encode_to_vec()
    };
    use ibc_core::client::context::client_state::ClientStateCommon;
    let current: ibc_client_tendermint::types::ClientState =
        upgraded_client(CHAIN, 1, h).try_into().unwrap();
    let current = ibc_client_tendermint::client_state::ClientState::from(current);
    let as_ibc_any = |a: &ibc_proto::google::protobuf::Any| ibc_core::primitives::proto::Any {
        type_url: a.type_url.clone(),
        value: a.value.clone(),
    };
    let root = ibc_core::commitment_types::commitment::CommitmentRoot::from_bytes(&app_hash);
    current
        .verify_upgrade_client(
            as_ibc_any(&stored),
            as_ibc_any(&cons_any),
            proof(&client_key).try_into().unwrap(),
            proof(&cons_key).try_into().unwrap(),
            &root,
        )
        .expect("a counterparty's client accepts the upgrade");
    // A client whose latest height is another than the upgrade's looks elsewhere: refused.
    let elsewhere = ibc_client_tendermint::client_state::ClientState::from(
        ibc_client_tendermint::types::ClientState::try_from(upgraded_client(CHAIN, 1, h - 1))
            .unwrap(),
    );
    assert!(elsewhere
        .verify_upgrade_client(
            as_ibc_any(&stored),
            as_ibc_any(&cons_any),
            proof(&client_key).try_into().unwrap(),
            proof(&cons_key).try_into().unwrap(),
            &root,
        )
        .is_err());

    // Exported and imported, the plan keeps its upgraded states.
    let exported = chain.module_state();
    assert_eq!(
        exported["upgrade"]["plan"]["upgraded_client_state"],
        hex::encode(read(&chain, &client_key).unwrap())
    );
}

/// A replaced plan's upgraded states go with it — even the consensus state its last block
/// wrote — and a cancelled plan's too: no counterparty can prove them any more.
#[test]
fn a_replaced_or_cancelled_ibc_upgrade_takes_its_upgraded_states_away() {
    let mut chain = chain();
    block(&mut chain, vec![]);
    let h = chain.height + 4;
    let client = upgraded_client("estuary-test-2", 2, h - 1);
    let out = submit(&mut chain, 1, schedule(1, "v2", h, tm_client(&client)));
    assert_eq!(out.tx_results[0].code, 0, "{}", log(&out));
    while chain.height < h - 2 {
        block(&mut chain, vec![]);
    }
    // Block h-1 writes the consensus state first, then its transaction replaces the plan.
    let later = h + 10;
    let out = submit(&mut chain, 1, schedule(1, "v3", later, tm_client(&client)));
    assert_eq!(chain.height, h - 1);
    assert_eq!(out.tx_results[0].code, 0, "{}", log(&out));
    assert!(out.events.iter().any(|e| e.kind == "upgrade_chain"));
    for key in ["upgradedClient", "upgradedConsState"] {
        assert!(
            read(&chain, &format!("upgrade/upgradedIBCState/{h}/{key}")).is_none(),
            "{key} of the replaced plan"
        );
    }
    let later_client = format!("upgrade/upgradedIBCState/{later}/upgradedClient");
    assert!(read(&chain, &later_client).is_some());
    let cancel = Any {
        type_url: "/cosmos.upgrade.v1beta1.MsgCancelUpgrade".into(),
        value: cosmrs::proto::cosmos::upgrade::v1beta1::MsgCancelUpgrade {
            authority: addr(&key(1)).to_bech32(),
        }
        .encode_to_vec(),
    };
    let out = submit(&mut chain, 1, cancel);
    assert_eq!(out.tx_results[0].code, 0, "{}", log(&out));
    assert!(read(&chain, &later_client).is_none());
    assert!(read(&chain, "upgrade/plan").is_none());
}

#[test]
fn an_exported_plan_with_its_upgraded_states_imports_to_the_same_state() {
    let mut chain = chain();
    block(&mut chain, vec![]);
    let h = chain.height + 3;
    let out = submit(
        &mut chain,
        1,
        schedule(
            1,
            "v2",
            h,
            tm_client(&upgraded_client("estuary-test-2", 2, h - 1)),
        ),
    );
    assert_eq!(out.tx_results[0].code, 0, "{}", log(&out));
    block(&mut chain, vec![]);
    assert_eq!(chain.height, h - 1);
    let exported = chain.module_state();
    assert!(exported["upgrade"]["plan"]["upgraded_consensus_state"].is_string());
    let mut app_state = chain
        .app
        .modules()
        .export_genesis(chain.app.storage())
        .unwrap();
    app_state["ibc"]["host_headers"] = serde_json::json!([]);
    let imported = Chain::with_genesis(serde_json::to_vec(&app_state).unwrap());
    assert_eq!(imported.module_state(), exported);
}
