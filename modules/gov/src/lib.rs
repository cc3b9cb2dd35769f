//! Governance by the validators (`cosmos.gov.v1` on the wire): anyone submits a proposal that
//! carries the chain's authority-gated messages, with a deposit; once the deposits reach the
//! minimum, the operators of the validators vote, each vote weighted by its validator's power
//! at the end of the voting period; the tally (quorum, threshold, veto) decides, and a passed
//! proposal's messages run in EndBlock as the gov account — the chain's authority — all or
//! none. Proof of authority stays: the validator set changes only by such a proposal (or the
//! genesis admin, until it hands its powers to governance).

mod dec;
mod errors;
mod genesis;
mod keeper;
mod lifecycle;
mod msgs;
mod params;
mod query;
mod state_key;
mod tally;

pub use dec::Dec;
pub use genesis::GovGenesis;
pub use keeper::GovReader;
pub use lifecycle::tally_of;
pub use msgs::{
    MSG_CANCEL_PROPOSAL, MSG_DEPOSIT, MSG_DEPOSIT_V1BETA1, MSG_SUBMIT_PROPOSAL, MSG_UPDATE_PARAMS,
    MSG_VOTE, MSG_VOTE_V1BETA1, MSG_VOTE_WEIGHTED, MSG_VOTE_WEIGHTED_V1BETA1,
};
pub use params::{GovParams, Params};
pub use tally::{tally, CountedVote, Counts, Outcome};

use estuary_sdk::store::{StateRead, StateWrite};
use estuary_sdk::{Any, BlockInfo, Component, EndBlockOutput, ModuleManager, TxResult};

/// The gov module. `router` holds the modules whose messages a proposal may carry (every
/// module but gov itself, whose only proposable message, `MsgUpdateParams`, it decodes).
pub struct Gov {
    router: ModuleManager,
}

impl Gov {
    pub fn new(router: ModuleManager) -> Gov {
        Gov { router }
    }
}

impl Component for Gov {
    type Genesis = GovGenesis;

    fn name(&self) -> &'static str {
        "gov"
    }

    fn init_genesis(&self, state: &mut dyn StateWrite, genesis: &GovGenesis) -> TxResult {
        genesis::init(state, genesis)
    }

    fn export_genesis(&self, state: &dyn StateRead) -> TxResult<GovGenesis> {
        genesis::export(state)
    }

    fn end_block(&self, state: &mut dyn StateWrite, block: &BlockInfo) -> TxResult<EndBlockOutput> {
        Ok(EndBlockOutput {
            validator_updates: vec![],
            events: lifecycle::end_block(&self.router, state, block)?,
        })
    }

    fn msg_type_urls(&self) -> &'static [&'static str] {
        msgs::ALL
    }

    fn decode_msg(&self, msg: &Any) -> TxResult<Box<dyn estuary_sdk::Msg>> {
        msgs::decode(msg, &self.router)
    }

    fn register_queries(&self, registry: &mut estuary_sdk::query::QueryRegistry) {
        query::register(registry)
    }
}
