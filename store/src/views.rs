use crate::db::Storage;
use crate::error::{Error, Result};
use crate::state::StateRead;

/// The latest committed state.
impl StateRead for Storage {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.get_latest(key)
    }
    fn prefix_raw(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.prefix_latest(prefix)
    }
    fn prefix_range(&self, p: &[u8], start: &[u8], n: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.snapshot()?.prefix_range(p, start, n)
    }
}

/// State as of one past version. Point reads only: the Merkle trees are keyed by hash, so listing
/// a prefix is possible only at the latest version.
pub struct VersionView {
    storage: Storage,
    version: u64,
}

impl Storage {
    /// A read view at `version` (the latest version reads the flat table, which can list).
    pub fn at(&self, version: u64) -> VersionView {
        VersionView {
            storage: self.clone(),
            version,
        }
    }
}

impl StateRead for VersionView {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if self.version == self.storage.latest_version() {
            return self.storage.get_latest(key);
        }
        self.storage.get_at(key, self.version)
    }
    fn prefix_raw(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.listable()?.prefix_raw(prefix)
    }
    fn prefix_range(&self, p: &[u8], start: &[u8], n: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.listable()?.prefix_range(p, start, n)
    }
}

impl VersionView {
    /// Listing is possible at the latest version only (the flat index holds the latest values).
    fn listable(&self) -> Result<crate::Snapshot> {
        let snapshot = self.storage.snapshot()?;
        if snapshot.version() == self.version {
            return Ok(snapshot);
        }
        Err(Error::VersionUnavailable {
            requested: self.version,
            latest: snapshot.version(),
            earliest: snapshot.version(),
        })
    }
}
