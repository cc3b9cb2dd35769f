//! The transaction pipeline driven in-process through the same entry points CometBFT calls
//! (InitChain, CheckTx, FinalizeBlock, Commit), with real signed Cosmos SDK transactions.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::inproc::*;
use cosmrs::proto::cosmos::tx::v1beta1::TxRaw;
use cosmrs::Any;
use estuary_app::app::AppConfig;
use estuary_auth::AuthReader;
use estuary_bank::BankReader;
use estuary_sdk::{Address, BlockInfo, Denom};
use prost::Message;

#[test]
fn send_moves_tokens_and_keeps_supply() {
    let (mut chain, ka, a, _kb, b) = setup();
    let mut tx = Tx::new(&ka, 0, 0, vec![send_msg(&a, &b.to_bech32(), "700")]);
    tx.fee = 50;
    let out = chain.block(vec![tx.bytes()]);
    assert_eq!(out.tx_results[0].code, 0, "{}", out.tx_results[0].log);
    assert!(out.tx_results[0].gas_used > 0 && out.tx_results[0].gas_used <= 200_000);
    assert_eq!(chain.balance(&a), 1_000_000 - 700 - 50);
    assert_eq!(chain.balance(&b), 1_200);
    assert_eq!(chain.balance(&Address::module("fee_collector")), 50);
    assert_eq!(chain.supply(), 1_000_500);
    assert_eq!(chain.sequence(&a), 1);
    let kinds: Vec<_> = out.tx_results[0]
        .events
        .iter()
        .map(|e| e.kind.as_str())
        .collect();
    for k in ["tx", "message", "coin_spent", "coin_received", "transfer"] {
        assert!(kinds.contains(&k), "missing event {k} in {kinds:?}");
    }
    // A new recipient gets an account with the next number.
    let c = addr(&key(3));
    chain.block(vec![Tx::new(
        &ka,
        0,
        1,
        vec![send_msg(&a, &c.to_bech32(), "1")],
    )
    .bytes()]);
    assert_eq!(
        chain
            .app
            .storage()
            .account(&c)
            .unwrap()
            .unwrap()
            .account_number,
        3,
        "0,1 genesis; 2 fee collector"
    );
}

/// Every malformed or unauthorised transaction is answered with its SDK code and changes nothing:
/// after a block of only such transactions every module's state is as it was.
#[test]
fn bad_transactions_are_rejected_and_change_nothing() {
    let (mut chain, ka, a, kb, b) = setup();
    chain.block(vec![]);
    let before = (
        chain.module_state(),
        chain.balance(&a),
        chain.balance(&b),
        chain.supply(),
    );
    let good = send_msg(&a, &b.to_bech32(), "10");

    let mut cases: Vec<(&str, Vec<u8>, u32)> = Vec::new();
    cases.push(("undecodable bytes", b"not a transaction".to_vec(), 2));
    let unknown = Any {
        type_url: "/cosmos.staking.v1beta1.MsgDelegate".into(),
        value: vec![],
    };
    cases.push((
        "unknown message type",
        Tx::new(&ka, 0, 0, vec![unknown]).bytes(),
        6,
    ));
    let mut raw = TxRaw::decode(Tx::new(&ka, 0, 0, vec![good.clone()]).bytes().as_slice()).unwrap();
    raw.signatures[0][5] ^= 1;
    cases.push(("bad signature", raw.encode_to_vec(), 4));
    let mut wrong_chain = Tx::new(&ka, 0, 0, vec![good.clone()]);
    wrong_chain.chain_id = "other-1";
    cases.push(("wrong chain id", wrong_chain.bytes(), 4));
    cases.push((
        "wrong account number",
        Tx::new(&ka, 7, 0, vec![good.clone()]).bytes(),
        4,
    ));
    cases.push((
        "future sequence",
        Tx::new(&ka, 0, 5, vec![good.clone()]).bytes(),
        32,
    ));
    cases.push((
        "signed by someone else",
        Tx::new(&kb, 1, 0, vec![good.clone()]).bytes(),
        8,
    ));
    cases.push((
        "zero amount",
        Tx::new(&ka, 0, 0, vec![send_msg(&a, &b.to_bech32(), "0")]).bytes(),
        10,
    ));
    cases.push((
        "negative amount",
        Tx::new(&ka, 0, 0, vec![send_msg(&a, &b.to_bech32(), "-5")]).bytes(),
        10,
    ));
    let too_big = "340282366920938463463374607431768211456";
    cases.push((
        "amount past u128",
        Tx::new(&ka, 0, 0, vec![send_msg(&a, &b.to_bech32(), too_big)]).bytes(),
        10,
    ));
    cases.push((
        "invalid address",
        Tx::new(&ka, 0, 0, vec![send_msg(&a, "estuary1qqqq", "1")]).bytes(),
        7,
    ));
    let cosmos_addr = cosmrs::AccountId::new("cosmos", &b.0).unwrap().to_string();
    cases.push((
        "foreign prefix",
        Tx::new(&ka, 0, 0, vec![send_msg(&a, &cosmos_addr, "1")]).bytes(),
        7,
    ));
    let mut memo = Tx::new(&ka, 0, 0, vec![good.clone()]);
    memo.memo = "m".repeat(300);
    cases.push(("memo too long", memo.bytes(), 12));
    cases.push(("oversize tx", vec![0u8; 300 * 1024], 21));
    let mut no_gas = Tx::new(&ka, 0, 0, vec![good.clone()]);
    no_gas.gas = 500;
    cases.push(("out of gas in ante", no_gas.bytes(), 11));
    let mut no_fee_funds = Tx::new(&kb, 1, 0, vec![send_msg(&b, &a.to_bech32(), "1")]);
    no_fee_funds.fee = 10_000;
    cases.push(("cannot pay fee", no_fee_funds.bytes(), 5));

    let txs: Vec<Vec<u8>> = cases.iter().map(|c| c.1.clone()).collect();
    for (name, bytes, code) in &cases {
        let checked = chain.app.check_tx(bytes);
        assert_eq!(checked.code, *code, "CheckTx {name}: {}", checked.log);
        assert!(!checked.log.is_empty(), "{name} needs an explanation");
    }
    let out = chain.block(txs);
    for ((name, _, code), r) in cases.iter().zip(&out.tx_results) {
        assert_eq!(r.code, *code, "FinalizeBlock {name}: {}", r.log);
    }
    let after = (
        chain.module_state(),
        chain.balance(&a),
        chain.balance(&b),
        chain.supply(),
    );
    assert_eq!(before, after, "rejected transactions must not change state");
}

#[test]
fn failing_message_keeps_only_fee_and_sequence() {
    let (mut chain, ka, a, _kb, b) = setup();
    let mut tx = Tx::new(&ka, 0, 0, vec![send_msg(&a, &b.to_bech32(), "999999999")]);
    tx.fee = 100;
    let out = chain.block(vec![tx.bytes()]);
    assert_eq!(out.tx_results[0].code, 5, "{}", out.tx_results[0].log);
    assert!(out.tx_results[0].log.contains("insufficient funds"));
    assert_eq!(chain.balance(&a), 1_000_000 - 100);
    assert_eq!(chain.balance(&b), 500);
    assert_eq!(chain.sequence(&a), 1);

    // Enough gas for the ante handler but not for the transfer: same outcome, code 11.
    let mut tx = Tx::new(&ka, 0, 1, vec![send_msg(&a, &b.to_bech32(), "1")]);
    let full = chain.app.simulate(&tx.bytes());
    assert_eq!(full.code, 0, "{}", full.log);
    tx.gas = full.gas_used - 1;
    let out = chain.block(vec![tx.bytes()]);
    assert_eq!(out.tx_results[0].code, 11, "{}", out.tx_results[0].log);
    assert_eq!(chain.balance(&b), 500);
    assert_eq!(chain.sequence(&a), 2);
}

#[test]
fn replays_are_rejected() {
    let (mut chain, ka, a, _kb, b) = setup();
    let tx = Tx::new(&ka, 0, 0, vec![send_msg(&a, &b.to_bech32(), "10")]).bytes();
    assert_eq!(chain.block(vec![tx.clone()]).tx_results[0].code, 0);
    let hash = chain.module_state();
    assert_eq!(chain.app.check_tx(&tx).code, 32);
    let out = chain.block(vec![tx.clone(), tx]);
    assert!(out.tx_results.iter().all(|r| r.code == 32));
    assert_eq!(chain.module_state(), hash);
    assert_eq!(chain.balance(&b), 510);
}

#[test]
fn mempool_tracks_sequences_between_blocks() {
    let (mut chain, ka, a, _kb, b) = setup();
    let t0 = Tx::new(&ka, 0, 0, vec![send_msg(&a, &b.to_bech32(), "1")]).bytes();
    let t1 = Tx::new(&ka, 0, 1, vec![send_msg(&a, &b.to_bech32(), "2")]).bytes();
    assert_eq!(chain.app.check_tx(&t0).code, 0);
    assert_eq!(
        chain.app.check_tx(&t1).code,
        0,
        "second tx checks against the bumped sequence"
    );
    assert_eq!(
        chain.app.check_tx(&t0).code,
        32,
        "the first is now a replay"
    );
    let out = chain.block(vec![t0, t1]);
    assert!(out.tx_results.iter().all(|r| r.code == 0));
    assert_eq!(chain.balance(&b), 503);
}

/// A relayer simulates its next transaction while the previous one waits in the mempool; the
/// simulation must see the pending sequence (as the SDK's check state does) and the last block's
/// time (a light-client update checks headers against it).
#[test]
fn simulation_runs_against_the_mempool_and_the_last_block() {
    let (mut chain, ka, a, _kb, b) = setup();
    chain.block(vec![]);
    let t0 = Tx::new(&ka, 0, 0, vec![send_msg(&a, &b.to_bech32(), "1")]).bytes();
    let t1 = Tx::new(&ka, 0, 1, vec![send_msg(&a, &b.to_bech32(), "2")]).bytes();
    assert_eq!(
        chain.app.simulate(&t1).code,
        32,
        "sequence 1 before 0 is known"
    );
    assert_eq!(chain.app.check_tx(&t0).code, 0);
    let sim = chain.app.simulate(&t1);
    assert_eq!(sim.code, 0, "{}", sim.log);
    assert!(sim.gas_used > 0);
    assert_eq!(chain.balance(&b), 500, "a simulation changes nothing");
    assert_eq!(
        chain.app.check_tx(&t1).code,
        0,
        "nor the mempool's sequence"
    );
}

#[test]
fn node_info_and_config_answer_at_their_abci_paths() {
    use cosmrs::proto::cosmos::base::node::v1beta1::{ConfigRequest, ConfigResponse};
    use cosmrs::proto::cosmos::base::tendermint::v1beta1::{
        GetNodeInfoRequest, GetNodeInfoResponse,
    };
    use estuary_sdk::query::QueryRequest;
    use prost::Message;
    let (chain, ..) = setup();
    chain.app.set_cometbft_version("0.38.26");
    let q = |path: &str| estuary_app::query::handle(&chain.app, path, &[], 0, false);
    let info = q(&GetNodeInfoRequest::path());
    assert_eq!(info.code, 0, "{}", info.log);
    let info = GetNodeInfoResponse::decode(info.value.as_slice()).unwrap();
    let v = info.application_version.unwrap();
    assert_eq!(v.app_name, "estuaryd");
    assert!(v
        .build_deps
        .iter()
        .any(|d| d.path == "github.com/cometbft/cometbft" && d.version == "v0.38.26"));
    let config = q(&ConfigRequest::path());
    assert_eq!(config.code, 0, "{}", config.log);
    let config = ConfigResponse::decode(config.value.as_slice()).unwrap();
    assert_eq!(config.halt_height, 0);
}

#[test]
fn min_gas_price_applies_to_the_mempool_only() {
    let (ka, kb) = (key(1), key(2));
    let (a, b) = (addr(&ka), addr(&kb));
    let dir = tempfile::tempdir().unwrap();
    let config = AppConfig {
        min_gas_prices: estuary_app::config::parse_gas_prices("0.01stake").unwrap(),
        ..Default::default()
    };
    let app = open(&dir, config);
    app.init_chain(CHAIN, 1, genesis_json(&[(a, 1_000_000), (b, 0)]))
        .unwrap();
    let cheap = Tx::new(&ka, 0, 0, vec![send_msg(&a, &b.to_bech32(), "1")]);
    let out = app.check_tx(&cheap.bytes());
    assert_eq!(out.code, 13, "{}", out.log);
    let mut paid = Tx::new(&ka, 0, 0, vec![send_msg(&a, &b.to_bech32(), "1")]);
    paid.fee = 2_000; // 200_000 gas × 0.01
    assert_eq!(app.check_tx(&paid.bytes()).code, 0);
}

#[test]
fn restart_resumes_from_the_last_commit() {
    let (ka, kb) = (key(1), key(2));
    let (a, b) = (addr(&ka), addr(&kb));
    let dir = tempfile::tempdir().unwrap();
    let hash = {
        let app = open(&dir, AppConfig::default());
        app.init_chain(CHAIN, 1, genesis_json(&[(a, 1_000), (b, 0)]))
            .unwrap();
        let info = BlockInfo {
            height: 1,
            chain_id: CHAIN.into(),
            ..Default::default()
        };
        let tx = Tx::new(&ka, 0, 0, vec![send_msg(&a, &b.to_bech32(), "10")]).bytes();
        app.finalize_block(info.clone(), &[tx]);
        app.commit();
        // Block 2 is finalized but the process dies before Commit: nothing of it may persist.
        let tx2 = Tx::new(&ka, 0, 1, vec![send_msg(&a, &b.to_bech32(), "20")]).bytes();
        app.finalize_block(BlockInfo { height: 2, ..info }, &[tx2]);
        app.last_commit().unwrap()
    };
    let app = open(&dir, AppConfig::default());
    assert_eq!(app.last_commit(), Some(hash));
    assert_eq!(
        app.storage()
            .balance(&b, &Denom::new("stake").unwrap())
            .unwrap(),
        10
    );
    // CometBFT replays block 2; it applies exactly once.
    let tx2 = Tx::new(&ka, 0, 1, vec![send_msg(&a, &b.to_bech32(), "20")]).bytes();
    let out = app.finalize_block(
        BlockInfo {
            height: 2,
            chain_id: CHAIN.into(),
            ..Default::default()
        },
        &[tx2],
    );
    assert_eq!(out.tx_results[0].code, 0);
    app.commit();
    assert_eq!(
        app.storage()
            .balance(&b, &Denom::new("stake").unwrap())
            .unwrap(),
        30
    );
}

/// A genesis that spills its writes to runs on disk initialises exactly as one held in memory:
/// auth's duplicate check, bank's mint (which reads the account auth wrote, by then in a run)
/// and the validator set read back all go through the runs; the runs are gone afterwards, and
/// a duplicated account is still found and refused when its first copy is on disk.
#[test]
fn a_genesis_spilled_to_disk_is_the_genesis_held_in_memory() {
    let funded: Vec<(Address, u128)> = (0u16..600)
        .map(|i| {
            let mut bytes = [7u8; 20];
            bytes[..2].copy_from_slice(&i.to_be_bytes());
            (Address(bytes), u128::from(i) + 1)
        })
        .collect();
    let genesis = genesis_json(&funded);
    let in_memory_dir = tempfile::tempdir().unwrap();
    let in_memory = open(&in_memory_dir, AppConfig::default())
        .init_chain(CHAIN, 1, &genesis)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spilling = AppConfig {
        genesis_spill_every: Some(37),
        ..Default::default()
    };
    let app = open(&dir, spilling.clone());
    let spilled = app.init_chain(CHAIN, 1, &genesis).unwrap();
    assert_eq!(spilled.app_hash, in_memory.app_hash);
    assert_eq!(spilled.validators.len(), 1);
    for (a, amount) in funded.iter().step_by(97) {
        assert_eq!(
            app.storage()
                .balance(a, &Denom::new("stake").unwrap())
                .unwrap(),
            *amount
        );
    }
    let runs: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".genesis"))
        .collect();
    assert!(runs.is_empty(), "runs left beside the store: {runs:?}");

    let mut twice = funded.clone();
    twice.push(funded[3]);
    let dir = tempfile::tempdir().unwrap();
    let refused = open(&dir, spilling).init_chain(CHAIN, 1, genesis_json(&twice));
    assert!(
        format!("{:?}", refused.err()).contains("duplicate genesis account"),
        "a duplicated account must be refused"
    );
}

#[test]
fn genesis_is_stored_at_init_chain_and_recognised_after_a_restart() {
    let (ka, kb) = (key(1), key(2));
    let (a, b) = (addr(&ka), addr(&kb));
    let genesis = genesis_json(&[(a, 1_000), (b, 0)]);
    let dir = tempfile::tempdir().unwrap();
    let first = {
        let app = open(&dir, AppConfig::default());
        let out = app.init_chain(CHAIN, 1, &genesis).unwrap();
        // The genesis state is on disk but no block is: CometBFT must be told height 0.
        assert_eq!(app.last_commit(), None);
        assert_eq!(
            app.storage()
                .balance(&a, &Denom::new("stake").unwrap())
                .unwrap(),
            1_000
        );
        out
        // The process dies here, before the first block commits.
    };
    let app = open(&dir, AppConfig::default());
    assert_eq!(app.last_commit(), None, "a restart still reports height 0");
    // CometBFT's handshake sends InitChain again: the same genesis gets the same answer...
    let again = app.init_chain(CHAIN, 1, &genesis).unwrap();
    assert_eq!(again.app_hash, first.app_hash);
    assert_eq!(again.validators.len(), first.validators.len());
    // ...and another genesis is refused rather than silently mixed with the stored one.
    let other = genesis_json(&[(a, 999), (b, 0)]);
    assert!(app.init_chain(CHAIN, 1, &other).is_err());
    assert!(app.init_chain("other-chain", 1, &genesis).is_err());
    // The first block's header carries the genesis app hash, and the block applies once.
    let tx = Tx::new(&ka, 0, 0, vec![send_msg(&a, &b.to_bech32(), "10")]).bytes();
    let info = BlockInfo {
        height: 1,
        chain_id: CHAIN.into(),
        ..Default::default()
    };
    let out = app.finalize_block(info, &[tx]);
    assert_eq!(out.tx_results[0].code, 0, "{}", out.tx_results[0].log);
    let (committed, _) = app.commit();
    assert_eq!(committed.version, 1);
    assert_eq!(app.last_commit().map(|c| c.version), Some(1));
    assert_eq!(
        app.storage()
            .balance(&b, &Denom::new("stake").unwrap())
            .unwrap(),
        10
    );
    // Once a block is committed, InitChain is refused.
    assert!(app.init_chain(CHAIN, 1, &genesis).is_err());
}

/// A crash while the genesis is being written (after some of its values reached the store)
/// leaves rows behind; CometBFT then sends InitChain again. The genesis is redone from nothing:
/// a module that reads before it writes (minting adds to a balance) never sees the earlier
/// attempt's values, and the result is the clean genesis.
#[test]
fn a_genesis_interrupted_while_written_is_redone_from_nothing() {
    let (a, b) = (addr(&key(1)), addr(&key(2)));
    let genesis = genesis_json(&[(a, 1_000), (b, 7)]);
    let stake = Denom::new("stake").unwrap();
    let balance_key = estuary_bank::balance_store_key(&a, &stake);
    let clean_dir = tempfile::tempdir().unwrap();
    let clean = open(&clean_dir, AppConfig::default());
    let expected = clean.init_chain(CHAIN, 1, &genesis).unwrap();
    let written = clean.storage().get_latest(&balance_key).unwrap().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.redb");
    drop(open(&dir, AppConfig::default()));
    {
        // What the crash left: a's balance already in the flat table, and the unfinished mark.
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        let meta: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("meta");
        let flat: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("flat");
        txn.open_table(meta)
            .unwrap()
            .insert("genesis_unfinished", &[][..])
            .unwrap();
        let row = [&0u64.to_be_bytes()[..], &written].concat();
        txn.open_table(flat)
            .unwrap()
            .insert(balance_key.as_slice(), row.as_slice())
            .unwrap();
        txn.commit().unwrap();
    }
    let app = open(&dir, AppConfig::default());
    let again = app.init_chain(CHAIN, 1, &genesis).unwrap();
    assert_eq!(app.storage().balance(&a, &stake).unwrap(), 1_000);
    assert_eq!(app.storage().supply(&stake).unwrap(), 1_007);
    assert_eq!(again.app_hash, expected.app_hash);
}

#[test]
fn malformed_genesis_is_refused_and_stores_nothing() {
    let (ka, kb) = (key(1), key(2));
    let (a, b) = (addr(&ka), addr(&kb));
    let good: serde_json::Value = serde_json::from_slice(&genesis_json(&[(a, 5), (b, 0)])).unwrap();
    let mut bad_amount = good.clone();
    bad_amount["bank"]["balances"][0]["coins"][0]["amount"] = "-1".into();
    for (what, bytes) in [
        ("not JSON", b"{\"auth\": [".to_vec()),
        ("not an object", b"[1, 2, 3]".to_vec()),
        (
            "a module slice of the wrong type",
            br#"{"bank": 7}"#.to_vec(),
        ),
        (
            "a negative amount",
            serde_json::to_vec(&bad_amount).unwrap(),
        ),
        ("no validators", br#"{"auth": null}"#.to_vec()),
        (
            "deeply nested",
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let app = open(&dir, AppConfig::default());
        assert!(
            app.init_chain(CHAIN, 1, &bytes).is_err(),
            "{what} was accepted"
        );
        assert_eq!(app.storage().latest(), None, "{what} left state behind");
    }
    // A null slice is the module's default, as a missing one is.
    let mut null_transfer = good.clone();
    null_transfer["transfer"] = serde_json::Value::Null;
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir, AppConfig::default());
    app.init_chain(CHAIN, 1, serde_json::to_vec(&null_transfer).unwrap())
        .unwrap();
}

#[test]
fn export_then_import_gives_the_same_app_hash() {
    let (mut chain, ka, a, _kb, b) = setup();
    let c = addr(&key(9));
    chain.block(vec![Tx::new(
        &ka,
        0,
        0,
        vec![send_msg(&a, &b.to_bech32(), "10")],
    )
    .bytes()]);
    let mut fee_tx = Tx::new(&ka, 0, 1, vec![send_msg(&a, &c.to_bech32(), "5")]);
    fee_tx.fee = 3;
    chain.block(vec![fee_tx.bytes()]);
    let exported = chain
        .app
        .modules()
        .export_genesis(chain.app.storage())
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let fresh = open(&dir, AppConfig::default());
    let out = fresh
        .init_chain(
            CHAIN,
            chain.height + 1,
            serde_json::to_vec(&exported).unwrap(),
        )
        .unwrap();
    assert_eq!(out.app_hash, chain.app_hash());
}

#[test]
fn host_header_history_records_what_each_header_commits_to() {
    use estuary_ibc::host::HostHistory;
    let (mut chain, ..) = setup();
    chain.block(vec![]);
    let after_one = chain.app_hash();
    chain.block(vec![]);
    let h2 = chain
        .app
        .storage()
        .host_header(2)
        .unwrap()
        .expect("height 2 recorded");
    assert_eq!(
        h2.app_hash,
        after_one.to_vec(),
        "header 2 carries the state after block 1"
    );
    let h1 = chain
        .app
        .storage()
        .host_header(1)
        .unwrap()
        .expect("height 1 recorded");
    assert_eq!(
        h1.app_hash.len(),
        32,
        "header 1 carries the genesis app hash"
    );
}

/// What cosmjs sends for `fee: "auto"`: gas limit 0, an empty signature, the pubkey in the
/// signer info. Simulation takes it as the SDK does (no gas limit, no signature check, every
/// other check) and its figure is enough for the real transaction.
#[test]
fn simulation_accepts_what_wallets_send_for_auto_gas() {
    let (mut chain, ka, a, _kb, b) = setup();
    chain.block(vec![]);
    let unsigned = |seq: u64| {
        let mut tx = Tx::new(&ka, 0, seq, vec![send_msg(&a, &b.to_bech32(), "7")]);
        tx.gas = 0;
        let mut raw = TxRaw::decode(tx.bytes().as_slice()).unwrap();
        raw.signatures = vec![vec![]];
        raw.encode_to_vec()
    };
    let sim = chain.app.simulate(&unsigned(0));
    assert_eq!(sim.code, 0, "{}", sim.log);
    assert_eq!(
        sim.gas_wanted, 0,
        "the fee's own gas limit is reported back"
    );
    assert!(sim.gas_used > 0);
    assert_eq!(
        chain.app.simulate(&unsigned(3)).code,
        32,
        "sequences still count"
    );
    assert_eq!(
        chain.app.check_tx(&unsigned(0)).code,
        41,
        "outside simulation a zero gas limit is refused"
    );
    let mut real = Tx::new(&ka, 0, 0, vec![send_msg(&a, &b.to_bech32(), "7")]);
    real.gas = sim.gas_used * 14 / 10;
    let out = chain.block(vec![real.bytes()]);
    assert_eq!(out.tx_results[0].code, 0, "{}", out.tx_results[0].log);
    assert_eq!(chain.balance(&b), 507);
    // An empty signature never passes outside simulation.
    let mut forged = Tx::new(&ka, 0, 1, vec![send_msg(&a, &b.to_bech32(), "7")]);
    forged.gas = 200_000;
    let mut raw = TxRaw::decode(forged.bytes().as_slice()).unwrap();
    raw.signatures = vec![vec![]];
    assert_eq!(chain.app.check_tx(&raw.encode_to_vec()).code, 4);
}

/// A block whose signatures this node never saw in CheckTx is verified in parallel before it
/// runs; the results are those of an app that checked every transaction first: same codes,
/// same gas, same app hash, and a forged signature in the middle still fails alone.
#[test]
fn parallel_signature_checks_change_nothing_but_speed() {
    let (ka, kb) = (key(1), key(2));
    let (a, b) = (addr(&ka), addr(&kb));
    let mut checked = Chain::new(&[(a, 1_000_000), (b, 1_000_000)]);
    let mut unseen = Chain::new(&[(a, 1_000_000), (b, 1_000_000)]);
    let mut txs = Vec::new();
    for seq in 0..20u64 {
        let (k, from, to, number) = if seq % 2 == 0 {
            (&ka, &a, &b, 0)
        } else {
            (&kb, &b, &a, 1)
        };
        let mut tx = Tx::new(
            k,
            number,
            seq / 2,
            vec![send_msg(from, &to.to_bech32(), "5")],
        );
        tx.fee = 10;
        let mut bytes = tx.bytes();
        if seq == 9 {
            // Forge b's fifth signature (its last byte).
            let mut raw = TxRaw::decode(bytes.as_slice()).unwrap();
            let sig = raw.signatures[0].last_mut().unwrap();
            *sig ^= 1;
            bytes = raw.encode_to_vec();
        }
        txs.push(bytes);
    }
    for tx in &txs {
        checked.app.check_tx(tx);
    }
    let one = checked.block(txs.clone());
    let two = unseen.block(txs);
    let summary = |o: &estuary_app::app::BlockOutcome| {
        o.tx_results
            .iter()
            .map(|r| (r.code, r.gas_used))
            .collect::<Vec<_>>()
    };
    assert_eq!(summary(&one), summary(&two));
    assert_eq!(one.app_hash, two.app_hash);
    let failed: Vec<usize> = (0..20).filter(|&i| two.tx_results[i].code != 0).collect();
    assert_eq!(
        failed,
        [9, 11, 13, 15, 17, 19],
        "the forgery, then b's later sequences"
    );
    assert_eq!(two.tx_results[9].code, 4, "{}", two.tx_results[9].log);
}

/// CometBFT pipelines CheckTx requests on the mempool connection, with flushes in between: the
/// node's socket server must answer every request, in order, exactly as checking the
/// transactions one at a time does — refusals included.
#[test]
fn pipelined_check_txs_are_answered_in_order_as_if_checked_one_at_a_time() {
    use std::io::{Read, Write};
    use tendermint_proto::v0_38::abci::{
        request, response, CheckTxType, Request, RequestCheckTx, RequestFlush, Response,
    };

    let (ka, kb) = (key(1), key(2));
    let (a, b) = (addr(&ka), addr(&kb));
    let funded = [(a, 1_000_000), (b, 500)];
    let send = |k, number, seq, from: &Address, to: &Address, amount| {
        Tx::new(
            k,
            number,
            seq,
            vec![send_msg(from, &to.to_bech32(), amount)],
        )
        .bytes()
    };
    let mut txs: Vec<Vec<u8>> = (0..12).map(|seq| send(&ka, 0, seq, &a, &b, "1")).collect();
    let mut other_chain = Tx::new(&kb, 1, 0, vec![send_msg(&b, &a.to_bech32(), "1")]);
    other_chain.chain_id = "another-chain";
    txs.insert(3, other_chain.bytes()); // a signature that does not verify here
    let replay = txs[2].clone();
    txs.insert(7, replay); // a sequence already used
    txs.push(send(&ka, 0, 30, &a, &b, "1")); // a sequence gap
    txs.push(b"not a transaction".to_vec());
    txs.push(send(&kb, 1, 0, &b, &a, "1")); // b's own first transaction, after its refused one

    // One at a time, straight into a fresh node.
    let one_by_one = Chain::new(&funded);
    let expected: Vec<(u32, String, u64)> = txs
        .iter()
        .map(|tx| {
            let out = one_by_one.app.check_tx(tx);
            (out.code, out.log, out.gas_used)
        })
        .collect();
    assert_eq!(
        expected.iter().filter(|(code, ..)| *code != 0).count(),
        4,
        "the refusals are real: {expected:?}"
    );

    // All at once, over the ABCI socket, with flushes in between as CometBFT sends them.
    let dir = tempfile::tempdir().unwrap();
    let app = std::sync::Arc::new(open(&dir, AppConfig::default()));
    app.init_chain(CHAIN, 1, genesis_json(&funded)).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let abci = estuary_app::abci::AbciApp::new(app.clone());
    std::thread::spawn(move || estuary_app::abci_server::serve_on(listener, abci));
    let flush = || Request {
        value: Some(request::Value::Flush(RequestFlush {})),
    };
    let mut frames = Vec::new();
    for (i, tx) in txs.iter().enumerate() {
        let check = Request {
            value: Some(request::Value::CheckTx(RequestCheckTx {
                tx: tx.clone().into(),
                r#type: CheckTxType::New as i32,
            })),
        };
        check.encode_length_delimited(&mut frames).unwrap();
        if i == 5 {
            flush().encode_length_delimited(&mut frames).unwrap();
        }
    }
    flush().encode_length_delimited(&mut frames).unwrap();
    let mut conn = std::net::TcpStream::connect(address).unwrap();
    conn.write_all(&frames).unwrap();

    let mut received = Vec::new();
    let mut responses = Vec::new();
    while responses.len() < txs.len() + 2 {
        let mut chunk = [0u8; 4096];
        let n = conn.read(&mut chunk).unwrap();
        assert!(n > 0, "the node closed the connection");
        received.extend_from_slice(&chunk[..n]);
        let mut rest = received.as_slice();
        responses.clear();
        while let Ok(r) = Response::decode_length_delimited(&mut rest) {
            responses.push(r);
        }
    }
    let mut answers = Vec::new();
    for (i, r) in responses.into_iter().enumerate() {
        match r.value {
            Some(response::Value::Flush(_)) => {
                assert!(i == 6 || i == txs.len() + 1, "a flush answered at {i}")
            }
            Some(response::Value::CheckTx(c)) => answers.push((c.code, c.log, c.gas_used as u64)),
            other => panic!("unexpected response {other:?}"),
        }
    }
    assert_eq!(answers, expected);
    assert_eq!(app.stats().check_txs, txs.len() as u64);
}
