//! The `transfer` component: ICS-20 as its own module, apart from IBC core (as ibc-go's
//! `apps/transfer` is apart from `core`). It owns `MsgTransfer` and the transfer queries; its
//! packet callbacks run inside IBC core's packet handling through the ibc-rs router
//! ([`super::TransferModule`]).

use estuary_sdk::query::QueryRegistry;
use estuary_sdk::store::{StateRead, StateWrite};
use estuary_sdk::{Address, Any, Component, TxContext, TxError, TxResult};
use serde::{Deserialize, Serialize};

use super::send::{deliver_transfer, transfer_amino_json, transfer_signers, MSG_TRANSFER};

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

    fn msg_signers(&self, msg: &Any) -> TxResult<Vec<Address>> {
        transfer_signers(msg)
    }

    fn deliver_msg(&self, ctx: &mut TxContext<'_>, msg: &Any) -> TxResult {
        if msg.type_url != MSG_TRANSFER {
            return Err(TxError::UnknownRequest(format!(
                "unrecognized message type: {}",
                msg.type_url
            )));
        }
        let host = crate::handler::host_info(ctx)?;
        deliver_transfer(ctx, msg, host)
    }

    fn msg_amino_json(&self, msg: &Any) -> TxResult<serde_json::Value> {
        transfer_amino_json(msg)
    }

    fn register_queries(&self, registry: &mut QueryRegistry) {
        crate::query::register_transfer(registry)
    }
}
