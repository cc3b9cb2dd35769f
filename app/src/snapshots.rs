//! State-sync snapshots (ABCI `ListSnapshots`, `LoadSnapshotChunk`, `OfferSnapshot`,
//! `ApplySnapshotChunk`). Every `snapshot_interval` blocks a node writes the state of that
//! height — every live entry of both substores, read from that version's trees — as chunks
//! under `data/snapshots/<height>/`, with metadata listing each chunk's SHA-256 and the app hash.
//! A joining node accepts a snapshot only if its app hash is the one CometBFT's light client
//! verified for that height, refuses (and refetches from another peer) any chunk whose hash is
//! not the listed one, and commits the restored state only if it gives that app hash.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use borsh::{BorshDeserialize, BorshSerialize};
use estuary_sdk::store::{PendingBlock, StateWrite, Storage};
use sha2::{Digest, Sha256};
use tracing::{info, warn};

/// The one snapshot format: borsh chunks of sorted `(key, value)` entries.
pub const FORMAT: u32 = 1;

#[derive(Clone, Debug, BorshSerialize, BorshDeserialize)]
pub struct SnapshotMeta {
    pub app_hash: [u8; 32],
    pub chunk_hashes: Vec<[u8; 32]>,
}

/// A snapshot as listed to peers.
#[derive(Clone, Debug)]
pub struct Listed {
    pub height: u64,
    pub chunks: u32,
    pub hash: Vec<u8>,
    pub metadata: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct SnapshotConfig {
    /// Write a snapshot every this many blocks (0: never).
    pub interval: u64,
    /// Snapshots kept on disk.
    pub keep_recent: u32,
    /// The largest chunk, in bytes of entries.
    pub chunk_bytes: usize,
}

/// A snapshot being restored.
struct Restoring {
    height: u64,
    meta: SnapshotMeta,
    chunks: Vec<Option<Vec<u8>>>,
}

/// What `ApplySnapshotChunk` answers.
#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    /// The chunk is good; `done` once the whole state was restored and committed.
    Accepted { done: bool },
    /// The chunk's hash is not the listed one: fetch it again, from someone else.
    Refetch,
    /// The restored state does not give the verified app hash: try another snapshot.
    RejectSnapshot,
    /// No snapshot is being restored, or the chunk index is out of range.
    Abort,
}

pub struct Snapshots {
    dir: PathBuf,
    config: SnapshotConfig,
    restoring: Mutex<Option<Restoring>>,
    /// One snapshot written at a time.
    writing: Mutex<()>,
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

impl Snapshots {
    pub fn new(dir: PathBuf, config: SnapshotConfig) -> Snapshots {
        Snapshots {
            dir,
            config,
            restoring: Mutex::new(None),
            writing: Mutex::new(()),
        }
    }

    fn height_dir(&self, height: u64) -> PathBuf {
        self.dir.join(height.to_string())
    }

    /// Whether a snapshot is due after committing `height`.
    pub fn due(&self, height: u64) -> bool {
        self.config.interval > 0 && height.is_multiple_of(self.config.interval)
    }

    /// Writes the snapshot of `height` (in the background after a commit): entries of that
    /// version, chunked, hashed; then drops the snapshots beyond `keep_recent`.
    pub fn write(&self, storage: &Storage, height: u64) -> anyhow::Result<()> {
        let _one = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        let mut entries = storage.entries_at(height)?;
        entries.sort_unstable();
        let app_hash = storage.app_hash_at(height)?;
        let mut chunks: Vec<Vec<(Vec<u8>, Vec<u8>)>> = vec![Vec::new()];
        let mut size = 0usize;
        for (k, v) in entries {
            let entry_size = k.len().saturating_add(v.len()).saturating_add(8);
            if size > 0 && size.saturating_add(entry_size) > self.config.chunk_bytes {
                chunks.push(Vec::new());
                size = 0;
            }
            size = size.saturating_add(entry_size);
            if let Some(last) = chunks.last_mut() {
                last.push((k, v));
            }
        }
        let tmp = self.dir.join(format!(".{height}.tmp"));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp)?;
        let mut chunk_hashes = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            let bytes = borsh::to_vec(chunk)?;
            chunk_hashes.push(sha256(&bytes));
            std::fs::write(tmp.join(format!("chunk-{i}")), bytes)?;
        }
        let meta = SnapshotMeta {
            app_hash,
            chunk_hashes,
        };
        std::fs::write(tmp.join("meta"), borsh::to_vec(&meta)?)?;
        let dest = self.height_dir(height);
        let _ = std::fs::remove_dir_all(&dest);
        std::fs::rename(&tmp, &dest)?;
        info!(height, chunks = chunks.len(), "wrote a state-sync snapshot");
        let mut heights = self.heights();
        heights.sort_unstable();
        let keep = usize::try_from(self.config.keep_recent.max(1)).unwrap_or(usize::MAX);
        while heights.len() > keep {
            let old = heights.remove(0);
            let _ = std::fs::remove_dir_all(self.height_dir(old));
        }
        Ok(())
    }

    fn heights(&self) -> Vec<u64> {
        std::fs::read_dir(&self.dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
                    .filter(|h| self.height_dir(*h).join("meta").exists())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The snapshots this node serves, newest first.
    pub fn list(&self) -> Vec<Listed> {
        let mut out: Vec<Listed> = self
            .heights()
            .into_iter()
            .filter_map(|height| {
                let metadata = std::fs::read(self.height_dir(height).join("meta")).ok()?;
                let meta = SnapshotMeta::try_from_slice(&metadata).ok()?;
                Some(Listed {
                    height,
                    chunks: u32::try_from(meta.chunk_hashes.len()).ok()?,
                    hash: sha256(&metadata).to_vec(),
                    metadata,
                })
            })
            .collect();
        out.sort_by_key(|l| std::cmp::Reverse(l.height));
        out
    }

    /// One chunk, as stored (empty if there is none).
    pub fn load_chunk(&self, height: u64, format: u32, chunk: u32) -> Vec<u8> {
        if format != FORMAT {
            return Vec::new();
        }
        std::fs::read(self.height_dir(height).join(format!("chunk-{chunk}"))).unwrap_or_default()
    }

    /// `OfferSnapshot`: accepted only into an empty store, in our format, with metadata that
    /// decodes and names the app hash CometBFT verified for that height.
    pub fn offer(
        &self,
        storage: &Storage,
        height: u64,
        format: u32,
        metadata: &[u8],
        trusted_app_hash: &[u8],
    ) -> Offer {
        if format != FORMAT {
            return Offer::RejectFormat;
        }
        if storage.latest().is_some() {
            warn!(height, "refusing a snapshot: this node already has state");
            return Offer::Abort;
        }
        let Ok(meta) = SnapshotMeta::try_from_slice(metadata) else {
            return Offer::Reject;
        };
        if meta.app_hash.as_slice() != trusted_app_hash || meta.chunk_hashes.is_empty() {
            warn!(
                height,
                "refusing a snapshot whose app hash is not the verified one"
            );
            return Offer::Reject;
        }
        let chunks = vec![None; meta.chunk_hashes.len()];
        *self.restoring.lock().unwrap_or_else(|p| p.into_inner()) = Some(Restoring {
            height,
            meta,
            chunks,
        });
        info!(height, "restoring a state-sync snapshot");
        Offer::Accept
    }

    /// `ApplySnapshotChunk`: checks the chunk against the listed hash; once all are in, restores
    /// the state and commits it if it gives the verified app hash.
    pub fn apply(&self, storage: &Storage, index: u32, chunk: &[u8], sender: &str) -> Applied {
        let mut guard = self.restoring.lock().unwrap_or_else(|p| p.into_inner());
        let Some(r) = guard.as_mut() else {
            return Applied::Abort;
        };
        let Some(expected) = usize::try_from(index)
            .ok()
            .and_then(|i| r.meta.chunk_hashes.get(i))
        else {
            return Applied::Abort;
        };
        if sha256(chunk) != *expected {
            warn!(
                index,
                sender, "a snapshot chunk does not match its hash: refetching it from another peer"
            );
            return Applied::Refetch;
        }
        if let Some(slot) = usize::try_from(index)
            .ok()
            .and_then(|i| r.chunks.get_mut(i))
        {
            *slot = Some(chunk.to_vec());
        }
        if r.chunks.iter().any(Option::is_none) {
            return Applied::Accepted { done: false };
        }
        let outcome = restore(storage, r);
        *guard = None;
        outcome
    }
}

fn restore(storage: &Storage, r: &Restoring) -> Applied {
    let mut block = PendingBlock::new(storage.clone());
    for chunk in r.chunks.iter().flatten() {
        let Ok(entries) = Vec::<(Vec<u8>, Vec<u8>)>::try_from_slice(chunk) else {
            warn!("a snapshot chunk with the right hash does not decode; rejecting the snapshot");
            return Applied::RejectSnapshot;
        };
        for (k, v) in entries {
            if block.put_raw(k, v).is_err() {
                return Applied::RejectSnapshot;
            }
        }
    }
    let prepared = match storage.prepare(block.into_writes(), r.height) {
        Ok(p) => p,
        Err(e) => {
            warn!(%e, "restoring the snapshot failed");
            return Applied::RejectSnapshot;
        }
    };
    if prepared.info().app_hash != r.meta.app_hash {
        warn!(
            height = r.height,
            "the restored state does not give the verified app hash; rejecting the snapshot"
        );
        return Applied::RejectSnapshot;
    }
    match storage.commit(prepared) {
        Ok(info) => {
            info!(height = info.version, "state restored from a snapshot");
            Applied::Accepted { done: true }
        }
        Err(e) => {
            warn!(%e, "committing the restored state failed");
            Applied::Abort
        }
    }
}

/// What `OfferSnapshot` answers.
#[derive(Debug, PartialEq, Eq)]
pub enum Offer {
    Accept,
    Abort,
    Reject,
    RejectFormat,
}

/// Where a home keeps its snapshots.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("snapshots")
}
