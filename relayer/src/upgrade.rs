//! Client upgrades: when a chain stops for an IBC upgrade (scheduled with
//! `MsgIBCSoftwareUpgrade`, e.g. a new chain id and revision), its counterparties' clients of it
//! take the upgraded client and consensus state it committed to — proven from the old chain's
//! last state, against the header of the block it stopped at — through `MsgUpgradeClient`. The
//! channels over those clients then go on with the new chain, without new clients.
//!
//! It has to happen while the stopped chain still serves that header (an Estuary node stays up
//! for `ibc_upgrade_halt_grace_secs`, an SDK node until it is killed): each relay pass checks.

use anyhow::{anyhow, Context, Result};
use cosmrs::proto::cosmos::upgrade::v1beta1::QueryCurrentPlanRequest;
use ibc_proto::google::protobuf::Any;
use ibc_proto::ibc::core::client::v1 as client;
use ibc_proto::ibc::lightclients::tendermint::v1 as tm;
use prost::Message;
use tracing::info;

use estuary_client::ibc_msgs::any;

use crate::chain::Chain;
use crate::link::{client_state, latest_height_of, update_msg, LinkState};

/// Upgrades, on either side of the link, a client whose chain is stopped for an IBC upgrade.
pub async fn upgrade_clients(a: &Chain, b: &Chain, st: &LinkState) -> Result<()> {
    upgrade_if_due(a, b, &st.b.client_id).await?;
    upgrade_if_due(b, a, &st.a.client_id).await?;
    Ok(())
}

/// If `src` has reached the height of an IBC upgrade, upgrades `dst`'s client `client_id` of it
/// (updating it to that height first); returns whether it did.
pub async fn upgrade_if_due(src: &Chain, dst: &Chain, client_id: &str) -> Result<bool> {
    let Some(plan) = src
        .query(&QueryCurrentPlanRequest {})
        .await
        .with_context(|| format!("the upgrade plan of {}", src.id()))?
        .plan
    else {
        return Ok(false);
    };
    let h = u64::try_from(plan.height).map_err(|_| anyhow!("plan height {}", plan.height))?;
    // The block at the plan's height is committed but never executed: the chain stops there.
    let Some(last) = h.checked_sub(1) else {
        return Ok(false);
    };
    if src.latest_height().await? < h {
        return Ok(false);
    }
    let client_path = format!("upgradedIBCState/{h}/upgradedClient");
    if src.value_in("upgrade", &client_path).await?.is_empty() {
        return Ok(false); // an upgrade that leaves IBC clients as they are
    }
    let cs = client_state(dst, client_id).await?;
    if cs.chain_id != src.id() {
        return Ok(false); // upgraded already, or a client of another chain
    }
    // The committed value, with its proof from the last state (checked against header h).
    let (client_any, proof_client) = src.proven_in("upgrade", &client_path, last).await?;
    let upgraded = Any::decode(client_any.as_slice()).context("the upgraded client state")?;
    let new_chain_id = tm::ClientState::decode(upgraded.value.as_slice())
        .context("the upgraded client state")?
        .chain_id;
    let cons_path = format!("upgradedIBCState/{h}/upgradedConsState");
    let (cons_any, proof_cons) = src.proven_in("upgrade", &cons_path, last).await?;
    let cons = Any::decode(cons_any.as_slice()).context("the upgraded consensus state")?;
    let mut msgs = Vec::new();
    let trusted = latest_height_of(&cs);
    if trusted < h {
        msgs.push(update_msg(src, dst, client_id, trusted, h).await?);
    }
    msgs.push(any(&client::MsgUpgradeClient {
        client_id: client_id.into(),
        client_state: Some(upgraded),
        consensus_state: Some(cons),
        proof_upgrade_client: proof_client,
        proof_upgrade_consensus_state: proof_cons,
        signer: dst.signer.clone(),
    }));
    dst.submit(msgs).await.with_context(|| {
        format!(
            "upgrading client {client_id} on {} to {new_chain_id}",
            dst.id()
        )
    })?;
    info!(
        on = dst.id(),
        client = client_id,
        from = src.id(),
        to = %new_chain_id,
        upgrade = %plan.name,
        height = h,
        "upgraded client"
    );
    Ok(true)
}
