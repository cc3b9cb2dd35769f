use thiserror::Error;

/// Errors from the store. Storage errors are fatal to the node; `OutOfGas` fails one transaction.
#[derive(Debug, Error)]
pub enum Error {
    #[error("database: {0}")]
    Database(String),
    #[error("merkle tree: {0}")]
    Tree(String),
    #[error("corrupt value under key {key}: {reason}")]
    Corrupt { key: String, reason: String },
    #[error("version {requested} is not available (latest {latest}, earliest kept {earliest})")]
    VersionUnavailable {
        requested: u64,
        latest: u64,
        earliest: u64,
    },
    #[error("out of gas: limit {limit}, wanted {wanted}")]
    OutOfGas { limit: u64, wanted: u64 },
    #[error(
        "the store was written in format {found} and this build reads format {expected}: \
         start the node from a state-sync snapshot or an exported genesis instead"
    )]
    Format { found: u32, expected: u32 },
    #[error("decode {what}: {reason}")]
    Decode { what: &'static str, reason: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(feature = "db")]
macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self { Error::Database(e.to_string()) }
        }
    )*};
}
#[cfg(feature = "db")]
from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Self {
        Error::Tree(format!("{e:#}"))
    }
}
