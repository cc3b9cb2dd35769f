//! ICS-20 fungible token transfer (`ics20-1`), on the bank module's keeper.
//!
//! The app logic is ours rather than ibc-rs's so that packet data, acknowledgements and events are
//! ibc-go's byte for byte (sorted packet JSON without an empty memo, ibc-go's deterministic error
//! acknowledgement). ibc-rs still runs the channel and packet core around it.

mod component;
mod error;
mod forward;
mod module;
mod send;
mod state;

pub use component::{Transfer, TransferGenesis};
pub use error::TransferError;
pub use module::TransferModule;
pub use send::{deliver_transfer, transfer_amino_json, MSG_TRANSFER};
pub use state::{denom_trace_store_key, DenomTrace, TransferReader};

/// `port/channel/` — the prefix a denom carries after crossing that channel.
pub fn hop_prefix(port: &str, channel: &str) -> String {
    format!("{port}/{channel}/")
}
