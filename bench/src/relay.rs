//! A burst of ICS-20 transfers from chain A to chain B, relayed by whatever relayer links them;
//! measures packets/s and send→ack latency (seconds and A-blocks) by watching A's packet
//! commitments disappear, and counts the relayer's transactions on both chains.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use estuary_client::keyring::{Backend, Keyring};
use estuary_client::node::{transfer_batch, Node};
use ibc_proto::cosmos::base::query::v1beta1::PageRequest;
use ibc_proto::ibc::core::channel::v1 as chan;
use serde::Serialize;
use tendermint_rpc::Client;

#[derive(clap::Args)]
pub struct RelayArgs {
    #[arg(long)]
    node_a: String,
    #[arg(long)]
    node_b: String,
    /// Home on A whose test keyring holds the sender.
    #[arg(long)]
    home_a: std::path::PathBuf,
    #[arg(long, default_value = "alice")]
    from: String,
    /// Bech32 prefix of chain A's accounts (`cosmos` when A is simd).
    #[arg(long, default_value = estuary_sdk::ACCOUNT_PREFIX)]
    prefix_a: String,
    /// Receiver address on B.
    #[arg(long)]
    receiver: String,
    /// The relayer's addresses on A and B (to count its transactions).
    #[arg(long)]
    relayer_a: String,
    #[arg(long)]
    relayer_b: String,
    #[arg(long, default_value = "channel-0")]
    channel: String,
    #[arg(long, default_value_t = 1000)]
    packets: usize,
    /// Instead of a burst, send this many single transfers one after another, each once the
    /// previous one is acknowledged: send→ack latency of one transfer on an idle link.
    #[arg(long)]
    single: Option<usize>,
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct SingleReport {
    transfers: usize,
    latency_p50_s: f64,
    latency_p99_s: f64,
    /// Blocks of chain A from the block holding the transfer to the block holding its ack.
    latency_p50_blocks: u64,
    latency_p99_blocks: u64,
    latency_max_blocks: u64,
}

#[derive(Serialize)]
struct RelayReport {
    packets: usize,
    wall_seconds: f64,
    packets_per_sec: f64,
    latency_p50_s: f64,
    latency_p99_s: f64,
    latency_p50_blocks: u64,
    latency_p99_blocks: u64,
    relayer_txs_on_a: u64,
    relayer_txs_on_b: u64,
}

async fn next_send(node: &Node, channel: &str) -> Result<u64> {
    let res = node
        .rpc
        .abci_query(
            Some("store/ibc/key".into()),
            format!("nextSequenceSend/ports/transfer/channels/{channel}").into_bytes(),
            None,
            false,
        )
        .await?;
    Ok(u64::from_be_bytes(
        res.value
            .as_slice()
            .try_into()
            .unwrap_or([0, 0, 0, 0, 0, 0, 0, 1]),
    ))
}

/// Sequences whose commitment is still on `node`, every page (an SDK chain pages by 100).
async fn pending(node: &Node, channel: &str) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    let mut key = Vec::new();
    loop {
        let r: chan::QueryPacketCommitmentsResponse = node
            .query_typed(&chan::QueryPacketCommitmentsRequest {
                port_id: "transfer".into(),
                channel_id: channel.into(),
                pagination: Some(PageRequest {
                    key: std::mem::take(&mut key),
                    limit: 1000,
                    ..Default::default()
                }),
            })
            .await?;
        out.extend(r.commitments.iter().map(|c| c.sequence));
        match r.pagination {
            Some(p) if !p.next_key.is_empty() => key = p.next_key,
            _ => return Ok(out),
        }
    }
}

/// The height of the block on `node` holding the acknowledgement of packet `seq` sent on
/// `channel`, once there is one.
async fn ack_height(node: &Node, channel: &str, seq: u64) -> Result<Option<u64>> {
    let q = tendermint_rpc::query::Query::eq("acknowledge_packet.packet_src_channel", channel)
        .and_eq("acknowledge_packet.packet_sequence", seq.to_string());
    let res = node
        .rpc
        .tx_search(q, false, 1, 1, tendermint_rpc::Order::Ascending)
        .await?;
    Ok(res.txs.first().map(|t| t.height.value()))
}

/// The sender on chain A: its key (from `--home-a`'s test keyring) and address.
struct Sender {
    chain_id: String,
    key: cosmrs::crypto::secp256k1::SigningKey,
    address: String,
}

impl Sender {
    async fn of(args: &RelayArgs, a: &Node) -> Result<Sender> {
        let key = Keyring::new(args.home_a.join("keyring-test"), Backend::Test, None)
            .signing_key(&args.from)?;
        let address = key
            .public_key()
            .account_id(&args.prefix_a)
            .map_err(|e| anyhow::anyhow!("address with prefix {}: {e}", args.prefix_a))?
            .to_string();
        Ok(Sender {
            chain_id: a.chain_id().await?,
            key,
            address,
        })
    }

    /// `k` transfers of 1stake to the receiver in one transaction, timing out `timeout` from
    /// now; waits for inclusion and returns its height.
    async fn transfer(
        &self,
        a: &Node,
        args: &RelayArgs,
        k: usize,
        timeout: Duration,
    ) -> Result<u64> {
        let deadline = (std::time::SystemTime::now() + timeout)
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos() as u64;
        let msgs = transfer_batch(
            &args.channel,
            (&self.address, &args.receiver),
            (1, "stake"),
            k,
            deadline,
        );
        let r = a
            .sign_and_broadcast(
                (&self.key, &self.address),
                &self.chain_id,
                msgs,
                1_000_000 * k as u64,
                Duration::from_secs(60),
            )
            .await?;
        if r.code != 0 {
            bail!("sending failed: {}", r.log);
        }
        Ok(r.height.unwrap_or(0))
    }
}

/// The value at fraction `p` (0..=1) of an ascending list, nearest rank; `None` when empty.
pub(crate) fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied()
}

/// Single transfers, one at a time: each is sent, then its ack awaited (by its event on A).
async fn singles(args: &RelayArgs, n: usize) -> Result<()> {
    let a = Node::connect(&args.node_a)?;
    let sender = Sender::of(args, &a).await?;
    let mut secs = Vec::new();
    let mut blocks = Vec::new();
    for i in 0..n {
        // Start each transfer at a different phase of the relayer's cycle (0 to 1.5 s after the
        // last ack, spread evenly), so a relayer that passes on a timer cannot look
        // block-synchronous just because the benchmark sends right after its pass.
        let phase = (i as u64 * 7_919) % 1_500;
        tokio::time::sleep(Duration::from_millis(phase)).await;
        let seq = next_send(&a, &args.channel).await?;
        let sent_height = sender
            .transfer(&a, args, 1, Duration::from_secs(600))
            .await?;
        let sent_at = Instant::now();
        let acked = loop {
            if sent_at.elapsed() > Duration::from_secs(120) {
                bail!("transfer {seq} not acknowledged within 2 minutes");
            }
            if let Some(h) = ack_height(&a, &args.channel, seq).await? {
                break h;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let (s, b) = (
            sent_at.elapsed().as_secs_f64(),
            acked.saturating_sub(sent_height),
        );
        eprintln!(
            "transfer {}/{n}: sequence {seq}, {b} blocks, {s:.2} s",
            i + 1
        );
        secs.push(s);
        blocks.push(b);
    }
    secs.sort_by(f64::total_cmp);
    blocks.sort();
    let report = SingleReport {
        transfers: n,
        latency_p50_s: percentile(&secs, 0.5).unwrap_or(0.0),
        latency_p99_s: percentile(&secs, 0.99).unwrap_or(0.0),
        latency_p50_blocks: percentile(&blocks, 0.5).unwrap_or(0),
        latency_p99_blocks: percentile(&blocks, 0.99).unwrap_or(0),
        latency_max_blocks: blocks.last().copied().unwrap_or(0),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("single transfers A→B, one at a time: {n}");
        println!(
            "  send → ack latency   p50 {:.2} s ({} blocks), p99 {:.2} s ({} blocks), max {} blocks",
            report.latency_p50_s,
            report.latency_p50_blocks,
            report.latency_p99_s,
            report.latency_p99_blocks,
            report.latency_max_blocks
        );
    }
    Ok(())
}

pub async fn run(args: RelayArgs) -> Result<()> {
    if let Some(n) = args.single {
        return singles(&args, n).await;
    }
    let a = Node::connect(&args.node_a)?;
    let b = Node::connect(&args.node_b)?;
    let sender = Sender::of(&args, &a).await?;
    let seq_a0 = a.account(&args.relayer_a).await?.sequence;
    let seq_b0 = b.account(&args.relayer_b).await?.sequence;
    let first = next_send(&a, &args.channel).await?;

    // Send: transactions of 50 transfers; each packet's send time is its transaction's inclusion.
    let mut sent_at: BTreeMap<u64, (Instant, u64)> = BTreeMap::new();
    let start = Instant::now();
    let mut seq = first;
    let mut left = args.packets;
    while left > 0 {
        let k = left.min(50);
        let height = sender
            .transfer(&a, &args, k, Duration::from_secs(3600))
            .await?;
        let now = Instant::now();
        for s in seq..seq + k as u64 {
            sent_at.insert(s, (now, height));
        }
        seq += k as u64;
        left -= k;
    }
    eprintln!(
        "sent {} packets in {:.1}s; waiting for acks",
        args.packets,
        start.elapsed().as_secs_f64()
    );

    // Watch the commitments go: a packet's commitment is deleted when its ack is delivered.
    let mut acked: BTreeMap<u64, (Instant, u64)> = BTreeMap::new();
    let watch_start = Instant::now();
    while acked.len() < sent_at.len() {
        if watch_start.elapsed() > Duration::from_secs(900) {
            bail!(
                "only {} of {} packets acknowledged after 15 minutes",
                acked.len(),
                sent_at.len()
            );
        }
        let still: std::collections::HashSet<u64> =
            pending(&a, &args.channel).await?.into_iter().collect();
        let height = a.rpc.status().await?.sync_info.latest_block_height.value();
        let now = Instant::now();
        for s in sent_at.keys() {
            if !still.contains(s) && !acked.contains_key(s) {
                acked.insert(*s, (now, height));
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let wall = acked.values().map(|(t, _)| *t).max().unwrap_or(start) - start;
    let mut secs: Vec<f64> = sent_at
        .iter()
        .map(|(s, (t0, _))| (acked[s].0 - *t0).as_secs_f64())
        .collect();
    let mut blocks: Vec<u64> = sent_at
        .iter()
        .map(|(s, (_, h0))| acked[s].1.saturating_sub(*h0))
        .collect();
    secs.sort_by(f64::total_cmp);
    blocks.sort();
    let pick = |n: usize, p: f64| ((n as f64 - 1.0) * p).round() as usize;
    let report = RelayReport {
        packets: args.packets,
        wall_seconds: wall.as_secs_f64(),
        packets_per_sec: args.packets as f64 / wall.as_secs_f64(),
        latency_p50_s: secs[pick(secs.len(), 0.5)],
        latency_p99_s: secs[pick(secs.len(), 0.99)],
        latency_p50_blocks: blocks[pick(blocks.len(), 0.5)],
        latency_p99_blocks: blocks[pick(blocks.len(), 0.99)],
        relayer_txs_on_a: a.account(&args.relayer_a).await?.sequence - seq_a0,
        relayer_txs_on_b: b.account(&args.relayer_b).await?.sequence - seq_b0,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("relay burst: {} ICS-20 transfers A→B", report.packets);
        println!("  send → last ack      {:.2} s", report.wall_seconds);
        println!(
            "  relayed              {:.1} packets/s",
            report.packets_per_sec
        );
        println!(
            "  send → ack latency   p50 {:.2} s ({} blocks), p99 {:.2} s ({} blocks)",
            report.latency_p50_s,
            report.latency_p50_blocks,
            report.latency_p99_s,
            report.latency_p99_blocks
        );
        println!(
            "  relayer transactions {} on A, {} on B",
            report.relayer_txs_on_a, report.relayer_txs_on_b
        );
    }
    Ok(())
}
