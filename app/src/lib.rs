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
pub mod client;
pub mod config;
pub mod grpc;
pub mod keyring;
pub mod light;
pub mod metrics;
pub mod node_info;
pub mod query;
pub mod snapshots;
pub mod supervisor;
pub mod tx;

/// The modules of the chain, in the order their genesis and block hooks run.
pub fn modules() -> estuary_sdk::ModuleManager {
    estuary_sdk::ModuleManager::new(vec![
        Box::new(estuary_auth::Auth),
        Box::new(estuary_bank::Bank),
        Box::new(estuary_validators::Validators),
        Box::new(estuary_ibc::Ibc),
    ])
}
