//! The gov module's errors, with the SDK's codes (codespace `gov`, as `x/gov/types/errors.go` of
//! the SDK v0.50 that ibc-go v8's simd runs), so clients that match on them behave as against an
//! SDK chain. `UNKNOWN_PROPOSAL` is v0.47's (v0.50 answers a deposit on a missing proposal with
//! an unregistered store error).

use estuary_sdk::TxError;

pub const UNKNOWN_PROPOSAL: u32 = 2;
pub const INACTIVE_PROPOSAL: u32 = 3;
pub const INVALID_GENESIS: u32 = 8;
pub const UNROUTABLE_PROPOSAL_MSG: u32 = 10;
pub const NO_PROPOSAL_MSGS: u32 = 11;
pub const INVALID_PROPOSAL_MSG: u32 = 12;
pub const INVALID_SIGNER: u32 = 13;
pub const INVALID_VOTE: u32 = 7;
pub const METADATA_TOO_LONG: u32 = 15;
pub const MIN_DEPOSIT_TOO_SMALL: u32 = 16;
pub const INVALID_PROPOSER: u32 = 18;
pub const VOTING_PERIOD_ENDED: u32 = 20;
pub const INVALID_PROPOSAL: u32 = 21;
pub const SUMMARY_TOO_LONG: u32 = 22;
pub const INVALID_DEPOSIT_DENOM: u32 = 23;

pub fn gov_error(code: u32, log: impl Into<String>) -> TxError {
    TxError::Module {
        codespace: "gov",
        code,
        log: log.into(),
    }
}
