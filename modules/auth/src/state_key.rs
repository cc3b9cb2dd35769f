use estuary_sdk::Address;

/// Accounts by raw address: `auth/` 0x01 || address (20 bytes), as the SDK keys them (prefix
/// 0x01). Binary because there is one per account: the hex form doubled the key in every table
/// the store keeps it in (the flat index and the key preimages).
pub const PREFIX_ACCOUNT: &[u8] = b"auth/\x01";

pub fn account(address: &Address) -> Vec<u8> {
    [PREFIX_ACCOUNT, &address.0[..]].concat()
}

/// The address of an account key, or `None` if it is not one.
pub fn parse_account(key: &[u8]) -> Option<Address> {
    Some(Address(key.strip_prefix(PREFIX_ACCOUNT)?.try_into().ok()?))
}

pub fn next_account_number() -> Vec<u8> {
    b"auth/next_account_number".to_vec()
}

pub fn params() -> Vec<u8> {
    b"auth/params".to_vec()
}
