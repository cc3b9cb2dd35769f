//! Signature verification, the one piece of cryptography every transaction pays for.

use k256::ecdsa::signature::Verifier;

/// Verifies a secp256k1 ECDSA signature (64-byte compact `r || s`) over SHA-256 of `msg`, with
/// libsecp256k1: ~2× faster than k256 on this machine (measured: `estuary-bench sigverify`).
/// It accepts exactly what the k256 verifier this replaced accepted (a proptest in
/// `app/tests/fuzz.rs` compares them): SEC1 keys, compressed or uncompressed but never the
/// "hybrid" encodings libsecp256k1 would also parse, and only low-S signatures (libsecp256k1's
/// rule, and k256's).
pub fn verify_secp256k1(pub_key: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    static CONTEXT: std::sync::OnceLock<secp256k1::Secp256k1<secp256k1::VerifyOnly>> =
        std::sync::OnceLock::new();
    if !matches!(pub_key.first(), Some(0x02..=0x04)) {
        return false;
    }
    let Ok(key) = secp256k1::PublicKey::from_slice(pub_key) else {
        return false;
    };
    let Ok(sig) = secp256k1::ecdsa::Signature::from_compact(sig) else {
        return false;
    };
    let digest: [u8; 32] = Sha256::digest(msg).into();
    let Ok(msg) = secp256k1::Message::from_slice(&digest) else {
        return false;
    };
    CONTEXT
        .get_or_init(secp256k1::Secp256k1::verification_only)
        .verify_ecdsa(&msg, &sig, &key)
        .is_ok()
}

/// The k256 verifier `verify_secp256k1` replaced, kept to check they agree.
pub fn verify_secp256k1_k256(pub_key: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    let Ok(key) = k256::ecdsa::VerifyingKey::from_sec1_bytes(pub_key) else {
        return false;
    };
    let Ok(sig) = k256::ecdsa::Signature::from_slice(sig) else {
        return false;
    };
    key.verify(msg, &sig).is_ok()
}
