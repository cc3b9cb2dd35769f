//! Operators on separate hosts, as the README's operator procedure has them: four validators,
//! each in its own network namespace with its own address on a bridge (no node listens on or
//! dials a loopback address of another), set up with the README's steps — `init` with an
//! external address, `comet show-validator` / `show-node-id`, a coordinator assembling the
//! genesis, every operator checking it and setting `persistent_peers` to the others' addresses.
//! The network makes blocks, a transfer sent on one host is seen on the others, and a host cut
//! off (its link down) and brought back catches up.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const HOSTS: usize = 4;

/// The hosts: a bridge, one namespace per host with a veth pair into the bridge, and the node
/// processes; all removed when dropped.
struct Hosts {
    tag: String,
    subnet: String,
    dir: tempfile::TempDir,
    nodes: Vec<Option<Child>>,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("running ip");
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Hosts {
    fn new() -> Hosts {
        let n = std::process::id() % 10_000;
        let hosts = Hosts {
            tag: format!("est{n}"),
            subnet: format!("10.213.{}", n % 250 + 1),
            dir: tempfile::tempdir().unwrap(),
            nodes: (0..HOSTS).map(|_| None).collect(),
        };
        let bridge = hosts.bridge();
        ip(&["link", "add", &bridge, "type", "bridge"]);
        ip(&["link", "set", &bridge, "up"]);
        for i in 0..HOSTS {
            let (ns, veth) = (hosts.ns(i), format!("{}v{i}", hosts.tag));
            ip(&["netns", "add", &ns]);
            ip(&[
                "link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns", &ns,
            ]);
            ip(&["link", "set", &veth, "master", &bridge, "up"]);
            let addr = format!("{}/24", hosts.addr(i));
            ip(&["-n", &ns, "addr", "add", &addr, "dev", "eth0"]);
            ip(&["-n", &ns, "link", "set", "eth0", "up"]);
            // The node's own processes (estuaryd and its CometBFT, the CLI and the node) talk
            // over the host's own loopback, as on any machine.
            ip(&["-n", &ns, "link", "set", "lo", "up"]);
        }
        hosts
    }

    fn bridge(&self) -> String {
        format!("{}br", self.tag)
    }
    fn ns(&self, i: usize) -> String {
        format!("{}h{i}", self.tag)
    }
    fn addr(&self, i: usize) -> String {
        format!("{}.{}", self.subnet, 10 + i)
    }
    fn home(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("host{i}"))
    }

    /// `estuaryd --home <host i> args…` run on host i.
    fn est_out(&self, i: usize, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.ns(i)])
            .arg(common::estuaryd())
            .arg("--home")
            .arg(self.home(i))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("running estuaryd")
    }

    fn est(&self, i: usize, args: &[&str]) -> String {
        let out = self.est_out(i, args);
        assert!(
            out.status.success(),
            "host {i}: estuaryd {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn start(&mut self, i: usize) {
        let log = std::fs::File::create(self.home(i).join("node.log")).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns(i)])
            .arg(common::estuaryd())
            .arg("--home")
            .arg(self.home(i))
            .args(["start", "--cometbft"])
            .arg(common::cometbft())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("starting a node");
        self.nodes[i] = Some(child);
    }

    /// Host i's latest height, asked of its own node (None while it does not answer).
    fn height(&self, i: usize) -> Option<u64> {
        let out = self.est_out(i, &["status", "-o", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        v["latest_block_height"]
            .as_u64()
            .or_else(|| v["latest_block_height"].as_str()?.parse().ok())
    }

    fn wait_height(&self, i: usize, h: u64, timeout: Duration) {
        let start = Instant::now();
        while self.height(i).is_none_or(|now| now < h) {
            assert!(
                start.elapsed() < timeout,
                "host {i} did not reach height {h} in {timeout:?} (at {:?}); logs in {}",
                self.height(i),
                self.home(i).display()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// A bank send from alice (host 0's key) through host `i`'s node, waited for: its height.
    fn send(&self, i: usize, to: &str, amount: &str) -> u64 {
        let args = [
            "tx", "bank", "send", "alice", to, amount, "--yes", "--wait", "-o", "json",
        ];
        let sent: serde_json::Value = serde_json::from_str(&self.est(i, &args)).unwrap();
        assert_eq!(sent["code"], 0, "{sent}");
        sent["height"].as_str().unwrap().parse().unwrap()
    }

    fn balance(&self, i: usize, address: &str) -> u128 {
        let v: serde_json::Value = serde_json::from_str(&self.est(
            i,
            &[
                "query", "bank", "balances", address, "--denom", "stake", "-o", "json",
            ],
        ))
        .unwrap();
        v["balances"][0]["amount"]
            .as_str()
            .unwrap_or("0")
            .parse()
            .unwrap()
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        for child in self.nodes.iter_mut().flatten() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
        }
        for child in self.nodes.iter_mut().flatten() {
            let start = Instant::now();
            while !matches!(child.try_wait(), Ok(Some(_)))
                && start.elapsed() < Duration::from_secs(10)
            {
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        for i in 0..HOSTS {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.ns(i)])
                .output();
        }
        let _ = Command::new("ip")
            .args(["link", "del", &self.bridge()])
            .output();
        if std::thread::panicking() {
            let kept = self.dir.path().to_path_buf();
            eprintln!("homes and logs kept in {}", kept.display());
            std::mem::forget(std::mem::replace(
                &mut self.dir,
                tempfile::tempdir().unwrap(),
            ));
        }
    }
}

#[test]
fn validators_on_separate_hosts_follow_the_operator_procedure() {
    use estuary_interop::Tool;
    if estuary_interop::skip_without(
        "validators_on_separate_hosts_follow_the_operator_procedure",
        &[Tool::Cometbft, Tool::Netns],
    ) {
        return;
    }
    let mut hosts = Hosts::new();
    let chain = "hosts-1";

    // Each operator: init with the address peers reach it at, then hands over the consensus
    // key and node id.
    let mut peers = Vec::new();
    let mut keys = Vec::new();
    for i in 0..HOSTS {
        let external = format!("{}:26656", hosts.addr(i));
        hosts.est(
            i,
            &[
                "init",
                &format!("host{i}"),
                "--chain-id",
                chain,
                "--external-address",
                &external,
                "--block-time",
                "500ms",
                "--minimum-gas-prices",
                "0stake",
            ],
        );
        keys.push(
            hosts
                .est(i, &["comet", "show-validator"])
                .trim()
                .to_string(),
        );
        let id = hosts.est(i, &["comet", "show-node-id"]).trim().to_string();
        peers.push(format!("{id}@{external}"));
    }
    // The coordinator (host 0) assembles the genesis.
    hosts.est(0, &["keys", "add", "alice"]);
    hosts.est(0, &["keys", "add", "bob"]);
    let alice = hosts
        .est(0, &["keys", "show", "alice", "-a"])
        .trim()
        .to_string();
    let bob = hosts
        .est(0, &["keys", "show", "bob", "-a"])
        .trim()
        .to_string();
    hosts.est(0, &["genesis", "add-account", &alice, "1000000000stake"]);
    hosts.est(0, &["genesis", "set-validator-admin", &alice]);
    for (i, key) in keys.iter().enumerate() {
        hosts.est(
            0,
            &[
                "genesis",
                "add-validator",
                "--pub-key",
                key,
                "--name",
                &format!("host{i}"),
                "--power",
                "10",
            ],
        );
    }
    hosts.est(0, &["genesis", "validate"]);
    let genesis = std::fs::read(hosts.home(0).join("config/genesis.json")).unwrap();
    // Every operator takes the genesis, checks it, and names the other operators as peers.
    for i in 0..HOSTS {
        std::fs::write(hosts.home(i).join("config/genesis.json"), &genesis).unwrap();
        hosts.est(i, &["genesis", "validate"]);
        let others: Vec<&str> = (0..HOSTS)
            .filter(|j| *j != i)
            .map(|j| peers[j].as_str())
            .collect();
        let cfg = hosts.home(i).join("config/config.toml");
        let text = std::fs::read_to_string(&cfg).unwrap();
        assert!(
            text.contains("laddr = \"tcp://0.0.0.0:26656\""),
            "init listens for peers on every interface:\n{text}"
        );
        let text = text.replace(
            "persistent_peers = \"\"",
            &format!("persistent_peers = \"{}\"", others.join(",")),
        );
        assert!(!text.contains("persistent_peers = \"\""), "peers set");
        std::fs::write(&cfg, text).unwrap();
    }
    assert!(peers.iter().all(|p| !p.contains("127.0.0.1")));
    for i in 0..HOSTS {
        hosts.start(i);
    }
    // Four validators of equal power: a block needs three of them, so blocks prove that the
    // hosts reach each other over the bridge.
    for i in 0..HOSTS {
        hosts.wait_height(i, 3, Duration::from_secs(90));
    }

    // A transfer sent on host 0 is seen on every host.
    let height = hosts.send(0, &bob, "1234stake");
    for i in 0..HOSTS {
        hosts.wait_height(i, height, Duration::from_secs(30));
        assert_eq!(hosts.balance(i, &bob), 1234, "host {i}");
    }

    // Host 3 cut off: the other three go on without it; a transfer meanwhile.
    ip(&["-n", &hosts.ns(3), "link", "set", "eth0", "down"]);
    let cut_at = hosts.height(3).unwrap();
    hosts.send(0, &bob, "766stake");
    let target = hosts.height(0).unwrap() + 5;
    hosts.wait_height(0, target, Duration::from_secs(60));
    let isolated = hosts.height(3).unwrap();
    assert!(
        isolated < target,
        "a host without its link cannot follow (it was at {cut_at}, now {isolated}, the others at {target})"
    );
    assert_eq!(hosts.balance(1, &bob), 2000);
    // Link back: it catches up, the transfer it missed included.
    ip(&["-n", &hosts.ns(3), "link", "set", "eth0", "up"]);
    hosts.wait_height(3, target, Duration::from_secs(90));
    assert_eq!(hosts.balance(3, &bob), 2000);
}
