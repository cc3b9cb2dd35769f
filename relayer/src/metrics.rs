//! Relay progress, written to a file after each pass (what was relayed and the heights it
//! reached), and the Prometheus metrics (built on `prometheus-client`). Correctness never depends
//! on either — every pass re-derives what is owed from both chains — but they tell an operator
//! where a restarted relayer picks up and how it is doing.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use serde::{Deserialize, Serialize};
use std::sync::atomic::AtomicU64;

use crate::link::End;
use crate::relay::Relayed;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Progress {
    pub passes: u64,
    pub errors: u64,
    pub packets: u64,
    pub acks: u64,
    pub timeouts: u64,
    /// Poison packets seen (a packet skipped in several passes counts in each).
    #[serde(default)]
    pub poisoned: u64,
    /// The poison packets of the last pass, by sequence: they wait for their timeout.
    #[serde(default)]
    pub poisoned_now: Vec<(String, u64)>,
    /// Packets and acks whose RPC data did not hash to their proven commitment, in the last
    /// pass, as (the chain whose RPC lied, sequence): left pending, never signed for.
    #[serde(default)]
    pub mismatched_now: Vec<(String, u64)>,
    /// Heights of each chain at the end of the last good pass.
    pub heights: Vec<(String, u64)>,
    /// Each side's client of the other, and its latest height.
    pub client_heights: Vec<(String, u64)>,
}

impl Progress {
    /// The progress file of the path between `a` and `b`; `channel` when the path relays a
    /// configured channel rather than the one `link` opened.
    pub fn path(state_dir: &Path, a: &str, b: &str, channel: Option<&str>) -> PathBuf {
        match channel {
            None => state_dir.join(format!("progress-{a}--{b}.json")),
            Some(c) => state_dir.join(format!("progress-{a}--{b}--{c}.json")),
        }
    }

    pub fn load(path: &Path) -> Progress {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    /// The poison packets of the last pass of every task relaying between `a` and `b` (the
    /// default link's and each configured channel's), as (sending chain, sequence).
    pub fn poisoned_between(state_dir: &Path, a: &str, b: &str) -> Vec<(String, u64)> {
        Self::between(state_dir, a, b)
            .flat_map(|p| p.poisoned_now)
            .collect()
    }

    /// The packets and acks the last pass of every task between `a` and `b` left out because
    /// their RPC data did not match the proven commitment, as (chain whose RPC lied, sequence).
    pub fn mismatched_between(state_dir: &Path, a: &str, b: &str) -> Vec<(String, u64)> {
        Self::between(state_dir, a, b)
            .flat_map(|p| p.mismatched_now)
            .collect()
    }

    /// The progress of every task relaying between `a` and `b`.
    fn between(state_dir: &Path, a: &str, b: &str) -> impl Iterator<Item = Progress> {
        let exact = format!("progress-{a}--{b}.json");
        let per_channel = format!("progress-{a}--{b}--");
        std::fs::read_dir(state_dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter(move |e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name == exact || (name.starts_with(&per_channel) && name.ends_with(".json"))
            })
            .map(|e| Progress::load(&e.path()))
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(self)?)?;
        std::fs::rename(tmp, path)?;
        Ok(())
    }

    pub fn record(&mut self, r: Relayed) {
        self.passes += 1;
        self.packets += r.packets as u64;
        self.acks += r.acks as u64;
        self.timeouts += r.timeouts as u64;
        self.errors += r.errors as u64;
        self.poisoned += r.poisoned.len() as u64;
        self.poisoned_now = r.poisoned;
        self.mismatched_now = r.mismatched;
    }
}

/// A packet's way: the chain and channel it was sent from.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FromLabels {
    pub src_chain: String,
    pub src_channel: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChainLabels {
    pub chain: String,
}

/// A light client, by the chain that hosts it.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClientLabels {
    pub chain: String,
    pub client: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BalanceLabels {
    pub chain: String,
    pub denom: String,
}

fn seconds_histogram() -> Histogram {
    // 0.25 s to ~2 min.
    Histogram::new(exponential_buckets(0.25, 2.0, 10))
}

fn blocks_histogram() -> Histogram {
    Histogram::new([2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 20.0, 50.0, 100.0])
}

/// Every metric the relayer serves. Cheap to update from any task (atomics); encoding reads
/// them without stopping the relay.
pub struct Metrics {
    registry: Registry,
    pub passes: Counter,
    pub pass_errors: Counter,
    pub packets: Family<FromLabels, Counter>,
    pub acks: Family<FromLabels, Counter>,
    pub timeouts: Family<FromLabels, Counter>,
    pub poison: Family<FromLabels, Counter>,
    pub rpc_mismatch: Family<ChainLabels, Counter>,
    pub redundant: Family<ChainLabels, Counter>,
    pub latency_seconds: Family<FromLabels, Histogram, fn() -> Histogram>,
    pub latency_blocks: Family<FromLabels, Histogram, fn() -> Histogram>,
    pub chain_height: Family<ChainLabels, Gauge>,
    pub client_height: Family<ClientLabels, Gauge>,
    pub client_expiry: Family<ClientLabels, Gauge>,
    pub client_status: Family<ClientLabels, Gauge>,
    pub balance: Family<BalanceLabels, Gauge<f64, AtomicU64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("estuary_relayer");
        let m = Metrics {
            passes: Counter::default(),
            pass_errors: Counter::default(),
            packets: Family::default(),
            acks: Family::default(),
            timeouts: Family::default(),
            poison: Family::default(),
            rpc_mismatch: Family::default(),
            redundant: Family::default(),
            latency_seconds: Family::new_with_constructor(seconds_histogram),
            latency_blocks: Family::new_with_constructor(blocks_histogram),
            chain_height: Family::default(),
            client_height: Family::default(),
            client_expiry: Family::default(),
            client_status: Family::default(),
            balance: Family::default(),
            registry: Registry::default(),
        };
        // `_total` is added to counters by the encoder.
        registry.register("passes", "Relay passes completed", m.passes.clone());
        registry.register(
            "pass_errors",
            "Relay passes that failed (retried on the next)",
            m.pass_errors.clone(),
        );
        registry.register(
            "packets",
            "Packets delivered to their destination (receives), by sending chain and channel",
            m.packets.clone(),
        );
        registry.register(
            "acks",
            "Acknowledgements delivered back to the sending chain",
            m.acks.clone(),
        );
        registry.register(
            "timeouts",
            "Packets timed out on their sending chain (refunded)",
            m.timeouts.clone(),
        );
        registry.register(
            "poison_packets",
            "Packets skipped because their message fits in no transaction (counted each pass until they time out)",
            m.poison.clone(),
        );
        registry.register(
            "rpc_mismatch",
            "Packets and acks an RPC endpoint described with data that does not hash to the commitment proven on chain (never relayed; counted each pass while the endpoint keeps lying), by the chain whose endpoint it is",
            m.rpc_mismatch.clone(),
        );
        registry.register(
            "redundant_packets",
            "Packet messages another relayer had already delivered (the chain refused them as redundant)",
            m.redundant.clone(),
        );
        registry.register(
            "send_to_ack_seconds",
            "From the block that sent a packet to the block that holds its acknowledgement (packets whose receive this relayer delivered)",
            m.latency_seconds.clone(),
        );
        registry.register(
            "send_to_ack_blocks",
            "The same in blocks of the sending chain",
            m.latency_blocks.clone(),
        );
        registry.register("chain_height", "Latest height seen", m.chain_height.clone());
        registry.register(
            "client_height",
            "Latest height of each light client the relayer keeps",
            m.client_height.clone(),
        );
        registry.register(
            "client_expiry_seconds",
            "Seconds until each client expires unless updated (negative: expired)",
            m.client_expiry.clone(),
        );
        registry.register(
            "client_status",
            "Each light client's status: 0 active, 1 expired (no update within its trusting period), 2 frozen (misbehaviour submitted)",
            m.client_status.clone(),
        );
        registry.register(
            "balance",
            "The relayer account's balance on each chain, by denom",
            m.balance.clone(),
        );
        Metrics { registry, ..m }
    }

    /// Adds one pass's outcome, per direction (by the end packets left from).
    pub fn record(&self, pass: &[(End, Relayed)]) {
        self.passes.inc();
        for (from, r) in pass {
            let labels = FromLabels {
                src_chain: from.chain_id.clone(),
                src_channel: from.channel_id.clone(),
            };
            self.packets.get_or_create(&labels).inc_by(r.packets as u64);
            self.acks.get_or_create(&labels).inc_by(r.acks as u64);
            self.timeouts
                .get_or_create(&labels)
                .inc_by(r.timeouts as u64);
            self.poison
                .get_or_create(&labels)
                .inc_by(r.poisoned.len() as u64);
            self.pass_errors.inc_by(r.errors as u64);
            for (chain, _) in &r.mismatched {
                self.rpc_mismatch
                    .get_or_create(&ChainLabels {
                        chain: chain.clone(),
                    })
                    .inc();
            }
        }
        for l in pass.iter().flat_map(|(_, r)| &r.latencies) {
            let labels = FromLabels {
                src_chain: l.chain.clone(),
                src_channel: l.channel.clone(),
            };
            self.latency_seconds
                .get_or_create(&labels)
                .observe(l.seconds);
            self.latency_blocks
                .get_or_create(&labels)
                .observe(l.blocks as f64);
        }
    }

    /// The metrics in Prometheus' text format.
    pub fn encode(&self) -> String {
        estuary_client::openmetrics::encode_registry(&self.registry)
    }
}

/// Serves the metrics (any path) in the OpenMetrics text format, a task per scrape.
pub async fn serve(addr: String, metrics: Arc<Metrics>) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    tracing::info!(%addr, "metrics endpoint");
    estuary_client::openmetrics::serve_openmetrics(listener, Arc::new(move || metrics.encode()))
        .await
}
