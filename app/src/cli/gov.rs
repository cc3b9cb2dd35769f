//! `tx gov …`: proposals, deposits and votes, as the SDK's CLI writes them. (Queries are the
//! registry-derived `query gov …` commands.)

use anyhow::{anyhow, bail, Context, Result};
use cosmrs::proto::cosmos::gov::v1 as pb;
use cosmrs::Any;
use estuary_sdk::parse_coins;
use prost::Message;
use serde::Deserialize;

use super::tx::{report, sign_and_send, TxArgs};
use super::{tx_json, Global};

#[derive(clap::Subcommand)]
pub enum GovTx {
    /// Submit a proposal from a JSON file, the SDK's format:
    /// `{"messages": [{"@type": "/estuary.validators.v1.MsgSetValidatorPower", "authority":
    /// "<gov account>", …}], "metadata": "…", "deposit": "10000000stake", "title": "…",
    /// "summary": "…"}`. Each message's authority must be the gov account (`tx gov
    /// gov-account` prints it).
    SubmitProposal {
        file: String,
        #[arg(long)]
        from: String,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Add to a proposal's deposit: `deposit <proposal id> <amount>`.
    Deposit {
        proposal_id: u64,
        amount: String,
        #[arg(long)]
        from: String,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Withdraw a proposal you submitted, still in its deposit or voting period:
    /// `proposal_cancel_ratio` of every deposit (gov params; the SDK's 0.5 by default) is burnt
    /// or sent to `proposal_cancel_dest`, the rest refunded.
    CancelProposal {
        proposal_id: u64,
        #[arg(long)]
        from: String,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Vote for the validator you operate: `vote <proposal id> yes|no|abstain|no_with_veto`.
    Vote {
        proposal_id: u64,
        option: String,
        #[arg(long, default_value = "")]
        metadata: String,
        #[arg(long)]
        from: String,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Split your validator's vote: `weighted-vote <proposal id> yes=0.6,no=0.4`.
    WeightedVote {
        proposal_id: u64,
        options: String,
        #[arg(long, default_value = "")]
        metadata: String,
        #[arg(long)]
        from: String,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Print the gov module's account: the authority every proposal's messages name.
    GovAccount,
}

/// A proposal file, as the SDK's `submit-proposal` reads it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProposalFile {
    #[serde(default)]
    messages: Vec<serde_json::Value>,
    #[serde(default)]
    metadata: String,
    #[serde(default)]
    deposit: String,
    title: String,
    summary: String,
    #[serde(default)]
    expedited: bool,
}

fn vote_option(s: &str) -> Result<i32> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "yes" | "vote_option_yes" => pb::VoteOption::Yes as i32,
        "abstain" | "vote_option_abstain" => pb::VoteOption::Abstain as i32,
        "no" | "vote_option_no" => pb::VoteOption::No as i32,
        "no_with_veto" | "nowithveto" | "vote_option_no_with_veto" => {
            pb::VoteOption::NoWithVeto as i32
        }
        other => bail!("{other:?} is not a vote option (yes, no, abstain, no_with_veto)"),
    })
}

fn any<M: Message>(type_url: &str, m: &M) -> Any {
    Any {
        type_url: type_url.into(),
        value: m.encode_to_vec(),
    }
}

pub async fn run(g: &Global, cmd: GovTx) -> Result<()> {
    let (from, msg, args) = match cmd {
        GovTx::GovAccount => {
            let gov = estuary_validators::gov_authority();
            return g.print(&serde_json::json!({"address": gov}), |_| gov.to_string());
        }
        GovTx::SubmitProposal { file, from, tx } => {
            let text = if file == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(&file).with_context(|| format!("reading {file}"))?
            };
            let p: ProposalFile =
                serde_json::from_str(&text).with_context(|| format!("{file} is not a proposal"))?;
            let proposer = super::genesis::resolve_address(&from, &tx.keyring.open(&g.home()))?;
            let deposit = parse_coins(&p.deposit).map_err(|e| anyhow!("deposit: {e}"))?;
            let msg = pb::MsgSubmitProposal {
                messages: tx_json::msgs_from_json(&p.messages)?
                    .into_iter()
                    .map(|m| cosmrs::proto::Any {
                        type_url: m.type_url,
                        value: m.value,
                    })
                    .collect(),
                initial_deposit: deposit.iter().map(|c| c.to_proto()).collect(),
                proposer: proposer.to_bech32(),
                metadata: p.metadata,
                title: p.title,
                summary: p.summary,
                expedited: p.expedited,
            };
            (from, any(estuary_gov::MSG_SUBMIT_PROPOSAL, &msg), tx)
        }
        GovTx::Deposit {
            proposal_id,
            amount,
            from,
            tx,
        } => {
            let depositor = super::genesis::resolve_address(&from, &tx.keyring.open(&g.home()))?;
            let coins = parse_coins(&amount).map_err(|e| anyhow!("amount: {e}"))?;
            let msg = pb::MsgDeposit {
                proposal_id,
                depositor: depositor.to_bech32(),
                amount: coins.iter().map(|c| c.to_proto()).collect(),
            };
            (from, any(estuary_gov::MSG_DEPOSIT, &msg), tx)
        }
        GovTx::CancelProposal {
            proposal_id,
            from,
            tx,
        } => {
            let proposer = super::genesis::resolve_address(&from, &tx.keyring.open(&g.home()))?;
            let msg = pb::MsgCancelProposal {
                proposal_id,
                proposer: proposer.to_bech32(),
            };
            (from, any(estuary_gov::MSG_CANCEL_PROPOSAL, &msg), tx)
        }
        GovTx::Vote {
            proposal_id,
            option,
            metadata,
            from,
            tx,
        } => {
            let voter = super::genesis::resolve_address(&from, &tx.keyring.open(&g.home()))?;
            let msg = pb::MsgVote {
                proposal_id,
                voter: voter.to_bech32(),
                option: vote_option(&option)?,
                metadata,
            };
            (from, any(estuary_gov::MSG_VOTE, &msg), tx)
        }
        GovTx::WeightedVote {
            proposal_id,
            options,
            metadata,
            from,
            tx,
        } => {
            let voter = super::genesis::resolve_address(&from, &tx.keyring.open(&g.home()))?;
            let options = options
                .split(',')
                .map(|part| {
                    let (o, w) = part
                        .split_once('=')
                        .ok_or_else(|| anyhow!("{part:?}: give option=weight"))?;
                    Ok(pb::WeightedVoteOption {
                        option: vote_option(o.trim())?,
                        weight: w.trim().into(),
                    })
                })
                .collect::<Result<_>>()?;
            let msg = pb::MsgVoteWeighted {
                proposal_id,
                voter: voter.to_bech32(),
                options,
                metadata,
            };
            (from, any(estuary_gov::MSG_VOTE_WEIGHTED, &msg), tx)
        }
    };
    report(g, sign_and_send(g, &from, vec![msg], &args).await?)
}
