//! The client library for Estuary nodes. The CLI, the relayer, the benchmarks and the interop
//! tests use it; none of them links the node (no redb, no jmt, no gRPC server, no ibc-rs host).
//!
//! - [`node`]: CometBFT RPC, typed queries ([`node::Node::query_typed`] takes the path from the
//!   request type), broadcasting, and transaction building and signing;
//! - [`keyring`]: keys on disk (`test` and `file` backends), BIP-39/BIP-32 derivation;
//! - [`light`]: light-client verification of headers and ICS-23 proofs of query answers;
//! - [`ibc_msgs`]: side-effect-free builders of handshake messages and client states;
//! - [`chain_info`]: Keplr's ChainInfo and the chain-registry's documents for a chain;
//! - [`errors`]: a failed query as a typed error, an unreachable node said in one line;
//! - [`gas`], [`files`], [`openmetrics`]: gas prices, private files, a metrics endpoint.

pub mod chain_info;
pub mod errors;
pub mod files;
pub mod gas;
pub mod ibc_msgs;
pub mod keyring;
pub mod light;
pub mod node;
pub mod openmetrics;

pub use estuary_sdk::query::{JsonQuery, QueryRequest};
pub use node::{sign_tx, transfer_batch, Node, TxPlan, TxReport};
