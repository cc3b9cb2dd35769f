//! `light`: the light client that `query … --verify` checks proofs with (see `crate::light`).

use std::time::Duration;

use anyhow::Result;
use serde_json::json;

use super::{Global, NodeArgs};
use crate::client::Node;
use crate::light::{self, TrustedState};

#[derive(clap::Subcommand)]
pub enum LightCmd {
    /// Trust the header at a height whose hash you got from a source you trust (a block
    /// explorer, another node you run, a friend); every verified query starts from it.
    Init {
        #[arg(long)]
        trusted_height: u64,
        /// The header's hash, hex (`query block H` shows it as `hash`).
        #[arg(long)]
        trusted_hash: String,
        /// How long a verified header stays usable to verify newer ones (default 14 days, two
        /// thirds of the SDK's 21-day unbonding period).
        #[arg(long, default_value_t = 14 * 86_400)]
        trusting_period_secs: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The header the light client trusts now; with --update, after verifying up to the latest.
    Status {
        #[arg(long)]
        update: bool,
        #[command(flatten)]
        node: NodeArgs,
    },
}

fn shown(t: &TrustedState) -> serde_json::Value {
    let h = &t.signed_header.header;
    json!({
        "chain_id": h.chain_id.to_string(),
        "height": h.height.value().to_string(),
        "hash": h.hash().to_string(),
        "time": h.time.to_string(),
        "app_hash": h.app_hash.to_string(),
        "trusting_period_secs": t.trusting_period_secs.to_string(),
    })
}

fn text(v: &serde_json::Value) -> String {
    format!(
        "trusted header {} of {} at {} (hash {})",
        v["height"].as_str().unwrap_or_default(),
        v["chain_id"].as_str().unwrap_or_default(),
        v["time"].as_str().unwrap_or_default(),
        v["hash"].as_str().unwrap_or_default()
    )
}

pub async fn run(g: &Global, cmd: LightCmd) -> Result<()> {
    let home = g.home().0;
    match cmd {
        LightCmd::Init {
            trusted_height,
            trusted_hash,
            trusting_period_secs,
            node,
        } => {
            let node = Node::connect(&node.node)?;
            let t = light::init(
                &node,
                trusted_height,
                &trusted_hash,
                Duration::from_secs(trusting_period_secs),
            )
            .await?;
            t.save(&home)?;
            g.print(&shown(&t), text)
        }
        LightCmd::Status { update, node } => {
            let mut t = TrustedState::load(&home)?;
            if update {
                let node = Node::connect(&node.node)?;
                let latest = { node.latest_height().await? };
                t = light::verify_to(&node, &t, latest).await?;
                t.save(&home)?;
            }
            g.print(&shown(&t), text)
        }
    }
}
