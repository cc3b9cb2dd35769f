//! Checks a counterparty's Tendermint client of this chain, as ibc-go's `ValidateSelfClient` does.

use ibc_client_tendermint::types::ClientState;
use ibc_core::host::types::error::HostError;

use crate::context::HostInfo;

/// The upgrade path a client of this chain must name (ibc-go's default).
pub const UPGRADE_PATH: [&str; 2] = ["upgrade", "upgradedIBCState"];

pub fn validate(cs: &ClientState, host: &HostInfo) -> Result<(), HostError> {
    let bad = |m: String| {
        Err(HostError::invalid_state(format!(
            "client of this chain: {m}"
        )))
    };
    if cs.is_frozen() {
        return bad("it is frozen".into());
    }
    if cs.chain_id.as_str() != host.chain_id {
        return bad(format!("chain id {} is not {}", cs.chain_id, host.chain_id));
    }
    if cs.latest_height.revision_number() != host.revision {
        return bad(format!(
            "revision {} is not {}",
            cs.latest_height.revision_number(),
            host.revision
        ));
    }
    if cs.latest_height.revision_height() >= host.height {
        return bad(format!(
            "latest height {} is not below this chain's height {}",
            cs.latest_height, host.height
        ));
    }
    let trust = cs.trust_level;
    if trust.numerator() * 3 < trust.denominator() || trust.numerator() > trust.denominator() {
        return bad(format!("trust level {trust:?} is outside [1/3, 1]"));
    }
    let unbonding = std::time::Duration::from_secs(host.params.unbonding_period_secs);
    if cs.unbonding_period != unbonding {
        return bad(format!(
            "unbonding period {:?} is not this chain's {:?}",
            cs.unbonding_period, unbonding
        ));
    }
    if cs.trusting_period >= cs.unbonding_period {
        return bad("trusting period must be shorter than the unbonding period".into());
    }
    let ours: Vec<ics23::ProofSpec> = estuary_sdk::store::proof_specs();
    let theirs: Vec<ics23::ProofSpec> = cs.proof_specs.clone().into();
    if theirs != ours {
        return bad("proof specs are not this chain's (JMT at both levels)".into());
    }
    if cs.upgrade_path != UPGRADE_PATH.map(String::from) {
        return bad(format!(
            "upgrade path {:?} is not {:?}",
            cs.upgrade_path, UPGRADE_PATH
        ));
    }
    Ok(())
}
