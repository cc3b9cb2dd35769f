//! The Cosmos SDK's threshold multisig: a `LegacyAminoPubKey` (k of n secp256k1 keys) is an
//! account's key like any other; its signature is a `MultiSignature` holding one signature per
//! signer that took part, which a `CompactBitArray` in the signer's mode info names. Its address
//! is the SDK's: the first 20 bytes of sha256 of the key's amino encoding.

use cosmrs::proto::cosmos::crypto::multisig::v1beta1::{CompactBitArray, MultiSignature};
use cosmrs::proto::cosmos::crypto::multisig::LegacyAminoPubKey as ProtoMultisig;
use cosmrs::proto::cosmos::crypto::secp256k1::PubKey as ProtoSecp256k1;
use prost::Message;
use sha2::Digest;

use crate::proto::decode_strict;
use crate::{Address, Any, TxError, TxResult};

pub const MULTISIG_PUBKEY: &str = "/cosmos.crypto.multisig.LegacyAminoPubKey";
pub const SECP256K1_PUBKEY: &str = "/cosmos.crypto.secp256k1.PubKey";

/// Amino prefixes of the registered concrete types (`tendermint/PubKeyMultisigThreshold`,
/// `tendermint/PubKeySecp256k1`).
const AMINO_MULTISIG: [u8; 4] = [0x22, 0xC1, 0xF7, 0xE2];
const AMINO_SECP256K1: [u8; 4] = [0xEB, 0x5A, 0xE9, 0x87];

/// The most keys a multisig may have: the SDK counts every sub-key against `tx_sig_limit`
/// anyway; this bounds the work a crafted key can ask for before that check.
pub const MAX_KEYS: usize = 64;

/// The compressed secp256k1 key (33 bytes) a `/cosmos.crypto.secp256k1.PubKey` Any's value holds.
pub fn secp256k1_key(value: &[u8]) -> TxResult<Vec<u8>> {
    let k: ProtoSecp256k1 = decode_strict(value, "secp256k1 PubKey")?;
    if k.key.len() != 33 {
        return Err(TxError::InvalidPubKey(format!(
            "secp256k1 keys are 33 bytes, got {}",
            k.key.len()
        )));
    }
    Ok(k.key)
}

/// A threshold multisig key of secp256k1 keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyAminoPubKey {
    pub threshold: u32,
    /// Compressed secp256k1 keys, 33 bytes each, in the order the key lists them.
    pub keys: Vec<Vec<u8>>,
}

impl LegacyAminoPubKey {
    /// A multisig from its parts: 1 ≤ threshold ≤ keys, every key a compressed secp256k1 key.
    pub fn new(threshold: u32, keys: Vec<Vec<u8>>) -> TxResult<Self> {
        if keys.is_empty() || keys.len() > MAX_KEYS {
            return Err(TxError::InvalidPubKey(format!(
                "a multisig has 1 to {MAX_KEYS} keys, not {}",
                keys.len()
            )));
        }
        if threshold == 0 || threshold as usize > keys.len() {
            return Err(TxError::InvalidPubKey(format!(
                "threshold {threshold} of {} keys",
                keys.len()
            )));
        }
        if let Some(k) = keys.iter().find(|k| k.len() != 33) {
            return Err(TxError::InvalidPubKey(format!(
                "multisig sub-keys are 33-byte secp256k1 keys, got {} bytes",
                k.len()
            )));
        }
        Ok(LegacyAminoPubKey { threshold, keys })
    }

    /// The key of a `/cosmos.crypto.multisig.LegacyAminoPubKey` Any's value.
    pub fn from_proto(bytes: &[u8]) -> TxResult<Self> {
        let p: ProtoMultisig = decode_strict(bytes, "LegacyAminoPubKey")?;
        if p.public_keys.len() > MAX_KEYS {
            return Err(TxError::InvalidPubKey(format!(
                "a multisig has at most {MAX_KEYS} keys"
            )));
        }
        let keys = p
            .public_keys
            .iter()
            .map(|any| {
                if any.type_url != SECP256K1_PUBKEY {
                    return Err(TxError::InvalidPubKey(format!(
                        "unsupported multisig sub-key type {}",
                        any.type_url
                    )));
                }
                secp256k1_key(&any.value)
            })
            .collect::<TxResult<Vec<_>>>()?;
        LegacyAminoPubKey::new(p.threshold, keys)
    }

    pub fn to_proto(&self) -> Vec<u8> {
        ProtoMultisig {
            threshold: self.threshold,
            public_keys: self
                .keys
                .iter()
                .map(|k| cosmrs::Any {
                    type_url: SECP256K1_PUBKEY.into(),
                    value: ProtoSecp256k1 { key: k.clone() }.encode_to_vec(),
                })
                .collect(),
        }
        .encode_to_vec()
    }

    pub fn to_any(&self) -> Any {
        Any {
            type_url: MULTISIG_PUBKEY.into(),
            value: self.to_proto(),
        }
    }

    /// The amino binary encoding the SDK hashes for the address: the type prefix, then field 1
    /// (threshold, varint) and one field 2 per key (its own prefix, length and bytes).
    pub fn amino_bytes(&self) -> Vec<u8> {
        let mut out = AMINO_MULTISIG.to_vec();
        out.push(0x08);
        prost::encoding::encode_varint(u64::from(self.threshold), &mut out);
        for key in &self.keys {
            let mut inner = AMINO_SECP256K1.to_vec();
            prost::encoding::encode_varint(key.len() as u64, &mut inner);
            inner.extend_from_slice(key);
            out.push(0x12);
            prost::encoding::encode_varint(inner.len() as u64, &mut out);
            out.extend_from_slice(&inner);
        }
        out
    }

    pub fn address(&self) -> Address {
        let hash: [u8; 32] = sha2::Sha256::digest(self.amino_bytes()).into();
        let mut bytes = [0u8; 20];
        bytes.iter_mut().zip(hash).for_each(|(b, h)| *b = h);
        Address(bytes)
    }
}

/// Which of a multisig's keys signed, as the SDK's `CompactBitArray` packs it (bit i is the
/// most significant bit first of byte i / 8).
pub fn bits_of(array: &CompactBitArray) -> TxResult<Vec<bool>> {
    let extra = array.extra_bits_stored;
    if extra > 7 {
        return Err(TxError::InvalidRequest(format!(
            "a bit array stores 0 to 7 extra bits, not {extra}"
        )));
    }
    let full = array.elems.len().saturating_mul(8);
    let size = if extra == 0 {
        full
    } else {
        full.checked_sub(8)
            .and_then(|n| n.checked_add(extra as usize))
            .ok_or_else(|| TxError::InvalidRequest("an empty bit array with extra bits".into()))?
    };
    Ok((0..size)
        .map(|i| {
            array
                .elems
                .get(i / 8)
                .is_some_and(|b| b & (0x80u8 >> (i % 8)) != 0)
        })
        .collect())
}

/// The `CompactBitArray` of `bits`.
pub fn bit_array(bits: &[bool]) -> CompactBitArray {
    let mut elems = vec![0u8; bits.len().div_ceil(8)];
    for (i, set) in bits.iter().enumerate() {
        if *set {
            if let Some(b) = elems.get_mut(i / 8) {
                *b |= 0x80 >> (i % 8);
            }
        }
    }
    CompactBitArray {
        extra_bits_stored: (bits.len() % 8) as u32,
        elems,
    }
}

/// The per-signer signatures of a multisig signature.
pub fn signatures_of(bytes: &[u8]) -> TxResult<Vec<Vec<u8>>> {
    let m: MultiSignature = decode_strict(bytes, "MultiSignature")?;
    Ok(m.signatures)
}

pub fn multi_signature(signatures: Vec<Vec<u8>>) -> Vec<u8> {
    MultiSignature { signatures }.encode_to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_arrays_round_trip_and_refuse_nonsense() {
        for bits in [
            vec![true],
            vec![true, false, true],
            vec![false; 8],
            vec![true, false, false, false, false, false, false, false, true],
        ] {
            assert_eq!(bits_of(&bit_array(&bits)).unwrap(), bits);
        }
        let a = bit_array(&[false, true, true]);
        assert_eq!(
            (a.extra_bits_stored, a.elems.clone()),
            (3, vec![0b0110_0000])
        );
        assert!(bits_of(&CompactBitArray {
            extra_bits_stored: 9,
            elems: vec![0]
        })
        .is_err());
        assert!(bits_of(&CompactBitArray {
            extra_bits_stored: 3,
            elems: vec![]
        })
        .is_err());
    }

    #[test]
    fn keys_are_checked_and_round_trip() {
        let keys = vec![vec![2u8; 33], vec![3u8; 33], vec![2u8; 33]];
        let m = LegacyAminoPubKey::new(2, keys.clone()).unwrap();
        assert_eq!(LegacyAminoPubKey::from_proto(&m.to_proto()).unwrap(), m);
        assert!(LegacyAminoPubKey::new(0, keys.clone()).is_err());
        assert!(LegacyAminoPubKey::new(4, keys).is_err());
        assert!(LegacyAminoPubKey::new(1, vec![vec![2u8; 32]]).is_err());
        assert!(LegacyAminoPubKey::from_proto(&[0xff]).is_err());
        // Amino: prefix, threshold, then per key 0x12, 0x26 (38 = 4 + 1 + 33), prefix, 0x21.
        let bytes = m.amino_bytes();
        assert_eq!(&bytes[..7], &[0x22, 0xC1, 0xF7, 0xE2, 0x08, 0x02, 0x12]);
        assert_eq!(&bytes[7..13], &[0x26, 0xEB, 0x5A, 0xE9, 0x87, 0x21]);
        assert_eq!(bytes.len(), 6 + 3 * 40);
    }
}
