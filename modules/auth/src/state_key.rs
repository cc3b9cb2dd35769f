use estuary_sdk::Address;

pub const PREFIX_ACCOUNT: &str = "auth/account/";

pub fn account(address: &Address) -> Vec<u8> {
    format!("{PREFIX_ACCOUNT}{}", address.hex()).into_bytes()
}

pub fn next_account_number() -> Vec<u8> {
    b"auth/next_account_number".to_vec()
}

pub fn params() -> Vec<u8> {
    b"auth/params".to_vec()
}
