pub const PREFIX_VALIDATOR: &str = "validators/set/";

pub fn validator(pub_key: &[u8; 32]) -> Vec<u8> {
    format!("{PREFIX_VALIDATOR}{}", hex::encode(pub_key)).into_bytes()
}

pub fn pending_updates() -> Vec<u8> {
    b"validators/pending_updates".to_vec()
}

pub fn admin() -> Vec<u8> {
    b"validators/admin".to_vec()
}

/// The account that votes in governance for the validator with this consensus key.
pub fn operator(pub_key: &[u8; 32]) -> Vec<u8> {
    format!("validators/operator/{}", hex::encode(pub_key)).into_bytes()
}

/// The reverse of [`operator`]: the consensus key an account operates (one at most).
pub fn operated_by(operator: &estuary_sdk::Address) -> Vec<u8> {
    format!("validators/operated_by/{}", operator.hex()).into_bytes()
}
