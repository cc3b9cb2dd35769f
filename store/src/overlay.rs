use crate::db::{Snapshot, Storage};
use crate::error::Result;
use crate::state::{StateRead, StateWrite};
use crate::write_set::WriteSet;

/// The writes of the block being executed, over the last committed version.
pub struct PendingBlock {
    storage: Storage,
    /// One read transaction on the committed version for the whole block (or the mempool's
    /// stretch between two commits): a read costs a table lookup, not a new transaction and
    /// a look-up of the latest version each time.
    base: Option<Snapshot>,
    writes: WriteSet,
}

impl PendingBlock {
    pub fn new(storage: Storage) -> Self {
        // Without a snapshot (a database error) every read goes to the storage, which reports
        // the error where it can be handled.
        let base = storage.snapshot().ok();
        PendingBlock {
            storage,
            base,
            writes: WriteSet::default(),
        }
    }

    pub fn absorb(&mut self, tx_writes: WriteSet) {
        self.writes.absorb(tx_writes);
    }

    pub fn writes(&self) -> &WriteSet {
        &self.writes
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    pub fn into_writes(self) -> WriteSet {
        self.writes
    }
}

impl StateRead for PendingBlock {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match (self.writes.lookup(key), &self.base) {
            (Some(v), _) => Ok(v.cloned()),
            (None, Some(base)) => base.get_raw(key),
            (None, None) => self.storage.get_latest(key),
        }
    }

    fn prefix_raw(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let committed = match &self.base {
            Some(base) => base.prefix_raw(prefix)?,
            None => self.storage.prefix_latest(prefix)?,
        };
        Ok(self.writes.merge_prefix(prefix, committed))
    }
}

impl StateWrite for PendingBlock {
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<()> {
        self.writes.set(key, Some(value));
        Ok(())
    }

    fn delete(&mut self, key: Vec<u8>) -> Result<()> {
        self.writes.set(key, None);
        Ok(())
    }
}
