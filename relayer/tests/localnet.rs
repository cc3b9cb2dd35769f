//! End to end through the real binaries: `localnet/up` starts two chains (estuaryd + cometbft)
//! and the bundled relayer; transfers go through the estuaryd CLI and the relayer alone moves
//! them between the chains. The harness is `estuary-interop`'s.

use std::process::Command;
use std::time::Duration;

use cosmrs::Any;
use estuary_interop::{estuaryd, rt, tool, wait_until, Localnet, Options};
use prost::Message;

fn voucher() -> String {
    estuary_interop::voucher("transfer/channel-0/stake")
}

/// Escrow on A for channel-0 equals the vouchers in circulation on B.
fn assert_conserved(net: &Localnet) {
    assert_eq!(
        net.escrowed(0, "channel-0", "stake"),
        net.supply(1, &voucher()),
        "escrow on A = vouchers on B"
    );
}

/// Restarts the bundled relayer with its metrics endpoint on base + 90.
fn restart_relayer(net: &mut Localnet) {
    let metrics = format!("127.0.0.1:{}", net.opts.base + 90);
    net.start_relayer(&["--metrics", &metrics]);
}

#[test]
fn round_trip_timeout_and_a_relayer_killed_mid_burst() {
    if estuary_interop::skip_without(
        "round_trip_timeout_and_a_relayer_killed_mid_burst",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    let mut net = Localnet::up(Options::new());
    let (alice, bob_b) = (net.address(0, "alice"), net.address(1, "bob"));
    let start = net.balance(0, &alice, "stake");

    // A → B and part of it back, through the running relayer.
    net.transfer(0, "alice", "channel-0", &bob_b, "1000stake", &[]);
    wait_until("voucher on B", Duration::from_secs(60), || {
        net.balance(1, &bob_b, &voucher()) == 1000
    });
    assert_conserved(&net);
    let v = voucher();
    net.transfer(1, "bob", "channel-0", &alice, &format!("400{v}"), &[]);
    wait_until("tokens home on A", Duration::from_secs(60), || {
        net.balance(0, &alice, "stake") == start - 600
    });
    assert_conserved(&net);

    // Relayer down: a transfer with a 4 s timeout is never received; once the relayer is back it
    // times the packet out and alice is refunded, with nothing minted on B.
    net.stop_relayer();
    net.transfer(
        0,
        "alice",
        "channel-0",
        &bob_b,
        "77stake",
        &["--timeout-seconds", "4"],
    );
    assert_eq!(net.balance(0, &alice, "stake"), start - 677);
    std::thread::sleep(Duration::from_secs(6));
    restart_relayer(&mut net);
    wait_until("timeout refund", Duration::from_secs(60), || {
        net.balance(0, &alice, "stake") == start - 600
    });
    assert_eq!(net.balance(1, &bob_b, &v), 600);
    assert_conserved(&net);

    // A burst of 200 transfers; the relayer is killed (SIGKILL) in the middle and restarted:
    // every packet is received exactly once and every ack delivered.
    net.burst("alice", "channel-0", &bob_b, 200, 3);
    // Kill it once it has started delivering the burst.
    wait_until("relaying under way", Duration::from_secs(60), || {
        net.balance(1, &bob_b, &v) > 600
    });
    net.stop_relayer();
    let midway = net.balance(1, &bob_b, &v);
    restart_relayer(&mut net);
    wait_until("200 packets received", Duration::from_secs(180), || {
        net.balance(1, &bob_b, &v) == 600 + 600
    });
    wait_until("all acks delivered", Duration::from_secs(120), || {
        let s: serde_json::Value = serde_json::from_str(&net.relayer_cmd(&[
            "-o",
            "json",
            "status",
            "estuary-a-1",
            "estuary-b-1",
        ]))
        .unwrap();
        s[0]["pending_packets"]
            .as_array()
            .is_some_and(|p| p.is_empty())
            && net.pending(0, "channel-0").is_empty()
    });
    assert_eq!(net.balance(0, &alice, "stake"), start - 600 - 600);
    assert_eq!(
        net.balance(1, &bob_b, &v),
        1200,
        "each packet minted exactly once"
    );
    assert_conserved(&net);
    eprintln!("voucher balance when the relayer was killed: {midway} (of 1200)");

    // The relayer's own audit agrees, and its report shows every packet's fate exactly once.
    let audit: serde_json::Value = serde_json::from_str(&net.relayer_cmd(&[
        "-o",
        "json",
        "audit",
        "estuary-a-1",
        "estuary-b-1",
    ]))
    .unwrap();
    let line = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["denom"] == "stake")
        .expect("stake escrowed on A");
    assert_eq!(
        (
            line["escrowed"].as_u64(),
            line["vouchers"].as_u64(),
            line["balanced"].as_bool()
        ),
        (Some(1200), Some(1200), Some(true))
    );
    let report: serde_json::Value = serde_json::from_str(&net.relayer_cmd(&[
        "-o",
        "json",
        "report",
        "estuary-a-1",
        "estuary-b-1",
    ]))
    .unwrap();
    let fates = |from: &str, fate: &str| {
        report
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["from"] == from && p["fate"] == fate)
            .count()
    };
    assert_eq!(
        fates("estuary-a-1", "acked"),
        201,
        "1 + 200 packets from A acked"
    );
    assert_eq!(fates("estuary-a-1", "timed_out"), 1);
    assert_eq!(fates("estuary-b-1", "acked"), 1);
    assert_eq!(report.as_array().unwrap().len(), 203);

    // The restarted relayer's metrics count what it relayed (the packets left after the kill),
    // the send→ack latency of those it carried both ways, and its clients and balances.
    let metrics = http_get(&format!("127.0.0.1:{}", net.opts.base + 90));
    let value = |name: &str, labels: &str| -> Option<f64> {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}{{{labels}}} ")))
            .and_then(|v| v.trim().parse().ok())
    };
    let from_a = r#"src_chain="estuary-a-1",src_channel="channel-0""#;
    let packets = value("estuary_relayer_packets_total", from_a).expect("packets counter");
    assert!(packets > 0.0 && packets <= 200.0, "{metrics}");
    let latencies = value("estuary_relayer_send_to_ack_blocks_count", from_a).unwrap_or(0.0);
    assert!(
        latencies > 0.0 && latencies <= packets,
        "latency of the packets it carried: {metrics}"
    );
    // A send is proven at the next height and its ack at the one after the receive: ≥ 2 blocks.
    let mean_blocks =
        value("estuary_relayer_send_to_ack_blocks_sum", from_a).unwrap_or(0.0) / latencies;
    assert!(mean_blocks >= 2.0, "{metrics}");
    let expiry = metrics
        .lines()
        .find(|l| l.starts_with(r#"estuary_relayer_client_expiry_seconds{chain="estuary-b-1""#))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .expect("client expiry gauge");
    // Trusting period 14 days; the client was updated moments ago.
    assert!(
        expiry > 13.0 * 86_400.0 && expiry <= 14.0 * 86_400.0,
        "{metrics}"
    );
    assert!(
        value(
            "estuary_relayer_balance",
            r#"chain="estuary-a-1",denom="stake""#
        )
        .unwrap_or(0.0)
            > 0.0,
        "{metrics}"
    );
    assert!(metrics.contains("# TYPE estuary_relayer_redundant_packets counter"));

    // A transaction CheckTx refuses (a stale sequence) and one that fails in its block
    // (insufficient funds), for the failure counters.
    let bob_a = net.address(0, "bob");
    let stale = net.est(
        0,
        &[
            "tx",
            "bank",
            "send",
            "alice",
            &bob_a,
            "1stake",
            "--sequence",
            "0",
            "--yes",
        ],
    );
    assert!(!stale.status.success());
    let broke = net.est(
        0,
        &[
            "tx",
            "bank",
            "send",
            "bob",
            &alice,
            "999999999999999stake",
            "--yes",
            "--wait",
        ],
    );
    assert!(!broke.status.success());

    // The nodes' own metrics (app.toml `metrics_address`, P+4) show the transfers: packets sent
    // on A and received on B over channel-0, acks back on A, the escrow on A; CometBFT's own
    // (instrumentation on, P+5) answer beside them.
    let node_metric = |chain: usize, line_start: &str| -> f64 {
        let text = http_get(&format!("127.0.0.1:{}", net.port(chain, 4)));
        text.lines()
            .find_map(|l| l.strip_prefix(line_start))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {line_start} in {text}"))
    };
    let sent = node_metric(
        0,
        r#"estuary_ibc_packets_total{channel="channel-0",event="sent"} "#,
    );
    let received = node_metric(
        1,
        r#"estuary_ibc_packets_total{channel="channel-0",event="received"} "#,
    );
    let acked = node_metric(
        0,
        r#"estuary_ibc_packets_total{channel="channel-0",event="acknowledged"} "#,
    );
    // The report above: 202 packets from A (201 acked, 1 timed out), each counted once.
    let timed_out = node_metric(
        0,
        r#"estuary_ibc_packets_total{channel="channel-0",event="timed_out"} "#,
    );
    assert_eq!(
        (sent, received, acked, timed_out),
        (202.0, 201.0, 201.0, 1.0)
    );
    assert_eq!(
        node_metric(
            0,
            r#"estuary_ibc_escrow{channel="channel-0",denom="stake"} "#
        ) as u128,
        net.escrowed(0, "channel-0", "stake")
    );
    assert!(node_metric(0, "estuary_block_height ") > 10.0);
    assert!(node_metric(0, "estuary_finalize_block_seconds_count ") > 10.0);
    assert!(node_metric(0, "estuary_store_size_bytes ") > 0.0);
    assert_eq!(
        node_metric(
            0,
            r#"estuary_check_tx_rejections_total{codespace="sdk",code="32"} "#
        ),
        1.0
    );
    assert_eq!(
        node_metric(0, r#"estuary_tx_failures_total{codespace="sdk",code="5"} "#),
        1.0
    );
    let comet = http_get(&format!("127.0.0.1:{}", net.port(0, 5)));
    assert!(comet.contains("cometbft_consensus_height"), "{comet}");

    // Every series the shipped Grafana dashboard plots is one these endpoints serve.
    let served = format!(
        "{metrics}{comet}{}",
        http_get(&format!("127.0.0.1:{}", net.port(0, 4)))
    );
    let dashboard =
        std::fs::read_to_string(estuary_interop::root().join("localnet/grafana-dashboard.json"))
            .unwrap();
    let mut names: Vec<&str> = dashboard
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("estuary_") || w.starts_with("cometbft_"))
        .collect();
    names.sort_unstable();
    names.dedup();
    assert!(names.len() > 15, "{names:?}");
    for name in names {
        let family = ["_bucket", "_total"]
            .iter()
            .fold(name, |n, suffix| n.strip_suffix(suffix).unwrap_or(n));
        assert!(
            served.contains(family),
            "the dashboard plots {name}, which nothing serves"
        );
    }
}

fn alive(pid: &str) -> bool {
    Command::new("kill")
        .args(["-0", pid])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn signal(sig: &str, pid: &str) {
    assert!(Command::new("kill")
        .args([sig, pid])
        .status()
        .unwrap()
        .success());
}

/// The CometBFT child of a supervised `estuaryd start`.
fn cometbft_child(parent: u32) -> String {
    for _ in 0..100 {
        let out = Command::new("pgrep")
            .args(["-P", &parent.to_string()])
            .output()
            .unwrap();
        let child = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !child.is_empty() {
            return child;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no CometBFT child of {parent}")
}

/// Four validators per chain, each node one supervised `estuaryd start` process. With one of
/// them killed (kill -9 of estuaryd; its CometBFT stops by itself: no half-alive node) the chain
/// keeps making blocks and the relayer keeps relaying; restarted, the validator catches up. A
/// kill -9 of a node's CometBFT stops its estuaryd with an error; SIGTERM stops both cleanly.
#[test]
fn four_validators_survive_one_down() {
    if estuary_interop::skip_without(
        "four_validators_survive_one_down",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    let net = Localnet::up(Options {
        validators: 4,
        ..Options::new()
    });
    let bob_b = net.address(1, "bob");
    let victim = |what: &str| {
        std::fs::read_to_string(net.dir().join(format!("a3.{what}.pid")))
            .unwrap()
            .trim()
            .to_string()
    };
    let (app_pid, comet_pid) = (victim("estuaryd"), victim("cometbft"));
    signal("-9", &app_pid);
    wait_until(
        "its CometBFT to stop by itself",
        Duration::from_secs(30),
        || !alive(&comet_pid),
    );
    let height = |n: usize| -> u64 {
        let rpc = format!("http://127.0.0.1:{}", net.opts.base as usize + n * 10 + 1);
        let out = Command::new(estuaryd())
            .args(["status", "--node", &rpc, "-o", "json"])
            .output()
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .ok()
            .and_then(|v| v["latest_block_height"].as_u64())
            .unwrap_or(0)
    };
    let before = height(0);
    wait_until(
        "blocks without validator 3",
        Duration::from_secs(30),
        || height(0) >= before + 5,
    );
    net.transfer(0, "alice", "channel-0", &bob_b, "5stake", &[]);
    wait_until(
        "relayed with a validator down",
        Duration::from_secs(60),
        || net.balance(1, &bob_b, &voucher()) == 5,
    );

    // Restart validator 3 from its home (one supervised process); it replays and catches up.
    let home = net.home(0, 3);
    let cometbft = tool("cometbft", "ESTUARY_COMETBFT", "scripts/setup");
    let start = || {
        let log = std::fs::File::create(net.dir().join("a3.restart.log")).unwrap();
        Command::new(estuaryd())
            .arg("--home")
            .arg(&home)
            .args(["start", "--cometbft"])
            .arg(&cometbft)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap()
    };
    let mut node = start();
    let target = height(0);
    wait_until("validator 3 catching up", Duration::from_secs(60), || {
        height(3) >= target
    });
    // kill -9 of its CometBFT: estuaryd stops too, with an error.
    signal("-9", &cometbft_child(node.id()));
    let status = node.wait().unwrap();
    assert!(!status.success(), "{status}");
    let log = std::fs::read_to_string(net.dir().join("a3.restart.log")).unwrap();
    assert!(log.contains("CometBFT exited on its own"), "{log}");
    // Again, then SIGTERM: CometBFT is stopped first, estuaryd exits 0, nothing is left.
    let mut node = start();
    let target = height(0);
    wait_until(
        "validator 3 catching up again",
        Duration::from_secs(60),
        || height(3) >= target,
    );
    let child = cometbft_child(node.id());
    signal("-TERM", &node.id().to_string());
    let status = node.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(!alive(&child), "CometBFT stopped with estuaryd");
}

fn http_get(addr: &str) -> String {
    estuary_interop::scrape(addr).expect("metrics endpoint")
}

/// A faulty relayer's submissions, sent to the real nodes, are refused and change nothing.
#[test]
fn bad_relayer_input_is_refused_by_the_nodes() {
    if estuary_interop::skip_without(
        "bad_relayer_input_is_refused_by_the_nodes",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    use estuary_relayer::chain::{attr, parse_height, Chain};
    use estuary_relayer::link::{prove_ready, LinkState};
    use ibc_proto::ibc::core::channel::v1 as chan;

    let mut net = Localnet::up(Options::new());
    net.stop_relayer();
    let (alice, bob_b) = (net.address(0, "alice"), net.address(1, "bob"));
    net.transfer(0, "alice", "channel-0", &bob_b, "10stake", &[]);
    let cfg = estuary_relayer::config::Config::load(&net.dir().join("relayer.toml")).unwrap();
    let st = LinkState::load(&LinkState::path(
        &cfg.state_dir,
        "estuary-a-1",
        "estuary-b-1",
    ))
    .unwrap()
    .unwrap();
    let rt = rt();
    let (a, b) = rt.block_on(async {
        (
            Chain::connect(&cfg.chains[0]).await.unwrap(),
            Chain::connect(&cfg.chains[1]).await.unwrap(),
        )
    });
    let attrs = rt
        .block_on(a.find_event(
            "send_packet",
            &[
                ("packet_src_channel", "channel-0".into()),
                ("packet_sequence", "1".into()),
            ],
        ))
        .unwrap()
        .unwrap();
    let packet = chan::Packet {
        sequence: 1,
        source_port: "transfer".into(),
        source_channel: "channel-0".into(),
        destination_port: "transfer".into(),
        destination_channel: "channel-0".into(),
        data: hex::decode(attr(&attrs, "packet_data_hex").unwrap()).unwrap(),
        timeout_height: Some(parse_height(attr(&attrs, "packet_timeout_height").unwrap()).unwrap()),
        timeout_timestamp: attr(&attrs, "packet_timeout_timestamp")
            .unwrap()
            .parse()
            .unwrap(),
    };
    let h = rt.block_on(prove_ready(&a, &b, &st.b.client_id)).unwrap();
    let (_, proof) = rt
        .block_on(a.proven(
            "commitments/ports/transfer/channels/channel-0/sequences/1",
            h,
        ))
        .unwrap();
    let recv = |p: &chan::Packet, proof: Vec<u8>| {
        let m = chan::MsgRecvPacket {
            packet: Some(p.clone()),
            proof_commitment: proof,
            proof_height: Some(a.height_of(h + 1)),
            signer: b.signer.clone(),
        };
        Any {
            type_url: "/ibc.core.channel.v1.MsgRecvPacket".into(),
            value: m.encode_to_vec(),
        }
    };
    let mut forged = proof.clone();
    let n = forged.len();
    forged[n - 7] ^= 0x10;
    let err = rt
        .block_on(b.submit(vec![recv(&packet, forged)]))
        .unwrap_err();
    assert!(format!("{err:#}").contains("refused"), "{err:#}");
    let mut lost = packet.clone();
    lost.destination_channel = "channel-9".into();
    assert!(
        rt.block_on(b.submit(vec![recv(&lost, proof.clone())]))
            .is_err(),
        "packet for an unknown channel accepted"
    );
    assert_eq!(
        net.balance(1, &bob_b, &voucher()),
        0,
        "nothing minted by bad input"
    );

    // An ack for a packet never sent: ibc-go's no-op, answered and changing nothing.
    let hb = rt.block_on(prove_ready(&b, &a, &st.a.client_id)).unwrap();
    let (_, absent) = rt
        .block_on(b.proven("acks/ports/transfer/channels/channel-0/sequences/99", hb))
        .unwrap();
    let mut never = packet.clone();
    never.sequence = 99;
    let ack = chan::MsgAcknowledgement {
        packet: Some(never),
        acknowledgement: br#"{"result":"AQ=="}"#.to_vec(),
        proof_acked: absent,
        proof_height: Some(b.height_of(hb + 1)),
        signer: a.signer.clone(),
    };
    let before = net.balance(0, &alice, "stake");
    let _ = rt.block_on(a.submit(vec![Any {
        type_url: "/ibc.core.channel.v1.MsgAcknowledgement".into(),
        value: ack.encode_to_vec(),
    }]));
    assert_eq!(net.balance(0, &alice, "stake"), before);
    assert_eq!(
        net.pending(0, "channel-0"),
        vec![1],
        "the real packet is still pending"
    );

    // The honest relayer then delivers the real packet once.
    restart_relayer(&mut net);
    wait_until("honest delivery", Duration::from_secs(60), || {
        net.balance(1, &bob_b, &voucher()) == 10
    });
    assert_conserved(&net);
}

/// The memo attack of the robustness report: with the relayer down, nine transfers carrying
/// 30,000-byte memos (legal in ibc-go) and one plain transfer; a single batch of all of them is
/// larger than a chain accepts (262,144 bytes). Restarted, the relayer cuts its batches by bytes:
/// every packet is received exactly once and acknowledged, the plain one is not held up, and the
/// audit balances throughout — with ten packets in flight, it counts them.
#[test]
fn large_memos_are_relayed_in_batches_that_fit_and_the_audit_counts_what_is_in_flight() {
    if estuary_interop::skip_without(
        "large_memos_are_relayed_in_batches_that_fit_and_the_audit_counts_what_is_in_flight",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    let mut net = Localnet::up(Options::new());
    let bob_b = net.address(1, "bob");
    net.stop_relayer();
    let memo = "m".repeat(30_000);
    for _ in 0..9 {
        net.transfer(
            0,
            "alice",
            "channel-0",
            &bob_b,
            "1stake",
            &["--packet-memo", &memo, "--gas", "2000000"],
        );
    }
    net.transfer(0, "alice", "channel-0", &bob_b, "5stake", &[]);
    assert_eq!(net.pending(0, "channel-0").len(), 10);

    let audit = |net: &Localnet| -> serde_json::Value {
        serde_json::from_str(&net.relayer_cmd(&[
            "-o",
            "json",
            "audit",
            "estuary-a-1",
            "estuary-b-1",
        ]))
        .unwrap()
    };
    let in_flight = audit(&net);
    let stake = in_flight
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["denom"] == "stake")
        .unwrap_or_else(|| panic!("no stake line: {in_flight}"));
    assert_eq!(stake["in_flight"], 14, "{stake}");
    assert_eq!(stake["balanced"], true, "{stake}");

    // This restart notices blocks by polling only (no websocket), the fallback path.
    let metrics = format!("127.0.0.1:{}", net.opts.base + 90);
    net.start_relayer(&[
        "--trigger",
        "poll",
        "--interval",
        "0.3",
        "--metrics",
        &metrics,
    ]);
    wait_until("all ten received", Duration::from_secs(120), || {
        net.balance(1, &bob_b, &voucher()) == 9 + 5
    });
    wait_until("all ten acknowledged", Duration::from_secs(120), || {
        net.pending(0, "channel-0").is_empty()
    });
    assert_conserved(&net);
    let after = audit(&net);
    assert!(
        after
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["balanced"] == true),
        "{after}"
    );
    // Each packet was minted exactly once.
    assert_eq!(net.supply(1, &voucher()), 14);
    let log = std::fs::read_to_string(net.dir().join("relayer-restarted.log")).unwrap();
    assert!(!log.contains("following new blocks"), "polling only: {log}");
}

/// One relayer process, configured by `[[paths]]`: a second channel opened on the same
/// connection, a path whose packet filter names only that channel (a transfer on channel-0
/// waits), then a path with both channels (it goes too); chain B's key comes from a mnemonic
/// file rather than a keyring, and its gas limit there is too low for a whole batch of
/// receives, which the relayer splits until each half fits.
#[test]
fn paths_with_a_channel_filter_and_a_key_from_a_mnemonic_file() {
    if estuary_interop::skip_without(
        "paths_with_a_channel_filter_and_a_key_from_a_mnemonic_file",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    let mut net = Localnet::up(Options::new());
    net.stop_relayer();
    let (a, b) = (net.chain_id(0), net.chain_id(1));
    // `create channel` opens a new channel over the linked connection: channel-1 on both sides.
    net.relayer_cmd(&["create", "channel", a, b]);
    let bob_b = net.address(1, "bob");
    let mnemonic = net.dir().join("keys/relayer.mnemonic");
    assert!(
        mnemonic.exists(),
        "localnet/up keeps the relayer's mnemonic"
    );
    let config = |net: &Localnet, channels: &str, b_extra: &str| {
        let path = net
            .dir()
            .join(format!("paths-{}-{}.toml", channels.len(), b_extra.len()));
        let text = format!(
            r#"state_dir = "{dir}/relayer"

[[chains]]
id = "{a}"
rpc = "{rpc_a}"
key_home = "{dir}/a/node0"
key = "relayer"

[[chains]]
id = "{b}"
rpc = "{rpc_b}"
mnemonic_file = "{mnemonic}"
gas_limit = 1000000
{b_extra}

[[paths]]
a = "{a}"
b = "{b}"
channels = [{channels}]
"#,
            dir = net.dir().display(),
            rpc_a = net.rpc(0),
            rpc_b = net.rpc(1),
            mnemonic = mnemonic.display(),
        );
        std::fs::write(&path, text).unwrap();
        path
    };
    let relayer_b = net.address(1, "relayer");
    let signed_on_b = |net: &Localnet| {
        rt().block_on(net.node(1).account(&relayer_b))
            .unwrap()
            .sequence
    };
    let sequence_before = signed_on_b(&net);
    let only_1 = config(&net, r#""channel-1""#, "");
    net.start_relayer_with(&only_1, &["start"]);
    net.transfer(0, "alice", "channel-0", &bob_b, "7stake", &[]);
    net.transfer(0, "alice", "channel-1", &bob_b, "5stake", &[]);
    let voucher_1 = estuary_interop::voucher("transfer/channel-1/stake");
    wait_until("the channel-1 transfer", Duration::from_secs(60), || {
        net.balance(1, &bob_b, &voucher_1) == 5
    });
    wait_until("its ack", Duration::from_secs(60), || {
        net.pending(0, "channel-1").is_empty()
    });
    // The packet's state, read through a light client on each side (`--verify`): on A its
    // commitment is proven gone (acknowledged), on B its receipt and ack are proven there, and
    // the voucher's trace is proven.
    for chain in [0, 1] {
        let block: serde_json::Value =
            serde_json::from_str(&net.ok(chain, &["query", "block", "2", "-o", "json"])).unwrap();
        let hash = block["block_id"]["hash"].as_str().unwrap();
        net.ok(
            chain,
            &[
                "light",
                "init",
                "--trusted-height",
                "2",
                "--trusted-hash",
                hash,
            ],
        );
    }
    let verified = |chain: usize, args: &[&str]| -> serde_json::Value {
        let mut all = args.to_vec();
        all.extend(["--verify", "-o", "json"]);
        serde_json::from_str(&net.ok(chain, &all)).unwrap()
    };
    let q = ["query", "ibc"];
    let commitment = verified(
        0,
        &[&q[..], &["packet-commitment", "transfer", "channel-1", "1"]].concat(),
    );
    assert_eq!(commitment["found"], false, "{commitment}");
    let receipt = verified(
        1,
        &[&q[..], &["packet-receipt", "transfer", "channel-1", "1"]].concat(),
    );
    assert_eq!(receipt["found"], true, "{receipt}");
    let ack = verified(
        1,
        &[&q[..], &["packet-ack", "transfer", "channel-1", "1"]].concat(),
    );
    assert_eq!(ack["found"], true, "{ack}");
    let trace = verified(
        1,
        &[
            "query",
            "ibc-transfer",
            "denom-trace",
            voucher_1.trim_start_matches("ibc/"),
        ],
    );
    assert_eq!(
        (trace["path"].as_str(), trace["base_denom"].as_str()),
        (Some("transfer/channel-1"), Some("stake"))
    );

    // Several passes later, channel-0 is still untouched: the filter holds.
    let h = net.latest_height(0);
    wait_until("a few blocks", Duration::from_secs(30), || {
        net.latest_height(0) >= h + 4
    });
    assert_eq!(
        net.pending(0, "channel-0").len(),
        1,
        "channel-0 is filtered out"
    );
    assert_eq!(net.balance(1, &bob_b, &voucher()), 0);

    let both = config(&net, r#""channel-0", "channel-1""#, "");
    net.start_relayer_with(&both, &["start"]);
    net.transfer(
        1,
        "bob",
        "channel-1",
        &net.address(0, "alice"),
        &format!("2{voucher_1}"),
        &[],
    );
    wait_until("the channel-0 transfer", Duration::from_secs(60), || {
        net.balance(1, &bob_b, &voucher()) == 7
    });
    wait_until(
        "the vouchers home over channel-1",
        Duration::from_secs(60),
        || net.balance(1, &bob_b, &voucher_1) == 3 && net.pending(1, "channel-1").is_empty(),
    );
    // 20 receives and a client update need ~2.5M gas: the batch is split until each part fits.
    net.burst_on(0, "alice", "channel-1", &bob_b, 20, 1);
    wait_until("the burst over channel-1", Duration::from_secs(120), || {
        net.balance(1, &bob_b, &voucher_1) == 3 + 20 && net.pending(0, "channel-1").is_empty()
    });
    let log = std::fs::read_to_string(net.dir().join("relayer-restarted.log")).unwrap();
    assert!(log.contains("splitting"), "{log}");
    assert_eq!(net.escrowed(0, "channel-1", "stake"), 3 + 20);

    // A poison packet: B's transactions may take 20,000 bytes, a 30,000-byte memo cannot fit.
    // It is skipped (status, report, metric), the plain transfer behind it goes, and it times
    // out and is refunded.
    let small = config(&net, r#""channel-0", "channel-1""#, "max_tx_bytes = 20000");
    let metrics = format!("127.0.0.1:{}", net.opts.base + 90);
    net.start_relayer_with(&small, &["start", "--metrics", &metrics]);
    let alice = net.address(0, "alice");
    let before = net.balance(0, &alice, "stake");
    let memo = "m".repeat(30_000);
    net.transfer(
        0,
        "alice",
        "channel-1",
        &bob_b,
        "4stake",
        &[
            "--packet-memo",
            &memo,
            "--gas",
            "2000000",
            "--timeout-seconds",
            "20",
        ],
    );
    net.transfer(0, "alice", "channel-1", &bob_b, "6stake", &[]);
    wait_until(
        "the plain transfer behind the poison one",
        Duration::from_secs(60),
        || net.balance(1, &bob_b, &voucher_1) == 23 + 6,
    );
    let status: serde_json::Value =
        serde_json::from_str(&net.relayer_cmd_with(&small, &["-o", "json", "status", a, b]))
            .unwrap();
    let poison = status[0]["poison_packets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(poison.len(), 1, "{status}");
    let report: serde_json::Value =
        serde_json::from_str(&net.relayer_cmd_with(&small, &["-o", "json", "report", a, b]))
            .unwrap();
    assert!(
        report
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["fate"] == "poison" && p["sequence"] == poison[0]),
        "{report}"
    );
    assert!(http_get(&metrics).contains(
        "estuary_relayer_poison_packets_total{src_chain=\"estuary-a-1\",src_channel=\"channel-1\"}"
    ));
    wait_until(
        "the poison packet refunded on timeout",
        Duration::from_secs(90),
        || net.pending(0, "channel-1").is_empty(),
    );
    assert_eq!(net.balance(0, &alice, "stake"), before - 4 - 6 + 4);
    assert_eq!(net.balance(1, &bob_b, &voucher_1), 23 + 6);
    assert_conserved(&net);
    // The relayer signed its receives on B with the key of the mnemonic (the localnet's relayer
    // account), and is still running.
    assert!(signed_on_b(&net) > sequence_before);
    assert!(net.started_relayer_alive());
}

/// A user's day with the localnet: the audit of an idle link says it is balanced (with
/// `-o json` after the subcommand, as the README writes it); `localnet/down` then
/// `localnet/up` resumes the same chains, keys and channel where they stopped; `up` on a
/// running localnet says what to do instead of starting a second one.
#[test]
fn a_stopped_localnet_resumes_with_its_chains_and_channel() {
    if estuary_interop::skip_without(
        "a_stopped_localnet_resumes_with_its_chains_and_channel",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    let net = Localnet::up(Options::new());
    let (a, b) = (net.chain_id(0), net.chain_id(1));
    let idle = net.relayer_cmd(&["audit", a, b]);
    assert!(
        idle.contains("nothing escrowed") && idle.contains("balanced"),
        "{idle}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&net.relayer_cmd(&["audit", a, b, "-o", "json"])).unwrap();
    assert_eq!(json, serde_json::json!([]), "no channel holds escrow yet");

    let bob_b = net.address(1, "bob");
    net.transfer(0, "alice", "channel-0", &bob_b, "700stake", &[]);
    wait_until("voucher on B", Duration::from_secs(60), || {
        net.balance(1, &bob_b, &voucher()) == 700
    });
    let again = net.script("up", &[]);
    assert!(
        !again.status.success(),
        "a second `up` on a running localnet"
    );
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("localnet/down stops it"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    let stopped_at = net.latest_height(0);
    let down = net.script("down", &[]);
    assert!(down.status.success());
    assert!(
        String::from_utf8_lossy(&down.stderr).contains("localnet/up resumes it"),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    let up = net.script("up", &[]);
    assert!(
        up.status.success(),
        "resuming:\n{}",
        String::from_utf8_lossy(&up.stderr)
    );
    assert!(
        String::from_utf8_lossy(&up.stderr).contains("resuming"),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    wait_until(
        "chain A goes on from where it stopped",
        Duration::from_secs(30),
        || net.latest_height(0) > stopped_at,
    );
    assert_eq!(net.balance(1, &bob_b, &voucher()), 700, "state kept");
    // The same channel, relayed by the resumed relayer.
    net.transfer(0, "alice", "channel-0", &bob_b, "300stake", &[]);
    wait_until("second voucher on B", Duration::from_secs(60), || {
        net.balance(1, &bob_b, &voucher()) == 1000
    });
    assert_conserved(&net);
    let balanced = net.relayer_cmd(&["audit", a, b, "-o", "json"]);
    let lines: serde_json::Value = serde_json::from_str(&balanced).unwrap();
    assert_eq!(lines[0]["balanced"], true, "{balanced}");
}

/// A localnet (no relayer running) linked with clients that trust a header for 12 s only
/// (`relayer-short.toml`): left alone, they expire within the test.
fn short_trusting_localnet() -> (Localnet, std::path::PathBuf) {
    let net = Localnet::up(Options {
        relayer: false,
        ..Options::new()
    });
    let (a, b) = (net.chain_id(0), net.chain_id(1));
    let config = std::fs::read_to_string(net.dir().join("relayer.toml")).unwrap();
    let short = config.replace(
        "key = \"relayer\"\n",
        "key = \"relayer\"\ntrusting_period_secs = 12\n",
    );
    assert_eq!(
        short.matches("trusting_period_secs = 12").count(),
        2,
        "{short}"
    );
    let short_config = net.dir().join("relayer-short.toml");
    std::fs::write(&short_config, short).unwrap();
    net.relayer_cmd_with(&short_config, &["link", a, b]);
    (net, short_config)
}

/// A client that expires while no relayer runs (a 12 s trusting period): `status` says which
/// client, that it expired and what to do about it; the relayer, started again, sets
/// `estuary_relayer_client_status` to 1 (expired) and logs the same advice once.
#[test]
fn an_expired_client_is_reported_with_what_to_do() {
    if estuary_interop::skip_without(
        "an_expired_client_is_reported_with_what_to_do",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    let (mut net, short_config) = short_trusting_localnet();
    let (a, b) = (net.chain_id(0), net.chain_id(1));
    let status = |net: &Localnet| -> serde_json::Value {
        serde_json::from_str(&net.relayer_cmd_with(&short_config, &["status", a, b, "-o", "json"]))
            .unwrap()
    };
    let fresh = status(&net);
    assert_eq!(fresh[0]["client_status"], "Active", "{fresh}");
    assert_eq!(fresh[1]["client_status"], "Active", "{fresh}");

    // Nobody updates the clients for longer than their trusting period.
    std::thread::sleep(Duration::from_secs(16));
    let stale = status(&net);
    for side in 0..2 {
        assert_eq!(stale[side]["client_status"], "Expired", "{stale}");
    }
    let text = net.relayer_cmd_with(&short_config, &["status", a, b]);
    assert!(
        text.contains("has EXPIRED") && text.contains("MsgRecoverClient"),
        "{text}"
    );

    let metrics = format!("127.0.0.1:{}", net.opts.base + 90);
    net.start_relayer_with(&short_config, &["start", a, b, "--metrics", &metrics]);
    let gauge =
        format!("estuary_relayer_client_status{{chain=\"{a}\",client=\"07-tendermint-0\"}} 1");
    wait_until(
        "the expired client in the metrics",
        Duration::from_secs(30),
        // The endpoint is up once the relayer has started.
        || estuary_interop::scrape(&metrics).is_some_and(|m| m.contains(&gauge)),
    );
    std::thread::sleep(Duration::from_secs(6));
    let log = std::fs::read_to_string(net.dir().join("relayer-restarted.log")).unwrap();
    let said = log
        .lines()
        .filter(|l| l.contains(&format!("client 07-tendermint-0 on {a} has EXPIRED")))
        .count();
    assert_eq!(said, 1, "said once:\n{log}");
}

/// An expired client brought back, as an operator would after reading `status`: a substitute
/// client made by `create client --host-chain … --reference-chain …`, `MsgRecoverClient` from the
/// chain's authority (refused from anyone else, changing nothing), and the channel works again —
/// the packet sent while the client was expired included, delivered once.
#[test]
fn an_expired_client_is_recovered_by_the_authority_and_its_channel_relays_again() {
    if estuary_interop::skip_without(
        "an_expired_client_is_recovered_by_the_authority_and_its_channel_relays_again",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    let (mut net, _short) = short_trusting_localnet();
    let (a, b) = (net.chain_id(0), net.chain_id(1));
    let status = |net: &Localnet| -> serde_json::Value {
        serde_json::from_str(&net.relayer_cmd(&["status", a, b, "-o", "json"])).unwrap()
    };
    // Sent, and then nobody relays it until the clients have expired: no relayer can deliver
    // it now (and A refuses new sends over an expired client, as ibc-go does).
    let bob_b = net.address(1, "bob");
    let v = voucher();
    net.transfer(0, "alice", "channel-0", &bob_b, "500stake", &[]);
    std::thread::sleep(Duration::from_secs(16));
    let stale = status(&net);
    for side in 0..2 {
        assert_eq!(stale[side]["client_status"], "Expired", "{stale}");
    }
    assert_eq!(net.pending(0, "channel-0").len(), 1);

    // Substitutes, with the ordinary config (its default trusting period).
    let substitute = |host: &str, reference: &str| -> String {
        let out = net.relayer_cmd(&[
            "create",
            "client",
            "--host-chain",
            host,
            "--reference-chain",
            reference,
            "-o",
            "json",
        ]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["client_id"].as_str().unwrap().to_string()
    };
    let sub_a = substitute(a, b);
    let sub_b = substitute(b, a);
    assert_eq!(sub_a, "07-tendermint-1");
    let recover = |net: &Localnet, chain: usize, sub: &str, from: &str| {
        net.est(
            chain,
            &[
                "tx",
                "ibc",
                "recover-client",
                "07-tendermint-0",
                sub,
                "--from",
                from,
                "--yes",
                "--wait",
                "-o",
                "json",
            ],
        )
    };
    // Not the authority (bob is no admin): refused, the client still expired.
    let refused = recover(&net, 0, &sub_a, "bob");
    assert!(!refused.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&refused.stdout),
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(
        said.contains("only the chain's authority") && said.contains("may recover a client"),
        "{said}"
    );
    assert_eq!(status(&net)[0]["client_status"], "Expired");
    // The authority (alice is the localnet's validators admin) on both chains.
    for (chain, sub) in [(0, &sub_a), (1, &sub_b)] {
        let out = recover(&net, chain, sub, "alice");
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let recovered = status(&net);
    for side in 0..2 {
        assert_eq!(recovered[side]["client_status"], "Active", "{recovered}");
    }

    // The same client and channel relay again: the stuck packet, then a new one.
    net.start_relayer(&[]);
    wait_until(
        "the stuck packet delivered",
        Duration::from_secs(60),
        || net.balance(1, &bob_b, &v) == 500,
    );
    net.transfer(0, "alice", "channel-0", &bob_b, "7stake", &[]);
    wait_until("a new packet delivered", Duration::from_secs(60), || {
        net.balance(1, &bob_b, &v) == 507
    });
    wait_until("acks home", Duration::from_secs(60), || {
        net.pending(0, "channel-0").is_empty()
    });
    assert_eq!(
        net.balance(1, &bob_b, &v),
        507,
        "each packet delivered once"
    );
}

/// A localnet whose chain B has been forked: linked, stopped, B's node copied, resumed, and the
/// copy run apart on other ports (B's ports + 50) with the same validator key, so that from the
/// fork on both sign blocks of their own at every height. Returns the fork's RPC address and the
/// guard that stops it.
struct Forked {
    net: Localnet,
    rpc: String,
    b_rpc_line: String,
    _fork: KillOnDrop,
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

fn forked_localnet() -> Forked {
    let net = Localnet::up(Options {
        relayer: false,
        ..Options::new()
    });
    let (a, b) = (net.chain_id(0), net.chain_id(1));
    net.relayer_cmd(&["link", a, b]);
    let done = net.script("down", &[]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let fork = net.dir().join("b-fork");
    let copied = Command::new("cp")
        .arg("-a")
        .arg(net.home(1, 0))
        .arg(&fork)
        .status()
        .unwrap();
    assert!(copied.success());
    let (from, to) = (net.port(1, 0), net.port(1, 50));
    for file in ["config/config.toml", "config/app.toml"] {
        let path = fork.join(file);
        let mut text = std::fs::read_to_string(&path).unwrap();
        for off in 0..=6 {
            text = text.replace(
                &format!("127.0.0.1:{}", from + off),
                &format!("127.0.0.1:{}", to + off),
            );
        }
        std::fs::write(&path, text).unwrap();
    }
    let _ = std::fs::remove_file(fork.join("config/addrbook.json"));
    let resumed = net.script("up", &[]);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let log = std::fs::File::create(net.dir().join("b-fork.log")).unwrap();
    let child = Command::new(estuaryd())
        .arg("--home")
        .arg(&fork)
        .arg("start")
        .env(
            "ESTUARY_COMETBFT",
            tool("cometbft", "ESTUARY_COMETBFT", "scripts/setup"),
        )
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("starting the fork");
    let guard = KillOnDrop(child);
    let rpc = format!("http://127.0.0.1:{}", to + 1);
    let fork_node = estuary_client::Node::connect(&rpc).unwrap();
    let start = net.latest_height(1);
    wait_until(
        "the fork makes blocks of its own",
        Duration::from_secs(60),
        || {
            rt().block_on(fork_node.latest_height())
                .is_ok_and(|h| h > start + 2)
        },
    );
    let b_rpc_line = format!("rpc = \"http://127.0.0.1:{}\"\n", from + 1);
    Forked {
        net,
        rpc,
        b_rpc_line,
        _fork: guard,
    }
}

impl Forked {
    /// relayer.toml with B's block edited by `edit` (given B's `rpc = …` line), saved as `name`.
    fn config(&self, name: &str, edit: impl Fn(&str) -> String) -> std::path::PathBuf {
        let config = std::fs::read_to_string(self.net.dir().join("relayer.toml")).unwrap();
        assert!(config.contains(&self.b_rpc_line), "{config}");
        let path = self.net.dir().join(name);
        std::fs::write(
            &path,
            config.replace(&self.b_rpc_line, &edit(&self.b_rpc_line)),
        )
        .unwrap();
        path
    }

    /// One `clear` pass with `config`; its stderr (the log).
    fn clear(&self, config: &std::path::Path) -> String {
        let (a, b) = (self.net.chain_id(0), self.net.chain_id(1));
        let out = Command::new(estuary_interop::relayer_bin())
            .arg("--config")
            .arg(config)
            .args(["clear", a, b])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// One `clear` pass with `config`, which must catch B's misbehaviour (`how`: which header
    /// it set against B's), submit it, and leave A's client of B frozen; the status after it.
    fn caught(&self, config: &std::path::Path, how: &str) -> serde_json::Value {
        let said = self.clear(config);
        assert!(
            said.contains("MISBEHAVIOUR") && said.contains(how),
            "{said}"
        );
        assert!(
            !said.contains("submitting the misbehaviour"),
            "the submission failed: {said}"
        );
        let status = self.client_status();
        assert_eq!(status[0]["client_status"], "Frozen", "{status}");
        status
    }

    fn client_status(&self) -> serde_json::Value {
        let (a, b) = (self.net.chain_id(0), self.net.chain_id(1));
        serde_json::from_str(&self.net.relayer_cmd(&["status", a, b, "-o", "json"])).unwrap()
    }
}

/// A counterparty whose validators sign two different blocks at one height, caught as Hermes
/// catches it: the relayer is given chain B's fork as B's witness. About to update A's client of
/// B, it finds the witness's header at that height different from the primary's yet just as
/// validly signed, submits both in `MsgSubmitMisbehaviour`, and A freezes the client: `status`
/// says Frozen, the packet B sent is never delivered, and later passes refuse to use the client.
#[test]
fn a_forked_counterparty_is_caught_by_the_witness_and_its_client_frozen() {
    if estuary_interop::skip_without(
        "a_forked_counterparty_is_caught_by_the_witness_and_its_client_frozen",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    let f = forked_localnet();
    let alice_a = f.net.address(0, "alice");
    f.net
        .transfer(1, "alice", "channel-0", &alice_a, "50stake", &[]);
    let fork_rpc = f.rpc.clone();
    let witnessed = f.config("relayer-witness.toml", |rpc| {
        format!("{rpc}witness_rpc = \"{fork_rpc}\"\n")
    });
    // The relayer meets the conflicting header when it next updates A's client of B: one
    // `clear` pass, timed from its start to the client frozen on A.
    let started = std::time::Instant::now();
    let status = f.caught(&witnessed, "the witness");
    eprintln!(
        "misbehaviour: from the relayer's first look at the conflicting header to the frozen client: {:.1} s (one `clear` pass)",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(status[1]["client_status"], "Active", "{status}");
    // Nothing more goes over the frozen client, from any relayer: B's packet stays undelivered.
    let again = f.clear(&f.net.dir().join("relayer.toml"));
    assert!(again.contains("FROZEN"), "{again}");
    assert_eq!(f.net.pending(1, "channel-0").len(), 1);
    assert_eq!(f.net.balance(0, &alice_a, &voucher()), 0);
}

/// Misbehaviour caught with no witness, from what is already on the client: a relayer pointed at
/// the fork (a lying endpoint) updates A's client of B with a fork header and gets the fork's
/// packet delivered; the honest relayer, about to update the same client, finds the consensus
/// state it holds unlike B's own header at that height, reads the fork header back from A's
/// `update_client` event, and submits it with B's header as misbehaviour: the client freezes and
/// B's real packet is not delivered over it.
#[test]
fn a_forged_update_already_on_the_client_is_caught_and_the_client_frozen() {
    if estuary_interop::skip_without(
        "a_forged_update_already_on_the_client_is_caught_and_the_client_frozen",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    let f = forked_localnet();
    let alice_a = f.net.address(0, "alice");
    // A transfer on the fork, relayed by a relayer that takes the fork for B.
    f.net.ok(
        1,
        &[
            "tx",
            "ibc-transfer",
            "transfer",
            "transfer",
            "channel-0",
            &alice_a,
            "30stake",
            "--from",
            "alice",
            "--yes",
            "--wait",
            "--node",
            &f.rpc.replace("http", "tcp"),
        ],
    );
    let fork_rpc = f.rpc.clone();
    let lying = f.config("relayer-lying.toml", |_| format!("rpc = \"{fork_rpc}\"\n"));
    let lied = f.clear(&lying);
    wait_until(
        "the fork's packet delivered on A",
        Duration::from_secs(30),
        || f.net.balance(0, &alice_a, &voucher()) == 30,
    );
    assert_eq!(f.client_status()[0]["client_status"], "Active", "{lied}");

    // B's real transfers (its sequence 1 collides with the fork's, already received on A; 2
    // needs proving), and the honest relayer.
    f.net
        .transfer(1, "alice", "channel-0", &alice_a, "50stake", &[]);
    f.net
        .transfer(1, "alice", "channel-0", &alice_a, "60stake", &[]);
    f.caught(&f.net.dir().join("relayer.toml"), "already on the client");
    assert!(f
        .clear(&f.net.dir().join("relayer.toml"))
        .contains("FROZEN"));
    assert_eq!(
        f.net.balance(0, &alice_a, &voucher()),
        30,
        "B's real packet not delivered"
    );
}

/// The rate limit's flow on `chain` for `denom` on channel-0, as the CLI prints it.
fn rate_limit_flow(net: &Localnet, chain: usize, denom: &str) -> serde_json::Value {
    let out = net.ok(
        chain,
        &[
            "query",
            "ratelimit",
            "rate-limit",
            "channel-0",
            "--denom",
            denom,
            "-o",
            "json",
        ],
    );
    serde_json::from_str::<serde_json::Value>(&out).unwrap()["rate_limit"]["flow"].clone()
}

/// ibc-go v11's rate limits through the real binaries and the bundled relayer: A's authority
/// caps what leaves A (a send past it is refused in the transaction), B's caps what comes in
/// (a burst past it gets error acks, the relayer brings them back, and A's sender is refunded,
/// the refunds no longer counted against A's quota).
#[test]
fn rate_limits_refuse_sends_and_error_ack_receives_past_the_quota() {
    if estuary_interop::skip_without(
        "rate_limits_refuse_sends_and_error_ack_receives_past_the_quota",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    let net = Localnet::up(Options::new());
    let (alice, bob_b) = (net.address(0, "alice"), net.address(1, "bob"));
    let v = voucher();
    net.transfer(0, "alice", "channel-0", &bob_b, "100000stake", &[]);
    wait_until("vouchers on B", Duration::from_secs(60), || {
        net.balance(1, &bob_b, &v) == 100_000
    });
    // B (its admin, alice) takes in at most 10% of its voucher supply per day: 10,000.
    net.ok(
        1,
        &[
            "tx",
            "ratelimit",
            "add-rate-limit",
            &v,
            "channel-0",
            "--max-percent-send",
            "100",
            "--max-percent-recv",
            "10",
            "--duration-hours",
            "24",
            "--from",
            "alice",
            "--wait",
        ],
    );
    // A lets at most 1% of its stake supply leave per day.
    net.ok(
        0,
        &[
            "tx",
            "ratelimit",
            "add-rate-limit",
            "stake",
            "channel-0",
            "--max-percent-send",
            "1",
            "--max-percent-recv",
            "100",
            "--duration-hours",
            "24",
            "--from",
            "alice",
            "--wait",
        ],
    );
    let value: u128 = rate_limit_flow(&net, 0, "stake")["channel_value"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        value,
        net.supply(0, "stake"),
        "the channel value is the supply"
    );
    let over = net.est(
        0,
        &[
            "tx",
            "ibc-transfer",
            "transfer",
            "transfer",
            "channel-0",
            &bob_b,
            &format!("{}stake", value / 100 + 1),
            "--from",
            "alice",
            "--yes",
            "--wait",
            "-o",
            "json",
        ],
    );
    assert!(!over.status.success(), "a send past 1% is refused");
    assert!(
        String::from_utf8_lossy(&over.stdout).contains("quota exceeded"),
        "{}",
        String::from_utf8_lossy(&over.stdout)
    );

    // 8,000 arrives; then five of 1,000: two fit B's 10,000, three get error acks.
    let before = net.balance(0, &alice, "stake");
    net.transfer(0, "alice", "channel-0", &bob_b, "8000stake", &[]);
    net.burst("alice", "channel-0", &bob_b, 5, 1_000);
    wait_until("every packet acknowledged", Duration::from_secs(90), || {
        net.pending(0, "channel-0").is_empty()
    });
    wait_until("refunds on A", Duration::from_secs(30), || {
        net.balance(0, &alice, "stake") == before - 10_000
    });
    assert_eq!(
        net.balance(1, &bob_b, &v),
        110_000,
        "B minted only what fit"
    );
    assert_eq!(rate_limit_flow(&net, 1, &v)["inflow"], "10000");
    assert_eq!(
        rate_limit_flow(&net, 0, "stake")["outflow"],
        "10000",
        "the refunded sends no longer count against A's quota"
    );
    assert_conserved(&net);

    // The authority resets B's window and removes A's limit.
    net.ok(
        1,
        &[
            "tx",
            "ratelimit",
            "reset-rate-limit",
            &v,
            "channel-0",
            "--from",
            "alice",
            "--wait",
        ],
    );
    assert_eq!(rate_limit_flow(&net, 1, &v)["inflow"], "0");
    assert_eq!(rate_limit_flow(&net, 1, &v)["channel_value"], "110000");
    net.ok(
        0,
        &[
            "tx",
            "ratelimit",
            "remove-rate-limit",
            "stake",
            "channel-0",
            "--from",
            "alice",
            "--wait",
        ],
    );
    let all = net.ok(0, &["query", "ratelimit", "all-rate-limits", "-o", "json"]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&all).unwrap()["rate_limits"],
        serde_json::json!([])
    );
}

/// An upgrade at a height on chain A with packets in flight both ways on the IBC link: A stops
/// at the height with the packets still unrelayed, is started again on the binary that has the
/// upgrade's handler (which migrates), and the relayer delivers every packet exactly once
/// across the upgrade; the link needs no new client (same chain id, no revision bump).
#[test]
fn packets_in_flight_across_an_upgrade_land_once() {
    if estuary_interop::skip_without(
        "packets_in_flight_across_an_upgrade_land_once",
        &[
            estuary_interop::Tool::Cometbft,
            estuary_interop::Tool::UpgradeTestBinary,
        ],
    ) {
        return;
    }
    const NAME: &str = "estuary-test-upgrade";
    let mut net = Localnet::up(Options::new());
    let (alice_a, bob_a, bob_b) = (
        net.address(0, "alice"),
        net.address(0, "bob"),
        net.address(1, "bob"),
    );
    let v = voucher();
    let v_on_a = estuary_interop::voucher("transfer/channel-0/stake");
    let alice_before = net.balance(0, &alice_a, "stake");
    // In flight both ways when A stops: the relayer is down.
    net.stop_relayer();
    net.transfer(0, "alice", "channel-0", &bob_b, "500stake", &[]);
    net.transfer(1, "alice", "channel-0", &bob_a, "300stake", &[]);
    let height = net.latest_height(0) + 6;
    net.ok(
        0,
        &[
            "tx",
            "upgrade",
            "software-upgrade",
            NAME,
            "--upgrade-height",
            &height.to_string(),
            "--upgrade-info",
            "v2",
            "--from",
            "alice",
            "--wait",
        ],
    );
    let pid: i32 = std::fs::read_to_string(net.dir().join("a0.estuaryd.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    wait_until(
        "A's node stops at the upgrade height",
        Duration::from_secs(60),
        || {
            !std::path::Path::new(&format!("/proc/{pid}")).exists()
                || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .is_ok_and(|s| s.split_whitespace().nth(2) == Some("Z"))
        },
    );
    let log = std::fs::read_to_string(net.dir().join("a0.log")).unwrap();
    assert!(
        log.contains(&format!("UPGRADE \"{NAME}\" NEEDED at height: {height}")),
        "A did not stop for the upgrade"
    );
    assert_eq!(net.balance(1, &bob_b, &v), 0, "nothing was relayed yet");

    // Every process down, then up again with A (and B, which has no plan) on the binary that
    // knows the upgrade; the relayer resumes.
    let down = net.script("down", &[]);
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    let upgraded = estuary_interop::workspace_bin("estuaryd-upgrade-test");
    let up = net.script_with("up", &[], &[("ESTUARYD", upgraded.to_str().unwrap())]);
    assert!(
        up.status.success(),
        "resuming on v2:\n{}",
        String::from_utf8_lossy(&up.stderr)
    );
    wait_until(
        "both in-flight packets delivered",
        Duration::from_secs(90),
        || net.balance(1, &bob_b, &v) == 500 && net.balance(0, &bob_a, &v_on_a) == 300,
    );
    wait_until("acks back on both sides", Duration::from_secs(60), || {
        net.pending(0, "channel-0").is_empty() && net.pending(1, "channel-0").is_empty()
    });
    the_link_goes_on_after_the_upgrade(&net, NAME, height, alice_before);
}

/// After an upgrade that A applied at `height` (500 sent from A's alice to B's bob and 300 from
/// B to A's bob across it, each landed once): the upgrade is recorded, a later transfer lands,
/// nothing was delivered twice, escrow matches vouchers and the relayer's audit balances.
fn the_link_goes_on_after_the_upgrade(net: &Localnet, name: &str, height: u64, alice_before: u128) {
    let (bob_a, bob_b) = (net.address(0, "bob"), net.address(1, "bob"));
    let (v, v_on_a) = (
        voucher(),
        estuary_interop::voucher("transfer/channel-0/stake"),
    );
    let applied: serde_json::Value =
        serde_json::from_str(&net.ok(0, &["query", "upgrade", "applied-plan", name, "-o", "json"]))
            .unwrap();
    assert_eq!(applied["height"], height.to_string());
    net.transfer(0, "alice", "channel-0", &bob_b, "200stake", &[]);
    wait_until(
        "a transfer after the upgrade",
        Duration::from_secs(60),
        || net.balance(1, &bob_b, &v) == 700,
    );
    assert_eq!(net.balance(0, &bob_a, &v_on_a), 300);
    assert_eq!(
        net.balance(0, &net.address(0, "alice"), "stake"),
        alice_before - 700
    );
    assert_conserved(net);
    let (a, b) = (net.chain_id(0), net.chain_id(1));
    let audit: serde_json::Value =
        serde_json::from_str(&net.relayer_cmd(&["audit", a, b, "-o", "json"])).unwrap();
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["balanced"] == true),
        "{audit}"
    );
}

/// The client state `chain`'s client `client_id` holds (Estuary or simd, through the gRPC
/// query both answer): its chain id, latest height (`revision-height`) and trusting period.
fn client_on(net: &Localnet, chain: usize, client_id: &str) -> (String, String, i64) {
    use ibc_proto::ibc::core::client::v1 as client;
    use ibc_proto::ibc::lightclients::tendermint::v1 as tm;
    let r = net.query(
        chain,
        &client::QueryClientStateRequest {
            client_id: client_id.into(),
        },
    );
    let cs = tm::ClientState::decode(r.client_state.unwrap().value.as_slice()).unwrap();
    let h = cs.latest_height.unwrap();
    (
        cs.chain_id,
        format!("{}-{}", h.revision_number, h.revision_height),
        cs.trusting_period.map_or(0, |d| d.seconds),
    )
}

/// #23's second upgrade scenario: the upgrade bumps A's revision (`estuary-a-1` →
/// `estuary-a-2`). A commits to the upgraded client state (`MsgIBCSoftwareUpgrade`) and writes
/// the upgraded consensus state in its last block; at the height it stops and keeps serving its
/// last header while the relayer upgrades B's client of A (`MsgUpgradeClient`, proven from A's
/// last state) and delivers A's last packet from that state (the new chain will not serve the
/// old chain's events); the binary with the handler restarts A from its exported state under
/// the new id; the relayer follows the new id, and the channel goes on over the same client.
/// What was in flight across the bump — that packet's acknowledgement, and a transfer B sent
/// while A was down — lands once.
#[test]
fn a_revision_bump_keeps_the_channel_through_a_client_upgrade() {
    if estuary_interop::skip_without(
        "a_revision_bump_keeps_the_channel_through_a_client_upgrade",
        &[
            estuary_interop::Tool::Cometbft,
            estuary_interop::Tool::UpgradeTestBinary,
        ],
    ) {
        return;
    }
    // Two validators a chain: both of A's nodes restart the chain by themselves, and must build
    // the same genesis to go on.
    revision_bump(Options {
        validators: 2,
        ..Options::new()
    });
}

/// The same with ibc-go's simd as B: ibc-go's 07-tendermint upgrade verification (it
/// re-encodes the upgraded client with its custom fields zeroed and checks the proof against
/// that) accepts what Estuary committed to, and simd's client follows `estuary-a-2`.
#[test]
fn a_revision_bump_keeps_the_channel_to_simd_through_a_client_upgrade() {
    if estuary_interop::skip_without(
        "a_revision_bump_keeps_the_channel_to_simd_through_a_client_upgrade",
        &[
            estuary_interop::Tool::Cometbft,
            estuary_interop::Tool::UpgradeTestBinary,
            estuary_interop::Tool::Simd,
        ],
    ) {
        return;
    }
    revision_bump(Options {
        simd: true,
        ..Options::new()
    });
}

fn revision_bump(opts: Options) {
    const NAME: &str = "estuary-test-upgrade";
    let mut net = Localnet::up(opts);
    let a = net.chain_id(0);
    let (alice_a, bob_a, bob_b) = (
        net.address(0, "alice"),
        net.address(0, "bob"),
        net.address(1, "bob"),
    );
    let v = voucher();
    let v_on_a = estuary_interop::voucher("transfer/channel-0/stake");
    let alice_before = net.balance(0, &alice_a, "stake");
    let before = client_on(&net, 1, "07-tendermint-0");
    assert_eq!(before.0, a);

    // A schedules the bump; a transfer from A waits, unrelayed, across it.
    net.stop_relayer();
    let height = net.latest_height(0) + 8;
    net.ok(
        0,
        &[
            "tx",
            "upgrade",
            "software-upgrade",
            NAME,
            "--upgrade-height",
            &height.to_string(),
            "--upgraded-chain-id",
            "estuary-a-2",
            "--from",
            "alice",
            "--wait",
        ],
    );
    net.transfer(0, "alice", "channel-0", &bob_b, "500stake", &[]);
    wait_until(
        "A stops at the upgrade height",
        Duration::from_secs(60),
        || {
            std::fs::read_to_string(net.dir().join("a0.log")).is_ok_and(|log| {
                log.contains(&format!("UPGRADE \"{NAME}\" NEEDED at height: {height}"))
            })
        },
    );
    let halted = std::time::Instant::now();
    // Stopped, A still serves its last header: the relayer upgrades B's client of A.
    net.start_relayer(&[]);
    wait_until(
        "B's client of A upgraded to estuary-a-2",
        Duration::from_secs(25),
        || client_on(&net, 1, "07-tendermint-0").0 == "estuary-a-2",
    );
    println!(
        "revision bump: B's client of A upgraded {:.1} s after A stopped (relayer started then)",
        halted.elapsed().as_secs_f64()
    );
    let upgraded = client_on(&net, 1, "07-tendermint-0");
    assert_eq!(upgraded.1, format!("2-{}", height - 1));
    // The client's own trust settings survive the upgrade (the chain zeroed them).
    assert_eq!(upgraded.2, before.2);
    // A's packet is relayed from A's last state, proven against the header A stopped at: the
    // new chain will not serve the old chain's events. Its acknowledgement waits for A-2.
    wait_until(
        "A's last packet delivered from its last state",
        Duration::from_secs(20),
        || net.balance(1, &bob_b, &v) == 500,
    );
    // While A is down, B sends to A (timing out by time only: a height of A's old revision
    // would be behind every height of the new one).
    let no_height: &[&str] = if net.is_simd(1) {
        &["--packet-timeout-height", "0-0"]
    } else {
        &[]
    };
    net.transfer(1, "alice", "channel-0", &bob_a, "300stake", no_height);

    // Every process down; up again with A on the binary that has the handler: it restarts A
    // from its state under the new chain id. The relayer's config still names estuary-a-1.
    net.stop_relayer();
    let down = net.script("down", &[]);
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    let bumped = estuary_interop::workspace_bin("estuaryd-upgrade-test");
    let restarted = std::time::Instant::now();
    let up = net.script_with("up", &[], &[("ESTUARYD", bumped.to_str().unwrap())]);
    assert!(
        up.status.success(),
        "resuming on v2:\n{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let status: serde_json::Value =
        serde_json::from_str(&net.ok(0, &["status", "-o", "json"])).unwrap();
    assert_eq!(status["chain_id"], "estuary-a-2");
    let first: u64 = status["latest_block_height"].as_u64().unwrap();
    assert!(
        first >= height,
        "the new chain starts at the upgrade height"
    );
    println!(
        "revision bump: estuary-a-2 at height {first} {:.1} s after the restart began (both \
         chains' nodes and the relayer restarted by localnet/up)",
        restarted.elapsed().as_secs_f64()
    );
    // Every node wrote the same genesis (and they agree on the new chain's state, or it would
    // make no block).
    let genesis =
        |n: usize| std::fs::read(net.dir().join(format!("a/node{n}/config/genesis.json")));
    for n in 1..net.opts.validators {
        assert_eq!(genesis(0).unwrap(), genesis(n).unwrap());
    }
    assert!(net.dir().join(format!("a/node0/data.{a}")).is_dir());
    let applied: serde_json::Value =
        serde_json::from_str(&net.ok(0, &["query", "upgrade", "applied-plan", NAME, "-o", "json"]))
            .unwrap();
    assert_eq!(applied["height"], height.to_string());

    wait_until(
        "B's packet, sent while A was down, delivered to A-2",
        Duration::from_secs(90),
        || net.balance(0, &bob_a, &v_on_a) == 300,
    );
    wait_until("acks back on both sides", Duration::from_secs(60), || {
        net.pending(0, "channel-0").is_empty() && net.pending(1, "channel-0").is_empty()
    });
    assert_eq!(net.balance(1, &bob_b, &v), 500, "delivered once");
    // The same client follows the new chain: its height is in revision 2 and moving.
    let followed = client_on(&net, 1, "07-tendermint-0");
    assert_eq!(followed.0, "estuary-a-2");
    assert!(followed.1.starts_with("2-"), "{}", followed.1);
    the_link_goes_on_after_the_upgrade(&net, NAME, height, alice_before);
}
