//! The user CLI as scripts written for `simd`/`gaiad` use it, through the real binaries
//! (`estuaryd` under `cometbft`): the SDK's `TxResponse` JSON, broadcast modes, gas prices and
//! `--gas auto`, offline signing (`--generate-only`, `tx sign|encode|decode|simulate|broadcast`),
//! `query block|txs`, ICS-20 `denom-hash|total-escrow`, `config` with `client.toml`, and keys by
//! HD path and raw hex.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{estuaryd, Net};
use sha2::Digest;

/// The 12-word test mnemonic (BIP-39's "abandon … about").
const MNEMONIC: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

fn account(net: &Net, address: &str) -> (u64, u64) {
    let acc = net.json(0, &["query", "auth", "account", address]);
    (
        acc["account_number"].as_str().unwrap().parse().unwrap(),
        acc["sequence"].as_str().unwrap().parse().unwrap(),
    )
}

/// `keys add <name> --recover <flags>` with the test mnemonic on stdin; the address.
fn recover(net: &Net, name: &str, flags: &[&str]) -> String {
    let mut child = Command::new(estuaryd())
        .args([
            "--home",
            net.nodes[0].home.to_str().unwrap(),
            "keys",
            "add",
            name,
            "--recover",
            "-o",
            "json",
        ])
        .args(flags)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(MNEMONIC.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["address"].as_str().unwrap().to_string()
}

/// `query tx` once the transaction is in a block.
fn included(net: &Net, hash: &str) -> serde_json::Value {
    for _ in 0..100 {
        let out = net.est_out(0, &["query", "tx", hash, "-o", "json"]);
        if out.status.success() {
            return serde_json::from_slice(&out.stdout).unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{hash} not included");
}

#[test]
fn sdk_shaped_cli_offline_signing_keys_and_client_config() {
    if estuary_interop::skip_without(
        "sdk_shaped_cli_offline_signing_keys_and_client_config",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    let mut net = Net::new("estuary-cli-1", 1, 0);
    net.start_all();
    let (alice, bob) = (net.address("alice"), net.address("bob"));
    let dir = tempfile::tempdir().unwrap();
    let bob_start = net.balance(0, &bob, "stake");

    // client.toml: init wrote the chain id; a setting changes the default output.
    assert_eq!(
        net.est(0, &["config", "get", "client", "chain-id"]).trim(),
        "estuary-cli-1"
    );
    net.est(0, &["config", "set", "client", "output", "json"]);
    let status: serde_json::Value =
        serde_json::from_str(&net.est(0, &["query", "auth", "account", &alice]))
            .expect("json by client.toml");
    assert_eq!(status["address"], alice.as_str());
    net.est(0, &["config", "set", "client", "output", "text"]);
    assert!(!net
        .est_out(0, &["config", "set", "client", "output", "yaml"])
        .status
        .success());

    // --generate-only: an unsigned transaction, no key needed beyond the address.
    let unsigned = net.est(
        0,
        &[
            "tx",
            "bank",
            "send",
            &alice,
            &bob,
            "5stake",
            "--gas",
            "100000",
            "--fees",
            "1stake",
            "--note",
            "offline",
            "--generate-only",
        ],
    );
    let u: serde_json::Value = serde_json::from_str(&unsigned).unwrap();
    assert_eq!(
        u["body"]["messages"][0]["@type"],
        "/cosmos.bank.v1beta1.MsgSend"
    );
    assert_eq!(u["body"]["messages"][0]["amount"][0]["amount"], "5");
    assert_eq!(u["body"]["memo"], "offline");
    assert_eq!(u["auth_info"]["fee"]["gas_limit"], "100000");
    assert_eq!(u["auth_info"]["signer_infos"], serde_json::json!([]));
    assert_eq!(u["signatures"], serde_json::json!([]));
    let unsigned_file = dir.path().join("unsigned.json");
    std::fs::write(&unsigned_file, &unsigned).unwrap();
    let unsigned_path = unsigned_file.to_str().unwrap();

    // tx simulate measures it as alice would sign it.
    let sim = net.json(0, &["tx", "simulate", unsigned_path, "--from", "alice"]);
    let simulated: u64 = sim["gas_info"]["gas_used"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(simulated > 0 && simulated < 100_000, "{sim}");

    // tx sign --offline: no node asked; a signature for another chain id is refused.
    let (number, sequence) = account(&net, &alice);
    let (n, s) = (number.to_string(), sequence.to_string());
    let sign = |chain: &str| {
        net.est(
            0,
            &[
                "tx",
                "sign",
                unsigned_path,
                "--from",
                "alice",
                "--offline",
                "--chain-id",
                chain,
                "--account-number",
                &n,
                "--sequence",
                &s,
                "--node",
                "tcp://127.0.0.1:1",
            ],
        )
    };
    let signed = sign("estuary-cli-1");
    let sv: serde_json::Value = serde_json::from_str(&signed).unwrap();
    assert_eq!(sv["auth_info"]["signer_infos"][0]["sequence"], s.as_str());
    assert_eq!(
        sv["auth_info"]["signer_infos"][0]["mode_info"]["single"]["mode"],
        "SIGN_MODE_DIRECT"
    );
    assert_eq!(sv["signatures"].as_array().unwrap().len(), 1);
    let signed_file = dir.path().join("signed.json");
    std::fs::write(&signed_file, &signed).unwrap();
    let signed_path = signed_file.to_str().unwrap();
    let wrong_file = dir.path().join("wrong.json");
    std::fs::write(&wrong_file, sign("another-chain-1")).unwrap();

    // tx encode / decode round trip.
    let b64 = net
        .est(0, &["tx", "encode", signed_path])
        .trim()
        .to_string();
    let decoded: serde_json::Value =
        serde_json::from_str(&net.est(0, &["tx", "decode", &b64])).unwrap();
    assert_eq!(decoded, sv);

    // Broadcast: the wrong chain's signature fails CheckTx (unauthorized, code 4); the right one
    // is included, as the SDK's TxResponse.
    let wrong = net.est_out(
        0,
        &[
            "tx",
            "broadcast",
            wrong_file.to_str().unwrap(),
            "-o",
            "json",
        ],
    );
    assert!(!wrong.status.success());
    let w: serde_json::Value = serde_json::from_slice(&wrong.stdout).unwrap();
    assert_eq!(
        (w["code"].as_u64(), w["codespace"].as_str()),
        (Some(4), Some("sdk")),
        "{w}"
    );
    let out = net.json(0, &["tx", "broadcast", signed_path, "--wait"]);
    assert_eq!(out["code"], 0, "{out}");
    assert_eq!(out["gas_wanted"], "100000");
    assert!(out["height"].as_str().unwrap().parse::<u64>().unwrap() > 0);
    assert_eq!(out["logs"], serde_json::json!([]));
    assert_eq!(net.balance(0, &bob, "stake"), bob_start + 5);
    let txhash = out["txhash"].as_str().unwrap().to_string();
    let height = out["height"].as_str().unwrap().to_string();

    // --gas auto with --gas-prices and --gas-adjustment: the fee is the adjusted gas times the
    // price, rounded up; the default broadcast mode (sync) answers before the block.
    let alice_before = net.balance(0, &alice, "stake");
    let out = net.json(
        0,
        &[
            "tx",
            "bank",
            "send",
            "alice",
            &bob,
            "7stake",
            "--gas",
            "auto",
            "--gas-adjustment",
            "1.5",
            "--gas-prices",
            "0.5stake",
            "--yes",
        ],
    );
    assert_eq!(
        (out["code"].as_u64(), out["height"].as_str()),
        (Some(0), Some("0")),
        "{out}"
    );
    let included = included(&net, out["txhash"].as_str().unwrap());
    // query tx: the decoded transaction and its block's time, as the SDK prints them.
    assert_eq!(included["tx"]["@type"], "/cosmos.tx.v1beta1.Tx");
    assert_eq!(
        included["tx"]["body"]["messages"][0]["@type"],
        "/cosmos.bank.v1beta1.MsgSend"
    );
    assert!(
        included["timestamp"].as_str().unwrap().ends_with('Z'),
        "{included}"
    );
    let wanted: u128 = included["gas_wanted"].as_str().unwrap().parse().unwrap();
    let used: u128 = included["gas_used"].as_str().unwrap().parse().unwrap();
    assert!(wanted >= used && wanted <= used * 3 / 2 + 1, "{included}");
    assert_eq!(
        net.balance(0, &alice, "stake"),
        alice_before - 7 - wanted.div_ceil(2)
    );

    // async: handed to the node, unchecked.
    let out = net.json(
        0,
        &[
            "tx",
            "bank",
            "send",
            "bob",
            &alice,
            "1stake",
            "--broadcast-mode",
            "async",
            "--yes",
        ],
    );
    assert_eq!(out["code"], 0, "{out}");
    assert_eq!(out["txhash"].as_str().unwrap().len(), 64);

    // query txs by event and query block.
    let found = net.json(
        0,
        &["query", "txs", "--query", &format!("tx.height={height}")],
    );
    assert!(
        found["txs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["txhash"] == txhash.as_str()),
        "{found}"
    );
    assert_eq!(found["page_number"], "1");
    let block = net.json(0, &["query", "block", &height]);
    assert_eq!(block["block"]["header"]["height"], height.as_str());
    assert_eq!(block["block"]["header"]["chain_id"], "estuary-cli-1");

    // ICS-20 queries ibc-go answers: the hash of a trace, and the total in escrow.
    let hash = net.json(
        0,
        &[
            "query",
            "ibc-transfer",
            "denom-hash",
            "transfer/channel-0/stake",
        ],
    );
    let expected = hex::encode_upper(sha2::Sha256::digest(b"transfer/channel-0/stake"));
    assert_eq!(hash["hash"], expected.as_str());
    let escrow = net.json(0, &["query", "ibc-transfer", "total-escrow", "stake"]);
    assert_eq!(
        escrow["amount"],
        serde_json::json!({"denom": "stake", "amount": "0"})
    );

    // Commands derived from the query registry (no code of their own): route fields are
    // positional, the rest are flags, pagination is --page-*, the answer is the REST JSON.
    let params = net.json(0, &["query", "bank", "params"]);
    assert_eq!(params["params"]["default_send_enabled"], true);
    let page = net.json(
        0,
        &[
            "query",
            "auth",
            "accounts",
            "--page-limit",
            "1",
            "--page-count-total",
        ],
    );
    assert_eq!(page["accounts"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        page["accounts"][0]["@type"],
        "/cosmos.auth.v1beta1.BaseAccount"
    );
    assert!(page["pagination"]["next_key"].is_string(), "{page}");
    let total: u64 = page["pagination"]["total"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(total >= 2, "{page}");
    let info = net.json(0, &["query", "comet", "node-info"]);
    assert_eq!(info["application_version"]["app_name"], "estuaryd");
    let missing = net.est_out(0, &["query", "bank", "denom-metadata", "stake"]);
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("client metadata for denom stake"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );

    // Keys: the HD path by account/index or in full, and raw hex in and out.
    let first = recover(&net, "r0", &[]);
    assert_eq!(
        first,
        recover(&net, "r0b", &["--hd-path", "m/44'/118'/0'/0/0"])
    );
    let other = recover(&net, "r12", &["--account", "1", "--index", "2"]);
    assert_eq!(
        other,
        recover(&net, "r12b", &["--hd-path", "m/44'/118'/1'/0/2"])
    );
    assert_ne!(first, other);
    let hex_key = net
        .est(
            0,
            &[
                "keys",
                "export",
                "r12",
                "--unarmored-hex",
                "--unsafe",
                "--yes",
            ],
        )
        .trim()
        .to_string();
    assert_eq!(hex_key.len(), 64);
    let imported = net.json(0, &["keys", "import-hex", "r12c", &hex_key]);
    assert_eq!(imported["address"], other.as_str());
    assert!(
        !net.est_out(0, &["keys", "export", "r12", "--unarmored-hex"])
            .status
            .success(),
        "needs --unsafe"
    );
}
