use estuary_sdk::{Address, Denom};

/// Balances: `bank/` 0x02 || len(address) || address || denom, the SDK's balance key (prefix
/// 0x02, length-prefixed address) under the module's namespace. Binary because there is one per
/// account and denomination (see `auth`'s account key).
pub const PREFIX_BALANCE: &[u8] = b"bank/\x02";
pub const PREFIX_SUPPLY: &str = "bank/supply/";

/// All balances of one account share this prefix, so they can be listed together.
pub fn balances_of(address: &Address) -> Vec<u8> {
    let mut key = Vec::with_capacity(PREFIX_BALANCE.len().saturating_add(37));
    key.extend_from_slice(PREFIX_BALANCE);
    key.push(address.0.len() as u8);
    key.extend_from_slice(&address.0);
    key
}

pub fn balance(address: &Address, denom: &Denom) -> Vec<u8> {
    let mut key = balances_of(address);
    key.extend_from_slice(denom.as_str().as_bytes());
    key
}

/// The account and denomination of a balance key, or `None` if it is not one.
pub fn parse_balance(key: &[u8]) -> Option<(Address, &[u8])> {
    let rest = key.strip_prefix(PREFIX_BALANCE)?;
    let (len, rest) = rest.split_first()?;
    let (address, denom) = rest.split_at_checked(usize::from(*len))?;
    Some((Address(address.try_into().ok()?), denom))
}

pub fn supply(denom: &Denom) -> Vec<u8> {
    format!("{PREFIX_SUPPLY}{denom}").into_bytes()
}

pub fn params() -> Vec<u8> {
    b"bank/params".to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balance_keys_parse_back_and_other_keys_do_not() {
        let address = Address([7; 20]);
        let denom = Denom::new("stake".to_string()).expect("denom");
        let key = balance(&address, &denom);
        assert_eq!(parse_balance(&key), Some((address, &b"stake"[..])));
        assert!(key.starts_with(&balances_of(&address)));
        assert_eq!(parse_balance(&supply(&denom)), None);
        assert_eq!(
            parse_balance(&[PREFIX_BALANCE, &[21][..], &[0; 20]].concat()),
            None
        );
        assert_eq!(parse_balance(&[PREFIX_BALANCE, &[19][..]].concat()), None);
    }
}
