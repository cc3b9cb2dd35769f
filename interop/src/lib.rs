//! A harness over real localnets for end-to-end tests and benchmarks: `localnet/up` starts the
//! chains (estuaryd + CometBFT, or ibc-go's simd) and, unless told not to, the bundled relayer;
//! `localnet/hermes` drives Hermes. Every query goes to the chains themselves (ABCI queries at
//! gRPC method paths, answered by each chain's own app), so the same assertion reads Estuary and
//! simd alike.
//!
//! Chain 0 is always Estuary (`estuary-a-1`); chain 1 is `estuary-b-1` or, with
//! [`Options::simd`], `simd-1`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use cosmrs::proto::cosmos::bank::v1beta1 as bank;
use estuary_client::keyring::{Backend, Keyring};
use estuary_client::{transfer_batch, Node, QueryRequest};
use ibc_proto::ibc::applications::transfer::v1 as transfer;
use ibc_proto::ibc::core::channel::v1 as channel;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A binary of this workspace, built by `cargo build --bins` (the test command does it first).
pub fn workspace_bin(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let p = target.join("debug").join(name);
    assert!(
        p.exists(),
        "{} is not built (cargo build --bins)",
        p.display()
    );
    p
}

/// What an end-to-end test may need beyond this workspace's own binaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Cometbft,
    Simd,
    Hermes,
    /// Node and the cosmjs packages of `interop/cosmjs` (`npm ci` there).
    Cosmjs,
    /// Node and the wallet and registry validators of `interop/chain-info` (`npm ci` there).
    ChainInfoCheck,
    /// Node and the published REST (LCD) clients of `interop/lcd` (`npm ci` there).
    LcdClient,
    /// An estuaryd built with the test upgrade's handler (`estuaryd-upgrade-test` beside the
    /// workspace's binaries; `./scripts/test` builds it).
    UpgradeTestBinary,
    /// ibc-go v11.2.0's simd (`.bin/simd-v11`, `scripts/build-simd`), whatever the default simd.
    SimdV11,
    /// Root and `ip netns`: network namespaces, each node on its own "host".
    Netns,
    /// CometBFT built with the socket client's flush period fixed
    /// (`scripts/setup --cometbft-flush-fix`). An opt-in build: required only when
    /// `ESTUARY_TEST_FLUSH_FIX=1` (the test command then builds it first), else a test that
    /// needs it skips and says why.
    CometbftFlushFix,
}

impl Tool {
    fn installed(self) -> Result<(), String> {
        let at = |name: &str, env: &str, script: &str| {
            let p = std::env::var_os(env)
                .map(PathBuf::from)
                .unwrap_or_else(|| root().join(".bin").join(name));
            if p.exists() {
                Ok(())
            } else {
                Err(format!("{} is missing (run {script})", p.display()))
            }
        };
        match self {
            Tool::Cometbft => at("cometbft", "ESTUARY_COMETBFT", "./scripts/setup"),
            Tool::CometbftFlushFix => at(
                "cometbft-flush-fix",
                "ESTUARY_COMETBFT_FLUSH_FIX",
                "./scripts/setup --cometbft-flush-fix, or ESTUARY_TEST_FLUSH_FIX=1 ./scripts/test",
            ),
            Tool::SimdV11 => at("simd-v11", "ESTUARY_SIMD_V11", "./scripts/build-simd"),
            Tool::Simd => match simd_version() {
                "v11" => at("simd-v11", "ESTUARY_SIMD", "./scripts/build-simd"),
                _ => at("simd", "ESTUARY_SIMD", "./scripts/build-simd"),
            },
            Tool::Hermes => at("hermes", "ESTUARY_HERMES", "./scripts/build-hermes"),
            Tool::ChainInfoCheck => node_project("chain-info", "@keplr-wallet/chain-validator"),
            Tool::Netns => netns_available(),
            Tool::LcdClient => node_project("lcd", "osmojs"),
            Tool::UpgradeTestBinary => {
                let target = std::env::var_os("CARGO_TARGET_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| root().join("target"));
                let p = target.join("debug").join("estuaryd-upgrade-test");
                if p.exists() {
                    Ok(())
                } else {
                    Err(format!(
                        "{} is missing (cargo build -p estuary-app --features upgrade-test-handler, copied there; ./scripts/test does it)",
                        p.display()
                    ))
                }
            }
            Tool::Cosmjs => node_project("cosmjs", "@cosmjs/stargate"),
        }
    }
}

/// A Node project under `interop/` installed with `npm ci` (its package `probe` present) and
/// `node` on PATH.
fn node_project(dir: &str, probe: &str) -> Result<(), String> {
    let pkg = root()
        .join("interop")
        .join(dir)
        .join("node_modules")
        .join(probe);
    let node = Command::new("node").arg("--version").output();
    if !pkg.exists() {
        Err(format!("interop/{dir} is not installed (npm ci there)"))
    } else if !node.is_ok_and(|o| o.status.success()) {
        Err("node is not on PATH".into())
    } else {
        Ok(())
    }
}

/// Whether this process may make network namespaces: root, with `ip` (iproute2).
fn netns_available() -> Result<(), String> {
    let name = format!("estuary-probe-{}", std::process::id());
    let made = Command::new("ip")
        .args(["netns", "add", &name])
        .output()
        .map_err(|e| format!("`ip` cannot run ({e}): install iproute2"))?;
    if !made.status.success() {
        return Err(format!(
            "cannot make a network namespace (root is needed): {}",
            String::from_utf8_lossy(&made.stderr).trim()
        ));
    }
    let _ = Command::new("ip").args(["netns", "del", &name]).output();
    Ok(())
}

/// Whether `test` must be skipped because a tool it needs is not installed, so that a plain
/// `cargo test --workspace` runs on a machine without them. The reason is written to the
/// terminal (past the test harness's capture). `./scripts/test` sets `ESTUARY_REQUIRE_TOOLS=1`
/// after installing everything: there a missing tool fails the test, so CI never passes by
/// skipping. `./scripts/test --quick` (`ESTUARY_QUICK=1`) skips every end-to-end test.
pub fn skip_without(test: &str, tools: &[Tool]) -> bool {
    use std::io::Write;
    if std::env::var_os("ESTUARY_QUICK").is_some_and(|v| v == "1") {
        let _ = writeln!(
            std::io::stderr(),
            "skipping {test}: end-to-end (./scripts/test --quick)"
        );
        return true;
    }
    let missing: Vec<(Tool, String)> = tools
        .iter()
        .filter_map(|t| t.installed().err().map(|e| (*t, e)))
        .collect();
    if missing.is_empty() {
        return false;
    }
    let reason = missing
        .iter()
        .map(|(_, e)| e.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let set = |var: &str| std::env::var_os(var).is_some_and(|v| v == "1");
    if missing.iter().any(|(t, _)| match t {
        Tool::CometbftFlushFix => set("ESTUARY_TEST_FLUSH_FIX"),
        _ => set("ESTUARY_REQUIRE_TOOLS"),
    }) {
        panic!("{test} needs tools that are not installed: {reason}");
    }
    let _ = writeln!(std::io::stderr(), "skipping {test}: {reason}");
    true
}

/// A block of 200 free loopback ports — enough for one localnet (chain A at base.., chain B at
/// base+100.., the relayer's metrics at base+97); a single test node uses the first six —
/// distinct across the tests of this process and below the ephemeral range, so tests never
/// collide with each other or with outgoing connections.
pub fn free_base() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    const SPAN: u16 = 200;
    static NEXT: AtomicU16 = AtomicU16::new(0);
    // Processes started together (test binaries, a developer's second run) start apart.
    let _ = NEXT.compare_exchange(
        0,
        20_000 + (std::process::id() % 50) as u16 * SPAN,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    loop {
        let base = NEXT.fetch_add(SPAN, Ordering::SeqCst);
        if base > 32_000 - SPAN {
            NEXT.store(20_000, Ordering::SeqCst);
            continue;
        }
        if (base..base + SPAN).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()) {
            return base;
        }
    }
}

/// The text a Prometheus endpoint at `addr` (host:port) serves, or `None` while nothing
/// answers there (a process that has not bound it yet).
pub fn scrape(addr: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// A tool the setup scripts install into `.bin/` (cometbft, simd, hermes).
pub fn tool(name: &str, env: &str, script: &str) -> PathBuf {
    let p = std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".bin").join(name));
    assert!(p.exists(), "{} is missing: run {script}", p.display());
    p
}

pub fn estuaryd() -> PathBuf {
    workspace_bin("estuaryd")
}

pub fn relayer_bin() -> PathBuf {
    workspace_bin("estuary-relayer")
}

/// The ibc-go counterparty the interop tests run: `ESTUARY_SIMD_VERSION=v11` picks simd
/// v11.2.0 (`.bin/simd-v11`), anything else v8.8.0 (`.bin/simd`); `ESTUARY_SIMD` names a binary.
pub fn simd_version() -> &'static str {
    match std::env::var("ESTUARY_SIMD_VERSION").as_deref() {
        Ok("v11") => "v11",
        _ => "v8",
    }
}

pub fn simd_bin() -> PathBuf {
    match simd_version() {
        "v11" => tool("simd-v11", "ESTUARY_SIMD", "scripts/build-simd"),
        _ => tool("simd", "ESTUARY_SIMD", "scripts/build-simd"),
    }
}

pub fn hermes_bin() -> PathBuf {
    tool("hermes", "ESTUARY_HERMES", "scripts/build-hermes")
}

#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Chain A uses ports base.., chain B base+100.. (a free block unless a test sets it).
    pub base: u16,
    pub validators: usize,
    /// Chain B is ibc-go's simd instead of a second Estuary chain.
    pub simd: bool,
    /// That simd is v11.2.0 whatever `ESTUARY_SIMD_VERSION` says (for what only v11 has: the
    /// packet-forward middleware).
    pub simd_v11: bool,
    /// Link the chains and start the bundled relayer (false: chains only, e.g. for Hermes).
    pub relayer: bool,
}

impl Options {
    /// The simd this localnet runs as chain B: v11 when the options force it, else the default.
    fn simd_bin(&self) -> PathBuf {
        if self.simd_v11 {
            tool("simd-v11", "ESTUARY_SIMD_V11", "scripts/build-simd")
        } else {
            simd_bin()
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options::new()
    }
}

impl Options {
    pub fn new() -> Options {
        Options {
            base: free_base(),
            validators: 1,
            simd: false,
            simd_v11: false,
            relayer: true,
        }
    }
}

pub struct Localnet {
    dir: tempfile::TempDir,
    pub opts: Options,
    relayer: Option<Child>,
}

impl Localnet {
    pub fn up(opts: Options) -> Localnet {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut args = vec![
            "--validators".to_string(),
            opts.validators.to_string(),
            "--base-port".to_string(),
            opts.base.to_string(),
        ];
        if opts.simd {
            args.push("--with-simd".into());
            args.push(if opts.simd_v11 { "v11" } else { simd_version() }.into());
        }
        if !opts.relayer {
            args.push("--no-relayer".into());
        }
        let out = Command::new(root().join("localnet/up"))
            .args(&args)
            .envs(Self::env(dir.path(), opts))
            .output()
            .expect("running localnet/up");
        let net = Localnet {
            dir,
            opts,
            relayer: None,
        };
        assert!(
            out.status.success(),
            "localnet/up {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        net
    }

    fn env(dir: &Path, opts: Options) -> Vec<(String, String)> {
        let mut env = vec![
            ("ESTUARY_LOCALNET_DIR".into(), dir.display().to_string()),
            ("ESTUARYD".into(), estuaryd().display().to_string()),
            (
                "ESTUARY_RELAYER".into(),
                relayer_bin().display().to_string(),
            ),
            (
                "ESTUARY_COMETBFT".into(),
                tool("cometbft", "ESTUARY_COMETBFT", "scripts/setup")
                    .display()
                    .to_string(),
            ),
        ];
        if opts.simd {
            let bin = opts.simd_bin();
            env.push(("ESTUARY_SIMD".into(), bin.display().to_string()));
        }
        env
    }

    /// Runs one of the localnet scripts (`up`, `down`, …) on this localnet's directory, as a
    /// user would, without the options it was created with.
    pub fn script(&self, name: &str, args: &[&str]) -> Output {
        Command::new(root().join("localnet").join(name))
            .args(args)
            .envs(Self::env(self.dir.path(), self.opts))
            .stdin(Stdio::null())
            .output()
            .expect("running a localnet script")
    }

    /// [`Localnet::script`] with more environment, e.g. `ESTUARYD` naming another estuaryd for
    /// `up` to start the nodes with (an upgraded binary).
    pub fn script_with(&self, name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
        Command::new(root().join("localnet").join(name))
            .args(args)
            .envs(Self::env(self.dir.path(), self.opts))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("running a localnet script")
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn chain_id(&self, chain: usize) -> &'static str {
        match (chain, self.opts.simd) {
            (0, _) => "estuary-a-1",
            (_, true) => "simd-1",
            _ => "estuary-b-1",
        }
    }

    pub fn is_simd(&self, chain: usize) -> bool {
        chain == 1 && self.opts.simd
    }

    pub fn port(&self, chain: usize, offset: u16) -> u16 {
        self.opts.base + chain as u16 * 100 + offset
    }

    pub fn rpc(&self, chain: usize) -> String {
        format!("http://127.0.0.1:{}", self.port(chain, 1))
    }

    pub fn home(&self, chain: usize, node: usize) -> PathBuf {
        let c = if chain == 0 { "a" } else { "b" };
        self.dir.path().join(c).join(format!("node{node}"))
    }

    pub fn node(&self, chain: usize) -> Node {
        Node::connect(&self.rpc(chain)).expect("rpc address")
    }

    /// `estuaryd --home <chain's first node> <args>` against that chain's RPC.
    pub fn est(&self, chain: usize, args: &[&str]) -> Output {
        assert!(!self.is_simd(chain), "chain {chain} is simd");
        Command::new(estuaryd())
            .arg("--home")
            .arg(self.home(chain, 0))
            .args(args)
            .env("ESTUARY_NODE", self.rpc(chain))
            .stdin(Stdio::null())
            .output()
            .expect("running estuaryd")
    }

    pub fn ok(&self, chain: usize, args: &[&str]) -> String {
        success(&format!("estuaryd {args:?}"), self.est(chain, args))
    }

    /// `simd --home <simd home> <args>` (add `--node` yourself for queries and transactions).
    pub fn simd(&self, args: &[&str]) -> Output {
        assert!(self.opts.simd, "this localnet has no simd");
        Command::new(self.opts.simd_bin())
            .arg("--home")
            .arg(self.home(1, 0))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("running simd")
    }

    pub fn simd_ok(&self, args: &[&str]) -> String {
        success(&format!("simd {args:?}"), self.simd(args))
    }

    /// The address of a test key (alice, bob, relayer) on `chain`, with that chain's prefix.
    pub fn address(&self, chain: usize, key: &str) -> String {
        let out = if self.is_simd(chain) {
            self.simd_ok(&["keys", "show", key, "-a", "--keyring-backend", "test"])
        } else {
            self.ok(chain, &["keys", "show", key, "-a"])
        };
        out.trim().to_string()
    }

    /// A user transfer through the chain's own CLI (estuaryd or simd), waited for until included
    /// with code 0. Returns the transaction hash.
    pub fn transfer(
        &self,
        chain: usize,
        from: &str,
        channel: &str,
        receiver: &str,
        amount: &str,
        extra: &[&str],
    ) -> String {
        if !self.is_simd(chain) {
            let mut args = vec![
                "tx",
                "ibc-transfer",
                "transfer",
                "transfer",
                channel,
                receiver,
                amount,
                "--from",
                from,
                "--yes",
                "--wait",
                "-o",
                "json",
            ];
            args.extend_from_slice(extra);
            let v: serde_json::Value =
                serde_json::from_str(&self.ok(chain, &args)).expect("tx report json");
            assert_eq!(v["code"], 0, "transfer refused: {v}");
            return v["txhash"].as_str().expect("txhash").to_string();
        }
        let rpc = self.rpc(1).replace("http://", "tcp://");
        let mut args = vec![
            "tx",
            "ibc-transfer",
            "transfer",
            "transfer",
            channel,
            receiver,
            amount,
            "--from",
            from,
            "--keyring-backend",
            "test",
            "--chain-id",
            "simd-1",
            "--node",
            &rpc,
            "--gas",
            "300000",
            "-y",
            "-o",
            "json",
        ];
        args.extend_from_slice(extra);
        let v: serde_json::Value =
            serde_json::from_str(&self.simd_ok(&args)).expect("simd tx json");
        assert_eq!(v["code"], 0, "simd refused the transfer: {v}");
        let hash = v["txhash"].as_str().expect("txhash").to_string();
        let report = rt()
            .block_on(self.node(1).wait_for_tx(&hash, Duration::from_secs(30)))
            .expect("simd transfer included");
        assert_eq!(report.code, 0, "simd transfer failed: {}", report.log);
        hash
    }

    /// `n` transfers of `amount`stake from `from` on Estuary chain 0 over `channel`, signed here
    /// and sent in transactions of 50 messages, each waited for.
    pub fn burst(&self, from: &str, channel: &str, receiver: &str, n: usize, amount: u128) {
        self.burst_on(0, from, channel, receiver, n, amount)
    }

    /// [`Localnet::burst`] from Estuary chain `chain`.
    pub fn burst_on(
        &self,
        chain: usize,
        from: &str,
        channel: &str,
        receiver: &str,
        n: usize,
        amount: u128,
    ) {
        assert!(
            !self.is_simd(chain),
            "burst_on signs with estuaryd's keyring"
        );
        let key = Keyring::new(
            self.home(chain, 0).join("keyring-test"),
            Backend::Test,
            None,
        )
        .signing_key(from)
        .expect("sender key");
        let sender = self.address(chain, from);
        let node = self.node(chain);
        let rt = rt();
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_nanos() as u64
            + 600_000_000_000;
        let mut left = n;
        while left > 0 {
            let k = left.min(50);
            let msgs = transfer_batch(channel, (&sender, receiver), (amount, "stake"), k, deadline);
            let r = rt
                .block_on(node.sign_and_broadcast(
                    (&key, &sender),
                    self.chain_id(chain),
                    msgs,
                    50_000_000,
                    Duration::from_secs(30),
                ))
                .expect("broadcast");
            assert_eq!(r.code, 0, "{}", r.log);
            left -= k;
        }
    }

    pub fn balance(&self, chain: usize, address: &str, denom: &str) -> u128 {
        let r: bank::QueryBalanceResponse = self.query(
            chain,
            &bank::QueryBalanceRequest {
                address: address.into(),
                denom: denom.into(),
            },
        );
        r.balance.map_or(0, |c| c.amount.parse().expect("amount"))
    }

    pub fn supply(&self, chain: usize, denom: &str) -> u128 {
        let r: bank::QuerySupplyOfResponse = self.query(
            chain,
            &bank::QuerySupplyOfRequest {
                denom: denom.into(),
            },
        );
        r.amount.map_or(0, |c| c.amount.parse().expect("amount"))
    }

    pub fn escrow_address(&self, chain: usize, channel: &str) -> String {
        let r: transfer::QueryEscrowAddressResponse = self.query(
            chain,
            &transfer::QueryEscrowAddressRequest {
                port_id: "transfer".into(),
                channel_id: channel.into(),
            },
        );
        r.escrow_address
    }

    /// The `denom` held in escrow for `channel` on `chain`.
    pub fn escrowed(&self, chain: usize, channel: &str, denom: &str) -> u128 {
        self.balance(chain, &self.escrow_address(chain, channel), denom)
    }

    /// The `(path, base_denom)` the chain records for `ibc/<hash>`: `DenomTrace` (ibc-go up to
    /// v9, Estuary), else `Denom` (ibc-go v10 on, which answers only that).
    pub fn denom_trace(&self, chain: usize, voucher: &str) -> (String, String) {
        let hash = voucher.strip_prefix("ibc/").expect("an ibc/ denom");
        let node = self.node(chain);
        let req = transfer::QueryDenomTraceRequest { hash: hash.into() };
        if let Ok(r) = rt().block_on(node.query_typed(&req)) {
            let t = r.denom_trace.expect("a denom trace");
            return (t.path, t.base_denom);
        }
        let r = self.query(chain, &denom_v10::QueryDenomRequest { hash: hash.into() });
        let d = r.denom.expect("a denom");
        let path = d
            .trace
            .iter()
            .map(|h| format!("{}/{}", h.port_id, h.channel_id))
            .collect::<Vec<_>>()
            .join("/");
        (path, d.base)
    }

    /// Sequences of packets sent on `channel` whose commitment is still stored (not yet acked
    /// or timed out).
    pub fn pending(&self, chain: usize, channel: &str) -> Vec<u64> {
        let mut out = Vec::new();
        let mut key = Vec::new();
        loop {
            let r: channel::QueryPacketCommitmentsResponse = self.query(
                chain,
                &channel::QueryPacketCommitmentsRequest {
                    port_id: "transfer".into(),
                    channel_id: channel.into(),
                    pagination: Some(ibc_proto::cosmos::base::query::v1beta1::PageRequest {
                        key: std::mem::take(&mut key),
                        limit: 1000,
                        ..Default::default()
                    }),
                },
            );
            out.extend(r.commitments.iter().map(|c| c.sequence));
            match r.pagination {
                Some(p) if !p.next_key.is_empty() => key = p.next_key,
                _ => break,
            }
        }
        out.sort_unstable();
        out
    }

    /// The packet a transfer transaction sent, from its `send_packet` event: sequence, data,
    /// timeout height (revision, height) and timeout timestamp.
    pub fn sent_packet(&self, chain: usize, tx_hash: &str) -> SentPacket {
        let node = self.node(chain);
        let report = rt()
            .block_on(node.wait_for_tx(tx_hash, Duration::from_secs(30)))
            .expect("transfer transaction");
        let event = report
            .events
            .iter()
            .find(|e| e.kind == "send_packet")
            .expect("a send_packet event");
        let attr = |k: &str| -> String {
            event
                .attributes
                .iter()
                .find(|a| a.key_str().ok() == Some(k))
                .and_then(|a| a.value_str().ok())
                .unwrap_or_else(|| panic!("send_packet has no {k}"))
                .to_string()
        };
        let (rev, h) = attr("packet_timeout_height")
            .split_once('-')
            .map(|(r, h)| (r.parse().expect("revision"), h.parse().expect("height")))
            .expect("timeout height rev-h");
        SentPacket {
            sequence: attr("packet_sequence").parse().expect("sequence"),
            data: hex_decode(&attr("packet_data_hex")),
            timeout_height: (rev, h),
            timeout_timestamp: attr("packet_timeout_timestamp").parse().expect("timestamp"),
        }
    }

    /// The packet commitment `chain` stores for `sequence` on `channel` (empty if none).
    pub fn stored_commitment(&self, chain: usize, channel: &str, sequence: u64) -> Vec<u8> {
        let r: channel::QueryPacketCommitmentResponse = self.query(
            chain,
            &channel::QueryPacketCommitmentRequest {
                port_id: "transfer".into(),
                channel_id: channel.into(),
                sequence,
            },
        );
        r.commitment
    }

    pub fn query<R: QueryRequest>(&self, chain: usize, req: &R) -> R::Response {
        rt().block_on(self.node(chain).query_typed(req))
            .unwrap_or_else(|e| panic!("{} on {}: {e:#}", R::path(), self.chain_id(chain)))
    }

    pub fn latest_height(&self, chain: usize) -> u64 {
        rt().block_on(self.node(chain).latest_height())
            .unwrap_or_else(|e| panic!("status of {}: {e:#}", self.chain_id(chain)))
    }

    /// Stops the bundled relayer (the one `localnet/up` started, and any started here).
    pub fn stop_relayer(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir().join("relayer.pid")) {
            let _ = Command::new("kill").args(["-9", pid.trim()]).status();
            let _ = std::fs::remove_file(self.dir().join("relayer.pid"));
        }
        if let Some(mut c) = self.relayer.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the bundled relayer on the localnet's two chains (`relayer.toml`), with extra
    /// arguments (e.g. `--metrics`).
    pub fn start_relayer(&mut self, extra: &[&str]) {
        let config = self.dir().join("relayer.toml");
        let mut args = vec!["start", self.chain_id(0), self.chain_id(1)];
        args.extend_from_slice(extra);
        self.start_relayer_with(&config, &args);
    }

    /// Starts the bundled relayer with the config `config` and arguments `args` (`start ...`);
    /// its log goes to `relayer-restarted.log`.
    pub fn start_relayer_with(&mut self, config: &Path, args: &[&str]) {
        self.stop_relayer();
        let log = std::fs::File::create(self.dir().join("relayer-restarted.log")).expect("log");
        let child = Command::new(relayer_bin())
            .arg("--config")
            .arg(config)
            .args(args)
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("starting the relayer");
        self.relayer = Some(child);
    }

    pub fn relayer_cmd(&self, args: &[&str]) -> String {
        self.relayer_cmd_with(&self.dir().join("relayer.toml"), args)
    }

    /// A relayer command with the config `config`; its stdout.
    pub fn relayer_cmd_with(&self, config: &Path, args: &[&str]) -> String {
        let out = Command::new(relayer_bin())
            .arg("--config")
            .arg(config)
            .args(args)
            .output()
            .expect("running the relayer");
        success(&format!("relayer {args:?}"), out)
    }

    /// Whether the process a pid file in the localnet directory names is alive.
    fn alive(&self, pid_file: &str) -> bool {
        std::fs::read_to_string(self.dir().join(pid_file))
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok())
            .is_some_and(|pid| {
                Command::new("kill")
                    .args(["-0", &pid.to_string()])
                    .status()
                    .is_ok_and(|s| s.success())
            })
    }

    /// Whether the bundled relayer `localnet/up` (or `start_relayer`) started is still running.
    pub fn relayer_running(&self) -> bool {
        self.alive("relayer.pid")
    }

    /// Whether the relayer `start_relayer` started is still running.
    pub fn started_relayer_alive(&mut self) -> bool {
        self.relayer
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Whether the Hermes `localnet/hermes start` started is still running.
    pub fn hermes_running(&self) -> bool {
        self.alive("hermes.pid")
    }

    /// `localnet/hermes <args>` on this localnet (writes Hermes' config, imports its keys,
    /// creates channels, starts it).
    pub fn hermes_script(&self, args: &[&str]) -> String {
        self.hermes_script_as("relayer", args)
    }

    /// [`Localnet::hermes_script`] with Hermes signing as `key` (`relayer2` beside the bundled
    /// relayer, which signs as `relayer`: two relayers must not share an account's sequence).
    pub fn hermes_script_as(&self, key: &str, args: &[&str]) -> String {
        let out = Command::new(root().join("localnet/hermes"))
            .args(args)
            .envs(Self::env(self.dir(), self.opts))
            .env("ESTUARY_HERMES", hermes_bin())
            .env("ESTUARY_HERMES_KEY", key)
            .output()
            .expect("running localnet/hermes");
        success(&format!("localnet/hermes {args:?}"), out)
    }

    /// Hermes itself, with the config `localnet/hermes config` wrote.
    pub fn hermes(&self, args: &[&str]) -> Output {
        Command::new(hermes_bin())
            .arg("--config")
            .arg(self.dir().join("hermes/config.toml"))
            .args(args)
            .env("HOME", self.dir().join("hermes"))
            .stdin(Stdio::null())
            .output()
            .expect("running hermes")
    }

    pub fn hermes_ok(&self, args: &[&str]) -> String {
        success(&format!("hermes {args:?}"), self.hermes(args))
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        self.stop_relayer();
        let _ = Command::new(root().join("localnet/down"))
            .envs(Self::env(self.dir.path(), self.opts))
            .output();
        if std::thread::panicking() {
            eprintln!("localnet kept in {}", self.dir.path().display());
            std::mem::forget(std::mem::replace(
                &mut self.dir,
                tempfile::tempdir().expect("temp dir"),
            ));
        }
    }
}

/// What a `send_packet` event says of a packet.
#[derive(Clone, Debug)]
pub struct SentPacket {
    pub sequence: u64,
    pub data: Vec<u8>,
    pub timeout_height: (u64, u64),
    pub timeout_timestamp: u64,
}

impl SentPacket {
    /// The commitment ibc-go's formula gives for this packet (computed by Estuary's ICS-20 code).
    pub fn expected_commitment(&self) -> Vec<u8> {
        estuary_ibc::ics20::packet_commitment(
            &self.data,
            self.timeout_height.0,
            self.timeout_height.1,
            self.timeout_timestamp,
        )
        .to_vec()
    }
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn success(what: &str, out: Output) -> String {
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// The voucher denom `ibc/HASH` of a full trace such as `transfer/channel-0/stake`.
pub fn voucher(trace: &str) -> String {
    estuary_ibc::ics20::voucher_denom(trace)
}

pub fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// ibc-go v10+'s `Denom` query (ICS-20 denoms as a base and hops), which ibc-proto does not
/// carry: field numbers as ibc-go's `transfer/v1/token.proto` and `query.proto`.
pub mod denom_v10 {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Hop {
        #[prost(string, tag = "1")]
        pub port_id: String,
        #[prost(string, tag = "2")]
        pub channel_id: String,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Denom {
        #[prost(string, tag = "1")]
        pub base: String,
        #[prost(message, repeated, tag = "3")]
        pub trace: Vec<Hop>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct QueryDenomRequest {
        #[prost(string, tag = "1")]
        pub hash: String,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct QueryDenomResponse {
        #[prost(message, optional, tag = "1")]
        pub denom: Option<Denom>,
    }
    impl prost::Name for QueryDenomRequest {
        const NAME: &'static str = "QueryDenomRequest";
        const PACKAGE: &'static str = "ibc.applications.transfer.v1";
    }
    impl prost::Name for QueryDenomResponse {
        const NAME: &'static str = "QueryDenomResponse";
        const PACKAGE: &'static str = "ibc.applications.transfer.v1";
    }
    impl estuary_client::QueryRequest for QueryDenomRequest {
        type Response = QueryDenomResponse;
    }
}
