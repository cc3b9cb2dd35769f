//! The transfer module's own state: denom traces and what each channel holds in escrow.

use borsh::{BorshDeserialize, BorshSerialize};
use estuary_sdk::store::{StateRead, StateReadExt, StateWrite, StateWriteExt};
use estuary_sdk::{Amount, TxResult};
use serde::Serialize;

use crate::ics20::voucher_denom;

/// A voucher's origin: the hops it crossed (`transfer/channel-0/...`) and its base denom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, BorshSerialize, BorshDeserialize)]
pub struct DenomTrace {
    pub path: String,
    pub base_denom: String,
}

impl DenomTrace {
    /// Splits `transfer/channel-0/uatom` into path and base denom (the base may contain `/`).
    pub fn parse(full: &str) -> DenomTrace {
        let parts: Vec<&str> = full.split('/').collect();
        // Leading `port/channel` pairs form the path; the rest is the base denom.
        let hops = parts
            .chunks(2)
            .take_while(|pair| matches!(pair, [port, channel] if is_port_channel(port, channel)))
            .count();
        let (path, base) = parts.split_at(hops.saturating_mul(2).min(parts.len()));
        DenomTrace {
            path: path.join("/"),
            base_denom: base.join("/"),
        }
    }

    pub fn full(&self) -> String {
        if self.path.is_empty() {
            self.base_denom.clone()
        } else {
            format!("{}/{}", self.path, self.base_denom)
        }
    }

    pub fn hash_hex(&self) -> String {
        voucher_denom(&self.full())
            .trim_start_matches("ibc/")
            .to_string()
    }
}

fn is_port_channel(port: &str, channel: &str) -> bool {
    !port.is_empty()
        && channel
            .strip_prefix("channel-")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

const PREFIX_TRACE: &str = "transfer/denomTrace/";

/// The store key (main substore) of the trace of voucher `ibc/<hash_hex>` (a borsh
/// [`DenomTrace`]): what a client proves to read it without trusting the node.
pub fn denom_trace_store_key(hash_hex: &str) -> Vec<u8> {
    trace_key(&hash_hex.to_ascii_uppercase())
}

fn trace_key(hash_hex: &str) -> Vec<u8> {
    format!("{PREFIX_TRACE}{hash_hex}").into_bytes()
}

const PREFIX_ESCROW: &str = "transfer/escrow/";

fn escrow_key(port: &str, channel: &str, full_denom: &str) -> Vec<u8> {
    format!("{PREFIX_ESCROW}{port}/{channel}/{full_denom}").into_bytes()
}

pub trait TransferReader: StateRead {
    fn denom_trace(&self, hash_hex: &str) -> TxResult<Option<DenomTrace>> {
        Ok(self.get(&trace_key(&hash_hex.to_ascii_uppercase()))?)
    }

    fn denom_traces(&self) -> TxResult<Vec<DenomTrace>> {
        let mut out = Vec::new();
        for (_, v) in self.prefix_raw(PREFIX_TRACE.as_bytes())? {
            out.push(
                borsh::from_slice(&v).map_err(|e| estuary_sdk::TxError::Internal(e.to_string()))?,
            );
        }
        Ok(out)
    }

    /// One page of the recorded denom traces, in key (hash) order.
    fn denom_trace_page(
        &self,
        req: Option<&estuary_sdk::page::PageRequest>,
    ) -> TxResult<(Vec<DenomTrace>, estuary_sdk::page::PageResponse)> {
        estuary_sdk::page::paginate(self, PREFIX_TRACE.as_bytes(), req, |_, v| {
            borsh::from_slice(&v)
                .map(Some)
                .map_err(|e| estuary_sdk::TxError::Internal(e.to_string()))
        })
    }

    /// What channel `port/channel` has taken into escrow of `full_denom` and not yet released.
    fn channel_escrow(&self, port: &str, channel: &str, full_denom: &str) -> TxResult<Amount> {
        Ok(self
            .get(&escrow_key(port, channel, full_denom))?
            .unwrap_or(0))
    }

    /// Every channel's escrow record: (port, channel, full denom, amount).
    fn channel_escrows(&self) -> TxResult<Vec<(String, String, String, Amount)>> {
        let mut out = Vec::new();
        for (key, value) in self.prefix_raw(PREFIX_ESCROW.as_bytes())? {
            let rest = String::from_utf8_lossy(key.get(PREFIX_ESCROW.len()..).unwrap_or_default())
                .into_owned();
            let mut parts = rest.splitn(3, '/');
            let (Some(port), Some(channel), Some(denom)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let amount: Amount = borsh::from_slice(&value)
                .map_err(|e| estuary_sdk::TxError::Internal(e.to_string()))?;
            out.push((port.into(), channel.into(), denom.into(), amount));
        }
        Ok(out)
    }
}
impl<S: StateRead + ?Sized> TransferReader for S {}

pub fn set_denom_trace(state: &mut dyn StateWrite, trace: &DenomTrace) -> TxResult {
    Ok(state.put(trace_key(&trace.hash_hex()), trace)?)
}

pub fn set_channel_escrow(
    state: &mut dyn StateWrite,
    port: &str,
    channel: &str,
    full_denom: &str,
    amount: Amount,
) -> TxResult {
    let key = escrow_key(port, channel, full_denom);
    if amount == 0 {
        Ok(state.delete(key)?)
    } else {
        Ok(state.put(key, &amount)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_split_at_the_last_hop() {
        let t = DenomTrace::parse("transfer/channel-1/transfer/channel-0/uatom");
        assert_eq!(t.path, "transfer/channel-1/transfer/channel-0");
        assert_eq!(t.base_denom, "uatom");
        let t = DenomTrace::parse("transfer/channel-0/gamm/pool/1");
        assert_eq!(
            (t.path.as_str(), t.base_denom.as_str()),
            ("transfer/channel-0", "gamm/pool/1")
        );
        assert_eq!(DenomTrace::parse("stake").path, "");
        assert_eq!(
            DenomTrace::parse("transfer/channel-0/uatom").hash_hex(),
            "27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
        );
    }
}
