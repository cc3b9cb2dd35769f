//! The app manifest: the chain's modules, in order. Genesis validation, `InitChain`, block hooks,
//! message routing, the query registry (ABCI and gRPC) and the CLI's genesis commands all take
//! the module list from here; adding a module is adding it here.

use estuary_sdk::{Module, ModuleManager};

/// The modules of the chain, in the order their genesis and block hooks run. Gov's end block
/// runs before the validators' so that a passed proposal's power change reaches CometBFT in the
/// same block.
pub fn modules() -> ModuleManager {
    let mut list = governed();
    list.insert(
        2,
        Box::new(estuary_gov::Gov::new(ModuleManager::new(governed()))),
    );
    ModuleManager::new(list)
}

/// Every module but gov: the messages a proposal may carry are theirs (gov routes them through
/// its own instances of these modules, which hold no state of their own).
fn governed() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(estuary_auth::Auth),
        Box::new(estuary_bank::Bank),
        Box::new(estuary_validators::Validators),
        Box::new(estuary_ibc::Ibc),
        Box::new(estuary_ibc::transfer::Transfer),
        Box::new(estuary_ibc::rate_limit::RateLimiting),
        Box::new(estuary_upgrade::Upgrade),
    ]
}

/// The upgrades this binary knows, by plan name: at a plan's height a binary with its handler
/// migrates and goes on; one without stops (see `estuary_upgrade`). None yet in a release: the
/// `upgrade-test-handler` feature builds the binary the upgrade test switches to.
pub fn upgrade_handlers() -> Vec<estuary_upgrade::UpgradeHandler> {
    #[allow(unused_mut)]
    let mut handlers = Vec::new();
    #[cfg(feature = "upgrade-test-handler")]
    handlers.push(estuary_upgrade::UpgradeHandler {
        name: "estuary-test-upgrade",
        migrate: test_upgrade,
    });
    handlers
}

/// The test upgrade's migration: records bank's module version 2, a change any node can see.
#[cfg(feature = "upgrade-test-handler")]
fn test_upgrade(state: &mut dyn estuary_sdk::store::StateWrite) -> estuary_sdk::TxResult {
    use estuary_upgrade::UpgradeKeeper;
    state.set_module_version("bank", 2)
}
