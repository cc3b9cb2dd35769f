//! Where values live, latest and past.
//!
//! A substore key's latest value is stored once, in the flat table, with the version that wrote
//! it: `full key` → `be64(version) || value`. Only when a later version replaces or deletes it
//! does it move to the history table, as `tag || key hash || be64(from)` →
//! `be64(until) || value` (valid for versions `from..until`). Before this split every live
//! value was stored twice (flat and history), which was a sixth of a large store.
//!
//! The outer tree (substore name → substore root) has no flat table: its latest value is a
//! history row left open (`until` = [`OPEN`]) and closed by the version that replaces it.

use jmt::KeyHash;

use crate::error::{Error, Result};

/// The `until` of a value that is still the latest (outer tree only).
pub(crate) const OPEN: u64 = u64::MAX;

/// A flat-table entry: the version that wrote the value, then the value.
pub(crate) fn flat_entry(version: u64, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len().saturating_add(8));
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(value);
    out
}

/// The version and the value of a flat-table entry.
pub(crate) fn split_flat(entry: &[u8]) -> Result<(u64, &[u8])> {
    split(entry, "flat entry")
}

/// A history row key: the value of `key_hash` in tree `tag` written at version `from`.
pub(crate) fn history_row(tag: u8, key_hash: &KeyHash, from: u64) -> Vec<u8> {
    let mut row = Vec::with_capacity(41);
    row.push(tag);
    row.extend_from_slice(&key_hash.0);
    row.extend_from_slice(&from.to_be_bytes());
    row
}

/// The tree tag, key hash and first version of a history row key.
pub(crate) fn parse_history_row(row: &[u8]) -> Result<(u8, KeyHash, u64)> {
    let corrupt = || Error::Corrupt {
        key: "history row".into(),
        reason: format!("{} bytes", row.len()),
    };
    let (tag, rest) = row.split_first().ok_or_else(corrupt)?;
    let (hash, from) = rest.split_at_checked(32).ok_or_else(corrupt)?;
    let hash: [u8; 32] = hash.try_into().map_err(|_| corrupt())?;
    let from: [u8; 8] = from.try_into().map_err(|_| corrupt())?;
    Ok((*tag, KeyHash(hash), u64::from_be_bytes(from)))
}

/// A history entry: the first version that no longer has the value, then the value.
pub(crate) fn history_entry(until: u64, value: &[u8]) -> Vec<u8> {
    flat_entry(until, value)
}

/// The `until` version and the value of a history entry.
pub(crate) fn split_history(entry: &[u8]) -> Result<(u64, &[u8])> {
    split(entry, "history entry")
}

fn split<'a>(entry: &'a [u8], what: &str) -> Result<(u64, &'a [u8])> {
    let (version, value) = entry.split_at_checked(8).ok_or_else(|| Error::Corrupt {
        key: what.into(),
        reason: format!("{} bytes", entry.len()),
    })?;
    let version: [u8; 8] = version.try_into().map_err(|_| Error::Corrupt {
        key: what.into(),
        reason: "version".into(),
    })?;
    Ok((u64::from_be_bytes(version), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_and_rows_round_trip_and_short_ones_are_errors() {
        let flat = flat_entry(7, b"abc");
        assert_eq!(split_flat(&flat).expect("flat"), (7, &b"abc"[..]));
        let open = history_entry(OPEN, b"");
        assert_eq!(split_history(&open).expect("history"), (OPEN, &b""[..]));
        let hash = KeyHash([9; 32]);
        assert_eq!(
            parse_history_row(&history_row(b'm', &hash, 42)).expect("row"),
            (b'm', hash, 42)
        );
        assert!(split_flat(&[1, 2, 3]).is_err());
        assert!(parse_history_row(&[b'm'; 40]).is_err());
        assert!(parse_history_row(&[]).is_err());
    }
}
