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
        }
    }
}

impl GovParams {
    pub fn to_proto(&self) -> TxResult<pb::Params> {
        let p = pb::Params {
            min_deposit: self.min_deposit.iter().map(Coin::to_proto).collect(),
            max_deposit_period: Some(parse_duration(&self.max_deposit_period)?),
            voting_period: Some(parse_duration(&self.voting_period)?),
            quorum: self.quorum.clone(),
            threshold: self.threshold.clone(),
            veto_threshold: self.veto_threshold.clone(),
            min_initial_deposit_ratio: self.min_initial_deposit_ratio.clone(),
            burn_vote_quorum: self.burn_vote_quorum,
            burn_proposal_deposit_prevote: self.burn_proposal_deposit_prevote,
            burn_vote_veto: self.burn_vote_veto,
            proposal_cancel_ratio: self.proposal_cancel_ratio.clone(),
            proposal_cancel_dest: self.proposal_cancel_dest.clone(),
            // What Estuary does not use, at the SDK's defaults so that clients that read
            // them see the usual values.
            expedited_voting_period: Some(prost_types_duration::Duration {
                seconds: 86_400,
                nanos: 0,
            }),
            expedited_threshold: "0.667000000000000000".into(),
            expedited_min_deposit: vec![],
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
}

impl Params {
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
        };
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
