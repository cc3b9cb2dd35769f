//! State-size benchmark helpers (driven by `bench/scale`):
//! - `genesis-accounts` adds N funded accounts to a genesis file, in Estuary's or the Cosmos
//!   SDK's shape, so both chains start from the same state size;
//! - `proven-query` measures the latency of proven balance reads (`store/<substore>/key` with
//!   `prove=true`) of those accounts, as a light client or relayer issues them.
//!
//! The accounts are derived from their index (no keys: they are only state), so the query side
//! can pick any of them without reading the genesis back.

use std::io::{BufReader, BufWriter};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use cosmrs::AccountId;
use estuary_client::node::Node;
use rand::Rng;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::Digest;
use tendermint_rpc::Client;

/// Which chain's genesis and store layout.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Flavour {
    Estuary,
    /// ibc-go's simd (Cosmos SDK v0.50).
    Sdk,
}

#[derive(clap::Args)]
pub struct GenesisArgs {
    /// The genesis file to extend (rewritten in place).
    #[arg(long)]
    genesis: PathBuf,
    /// Accounts to add.
    #[arg(long)]
    accounts: u64,
    #[arg(long, value_enum, default_value = "estuary")]
    flavour: Flavour,
    /// The chain's bech32 account prefix.
    #[arg(long, default_value = estuary_sdk::ACCOUNT_PREFIX)]
    prefix: String,
    #[arg(long, default_value = "stake")]
    denom: String,
    /// Balance of each added account.
    #[arg(long, default_value_t = 1_000_000)]
    amount: u128,
}

/// The 20 address bytes of bench account `i`: distinct, spread over the key space as real
/// addresses are (they are hashes).
fn account_bytes(i: u64) -> [u8; 20] {
    let digest =
        sha2::Sha256::digest([b"estuary-bench-account/".as_slice(), &i.to_be_bytes()].concat());
    let mut out = [0u8; 20];
    out.copy_from_slice(&digest[..20]);
    out
}

fn bech32(prefix: &str, bytes: &[u8]) -> Result<String> {
    Ok(AccountId::new(prefix, bytes)
        .map_err(|e| anyhow!("address with prefix {prefix}: {e}"))?
        .to_string())
}

fn array<'a>(doc: &'a mut Value, path: &[&str]) -> Result<&'a mut Vec<Value>> {
    let mut v = doc;
    for p in path {
        v = v
            .get_mut(*p)
            .ok_or_else(|| anyhow!("the genesis has no {}", path.join(".")))?;
    }
    v.as_array_mut()
        .ok_or_else(|| anyhow!("{} is not a list", path.join(".")))
}

/// Account numbers are unique in both chains: the added ones follow the highest present.
fn next_account_number(accounts: &[Value]) -> u64 {
    accounts
        .iter()
        .filter_map(|a| match &a["account_number"] {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        })
        .max()
        .map_or(0, |n| n + 1)
}

pub fn genesis_accounts(args: GenesisArgs) -> Result<()> {
    let file = std::fs::File::open(&args.genesis)
        .with_context(|| format!("opening {}", args.genesis.display()))?;
    let mut doc: Value = serde_json::from_reader(BufReader::new(file)).context("the genesis")?;
    let first = next_account_number(array(&mut doc, &["app_state", "auth", "accounts"])?);
    let coins = json!([{ "denom": args.denom, "amount": args.amount.to_string() }]);
    let mut accounts = Vec::with_capacity(args.accounts as usize);
    let mut balances = Vec::with_capacity(args.accounts as usize);
    for i in 0..args.accounts {
        let address = bech32(&args.prefix, &account_bytes(i))?;
        let number = first + i;
        accounts.push(match args.flavour {
            Flavour::Estuary => {
                json!({ "address": address, "account_number": number, "sequence": 0 })
            }
            Flavour::Sdk => json!({
                "@type": "/cosmos.auth.v1beta1.BaseAccount",
                "address": address, "pub_key": null,
                "account_number": number.to_string(), "sequence": "0",
            }),
        });
        balances.push(json!({ "address": address, "coins": coins }));
    }
    array(&mut doc, &["app_state", "auth", "accounts"])?.extend(accounts);
    array(&mut doc, &["app_state", "bank", "balances"])?.extend(balances);
    // A non-empty supply must equal the sum of the balances (both chains check); an empty one
    // is computed at InitChain.
    let added = args.amount * u128::from(args.accounts);
    let supply = array(&mut doc, &["app_state", "bank", "supply"])?;
    if !supply.is_empty() {
        let entry = supply
            .iter_mut()
            .find(|c| c["denom"] == args.denom.as_str())
            .ok_or_else(|| anyhow!("the supply has no {}", args.denom))?;
        let now: u128 = entry["amount"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow!("a supply amount is not a number"))?;
        entry["amount"] = Value::String((now + added).to_string());
    }
    let tmp = args.genesis.with_extension("json.tmp");
    let out = std::fs::File::create(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
    serde_json::to_writer(BufWriter::new(out), &doc)?;
    std::fs::rename(&tmp, &args.genesis)?;
    eprintln!(
        "added {} accounts ({} each) to {}",
        args.accounts,
        args.amount,
        args.genesis.display()
    );
    Ok(())
}

#[derive(clap::Args)]
pub struct QueryArgs {
    /// CometBFT RPC of the node.
    #[arg(long, default_value = "http://127.0.0.1:26657")]
    node: String,
    #[arg(long, value_enum, default_value = "estuary")]
    flavour: Flavour,
    /// How many accounts `genesis-accounts` added (queries pick among them at random).
    #[arg(long)]
    accounts: u64,
    #[arg(long, default_value = "stake")]
    denom: String,
    /// Queries to time (one after another).
    #[arg(long, default_value_t = 500)]
    samples: usize,
    /// Ask without a proof (to see what the proof itself costs).
    #[arg(long)]
    without_proof: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct QueryReport {
    samples: usize,
    height: u64,
    p50_us: f64,
    p99_us: f64,
    mean_us: f64,
    mean_proof_bytes: f64,
}

/// The store key of a balance: Estuary's bank layout, or x/bank's
/// (`0x02 | len(address) | address | denom`, store `bank`).
fn balance_key(flavour: Flavour, address: &[u8; 20], denom: &str) -> Result<(String, Vec<u8>)> {
    Ok(match flavour {
        Flavour::Estuary => {
            let addr = estuary_sdk::Address(*address);
            let denom = estuary_sdk::Denom::new(denom).map_err(|e| anyhow!("denom: {e}"))?;
            let key = estuary_bank::balance_store_key(&addr, &denom);
            let store = estuary_sdk::store::Substore::Main.name();
            (format!("store/{store}/key"), key)
        }
        Flavour::Sdk => {
            let mut key = vec![0x02, 20];
            key.extend_from_slice(address);
            key.extend_from_slice(denom.as_bytes());
            ("store/bank/key".into(), key)
        }
    })
}

pub async fn proven_query(args: QueryArgs) -> Result<()> {
    if args.accounts == 0 {
        bail!("--accounts must be the number of accounts genesis-accounts added");
    }
    let node = Node::connect(&args.node)?;
    // A height whose state is committed (the latest one may still be in flight on some nodes).
    let height = node.latest_height().await?.saturating_sub(1).max(1);
    let at = tendermint::block::Height::try_from(height)?;
    let mut rng = rand::thread_rng();
    let mut times = Vec::with_capacity(args.samples);
    let mut proof_bytes = 0usize;
    for _ in 0..args.samples {
        let address = account_bytes(rng.gen_range(0..args.accounts));
        let (path, key) = balance_key(args.flavour, &address, &args.denom)?;
        let start = Instant::now();
        let res = node
            .rpc
            .abci_query(Some(path), key, Some(at), !args.without_proof)
            .await
            .context("a proven query")?;
        times.push(start.elapsed().as_secs_f64() * 1e6);
        if res.code.is_err() || res.value.is_empty() {
            bail!(
                "the node did not return the balance: code {:?} {}",
                res.code,
                res.log
            );
        }
        if !args.without_proof {
            let ops = res.proof.ok_or_else(|| anyhow!("the node sent no proof"))?;
            proof_bytes += ops.ops.iter().map(|o| o.data.len()).sum::<usize>();
        }
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| crate::relay::percentile(&times, p).unwrap_or(0.0);
    let report = QueryReport {
        samples: times.len(),
        height,
        p50_us: pct(0.5),
        p99_us: pct(0.99),
        mean_us: times.iter().sum::<f64>() / times.len() as f64,
        mean_proof_bytes: proof_bytes as f64 / times.len() as f64,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "proven balance query at height {}: p50 {:.0} µs, p99 {:.0} µs, mean {:.0} µs ({} samples, {:.0} proof bytes)",
            report.height, report.p50_us, report.p99_us, report.mean_us, report.samples, report.mean_proof_bytes
        );
    }
    Ok(())
}
