//! The validator-set module: the CometBFT validators and their voting powers.
//!
//! The set comes from genesis. The chain's authority changes powers with `MsgSetValidatorPower`;
//! the changes reach CometBFT through `FinalizeBlock`'s validator updates. The authority is the
//! governance module's account, and, until it hands its powers over (`MsgHandOverToGov`), an
//! admin named in genesis. Each validator may name an operator: the account that votes for it
//! in governance, weighted by its power. Proof of authority by design: no staking.

mod genesis;
mod keeper;
mod msgs;
mod query;
mod state_key;

pub use genesis::{GenesisValidator, ValidatorsGenesis};
pub use keeper::{ensure_authority, gov_authority, Validator, ValidatorsReader};
pub use msgs::{
    MsgHandOverToGov, MsgRotateOperator, MsgSetValidatorPower, MSG_HAND_OVER_TO_GOV,
    MSG_ROTATE_OPERATOR, MSG_SET_VALIDATOR_POWER,
};

use estuary_sdk::store::{StateRead, StateWrite};
use estuary_sdk::{Any, BlockInfo, Component, EndBlockOutput, TxResult};

#[derive(Default)]
pub struct Validators;

impl Component for Validators {
    type Genesis = ValidatorsGenesis;

    fn name(&self) -> &'static str {
        "validators"
    }

    fn init_genesis(&self, state: &mut dyn StateWrite, genesis: &ValidatorsGenesis) -> TxResult {
        genesis::init(state, genesis)
    }

    fn export_genesis(&self, state: &dyn StateRead) -> TxResult<ValidatorsGenesis> {
        genesis::export(state)
    }

    fn end_block(
        &self,
        state: &mut dyn StateWrite,
        _block: &BlockInfo,
    ) -> TxResult<EndBlockOutput> {
        Ok(EndBlockOutput {
            validator_updates: keeper::take_pending_updates(state)?,
            events: vec![],
        })
    }

    fn msg_type_urls(&self) -> &'static [&'static str] {
        &[
            MSG_SET_VALIDATOR_POWER,
            MSG_ROTATE_OPERATOR,
            MSG_HAND_OVER_TO_GOV,
        ]
    }

    fn decode_msg(&self, msg: &Any) -> TxResult<Box<dyn estuary_sdk::Msg>> {
        msgs::decode(msg)
    }

    fn register_queries(&self, registry: &mut estuary_sdk::query::QueryRegistry) {
        query::register(registry)
    }
}
