//! The module framework every Estuary module is written against.
//!
//! A module implements [`Component`]: it owns a typed genesis slice, handles messages by protobuf
//! type URL, answers queries at gRPC method paths, and may act at the start and end of a block.
//! Modules reach each other only through keeper traits (extension traits on state) that each
//! module exports; the app assembles them with a [`ModuleManager`].

pub mod address;
pub mod amino;
mod coin;
mod component;
mod context;
pub mod crypto;
mod error;
mod event;
mod msg;
pub mod multisig;
pub mod page;
pub mod proto;
pub mod query;

pub use address::{Address, ACCOUNT_PREFIX};
pub use coin::{parse_coins, Amount, Coin, Denom, GasPrice};
pub use component::{BlockInfo, Component, EndBlockOutput, Module, ModuleManager, ValidatorUpdate};
pub use context::TxContext;
pub use error::{clean_log, TxError, TxResult};
pub use event::{Event, EventAttribute};
pub use msg::{DecodedMsg, Msg, Signers};

pub use estuary_store as store;
pub use prost_types_any::Any;

mod prost_types_any {
    pub use cosmrs::Any;
}
