//! IBC for Estuary, on ibc-rs.
//!
//! What is here now: the ICS-20 wire formats (voucher denoms, escrow addresses, packet and
//! acknowledgement commitments, acknowledgement JSON) checked against ibc-go's known values, and
//! the host's own header history (`host`), which a counterparty's client of this chain is checked
//! against. The ibc-rs contexts, the ICS-07 client and the transfer application build on these.

pub mod context;
pub mod handler;
pub mod host;
pub mod ics20;
pub mod query;
pub mod redundant;
pub mod router;
pub mod self_client;
pub mod transfer;
pub mod validate;

mod component;
mod genesis;

pub use component::{params, Ibc};
pub use genesis::{GenesisHostHeader, IbcGenesis, IbcParams};
