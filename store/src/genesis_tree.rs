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
use crate::node_codec::{self, ChildRow};

const LEAF_DOMAIN: &[u8] = b"JMT::LeafNode";
const INTERNAL_DOMAIN: &[u8] = b"JMT::IntrnalNode";
/// The hash of an empty subtree (jmt's `SPARSE_MERKLE_PLACEHOLDER_HASH`).
const PLACEHOLDER: [u8; 32] = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";
/// A key hash has 64 nibbles; two distinct keys part before the last.
const MAX_DEPTH: usize = 64;

/// Where the builder hands each node: (nibble path, one byte per nibble; compact row).
pub(crate) type Emit<'a> = dyn FnMut(&[u8], Vec<u8>) -> Result<()> + 'a;

/// One key for the builder: its key hash and the hash of its value.
pub(crate) type Leaf = ([u8; 32], [u8; 32]);

/// Builds the tree of `leaves` (strictly increasing key hashes) at `version`, handing every
/// node to `emit` as (nibble path, one byte per nibble; compact row) — children before their
/// parent — and returns the root hash.
///
/// The keys stream through: only the open internal nodes on the current key's path are held
/// (at most 64), so a genesis of any size is built in constant memory. A leaf sits one nibble
/// below the longer of its common prefixes with its two neighbours; every depth above it on
/// its path holds an internal node (jmt keeps single-child internal nodes), opened when a key
/// first needs it and finished once the next key leaves its subtree.
pub(crate) fn build(
    leaves: impl IntoIterator<Item = Result<Leaf>>,
    version: u64,
    emit: &mut Emit<'_>,
) -> Result<[u8; 32]> {
    let mut leaves = leaves.into_iter();
    let Some(first) = leaves.next().transpose()? else {
        emit(&[], node_codec::encode_null())?;
        return Ok(PLACEHOLDER);
    };
    // Open internal nodes, one per depth from the root down.
    let mut open: Vec<[Option<Built>; 16]> = Vec::with_capacity(MAX_DEPTH);
    let mut shared_with_previous: Option<usize> = None;
    let mut current = first;
    loop {
        let next = leaves.next().transpose()?;
        let shared_with_next = match &next {
            Some((next_hash, _)) if *next_hash > current.0 => {
                Some(common_nibbles(&current.0, next_hash))
            }
            Some(_) => {
                return Err(Error::Tree(
                    "genesis keys out of key-hash order, or two with the same key hash".into(),
                ))
            }
            None => None,
        };
        let path = nibbles(&current.0);
        let (key_hash, value_hash) = current;
        let hash: [u8; 32] = Sha256::new()
            .chain_update(LEAF_DOMAIN)
            .chain_update(key_hash)
            .chain_update(value_hash)
            .finalize()
            .into();
        let leaf = Built {
            hash,
            leaves_below: None,
        };
        // The leaf's depth: one below its longest common prefix with a neighbour.
        let depth = match shared_with_previous.max(shared_with_next) {
            None => {
                // The only key: the root is its leaf.
                emit(&[], node_codec::encode_leaf(&key_hash, &value_hash))?;
                return Ok(hash);
            }
            Some(shared) => shared.saturating_add(1),
        };
        if depth > MAX_DEPTH {
            return Err(Error::Tree(
                "a genesis key hash is deeper than 64 nibbles".into(),
            ));
        }
        emit(
            path.get(..depth).unwrap_or_default(),
            node_codec::encode_leaf(&key_hash, &value_hash),
        )?;
        while open.len() < depth {
            open.push(Default::default());
        }
        place(&mut open, &path, leaf)?;
        // Finish every node the next key does not pass through (all of them after the last).
        let keep = shared_with_next.map_or(0, |shared| shared.saturating_add(1));
        while open.len() > keep {
            let slots = open.pop().unwrap_or_default();
            let node_depth = open.len();
            let built = finish(
                &slots,
                path.get(..node_depth).unwrap_or_default(),
                version,
                emit,
            )?;
            if open.is_empty() {
                return Ok(built.hash);
            }
            place(&mut open, &path, built)?;
        }
        let Some(next) = next else {
            return Err(Error::Tree("the genesis tree has no root".into()));
        };
        shared_with_previous = shared_with_next;
        current = next;
    }
}

struct Built {
    hash: [u8; 32],
    /// `None` for a leaf, else the leaves below.
    leaves_below: Option<u64>,
}

/// Puts a finished child into the deepest open node, in the slot of `path`'s nibble there.
fn place(open: &mut [[Option<Built>; 16]], path: &[u8; MAX_DEPTH], child: Built) -> Result<()> {
    let depth = open.len().saturating_sub(1);
    let nibble = path.get(depth).copied().unwrap_or_default();
    let slot = open
        .last_mut()
        .and_then(|slots| slots.get_mut(usize::from(nibble)))
        .ok_or_else(|| Error::Tree("a genesis leaf without an internal node above it".into()))?;
    *slot = Some(child);
    Ok(())
}

/// Hashes and emits a finished internal node at `path`.
fn finish(
    slots: &[Option<Built>; 16],
    path: &[u8],
    version: u64,
    emit: &mut Emit<'_>,
) -> Result<Built> {
    let hash = merkle(slots);
    let mut children = Vec::new();
    let mut total = 0u64;
    for (n, slot) in (0u8..).zip(slots) {
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

/// A key hash's 64 nibbles, high half of each byte first.
fn nibbles(hash: &[u8; 32]) -> [u8; MAX_DEPTH] {
    let mut out = [0u8; MAX_DEPTH];
    for (pair, byte) in out.chunks_exact_mut(2).zip(hash) {
        if let [high, low] = pair {
            *high = byte >> 4;
            *low = byte & 0x0f;
        }
    }
    out
}

/// How many leading nibbles two key hashes share.
fn common_nibbles(a: &[u8; 32], b: &[u8; 32]) -> usize {
    nibbles(a)
        .iter()
        .zip(nibbles(b).iter())
        .take_while(|(x, y)| x == y)
        .count()
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
            let mut sorted: Vec<Leaf> = values
                .iter()
                .map(|(h, v)| (h.0, Sha256::digest(v).into()))
                .collect();
            sorted.sort_unstable();
            let mut built = Vec::new();
            let hash = build(sorted.into_iter().map(Ok), version, &mut |path, node| {
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
