//! Estuary's REST (LCD) API against the reference: a localnet of Estuary and ibc-go's simd
//! v8.8.0 (Cosmos SDK v0.50, its API server on), linked and with transfers both ways, is asked
//! the same list of REST calls on both chains. Values differ (addresses, heights, amounts);
//! what a client parses may not: for each call the HTTP status must match, and for each success
//! the JSON key sets and value types must match recursively.

use std::time::Duration;

use base64::Engine;
use estuary_interop::{voucher, wait_until, Localnet, Options};
use serde_json::Value;

const EST: usize = 0;
const SIMD: usize = 1;
const WAIT: Duration = Duration::from_secs(90);

fn rest(net: &Localnet, chain: usize) -> String {
    format!("http://127.0.0.1:{}", net.port(chain, 6))
}

/// One HTTP call: the status and the body as JSON (`Null` if it is not JSON), and the
/// response headers.
fn call_full(
    method: &str,
    url: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> (u16, Value, reqwest::header::HeaderMap) {
    estuary_interop::rt().block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .expect("http client");
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = client.request(method.clone(), url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::Null),
            headers,
        )
    })
}

fn call(method: &str, url: &str, body: Option<&Value>, headers: &[(&str, &str)]) -> (u16, Value) {
    let (status, json, _) = call_full(method, url, body, headers);
    (status, json)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Fields whose presence depends on the value, not the shape: an account has a public key once
/// it has signed.
const PRESENCE_BY_VALUE: &[&str] = &["pub_key"];

/// Where `ours` and `theirs` differ in shape. `null` stands for an absent message or empty
/// bytes in the gateway's JSON, so it matches a string (bytes present on one side only); against
/// an object or a list it is a difference, except in [`PRESENCE_BY_VALUE`]. In lists, elements are compared with an element of
/// the other side of the same `@type` when they carry one (an account list mixes types).
fn shape_diff(path: &str, ours: &Value, theirs: &Value, out: &mut Vec<String>) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            for k in a.keys().filter(|k| !b.contains_key(*k)) {
                out.push(format!("{path}.{k}: only Estuary has it"));
            }
            for k in b.keys().filter(|k| !a.contains_key(*k)) {
                out.push(format!("{path}.{k}: only simd has it"));
            }
            for (k, v) in a {
                if let Some(w) = b.get(k) {
                    shape_diff(&format!("{path}.{k}"), v, w, out);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, item) in a.iter().enumerate() {
                let same_type = b.iter().find(|t| t.get("@type") == item.get("@type"));
                let Some(other) = same_type.or(if item.get("@type").is_some() {
                    None
                } else {
                    b.first()
                }) else {
                    continue;
                };
                shape_diff(&format!("{path}[{i}]"), item, other, out);
            }
        }
        (Value::Null, Value::String(_)) | (Value::String(_), Value::Null) => {}
        (Value::Null, _) | (_, Value::Null)
            if PRESENCE_BY_VALUE
                .iter()
                .any(|f| path.ends_with(&format!(".{f}"))) => {}
        (a, b) if kind(a) != kind(b) => {
            out.push(format!(
                "{path}: Estuary {} ({a}), simd {} ({b})",
                kind(a),
                kind(b)
            ));
        }
        _ => {}
    }
}

/// A transaction signed by `alice` with the chain's own CLI (generate-only, sign, encode), as
/// the base64 bytes a REST client posts.
fn signed_send(net: &Localnet, chain: usize, to: &str) -> String {
    let alice = net.address(chain, "alice");
    let dir = net.dir().join(format!("rest-tx-{chain}"));
    std::fs::create_dir_all(&dir).expect("tx dir");
    let unsigned = dir.join("unsigned.json");
    let signed = dir.join("signed.json");
    if net.is_simd(chain) {
        let node = net.rpc(chain).replace("http://", "tcp://");
        let common = [
            "--keyring-backend",
            "test",
            "--chain-id",
            "simd-1",
            "--node",
            &node,
        ];
        let mut args = vec![
            "tx",
            "bank",
            "send",
            &alice,
            to,
            "5stake",
            "--generate-only",
            "--gas",
            "200000",
        ];
        args.extend_from_slice(&common);
        std::fs::write(&unsigned, net.simd_ok(&args)).expect("write");
        let u = unsigned.display().to_string();
        let mut args = vec!["tx", "sign", &u, "--from", "alice"];
        args.extend_from_slice(&common);
        std::fs::write(&signed, net.simd_ok(&args)).expect("write");
        let s = signed.display().to_string();
        let out = net.simd_ok(&["tx", "encode", &s]);
        out.trim().to_string()
    } else {
        let out = net.ok(
            chain,
            &[
                "tx",
                "bank",
                "send",
                "alice",
                to,
                "5stake",
                "--generate-only",
                "--gas",
                "200000",
            ],
        );
        std::fs::write(&unsigned, out).expect("write");
        let u = unsigned.display().to_string();
        std::fs::write(
            &signed,
            net.ok(chain, &["tx", "sign", &u, "--from", "alice"]),
        )
        .expect("write");
        let s = signed.display().to_string();
        net.ok(chain, &["tx", "encode", &s]).trim().to_string()
    }
}

struct Side {
    base: String,
    alice: String,
    bob: String,
    transfer_tx: String,
    voucher_hash: String,
    tx_bytes: String,
}

#[test]
fn rest_answers_have_the_shape_of_the_sdk_gateway() {
    if estuary_interop::skip_without(
        "rest_answers_have_the_shape_of_the_sdk_gateway",
        &[estuary_interop::Tool::Cometbft, estuary_interop::Tool::Simd],
    ) {
        return;
    }
    let mut net = Localnet::up(Options {
        simd: true,
        ..Options::new()
    });
    let v = voucher("transfer/channel-0/stake");
    let bob_e = net.address(EST, "bob");
    let bob_s = net.address(SIMD, "bob");
    let tx_e = net.transfer(EST, "alice", "channel-0", &bob_s, "1000stake", &[]);
    let tx_s = net.transfer(SIMD, "alice", "channel-0", &bob_e, "700stake", &[]);
    wait_until("vouchers on both sides", WAIT, || {
        net.balance(SIMD, &bob_s, &v) == 1000 && net.balance(EST, &bob_e, &v) == 700
    });
    wait_until("acks on both sides", WAIT, || {
        net.pending(EST, "channel-0").is_empty() && net.pending(SIMD, "channel-0").is_empty()
    });
    // One packet each way left unrelayed, so the commitment lists are not empty.
    net.stop_relayer();
    net.transfer(EST, "alice", "channel-0", &bob_s, "3stake", &[]);
    net.transfer(SIMD, "alice", "channel-0", &bob_e, "3stake", &[]);

    let side = |chain: usize, transfer_tx: &str, to: &str| Side {
        base: rest(&net, chain),
        alice: net.address(chain, "alice"),
        bob: net.address(chain, "bob"),
        transfer_tx: transfer_tx.to_string(),
        voucher_hash: v.trim_start_matches("ibc/").to_string(),
        tx_bytes: signed_send(&net, chain, to),
    };
    let est = side(EST, &tx_e, &bob_e);
    let simd = side(SIMD, &tx_s, &bob_s);

    // Paths with placeholders filled per chain: {alice} {bob} {unknown} (addresses), {tx} (the
    // transfer's hash), {hash} (the voucher's).
    let gets: &[&str] = &[
        "/cosmos/bank/v1beta1/balances/{alice}",
        "/cosmos/bank/v1beta1/balances/{alice}?pagination.limit=1&pagination.count_total=true",
        "/cosmos/bank/v1beta1/balances/{alice}/by_denom?denom=stake",
        "/cosmos/bank/v1beta1/spendable_balances/{alice}",
        "/cosmos/bank/v1beta1/balances/{bob}/by_denom?denom=ibc%2F{hash}",
        "/cosmos/bank/v1beta1/supply",
        "/cosmos/bank/v1beta1/supply?pagination.limit=1&pagination.count_total=true",
        "/cosmos/bank/v1beta1/supply/by_denom?denom=stake",
        "/cosmos/bank/v1beta1/supply/by_denom?denom=nosuchdenom",
        "/cosmos/bank/v1beta1/params",
        "/cosmos/bank/v1beta1/denoms_metadata",
        "/cosmos/bank/v1beta1/denoms_metadata/nosuchdenom",
        "/cosmos/auth/v1beta1/accounts/{alice}",
        "/cosmos/auth/v1beta1/accounts?pagination.limit=3",
        "/cosmos/auth/v1beta1/params",
        "/cosmos/tx/v1beta1/txs/{tx}",
        "/cosmos/tx/v1beta1/txs?query=tx.height%3E0&limit=2&order_by=ORDER_BY_DESC",
        "/cosmos/base/tendermint/v1beta1/node_info",
        "/cosmos/base/tendermint/v1beta1/syncing",
        "/cosmos/base/tendermint/v1beta1/blocks/latest",
        "/cosmos/base/tendermint/v1beta1/blocks/3",
        "/cosmos/base/tendermint/v1beta1/validatorsets/latest",
        "/ibc/core/client/v1/client_states",
        "/ibc/core/client/v1/client_states/07-tendermint-0",
        "/ibc/core/client/v1/consensus_states/07-tendermint-0?pagination.limit=2",
        "/ibc/core/client/v1/consensus_states/07-tendermint-0/heights",
        "/ibc/core/connection/v1/connections",
        "/ibc/core/connection/v1/connections/connection-0",
        "/ibc/core/channel/v1/channels",
        "/ibc/core/channel/v1/channels/channel-0/ports/transfer",
        "/ibc/core/channel/v1/channels/channel-0/ports/transfer/packet_commitments",
        "/ibc/core/channel/v1/channels/channel-0/ports/transfer/packet_commitments/2",
        "/ibc/core/channel/v1/channels/channel-0/ports/transfer/packet_acks",
        "/ibc/core/channel/v1/channels/channel-0/ports/transfer/packet_acks/1",
        "/ibc/core/channel/v1/channels/channel-0/ports/transfer/packet_receipts/1",
        "/ibc/core/channel/v1/channels/channel-0/ports/transfer/packet_commitments/1,2,3/unreceived_packets",
        "/ibc/core/channel/v1/channels/channel-0/ports/transfer/packet_commitments/1,2/unreceived_acks",
        "/ibc/core/channel/v1/channels/channel-0/ports/transfer/next_sequence",
        "/ibc/apps/transfer/v1/denom_traces",
        "/ibc/apps/transfer/v1/denom_traces/{hash}",
        "/ibc/apps/transfer/v1/denom_hashes/transfer%2Fchannel-0%2Fstake",
        "/ibc/apps/transfer/v1/channels/channel-0/ports/transfer/escrow_address",
        "/ibc/apps/transfer/v1/denoms/stake/total_escrow",
        "/ibc/apps/transfer/v1/params",
        "/cosmos/gov/v1/params/voting",
        "/cosmos/gov/v1/params/deposit",
        "/cosmos/gov/v1/params/tallying",
        "/cosmos/gov/v1/proposals",
        "/cosmos/gov/v1/proposals?proposal_status=PROPOSAL_STATUS_PASSED",
        // The error cases: statuses must match.
        "/cosmos/gov/v1/proposals/7",
        "/cosmos/gov/v1/params/nosuchtype",
        "/cosmos/bank/v1beta1/balances/notbech32",
        "/cosmos/auth/v1beta1/accounts/{unknown}",
        "/cosmos/bank/v1beta1/balances/{alice}?pagination.limit=notanumber",
        "/cosmos/nosuchmodule/v1/nothing",
        "/cosmos/tx/v1beta1/txs/0000000000000000000000000000000000000000000000000000000000000000",
        "/cosmos/base/tendermint/v1beta1/blocks/999999999",
        "/ibc/core/client/v1/client_states/07-tendermint-99",
        // No upgrade scheduled: both chains answer NotFound.
        "/ibc/core/client/v1/upgraded_client_states",
        "/ibc/core/client/v1/upgraded_consensus_states",
        "/ibc/core/channel/v1/channels/channel-9/ports/transfer",
    ];
    // An account that exists nowhere, valid bech32 on each chain.
    let unknown = |s: &Side| {
        let prefix = if s.alice.starts_with("cosmos") {
            "cosmos"
        } else {
            "estuary"
        };
        cosmrs::AccountId::new(prefix, &[7u8; 20])
            .expect("address")
            .to_string()
    };
    let fill = |s: &Side, p: &str| {
        p.replace("{alice}", &s.alice)
            .replace("{bob}", &s.bob)
            .replace("{tx}", &s.transfer_tx)
            .replace("{hash}", &s.voucher_hash)
            .replace("{unknown}", &unknown(s))
    };

    let mut failures = Vec::new();
    let mut compared = 0;
    let mut check =
        |label: String, ours: (u16, Value), theirs: (u16, Value), failures: &mut Vec<String>| {
            compared += 1;
            if ours.0 != theirs.0 {
                failures.push(format!(
                    "{label}: HTTP {} from Estuary ({}), {} from simd ({})",
                    ours.0, ours.1, theirs.0, theirs.1
                ));
                return;
            }
            let mut diffs = Vec::new();
            shape_diff("", &ours.1, &theirs.1, &mut diffs);
            if !diffs.is_empty() {
                failures.push(format!("{label}: {}", diffs.join("; ")));
            }
        };
    for p in gets {
        let ours = call("GET", &format!("{}{}", est.base, fill(&est, p)), None, &[]);
        let theirs = call(
            "GET",
            &format!("{}{}", simd.base, fill(&simd, p)),
            None,
            &[],
        );
        check(format!("GET {p}"), ours, theirs, &mut failures);
    }
    // Heights: an old height answers (a point read: Estuary lists only at the latest height);
    // a bad or future one is refused alike.
    for (h, what) in [
        ("2", "an old height"),
        ("abc", "a bad height"),
        ("999999999", "a future height"),
    ] {
        let p = "/cosmos/bank/v1beta1/supply/by_denom?denom=stake";
        let ours = call(
            "GET",
            &format!("{}{p}", est.base),
            None,
            &[("x-cosmos-block-height", h)],
        );
        let theirs = call(
            "GET",
            &format!("{}{p}", simd.base),
            None,
            &[("x-cosmos-block-height", h)],
        );
        check(format!("GET {p} at {what}"), ours, theirs, &mut failures);
    }
    // Simulate and broadcast a signed send through REST, then read it back.
    let mut hashes = Vec::new();
    let simulate = |s: &Side| {
        call(
            "POST",
            &format!("{}/cosmos/tx/v1beta1/simulate", s.base),
            Some(&serde_json::json!({"tx_bytes": s.tx_bytes})),
            &[],
        )
    };
    check(
        "POST simulate".into(),
        simulate(&est),
        simulate(&simd),
        &mut failures,
    );
    let garbage = |s: &Side| {
        call(
            "POST",
            &format!("{}/cosmos/tx/v1beta1/simulate", s.base),
            Some(&serde_json::json!({"tx_bytes": "AAEC"})),
            &[],
        )
    };
    check(
        "POST simulate (garbage)".into(),
        garbage(&est),
        garbage(&simd),
        &mut failures,
    );
    let broadcast = |s: &Side| {
        call(
            "POST",
            &format!("{}/cosmos/tx/v1beta1/txs", s.base),
            Some(&serde_json::json!({"tx_bytes": s.tx_bytes, "mode": "BROADCAST_MODE_SYNC"})),
            &[],
        )
    };
    let (bo, bt) = (broadcast(&est), broadcast(&simd));
    for (r, who) in [(&bo, "Estuary"), (&bt, "simd")] {
        assert_eq!(
            r.1["tx_response"]["code"], 0,
            "{who} refused the REST broadcast: {}",
            r.1
        );
        hashes.push(
            r.1["tx_response"]["txhash"]
                .as_str()
                .expect("txhash")
                .to_string(),
        );
    }
    check("POST txs".into(), bo, bt, &mut failures);
    let bad_body = |s: &Side| {
        call(
            "POST",
            &format!("{}/cosmos/tx/v1beta1/txs", s.base),
            Some(&serde_json::json!({"tx_bytes": 5, "nope": true})),
            &[],
        )
    };
    check(
        "POST txs (bad body)".into(),
        bad_body(&est),
        bad_body(&simd),
        &mut failures,
    );
    let node_e = net.node(EST);
    let node_s = net.node(SIMD);
    let rt = estuary_interop::rt();
    rt.block_on(node_e.wait_for_tx(&hashes[0], Duration::from_secs(30)))
        .expect("Estuary included the REST broadcast");
    rt.block_on(node_s.wait_for_tx(&hashes[1], Duration::from_secs(30)))
        .expect("simd included the REST broadcast");
    let ours = call(
        "GET",
        &format!("{}/cosmos/tx/v1beta1/txs/{}", est.base, hashes[0]),
        None,
        &[],
    );
    let theirs = call(
        "GET",
        &format!("{}/cosmos/tx/v1beta1/txs/{}", simd.base, hashes[1]),
        None,
        &[],
    );
    assert_eq!(
        ours.1["tx"]["body"]["messages"][0]["@type"], "/cosmos.bank.v1beta1.MsgSend",
        "the send reads back as a MsgSend: {}",
        ours.1
    );
    assert_eq!(
        ours.1["tx"]["body"]["messages"][0]["amount"][0]["amount"],
        "5"
    );
    check(
        "GET the REST-broadcast send".into(),
        ours,
        theirs,
        &mut failures,
    );

    // CORS is off by default, as the SDK's.
    let (_, _, headers) = call_full(
        "GET",
        &format!("{}/cosmos/bank/v1beta1/params", est.base),
        None,
        &[("Origin", "https://wallet.example")],
    );
    assert!(headers.get("access-control-allow-origin").is_none());
    assert!(
        base64::engine::general_purpose::STANDARD
            .decode(&est.tx_bytes)
            .is_ok(),
        "tx encode prints base64"
    );

    assert!(
        failures.is_empty(),
        "{} of {compared} REST calls differ from simd's gateway:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The rate-limiting queries (`ibc.applications.rate_limiting.v1.Query`, ibc-go v11's module)
/// against ibc-go v11.2.0's simd, with no rate limit set on either chain: every route answers
/// with the same status and shape.
#[test]
fn rate_limit_rest_answers_have_the_shape_of_ibc_go_v11() {
    if estuary_interop::skip_without(
        "rate_limit_rest_answers_have_the_shape_of_ibc_go_v11",
        &[
            estuary_interop::Tool::Cometbft,
            estuary_interop::Tool::SimdV11,
        ],
    ) {
        return;
    }
    let net = Localnet::up(Options {
        simd: true,
        simd_v11: true,
        relayer: false,
        ..Options::new()
    });
    let paths = [
        "/ibc/apps/rate-limiting/v1/ratelimits",
        "/ibc/apps/rate-limiting/v1/ratelimit/ratelimit/channel-0/by_denom?denom=stake",
        "/ibc/apps/rate-limiting/v1/ratelimit/ratelimits/channel-0",
        "/ibc/apps/rate-limiting/v1/ratelimit/ratelimits/some-chain-1",
        "/ibc/apps/rate-limiting/v1/ratelimit/blacklisted_denoms",
        "/ibc/apps/rate-limiting/v1/ratelimit/whitelisted_addresses",
    ];
    let mut failures = Vec::new();
    for p in paths {
        let ours = call("GET", &format!("{}{p}", rest(&net, EST)), None, &[]);
        let theirs = call("GET", &format!("{}{p}", rest(&net, SIMD)), None, &[]);
        if ours.0 != theirs.0 {
            failures.push(format!(
                "GET {p}: HTTP {} from Estuary ({}), {} from simd v11 ({})",
                ours.0, ours.1, theirs.0, theirs.1
            ));
            continue;
        }
        let mut diffs = Vec::new();
        shape_diff("", &ours.1, &theirs.1, &mut diffs);
        if !diffs.is_empty() {
            failures.push(format!("GET {p}: {}", diffs.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
