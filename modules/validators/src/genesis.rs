use base64::Engine;
use estuary_sdk::store::{StateRead, StateWrite, StateWriteExt};
use estuary_sdk::{Address, TxError, TxResult};
use serde::{Deserialize, Serialize};

use crate::keeper::{set_operator, set_power, ValidatorsReader, MAX_TOTAL_POWER};
use crate::state_key;

/// The validators slice of genesis.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ValidatorsGenesis {
    /// The account allowed to change voting powers; none means the set is fixed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin: Option<Address>,
    pub validators: Vec<GenesisValidator>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenesisValidator {
    pub name: String,
    /// Base64 of the ed25519 consensus public key (as in CometBFT's `priv_validator_key.json`).
    pub pub_key: String,
    pub power: u64,
    /// The account that votes for this validator in governance (none: it does not vote).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<Address>,
}

impl GenesisValidator {
    pub fn key_bytes(&self) -> TxResult<[u8; 32]> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.pub_key)
            .map_err(|e| TxError::InvalidPubKey(format!("validator {}: {e}", self.name)))?;
        bytes.try_into().map_err(|_| {
            TxError::InvalidPubKey(format!(
                "validator {}: ed25519 keys are 32 bytes",
                self.name
            ))
        })
    }
}

pub fn init(state: &mut dyn StateWrite, genesis: &ValidatorsGenesis) -> TxResult {
    if let Some(admin) = &genesis.admin {
        state.put(state_key::admin(), admin)?;
    }
    let mut total = 0u64;
    for v in &genesis.validators {
        let key = v.key_bytes()?;
        if v.power == 0 {
            return Err(TxError::InvalidRequest(format!(
                "genesis validator {} has no power",
                v.name
            )));
        }
        if state.validator(&key)?.is_some() {
            return Err(TxError::InvalidRequest(format!(
                "duplicate genesis validator {}",
                v.name
            )));
        }
        total = total.saturating_add(v.power);
        if total > MAX_TOTAL_POWER {
            return Err(TxError::InvalidRequest(
                "total genesis voting power is too large".into(),
            ));
        }
        set_power(state, &v.name, key, v.power)?;
        if v.operator.is_some() {
            set_operator(state, key, v.operator)?;
        }
    }
    // Genesis validators reach CometBFT through InitChain, not as end-block updates.
    state.delete(state_key::pending_updates())?;
    Ok(())
}

pub fn export(state: &dyn StateRead) -> TxResult<ValidatorsGenesis> {
    let validators = state
        .validator_set()?
        .into_iter()
        .map(|v| {
            Ok(GenesisValidator {
                operator: state.operator_of(&v.pub_key)?,
                name: v.name,
                pub_key: base64::engine::general_purpose::STANDARD.encode(v.pub_key),
                power: v.power,
            })
        })
        .collect::<TxResult<_>>()?;
    Ok(ValidatorsGenesis {
        admin: state.validators_admin()?,
        validators,
    })
}
