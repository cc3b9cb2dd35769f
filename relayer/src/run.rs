//! `start`: relays every configured path (pair of chains and channel) continuously, one task
//! each, waking on new blocks; a monitor keeps the gauges (heights, clients, balances) fresh.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Result};
use tokio::sync::Notify;
use tracing::{info, warn};

use crate::chain::Chain;
use crate::config::{Config, PathConfig};
use crate::link::{client_height, LinkState};
use crate::metrics::{BalanceLabels, ChainLabels, ClientLabels, Metrics, Progress};
use crate::watch::{watch, Trigger};

/// How `start` runs.
pub struct RunOptions {
    pub trigger: Trigger,
    /// Polling period (the fallback when block events are off or down).
    pub interval: Duration,
    /// Serve Prometheus metrics here.
    pub metrics_addr: Option<String>,
}

/// One relay task: a link (one channel both ways) and where its progress is written.
struct Task {
    a: Arc<Chain>,
    b: Arc<Chain>,
    link: LinkState,
    progress_file: PathBuf,
    wake: Arc<Notify>,
}

/// The links of `path`: its configured channels, or the channel `link` opened.
async fn links_of(
    cfg: &Config,
    path: &PathConfig,
    a: &Chain,
    b: &Chain,
) -> Result<Vec<(Option<String>, LinkState)>> {
    if path.channels.is_empty() {
        let file = LinkState::path(&cfg.state_dir, &path.a, &path.b);
        return match LinkState::load(&file)? {
            Some(st) => Ok(vec![(None, st)]),
            None => bail!(
                "{} and {} are not linked yet: run `estuary-relayer link {} {}`, or list the channels to relay in the path",
                path.a, path.b, path.a, path.b
            ),
        };
    }
    let mut out = Vec::new();
    for ch in &path.channels {
        out.push((Some(ch.clone()), LinkState::of_channel(a, b, ch).await?));
    }
    Ok(out)
}

/// Relays `paths` until the process is stopped. When a chain goes on under a new chain id (an
/// IBC upgrade bumped its revision, and the clients of it were upgraded to follow), every path
/// is connected again.
pub async fn start(cfg: &Config, paths: Vec<PathConfig>, opts: RunOptions) -> Result<()> {
    let metrics = Arc::new(Metrics::new());
    if let Some(addr) = opts.metrics_addr.clone() {
        let m = metrics.clone();
        tokio::spawn(async move {
            if let Err(e) = crate::metrics::serve(addr, m).await {
                warn!("metrics endpoint: {e:#}");
            }
        });
    }
    loop {
        let (old, new) = run_paths(cfg, &paths, &opts, metrics.clone()).await?;
        info!(%old, %new, "the chain changed its id (IBC upgrade): connecting every path again");
    }
}

/// Relays `paths` until a chain answers under a later revision of its id; returns the old id and
/// the new.
async fn run_paths(
    cfg: &Config,
    paths: &[PathConfig],
    opts: &RunOptions,
    metrics: Arc<Metrics>,
) -> Result<(String, String)> {
    // One connection (and one signing queue) per chain, shared by every path through it.
    let mut chains: BTreeMap<String, Arc<Chain>> = BTreeMap::new();
    for id in paths.iter().flat_map(|p| [&p.a, &p.b]) {
        if !chains.contains_key(id) {
            chains.insert(id.clone(), Arc::new(Chain::connect(cfg.chain(id)?).await?));
        }
    }
    let chain = |id: &str| {
        chains
            .get(id)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("chain {id}"))
    };
    let mut tasks = Vec::new();
    for path in paths {
        let (a, b) = (chain(&path.a)?, chain(&path.b)?);
        for (channel, link) in links_of(cfg, path, &a, &b).await? {
            info!(
                a = %path.a, a_channel = %link.a.channel_id,
                b = %path.b, b_channel = %link.b.channel_id,
                "relaying"
            );
            tasks.push(Task {
                progress_file: Progress::path(&cfg.state_dir, &path.a, &path.b, channel.as_deref()),
                a: a.clone(),
                b: b.clone(),
                link,
                wake: Arc::new(Notify::new()),
            });
        }
    }
    // Everything this run spawns, stopped when a chain changes its id.
    let mut spawned = Vec::new();
    // Each chain's new blocks wake every task that relays through it.
    for c in chains.values() {
        let wakes: Vec<Arc<Notify>> = tasks
            .iter()
            .filter(|t| Arc::ptr_eq(&t.a, c) || Arc::ptr_eq(&t.b, c))
            .map(|t| t.wake.clone())
            .collect();
        let fan = Arc::new(Notify::new());
        spawned.push(watch(c.clone(), opts.trigger, opts.interval, fan.clone()));
        spawned.push(tokio::spawn(async move {
            loop {
                fan.notified().await;
                for w in &wakes {
                    w.notify_one();
                }
            }
        }));
    }
    spawned.push(tokio::spawn(monitor(
        chains.values().cloned().collect(),
        tasks
            .iter()
            .map(|t| (t.a.clone(), t.b.clone(), t.link.clone()))
            .collect(),
        metrics.clone(),
    )));
    for t in tasks {
        let metrics = metrics.clone();
        spawned.push(tokio::spawn(relay_loop(t, metrics, opts.interval)));
    }
    let renamed = loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        if let Some(renamed) = renamed_chain(chains.values()).await {
            break renamed;
        }
    };
    for task in spawned {
        task.abort();
    }
    Ok(renamed)
}

/// A chain that now answers under a later revision of the id it was connected with.
async fn renamed_chain<'a>(
    chains: impl Iterator<Item = &'a Arc<Chain>>,
) -> Option<(String, String)> {
    for c in chains {
        if let Ok(now) = c.node.chain_id().await {
            if crate::chain::is_later_revision(c.id(), &now) {
                return Some((c.id().to_string(), now));
            }
        }
    }
    None
}

/// Passes on one link: one now, then one per wake-up (new blocks seen while a pass runs make
/// exactly one more pass), and at least one every `idle` even if no wake-up comes.
async fn relay_loop(t: Task, metrics: Arc<Metrics>, interval: Duration) {
    let progress = Mutex::new(Progress::load(&t.progress_file));
    if let Ok(p) = progress.lock() {
        info!(a = t.a.id(), b = t.b.id(), passes = p.passes, heights = ?p.heights, "resuming after the last recorded pass");
    }
    let idle = interval.max(Duration::from_secs(5));
    loop {
        // First: a chain stopped for an IBC upgrade serves its last header only for a while.
        if let Err(e) = crate::upgrade::upgrade_clients(&t.a, &t.b, &t.link).await {
            warn!("client upgrade: {e:#}");
        }
        let pass = crate::relay_both_ways(&t.a, &t.b, &t.link).await;
        for c in [&t.a, &t.b] {
            metrics
                .redundant
                .get_or_create(&ChainLabels {
                    chain: c.id().into(),
                })
                .inc_by(c.take_redundant());
        }
        if let Ok(mut p) = progress.lock() {
            match pass {
                Ok(pass) => {
                    metrics.record(&pass);
                    let [(_, mut total), (_, other)] = pass;
                    total += other;
                    p.record(total);
                }
                Err(e) => {
                    // Nodes restart, mempools fill: a failed pass is retried on the next one.
                    warn!("{e:#}");
                    metrics.pass_errors.inc();
                    p.errors += 1;
                }
            }
            if let Err(e) = p.save(&t.progress_file) {
                warn!("saving progress: {e:#}");
            }
        }
        let _ = tokio::time::timeout(idle, t.wake.notified()).await;
    }
}

/// Every few seconds: chain heights, client heights and expiry, relayer balances.
async fn monitor(
    chains: Vec<Arc<Chain>>,
    links: Vec<(Arc<Chain>, Arc<Chain>, LinkState)>,
    m: Arc<Metrics>,
) {
    let mut last_status = std::collections::HashMap::new();
    loop {
        for c in &chains {
            if let Ok(h) = c.latest_height().await {
                m.chain_height
                    .get_or_create(&ChainLabels {
                        chain: c.id().into(),
                    })
                    .set(h as i64);
            }
            if let Ok(balances) = c.node.balances(&c.signer).await {
                for coin in balances {
                    m.balance
                        .get_or_create(&BalanceLabels {
                            chain: c.id().into(),
                            denom: coin.denom,
                        })
                        .set(coin.amount as f64);
                }
            }
        }
        let now = tendermint::Time::now().unix_timestamp();
        for (a, b, link) in &links {
            for (host, other, end) in [(a, b, &link.a), (b, a, &link.b)] {
                let labels = ClientLabels {
                    chain: host.id().into(),
                    client: end.client_id.clone(),
                };
                let view = match crate::client_view(other, host, &end.client_id).await {
                    Ok(view) => view,
                    Err(_) => {
                        // No consensus state to read: at least the height, when there is one.
                        if let Ok(h) = client_height(host, &end.client_id).await {
                            m.client_height.get_or_create(&labels).set(h as i64);
                        }
                        continue;
                    }
                };
                m.client_height
                    .get_or_create(&labels)
                    .set(view.height as i64);
                m.client_expiry
                    .get_or_create(&labels)
                    .set(view.expires_at - now);
                let status = view.status;
                m.client_status.get_or_create(&labels).set(status.code());
                // Said once when a client stops being active, not every few seconds.
                let was = last_status.insert(labels.clone(), status);
                if was != Some(status) {
                    if let Some(advice) = status.advice(host.id(), &end.client_id) {
                        tracing::error!("{advice}");
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}
