//! The genesis document that CometBFT and estuaryd both read (`config/genesis.json`).
//!
//! CometBFT's own fields are kept as CometBFT writes them; `app_state` has one typed field per
//! module. The validator set lives in the `validators` module and reaches CometBFT through
//! `InitChain`, so CometBFT's `validators` list stays empty and there is one source of truth.
//! [`modules`] is the app manifest.

mod chain_id;
mod doc;
mod manifest;

pub use chain_id::{validate_chain_id, ChainIdError};
pub use doc::{AppState, GenesisDoc, GenesisError};
pub use manifest::{modules, upgrade_handlers};
