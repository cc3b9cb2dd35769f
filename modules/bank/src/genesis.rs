use std::collections::BTreeMap;

use borsh::{BorshDeserialize, BorshSerialize};
use estuary_sdk::store::{StateRead, StateWrite};
use estuary_sdk::{Address, Amount, Coin, Denom, TxError, TxResult};
use serde::{Deserialize, Serialize};

use crate::keeper::{BankKeeper, BankReader};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize)]
#[serde(default)]
pub struct BankParams {
    pub default_send_enabled: bool,
}

impl Default for BankParams {
    fn default() -> Self {
        BankParams {
            default_send_enabled: true,
        }
    }
}

/// The bank slice of genesis. `supply`, when given, must equal the sum of the balances.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BankGenesis {
    pub params: BankParams,
    pub balances: Vec<GenesisBalance>,
    pub supply: Vec<Coin>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenesisBalance {
    pub address: Address,
    pub coins: Vec<Coin>,
}

pub fn init(state: &mut dyn StateWrite, genesis: &BankGenesis) -> TxResult {
    state.set_bank_params(&genesis.params)?;
    let mut totals: BTreeMap<Denom, Amount> = BTreeMap::new();
    for entry in &genesis.balances {
        for coin in &entry.coins {
            let total = totals.entry(coin.denom.clone()).or_default();
            *total = total.checked_add(coin.amount).ok_or_else(|| {
                TxError::InvalidCoins(format!("genesis supply of {} overflows", coin.denom))
            })?;
            // Minting checks overflow per account and keeps supply in step.
            state.mint(&entry.address, std::slice::from_ref(coin))?;
        }
    }
    if !genesis.supply.is_empty() {
        let declared: BTreeMap<Denom, Amount> = genesis
            .supply
            .iter()
            .map(|c| (c.denom.clone(), c.amount))
            .collect();
        if declared != totals {
            return Err(TxError::InvalidCoins(format!(
                "genesis supply {:?} does not equal the sum of balances {:?}",
                declared, totals
            )));
        }
    }
    Ok(())
}

pub fn export(state: &dyn StateRead) -> TxResult<BankGenesis> {
    let mut by_address: BTreeMap<Address, Vec<Coin>> = BTreeMap::new();
    for (address, coin) in state.all_balances()? {
        by_address.entry(address).or_default().push(coin);
    }
    Ok(BankGenesis {
        params: state.bank_params()?,
        balances: by_address
            .into_iter()
            .map(|(address, coins)| GenesisBalance { address, coins })
            .collect(),
        supply: state.total_supply()?,
    })
}
