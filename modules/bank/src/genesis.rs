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
        mint_balance(state, &mut totals, entry)?;
    }
    check_supply(&genesis.supply, &totals)
}

/// Mints one genesis balance and adds it to the running totals.
fn mint_balance(
    state: &mut dyn StateWrite,
    totals: &mut BTreeMap<Denom, Amount>,
    entry: &GenesisBalance,
) -> TxResult {
    for coin in &entry.coins {
        let total = totals.entry(coin.denom.clone()).or_default();
        *total = total.checked_add(coin.amount).ok_or_else(|| {
            TxError::InvalidCoins(format!("genesis supply of {} overflows", coin.denom))
        })?;
        // Minting checks overflow per account and keeps supply in step.
        state.mint(&entry.address, std::slice::from_ref(coin))?;
    }
    Ok(())
}

/// A declared supply must equal the sum of the balances.
fn check_supply(supply: &[Coin], totals: &BTreeMap<Denom, Amount>) -> TxResult {
    if supply.is_empty() {
        return Ok(());
    }
    let declared: BTreeMap<Denom, Amount> =
        supply.iter().map(|c| (c.denom.clone(), c.amount)).collect();
    if declared != *totals {
        return Err(TxError::InvalidCoins(format!(
            "genesis supply {:?} does not equal the sum of balances {:?}",
            declared, totals
        )));
    }
    Ok(())
}

/// [`init`] from the genesis JSON as it is parsed: each balance is minted as soon as it is
/// read, so a genesis of a million balances is never held as a parsed list (~280 bytes a
/// balance, 0.3 GB at a million). The same state as parsing first and calling [`init`]; a
/// refused genesis is refused either way (the first error found may differ when a document
/// has several).
pub fn init_streaming(state: &mut dyn StateWrite, raw: &str) -> TxResult {
    let mut failure = None;
    let mut de = serde_json::Deserializer::from_str(raw);
    let parsed = serde::de::DeserializeSeed::deserialize(
        StreamingGenesis {
            state,
            failure: &mut failure,
        },
        &mut de,
    )
    .and_then(|()| de.end());
    match (failure, parsed) {
        (Some(e), _) => Err(e),
        (None, Err(e)) => Err(TxError::InvalidRequest(format!("bank genesis: {e}"))),
        (None, Ok(())) => Ok(()),
    }
}

/// The bank genesis object, initialised field by field; a state error is kept in `failure`
/// (serde's errors are strings) and parsing stops.
struct StreamingGenesis<'a> {
    state: &'a mut dyn StateWrite,
    failure: &'a mut Option<TxError>,
}

impl<'de> serde::de::DeserializeSeed<'de> for StreamingGenesis<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_struct("BankGenesis", &["params", "balances", "supply"], self)
    }
}

impl<'de> serde::de::Visitor<'de> for StreamingGenesis<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the bank genesis object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        use serde::de::Error;
        let mut params: Option<BankParams> = None;
        let mut supply: Option<Vec<Coin>> = None;
        let mut balances_seen = false;
        let mut totals: BTreeMap<Denom, Amount> = BTreeMap::new();
        while let Some(field) = map.next_key::<String>()? {
            match field.as_str() {
                "params" if params.is_some() => return Err(A::Error::duplicate_field("params")),
                "params" => params = Some(map.next_value()?),
                "supply" if supply.is_some() => return Err(A::Error::duplicate_field("supply")),
                "supply" => supply = Some(map.next_value()?),
                "balances" if balances_seen => return Err(A::Error::duplicate_field("balances")),
                "balances" => {
                    balances_seen = true;
                    map.next_value_seed(StreamingBalances {
                        state: &mut *self.state,
                        failure: &mut *self.failure,
                        totals: &mut totals,
                    })?;
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        let done = finish(self.state, params, supply, &totals);
        keep_failure(self.failure, done)
    }

    /// The same struct as a list of its fields in order (serde accepts both forms).
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let params: Option<BankParams> = seq.next_element()?;
        let mut totals: BTreeMap<Denom, Amount> = BTreeMap::new();
        let balances = seq.next_element_seed(StreamingBalances {
            state: &mut *self.state,
            failure: &mut *self.failure,
            totals: &mut totals,
        })?;
        let supply: Option<Vec<Coin>> = match balances {
            Some(()) => seq.next_element()?,
            None => None,
        };
        let done = finish(self.state, params, supply, &totals);
        keep_failure(self.failure, done)
    }
}

/// What comes after the balances: the params (default when absent) and the supply check.
fn finish(
    state: &mut dyn StateWrite,
    params: Option<BankParams>,
    supply: Option<Vec<Coin>>,
    totals: &BTreeMap<Denom, Amount>,
) -> TxResult {
    state.set_bank_params(&params.unwrap_or_default())?;
    check_supply(supply.as_deref().unwrap_or_default(), totals)
}

/// The `balances` list, each entry minted as it is read.
struct StreamingBalances<'a> {
    state: &'a mut dyn StateWrite,
    failure: &'a mut Option<TxError>,
    totals: &'a mut BTreeMap<Denom, Amount>,
}

impl<'de> serde::de::DeserializeSeed<'de> for StreamingBalances<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for StreamingBalances<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of genesis balances")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(entry) = seq.next_element::<GenesisBalance>()? {
            let minted = mint_balance(&mut *self.state, &mut *self.totals, &entry);
            keep_failure(&mut *self.failure, minted)?;
        }
        Ok(())
    }
}

/// Passes `Ok` through; keeps a state error for the caller and stops the parse.
fn keep_failure<E: serde::de::Error>(slot: &mut Option<TxError>, done: TxResult) -> Result<(), E> {
    done.map_err(|e| {
        let message = e.to_string();
        *slot = Some(e);
        E::custom(message)
    })
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
