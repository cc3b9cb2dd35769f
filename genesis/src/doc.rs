use std::path::Path;

use estuary_auth::{AuthGenesis, GenesisAccount};
use estuary_bank::{BankGenesis, GenesisBalance};
use estuary_gov::GovGenesis;
use estuary_ibc::rate_limit::RateLimitGenesis;
use estuary_ibc::transfer::TransferGenesis;
use estuary_ibc::IbcGenesis;
use estuary_sdk::store::MemState;
use estuary_sdk::{Address, Coin, TxError};
use estuary_upgrade::UpgradeGenesis;
use estuary_validators::{GenesisValidator, ValidatorsGenesis};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::chain_id::{validate_chain_id, ChainIdError};

#[derive(Debug, Error)]
pub enum GenesisError {
    #[error("reading {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("parsing {path}: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error(transparent)]
    ChainId(#[from] ChainIdError),
    #[error("initial_height {0:?} is not a positive integer")]
    InitialHeight(String),
    #[error("genesis_time {0:?} is not an RFC 3339 time")]
    GenesisTime(String),
    #[error("module {module}: {source}")]
    Module {
        module: &'static str,
        source: TxError,
    },
    #[error("{0}")]
    Invalid(String),
}

/// CometBFT's genesis document with Estuary's typed `app_state`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GenesisDoc {
    pub genesis_time: String,
    pub chain_id: String,
    #[serde(default = "one")]
    pub initial_height: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consensus_params: Option<serde_json::Value>,
    #[serde(default)]
    pub validators: Vec<serde_json::Value>,
    #[serde(default)]
    pub app_hash: String,
    pub app_state: AppState,
}

fn one() -> String {
    "1".into()
}

/// One typed slice per module, named as the module names itself.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppState {
    pub auth: AuthGenesis,
    pub bank: BankGenesis,
    pub gov: GovGenesis,
    pub validators: ValidatorsGenesis,
    pub ibc: IbcGenesis,
    pub transfer: TransferGenesis,
    pub ratelimit: RateLimitGenesis,
    pub upgrade: UpgradeGenesis,
}

impl GenesisDoc {
    pub fn new(chain_id: &str, genesis_time: String) -> Result<GenesisDoc, GenesisError> {
        validate_chain_id(chain_id)?;
        Ok(GenesisDoc {
            genesis_time,
            chain_id: chain_id.into(),
            initial_height: one(),
            consensus_params: None,
            validators: Vec::new(),
            app_hash: String::new(),
            app_state: AppState::default(),
        })
    }

    pub fn load(path: &Path) -> Result<GenesisDoc, GenesisError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| GenesisError::Io {
            path: p.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| GenesisError::Parse { path: p, source })
    }

    pub fn save(&self, path: &Path) -> Result<(), GenesisError> {
        let p = path.display().to_string();
        let text = serde_json::to_string_pretty(self).map_err(|source| GenesisError::Parse {
            path: p.clone(),
            source,
        })?;
        std::fs::write(path, text + "\n").map_err(|source| GenesisError::Io { path: p, source })
    }

    pub fn initial_height(&self) -> Result<u64, GenesisError> {
        match self.initial_height.parse::<u64>() {
            Ok(h) if h > 0 => Ok(h),
            _ => Err(GenesisError::InitialHeight(self.initial_height.clone())),
        }
    }

    /// Adds an account with an opening balance (or adds coins to an existing one).
    pub fn add_account(&mut self, address: Address, coins: Vec<Coin>) {
        let auth = &mut self.app_state.auth;
        if !auth.accounts.iter().any(|a| a.address == address) {
            let number = auth
                .accounts
                .iter()
                .map(|a| a.account_number + 1)
                .max()
                .unwrap_or(0);
            auth.accounts.push(GenesisAccount {
                address,
                pub_key: None,
                account_number: number,
                sequence: 0,
            });
        }
        let bank = &mut self.app_state.bank;
        match bank.balances.iter_mut().find(|b| b.address == address) {
            Some(entry) => entry.coins.extend(coins),
            None => bank.balances.push(GenesisBalance { address, coins }),
        }
        // The supply is recomputed from balances at InitChain; a stale declared one would fail.
        bank.supply.clear();
    }

    pub fn add_validator(
        &mut self,
        name: &str,
        ed25519_pubkey_b64: &str,
        power: u64,
        operator: Option<Address>,
    ) -> Result<(), GenesisError> {
        let v = &mut self.app_state.validators;
        if v.validators
            .iter()
            .any(|x| x.pub_key == ed25519_pubkey_b64 || x.name == name)
        {
            return Err(GenesisError::Invalid(format!(
                "validator {name} is already in genesis"
            )));
        }
        v.validators.push(GenesisValidator {
            name: name.into(),
            pub_key: ed25519_pubkey_b64.into(),
            power,
            operator,
        });
        Ok(())
    }

    /// Every check InitChain would make, run on an in-memory state.
    pub fn validate(&self) -> Result<(), GenesisError> {
        validate_chain_id(&self.chain_id)?;
        self.initial_height()?;
        if !looks_like_rfc3339(&self.genesis_time) {
            return Err(GenesisError::GenesisTime(self.genesis_time.clone()));
        }
        if self.app_state.validators.validators.is_empty() {
            return Err(GenesisError::Invalid(
                "genesis has no validators (use `estuaryd genesis add-validator`)".into(),
            ));
        }
        // Every module of the manifest initialises from its slice into memory: a genesis that
        // validates here is one InitChain accepts.
        let app_state = serde_json::to_vec(&self.app_state)
            .map_err(|e| GenesisError::Invalid(format!("app_state: {e}")))?;
        crate::manifest::modules()
            .init_genesis_naming(&mut MemState::default(), &app_state)
            .map_err(|(module, source)| GenesisError::Module { module, source })?;
        Ok(())
    }
}

fn looks_like_rfc3339(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && (t.ends_with('Z') || t.contains('+'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> GenesisDoc {
        let mut d = GenesisDoc::new("estuary-1", "2026-01-01T00:00:00Z".into()).unwrap();
        d.add_validator(
            "v0",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            10,
            None,
        )
        .unwrap();
        d
    }

    #[test]
    fn validates_and_round_trips() {
        let mut d = doc();
        d.add_account(Address([1; 20]), vec![Coin::new(100, "stake").unwrap()]);
        d.validate().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("genesis.json");
        d.save(&path).unwrap();
        let back = GenesisDoc::load(&path).unwrap();
        assert_eq!(back.app_state, d.app_state);
    }

    #[test]
    fn rejects_bad_documents() {
        let mut d = doc();
        d.app_state.bank.supply = vec![Coin::new(5, "stake").unwrap()];
        d.add_account(Address([1; 20]), vec![Coin::new(100, "stake").unwrap()]);
        d.app_state.bank.supply = vec![Coin::new(5, "stake").unwrap()];
        assert!(matches!(
            d.validate(),
            Err(GenesisError::Module { module: "bank", .. })
        ));

        let mut d = doc();
        d.app_state.validators.validators.clear();
        assert!(d.validate().is_err());

        let mut d = doc();
        d.genesis_time = "yesterday".into();
        assert!(matches!(d.validate(), Err(GenesisError::GenesisTime(_))));

        let mut d = doc();
        d.add_account(
            Address([1; 20]),
            vec![Coin::new(u128::MAX, "stake").unwrap()],
        );
        d.add_account(Address([2; 20]), vec![Coin::new(1, "stake").unwrap()]);
        assert!(d.validate().is_err(), "supply overflow must be caught");
    }
}
