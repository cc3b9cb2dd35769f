//! `estuaryd hermes-config`: this chain's entry for a Hermes `config.toml`, from the node's own
//! settings, so a relayer carries the right proof specs, store prefix and periods.

use anyhow::{Context, Result};
use base64::Engine;

use super::Global;
use crate::config::AppToml;

#[derive(clap::Args)]
pub struct HermesArgs {
    /// The Hermes key name that pays for relaying on this chain.
    #[arg(long, default_value = "relayer")]
    pub key_name: String,
    /// Gas price in `stake` per unit of gas.
    #[arg(long, default_value_t = 0.0)]
    pub gas_price: f64,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The proof specs as the JSON Hermes reads (protobuf JSON: enums as numbers, bytes as base64).
pub fn proof_specs_json() -> serde_json::Value {
    let specs: Vec<serde_json::Value> = estuary_sdk::store::proof_specs()
        .iter()
        .map(|s| {
            let leaf = s.leaf_spec.clone().unwrap_or_default();
            let inner = s.inner_spec.clone().unwrap_or_default();
            serde_json::json!({
                "leaf_spec": {
                    "hash": leaf.hash, "prehash_key": leaf.prehash_key, "prehash_value": leaf.prehash_value,
                    "length": leaf.length, "prefix": b64(&leaf.prefix),
                },
                "inner_spec": {
                    "child_order": inner.child_order, "child_size": inner.child_size,
                    "min_prefix_length": inner.min_prefix_length, "max_prefix_length": inner.max_prefix_length,
                    "empty_child": b64(&inner.empty_child), "hash": inner.hash,
                },
                "max_depth": s.max_depth, "min_depth": s.min_depth,
                "prehash_key_before_comparison": s.prehash_key_before_comparison,
            })
        })
        .collect();
    serde_json::Value::Array(specs)
}

pub fn run(g: &Global, a: HermesArgs) -> Result<()> {
    let home = g.home();
    let app = AppToml::load(&home.app_toml())?;
    let genesis = estuary_genesis::GenesisDoc::load(&home.genesis())?;
    let params = genesis.app_state.ibc.params.clone();
    // Trust two thirds of the unbonding period, as Hermes does by default.
    let trusting_secs = params.unbonding_period_secs * 2 / 3;
    let specs = serde_json::to_string_pretty(&proof_specs_json()).context("proof specs")?;
    let grpc = format!("http://{}", app.grpc_address);
    let rpc = app.cometbft_rpc.clone();
    let ws = rpc.replacen("http://", "ws://", 1) + "/websocket";
    println!(
        r#"[[chains]]
id = "{chain_id}"
type = "CosmosSdk"
rpc_addr = "{rpc}"
grpc_addr = "{grpc}"
event_source = {{ mode = "push", url = "{ws}", batch_delay = "500ms" }}
rpc_timeout = "10s"
account_prefix = "{prefix}"
key_name = "{key}"
store_prefix = "ibc"
# Used when Hermes cannot simulate (the second tx of a batch whose client update is still in the
# mempool): enough for max_msg_num receives at ~50k gas each.
default_gas = 3000000
max_gas = 10000000
gas_price = {{ price = {price:?}, denom = "stake" }}
gas_multiplier = 1.3
max_msg_num = 30
max_tx_size = 180000
clock_drift = "10s"
max_block_time = "{max_block}s"
trusting_period = "{trusting_secs}s"
trust_threshold = "1/3"
address_type = {{ derivation = "cosmos" }}
# Estuary's state is a Jellyfish Merkle tree at both levels; clients must carry these specs.
proof_specs = '''
{specs}
'''
"#,
        chain_id = genesis.chain_id,
        prefix = estuary_sdk::ACCOUNT_PREFIX,
        key = a.key_name,
        price = a.gas_price,
        max_block = params.max_expected_time_per_block_secs,
    );
    let _ = g;
    Ok(())
}
