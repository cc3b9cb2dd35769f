use borsh::{BorshDeserialize, BorshSerialize};
use estuary_sdk::store::{StateRead, StateReadExt, StateWrite, StateWriteExt};
use estuary_sdk::{Address, TxContext, TxError, TxResult, ValidatorUpdate};
use serde::Serialize;

use crate::state_key;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, BorshSerialize, BorshDeserialize)]
pub struct Validator {
    pub name: String,
    /// The ed25519 consensus key CometBFT signs with.
    #[serde(with = "hex_key")]
    pub pub_key: [u8; 32],
    pub power: u64,
}

/// CometBFT refuses total voting power above `MaxTotalVotingPower` (i64::MAX / 8).
pub const MAX_TOTAL_POWER: u64 = (i64::MAX / 8) as u64;

pub trait ValidatorsReader: StateRead {
    fn validator_set(&self) -> TxResult<Vec<Validator>> {
        let mut out = Vec::new();
        for (key, bytes) in self.prefix_raw(state_key::PREFIX_VALIDATOR.as_bytes())? {
            out.push(borsh::from_slice(&bytes).map_err(|e| {
                TxError::Internal(format!(
                    "corrupt validator {}: {e}",
                    String::from_utf8_lossy(&key)
                ))
            })?);
        }
        Ok(out)
    }

    fn validator(&self, pub_key: &[u8; 32]) -> TxResult<Option<Validator>> {
        Ok(self.get(&state_key::validator(pub_key))?)
    }

    fn validators_admin(&self) -> TxResult<Option<Address>> {
        Ok(self.get(&state_key::admin())?)
    }

    /// The account that votes in governance for the validator with this key, if it has one.
    fn operator_of(&self, pub_key: &[u8; 32]) -> TxResult<Option<Address>> {
        Ok(self.get(&state_key::operator(pub_key))?)
    }

    /// The validator `operator` votes for, if it operates one.
    fn validator_operated_by(&self, operator: &Address) -> TxResult<Option<Validator>> {
        let key: Option<[u8; 32]> = self.get(&state_key::operated_by(operator))?;
        match key {
            Some(key) => self.validator(&key),
            None => Ok(None),
        }
    }
}
impl<S: StateRead + ?Sized> ValidatorsReader for S {}

/// Sets a validator's power (0 removes it) and queues the update for CometBFT.
pub fn set_power(
    state: &mut dyn StateWrite,
    name: &str,
    pub_key: [u8; 32],
    power: u64,
) -> TxResult {
    if power == 0 && state.validator(&pub_key)?.is_none() {
        // CometBFT treats removing a validator it does not have as a fatal error in its own
        // update path: the update must never leave this module.
        return Err(TxError::InvalidRequest(format!(
            "no validator with key {} to remove",
            hex::encode(pub_key)
        )));
    }
    let mut set = state.validator_set()?;
    set.retain(|v| v.pub_key != pub_key);
    let remaining: u64 = set
        .iter()
        .try_fold(0u64, |acc, v| acc.checked_add(v.power))
        .unwrap_or(u64::MAX);
    let total = remaining.saturating_add(power);
    if total == 0 {
        return Err(TxError::InvalidRequest(
            "the validator set cannot become empty".into(),
        ));
    }
    if total > MAX_TOTAL_POWER {
        return Err(TxError::InvalidRequest(format!(
            "total voting power {total} exceeds {MAX_TOTAL_POWER}"
        )));
    }
    if power == 0 {
        state.delete(state_key::validator(&pub_key))?;
        // A removed validator has no say in governance; its operator may operate another.
        set_operator(state, pub_key, None)?;
    } else {
        let name = match state.validator(&pub_key)? {
            Some(existing) if name.is_empty() => existing.name,
            _ => name.to_string(),
        };
        state.put(
            state_key::validator(&pub_key),
            &Validator {
                name,
                pub_key,
                power,
            },
        )?;
    }
    let mut pending: Vec<(Vec<u8>, u64)> = state
        .get(&state_key::pending_updates())?
        .unwrap_or_default();
    pending.retain(|(k, _)| k.as_slice() != pub_key.as_slice());
    pending.push((pub_key.to_vec(), power));
    state.put(state_key::pending_updates(), &pending)?;
    Ok(())
}

/// Names (or with `None` clears) the account that votes for the validator `pub_key`. An account
/// operates one validator at most, so that one key is one vote weighted by one power.
pub fn set_operator(
    state: &mut dyn StateWrite,
    pub_key: [u8; 32],
    operator: Option<Address>,
) -> TxResult {
    if let Some(new) = &operator {
        let taken: Option<[u8; 32]> = state.get(&state_key::operated_by(new))?;
        if let Some(other) = taken.filter(|k| *k != pub_key) {
            return Err(TxError::InvalidRequest(format!(
                "{new} already operates validator {}",
                hex::encode(other)
            )));
        }
    }
    if let Some(old) = state.operator_of(&pub_key)? {
        state.delete(state_key::operated_by(&old))?;
    }
    match operator {
        Some(new) => {
            state.put(state_key::operator(&pub_key), &new)?;
            state.put(state_key::operated_by(&new), &pub_key)?;
        }
        None => state.delete(state_key::operator(&pub_key))?,
    }
    Ok(())
}

/// The governance module's account: the authority of every gated message once governance
/// holds it (the SDK's `authtypes.NewModuleAddress("gov")`, the same bytes on every chain).
pub fn gov_authority() -> Address {
    Address::module("gov")
}

/// Whether `signer`, who must have signed, is the chain's authority: the governance module
/// (which signs the messages of a passed proposal) or, until it hands its powers over, the
/// genesis admin. `what` names the power, for the refusal.
pub fn ensure_authority(ctx: &TxContext<'_>, signer: &Address, what: &str) -> TxResult {
    if !ctx.is_signer(signer) {
        return Err(TxError::Unauthorized(format!("{signer} did not sign")));
    }
    if *signer == gov_authority() {
        return Ok(());
    }
    let admin = ctx.state().validators_admin()?;
    if admin == Some(*signer) {
        return Ok(());
    }
    Err(TxError::Unauthorized(format!(
        "expected {}, got {signer}: only the chain's authority (governance{}) may {what}",
        gov_authority(),
        match admin {
            Some(admin) => format!(" or the admin {admin}"),
            None => String::new(),
        }
    )))
}

pub fn take_pending_updates(state: &mut dyn StateWrite) -> TxResult<Vec<ValidatorUpdate>> {
    let pending: Vec<(Vec<u8>, u64)> = state
        .get(&state_key::pending_updates())?
        .unwrap_or_default();
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    state.delete(state_key::pending_updates())?;
    pending
        .into_iter()
        .map(|(key, power)| {
            let ed25519_pubkey: [u8; 32] = key
                .try_into()
                .map_err(|_| TxError::Internal("pending update key is not 32 bytes".into()))?;
            Ok(ValidatorUpdate {
                ed25519_pubkey,
                power,
            })
        })
        .collect()
}

mod hex_key {
    use serde::Serializer;
    pub fn serialize<S: Serializer>(k: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(k))
    }
}
