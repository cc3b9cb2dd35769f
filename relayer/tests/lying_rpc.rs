//! A lying RPC endpoint cannot make the bundled relayer sign for forged packets. A proxy in front
//! of chain A's CometBFT RPC rewrites every ICS-20 packet it serves (the amount in the
//! `send_packet` events' packet data, 5 → 5000000); proofs pass through untouched. The relayer,
//! pointed at the proxy, must never submit the forged packet: no transaction on chain B, the
//! mismatch logged once naming the endpoint, counted in `estuary_relayer_rpc_mismatch_total`,
//! shown by `status`. Pointed at the honest endpoint, it delivers the real packet exactly once.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use estuary_interop::{wait_until, Localnet, Options};

/// Rewrites the ICS-20 amount inside packet data: a JSON document given as hex or as text.
fn forge(value: &str, hex_encoded: bool) -> Option<String> {
    let text = if hex_encoded {
        String::from_utf8(hex::decode(value).ok()?).ok()?
    } else {
        value.to_string()
    };
    let mut data: serde_json::Value = serde_json::from_str(&text).ok()?;
    if data["amount"] != "5" {
        return None;
    }
    data["amount"] = "5000000".into();
    let forged = data.to_string();
    Some(if hex_encoded {
        hex::encode(forged)
    } else {
        forged
    })
}

/// Walks a JSON-RPC answer and forges every packet-data attribute in it; returns how many.
fn rewrite(v: &mut serde_json::Value) -> usize {
    match v {
        serde_json::Value::Array(items) => items.iter_mut().map(rewrite).sum(),
        serde_json::Value::Object(map) => {
            let key = map.get("key").and_then(|k| k.as_str()).map(str::to_string);
            let forged = match (key.as_deref(), map.get("value").and_then(|v| v.as_str())) {
                (Some("packet_data_hex"), Some(v)) => forge(v, true),
                (Some("packet_data"), Some(v)) => forge(v, false),
                _ => None,
            };
            match forged {
                Some(f) => {
                    map.insert("value".into(), f.into());
                    1
                }
                None => map.values_mut().map(rewrite).sum(),
            }
        }
        _ => 0,
    }
}

/// One HTTP exchange through the proxy: the request goes upstream as HTTP/1.0 (so the answer
/// comes whole, not chunked), the answer comes back with its packet data forged.
fn serve(mut client: TcpStream, upstream: &str, forged: &AtomicUsize) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let (head_end, length) = loop {
        let n = client.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..i]).to_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (i + 4, length);
        }
    };
    while buf.len() < head_end + length {
        let n = client.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let request_line = lines
        .next()
        .unwrap_or_default()
        .replace("HTTP/1.1", "HTTP/1.0");
    let mut up = TcpStream::connect(upstream)?;
    let mut out = format!("{request_line}\r\n");
    for l in lines.filter(|l| !l.is_empty()) {
        let lower = l.to_lowercase();
        if !lower.starts_with("connection:") && !lower.starts_with("keep-alive") {
            out.push_str(l);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    up.write_all(out.as_bytes())?;
    up.write_all(&buf[head_end..])?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer)?;
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(answer.len(), |i| i + 4);
    let (answer_head, body) = answer.split_at(split);
    let mut body = body.to_vec();
    if let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&body) {
        let n = rewrite(&mut json);
        if n > 0 {
            forged.fetch_add(n, Ordering::Relaxed);
            body = json.to_string().into_bytes();
        }
    }
    let status = String::from_utf8_lossy(answer_head)
        .lines()
        .next()
        .unwrap_or("HTTP/1.0 502 Bad Gateway")
        .replace("HTTP/1.0", "HTTP/1.1");
    let reply = format!(
        "{status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    client.write_all(reply.as_bytes())?;
    client.write_all(&body)?;
    Ok(())
}

/// Starts the proxy on a free loopback port; returns its URL and its count of forgeries.
fn lying_proxy(upstream: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("proxy port");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let forged = Arc::new(AtomicUsize::new(0));
    let counter = forged.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let (upstream, counter) = (upstream.clone(), counter.clone());
            std::thread::spawn(move || {
                let _ = serve(client, &upstream, &counter);
            });
        }
    });
    (url, forged)
}

#[test]
fn a_lying_rpc_endpoint_gets_no_forged_packet_relayed() {
    if estuary_interop::skip_without(
        "a_lying_rpc_endpoint_gets_no_forged_packet_relayed",
        &[estuary_interop::Tool::Cometbft],
    ) {
        return;
    }
    let mut net = Localnet::up(Options::new());
    net.stop_relayer();
    let (a, b) = (net.chain_id(0), net.chain_id(1));
    let honest = net.rpc(0);
    let (proxy, forged) = lying_proxy(honest.trim_start_matches("http://").to_string());
    let config = std::fs::read_to_string(net.dir().join("relayer.toml")).expect("relayer.toml");
    let lying = config.replacen(
        &format!("rpc = \"{honest}\""),
        &format!("rpc = \"{proxy}\""),
        1,
    );
    assert_ne!(lying, config, "chain A's RPC replaced by the proxy");
    let lying_config = net.dir().join("relayer-lying.toml");
    std::fs::write(&lying_config, lying).expect("writing the config");

    let bob_b = net.address(1, "bob");
    let relayer_b = net.address(1, "relayer");
    let sequence_on_b = |net: &Localnet| -> u64 {
        let v: serde_json::Value = serde_json::from_str(
            &net.ok(1, &["query", "auth", "account", &relayer_b, "-o", "json"]),
        )
        .expect("account json");
        v["sequence"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("sequence")
    };
    let metrics = format!("127.0.0.1:{}", net.opts.base + 90);
    net.start_relayer_with(
        &lying_config,
        &["start", a, b, "--trigger", "poll", "--metrics", &metrics],
    );
    // Let the relayer settle (its first passes), then take B's sequence as the baseline.
    std::thread::sleep(Duration::from_secs(3));
    let before = sequence_on_b(&net);
    net.transfer(0, "alice", "channel-0", &bob_b, "5stake", &[]);
    wait_until(
        "the proxy forged the packet",
        Duration::from_secs(30),
        || forged.load(Ordering::Relaxed) > 0,
    );
    wait_until("the mismatch is counted", Duration::from_secs(30), || {
        estuary_interop::scrape(&metrics)
            .unwrap_or_default()
            .lines()
            .any(|l| {
                l.starts_with(&format!(
                    "estuary_relayer_rpc_mismatch_total{{chain=\"{a}\"}}"
                )) && !l.ends_with(" 0")
            })
    });
    // Several more passes against the lying endpoint: still nothing submitted on B.
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        sequence_on_b(&net),
        before,
        "no transaction on B built from forged data"
    );
    assert_eq!(
        net.balance(
            1,
            &bob_b,
            &estuary_interop::voucher("transfer/channel-0/stake")
        ),
        0
    );
    let status = net.relayer_cmd_with(&lying_config, &["status", a, b]);
    assert!(
        status.contains("does not match the proven commitments"),
        "{status}"
    );
    let log = std::fs::read_to_string(net.dir().join("relayer-restarted.log")).expect("log");
    let warnings = log
        .matches("does not hash to the commitment proven on chain")
        .count();
    assert_eq!(warnings, 1, "logged once, not every pass:\n{log}");
    assert!(log.contains(&proxy), "the endpoint is named:\n{log}");
    // A forged receive refused by B's CheckTx would leave B's sequence alone but fail the
    // relayer's class: none was attempted.
    assert!(
        !log.contains("relaying receives failed"),
        "nothing was submitted to be refused:\n{log}"
    );

    // The honest endpoint: the real packet, exactly once.
    net.start_relayer(&["--metrics", &metrics]);
    let voucher = estuary_interop::voucher("transfer/channel-0/stake");
    wait_until("the real packet on B", Duration::from_secs(60), || {
        net.balance(1, &bob_b, &voucher) == 5
    });
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        net.balance(1, &bob_b, &voucher),
        5,
        "delivered once, as sent"
    );
    assert_eq!(
        net.escrowed(0, "channel-0", "stake"),
        net.supply(1, &voucher),
        "escrow on A = vouchers on B"
    );
}
