use sha2::Digest;
use std::path::Path;
use std::sync::{Arc, RwLock};

use jmt::storage::{HasPreimage, LeafNode, Node, NodeKey, TreeReader, TreeUpdateBatch};
use jmt::{KeyHash, OwnedValue, RootHash, Sha256Jmt, Version};
use redb::{
    Database, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction,
};
use tracing::{debug, info};

use crate::error::{Error, Result};
use crate::genesis::GenesisState;
use crate::genesis_tree;
use crate::history::{self, OPEN};
use crate::node_codec;
use crate::proof::MerkleProof;
use crate::state::StateRead;
use crate::substore::{Substore, OUTER_TAG};
use crate::write_set::WriteSet;

type Bytes = &'static [u8];

/// JMT nodes: `tag || be64(version) || nibble path, a byte per nibble` → compact node
/// (see `node_codec`).
const NODES: TableDefinition<Bytes, Bytes> = TableDefinition::new("jmt_nodes");
/// Values no longer the latest (and the outer tree's values): `tag || key_hash || be64(from)` →
/// `be64(until) || value` (see `history`).
const VALUES: TableDefinition<Bytes, Bytes> = TableDefinition::new("jmt_values");
/// The latest value of every live key: full state key → `be64(version) || value`; what reads,
/// prefix scans and proofs of the latest state use.
const FLAT: TableDefinition<Bytes, Bytes> = TableDefinition::new("flat");
/// Nodes that a version made stale: `be64(stale_since) || tag || borsh(NodeKey)`.
const STALE_NODES: TableDefinition<Bytes, Bytes> = TableDefinition::new("stale_nodes");
/// Value versions that a later version superseded: `be64(stale_since) || values-key`.
const STALE_VALUES: TableDefinition<Bytes, Bytes> = TableDefinition::new("stale_values");
/// Key preimages for non-existence proofs: `tag || key_hash` → local key.
const PREIMAGES: TableDefinition<Bytes, Bytes> = TableDefinition::new("preimages");
const META: TableDefinition<&str, Bytes> = TableDefinition::new("meta");

const META_LATEST: &str = "latest";
const META_EARLIEST: &str = "earliest";
/// The layout the rows are written in: `be32(format)`. Stores from before it was recorded are
/// format 1 (jmt's borsh node encoding).
const META_FORMAT: &str = "format";
/// Format 2: compact JMT nodes and version-ordered node keys (`node_codec`); latest values
/// stored once, in the flat table, with past values in the history table (`history`).
pub const STORE_FORMAT: u32 = 2;
/// Set when the state was initialised from a genesis: `be64(version) || tag`.
const META_GENESIS: &str = "genesis";
/// Present while a genesis is being written in chunks (see [`Storage::commit_genesis`]).
const META_UNFINISHED_GENESIS: &str = "genesis_unfinished";

/// The latest committed state as of one moment; see [`Storage::snapshot`].
pub struct Snapshot {
    read: ReadTransaction,
    version: u64,
}

impl Snapshot {
    /// The committed version this snapshot shows (0 before the first commit).
    pub fn version(&self) -> u64 {
        self.version
    }
}

impl crate::state::StateRead for Snapshot {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let flat = self.read.open_table(FLAT)?;
        flat.get(key)?
            .map(|v| Ok(history::split_flat(v.value())?.1.to_vec()))
            .transpose()
    }

    fn prefix_raw(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.prefix_range(prefix, prefix, usize::MAX)
    }

    fn prefix_range(
        &self,
        prefix: &[u8],
        start: &[u8],
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let flat = self.read.open_table(FLAT)?;
        let from = start.max(prefix);
        let mut out = Vec::new();
        for item in flat.range::<&[u8]>(from..)? {
            if out.len() >= limit {
                break;
            }
            let (k, v) = item?;
            if !k.value().starts_with(prefix) {
                break;
            }
            let (_, value) = history::split_flat(v.value())?;
            out.push((k.value().to_vec(), value.to_vec()));
        }
        Ok(out)
    }
}

/// What a commit produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitInfo {
    pub version: u64,
    pub app_hash: [u8; 32],
}

#[derive(Clone, Debug)]
pub struct StorageConfig {
    /// Versions to keep behind the latest; 0 keeps every version.
    pub keep_recent: u64,
    /// redb's page cache. It is what bounds the node's resident memory once the state is
    /// larger than the cache (redb's own default, 1 GiB, would let a 1M-account node hold a
    /// gigabyte of pages it rarely reads again).
    pub cache_bytes: usize,
}

/// Rows per transaction when a genesis is written (see [`Storage::commit_genesis`]).
pub const GENESIS_CHUNK: usize = 50_000;

/// The default page cache: the hot part of a million-account state (the upper JMT levels and
/// the recently touched accounts) fits; reads beyond it go to the OS page cache.
pub const DEFAULT_CACHE_BYTES: usize = 256 << 20;

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            keep_recent: 0,
            cache_bytes: DEFAULT_CACHE_BYTES,
        }
    }
}

/// The on-disk store. Cheap to clone; every clone sees the same database.
#[derive(Clone)]
pub struct Storage {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    /// The store's file (a genesis spills its runs beside it).
    path: std::path::PathBuf,
    config: StorageConfig,
    latest: RwLock<Option<CommitInfo>>,
    /// What `commit_genesis` recorded, when this store was initialised from a genesis.
    genesis: RwLock<Option<GenesisMark>>,
}

/// One table's share of the store: its entries, the key and value bytes they hold, the B-tree
/// bookkeeping around them, and the unused space in its pages.
#[derive(Clone, Debug)]
pub struct TableUsage {
    pub table: &'static str,
    pub entries: u64,
    pub stored_bytes: u64,
    pub metadata_bytes: u64,
    pub fragmented_bytes: u64,
}

/// What `commit_genesis` recorded: the version of the genesis state and the caller's tag (a
/// digest of the genesis it was built from).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesisMark {
    pub version: u64,
    pub tag: Vec<u8>,
}

/// The tree updates a block would make, computed before it is committed.
pub struct PreparedCommit {
    info: CommitInfo,
    batches: Vec<(u8, TreeUpdateBatch)>,
    writes: WriteSet,
}

impl PreparedCommit {
    pub fn info(&self) -> CommitInfo {
        self.info
    }
    /// How many keys the block writes or deletes.
    pub fn write_count(&self) -> usize {
        self.writes.len()
    }
}

impl Storage {
    pub fn open(path: impl AsRef<Path>, config: StorageConfig) -> Result<Self> {
        let db = redb::Builder::new()
            .set_cache_size(config.cache_bytes)
            .create(path.as_ref())?;
        let txn = db.begin_write()?;
        for table in [NODES, VALUES, FLAT, STALE_NODES, STALE_VALUES, PREIMAGES] {
            txn.open_table(table)?;
        }
        check_format(&mut txn.open_table(META)?)?;
        txn.commit()?;
        let (latest, genesis) = {
            let read = db.begin_read()?;
            let meta = read.open_table(META)?;
            let latest = meta
                .get(META_LATEST)?
                .map(|v| decode_commit_info(v.value()))
                .transpose()?;
            let genesis = meta
                .get(META_GENESIS)?
                .map(|v| decode_genesis_mark(v.value()))
                .transpose()?;
            (latest, genesis)
        };
        info!(path = %path.as_ref().display(), latest = ?latest.map(|l| l.version), "opened store");
        Ok(Storage {
            inner: Arc::new(Inner {
                db,
                path: path.as_ref().to_path_buf(),
                config,
                latest: RwLock::new(latest),
                genesis: RwLock::new(genesis),
            }),
        })
    }

    /// The state a genesis is written into (see [`GenesisState`]), on an empty store. The
    /// chunks and runs of a genesis a crash interrupted are cleared first (so one genesis at a
    /// time: beginning another discards the runs of one still open).
    pub fn begin_genesis(&self) -> Result<GenesisState> {
        self.begin_genesis_spilling_every(crate::genesis::SPILL_EVERY)
    }

    /// [`Storage::begin_genesis`] holding at most `spill_every` writes in memory (tests use
    /// small numbers so that reads and the merge cross many runs).
    pub fn begin_genesis_spilling_every(&self, spill_every: usize) -> Result<GenesisState> {
        if self.latest().is_some() {
            return Err(Error::Tree("the store already holds state".into()));
        }
        self.clear_unfinished_genesis()?;
        let dir = self.genesis_runs_dir();
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| {
                Error::Database(format!(
                    "removing the old genesis runs {}: {e}",
                    dir.display()
                ))
            })?;
        }
        Ok(GenesisState::new(Some(dir), spill_every))
    }

    /// Where a genesis spills its runs: beside the store's file.
    fn genesis_runs_dir(&self) -> std::path::PathBuf {
        let mut name = self.inner.path.clone().into_os_string();
        name.push(".genesis");
        name.into()
    }

    /// Writes the genesis state as `version` (one below the chain's first block), with `tag` to
    /// recognise it by. The first block then only writes its own changes, and nothing of the
    /// genesis stays in memory between InitChain and that block.
    ///
    /// Each substore's tree is laid out directly from its keys in key-hash order, every node
    /// hashed once (`genesis_tree`: jmt's key-by-key insertion rehashed the path above every
    /// key), and its nodes and key preimages written in row order; then the flat table in key
    /// order. In those orders every table is filled by appending, so its pages end full. Rows
    /// go in [`GENESIS_CHUNK`] at a time, each batch its own transaction; until the last one
    /// the store is marked as holding an unfinished genesis, which the next attempt (CometBFT
    /// sends InitChain again after a crash) clears first.
    pub fn commit_genesis(
        &self,
        genesis: GenesisState,
        version: u64,
        tag: &[u8],
    ) -> Result<CommitInfo> {
        self.commit_genesis_in_chunks(genesis, version, tag, GENESIS_CHUNK)
    }

    /// [`Storage::commit_genesis`] with a chosen number of rows per transaction (tests use small
    /// ones); the app hash does not depend on it.
    pub fn commit_genesis_in_chunks(
        &self,
        mut genesis: GenesisState,
        version: u64,
        tag: &[u8],
        chunk: usize,
    ) -> Result<CommitInfo> {
        if self.latest().is_some() {
            return Err(Error::Tree("the store already holds state".into()));
        }
        self.clear_unfinished_genesis()?;
        let chunk = chunk.max(1);
        let mut outer_set = Vec::new();
        for substore in Substore::ALL {
            let tag = substore.tag();
            let mut rows = Vec::new();
            let mut keys = 0usize;
            // One pass over the merged runs feeds the tree builder and the key preimages.
            let mut preimages = Vec::new();
            let leaves = genesis.tree_order(substore)?.map(|entry| {
                keys = keys.saturating_add(1);
                let (hash, local, value) = entry?;
                preimages.push((preimage_row(tag, &KeyHash(hash)).to_vec(), local));
                if preimages.len() >= chunk {
                    self.write_genesis_rows(PREIMAGES, &mut preimages)?;
                }
                Ok((hash, sha2::Sha256::digest(&value).into()))
            });
            let root = genesis_tree::build(leaves, version, &mut |path, node| {
                let mut row = Vec::with_capacity(path.len().saturating_add(9));
                row.push(tag);
                row.extend_from_slice(&version.to_be_bytes());
                row.extend_from_slice(path);
                rows.push((row, node));
                if rows.len() >= chunk {
                    self.write_genesis_rows(NODES, &mut rows)?;
                }
                Ok(())
            })?;
            self.write_genesis_rows(NODES, &mut rows)?;
            self.write_genesis_rows(PREIMAGES, &mut preimages)?;
            info!(
                substore = substore.name(),
                keys,
                runs = genesis.runs(),
                "genesis: tree written"
            );
            outer_set.push((
                KeyHash::with::<sha2::Sha256>(substore.name()),
                Some(root.to_vec()),
            ));
        }
        // The flat table, in key order.
        let mut values = genesis.key_order()?.peekable();
        while values.peek().is_some() {
            let txn = self.inner.db.begin_write()?;
            {
                let mut flat = txn.open_table(FLAT)?;
                for item in values.by_ref().take(chunk) {
                    let (key, value) = item?;
                    flat.insert(
                        key.as_slice(),
                        history::flat_entry(version, &value).as_slice(),
                    )?;
                }
            }
            txn.commit()?;
        }
        drop(values);
        genesis.remove_runs();
        drop(genesis);
        info!("genesis: values written");
        let (RootHash(app_hash), outer_batch) = {
            let read = self.inner.db.begin_read()?;
            let view = TreeView::outer(&read, Some(version.saturating_sub(1)))?;
            Sha256Jmt::new(&view).put_value_set(outer_set, version)?
        };
        let prepared = PreparedCommit {
            info: CommitInfo { version, app_hash },
            batches: vec![(OUTER_TAG, outer_batch)],
            writes: WriteSet::default(),
        };
        let mut mark = version.to_be_bytes().to_vec();
        mark.extend_from_slice(tag);
        let info = self.write(prepared, Some(&mark))?;
        *self
            .inner
            .genesis
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(GenesisMark {
            version,
            tag: tag.to_vec(),
        });
        Ok(info)
    }

    /// Writes (and empties) a batch of a genesis' rows into `table` in row order, as one
    /// transaction under the unfinished-genesis mark.
    fn write_genesis_rows(
        &self,
        table: TableDefinition<Bytes, Bytes>,
        rows: &mut Vec<(Vec<u8>, Vec<u8>)>,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        // In row order: the batch then appends to the table (a parent comes after its
        // children from the builder, and sorts before them).
        rows.sort_unstable();
        let txn = self.inner.db.begin_write()?;
        txn.open_table(META)?
            .insert(META_UNFINISHED_GENESIS, &[][..])?;
        {
            let mut t = txn.open_table(table)?;
            for (row, value) in rows.drain(..) {
                t.insert(row.as_slice(), value.as_slice())?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Empties a store that holds the chunks of a genesis a crash interrupted.
    fn clear_unfinished_genesis(&self) -> Result<()> {
        let txn = self.inner.db.begin_write()?;
        if txn
            .open_table(META)?
            .get(META_UNFINISHED_GENESIS)?
            .is_none()
        {
            return Ok(());
        }
        info!("clearing the chunks of a genesis that was interrupted");
        for table in [NODES, VALUES, FLAT, STALE_NODES, STALE_VALUES, PREIMAGES] {
            txn.open_table(table)?.retain(|_, _| false)?;
        }
        txn.open_table(META)?.remove(META_UNFINISHED_GENESIS)?;
        txn.commit()?;
        Ok(())
    }

    /// The genesis this store was initialised from by `commit_genesis`, if any.
    pub fn genesis_mark(&self) -> Option<GenesisMark> {
        self.inner
            .genesis
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Where the store's bytes go, table by table (for operators and the state-size benchmark).
    pub fn usage(&self) -> Result<Vec<TableUsage>> {
        use redb::ReadableTableMetadata;
        let read = self.inner.db.begin_read()?;
        let mut out = Vec::new();
        for (name, table) in [
            ("jmt_nodes", NODES),
            ("jmt_values", VALUES),
            ("flat", FLAT),
            ("stale_nodes", STALE_NODES),
            ("stale_values", STALE_VALUES),
            ("preimages", PREIMAGES),
        ] {
            let t = read.open_table(table)?;
            let stats = t.stats()?;
            out.push(TableUsage {
                table: name,
                entries: t.len()?,
                stored_bytes: stats.stored_bytes(),
                metadata_bytes: stats.metadata_bytes(),
                fragmented_bytes: stats.fragmented_bytes(),
            });
        }
        Ok(out)
    }

    /// The last committed block: the latest version, unless that is the genesis state alone
    /// (then no block is committed yet and CometBFT must be told height 0).
    pub fn last_block(&self) -> Option<CommitInfo> {
        let genesis = self.genesis_mark().map(|g| g.version);
        self.latest().filter(|l| Some(l.version) != genesis)
    }

    /// The last committed version and app hash, or `None` before the first commit.
    pub fn latest(&self) -> Option<CommitInfo> {
        *self.inner.latest.read().unwrap_or_else(|p| p.into_inner())
    }

    /// How many recent versions pruning keeps (0: every version).
    pub fn keep_recent(&self) -> u64 {
        self.inner.config.keep_recent
    }

    pub fn latest_version(&self) -> u64 {
        self.latest().map_or(0, |l| l.version)
    }

    /// The oldest version whose state is still kept.
    pub fn earliest_version(&self) -> Result<u64> {
        let read = self.inner.db.begin_read()?;
        let meta = read.open_table(META)?;
        let earliest = meta
            .get(META_EARLIEST)?
            .map(|v| be64(v.value()))
            .transpose()?;
        Ok(earliest.unwrap_or(0))
    }

    /// The latest committed value of a full state key.
    pub fn get_latest(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.snapshot()?.get_raw(key)
    }

    pub fn prefix_latest(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.snapshot()?.prefix_raw(prefix)
    }

    /// A consistent read view of the latest committed state: every read through it sees the
    /// same version, whatever commits meanwhile (one redb read transaction).
    pub fn snapshot(&self) -> Result<Snapshot> {
        let read = self.inner.db.begin_read()?;
        let version = {
            let meta = read.open_table(META)?;
            let latest = meta
                .get(META_LATEST)?
                .map(|v| decode_commit_info(v.value()))
                .transpose()?;
            latest.map_or(0, |l| l.version)
        };
        Ok(Snapshot { read, version })
    }

    /// The value of a full state key at a past version.
    pub fn get_at(&self, key: &[u8], version: u64) -> Result<Option<Vec<u8>>> {
        self.check_version(version)?;
        let (substore, local) = Substore::route(key);
        let read = self.inner.db.begin_read()?;
        let view = TreeView::substore(&read, substore, None)?;
        view.value_at(KeyHash::with::<sha2::Sha256>(local), Some(key), version)
    }

    /// The value of `key` at `version` with a two-level proof (substore, then outer tree).
    pub fn get_with_proof(
        &self,
        key: &[u8],
        version: u64,
    ) -> Result<(Option<Vec<u8>>, MerkleProof)> {
        self.check_version(version)?;
        let (substore, local) = Substore::route(key);
        let read = self.inner.db.begin_read()?;
        let inner_view = TreeView::substore(&read, substore, None)?.knowing(key);
        let (value, inner) =
            Sha256Jmt::new(&inner_view).get_with_ics23_proof(local.to_vec(), version)?;
        let outer_view = TreeView::outer(&read, None)?;
        let (root, outer) = Sha256Jmt::new(&outer_view)
            .get_with_ics23_proof(substore.name().as_bytes().to_vec(), version)?;
        let substore_root =
            root.ok_or_else(|| Error::Tree(format!("no root for substore {}", substore.name())))?;
        Ok((
            value,
            MerkleProof {
                proofs: vec![inner, outer],
                substore_root,
            },
        ))
    }

    fn check_version(&self, version: u64) -> Result<()> {
        let latest = self.latest_version();
        let earliest = self.earliest_version()?;
        if version == 0 || version > latest || version < earliest {
            return Err(Error::VersionUnavailable {
                requested: version,
                latest,
                earliest,
            });
        }
        Ok(())
    }

    /// Every live entry (full state key, value) at `version`, read from the trees of that
    /// version: what a historical export, a rollback or a state snapshot is built from.
    pub fn entries_at(&self, version: u64) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.check_version(version)?;
        let read = self.inner.db.begin_read()?;
        let preimages = read.open_table(PREIMAGES)?;
        let mut out = Vec::new();
        for substore in Substore::ALL {
            let view = Arc::new(TreeView::substore(&read, substore, None)?);
            let entries = jmt::JellyfishMerkleIterator::new(view, version, KeyHash([0; 32]))?;
            for entry in entries {
                let (hash, value) = entry?;
                let local = preimages
                    .get(&preimage_row(substore.tag(), &hash)[..])?
                    .ok_or_else(|| Error::Corrupt {
                        key: format!("preimage {}", hex(&hash.0)),
                        reason: "missing".into(),
                    })?
                    .value()
                    .to_vec();
                out.push((substore.full_key(&local), value));
            }
        }
        Ok(out)
    }

    /// The app hash (outer root) of a kept `version`.
    pub fn app_hash_at(&self, version: u64) -> Result<[u8; 32]> {
        self.check_version(version)?;
        let read = self.inner.db.begin_read()?;
        let view = TreeView::outer(&read, None)?;
        Ok(Sha256Jmt::new(&view).get_root_hash(version)?.0)
    }

    /// Undoes the latest commit: the store is at `latest - 1` again, as if the last block had
    /// never been committed (its tree nodes and stale marks removed, the values it replaced or
    /// deleted back in the flat table, the ones it wrote gone). For recovery after a bad upgrade,
    /// with CometBFT's own `rollback`; the node then re-executes the block.
    pub fn rollback(&self) -> Result<CommitInfo> {
        let latest = self
            .latest()
            .ok_or_else(|| Error::Tree("nothing is committed: nothing to roll back".into()))?;
        let target = latest
            .version
            .checked_sub(1)
            .filter(|v| *v >= 1)
            .ok_or_else(|| Error::Tree("the first block cannot be rolled back".into()))?;
        self.check_version(target)?;
        let app_hash = self.app_hash_at(target)?;
        let undone = latest.version;
        let this_version = |v: u64| (v.to_be_bytes(), v.saturating_add(1).to_be_bytes());
        let txn = self.inner.db.begin_write()?;
        {
            // Node keys start with their version, so the block's nodes are one range per tree.
            let mut nodes = txn.open_table(NODES)?;
            let (from, to) = this_version(undone);
            let tags = std::iter::once(OUTER_TAG).chain(Substore::ALL.iter().map(|s| s.tag()));
            for tag in tags {
                let lo = [&[tag][..], &from[..]].concat();
                let hi = [&[tag][..], &to[..]].concat();
                let rows = row_keys(&nodes, lo.as_slice()..hi.as_slice())?;
                for row in rows {
                    nodes.remove(row.as_slice())?;
                }
            }
        }
        // The values the block replaced or deleted are the history rows it closed.
        let mut restored = Vec::new();
        {
            let mut values = txn.open_table(VALUES)?;
            let mut stale = txn.open_table(STALE_VALUES)?;
            let preimages = txn.open_table(PREIMAGES)?;
            let (from, to) = this_version(undone);
            let marks = row_keys(&stale, &from[..]..&to[..])?;
            for mark in marks {
                stale.remove(mark.as_slice())?;
                let row = mark.get(8..).unwrap_or_default();
                let (tag, key_hash, written) = history::parse_history_row(row)?;
                let entry = values
                    .get(row)?
                    .map(|v| v.value().to_vec())
                    .ok_or_else(|| corrupt_row("history", row, "marked stale but missing"))?;
                let (_, value) = history::split_history(&entry)?;
                match Substore::ALL.iter().find(|s| s.tag() == tag) {
                    Some(substore) => {
                        let local = preimages
                            .get(&preimage_row(tag, &key_hash)[..])?
                            .map(|v| v.value().to_vec())
                            .ok_or_else(|| corrupt_row("preimage", row, "missing"))?;
                        restored.push((
                            substore.full_key(&local),
                            history::flat_entry(written, value),
                        ));
                        values.remove(row)?;
                    }
                    None => {
                        let reopened = history::history_entry(OPEN, value);
                        values.insert(row, reopened.as_slice())?;
                    }
                }
            }
            // The outer tree's values the block wrote (its substore roots).
            for substore in Substore::ALL {
                let hash = KeyHash::with::<sha2::Sha256>(substore.name());
                values.remove(history::history_row(OUTER_TAG, &hash, undone).as_slice())?;
            }
        }
        {
            let mut stale = txn.open_table(STALE_NODES)?;
            let (from, to) = this_version(undone);
            let rows = row_keys(&stale, &from[..]..&to[..])?;
            for row in rows {
                stale.remove(row.as_slice())?;
            }
        }
        {
            let mut flat = txn.open_table(FLAT)?;
            flat.retain(|_, entry| {
                history::split_flat(entry).map_or(true, |(version, _)| version != undone)
            })?;
            for (key, entry) in &restored {
                flat.insert(key.as_slice(), entry.as_slice())?;
            }
        }
        let info = CommitInfo {
            version: target,
            app_hash,
        };
        txn.open_table(META)?
            .insert(META_LATEST, encode_commit_info(&info).as_slice())?;
        txn.commit()?;
        *self.inner.latest.write().unwrap_or_else(|p| p.into_inner()) = Some(info);
        info!(from = undone, to = target, app_hash = %hex(&app_hash), "rolled back the latest commit");
        Ok(info)
    }

    /// Computes the app hash that `writes` would give at `version`, without writing anything.
    pub fn prepare(&self, writes: WriteSet, version: u64) -> Result<PreparedCommit> {
        let latest = self.latest();
        if let Some(l) = latest {
            if Some(version) != l.version.checked_add(1) {
                return Err(Error::Tree(format!(
                    "version {version} does not follow {}",
                    l.version
                )));
            }
        }
        // A fresh store starts from empty trees one version before the first block.
        let fresh_base = latest.is_none().then(|| version.saturating_sub(1));
        let read = self.inner.db.begin_read()?;
        let mut per_substore: Vec<Vec<(KeyHash, Option<OwnedValue>)>> =
            vec![Vec::new(); Substore::ALL.len()];
        for (key, value) in writes.iter() {
            let (substore, local) = Substore::route(key);
            let idx = Substore::ALL
                .iter()
                .position(|s| *s == substore)
                .unwrap_or(0);
            if let Some(set) = per_substore.get_mut(idx) {
                set.push((KeyHash::with::<sha2::Sha256>(local), value.clone()));
            }
        }
        let mut batches = Vec::new();
        let mut outer_set = Vec::new();
        for (substore, set) in Substore::ALL.iter().zip(per_substore) {
            let view = TreeView::substore(&read, *substore, fresh_base)?;
            let (root, batch) = Sha256Jmt::new(&view).put_value_set(set, version)?;
            outer_set.push((
                KeyHash::with::<sha2::Sha256>(substore.name()),
                Some(root.0.to_vec()),
            ));
            batches.push((substore.tag(), batch));
        }
        let view = TreeView::outer(&read, fresh_base)?;
        let (RootHash(app_hash), outer_batch) =
            Sha256Jmt::new(&view).put_value_set(outer_set, version)?;
        batches.push((OUTER_TAG, outer_batch));
        Ok(PreparedCommit {
            info: CommitInfo { version, app_hash },
            batches,
            writes,
        })
    }

    /// Writes a prepared block in one redb transaction, then prunes old versions.
    pub fn commit(&self, prepared: PreparedCommit) -> Result<CommitInfo> {
        self.write(prepared, None)
    }

    fn write(&self, prepared: PreparedCommit, genesis_mark: Option<&[u8]>) -> Result<CommitInfo> {
        let info = prepared.info;
        let txn = self.inner.db.begin_write()?;
        write_batches(&txn, &prepared.batches)?;
        let entries = prepared
            .writes
            .iter()
            .map(|(k, v)| (k.as_slice(), v.as_deref()));
        write_flat(&txn, entries, info.version)?;
        write_outer_preimages(&txn)?;
        // The batches are written: their memory goes before the transaction's commit needs its own.
        drop(prepared);
        {
            let mut meta = txn.open_table(META)?;
            meta.insert(META_LATEST, encode_commit_info(&info).as_slice())?;
            if let Some(mark) = genesis_mark {
                meta.insert(META_GENESIS, mark)?;
                meta.remove(META_UNFINISHED_GENESIS)?;
            }
            if meta.get(META_EARLIEST)?.is_none() {
                meta.insert(META_EARLIEST, info.version.to_be_bytes().as_slice())?;
            }
        }
        let keep = self.inner.config.keep_recent;
        if let Some(keep_from) = info.version.checked_sub(keep).filter(|_| keep > 0) {
            if keep_from > 0 {
                prune(&txn, keep_from)?;
            }
        }
        txn.commit()?;
        *self.inner.latest.write().unwrap_or_else(|p| p.into_inner()) = Some(info);
        debug!(version = info.version, app_hash = %hex(&info.app_hash), "committed");
        Ok(info)
    }
}

/// Refuses a store written in another row layout (reading it would misparse every node); a new
/// store is stamped with this build's format.
fn check_format(meta: &mut redb::Table<&str, Bytes>) -> Result<()> {
    let found = match meta.get(META_FORMAT)? {
        Some(v) => {
            let raw: [u8; 4] = v.value().try_into().map_err(|_| Error::Corrupt {
                key: META_FORMAT.into(),
                reason: format!("{} bytes", v.value().len()),
            })?;
            Some(u32::from_be_bytes(raw))
        }
        None if meta.get(META_LATEST)?.is_some() => Some(1),
        None => None,
    };
    match found {
        Some(found) if found != STORE_FORMAT => Err(Error::Format {
            found,
            expected: STORE_FORMAT,
        }),
        Some(_) => Ok(()),
        None => {
            meta.insert(META_FORMAT, STORE_FORMAT.to_be_bytes().as_slice())?;
            Ok(())
        }
    }
}

fn write_batches(txn: &WriteTransaction, batches: &[(u8, TreeUpdateBatch)]) -> Result<()> {
    let mut nodes = txn.open_table(NODES)?;
    let mut values = txn.open_table(VALUES)?;
    let mut stale_nodes = txn.open_table(STALE_NODES)?;
    let mut stale_values = txn.open_table(STALE_VALUES)?;
    for (tag, batch) in batches {
        for (key, node) in batch.node_batch.nodes() {
            nodes.insert(
                node_row(*tag, key)?.as_slice(),
                node_codec::encode_node(node)?.as_slice(),
            )?;
        }
        // A substore's values go to the flat table (`write_flat`); only the outer tree keeps its
        // values here, the latest one open until a later version closes it.
        if *tag == OUTER_TAG {
            for ((version, key_hash), value) in batch.node_batch.values() {
                let lo = history::history_row(*tag, key_hash, 0);
                let hi = history::history_row(*tag, key_hash, *version);
                let open = values
                    .range::<&[u8]>(lo.as_slice()..hi.as_slice())?
                    .next_back()
                    .transpose()?
                    .map(|(k, v)| (k.value().to_vec(), v.value().to_vec()));
                if let Some((row, entry)) = open {
                    let (until, prior) = history::split_history(&entry)?;
                    if until == OPEN {
                        let closed = history::history_entry(*version, prior);
                        values.insert(row.as_slice(), closed.as_slice())?;
                        stale_values.insert(stale_mark(*version, &row).as_slice(), &[][..])?;
                    }
                }
                if let Some(value) = value {
                    let row = history::history_row(*tag, key_hash, *version);
                    let entry = history::history_entry(OPEN, value);
                    values.insert(row.as_slice(), entry.as_slice())?;
                }
            }
        }
        for stale in &batch.stale_node_index_batch {
            let mark = stale_mark(stale.stale_since_version, &node_row(*tag, &stale.node_key)?);
            stale_nodes.insert(mark.as_slice(), &[][..])?;
        }
    }
    Ok(())
}

/// Writes the latest values of a version to the flat table; a value it replaces or deletes
/// moves to the history table, marked stale from this version on (for pruning).
fn write_flat<'a>(
    txn: &WriteTransaction,
    writes: impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)>,
    version: u64,
) -> Result<()> {
    let mut flat = txn.open_table(FLAT)?;
    let mut preimages = txn.open_table(PREIMAGES)?;
    let mut values = txn.open_table(VALUES)?;
    let mut stale_values = txn.open_table(STALE_VALUES)?;
    let mut new_preimages = Vec::new();
    for (key, value) in writes {
        let (substore, local) = Substore::route(key);
        let key_hash = KeyHash::with::<sha2::Sha256>(local);
        let row = preimage_row(substore.tag(), &key_hash);
        // A key's preimage never changes: rewriting it would copy its page for nothing (most
        // of a block's writes update keys that already exist).
        if preimages.get(&row[..])?.is_none() {
            new_preimages.push((row, local));
        }
        let replaced = match value {
            Some(v) => flat.insert(key, history::flat_entry(version, v).as_slice())?,
            None => flat.remove(key)?,
        }
        .map(|old| old.value().to_vec());
        if let Some(old) = replaced {
            let (written, prior) = history::split_flat(&old)?;
            if written < version {
                let row = history::history_row(substore.tag(), &key_hash, written);
                values.insert(
                    row.as_slice(),
                    history::history_entry(version, prior).as_slice(),
                )?;
                stale_values.insert(stale_mark(version, &row).as_slice(), &[][..])?;
            }
        }
    }
    // Inserted in row order: B-tree pages filled in hash order are filled densely, where the
    // state-key order (which is random in hashes) left them half empty (at a large genesis,
    // ~40 bytes a key of unused page space).
    new_preimages.sort_unstable();
    for (row, local) in new_preimages {
        preimages.insert(row.as_slice(), local)?;
    }
    Ok(())
}

fn write_outer_preimages(txn: &WriteTransaction) -> Result<()> {
    let mut preimages = txn.open_table(PREIMAGES)?;
    for substore in Substore::ALL {
        let row = preimage_row(OUTER_TAG, &KeyHash::with::<sha2::Sha256>(substore.name()));
        if preimages.get(&row[..])?.is_none() {
            preimages.insert(&row[..], substore.name().as_bytes())?;
        }
    }
    Ok(())
}

/// Deletes nodes and values that no version at or after `keep_from` can reach.
fn prune(txn: &WriteTransaction, keep_from: u64) -> Result<()> {
    let bound = keep_from.to_be_bytes();
    let mut removed = 0usize;
    {
        let mut stale_nodes = txn.open_table(STALE_NODES)?;
        let mut nodes = txn.open_table(NODES)?;
        let rows = row_keys(&stale_nodes, ..=&bound[..])?;
        for row in rows {
            nodes.remove(row.get(8..).unwrap_or_default())?;
            stale_nodes.remove(row.as_slice())?;
            removed = removed.saturating_add(1);
        }
    }
    {
        let mut stale_values = txn.open_table(STALE_VALUES)?;
        let mut values = txn.open_table(VALUES)?;
        let rows = row_keys(&stale_values, ..=&bound[..])?;
        for row in rows {
            values.remove(row.get(8..).unwrap_or_default())?;
            stale_values.remove(row.as_slice())?;
            removed = removed.saturating_add(1);
        }
    }
    let mut meta = txn.open_table(META)?;
    meta.insert(META_EARLIEST, bound.as_slice())?;
    if removed > 0 {
        debug!(keep_from, removed, "pruned");
    }
    Ok(())
}

/// A read-only view of one tree, for the JMT.
struct TreeView {
    nodes: redb::ReadOnlyTable<Bytes, Bytes>,
    preimages: redb::ReadOnlyTable<Bytes, Bytes>,
    values: redb::ReadOnlyTable<Bytes, Bytes>,
    flat: redb::ReadOnlyTable<Bytes, Bytes>,
    /// The substore this tree holds, or `None` for the outer tree.
    substore: Option<Substore>,
    tag: u8,
    /// On a fresh store, the version whose root is the empty tree.
    fresh_base: Option<Version>,
    /// A full key whose value this view will be asked for, with its hash (saves the preimage
    /// lookup of a proven read).
    known: Option<(KeyHash, Vec<u8>)>,
}

impl TreeView {
    fn substore(
        read: &ReadTransaction,
        substore: Substore,
        fresh: Option<Version>,
    ) -> Result<Self> {
        Self::new(read, Some(substore), fresh)
    }

    fn outer(read: &ReadTransaction, fresh: Option<Version>) -> Result<Self> {
        Self::new(read, None, fresh)
    }

    fn new(
        read: &ReadTransaction,
        substore: Option<Substore>,
        fresh: Option<Version>,
    ) -> Result<Self> {
        Ok(TreeView {
            nodes: read.open_table(NODES)?,
            preimages: read.open_table(PREIMAGES)?,
            values: read.open_table(VALUES)?,
            flat: read.open_table(FLAT)?,
            substore,
            tag: substore.map_or(OUTER_TAG, Substore::tag),
            fresh_base: fresh,
            known: None,
        })
    }

    /// A view told the full key it is about to prove (see `known`).
    fn knowing(mut self, full_key: &[u8]) -> Self {
        let hash = KeyHash::with::<sha2::Sha256>(Substore::route(full_key).1);
        self.known = Some((hash, full_key.to_vec()));
        self
    }

    /// The value of a key at `max_version`: the flat table's if it was written by then,
    /// otherwise the history row in force at that version. `full_key` saves the preimage
    /// lookup when the caller knows the key.
    fn value_at(
        &self,
        key_hash: KeyHash,
        full_key: Option<&[u8]>,
        max_version: Version,
    ) -> Result<Option<OwnedValue>> {
        if let Some(substore) = self.substore {
            let known = self.known.as_ref().filter(|(hash, _)| *hash == key_hash);
            let full = match (full_key, known) {
                (Some(key), _) => Some(key.to_vec()),
                (None, Some((_, key))) => Some(key.clone()),
                (None, None) => self.preimage_of(key_hash)?.map(|l| substore.full_key(&l)),
            };
            // No preimage: the key was never written.
            let Some(full) = full else { return Ok(None) };
            if let Some(entry) = self.flat.get(full.as_slice())? {
                let (written, value) = history::split_flat(entry.value())?;
                if written <= max_version {
                    return Ok(Some(value.to_vec()));
                }
            }
        }
        let lo = history::history_row(self.tag, &key_hash, 0);
        let hi = history::history_row(self.tag, &key_hash, max_version);
        let last = self
            .values
            .range::<&[u8]>(lo.as_slice()..=hi.as_slice())?
            .next_back()
            .transpose()?;
        let Some((_, entry)) = last else {
            return Ok(None);
        };
        let (until, value) = history::split_history(entry.value())?;
        Ok((max_version < until).then(|| value.to_vec()))
    }

    fn preimage_of(&self, key_hash: KeyHash) -> Result<Option<Vec<u8>>> {
        Ok(self
            .preimages
            .get(&preimage_row(self.tag, &key_hash)[..])?
            .map(|v| v.value().to_vec()))
    }
}

impl TreeReader for TreeView {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let row = node_row(self.tag, node_key)?;
        if let Some(bytes) = self.nodes.get(row.as_slice())? {
            return Ok(Some(node_codec::decode_node(bytes.value())?));
        }
        let is_fresh_root = self.fresh_base == Some(node_key.version())
            && node_key.nibble_path().num_nibbles() == 0;
        Ok(is_fresh_root.then_some(Node::Null))
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        Ok(self.value_at(key_hash, None, max_version)?)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        // jmt asks for it only to append keys to a version or to restore its own snapshots;
        // the chain does neither (a genesis tree is built by `genesis_tree`).
        anyhow::bail!("rightmost-leaf lookups are not supported by this store")
    }
}

impl HasPreimage for TreeView {
    fn preimage(&self, key_hash: KeyHash) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.preimage_of(key_hash)?)
    }
}

/// A key preimage's row: `tag ‖ key hash`.
fn preimage_row(tag: u8, key_hash: &KeyHash) -> [u8; 33] {
    let mut row = [tag; 33];
    if let Some(hash) = row.get_mut(1..) {
        hash.copy_from_slice(&key_hash.0);
    }
    row
}

/// A stale mark: `be64(stale since) ‖ the row it marks` (pruning reads them in version order).
fn stale_mark(since: Version, row: &[u8]) -> Vec<u8> {
    [&since.to_be_bytes()[..], row].concat()
}

fn node_row(tag: u8, key: &NodeKey) -> Result<Vec<u8>> {
    let mut row = vec![tag];
    row.extend_from_slice(&node_codec::encode_key(key)?);
    Ok(row)
}

/// The keys of a table's rows in `range`, collected so the rows can then be changed.
fn row_keys<'a>(
    table: &impl ReadableTable<Bytes, Bytes>,
    range: impl std::ops::RangeBounds<&'a [u8]> + 'a,
) -> Result<Vec<Vec<u8>>> {
    table
        .range::<&[u8]>(range)?
        .map(|r| Ok(r?.0.value().to_vec()))
        .collect()
}

fn corrupt_row(what: &str, row: &[u8], reason: &str) -> Error {
    Error::Corrupt {
        key: format!("{what} {}", hex(row)),
        reason: reason.into(),
    }
}

fn encode_commit_info(info: &CommitInfo) -> Vec<u8> {
    [&info.version.to_be_bytes()[..], &info.app_hash[..]].concat()
}

fn decode_genesis_mark(raw: &[u8]) -> Result<GenesisMark> {
    let version = be64(raw.get(..8).unwrap_or_default())?;
    Ok(GenesisMark {
        version,
        tag: raw.get(8..).unwrap_or_default().to_vec(),
    })
}

fn decode_commit_info(bytes: &[u8]) -> Result<CommitInfo> {
    let corrupt = || Error::Corrupt {
        key: META_LATEST.into(),
        reason: format!("{} bytes", bytes.len()),
    };
    let (version, hash) = bytes.split_at_checked(8).ok_or_else(corrupt)?;
    let app_hash: [u8; 32] = hash.try_into().map_err(|_| corrupt())?;
    Ok(CommitInfo {
        version: be64(version)?,
        app_hash,
    })
}

fn be64(bytes: &[u8]) -> Result<u64> {
    let arr: [u8; 8] = bytes.try_into().map_err(|_| Error::Corrupt {
        key: "version".into(),
        reason: format!("{} bytes", bytes.len()),
    })?;
    Ok(u64::from_be_bytes(arr))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
