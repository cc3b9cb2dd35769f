//! Packet forwarding (ibc-go's packet-forward middleware, memo
//! `{"forward":{"receiver","port","channel","timeout","retries"}}`) with Estuary as the source of
//! a two-hop transfer through ibc-go v11.2.0's simd: Estuary →(channel-0) simd →(channel-1)
//! Estuary, the bundled relayer on both channels. The tokens land with the two-hop trace and
//! the original packet is acknowledged only when the second hop is; a second hop that fails or
//! times out refunds the sender on Estuary, exactly once.

use std::time::{Duration, Instant};

use estuary_interop::{voucher, wait_until, Localnet, Options};

const WAIT: Duration = Duration::from_secs(120);

/// The localnet's relayer config with its one path (every channel) replaced by a path over
/// `channels` only.
fn paths_config(net: &Localnet, name: &str, channels: &[&str]) -> std::path::PathBuf {
    let full = std::fs::read_to_string(net.dir().join("relayer.toml")).unwrap();
    let base = full.split("[[paths]]").next().unwrap();
    let list = channels
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        "{base}\n[[paths]]\na = \"{}\"\nb = \"{}\"\nchannels = [{list}]\n",
        net.chain_id(0),
        net.chain_id(1)
    );
    let path = net.dir().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn forward_memo(receiver: &str, extra: &str) -> String {
    format!(
        r#"{{"forward":{{"receiver":"{receiver}","port":"transfer","channel":"channel-1"{extra}}}}}"#
    )
}

/// Estuary ⇄ simd v11 joined by two channels (channel-0 and channel-1 on both), the bundled
/// relayer relaying both (the config it runs with, returned too): a forwarded packet goes out
/// over one and comes back over the other.
fn estuary_and_simd_v11_over_two_channels() -> (Localnet, std::path::PathBuf) {
    let mut net = Localnet::up(Options {
        simd: true,
        simd_v11: true,
        ..Options::new()
    });
    net.stop_relayer();
    let (a, b) = (net.chain_id(0), net.chain_id(1));
    net.relayer_cmd(&["create", "channel", a, b]);
    let both = paths_config(&net, "both.toml", &["channel-0", "channel-1"]);
    net.start_relayer_with(&both, &["start"]);
    (net, both)
}

#[test]
fn two_hop_transfers_through_simd_v11_land_or_refund_once() {
    if estuary_interop::skip_without(
        "two_hop_transfers_through_simd_v11_land_or_refund_once",
        &[
            estuary_interop::Tool::Cometbft,
            estuary_interop::Tool::SimdV11,
        ],
    ) {
        return;
    }
    let (mut net, both) = estuary_and_simd_v11_over_two_channels();

    let (alice, bob) = (net.address(0, "alice"), net.address(0, "bob"));
    let two_hop = voucher("transfer/channel-1/transfer/channel-0/stake");
    let alice_start = net.balance(0, &alice, "stake");

    // 1. Estuary → simd → Estuary: bob receives the two-hop voucher; the original packet is
    //    acknowledged once the second hop is.
    let sent_at = (Instant::now(), net.latest_height(0));
    // The CLI writes the memo from `--forward CHANNEL/RECEIVER`.
    net.transfer(
        0,
        "alice",
        "channel-0",
        "pfm",
        "1000stake",
        &["--forward", &format!("channel-1/{bob}")],
    );
    wait_until("the two-hop voucher on Estuary", WAIT, || {
        net.balance(0, &bob, &two_hop) == 1000
    });
    wait_until("the original packet acknowledged", WAIT, || {
        net.pending(0, "channel-0").is_empty()
    });
    let (secs, blocks) = (
        sent_at.0.elapsed().as_secs_f64(),
        net.latest_height(0) - sent_at.1,
    );
    eprintln!("two-hop transfer Estuary → simd v11 → Estuary: send to final ack within {blocks} blocks of Estuary, {secs:.1} s (bundled relayer on both channels)");
    let (path, base) = net.denom_trace(0, &two_hop);
    assert_eq!(
        (path.as_str(), base.as_str()),
        ("transfer/channel-1/transfer/channel-0", "stake")
    );
    assert_eq!(
        net.escrowed(0, "channel-0", "stake"),
        1000,
        "escrowed on the first hop"
    );
    assert_eq!(net.balance(0, &alice, "stake"), alice_start - 1000);

    // 2. A second hop that fails (a receiver Estuary refuses): the error ack comes back through
    //    simd's middleware and alice is refunded once.
    net.transfer(
        0,
        "alice",
        "channel-0",
        "pfm",
        "300stake",
        &["--memo", &forward_memo("not-an-address", "")],
    );
    wait_until("the failed forward settled", WAIT, || {
        net.pending(0, "channel-0").is_empty() && net.pending(1, "channel-1").is_empty()
    });
    wait_until("alice refunded", WAIT, || {
        net.balance(0, &alice, "stake") == alice_start - 1000
    });
    assert_eq!(net.balance(0, &bob, &two_hop), 1000, "nothing more landed");
    assert_eq!(net.escrowed(0, "channel-0", "stake"), 1000);

    // 3. A second hop that times out: only channel-0 is relayed until the forwarded packet's
    //    5 s timeout has passed; then its timeout comes back and alice is refunded once.
    net.stop_relayer();
    let only_0 = paths_config(&net, "only0.toml", &["channel-0"]);
    net.start_relayer_with(&only_0, &["start"]);
    net.transfer(
        0,
        "alice",
        "channel-0",
        "pfm",
        "200stake",
        &[
            "--memo",
            &forward_memo(&bob, r#","timeout":"5s","retries":0"#),
        ],
    );
    wait_until("the forwarded packet sent on simd", WAIT, || {
        !net.pending(1, "channel-1").is_empty()
    });
    std::thread::sleep(Duration::from_secs(8));
    net.stop_relayer();
    net.start_relayer_with(&both, &["start"]);
    wait_until("the timed-out forward settled", WAIT, || {
        net.pending(0, "channel-0").is_empty() && net.pending(1, "channel-1").is_empty()
    });
    wait_until("alice refunded after the timeout", WAIT, || {
        net.balance(0, &alice, "stake") == alice_start - 1000
    });
    assert_eq!(net.balance(0, &bob, &two_hop), 1000);
    assert_eq!(
        net.escrowed(0, "channel-0", "stake"),
        1000,
        "escrow holds only what landed"
    );
}

/// Estuary as the hop: simd v11 → Estuary → simd v11 (in on channel-0, out on channel-1). The
/// tokens land with the two-hop trace, Estuary's intermediate account keeps nothing, and the
/// original packet is acknowledged only after the second hop is; a second hop that fails or
/// times out is undone on Estuary and refunds the sender on simd, once.
#[test]
fn estuary_forwards_a_two_hop_transfer_and_refunds_what_the_next_hop_refuses() {
    if estuary_interop::skip_without(
        "estuary_forwards_a_two_hop_transfer_and_refunds_what_the_next_hop_refuses",
        &[
            estuary_interop::Tool::Cometbft,
            estuary_interop::Tool::SimdV11,
        ],
    ) {
        return;
    }
    const SIMD: usize = 1;
    let (mut net, both) = estuary_and_simd_v11_over_two_channels();

    let (alice_s, bob_s) = (net.address(SIMD, "alice"), net.address(SIMD, "bob"));
    let two_hop = voucher("transfer/channel-1/transfer/channel-0/stake");
    let on_estuary = voucher("transfer/channel-0/stake");
    let alice_start = net.balance(SIMD, &alice_s, "stake");
    let memo = |receiver: &str, extra: &str| {
        format!(
            r#"{{"forward":{{"receiver":"{receiver}","port":"transfer","channel":"channel-1"{extra}}}}}"#
        )
    };

    // 1. simd → Estuary → simd.
    let sent_at = (Instant::now(), net.latest_height(0));
    net.transfer(
        SIMD,
        "alice",
        "channel-0",
        "pfm",
        "1000stake",
        &["--memo", &memo(&bob_s, "")],
    );
    wait_until("the two-hop voucher on simd", WAIT, || {
        net.balance(SIMD, &bob_s, &two_hop) == 1000
    });
    wait_until("the original packet acknowledged on simd", WAIT, || {
        net.pending(SIMD, "channel-0").is_empty()
    });
    eprintln!(
        "two-hop transfer simd v11 → Estuary → simd v11: send to final ack within {} blocks of Estuary, {:.1} s",
        net.latest_height(0) - sent_at.1,
        sent_at.0.elapsed().as_secs_f64()
    );
    assert_eq!(net.balance(SIMD, &alice_s, "stake"), alice_start - 1000);
    assert_eq!(
        net.supply(0, &on_estuary),
        1000,
        "the hop's vouchers exist once"
    );
    assert_eq!(
        net.escrowed(0, "channel-1", &on_estuary),
        1000,
        "escrowed on the way out"
    );

    // 2. The second hop refuses (a receiver simd cannot parse): undone on Estuary, alice refunded.
    net.transfer(
        SIMD,
        "alice",
        "channel-0",
        "pfm",
        "300stake",
        &["--memo", &memo("not-an-address", "")],
    );
    wait_until("the refused forward settled", WAIT, || {
        net.pending(SIMD, "channel-0").is_empty() && net.pending(0, "channel-1").is_empty()
    });
    wait_until("alice refunded on simd", WAIT, || {
        net.balance(SIMD, &alice_s, "stake") == alice_start - 1000
    });
    assert_eq!(
        net.supply(0, &on_estuary),
        1000,
        "the refused 300 were burnt again on Estuary"
    );
    assert_eq!(net.escrowed(0, "channel-1", &on_estuary), 1000);

    // 3. The second hop times out (channel-1 unrelayed past the 5 s timeout, no retries).
    net.stop_relayer();
    let only_0 = paths_config(&net, "only0.toml", &["channel-0"]);
    net.start_relayer_with(&only_0, &["start"]);
    net.transfer(
        SIMD,
        "alice",
        "channel-0",
        "pfm",
        "200stake",
        &["--memo", &memo(&bob_s, r#","timeout":"5s","retries":0"#)],
    );
    wait_until("the forwarded packet sent from Estuary", WAIT, || {
        !net.pending(0, "channel-1").is_empty()
    });
    assert!(
        !net.pending(SIMD, "channel-0").is_empty(),
        "not acknowledged before the next hop"
    );
    std::thread::sleep(Duration::from_secs(8));
    net.stop_relayer();
    net.start_relayer_with(&both, &["start"]);
    wait_until("the timed-out forward settled", WAIT, || {
        net.pending(SIMD, "channel-0").is_empty() && net.pending(0, "channel-1").is_empty()
    });
    wait_until("alice refunded after the timeout", WAIT, || {
        net.balance(SIMD, &alice_s, "stake") == alice_start - 1000
    });
    assert_eq!(
        net.balance(SIMD, &bob_s, &two_hop),
        1000,
        "only the first forward landed"
    );
    assert_eq!(net.supply(0, &on_estuary), 1000);
    assert_eq!(net.escrowed(0, "channel-1", &on_estuary), 1000);
}

/// A relayer process of the test's own, killed when dropped.
struct Relayer(std::process::Child);

impl Drop for Relayer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Three chains: localnet 1 is Estuary A ⇄ simd v11, localnet 2 is Estuary A′ ⇄ Estuary B, and a
/// third link joins simd v11 and Estuary B. Estuary A → simd v11 → Estuary B goes through
/// ibc-go's middleware; Estuary A′ → Estuary B → simd v11 goes through Estuary's; each lands with
/// its two-hop trace and the escrow or supply on every hop matches; a hop that refuses refunds
/// the sender on the first chain once.
#[test]
fn two_hop_transfers_across_three_chains() {
    if estuary_interop::skip_without(
        "two_hop_transfers_across_three_chains",
        &[
            estuary_interop::Tool::Cometbft,
            estuary_interop::Tool::SimdV11,
        ],
    ) {
        return;
    }
    const SIMD: usize = 1;
    let net1 = Localnet::up(Options {
        simd: true,
        simd_v11: true,
        ..Options::new()
    });
    let net2 = Localnet::up(Options::new());
    let (simd, b) = (net1.chain_id(SIMD), net2.chain_id(1));
    // The third link, simd v11 ⇄ Estuary B, by a relayer of its own.
    let config = net2.dir().join("third-link.toml");
    std::fs::write(
        &config,
        format!(
            r#"state_dir = "{dir}/third-relayer"

[[chains]]
id = "{simd}"
rpc = "{rpc_s}"
key_home = "{home1}"
key = "relayer"
account_prefix = "cosmos"
store = "cosmos-sdk"

[[chains]]
id = "{b}"
rpc = "{rpc_b}"
key_home = "{home2}"
key = "relayer"

[[paths]]
a = "{simd}"
b = "{b}"
"#,
            dir = net2.dir().display(),
            rpc_s = net1.rpc(SIMD),
            rpc_b = net2.rpc(1),
            home1 = net1.dir().join("a/node0").display(),
            home2 = net2.dir().join("b/node0").display(),
        ),
    )
    .unwrap();
    net2.relayer_cmd_with(&config, &["link", simd, b]);
    let log = std::fs::File::create(net2.dir().join("third-relayer.log")).unwrap();
    let _third = Relayer(
        std::process::Command::new(estuary_interop::relayer_bin())
            .arg("--config")
            .arg(&config)
            .arg("start")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    // simd's channel-1 and B's channel-1 are the third link's ends.
    let bob_b = net2.address(1, "bob");
    let bob_s = net1.address(SIMD, "bob");

    // Estuary A → simd v11 (ibc-go's middleware) → Estuary B.
    let alice_a = net1.address(0, "alice");
    let a_start = net1.balance(0, &alice_a, "stake");
    let memo = |receiver: &str| {
        format!(
            r#"{{"forward":{{"receiver":"{receiver}","port":"transfer","channel":"channel-1"}}}}"#
        )
    };
    net1.transfer(
        0,
        "alice",
        "channel-0",
        "pfm",
        "1000stake",
        &["--memo", &memo(&bob_b)],
    );
    let on_b = voucher("transfer/channel-1/transfer/channel-0/stake");
    wait_until("Estuary A's tokens on Estuary B through simd", WAIT, || {
        net2.balance(1, &bob_b, &on_b) == 1000
    });
    wait_until("acknowledged on A", WAIT, || {
        net1.pending(0, "channel-0").is_empty()
    });
    assert_eq!(net1.balance(0, &alice_a, "stake"), a_start - 1000);
    assert_eq!(net1.escrowed(0, "channel-0", "stake"), 1000, "escrow on A");
    let on_simd = voucher("transfer/channel-0/stake");
    assert_eq!(
        net1.escrowed(SIMD, "channel-1", &on_simd),
        1000,
        "simd escrows the hop's vouchers"
    );
    assert_eq!(net2.supply(1, &on_b), 1000, "B minted once");

    // Estuary A′ → Estuary B (Estuary's forwarding) → simd v11.
    let alice_a2 = net2.address(0, "alice");
    let a2_start = net2.balance(0, &alice_a2, "stake");
    net2.transfer(
        0,
        "alice",
        "channel-0",
        "pfm",
        "700stake",
        &["--memo", &memo(&bob_s)],
    );
    let on_s = voucher("transfer/channel-1/transfer/channel-0/stake");
    wait_until(
        "Estuary A′'s tokens on simd through Estuary B",
        WAIT,
        || net1.balance(SIMD, &bob_s, &on_s) == 700,
    );
    wait_until("acknowledged on A′", WAIT, || {
        net2.pending(0, "channel-0").is_empty()
    });
    let via_b = voucher("transfer/channel-0/stake");
    assert_eq!(net2.balance(0, &alice_a2, "stake"), a2_start - 700);
    assert_eq!(net2.escrowed(0, "channel-0", "stake"), 700, "escrow on A′");
    assert_eq!(net2.supply(1, &via_b), 700, "B's hop vouchers exist once");
    assert_eq!(
        net2.escrowed(1, "channel-1", &via_b),
        700,
        "and sit in B's escrow for simd"
    );

    // A hop that refuses (simd cannot parse the receiver): A′'s sender refunded once, B unchanged.
    net2.transfer(
        0,
        "alice",
        "channel-0",
        "pfm",
        "300stake",
        &["--memo", &memo("not-an-address")],
    );
    wait_until("the refused forward settled", WAIT, || {
        net2.pending(0, "channel-0").is_empty() && net2.pending(1, "channel-1").is_empty()
    });
    wait_until("alice refunded on A′", WAIT, || {
        net2.balance(0, &alice_a2, "stake") == a2_start - 700
    });
    assert_eq!(net2.supply(1, &via_b), 700);
    assert_eq!(net1.balance(SIMD, &bob_s, &on_s), 700);
}
