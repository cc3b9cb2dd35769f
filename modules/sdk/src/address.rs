use std::fmt;
use std::str::FromStr;

use borsh::{BorshDeserialize, BorshSerialize};
use cosmrs::AccountId;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::TxError;

/// The bech32 prefix of account addresses on Estuary.
pub const ACCOUNT_PREFIX: &str = "estuary";

/// The bech32 prefix of validator consensus addresses (`<prefix>valcons`, as the SDK derives it).
pub const CONSENSUS_PREFIX: &str = "estuaryvalcons";

/// A consensus address (CometBFT's 20-byte validator address) in bech32, as the SDK's
/// tendermint service shows proposers and validators; empty if the bytes cannot be encoded.
pub fn consensus_bech32(bytes: &[u8]) -> String {
    AccountId::new(CONSENSUS_PREFIX, bytes)
        .map(|a| a.to_string())
        .unwrap_or_default()
}

/// A 20-byte account address; shown as bech32 with [`ACCOUNT_PREFIX`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, BorshSerialize, BorshDeserialize)]
pub struct Address(pub [u8; 20]);

impl Address {
    /// The address of a module account: `sha256(name)[..20]`, as the Cosmos SDK derives it.
    pub fn module(name: &str) -> Address {
        use sha2::Digest;
        let hash: [u8; 32] = sha2::Sha256::digest(name.as_bytes()).into();
        let mut bytes = [0u8; 20];
        bytes.iter_mut().zip(hash).for_each(|(b, h)| *b = h);
        Address(bytes)
    }

    pub fn from_slice(bytes: &[u8]) -> Result<Address, TxError> {
        let arr: [u8; 20] = bytes.try_into().map_err(|_| {
            TxError::InvalidAddress(format!("address must be 20 bytes, got {}", bytes.len()))
        })?;
        Ok(Address(arr))
    }

    /// Parses a bech32 address, which must carry this chain's prefix.
    pub fn parse(s: &str) -> Result<Address, TxError> {
        let id =
            AccountId::from_str(s).map_err(|e| TxError::InvalidAddress(format!("{s:?}: {e}")))?;
        if id.prefix() != ACCOUNT_PREFIX {
            return Err(TxError::InvalidAddress(format!(
                "{s:?}: prefix {:?}, expected {ACCOUNT_PREFIX:?}",
                id.prefix()
            )));
        }
        Address::from_slice(&id.to_bytes())
    }

    pub fn to_bech32(&self) -> String {
        // The prefix is a valid constant, so encoding cannot fail.
        AccountId::new(ACCOUNT_PREFIX, &self.0)
            .map(|a| a.to_string())
            .unwrap_or_default()
    }

    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_bech32())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({})", self.to_bech32())
    }
}

impl FromStr for Address {
    type Err = TxError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Address::parse(s)
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_bech32())
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as Deserialize>::deserialize(d)?;
        Address::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bech32_round_trip_and_prefix_check() {
        let a = Address([7u8; 20]);
        let s = a.to_bech32();
        assert!(s.starts_with("estuary1"));
        assert_eq!(Address::parse(&s).unwrap(), a);
        let cosmos = AccountId::new("cosmos", &[7u8; 20]).unwrap().to_string();
        assert!(matches!(
            Address::parse(&cosmos),
            Err(TxError::InvalidAddress(_))
        ));
        assert!(Address::parse("estuary1notbech32").is_err());
    }
}
