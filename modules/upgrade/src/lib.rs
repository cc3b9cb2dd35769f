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
pub use msgs::{MSG_CANCEL_UPGRADE, MSG_SOFTWARE_UPGRADE};

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

/// Nothing in genesis: a new chain has no plan and no applied upgrade.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UpgradeGenesis {}

#[derive(Default)]
pub struct Upgrade;

impl Component for Upgrade {
    type Genesis = UpgradeGenesis;

    fn name(&self) -> &'static str {
        "upgrade"
    }

    fn init_genesis(&self, _state: &mut dyn StateWrite, _genesis: &UpgradeGenesis) -> TxResult {
        Ok(())
    }

    fn export_genesis(&self, _state: &dyn StateRead) -> TxResult<UpgradeGenesis> {
        Ok(UpgradeGenesis {})
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
