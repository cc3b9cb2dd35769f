//! IBC for Estuary, on ibc-rs.
//!
//! - [`ics20`]: the ICS-20 wire formats (voucher denoms, escrow addresses, packet and
//!   acknowledgement commitments, acknowledgement JSON) checked against ibc-go's known values.
//!   Always built: clients (the relayer, the interop tests) link only this part.
//! - With the default `host` feature, the chain side: the `ibc` component (IBC core through
//!   ibc-rs contexts over the store, the ICS-07 client, the host's own header history) and the
//!   `transfer` component (ICS-20, apart from core as in ibc-go).

#[cfg(feature = "host")]
pub mod client_upgrade;
#[cfg(feature = "host")]
pub mod context;
#[cfg(feature = "host")]
pub mod handler;
#[cfg(feature = "host")]
pub mod host;
pub mod ics20;
#[cfg(feature = "host")]
pub mod query;
#[cfg(feature = "host")]
pub mod rate_limit;
#[cfg(feature = "host")]
pub mod redundant;
#[cfg(feature = "host")]
pub mod router;
#[cfg(feature = "host")]
pub mod self_client;
#[cfg(feature = "host")]
pub mod transfer;
#[cfg(feature = "host")]
pub mod validate;

#[cfg(feature = "host")]
mod component;
#[cfg(feature = "host")]
mod genesis;

#[cfg(feature = "host")]
pub use component::{params, Ibc};
#[cfg(feature = "host")]
pub use genesis::{GenesisHostHeader, IbcGenesis, IbcParams};
