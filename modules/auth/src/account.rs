use borsh::{BorshDeserialize, BorshSerialize};
use estuary_sdk::Address;
use serde::{Deserialize, Serialize};

/// An account: who it is, the key that signs for it, and its replay counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub address: Address,
    /// A compressed secp256k1 public key (33 bytes), known once the account has signed.
    pub pub_key: Option<Vec<u8>>,
    pub account_number: u64,
    pub sequence: u64,
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
