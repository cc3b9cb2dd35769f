//! How wallets and the cosmos chain-registry describe a chain: Keplr's `ChainInfo` (what
//! `experimentalSuggestChain` takes), the registry's `chain.json`, `assetlist.json` and an IBC
//! path file (`_IBC/<a>-<b>.json`). Pure functions of a chain's facts, shared by `estuaryd
//! chain-info` and `estuary-relayer ibc-path`.

use std::collections::BTreeSet;

use anyhow::{bail, Result};
use serde_json::{json, Value};

/// What the documents are made from.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainFacts {
    pub chain_id: String,
    /// The chain id without its `-N` revision: the registry's `chain_name`.
    pub name: String,
    pub pretty_name: String,
    pub rpc: String,
    pub rest: String,
    pub testnet: bool,
    /// The node software's version (the registry's `recommended_version`).
    pub version: String,
    /// Every denomination of the chain's own (vouchers of other chains left out), sorted.
    pub denoms: Vec<String>,
    /// Fee denominations with their minimum price per unit of gas.
    pub fee_prices: Vec<(String, f64)>,
}

impl ChainFacts {
    /// The facts from their sources: IBC vouchers (`ibc/…`) are the counterparty's assets, not
    /// this chain's, and are left out; fee denominations are assets too. The display name is the
    /// chain name and the chain a mainnet until said otherwise.
    pub fn new(
        chain_id: &str,
        (rpc, rest): (String, String),
        denoms: impl IntoIterator<Item = String>,
        fee_prices: Vec<(String, f64)>,
        version: &str,
    ) -> ChainFacts {
        let name = chain_name(chain_id);
        let denoms: BTreeSet<String> = denoms
            .into_iter()
            .chain(fee_prices.iter().map(|(d, _)| d.clone()))
            .filter(|d| !d.starts_with("ibc/"))
            .collect();
        ChainFacts {
            chain_id: chain_id.to_string(),
            pretty_name: name.clone(),
            name,
            rpc,
            rest,
            testnet: false,
            version: version.to_string(),
            denoms: denoms.into_iter().collect(),
            fee_prices,
        }
    }
}

/// The registry's `chain_name`: the chain id without its `-N` revision.
pub fn chain_name(chain_id: &str) -> String {
    match chain_id.rsplit_once('-') {
        Some((stem, rev)) if !stem.is_empty() && rev.parse::<u64>().is_ok() => stem.to_string(),
        _ => chain_id.to_string(),
    }
}

/// `http://host:1317` for an RPC URL `http://host:port`.
pub fn rest_beside(rpc: &str) -> Result<String> {
    let (scheme, rest) = rpc.split_once("://").unwrap_or(("http", rpc));
    let host_port = rest.split('/').next().unwrap_or_default();
    let host = match host_port.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() => h,
        _ => host_port,
    };
    if host.is_empty() {
        bail!("no host in the RPC address {rpc:?}: give --rest");
    }
    Ok(format!("{scheme}://{host}:1317"))
}

/// A display symbol for a base denomination: `stake` → `STAKE`, `uatom` → `UATOM` (no denom
/// metadata on this chain: every unit is the base unit, 0 decimals).
fn symbol(denom: &str) -> String {
    denom.to_uppercase()
}

/// The gas price steps Keplr offers: the node's minimum, twice it, four times it.
fn gas_steps(min: f64) -> Value {
    json!({ "low": min, "average": min * 2.0, "high": min * 4.0 })
}

pub fn keplr(f: &ChainFacts) -> Value {
    let prefix = estuary_sdk::ACCOUNT_PREFIX;
    let currency =
        |d: &str| json!({ "coinDenom": symbol(d), "coinMinimalDenom": d, "coinDecimals": 0 });
    let fee_currencies: Vec<Value> = f
        .fee_prices
        .iter()
        .map(|(d, p)| {
            json!({
                "coinDenom": symbol(d),
                "coinMinimalDenom": d,
                "coinDecimals": 0,
                "gasPriceStep": gas_steps(*p),
            })
        })
        .collect();
    json!({
        "rpc": f.rpc,
        "rest": f.rest,
        "chainId": f.chain_id,
        "chainName": f.pretty_name,
        "bip44": { "coinType": 118 },
        "bech32Config": {
            "bech32PrefixAccAddr": prefix,
            "bech32PrefixAccPub": format!("{prefix}pub"),
            "bech32PrefixValAddr": format!("{prefix}valoper"),
            "bech32PrefixValPub": format!("{prefix}valoperpub"),
            "bech32PrefixConsAddr": estuary_sdk::address::CONSENSUS_PREFIX,
            "bech32PrefixConsPub": format!("{prefix}valconspub"),
        },
        "currencies": f.denoms.iter().map(|d| currency(d)).collect::<Vec<_>>(),
        "feeCurrencies": fee_currencies,
        // Protobuf transactions (no legacy StdTx), ICS-20 with ibc-go's MsgTransfer (memo).
        "features": ["ibc-transfer", "ibc-go"],
        "isTestnet": f.testnet,
    })
}

pub fn registry_chain(f: &ChainFacts) -> Value {
    let fee_tokens: Vec<Value> = f
        .fee_prices
        .iter()
        .map(|(d, p)| {
            json!({
                "denom": d,
                "fixed_min_gas_price": p,
                "low_gas_price": p,
                "average_gas_price": p * 2.0,
                "high_gas_price": p * 4.0,
            })
        })
        .collect();
    json!({
        "$schema": "../chain.schema.json",
        "chain_name": f.name,
        "chain_type": "cosmos",
        "chain_id": f.chain_id,
        "pretty_name": f.pretty_name,
        "status": "live",
        "network_type": if f.testnet { "testnet" } else { "mainnet" },
        "bech32_prefix": estuary_sdk::ACCOUNT_PREFIX,
        "daemon_name": "estuaryd",
        "node_home": "$HOME/.estuary",
        "key_algos": ["secp256k1"],
        "slip44": 118,
        "fees": { "fee_tokens": fee_tokens },
        "codebase": {
            "recommended_version": format!("v{}", f.version),
            "language": { "type": "rust" },
            "sdk": { "type": "other" },
            "consensus": { "type": "cometbft", "version": "0.38" },
            "ibc": { "type": "rust", "ics_enabled": ["ics20-1"] },
        },
        "apis": {
            "rpc": [{ "address": f.rpc }],
            "rest": [{ "address": f.rest }],
        },
    })
}

pub fn registry_assetlist(f: &ChainFacts) -> Value {
    let assets: Vec<Value> = f
        .denoms
        .iter()
        .map(|d| {
            json!({
                "description": format!("The {d} token of {}", f.pretty_name),
                "denom_units": [{ "denom": d, "exponent": 0 }],
                "type_asset": "sdk.coin",
                "base": d,
                "name": symbol(d),
                "display": d,
                "symbol": symbol(d),
            })
        })
        .collect();
    json!({
        "$schema": "../assetlist.schema.json",
        "chain_name": f.name,
        "assets": assets,
    })
}

/// One end of a linked transfer channel, as the chain-registry's IBC path file names it.
#[derive(Clone, Copy, Debug)]
pub struct PathEnd<'a> {
    pub chain_id: &'a str,
    pub client_id: &'a str,
    pub connection_id: &'a str,
    pub port_id: &'a str,
    pub channel_id: &'a str,
}

/// The chain-registry's IBC path file for one channel between two chains: its file name
/// (`<name>-<name>.json`, the names in alphabetical order, as the registry's `_IBC/` folder
/// keeps them) and its document (`chain_1` is the chain whose name sorts first).
pub fn ibc_path(a: PathEnd<'_>, b: PathEnd<'_>) -> (String, Value) {
    let (first, second) = if chain_name(a.chain_id) <= chain_name(b.chain_id) {
        (a, b)
    } else {
        (b, a)
    };
    let chain = |e: &PathEnd<'_>| {
        json!({
            "chain_name": chain_name(e.chain_id),
            "client_id": e.client_id,
            "connection_id": e.connection_id,
        })
    };
    let channel = |e: &PathEnd<'_>| json!({ "channel_id": e.channel_id, "port_id": e.port_id });
    let file = format!(
        "{}-{}.json",
        chain_name(first.chain_id),
        chain_name(second.chain_id)
    );
    let doc = json!({
        "$schema": "../ibc_data.schema.json",
        "chain_1": chain(&first),
        "chain_2": chain(&second),
        "channels": [{
            "chain_1": channel(&first),
            "chain_2": channel(&second),
            "ordering": "unordered",
            "version": "ics20-1",
            "tags": { "status": "live", "preferred": true },
        }],
    });
    (file, doc)
}

/// Writes `doc` as `dir/file` (pretty JSON, the registry's layout; `dir` made if missing) and
/// says so on stderr.
pub fn write_document(dir: &std::path::Path, file: &str, doc: &Value) -> Result<()> {
    use anyhow::Context;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(file);
    std::fs::write(&path, serde_json::to_string_pretty(doc)? + "\n")
        .with_context(|| format!("writing {}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn sample() -> ChainFacts {
        let mut f = ChainFacts::new(
            "estuary-a-1",
            (
                "http://rpc.example.org:26657".into(),
                rest_beside("http://rpc.example.org:26657").unwrap(),
            ),
            [
                "stake".to_string(),
                "ibc/ABC".into(),
                "uatom".into(),
                "stake".into(),
            ],
            vec![("stake".into(), 0.0025)],
            "0.1.0",
        );
        f.testnet = true;
        f
    }

    #[test]
    fn the_documents_say_what_the_chain_is() {
        let f = sample();
        assert_eq!(f.name, "estuary-a");
        assert_eq!(f.rest, "http://rpc.example.org:1317");
        assert_eq!(
            f.denoms,
            ["stake", "uatom"],
            "vouchers are not this chain's assets"
        );
        let k = keplr(&f);
        assert_eq!(k["chainId"], "estuary-a-1");
        assert_eq!(k["bip44"]["coinType"], 118);
        assert_eq!(k["bech32Config"]["bech32PrefixValAddr"], "estuaryvaloper");
        assert_eq!(k["feeCurrencies"][0]["gasPriceStep"]["low"], 0.0025);
        assert_eq!(k["feeCurrencies"][0]["gasPriceStep"]["high"], 0.01);
        assert_eq!(k["currencies"].as_array().unwrap().len(), 2);
        let c = registry_chain(&f);
        assert_eq!(c["chain_name"], "estuary-a");
        assert_eq!(c["network_type"], "testnet");
        assert_eq!(c["fees"]["fee_tokens"][0]["denom"], "stake");
        let a = registry_assetlist(&f);
        assert_eq!(a["assets"][1]["base"], "uatom");
    }

    #[test]
    fn an_ibc_path_names_the_chains_in_the_registrys_order() {
        let end = |chain_id, n| PathEnd {
            chain_id,
            client_id: if n == 0 {
                "07-tendermint-0"
            } else {
                "07-tendermint-1"
            },
            connection_id: "connection-0",
            port_id: "transfer",
            channel_id: if n == 0 { "channel-0" } else { "channel-3" },
        };
        let (file, doc) = ibc_path(end("osmo-test-5", 0), end("estuary-a-1", 1));
        assert_eq!(file, "estuary-a-osmo-test.json");
        assert_eq!(doc["chain_1"]["chain_name"], "estuary-a");
        assert_eq!(doc["chain_1"]["client_id"], "07-tendermint-1");
        assert_eq!(doc["channels"][0]["chain_1"]["channel_id"], "channel-3");
        assert_eq!(doc["channels"][0]["chain_2"]["channel_id"], "channel-0");
    }

    #[test]
    fn a_chain_id_without_revision_is_its_own_name() {
        let f = ChainFacts::new(
            "estuary",
            ("http://h:1".into(), "http://h:2".into()),
            [],
            vec![],
            "0",
        );
        assert_eq!(f.name, "estuary");
        assert!(rest_beside("http://:26657").is_err());
    }
}
