use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use estuary_genesis::GenesisDoc;
use estuary_sdk::store::{Storage, StorageConfig};
use serde::Serialize;
use tendermint_rpc::Client;
use tracing::info;

use super::{Global, NodeArgs};
use crate::abci::AbciApp;
use crate::app::{App, AppConfig};
use crate::client::Node;
use crate::config::AppToml;

#[derive(clap::Args)]
pub struct StartArgs {
    /// Override the ABCI listen address from app.toml (host:port).
    #[arg(long)]
    pub abci: Option<String>,
    /// Run only the ABCI application; CometBFT is started separately (`cometbft start --home
    /// <same home>`). Without it, estuaryd starts and supervises CometBFT itself.
    #[arg(long)]
    pub abci_only: bool,
    /// The CometBFT binary to supervise (default: ESTUARY_COMETBFT, else `cometbft` beside
    /// estuaryd, else on the PATH).
    #[arg(long, conflicts_with = "abci_only")]
    pub cometbft: Option<std::path::PathBuf>,
    /// Do cosmovisor's job: run the node from `<home>/cosmovisor/current/bin/estuaryd` (the
    /// genesis binary at first, copied from this one if missing) and, when it stops for upgrade
    /// NAME, switch to `<home>/cosmovisor/upgrades/NAME/bin/estuaryd` and start again.
    #[arg(long)]
    pub cosmovisor: bool,
}

#[derive(clap::Args)]
pub struct ExportArgs {
    /// Write here instead of stdout.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    /// The state after this block (default: the latest), if the store still keeps it.
    #[arg(long)]
    pub height: Option<u64>,
}

#[derive(clap::Args)]
pub struct RollbackArgs {
    /// Roll back only estuaryd's state, not CometBFT's (when you run `cometbft rollback`
    /// yourself).
    #[arg(long)]
    pub app_only: bool,
    /// The CometBFT binary whose `rollback` to run (default: as `start` finds it).
    #[arg(long, conflicts_with = "app_only")]
    pub cometbft: Option<std::path::PathBuf>,
}

#[derive(clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub node: NodeArgs,
}

pub fn start(g: &Global, a: StartArgs) -> Result<()> {
    let home = g.home();
    if !home.app_toml().exists() {
        bail!(
            "{} holds no node (no config/app.toml): run `estuaryd init <moniker> --chain-id <id>` \
             to make one there, or pass --home <the node's home>",
            home.0.display()
        );
    }
    if a.cosmovisor {
        let mut args: Vec<String> = std::env::args()
            .skip(1)
            .filter(|arg| arg != "--cosmovisor")
            .collect();
        // The layout's binaries have no `cometbft` beside them: give them this one's.
        if !a.abci_only && a.cometbft.is_none() {
            let bin = crate::supervisor::find_cometbft(None)?;
            args.extend(["--cometbft".to_string(), bin.display().to_string()]);
        }
        return crate::cosmovisor::launch(&home.0, args);
    }
    let cfg = AppToml::load(&home.app_toml())?;
    let addr = a.abci.unwrap_or(cfg.abci_address.clone());
    if let Some(b) = super::revision_bump::prepare(&home)? {
        info!(
            old = %b.old_chain_id,
            new = %b.new_chain_id,
            from_height = b.initial_height,
            "starting the upgraded chain"
        );
    }
    std::fs::create_dir_all(home.data_dir())?;
    let storage = Storage::open(
        home.state_db(),
        StorageConfig {
            keep_recent: cfg.pruning_keep_recent,
            cache_bytes: cfg.store_cache_mb.saturating_mul(1 << 20),
        },
    )
    .with_context(|| {
        format!(
            "opening {} (is another estuaryd running on this home?)",
            home.state_db().display()
        )
    })?;
    let app_config = AppConfig {
        min_gas_prices: cfg.gas_prices()?,
        min_retain_blocks: cfg.min_retain_blocks,
        genesis_spill_every: None,
        upgrade_handlers: estuary_genesis::upgrade_handlers(),
        upgrade_info_file: Some(home.data_dir().join("upgrade-info.json")),
        ibc_upgrade_halt_grace: std::time::Duration::from_secs(cfg.ibc_upgrade_halt_grace_secs),
    };
    let app = Arc::new(App::new(storage, crate::modules(), app_config));
    if !cfg.grpc_address.is_empty() || !cfg.api_address.is_empty() {
        spawn_query_servers(app.clone(), &cfg)?;
    }
    let mut abci = AbciApp::new(app.clone())
        .with_event_index(crate::abci::EventIndex::new(&cfg.index_events)?);
    if !cfg.metrics_address.is_empty() {
        let mut metrics = crate::metrics::NodeMetrics::new();
        metrics.store_file = Some(home.state_db());
        let metrics = Arc::new(metrics);
        crate::metrics::spawn_server(cfg.metrics_address.clone(), metrics.clone())
            .with_context(|| format!("serving metrics on {}", cfg.metrics_address))?;
        abci = abci.with_metrics(metrics);
    }
    // Snapshots are always served and restored (a node with none lists none); written only
    // with `snapshot_interval`.
    abci = abci.with_snapshots(Arc::new(crate::snapshots::Snapshots::new(
        crate::snapshots::dir(&home.data_dir()),
        crate::snapshots::SnapshotConfig {
            interval: cfg.snapshot_interval,
            keep_recent: cfg.snapshot_keep_recent,
            chunk_bytes: cfg.snapshot_chunk_bytes.max(1024),
        },
    )));
    let last = app.last_commit();
    // Found before anything listens, so a missing binary fails fast.
    let cometbft = if a.abci_only {
        None
    } else {
        Some(crate::supervisor::find_cometbft(a.cometbft)?)
    };
    info!(abci = %addr, height = last.map_or(0, |l| l.version), "starting estuaryd");
    let listener = crate::abci_server::bind(&addr)?;
    match cometbft {
        None => crate::abci_server::serve_on(listener, abci),
        Some(bin) => crate::supervisor::run(&bin, &home.0, listener, abci),
    }
}

/// Runs the gRPC server and the REST API (each when configured) on a thread and runtime of
/// their own; the ABCI server keeps the main thread. Both answer through one `grpc::Service`.
fn spawn_query_servers(app: Arc<App>, cfg: &AppToml) -> Result<()> {
    let grpc_addr: Option<std::net::SocketAddr> = match cfg.grpc_address.as_str() {
        "" => None,
        a => Some(
            a.parse()
                .with_context(|| format!("grpc_address {a:?} in app.toml"))?,
        ),
    };
    let api = match cfg.api_address.as_str() {
        "" => None,
        a => Some(crate::rest::ApiConfig {
            address: a
                .trim_start_matches("tcp://")
                .parse()
                .with_context(|| format!("api_address {a:?} in app.toml"))?,
            cors: cfg.api_enable_unsafe_cors,
        }),
    };
    let service = crate::grpc::Service::new(app, &cfg.cometbft_rpc)?;
    // Queries run on the blocking pool (see `grpc::Service::query`); the workers only move bytes.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().max(2));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .max_blocking_threads(64)
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("grpc".into())
        .spawn(move || {
            runtime.block_on(async move {
                let mut servers = tokio::task::JoinSet::new();
                if let Some(addr) = grpc_addr {
                    servers.spawn(crate::grpc::serve(service.clone(), addr));
                }
                if let Some(api) = api {
                    servers.spawn(crate::rest::serve(service, api));
                }
                while let Some(done) = servers.join_next().await {
                    match done {
                        Ok(Err(e)) => tracing::error!("{e:#}"),
                        Err(e) => tracing::error!("query server task: {e}"),
                        Ok(Ok(())) => {}
                    }
                }
            })
        })?;
    Ok(())
}

pub fn export(g: &Global, a: ExportArgs) -> Result<()> {
    let home = g.home();
    let storage = Storage::open(home.state_db(), StorageConfig::default()).with_context(|| {
        format!(
            "opening {} (stop the node before exporting)",
            home.state_db().display()
        )
    })?;
    let latest = storage
        .latest()
        .ok_or_else(|| anyhow!("the node has not committed a block yet"))?;
    let last = match a.height {
        None => latest,
        Some(h) => estuary_sdk::store::CommitInfo {
            version: h,
            app_hash: storage
                .app_hash_at(h)
                .map_err(|e| anyhow!("height {h}: {e}"))?,
        },
    };
    let original = GenesisDoc::load(&home.genesis())?;
    let doc = exported(&storage, last, &original)?;
    let text = serde_json::to_string_pretty(&doc)? + "\n";
    match a.out {
        Some(path) => {
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{text}"),
    }
    info!(height = last.version, app_hash = %hex::encode_upper(last.app_hash), "exported state");
    Ok(())
}

/// The genesis document of the state after block `last`: a chain restarted from it goes on at
/// the next height with the same state.
pub(super) fn exported(
    storage: &Storage,
    last: estuary_sdk::store::CommitInfo,
    original: &GenesisDoc,
) -> Result<GenesisDoc> {
    // The state of that version, listed from its trees (the latest is listed the same way).
    let state = estuary_sdk::store::MemState(
        storage
            .entries_at(last.version)
            .map_err(|e| anyhow!("reading the state of height {}: {e}", last.version))?
            .into_iter()
            .collect(),
    );
    let app = App::new(storage.clone(), crate::modules(), AppConfig::default());
    let app_state = app
        .modules()
        .export_genesis(&state)
        .map_err(|e| anyhow!("exporting state: {e}"))?;
    let chain_id = app.chain_id(&state).map_err(|e| anyhow!("{e}"))?;
    let doc = GenesisDoc {
        genesis_time: original.genesis_time.clone(),
        chain_id,
        initial_height: (last.version + 1).to_string(),
        consensus_params: original.consensus_params.clone(),
        validators: Vec::new(),
        app_hash: hex::encode_upper(last.app_hash),
        app_state: serde_json::from_value(app_state)
            .context("exported state does not fit the genesis types")?,
    };
    Ok(doc)
}

/// `rollback`: undoes the last committed block in estuaryd's store and (unless `--app-only`)
/// in CometBFT's state; started again, the node re-executes that block.
pub fn rollback(g: &Global, a: RollbackArgs) -> Result<()> {
    let home = g.home();
    let cometbft = if a.app_only {
        None
    } else {
        Some(crate::supervisor::find_cometbft(a.cometbft)?)
    };
    let storage = Storage::open(home.state_db(), StorageConfig::default()).with_context(|| {
        format!(
            "opening {} (stop the node before rolling back)",
            home.state_db().display()
        )
    })?;
    let before = storage.latest_version();
    let info = storage
        .rollback()
        .map_err(|e| anyhow!("rolling back estuaryd's state: {e}"))?;
    drop(storage);
    if let Some(bin) = cometbft {
        let out = std::process::Command::new(&bin)
            .arg("rollback")
            .arg("--home")
            .arg(&home.0)
            .output()
            .with_context(|| format!("running {} rollback", bin.display()))?;
        if !out.status.success() {
            anyhow::bail!(
                "estuaryd's state is at {} now, but CometBFT's rollback failed ({}): {}",
                info.version,
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        info!(output = %String::from_utf8_lossy(&out.stdout).trim(), "CometBFT rolled back");
    }
    let shown = serde_json::json!({
        "rolled_back": before.to_string(),
        "height": info.version.to_string(),
        "app_hash": hex::encode_upper(info.app_hash),
    });
    g.print(&shown, |_| {
        format!(
            "rolled back block {before}: state at height {} (app hash {})",
            info.version,
            hex::encode_upper(info.app_hash)
        )
    })
}

#[derive(Serialize)]
struct StatusOut {
    chain_id: String,
    moniker: String,
    latest_block_height: u64,
    latest_block_time: String,
    latest_app_hash: String,
    catching_up: bool,
    voting_power: u64,
}

pub async fn status(g: &Global, a: StatusArgs) -> Result<()> {
    let node = Node::connect(&a.node.node)?;
    let s = node.rpc.status().await.map_err(|e| node.explain(e))?;
    let out = StatusOut {
        chain_id: s.node_info.network.to_string(),
        moniker: s.node_info.moniker.to_string(),
        latest_block_height: s.sync_info.latest_block_height.value(),
        latest_block_time: s.sync_info.latest_block_time.to_rfc3339(),
        latest_app_hash: s.sync_info.latest_app_hash.to_string(),
        catching_up: s.sync_info.catching_up,
        voting_power: s.validator_info.power.value(),
    };
    g.print(&out, |o| {
        format!(
            "chain id:   {}\nmoniker:    {}\nheight:     {}\ntime:       {}\napp hash:   {}\ncatching up: {}",
            o.chain_id, o.moniker, o.latest_block_height, o.latest_block_time, o.latest_app_hash, o.catching_up
        )
    })
}

#[derive(Serialize)]
struct StoreUsageOut {
    path: String,
    file_bytes: u64,
    version: Option<u64>,
    tables: Vec<TableUsageOut>,
}

#[derive(Serialize)]
struct TableUsageOut {
    table: &'static str,
    entries: u64,
    stored_bytes: u64,
    metadata_bytes: u64,
    fragmented_bytes: u64,
}

pub fn store_usage(g: &Global) -> Result<()> {
    let home = g.home();
    let path = home.state_db();
    let file_bytes = std::fs::metadata(&path)
        .with_context(|| format!("{} (has this node started once?)", path.display()))?
        .len();
    let storage = Storage::open(&path, StorageConfig::default()).with_context(|| {
        format!(
            "opening {} (stop the node before reading its store)",
            path.display()
        )
    })?;
    let tables = storage
        .usage()
        .map_err(|e| anyhow!("reading the store: {e}"))?
        .into_iter()
        .map(|t| TableUsageOut {
            table: t.table,
            entries: t.entries,
            stored_bytes: t.stored_bytes,
            metadata_bytes: t.metadata_bytes,
            fragmented_bytes: t.fragmented_bytes,
        })
        .collect();
    let out = StoreUsageOut {
        path: path.display().to_string(),
        file_bytes,
        version: storage.latest().map(|l| l.version),
        tables,
    };
    g.print(&out, |o| {
        let mut text = format!(
            "{} ({} bytes, version {})\n{:<14} {:>10} {:>14} {:>14} {:>14}",
            o.path,
            o.file_bytes,
            o.version.map_or("-".to_string(), |v| v.to_string()),
            "table",
            "entries",
            "stored bytes",
            "b-tree bytes",
            "unused bytes"
        );
        for t in &o.tables {
            text.push_str(&format!(
                "\n{:<14} {:>10} {:>14} {:>14} {:>14}",
                t.table, t.entries, t.stored_bytes, t.metadata_bytes, t.fragmented_bytes
            ));
        }
        text
    })
}
