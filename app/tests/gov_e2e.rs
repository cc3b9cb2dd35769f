//! Governance end to end: four validators (supervised `estuaryd start` under CometBFT), each
//! voted for by its operator. A proposal written as the SDK's `proposal.json` changes the
//! validator set when three of the four vote yes — CometBFT's own validator set shows it; one
//! that reaches no quorum changes nothing; a 2-of-3 multisig submits a proposal (its members
//! sign amino JSON of the proposal and the message it carries).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::time::{Duration, Instant};

use base64::Engine;
use common::Net;

/// `tx <args> --wait`, which must succeed.
fn tx(net: &Net, args: &[&str]) -> serde_json::Value {
    let mut full = vec!["tx"];
    full.extend_from_slice(args);
    full.push("--wait");
    net.json(0, &full)
}

fn proposal(net: &Net, id: u64) -> serde_json::Value {
    net.json(0, &["query", "gov", "proposal", &id.to_string()])["proposal"].clone()
}

/// Waits until proposal `id` leaves its voting period; its final form.
fn wait_for_end(net: &Net, id: u64) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let p = proposal(net, id);
        let status = p["status"].as_str().unwrap().to_string();
        if status != "PROPOSAL_STATUS_VOTING_PERIOD" && status != "PROPOSAL_STATUS_DEPOSIT_PERIOD" {
            return p;
        }
        assert!(Instant::now() < deadline, "proposal {id} still {status}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// CometBFT's voting power (from its `/validators`) of the validator with base64 consensus key
/// `key`; 0 when it is not in the set.
fn comet_power(net: &Net, key: &str) -> u64 {
    use tendermint_rpc::Client;
    let node = net.rpc(0);
    let latest = common::rt()
        .block_on(node.rpc.latest_block())
        .unwrap()
        .block
        .header
        .height;
    let set = common::rt()
        .block_on(node.rpc.validators(latest, tendermint_rpc::Paging::All))
        .unwrap();
    set.validators
        .iter()
        .find(|v| base64::engine::general_purpose::STANDARD.encode(v.pub_key.to_bytes()) == key)
        .map_or(0, |v| v.power.value())
}

/// A proposal file carrying one power change of the validator `key`.
fn power_proposal(dir: &std::path::Path, name: &str, gov: &str, key: &str, power: u64) -> String {
    let path = dir.join(name);
    let doc = serde_json::json!({
        "messages": [{
            "@type": "/estuary.validators.v1.MsgSetValidatorPower",
            "authority": gov,
            "name": "",
            "pub_key": key,
            "power": power.to_string(),
        }],
        "metadata": "ipfs://none",
        "deposit": "1000stake",
        "title": format!("set power {power}"),
        "summary": "changes one validator's power",
    });
    std::fs::write(&path, doc.to_string()).unwrap();
    path.display().to_string()
}

#[test]
fn validators_govern_the_validator_set() {
    if estuary_interop::skip_without(
        "validators_govern_the_validator_set",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    let mut net = Net::governed(
        "estuary-gov-1",
        4,
        serde_json::json!({
            "min_deposit": [{"denom": "stake", "amount": "1000"}],
            "max_deposit_period": "20s",
            "voting_period": "12s",
        }),
    );
    // A 2-of-3 multisig, funded, for the last scenario.
    for m in ["m1", "m2", "m3"] {
        net.est(0, &["keys", "add", m]);
    }
    let ms = net.json(
        0,
        &[
            "keys",
            "add",
            "ms",
            "--multisig",
            "m1,m2,m3",
            "--multisig-threshold",
            "2",
        ],
    )["address"]
        .as_str()
        .unwrap()
        .to_string();
    net.est(0, &["genesis", "add-account", "ms", "50000stake"]);
    // The same genesis everywhere (the multisig was funded after Net copied it).
    let genesis = net.nodes[0].home.join("config/genesis.json");
    for n in &net.nodes[1..] {
        std::fs::copy(&genesis, n.home.join("config/genesis.json")).unwrap();
    }
    net.start_all();
    net.wait_height(0, 2, Duration::from_secs(60));
    let dir = tempfile::tempdir().unwrap();
    let gov = net.json(0, &["tx", "gov", "gov-account"])["address"]
        .as_str()
        .unwrap()
        .to_string();
    let keys: Vec<String> = (0..4)
        .map(|i| {
            String::from_utf8(net.est_out(i, &["comet", "show-validator"]).stdout)
                .unwrap()
                .trim()
                .to_string()
        })
        .collect();
    assert_eq!(comet_power(&net, &keys[0]), 10);
    let alice = net.address("alice");
    let alice_before = net.balance(0, &alice, "stake");

    // 1. Three of four vote yes: node0's power becomes 20 in CometBFT's set.
    let file = power_proposal(dir.path(), "p1.json", &gov, &keys[0], 20);
    tx(&net, &["gov", "submit-proposal", &file, "--from", "alice"]);
    let p = proposal(&net, 1);
    assert_eq!(p["status"], "PROPOSAL_STATUS_VOTING_PERIOD", "{p}");
    assert_eq!(
        p["messages"][0]["@type"],
        "/estuary.validators.v1.MsgSetValidatorPower"
    );
    for op in ["op0", "op1", "op2"] {
        tx(&net, &["gov", "vote", "1", "yes", "--from", op]);
    }
    let votes = net.json(0, &["query", "gov", "votes", "1"]);
    assert_eq!(votes["votes"].as_array().unwrap().len(), 3);
    let tally = net.json(0, &["query", "gov", "tally-result", "1"]);
    assert_eq!(tally["tally"]["yes_count"], "30", "the live tally: {tally}");
    let p = wait_for_end(&net, 1);
    assert_eq!(p["status"], "PROPOSAL_STATUS_PASSED", "{p}");
    assert_eq!(p["final_tally_result"]["yes_count"], "30");
    let deadline = Instant::now() + Duration::from_secs(20);
    while comet_power(&net, &keys[0]) != 20 {
        assert!(
            Instant::now() < deadline,
            "CometBFT never took the new power"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(
        net.balance(0, &alice, "stake"),
        alice_before,
        "the deposit came back (fees are zero here)"
    );

    // 2. One vote of 50 power is no quorum: rejected, nothing changes.
    let file = power_proposal(dir.path(), "p2.json", &gov, &keys[1], 30);
    tx(&net, &["gov", "submit-proposal", &file, "--from", "alice"]);
    tx(&net, &["gov", "vote", "2", "yes", "--from", "op1"]);
    let p = wait_for_end(&net, 2);
    assert_eq!(p["status"], "PROPOSAL_STATUS_REJECTED", "{p}");
    assert_eq!(comet_power(&net, &keys[1]), 10);
    let rejected = net.json(
        0,
        &[
            "query",
            "gov",
            "proposals",
            "--proposal-status",
            "PROPOSAL_STATUS_REJECTED",
        ],
    );
    assert_eq!(rejected["proposals"].as_array().unwrap().len(), 1);

    // 3. The multisig proposes (two members sign amino JSON); the proposal is its.
    let file = power_proposal(dir.path(), "p3.json", &gov, &keys[2], 15);
    let unsigned = dir.path().join("p3.tx.json");
    let generated = net.est(
        0,
        &[
            "tx",
            "gov",
            "submit-proposal",
            &file,
            "--from",
            "ms",
            "--generate-only",
            "--gas",
            "400000",
        ],
    );
    std::fs::write(&unsigned, generated).unwrap();
    let unsigned = unsigned.display().to_string();
    let sigs: Vec<String> = ["m1", "m3"]
        .iter()
        .map(|m| {
            let path = dir.path().join(format!("{m}.sig.json"));
            std::fs::write(
                &path,
                net.est(
                    0,
                    &["tx", "sign", &unsigned, "--from", m, "--multisig", "ms"],
                ),
            )
            .unwrap();
            path.display().to_string()
        })
        .collect();
    let mut args = vec!["tx", "multisign", &unsigned, "ms"];
    args.extend(sigs.iter().map(String::as_str));
    let signed = dir.path().join("p3.signed.json");
    std::fs::write(&signed, net.est(0, &args)).unwrap();
    net.json(0, &["tx", "broadcast", signed.to_str().unwrap(), "--wait"]);
    let p = proposal(&net, 3);
    assert_eq!(p["proposer"], ms.as_str());
    assert_eq!(p["total_deposit"][0]["amount"], "1000");
    let deposits = net.json(0, &["query", "gov", "deposit", "3", &ms]);
    assert_eq!(deposits["deposit"]["amount"][0]["amount"], "1000");
    assert_eq!(net.balance(0, &ms, "stake"), 49_000);
}
