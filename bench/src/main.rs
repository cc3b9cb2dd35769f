//! `estuary-bench bank`: funds many accounts, signs N bank sends (SIGN_MODE_DIRECT), pushes them
//! through a running node's RPC and reports committed tx/s, block time, inclusion latency
//! (p50/p99) and the app's own time per transaction in FinalizeBlock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::Any;
use estuary_client::keyring::{Backend, Keyring};
use estuary_client::node::{sign_tx, Node, TxPlan};
use estuary_sdk::Coin;
use prost::Message;
use serde::Serialize;
use sha2::Digest;
use tendermint_rpc::Client;
use tokio::sync::Mutex;

#[derive(Parser)]
#[command(about = "Load generators against running Estuary nodes")]
enum Bench {
    /// Signed bank sends through one node: committed tx/s, block time, inclusion latency.
    Bank(Args),
    /// A burst of ICS-20 transfers A→B through a relayer: packets/s and send→ack latency.
    Relay(relay::RelayArgs),
    /// Signature verification alone, the floor under every transaction: µs per secp256k1
    /// verification with libsecp256k1 (what the chain uses) and with k256 (what it used), on
    /// one core and on all of them.
    Sigverify(SigArgs),
    /// Adds N funded accounts to a genesis file (Estuary's or the Cosmos SDK's shape).
    GenesisAccounts(scale::GenesisArgs),
    /// Latency of proven balance reads of the accounts `genesis-accounts` added.
    ProvenQuery(scale::QueryArgs),
    /// REST (LCD) reads at a fixed concurrency: requests/s and latency of an API server.
    Rest(rest::RestArgs),
}

#[derive(clap::Args)]
struct SigArgs {
    /// Signatures to verify per measurement.
    #[arg(long, default_value_t = 20_000)]
    n: usize,
}

fn sigverify(args: SigArgs) -> Result<()> {
    // Bank-send-sized sign bytes (a SignDoc is ~250 bytes), distinct keys and messages.
    let items: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = (0..args.n.max(1))
        .map(|i| {
            let key = SigningKey::random();
            let msg = format!("{i:0>250}").into_bytes();
            let sig = key.sign(&msg).map(|s| s.to_bytes().to_vec());
            sig.map(|sig| (key.public_key().to_bytes(), msg, sig))
        })
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("signing: {e}"))?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let run = |name: &str, verify: fn(&[u8], &[u8], &[u8]) -> bool| -> Result<()> {
        let start = Instant::now();
        let ok = items.iter().filter(|(k, m, s)| verify(k, m, s)).count();
        let one = start.elapsed().as_secs_f64();
        anyhow::ensure!(
            ok == items.len(),
            "{name}: {ok} of {} verified",
            items.len()
        );
        let start = Instant::now();
        std::thread::scope(|scope| {
            for chunk in items.chunks(items.len().div_ceil(cores)) {
                scope.spawn(move || chunk.iter().all(|(k, m, s)| verify(k, m, s)));
            }
        });
        let all = start.elapsed().as_secs_f64();
        let n = items.len() as f64;
        println!(
            "{name:>14}: {:>6.1} µs per verification on one core ({:>7.0}/s); {:>7.0}/s on {cores} cores",
            one / n * 1e6,
            n / one,
            n / all
        );
        Ok(())
    };
    run("libsecp256k1", estuary_sdk::crypto::verify_secp256k1)?;
    run("k256", estuary_sdk::crypto::verify_secp256k1_k256)?;
    Ok(())
}

mod relay;
mod rest;
mod scale;

#[derive(clap::Args)]
struct Args {
    /// CometBFT RPC of the node.
    #[arg(long, default_value = "http://127.0.0.1:26657")]
    node: String,
    /// Home whose test keyring holds the funding key.
    #[arg(long)]
    home: std::path::PathBuf,
    /// The funding key.
    #[arg(long, default_value = "alice")]
    from: String,
    /// Sending accounts (each sends txs/accounts transactions in sequence order).
    #[arg(long, default_value_t = 50)]
    accounts: usize,
    /// Transactions to send.
    #[arg(long, default_value_t = 2000)]
    txs: usize,
    /// Denomination to send and pay fees in.
    #[arg(long, default_value = "stake")]
    denom: String,
    /// The chain's bech32 account prefix (`cosmos` for ibc-go's simd).
    #[arg(long, default_value = estuary_sdk::ACCOUNT_PREFIX)]
    prefix: String,
    /// Gas limit of each bank send (the same for every chain compared).
    #[arg(long, default_value_t = 200_000)]
    gas: u64,
    /// Send at this many transactions per second, spread over the accounts in turn, instead
    /// of as fast as the node takes them: latency at a given load rather than throughput.
    #[arg(long)]
    rate: Option<f64>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    chain_id: String,
    txs_sent: usize,
    txs_committed: usize,
    txs_failed_in_block: u64,
    accounts: usize,
    /// The sending rate asked for (`--rate`); absent when sent as fast as taken.
    offered_tx_per_sec: Option<f64>,
    wall_seconds: f64,
    committed_tx_per_sec: f64,
    blocks: usize,
    mean_block_time_ms: f64,
    max_txs_per_block: usize,
    /// Committed tx/s between the first and the last block holding our transactions (the
    /// ramp-up and the tail left out): what the chain sustains while the load exceeds it.
    steady_tx_per_sec: f64,
    mean_txs_per_block: f64,
    /// Transactions CheckTx refused, and broadcasts that failed outright.
    checktx_rejections: usize,
    broadcast_errors: usize,
    /// CometBFT's mempool (`/num_unconfirmed_txs`), sampled every 250 ms during the run.
    mempool_max: u64,
    mempool_mean: f64,
    inclusion_latency_p50_ms: f64,
    inclusion_latency_p99_ms: f64,
    /// `broadcast_tx_sync` round trips: RPC, CometBFT's mempool and the app's CheckTx.
    broadcast_latency_p50_ms: f64,
    broadcast_latency_p99_ms: f64,
    /// Estuary's own counters (`query app-stats`); absent on other chains.
    app_exec_us_per_tx: Option<f64>,
    app_finalize_us_per_tx: Option<f64>,
    /// Time the app spent per CheckTx (Estuary's counters; absent on other chains).
    app_check_tx_us_per_tx: Option<f64>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    match Bench::parse() {
        Bench::Bank(args) => bank(args).await,
        Bench::Relay(args) => relay::run(args).await,
        Bench::Sigverify(args) => sigverify(args),
        Bench::GenesisAccounts(args) => scale::genesis_accounts(args),
        Bench::ProvenQuery(args) => scale::proven_query(args).await,
        Bench::Rest(args) => rest::run(args).await,
    }
}

async fn bank(args: Args) -> Result<()> {
    let node = Arc::new(Node::connect(&args.node)?);
    let chain_id = node.chain_id().await?;
    let funder = Keyring::new(args.home.join("keyring-test"), Backend::Test, None)
        .signing_key(&args.from)?;
    let address = |k: &SigningKey| -> Result<String> {
        Ok(k.public_key()
            .account_id(&args.prefix)
            .map_err(|e| anyhow::anyhow!("address with prefix {}: {e}", args.prefix))?
            .to_string())
    };
    let funder_addr = address(&funder)?;

    eprintln!("funding {} accounts on {chain_id}", args.accounts);
    let senders: Vec<SigningKey> = (0..args.accounts).map(|_| SigningKey::random()).collect();
    let recipients = senders.iter().map(address).collect::<Result<Vec<_>>>()?;
    fund(
        &node,
        &chain_id,
        (&funder, &funder_addr),
        &recipients,
        &args.denom,
        args.txs / args.accounts.max(1) + 1,
    )
    .await?;

    eprintln!("signing {} transactions", args.txs);
    let mut per_sender: Vec<Vec<(String, Vec<u8>)>> = vec![Vec::new(); senders.len()];
    for (j, key) in senders.iter().enumerate() {
        let addr = &recipients[j];
        let account = node.account(addr).await?;
        let count = args.txs / senders.len() + usize::from(j < args.txs % senders.len());
        for k in 0..count as u64 {
            let msg = send(addr, &funder_addr, &args.denom, 1);
            let bytes = sign(
                key,
                &chain_id,
                account.account_number,
                account.sequence + k,
                vec![msg],
                args.gas,
                &args.denom,
            )?;
            let hash = hex::encode_upper(sha2::Sha256::digest(&bytes));
            per_sender[j].push((hash, bytes));
        }
    }
    let stats_before = app_stats(&node).await;

    let sent_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let start = Instant::now();
    let start_height = node.latest_height().await?;
    let rejected = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let broadcasts: Arc<Mutex<Vec<f64>>> = Arc::default();
    let broadcaster = Broadcaster {
        node: node.clone(),
        sent_at: sent_at.clone(),
        rejected: rejected.clone(),
        errors: errors.clone(),
        broadcasts: broadcasts.clone(),
    };
    let mut tasks = Vec::new();
    if let Some(rate) = args.rate.filter(|r| *r > 0.0) {
        // One schedule for every account: the i-th transaction leaves at i / rate seconds,
        // taken from the accounts in turn (so one account's next sequence leaves
        // accounts / rate seconds after its previous one), each in its own task so that a slow
        // round trip never delays the schedule.
        let mut queues: Vec<std::vec::IntoIter<(String, Vec<u8>)>> =
            per_sender.into_iter().map(Vec::into_iter).collect();
        let mut in_turn = Vec::with_capacity(args.txs);
        while in_turn.len() < args.txs {
            let before = in_turn.len();
            in_turn.extend(queues.iter_mut().filter_map(Iterator::next));
            if in_turn.len() == before {
                break;
            }
        }
        let t0 = tokio::time::Instant::now();
        tasks.push(tokio::spawn(async move {
            let mut sends = Vec::with_capacity(in_turn.len());
            for (i, (hash, bytes)) in in_turn.into_iter().enumerate() {
                tokio::time::sleep_until(t0 + Duration::from_secs_f64(i as f64 / rate)).await;
                let broadcaster = broadcaster.clone();
                sends.push(tokio::spawn(
                    async move { broadcaster.send(hash, bytes).await },
                ));
            }
            for send in sends {
                let _ = send.await;
            }
        }));
    } else {
        for txs in per_sender {
            let broadcaster = broadcaster.clone();
            tasks.push(tokio::spawn(async move {
                for (hash, bytes) in txs {
                    broadcaster.send(hash, bytes).await;
                }
            }));
        }
    }
    let watcher = watch_blocks(node.clone(), start_height, args.txs, sent_at.clone());
    let sampler = sample_mempool(args.node.clone());
    for t in tasks {
        t.await?;
    }
    let (included, blocks) = watcher.await??;
    let wall = start.elapsed();
    sampler.abort();
    let mempool: Vec<u64> = MEMPOOL_SAMPLES.lock().await.drain(..).collect();
    let stats_after = app_stats(&node).await;

    let sent = sent_at.lock().await;
    let mut latencies: Vec<f64> = included
        .iter()
        .filter_map(|(h, at)| {
            sent.get(h)
                .map(|s| at.duration_since(*s).as_secs_f64() * 1e3)
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| relay::percentile(&latencies, p).unwrap_or(0.0);
    let mut broadcasts = std::mem::take(&mut *broadcasts.lock().await);
    broadcasts.sort_by(f64::total_cmp);
    let broadcast_pct = |p: f64| relay::percentile(&broadcasts, p).unwrap_or(0.0);
    let d = |k: &str| -> Option<f64> {
        let (before, after) = (stats_before.as_ref()?, stats_after.as_ref()?);
        Some(after[k].as_f64()? - before[k].as_f64()?)
    };
    let per_tx = |k: &str| Some(d(k)? / d("txs")?.max(1.0) / 1e3);
    let block_times: Vec<f64> = blocks
        .windows(2)
        .map(|w| (w[1].1 - w[0].1) as f64 / 1e6)
        .collect();
    let report = Report {
        chain_id,
        txs_sent: args.txs,
        txs_committed: included.len(),
        txs_failed_in_block: failed_in(&node, &blocks).await?,
        accounts: args.accounts,
        offered_tx_per_sec: args.rate,
        wall_seconds: wall.as_secs_f64(),
        committed_tx_per_sec: included.len() as f64 / wall.as_secs_f64(),
        blocks: blocks.len(),
        mean_block_time_ms: if block_times.is_empty() {
            0.0
        } else {
            block_times.iter().sum::<f64>() / block_times.len() as f64
        },
        max_txs_per_block: blocks.iter().map(|b| b.2).max().unwrap_or(0),
        steady_tx_per_sec: steady_rate(&blocks)
            .unwrap_or(included.len() as f64 / wall.as_secs_f64()),
        mean_txs_per_block: {
            let full: Vec<usize> = blocks.iter().map(|b| b.2).filter(|&n| n > 0).collect();
            full.iter().sum::<usize>() as f64 / full.len().max(1) as f64
        },
        checktx_rejections: rejected.load(Ordering::Relaxed),
        broadcast_errors: errors.load(Ordering::Relaxed),
        mempool_max: mempool.iter().copied().max().unwrap_or(0),
        mempool_mean: mempool.iter().sum::<u64>() as f64 / mempool.len().max(1) as f64,
        inclusion_latency_p50_ms: pct(0.50),
        inclusion_latency_p99_ms: pct(0.99),
        broadcast_latency_p50_ms: broadcast_pct(0.50),
        broadcast_latency_p99_ms: broadcast_pct(0.99),
        app_exec_us_per_tx: per_tx("tx_exec_nanos"),
        app_finalize_us_per_tx: per_tx("finalize_nanos"),
        app_check_tx_us_per_tx: d("check_txs")
            .filter(|n| *n > 0.0)
            .and_then(|n| Some(d("check_tx_nanos")? / n / 1e3)),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    if report.txs_committed < report.txs_sent {
        bail!(
            "{} of {} transactions were not committed",
            report.txs_sent - report.txs_committed,
            report.txs_sent
        );
    }
    Ok(())
}

/// Sends one signed transaction with `broadcast_tx_sync` and records when it left, the round
/// trip, and a refusal or failure.
#[derive(Clone)]
struct Broadcaster {
    node: Arc<Node>,
    sent_at: Arc<Mutex<HashMap<String, Instant>>>,
    rejected: Arc<AtomicUsize>,
    errors: Arc<AtomicUsize>,
    broadcasts: Arc<Mutex<Vec<f64>>>,
}

impl Broadcaster {
    async fn send(&self, hash: String, bytes: Vec<u8>) {
        let at = Instant::now();
        self.sent_at.lock().await.insert(hash, at);
        let result = self.node.rpc.broadcast_tx_sync(bytes).await;
        self.broadcasts
            .lock()
            .await
            .push(at.elapsed().as_secs_f64() * 1e3);
        match result {
            Ok(r) if r.code.is_err() => {
                if self.rejected.fetch_add(1, Ordering::Relaxed) < 5 {
                    eprintln!("rejected by CheckTx: {}", r.log);
                }
            }
            Ok(_) => {}
            Err(_) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

fn print_report(r: &Report) {
    println!(
        "bank-send load on {}: {} txs from {} accounts",
        r.chain_id, r.txs_sent, r.accounts
    );
    println!(
        "  committed            {} ({} failed in block)",
        r.txs_committed, r.txs_failed_in_block
    );
    println!("  wall time            {:.2} s", r.wall_seconds);
    println!("  committed tx/s       {:.1}", r.committed_tx_per_sec);
    println!(
        "  blocks               {} (mean block time {:.0} ms, max {} txs/block)",
        r.blocks, r.mean_block_time_ms, r.max_txs_per_block
    );
    println!(
        "  steady state         {:.1} tx/s, {:.0} txs per block on average",
        r.steady_tx_per_sec, r.mean_txs_per_block
    );
    println!(
        "  CheckTx              {} refused, {} broadcasts failed; mempool max {}, mean {:.0}",
        r.checktx_rejections, r.broadcast_errors, r.mempool_max, r.mempool_mean
    );
    println!(
        "  inclusion latency    p50 {:.0} ms, p99 {:.0} ms",
        r.inclusion_latency_p50_ms, r.inclusion_latency_p99_ms
    );
    println!(
        "  broadcast round trip p50 {:.1} ms, p99 {:.1} ms",
        r.broadcast_latency_p50_ms, r.broadcast_latency_p99_ms
    );
    if let (Some(exec), Some(fin)) = (r.app_exec_us_per_tx, r.app_finalize_us_per_tx) {
        println!(
            "  app time per tx      {exec:.1} µs executing, {fin:.1} µs in FinalizeBlock overall"
        );
    }
    if let Some(check) = r.app_check_tx_us_per_tx {
        println!("  app CheckTx          {check:.1} µs per tx");
    }
}

/// Committed tx/s from the first to the last block holding our transactions, counting the
/// transactions of the blocks after the first up to the one before the last (each block's
/// transactions arrived in the interval before it).
fn steady_rate(blocks: &BlockTimes) -> Option<f64> {
    let ours: Vec<&(u64, u128, usize)> = blocks.iter().filter(|b| b.2 > 0).collect();
    if ours.len() < 4 {
        return None;
    }
    let (first, before_last) = (ours.first()?, ours.get(ours.len() - 2)?);
    let txs: usize = ours.get(1..ours.len() - 1)?.iter().map(|b| b.2).sum();
    let secs = (before_last.1.saturating_sub(first.1)) as f64 / 1e9;
    (secs > 0.0).then(|| txs as f64 / secs)
}

static MEMPOOL_SAMPLES: Mutex<Vec<u64>> = Mutex::const_new(Vec::new());

/// Samples CometBFT's mempool size every 250 ms (`/num_unconfirmed_txs`, plain HTTP: the RPC
/// client has no call for it) until aborted.
fn sample_mempool(rpc: String) -> tokio::task::JoinHandle<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = rpc
        .trim_start_matches("http://")
        .trim_start_matches("tcp://")
        .trim_end_matches('/')
        .to_string();
    tokio::spawn(async move {
        loop {
            let sample = async {
                let mut sock = tokio::net::TcpStream::connect(&host).await.ok()?;
                let req = format!("GET /num_unconfirmed_txs HTTP/1.0\r\nHost: {host}\r\n\r\n");
                sock.write_all(req.as_bytes()).await.ok()?;
                let mut body = String::new();
                sock.read_to_string(&mut body).await.ok()?;
                let json = body.split("\r\n\r\n").nth(1)?;
                let v: serde_json::Value = serde_json::from_str(json).ok()?;
                v["result"]["n_txs"].as_str()?.parse::<u64>().ok()
            };
            if let Some(n) = sample.await {
                MEMPOOL_SAMPLES.lock().await.push(n);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    })
}

/// Polls new blocks (never a websocket) and records when each of our transactions appeared.
/// Per block: (height, time in ns since start, tx count).
type BlockTimes = Vec<(u64, u128, usize)>;

/// Returns (hash → seen at) and, per block, (height, time in ns since start, tx count).
fn watch_blocks(
    node: Arc<Node>,
    from_height: u64,
    expected: usize,
    sent_at: Arc<Mutex<HashMap<String, Instant>>>,
) -> tokio::task::JoinHandle<Result<(HashMap<String, Instant>, BlockTimes)>> {
    tokio::spawn(async move {
        let t0 = Instant::now();
        let mut seen: HashMap<String, Instant> = HashMap::new();
        let mut blocks = Vec::new();
        let mut next = from_height + 1;
        let mut idle_since = Instant::now();
        while seen.len() < expected {
            let latest = node.latest_height().await?;
            if latest < next {
                if idle_since.elapsed() > Duration::from_secs(60) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
                continue;
            }
            let now = Instant::now();
            idle_since = now;
            for h in next..=latest {
                let block = node
                    .rpc
                    .block(tendermint::block::Height::try_from(h)?)
                    .await
                    .context("fetching block")?;
                let txs = block.block.data;
                let ours = sent_at.lock().await;
                let mut count = 0;
                for tx in &txs {
                    let hash = hex::encode_upper(sha2::Sha256::digest(tx));
                    if ours.contains_key(&hash) {
                        seen.insert(hash, now);
                        count += 1;
                    }
                }
                if count > 0 {
                    blocks.push((h, t0.elapsed().as_nanos(), count));
                }
            }
            next = latest + 1;
        }
        Ok((seen, blocks))
    })
}

/// Transactions with a non-zero code in the blocks that held the load, read from CometBFT's block
/// results after the run (so it works the same on any chain).
async fn failed_in(node: &Node, blocks: &[(u64, u128, usize)]) -> Result<u64> {
    let mut failed = 0;
    for (h, _, _) in blocks {
        // CometBFT stores a block before executing it: the last block's results may not be
        // saved yet when the load ends (all of a small run can land in one block).
        let height = tendermint::block::Height::try_from(*h)?;
        let mut attempt = 0;
        let results = loop {
            match node.rpc.block_results(height).await {
                Ok(r) => break r,
                Err(_) if attempt < 50 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e).context("fetching block results"),
            }
        };
        failed += results
            .txs_results
            .unwrap_or_default()
            .iter()
            .filter(|r| r.code.is_err())
            .count() as u64;
    }
    Ok(failed)
}

fn send(from: &str, to: &str, denom: &str, amount: u128) -> Any {
    let msg = MsgSend {
        from_address: from.into(),
        to_address: to.into(),
        amount: vec![ProtoCoin {
            denom: denom.into(),
            amount: amount.to_string(),
        }],
    };
    Any {
        type_url: "/cosmos.bank.v1beta1.MsgSend".into(),
        value: msg.encode_to_vec(),
    }
}

fn sign(
    key: &SigningKey,
    chain_id: &str,
    number: u64,
    seq: u64,
    msgs: Vec<Any>,
    gas: u64,
    denom: &str,
) -> Result<Vec<u8>> {
    sign_tx(&TxPlan {
        key,
        chain_id,
        account_number: number,
        sequence: seq,
        messages: msgs,
        fee: vec![Coin::new(1, denom).map_err(|e| anyhow::anyhow!("{e}"))?],
        gas_limit: gas,
        memo: String::new(),
        timeout_height: 0,
    })
}

/// Sends every recipient enough for its transactions and fees, 100 recipients per transaction.
async fn fund(
    node: &Node,
    chain_id: &str,
    (funder, from): (&SigningKey, &str),
    recipients: &[String],
    denom: &str,
    per_sender: usize,
) -> Result<()> {
    let amount = (per_sender as u128 + 1) * 10;
    for chunk in recipients.chunks(100) {
        let account = node.account(from).await?;
        let msgs: Vec<Any> = chunk
            .iter()
            .map(|to| send(from, to, denom, amount))
            .collect();
        // Enough for a chain that charges for creating each new account (the SDK does).
        let gas = 100_000 * msgs.len() as u64 + 100_000;
        let bytes = sign(
            funder,
            chain_id,
            account.account_number,
            account.sequence,
            msgs,
            gas,
            denom,
        )?;
        let report = node.broadcast(bytes, Some(Duration::from_secs(60))).await?;
        if report.code != 0 {
            bail!("funding failed: {}", report.log);
        }
    }
    Ok(())
}

/// Estuary's app counters, or `None` on a chain that has no such query.
async fn app_stats(node: &Node) -> Option<serde_json::Value> {
    let bytes = node.query_json(estuary_sdk::query::STATS).await.ok()?;
    Some(bytes)
}
