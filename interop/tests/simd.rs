//! Estuary and ibc-go's simd v8.8.0 side by side (`localnet/up --with-simd`), linked and relayed
//! by the bundled relayer. Transfers go through each chain's own CLI; every balance, escrow,
//! supply and denom trace is read from the chain that holds it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use estuary_interop::{voucher, wait_until, Localnet, Options};

const EST: usize = 0;
const SIMD: usize = 1;
const WAIT: Duration = Duration::from_secs(90);

/// Escrow on each side equals the vouchers of its token in circulation on the other side.
fn assert_conserved(net: &Localnet) {
    let v = voucher("transfer/channel-0/stake");
    assert_eq!(
        net.escrowed(EST, "channel-0", "stake"),
        net.supply(SIMD, &v),
        "Estuary's escrow = Estuary vouchers on simd"
    );
    assert_eq!(
        net.escrowed(SIMD, "channel-0", "stake"),
        net.supply(EST, &v),
        "simd's escrow = simd vouchers on Estuary"
    );
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64
}

#[test]
fn transfers_both_ways_timeouts_and_error_acks_with_simd() {
    if estuary_interop::skip_without(
        "transfers_both_ways_timeouts_and_error_acks_with_simd",
        &[estuary_interop::Tool::Cometbft, estuary_interop::Tool::Simd],
    ) {
        return;
    }
    let mut net = Localnet::up(Options {
        simd: true,
        ..Options::new()
    });
    let alice_e = net.address(EST, "alice");
    let bob_e = net.address(EST, "bob");
    let alice_s = net.address(SIMD, "alice");
    let bob_s = net.address(SIMD, "bob");
    assert!(bob_s.starts_with("cosmos1") && bob_e.starts_with("estuary1"));
    // Both channels are channel-0, so a voucher has the same hash on either side; which token it
    // stands for is told by the trace the holding chain records.
    let v = voucher("transfer/channel-0/stake");

    // Estuary's native token to simd.
    let alice_before = net.balance(EST, &alice_e, "stake");
    net.transfer(EST, "alice", "channel-0", &bob_s, "1000stake", &[]);
    wait_until("bob's voucher on simd", WAIT, || {
        net.balance(SIMD, &bob_s, &v) == 1000
    });
    assert_eq!(net.balance(EST, &alice_e, "stake"), alice_before - 1000);
    assert_eq!(
        net.denom_trace(SIMD, &v),
        ("transfer/channel-0".into(), "stake".into())
    );
    wait_until("the ack on Estuary", WAIT, || {
        net.pending(EST, "channel-0").is_empty()
    });
    assert_conserved(&net);

    // simd's stake to Estuary, with and without a memo.
    net.transfer(
        SIMD,
        "alice",
        "channel-0",
        &bob_e,
        "700stake",
        &["--memo", "{\"note\":\"from simd\"}"],
    );
    net.transfer(SIMD, "alice", "channel-0", &bob_e, "300stake", &[]);
    wait_until("bob's voucher on Estuary", WAIT, || {
        net.balance(EST, &bob_e, &v) == 1000
    });
    assert_eq!(
        net.denom_trace(EST, &v),
        ("transfer/channel-0".into(), "stake".into())
    );
    assert_eq!(net.escrowed(SIMD, "channel-0", "stake"), 1000);
    wait_until("the acks on simd", WAIT, || {
        net.pending(SIMD, "channel-0").is_empty()
    });
    assert_conserved(&net);

    // Both vouchers go home: unescrowed on their origin, burned where they were held.
    let alice_s_before = net.balance(SIMD, &alice_s, "stake");
    net.transfer(EST, "bob", "channel-0", &alice_s, &format!("400{v}"), &[]);
    wait_until("alice's stake back on simd", WAIT, || {
        net.balance(SIMD, &alice_s, "stake") == alice_s_before + 400
    });
    assert_eq!(net.balance(EST, &bob_e, &v), 600);
    let alice_e_before = net.balance(EST, &alice_e, "stake");
    net.transfer(SIMD, "bob", "channel-0", &alice_e, &format!("250{v}"), &[]);
    wait_until("alice's stake back on Estuary", WAIT, || {
        net.balance(EST, &alice_e, "stake") == alice_e_before + 250
    });
    assert_eq!(net.balance(SIMD, &bob_s, &v), 750);
    wait_until("every ack delivered", WAIT, || {
        net.pending(EST, "channel-0").is_empty() && net.pending(SIMD, "channel-0").is_empty()
    });
    assert_conserved(&net);

    // A burst of 150: more acknowledgements than simd lists on one page of a query (100), so
    // the relayer must page through them to deliver every ack.
    let vouchers_before = net.balance(SIMD, &bob_s, &v);
    net.burst("alice", "channel-0", &bob_s, 150, 1);
    wait_until("150 more vouchers on simd", WAIT, || {
        net.balance(SIMD, &bob_s, &v) == vouchers_before + 150
    });
    wait_until("every ack of the burst delivered", WAIT, || {
        net.pending(EST, "channel-0").is_empty()
    });
    assert_conserved(&net);

    // A receiver simd cannot parse: simd answers with an error ack, Estuary refunds.
    let alice_e_before = net.balance(EST, &alice_e, "stake");
    net.transfer(
        EST,
        "alice",
        "channel-0",
        "not-a-cosmos-address",
        "77stake",
        &[],
    );
    wait_until("the error ack refunds alice on Estuary", WAIT, || {
        net.pending(EST, "channel-0").is_empty()
            && net.balance(EST, &alice_e, "stake") == alice_e_before
    });
    // The other way: Estuary refuses a receiver that is not an Estuary address.
    let alice_s_before = net.balance(SIMD, &alice_s, "stake");
    net.transfer(SIMD, "alice", "channel-0", &bob_s, "66stake", &[]);
    wait_until("the error ack refunds alice on simd", WAIT, || {
        net.pending(SIMD, "channel-0").is_empty()
            && net.balance(SIMD, &alice_s, "stake") == alice_s_before
    });
    assert_conserved(&net);

    // Timeouts, one each way, with the relayer stopped until they expire.
    net.stop_relayer();
    let alice_e_before = net.balance(EST, &alice_e, "stake");
    let bob_s_vouchers = net.balance(SIMD, &bob_s, &v);
    let est_tx = net.transfer(
        EST,
        "alice",
        "channel-0",
        &bob_s,
        "55stake",
        &["--timeout-seconds", "4"],
    );
    let alice_s_before = net.balance(SIMD, &alice_s, "stake");
    let deadline = (now_ns() + 4_000_000_000).to_string();
    let simd_tx = net.transfer(
        SIMD,
        "alice",
        "channel-0",
        &bob_e,
        "44stake",
        &[
            "--absolute-timeouts",
            "--packet-timeout-timestamp",
            &deadline,
            "--packet-timeout-height",
            "0-0",
        ],
    );
    // Each side's stored commitment is what ibc-go's formula gives for the packet it sent:
    // Estuary's, computed as simd will check it, and simd's, computed by Estuary's code.
    for (chain, tx) in [(EST, &est_tx), (SIMD, &simd_tx)] {
        let p = net.sent_packet(chain, tx);
        assert_eq!(
            net.stored_commitment(chain, "channel-0", p.sequence),
            p.expected_commitment(),
            "commitment stored on {}",
            net.chain_id(chain)
        );
    }
    // simd's packet JSON: ibc-go up to v9 sorts the keys, as Estuary writes its own; v10 on
    // writes them in declaration order. Estuary reads either (the bytes are the sender's to
    // choose: the commitment is over them).
    let from_simd = net.sent_packet(SIMD, &simd_tx);
    let expected = match estuary_interop::simd_version() {
        "v11" => format!(
            r#"{{"denom":"stake","amount":"44","sender":"{alice_s}","receiver":"{bob_e}"}}"#
        ),
        _ => format!(
            r#"{{"amount":"44","denom":"stake","receiver":"{bob_e}","sender":"{alice_s}"}}"#
        ),
    };
    assert_eq!(
        String::from_utf8(from_simd.data).unwrap(),
        expected,
        "simd {}'s packet JSON, byte for byte",
        estuary_interop::simd_version()
    );
    assert_eq!(net.balance(EST, &alice_e, "stake"), alice_e_before - 55);
    assert_eq!(net.balance(SIMD, &alice_s, "stake"), alice_s_before - 44);
    std::thread::sleep(Duration::from_secs(6));
    net.start_relayer(&[]);
    wait_until("both timeouts refunded", WAIT, || {
        net.balance(EST, &alice_e, "stake") == alice_e_before
            && net.balance(SIMD, &alice_s, "stake") == alice_s_before
    });
    wait_until("no packet left pending", WAIT, || {
        net.pending(EST, "channel-0").is_empty() && net.pending(SIMD, "channel-0").is_empty()
    });
    assert_eq!(
        net.balance(SIMD, &bob_s, &v),
        bob_s_vouchers,
        "nothing minted on simd"
    );
    assert_eq!(
        net.balance(EST, &bob_e, &v),
        600,
        "nothing minted on Estuary"
    );
    assert_conserved(&net);
}
