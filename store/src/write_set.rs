//! Writes not yet committed: a set of them ([`WriteSet`]) and one transaction's writes over its
//! parent state, metered ([`TxOverlay`]). Needs no database, so modules can run a group of
//! messages atomically too (governance executes a proposal's messages on one overlay).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::Bound;

use crate::error::Result;
use crate::gas::GasMeter;
use crate::state::{StateRead, StateWrite};

/// Pending writes: `Some(value)` sets a key, `None` deletes it.
#[derive(Clone, Debug, Default)]
pub struct WriteSet(BTreeMap<Vec<u8>, Option<Vec<u8>>>);

impl WriteSet {
    /// `Some(Some(v))`: written here; `Some(None)`: deleted here; `None`: ask the parent.
    pub fn lookup(&self, key: &[u8]) -> Option<Option<&Vec<u8>>> {
        self.0.get(key).map(|v| v.as_ref())
    }

    pub fn set(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        self.0.insert(key, value);
    }

    /// Folds a child's writes into this set (the child's win).
    pub fn absorb(&mut self, child: WriteSet) {
        self.0.extend(child.0);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Vec<u8>, &Option<Vec<u8>>)> {
        self.0.iter()
    }

    /// Lays these writes onto `state` (an overlay's writes kept only when everything on it
    /// succeeded: a proposal's messages, a forwarded packet's receive and send).
    pub fn write_into(self, state: &mut dyn StateWrite) -> Result<()> {
        for (key, value) in self.0 {
            match value {
                Some(v) => state.put_raw(key, v)?,
                None => state.delete(key)?,
            }
        }
        Ok(())
    }

    /// Lays these writes over `below` (the parent's sorted view of `prefix`).
    pub fn merge_prefix(
        &self,
        prefix: &[u8],
        below: Vec<(Vec<u8>, Vec<u8>)>,
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mine: Vec<_> = self
            .0
            .range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .collect();
        if mine.is_empty() {
            return below;
        }
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> = below.into_iter().collect();
        for (k, v) in mine {
            match v {
                Some(v) => merged.insert(k.clone(), v.clone()),
                None => merged.remove(k),
            };
        }
        merged.into_iter().collect()
    }
}

/// One transaction's writes over its parent, metered. Dropped on failure, absorbed on success.
pub struct TxOverlay<'a> {
    parent: &'a dyn StateRead,
    writes: WriteSet,
    // Reads are metered too, and `StateRead` takes `&self`.
    gas: RefCell<GasMeter>,
}

impl<'a> TxOverlay<'a> {
    pub fn new(parent: &'a dyn StateRead, gas: GasMeter) -> Self {
        TxOverlay {
            parent,
            writes: WriteSet::default(),
            gas: RefCell::new(gas),
        }
    }

    pub fn gas_used(&self) -> u64 {
        self.gas.borrow().used()
    }

    pub fn consume_gas(&mut self, amount: u64) -> Result<()> {
        self.gas.get_mut().consume(amount)
    }

    pub fn into_parts(self) -> (WriteSet, GasMeter) {
        (self.writes, self.gas.into_inner())
    }
}

impl StateRead for TxOverlay<'_> {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let value = match self.writes.lookup(key) {
            Some(v) => v.cloned(),
            None => self.parent.get_raw(key)?,
        };
        self.gas
            .borrow_mut()
            .charge_read(value.as_ref().map_or(0, Vec::len))?;
        Ok(value)
    }

    fn prefix_raw(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let items = self
            .writes
            .merge_prefix(prefix, self.parent.prefix_raw(prefix)?);
        let bytes = items.iter().fold(0usize, |n, (k, v)| {
            n.saturating_add(k.len()).saturating_add(v.len())
        });
        self.gas.borrow_mut().charge_iter(items.len(), bytes)?;
        Ok(items)
    }
}

impl StateWrite for TxOverlay<'_> {
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<()> {
        self.gas.get_mut().charge_write(key.len(), value.len())?;
        self.writes.set(key, Some(value));
        Ok(())
    }

    fn delete(&mut self, key: Vec<u8>) -> Result<()> {
        self.gas.get_mut().charge_delete()?;
        self.writes.set(key, None);
        Ok(())
    }
}
