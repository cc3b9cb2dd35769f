use estuary_sdk::query::{QueryRegistry, VALIDATORS};
use estuary_sdk::Address;
use serde::Serialize;

use crate::keeper::{Validator, ValidatorsReader};

/// A validator as the query shows it: its key, power and the operator that votes for it.
#[derive(Serialize)]
struct ValidatorView {
    #[serde(flatten)]
    validator: Validator,
    #[serde(skip_serializing_if = "Option::is_none")]
    operator: Option<Address>,
}

/// Registers the validator set query (Estuary's own, JSON: no SDK equivalent without staking).
pub fn register(registry: &mut QueryRegistry) {
    registry.register_json(VALIDATORS, |ctx| {
        ctx.state
            .validator_set()?
            .into_iter()
            .map(|v| {
                Ok(ValidatorView {
                    operator: ctx.state.operator_of(&v.pub_key)?,
                    validator: v,
                })
            })
            .collect::<estuary_sdk::TxResult<Vec<_>>>()
    });
}
