/// A substore: one Merkle tree whose root is committed under `name()` in the outer tree.
///
/// Keys are routed by prefix: a key `ibc/<path>` lives in the `ibc` substore under `<path>`,
/// a key `upgrade/upgradedIBCState/<rest>` in the `upgrade` substore under
/// `upgradedIBCState/<rest>`, everything else in `main`. This keeps ICS-24 paths exactly as
/// ibc-go stores them, and the upgraded client and consensus states where every counterparty's
/// client of this chain looks for them: its `upgrade_path` is `["upgrade", "upgradedIBCState"]`
/// (Hermes and our relayer write that, as for every SDK chain), so they must be provable in a
/// substore named `upgrade`. The upgrade module's own keys (`upgrade/plan`, …) stay in `main`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Substore {
    Main,
    Ibc,
    Upgrade,
}

impl Substore {
    pub const ALL: [Substore; 3] = [Substore::Main, Substore::Ibc, Substore::Upgrade];
    const IBC_PREFIX: &'static [u8] = b"ibc/";
    /// Full keys of the `upgrade` substore start with this; what follows `upgrade/` is the key
    /// inside it, so its local keys all start with `upgradedIBCState/`.
    const UPGRADE_PREFIX: &'static [u8] = b"upgrade/upgradedIBCState/";
    const UPGRADE_STRIP: usize = b"upgrade/".len();

    pub fn name(self) -> &'static str {
        match self {
            Substore::Main => "main",
            Substore::Ibc => "ibc",
            Substore::Upgrade => "upgrade",
        }
    }

    /// The substore called `name` (as ABCI's `store/<name>/key` queries name it).
    pub fn named(name: &str) -> Option<Substore> {
        Substore::ALL.into_iter().find(|s| s.name() == name)
    }

    /// One byte that namespaces this substore's rows in the database.
    #[cfg_attr(not(feature = "db"), allow(dead_code))]
    pub(crate) fn tag(self) -> u8 {
        match self {
            Substore::Main => b'm',
            Substore::Ibc => b'i',
            Substore::Upgrade => b'u',
        }
    }

    /// Splits a full state key into its substore and the key inside it.
    pub fn route(key: &[u8]) -> (Substore, &[u8]) {
        if let Some(rest) = key.strip_prefix(Self::IBC_PREFIX) {
            return (Substore::Ibc, rest);
        }
        if key.starts_with(Self::UPGRADE_PREFIX) {
            if let Some(local) = key.get(Self::UPGRADE_STRIP..) {
                return (Substore::Upgrade, local);
            }
        }
        (Substore::Main, key)
    }

    /// The full state key for `key` inside this substore.
    pub fn full_key(self, key: &[u8]) -> Vec<u8> {
        match self {
            Substore::Main => key.to_vec(),
            Substore::Ibc => [Self::IBC_PREFIX, key].concat(),
            Substore::Upgrade => [&b"upgrade/"[..], key].concat(),
        }
    }
}

/// The tag for the outer tree (substore name → substore root).
#[cfg_attr(not(feature = "db"), allow(dead_code))]
pub(crate) const OUTER_TAG: u8 = b'o';

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_prefix() {
        assert_eq!(
            Substore::route(b"ibc/clients/x"),
            (Substore::Ibc, &b"clients/x"[..])
        );
        assert_eq!(
            Substore::route(b"bank/balance"),
            (Substore::Main, &b"bank/balance"[..])
        );
        assert_eq!(Substore::Ibc.full_key(b"a"), b"ibc/a".to_vec());
        assert_eq!(
            Substore::route(b"upgrade/upgradedIBCState/7/upgradedClient"),
            (Substore::Upgrade, &b"upgradedIBCState/7/upgradedClient"[..])
        );
        assert_eq!(
            Substore::route(b"upgrade/plan"),
            (Substore::Main, &b"upgrade/plan"[..])
        );
        let local = b"upgradedIBCState/7/upgradedConsState";
        assert_eq!(
            Substore::route(&Substore::Upgrade.full_key(local)),
            (Substore::Upgrade, &local[..])
        );
    }
}
