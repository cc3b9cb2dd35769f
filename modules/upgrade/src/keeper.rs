//! Typed reads and writes of the upgrade module's state, for the module, the app (which halts
//! or migrates at a plan's height) and upgrade handlers.

use borsh::{BorshDeserialize, BorshSerialize};
use estuary_sdk::store::{StateRead, StateReadExt, StateWrite, StateWriteExt};
use estuary_sdk::TxResult;

use crate::state_key;

/// A scheduled upgrade: at `height` the binary that knows `name` migrates and goes on; any other
/// stops before executing that block.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Plan {
    pub name: String,
    pub height: u64,
    pub info: String,
}

pub trait UpgradeReader: StateRead {
    fn upgrade_plan(&self) -> TxResult<Option<Plan>> {
        Ok(self.get(&state_key::plan())?)
    }

    /// The height the upgrade `name` was applied at, if it was.
    fn applied_upgrade(&self, name: &str) -> TxResult<Option<u64>> {
        Ok(self.get(&state_key::done(name))?)
    }

    /// Every applied upgrade and its height, by name.
    fn applied_upgrades(&self) -> TxResult<Vec<(String, u64)>> {
        named_numbers(self, state_key::PREFIX_DONE, "applied upgrade")
    }

    /// The upgraded client state (a proto `Any`) scheduled with the upgrade at `height`.
    fn upgraded_client(&self, height: u64) -> TxResult<Option<Vec<u8>>> {
        Ok(self.get_raw(&state_key::upgraded_client(height))?)
    }

    /// The upgraded consensus state (a proto `Any`) written in the last block before `height`.
    fn upgraded_consensus_state(&self, height: u64) -> TxResult<Option<Vec<u8>>> {
        Ok(self.get_raw(&state_key::upgraded_consensus_state(height))?)
    }

    /// The module versions upgrades recorded, by module name.
    fn module_versions(&self) -> TxResult<Vec<(String, u64)>> {
        named_numbers(self, state_key::PREFIX_VERSION, "module version")
    }
}
impl<S: StateRead + ?Sized> UpgradeReader for S {}

/// The numbers stored under `prefix`, each by the name that follows the prefix in its key.
fn named_numbers<S: StateRead + ?Sized>(
    state: &S,
    prefix: &str,
    what: &str,
) -> TxResult<Vec<(String, u64)>> {
    let prefix = prefix.as_bytes();
    let mut out = Vec::new();
    for (key, bytes) in state.prefix_raw(prefix)? {
        let name =
            String::from_utf8_lossy(key.get(prefix.len()..).unwrap_or_default()).into_owned();
        let n: u64 = borsh::from_slice(&bytes)
            .map_err(|e| estuary_sdk::TxError::Internal(format!("corrupt {what} {name}: {e}")))?;
        out.push((name, n));
    }
    Ok(out)
}

pub trait UpgradeKeeper: StateWrite {
    fn set_upgrade_plan(&mut self, plan: &Plan) -> TxResult {
        Ok(self.put(state_key::plan(), plan)?)
    }

    /// The SDK's `ScheduleUpgrade`: `plan` replaces any plan, and the IBC states scheduled
    /// with the replaced one go with it (a counterparty must never be able to prove them).
    fn schedule_upgrade(&mut self, plan: &Plan) -> TxResult {
        self.clear_upgrade_plan()?;
        self.set_upgrade_plan(plan)
    }

    /// Drops the plan and its upgraded IBC states (cancelled, replaced or applied).
    fn clear_upgrade_plan(&mut self) -> TxResult {
        if let Some(old) = self.upgrade_plan()? {
            self.clear_upgraded_ibc_state(old.height)?;
        }
        Ok(self.delete(state_key::plan())?)
    }

    fn set_upgraded_client(&mut self, height: u64, any: Vec<u8>) -> TxResult {
        Ok(self.put_raw(state_key::upgraded_client(height), any)?)
    }

    fn set_upgraded_consensus_state(&mut self, height: u64, any: Vec<u8>) -> TxResult {
        Ok(self.put_raw(state_key::upgraded_consensus_state(height), any)?)
    }

    fn clear_upgraded_ibc_state(&mut self, height: u64) -> TxResult {
        self.delete(state_key::upgraded_client(height))?;
        Ok(self.delete(state_key::upgraded_consensus_state(height))?)
    }

    /// Records `plan` as applied at its height and clears it.
    fn mark_applied(&mut self, plan: &Plan) -> TxResult {
        self.record_applied(&plan.name, plan.height)?;
        self.clear_upgrade_plan()
    }

    fn record_applied(&mut self, name: &str, height: u64) -> TxResult {
        Ok(self.put(state_key::done(name), &height)?)
    }

    fn set_module_version(&mut self, module: &str, version: u64) -> TxResult {
        Ok(self.put(state_key::version(module), &version)?)
    }
}
impl<S: StateWrite + ?Sized> UpgradeKeeper for S {}
