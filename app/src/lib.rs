//! estuaryd: the ABCI 2.0 application, its transaction pipeline, and its command line.
//!
//! Data flows one way: CometBFT → [`abci`] → [`app::App`] (decode, ante, route) → module → store.

pub mod abci;
pub mod abci_server;
pub mod ante;
pub mod app;
// The CLI runs one command for one user: a panic there ends that command, never a chain, so the
// consensus lints (no unwrap, no unchecked arithmetic or indexing) do not apply to it.
#[allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used
)]
pub mod cli;
pub mod config;
pub mod cosmovisor;
pub mod grpc;
pub mod memory;
pub mod metrics;
pub mod node_info;
pub mod query;
pub mod rest;
pub mod snapshots;
pub mod supervisor;
pub mod tx;

// The client side lives in the `estuary-client` crate; the CLI uses it under these names.
pub use estuary_client::{keyring, light, node as client};

/// The app manifest (the chain's modules in order); see [`estuary_genesis::modules`].
pub use estuary_genesis::modules;
