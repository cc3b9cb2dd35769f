use std::collections::BTreeMap;

use crate::error::Result;
use crate::state::{StateRead, StateWrite};

/// State held in memory, for checking a genesis file without a database.
#[derive(Default, Clone, Debug)]
pub struct MemState(pub BTreeMap<Vec<u8>, Vec<u8>>);

impl StateRead for MemState {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.0.get(key).cloned())
    }
    fn prefix_raw(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        Ok(self
            .0
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

impl StateWrite for MemState {
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<()> {
        self.0.insert(key, value);
        Ok(())
    }
    fn delete(&mut self, key: Vec<u8>) -> Result<()> {
        self.0.remove(&key);
        Ok(())
    }
}
