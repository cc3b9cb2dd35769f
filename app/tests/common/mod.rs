//! A harness that runs real `estuaryd` + `cometbft` processes on loopback for end-to-end tests.
#![allow(dead_code)]

pub mod inproc;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tendermint_rpc::Client;

/// The `estuaryd` under test: this build's, or the one `ESTUARY_ESTUARYD` names (a release build,
/// to check that it behaves as the debug one).
pub fn estuaryd() -> PathBuf {
    std::env::var_os("ESTUARY_ESTUARYD")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_estuaryd")))
}

/// The CometBFT binary that `scripts/setup` installs. A test that needs it fails loudly without it.
pub fn cometbft() -> PathBuf {
    if let Some(p) = std::env::var_os("ESTUARY_COMETBFT") {
        return PathBuf::from(p);
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.bin/cometbft");
    assert!(
        p.exists(),
        "cometbft not found at {}: run ./scripts/setup (or set ESTUARY_COMETBFT)",
        p.display()
    );
    p
}

/// Six consecutive free loopback ports (P2P, RPC, ABCI, gRPC, metrics of estuaryd and of
/// CometBFT), distinct across the tests of this process and below the kernel's ephemeral range:
/// a port chosen inside it can be taken, between the check and CometBFT's bind, as the source
/// port of an outgoing connection (it happened: CometBFT's own ABCI client took its P2P port).
fn free_base_port() -> u16 {
    estuary_interop::free_base()
}

pub struct NodeProc {
    pub home: PathBuf,
    pub base_port: u16,
    /// This node's CometBFT binary, when not the one [`cometbft`] names.
    pub cometbft: Option<PathBuf>,
    app: Option<Child>,
    comet: Option<Child>,
    /// `estuaryd start --cosmovisor`, which runs the node (and it CometBFT) as its children.
    launcher: Option<Child>,
}

impl NodeProc {
    pub fn rpc_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.base_port + 1)
    }
    pub fn p2p(&self) -> String {
        format!("127.0.0.1:{}", self.base_port)
    }
}

pub struct Net {
    pub dir: tempfile::TempDir,
    pub nodes: Vec<NodeProc>,
    pub chain_id: String,
}

impl Net {
    /// A chain of `validators` validators and `full_nodes` non-validating nodes; node 0 holds the
    /// funded keys `alice` and `bob` and the admin key.
    pub fn new(chain_id: &str, validators: usize, full_nodes: usize) -> Net {
        Net::build(chain_id, validators, full_nodes, None)
    }

    /// As [`Net::new`], and governed: validator `i` is voted for by key `op{i}` (funded, in
    /// node 0's keyring), and `gov_params` are laid over gov's genesis parameters.
    pub fn governed(chain_id: &str, validators: usize, gov_params: serde_json::Value) -> Net {
        Net::build(chain_id, validators, 0, Some(gov_params))
    }

    fn build(
        chain_id: &str,
        validators: usize,
        full_nodes: usize,
        gov_params: Option<serde_json::Value>,
    ) -> Net {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut net = Net {
            dir,
            nodes: Vec::new(),
            chain_id: chain_id.into(),
        };
        for i in 0..validators + full_nodes {
            let home = net.dir.path().join(format!("node{i}"));
            let base_port = free_base_port();
            run_ok(&[
                "--home",
                home.to_str().unwrap(),
                "init",
                &format!("node{i}"),
                "--chain-id",
                chain_id,
                "--base-port",
                &base_port.to_string(),
                "--p2p-laddr",
                &format!("tcp://127.0.0.1:{base_port}"),
                "--block-time",
                "500ms",
                "--minimum-gas-prices",
                "0stake",
            ]);
            net.nodes.push(NodeProc {
                home,
                base_port,
                cometbft: None,
                app: None,
                comet: None,
                launcher: None,
            });
        }
        net.est(0, &["keys", "add", "alice"]);
        net.est(0, &["keys", "add", "bob"]);
        net.est(
            0,
            &[
                "genesis",
                "add-account",
                "alice",
                "1000000000stake,1000uatom",
            ],
        );
        net.est(0, &["genesis", "add-account", "bob", "1000stake"]);
        net.est(0, &["genesis", "set-validator-admin", "alice"]);
        for i in 0..validators {
            let key =
                String::from_utf8(net.est_out(i, &["comet", "show-validator"]).stdout).unwrap();
            let name = format!("node{i}");
            let operator = format!("op{i}");
            let mut args = vec![
                "genesis",
                "add-validator",
                "--name",
                &name,
                "--power",
                "10",
                "--pub-key",
                key.trim(),
            ];
            if gov_params.is_some() {
                net.est(0, &["keys", "add", &operator]);
                net.est(0, &["genesis", "add-account", &operator, "1000000stake"]);
                args.extend(["--operator", &operator]);
            }
            net.est(0, &args);
        }
        if let Some(params) = &gov_params {
            let path = net.nodes[0].home.join("config/genesis.json");
            let mut doc: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            for (k, v) in params.as_object().unwrap() {
                doc["app_state"]["gov"]["params"][k] = v.clone();
            }
            std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
        }
        net.est(0, &["genesis", "validate"]);
        let genesis = net.nodes[0].home.join("config/genesis.json");
        let node0_id =
            String::from_utf8(net.est_out(0, &["comet", "show-node-id"]).stdout).unwrap();
        let peer = format!("{}@{}", node0_id.trim(), net.nodes[0].p2p());
        for n in &net.nodes[1..] {
            std::fs::copy(&genesis, n.home.join("config/genesis.json")).unwrap();
            let cfg = n.home.join("config/config.toml");
            let text = std::fs::read_to_string(&cfg).unwrap();
            std::fs::write(
                &cfg,
                text.replace(
                    "persistent_peers = \"\"",
                    &format!("persistent_peers = \"{peer}\""),
                ),
            )
            .unwrap();
        }
        net
    }

    /// Initialises one more home (not part of the original genesis) and returns its index.
    pub fn init_extra_node(&mut self, name: &str) -> usize {
        let home = self.dir.path().join(name);
        let base_port = free_base_port();
        run_ok(&[
            "--home",
            home.to_str().unwrap(),
            "init",
            name,
            "--chain-id",
            &self.chain_id,
            "--base-port",
            &base_port.to_string(),
            "--p2p-laddr",
            &format!("tcp://127.0.0.1:{base_port}"),
            "--block-time",
            "500ms",
            // A test network takes free transactions; fee rules have their own tests.
            "--minimum-gas-prices",
            "0stake",
        ]);
        self.nodes.push(NodeProc {
            home,
            base_port,
            cometbft: None,
            app: None,
            comet: None,
            launcher: None,
        });
        self.nodes.len() - 1
    }

    fn log(&self, i: usize, what: &str) -> std::fs::File {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.nodes[i].home.join(format!("{what}.log")))
            .unwrap()
    }

    pub fn start_app(&mut self, i: usize) {
        self.start_app_with(i, &estuaryd());
    }

    /// Starts node `i`'s app with another estuaryd binary (an upgraded one).
    pub fn start_app_with(&mut self, i: usize, bin: &std::path::Path) {
        let (out, err) = (self.log(i, "estuaryd"), self.log(i, "estuaryd"));
        let child = Command::new(bin)
            .args([
                "--home",
                self.nodes[i].home.to_str().unwrap(),
                "start",
                "--abci-only",
            ])
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("spawn estuaryd");
        self.nodes[i].app = Some(child);
        std::thread::sleep(Duration::from_millis(200));
    }

    /// Waits for node `i`'s app to exit by itself; its exit status.
    pub fn wait_app_exit(
        &mut self,
        i: usize,
        timeout: Duration,
    ) -> Option<std::process::ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Some(c) = self.nodes[i].app.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    self.nodes[i].app = None;
                    return Some(status);
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    pub fn start_comet(&mut self, i: usize) {
        let (out, err) = (self.log(i, "cometbft"), self.log(i, "cometbft"));
        let bin = self.nodes[i].cometbft.clone().unwrap_or_else(cometbft);
        let child = Command::new(bin)
            .args(["start", "--home", self.nodes[i].home.to_str().unwrap()])
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("spawn cometbft");
        self.nodes[i].comet = Some(child);
    }

    pub fn start(&mut self, i: usize) {
        self.start_app(i);
        self.start_comet(i);
    }

    pub fn start_all(&mut self) {
        for i in 0..self.nodes.len() {
            self.start(i);
        }
        self.wait_height(0, 2, Duration::from_secs(60));
    }

    /// Starts node `i` as an operator runs it with upgrades switched by the node itself:
    /// `estuaryd start --cosmovisor`, which runs `<home>/cosmovisor/current/bin/estuaryd start`,
    /// which supervises CometBFT.
    pub fn start_cosmovisor(&mut self, i: usize) {
        let (out, err) = (self.log(i, "estuaryd"), self.log(i, "estuaryd"));
        let comet = self.nodes[i].cometbft.clone().unwrap_or_else(cometbft);
        let child = Command::new(estuaryd())
            .args([
                "--home",
                self.nodes[i].home.to_str().unwrap(),
                "start",
                "--cosmovisor",
                "--cometbft",
                comet.to_str().unwrap(),
            ])
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("spawn estuaryd --cosmovisor");
        self.nodes[i].launcher = Some(child);
    }

    /// SIGTERM to node `i`'s launcher, which stops the node and CometBFT; waits for it.
    pub fn stop_cosmovisor(&mut self, i: usize) {
        if let Some(mut c) = self.nodes[i].launcher.take() {
            let pid = nix::unistd::Pid::from_raw(c.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(40);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGKILL, as a crash.
    pub fn kill_app(&mut self, i: usize) {
        if let Some(mut c) = self.nodes[i].app.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn kill_comet(&mut self, i: usize) {
        if let Some(mut c) = self.nodes[i].comet.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// CometBFT exits by itself when its app dies; reap it so it can be started again.
    pub fn reap_comet(&mut self, i: usize, timeout: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Some(c) = self.nodes[i].comet.as_mut() {
                if let Ok(Some(_)) = c.try_wait() {
                    self.nodes[i].comet = None;
                    return true;
                }
            } else {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    pub fn est_out(&self, i: usize, args: &[&str]) -> Output {
        let n = &self.nodes[i];
        let mut full = vec!["--home", n.home.to_str().unwrap()];
        full.extend_from_slice(args);
        Command::new(estuaryd())
            .args(&full)
            .env("ESTUARY_NODE", n.rpc_url())
            .stdin(Stdio::null())
            .output()
            .expect("run estuaryd")
    }

    /// Runs an estuaryd command on node `i` and insists that it succeeds.
    pub fn est(&self, i: usize, args: &[&str]) -> String {
        let out = self.est_out(i, args);
        assert!(
            out.status.success(),
            "estuaryd {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn json(&self, i: usize, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.extend_from_slice(&["-o", "json"]);
        serde_json::from_str(&self.est(i, &a)).expect("json output")
    }

    pub fn address(&self, key: &str) -> String {
        self.est(0, &["keys", "show", key, "-a"]).trim().to_string()
    }

    pub fn balance(&self, i: usize, address: &str, denom: &str) -> u128 {
        let v = self.json(i, &["query", "bank", "balances", address, "--denom", denom]);
        v["balances"][0]["amount"]
            .as_str()
            .unwrap_or("0")
            .parse()
            .unwrap()
    }

    pub fn supply(&self, i: usize, denom: &str) -> u128 {
        let v = self.json(i, &["query", "bank", "total-supply"]);
        v["supply"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["denom"] == denom)
            .map_or(0, |c| c["amount"].as_str().unwrap().parse().unwrap())
    }

    pub fn rpc(&self, i: usize) -> estuary_app::client::Node {
        estuary_app::client::Node::connect(&self.nodes[i].rpc_url()).unwrap()
    }

    pub fn height(&self, i: usize) -> Option<u64> {
        let node = self.rpc(i);
        rt().block_on(async {
            node.rpc
                .status()
                .await
                .ok()
                .map(|s| s.sync_info.latest_block_height.value())
        })
    }

    pub fn wait_height(&self, i: usize, h: u64, timeout: Duration) -> u64 {
        let start = Instant::now();
        loop {
            if let Some(now) = self.height(i) {
                if now >= h {
                    return now;
                }
            }
            assert!(
                start.elapsed() < timeout,
                "node {i} did not reach height {h} in {timeout:?}; logs in {}",
                self.nodes[i].home.display()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The app hash that block `h`'s header commits to (the state after block h-1).
    pub fn header_app_hash(&self, i: usize, h: u64) -> String {
        let node = self.rpc(i);
        rt().block_on(async {
            let b = node
                .rpc
                .block(tendermint::block::Height::try_from(h).unwrap())
                .await
                .expect("block");
            b.block.header.app_hash.to_string()
        })
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.stop_cosmovisor(i);
            self.kill_comet(i);
            self.kill_app(i);
        }
        if std::thread::panicking() {
            // Keep the homes and logs of a failed test for inspection.
            let kept = self.dir.path().to_path_buf();
            eprintln!("test homes and logs kept in {}", kept.display());
            std::mem::forget(std::mem::replace(
                &mut self.dir,
                tempfile::tempdir().unwrap(),
            ));
        }
    }
}

pub fn run_ok(args: &[&str]) -> String {
    let out = Command::new(estuaryd())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run estuaryd");
    assert!(
        out.status.success(),
        "estuaryd {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}
