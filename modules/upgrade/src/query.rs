//! `cosmos.upgrade.v1beta1.Query`: the current plan, an applied plan's height, module versions.

use cosmrs::proto::cosmos::upgrade::v1beta1 as pb;
use estuary_sdk::query::{QueryContext, QueryRegistry};
use estuary_sdk::TxResult;

use crate::keeper::UpgradeReader;

pub fn register(registry: &mut QueryRegistry) {
    registry
        .register(current_plan)
        .register(applied_plan)
        .register(module_versions);
}

fn current_plan(
    ctx: &QueryContext<'_>,
    _req: pb::QueryCurrentPlanRequest,
) -> TxResult<pb::QueryCurrentPlanResponse> {
    Ok(pb::QueryCurrentPlanResponse {
        plan: ctx.state.upgrade_plan()?.map(|p| pb::Plan {
            name: p.name,
            height: i64::try_from(p.height).unwrap_or(i64::MAX),
            info: p.info,
            ..Default::default()
        }),
    })
}

fn applied_plan(
    ctx: &QueryContext<'_>,
    req: pb::QueryAppliedPlanRequest,
) -> TxResult<pb::QueryAppliedPlanResponse> {
    Ok(pb::QueryAppliedPlanResponse {
        height: ctx
            .state
            .applied_upgrade(&req.name)?
            .map_or(0, |h| i64::try_from(h).unwrap_or(i64::MAX)),
    })
}

fn module_versions(
    ctx: &QueryContext<'_>,
    req: pb::QueryModuleVersionsRequest,
) -> TxResult<pb::QueryModuleVersionsResponse> {
    let versions = ctx
        .state
        .module_versions()?
        .into_iter()
        .filter(|(name, _)| req.module_name.is_empty() || *name == req.module_name)
        .map(|(name, version)| pb::ModuleVersion { name, version })
        .collect();
    Ok(pb::QueryModuleVersionsResponse {
        module_versions: versions,
    })
}
