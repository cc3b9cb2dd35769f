//! A threshold multisig as the Cosmos SDK has it, through the real binaries: `keys add
//! --multisig`, members signing with `tx sign --multisig` (amino JSON), `tx multisign`, `tx
//! broadcast`. A 2-of-3 multisig holds funds and is the chain's validators admin — no single key
//! can move its funds or change the validator set — and its address is the one ibc-go's simd
//! derives from the same keys.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use base64::Engine;
use common::Net;
use prost::Message;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// `bin --home home args`, which must succeed; its output.
fn run(bin: &std::path::Path, home: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new(bin)
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The tx JSON `args` generate (`--generate-only`), written to `dir/name`; its path.
fn generate(net: &Net, dir: &std::path::Path, name: &str, args: &[&str]) -> String {
    let mut full = args.to_vec();
    full.extend_from_slice(&["--generate-only", "--gas", "200000"]);
    let path = dir.join(name);
    std::fs::write(&path, net.est(0, &full)).unwrap();
    path.display().to_string()
}

/// `tx sign --multisig ms` by each of `members`; the signature files.
fn member_signatures(net: &Net, dir: &std::path::Path, tx: &str, members: &[&str]) -> Vec<String> {
    members
        .iter()
        .map(|m| {
            let path = dir.join(format!("{m}.sig.json"));
            std::fs::write(
                &path,
                net.est(0, &["tx", "sign", tx, "--from", m, "--multisig", "ms"]),
            )
            .unwrap();
            path.display().to_string()
        })
        .collect()
}

/// `tx multisign` of `sigs`, written to `dir/signed.json`.
fn multisign(net: &Net, dir: &std::path::Path, tx: &str, sigs: &[String]) -> std::path::PathBuf {
    let mut args = vec!["tx", "multisign", tx, "ms"];
    args.extend(sigs.iter().map(String::as_str));
    let path = dir.join("signed.json");
    std::fs::write(&path, net.est(0, &args)).unwrap();
    path
}

fn broadcast(net: &Net, signed: &std::path::Path) -> std::process::Output {
    net.est_out(
        0,
        &[
            "tx",
            "broadcast",
            signed.to_str().unwrap(),
            "--wait",
            "-o",
            "json",
        ],
    )
}

#[test]
fn a_two_of_three_multisig_holds_funds_and_is_the_validators_admin() {
    if estuary_interop::skip_without(
        "a_two_of_three_multisig_holds_funds_and_is_the_validators_admin",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    let mut net = Net::new("estuary-multi-1", 1, 0);
    net.est(0, &["keys", "add", "carol"]);
    let made = net.json(
        0,
        &[
            "keys",
            "add",
            "ms",
            "--multisig",
            "carol,alice,bob",
            "--multisig-threshold",
            "2",
        ],
    );
    let ms = made["address"].as_str().unwrap().to_string();
    // The multisig holds funds and replaces alice as the admin, before the chain starts.
    net.est(0, &["genesis", "add-account", "ms", "5000stake"]);
    net.est(0, &["genesis", "set-validator-admin", "ms"]);
    net.start_all();
    let dir = tempfile::tempdir().unwrap();
    let bob = net.address("bob");
    let bob_before = net.balance(0, &bob, "stake");

    // A send needs two of the three.
    let send = generate(
        &net,
        dir.path(),
        "send.json",
        &["tx", "bank", "send", "ms", &bob, "700stake"],
    );
    let one = member_signatures(&net, dir.path(), &send, &["carol"]);
    let refused = net.est_out(0, &["tx", "multisign", &send, "ms", &one[0]]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("needs 2"));
    let sigs = member_signatures(&net, dir.path(), &send, &["alice", "carol"]);
    let signed = multisign(&net, dir.path(), &send, &sigs);
    let tx: serde_json::Value = serde_json::from_slice(&std::fs::read(&signed).unwrap()).unwrap();
    let info = &tx["auth_info"]["signer_infos"][0];
    assert_eq!(
        info["public_key"]["@type"],
        "/cosmos.crypto.multisig.LegacyAminoPubKey"
    );
    assert_eq!(info["public_key"]["threshold"], 2);
    assert_eq!(
        info["mode_info"]["multi"]["mode_infos"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Tampered: one member's signature replaced by a signature of something else.
    let mut forged = tx.clone();
    let mut multi = cosmrs::proto::cosmos::crypto::multisig::v1beta1::MultiSignature::decode(
        B64.decode(tx["signatures"][0].as_str().unwrap())
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    let real = multi.signatures[1].clone();
    multi.signatures[1][5] ^= 1;
    forged["signatures"][0] = B64.encode(multi.encode_to_vec()).into();
    let forged_path = dir.path().join("forged.json");
    std::fs::write(&forged_path, forged.to_string()).unwrap();
    let out = broadcast(&net, &forged_path);
    assert!(
        !out.status.success(),
        "a forged member signature is refused"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("signature verification failed"));

    // Under the threshold: one signature, the bit array naming one key.
    let mut short = tx.clone();
    multi.signatures = vec![real.clone()];
    short["signatures"][0] = B64.encode(multi.encode_to_vec()).into();
    let bits = &mut short["auth_info"]["signer_infos"][0]["mode_info"]["multi"];
    bits["mode_infos"].as_array_mut().unwrap().truncate(1);
    let elems = B64
        .decode(bits["bitarray"]["elems"].as_str().unwrap())
        .unwrap();
    let first = elems[0].leading_zeros() as u8; // the first key that signed
    bits["bitarray"]["elems"] = B64.encode([elems[0] & !(0x80 >> first)]).into();
    let short_path = dir.path().join("short.json");
    std::fs::write(&short_path, short.to_string()).unwrap();
    let out = broadcast(&net, &short_path);
    assert!(
        !out.status.success(),
        "one signature of a 2-of-3 is refused"
    );
    assert_eq!(net.balance(0, &bob, "stake"), bob_before, "nothing moved");

    let out = broadcast(&net, &signed);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(net.balance(0, &bob, "stake"), bob_before + 700);
    let acc = net.json(0, &["query", "auth", "account", &ms]);
    assert_eq!(acc["sequence"], "1");

    // The validator set answers to the multisig, not to any one key.
    let validator = String::from_utf8(net.est_out(0, &["comet", "show-validator"]).stdout).unwrap();
    let validator = validator.trim();
    let alone = net.est_out(
        0,
        &[
            "tx",
            "validators",
            "set-power",
            "alice",
            validator,
            "20",
            "--yes",
            "--wait",
            "-o",
            "json",
        ],
    );
    assert!(!alone.status.success(), "alice is no longer the admin");
    let power = generate(
        &net,
        dir.path(),
        "power.json",
        &["tx", "validators", "set-power", "ms", validator, "20"],
    );
    let sigs = member_signatures(&net, dir.path(), &power, &["bob", "carol"]);
    let signed = multisign(&net, dir.path(), &power, &sigs);
    let out = broadcast(&net, &signed);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let key_hex = hex::encode(B64.decode(validator).unwrap());
    estuary_interop::wait_until(
        "the new power in the set",
        std::time::Duration::from_secs(10),
        || {
            let set = net.json(0, &["query", "validators"]);
            set.as_array()
                .unwrap()
                .iter()
                .any(|v| v["pub_key"] == key_hex.as_str() && v["power"] == 20)
        },
    );
}

/// The multisig's address is the SDK's: simd, given the same three public keys, derives the same
/// 20 bytes (keys sorted by address in both).
#[test]
fn a_multisig_has_the_address_simd_derives() {
    if estuary_interop::skip_without(
        "a_multisig_has_the_address_simd_derives",
        &[estuary_interop::Tool::Simd],
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (home, simd_home) = (dir.path().join("estuary"), dir.path().join("simd"));
    let est = |args: &[&str]| run(&common::estuaryd(), &home, args);
    let simd = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--keyring-backend", "test"]);
        run(&estuary_interop::simd_bin(), &simd_home, &all)
    };
    for k in ["k1", "k2", "k3"] {
        est(&["keys", "add", k]);
        let shown: serde_json::Value =
            serde_json::from_str(&est(&["keys", "show", k, "-o", "json"])).unwrap();
        let pubkey = serde_json::json!({"@type": "/cosmos.crypto.secp256k1.PubKey", "key": shown["pub_key"]});
        simd(&["keys", "add", k, "--pubkey", &pubkey.to_string()]);
    }
    est(&[
        "keys",
        "add",
        "ms",
        "--multisig",
        "k3,k1,k2",
        "--multisig-threshold",
        "2",
    ]);
    simd(&[
        "keys",
        "add",
        "ms",
        "--multisig",
        "k1,k2,k3",
        "--multisig-threshold",
        "2",
    ]);
    let ours = est(&["keys", "show", "ms", "-a"]);
    let theirs = simd(&["keys", "show", "ms", "-a"]);
    let payload = |a: &str| {
        let id: cosmrs::AccountId = a.trim().parse().unwrap();
        id.to_bytes()
    };
    assert_eq!(payload(&ours), payload(&theirs), "{ours} vs {theirs}");
}
