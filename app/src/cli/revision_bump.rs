//! The chain-id change of an IBC upgrade, done by the binary that knows the upgrade when it
//! starts on the old chain's data.
//!
//! CometBFT v0.38 cannot change a chain's id in place: the Cosmos way is a restart from
//! exported state under a new genesis. When governance scheduled the upgrade with
//! `MsgIBCSoftwareUpgrade` and an upgraded client state naming a new chain id (`estuary-a-1` →
//! `estuary-a-2`), the old chain stops at the plan's height H, after writing the upgraded
//! consensus state in block H-1. This binary, started on that data, then:
//! - exports the state after H-1 (the upgrade plan still pending, so its handler runs in the new
//!   chain's first block, H);
//! - writes the new genesis: the new chain id, initial height H, the same consensus parameters
//!   and state, and as genesis time one second after block H-1's time (the time the upgraded
//!   consensus state carries: the new chain's first header must be later, and every node must
//!   compute the same genesis);
//! - keeps the old chain's data and genesis beside the new ones (`data.<old id>/`,
//!   `config/genesis.<old id>.json`), starts CometBFT's from nothing (its signing state
//!   included: heights of another chain id cannot double-sign this one), and points
//!   `client.toml` at the new id.
//!
//! Every node does the same from the same state, so they all start the same chain.

use anyhow::{anyhow, bail, Context, Result};
use estuary_genesis::GenesisDoc;
use estuary_sdk::store::{Storage, StorageConfig};
use estuary_upgrade::UpgradeReader;
use prost::Message;
use tracing::{info, warn};

use super::client_config::ClientToml;
use crate::config::Home;

/// What a revision bump did.
pub struct Bumped {
    pub old_chain_id: String,
    pub new_chain_id: String,
    pub initial_height: u64,
}

/// Restarts the chain under its new id if the node's data stops right before an IBC upgrade
/// that changes it and this binary has the upgrade's handler; otherwise leaves everything as is.
pub fn prepare(home: &Home) -> Result<Option<Bumped>> {
    if let Some(done) = resume(home)? {
        return Ok(Some(done));
    }
    if !home.state_db().exists() {
        return Ok(None);
    }
    let storage = Storage::open(home.state_db(), StorageConfig::default())
        .with_context(|| format!("opening {}", home.state_db().display()))?;
    let Some(last) = storage.latest() else {
        return Ok(None);
    };
    // Everything that decides whether to bump is read from the latest state directly: the
    // export (the whole state) is made only for a bump.
    let latest = storage
        .snapshot()
        .map_err(|e| anyhow!("reading the state: {e}"))?;
    let read = |what: &str, r: estuary_sdk::TxResult<Option<Vec<u8>>>| {
        r.map_err(|e| anyhow!("reading the {what}: {e}"))
    };
    let Some(plan) = latest
        .upgrade_plan()
        .map_err(|e| anyhow!("reading the upgrade plan: {e}"))?
    else {
        return Ok(None);
    };
    if last.version.checked_add(1) != Some(plan.height)
        || !estuary_genesis::upgrade_handlers()
            .iter()
            .any(|h| h.name == plan.name)
    {
        return Ok(None);
    }
    let Some(client) = read("upgraded client", latest.upgraded_client(plan.height))? else {
        return Ok(None);
    };
    let original = GenesisDoc::load(&home.genesis())?;
    let new_chain_id = chain_id_of(&client)?;
    let old_chain_id = original.chain_id.clone();
    if new_chain_id == old_chain_id {
        return Ok(None);
    }
    let cons = read(
        "upgraded consensus state",
        latest.upgraded_consensus_state(plan.height),
    )?
    .ok_or_else(|| {
        anyhow!(
            "upgrade {:?} moves {old_chain_id} to {new_chain_id}, but block {} wrote no \
             upgraded consensus state",
            plan.name,
            last.version
        )
    })?;
    drop(latest);
    let mut doc = super::node::exported(&storage, last, &original)?;
    doc.genesis_time = genesis_time_after(&cons)?;
    doc.chain_id = new_chain_id.clone();
    // The state differs from the old chain's (its chain id is part of it): no app hash to match.
    doc.app_hash = String::new();
    drop(storage);

    let kept_data = home.0.join(format!("data.{old_chain_id}"));
    if kept_data.exists() {
        bail!(
            "{} already exists: a revision bump from {old_chain_id} was started before; move it \
             away to redo it",
            kept_data.display()
        );
    }
    // In an order a crash at any step can resume from (see `resume`): the new genesis first,
    // beside the old one; then the old data aside; then the new genesis in place.
    let next = next_genesis(home);
    let tmp = next.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(&doc)? + "\n")
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &next).with_context(|| format!("writing {}", next.display()))?;
    let kept_genesis = home
        .config_dir()
        .join(format!("genesis.{old_chain_id}.json"));
    std::fs::copy(home.genesis(), &kept_genesis)
        .with_context(|| format!("keeping the old genesis as {}", kept_genesis.display()))?;
    std::fs::rename(home.data_dir(), &kept_data)
        .with_context(|| format!("keeping the old data as {}", kept_data.display()))?;
    finish(home, &old_chain_id, &new_chain_id)?;
    warn!(
        upgrade = %plan.name,
        old = %old_chain_id,
        new = %new_chain_id,
        height = plan.height,
        kept = %kept_data.display(),
        "IBC upgrade: the chain goes on under its new chain id from the upgrade height"
    );
    info!(genesis_time = %doc.genesis_time, "new genesis written");
    Ok(Some(Bumped {
        old_chain_id,
        new_chain_id,
        initial_height: plan.height,
    }))
}

/// The chain id of an upgraded Tendermint client state (a proto `Any`'s bytes).
fn chain_id_of(any: &[u8]) -> Result<String> {
    let any = ibc_proto::google::protobuf::Any::decode(any).context("the upgraded client state")?;
    let cs =
        ibc_proto::ibc::lightclients::tendermint::v1::ClientState::decode(any.value.as_slice())
            .context("the upgraded client state")?;
    Ok(cs.chain_id)
}

/// One second after the upgraded consensus state's time (the old chain's last block's), in the
/// genesis file's RFC 3339 form.
fn genesis_time_after(any: &[u8]) -> Result<String> {
    let any =
        ibc_proto::google::protobuf::Any::decode(any).context("the upgraded consensus state")?;
    let cs =
        ibc_proto::ibc::lightclients::tendermint::v1::ConsensusState::decode(any.value.as_slice())
            .context("the upgraded consensus state")?;
    let ts = cs
        .timestamp
        .ok_or_else(|| anyhow!("the upgraded consensus state has no time"))?;
    let nanos = u32::try_from(ts.nanos).context("the upgraded consensus state's time")?;
    let time = tendermint::Time::from_unix_timestamp(ts.seconds, nanos)
        .map_err(|e| anyhow!("the upgraded consensus state's time: {e}"))?;
    let later =
        (time + std::time::Duration::from_secs(1)).map_err(|e| anyhow!("the genesis time: {e}"))?;
    Ok(later.to_rfc3339())
}

/// Where the new genesis waits until the old data is out of the way.
fn next_genesis(home: &Home) -> std::path::PathBuf {
    home.config_dir().join("genesis.next.json")
}

/// The new chain's empty data (CometBFT's signing state from height 0), the new genesis in
/// place, `client.toml` on the new id.
fn finish(home: &Home, old_chain_id: &str, new_chain_id: &str) -> Result<()> {
    std::fs::create_dir_all(home.data_dir())?;
    std::fs::write(
        home.data_dir().join("priv_validator_state.json"),
        "{\n  \"height\": \"0\",\n  \"round\": 0,\n  \"step\": 0\n}\n",
    )?;
    std::fs::rename(next_genesis(home), home.genesis())
        .with_context(|| format!("writing {}", home.genesis().display()))?;
    let client_toml = ClientToml::path(home);
    if let Some(mut c) = ClientToml::load(&client_toml)? {
        if c.chain_id == old_chain_id {
            c.chain_id = new_chain_id.to_string();
            c.save(&client_toml)?;
        }
    }
    Ok(())
}

/// A revision bump a crash interrupted: with the new genesis written and the old data moved
/// aside, it is finished; with the old data still in place, the half-written new genesis is
/// dropped and the bump starts over from the data.
fn resume(home: &Home) -> Result<Option<Bumped>> {
    let next = next_genesis(home);
    if !next.exists() {
        return Ok(None);
    }
    let doc = GenesisDoc::load(&next)?;
    let old = GenesisDoc::load(&home.genesis())?;
    if home.0.join(format!("data.{}", old.chain_id)).exists() && !home.state_db().exists() {
        warn!(old = %old.chain_id, new = %doc.chain_id, "finishing an interrupted revision bump");
        finish(home, &old.chain_id, &doc.chain_id)?;
        let initial_height = doc.initial_height.parse().unwrap_or_default();
        return Ok(Some(Bumped {
            old_chain_id: old.chain_id,
            new_chain_id: doc.chain_id,
            initial_height,
        }));
    }
    std::fs::remove_file(&next).with_context(|| format!("removing {}", next.display()))?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn doc(chain_id: &str) -> String {
        format!(
            r#"{{"genesis_time": "2026-01-01T00:00:00Z", "chain_id": "{chain_id}", "initial_height": "40", "app_state": {{}}}}"#
        )
    }

    #[test]
    fn a_bump_interrupted_after_the_old_data_moved_aside_is_finished() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home(dir.path().to_path_buf());
        std::fs::create_dir_all(home.config_dir()).unwrap();
        std::fs::write(home.genesis(), doc("est-1")).unwrap();
        std::fs::write(next_genesis(&home), doc("est-2")).unwrap();
        std::fs::create_dir_all(dir.path().join("data.est-1")).unwrap();
        let done = prepare(&home).unwrap().expect("finished");
        assert_eq!(
            (done.old_chain_id.as_str(), done.new_chain_id.as_str()),
            ("est-1", "est-2")
        );
        assert_eq!(done.initial_height, 40);
        assert_eq!(GenesisDoc::load(&home.genesis()).unwrap().chain_id, "est-2");
        assert!(home.data_dir().join("priv_validator_state.json").exists());
        assert!(!next_genesis(&home).exists());
        // Started again: nothing more to do.
        assert!(prepare(&home).unwrap().is_none());
    }

    #[test]
    fn a_bump_interrupted_before_the_old_data_moved_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home(dir.path().to_path_buf());
        std::fs::create_dir_all(home.config_dir()).unwrap();
        std::fs::write(home.genesis(), doc("est-1")).unwrap();
        std::fs::write(next_genesis(&home), doc("est-2")).unwrap();
        // No state in data/ here, so no plan: the half-written genesis is dropped, nothing else.
        assert!(prepare(&home).unwrap().is_none());
        assert!(!next_genesis(&home).exists());
        assert_eq!(GenesisDoc::load(&home.genesis()).unwrap().chain_id, "est-1");
    }
}
