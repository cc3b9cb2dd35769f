//! An upgrade at a height, through the real binaries: the authority schedules it (no one else
//! may); a binary that already knows it refuses to run before the height; the old binary stops
//! before executing the upgrade block — exit 1, `data/upgrade-info.json` and the SDK's
//! `UPGRADE "…" NEEDED` line — and stops again if restarted; the binary with the handler
//! migrates (bank's module version 2), records the upgrade as applied and the chain goes on.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::time::Duration;

use common::Net;

const NAME: &str = "estuary-test-upgrade";

#[test]
fn a_scheduled_upgrade_stops_the_old_binary_and_the_new_one_migrates_and_goes_on() {
    if estuary_interop::skip_without(
        "a_scheduled_upgrade_stops_the_old_binary_and_the_new_one_migrates_and_goes_on",
        &[
            estuary_interop::Tool::Cometbft,
            estuary_interop::Tool::UpgradeTestBinary,
        ],
    ) {
        return;
    }
    let upgraded = estuary_interop::workspace_bin("estuaryd-upgrade-test");
    let mut net = Net::new("estuary-upg-1", 1, 0);
    net.start_all();
    let now = net.wait_height(0, 2, Duration::from_secs(30));
    let height = now + 15;
    let schedule = |net: &Net, from: &str| {
        net.est_out(
            0,
            &[
                "tx",
                "upgrade",
                "software-upgrade",
                NAME,
                "--upgrade-height",
                &height.to_string(),
                "--upgrade-info",
                "the test upgrade",
                "--from",
                from,
                "--yes",
                "--wait",
                "-o",
                "json",
            ],
        )
    };
    let refused = schedule(&net, "bob");
    assert!(!refused.status.success(), "bob is not the authority");
    assert!(String::from_utf8_lossy(&refused.stdout).contains("only the chain's authority"));
    let done = schedule(&net, "alice");
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stdout)
    );
    let plan = net.json(0, &["query", "upgrade", "current-plan"]);
    assert_eq!(plan["plan"]["name"], NAME);
    assert_eq!(plan["plan"]["height"], height.to_string());

    // The new binary, started before the height, refuses to run.
    net.kill_app(0);
    net.kill_comet(0);
    net.start_app_with(0, &upgraded);
    net.start_comet(0);
    let early = net
        .wait_app_exit(0, Duration::from_secs(60))
        .expect("the upgraded binary stops before the height");
    assert!(!early.success());
    assert!(net.reap_comet(0, Duration::from_secs(30)));
    let log = std::fs::read_to_string(net.nodes[0].home.join("estuaryd.log")).unwrap();
    assert!(
        log.contains(&format!(
            "BINARY UPDATED BEFORE TRIGGER! UPGRADE \"{NAME}\""
        )),
        "{log}"
    );

    // The old binary runs up to the height and stops before executing it; restarted, again.
    for attempt in 0..2 {
        net.start(0);
        let stopped = net
            .wait_app_exit(0, Duration::from_secs(90))
            .expect("the old binary stops at the upgrade height");
        assert!(!stopped.success(), "attempt {attempt}: a non-zero exit");
        assert!(net.reap_comet(0, Duration::from_secs(30)));
    }
    let log = std::fs::read_to_string(net.nodes[0].home.join("estuaryd.log")).unwrap();
    let needed = format!("UPGRADE \"{NAME}\" NEEDED at height: {height}: the test upgrade");
    // The bare line (as cosmovisor reads it from the output), once per stop; the log has it too.
    assert_eq!(log.lines().filter(|l| *l == needed).count(), 2, "{log}");
    let info: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(net.nodes[0].home.join("data/upgrade-info.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(info["name"], NAME);
    assert_eq!(info["height"], height);
    assert_eq!(info["info"], "the test upgrade");

    // The binary with the handler migrates and the chain goes on past the height.
    net.start_app_with(0, &upgraded);
    net.start_comet(0);
    net.wait_height(0, height + 2, Duration::from_secs(60));
    let applied = net.json(0, &["query", "upgrade", "applied-plan", NAME]);
    assert_eq!(applied["height"], height.to_string());
    let plan = net.json(0, &["query", "upgrade", "current-plan"]);
    assert!(plan["plan"].is_null(), "{plan}");
    let versions = net.json(0, &["query", "upgrade", "module-versions"]);
    assert_eq!(
        versions["module_versions"],
        serde_json::json!([{"name": "bank", "version": "2"}])
    );
    // Once applied, the same upgrade cannot be scheduled again.
    let again = schedule(&net, "alice");
    assert!(!again.status.success());
}
