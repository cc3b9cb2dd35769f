//! The bank module: balances per account and denomination, total supply, and `MsgSend`.
//!
//! Other modules move, mint and burn tokens through [`BankKeeper`]; they never touch the keys.

mod events;
mod genesis;
mod keeper;
mod msgs;
mod query;
mod state_key;

pub use genesis::{BankGenesis, BankParams, GenesisBalance};
pub use keeper::{BankKeeper, BankReader};
pub use msgs::MSG_SEND;

use estuary_sdk::store::{StateRead, StateWrite};
use estuary_sdk::{Any, Component, TxResult};

/// The `bank` component.
#[derive(Default)]
pub struct Bank;

impl Component for Bank {
    type Genesis = BankGenesis;

    fn name(&self) -> &'static str {
        "bank"
    }

    fn init_genesis(&self, state: &mut dyn StateWrite, genesis: &BankGenesis) -> TxResult {
        genesis::init(state, genesis)
    }

    fn init_genesis_streaming(
        &self,
        state: &mut dyn StateWrite,
        genesis: &serde_json::value::RawValue,
    ) -> Option<TxResult> {
        Some(genesis::init_streaming(state, genesis.get()))
    }

    fn export_genesis(&self, state: &dyn StateRead) -> TxResult<BankGenesis> {
        genesis::export(state)
    }

    fn msg_type_urls(&self) -> &'static [&'static str] {
        &[MSG_SEND]
    }

    fn decode_msg(&self, msg: &Any) -> TxResult<Box<dyn estuary_sdk::Msg>> {
        msgs::decode(msg)
    }

    fn register_queries(&self, registry: &mut estuary_sdk::query::QueryRegistry) {
        query::register(registry)
    }
}

/// The store key (main substore) of `address`'s balance of `denom`: what a client proves to
/// read a balance without trusting the node (`query bank balances --verify`).
pub fn balance_store_key(address: &estuary_sdk::Address, denom: &estuary_sdk::Denom) -> Vec<u8> {
    state_key::balance(address, denom)
}
