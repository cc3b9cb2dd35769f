//! How JMT nodes are laid out on disk.
//!
//! jmt's own (borsh) encoding spends most of an internal node on padding: 16 option slots, a
//! `usize` child count, a `usize` leaf count per child and per node, 8-byte versions. A
//! million-account store held ~350 bytes of tree per account that way. Here an internal node
//! is two bitmaps and, per present child, its hash and varint-encoded version and leaf count;
//! a node's key is its version in big-endian (so one block's nodes sit together) followed by
//! its nibble path, a byte per nibble (depth-first order).
//!
//! jmt does not export its internal-node types, so the codec translates to and from jmt's
//! borsh layout (pinned by the jmt version in the lockfile; a round-trip test over a real tree
//! checks it). Every decode checks lengths and bounds: a corrupt row is an error, not a panic.

use borsh::BorshDeserialize;
use jmt::storage::{Node, NodeKey};

use crate::error::{Error, Result};

const NULL: u8 = 0;
const INTERNAL: u8 = 1;
const LEAF: u8 = 2;
/// jmt's borsh variant indices for `Node`.
const BORSH_NULL: u8 = 0;
const BORSH_INTERNAL: u8 = 1;
const BORSH_LEAF: u8 = 2;
/// jmt's borsh variant indices for `NodeType`.
const BORSH_CHILD_LEAF: u8 = 0;
const BORSH_CHILD_INTERNAL: u8 = 1;

/// `be64(version) || one byte per nibble of the path` — the row key of a node (after the tree
/// tag). One byte per nibble makes rows sort depth-first (a node before its children, siblings
/// by nibble), so a genesis written in key-hash order appends to the table instead of
/// splitting pages in the middle of it.
pub(crate) fn encode_key(key: &NodeKey) -> Result<Vec<u8>> {
    // borsh(NodeKey) is `le64(version) || le64(num_nibbles) || le32(len) || packed nibbles`.
    let borsh = borsh::to_vec(key).map_err(|e| corrupt(format!("borsh: {e}")))?;
    let mut r = Reader(&borsh);
    let version = r.u64()?;
    let nibbles = usize::try_from(r.u64()?).unwrap_or(usize::MAX);
    let len = r.u32()?;
    let packed = r.take(usize::try_from(len).unwrap_or(usize::MAX))?;
    if nibbles.div_ceil(2) != packed.len() {
        return Err(corrupt(format!(
            "{nibbles} nibbles in {} bytes",
            packed.len()
        )));
    }
    let mut out = Vec::with_capacity(nibbles.saturating_add(8));
    out.extend_from_slice(&version.to_be_bytes());
    for i in 0..nibbles {
        let byte = packed.get(i / 2).copied().unwrap_or_default();
        out.push(if i % 2 == 0 { byte >> 4 } else { byte & 0x0f });
    }
    Ok(out)
}

/// The node key of a row key written by [`encode_key`] (the round-trip tests check one with
/// the other).
#[cfg(test)]
fn decode_key(row: &[u8]) -> Result<NodeKey> {
    let mut r = Reader(row);
    let version = r.u64_be()?;
    let nibbles = r.0;
    if nibbles.len() > 64 || nibbles.iter().any(|n| *n > 0x0f) {
        return Err(corrupt(format!("not a nibble path: {nibbles:?}")));
    }
    let packed: Vec<u8> = nibbles
        .chunks(2)
        .map(|pair| {
            let hi = pair.first().copied().unwrap_or_default();
            let lo = pair.get(1).copied().unwrap_or_default();
            (hi << 4) | lo
        })
        .collect();
    let mut borsh = Vec::with_capacity(packed.len().saturating_add(20));
    borsh.extend_from_slice(&version.to_le_bytes());
    borsh.extend_from_slice(&(nibbles.len() as u64).to_le_bytes());
    borsh.extend_from_slice(&(packed.len() as u32).to_le_bytes());
    borsh.extend_from_slice(&packed);
    NodeKey::try_from_slice(&borsh).map_err(|e| corrupt(format!("node key: {e}")))
}

pub(crate) fn encode_node(node: &Node) -> Result<Vec<u8>> {
    let borsh = borsh::to_vec(node).map_err(|e| corrupt(format!("borsh: {e}")))?;
    let mut r = Reader(&borsh);
    match r.byte()? {
        BORSH_NULL => Ok(vec![NULL]),
        BORSH_LEAF => {
            let key_hash = r.array::<32>()?;
            let value_hash = r.array::<32>()?;
            Ok(encode_leaf(&key_hash, &value_hash))
        }
        BORSH_INTERNAL => {
            let mut children = Vec::with_capacity(16);
            for nibble in 0..16u8 {
                if r.byte()? == 0 {
                    continue;
                }
                let hash = r.array::<32>()?;
                let version = r.u64()?;
                let leaves_below = match r.byte()? {
                    BORSH_CHILD_LEAF => None,
                    BORSH_CHILD_INTERNAL => Some(r.u64()?),
                    other => return Err(corrupt(format!("child type {other}"))),
                };
                children.push(ChildRow {
                    nibble,
                    hash,
                    version,
                    leaves_below,
                });
            }
            // The child count and the node's leaf count follow; both are implied by the children.
            r.u64()?;
            r.u64()?;
            encode_internal(&children)
        }
        other => Err(corrupt(format!("node variant {other}"))),
    }
}

/// A leaf row (a genesis builds its tree without jmt, `genesis_tree`, and writes rows directly).
pub(crate) fn encode_leaf(key_hash: &[u8; 32], value_hash: &[u8; 32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(65);
    out.push(LEAF);
    out.extend_from_slice(key_hash);
    out.extend_from_slice(value_hash);
    out
}

/// A child of an internal node written directly: its nibble, hash, version, and `Some(leaf
/// count)` for an internal child, `None` for a leaf.
pub(crate) struct ChildRow {
    pub nibble: u8,
    pub hash: [u8; 32],
    pub version: u64,
    pub leaves_below: Option<u64>,
}

/// An internal row from its children in nibble order (at least one).
pub(crate) fn encode_internal(children: &[ChildRow]) -> Result<Vec<u8>> {
    if children.is_empty() {
        return Err(corrupt("an internal node without children".into()));
    }
    let mut present = 0u16;
    let mut leaves = 0u16;
    let mut body = Vec::with_capacity(children.len().saturating_mul(36));
    for child in children {
        let bit = 1u16
            .checked_shl(u32::from(child.nibble))
            .filter(|_| child.nibble < 16)
            .ok_or_else(|| corrupt(format!("nibble {}", child.nibble)))?;
        present |= bit;
        body.extend_from_slice(&child.hash);
        prost::encoding::encode_varint(child.version, &mut body);
        match child.leaves_below {
            None => leaves |= bit,
            Some(n) => prost::encoding::encode_varint(n, &mut body),
        }
    }
    let mut out = Vec::with_capacity(body.len().saturating_add(5));
    out.push(INTERNAL);
    out.extend_from_slice(&present.to_le_bytes());
    out.extend_from_slice(&leaves.to_le_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// The row of an empty tree's root.
pub(crate) fn encode_null() -> Vec<u8> {
    vec![NULL]
}

pub(crate) fn decode_node(bytes: &[u8]) -> Result<Node> {
    let mut r = Reader(bytes);
    let borsh = match r.byte()? {
        NULL => vec![BORSH_NULL],
        LEAF => [&[BORSH_LEAF][..], r.take(64)?].concat(),
        INTERNAL => {
            let present = r.u16()?;
            let leaves = r.u16()?;
            if leaves & !present != 0 {
                return Err(corrupt("a leaf mark on an absent child".into()));
            }
            // jmt never writes an internal node without children, and would not expect one.
            if present == 0 {
                return Err(corrupt("an internal node without children".into()));
            }
            let mut out = Vec::with_capacity(1 + 16 * 50 + 16);
            out.push(BORSH_INTERNAL);
            let mut children = 0u64;
            let mut leaf_count = 0u64;
            for nibble in 0..16u16 {
                if present & (1 << nibble) == 0 {
                    out.push(0);
                    continue;
                }
                out.push(1);
                out.extend_from_slice(r.take(32)?);
                out.extend_from_slice(&r.varint()?.to_le_bytes());
                let below = if leaves & (1 << nibble) != 0 {
                    out.push(BORSH_CHILD_LEAF);
                    1
                } else {
                    let n = r.varint()?;
                    out.push(BORSH_CHILD_INTERNAL);
                    out.extend_from_slice(&n.to_le_bytes());
                    n
                };
                children = children.saturating_add(1);
                leaf_count = leaf_count
                    .checked_add(below)
                    .ok_or_else(|| corrupt("leaf count overflows".into()))?;
            }
            out.extend_from_slice(&children.to_le_bytes());
            out.extend_from_slice(&leaf_count.to_le_bytes());
            out
        }
        other => return Err(corrupt(format!("node kind {other}"))),
    };
    if !r.0.is_empty() {
        return Err(corrupt(format!("{} trailing bytes", r.0.len())));
    }
    Node::try_from_slice(&borsh).map_err(|e| corrupt(format!("borsh: {e}")))
}

fn corrupt(reason: String) -> Error {
    Error::Corrupt {
        key: "jmt node".into(),
        reason,
    }
}

/// A cursor over bytes that fails, rather than panics, when they run out.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let (head, rest) = self
            .0
            .split_at_checked(n)
            .ok_or_else(|| corrupt(format!("truncated: {n} bytes wanted")))?;
        self.0 = rest;
        Ok(head)
    }
    fn byte(&mut self) -> Result<u8> {
        Ok(self.take(1)?.first().copied().unwrap_or_default())
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.take(N)?
            .try_into()
            .map_err(|_| corrupt(format!("{N} bytes")))
    }
    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    #[cfg(test)]
    fn u64_be(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    /// A LEB128 varint, prost's (the same encoding `encode_varint` writes).
    fn varint(&mut self) -> Result<u64> {
        prost::encoding::decode_varint(&mut self.0).map_err(|e| corrupt(format!("varint: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jmt::storage::{TreeReader, TreeUpdateBatch};
    use jmt::{KeyHash, Sha256Jmt};

    /// Builds a real tree (several versions, so children of different versions and internal
    /// children with many leaves) and checks every node jmt produced survives the codec exactly.
    #[test]
    fn every_node_of_a_real_tree_round_trips() {
        struct Empty;
        impl TreeReader for Empty {
            fn get_node_option(&self, _: &NodeKey) -> anyhow::Result<Option<Node>> {
                Ok(Some(Node::Null))
            }
            fn get_value_option(&self, _: u64, _: KeyHash) -> anyhow::Result<Option<Vec<u8>>> {
                Ok(None)
            }
            fn get_rightmost_leaf(
                &self,
            ) -> anyhow::Result<Option<(NodeKey, jmt::storage::LeafNode)>> {
                Ok(None)
            }
        }
        let set: Vec<_> = (0u32..5000)
            .map(|i| {
                (
                    KeyHash::with::<sha2::Sha256>(i.to_be_bytes()),
                    Some(vec![1u8; (i % 7) as usize]),
                )
            })
            .collect();
        let (_, batch): (_, TreeUpdateBatch) =
            Sha256Jmt::new(&Empty).put_value_set(set, 7).expect("tree");
        let mut internal = 0;
        for (key, node) in batch.node_batch.nodes() {
            let bytes = encode_node(node).expect("encode");
            assert_eq!(&decode_node(&bytes).expect("decode"), node);
            assert!(
                bytes.len() < borsh::to_vec(node).expect("borsh").len()
                    || !matches!(node, Node::Internal(_))
            );
            if matches!(node, Node::Internal(_)) {
                internal += 1;
            }
            assert!(encode_key(key)
                .expect("key")
                .starts_with(&7u64.to_be_bytes()));
        }
        assert!(internal > 100, "the tree has internal nodes: {internal}");
        assert_eq!(
            decode_node(&encode_node(&Node::Null).expect("null")).expect("null"),
            Node::Null
        );
    }

    /// A node key from its version and nibbles, through jmt's own borsh layout.
    fn node_key(version: u64, nibbles: &[u8]) -> NodeKey {
        let bytes: Vec<u8> = nibbles
            .chunks(2)
            .map(|c| (c[0] << 4) | c.get(1).copied().unwrap_or(0))
            .collect();
        let mut raw = version.to_le_bytes().to_vec();
        raw.extend_from_slice(&(nibbles.len() as u64).to_le_bytes());
        raw.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        raw.extend_from_slice(&bytes);
        NodeKey::try_from_slice(&raw).expect("node key")
    }

    #[test]
    fn node_keys_sort_by_version_then_depth_first_and_decode_back() {
        let mut nibble_paths = vec![vec![]];
        for b in 0u8..=255 {
            nibble_paths.push(vec![b >> 4]);
            nibble_paths.push(vec![b >> 4, b & 15]);
            nibble_paths.push(vec![b & 15, b >> 4, 3]);
            nibble_paths.push(vec![b & 15, 0, 0, b >> 4, 1]);
        }
        let mut set = Vec::new();
        for (i, path) in nibble_paths.iter().enumerate() {
            set.push((i as u64 % 3, path.clone()));
        }
        for (version, path) in &set {
            let key = node_key(*version, path);
            let row = encode_key(&key).expect("key");
            assert_eq!(decode_key(&row).expect("decode"), key);
            // What the genesis tree builder writes without going through jmt's node key.
            assert_eq!(row, [&version.to_be_bytes()[..], path].concat());
        }
        let mut expected = set.clone();
        expected.sort();
        let mut by_row = set;
        by_row.sort_by_key(|(v, p)| encode_key(&node_key(*v, p)).expect("key"));
        assert_eq!(expected, by_row);
    }

    #[test]
    fn corrupt_rows_are_errors() {
        for bad in [
            &[][..],
            &[9][..],
            &[LEAF, 1, 2][..],
            &[INTERNAL, 1, 0][..],
            &[INTERNAL, 0, 0, 1, 0][..],
            &[INTERNAL, 1, 0, 0, 0][..],
            &[INTERNAL, 0, 0, 0, 0][..],
            &[NULL, 0][..],
        ] {
            assert!(decode_node(bad).is_err(), "{bad:?}");
        }
        // Arbitrary bytes (and truncations of valid rows) decode to a node or an error, never a
        // panic; the same for row keys.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let valid = encode_node(&Node::Null).expect("null");
        for round in 0..20_000u32 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 120) as usize;
            let mut bytes: Vec<u8> = (0..len)
                .map(|i| (seed.rotate_left(i as u32 * 5) & 0xff) as u8)
                .collect();
            if let Some(first) = bytes.first_mut() {
                *first %= 4;
            }
            if round % 7 == 0 {
                bytes = [&valid[..], &bytes[..]].concat();
            }
            let _ = decode_node(&bytes);
            let _ = decode_key(&bytes);
        }
        let mut long = vec![INTERNAL, 1, 0, 0, 0];
        long.extend_from_slice(&[0u8; 32]);
        long.extend_from_slice(&[0xff; 11]);
        assert!(decode_node(&long).is_err());
    }
}
