use std::collections::BTreeSet;

use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use estuary_sdk::{Address, Any, Coin, Event, TxContext, TxError, TxResult};

use crate::keeper::{BankKeeper, BankReader};

pub const MSG_SEND: &str = "/cosmos.bank.v1beta1.MsgSend";

/// A `MsgSend` whose fields have been checked.
struct Send {
    from: Address,
    to: Address,
    coins: Vec<Coin>,
}

fn decode_send(msg: &Any) -> TxResult<Send> {
    let raw: MsgSend = estuary_sdk::proto::decode_strict(&msg.value, "MsgSend")?;
    let from = Address::parse(&raw.from_address)?;
    let to = Address::parse(&raw.to_address)?;
    if raw.amount.is_empty() {
        return Err(TxError::InvalidCoins("no coins to send".into()));
    }
    let mut denoms = BTreeSet::new();
    let mut coins = Vec::with_capacity(raw.amount.len());
    for c in &raw.amount {
        let coin = Coin::from_proto(c)?;
        if coin.amount == 0 {
            return Err(TxError::InvalidCoins(format!(
                "{coin}: amounts must be positive"
            )));
        }
        if !denoms.insert(coin.denom.clone()) {
            return Err(TxError::InvalidCoins(format!(
                "duplicate denomination {}",
                coin.denom
            )));
        }
        coins.push(coin);
    }
    Ok(Send { from, to, coins })
}

/// `MsgSend` as amino JSON (`cosmos-sdk/MsgSend`), field for field as it was signed.
pub fn amino_json(msg: &Any) -> TxResult<serde_json::Value> {
    let raw: MsgSend = estuary_sdk::proto::decode_strict(&msg.value, "MsgSend")?;
    Ok(estuary_sdk::amino::msg(
        "cosmos-sdk/MsgSend",
        serde_json::json!({
            "amount": estuary_sdk::amino::coins(&raw.amount),
            "from_address": raw.from_address,
            "to_address": raw.to_address,
        }),
    ))
}

pub fn signers(msg: &Any) -> TxResult<Vec<Address>> {
    Ok(vec![decode_send(msg)?.from])
}

pub fn deliver(ctx: &mut TxContext<'_>, msg: &Any) -> TxResult {
    let send = decode_send(msg)?;
    if !ctx.is_signer(&send.from) {
        return Err(TxError::Unauthorized(format!(
            "{} did not sign this transaction",
            send.from
        )));
    }
    if !ctx.state().bank_params()?.default_send_enabled {
        return Err(TxError::Module {
            codespace: "bank",
            code: 5,
            log: "transfers are currently disabled".into(),
        });
    }
    let events = ctx.state.send(&send.from, &send.to, &send.coins)?;
    for e in events {
        ctx.emit(e);
    }
    ctx.emit(Event::new("message").attr("sender", send.from));
    Ok(())
}
