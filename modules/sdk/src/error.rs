use thiserror::Error;

/// Why a transaction, message or query failed. Each maps to the Cosmos SDK's ABCI code and
/// codespace, so wallets and relayers that match on codes or logs behave as against an SDK chain.
#[derive(Debug, Error)]
pub enum TxError {
    #[error("tx parse error: {0}")]
    Decode(String),
    #[error(
        "account sequence mismatch, expected {expected}, got {got}: incorrect account sequence"
    )]
    WrongSequence { expected: u64, got: u64 },
    #[error("{0}: unauthorized")]
    Unauthorized(String),
    #[error("{0}: insufficient funds")]
    InsufficientFunds(String),
    #[error("{0}: unknown request")]
    UnknownRequest(String),
    #[error("{0}: invalid address")]
    InvalidAddress(String),
    #[error("{0}: invalid pubkey")]
    InvalidPubKey(String),
    #[error("{0}: unknown address")]
    UnknownAddress(String),
    #[error("{0}: invalid coins")]
    InvalidCoins(String),
    #[error("out of gas: gas limit {limit}, wanted {wanted}: out of gas")]
    OutOfGas { limit: u64, wanted: u64 },
    #[error("{0}: memo too large")]
    MemoTooLarge(String),
    #[error("{0}: maximum number of signatures exceeded")]
    TooManySignatures(String),
    #[error("{0}: insufficient fee")]
    InsufficientFee(String),
    #[error("{0}: invalid request")]
    InvalidRequest(String),
    #[error("{0}: tx too large")]
    TxTooLarge(String),
    #[error("{0}: invalid chain-id")]
    InvalidChainId(String),
    #[error("{0}: tx timeout height")]
    TimeoutHeight(String),
    #[error("{0}: not found")]
    NotFound(String),
    #[error("{0}: invalid gas limit")]
    InvalidGasLimit(String),
    /// A module's own error, with its codespace and code.
    #[error("{log}")]
    Module {
        codespace: &'static str,
        code: u32,
        log: String,
    },
    /// Executing the transaction panicked. The panic's text is not part of the result: it could
    /// differ between builds and nodes (paths, addresses), and every node must record the same
    /// result. The wording and code are the Cosmos SDK's (`ErrPanic`, redacted as `runTx` does).
    #[error("panic message redacted to hide potentially sensitive system info: panic")]
    Panic,
    /// The store failed: not the transaction's fault, and not deterministic. The node must stop.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type TxResult<T = ()> = Result<T, TxError>;

/// An error's text as a result log: one line, as ibc-go's, and without what some libraries
/// append: source locations (`Location: /root/.cargo/registry/…/lib.rs:12:5`) and, when
/// `RUST_BACKTRACE` is set, a whole stack backtrace (both from tendermint-proto's error tracer).
/// Those name the build machine's paths, differ between nodes and are nobody's business.
pub fn clean_log(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut words = text.split_whitespace().peekable();
    while let Some(word) = words.next() {
        if word == "Location:" {
            words.next();
            continue;
        }
        if word == "Stack" && words.peek() == Some(&"backtrace:") {
            break;
        }
        out.push(word);
    }
    out.join(" ")
}

impl TxError {
    /// The ABCI (codespace, code) pair, as the Cosmos SDK's `types/errors` registers them.
    pub fn abci_code(&self) -> (&'static str, u32) {
        use TxError::*;
        match self {
            Decode(_) => ("sdk", 2),
            WrongSequence { .. } => ("sdk", 32),
            Unauthorized(_) => ("sdk", 4),
            InsufficientFunds(_) => ("sdk", 5),
            UnknownRequest(_) => ("sdk", 6),
            InvalidAddress(_) => ("sdk", 7),
            InvalidPubKey(_) => ("sdk", 8),
            UnknownAddress(_) => ("sdk", 9),
            InvalidCoins(_) => ("sdk", 10),
            OutOfGas { .. } => ("sdk", 11),
            MemoTooLarge(_) => ("sdk", 12),
            TooManySignatures(_) => ("sdk", 15),
            InsufficientFee(_) => ("sdk", 13),
            InvalidRequest(_) => ("sdk", 18),
            TxTooLarge(_) => ("sdk", 21),
            InvalidChainId(_) => ("sdk", 28),
            TimeoutHeight(_) => ("sdk", 30),
            NotFound(_) => ("sdk", 38),
            InvalidGasLimit(_) => ("sdk", 41),
            Module {
                codespace, code, ..
            } => (codespace, *code),
            Panic => ("undefined", 111222),
            Internal(_) => ("undefined", 1),
        }
    }

    pub fn is_internal(&self) -> bool {
        matches!(self, TxError::Internal(_))
    }
}

impl From<estuary_store::Error> for TxError {
    fn from(e: estuary_store::Error) -> Self {
        match e {
            estuary_store::Error::OutOfGas { limit, wanted } => TxError::OutOfGas { limit, wanted },
            other => TxError::Internal(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn logs_lose_newlines_and_build_paths() {
        let text = "decoding error: missing raw data: `client state` Location: /root/.cargo/registry/src/x/lib.rs:12:5\n  caused by: y";
        assert_eq!(
            super::clean_log(text),
            "decoding error: missing raw data: `client state` caused by: y"
        );
        let traced = "bad sequence Stack backtrace: 0: eyre::DefaultHandler 1: at /work/a.rs:1:2";
        assert_eq!(super::clean_log(traced), "bad sequence");
    }
}
