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
    if !trust_level_in_range(trust.numerator(), trust.denominator()) {
        return bad(format!(
            "trust level {}/{} is outside [1/3, 1]",
            trust.numerator(),
            trust.denominator()
        ));
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

/// Whether `numerator / denominator` lies in [1/3, 1], as ibc-go's `ValidateTrustLevel` demands,
/// computed without overflow (`2^63 * 3` in u64 halted the chain: it panicked in debug builds and
/// wrapped in release builds). A numerator whose triple does not fit in 64 bits is refused as
/// well: tendermint-rs computes `3 * numerator` in u64 when it builds the light-client options,
/// and ibc-go's own check wraps on it and refuses it. `1/2` is `1/2`, not `2^63 / (2^64 - 1)`.
pub fn trust_level_in_range(numerator: u64, denominator: u64) -> bool {
    let Some(triple) = numerator.checked_mul(3) else {
        return false;
    };
    denominator != 0 && numerator <= denominator && triple >= denominator
}

#[cfg(test)]
mod tests {
    use super::trust_level_in_range;

    #[test]
    fn trust_levels_at_the_edges() {
        assert!(trust_level_in_range(1, 3));
        assert!(trust_level_in_range(2, 3));
        assert!(trust_level_in_range(1, 1));
        assert!(!trust_level_in_range(1, 4));
        assert!(!trust_level_in_range(0, 0));
        assert!(!trust_level_in_range(1, 0));
        assert!(!trust_level_in_range(4, 3));
        // the values of the transaction that halted the chain (about 1/2, but 3 × 2^63 does not
        // fit in the u64 the light-client libraries compute in)
        assert!(!trust_level_in_range(1 << 63, u64::MAX));
        assert!(!trust_level_in_range(u64::MAX, u64::MAX));
        assert!(trust_level_in_range(u64::MAX / 3, u64::MAX));
        assert!(!trust_level_in_range(u64::MAX / 3 - 1, u64::MAX));
    }
}
