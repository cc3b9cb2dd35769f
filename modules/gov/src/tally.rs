//! The tally: the SDK's rules, with each validator's operator voting its validator's power (at
//! the end of the voting period) in place of bonded tokens.
//!
//! Counts are power × weight in 10^-18 units; every comparison is exact (cross-multiplied in
//! 256 bits), where the SDK divides with 18-place truncation first: the two agree except where
//! a ratio is within 10^-18 of a threshold.

use cosmrs::proto::cosmos::gov::v1 as pb;

use crate::dec::{product_gt, Dec, ONE};
use crate::params::Params;

/// A vote option's number (`VoteOption`: 1 yes, 2 abstain, 3 no, 4 no with veto).
pub const YES: i32 = pb::VoteOption::Yes as i32;
pub const ABSTAIN: i32 = pb::VoteOption::Abstain as i32;
pub const NO: i32 = pb::VoteOption::No as i32;
pub const NO_WITH_VETO: i32 = pb::VoteOption::NoWithVeto as i32;

/// One counted vote: the voting validator's power and the weighted options of its operator.
#[derive(Clone, Debug)]
pub struct CountedVote {
    pub power: u64,
    pub options: Vec<(i32, Dec)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub yes: u128,
    pub abstain: u128,
    pub no: u128,
    pub no_with_veto: u128,
}

impl Counts {
    /// As the SDK reports a tally: whole units (its counts are truncated to integers).
    pub fn to_proto(&self) -> pb::TallyResult {
        pb::TallyResult {
            yes_count: (self.yes / ONE).to_string(),
            abstain_count: (self.abstain / ONE).to_string(),
            no_count: (self.no / ONE).to_string(),
            no_with_veto_count: (self.no_with_veto / ONE).to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub passes: bool,
    /// Whether the deposits are burnt rather than refunded.
    pub burn_deposits: bool,
    pub counts: Counts,
}

/// Counts `votes` against a validator set of `total_power`.
pub fn tally(total_power: u64, votes: &[CountedVote], params: &Params) -> Outcome {
    let mut counts = Counts::default();
    let mut voted: u128 = 0;
    for v in votes {
        let power = u128::from(v.power);
        voted = voted.saturating_add(power);
        for (option, weight) in &v.options {
            // power ≤ 2^63 and weight ≤ 10^18 < 2^60: the product fits in 128 bits, and so does
            // the sum over a set whose total power is bounded by CometBFT's maximum.
            let share = power.saturating_mul(weight.0);
            let slot = match *option {
                YES => &mut counts.yes,
                ABSTAIN => &mut counts.abstain,
                NO => &mut counts.no,
                NO_WITH_VETO => &mut counts.no_with_veto,
                _ => continue,
            };
            *slot = slot.saturating_add(share);
        }
    }
    let fail = |burn: bool, counts: Counts| Outcome {
        passes: false,
        burn_deposits: burn,
        counts,
    };
    if total_power == 0 {
        return fail(false, counts);
    }
    // Quorum: voted / total < quorum fails (and burns when burn_vote_quorum).
    if product_gt(params.quorum.0, u128::from(total_power), voted, ONE) {
        return fail(params.burn_vote_quorum, counts);
    }
    let voted_units = voted.saturating_mul(ONE);
    let deciding = voted_units.saturating_sub(counts.abstain);
    // Everyone abstained: nothing to decide.
    if deciding == 0 {
        return fail(false, counts);
    }
    // Veto: no_with_veto / voted > veto_threshold fails and burns when burn_vote_veto.
    if product_gt(
        counts.no_with_veto,
        ONE,
        params.veto_threshold.0,
        voted_units,
    ) {
        return fail(params.burn_vote_veto, counts);
    }
    // Threshold: yes / (voted − abstain) > threshold passes.
    if product_gt(counts.yes, ONE, params.threshold.0, deciding) {
        return Outcome {
            passes: true,
            burn_deposits: false,
            counts,
        };
    }
    fail(false, counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::GovParams;

    fn params() -> Params {
        Params::check(&GovParams::default().to_proto().unwrap()).unwrap()
    }

    fn vote(power: u64, option: i32) -> CountedVote {
        CountedVote {
            power,
            options: vec![(option, Dec::ONE)],
        }
    }

    #[test]
    fn three_of_four_yes_passes() {
        let votes = [vote(10, YES), vote(10, YES), vote(10, YES)];
        let out = tally(40, &votes, &params());
        assert!(out.passes);
        assert_eq!(out.counts.to_proto().yes_count, "30");
    }

    #[test]
    fn below_quorum_fails_without_burning_by_default() {
        // 13 of 40 = 0.325 < 0.334.
        let out = tally(40, &[vote(13, YES)], &params());
        assert!(!out.passes && !out.burn_deposits);
        // 14 of 40 = 0.35: quorum, and all yes.
        assert!(tally(40, &[vote(14, YES)], &params()).passes);
        let mut p = params();
        p.burn_vote_quorum = true;
        assert!(tally(40, &[vote(13, YES)], &p).burn_deposits);
    }

    #[test]
    fn quorum_is_reached_at_exactly_the_fraction() {
        // voted/total == quorum is not below it: 334 of 1000.
        assert!(tally(1000, &[vote(334, YES)], &params()).passes);
        assert!(!tally(1000, &[vote(333, YES)], &params()).passes);
    }

    #[test]
    fn veto_above_a_third_fails_and_burns() {
        let votes = [vote(10, YES), vote(10, YES), vote(10, NO_WITH_VETO)];
        let out = tally(30, &votes, &params());
        // 1/3 = 0.3333… is below 0.334: not vetoed; yes 2/3 > 0.5 passes.
        assert!(out.passes);
        let votes = [vote(10, YES), vote(11, NO_WITH_VETO), vote(10, NO)];
        let out = tally(31, &votes, &params());
        assert!(!out.passes && out.burn_deposits, "11/31 > 0.334 vetoes");
    }

    #[test]
    fn abstain_counts_for_quorum_not_for_the_threshold() {
        let votes = [vote(10, YES), vote(9, NO), vote(20, ABSTAIN)];
        let out = tally(40, &votes, &params());
        assert!(out.passes, "10 / (39 - 20) > 0.5");
        let all_abstain = [vote(30, ABSTAIN)];
        assert!(!tally(40, &all_abstain, &params()).passes);
    }

    #[test]
    fn a_tie_does_not_pass() {
        let votes = [vote(10, YES), vote(10, NO)];
        assert!(!tally(20, &votes, &params()).passes, "0.5 is not above 0.5");
    }

    #[test]
    fn weighted_votes_split_power() {
        let half = Dec::parse("0.5").unwrap();
        let split = CountedVote {
            power: 10,
            options: vec![(YES, half), (NO, half)],
        };
        let votes = [split, vote(10, YES)];
        let out = tally(20, &votes, &params());
        assert_eq!(out.counts.to_proto().yes_count, "15");
        assert_eq!(out.counts.to_proto().no_count, "5");
        assert!(out.passes);
    }

    #[test]
    fn huge_powers_do_not_overflow() {
        let max = (i64::MAX / 8) as u64;
        let votes = [vote(max / 2, YES), vote(max / 2, NO_WITH_VETO)];
        let out = tally(max, &votes, &params());
        assert!(!out.passes && out.burn_deposits);
    }
}
