use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};
use estuary_relayer::chain::Chain;
use estuary_relayer::config::Config;
use estuary_relayer::link::{link, LinkState};
use estuary_relayer::metrics::Progress;

#[derive(Parser)]
#[command(
    name = "estuary-relayer",
    version,
    about = "Relays IBC packets between two chains"
)]
struct Cli {
    /// The relayer's config file.
    #[arg(long, short, env = "ESTUARY_RELAYER_CONFIG")]
    config: PathBuf,
    /// Print data as JSON (accepted before or after the subcommand, as the SDK's CLI).
    #[arg(long, short = 'o', global = true, default_value = "text", value_parser = ["text", "json"])]
    output: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create clients, a connection and a transfer channel between two chains (reuses what is open).
    Link { a: String, b: String },
    /// Run one linking step: `client` (both clients), `connection` or `channel`. With
    /// `client --host-chain H --reference-chain R`: one new client of R on H only, the link left
    /// as it is (Hermes' form) — the substitute that recovers an expired or frozen client.
    Create {
        #[arg(value_enum)]
        step: estuary_relayer::link::Step,
        #[arg(required_unless_present = "host_chain")]
        a: Option<String>,
        #[arg(required_unless_present = "host_chain")]
        b: Option<String>,
        /// The chain the new client lives on.
        #[arg(long, requires = "reference_chain", conflicts_with_all = ["a", "b"])]
        host_chain: Option<String>,
        /// The chain the new client follows.
        #[arg(long, requires = "host_chain")]
        reference_chain: Option<String>,
    },
    /// Relay everything pending now, once.
    Clear { a: String, b: String },
    /// Relay continuously: the two chains named, or every `[[paths]]` entry of the config (one
    /// task per path and channel). Passes run on each new block of either chain.
    Start {
        a: Option<String>,
        b: Option<String>,
        /// How new blocks are noticed: `events` (CometBFT's websocket, polling while it is
        /// down) or `poll`.
        #[arg(long, value_enum, default_value = "events")]
        trigger: estuary_relayer::watch::Trigger,
        /// Seconds between polls of each chain's height (when polling).
        #[arg(long, default_value_t = 0.2)]
        interval: f64,
        /// Serve Prometheus metrics here (host:port).
        #[arg(long)]
        metrics: Option<String>,
    },
    /// Clients, channel and pending packets per direction.
    Status { a: String, b: String },
    /// Escrow on each chain against the vouchers in circulation on the other; exits 2 if any differ.
    Audit { a: String, b: String },
    /// Every packet on the channel, both ways, with its fate and heights.
    Report { a: String, b: String },
    /// The cosmos chain-registry's IBC path file (`_IBC/<a>-<b>.json`) for the linked transfer
    /// channel: printed, or written into `--write DIR` under its registry file name.
    IbcPath {
        a: String,
        b: String,
        #[arg(long)]
        write: Option<PathBuf>,
    },
}

async fn chains(cfg: &Config, a: &str, b: &str) -> Result<(Chain, Chain)> {
    Ok((
        Chain::connect(cfg.chain(a)?).await?,
        Chain::connect(cfg.chain(b)?).await?,
    ))
}

fn linked(cfg: &Config, a: &str, b: &str) -> Result<LinkState> {
    match LinkState::load(&LinkState::path(&cfg.state_dir, a, b))? {
        Some(s) => Ok(s),
        None => bail!("{a} and {b} are not linked yet: run `estuary-relayer link {a} {b}`"),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ESTUARY_LOG")
        .unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("Error: {}", estuary_client::errors::describe(&e));
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<()> {
    let cfg = Config::load(&cli.config)?;
    let json = cli.output == "json";
    match cli.command {
        Command::Link { a, b } => {
            let (ca, cb) = chains(&cfg, &a, &b).await?;
            let path = LinkState::path(&cfg.state_dir, &a, &b);
            let st = link(&ca, &cb, LinkState::load(&path)?, &|s: &LinkState| {
                s.save(&path)
            })
            .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&st)?);
            } else {
                println!("{} {} <-> {} {}", a, st.a.channel_id, b, st.b.channel_id);
            }
        }
        Command::Create {
            step,
            host_chain: Some(host),
            reference_chain: Some(reference),
            ..
        } => {
            if step != estuary_relayer::link::Step::Client {
                anyhow::bail!("--host-chain and --reference-chain create a client only");
            }
            let (h, r) = chains(&cfg, &host, &reference).await?;
            let id = estuary_relayer::link::create_client(&r, &h).await?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"host_chain": host, "reference_chain": reference, "client_id": id})
                );
            } else {
                println!("created client {id} on {host} (of {reference}); the link is unchanged");
            }
        }
        Command::Create { step, a, b, .. } => {
            let (Some(a), Some(b)) = (a, b) else {
                anyhow::bail!("name the two chains (or --host-chain and --reference-chain)");
            };
            let (ca, cb) = chains(&cfg, &a, &b).await?;
            let path = LinkState::path(&cfg.state_dir, &a, &b);
            let mut st = LinkState::load(&path)?.unwrap_or_else(|| LinkState {
                a: estuary_relayer::link::End {
                    chain_id: a.clone(),
                    ..Default::default()
                },
                b: estuary_relayer::link::End {
                    chain_id: b.clone(),
                    ..Default::default()
                },
            });
            estuary_relayer::link::run_step(&ca, &cb, &mut st, step).await?;
            st.save(&path)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&st)?);
            } else {
                println!("{:?} done: {} {:?} / {} {:?}", step, a, st.a, b, st.b);
            }
        }
        Command::Clear { a, b } => {
            let (ca, cb) = chains(&cfg, &a, &b).await?;
            let r = estuary_relayer::relay_once(&ca, &cb, &linked(&cfg, &a, &b)?).await?;
            if json {
                println!("{}", serde_json::to_string(&r)?);
            } else {
                println!(
                    "relayed {} packets, {} acks, {} timeouts",
                    r.packets, r.acks, r.timeouts
                );
            }
        }
        Command::Start {
            a,
            b,
            trigger,
            interval,
            metrics,
        } => {
            let named = match (a.as_deref(), b.as_deref()) {
                (Some(a), Some(b)) => Some((a, b)),
                (None, None) => None,
                _ => bail!("name both chains of the path, or none to relay every [[paths]] entry"),
            };
            if !(interval.is_finite() && interval > 0.0) {
                bail!("--interval must be a positive number of seconds");
            }
            let paths = cfg.paths_to_run(named)?;
            estuary_relayer::run::start(
                &cfg,
                paths,
                estuary_relayer::run::RunOptions {
                    trigger,
                    interval: Duration::from_secs_f64(interval),
                    metrics_addr: metrics,
                },
            )
            .await?;
        }
        Command::Audit { a, b } => {
            let (ca, cb) = chains(&cfg, &a, &b).await?;
            let st = linked(&cfg, &a, &b)?;
            let lines = estuary_relayer::audit::audit(&ca, &st.a, &cb, &st.b).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&lines)?);
            } else if lines.is_empty() {
                println!(
                    "nothing escrowed between {a} and {b} on {} and {}: balanced",
                    st.a.channel_id, st.b.channel_id
                );
            } else {
                for l in &lines {
                    println!(
                        "{} {} escrows {}{}; {} has {} {}; {} in flight: {}",
                        l.escrow_chain,
                        l.channel_id,
                        l.escrowed,
                        l.denom,
                        if l.escrow_chain == a { &b } else { &a },
                        l.vouchers,
                        l.voucher,
                        l.in_flight,
                        if l.balanced { "balanced" } else { "MISMATCH" }
                    );
                }
            }
            if lines.iter().any(|l| !l.balanced) {
                std::process::exit(2);
            }
        }
        Command::Report { a, b } => {
            let (ca, cb) = chains(&cfg, &a, &b).await?;
            let st = linked(&cfg, &a, &b)?;
            let mut all = estuary_relayer::audit::report(&ca, &st.a, &cb, &st.b).await?;
            all.extend(estuary_relayer::audit::report(&cb, &st.b, &ca, &st.a).await?);
            // A pending packet the running relayer skipped as poison waits for its timeout.
            let poisoned = Progress::poisoned_between(&cfg.state_dir, &a, &b);
            for p in all.iter_mut().filter(|p| p.fate == "pending") {
                if poisoned.contains(&(p.from.clone(), p.sequence)) {
                    p.fate = "poison";
                }
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                for p in &all {
                    println!(
                        "{} #{} {} (sent {:?}, received {:?}, acked {:?})",
                        p.from,
                        p.sequence,
                        p.fate,
                        p.sent_height,
                        p.received_height,
                        p.acked_height
                    );
                }
            }
        }
        Command::IbcPath { a, b, write } => {
            let st = linked(&cfg, &a, &b)?;
            fn end(e: &estuary_relayer::link::End) -> estuary_client::chain_info::PathEnd<'_> {
                estuary_client::chain_info::PathEnd {
                    chain_id: &e.chain_id,
                    client_id: &e.client_id,
                    connection_id: &e.connection_id,
                    port_id: "transfer",
                    channel_id: &e.channel_id,
                }
            }
            let (file, doc) = estuary_client::chain_info::ibc_path(end(&st.a), end(&st.b));
            match write {
                Some(dir) => estuary_client::chain_info::write_document(&dir, &file, &doc)?,
                None => println!("{}", serde_json::to_string_pretty(&doc)?),
            }
        }
        Command::Status { a, b } => {
            let (ca, cb) = chains(&cfg, &a, &b).await?;
            let mut s = estuary_relayer::status(&ca, &cb, &linked(&cfg, &a, &b)?).await?;
            // Poison packets are known from the running relayer's last pass (its progress files).
            let poisoned = Progress::poisoned_between(&cfg.state_dir, &a, &b);
            let mismatched = Progress::mismatched_between(&cfg.state_dir, &a, &b);
            for side in &mut s {
                side.rpc_mismatches = mismatched
                    .iter()
                    .filter(|(chain, _)| *chain == side.chain_id)
                    .map(|(_, seq)| *seq)
                    .collect();
                side.poison_packets = poisoned
                    .iter()
                    .filter(|(chain, seq)| {
                        *chain == side.chain_id && side.pending_packets.contains(seq)
                    })
                    .map(|(_, seq)| *seq)
                    .collect();
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                for side in s {
                    println!(
                        "{} at {}: client {} at {} ({:?}), {} {}, pending {:?}, poison (left to time out) {:?}",
                        side.chain_id,
                        side.height,
                        side.client_id,
                        side.client_height,
                        side.client_status,
                        side.connection_id,
                        side.channel_id,
                        side.pending_packets,
                        side.poison_packets
                    );
                    if let Some(advice) = side.client_status.advice(&side.chain_id, &side.client_id)
                    {
                        println!("  {advice}");
                    }
                    if !side.rpc_mismatches.is_empty() {
                        println!(
                            "  {}'s RPC endpoint described {:?} with data that does not match the proven commitments: not relayed from it (use another endpoint)",
                            side.chain_id, side.rpc_mismatches
                        );
                    }
                }
            }
        }
    }
    Ok(())
}
