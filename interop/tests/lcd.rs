//! A published REST (LCD) client, written by no one here, against Estuary's REST API: osmojs'
//! generated LCD query clients and `@cosmology/lcd` from the npm registry (`interop/lcd`,
//! installed by `./scripts/test` with `npm ci`). It reads the chain id, the sender's account and
//! balances, signs a send from the account number and sequence the API gave, simulates and
//! broadcasts it over REST and reads it back by hash. The chain's own CLI must agree.

use std::path::Path;
use std::process::Command;

use estuary_interop::{Localnet, Options};

#[test]
fn a_published_lcd_client_reads_and_broadcasts_through_the_rest_api() {
    if estuary_interop::skip_without(
        "a_published_lcd_client_reads_and_broadcasts_through_the_rest_api",
        &[
            estuary_interop::Tool::Cometbft,
            estuary_interop::Tool::LcdClient,
        ],
    ) {
        return;
    }
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("lcd");
    let net = Localnet::up(Options {
        relayer: false,
        ..Options::new()
    });
    let bob = net.address(0, "bob");
    let mnemonic =
        std::fs::read_to_string(net.dir().join("keys/alice.mnemonic")).expect("mnemonic");
    let bob_before = net.balance(0, &bob, "stake");
    let out = Command::new("node")
        .arg(project.join("lcd.mjs"))
        .env("REST", format!("http://127.0.0.1:{}", net.port(0, 6)))
        .env("MNEMONIC", mnemonic.trim())
        .env("TO", &bob)
        .output()
        .expect("running node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the LCD client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    eprintln!("the LCD client saw: {seen}");
    assert_eq!(seen["chain_id"], "estuary-a-1");
    assert_eq!(seen["before"], bob_before.to_string());
    assert_eq!(seen["after"], (bob_before + 77).to_string());
    let seq: u64 = seen["sequence"]
        .as_str()
        .expect("sequence")
        .parse()
        .expect("number");
    assert_eq!(seen["sequence_after"], (seq + 1).to_string());
    // The chain agrees, through its own CLI and RPC.
    assert_eq!(net.balance(0, &bob, "stake"), bob_before + 77);
    let hash = seen["txhash"].as_str().expect("txhash");
    let report = estuary_interop::rt()
        .block_on(
            net.node(0)
                .wait_for_tx(hash, std::time::Duration::from_secs(10)),
        )
        .expect("the REST-broadcast send is on chain");
    assert_eq!(report.code, 0);
}
