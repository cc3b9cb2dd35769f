//! Estuary's persistent, versioned Merkle store.
//!
//! State is split into substores (`main`, `ibc`), each a Jellyfish Merkle tree kept in one redb
//! file. An outer tree maps each substore name to its root; the outer root is the app hash. This is
//! the Cosmos SDK two-level shape, so a proof of an IBC path is two chained ICS-23 proofs.
//!
//! Execution never clones state: a block accumulates its writes in a [`PendingBlock`], each
//! transaction in a [`TxOverlay`] over it, and [`Storage::commit`] writes a block as one redb
//! transaction.
//!
//! Without the default `db` feature the crate is what a client links: the state traits, substores,
//! an in-memory state and ICS-23 proof verification, and neither redb nor jmt.

#[cfg(feature = "db")]
mod db;
mod error;
mod gas;
#[cfg(feature = "db")]
mod genesis;
#[cfg(feature = "db")]
mod genesis_tree;
#[cfg(feature = "db")]
mod history;
mod mem;
#[cfg(feature = "db")]
mod node_codec;
#[cfg(feature = "db")]
mod overlay;
mod proof;
mod state;
mod substore;
#[cfg(feature = "db")]
mod views;
mod write_set;

#[cfg(feature = "db")]
pub use db::{
    CommitInfo, GenesisMark, PreparedCommit, Snapshot, Storage, StorageConfig, DEFAULT_CACHE_BYTES,
    STORE_FORMAT,
};
pub use error::{Error, Result};
pub use gas::{GasConfig, GasMeter};
#[cfg(feature = "db")]
pub use genesis::GenesisState;
pub use mem::MemState;
#[cfg(feature = "db")]
pub use overlay::PendingBlock;
pub use proof::{
    cosmos_sdk_proof_specs, jmt_spec, proof_specs, verify_membership, verify_membership_with,
    verify_non_membership, verify_non_membership_with, MerkleProof,
};
pub use state::{StateRead, StateReadExt, StateWrite, StateWriteExt};
pub use substore::Substore;
#[cfg(feature = "db")]
pub use views::VersionView;
pub use write_set::{TxOverlay, WriteSet};
