//! The node's home directory and estuaryd's own settings (`config/app.toml`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use estuary_sdk::GasPrice;

/// Paths inside a node home. CometBFT and estuaryd share the home, as in a Cosmos SDK node.
#[derive(Clone, Debug)]
pub struct Home(pub PathBuf);

impl Home {
    pub fn config_dir(&self) -> PathBuf {
        self.0.join("config")
    }
    pub fn data_dir(&self) -> PathBuf {
        self.0.join("data")
    }
    pub fn genesis(&self) -> PathBuf {
        self.config_dir().join("genesis.json")
    }
    pub fn app_toml(&self) -> PathBuf {
        self.config_dir().join("app.toml")
    }
    pub fn cometbft_toml(&self) -> PathBuf {
        self.config_dir().join("config.toml")
    }
    pub fn priv_validator_key(&self) -> PathBuf {
        self.config_dir().join("priv_validator_key.json")
    }
    pub fn node_key(&self) -> PathBuf {
        self.config_dir().join("node_key.json")
    }
    pub fn state_db(&self) -> PathBuf {
        self.data_dir().join("estuary.redb")
    }
    pub fn keyring_dir(&self, backend: &str) -> PathBuf {
        self.0.join(format!("keyring-{backend}"))
    }
}

/// estuaryd's settings; CometBFT's stay in `config.toml`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct AppToml {
    /// Where the ABCI server listens for CometBFT.
    pub abci_address: String,
    /// Versions of state to keep behind the latest (0 keeps all).
    pub pruning_keep_recent: u64,
    /// Blocks CometBFT must keep (0 keeps all); returned as Commit's retain height.
    pub min_retain_blocks: u64,
    /// The least fee per gas this node's mempool accepts, e.g. "0.025stake" (empty: none).
    pub minimum_gas_prices: String,
    /// Where the gRPC server listens (empty: no gRPC server).
    pub grpc_address: String,
    /// Where the REST (LCD) API listens, the SDK's gRPC-gateway routes (empty: not served, the
    /// default, as the SDK's `[api] enable = false`).
    pub api_address: String,
    /// Let browsers on any origin call the REST API (the SDK's `enabled-unsafe-cors`).
    pub api_enable_unsafe_cors: bool,
    /// CometBFT's RPC, which the gRPC tx and node services consult.
    pub cometbft_rpc: String,
    /// Where estuaryd serves Prometheus metrics (empty: not served).
    pub metrics_address: String,
    /// `text` or `json` (`--log-format` overrides).
    pub log_format: String,
    /// A tracing filter such as `info` or `estuary_app=debug,info` (`--log-level` overrides).
    pub log_level: String,
    /// Write a state-sync snapshot every this many blocks (0: never), keeping the newest
    /// `snapshot_keep_recent`; chunks hold up to `snapshot_chunk_bytes` of state.
    pub snapshot_interval: u64,
    pub snapshot_keep_recent: u32,
    pub snapshot_chunk_bytes: usize,
    /// The state store's page cache in MiB: with the allocator returning what a large block
    /// freed, it is what bounds estuaryd's resident memory, whatever the state size.
    pub store_cache_mb: usize,
    /// Event attributes CometBFT indexes for `tx_search`, as `type.key` (the SDK's
    /// `index-events`); empty: all of them. Indexing is CometBFT's largest per-transaction cost;
    /// a node that serves relayers must keep the IBC packet events.
    pub index_events: Vec<String>,
    /// Seconds a node stopped for an IBC upgrade (one that changes the chain's client state,
    /// e.g. its chain id) keeps its RPC and queries up before it exits, so that relayers can
    /// read the last header and prove the upgraded client to every counterparty
    /// (`MsgUpgradeClient`). An SDK node stays up until it is killed; a plain upgrade exits at
    /// once, as before.
    pub ibc_upgrade_halt_grace_secs: u64,
}

impl Default for AppToml {
    fn default() -> Self {
        AppToml {
            abci_address: "127.0.0.1:26658".into(),
            pruning_keep_recent: 0,
            min_retain_blocks: 0,
            minimum_gas_prices: String::new(),
            grpc_address: "127.0.0.1:9090".into(),
            api_address: String::new(),
            api_enable_unsafe_cors: false,
            cometbft_rpc: "http://127.0.0.1:26657".into(),
            metrics_address: String::new(),
            log_format: "text".into(),
            log_level: "info".into(),
            snapshot_interval: 0,
            snapshot_keep_recent: 2,
            snapshot_chunk_bytes: 4 << 20,
            store_cache_mb: estuary_store::DEFAULT_CACHE_BYTES >> 20,
            index_events: Vec::new(),
            ibc_upgrade_halt_grace_secs: 30,
        }
    }
}

impl AppToml {
    pub fn load(path: &Path) -> Result<AppToml> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let text = toml::to_string_pretty(self)?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
    }

    pub fn gas_prices(&self) -> Result<Vec<GasPrice>> {
        parse_gas_prices(&self.minimum_gas_prices)
    }
}

pub use estuary_client::gas::parse_gas_prices;

pub use estuary_client::files::write_private;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_prices_parse() {
        let p = parse_gas_prices("0.025stake, 2uatom").unwrap();
        assert_eq!(
            p[0],
            GasPrice {
                micro_amount: 25_000,
                denom: "stake".into()
            }
        );
        assert_eq!(
            p[1],
            GasPrice {
                micro_amount: 2_000_000,
                denom: "uatom".into()
            }
        );
        assert!(parse_gas_prices("stake").is_err());
        assert!(parse_gas_prices("0.0000001stake").is_err());
    }
}
