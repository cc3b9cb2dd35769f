//! Relay progress: kept in memory for the Prometheus endpoint and written to a file after each
//! pass (what was relayed and the heights it reached). Correctness never depends on the file —
//! every pass re-derives what is owed from both chains — but it tells an operator where a
//! restarted relayer picks up.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
    /// Heights of each chain at the end of the last good pass.
    pub heights: Vec<(String, u64)>,
    /// Each side's client of the other, and its latest height.
    pub client_heights: Vec<(String, u64)>,
}

impl Progress {
    pub fn path(state_dir: &Path, a: &str, b: &str) -> PathBuf {
        state_dir.join(format!("progress-{a}--{b}.json"))
    }

    pub fn load(path: &Path) -> Progress {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
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
    }

    fn prometheus(&self) -> String {
        let mut out = String::new();
        for (name, help, v) in [
            (
                "estuary_relayer_passes_total",
                "relay passes completed",
                self.passes,
            ),
            (
                "estuary_relayer_errors_total",
                "relay passes that failed",
                self.errors,
            ),
            (
                "estuary_relayer_packets_total",
                "packets relayed (receives)",
                self.packets,
            ),
            (
                "estuary_relayer_acks_total",
                "acknowledgements relayed",
                self.acks,
            ),
            (
                "estuary_relayer_timeouts_total",
                "packets timed out",
                self.timeouts,
            ),
            (
                "estuary_relayer_poison_packets_total",
                "packets skipped because their message cannot fit in a transaction",
                self.poisoned,
            ),
        ] {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}\n"
            ));
        }
        out.push_str("# HELP estuary_relayer_chain_height latest height seen\n# TYPE estuary_relayer_chain_height gauge\n");
        for (chain, h) in &self.heights {
            out.push_str(&format!(
                "estuary_relayer_chain_height{{chain=\"{chain}\"}} {h}\n"
            ));
        }
        out.push_str("# HELP estuary_relayer_client_height latest height of each client\n# TYPE estuary_relayer_client_height gauge\n");
        for (client, h) in &self.client_heights {
            out.push_str(&format!(
                "estuary_relayer_client_height{{on=\"{client}\"}} {h}\n"
            ));
        }
        out
    }
}

/// Serves `/metrics` (any path) in Prometheus' text format.
pub async fn serve(addr: String, progress: Arc<Mutex<Progress>>) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    tracing::info!(%addr, "metrics endpoint");
    loop {
        let (mut sock, _) = listener.accept().await?;
        let mut buf = [0u8; 1024];
        let _ = sock.read(&mut buf).await;
        let body = progress.lock().map(|p| p.prometheus()).unwrap_or_default();
        let reply = format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        let _ = sock.write_all(reply.as_bytes()).await;
    }
}
