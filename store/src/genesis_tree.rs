//! A genesis tree built bottom-up, each node hashed once.
//!
//! jmt inserts keys one at a time and rehashes the path above each insertion: building a
//! million-account tree that way cost ~14 µs a key, more than half of a node's start (29 of
//! 49 s at 1M accounts), most of it SHA-256 over the same internal nodes again and again. A genesis has
//! every key up front, sorted by key hash, so its tree can be laid out directly: a leaf sits at
//! the shallowest nibble where its key hash is alone, an internal node is hashed once from its
//! finished children. The rows are exactly the ones jmt would write for the same keys at the
//! same version (the tests compare app hashes and proofs with jmt's own `put_value_set`), and
//! every later block is applied by jmt over them as usual.
//!
//! Hashing, as jmt 0.12 defines it: a leaf is `H("JMT::LeafNode" ‖ key hash ‖ H(value))`; an
//! internal node is the binary Merkle tree over its 16 child slots, where an empty range is the
//! placeholder hash, a range holding a single leaf (or a single slot) is that child's hash, and
//! any other range is `H("JMT::IntrnalNode" ‖ left half ‖ right half)`.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::genesis::TreeEntry;
use crate::node_codec::{self, ChildRow};

const LEAF_DOMAIN: &[u8] = b"JMT::LeafNode";
const INTERNAL_DOMAIN: &[u8] = b"JMT::IntrnalNode";
/// The hash of an empty subtree (jmt's `SPARSE_MERKLE_PLACEHOLDER_HASH`).
const PLACEHOLDER: [u8; 32] = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";
/// A key hash has 64 nibbles; two distinct keys part before the last.
const MAX_DEPTH: usize = 64;

/// Where the builder hands each node: (nibble path, one byte per nibble; compact row).
pub(crate) type Emit<'a> = dyn FnMut(&[u8], Vec<u8>) -> Result<()> + 'a;

/// Builds the tree of `entries` (in key-hash order, no two alike) at `version`, handing every
/// node to `emit` as (nibble path, one byte per nibble; compact row) — children before their
/// parent — and returns the root hash.
pub(crate) fn build(
    entries: &[TreeEntry<'_>],
    version: u64,
    emit: &mut Emit<'_>,
) -> Result<[u8; 32]> {
    if entries.is_empty() {
        emit(&[], node_codec::encode_null())?;
        return Ok(PLACEHOLDER);
    }
    let mut path = Vec::with_capacity(MAX_DEPTH);
    Ok(subtree(entries, &mut path, version, emit)?.hash)
}

struct Built {
    hash: [u8; 32],
    /// `None` for a leaf, else the leaves below.
    leaves_below: Option<u64>,
}

fn subtree(
    entries: &[TreeEntry<'_>],
    path: &mut Vec<u8>,
    version: u64,
    emit: &mut Emit<'_>,
) -> Result<Built> {
    if let [(key_hash, _, value)] = entries {
        let value_hash: [u8; 32] = Sha256::digest(value).into();
        let hash: [u8; 32] = Sha256::new()
            .chain_update(LEAF_DOMAIN)
            .chain_update(key_hash.0)
            .chain_update(value_hash)
            .finalize()
            .into();
        emit(path, node_codec::encode_leaf(&key_hash.0, &value_hash))?;
        return Ok(Built {
            hash,
            leaves_below: None,
        });
    }
    let depth = path.len();
    if depth >= MAX_DEPTH {
        return Err(Error::Tree(
            "two genesis keys have the same key hash".into(),
        ));
    }
    let mut slots: [Option<Built>; 16] = Default::default();
    let mut rest = entries;
    while let Some((first, _, _)) = rest.first() {
        let n = nibble(&first.0, depth);
        let end = rest
            .iter()
            .position(|(hash, _, _)| nibble(&hash.0, depth) != n)
            .unwrap_or(rest.len());
        let (group, tail) = rest.split_at(end);
        path.push(n);
        let child = subtree(group, path, version, emit)?;
        path.pop();
        if let Some(slot) = slots.get_mut(usize::from(n)) {
            *slot = Some(child);
        }
        rest = tail;
    }
    let hash = merkle(&slots);
    let mut children = Vec::new();
    let mut total = 0u64;
    for (n, slot) in (0u8..).zip(&slots) {
        let Some(child) = slot else { continue };
        total = total.saturating_add(child.leaves_below.unwrap_or(1));
        children.push(ChildRow {
            nibble: n,
            hash: child.hash,
            version,
            leaves_below: child.leaves_below,
        });
    }
    emit(path, node_codec::encode_internal(&children)?)?;
    Ok(Built {
        hash,
        leaves_below: Some(total),
    })
}

/// Nibble `depth` of a key hash, high half of each byte first.
fn nibble(hash: &[u8; 32], depth: usize) -> u8 {
    let byte = hash.get(depth / 2).copied().unwrap_or_default();
    if depth.is_multiple_of(2) {
        byte >> 4
    } else {
        byte & 0x0f
    }
}

/// The hash of an internal node from its 16 child slots.
fn merkle(slots: &[Option<Built>]) -> [u8; 32] {
    let mut present = slots.iter().flatten();
    match (present.next(), present.next()) {
        (None, _) => PLACEHOLDER,
        (Some(only), None) if slots.len() == 1 || only.leaves_below.is_none() => only.hash,
        _ => {
            let (left, right) = slots.split_at(slots.len() / 2);
            Sha256::new()
                .chain_update(INTERNAL_DOMAIN)
                .chain_update(merkle(left))
                .chain_update(merkle(right))
                .finalize()
                .into()
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use jmt::storage::{Node, NodeKey, TreeReader};
    use jmt::{KeyHash, Sha256Jmt};

    /// A fresh store: jmt finds nothing below the first version.
    struct Empty;
    impl TreeReader for Empty {
        fn get_node_option(&self, _: &NodeKey) -> anyhow::Result<Option<Node>> {
            Ok(None)
        }
        fn get_value_option(&self, _: u64, _: KeyHash) -> anyhow::Result<Option<Vec<u8>>> {
            Ok(None)
        }
        fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, jmt::storage::LeafNode)>> {
            Ok(None)
        }
    }

    /// Every row the builder writes — keys, leaf and internal nodes with their versions and
    /// leaf counts — is the row jmt's own insertion writes for the same keys (row for row, no
    /// more, no less), and the root hashes agree.
    #[test]
    fn the_built_rows_are_jmts_rows() {
        for n in [1usize, 2, 3, 16, 17, 300, 5000] {
            let values: Vec<(KeyHash, Vec<u8>)> = (0..n)
                .map(|i| {
                    let key = format!("key-{i}");
                    (KeyHash::with::<Sha256>(key.as_bytes()), vec![7u8; i % 5])
                })
                .collect();
            let version = 3;
            let (root, batch) = Sha256Jmt::new(&Empty)
                .put_value_set(values.iter().map(|(h, v)| (*h, Some(v.clone()))), version)
                .unwrap();
            let mut jmt_rows: Vec<(Vec<u8>, Vec<u8>)> = batch
                .node_batch
                .nodes()
                .iter()
                .map(|(key, node)| {
                    (
                        node_codec::encode_key(key).unwrap(),
                        node_codec::encode_node(node).unwrap(),
                    )
                })
                .collect();
            jmt_rows.sort();
            let mut sorted: Vec<TreeEntry<'_>> = values
                .iter()
                .map(|(h, v)| (*h, &b""[..], v.as_slice()))
                .collect();
            sorted.sort_unstable_by_key(|(h, _, _)| h.0);
            let mut built = Vec::new();
            let hash = build(&sorted, version, &mut |path, node| {
                built.push(([&version.to_be_bytes()[..], path].concat(), node));
                Ok(())
            })
            .unwrap();
            built.sort();
            assert_eq!(hash, root.0, "{n} keys");
            assert_eq!(built, jmt_rows, "{n} keys");
        }
    }
}
