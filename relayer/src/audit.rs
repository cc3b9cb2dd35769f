//! `audit` (escrow on one side against vouchers in circulation on the other) and `report` (the
//! fate of every packet on a channel), read from both chains.

use anyhow::Result;
use cosmrs::proto::cosmos::bank::v1beta1 as bank;
use ibc_proto::ibc::applications::transfer::v1 as transfer;
use serde::Serialize;

use std::collections::BTreeMap;

use estuary_ibc::ics20::{ack_commitment, success_ack, voucher_denom, PacketData};

use crate::chain::Chain;
use crate::link::End;
use crate::relay::{packet, pending_commitments, EventIndex};

#[derive(Debug, Serialize)]
pub struct AuditLine {
    /// The chain that holds the tokens in escrow.
    pub escrow_chain: String,
    pub channel_id: String,
    /// The denom as the escrow chain knows it.
    pub denom: String,
    pub escrowed: u128,
    /// The voucher on the other chain, and how many of it exist.
    pub voucher: String,
    pub vouchers: u128,
    /// Tokens on their way that explain a gap: escrowed but not yet credited on the other side
    /// (not received, or refused and waiting for their refund), or vouchers burnt on the other
    /// side on their way home but not yet released here.
    pub in_flight: u128,
    /// `escrowed == vouchers + in_flight`: exact at any moment, not only when the link is idle.
    pub balanced: bool,
}

/// For every denom held in `src`'s escrow for its channel: the matching voucher supply on `dst`.
async fn audit_side(
    src: &Chain,
    src_end: &End,
    dst: &Chain,
    dst_end: &End,
) -> Result<Vec<AuditLine>> {
    let escrow: transfer::QueryEscrowAddressResponse = src
        .query(&transfer::QueryEscrowAddressRequest {
            port_id: "transfer".into(),
            channel_id: src_end.channel_id.clone(),
        })
        .await?;
    let held: bank::QueryAllBalancesResponse = src
        .query(&bank::QueryAllBalancesRequest {
            address: escrow.escrow_address,
            ..Default::default()
        })
        .await?;
    let flying = in_flight(src, src_end, dst, dst_end).await?;
    let mut out = Vec::new();
    for coin in held.balances {
        // The full trace of what is escrowed, then one more hop onto `dst`'s channel.
        let full = match coin.denom.strip_prefix("ibc/") {
            Some(hash) => {
                let t: transfer::QueryDenomTraceResponse = src
                    .query(&transfer::QueryDenomTraceRequest { hash: hash.into() })
                    .await?;
                let t = t.denom_trace.unwrap_or_default();
                format!("{}/{}", t.path, t.base_denom)
            }
            None => coin.denom.clone(),
        };
        let voucher =
            estuary_ibc::ics20::voucher_denom(&format!("transfer/{}/{full}", dst_end.channel_id));
        let supply: bank::QuerySupplyOfResponse = dst
            .query(&bank::QuerySupplyOfRequest {
                denom: voucher.clone(),
            })
            .await?;
        let escrowed: u128 = coin.amount.parse().unwrap_or(0);
        let vouchers: u128 = supply.amount.map_or(0, |c| c.amount.parse().unwrap_or(0));
        let in_flight = flying.get(&coin.denom).copied().unwrap_or(0);
        out.push(AuditLine {
            escrow_chain: src.id().into(),
            channel_id: src_end.channel_id.clone(),
            denom: coin.denom,
            escrowed,
            voucher,
            vouchers,
            in_flight,
            balanced: Some(escrowed) == vouchers.checked_add(in_flight),
        });
    }
    Ok(out)
}

/// What is in flight between `src`'s escrow and `dst`'s vouchers, by `src`'s local denom.
async fn in_flight(src: &Chain, se: &End, dst: &Chain, de: &End) -> Result<BTreeMap<String, u128>> {
    let mut out: BTreeMap<String, u128> = BTreeMap::new();
    // Escrowed on `src` for packets that `dst` has not credited (yet, or ever: error ack).
    let mut index = EventIndex::new();
    for seq in pending_commitments(src, se).await? {
        let p = packet(src, se, seq, &mut index).await?;
        let Ok(data) = PacketData::from_bytes(&p.data) else {
            continue;
        };
        if data
            .denom
            .starts_with(&format!("transfer/{}/", se.channel_id))
        {
            continue; // a voucher going home: burnt on `src`, never escrowed there
        }
        if !credited(dst, &de.channel_id, seq).await? {
            add(&mut out, voucher_denom(&data.denom), &data.amount);
        }
    }
    // Vouchers burnt on `dst` on their way home that `src` has not released (yet, or ever).
    let mut index = EventIndex::new();
    let home = format!("transfer/{}/", de.channel_id);
    for seq in pending_commitments(dst, de).await? {
        let p = packet(dst, de, seq, &mut index).await?;
        let Ok(data) = PacketData::from_bytes(&p.data) else {
            continue;
        };
        if let Some(on_src) = data.denom.strip_prefix(&home) {
            if !credited(src, &se.channel_id, seq).await? {
                add(&mut out, voucher_denom(on_src), &data.amount);
            }
        }
    }
    Ok(out)
}

/// Whether `on` received packet `seq` on `channel` and acknowledged it with success (so it
/// minted or released the tokens).
async fn credited(on: &Chain, channel: &str, seq: u64) -> Result<bool> {
    let ack = on
        .ibc_value(&format!(
            "acks/ports/transfer/channels/{channel}/sequences/{seq}"
        ))
        .await?;
    Ok(ack == ack_commitment(&success_ack()))
}

fn add(totals: &mut BTreeMap<String, u128>, denom: String, amount: &str) {
    let entry = totals.entry(denom).or_default();
    *entry = entry.saturating_add(amount.parse().unwrap_or(0));
}

pub async fn audit(a: &Chain, ea: &End, b: &Chain, eb: &End) -> Result<Vec<AuditLine>> {
    let mut lines = audit_side(a, ea, b, eb).await?;
    lines.extend(audit_side(b, eb, a, ea).await?);
    Ok(lines)
}

#[derive(Debug, Serialize)]
pub struct PacketFate {
    pub from: String,
    pub sequence: u64,
    /// `pending` (sent, not received), `received` (ack not yet back), `acked`, `timed_out`.
    pub fate: &'static str,
    pub sent_height: Option<u64>,
    pub received_height: Option<u64>,
    pub acked_height: Option<u64>,
}

/// Every packet sent from `src` on its channel, with what became of it.
pub async fn report(src: &Chain, se: &End, dst: &Chain, de: &End) -> Result<Vec<PacketFate>> {
    let next = src
        .ibc_value(&format!(
            "nextSequenceSend/ports/transfer/channels/{}",
            se.channel_id
        ))
        .await?;
    let next = u64::from_be_bytes(
        next.as_slice()
            .try_into()
            .unwrap_or([0, 0, 0, 0, 0, 0, 0, 1]),
    );
    let mut out = Vec::new();
    for seq in 1..next {
        let committed = !src
            .ibc_value(&format!(
                "commitments/ports/transfer/channels/{}/sequences/{seq}",
                se.channel_id
            ))
            .await?
            .is_empty();
        let received = !dst
            .ibc_value(&format!(
                "receipts/ports/transfer/channels/{}/sequences/{seq}",
                de.channel_id
            ))
            .await?
            .is_empty();
        let fate = match (committed, received) {
            (true, false) => "pending",
            (true, true) => "received",
            (false, true) => "acked",
            (false, false) => "timed_out",
        };
        let s = seq.to_string();
        let sent = src
            .find_event_at(
                "send_packet",
                &[
                    ("packet_src_channel", se.channel_id.clone()),
                    ("packet_sequence", s.clone()),
                ],
            )
            .await?;
        let recv = dst
            .find_event_at(
                "write_acknowledgement",
                &[
                    ("packet_dst_channel", de.channel_id.clone()),
                    ("packet_sequence", s.clone()),
                ],
            )
            .await?;
        let acked = src
            .find_event_at(
                "acknowledge_packet",
                &[
                    ("packet_src_channel", se.channel_id.clone()),
                    ("packet_sequence", s),
                ],
            )
            .await?;
        out.push(PacketFate {
            from: src.id().into(),
            sequence: seq,
            fate,
            sent_height: sent.map(|(h, _)| h),
            received_height: recv.map(|(h, _)| h),
            acked_height: acked.map(|(h, _)| h),
        });
    }
    Ok(out)
}
