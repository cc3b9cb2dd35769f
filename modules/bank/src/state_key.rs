use estuary_sdk::{Address, Denom};

pub const PREFIX_BALANCE: &str = "bank/balance/";
pub const PREFIX_SUPPLY: &str = "bank/supply/";

/// All balances of one account share this prefix, so they can be listed together.
pub fn balances_of(address: &Address) -> Vec<u8> {
    format!("{PREFIX_BALANCE}{}/", address.hex()).into_bytes()
}

pub fn balance(address: &Address, denom: &Denom) -> Vec<u8> {
    let mut key = balances_of(address);
    key.extend_from_slice(denom.as_str().as_bytes());
    key
}

pub fn supply(denom: &Denom) -> Vec<u8> {
    format!("{PREFIX_SUPPLY}{denom}").into_bytes()
}

pub fn params() -> Vec<u8> {
    b"bank/params".to_vec()
}
