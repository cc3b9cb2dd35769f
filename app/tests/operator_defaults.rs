//! What `estuaryd init` and `keys add` leave on disk for an operator: secrets readable by the
//! owner only, and a node that does not take free transactions unless told to.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn estuaryd(home: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_estuaryd"))
        .arg("--home")
        .arg(home)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "estuaryd {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn init_writes_secrets_0600_and_a_non_zero_gas_price() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    estuaryd(&home, &["init", "op", "--chain-id", "estuary-ops-1"]);
    for secret in ["config/priv_validator_key.json", "config/node_key.json"] {
        assert_eq!(mode(&home.join(secret)), 0o600, "{secret}");
    }
    let app_toml = std::fs::read_to_string(home.join("config/app.toml")).unwrap();
    assert!(
        app_toml.contains(r#"minimum_gas_prices = "0.0025stake""#),
        "{app_toml}"
    );
    // No temporary file is left beside the secrets.
    let leftovers: Vec<_> = std::fs::read_dir(home.join("config"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A test network may choose free transactions, explicitly; a bad price is refused.
    let free = dir.path().join("free");
    estuaryd(
        &free,
        &[
            "init",
            "op",
            "--chain-id",
            "estuary-ops-1",
            "--minimum-gas-prices",
            "0stake",
        ],
    );
    let app_toml = std::fs::read_to_string(free.join("config/app.toml")).unwrap();
    assert!(
        app_toml.contains(r#"minimum_gas_prices = "0stake""#),
        "{app_toml}"
    );
    // `start` on a home that holds no node says so and what to run.
    let empty = Command::new(env!("CARGO_BIN_EXE_estuaryd"))
        .arg("--home")
        .arg(dir.path().join("empty"))
        .args(["start", "--abci-only"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&empty.stderr);
    assert!(!empty.status.success());
    assert!(
        err.contains("holds no node") && err.contains("estuaryd init"),
        "{err}"
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_estuaryd"))
        .arg("--home")
        .arg(dir.path().join("bad"))
        .args([
            "init",
            "op",
            "--chain-id",
            "estuary-ops-1",
            "--minimum-gas-prices",
            "cheap",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[test]
fn keyring_entries_are_0600_in_a_0700_directory() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    estuaryd(home, &["keys", "add", "k", "--keyring-backend", "test"]);
    let keyring = home.join("keyring-test");
    assert_eq!(mode(&keyring), 0o700);
    assert_eq!(mode(&keyring.join("k.json")), 0o600);
}

/// Six free consecutive loopback ports, below the kernel's ephemeral range (see
/// `estuary_interop::free_base`).
fn free_base() -> u16 {
    estuary_interop::free_base()
}

/// `init` turns on metrics for both processes on their own ports (P+4 estuaryd, P+5 CometBFT)
/// and writes one log format for both; `start` then logs JSON and serves its metrics.
#[test]
fn init_enables_metrics_and_one_log_format() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    let base = free_base();
    let port = |off: u16| (base + off).to_string();
    estuaryd(
        &home,
        &[
            "--log-format",
            "json",
            "init",
            "op",
            "--chain-id",
            "estuary-ops-1",
            "--base-port",
            &port(0),
        ],
    );
    let app_toml = std::fs::read_to_string(home.join("config/app.toml")).unwrap();
    assert!(
        app_toml.contains(&format!(r#"metrics_address = "127.0.0.1:{}""#, port(4))),
        "{app_toml}"
    );
    assert!(app_toml.contains(r#"log_format = "json""#), "{app_toml}");
    let comet = std::fs::read_to_string(home.join("config/config.toml")).unwrap();
    assert!(comet.contains("prometheus = true"), "{comet}");
    assert!(
        comet.contains(&format!(
            r#"prometheus_listen_addr = "127.0.0.1:{}""#,
            port(5)
        )),
        "{comet}"
    );
    assert!(comet.contains(r#"log_format = "json""#), "{comet}");
    let client = std::fs::read_to_string(home.join("config/client.toml")).unwrap();
    assert!(
        client.contains(&format!(r#"node = "tcp://127.0.0.1:{}""#, port(1))),
        "{client}"
    );

    // `start` (the ABCI side; no CometBFT here) logs JSON lines and serves its metrics.
    let mut app = Command::new(env!("CARGO_BIN_EXE_estuaryd"))
        .arg("--home")
        .arg(&home)
        .args(["start", "--abci-only"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut scraped = String::new();
    for _ in 0..50 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", base + 4)) {
            use std::io::{Read, Write};
            s.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").unwrap();
            s.read_to_string(&mut scraped).unwrap();
            break;
        }
    }
    app.kill().unwrap();
    let out = app.wait_with_output().unwrap();
    assert!(
        scraped.contains("# TYPE estuary_block_height gauge"),
        "{scraped}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("metrics endpoint"), "{stderr}");
    assert!(
        stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .all(|l| l.starts_with('{')),
        "{stderr}"
    );
}

/// Operators on separate hosts: `init` listens for peers on every interface (CometBFT's
/// default, with its strict address book and one peer per IP) unless told a loopback address
/// for a localnet, and writes the external address peers should dial.
#[test]
fn init_listens_for_peers_beyond_loopback_unless_told() {
    let dir = tempfile::tempdir().unwrap();
    let config = |name: &str, extra: &[&str]| {
        let home = dir.path().join(name);
        let mut args = vec![
            "init",
            "op",
            "--chain-id",
            "estuary-ops-1",
            "--base-port",
            "27000",
        ];
        args.extend_from_slice(extra);
        estuaryd(&home, &args);
        std::fs::read_to_string(home.join("config/config.toml")).unwrap()
    };
    let public = config("public", &[]);
    for line in [
        r#"laddr = "tcp://0.0.0.0:27000""#,
        r#"external_address = """#,
        "addr_book_strict = true",
        "allow_duplicate_ip = false",
    ] {
        assert!(public.contains(line), "{line} in\n{public}");
    }
    let behind_nat = config("nat", &["--external-address", "203.0.113.7:27000"]);
    assert!(
        behind_nat.contains(r#"external_address = "203.0.113.7:27000""#),
        "{behind_nat}"
    );
    let local = config("local", &["--p2p-laddr", "tcp://127.0.0.1:27000"]);
    for line in [
        r#"laddr = "tcp://127.0.0.1:27000""#,
        "addr_book_strict = false",
        "allow_duplicate_ip = true",
    ] {
        assert!(local.contains(line), "{line} in\n{local}");
    }
    for bad in [
        ["--p2p-laddr", "127.0.0.1:27000"],
        ["--p2p-laddr", "tcp://127.0.0.1"],
        ["--external-address", "203.0.113.7"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_estuaryd"))
            .arg("--home")
            .arg(dir.path().join("bad"))
            .args(["init", "op", "--chain-id", "estuary-ops-1"])
            .args(bad)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{bad:?} is refused");
    }
}
