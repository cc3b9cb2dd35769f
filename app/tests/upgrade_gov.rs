//! An upgrade the validators decide, end to end: four validators, each run as an operator runs a
//! node with `estuaryd start --cosmovisor` (the node switches binaries itself, in cosmovisor's
//! layout). A governance proposal carrying `MsgSoftwareUpgrade` passes; at the height every node
//! stops (writing `upgrade-info.json`), its launcher switches to
//! `cosmovisor/upgrades/<name>/bin/estuaryd` (the binary built with the test upgrade's handler)
//! and the network produces blocks again, all four nodes on one app hash, the migration visible
//! on each. A transfer before the height and one after it land once. The time from the halt to
//! the first block on the new binary is printed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::time::{Duration, Instant};

use common::Net;

const NAME: &str = "estuary-test-upgrade";

fn proposal_status(net: &Net, id: u64) -> String {
    net.json(0, &["query", "gov", "proposal", &id.to_string()])["proposal"]["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_governance_upgrade_switches_every_validator_to_the_new_binary() {
    if estuary_interop::skip_without(
        "a_governance_upgrade_switches_every_validator_to_the_new_binary",
        &[
            estuary_interop::Tool::Cometbft,
            estuary_interop::Tool::UpgradeTestBinary,
        ],
    ) {
        return;
    }
    let v1 = estuary_interop::workspace_bin("estuaryd");
    let v2 = estuary_interop::workspace_bin("estuaryd-upgrade-test");
    let mut net = Net::governed(
        "estuary-upg-4",
        4,
        serde_json::json!({
            "min_deposit": [{"denom": "stake", "amount": "1000"}],
            "voting_period": "10s",
        }),
    );
    // cosmovisor's layout on every node: the genesis binary, and the upgrade's.
    for n in &net.nodes {
        for (dir, bin) in [
            ("cosmovisor/genesis/bin".to_string(), &v1),
            (format!("cosmovisor/upgrades/{NAME}/bin"), &v2),
        ] {
            let dir = n.home.join(dir);
            std::fs::create_dir_all(&dir).unwrap();
            std::os::unix::fs::symlink(bin, dir.join("estuaryd")).unwrap();
        }
    }
    for i in 0..4 {
        net.start_cosmovisor(i);
    }
    let now = net.wait_height(0, 2, Duration::from_secs(90));
    let height = now + 60;
    let gov = net.json(0, &["tx", "gov", "gov-account"])["address"]
        .as_str()
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("upgrade.json");
    std::fs::write(
        &file,
        serde_json::json!({
            "messages": [{
                "@type": "/cosmos.upgrade.v1beta1.MsgSoftwareUpgrade",
                "authority": gov,
                "plan": {"name": NAME, "height": height.to_string(), "info": "v2"},
            }],
            "deposit": "1000stake",
            "title": "upgrade to v2",
            "summary": "the test upgrade",
        })
        .to_string(),
    )
    .unwrap();
    net.json(
        0,
        &[
            "tx",
            "gov",
            "submit-proposal",
            file.to_str().unwrap(),
            "--from",
            "alice",
            "--wait",
        ],
    );
    for op in ["op0", "op1", "op2", "op3"] {
        net.json(
            0,
            &["tx", "gov", "vote", "1", "yes", "--from", op, "--wait"],
        );
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while proposal_status(&net, 1) == "PROPOSAL_STATUS_VOTING_PERIOD" {
        assert!(Instant::now() < deadline, "voting never ended");
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(proposal_status(&net, 1), "PROPOSAL_STATUS_PASSED");
    let plan = net.json(0, &["query", "upgrade", "current-plan"]);
    assert_eq!(plan["plan"]["height"], height.to_string(), "{plan}");
    assert!(
        net.height(0).unwrap() < height,
        "the vote must end before the upgrade height; raise the margin"
    );

    // A transfer before the height.
    let bob = net.address("bob");
    let bob_before = net.balance(0, &bob, "stake");
    net.json(
        0,
        &["tx", "bank", "send", "alice", &bob, "111stake", "--wait"],
    );

    // Every node stops at the height and writes upgrade-info.json; its launcher switches.
    let deadline = Instant::now() + Duration::from_secs(180);
    let halted = loop {
        if net
            .nodes
            .iter()
            .any(|n| n.home.join("data/upgrade-info.json").exists())
        {
            break Instant::now();
        }
        assert!(Instant::now() < deadline, "no node stopped for the upgrade");
        std::thread::sleep(Duration::from_millis(50));
    };
    net.wait_height(0, height + 1, Duration::from_secs(120));
    let resumed = halted.elapsed();
    eprintln!(
        "upgrade {NAME} at height {height}: from the first node's halt to block {} on the new binary: {:.1} s (4 validators, cosmovisor switch and restart included)",
        height + 1,
        resumed.as_secs_f64()
    );
    for (i, n) in net.nodes.iter().enumerate() {
        let info: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(n.home.join("data/upgrade-info.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(info["name"], NAME, "node {i}");
        assert_eq!(info["height"], height, "node {i}");
        let current = std::fs::read_link(n.home.join("cosmovisor/current")).unwrap();
        assert_eq!(
            current,
            std::path::Path::new("upgrades").join(NAME),
            "node {i}"
        );
    }
    for i in 0..4 {
        net.wait_height(i, height + 2, Duration::from_secs(60));
    }
    let hashes: Vec<String> = (0..4).map(|i| net.header_app_hash(i, height + 2)).collect();
    assert!(
        hashes.iter().all(|h| *h == hashes[0]),
        "one app hash after the upgrade: {hashes:?}"
    );
    for i in 0..4 {
        let versions = net.json(i, &["query", "upgrade", "module-versions"]);
        assert_eq!(
            versions["module_versions"],
            serde_json::json!([{"name": "bank", "version": "2"}]),
            "node {i} migrated"
        );
        let applied = net.json(i, &["query", "upgrade", "applied-plan", NAME]);
        assert_eq!(applied["height"], height.to_string());
    }
    // A transfer after the height; both land once.
    net.json(
        0,
        &["tx", "bank", "send", "alice", &bob, "222stake", "--wait"],
    );
    assert_eq!(net.balance(0, &bob, "stake"), bob_before + 333);
    for i in 0..4 {
        net.stop_cosmovisor(i);
    }
}
