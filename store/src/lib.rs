//! Estuary's persistent, versioned Merkle store.
//!
//! State is split into substores (`main`, `ibc`), each a Jellyfish Merkle tree kept in one redb
//! file. An outer tree maps each substore name to its root; the outer root is the app hash. This is
//! the Cosmos SDK two-level shape, so a proof of an IBC path is two chained ICS-23 proofs.
//!
//! Execution never clones state: a block accumulates its writes in a [`PendingBlock`], each
//! transaction in a [`TxOverlay`] over it, and [`Storage::commit`] writes a block as one redb
//! transaction.

mod db;
mod error;
mod gas;
mod overlay;
mod proof;
mod state;
mod substore;
mod views;

pub use db::{CommitInfo, PreparedCommit, Snapshot, Storage, StorageConfig};
pub use error::{Error, Result};
pub use gas::{GasConfig, GasMeter};
pub use overlay::{PendingBlock, TxOverlay, WriteSet};
pub use proof::{
    cosmos_sdk_proof_specs, proof_specs, verify_membership, verify_membership_with,
    verify_non_membership, verify_non_membership_with, MerkleProof,
};
pub use state::{StateRead, StateReadExt, StateWrite, StateWriteExt};
pub use substore::Substore;
pub use views::{MemState, VersionView};
