//! A real JavaScript wallet client against Estuary: cosmjs 0.39 (`@cosmjs/stargate`, what
//! Keplr-based front ends and most scripts use), unmodified, from the npm registry
//! (`interop/cosmjs`, installed by `./scripts/test` with `npm ci`). It sends with `fee: "auto"`
//! (cosmjs simulates with gas limit 0 and an empty signature), signs with SIGN_MODE_DIRECT and
//! with amino JSON (the Ledger / Keplr amino path), sends an IBC transfer both ways of signing,
//! and reads balances, `getTx` and `searchTx`; as a validator's operator it votes on a proposal
//! (gov v1 DIRECT, gov v1beta1 amino JSON, as Keplr signs). The chain and the relayer do the
//! rest: the vouchers must arrive on chain B, the chain must hold the last vote.

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
    // alice (localnet's admin) names herself node0's operator, and bob proposes: a text
    // proposal with the default minimum deposit, so it is in its voting period at once.
    let alice = net.address(0, "alice");
    let key = net.ok(0, &["comet", "show-validator"]);
    net.ok(
        0,
        &[
            "tx",
            "validators",
            "set-power",
            "alice",
            key.trim(),
            "10",
            "--operator",
            "alice",
            "--wait",
        ],
    );
    let proposal = net.dir().join("text-proposal.json");
    std::fs::write(
        &proposal,
        r#"{"title": "cosmjs votes", "summary": "a text proposal", "metadata": "ipfs://cosmjs", "deposit": "10000000stake"}"#,
    )
    .unwrap();
    net.ok(
        0,
        &[
            "tx",
            "gov",
            "submit-proposal",
            proposal.to_str().unwrap(),
            "--from",
            "bob",
            "--wait",
        ],
    );
    let bob_before = net.balance(0, &bob, "stake");
    let out = Command::new("node")
        .arg(project.join("wallet.mjs"))
        .env("RPC", net.rpc(0))
        .env("MNEMONIC", mnemonic.trim())
        .env("TO", &bob)
        .env("IBC_TO", &bob_b)
        .env("CHANNEL", "channel-0")
        .env("PROPOSAL", "1")
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
    // The amino-signed v1beta1 vote (no) replaced the DIRECT v1 one (yes).
    let vote: serde_json::Value =
        serde_json::from_str(&net.ok(0, &["query", "gov", "vote", "1", &alice, "-o", "json"]))
            .unwrap();
    assert_eq!(
        vote["vote"]["options"][0]["option"], "VOTE_OPTION_NO",
        "{vote}"
    );
    assert_eq!(vote["vote"]["options"][0]["weight"], "1.000000000000000000");
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
