//! `audit` (escrow on one side against vouchers in circulation on the other) and `report` (the
//! fate of every packet on a channel), read from both chains.

use anyhow::Result;
use cosmrs::proto::cosmos::bank::v1beta1 as bank;
use ibc_proto::ibc::applications::transfer::v1 as transfer;
use serde::Serialize;

use crate::chain::Chain;
use crate::link::End;

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
        .query(
            "/ibc.applications.transfer.v1.Query/EscrowAddress",
            &transfer::QueryEscrowAddressRequest {
                port_id: "transfer".into(),
                channel_id: src_end.channel_id.clone(),
            },
        )
        .await?;
    let held: bank::QueryAllBalancesResponse = src
        .query(
            "/cosmos.bank.v1beta1.Query/AllBalances",
            &bank::QueryAllBalancesRequest {
                address: escrow.escrow_address,
                ..Default::default()
            },
        )
        .await?;
    let mut out = Vec::new();
    for coin in held.balances {
        // The full trace of what is escrowed, then one more hop onto `dst`'s channel.
        let full = match coin.denom.strip_prefix("ibc/") {
            Some(hash) => {
                let t: transfer::QueryDenomTraceResponse = src
                    .query(
                        "/ibc.applications.transfer.v1.Query/DenomTrace",
                        &transfer::QueryDenomTraceRequest { hash: hash.into() },
                    )
                    .await?;
                let t = t.denom_trace.unwrap_or_default();
                format!("{}/{}", t.path, t.base_denom)
            }
            None => coin.denom.clone(),
        };
        let voucher =
            estuary_ibc::ics20::voucher_denom(&format!("transfer/{}/{full}", dst_end.channel_id));
        let supply: bank::QuerySupplyOfResponse = dst
            .query(
                "/cosmos.bank.v1beta1.Query/SupplyOf",
                &bank::QuerySupplyOfRequest {
                    denom: voucher.clone(),
                },
            )
            .await?;
        let escrowed: u128 = coin.amount.parse().unwrap_or(0);
        let vouchers: u128 = supply.amount.map_or(0, |c| c.amount.parse().unwrap_or(0));
        out.push(AuditLine {
            escrow_chain: src.id().into(),
            channel_id: src_end.channel_id.clone(),
            denom: coin.denom,
            escrowed,
            voucher,
            vouchers,
            balanced: escrowed == vouchers,
        });
    }
    Ok(out)
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
