use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// The IBC slice of genesis.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IbcGenesis {
    pub params: IbcParams,
    /// This chain's recent header data, kept across an export so clients of this chain can still
    /// be checked against it (and so an import reproduces the app hash).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub host_headers: Vec<GenesisHostHeader>,
    /// IBC core's state — clients and their consensus states, connections, channels, sequences,
    /// packet commitments, receipts and acknowledgements — as the entries of the `ibc` substore
    /// (keys are ICS-24 paths, in hex because consensus-state iteration keys hold binary
    /// heights; values as stored, in hex), so an exported chain imports with its links intact and the
    /// same app hash. Written by export; a new chain has none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub store: Vec<GenesisStoreEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisStoreEntry {
    pub key: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisHostHeader {
    pub height: u64,
    /// Nanoseconds since the Unix epoch, as a decimal string.
    pub time: String,
    pub app_hash: String,
    pub next_validators_hash: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize)]
#[serde(default)]
pub struct IbcParams {
    /// How many past heights of this chain's own header data to keep (ibc-go keeps this in
    /// staking's `historical_entries`). Counterparty clients of this chain are checked against it.
    pub historical_entries: u64,
    pub send_enabled: bool,
    pub receive_enabled: bool,
    /// This chain has no staking; this is the unbonding period clients of it must carry, and what
    /// `/cosmos.staking.v1beta1.Query/Params` reports (ibc-go's default, 21 days).
    pub unbonding_period_secs: u64,
    /// ibc-go's `max_expected_time_per_block` (30 s), used for connection delays.
    pub max_expected_time_per_block_secs: u64,
}

impl Default for IbcParams {
    fn default() -> Self {
        IbcParams {
            historical_entries: 10_000,
            send_enabled: true,
            receive_enabled: true,
            unbonding_period_secs: 21 * 24 * 3600,
            max_expected_time_per_block_secs: 30,
        }
    }
}
