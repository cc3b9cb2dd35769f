use thiserror::Error;

/// Why a transfer was refused. On receive these become an error acknowledgement, whose text is
/// ibc-go's: only the code is kept (it is deterministic), the message goes to events.
#[derive(Debug, Error)]
pub enum TransferError {
    #[error("sending is disabled on this chain")]
    SendDisabled,
    #[error("receiving is disabled on this chain")]
    ReceiveDisabled,
    #[error("invalid packet data: {0}")]
    InvalidPacketData(String),
    #[error("invalid amount {0:?}")]
    InvalidAmount(String),
    #[error("invalid denomination: {0}")]
    InvalidDenom(String),
    #[error("unknown denomination trace for {0}")]
    UnknownTrace(String),
    #[error("invalid receiver {0:?}")]
    InvalidReceiver(String),
    #[error("invalid memo: {0}")]
    InvalidMemo(String),
    #[error("channel {channel} holds only {held} of {denom} in escrow, not {wanted}")]
    EscrowShort {
        channel: String,
        denom: String,
        held: u128,
        wanted: u128,
    },
    #[error("{0}")]
    Bank(String),
    #[error("store: {0}")]
    Store(String),
    /// Refused by the rate limiter (ibc-go's `ratelimit` codespace and code).
    #[error("{log}")]
    RateLimited { code: u32, log: String },
}

impl TransferError {
    /// The ABCI code, as the Cosmos SDK / ibc-go transfer module register them.
    pub fn code(&self) -> u32 {
        match self {
            TransferError::SendDisabled => 7,
            TransferError::ReceiveDisabled => 8,
            TransferError::InvalidPacketData(_) => 3,
            TransferError::InvalidAmount(_) => 10,
            TransferError::InvalidDenom(_) | TransferError::UnknownTrace(_) => 2,
            TransferError::InvalidReceiver(_) => 7,
            TransferError::InvalidMemo(_) => 11,
            TransferError::EscrowShort { .. } | TransferError::Bank(_) => 5,
            TransferError::Store(_) => 1,
            TransferError::RateLimited { code, .. } => *code,
        }
    }
}

impl From<estuary_sdk::TxError> for TransferError {
    fn from(e: estuary_sdk::TxError) -> Self {
        match e {
            estuary_sdk::TxError::Internal(m) => TransferError::Store(m),
            other => TransferError::Bank(other.to_string()),
        }
    }
}
