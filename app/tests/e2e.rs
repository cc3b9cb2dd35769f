//! End to end through the real binaries: `estuaryd` (ABCI app and CLI) under `cometbft` v0.38.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::time::Duration;

use common::{rt, Net};
use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::tx::v1beta1::TxRaw;
use cosmrs::Any;
use estuary_app::client::{sign_tx, TxPlan};
use estuary_app::keyring::{Backend, Keyring};
use prost::Message;

fn send_any(from: &str, to: &str, amount: &str) -> Any {
    let msg = MsgSend {
        from_address: from.into(),
        to_address: to.into(),
        amount: vec![ProtoCoin {
            denom: "stake".into(),
            amount: amount.into(),
        }],
    };
    Any {
        type_url: "/cosmos.bank.v1beta1.MsgSend".into(),
        value: msg.encode_to_vec(),
    }
}

fn alice_key(net: &Net) -> cosmrs::crypto::secp256k1::SigningKey {
    Keyring::new(net.nodes[0].home.join("keyring-test"), Backend::Test, None)
        .signing_key("alice")
        .unwrap()
}

fn signed(net: &Net, chain_id: &str, number: u64, seq: u64, msgs: Vec<Any>, memo: &str) -> Vec<u8> {
    let key = alice_key(net);
    sign_tx(&TxPlan {
        key: &key,
        chain_id,
        account_number: number,
        sequence: seq,
        messages: msgs,
        fee: vec![],
        gas_limit: 200_000,
        memo: memo.into(),
        timeout_height: 0,
    })
    .unwrap()
}

#[test]
fn cli_transfers_and_bad_input_through_cometbft() {
    if estuary_interop::skip_without(
        "cli_transfers_and_bad_input_through_cometbft",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    let mut net = Net::new("estuary-e2e-1", 1, 0);
    net.start_all();
    let (alice, bob) = (net.address("alice"), net.address("bob"));
    let supply = net.supply(0, "stake");

    let out = net.json(
        0,
        &[
            "tx",
            "bank",
            "send",
            "alice",
            &bob,
            "1000stake",
            "--fees",
            "10stake",
            "--yes",
            "--wait",
        ],
    );
    assert_eq!(out["code"], 0, "{out}");
    // The SDK's TxResponse: 64-bit numbers as strings, events of the block result.
    assert!(
        out["height"].as_str().unwrap().parse::<u64>().unwrap() > 0,
        "--wait waits for inclusion"
    );
    assert!(out["gas_used"].as_str().unwrap().parse::<u64>().unwrap() > 0);
    assert_eq!(out["gas_wanted"], "200000");
    assert!(out["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "transfer"));
    assert_eq!(net.balance(0, &bob, "stake"), 2_000);
    assert_eq!(net.balance(0, &alice, "stake"), 1_000_000_000 - 1_010);
    assert_eq!(
        net.supply(0, "stake"),
        supply,
        "fees move tokens, they do not burn them"
    );
    let acc = net.json(0, &["query", "auth", "account", &alice]);
    assert_eq!(acc["sequence"], "1");

    // A transfer on a channel that does not exist is refused before anything is signed, in
    // ibc-go's words: no fee, no sequence used.
    let refused = net.est_out(
        0,
        &[
            "tx",
            "ibc-transfer",
            "transfer",
            "transfer",
            "channel-9",
            &bob,
            "5stake",
            "--from",
            "alice",
            "--fees",
            "10stake",
            "--yes",
        ],
    );
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{err}");
    assert!(
        err.contains("port-id: transfer, channel-id: channel-9: channel not found"),
        "{err}"
    );
    assert_eq!(
        net.json(0, &["query", "auth", "account", &alice])["sequence"],
        "1"
    );
    // A node that cannot be reached is one line naming it, whatever the command.
    for args in [
        &[
            "tx",
            "bank",
            "send",
            "alice",
            bob.as_str(),
            "5stake",
            "--yes",
        ][..],
        &["query", "bank", "balances", alice.as_str()][..],
        &["status"][..],
    ] {
        let mut all = args.to_vec();
        all.extend(["--node", "tcp://127.0.0.1:1"]);
        let refused = net.est_out(0, &all);
        let err = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success());
        assert!(
            err.contains("the node at http://127.0.0.1:1 cannot be reached (connection refused)"),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains("Location") && !err.contains("tokens"),
            "{args:?}: {err}"
        );
    }
    let tx = net.json(0, &["query", "tx", out["txhash"].as_str().unwrap()]);
    assert_eq!(tx["code"], 0);

    // Bad input through CometBFT's RPC: each is refused with its code and moves nothing.
    let node = net.rpc(0);
    let number: u64 = acc["account_number"].as_str().unwrap().parse().unwrap();
    let ok_msg = send_any(&alice, &bob, "5");
    let mut bad_sig = TxRaw::decode(
        signed(&net, "estuary-e2e-1", number, 1, vec![ok_msg.clone()], "").as_slice(),
    )
    .unwrap();
    bad_sig.signatures[0][3] ^= 0x40;
    let replay = signed(&net, "estuary-e2e-1", number, 0, vec![ok_msg.clone()], "");
    let cases: Vec<(&str, Vec<u8>, u32)> = vec![
        ("undecodable", vec![1, 2, 3, 4, 5], 2),
        (
            "unknown message",
            signed(
                &net,
                "estuary-e2e-1",
                number,
                1,
                vec![Any {
                    type_url: "/x.y.Z".into(),
                    value: vec![],
                }],
                "",
            ),
            6,
        ),
        ("bad signature", bad_sig.encode_to_vec(), 4),
        (
            "wrong chain id",
            signed(&net, "other-chain-1", number, 1, vec![ok_msg.clone()], ""),
            4,
        ),
        (
            "wrong sequence",
            signed(&net, "estuary-e2e-1", number, 9, vec![ok_msg.clone()], ""),
            32,
        ),
        ("replayed sequence", replay, 32),
        (
            "zero amount",
            signed(
                &net,
                "estuary-e2e-1",
                number,
                1,
                vec![send_any(&alice, &bob, "0")],
                "",
            ),
            10,
        ),
        (
            "negative amount",
            signed(
                &net,
                "estuary-e2e-1",
                number,
                1,
                vec![send_any(&alice, &bob, "-1")],
                "",
            ),
            10,
        ),
        (
            "overflowing amount",
            signed(
                &net,
                "estuary-e2e-1",
                number,
                1,
                vec![send_any(&alice, &bob, &format!("{}0", u128::MAX))],
                "",
            ),
            10,
        ),
        (
            "invalid address",
            signed(
                &net,
                "estuary-e2e-1",
                number,
                1,
                vec![send_any(&alice, "estuary1zzzz", "1")],
                "",
            ),
            7,
        ),
        (
            "oversize",
            signed(
                &net,
                "estuary-e2e-1",
                number,
                1,
                vec![ok_msg.clone()],
                &"x".repeat(300 * 1024),
            ),
            21,
        ),
    ];
    for (name, bytes, code) in cases {
        let report = rt()
            .block_on(node.broadcast(bytes, Some(Duration::from_secs(10))))
            .unwrap();
        assert_eq!(report.code, code, "{name}: {}", report.log);
        assert_eq!(
            report.stage, "check_tx",
            "{name} must be refused before a block"
        );
    }
    // Insufficient funds passes the mempool (funds are checked on execution) and fails in the block.
    let out = net.est_out(
        0,
        &[
            "tx",
            "bank",
            "send",
            "bob",
            &alice,
            "999999999stake",
            "--yes",
            "--wait",
        ],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("insufficient funds"), "{stderr}");
    // A malformed recipient never leaves the CLI.
    let out = net.est_out(
        0,
        &[
            "tx",
            "bank",
            "send",
            "alice",
            "cosmos1xyz",
            "1stake",
            "--yes",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("recipient"));

    assert_eq!(net.balance(0, &bob, "stake"), 2_000);
    assert_eq!(net.balance(0, &alice, "stake"), 1_000_000_000 - 1_010);
    assert_eq!(net.supply(0, "stake"), supply);

    // IBC through the CLI: queries answer, and a transfer over a channel that does not exist is
    // refused by the chain with a reason, taking nothing.
    let escrow = net.json(
        0,
        &[
            "query",
            "ibc-transfer",
            "escrow-address",
            "transfer",
            "channel-0",
        ],
    );
    let expected =
        estuary_sdk::Address(estuary_ibc::ics20::escrow_address("transfer", "channel-0"))
            .to_bech32();
    assert_eq!(escrow["escrow_address"], expected.as_str());
    assert_eq!(
        net.json(0, &["query", "ibc", "clients"])["clients"],
        serde_json::json!([])
    );
    grpc_answers(&net, &bob);
    let out = net.est_out(
        0,
        &[
            "tx",
            "ibc-transfer",
            "transfer",
            "transfer",
            "channel-0",
            &bob,
            "10stake",
            "--from",
            "alice",
            "--yes",
            "--wait",
        ],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("channel"), "{stderr}");
    assert_eq!(net.balance(0, &alice, "stake"), 1_000_000_000 - 1_010);
}

/// A validator's app is killed with SIGKILL while transactions stream in, and later a full
/// node's: both restart, the chain goes on, the two nodes agree on every app hash, and every
/// transfer that was included applied exactly once.
#[test]
fn crash_under_load_restarts_with_same_state_and_no_double_spend() {
    if estuary_interop::skip_without(
        "crash_under_load_restarts_with_same_state_and_no_double_spend",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    let mut net = Net::new("estuary-crash-1", 1, 1);
    net.start_all();
    net.wait_height(1, 2, Duration::from_secs(60));
    let (alice, bob) = (net.address("alice"), net.address("bob"));
    let node0 = net.rpc(0);
    let number: u64 = rt().block_on(node0.account(&alice)).unwrap().account_number;
    let mut hashes: Vec<(String, u128)> = Vec::new();
    let mut amount = 0u128;

    let mut send_batch = |net: &Net, n: usize, hashes: &mut Vec<(String, u128)>| {
        let node = net.rpc(0);
        let seq = rt().block_on(node.account(&alice)).unwrap().sequence;
        for k in 0..n as u64 {
            amount += 1;
            let tx = signed(
                net,
                "estuary-crash-1",
                number,
                seq + k,
                vec![send_any(&alice, &bob, &amount.to_string())],
                "",
            );
            if let Ok(r) = rt().block_on(node.broadcast(tx, None)) {
                hashes.push((r.hash, amount));
            }
            std::thread::sleep(Duration::from_millis(30));
        }
    };

    send_batch(&net, 20, &mut hashes);
    net.kill_app(0);
    assert!(
        net.reap_comet(0, Duration::from_secs(20)) || {
            net.kill_comet(0);
            true
        }
    );
    let h_crash = net.height(1).unwrap_or(0);
    net.start(0);
    net.wait_height(0, h_crash + 3, Duration::from_secs(60));

    send_batch(&net, 10, &mut hashes);
    net.kill_app(1);
    assert!(
        net.reap_comet(1, Duration::from_secs(20)) || {
            net.kill_comet(1);
            true
        }
    );
    send_batch(&net, 10, &mut hashes);
    net.start(1);

    let h0 = net.wait_height(0, net.height(0).unwrap() + 3, Duration::from_secs(60));
    net.wait_height(1, h0, Duration::from_secs(90));

    let node = net.rpc(0);
    let mut applied = 0u128;
    let mut included = 0;
    for (hash, amt) in &hashes {
        if let Ok(r) = rt().block_on(node.wait_for_tx(hash, Duration::from_secs(1))) {
            if r.code == 0 {
                applied += amt;
                included += 1;
            }
        }
    }
    eprintln!(
        "{included} of {} transfers included, {applied}stake applied, heights compared 2..={h0}",
        hashes.len()
    );
    assert!(
        included >= 10,
        "only {included} of {} transfers made it; the chain did not go on",
        hashes.len()
    );
    assert_eq!(
        net.balance(0, &bob, "stake"),
        1_000 + applied,
        "every included transfer applies exactly once"
    );
    assert_eq!(
        net.balance(1, &bob, "stake"),
        1_000 + applied,
        "the full node agrees"
    );
    for h in 2..=h0 {
        assert_eq!(
            net.header_app_hash(0, h),
            net.header_app_hash(1, h),
            "app hash at height {h}"
        );
    }
}

/// `estuaryd export` at height H, imported as genesis of a fresh node, reproduces the app hash
/// of height H in the new chain's first header.
#[test]
fn export_import_reproduces_the_app_hash() {
    if estuary_interop::skip_without(
        "export_import_reproduces_the_app_hash",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    let mut net = Net::new("estuary-export-1", 1, 0);
    net.start_all();
    let bob = net.address("bob");
    net.est(
        0,
        &[
            "tx", "bank", "send", "alice", &bob, "777stake", "--fees", "3stake", "--yes", "--wait",
        ],
    );
    net.kill_comet(0);
    net.kill_app(0);
    let exported = net.dir.path().join("exported.json");
    net.est(0, &["export", "--out", exported.to_str().unwrap()]);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&exported).unwrap()).unwrap();
    let app_hash = doc["app_hash"].as_str().unwrap().to_string();
    let initial: u64 = doc["initial_height"].as_str().unwrap().parse().unwrap();
    assert!(initial > 1);

    let fresh = net.init_extra_node("imported");
    let home = net.nodes[fresh].home.clone();
    std::fs::copy(&exported, home.join("config/genesis.json")).unwrap();
    std::fs::copy(
        net.nodes[0].home.join("config/priv_validator_key.json"),
        home.join("config/priv_validator_key.json"),
    )
    .unwrap();
    net.est(fresh, &["genesis", "validate"]);
    net.start(fresh);
    net.wait_height(fresh, initial + 1, Duration::from_secs(60));
    assert_eq!(
        net.header_app_hash(fresh, initial),
        app_hash,
        "first header of the imported chain"
    );
    assert_eq!(net.balance(fresh, &bob, "stake"), 1_777);
}

/// The node's gRPC server answers what relayers ask: balances, accounts, IBC state, node info.
fn grpc_answers(net: &Net, bob: &str) {
    use cosmrs::proto::cosmos::auth::v1beta1 as auth;
    use cosmrs::proto::cosmos::bank::v1beta1 as bank;
    use cosmrs::proto::cosmos::base::tendermint::v1beta1 as node;
    use ibc_proto::ibc::core::client::v1 as client;
    let url = format!("http://127.0.0.1:{}", net.nodes[0].base_port + 3);
    rt().block_on(async {
        let mut b = bank::query_client::QueryClient::connect(url.clone())
            .await
            .expect("gRPC server up");
        let r = b
            .balance(bank::QueryBalanceRequest {
                address: bob.into(),
                denom: "stake".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.balance.unwrap().amount, "2000");
        let mut a = auth::query_client::QueryClient::connect(url.clone())
            .await
            .unwrap();
        let acc = a
            .account(auth::QueryAccountRequest {
                address: bob.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            acc.account.unwrap().type_url,
            "/cosmos.auth.v1beta1.BaseAccount"
        );
        let missing = a
            .account(auth::QueryAccountRequest {
                address: estuary_sdk::Address([9; 20]).to_bech32(),
            })
            .await;
        assert_eq!(missing.unwrap_err().code(), tonic::Code::NotFound);
        let mut c = client::query_client::QueryClient::connect(url.clone())
            .await
            .unwrap();
        let cs = c
            .client_states(client::QueryClientStatesRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert!(cs.client_states.is_empty());
        let mut n = node::service_client::ServiceClient::connect(url)
            .await
            .unwrap();
        let info = n
            .get_node_info(node::GetNodeInfoRequest {})
            .await
            .unwrap()
            .into_inner();
        assert_eq!(info.default_node_info.unwrap().network, net.chain_id);
        assert_eq!(info.application_version.unwrap().app_name, "estuaryd");
    });
}

/// `estuaryd rollback` on a stopped full node undoes its last block in both estuaryd and
/// CometBFT; started again, it re-executes that block and follows the validator with the same
/// app hash at every height, without applying a transfer twice. `export --height` writes the
/// state of an earlier height.
#[test]
fn rollback_then_restart_replays_the_last_block_to_the_same_app_hash() {
    if estuary_interop::skip_without(
        "rollback_then_restart_replays_the_last_block_to_the_same_app_hash",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    let mut net = Net::new("estuary-rollback-1", 1, 1);
    net.start_all();
    let bob = net.address("bob");
    net.est(
        0,
        &[
            "tx", "bank", "send", "alice", &bob, "500stake", "--yes", "--wait",
        ],
    );
    let h = net.height(0).unwrap();
    net.wait_height(1, h + 2, Duration::from_secs(60));
    net.kill_comet(1);
    net.kill_app(1);

    // The full node's last committed state, then one block back.
    // The last committed height of a stopped node, from its export.
    let status = |i: usize| -> u64 {
        let file = net.dir.path().join(format!("latest-{i}.json"));
        net.est(i, &["export", "--out", file.to_str().unwrap()]);
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        doc["initial_height"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            - 1
    };
    let last = status(1);
    let earlier = net.dir.path().join("earlier.json");
    net.est(
        1,
        &[
            "export",
            "--height",
            &(last - 1).to_string(),
            "--out",
            earlier.to_str().unwrap(),
        ],
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&earlier).unwrap()).unwrap();
    assert_eq!(doc["initial_height"], last.to_string().as_str());
    assert_eq!(
        doc["app_hash"],
        net.header_app_hash(0, last).as_str(),
        "the state after block {}",
        last - 1
    );

    let out = net.json(
        1,
        &[
            "rollback",
            "--cometbft",
            common::cometbft().to_str().unwrap(),
        ],
    );
    assert_eq!(out["rolled_back"], last.to_string().as_str());
    assert_eq!(out["height"], (last - 1).to_string().as_str());
    assert_eq!(out["app_hash"], net.header_app_hash(0, last).as_str());
    assert_eq!(status(1), last - 1);

    // Restarted, it re-executes block `last` and follows: the same app hash as the validator's
    // headers at every height, the transfer applied once.
    net.start(1);
    let target = net.height(0).unwrap() + 3;
    net.wait_height(1, target, Duration::from_secs(60));
    for height in last..=target {
        assert_eq!(
            net.header_app_hash(1, height),
            net.header_app_hash(0, height),
            "height {height}"
        );
    }
    assert_eq!(net.balance(1, &bob, "stake"), net.balance(0, &bob, "stake"));
    assert_eq!(net.balance(1, &bob, "stake"), 1_500);
}

/// A node whose CometBFT reaches the app over a Unix socket (`unix://` in app.toml's
/// `abci_address` and config.toml's `proxy_app`): blocks and a transfer go through, no TCP
/// port is opened for ABCI, and after a crash (the socket file is left behind) the app
/// replaces the stale socket and the chain goes on.
#[test]
fn a_node_serves_cometbft_over_a_unix_socket() {
    let mut net = Net::new("unix-socket-1", 1, 0);
    let home = net.nodes[0].home.clone();
    let socket = home.join("data/abci.sock");
    let url = format!("unix://{}", socket.display());
    let rewrite = |file: &str, key: &str| {
        let path = home.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("no {key} in {file}"))
            .to_string();
        std::fs::write(&path, text.replace(&line, &format!("{key} = \"{url}\""))).unwrap();
    };
    rewrite("config/app.toml", "abci_address");
    rewrite("config/config.toml", "proxy_app");

    net.start_all();
    net.wait_height(0, 3, Duration::from_secs(60));
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", net.nodes[0].base_port + 2)).is_err(),
        "the ABCI TCP port is open although the app listens on {url}"
    );
    let bob = net.address("bob");
    let before = net.balance(0, &bob, "stake");
    let out = net.json(
        0,
        &[
            "tx", "bank", "send", "alice", &bob, "25stake", "--yes", "--wait",
        ],
    );
    assert_eq!(out["code"], 0, "{out}");
    assert_eq!(net.balance(0, &bob, "stake"), before + 25);

    // A crash leaves the socket file; the restarted app must take its place.
    net.kill_app(0);
    assert!(
        net.reap_comet(0, Duration::from_secs(30)),
        "CometBFT did not stop with its app"
    );
    assert!(
        socket.exists(),
        "the crash should have left the socket file"
    );
    let height = net.height(0).unwrap_or(0);
    net.start(0);
    net.wait_height(0, height.max(3) + 2, Duration::from_secs(60));
    assert_eq!(net.balance(0, &bob, "stake"), before + 25);
}

/// CometBFT's flush-fix build (`scripts/setup --cometbft-flush-fix`) changes only how its ABCI
/// socket client batches requests, never what a block holds: four validators, two on the
/// release and two on the patched build, make blocks proposed by both, take a burst of
/// transfers sent through nodes of each build, and agree on every header's app hash and on the
/// resulting balances.
#[test]
fn validators_on_the_release_and_the_flush_fix_cometbft_agree() {
    use estuary_interop::Tool;
    use tendermint_rpc::Client;
    if estuary_interop::skip_without(
        "validators_on_the_release_and_the_flush_fix_cometbft_agree",
        &[Tool::Cometbft, Tool::CometbftFlushFix],
    ) {
        return;
    }
    let patched = estuary_interop::tool(
        "cometbft-flush-fix",
        "ESTUARY_COMETBFT_FLUSH_FIX",
        "scripts/setup --cometbft-flush-fix",
    );
    let version = |bin: &std::path::Path| {
        let out = std::process::Command::new(bin)
            .arg("version")
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let (release_version, patched_version) = (version(&common::cometbft()), version(&patched));
    assert!(
        patched_version.ends_with("+flush-fix") && !release_version.contains("flush-fix"),
        "the builds report themselves apart: release {release_version:?}, patched {patched_version:?}"
    );

    let chain = "estuary-mixed-1";
    let mut net = Net::new(chain, 4, 0);
    for i in [2, 3] {
        net.nodes[i].cometbft = Some(patched.clone());
    }
    net.start_all();
    for i in 0..4 {
        net.wait_height(i, 3, Duration::from_secs(60));
    }
    let status = |i: usize| rt().block_on(net.rpc(i).rpc.status()).unwrap();
    for i in 0..4 {
        let expected = if i >= 2 {
            &patched_version
        } else {
            &release_version
        };
        assert_eq!(
            &status(i).node_info.version.to_string(),
            expected,
            "node {i} runs the build it was given"
        );
    }

    // The burst: alice's transfers through a patched node, bob's through a release node.
    let (alice, bob) = (net.address("alice"), net.address("bob"));
    let keyring = Keyring::new(net.nodes[0].home.join("keyring-test"), Backend::Test, None);
    let account = |who: &str| {
        let v = net.json(0, &["query", "auth", "account", who]);
        let n = |k: &str| v[k].as_str().unwrap().parse::<u64>().unwrap();
        (n("account_number"), n("sequence"))
    };
    const EACH: u64 = 150;
    let mut sent = Vec::new();
    for (name, from, to, node) in [("alice", &alice, &bob, 2), ("bob", &bob, &alice, 0)] {
        let key = keyring.signing_key(name).unwrap();
        let (number, sequence) = account(from);
        for k in 0..EACH {
            let tx = sign_tx(&TxPlan {
                key: &key,
                chain_id: chain,
                account_number: number,
                sequence: sequence + k,
                messages: vec![send_any(from, to, "1")],
                fee: vec![],
                gas_limit: 200_000,
                memo: String::new(),
                timeout_height: 0,
            })
            .unwrap();
            sent.push((node, tx));
        }
    }
    let (alice_before, bob_before) = (
        net.balance(0, &alice, "stake"),
        net.balance(0, &bob, "stake"),
    );
    rt().block_on(async {
        let (a, b) = (net.rpc(2), net.rpc(0));
        for (node, tx) in sent {
            let through = if node == 2 { &a } else { &b };
            let r = through.rpc.broadcast_tx_sync(tx).await.unwrap();
            assert!(r.code.is_ok(), "CheckTx refused a transfer: {}", r.log);
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    while account(&alice).1 < EACH || account(&bob).1 < EACH {
        assert!(
            std::time::Instant::now() < deadline,
            "the burst was not committed"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let top = net.height(0).unwrap() + 2;
    for i in 0..4 {
        net.wait_height(i, top, Duration::from_secs(60));
        assert_eq!(net.balance(i, &alice, "stake"), alice_before, "node {i}");
        assert_eq!(net.balance(i, &bob, "stake"), bob_before, "node {i}");
    }

    // Every header agrees on every node, and both builds proposed blocks.
    let addresses: Vec<_> = (0..4).map(|i| status(i).validator_info.address).collect();
    let mut proposers = std::collections::BTreeSet::new();
    for h in 2..=top {
        let hashes: Vec<String> = (0..4).map(|i| net.header_app_hash(i, h)).collect();
        assert!(
            hashes.iter().all(|x| x == &hashes[0]),
            "app hashes differ at height {h}: {hashes:?}"
        );
        let block = rt()
            .block_on(
                net.rpc(0)
                    .rpc
                    .block(tendermint::block::Height::try_from(h).unwrap()),
            )
            .unwrap();
        let proposer = block.block.header.proposer_address;
        proposers.insert(addresses.iter().position(|a| *a == proposer).unwrap());
    }
    assert!(
        proposers.iter().any(|i| *i < 2) && proposers.iter().any(|i| *i >= 2),
        "blocks proposed by validators of both builds (proposers: {proposers:?})"
    );
}
