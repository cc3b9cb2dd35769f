use estuary_sdk::store::StateRead;
use estuary_sdk::{TxError, TxResult};

use crate::keeper::ValidatorsReader;

/// The validator set as JSON (Estuary's own query; no SDK equivalent without staking).
pub const VALIDATORS: &str = "/estuary.validators.v1.Query/Validators";

pub fn handle(state: &dyn StateRead, path: &str, _data: &[u8]) -> Option<TxResult<Vec<u8>>> {
    (path == VALIDATORS).then(|| {
        let set = state.validator_set()?;
        serde_json::to_vec(&set).map_err(|e| TxError::Internal(e.to_string()))
    })
}
