//! The relayer's configuration file (TOML).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// Where the relayer keeps what it has linked and how far it has scanned.
    pub state_dir: PathBuf,
    pub chains: Vec<ChainConfig>,
    /// What `start` with no chains named relays: one task per path and channel.
    #[serde(default)]
    pub paths: Vec<PathConfig>,
}

/// A pair of chains to relay between, and which of `a`'s transfer channels to relay.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PathConfig {
    pub a: String,
    pub b: String,
    /// The packet filter: channels on `a` (port `transfer`) whose packets, acks and timeouts this
    /// path relays, both ways. Empty: the channel `link` opened between the two chains.
    #[serde(default)]
    pub channels: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChainConfig {
    pub id: String,
    /// CometBFT RPC, e.g. `http://127.0.0.1:26657`.
    pub rpc: String,
    /// The relayer's key, from one of two places. An estuaryd home whose keyring (backend
    /// `keyring_backend`) holds the key named `key`; the `file` backend's passphrase comes from
    /// the environment variable `ESTUARY_KEYRING_PASSPHRASE`, never from this file.
    #[serde(default)]
    pub key_home: Option<PathBuf>,
    #[serde(default = "default_key")]
    pub key: String,
    #[serde(default)]
    pub keyring_backend: KeyringBackend,
    /// Or a file holding a BIP-39 mnemonic (the key at m/44'/118'/0'/0/0, as `keys add
    /// --recover` derives it). It should be readable by its owner only; the relayer warns if not.
    #[serde(default)]
    pub mnemonic_file: Option<PathBuf>,
    /// The chain's bech32 account prefix (`estuary`; `cosmos` for simd).
    #[serde(default = "default_prefix")]
    pub account_prefix: String,
    /// How the chain commits its state, which decides the proof specs its clients carry and how
    /// the relayer checks its proofs.
    #[serde(default)]
    pub store: StoreKind,
    /// The most gas one relayer transaction may claim. Each transaction is simulated and claims
    /// what the simulation measured times `gas_adjustment`, up to this.
    #[serde(default = "default_gas")]
    pub gas_limit: u64,
    #[serde(default = "default_gas_adjustment")]
    pub gas_adjustment: f64,
    /// Fee per unit of gas, e.g. `0.025stake` (empty: no fee, for chains without a minimum).
    #[serde(default)]
    pub gas_price: String,
    /// How long a client of this chain trusts a header (must be below the unbonding period).
    #[serde(default = "default_trusting")]
    pub trusting_period_secs: u64,
    #[serde(default = "default_unbonding")]
    pub unbonding_period_secs: u64,
    #[serde(default = "default_drift")]
    pub clock_drift_secs: u64,
    /// A second RPC endpoint of this chain (another operator's node), as Hermes' witness: every
    /// header of this chain the relayer is about to hand a counterparty is compared with the
    /// witness's at that height. Two validly signed headers that differ are misbehaviour: the
    /// relayer submits both (`MsgSubmitMisbehaviour`), which freezes the client.
    #[serde(default)]
    pub witness_rpc: Option<String>,
    #[serde(default = "default_batch")]
    pub max_msgs_per_tx: usize,
    /// The largest transaction this chain's nodes accept, in bytes. Batches are cut to fit:
    /// Estuary refuses transactions above its `max_tx_bytes` (262,144), CometBFT's mempool above
    /// its `max_tx_bytes` (1 MiB by default). Hermes' default `max_tx_size` is the same 180,000.
    #[serde(default = "default_max_tx_bytes")]
    pub max_tx_bytes: usize,
}

/// Where a keyring keeps its keys: the SDK's `test` (plain, localnets) or `file` (sealed with a
/// passphrase).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyringBackend {
    #[default]
    Test,
    File,
}

/// The two state commitments the relayer knows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoreKind {
    /// Estuary: Jellyfish Merkle trees at both levels.
    #[default]
    Jmt,
    /// A Cosmos SDK chain (ibc-go): IAVL substores under a simple-merkle multistore.
    CosmosSdk,
}

impl StoreKind {
    pub fn proof_specs(self) -> Vec<ics23::ProofSpec> {
        match self {
            StoreKind::Jmt => estuary_sdk::store::proof_specs(),
            StoreKind::CosmosSdk => estuary_sdk::store::cosmos_sdk_proof_specs(),
        }
    }
}

fn default_key() -> String {
    "relayer".into()
}
fn default_prefix() -> String {
    estuary_sdk::ACCOUNT_PREFIX.into()
}
fn default_gas() -> u64 {
    20_000_000
}
fn default_gas_adjustment() -> f64 {
    1.3
}
fn default_trusting() -> u64 {
    14 * 86_400
}
fn default_unbonding() -> u64 {
    21 * 86_400
}
fn default_drift() -> u64 {
    20
}
fn default_batch() -> usize {
    50
}
fn default_max_tx_bytes() -> usize {
    180_000
}

impl Config {
    pub fn load(path: &Path) -> Result<Config> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// The paths `start` relays: the configured ones, or the one pair named on the command line
    /// (with its configured channel filter, if the config has that pair).
    pub fn paths_to_run(&self, named: Option<(&str, &str)>) -> Result<Vec<PathConfig>> {
        match named {
            Some((a, b)) => Ok(vec![self
                .paths
                .iter()
                .find(|p| p.a == a && p.b == b)
                .cloned()
                .unwrap_or_else(|| PathConfig {
                    a: a.into(),
                    b: b.into(),
                    channels: vec![],
                })]),
            None if self.paths.is_empty() => {
                anyhow::bail!("name two chains, or list [[paths]] in the config")
            }
            None => Ok(self.paths.clone()),
        }
    }

    pub fn chain(&self, id: &str) -> Result<&ChainConfig> {
        self.chains
            .iter()
            .find(|c| c.id == id)
            .with_context(|| format!("chain {id} is not in the config"))
    }
}
