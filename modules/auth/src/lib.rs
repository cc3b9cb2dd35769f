//! The auth module: accounts with their public key, account number and sequence.
//!
//! Other modules use accounts through [`AuthKeeper`] / [`AuthReader`], never through the keys.

mod account;
mod genesis;
mod keeper;
mod query;
mod state_key;

pub use account::{Account, AccountKey, AuthParams};
pub use genesis::{AuthGenesis, GenesisAccount};
pub use keeper::{AuthKeeper, AuthReader};

use estuary_sdk::store::{StateRead, StateWrite};
use estuary_sdk::{Component, TxResult};

/// The `auth` component.
#[derive(Default)]
pub struct Auth;

impl Component for Auth {
    type Genesis = AuthGenesis;

    fn name(&self) -> &'static str {
        "auth"
    }

    fn init_genesis(&self, state: &mut dyn StateWrite, genesis: &AuthGenesis) -> TxResult {
        genesis::init(state, genesis)
    }

    fn export_genesis(&self, state: &dyn StateRead) -> TxResult<AuthGenesis> {
        genesis::export(state)
    }

    fn register_queries(&self, registry: &mut estuary_sdk::query::QueryRegistry) {
        query::register(registry)
    }
}

/// The store key (main substore) of `address`'s account: what a client proves to read an
/// account without trusting the node (`query auth account --verify`); decode the proven value
/// with [`decode_stored_account`].
pub fn account_store_key(address: &estuary_sdk::Address) -> Vec<u8> {
    state_key::account(address)
}

/// The account stored under [`account_store_key`]`(address)`, from the stored bytes.
pub fn decode_stored_account(
    address: &estuary_sdk::Address,
    bytes: &[u8],
) -> Result<Account, std::io::Error> {
    let stored: account::StoredAccount = borsh::from_slice(bytes)?;
    Ok(stored.at(*address))
}
