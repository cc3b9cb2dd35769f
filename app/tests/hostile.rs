//! Hostile input through the app's own entry points (CheckTx, FinalizeBlock, Commit, Query), as
//! specifications: a panic is contained into a failed transaction, bytes the chain does not fully
//! understand are refused, ICS-20's limits hold, and none of it stops a block.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::inproc::*;
use cosmrs::proto::cosmos::tx::v1beta1::{TxBody, TxRaw};
use cosmrs::Any;
use estuary_app::app::{App, AppConfig};
use estuary_sdk::store::{StateRead, StateWrite, Storage, StorageConfig};
use estuary_sdk::{Address, Component, ModuleManager, Msg, Signers, TxContext, TxResult};
use prost::Message;

/// A module whose message panics, standing for any bug a crafted input may reach.
struct Panicker;

const MSG_PANIC: &str = "/estuary.test.v1.MsgPanic";

impl Component for Panicker {
    type Genesis = ();
    fn name(&self) -> &'static str {
        "panicker"
    }
    fn init_genesis(&self, _: &mut dyn StateWrite, _: &()) -> TxResult {
        Ok(())
    }
    fn export_genesis(&self, _: &dyn StateRead) -> TxResult<()> {
        Ok(())
    }
    fn msg_type_urls(&self) -> &'static [&'static str] {
        &[MSG_PANIC]
    }
    fn decode_msg(&self, msg: &Any) -> TxResult<Box<dyn Msg>> {
        // The signer is the message's 20 bytes; an empty message panics here, in the ante.
        let bytes: [u8; 20] = msg.value.as_slice().try_into().expect("20 bytes");
        Ok(Box::new(PanicMsg(Signers::one(Address(bytes)))))
    }
}

struct PanicMsg(Signers);

impl Msg for PanicMsg {
    fn signers(&self) -> &Signers {
        &self.0
    }
    fn execute(&self, ctx: &mut TxContext<'_>) -> TxResult {
        // Write something first: it must be dropped with the message's overlay.
        ctx.state.put_raw(b"panicker/was-here".to_vec(), vec![1])?;
        let v: Vec<u64> = Vec::new();
        let _ = v[0];
        Ok(())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn chain_with_panicker(funded: &[(Address, u128)]) -> Chain {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(dir.path().join("state.redb"), StorageConfig::default()).unwrap();
    let modules = ModuleManager::new(vec![
        Box::new(estuary_auth::Auth),
        Box::new(estuary_bank::Bank),
        Box::new(estuary_validators::Validators),
        Box::new(estuary_ibc::Ibc),
        Box::new(estuary_ibc::transfer::Transfer),
        Box::new(Panicker),
    ]);
    let app = App::new(storage, modules, AppConfig::default());
    app.init_chain(CHAIN, 1, genesis_json(funded)).unwrap();
    Chain {
        app,
        _dir: dir,
        height: 0,
    }
}

fn panic_msg(signer: &Address) -> Any {
    Any {
        type_url: MSG_PANIC.into(),
        value: signer.0.to_vec(),
    }
}

#[test]
fn a_panicking_message_fails_its_tx_keeps_fee_and_sequence_and_the_block_goes_on() {
    let (ka, kb) = (key(1), key(2));
    let (a, b) = (addr(&ka), addr(&kb));
    let mut chain = chain_with_panicker(&[(a, 1_000_000), (b, 500)]);
    let mut bad = Tx::new(&ka, 0, 0, vec![panic_msg(&a)]);
    bad.fee = 100;
    let good = Tx::new(&ka, 0, 1, vec![send_msg(&a, &b.to_bech32(), "7")]);
    let out = chain.block(vec![bad.bytes(), good.bytes()]);
    let r = &out.tx_results[0];
    assert_eq!((r.codespace.as_str(), r.code), ("undefined", 111222));
    assert_eq!(
        r.log,
        "panic message redacted to hide potentially sensitive system info: panic"
    );
    assert!(r.gas_used > 0, "gas up to the panic is reported");
    assert_eq!(out.tx_results[1].code, 0, "{}", out.tx_results[1].log);
    assert_eq!(
        chain.balance(&a),
        1_000_000 - 100 - 7,
        "fee kept, send applied"
    );
    assert_eq!(chain.balance(&b), 507);
    assert_eq!(
        chain.sequence(&a),
        2,
        "the panicking tx bumped the sequence"
    );
    assert_eq!(
        chain.app.storage().get_raw(b"panicker/was-here").unwrap(),
        None,
        "the message's writes are dropped"
    );
    chain.block(vec![]);
}

#[test]
fn the_same_panic_gives_the_same_app_hash_on_two_nodes() {
    let ka = key(1);
    let a = addr(&ka);
    let mut one = chain_with_panicker(&[(a, 1_000)]);
    let mut two = chain_with_panicker(&[(a, 1_000)]);
    let tx = Tx::new(&ka, 0, 0, vec![panic_msg(&a)]).bytes();
    // One node saw the tx in its mempool (signature cached), the other did not.
    assert_eq!(one.app.check_tx(&tx).code, 0);
    let (x, y) = (one.block(vec![tx.clone()]), two.block(vec![tx]));
    assert_eq!(x.app_hash, y.app_hash);
    assert_eq!(x.tx_results[0].log, y.tx_results[0].log);
}

#[test]
fn a_panic_before_the_messages_leaves_the_block_untouched() {
    let ka = key(1);
    let a = addr(&ka);
    let mut chain = chain_with_panicker(&[(a, 1_000)]);
    let empty = Any {
        type_url: MSG_PANIC.into(),
        value: vec![],
    };
    let tx = Tx::new(&ka, 0, 0, vec![empty]).bytes();
    let checked = chain.app.check_tx(&tx);
    assert_eq!(checked.code, 111222, "CheckTx answers, the node stays up");
    let out = chain.block(vec![tx.clone()]);
    assert_eq!(out.tx_results[0].code, 111222);
    assert_eq!(chain.sequence(&a), 0);
    assert_eq!(chain.balance(&a), 1_000);
    let sim = chain.app.simulate(&tx);
    assert_eq!(sim.code, 111222, "Simulate answers too");
}

/// The transaction of the halted-chain report: a `MsgConnectionOpenTry` whose client state of
/// this chain has trust level 2^63 / (2^64 - 1). It is refused before it runs (the SDK's
/// `ValidateBasic` step: CheckTx keeps it out of the mempool, and a proposer that includes it
/// anyway gets a failed tx that changes nothing), and the chain goes on.
#[test]
fn the_trust_level_overflow_fails_cleanly() {
    use ibc_proto::ibc::core::connection::v1 as conn;
    use ibc_proto::ibc::lightclients::tendermint::v1 as tm;
    let (mut chain, ka, a, _kb, _b) = setup();
    chain.block(vec![]);
    let cs = tm::ClientState {
        chain_id: CHAIN.into(),
        trust_level: Some(tm::Fraction {
            numerator: 1 << 63,
            denominator: u64::MAX,
        }),
        ..Default::default()
    };
    let msg = conn::MsgConnectionOpenTry {
        client_id: "07-tendermint-0".into(),
        client_state: Some(ibc_proto::google::protobuf::Any {
            type_url: "/ibc.lightclients.tendermint.v1.ClientState".into(),
            value: cs.encode_to_vec(),
        }),
        signer: a.to_bech32(),
        ..Default::default()
    };
    let any = Any {
        type_url: "/ibc.core.connection.v1.MsgConnectionOpenTry".into(),
        value: msg.encode_to_vec(),
    };
    let mut tx = Tx::new(&ka, 0, 0, vec![any]);
    tx.fee = 50;
    let checked = chain.app.check_tx(&tx.bytes());
    assert_eq!(
        (checked.codespace.as_str(), checked.code),
        ("ibc", 2),
        "{}",
        checked.log
    );
    let before = chain.module_state();
    let out = chain.block(vec![tx.bytes()]);
    let r = &out.tx_results[0];
    assert_eq!((r.codespace.as_str(), r.code), ("ibc", 2), "{}", r.log);
    assert!(r.log.contains("trust level"), "{}", r.log);
    assert_eq!(chain.module_state(), before);
    assert_eq!(chain.block(vec![]).tx_results.len(), 0, "the chain goes on");
}

/// Appending a field to a signed TxRaw must not make a second valid transaction.
#[test]
fn unknown_fields_and_malleated_encodings_are_refused() {
    let (mut chain, ka, a, _kb, b) = setup();
    chain.block(vec![]);
    let good = Tx::new(&ka, 0, 0, vec![send_msg(&a, &b.to_bech32(), "5")]).bytes();
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();

    let mut appended = good.clone();
    appended.extend_from_slice(&[0x22, 0x00]); // TxRaw field 4, empty bytes
    cases.push(("unknown field appended to TxRaw", appended));

    let mut padded = good.clone();
    padded[1] |= 0x80; // the body's length as a two-byte varint of the same value
    padded.insert(2, 0x00);
    cases.push(("non-minimal length varint", padded));

    // A MsgSend with an unknown field 9, properly signed: a field the chain would ignore.
    let mut send = send_msg(&a, &b.to_bech32(), "5");
    send.value.extend_from_slice(&[0x4a, 0x02, 0x08, 0x01]);
    cases.push((
        "unknown field in MsgSend",
        Tx::new(&ka, 0, 0, vec![send]).bytes(),
    ));

    // ibc-go v9's MsgTransfer.tokens (field 9) with 200 coins: refused, not "send one coin".
    let mut transfer = ibc_proto::ibc::applications::transfer::v1::MsgTransfer {
        source_port: "transfer".into(),
        source_channel: "channel-0".into(),
        token: Some(ibc_proto::cosmos::base::v1beta1::Coin {
            denom: "stake".into(),
            amount: "1".into(),
        }),
        sender: a.to_bech32(),
        receiver: "cosmos1receiver".into(),
        timeout_timestamp: u64::MAX,
        ..Default::default()
    }
    .encode_to_vec();
    for _ in 0..200 {
        let coin = ibc_proto::cosmos::base::v1beta1::Coin {
            denom: "stake".into(),
            amount: "1000".into(),
        };
        prost::encoding::message::encode(9, &coin, &mut transfer);
    }
    let transfer = Any {
        type_url: "/ibc.applications.transfer.v1.MsgTransfer".into(),
        value: transfer,
    };
    cases.push((
        "ibc-go v9 tokens on MsgTransfer",
        Tx::new(&ka, 0, 0, vec![transfer]).bytes(),
    ));

    let before = chain.module_state();
    for (name, bytes) in &cases {
        let r = chain.app.check_tx(bytes);
        assert_eq!(
            (r.codespace.as_str(), r.code),
            ("sdk", 2),
            "{name}: {}",
            r.log
        );
        assert!(r.log.contains("tx parse error"), "{name}: {}", r.log);
    }
    let out = chain.block(cases.iter().map(|c| c.1.clone()).collect());
    for ((name, _), r) in cases.iter().zip(&out.tx_results) {
        assert_eq!(r.code, 2, "{name}: {}", r.log);
    }
    assert_eq!(chain.module_state(), before, "refused txs change nothing");
    // The honest original still goes through.
    let out = chain.block(vec![good]);
    assert_eq!(out.tx_results[0].code, 0, "{}", out.tx_results[0].log);
}

/// Signs arbitrary body bytes (SIGN_MODE_DIRECT, account 0, no fee, 200k gas).
fn sign_body_bytes(
    key: &cosmrs::crypto::secp256k1::SigningKey,
    sequence: u64,
    body_bytes: Vec<u8>,
) -> Vec<u8> {
    use cosmrs::tx::{Fee, SignerInfo};
    let fee = Fee::from_amount_and_gas(
        cosmrs::Coin {
            denom: "stake".parse().unwrap(),
            amount: 0,
        },
        200_000u64,
    );
    let mut auth_info = SignerInfo::single_direct(Some(key.public_key()), sequence)
        .auth_info(fee)
        .into_proto();
    auth_info.fee.as_mut().unwrap().amount.clear();
    let auth_info_bytes = auth_info.encode_to_vec();
    let doc = cosmrs::proto::cosmos::tx::v1beta1::SignDoc {
        body_bytes: body_bytes.clone(),
        auth_info_bytes: auth_info_bytes.clone(),
        chain_id: CHAIN.into(),
        account_number: 0,
    };
    let signature = key.sign(&doc.encode_to_vec()).unwrap().to_bytes().to_vec();
    TxRaw {
        body_bytes,
        auth_info_bytes,
        signatures: vec![signature],
    }
    .encode_to_vec()
}

/// The SDK lets a body carry unknown non-critical fields (numbers with bit 11 set) and refuses
/// unknown critical ones. Both are signed, so neither is malleability.
#[test]
fn non_critical_body_fields_pass_and_critical_ones_do_not() {
    let (mut chain, ka, a, _kb, b) = setup();
    let body = TxBody {
        messages: vec![send_msg(&a, &b.to_bech32(), "5")],
        ..Default::default()
    };
    let sign = |extra: &[u8], seq: u64| {
        let mut body_bytes = body.encode_to_vec();
        body_bytes.extend_from_slice(extra);
        sign_body_bytes(&ka, seq, body_bytes)
    };
    let mut non_critical = Vec::new();
    prost::encoding::string::encode(1025, &"hello".to_string(), &mut non_critical);
    let mut critical = Vec::new();
    prost::encoding::string::encode(1000, &"hello".to_string(), &mut critical);
    let critical_tx = sign(&critical, 0);
    let r = chain.app.check_tx(&critical_tx);
    assert_eq!(r.code, 2, "{}", r.log);
    assert!(r.log.contains("TagNum: 1000"), "{}", r.log);
    let ok = sign(&non_critical, 0);
    let r = chain.app.check_tx(&ok);
    assert_eq!(r.code, 0, "{}", r.log);
    let out = chain.block(vec![critical_tx, ok]);
    assert_eq!(out.tx_results[0].code, 2);
    assert_eq!(out.tx_results[1].code, 0, "{}", out.tx_results[1].log);
}

#[test]
fn ics20_send_limits_are_ibc_gos() {
    let (mut chain, ka, a, _kb, _b) = setup();
    let transfer = |receiver: String, memo: String| {
        let m = ibc_proto::ibc::applications::transfer::v1::MsgTransfer {
            source_port: "transfer".into(),
            source_channel: "channel-0".into(),
            token: Some(ibc_proto::cosmos::base::v1beta1::Coin {
                denom: "stake".into(),
                amount: "1".into(),
            }),
            sender: a.to_bech32(),
            receiver,
            timeout_timestamp: u64::MAX,
            memo,
            ..Default::default()
        };
        Any {
            type_url: "/ibc.applications.transfer.v1.MsgTransfer".into(),
            value: m.encode_to_vec(),
        }
    };
    let long_memo = Tx::new(&ka, 0, 0, vec![transfer("r".into(), "m".repeat(32_769))]);
    let long_receiver = Tx::new(&ka, 0, 1, vec![transfer("r".repeat(2_049), String::new())]);
    let mut big = long_memo;
    big.gas = 2_000_000;
    let out = chain.block(vec![big.bytes(), long_receiver.bytes()]);
    let memo = &out.tx_results[0];
    assert_eq!(
        (memo.codespace.as_str(), memo.code),
        ("transfer", 11),
        "{}",
        memo.log
    );
    assert!(memo.log.contains("32768"), "{}", memo.log);
    let recv = &out.tx_results[1];
    assert_eq!(recv.codespace, "transfer", "{}", recv.log);
    assert!(
        recv.log.len() < 200,
        "the log does not echo 2 KB: {}",
        recv.log
    );
    assert_eq!(chain.balance(&a), 1_000_000);
}

/// Queries that fail answer with an error and leave the node running; none panics.
#[test]
fn malformed_queries_answer_errors() {
    let (mut chain, _ka, _a, _kb, _b) = setup();
    chain.block(vec![]);
    for path in [
        "/cosmos.bank.v1beta1.Query/Balance",
        "/cosmos.bank.v1beta1.Query/AllBalances",
        "/ibc.core.channel.v1.Query/PacketCommitments",
        "/ibc.core.client.v1.Query/ConsensusState",
        "/cosmos.tx.v1beta1.Service/Simulate",
        "/no.such.Service/Method",
        "store/ibc/key",
        "store/nope/key",
    ] {
        for data in [vec![], vec![0xff; 3], vec![0x0a, 0xff, 0xff, 0xff, 0x0f]] {
            for height in [0, 1, u64::MAX] {
                let out = estuary_app::query::handle(&chain.app, path, &data, height, true);
                assert_ne!(out.code, 111222, "{path} {data:?} at {height} panicked");
            }
        }
    }
}

/// A list query answers a page of 100 by default and at most `MAX_LIMIT` entries, with a key to
/// continue, as an SDK chain: no request makes the node build an answer of unbounded size.
#[test]
fn list_queries_page_by_default_and_cap_their_limit() {
    use cosmrs::proto::cosmos::bank::v1beta1 as bank;
    use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest;
    let k = key(1);
    let a = addr(&k);
    let coins: Vec<_> = (0..250)
        .map(|i| serde_json::json!({"denom": format!("token{i:03}"), "amount": "5"}))
        .collect();
    let supply: Vec<_> = coins.clone();
    let genesis = serde_json::to_vec(&serde_json::json!({
        "auth": {"accounts": [{"address": a, "account_number": 0}]},
        "bank": {"balances": [{"address": a, "coins": coins}], "supply": supply},
        "validators": {"validators": [{"name": "v0", "pub_key": "FdfwlRMGwBdQrMiVpuZLxRXwcmnpOQhOANKJhifQQ7g=", "power": 10}]},
    }))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir, AppConfig::default());
    app.init_chain(CHAIN, 1, &genesis).unwrap();
    let mut chain = Chain {
        app,
        _dir: dir,
        height: 0,
    };
    chain.block(vec![]);
    let ask = |pagination: Option<PageRequest>| -> bank::QueryAllBalancesResponse {
        let req = bank::QueryAllBalancesRequest {
            address: a.to_bech32(),
            pagination,
            resolve_denom: false,
        };
        let out = estuary_app::query::handle(
            &chain.app,
            "/cosmos.bank.v1beta1.Query/AllBalances",
            &req.encode_to_vec(),
            0,
            false,
        );
        assert_eq!(out.code, 0, "{}", out.log);
        bank::QueryAllBalancesResponse::decode(out.value.as_slice()).unwrap()
    };
    let first = ask(None);
    assert_eq!(first.balances.len(), 100, "the SDK's default page");
    let next = first.pagination.unwrap().next_key;
    assert!(!next.is_empty());
    let mut seen: Vec<String> = first.balances.iter().map(|c| c.denom.clone()).collect();
    let rest = ask(Some(PageRequest {
        key: next,
        limit: u64::MAX,
        ..Default::default()
    }));
    assert!(rest.pagination.unwrap().next_key.is_empty());
    seen.extend(rest.balances.iter().map(|c| c.denom.clone()));
    let expected: Vec<String> = (0..250).map(|i| format!("token{i:03}")).collect();
    assert_eq!(seen, expected, "every entry once, in order");
    let counted = ask(Some(PageRequest {
        offset: 240,
        count_total: true,
        ..Default::default()
    }));
    assert_eq!(counted.balances.len(), 10);
    assert_eq!(counted.pagination.unwrap().total, 250);
}
