//! Two-level ICS-23 proofs, in the shape ibc-go's 07-tendermint client verifies: `proofs[0]`
//! proves a key inside a substore, `proofs[1]` proves the substore's root under its name in the
//! outer tree, whose root is the app hash.

use ics23::commitment_proof::Proof;
use ics23::{CommitmentProof, HostFunctionsManager, ProofSpec};

use crate::substore::Substore;

#[derive(Clone, Debug, PartialEq)]
pub struct MerkleProof {
    pub proofs: Vec<CommitmentProof>,
    /// The substore root that `proofs[1]` commits to (what `proofs[0]` must compute).
    pub substore_root: Vec<u8>,
}

/// The proof specs a client of this chain must carry: the JMT spec at both levels.
pub fn proof_specs() -> Vec<ProofSpec> {
    vec![jmt_spec(), jmt_spec()]
}

/// The ICS-23 spec of a jmt 0.12 tree (sha256 leaves and inner nodes under jmt's domain
/// separators, sparse placeholder for an empty child). Spelled out here rather than taken from
/// jmt so that clients verify proofs without linking the tree; a test checks it equals
/// `jmt::ics23_spec()`.
pub fn jmt_spec() -> ProofSpec {
    use ics23::{HashOp, InnerSpec, LeafOp, LengthOp};
    const LEAF_DOMAIN_SEPARATOR: &[u8] = b"JMT::LeafNode";
    const INTERNAL_DOMAIN_SEPARATOR: &[u8] = b"JMT::IntrnalNode";
    const SPARSE_MERKLE_PLACEHOLDER_HASH: &[u8; 32] = b"SPARSE_MERKLE_PLACEHOLDER_HASH__";
    ProofSpec {
        leaf_spec: Some(LeafOp {
            hash: HashOp::Sha256.into(),
            prehash_key: HashOp::Sha256.into(),
            prehash_value: HashOp::Sha256.into(),
            length: LengthOp::NoPrefix.into(),
            prefix: LEAF_DOMAIN_SEPARATOR.to_vec(),
        }),
        inner_spec: Some(InnerSpec {
            hash: HashOp::Sha256.into(),
            child_order: vec![0, 1],
            min_prefix_length: INTERNAL_DOMAIN_SEPARATOR.len() as i32,
            max_prefix_length: INTERNAL_DOMAIN_SEPARATOR.len() as i32,
            child_size: 32,
            empty_child: SPARSE_MERKLE_PLACEHOLDER_HASH.to_vec(),
        }),
        min_depth: 0,
        max_depth: 64,
        prehash_key_before_comparison: true,
    }
}

/// The proof specs of a Cosmos SDK chain's store (IAVL substores under a Tendermint simple-merkle
/// multistore root), for verifying a counterparty such as ibc-go's simd.
pub fn cosmos_sdk_proof_specs() -> Vec<ProofSpec> {
    vec![ics23::iavl_spec(), ics23::tendermint_spec()]
}

/// Checks that `key` (local to `substore`) holds `value` under `app_hash`.
pub fn verify_membership(
    proof: &MerkleProof,
    app_hash: &[u8],
    substore: Substore,
    key: &[u8],
    value: &[u8],
) -> bool {
    let specs = proof_specs();
    verify_membership_with(
        &specs,
        proof,
        app_hash,
        substore.name().as_bytes(),
        key,
        value,
    )
}

/// Checks that `key` (local to `substore`) is absent under `app_hash`.
pub fn verify_non_membership(
    proof: &MerkleProof,
    app_hash: &[u8],
    substore: Substore,
    key: &[u8],
) -> bool {
    let specs = proof_specs();
    verify_non_membership_with(&specs, proof, app_hash, substore.name().as_bytes(), key)
}

/// [`verify_membership`] for any two-level store: `specs[0]` for the substore, `specs[1]` for
/// the outer tree (ibc-go's order), `substore` the substore's name in the outer tree.
pub fn verify_membership_with(
    specs: &[ProofSpec],
    proof: &MerkleProof,
    app_hash: &[u8],
    substore: &[u8],
    key: &[u8],
    value: &[u8],
) -> bool {
    let ([inner, outer], [inner_spec, outer_spec]) = (proof.proofs.as_slice(), specs) else {
        return false;
    };
    let Some(Proof::Exist(exist)) = &inner.proof else {
        return false;
    };
    let Ok(root) = ics23::calculate_existence_root::<HostFunctionsManager>(exist) else {
        return false;
    };
    ics23::verify_membership::<HostFunctionsManager>(inner, inner_spec, &root, key, value)
        && verify_substore_root(outer, outer_spec, app_hash, substore, &root)
}

/// [`verify_non_membership`] for any two-level store (see [`verify_membership_with`]).
pub fn verify_non_membership_with(
    specs: &[ProofSpec],
    proof: &MerkleProof,
    app_hash: &[u8],
    substore: &[u8],
    key: &[u8],
) -> bool {
    let ([inner, outer], [inner_spec, outer_spec]) = (proof.proofs.as_slice(), specs) else {
        return false;
    };
    let Some(Proof::Nonexist(non)) = &inner.proof else {
        return false;
    };
    let Some(neighbour) = non.left.as_ref().or(non.right.as_ref()) else {
        return false;
    };
    let Ok(root) = ics23::calculate_existence_root::<HostFunctionsManager>(neighbour) else {
        return false;
    };
    ics23::verify_non_membership::<HostFunctionsManager>(inner, inner_spec, &root, key)
        && verify_substore_root(outer, outer_spec, app_hash, substore, &root)
}

fn verify_substore_root(
    outer: &CommitmentProof,
    spec: &ProofSpec,
    app_hash: &[u8],
    substore: &[u8],
    root: &[u8],
) -> bool {
    ics23::verify_membership::<HostFunctionsManager>(
        outer,
        spec,
        &app_hash.to_vec(),
        substore,
        root,
    )
}

#[cfg(all(test, feature = "db"))]
mod spec_tests {
    #[test]
    fn the_spelled_out_spec_is_jmts() {
        assert_eq!(super::jmt_spec(), jmt::ics23_spec());
    }
}
