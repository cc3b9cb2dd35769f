use crate::error::{Error, Result};

/// Reads of state at one point in time. Keys are full state keys (see [`crate::Substore::route`]).
pub trait StateRead {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Every key starting with `prefix`, in key order, with its value.
    fn prefix_raw(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>>;

    /// At most `limit` keys starting with `prefix` and not below `start` (a full key), in key
    /// order. Queries page with this so that a long list is never read whole; the committed
    /// store walks its index from `start`, other views filter their listing.
    fn prefix_range(
        &self,
        prefix: &[u8],
        start: &[u8],
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        Ok(self
            .prefix_raw(prefix)?
            .into_iter()
            .filter(|(k, _)| k.as_slice() >= start)
            .take(limit)
            .collect())
    }
}

/// Writes to a pending overlay; nothing reaches disk until the block is committed.
pub trait StateWrite: StateRead {
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<()>;
    fn delete(&mut self, key: Vec<u8>) -> Result<()>;
}

/// Typed reads for the chain's own values, encoded with borsh.
pub trait StateReadExt: StateRead {
    fn get<T: borsh::BorshDeserialize>(&self, key: &[u8]) -> Result<Option<T>> {
        match self.get_raw(key)? {
            None => Ok(None),
            Some(bytes) => T::try_from_slice(&bytes)
                .map(Some)
                .map_err(|e| Error::Corrupt {
                    key: String::from_utf8_lossy(key).into_owned(),
                    reason: e.to_string(),
                }),
        }
    }

    fn get_proto<T: prost::Message + Default>(&self, key: &[u8]) -> Result<Option<T>> {
        match self.get_raw(key)? {
            None => Ok(None),
            Some(bytes) => T::decode(bytes.as_slice())
                .map(Some)
                .map_err(|e| Error::Corrupt {
                    key: String::from_utf8_lossy(key).into_owned(),
                    reason: e.to_string(),
                }),
        }
    }
}
impl<S: StateRead + ?Sized> StateReadExt for S {}

pub trait StateWriteExt: StateWrite {
    fn put<T: borsh::BorshSerialize>(&mut self, key: Vec<u8>, value: &T) -> Result<()> {
        // Sized exactly: `borsh::to_vec` reserves 1 KiB up front, and a stored value keeps its
        // capacity for as long as it sits in a write set (a million-account genesis held 1 GiB
        // of unused capacity that way).
        let encode_error = |e: std::io::Error| Error::Decode {
            what: "borsh",
            reason: e.to_string(),
        };
        let mut bytes = Vec::with_capacity(borsh::object_length(value).map_err(encode_error)?);
        value.serialize(&mut bytes).map_err(encode_error)?;
        self.put_raw(key, bytes)
    }

    fn put_proto<T: prost::Message>(&mut self, key: Vec<u8>, value: &T) -> Result<()> {
        self.put_raw(key, value.encode_to_vec())
    }
}
impl<S: StateWrite + ?Sized> StateWriteExt for S {}

impl<S: StateRead + ?Sized> StateRead for &S {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        (**self).get_raw(key)
    }
    fn prefix_raw(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        (**self).prefix_raw(prefix)
    }
    fn prefix_range(&self, p: &[u8], start: &[u8], n: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        (**self).prefix_range(p, start, n)
    }
}

impl<S: StateRead + ?Sized> StateRead for &mut S {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        (**self).get_raw(key)
    }
    fn prefix_raw(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        (**self).prefix_raw(prefix)
    }
    fn prefix_range(&self, p: &[u8], start: &[u8], n: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        (**self).prefix_range(p, start, n)
    }
}

impl<S: StateWrite + ?Sized> StateWrite for &mut S {
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<()> {
        (**self).put_raw(key, value)
    }
    fn delete(&mut self, key: Vec<u8>) -> Result<()> {
        (**self).delete(key)
    }
}
