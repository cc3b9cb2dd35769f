//! Gov's parameters: `cosmos.gov.v1.Params` on the wire and in state, the JSON form genesis
//! writes them in (the SDK's), and the checked form the module runs on.

use cosmrs::proto::cosmos::gov::v1 as pb;
use estuary_sdk::{Coin, TxResult};
use serde::{Deserialize, Serialize};

use crate::dec::Dec;
use crate::errors::{gov_error, INVALID_GENESIS};

/// The parameters as genesis writes them: the SDK's JSON names and forms (durations as
/// "172800s", decimals as strings, coins with string amounts).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GovParams {
    pub min_deposit: Vec<Coin>,
    pub max_deposit_period: String,
    pub voting_period: String,
    pub quorum: String,
    pub threshold: String,
    pub veto_threshold: String,
    pub min_initial_deposit_ratio: String,
    pub burn_vote_quorum: bool,
    pub burn_proposal_deposit_prevote: bool,
    pub burn_vote_veto: bool,
    /// The share of every deposit a proposer's cancellation costs (`MsgCancelProposal`).
    pub proposal_cancel_ratio: String,
    /// Where that share goes: an account, or burnt when empty.
    pub proposal_cancel_dest: String,
    /// An expedited proposal's voting period. Unset: the SDK's day, or half the voting period
    /// when that is shorter (the SDK requires it shorter; a genesis written before expedited
    /// proposals, with a short voting period, stays valid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expedited_voting_period: Option<String>,
    /// The yes share an expedited proposal needs (the SDK's 0.667).
    pub expedited_threshold: String,
    /// The deposit an expedited proposal needs. Unset: five times `min_deposit`, the SDK's ratio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expedited_min_deposit: Option<Vec<Coin>>,
}

/// The SDK's defaults: 10000000stake, two days to deposit and two to vote, quorum 0.334,
/// threshold 0.5, veto 0.334, vetoed deposits burnt.
impl Default for GovParams {
    fn default() -> Self {
        GovParams {
            min_deposit: Coin::new(10_000_000, "stake").into_iter().collect(),
            max_deposit_period: "172800s".into(),
            voting_period: "172800s".into(),
            quorum: "0.334000000000000000".into(),
            threshold: "0.500000000000000000".into(),
            veto_threshold: "0.334000000000000000".into(),
            min_initial_deposit_ratio: "0.000000000000000000".into(),
            burn_vote_quorum: false,
            burn_proposal_deposit_prevote: false,
            burn_vote_veto: true,
            proposal_cancel_ratio: "0.500000000000000000".into(),
            proposal_cancel_dest: String::new(),
            expedited_voting_period: None,
            expedited_threshold: "0.667000000000000000".into(),
            expedited_min_deposit: None,
        }
    }
}

impl GovParams {
    pub fn to_proto(&self) -> TxResult<pb::Params> {
        let voting_period = parse_duration(&self.voting_period)?;
        let expedited_voting_period = match &self.expedited_voting_period {
            Some(d) => parse_duration(d)?,
            None => {
                let day: i128 = 86_400 * 1_000_000_000;
                let half = duration_nanos(&voting_period).unwrap_or(0) / 2;
                nanos_duration(day.min(half))
            }
        };
        let expedited_min_deposit = match &self.expedited_min_deposit {
            Some(coins) => coins.clone(),
            None => self
                .min_deposit
                .iter()
                .map(|c| Coin::new(c.amount.saturating_mul(5), c.denom.as_str()))
                .collect::<TxResult<_>>()?,
        };
        let p = pb::Params {
            min_deposit: self.min_deposit.iter().map(Coin::to_proto).collect(),
            max_deposit_period: Some(parse_duration(&self.max_deposit_period)?),
            voting_period: Some(voting_period),
            quorum: self.quorum.clone(),
            threshold: self.threshold.clone(),
            veto_threshold: self.veto_threshold.clone(),
            min_initial_deposit_ratio: self.min_initial_deposit_ratio.clone(),
            burn_vote_quorum: self.burn_vote_quorum,
            burn_proposal_deposit_prevote: self.burn_proposal_deposit_prevote,
            burn_vote_veto: self.burn_vote_veto,
            proposal_cancel_ratio: self.proposal_cancel_ratio.clone(),
            proposal_cancel_dest: self.proposal_cancel_dest.clone(),
            expedited_voting_period: Some(expedited_voting_period),
            expedited_threshold: self.expedited_threshold.clone(),
            expedited_min_deposit: expedited_min_deposit.iter().map(Coin::to_proto).collect(),
            // What Estuary does not use, at the SDK's default so that clients that read it see
            // the usual value.
            min_deposit_ratio: "0.010000000000000000".into(),
        };
        Params::check(&p)?;
        Ok(p)
    }

    pub fn from_proto(p: &pb::Params) -> GovParams {
        GovParams {
            min_deposit: p
                .min_deposit
                .iter()
                .filter_map(|c| Coin::from_proto(c).ok())
                .collect(),
            max_deposit_period: format_duration(p.max_deposit_period.as_ref()),
            voting_period: format_duration(p.voting_period.as_ref()),
            quorum: p.quorum.clone(),
            threshold: p.threshold.clone(),
            veto_threshold: p.veto_threshold.clone(),
            min_initial_deposit_ratio: p.min_initial_deposit_ratio.clone(),
            burn_vote_quorum: p.burn_vote_quorum,
            burn_proposal_deposit_prevote: p.burn_proposal_deposit_prevote,
            burn_vote_veto: p.burn_vote_veto,
            proposal_cancel_ratio: p.proposal_cancel_ratio.clone(),
            proposal_cancel_dest: p.proposal_cancel_dest.clone(),
            expedited_voting_period: Some(format_duration(p.expedited_voting_period.as_ref())),
            expedited_threshold: p.expedited_threshold.clone(),
            expedited_min_deposit: Some(
                p.expedited_min_deposit
                    .iter()
                    .filter_map(|c| Coin::from_proto(c).ok())
                    .collect(),
            ),
        }
    }
}

/// The parameters, checked, in the units the module computes with.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    pub min_deposit: Vec<Coin>,
    pub max_deposit_period_nanos: i128,
    pub voting_period_nanos: i128,
    pub quorum: Dec,
    pub threshold: Dec,
    pub veto_threshold: Dec,
    pub min_initial_deposit_ratio: Dec,
    /// The share of the minimum a later deposit must bring (none when unset).
    pub min_deposit_ratio: Dec,
    pub burn_vote_quorum: bool,
    pub burn_proposal_deposit_prevote: bool,
    pub burn_vote_veto: bool,
    pub proposal_cancel_ratio: Dec,
    /// `None`: cancellation charges are burnt.
    pub proposal_cancel_dest: Option<estuary_sdk::Address>,
    pub expedited_voting_period_nanos: i128,
    pub expedited_threshold: Dec,
    pub expedited_min_deposit: Vec<Coin>,
}

impl Params {
    /// The rules a proposal runs under: an expedited one needs the expedited deposit, votes for
    /// the expedited period and passes with the expedited threshold (the SDK's
    /// `GetMinDepositFromParams`, `ExpeditedVotingPeriod` and `ExpeditedThreshold`).
    pub fn for_proposal(&self, expedited: bool) -> Params {
        let mut p = self.clone();
        if expedited {
            p.min_deposit = self.expedited_min_deposit.clone();
            p.voting_period_nanos = self.expedited_voting_period_nanos;
            p.threshold = self.expedited_threshold;
        }
        p
    }

    /// `ratio` of the minimum deposit, coin by coin, rounded down; coins that round to nothing
    /// are left out (they ask for nothing).
    pub fn share_of_min_deposit(&self, ratio: Dec) -> Vec<Coin> {
        self.min_deposit
            .iter()
            .filter_map(|c| {
                Coin::new(crate::dec::mul_floor(c.amount, ratio), c.denom.as_str()).ok()
            })
            .filter(|c| c.amount > 0)
            .collect()
    }

    /// The SDK's `Params.ValidateBasic`: a minimum deposit, positive periods, quorum and the
    /// ratios within [0, 1], threshold and veto above 0.
    pub fn check(p: &pb::Params) -> TxResult<Params> {
        let bad = |what: &str| gov_error(INVALID_GENESIS, format!("invalid gov params: {what}"));
        let min_deposit: Vec<Coin> = p
            .min_deposit
            .iter()
            .map(Coin::from_proto)
            .collect::<TxResult<_>>()?;
        if min_deposit.is_empty() || min_deposit.iter().any(|c| c.amount == 0) {
            return Err(bad("the minimum deposit must be positive coins"));
        }
        let period = |d: Option<&prost_types_duration::Duration>, what: &str| -> TxResult<i128> {
            let d = d.ok_or_else(|| bad(&format!("{what} must be set")))?;
            let nanos = duration_nanos(d).ok_or_else(|| bad(&format!("{what} is malformed")))?;
            if nanos <= 0 {
                return Err(bad(&format!("{what} must be positive")));
            }
            Ok(nanos)
        };
        let dec = |s: &str, what: &str| -> TxResult<Dec> {
            let d = Dec::parse(s).map_err(|_| bad(&format!("{what} {s:?} is not a decimal")))?;
            if d > Dec::ONE {
                return Err(bad(&format!("{what} must be at most 1")));
            }
            Ok(d)
        };
        let params = Params {
            min_deposit,
            max_deposit_period_nanos: period(p.max_deposit_period.as_ref(), "max deposit period")?,
            voting_period_nanos: period(p.voting_period.as_ref(), "voting period")?,
            quorum: dec(&p.quorum, "quorum")?,
            threshold: dec(&p.threshold, "threshold")?,
            veto_threshold: dec(&p.veto_threshold, "veto threshold")?,
            min_initial_deposit_ratio: dec(
                &p.min_initial_deposit_ratio,
                "min initial deposit ratio",
            )?,
            min_deposit_ratio: match p.min_deposit_ratio.as_str() {
                "" => Dec(0),
                r => dec(r, "min deposit ratio")?,
            },
            burn_vote_quorum: p.burn_vote_quorum,
            burn_proposal_deposit_prevote: p.burn_proposal_deposit_prevote,
            burn_vote_veto: p.burn_vote_veto,
            proposal_cancel_ratio: match p.proposal_cancel_ratio.as_str() {
                "" => Dec(0),
                r => dec(r, "proposal cancel ratio")?,
            },
            proposal_cancel_dest: match p.proposal_cancel_dest.as_str() {
                "" => None,
                a => {
                    Some(estuary_sdk::Address::parse(a).map_err(|_| {
                        bad(&format!("deposits destination address is invalid: {a}"))
                    })?)
                }
            },
            expedited_voting_period_nanos: period(
                p.expedited_voting_period.as_ref(),
                "expedited voting period",
            )?,
            expedited_threshold: dec(&p.expedited_threshold, "expedited threshold")?,
            expedited_min_deposit: p
                .expedited_min_deposit
                .iter()
                .map(Coin::from_proto)
                .collect::<TxResult<_>>()?,
        };
        // The SDK's checks of the expedited parameters against the regular ones.
        let exp = &params.expedited_min_deposit;
        if exp.is_empty() || exp.iter().any(|c| c.amount == 0) {
            return Err(bad("invalid expedited minimum deposit"));
        }
        let all_lte = exp.iter().all(|e| {
            params
                .min_deposit
                .iter()
                .any(|m| m.denom == e.denom && e.amount <= m.amount)
        });
        if all_lte {
            return Err(bad(
                "expedited minimum deposit must be greater than minimum deposit",
            ));
        }
        if params.expedited_threshold <= params.threshold {
            return Err(bad(
                "expedited vote threshold must be greater than the regular threshold",
            ));
        }
        if params.expedited_voting_period_nanos >= params.voting_period_nanos {
            return Err(bad(
                "expedited voting period must be strictly less than the regular voting period",
            ));
        }
        if params.threshold == Dec(0) {
            return Err(bad("threshold must be positive"));
        }
        if params.veto_threshold == Dec(0) {
            return Err(bad("veto threshold must be positive"));
        }
        Ok(params)
    }
}

mod prost_types_duration {
    pub use cosmrs::proto::tendermint::google::protobuf::Duration;
}

/// Nanoseconds (non-negative, below 2^63 seconds) as a protobuf Duration.
fn nanos_duration(nanos: i128) -> prost_types_duration::Duration {
    let nanos = nanos.max(0);
    prost_types_duration::Duration {
        seconds: i64::try_from(nanos / 1_000_000_000).unwrap_or(i64::MAX),
        nanos: i32::try_from(nanos % 1_000_000_000).unwrap_or(0),
    }
}

pub fn duration_nanos(d: &prost_types_duration::Duration) -> Option<i128> {
    if !(0..1_000_000_000).contains(&d.nanos) {
        return None;
    }
    i128::from(d.seconds)
        .checked_mul(1_000_000_000)?
        .checked_add(i128::from(d.nanos))
}

/// "172800s" or "0.5s" (protobuf JSON's form of a Duration).
pub fn parse_duration(s: &str) -> TxResult<prost_types_duration::Duration> {
    let bad = || {
        gov_error(
            INVALID_GENESIS,
            format!("{s:?} is not a duration like \"172800s\""),
        )
    };
    let body = s.strip_suffix('s').ok_or_else(bad)?;
    let (secs, frac) = body.split_once('.').unwrap_or((body, ""));
    if secs.is_empty()
        || frac.len() > 9
        || !secs.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let seconds: i64 = secs.parse().map_err(|_| bad())?;
    let nanos: i32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().map_err(|_| bad())?
    };
    Ok(prost_types_duration::Duration { seconds, nanos })
}

fn format_duration(d: Option<&prost_types_duration::Duration>) -> String {
    match d {
        None => String::new(),
        Some(d) if d.nanos == 0 => format!("{}s", d.seconds),
        Some(d) => format!("{}.{:09}s", d.seconds, d.nanos),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_sdks_and_valid() {
        let p = Params::check(&GovParams::default().to_proto().unwrap()).unwrap();
        assert_eq!(p.quorum, Dec::parse("0.334").unwrap());
        assert_eq!(p.threshold, Dec::parse("0.5").unwrap());
        assert_eq!(p.veto_threshold, Dec::parse("0.334").unwrap());
        assert_eq!(p.voting_period_nanos, 172_800 * 1_000_000_000);
        assert!(p.burn_vote_veto && !p.burn_vote_quorum);
    }

    #[test]
    fn bad_params_are_refused() {
        for bad in [
            GovParams {
                quorum: "1.5".into(),
                ..Default::default()
            },
            GovParams {
                voting_period: "0s".into(),
                ..Default::default()
            },
            GovParams {
                min_deposit: vec![],
                ..Default::default()
            },
            GovParams {
                threshold: "0".into(),
                ..Default::default()
            },
        ] {
            assert!(bad.to_proto().is_err(), "{bad:?}");
        }
        assert!(parse_duration("10m").is_err());
        assert_eq!(parse_duration("1.5s").unwrap().nanos, 500_000_000);
        assert_eq!(
            format_duration(Some(&parse_duration("20s").unwrap())),
            "20s"
        );
    }
}
