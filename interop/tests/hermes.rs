//! Unmodified Hermes 1.10.5 relaying for Estuary: against ibc-go's simd and between two Estuary
//! chains. Hermes' config for Estuary comes from `estuaryd hermes-config` (via `localnet/hermes`);
//! the bundled relayer is not running.

use std::time::Duration;

use estuary_interop::{voucher, wait_until, Localnet, Options};

const WAIT: Duration = Duration::from_secs(120);

/// The channel ids (on chain 0, on chain 1) that `hermes create channel` opened.
fn create_channel(net: &Localnet) -> (String, String) {
    net.hermes_script(&["config"]);
    let ids = net.hermes_script(&["channel"]);
    let ids: Vec<&str> = ids.split_whitespace().collect();
    assert_eq!(ids.len(), 2, "hermes create channel printed {ids:?}");
    // Hermes must have left a usable channel on both chains, whatever it printed.
    for (chain, id) in [(0, ids[0]), (1, ids[1])] {
        let out = net.hermes_ok(&[
            "--json",
            "query",
            "channel",
            "end",
            "--chain",
            net.chain_id(chain),
            "--port",
            "transfer",
            "--channel",
            id,
        ]);
        assert!(
            out.contains("\"Open\""),
            "channel {id} on chain {chain}: {out}"
        );
    }
    (ids[0].to_string(), ids[1].to_string())
}

fn clear_packets(net: &Localnet, chain: usize, channel: &str) {
    net.hermes_ok(&[
        "clear",
        "packets",
        "--chain",
        net.chain_id(chain),
        "--port",
        "transfer",
        "--channel",
        channel,
    ]);
}

/// Transfers both ways, relayed first by `hermes clear packets`, then by `hermes start`.
fn transfers_both_ways(net: &Localnet) {
    let (ch0, ch1) = create_channel(net);
    let bob0 = net.address(0, "bob");
    let bob1 = net.address(1, "bob");
    let alice0 = net.address(0, "alice");
    let v0 = voucher(&format!("transfer/{ch1}/stake")); // chain 0's stake, held on chain 1
    let v1 = voucher(&format!("transfer/{ch0}/stake")); // chain 1's stake, held on chain 0

    // Chain 0 -> chain 1, relayed by `hermes clear packets` (recv, then the ack).
    net.transfer(0, "alice", &ch0, &bob1, "1000stake", &[]);
    assert_eq!(net.pending(0, &ch0).len(), 1);
    clear_packets(net, 0, &ch0);
    wait_until("bob's voucher on chain 1", WAIT, || {
        net.balance(1, &bob1, &v0) == 1000
    });
    assert_eq!(
        net.denom_trace(1, &v0),
        (format!("transfer/{ch1}"), "stake".into())
    );
    wait_until("the ack on chain 0", WAIT, || {
        if net.pending(0, &ch0).is_empty() {
            return true;
        }
        clear_packets(net, 0, &ch0);
        false
    });
    assert_eq!(net.escrowed(0, &ch0, "stake"), 1000);

    // Chain 1 -> chain 0 with a memo, same way.
    net.transfer(1, "alice", &ch1, &bob0, "600stake", &["--memo", "hermes"]);
    clear_packets(net, 1, &ch1);
    wait_until("bob's voucher on chain 0", WAIT, || {
        net.balance(0, &bob0, &v1) == 600
    });
    assert_eq!(
        net.denom_trace(0, &v1),
        (format!("transfer/{ch0}"), "stake".into())
    );

    // `hermes start` relays the rest: both vouchers partly go home.
    net.hermes_script(&["start"]);
    let alice0_before = net.balance(0, &alice0, "stake");
    net.transfer(1, "bob", &ch1, &alice0, &format!("400{v0}"), &[]);
    net.transfer(
        0,
        "bob",
        &ch0,
        &net.address(1, "alice"),
        &format!("100{v1}"),
        &[],
    );
    wait_until("alice's stake back on chain 0", WAIT, || {
        net.balance(0, &alice0, "stake") == alice0_before + 400
    });
    wait_until("every packet acknowledged", WAIT, || {
        net.pending(0, &ch0).is_empty() && net.pending(1, &ch1).is_empty()
    });
    assert_eq!(net.balance(1, &bob1, &v0), 600);
    assert_eq!(net.balance(0, &bob0, &v1), 500);
    assert_eq!(net.escrowed(0, &ch0, "stake"), net.supply(1, &v0));
    assert_eq!(net.escrowed(1, &ch1, "stake"), net.supply(0, &v1));
    assert_eq!(net.escrowed(0, &ch0, "stake"), 600);
    assert_eq!(net.escrowed(1, &ch1, "stake"), 500);
}

#[test]
fn hermes_relays_between_estuary_and_simd() {
    if estuary_interop::skip_without(
        "hermes_relays_between_estuary_and_simd",
        &[
            estuary_interop::Tool::Cometbft,
            estuary_interop::Tool::Simd,
            estuary_interop::Tool::Hermes,
        ],
    ) {
        return;
    }
    let net = Localnet::up(Options {
        simd: true,
        relayer: false,
        ..Options::new()
    });
    transfers_both_ways(&net);
}

#[test]
fn hermes_relays_between_two_estuary_chains() {
    if estuary_interop::skip_without(
        "hermes_relays_between_two_estuary_chains",
        &[
            estuary_interop::Tool::Cometbft,
            estuary_interop::Tool::Hermes,
        ],
    ) {
        return;
    }
    let net = Localnet::up(Options {
        relayer: false,
        ..Options::new()
    });
    transfers_both_ways(&net);
}

/// Two relayers on one channel, as is normal in IBC: the bundled relayer and `hermes start`
/// (signing with another account) race through a 300-packet burst each way. Whoever comes
/// second finds its messages redundant — a no-op inside a transaction, or a transaction the
/// chain refuses up front — and neither treats that as a failure. Every packet is received
/// exactly once, every ack delivered, balances exact, and both relayers keep running.
#[test]
fn hermes_and_the_bundled_relayer_race_on_one_channel() {
    if estuary_interop::skip_without(
        "hermes_and_the_bundled_relayer_race_on_one_channel",
        &[
            estuary_interop::Tool::Cometbft,
            estuary_interop::Tool::Hermes,
        ],
    ) {
        return;
    }
    let mut net = Localnet::up(Options::new());
    net.hermes_script_as("relayer2", &["config"]);
    net.hermes_script_as("relayer2", &["start"]);
    let (alice_a, bob_a) = (net.address(0, "alice"), net.address(0, "bob"));
    let bob_b = net.address(1, "bob");
    let (v_on_b, v_on_a) = (
        voucher("transfer/channel-0/stake"),
        voucher("transfer/channel-0/stake"),
    );
    let a_before = net.balance(0, &alice_a, "stake");
    let b_before = net.balance(1, &bob_b, "stake");
    // How many transactions each relayer's account has sent on each chain.
    let sent = |net: &Localnet, key: &str| -> u64 {
        (0..2)
            .map(|chain| {
                let address = net.address(chain, key);
                estuary_interop::rt()
                    .block_on(net.node(chain).account(&address))
                    .map_or(0, |a| a.sequence)
            })
            .sum()
    };
    let (bundled_before, hermes_before) = (sent(&net, "relayer"), sent(&net, "relayer2"));
    net.burst_on(0, "alice", "channel-0", &bob_b, 300, 2);
    net.burst_on(1, "bob", "channel-0", &bob_a, 300, 3);
    wait_until(
        "300 packets each way received",
        Duration::from_secs(240),
        || net.balance(1, &bob_b, &v_on_b) == 600 && net.balance(0, &bob_a, &v_on_a) == 900,
    );
    wait_until("every ack delivered", Duration::from_secs(240), || {
        net.pending(0, "channel-0").is_empty() && net.pending(1, "channel-0").is_empty()
    });
    assert_eq!(net.balance(0, &alice_a, "stake"), a_before - 600);
    assert_eq!(net.balance(1, &bob_b, "stake"), b_before - 900);
    // Exactly once: escrow on each side equals the vouchers of it on the other.
    assert_eq!(
        net.escrowed(0, "channel-0", "stake"),
        net.supply(1, &v_on_b)
    );
    assert_eq!(
        net.escrowed(1, "channel-0", "stake"),
        net.supply(0, &v_on_a)
    );
    assert_eq!(net.supply(1, &v_on_b), 600);
    assert_eq!(net.supply(0, &v_on_a), 900);
    let (bundled, hermes) = (
        sent(&net, "relayer") - bundled_before,
        sent(&net, "relayer2") - hermes_before,
    );
    eprintln!("relayer transactions during the race: bundled {bundled}, Hermes {hermes}");
    assert!(bundled > 0 && hermes > 0, "both relayers took part");
    assert!(net.relayer_running(), "the bundled relayer is still up");
    assert!(net.hermes_running(), "Hermes is still up");
    net.stop_relayer();
}
