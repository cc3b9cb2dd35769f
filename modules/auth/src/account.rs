use borsh::{BorshDeserialize, BorshSerialize};
use estuary_sdk::multisig::{LegacyAminoPubKey, MULTISIG_PUBKEY, SECP256K1_PUBKEY};
use estuary_sdk::{Address, Any, TxError, TxResult};
use prost::Message;
use serde::{Deserialize, Serialize};

/// An account: who it is, the key that signs for it, and its replay counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub address: Address,
    /// The key that signs for it, known once the account has signed, as [`AccountKey::stored`]
    /// writes it: a compressed secp256k1 key (33 bytes) or a multisig.
    pub pub_key: Option<Vec<u8>>,
    pub account_number: u64,
    pub sequence: u64,
}

/// The key of an account: a single secp256k1 key or the SDK's threshold multisig of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountKey {
    Secp256k1(Vec<u8>),
    Multisig(LegacyAminoPubKey),
}

impl AccountKey {
    /// The key from a public key `Any` of a transaction.
    pub fn from_any(any: &Any) -> TxResult<AccountKey> {
        match any.type_url.as_str() {
            SECP256K1_PUBKEY => Ok(AccountKey::Secp256k1(estuary_sdk::multisig::secp256k1_key(
                &any.value,
            )?)),
            MULTISIG_PUBKEY => Ok(AccountKey::Multisig(LegacyAminoPubKey::from_proto(
                &any.value,
            )?)),
            other => Err(TxError::InvalidPubKey(format!(
                "unsupported key type {other}"
            ))),
        }
    }

    pub fn to_any(&self) -> Any {
        match self {
            AccountKey::Secp256k1(key) => Any {
                type_url: SECP256K1_PUBKEY.into(),
                value: cosmrs::proto::cosmos::crypto::secp256k1::PubKey { key: key.clone() }
                    .encode_to_vec(),
            },
            AccountKey::Multisig(m) => m.to_any(),
        }
    }

    /// How the account stores it: a secp256k1 key as its 33 bytes (which start with 2 or 3,
    /// as every account stored before multisigs existed), a multisig as its `Any`'s encoding
    /// (which starts with 0x0a, the type URL's tag), so either reads back unambiguously.
    pub fn stored(&self) -> Vec<u8> {
        match self {
            AccountKey::Secp256k1(key) => key.clone(),
            AccountKey::Multisig(m) => {
                let any = m.to_any();
                cosmrs::proto::Any {
                    type_url: any.type_url,
                    value: any.value,
                }
                .encode_to_vec()
            }
        }
    }

    pub fn from_stored(bytes: &[u8]) -> TxResult<AccountKey> {
        match bytes.first() {
            Some(2 | 3) if bytes.len() == 33 => Ok(AccountKey::Secp256k1(bytes.to_vec())),
            Some(0x0a) => {
                let any: cosmrs::proto::Any =
                    estuary_sdk::proto::decode_strict(bytes, "stored public key")?;
                AccountKey::from_any(&Any {
                    type_url: any.type_url,
                    value: any.value,
                })
            }
            _ => Err(TxError::Internal(
                "a stored public key of no known form".into(),
            )),
        }
    }

    /// The account address the key signs for.
    pub fn address(&self) -> TxResult<Address> {
        match self {
            AccountKey::Secp256k1(key) => estuary_sdk::crypto::secp256k1_address(key),
            AccountKey::Multisig(m) => Ok(m.address()),
        }
    }

    /// How many signatures it stands for, against `tx_sig_limit` (a multisig: its keys).
    pub fn sub_keys(&self) -> usize {
        match self {
            AccountKey::Secp256k1(_) => 1,
            AccountKey::Multisig(m) => m.keys.len(),
        }
    }
}

/// An account as stored: its address is its key, so it is not repeated in the value (20 bytes
/// of every account in the store).
#[derive(BorshSerialize, BorshDeserialize)]
pub(crate) struct StoredAccount {
    pub pub_key: Option<Vec<u8>>,
    pub account_number: u64,
    pub sequence: u64,
}

impl StoredAccount {
    pub(crate) fn of(account: &Account) -> Self {
        StoredAccount {
            pub_key: account.pub_key.clone(),
            account_number: account.account_number,
            sequence: account.sequence,
        }
    }

    pub(crate) fn at(self, address: Address) -> Account {
        Account {
            address,
            pub_key: self.pub_key,
            account_number: self.account_number,
            sequence: self.sequence,
        }
    }
}

/// Limits and prices the ante handler applies; the Cosmos SDK's auth defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize)]
#[serde(default)]
pub struct AuthParams {
    pub max_memo_characters: u64,
    pub tx_sig_limit: u64,
    pub tx_size_cost_per_byte: u64,
    pub sig_verify_cost_secp256k1: u64,
    /// Transactions larger than this are rejected before anything else.
    pub max_tx_bytes: u64,
    /// The most gas one transaction may ask for.
    pub max_gas_per_tx: u64,
}

impl Default for AuthParams {
    fn default() -> Self {
        AuthParams {
            max_memo_characters: 256,
            tx_sig_limit: 7,
            tx_size_cost_per_byte: 10,
            sig_verify_cost_secp256k1: 1000,
            max_tx_bytes: 256 * 1024,
            max_gas_per_tx: 100_000_000,
        }
    }
}
