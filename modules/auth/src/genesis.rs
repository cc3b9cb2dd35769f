use base64::Engine;
use estuary_sdk::store::{StateRead, StateWrite};
use estuary_sdk::{Address, TxError, TxResult};
use serde::{Deserialize, Serialize};

use crate::account::{Account, AuthParams};
use crate::keeper::{AuthKeeper, AuthReader};

/// The auth slice of genesis: parameters and every account.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthGenesis {
    pub params: AuthParams,
    pub accounts: Vec<GenesisAccount>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenesisAccount {
    pub address: Address,
    /// Base64 of the compressed secp256k1 key, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pub_key: Option<String>,
    #[serde(default)]
    pub account_number: u64,
    #[serde(default)]
    pub sequence: u64,
}

pub fn init(state: &mut dyn StateWrite, genesis: &AuthGenesis) -> TxResult {
    state.set_auth_params(&genesis.params)?;
    let mut next = 0u64;
    let mut seen_numbers = std::collections::BTreeSet::new();
    for g in &genesis.accounts {
        if state.account(&g.address)?.is_some() {
            return Err(TxError::InvalidRequest(format!(
                "duplicate genesis account {}",
                g.address
            )));
        }
        if !seen_numbers.insert(g.account_number) {
            return Err(TxError::InvalidRequest(format!(
                "duplicate account number {}",
                g.account_number
            )));
        }
        let pub_key = match &g.pub_key {
            None => None,
            Some(b64) => Some(
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|e| {
                        TxError::InvalidPubKey(format!("genesis account {}: {e}", g.address))
                    })?,
            ),
        };
        let account = Account {
            address: g.address,
            pub_key,
            account_number: g.account_number,
            sequence: g.sequence,
        };
        state.set_account(&account)?;
        next = next.max(g.account_number.saturating_add(1));
    }
    state.set_next_account_number(next)
}

pub fn export(state: &dyn StateRead) -> TxResult<AuthGenesis> {
    let mut accounts: Vec<GenesisAccount> = state
        .accounts()?
        .into_iter()
        .map(|a| GenesisAccount {
            address: a.address,
            pub_key: a
                .pub_key
                .map(|k| base64::engine::general_purpose::STANDARD.encode(k)),
            account_number: a.account_number,
            sequence: a.sequence,
        })
        .collect();
    accounts.sort_by_key(|a| a.account_number);
    Ok(AuthGenesis {
        params: state.auth_params()?,
        accounts,
    })
}
