use estuary_auth::AuthKeeper;
use estuary_sdk::page::{paginate, PageRequest, PageResponse};
use estuary_sdk::store::{StateRead, StateReadExt, StateWrite, StateWriteExt};
use estuary_sdk::{Address, Amount, Coin, Denom, Event, TxError, TxResult};

use crate::events;
use crate::genesis::BankParams;
use crate::state_key;

/// Reads of balances and supply, for any module.
pub trait BankReader: StateRead {
    fn balance(&self, address: &Address, denom: &Denom) -> TxResult<Amount> {
        Ok(self
            .get::<Amount>(&state_key::balance(address, denom))?
            .unwrap_or(0))
    }

    /// Every non-zero balance of `address`, by denomination.
    fn balances(&self, address: &Address) -> TxResult<Vec<Coin>> {
        let prefix = state_key::balances_of(address);
        let mut out = Vec::new();
        for (key, bytes) in self.prefix_raw(&prefix)? {
            let denom =
                String::from_utf8_lossy(key.get(prefix.len()..).unwrap_or_default()).into_owned();
            out.push(Coin {
                denom: Denom::new(denom)?,
                amount: decode_amount(&key, &bytes)?,
            });
        }
        Ok(out)
    }

    /// One page of `address`'s balances, by denomination.
    fn balance_page(
        &self,
        address: &Address,
        req: Option<&PageRequest>,
    ) -> TxResult<(Vec<Coin>, PageResponse)> {
        let prefix = state_key::balances_of(address);
        paginate(self, &prefix, req, |denom, bytes| {
            coin_entry(&prefix, denom, &bytes)
        })
    }

    /// One page of the supply, by denomination.
    fn supply_page(&self, req: Option<&PageRequest>) -> TxResult<(Vec<Coin>, PageResponse)> {
        let prefix = state_key::PREFIX_SUPPLY.as_bytes();
        paginate(self, prefix, req, |denom, bytes| {
            coin_entry(prefix, denom, &bytes)
        })
    }

    fn supply(&self, denom: &Denom) -> TxResult<Amount> {
        Ok(self.get::<Amount>(&state_key::supply(denom))?.unwrap_or(0))
    }

    fn total_supply(&self) -> TxResult<Vec<Coin>> {
        let prefix = state_key::PREFIX_SUPPLY.as_bytes();
        let mut out = Vec::new();
        for (key, bytes) in self.prefix_raw(prefix)? {
            let denom =
                String::from_utf8_lossy(key.get(prefix.len()..).unwrap_or_default()).into_owned();
            out.push(Coin {
                denom: Denom::new(denom)?,
                amount: decode_amount(&key, &bytes)?,
            });
        }
        Ok(out)
    }

    /// Every account's balances, for genesis export.
    fn all_balances(&self) -> TxResult<Vec<(Address, Coin)>> {
        let mut out = Vec::new();
        for (key, bytes) in self.prefix_raw(state_key::PREFIX_BALANCE)? {
            let (address, denom) = state_key::parse_balance(&key).ok_or_else(|| {
                TxError::Internal(format!("malformed balance key {}", hex::encode(&key)))
            })?;
            out.push((
                address,
                Coin {
                    denom: Denom::new(String::from_utf8_lossy(denom).into_owned())?,
                    amount: decode_amount(&key, &bytes)?,
                },
            ));
        }
        Ok(out)
    }

    fn bank_params(&self) -> TxResult<BankParams> {
        Ok(self.get(&state_key::params())?.unwrap_or_default())
    }
}
impl<S: StateRead + ?Sized> BankReader for S {}

/// Moves, mints and burns tokens. Every operation checks its arithmetic and fails whole.
pub trait BankKeeper: StateWrite {
    /// Moves `coins` from `from` to `to`, creating `to`'s account if needed.
    fn send(&mut self, from: &Address, to: &Address, coins: &[Coin]) -> TxResult<Vec<Event>> {
        for coin in coins {
            sub_balance(self, from, coin)?;
            add_balance(self, to, coin)?;
        }
        self.ensure_account(to)?;
        Ok(vec![
            events::coin_spent(from, coins),
            events::coin_received(to, coins),
            events::transfer(from, to, coins),
        ])
    }

    /// Creates `coins` in `to`'s account and adds them to the supply.
    fn mint(&mut self, to: &Address, coins: &[Coin]) -> TxResult<Vec<Event>> {
        for coin in coins {
            let supply = self.supply(&coin.denom)?;
            let supply = supply.checked_add(coin.amount).ok_or_else(|| {
                TxError::InvalidCoins(format!("supply of {} would overflow", coin.denom))
            })?;
            self.put(state_key::supply(&coin.denom), &supply)?;
            add_balance(self, to, coin)?;
        }
        self.ensure_account(to)?;
        Ok(vec![
            events::coin_received(to, coins),
            events::coinbase(to, coins),
        ])
    }

    /// Destroys `coins` held by `from` and removes them from the supply.
    fn burn(&mut self, from: &Address, coins: &[Coin]) -> TxResult<Vec<Event>> {
        for coin in coins {
            sub_balance(self, from, coin)?;
            let supply = self.supply(&coin.denom)?;
            let supply = supply.checked_sub(coin.amount).ok_or_else(|| {
                TxError::Internal(format!("supply of {} below a balance", coin.denom))
            })?;
            set_amount(self, state_key::supply(&coin.denom), supply)?;
        }
        Ok(vec![
            events::coin_spent(from, coins),
            events::burn(from, coins),
        ])
    }

    fn set_bank_params(&mut self, params: &BankParams) -> TxResult {
        Ok(self.put(state_key::params(), params)?)
    }
}
impl<S: StateWrite + ?Sized> BankKeeper for S {}

// The balance primitives are private to bank: they change a balance without the matching
// supply or counter-balance, so other modules move tokens only through send, mint and burn.
fn sub_balance<S: StateWrite + ?Sized>(state: &mut S, address: &Address, coin: &Coin) -> TxResult {
    let have = state.balance(address, &coin.denom)?;
    let left = have.checked_sub(coin.amount).ok_or_else(|| {
        TxError::InsufficientFunds(format!(
            "spendable balance {have}{} is smaller than {coin}",
            coin.denom
        ))
    })?;
    set_amount(state, state_key::balance(address, &coin.denom), left)
}

fn add_balance<S: StateWrite + ?Sized>(state: &mut S, address: &Address, coin: &Coin) -> TxResult {
    let have = state.balance(address, &coin.denom)?;
    let sum = have.checked_add(coin.amount).ok_or_else(|| {
        TxError::InvalidCoins(format!("balance of {} would overflow", coin.denom))
    })?;
    set_amount(state, state_key::balance(address, &coin.denom), sum)
}

/// Stores an amount; zero removes the key, so state holds no empty balances.
fn set_amount<S: StateWrite + ?Sized>(state: &mut S, key: Vec<u8>, amount: Amount) -> TxResult {
    if amount == 0 {
        Ok(state.delete(key)?)
    } else {
        Ok(state.put(key, &amount)?)
    }
}

fn decode_amount(key: &[u8], bytes: &[u8]) -> TxResult<Amount> {
    borsh::from_slice(bytes)
        .map_err(|e| TxError::Internal(format!("corrupt amount under {}: {e}", hex::encode(key))))
}

/// A `(denom below prefix, borsh amount)` entry as a coin.
fn coin_entry(prefix: &[u8], denom: &[u8], bytes: &[u8]) -> TxResult<Option<Coin>> {
    let key: Vec<u8> = prefix.iter().chain(denom).copied().collect();
    Ok(Some(Coin {
        denom: Denom::new(String::from_utf8_lossy(denom).into_owned())?,
        amount: decode_amount(&key, bytes)?,
    }))
}
