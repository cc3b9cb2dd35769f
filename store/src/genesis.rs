//! The state a genesis is written into before it becomes the store's first version.
//!
//! Every module's InitGenesis writes here and reads its own writes back;
//! [`crate::Storage::commit_genesis`] then writes the store from it, tree by tree in key-hash
//! order and the flat table in key order.
//!
//! A genesis starts from an empty state: nothing here reads the store, so the rows a crashed
//! earlier attempt left behind (CometBFT sends InitChain again after a crash) can never leak
//! into this one — a module that reads before it writes, as minting adds to a balance, would
//! otherwise count them twice.

use jmt::KeyHash;

use crate::error::Result;
use crate::overlay::WriteSet;
use crate::state::{StateRead, StateWrite};
use crate::substore::Substore;

/// The writes of a genesis; see the module documentation.
#[derive(Default)]
pub struct GenesisState {
    writes: WriteSet,
}

/// One entry in tree order: key hash, key within its substore, value.
pub(crate) type TreeEntry<'a> = (KeyHash, &'a [u8], &'a [u8]);

impl GenesisState {
    /// `substore`'s entries in key-hash order (deletions are left out: a fresh store has
    /// nothing to delete).
    pub(crate) fn tree_order(&self, substore: Substore) -> Vec<TreeEntry<'_>> {
        let mut entries: Vec<TreeEntry<'_>> = self
            .writes
            .iter()
            .filter_map(|(key, value)| {
                let (s, local) = Substore::route(key);
                let value = value.as_ref().filter(|_| s == substore)?;
                Some((
                    KeyHash::with::<sha2::Sha256>(local),
                    local,
                    value.as_slice(),
                ))
            })
            .collect();
        entries.sort_unstable_by_key(|(hash, _, _)| hash.0);
        entries
    }

    /// Every entry (full key, value) in key order.
    pub(crate) fn key_order(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.writes
            .iter()
            .filter_map(|(key, value)| Some((key.as_slice(), value.as_deref()?)))
    }
}

impl StateRead for GenesisState {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.writes.lookup(key).flatten().cloned())
    }

    fn prefix_raw(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        Ok(self.writes.merge_prefix(prefix, Vec::new()))
    }
}

impl StateWrite for GenesisState {
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<()> {
        self.writes.set(key, Some(value));
        Ok(())
    }

    fn delete(&mut self, key: Vec<u8>) -> Result<()> {
        self.writes.set(key, None);
        Ok(())
    }
}
