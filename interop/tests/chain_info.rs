//! Chain descriptions checked by the validators wallets and the registry use, not by ours:
//! `estuaryd chain-info keplr` through Keplr's own `ChainInfoSchema`
//! (`@keplr-wallet/chain-validator`), `estuaryd chain-info registry` and
//! `estuary-relayer ibc-path` through the chain-registry's schemas (`@chain-registry/types`,
//! type-checked by TypeScript). `interop/chain-info` is installed by `./scripts/test` (`npm ci`).

use std::path::Path;
use std::process::Command;

use estuary_interop::{estuaryd, relayer_bin, skip_without, Tool};

fn run(bin: &Path, args: &[&str]) -> String {
    let out = Command::new(bin).args(args).output().expect("running");
    assert!(
        out.status.success(),
        "{} {args:?}: {}",
        bin.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// `node check.mjs docs.json`: (success, stdout).
fn check(docs: &serde_json::Value, dir: &Path) -> (bool, String) {
    let file = dir.join("docs.json");
    std::fs::write(&file, docs.to_string()).expect("writing docs");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("chain-info/check.mjs");
    let out = Command::new("node")
        .arg(script)
        .arg(&file)
        .output()
        .expect("running node");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn chain_descriptions_pass_the_validators_of_keplr_and_the_chain_registry() {
    if skip_without(
        "chain_descriptions_pass_the_validators_of_keplr_and_the_chain_registry",
        &[Tool::ChainInfoCheck],
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("node");
    let h = home.to_str().expect("utf-8 path");
    let est = estuaryd();
    run(
        &est,
        &["--home", h, "init", "node0", "--chain-id", "estuary-reg-1"],
    );
    run(&est, &["--home", h, "keys", "add", "alice"]);
    run(
        &est,
        &[
            "--home",
            h,
            "genesis",
            "add-account",
            "alice",
            "1000000stake,500uatom",
        ],
    );
    let rpc = "http://203.0.113.7:26657";
    let keplr: serde_json::Value = serde_json::from_str(&run(
        &est,
        &[
            "--home",
            h,
            "chain-info",
            "keplr",
            "--rpc",
            rpc,
            "--testnet",
        ],
    ))
    .expect("keplr json");
    assert_eq!(keplr["chainId"], "estuary-reg-1");
    assert_eq!(keplr["rest"], "http://203.0.113.7:1317");
    // Fee steps from init's minimum gas price (0.0025stake).
    assert_eq!(keplr["feeCurrencies"][0]["gasPriceStep"]["low"], 0.0025);
    let registry_dir = dir.path().join("registry");
    let r = registry_dir.to_str().expect("utf-8 path");
    run(
        &est,
        &[
            "--home",
            h,
            "chain-info",
            "registry",
            "--rpc",
            rpc,
            "--write",
            r,
        ],
    );
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(registry_dir.join(name)).expect(name))
            .expect("json")
    };
    let (chain, assetlist) = (read("chain.json"), read("assetlist.json"));
    assert_eq!(chain["chain_name"], "estuary-reg");
    let bases: Vec<&str> = assetlist["assets"]
        .as_array()
        .expect("assets")
        .iter()
        .filter_map(|a| a["base"].as_str())
        .collect();
    assert_eq!(bases, ["stake", "uatom"]);

    // The relayer's IBC path file, from a link it recorded (as `link` leaves it).
    let state = dir.path().join("relayer");
    std::fs::create_dir_all(&state).expect("state dir");
    std::fs::write(
        state.join("link-osmo-test-5--estuary-reg-1.json"),
        serde_json::json!({
            "a": {"chain_id": "osmo-test-5", "client_id": "07-tendermint-9", "connection_id": "connection-4", "channel_id": "channel-7"},
            "b": {"chain_id": "estuary-reg-1", "client_id": "07-tendermint-0", "connection_id": "connection-0", "channel_id": "channel-0"},
        })
        .to_string(),
    )
    .expect("link state");
    let config = dir.path().join("relayer.toml");
    std::fs::write(
        &config,
        format!(
            "state_dir = {:?}\nchains = []\n",
            state.display().to_string()
        ),
    )
    .expect("config");
    let c = config.to_str().expect("utf-8 path");
    run(
        &relayer_bin(),
        &[
            "--config",
            c,
            "ibc-path",
            "osmo-test-5",
            "estuary-reg-1",
            "--write",
            r,
        ],
    );
    let ibc = read("estuary-reg-osmo-test.json");
    assert_eq!(ibc["chain_1"]["chain_name"], "estuary-reg");
    assert_eq!(ibc["channels"][0]["chain_2"]["channel_id"], "channel-7");

    let docs =
        serde_json::json!({ "keplr": keplr, "chain": chain, "assetlist": assetlist, "ibc": ibc });
    let (ok, out) = check(&docs, dir.path());
    assert!(ok, "{out}");
    assert_eq!(out.matches("ok:").count(), 4, "{out}");

    // The validators do refuse: a Keplr document without an account pubkey prefix, a chain
    // without its chain_type and an IBC channel ordered "sideways".
    let mut broken = docs.clone();
    broken["keplr"]["bech32Config"]
        .as_object_mut()
        .expect("bech32Config")
        .remove("bech32PrefixAccPub");
    broken["chain"]
        .as_object_mut()
        .expect("chain")
        .remove("chain_type");
    broken["ibc"]["channels"][0]["ordering"] = "sideways".into();
    let (ok, out) = check(&broken, dir.path());
    assert!(!ok, "{out}");
    for named in ["bech32PrefixAccPub", "chain_type", "sideways"] {
        assert!(out.contains(named), "{named} in:\n{out}");
    }
}
