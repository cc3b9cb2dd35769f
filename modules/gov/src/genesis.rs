//! Gov's slice of genesis: its parameters (the SDK's JSON), the next proposal id, and — when a
//! chain's state is exported mid-flight — its proposals, votes and deposits, each as the base64
//! of its `cosmos.gov.v1` protobuf (nothing to re-type by hand; a round trip is exact).

use base64::Engine;
use cosmrs::proto::cosmos::gov::v1 as pb;
use estuary_sdk::store::{StateRead, StateWrite, StateWriteExt};
use estuary_sdk::{Address, TxResult};
use prost::Message;
use serde::{Deserialize, Serialize};

use crate::errors::{gov_error, INVALID_GENESIS};
use crate::keeper::{GovKeeper, GovReader, STATUS_DEPOSIT, STATUS_VOTING};
use crate::params::GovParams;
use crate::state_key;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GovGenesis {
    pub starting_proposal_id: u64,
    pub params: GovParams,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub proposals: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub votes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deposits: Vec<String>,
}

impl Default for GovGenesis {
    fn default() -> Self {
        GovGenesis {
            starting_proposal_id: 1,
            params: GovParams::default(),
            proposals: vec![],
            votes: vec![],
            deposits: vec![],
        }
    }
}

fn decode<M: Message + Default>(b64: &str, what: &str) -> TxResult<M> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| gov_error(INVALID_GENESIS, format!("gov genesis {what}: {e}")))?;
    M::decode(bytes.as_slice())
        .map_err(|e| gov_error(INVALID_GENESIS, format!("gov genesis {what}: {e}")))
}

pub fn init(state: &mut dyn StateWrite, g: &GovGenesis) -> TxResult {
    if g.starting_proposal_id == 0 {
        return Err(gov_error(
            INVALID_GENESIS,
            "starting_proposal_id must be positive",
        ));
    }
    state.set_gov_params(&g.params.to_proto()?)?;
    state.set_next_proposal_id(g.starting_proposal_id)?;
    for b64 in &g.proposals {
        let p: pb::Proposal = decode(b64, "proposal")?;
        if p.id >= g.starting_proposal_id {
            return Err(gov_error(
                INVALID_GENESIS,
                format!("proposal {} is not below starting_proposal_id", p.id),
            ));
        }
        match p.status {
            STATUS_DEPOSIT => state.put(state_key::deposit_queue(p.id), &1u8)?,
            STATUS_VOTING => state.put(state_key::voting_queue(p.id), &1u8)?,
            _ => {}
        }
        state.set_proposal(&p)?;
    }
    for b64 in &g.votes {
        let v: pb::Vote = decode(b64, "vote")?;
        let voter = Address::parse(&v.voter)?;
        state.existing_proposal(v.proposal_id)?;
        state.set_vote(&v, &voter)?;
    }
    for b64 in &g.deposits {
        let d: pb::Deposit = decode(b64, "deposit")?;
        let depositor = Address::parse(&d.depositor)?;
        state.existing_proposal(d.proposal_id)?;
        state.put_proto(state_key::deposit(d.proposal_id, &depositor), &d)?;
    }
    Ok(())
}

pub fn export(state: &dyn StateRead) -> TxResult<GovGenesis> {
    let mut g = GovGenesis {
        starting_proposal_id: state.next_proposal_id()?,
        params: GovParams::from_proto(&state.gov_params_proto()?),
        ..Default::default()
    };
    for (_, bytes) in state.prefix_raw(state_key::PREFIX_PROPOSAL)? {
        g.proposals
            .push(base64::engine::general_purpose::STANDARD.encode(bytes));
    }
    for (_, bytes) in state.prefix_raw(state_key::PREFIX_VOTE)? {
        g.votes
            .push(base64::engine::general_purpose::STANDARD.encode(bytes));
    }
    for (_, bytes) in state.prefix_raw(state_key::PREFIX_DEPOSIT)? {
        g.deposits
            .push(base64::engine::general_purpose::STANDARD.encode(bytes));
    }
    Ok(g)
}
