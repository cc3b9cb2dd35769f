//! The app manifest: the chain's modules, in order. Genesis validation, `InitChain`, block hooks,
//! message routing, the query registry (ABCI and gRPC) and the CLI's genesis commands all take
//! the module list from here; adding a module is adding it here.

use estuary_sdk::ModuleManager;

/// The modules of the chain, in the order their genesis and block hooks run.
pub fn modules() -> ModuleManager {
    ModuleManager::new(vec![
        Box::new(estuary_auth::Auth),
        Box::new(estuary_bank::Bank),
        Box::new(estuary_validators::Validators),
        Box::new(estuary_ibc::Ibc),
        Box::new(estuary_ibc::transfer::Transfer),
    ])
}
