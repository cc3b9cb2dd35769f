//! The node's Prometheus metrics (`prometheus-client`), served on `metrics_address` from
//! app.toml: what an operator watches — height, FinalizeBlock and Commit time, transactions per
//! block and their failures, CheckTx traffic and rejections, the store on disk, IBC packets and
//! escrow per channel. Recorded at the ABCI boundary (`abci.rs`), never inside consensus logic:
//! metrics cannot change a result.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use estuary_sdk::Event;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::app::TxOutcome;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabels {
    pub codespace: String,
    pub code: u32,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    pub result: &'static str,
}

/// An IBC packet event on this chain's end of a channel.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PacketLabels {
    pub channel: String,
    /// `sent`, `received`, `acknowledged`, `timed_out`.
    pub event: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EscrowLabels {
    pub channel: String,
    pub denom: String,
}

fn seconds() -> Histogram {
    // 100 µs to ~3 min.
    Histogram::new(exponential_buckets(0.0001, 2.5, 16))
}

fn counts() -> Histogram {
    Histogram::new(exponential_buckets(1.0, 2.0, 16))
}

pub struct NodeMetrics {
    registry: Registry,
    /// The state database file, whose size `store_size_bytes` reports.
    pub store_file: Option<std::path::PathBuf>,
    pub height: Gauge,
    pub finalize_block: Histogram,
    pub commit: Histogram,
    pub block_txs: Histogram,
    pub app_time_per_tx: Histogram,
    pub txs: Family<ResultLabels, Counter>,
    pub tx_failures: Family<CodeLabels, Counter>,
    pub check_tx: Family<ResultLabels, Counter>,
    pub check_tx_rejections: Family<CodeLabels, Counter>,
    pub store_bytes: Gauge,
    pub store_versions: Gauge,
    pub packets: Family<PacketLabels, Counter>,
    pub escrow: Family<EscrowLabels, Gauge<f64, AtomicU64>>,
}

impl Default for NodeMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl NodeMetrics {
    pub fn new() -> NodeMetrics {
        let mut r = Registry::with_prefix("estuary");
        let m = NodeMetrics {
            registry: Registry::default(),
            store_file: None,
            height: Gauge::default(),
            finalize_block: seconds(),
            commit: seconds(),
            block_txs: counts(),
            app_time_per_tx: seconds(),
            txs: Family::default(),
            tx_failures: Family::default(),
            check_tx: Family::default(),
            check_tx_rejections: Family::default(),
            store_bytes: Gauge::default(),
            store_versions: Gauge::default(),
            packets: Family::default(),
            escrow: Family::default(),
        };
        r.register(
            "block_height",
            "Height of the last committed block",
            m.height.clone(),
        );
        r.register(
            "finalize_block_seconds",
            "Time to execute a block (FinalizeBlock)",
            m.finalize_block.clone(),
        );
        r.register(
            "commit_seconds",
            "Time to commit a block's state (Commit)",
            m.commit.clone(),
        );
        r.register("block_txs", "Transactions per block", m.block_txs.clone());
        r.register(
            "app_time_per_tx_seconds",
            "FinalizeBlock time divided by the block's transactions (blocks with transactions)",
            m.app_time_per_tx.clone(),
        );
        r.register(
            "txs",
            "Transactions executed in blocks, by result (ok, failed)",
            m.txs.clone(),
        );
        r.register(
            "tx_failures",
            "Failed transactions in blocks, by codespace and code",
            m.tx_failures.clone(),
        );
        r.register(
            "check_tx",
            "CheckTx requests, by result (accepted, rejected)",
            m.check_tx.clone(),
        );
        r.register(
            "check_tx_rejections",
            "CheckTx rejections, by codespace and code",
            m.check_tx_rejections.clone(),
        );
        r.register(
            "store_size_bytes",
            "Size of the state database on disk",
            m.store_bytes.clone(),
        );
        r.register(
            "store_versions",
            "Versions of state kept (pruning keeps the recent ones)",
            m.store_versions.clone(),
        );
        r.register(
            "ibc_packets",
            "IBC packets by this chain's channel and event (sent, received, acknowledged, timed_out)",
            m.packets.clone(),
        );
        r.register(
            "ibc_escrow",
            "Tokens each transfer channel holds in escrow, by denom",
            m.escrow.clone(),
        );
        NodeMetrics { registry: r, ..m }
    }

    /// A block's results: counts, failures, and the IBC packet events in it.
    pub fn record_block(&self, took: Duration, txs: &[TxOutcome]) {
        self.finalize_block.observe(took.as_secs_f64());
        self.block_txs.observe(txs.len() as f64);
        if !txs.is_empty() {
            self.app_time_per_tx
                .observe(took.as_secs_f64() / txs.len() as f64);
        }
        for t in txs {
            if t.code == 0 {
                self.txs.get_or_create(&ResultLabels { result: "ok" }).inc();
                self.record_packets(&t.events);
            } else {
                self.txs
                    .get_or_create(&ResultLabels { result: "failed" })
                    .inc();
                self.tx_failures
                    .get_or_create(&CodeLabels {
                        codespace: t.codespace.clone(),
                        code: t.code,
                    })
                    .inc();
            }
        }
    }

    fn record_packets(&self, events: &[Event]) {
        for e in events {
            let (event, channel_key) = match e.kind.as_str() {
                "send_packet" => ("sent", "packet_src_channel"),
                "recv_packet" => ("received", "packet_dst_channel"),
                "acknowledge_packet" => ("acknowledged", "packet_src_channel"),
                "timeout_packet" => ("timed_out", "packet_src_channel"),
                _ => continue,
            };
            if let Some(a) = e.attributes.iter().find(|a| a.key == channel_key) {
                self.packets
                    .get_or_create(&PacketLabels {
                        channel: a.value.clone(),
                        event,
                    })
                    .inc();
            }
        }
    }

    pub fn record_check_tx(&self, code: u32, codespace: &str) {
        if code == 0 {
            self.check_tx
                .get_or_create(&ResultLabels { result: "accepted" })
                .inc();
        } else {
            self.check_tx
                .get_or_create(&ResultLabels { result: "rejected" })
                .inc();
            self.check_tx_rejections
                .get_or_create(&CodeLabels {
                    codespace: codespace.into(),
                    code,
                })
                .inc();
        }
    }

    /// The metrics in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        encode_registry(&self.registry)
    }
}

pub use estuary_client::openmetrics::{encode_registry, serve_openmetrics};

/// Serves the node's metrics on `addr`, on a thread and runtime of their own.
pub fn spawn_server(addr: String, metrics: Arc<NodeMetrics>) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind(&addr))?;
    tracing::info!(%addr, "metrics endpoint");
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            let render = Arc::new(move || metrics.encode());
            if let Err(e) = runtime.block_on(serve_openmetrics(listener, render)) {
                tracing::warn!("metrics endpoint stopped: {e:#}");
            }
        })?;
    Ok(())
}
