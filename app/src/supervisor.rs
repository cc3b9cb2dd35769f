//! `estuaryd start` as one process: the ABCI app in this process and CometBFT as its child, with
//! their logs in one stream. SIGTERM or SIGINT is passed to CometBFT, which stops cleanly, and
//! then estuaryd exits; if CometBFT exits on its own (crash, kill -9) estuaryd exits too, with
//! an error, so a service manager sees one failed unit and restarts both — never a half-alive
//! node whose app runs without consensus. (Restarting CometBFT from here would hide a crash
//! loop from the operator and from the service manager's back-off.)

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use tokio::signal::unix::{signal, SignalKind};
use tracing::{error, info, warn};

use crate::abci::AbciApp;

/// The CometBFT binary to run: `--cometbft`, else `ESTUARY_COMETBFT`, else `cometbft` beside
/// this executable (`scripts/setup` links both into `.bin/`), else `cometbft` on the PATH.
pub fn find_cometbft(flag: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(p) = flag.or_else(|| std::env::var_os("ESTUARY_COMETBFT").map(PathBuf::from)) {
        return Ok(p);
    }
    if let Some(beside) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("cometbft")))
        .filter(|p| p.exists())
    {
        return Ok(beside);
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("cometbft"))
        .find(|p| p.exists());
    on_path.ok_or_else(|| {
        anyhow!("no cometbft binary: pass --cometbft PATH, set ESTUARY_COMETBFT, or run ./scripts/setup (or start --abci-only and run CometBFT yourself)")
    })
}

/// Serves ABCI on `listener` and runs `cometbft start --home <home>` until either stops or a
/// signal comes.
pub fn run(
    cometbft: &Path,
    home: &Path,
    listener: crate::abci_server::AbciListener,
    abci: AbciApp,
) -> Result<()> {
    std::thread::Builder::new()
        .name("abci-accept".into())
        .spawn(move || {
            if let Err(e) = crate::abci_server::serve_on(listener, abci) {
                error!("ABCI server stopped: {e:#}");
                std::process::exit(1);
            }
        })?;
    let mut child = std::process::Command::new(cometbft)
        .arg("start")
        .arg("--home")
        .arg(home)
        .spawn()
        .with_context(|| format!("starting {}", cometbft.display()))?;
    let pid = i32::try_from(child.id()).map_err(|_| anyhow!("CometBFT's pid does not fit"))?;
    info!(pid, cometbft = %cometbft.display(), "CometBFT started (supervised)");
    let (exited_tx, exited_rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("cometbft-wait".into())
        .spawn(move || {
            let _ = exited_tx.send(child.wait());
        })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let mut exited = exited_rx;
        let stop = tokio::select! {
            status = &mut exited => {
                let status = status.map_err(|_| anyhow!("lost CometBFT's exit status"))??;
                bail!("CometBFT exited on its own ({status}); stopping estuaryd with it");
            }
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        info!(signal = stop, "stopping: passing SIGTERM to CometBFT");
        kill(Pid::from_raw(pid), Signal::SIGTERM).context("signalling CometBFT")?;
        match tokio::time::timeout(Duration::from_secs(30), &mut exited).await {
            Ok(status) => {
                let status = status.map_err(|_| anyhow!("lost CometBFT's exit status"))??;
                info!(%status, "CometBFT stopped; estuaryd stops");
            }
            Err(_) => {
                warn!("CometBFT did not stop within 30 s; killing it");
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
        }
        Ok(())
    })
}
