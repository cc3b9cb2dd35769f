use estuary_sdk::query::{QueryRegistry, VALIDATORS};

use crate::keeper::ValidatorsReader;

/// Registers the validator set query (Estuary's own, JSON: no SDK equivalent without staking).
pub fn register(registry: &mut QueryRegistry) {
    registry.register_json(VALIDATORS, |ctx| ctx.state.validator_set());
}
