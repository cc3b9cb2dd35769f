//! `MsgSoftwareUpgrade` and `MsgCancelUpgrade` (`cosmos.upgrade.v1beta1`), for the chain's
//! authority: the governance module (a passed proposal), or the genesis admin until it hands
//! its powers to governance.

use cosmrs::proto::cosmos::upgrade::v1beta1 as pb;
use estuary_sdk::{Address, Any, Event, Msg, Signers, TxContext, TxError, TxResult};

use crate::keeper::{Plan, UpgradeKeeper, UpgradeReader};

pub const MSG_SOFTWARE_UPGRADE: &str = "/cosmos.upgrade.v1beta1.MsgSoftwareUpgrade";
pub const MSG_CANCEL_UPGRADE: &str = "/cosmos.upgrade.v1beta1.MsgCancelUpgrade";

fn authority_of(ctx: &TxContext<'_>, signer: &Address) -> TxResult {
    estuary_validators::ensure_authority(ctx, signer, "schedule or cancel upgrades")
}

pub struct SoftwareUpgrade {
    authority: Address,
    plan: Plan,
    signers: Signers,
}

pub struct CancelUpgrade {
    authority: Address,
    signers: Signers,
}

pub fn decode(msg: &Any) -> TxResult<Box<dyn Msg>> {
    match msg.type_url.as_str() {
        MSG_SOFTWARE_UPGRADE => {
            let raw: pb::MsgSoftwareUpgrade =
                estuary_sdk::proto::decode_strict(&msg.value, "MsgSoftwareUpgrade")?;
            let authority = Address::parse(&raw.authority)?;
            let plan = plan_of(raw.plan)?;
            Ok(Box::new(SoftwareUpgrade {
                authority,
                plan,
                signers: Signers::one(authority),
            }))
        }
        MSG_CANCEL_UPGRADE => {
            let raw: pb::MsgCancelUpgrade =
                estuary_sdk::proto::decode_strict(&msg.value, "MsgCancelUpgrade")?;
            let authority = Address::parse(&raw.authority)?;
            Ok(Box::new(CancelUpgrade {
                authority,
                signers: Signers::one(authority),
            }))
        }
        other => Err(TxError::UnknownRequest(format!(
            "unrecognized message type: {other}"
        ))),
    }
}

/// A wire plan checked as the SDK's `Plan.ValidateBasic` does: a name, a height above 0, no
/// time, and no upgraded client state inside the plan (an IBC upgrade carries it beside the
/// plan, in `MsgIBCSoftwareUpgrade`).
#[allow(deprecated)] // Plan.time and upgraded_client_state: checked empty, as the SDK does
pub fn plan_of(p: Option<pb::Plan>) -> TxResult<Plan> {
    let p = p.ok_or_else(|| TxError::InvalidRequest("plan: missing".into()))?;
    if p.name.is_empty() {
        return Err(TxError::InvalidRequest("name cannot be empty".into()));
    }
    // Go's zero time (0001-01-01), or nothing: no time-based upgrade.
    let zero_time = match &p.time {
        None => true,
        Some(t) => t.nanos == 0 && (t.seconds == 0 || t.seconds == -62_135_596_800),
    };
    if !zero_time {
        return Err(TxError::InvalidRequest(
            "time-based upgrades have been deprecated in the SDK".into(),
        ));
    }
    if p.upgraded_client_state.is_some() {
        return Err(TxError::InvalidRequest(
            "upgraded client state must be empty: an IBC upgrade is scheduled with \
             ibc.core.client.v1.MsgIBCSoftwareUpgrade"
                .into(),
        ));
    }
    let height = u64::try_from(p.height)
        .ok()
        .filter(|h| *h > 0)
        .ok_or_else(|| TxError::InvalidRequest("height must be greater than 0".into()))?;
    Ok(Plan {
        name: p.name,
        height,
        info: p.info,
    })
}

/// The SDK's `ScheduleUpgrade`: in the future, a name never applied; it replaces any plan
/// (and the IBC states scheduled with it).
pub fn schedule(ctx: &mut TxContext<'_>, plan: &Plan) -> TxResult {
    let now = ctx.block.height;
    if plan.height <= now {
        return Err(TxError::InvalidRequest(format!(
            "upgrade cannot be scheduled in the past: height {} is not above {now}",
            plan.height
        )));
    }
    if ctx.state().applied_upgrade(&plan.name)?.is_some() {
        return Err(TxError::InvalidRequest(format!(
            "upgrade with name {} has already been completed",
            plan.name
        )));
    }
    ctx.state.schedule_upgrade(plan)?;
    ctx.emit(
        Event::new("software_upgrade")
            .attr("name", &plan.name)
            .attr("height", plan.height),
    );
    Ok(())
}

impl Msg for SoftwareUpgrade {
    fn signers(&self) -> &Signers {
        &self.signers
    }

    fn execute(&self, ctx: &mut TxContext<'_>) -> TxResult {
        authority_of(ctx, &self.authority)?;
        schedule(ctx, &self.plan)
    }

    /// Amino JSON (`cosmos-sdk/MsgSoftwareUpgrade`), so a multisig authority can sign it.
    fn amino_json(&self) -> Option<TxResult<serde_json::Value>> {
        // Amino omits empty fields (`info`), but not the plan's zero time (dont_omitempty).
        let mut plan = serde_json::Map::new();
        plan.insert("height".into(), self.plan.height.to_string().into());
        plan.insert("name".into(), self.plan.name.clone().into());
        plan.insert("time".into(), "0001-01-01T00:00:00Z".into());
        if !self.plan.info.is_empty() {
            plan.insert("info".into(), self.plan.info.clone().into());
        }
        Some(Ok(estuary_sdk::amino::msg(
            "cosmos-sdk/MsgSoftwareUpgrade",
            serde_json::json!({"authority": self.authority.to_bech32(), "plan": plan}),
        )))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Msg for CancelUpgrade {
    fn signers(&self) -> &Signers {
        &self.signers
    }

    fn execute(&self, ctx: &mut TxContext<'_>) -> TxResult {
        authority_of(ctx, &self.authority)?;
        ctx.state.clear_upgrade_plan()?;
        ctx.emit(Event::new("cancel_software_upgrade"));
        Ok(())
    }

    fn amino_json(&self) -> Option<TxResult<serde_json::Value>> {
        Some(Ok(estuary_sdk::amino::msg(
            "cosmos-sdk/MsgCancelUpgrade",
            serde_json::json!({"authority": self.authority.to_bech32()}),
        )))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
