//! The upgrade module's keys: the plan scheduled, the height each applied upgrade ran at, and
//! the upgraded IBC client and consensus states an IBC upgrade commits to (in the `upgrade`
//! substore, at ibc-go's paths, where counterparties' clients verify them).

pub fn plan() -> Vec<u8> {
    b"upgrade/plan".to_vec()
}

pub const PREFIX_DONE: &str = "upgrade/done/";

pub fn done(name: &str) -> Vec<u8> {
    format!("{PREFIX_DONE}{name}").into_bytes()
}

pub const PREFIX_VERSION: &str = "upgrade/versions/";

pub fn version(module: &str) -> Vec<u8> {
    format!("{PREFIX_VERSION}{module}").into_bytes()
}

/// `upgradedIBCState/{height}/upgradedClient` in the `upgrade` substore: the client state a
/// counterparty's client of this chain takes after the upgrade at `height`.
pub fn upgraded_client(height: u64) -> Vec<u8> {
    format!("upgrade/upgradedIBCState/{height}/upgradedClient").into_bytes()
}

/// `upgradedIBCState/{height}/upgradedConsState`: the consensus state that client starts from.
pub fn upgraded_consensus_state(height: u64) -> Vec<u8> {
    format!("upgrade/upgradedIBCState/{height}/upgradedConsState").into_bytes()
}
