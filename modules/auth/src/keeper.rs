use estuary_sdk::store::{StateRead, StateReadExt, StateWrite, StateWriteExt};
use estuary_sdk::{Address, TxError, TxResult};

use crate::account::{Account, AuthParams, StoredAccount};
use crate::state_key;

/// Reads of accounts, for any module.
pub trait AuthReader: StateRead {
    fn account(&self, address: &Address) -> TxResult<Option<Account>> {
        let stored: Option<StoredAccount> = self.get(&state_key::account(address))?;
        Ok(stored.map(|s| s.at(*address)))
    }

    fn auth_params(&self) -> TxResult<AuthParams> {
        Ok(self.get(&state_key::params())?.unwrap_or_default())
    }

    /// One page of accounts, in address order (the SDK's `Accounts` query).
    fn account_page(
        &self,
        req: Option<&estuary_sdk::page::PageRequest>,
    ) -> TxResult<(Vec<Account>, estuary_sdk::page::PageResponse)> {
        let prefix = state_key::PREFIX_ACCOUNT;
        estuary_sdk::page::paginate(self, prefix, req, |rest, bytes| {
            let address = Address::from_slice(rest)?;
            let stored: StoredAccount = borsh::from_slice(&bytes).map_err(|e| {
                TxError::Internal(format!("corrupt account {}: {e}", hex::encode(rest)))
            })?;
            Ok(Some(stored.at(address)))
        })
    }

    fn accounts(&self) -> TxResult<Vec<Account>> {
        let mut out = Vec::new();
        for (key, bytes) in self.prefix_raw(state_key::PREFIX_ACCOUNT)? {
            let corrupt = |reason: String| {
                TxError::Internal(format!("corrupt account {}: {reason}", hex::encode(&key)))
            };
            let address = state_key::parse_account(&key)
                .ok_or_else(|| corrupt("not an account key".into()))?;
            let stored: StoredAccount =
                borsh::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
            out.push(stored.at(address));
        }
        Ok(out)
    }
}
impl<S: StateRead + ?Sized> AuthReader for S {}

/// Writes to accounts, for the ante handler and for modules that credit new addresses.
pub trait AuthKeeper: StateWrite {
    fn set_account(&mut self, account: &Account) -> TxResult {
        Ok(self.put(
            state_key::account(&account.address),
            &StoredAccount::of(account),
        )?)
    }

    /// The account at `address`, created with the next account number if it does not exist.
    fn ensure_account(&mut self, address: &Address) -> TxResult<Account> {
        if let Some(account) = self.account(address)? {
            return Ok(account);
        }
        let number: u64 = self.get(&state_key::next_account_number())?.unwrap_or(0);
        let next = number
            .checked_add(1)
            .ok_or_else(|| TxError::Internal("account numbers exhausted".into()))?;
        self.put(state_key::next_account_number(), &next)?;
        let account = Account {
            address: *address,
            pub_key: None,
            account_number: number,
            sequence: 0,
        };
        self.set_account(&account)?;
        Ok(account)
    }

    fn set_auth_params(&mut self, params: &AuthParams) -> TxResult {
        Ok(self.put(state_key::params(), params)?)
    }

    fn set_next_account_number(&mut self, next: u64) -> TxResult {
        Ok(self.put(state_key::next_account_number(), &next)?)
    }

    fn next_account_number(&self) -> TxResult<u64> {
        Ok(self.get(&state_key::next_account_number())?.unwrap_or(0))
    }
}
impl<S: StateWrite + ?Sized> AuthKeeper for S {}
