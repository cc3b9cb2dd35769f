//! The `transfer` component: ICS-20 as its own module, apart from IBC core (as ibc-go's
//! `apps/transfer` is apart from `core`). It owns `MsgTransfer` and the transfer queries; its
//! packet callbacks run inside IBC core's packet handling through the ibc-rs router
//! ([`super::TransferModule`]).

use estuary_sdk::query::QueryRegistry;
use estuary_sdk::store::{StateRead, StateWrite};
use estuary_sdk::{Address, Any, Component, Msg, Signers, TxContext, TxResult};
use serde::{Deserialize, Serialize};

use ibc_proto::ibc::applications::transfer::v1::MsgTransfer;

use super::send::{decode, deliver_transfer, transfer_amino_json, MSG_TRANSFER};

/// ICS-20's slice of genesis. Empty for now: the send/receive switches live in the `ibc` slice's
/// params (where they were before the split, so existing genesis files keep their meaning), and
/// denom traces and escrows are ordinary state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TransferGenesis {}

#[derive(Default)]
pub struct Transfer;

impl Component for Transfer {
    type Genesis = TransferGenesis;

    fn name(&self) -> &'static str {
        "transfer"
    }

    fn init_genesis(&self, _state: &mut dyn StateWrite, _genesis: &TransferGenesis) -> TxResult {
        Ok(())
    }

    fn export_genesis(&self, _state: &dyn StateRead) -> TxResult<TransferGenesis> {
        Ok(TransferGenesis {})
    }

    fn msg_type_urls(&self) -> &'static [&'static str] {
        &[MSG_TRANSFER]
    }

    fn decode_msg(&self, msg: &Any) -> TxResult<Box<dyn Msg>> {
        let raw = decode(msg)?;
        let sender = Address::parse(&raw.sender)?;
        Ok(Box::new(TransferMsg {
            raw,
            signers: Signers::one(sender),
        }))
    }

    fn register_queries(&self, registry: &mut QueryRegistry) {
        crate::query::register_transfer(registry)
    }
}

/// A decoded `MsgTransfer`. Its other checks (receiver, memo, amount, channel) run in
/// [`deliver_transfer`], after the fee is paid, as they always have: a transfer refused there
/// costs its fee, so a spammer cannot fill blocks for free.
struct TransferMsg {
    raw: MsgTransfer,
    signers: Signers,
}

impl Msg for TransferMsg {
    fn signers(&self) -> &Signers {
        &self.signers
    }

    fn execute(&self, ctx: &mut TxContext<'_>) -> TxResult {
        let host = crate::handler::host_info(ctx)?;
        deliver_transfer(ctx, &self.raw, host)
    }

    fn amino_json(&self) -> Option<TxResult<serde_json::Value>> {
        Some(transfer_amino_json(&self.raw))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
