//! Queries that trust no node, through the real binaries: `estuaryd light init` trusts one
//! header by its hash, `query … --verify` checks each answer's ICS-23 proof against a header the
//! light client verified. A lying RPC node — a proxy in this test that rewrites answers on the
//! way — is caught whether it lies about a value or about a header, and its lie is never shown.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use base64::Engine;
use common::Net;

#[derive(Clone, Copy)]
enum Lie {
    /// Every balance is 999,999,999: as a `Balance` query answers it and as a raw store value.
    Value,
    /// Every header's app hash is replaced (so a forged value could be "proven" against it).
    AppHash,
}

/// A CometBFT RPC proxy that forwards to `upstream` (host:port) and rewrites answers per `lie`.
fn lying_proxy(upstream: String, lie: Lie) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let upstream = upstream.clone();
            std::thread::spawn(move || {
                let _ = serve(conn, &upstream, lie);
            });
        }
    });
    format!("tcp://{addr}")
}

fn serve(mut conn: TcpStream, upstream: &str, lie: Lie) -> std::io::Result<()> {
    // One JSON-RPC request: headers, then Content-Length bytes of body.
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    while buf.len() < header_end + len {
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = &buf[header_end..];
    let request: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    // Forward as HTTP/1.0: the answer ends when the node closes the connection.
    let mut up = TcpStream::connect(upstream)?;
    write!(
        up,
        "POST / HTTP/1.0\r\nHost: {upstream}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )?;
    up.write_all(body)?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer)?;
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let mut reply: serde_json::Value = serde_json::from_slice(&answer[split..]).unwrap();
    let method = request["method"].as_str().unwrap_or_default();
    match lie {
        Lie::Value
            if method == "abci_query"
                && request["params"]["path"] == "store/main/key"
                && reply["result"]["response"]["value"].is_string() =>
        {
            let forged = borsh::to_vec(&999_999_999u128).unwrap();
            reply["result"]["response"]["value"] = base64::engine::general_purpose::STANDARD
                .encode(forged)
                .into();
        }
        Lie::Value
            if method == "abci_query"
                && request["params"]["path"] == "/cosmos.bank.v1beta1.Query/Balance" =>
        {
            use cosmrs::proto::cosmos::bank::v1beta1::QueryBalanceResponse;
            use cosmrs::proto::cosmos::base::v1beta1::Coin;
            let forged = QueryBalanceResponse {
                balance: Some(Coin {
                    denom: "stake".into(),
                    amount: "999999999".into(),
                }),
            };
            reply["result"]["response"]["value"] = base64::engine::general_purpose::STANDARD
                .encode(prost::Message::encode_to_vec(&forged))
                .into();
        }
        Lie::AppHash if method == "commit" => {
            reply["result"]["signed_header"]["header"]["app_hash"] =
                "00000000000000000000000000000000000000000000000000000000000000AA".into();
        }
        _ => {}
    }
    let text = serde_json::to_vec(&reply).unwrap();
    write!(
        conn,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        text.len()
    )?;
    conn.write_all(&text)
}

#[test]
fn verified_queries_catch_a_lying_node() {
    if estuary_interop::skip_without(
        "verified_queries_catch_a_lying_node",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    let mut net = Net::new("estuary-light-1", 1, 0);
    net.start_all();
    let (alice, bob) = (net.address("alice"), net.address("bob"));
    net.est(
        0,
        &[
            "tx",
            "bank",
            "send",
            "alice",
            &bob,
            "1234stake",
            "--yes",
            "--wait",
        ],
    );
    let bob_stake = net.balance(0, &bob, "stake");

    // Without a trusted header there is nothing to verify against.
    let out = net.est_out(
        0,
        &[
            "query", "bank", "balances", &bob, "--denom", "stake", "--verify",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("light init"));

    // Trust header 2 by its hash; a wrong hash is refused.
    let block = net.json(0, &["query", "block", "2"]);
    let hash = block["block_id"]["hash"].as_str().unwrap().to_string();
    let wrong = format!(
        "{}{}",
        if hash.starts_with('0') { "1" } else { "0" },
        &hash[1..]
    );
    let out = net.est_out(
        0,
        &[
            "light",
            "init",
            "--trusted-height",
            "2",
            "--trusted-hash",
            &wrong,
        ],
    );
    assert!(!out.status.success(), "a wrong trusted hash is refused");
    let init = net.json(
        0,
        &[
            "light",
            "init",
            "--trusted-height",
            "2",
            "--trusted-hash",
            &hash,
        ],
    );
    assert_eq!(init["height"], "2");

    // Honest node: verified answers equal the plain ones, and the light client advances.
    let v = net.json(
        0,
        &[
            "query", "bank", "balances", &bob, "--denom", "stake", "--verify",
        ],
    );
    assert_eq!(
        v["balances"][0]["amount"],
        bob_stake.to_string().as_str(),
        "{v}"
    );
    let verified_at: u64 = v["verified_height"].as_str().unwrap().parse().unwrap();
    assert!(verified_at > 2);
    let status = net.json(0, &["light", "status"]);
    assert!(status["height"].as_str().unwrap().parse::<u64>().unwrap() > verified_at);
    let acc = net.json(0, &["query", "auth", "account", &alice, "--verify"]);
    assert_eq!(acc["sequence"], "1", "{acc}");
    // Absence is proven too.
    let none = net.json(
        0,
        &[
            "query", "bank", "balances", &bob, "--denom", "nothing", "--verify",
        ],
    );
    assert_eq!(none["balances"][0]["amount"], "0");
    // (IBC packet state is verified in the relayer's localnet tests: this chain has no IBC
    // state, and an empty tree proves no absence.)

    // A node that lies about the value: shown as truth without --verify, caught with it.
    let upstream = net.nodes[0]
        .rpc_url()
        .trim_start_matches("http://")
        .trim_start_matches("tcp://")
        .to_string();
    let liar = lying_proxy(upstream.clone(), Lie::Value);
    let plain = net.json(
        0,
        &[
            "query", "bank", "balances", &bob, "--denom", "stake", "--node", &liar,
        ],
    );
    assert_eq!(
        plain["balances"][0]["amount"], "999999999",
        "the proxy lies"
    );
    let out = net.est_out(
        0,
        &[
            "query", "bank", "balances", &bob, "--denom", "stake", "--verify", "--node", &liar,
        ],
    );
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("lying"), "{err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("999999999"));

    // A node that lies about headers (to make a forged app hash look committed): the light
    // client refuses the header.
    let liar = lying_proxy(upstream, Lie::AppHash);
    let out = net.est_out(
        0,
        &[
            "query", "bank", "balances", &bob, "--denom", "stake", "--verify", "--node", &liar,
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("light-client verification") || err.contains("does not match"),
        "{err}"
    );

    // The honest node still verifies afterwards: the liars advanced nothing.
    let v = net.json(
        0,
        &[
            "query", "bank", "balances", &bob, "--denom", "stake", "--verify",
        ],
    );
    assert_eq!(v["balances"][0]["amount"], bob_stake.to_string().as_str());
}
