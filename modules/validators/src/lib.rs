//! The validator-set module: the CometBFT validators and their voting powers.
//!
//! The set comes from genesis. An admin account named in genesis may change powers with
//! `MsgSetValidatorPower`; the changes reach CometBFT through `FinalizeBlock`'s validator updates.
//! (Staking and governance are not built; the admin path is the stand-in an operator can use.)

mod genesis;
mod keeper;
mod msgs;
mod query;
mod state_key;

pub use genesis::{GenesisValidator, ValidatorsGenesis};
pub use keeper::{Validator, ValidatorsReader};
pub use msgs::{MsgSetValidatorPower, MSG_SET_VALIDATOR_POWER};

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
        &[MSG_SET_VALIDATOR_POWER]
    }

    fn decode_msg(&self, msg: &Any) -> TxResult<Box<dyn estuary_sdk::Msg>> {
        msgs::decode(msg)
    }

    fn register_queries(&self, registry: &mut estuary_sdk::query::QueryRegistry) {
        query::register(registry)
    }
}
