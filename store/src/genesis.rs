//! The state a genesis is written into before it becomes the store's first version.
//!
//! Every module's InitGenesis writes here and may read its own writes back;
//! [`crate::Storage::commit_genesis`] then writes the store from it, tree by tree in key-hash
//! order and the flat table in key order.
//!
//! A genesis starts from an empty state: nothing here reads the store, so the rows a crashed
//! earlier attempt left behind (CometBFT sends InitChain again after a crash) can never leak
//! into this one — a module that reads before it writes, as minting adds to a balance, would
//! otherwise count them twice.
//!
//! A large genesis does not stay in memory: once [`SPILL_EVERY`] writes are held they go to a
//! run on disk beside the store, written sequentially — once in key order (for reads and the
//! flat table) and once per substore in key-hash order (for its tree) — and memory starts
//! over. The store is then written by merging the runs (the newest write of a key wins, a
//! deletion hides the key). Reads still see every write: each run keeps a set of its keys'
//! fingerprints (8 bytes a key), so a key is read from disk only from a run that holds it,
//! with one positioned read of the block a sparse index points to. What a genesis of N accounts
//! holds is then the CometBFT request it came in, one module's parsed slice, at most
//! `SPILL_EVERY` writes, and the fingerprints.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::state::{StateRead, StateWrite};
use crate::substore::Substore;
use crate::write_set::WriteSet;

/// Writes held in memory before they go to a run on disk (~50 MB of a typical genesis).
pub const SPILL_EVERY: usize = 1 << 18;
/// One key of a run in this many is kept in memory to find the others by (a lookup then reads
/// one block of at most this many records: ~1.5 KB of a typical genesis).
const INDEX_EVERY: usize = 16;

/// The writes of a genesis; see the module documentation.
pub struct GenesisState {
    writes: WriteSet,
    /// Where runs go; `None` keeps everything in memory.
    dir: Option<PathBuf>,
    spill_every: usize,
    runs: Vec<Run>,
}

/// One written-out batch of writes: its key-order file with a sparse index, and one key-hash
/// order file per substore.
struct Run {
    by_key: PathBuf,
    /// Kept open: modules read spilled keys back (bank's mint reads the account auth wrote).
    file: File,
    /// Every `INDEX_EVERY`th key and its offset, then the file's length.
    index: Vec<(Vec<u8>, u64)>,
    end: u64,
    /// Fingerprints of the run's keys: a key that is not here is not read from disk.
    keys: HashSet<u64>,
    by_hash: Vec<PathBuf>,
}

/// One staged write: its order (the full key, or a substore's key hash), the key (full, or
/// within its substore) and the value (`None`: deleted).
struct Record {
    order: Vec<u8>,
    key: Vec<u8>,
    value: Option<Vec<u8>>,
}

/// An entry in a substore's tree order: key hash, key within the substore, value.
pub(crate) type TreeEntry = ([u8; 32], Vec<u8>, Vec<u8>);

impl GenesisState {
    /// A genesis that spills to runs in `dir` every `spill_every` writes (`dir` is created
    /// when first needed and removed with the state); `None` keeps it all in memory.
    pub(crate) fn new(dir: Option<PathBuf>, spill_every: usize) -> GenesisState {
        GenesisState {
            writes: WriteSet::default(),
            dir,
            spill_every: spill_every.max(1),
            runs: Vec::new(),
        }
    }

    /// How many runs went to disk (for tests and logs).
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// `substore`'s entries in key-hash order, the newest write of each key, deletions left
    /// out (a fresh store has nothing to delete).
    pub(crate) fn tree_order(
        &self,
        substore: Substore,
    ) -> Result<impl Iterator<Item = Result<TreeEntry>> + '_> {
        let slot = substore_slot(substore);
        let mut sources: Vec<Source> = Vec::with_capacity(self.runs.len().saturating_add(1));
        for run in &self.runs {
            if let Some(path) = run.by_hash.get(slot) {
                sources.push(Source::file(path, true)?);
            }
        }
        // The tail still in memory, sorted by reference and copied one record at a time.
        sources.push(Source::Memory(Box::new(
            hash_ordered(&self.writes, substore)
                .into_iter()
                .map(|(hash, local, value)| Record {
                    order: hash.to_vec(),
                    key: local.to_vec(),
                    value: value.cloned(),
                }),
        )));
        Ok(Merge::new(sources)?.map(|item| {
            item.and_then(|(order, key, value)| {
                let hash: [u8; 32] = order
                    .as_slice()
                    .try_into()
                    .map_err(|_| staging("a tree-order record without a 32-byte key hash"))?;
                Ok((hash, key, value))
            })
        }))
    }

    /// Every entry (full key, value) in key order, the newest write of each key, deletions
    /// left out.
    pub(crate) fn key_order(
        &self,
    ) -> Result<impl Iterator<Item = Result<(Vec<u8>, Vec<u8>)>> + '_> {
        let mut sources: Vec<Source> = Vec::with_capacity(self.runs.len().saturating_add(1));
        for run in &self.runs {
            sources.push(Source::file(&run.by_key, false)?);
        }
        sources.push(Source::Memory(Box::new(self.writes.iter().map(
            |(key, value)| Record {
                order: key.clone(),
                key: key.clone(),
                value: value.clone(),
            },
        ))));
        Ok(Merge::new(sources)?.map(|item| item.map(|(_, key, value)| (key, value))))
    }

    /// Writes the held writes out as a run and starts memory over.
    fn spill(&mut self) -> Result<()> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        std::fs::create_dir_all(dir).map_err(|e| io("creating", dir, e))?;
        let n = self.runs.len();
        let writes = std::mem::take(&mut self.writes);
        let by_key = dir.join(format!("run-{n}.keys"));
        let mut out = Writer::create(&by_key)?;
        let mut index = Vec::new();
        let mut keys = HashSet::with_capacity(writes.len());
        for (i, (key, value)) in writes.iter().enumerate() {
            if i.is_multiple_of(INDEX_EVERY) {
                index.push((key.clone(), out.offset));
            }
            out.record(None, key, value.as_deref())?;
            keys.insert(fingerprint(key));
        }
        let end = out.offset;
        out.finish()?;
        let file = File::open(&by_key).map_err(|e| io("opening", &by_key, e))?;
        let mut by_hash = Vec::new();
        for substore in Substore::ALL {
            let path = dir.join(format!("run-{n}.{}", substore.name()));
            let mut out = Writer::create(&path)?;
            for (hash, local, value) in hash_ordered(&writes, substore) {
                out.record(Some(&hash), local, value.map(Vec::as_slice))?;
            }
            out.finish()?;
            by_hash.push(path);
        }
        self.runs.push(Run {
            by_key,
            file,
            index,
            end,
            keys,
            by_hash,
        });
        Ok(())
    }

    fn written(&mut self) -> Result<()> {
        if self.dir.is_some() && self.writes.len() >= self.spill_every {
            self.spill()?;
        }
        Ok(())
    }

    /// Removes the runs from disk.
    pub(crate) fn remove_runs(&mut self) {
        if let Some(dir) = &self.dir {
            if dir.exists() {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
        self.runs.clear();
    }
}

impl Drop for GenesisState {
    fn drop(&mut self) {
        self.remove_runs();
    }
}

impl Run {
    /// This run's write of `key`: `Some(Some(v))` written, `Some(None)` deleted, `None` not here.
    /// One positioned read of the block the sparse index points to.
    fn lookup(&self, key: &[u8], fingerprint: u64) -> Result<Option<Option<Vec<u8>>>> {
        use std::os::unix::fs::FileExt;
        if !self.keys.contains(&fingerprint) {
            return Ok(None);
        }
        let at = self.index.partition_point(|(k, _)| k.as_slice() <= key);
        let Some(block) = at.checked_sub(1) else {
            return Ok(None);
        };
        let Some((_, start)) = self.index.get(block) else {
            return Ok(None);
        };
        let end = self.index.get(at).map_or(self.end, |(_, offset)| *offset);
        let len = usize::try_from(end.saturating_sub(*start))
            .map_err(|_| staging("a block that does not fit in memory"))?;
        let mut buf = vec![0u8; len];
        self.file
            .read_exact_at(&mut buf, *start)
            .map_err(|e| io("reading", &self.by_key, e))?;
        let mut reader = Reader {
            path: self.by_key.clone(),
            input: buf.as_slice(),
        };
        while let Some(record) = reader.record(false)? {
            match record.key.as_slice().cmp(key) {
                std::cmp::Ordering::Less => continue,
                std::cmp::Ordering::Equal => return Ok(Some(record.value)),
                std::cmp::Ordering::Greater => break,
            }
        }
        Ok(None)
    }

    /// This run's writes of keys under `prefix`, in key order.
    fn prefix(&self, prefix: &[u8]) -> Result<Vec<Record>> {
        let at = self.index.partition_point(|(k, _)| k.as_slice() < prefix);
        let offset = at
            .checked_sub(1)
            .and_then(|i| self.index.get(i))
            .map_or(0, |(_, offset)| *offset);
        let mut reader = Reader::open(&self.by_key, offset)?;
        let mut out = Vec::new();
        while let Some(record) = reader.record(false)? {
            if record.key.starts_with(prefix) {
                out.push(record);
            } else if record.key.as_slice() > prefix {
                break;
            }
        }
        Ok(out)
    }
}

impl StateRead for GenesisState {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(value) = self.writes.lookup(key) {
            return Ok(value.cloned());
        }
        if self.runs.is_empty() {
            return Ok(None);
        }
        let fingerprint = fingerprint(key);
        for run in self.runs.iter().rev() {
            if let Some(value) = run.lookup(key, fingerprint)? {
                return Ok(value);
            }
        }
        Ok(None)
    }

    fn prefix_raw(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut below: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for run in &self.runs {
            for record in run.prefix(prefix)? {
                match record.value {
                    Some(value) => below.insert(record.key, value),
                    None => below.remove(&record.key),
                };
            }
        }
        Ok(self
            .writes
            .merge_prefix(prefix, below.into_iter().collect()))
    }
}

impl StateWrite for GenesisState {
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<()> {
        self.writes.set(key, Some(value));
        self.written()
    }

    fn delete(&mut self, key: Vec<u8>) -> Result<()> {
        self.writes.set(key, None);
        self.written()
    }
}

/// A write in a substore's key-hash order, borrowed: (key hash, key within the substore,
/// value or `None` for a deletion).
type HashOrdered<'a> = ([u8; 32], &'a [u8], Option<&'a Vec<u8>>);

/// `writes`' entries of `substore` in key-hash order.
fn hash_ordered(writes: &WriteSet, substore: Substore) -> Vec<HashOrdered<'_>> {
    let mut entries: Vec<HashOrdered<'_>> = writes
        .iter()
        .filter_map(|(key, value)| {
            let (s, local) = Substore::route(key);
            (s == substore).then(|| (Sha256::digest(local).into(), local, value.as_ref()))
        })
        .collect();
    entries.sort_unstable_by_key(|(hash, _, _)| *hash);
    entries
}

fn substore_slot(substore: Substore) -> usize {
    Substore::ALL
        .iter()
        .position(|s| *s == substore)
        .unwrap_or_default()
}

/// A filter, not a commitment: a collision only costs a lookup in the runs.
fn fingerprint(key: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

fn staging(what: &str) -> Error {
    Error::Database(format!("genesis staging: {what}"))
}

fn io(doing: &str, path: &std::path::Path, e: std::io::Error) -> Error {
    Error::Database(format!("genesis staging: {doing} {}: {e}", path.display()))
}

/// A run file being written: records of `[order] ‖ key ‖ value-or-deleted`, lengths as u32.
struct Writer {
    path: PathBuf,
    out: BufWriter<File>,
    offset: u64,
}

impl Writer {
    fn create(path: &std::path::Path) -> Result<Writer> {
        let file = File::create(path).map_err(|e| io("creating", path, e))?;
        Ok(Writer {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(1 << 20, file),
            offset: 0,
        })
    }

    fn record(&mut self, order: Option<&[u8]>, key: &[u8], value: Option<&[u8]>) -> Result<()> {
        if let Some(order) = order {
            self.bytes(order)?;
        }
        self.bytes(key)?;
        match value {
            Some(value) => {
                self.raw(&[1])?;
                self.bytes(value)
            }
            None => self.raw(&[0]),
        }
    }

    fn bytes(&mut self, b: &[u8]) -> Result<()> {
        let len = u32::try_from(b.len()).map_err(|_| staging("a key or value over 4 GiB"))?;
        self.raw(&len.to_le_bytes())?;
        self.raw(b)
    }

    fn raw(&mut self, b: &[u8]) -> Result<()> {
        self.out
            .write_all(b)
            .map_err(|e| io("writing", &self.path, e))?;
        self.offset = self.offset.saturating_add(b.len() as u64);
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        self.out.flush().map_err(|e| io("writing", &self.path, e))
    }
}

/// Records read from a run file (or a block of one).
struct Reader<R> {
    path: PathBuf,
    input: R,
}

impl Reader<BufReader<File>> {
    /// `path` from `offset` on.
    fn open(path: &std::path::Path, offset: u64) -> Result<Self> {
        let mut file = File::open(path).map_err(|e| io("opening", path, e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| io("reading", path, e))?;
        Ok(Reader {
            path: path.to_path_buf(),
            input: BufReader::with_capacity(1 << 16, file),
        })
    }
}

impl<R: Read> Reader<R> {
    /// The next record, `None` at the end of the file.
    fn record(&mut self, with_order: bool) -> Result<Option<Record>> {
        let first = match self.bytes()? {
            Some(first) => first,
            None => return Ok(None),
        };
        let (order, key) = if with_order {
            let key = self.bytes()?.ok_or_else(|| staging("a record cut short"))?;
            (first, key)
        } else {
            (first.clone(), first)
        };
        let mut flag = [0u8];
        self.exact(&mut flag)?;
        let value = match flag {
            [0] => None,
            [1] => Some(self.bytes()?.ok_or_else(|| staging("a record cut short"))?),
            _ => return Err(staging("a record with an unknown flag")),
        };
        Ok(Some(Record { order, key, value }))
    }

    /// A length-prefixed byte string, `None` at a clean end of file.
    fn bytes(&mut self) -> Result<Option<Vec<u8>>> {
        let mut len = [0u8; 4];
        match self.input.read(&mut len[..1]) {
            Ok(0) => return Ok(None),
            Ok(_) => {}
            Err(e) => return Err(io("reading", &self.path, e)),
        }
        self.exact(len.get_mut(1..).unwrap_or_default())?;
        let len = usize::try_from(u32::from_le_bytes(len))
            .map_err(|_| staging("a length that does not fit"))?;
        let mut out = vec![0u8; len];
        self.exact(&mut out)?;
        Ok(Some(out))
    }

    fn exact(&mut self, buf: &mut [u8]) -> Result<()> {
        self.input
            .read_exact(buf)
            .map_err(|e| io("reading", &self.path, e))
    }
}

/// One sorted input of a merge.
enum Source<'a> {
    File {
        reader: Reader<BufReader<File>>,
        with_order: bool,
    },
    Memory(Box<dyn Iterator<Item = Record> + 'a>),
}

impl Source<'_> {
    /// A whole run file; `with_order`: its records lead with a key hash (tree order).
    fn file(path: &std::path::Path, with_order: bool) -> Result<Self> {
        Ok(Source::File {
            reader: Reader::open(path, 0)?,
            with_order,
        })
    }

    fn next(&mut self) -> Result<Option<Record>> {
        match self {
            Source::File { reader, with_order } => reader.record(*with_order),
            Source::Memory(records) => Ok(records.next()),
        }
    }
}

/// A merged write: (order, key, value).
type Merged = (Vec<u8>, Vec<u8>, Vec<u8>);

/// Sorted sources (oldest first) merged by order: one item per order, the newest source's
/// write; deletions hide the key. Yields (order, key, value).
struct Merge<'a> {
    sources: Vec<Source<'a>>,
    heads: Vec<Option<Record>>,
}

impl<'a> Merge<'a> {
    fn new(mut sources: Vec<Source<'a>>) -> Result<Self> {
        let heads = sources
            .iter_mut()
            .map(Source::next)
            .collect::<Result<Vec<_>>>()?;
        Ok(Merge { sources, heads })
    }

    fn step(&mut self) -> Result<Option<Merged>> {
        loop {
            // The smallest order among the heads; on a tie the newest (last) source wins.
            let mut pick: Option<usize> = None;
            for (i, head) in self.heads.iter().enumerate() {
                let Some(head) = head else { continue };
                let better = match pick
                    .and_then(|p| self.heads.get(p))
                    .and_then(Option::as_ref)
                {
                    None => true,
                    Some(best) => head.order <= best.order,
                };
                if better {
                    pick = Some(i);
                }
            }
            let Some(pick) = pick else {
                return Ok(None);
            };
            let winner = self
                .heads
                .get_mut(pick)
                .and_then(Option::take)
                .ok_or_else(|| staging("a merge lost its head"))?;
            // Every source's write of the same key is replaced by the winner.
            for (head, source) in self.heads.iter_mut().zip(self.sources.iter_mut()) {
                while head.as_ref().is_some_and(|h| h.order == winner.order) {
                    *head = source.next()?;
                }
            }
            if let Some(source) = self.sources.get_mut(pick) {
                if let Some(head) = self.heads.get_mut(pick) {
                    if head.is_none() {
                        *head = source.next()?;
                    }
                }
            }
            if let Some(value) = winner.value {
                return Ok(Some((winner.order, winner.key, value)));
            }
        }
    }
}

impl Iterator for Merge<'_> {
    type Item = Result<Merged>;

    fn next(&mut self) -> Option<Self::Item> {
        self.step().transpose()
    }
}
