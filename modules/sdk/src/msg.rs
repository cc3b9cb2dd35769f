//! Messages, typed once: a module turns each `Any` it owns into a [`Msg`] when the transaction
//! is decoded, and the pipeline uses that one value for signers, the stateless checks, the amino
//! JSON sign bytes and execution. No message is decoded twice.

use crate::address::Address;
use crate::context::TxContext;
use crate::error::{TxError, TxResult};
use crate::Any;

/// Who must sign a message. Never empty: a message nobody signs could be sent by anyone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signers(Vec<Address>);

impl Signers {
    pub fn one(signer: Address) -> Self {
        Signers(vec![signer])
    }

    pub fn new(signers: Vec<Address>) -> TxResult<Self> {
        if signers.is_empty() {
            return Err(TxError::Unauthorized("a message must have a signer".into()));
        }
        Ok(Signers(signers))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Address> {
        self.0.iter()
    }
}

/// A decoded message of one module.
pub trait Msg: Send + Sync + 'static {
    /// Who must sign it (the SDK's `GetSigners`).
    fn signers(&self) -> &Signers;

    /// The checks that need no state (the SDK's `ValidateBasic`). The router runs them as soon
    /// as the message is decoded, so CheckTx keeps a malformed message out of the mempool.
    fn validate_basic(&self) -> TxResult {
        Ok(())
    }

    /// Runs the message against state.
    fn execute(&self, ctx: &mut TxContext<'_>) -> TxResult;

    /// The legacy amino JSON (`{"type": "cosmos-sdk/MsgSend", "value": {…}}`) that
    /// SIGN_MODE_LEGACY_AMINO_JSON signs, for the messages Ledger and Keplr's amino path sign;
    /// `None` when the message has no amino form.
    fn amino_json(&self) -> Option<TxResult<serde_json::Value>> {
        None
    }

    /// The message as `std::any::Any`, for a module's whole-transaction check (`check_tx`)
    /// that looks at its own messages' typed contents.
    fn as_any(&self) -> &dyn std::any::Any;
}

/// A message as the router hands it on: the bytes it came as, the module that owns it, and the
/// typed value.
pub struct DecodedMsg {
    pub any: Any,
    pub module: &'static str,
    pub msg: Box<dyn Msg>,
}

impl DecodedMsg {
    pub fn type_url(&self) -> &str {
        &self.any.type_url
    }

    pub fn amino_json(&self) -> TxResult<serde_json::Value> {
        self.msg.amino_json().unwrap_or_else(|| {
            Err(TxError::InvalidRequest(format!(
                "{} cannot be signed with SIGN_MODE_LEGACY_AMINO_JSON",
                self.any.type_url
            )))
        })
    }

    /// The typed message as `T`, if it is one.
    pub fn downcast<T: 'static>(&self) -> Option<&T> {
        self.msg.as_any().downcast_ref::<T>()
    }
}

impl std::fmt::Debug for DecodedMsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodedMsg")
            .field("type_url", &self.any.type_url)
            .field("module", &self.module)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signers_are_never_empty() {
        assert!(Signers::new(vec![]).is_err());
        let a = Address([1; 20]);
        assert_eq!(Signers::one(a).iter().count(), 1);
    }
}
