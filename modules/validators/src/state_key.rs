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
