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
    vec![jmt::ics23_spec(), jmt::ics23_spec()]
}

/// Checks that `key` (local to `substore`) holds `value` under `app_hash`.
pub fn verify_membership(
    proof: &MerkleProof,
    app_hash: &[u8],
    substore: Substore,
    key: &[u8],
    value: &[u8],
) -> bool {
    let [inner, outer] = match proof.proofs.as_slice() {
        [a, b] => [a, b],
        _ => return false,
    };
    let spec = jmt::ics23_spec();
    let Some(Proof::Exist(exist)) = &inner.proof else {
        return false;
    };
    let Ok(root) = ics23::calculate_existence_root::<HostFunctionsManager>(exist) else {
        return false;
    };
    ics23::verify_membership::<HostFunctionsManager>(inner, &spec, &root, key, value)
        && verify_substore_root(outer, app_hash, substore, &root)
}

/// Checks that `key` (local to `substore`) is absent under `app_hash`.
pub fn verify_non_membership(
    proof: &MerkleProof,
    app_hash: &[u8],
    substore: Substore,
    key: &[u8],
) -> bool {
    let [inner, outer] = match proof.proofs.as_slice() {
        [a, b] => [a, b],
        _ => return false,
    };
    let spec = jmt::ics23_spec();
    let Some(Proof::Nonexist(non)) = &inner.proof else {
        return false;
    };
    let Some(neighbour) = non.left.as_ref().or(non.right.as_ref()) else {
        return false;
    };
    let Ok(root) = ics23::calculate_existence_root::<HostFunctionsManager>(neighbour) else {
        return false;
    };
    ics23::verify_non_membership::<HostFunctionsManager>(inner, &spec, &root, key)
        && verify_substore_root(outer, app_hash, substore, &root)
}

fn verify_substore_root(
    outer: &CommitmentProof,
    app_hash: &[u8],
    substore: Substore,
    root: &[u8],
) -> bool {
    let spec = jmt::ics23_spec();
    ics23::verify_membership::<HostFunctionsManager>(
        outer,
        &spec,
        &app_hash.to_vec(),
        substore.name().as_bytes(),
        root,
    )
}
