//! A real JavaScript wallet client against Estuary: cosmjs 0.39 (`@cosmjs/stargate`, what
//! Keplr-based front ends and most scripts use), unmodified, from the npm registry
//! (`interop/cosmjs`, installed by `./scripts/test` with `npm ci`). It sends with `fee: "auto"`
//! (cosmjs simulates with gas limit 0 and an empty signature), signs with SIGN_MODE_DIRECT and
//! with amino JSON (the Ledger / Keplr amino path), sends an IBC transfer both ways of signing,
//! and reads balances, `getTx` and `searchTx`. The chain and the relayer do the rest: the
//! vouchers must arrive on chain B.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use estuary_interop::{voucher, wait_until, Localnet, Options};

#[test]
fn cosmjs_sends_with_auto_gas_direct_and_amino_signing_and_reads_back() {
    if estuary_interop::skip_without(
        "cosmjs_sends_with_auto_gas_direct_and_amino_signing_and_reads_back",
        &[
            estuary_interop::Tool::Cometbft,
            estuary_interop::Tool::Cosmjs,
        ],
    ) {
        return;
    }
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("cosmjs");
    let net = Localnet::up(Options::new());
    let (bob, bob_b) = (net.address(0, "bob"), net.address(1, "bob"));
    let mnemonic = std::fs::read_to_string(net.dir().join("keys/alice.mnemonic")).unwrap();
    let bob_before = net.balance(0, &bob, "stake");
    let out = Command::new("node")
        .arg(project.join("wallet.mjs"))
        .env("RPC", net.rpc(0))
        .env("MNEMONIC", mnemonic.trim())
        .env("TO", &bob)
        .env("IBC_TO", &bob_b)
        .env("CHANNEL", "channel-0")
        .output()
        .expect("running node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "cosmjs client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    eprintln!("cosmjs saw: {seen}");
    assert_eq!(seen["chain_id"], "estuary-a-1");
    assert_eq!(seen["balance_delta"], "246");
    // The chain agrees with the wallet, through its own CLI.
    assert_eq!(net.balance(0, &bob, "stake"), bob_before + 246);
    // Both IBC transfers (direct- and amino-signed) arrive as vouchers on chain B.
    let v = voucher("transfer/channel-0/stake");
    wait_until(
        "both cosmjs IBC transfers on B",
        Duration::from_secs(90),
        || net.balance(1, &bob_b, &v) == 90,
    );
    // "auto" paid for the simulated gas times cosmjs' 1.4, never a fixed guess.
    let wanted: u64 = seen["direct_send"]["gas_wanted"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let used: u64 = seen["direct_send"]["gas_used"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        wanted >= used && wanted < used * 2,
        "gas wanted {wanted}, used {used}"
    );
}
