use std::collections::BTreeSet;

use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use estuary_sdk::{Address, Any, Coin, Event, Msg, Signers, TxContext, TxError, TxResult};

use crate::keeper::{BankKeeper, BankReader};

pub const MSG_SEND: &str = "/cosmos.bank.v1beta1.MsgSend";

/// A decoded `MsgSend`: the addresses and coins parsed, the wire form kept for its amino JSON.
pub struct Send {
    raw: MsgSend,
    from: Address,
    to: Address,
    coins: Vec<Coin>,
    signers: Signers,
}

pub fn decode(msg: &Any) -> TxResult<Box<dyn Msg>> {
    let raw: MsgSend = estuary_sdk::proto::decode_strict(&msg.value, "MsgSend")?;
    let from = Address::parse(&raw.from_address)?;
    let to = Address::parse(&raw.to_address)?;
    let coins = raw
        .amount
        .iter()
        .map(Coin::from_proto)
        .collect::<TxResult<Vec<_>>>()?;
    Ok(Box::new(Send {
        raw,
        from,
        to,
        coins,
        signers: Signers::one(from),
    }))
}

impl Msg for Send {
    fn signers(&self) -> &Signers {
        &self.signers
    }

    /// Something to send, every amount positive, no denom twice (the SDK's `ValidateBasic`).
    fn validate_basic(&self) -> TxResult {
        if self.coins.is_empty() {
            return Err(TxError::InvalidCoins("no coins to send".into()));
        }
        let mut denoms = BTreeSet::new();
        for coin in &self.coins {
            if coin.amount == 0 {
                return Err(TxError::InvalidCoins(format!(
                    "{coin}: amounts must be positive"
                )));
            }
            if !denoms.insert(&coin.denom) {
                return Err(TxError::InvalidCoins(format!(
                    "duplicate denomination {}",
                    coin.denom
                )));
            }
        }
        Ok(())
    }

    fn execute(&self, ctx: &mut TxContext<'_>) -> TxResult {
        if !ctx.is_signer(&self.from) {
            return Err(TxError::Unauthorized(format!(
                "{} did not sign this transaction",
                self.from
            )));
        }
        if !ctx.state().bank_params()?.default_send_enabled {
            return Err(TxError::Module {
                codespace: "bank",
                code: 5,
                log: "transfers are currently disabled".into(),
            });
        }
        let events = ctx.state.send(&self.from, &self.to, &self.coins)?;
        for e in events {
            ctx.emit(e);
        }
        ctx.emit(Event::new("message").attr("sender", self.from));
        Ok(())
    }

    /// `MsgSend` as amino JSON (`cosmos-sdk/MsgSend`), field for field as it was signed.
    fn amino_json(&self) -> Option<TxResult<serde_json::Value>> {
        Some(Ok(estuary_sdk::amino::msg(
            "cosmos-sdk/MsgSend",
            serde_json::json!({
                "amount": estuary_sdk::amino::coins(&self.raw.amount),
                "from_address": self.raw.from_address,
                "to_address": self.raw.to_address,
            }),
        )))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
