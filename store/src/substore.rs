/// A substore: one Merkle tree whose root is committed under `name()` in the outer tree.
///
/// Keys are routed by prefix: a key `ibc/<path>` lives in the `ibc` substore under `<path>`,
/// everything else in `main`. This keeps ICS-24 paths exactly as ibc-go stores them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Substore {
    Main,
    Ibc,
}

impl Substore {
    pub const ALL: [Substore; 2] = [Substore::Main, Substore::Ibc];
    const IBC_PREFIX: &'static [u8] = b"ibc/";

    pub fn name(self) -> &'static str {
        match self {
            Substore::Main => "main",
            Substore::Ibc => "ibc",
        }
    }

    /// One byte that namespaces this substore's rows in the database.
    #[cfg_attr(not(feature = "db"), allow(dead_code))]
    pub(crate) fn tag(self) -> u8 {
        match self {
            Substore::Main => b'm',
            Substore::Ibc => b'i',
        }
    }

    /// Splits a full state key into its substore and the key inside it.
    pub fn route(key: &[u8]) -> (Substore, &[u8]) {
        match key.strip_prefix(Self::IBC_PREFIX) {
            Some(rest) => (Substore::Ibc, rest),
            None => (Substore::Main, key),
        }
    }

    /// The full state key for `key` inside this substore.
    pub fn full_key(self, key: &[u8]) -> Vec<u8> {
        match self {
            Substore::Main => key.to_vec(),
            Substore::Ibc => [Self::IBC_PREFIX, key].concat(),
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
    }
}
