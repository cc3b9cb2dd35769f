//! `estuaryd chain-info keplr|registry`: how wallets and the ecosystem's registry describe this
//! chain — Keplr's `ChainInfo` (what `experimentalSuggestChain` takes) and the cosmos
//! chain-registry's `chain.json` and `assetlist.json` — built from the node's home (genesis,
//! app.toml's minimum gas prices) so that they say what the chain really is.

use anyhow::{Context, Result};
use estuary_client::chain_info::{
    keplr, registry_assetlist, registry_chain, rest_beside, write_document, ChainFacts,
};
use serde_json::json;

use super::Global;
use crate::config::AppToml;

#[derive(clap::Subcommand)]
pub enum ChainInfoCmd {
    /// Keplr's ChainInfo (bech32 prefixes, BIP-44 coin type 118, currencies, fee currencies
    /// with gas price steps from app.toml's minimum_gas_prices).
    Keplr(ChainInfoArgs),
    /// chain-registry's chain.json and assetlist.json, printed as {"chain": …, "assetlist": …}
    /// (`--write DIR` writes the two files instead).
    Registry(RegistryArgs),
}

#[derive(clap::Args)]
pub struct ChainInfoArgs {
    /// The public CometBFT RPC endpoint wallets should use (default: the node this home's
    /// client.toml names, over http).
    #[arg(long)]
    pub rpc: Option<String>,
    /// The public REST (LCD) endpoint (default: port 1317, the Cosmos convention, on the RPC's
    /// host).
    #[arg(long)]
    pub rest: Option<String>,
    /// The chain's display name (default: the chain id without its revision).
    #[arg(long)]
    pub pretty_name: Option<String>,
    /// Mark the chain as a testnet (Keplr's `isTestnet`, the registry's `network_type`).
    #[arg(long)]
    pub testnet: bool,
}

#[derive(clap::Args)]
pub struct RegistryArgs {
    #[command(flatten)]
    pub info: ChainInfoArgs,
    /// Write `chain.json` and `assetlist.json` into this directory.
    #[arg(long)]
    pub write: Option<std::path::PathBuf>,
}

pub fn run(g: &Global, cmd: ChainInfoCmd) -> Result<()> {
    match cmd {
        ChainInfoCmd::Keplr(a) => {
            let facts = facts(g, &a)?;
            println!("{}", serde_json::to_string_pretty(&keplr(&facts))?);
        }
        ChainInfoCmd::Registry(r) => {
            let facts = facts(g, &r.info)?;
            let (chain, assets) = (registry_chain(&facts), registry_assetlist(&facts));
            match r.write {
                Some(dir) => {
                    write_document(&dir, "chain.json", &chain)?;
                    write_document(&dir, "assetlist.json", &assets)?;
                }
                None => println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({ "chain": chain, "assetlist": assets }))?
                ),
            }
        }
    }
    Ok(())
}

fn facts(g: &Global, a: &ChainInfoArgs) -> Result<ChainFacts> {
    let home = g.home();
    let genesis = estuary_genesis::GenesisDoc::load(&home.genesis())?;
    let app = AppToml::load(&home.app_toml())?;
    let rpc = match &a.rpc {
        Some(url) => url.clone(),
        None => {
            let client = super::client_config::ClientToml::load(
                &super::client_config::ClientToml::path(&home),
            )?;
            client
                .map(|c| c.node)
                .unwrap_or_else(|| app.cometbft_rpc.clone())
                .replacen("tcp://", "http://", 1)
        }
    };
    let rest = match &a.rest {
        Some(url) => url.clone(),
        None => rest_beside(&rpc)?,
    };
    let prices = app
        .gas_prices()
        .context("app.toml minimum_gas_prices")?
        .into_iter()
        .map(|p| (p.denom, p.micro_amount as f64 / 1e6))
        .collect::<Vec<_>>();
    let supply = genesis
        .app_state
        .bank
        .supply
        .iter()
        .map(|c| c.denom.to_string())
        .chain(
            genesis
                .app_state
                .bank
                .balances
                .iter()
                .flat_map(|b| b.coins.iter().map(|c| c.denom.to_string())),
        );
    let mut facts = ChainFacts::new(
        &genesis.chain_id,
        (rpc, rest),
        supply,
        prices,
        env!("CARGO_PKG_VERSION"),
    );
    if let Some(name) = &a.pretty_name {
        facts.pretty_name = name.clone();
    }
    facts.testnet = a.testnet;
    Ok(facts)
}
