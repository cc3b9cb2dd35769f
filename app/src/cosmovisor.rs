//! `estuaryd start --cosmovisor`: cosmovisor's job, in estuaryd. The Go module proxy does not
//! serve cosmovisor, so an operator who wants a node that switches binaries at an upgrade by
//! itself gets it here, with cosmovisor's directory layout, so the same home works under the real
//! cosmovisor too:
//!
//! ```text
//! <home>/cosmovisor/genesis/bin/estuaryd          the binary the chain started with
//! <home>/cosmovisor/upgrades/<name>/bin/estuaryd  the binary for upgrade <name>
//! <home>/cosmovisor/current -> genesis | upgrades/<name>
//! ```
//!
//! This process only launches: it runs `current/bin/estuaryd start …` (the node, supervising
//! CometBFT as usual) and passes SIGTERM/SIGINT on. When the node stops for an upgrade (a
//! non-zero exit with `data/upgrade-info.json` naming it) and `upgrades/<name>/bin/estuaryd`
//! exists, `current` is pointed at it and the node is started again on the new binary; without
//! that binary the launcher stops with the node, as cosmovisor does, and says what is missing.
//! (Not done: cosmovisor's automatic download and data backup.)

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use tokio::signal::unix::{signal, SignalKind};
use tracing::{error, info, warn};

/// The binary's name inside the layout.
const BIN: &str = "estuaryd";

/// The cosmovisor layout of a home.
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    pub fn of(home: &Path) -> Layout {
        Layout {
            root: home.join("cosmovisor"),
        }
    }

    pub fn genesis_bin(&self) -> PathBuf {
        self.root.join("genesis/bin").join(BIN)
    }

    pub fn upgrade_bin(&self, name: &str) -> PathBuf {
        self.root.join("upgrades").join(name).join("bin").join(BIN)
    }

    fn current_link(&self) -> PathBuf {
        self.root.join("current")
    }

    /// The binary `current` points at (genesis when there is no link yet).
    pub fn current_bin(&self) -> PathBuf {
        let link = self.current_link();
        if link.exists() {
            link.join("bin").join(BIN)
        } else {
            self.genesis_bin()
        }
    }

    /// Points `current` at `upgrades/<name>` (replacing the link atomically).
    fn switch_to(&self, name: &str) -> Result<()> {
        let target = Path::new("upgrades").join(name);
        let tmp = self.root.join("current.new");
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&target, &tmp)
            .with_context(|| format!("linking {}", tmp.display()))?;
        std::fs::rename(&tmp, self.current_link())
            .with_context(|| format!("replacing {}", self.current_link().display()))?;
        Ok(())
    }

    /// Creates `genesis/bin/estuaryd` from this executable if the layout has none (cosmovisor
    /// `init`).
    fn ensure_genesis(&self) -> Result<()> {
        let bin = self.genesis_bin();
        if bin.exists() {
            return Ok(());
        }
        let me = std::env::current_exe().context("finding this executable")?;
        if let Some(dir) = bin.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::copy(&me, &bin)
            .with_context(|| format!("copying {} to {}", me.display(), bin.display()))?;
        info!(bin = %bin.display(), "cosmovisor layout: genesis binary installed from this executable");
        Ok(())
    }
}

/// The upgrade a stopped node asked for: `data/upgrade-info.json`'s name.
fn requested_upgrade(home: &Path) -> Option<String> {
    let text = std::fs::read_to_string(home.join("data/upgrade-info.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("name")?.as_str().map(str::to_string)
}

/// Runs the node from the layout until it stops for good. `args` are this process's arguments
/// after the program name, less `--cosmovisor`: the node gets the same ones.
pub fn launch(home: &Path, args: Vec<String>) -> Result<()> {
    let layout = Layout::of(home);
    layout.ensure_genesis()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    loop {
        let bin = layout.current_bin();
        info!(bin = %bin.display(), "cosmovisor: starting the node");
        let status = runtime.block_on(run_forwarding_signals(&bin, &args))?;
        let Some(status) = status else {
            info!("cosmovisor: the node stopped on a signal; stopping");
            return Ok(());
        };
        if status.success() {
            return Ok(());
        }
        let Some(name) = requested_upgrade(home) else {
            bail!("the node exited ({status}) and asked for no upgrade");
        };
        let next = layout.upgrade_bin(&name);
        if layout.current_bin() == next
            || std::fs::canonicalize(layout.current_bin()).ok() == std::fs::canonicalize(&next).ok()
        {
            bail!("the node exited ({status}) on the binary of upgrade \"{name}\" itself; not restarting it");
        }
        if !next.exists() {
            error!(
                upgrade = %name,
                missing = %next.display(),
                "cosmovisor: the chain needs upgrade \"{name}\" and this home has no binary for it: put it at {} and start again",
                next.display()
            );
            bail!("no binary for upgrade \"{name}\" at {}", next.display());
        }
        layout.switch_to(&name)?;
        warn!(upgrade = %name, bin = %next.display(), "cosmovisor: switched to the upgrade's binary; restarting the node");
    }
}

/// Runs `bin args`, passing SIGTERM and SIGINT on; its exit status, or `None` when a signal
/// stopped it.
async fn run_forwarding_signals(bin: &Path, args: &[String]) -> Result<Option<ExitStatus>> {
    let mut child = Command::new(bin)
        .args(args)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let pid = i32::try_from(child.id()).map_err(|_| anyhow!("the node's pid does not fit"))?;
    let (tx, mut rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let stop = tokio::select! {
        status = &mut rx => {
            let status = status.map_err(|_| anyhow!("lost the node's exit status"))??;
            return Ok(Some(status));
        }
        _ = term.recv() => Signal::SIGTERM,
        _ = int.recv() => Signal::SIGINT,
    };
    kill(Pid::from_raw(pid), stop).context("signalling the node")?;
    match tokio::time::timeout(Duration::from_secs(60), &mut rx).await {
        Ok(_) => Ok(None),
        Err(_) => {
            warn!("the node did not stop within 60 s; killing it");
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            Ok(None)
        }
    }
}
