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
use super::state::{set_channel_escrow, set_denom_trace, DenomTrace, TransferReader};

/// ICS-20's slice of genesis: the denom traces and what each channel holds in escrow, so that an
/// exported chain imports with its vouchers traceable and its escrows accounted (the
/// send/receive switches live in the `ibc` slice's params, where they were before the split).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TransferGenesis {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub denom_traces: Vec<GenesisDenomTrace>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub channel_escrows: Vec<GenesisChannelEscrow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisDenomTrace {
    pub path: String,
    pub base_denom: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisChannelEscrow {
    pub port_id: String,
    pub channel_id: String,
    pub denom: String,
    pub amount: String,
}

#[derive(Default)]
pub struct Transfer;

impl Component for Transfer {
    type Genesis = TransferGenesis;

    fn name(&self) -> &'static str {
        "transfer"
    }

    fn init_genesis(&self, state: &mut dyn StateWrite, genesis: &TransferGenesis) -> TxResult {
        let bad = |what: String| {
            estuary_sdk::TxError::InvalidRequest(format!("transfer genesis: {what}"))
        };
        for t in &genesis.denom_traces {
            let trace = DenomTrace {
                path: t.path.clone(),
                base_denom: t.base_denom.clone(),
            };
            if trace.base_denom.is_empty() || DenomTrace::parse(&trace.full()) != trace {
                return Err(bad(format!(
                    "denom trace {}/{} is malformed",
                    t.path, t.base_denom
                )));
            }
            set_denom_trace(state, &trace)?;
        }
        for e in &genesis.channel_escrows {
            let amount: u128 = e
                .amount
                .parse()
                .map_err(|_| bad(format!("escrow amount {:?}", e.amount)))?;
            if e.port_id.is_empty()
                || e.port_id.contains('/')
                || e.channel_id.is_empty()
                || e.channel_id.contains('/')
                || e.denom.is_empty()
            {
                return Err(bad(format!(
                    "escrow of {} on {}/{}",
                    e.denom, e.port_id, e.channel_id
                )));
            }
            set_channel_escrow(state, &e.port_id, &e.channel_id, &e.denom, amount)?;
        }
        Ok(())
    }

    fn export_genesis(&self, state: &dyn StateRead) -> TxResult<TransferGenesis> {
        Ok(TransferGenesis {
            denom_traces: state
                .denom_traces()?
                .into_iter()
                .map(|t| GenesisDenomTrace {
                    path: t.path,
                    base_denom: t.base_denom,
                })
                .collect(),
            channel_escrows: state
                .channel_escrows()?
                .into_iter()
                .map(
                    |(port_id, channel_id, denom, amount)| GenesisChannelEscrow {
                        port_id,
                        channel_id,
                        denom,
                        amount: amount.to_string(),
                    },
                )
                .collect(),
        })
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
