//! Upgrades at a height: the chain's authority schedules a plan (name, height, info); at that
//! height the node stops before executing the block unless its binary has a handler of that name,
//! which migrates the state and records the upgrade as applied (`estuary-app` runs this at the
//! start of FinalizeBlock; see `UpgradeHandler`). The plan, applied upgrades and module versions
//! are queried as the SDK's `cosmos.upgrade.v1beta1.Query`.

mod keeper;
mod msgs;
mod query;
mod state_key;

pub use keeper::{Plan, UpgradeKeeper, UpgradeReader};
pub use msgs::{plan_of, schedule, MSG_CANCEL_UPGRADE, MSG_SOFTWARE_UPGRADE};

use estuary_sdk::store::{StateRead, StateWrite};
use estuary_sdk::{Any, Component, TxResult};
use serde::{Deserialize, Serialize};

/// What a binary does at an upgrade it knows: migrate the state (in the upgrade block, before its
/// transactions). Registered by name in the app manifest.
#[derive(Clone, Copy, Debug)]
pub struct UpgradeHandler {
    pub name: &'static str,
    pub migrate: fn(&mut dyn StateWrite) -> TxResult,
}

/// The upgrade module's slice of genesis: empty for a new chain; an exported chain carries its
/// scheduled plan, the upgrades it applied (so none runs twice after an import) and the module
/// versions they recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UpgradeGenesis {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<GenesisPlan>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub applied: Vec<GenesisApplied>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub module_versions: Vec<GenesisModuleVersion>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisPlan {
    pub name: String,
    pub height: u64,
    #[serde(default)]
    pub info: String,
    /// Hex of the upgraded client state (a proto `Any`) an IBC upgrade scheduled with the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgraded_client_state: Option<String>,
    /// Hex of the upgraded consensus state, once the block before the plan's height wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgraded_consensus_state: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisApplied {
    pub name: String,
    pub height: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisModuleVersion {
    pub name: String,
    pub version: u64,
}

#[derive(Default)]
pub struct Upgrade;

impl Component for Upgrade {
    type Genesis = UpgradeGenesis;

    fn name(&self) -> &'static str {
        "upgrade"
    }

    fn init_genesis(&self, state: &mut dyn StateWrite, g: &UpgradeGenesis) -> TxResult {
        let bad =
            |what: &str| estuary_sdk::TxError::InvalidRequest(format!("upgrade genesis: {what}"));
        if let Some(p) = &g.plan {
            if p.name.is_empty() || p.height == 0 {
                return Err(bad("a plan needs a name and a height above 0"));
            }
            state.set_upgrade_plan(&Plan {
                name: p.name.clone(),
                height: p.height,
                info: p.info.clone(),
            })?;
            let hex_of = |what: &str, h: &Option<String>| -> TxResult<Option<Vec<u8>>> {
                h.as_deref()
                    .map(|h| hex::decode(h).map_err(|_| bad(&format!("{what} is not hex"))))
                    .transpose()
            };
            if let Some(any) = hex_of("upgraded_client_state", &p.upgraded_client_state)? {
                state.set_upgraded_client(p.height, any)?;
            }
            if let Some(any) = hex_of("upgraded_consensus_state", &p.upgraded_consensus_state)? {
                state.set_upgraded_consensus_state(p.height, any)?;
            }
        }
        for a in &g.applied {
            if a.name.is_empty() {
                return Err(bad("an applied upgrade needs a name"));
            }
            state.record_applied(&a.name, a.height)?;
        }
        for v in &g.module_versions {
            if v.name.is_empty() {
                return Err(bad("a module version needs a module name"));
            }
            state.set_module_version(&v.name, v.version)?;
        }
        Ok(())
    }

    fn export_genesis(&self, state: &dyn StateRead) -> TxResult<UpgradeGenesis> {
        Ok(UpgradeGenesis {
            plan: match state.upgrade_plan()? {
                None => None,
                Some(p) => Some(GenesisPlan {
                    upgraded_client_state: state.upgraded_client(p.height)?.map(hex::encode),
                    upgraded_consensus_state: state
                        .upgraded_consensus_state(p.height)?
                        .map(hex::encode),
                    name: p.name,
                    height: p.height,
                    info: p.info,
                }),
            },
            applied: state
                .applied_upgrades()?
                .into_iter()
                .map(|(name, height)| GenesisApplied { name, height })
                .collect(),
            module_versions: state
                .module_versions()?
                .into_iter()
                .map(|(name, version)| GenesisModuleVersion { name, version })
                .collect(),
        })
    }

    fn msg_type_urls(&self) -> &'static [&'static str] {
        &[MSG_SOFTWARE_UPGRADE, MSG_CANCEL_UPGRADE]
    }

    fn decode_msg(&self, msg: &Any) -> TxResult<Box<dyn estuary_sdk::Msg>> {
        msgs::decode(msg)
    }

    fn register_queries(&self, registry: &mut estuary_sdk::query::QueryRegistry) {
        query::register(registry)
    }
}
