//! Relaying: finds what is pending by comparing the two chains' packet state (commitments on the
//! source against receipts on the destination, acks on the destination against commitments on
//! the source), so it needs no memory to be correct: after a crash or a restart it relays exactly
//! what is still owed, and never a packet that has been received.

use anyhow::{Context, Result};
use cosmrs::Any;
use ibc_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use ibc_proto::ibc::core::channel::v1 as chan;
use prost::Message;
use serde::Serialize;
use tracing::{info, warn};

use estuary_client::ibc_msgs::any;
use estuary_client::QueryRequest;

use crate::chain::{attr, parse_height, Chain};
use crate::link::{proof_height, End};

/// What one pass relayed, per direction.
#[derive(Debug, Default, Serialize, Clone)]
pub struct Relayed {
    pub packets: usize,
    pub acks: usize,
    pub timeouts: usize,
    /// Packets whose message could not fit in any transaction (skipped; they time out), as
    /// (the chain that sent them, sequence).
    pub poisoned: Vec<(String, u64)>,
    /// Packets and acks left out because the source RPC's description of them did not hash to
    /// the commitment proven on chain, as (the chain whose RPC lied, sequence).
    pub mismatched: Vec<(String, u64)>,
    /// Classes (receives, timeouts, acknowledgements) whose delivery failed this pass.
    pub errors: usize,
    /// Send→ack latency of the packets whose acks this pass delivered (those whose receive this
    /// relayer delivered too: it knows when they were sent).
    pub latencies: Vec<Latency>,
}

/// How long one packet took from its send to its acknowledgement, both on its sending chain.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    /// The chain that sent it and its channel there.
    pub chain: String,
    pub channel: String,
    pub blocks: u64,
    pub seconds: f64,
}

impl Relayed {
    /// Adds one class's outcome: what it sent, or its error (logged; the other classes go on).
    fn tally(&mut self, class: &str, r: Result<Delivered>, add: impl FnOnce(&mut Self, usize)) {
        match r {
            Ok(d) => {
                add(self, d.sent);
                self.poisoned.extend(d.poisoned);
                self.mismatched.extend(d.mismatched);
            }
            Err(e) => {
                warn!("relaying {class} failed (retried next pass): {e:#}");
                self.errors += 1;
            }
        }
    }
}

impl std::ops::AddAssign for Relayed {
    fn add_assign(&mut self, o: Relayed) {
        self.packets += o.packets;
        self.acks += o.acks;
        self.timeouts += o.timeouts;
        self.poisoned.extend(o.poisoned);
        self.mismatched.extend(o.mismatched);
        self.errors += o.errors;
        self.latencies.extend(o.latencies);
    }
}

/// Sequences sent on `end`'s channel whose commitment is still there (not acked or timed out).
pub async fn pending_commitments(c: &Chain, end: &End) -> Result<Vec<u64>> {
    all_pages(
        c,
        |pagination| chan::QueryPacketCommitmentsRequest {
            port_id: "transfer".into(),
            channel_id: end.channel_id.clone(),
            pagination,
        },
        |r: chan::QueryPacketCommitmentsResponse| {
            (
                r.commitments.iter().map(|p| p.sequence).collect(),
                r.pagination,
            )
        },
    )
    .await
}

/// The sequences of every page of a paginated query: a Cosmos SDK chain answers 100 entries per
/// page unless asked otherwise, so one page would hide the rest of a large burst.
async fn all_pages<R: QueryRequest>(
    c: &Chain,
    request: impl Fn(Option<PageRequest>) -> R,
    sequences: impl Fn(R::Response) -> (Vec<u64>, Option<PageResponse>),
) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    let mut key = Vec::new();
    loop {
        let page = PageRequest {
            key: std::mem::take(&mut key),
            limit: 1000,
            ..Default::default()
        };
        let (seqs, next) = sequences(c.query(&request(Some(page))).await?);
        out.extend(seqs);
        match next {
            Some(p) if !p.next_key.is_empty() => key = p.next_key,
            _ => {
                // Pages come in store-key order (decimal sequences sort as strings, as on any
                // SDK chain); relay in sequence order.
                out.sort_unstable();
                return Ok(out);
            }
        }
    }
}

pub async fn unreceived(dst: &Chain, dst_end: &End, sequences: Vec<u64>) -> Result<Vec<u64>> {
    if sequences.is_empty() {
        return Ok(vec![]);
    }
    let r: chan::QueryUnreceivedPacketsResponse = dst
        .query(&chan::QueryUnreceivedPacketsRequest {
            port_id: "transfer".into(),
            channel_id: dst_end.channel_id.clone(),
            packet_commitment_sequences: sequences,
        })
        .await?;
    Ok(r.sequences)
}

/// Packet events by sequence (with the height of their block), filled a transaction at a time.
pub(crate) type EventIndex = std::collections::HashMap<u64, (u64, Vec<(String, String)>)>;

/// The attributes of the `kind` event for packet `seq` on `channel_key` = `channel`.
async fn packet_event(
    c: &Chain,
    index: &mut EventIndex,
    kind: &str,
    channel_key: &str,
    channel: &str,
    seq: u64,
) -> Result<(u64, Vec<(String, String)>)> {
    if !index.contains_key(&seq) {
        let found = c
            .find_events_at(
                kind,
                &[
                    (channel_key, channel.to_string()),
                    ("packet_sequence", seq.to_string()),
                ],
            )
            .await?;
        for (height, attrs) in found {
            if attr(&attrs, channel_key).ok() == Some(channel) {
                if let Some(s) = attr(&attrs, "packet_sequence")
                    .ok()
                    .and_then(|s| s.parse().ok())
                {
                    index.insert(s, (height, attrs));
                }
            }
        }
    }
    index
        .remove(&seq)
        .with_context(|| format!("no {kind} event for sequence {seq} on {}", c.id()))
}

/// The packet `seq` as its `send_packet` event on `src` describes it. Its send height is
/// remembered on `src` for the latency of its acknowledgement.
pub(crate) async fn packet(
    src: &Chain,
    src_end: &End,
    seq: u64,
    index: &mut EventIndex,
) -> Result<chan::Packet> {
    let (height, attrs) = packet_event(
        src,
        index,
        "send_packet",
        "packet_src_channel",
        &src_end.channel_id,
        seq,
    )
    .await?;
    src.remember_send(&src_end.channel_id, seq, height);
    packet_from_attrs(seq, &attrs)
}

/// A packet as a `send_packet` or `write_acknowledgement` event describes it.
fn packet_from_attrs(seq: u64, attrs: &[(String, String)]) -> Result<chan::Packet> {
    Ok(chan::Packet {
        sequence: seq,
        source_port: attr(attrs, "packet_src_port")?.into(),
        source_channel: attr(attrs, "packet_src_channel")?.into(),
        destination_port: attr(attrs, "packet_dst_port")?.into(),
        destination_channel: attr(attrs, "packet_dst_channel")?.into(),
        data: hex::decode(attr(attrs, "packet_data_hex")?)?,
        timeout_height: Some(parse_height(attr(attrs, "packet_timeout_height")?)?),
        timeout_timestamp: attr(attrs, "packet_timeout_timestamp")?.parse()?,
    })
}

fn timed_out(p: &chan::Packet, dst_height: u64, dst_time_ns: u64) -> bool {
    let by_height = p
        .timeout_height
        .as_ref()
        .is_some_and(|h| h.revision_height != 0 && dst_height >= h.revision_height);
    let by_time = p.timeout_timestamp != 0 && dst_time_ns >= p.timeout_timestamp;
    by_height || by_time
}

/// Relays every packet owed from `src` to `dst`: receives (or, past their timeout, timeouts back
/// on `src`), then the acknowledgements of packets `dst` received. The three classes are
/// independent: a refused batch of one is logged and counted, and the others still go.
pub async fn relay_direction(
    src: &Chain,
    src_end: &End,
    dst: &Chain,
    dst_end: &End,
) -> Result<Relayed> {
    let mut out = Relayed::default();
    let owed = unreceived(dst, dst_end, pending_commitments(src, src_end).await?).await?;
    if !owed.is_empty() {
        let dst_height = dst.latest_height().await?;
        let dst_time = dst.latest_time().await?.unix_timestamp_nanos().max(0) as u64;
        let mut recvs = Vec::new();
        let mut timeouts = Vec::new();
        let mut index = EventIndex::new();
        for seq in owed {
            let p = packet(src, src_end, seq, &mut index).await?;
            if timed_out(&p, dst_height, dst_time) {
                timeouts.push(p);
            } else {
                recvs.push(p);
            }
        }
        if !recvs.is_empty() {
            let sent = deliver_recvs(src, dst, dst_end, &recvs).await;
            out.tally("receives", sent, |o, n| o.packets += n);
        }
        if !timeouts.is_empty() {
            let sent = deliver_timeouts(src, src_end, dst, &timeouts).await;
            if let Ok(d) = &sent {
                for seq in &d.sequences {
                    src.forget_send(&src_end.channel_id, *seq);
                }
            }
            out.tally("timeouts", sent, |o, n| o.timeouts += n);
        }
    }
    let acks = relay_acks(src, src_end, dst, dst_end).await;
    if let Ok(d) = &acks {
        out.latencies = latencies(src, &src_end.channel_id, d).await;
    }
    out.tally("acknowledgements", acks, |o, n| o.acks += n);
    Ok(out)
}

/// The send→ack latency of each acknowledged packet whose send this relayer saw.
async fn latencies(src: &Chain, channel: &str, acked: &Delivered) -> Vec<Latency> {
    let Some(ack_height) = acked.height else {
        return vec![];
    };
    let mut out = Vec::new();
    for seq in &acked.sequences {
        let Some(sent) = src.forget_send(channel, *seq) else {
            continue;
        };
        let seconds = match (src.block_time(sent).await, src.block_time(ack_height).await) {
            (Ok(t0), Ok(t1)) => t1
                .duration_since(t0)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0),
            _ => continue,
        };
        out.push(Latency {
            chain: src.id().into(),
            channel: channel.into(),
            blocks: ack_height.saturating_sub(sent),
            seconds,
        });
    }
    out
}

/// Messages for `packets`, proven at one height, each checked to fit a transaction beside the
/// client update; what does not fit even alone is a poison packet, left out (it times out and is
/// refunded) so that it never blocks the packets behind it.
fn fitting(
    on: &Chain,
    sender: &Chain,
    update: &Option<Any>,
    msgs: Vec<(u64, Any)>,
    poisoned: &mut Vec<(String, u64)>,
) -> Vec<Any> {
    let alongside: Vec<Any> = update.iter().cloned().collect();
    let mut out = alongside.clone();
    for (seq, m) in msgs {
        if on.fits(&m, &alongside) {
            out.push(m);
        } else {
            warn!(
                chain = on.id(),
                sequence = seq,
                bytes = m.encoded_len(),
                limit = on.cfg.max_tx_bytes,
                "poison packet: its message cannot fit in a transaction; skipped until it times out"
            );
            poisoned.push((sender.id().to_string(), seq));
        }
    }
    out
}

/// Submits `msgs` (after the client `update`) on `on`, leaving out the poison packets;
/// `mismatched` are the sequences already left out because their data did not match its proven
/// commitment (reported with what was delivered).
async fn submit_fitting(
    on: &Chain,
    sender: &Chain,
    update: Option<Any>,
    msgs: Vec<(u64, Any)>,
    mismatched: Vec<(String, u64)>,
    class: &str,
) -> Result<Delivered> {
    let mut out = Delivered {
        mismatched,
        ..Delivered::default()
    };
    let sequences: Vec<u64> = msgs.iter().map(|(s, _)| *s).collect();
    let msgs = fitting(on, sender, &update, msgs, &mut out.poisoned);
    out.sent = msgs.len().saturating_sub(usize::from(update.is_some()));
    out.sequences = sequences
        .into_iter()
        .filter(|s| !out.poisoned.iter().any(|(_, p)| p == s))
        .collect();
    if out.sent > 0 {
        let reports = on.submit(msgs).await?;
        out.height = reports.iter().filter_map(|r| r.height).max();
        info!(
            on = on.id(),
            from = sender.id(),
            class,
            messages = out.sent,
            "relayed"
        );
    }
    Ok(out)
}

/// What one class of a pass delivered: messages sent and poison packets skipped.
#[derive(Default)]
pub struct Delivered {
    pub sent: usize,
    pub poisoned: Vec<(String, u64)>,
    pub mismatched: Vec<(String, u64)>,
    /// The sequences sent, and the height of the last block that holds them.
    pub sequences: Vec<u64>,
    pub height: Option<u64>,
}

async fn deliver_recvs(
    src: &Chain,
    dst: &Chain,
    dst_end: &End,
    recvs: &[chan::Packet],
) -> Result<Delivered> {
    let (h, update) = proof_height(src, dst, &dst_end.client_id).await?;
    let mut msgs = Vec::new();
    let mut mismatched = Vec::new();
    for p in recvs {
        let path = format!(
            "commitments/ports/{}/channels/{}/sequences/{}",
            p.source_port, p.source_channel, p.sequence
        );
        let (commitment, proof) = src.proven(&path, h).await?;
        // The packet comes from the source RPC's events, the commitment from a proof checked
        // against the chain's header: only a packet that hashes to it is ever signed for.
        let timeout = p.timeout_height.unwrap_or_default();
        let computed = estuary_ibc::ics20::packet_commitment(
            &p.data,
            timeout.revision_number,
            timeout.revision_height,
            p.timeout_timestamp,
        );
        if !src.matches_commitment("packet", p.sequence, &computed, &commitment) {
            mismatched.push((src.id().to_string(), p.sequence));
            continue;
        }
        let m = chan::MsgRecvPacket {
            packet: Some(p.clone()),
            proof_commitment: proof,
            proof_height: Some(src.height_of(h + 1)),
            signer: dst.signer.clone(),
        };
        msgs.push((p.sequence, any(&m)));
    }
    submit_fitting(dst, src, update, msgs, mismatched, "receives").await
}

async fn deliver_timeouts(
    src: &Chain,
    src_end: &End,
    dst: &Chain,
    timeouts: &[chan::Packet],
) -> Result<Delivered> {
    let (h, update) = proof_height(dst, src, &src_end.client_id).await?;
    let mut msgs = Vec::new();
    for p in timeouts {
        let path = format!(
            "receipts/ports/{}/channels/{}/sequences/{}",
            p.destination_port, p.destination_channel, p.sequence
        );
        let (_, proof) = dst.proven(&path, h).await?;
        let m = chan::MsgTimeout {
            packet: Some(p.clone()),
            proof_unreceived: proof,
            proof_height: Some(dst.height_of(h + 1)),
            next_sequence_recv: p.sequence,
            signer: src.signer.clone(),
        };
        msgs.push((p.sequence, any(&m)));
    }
    submit_fitting(src, src, update, msgs, vec![], "timeouts").await
}

/// Acknowledgements written on `dst` for packets from `src` whose commitment `src` still holds.
async fn relay_acks(src: &Chain, src_end: &End, dst: &Chain, dst_end: &End) -> Result<Delivered> {
    let seqs = all_pages(
        dst,
        |pagination| chan::QueryPacketAcknowledgementsRequest {
            port_id: "transfer".into(),
            channel_id: dst_end.channel_id.clone(),
            pagination,
            packet_commitment_sequences: vec![],
        },
        |r: chan::QueryPacketAcknowledgementsResponse| {
            (
                r.acknowledgements.iter().map(|a| a.sequence).collect(),
                r.pagination,
            )
        },
    )
    .await?;
    if seqs.is_empty() {
        return Ok(Delivered::default());
    }
    let owed: chan::QueryUnreceivedAcksResponse = src
        .query(&chan::QueryUnreceivedAcksRequest {
            port_id: "transfer".into(),
            channel_id: src_end.channel_id.clone(),
            packet_ack_sequences: seqs,
        })
        .await?;
    if owed.sequences.is_empty() {
        return Ok(Delivered::default());
    }
    let (h, update) = proof_height(dst, src, &src_end.client_id).await?;
    let mut msgs = Vec::new();
    let mut mismatched = Vec::new();
    let mut index = EventIndex::new();
    for seq in &owed.sequences {
        let (_, attrs) = packet_event(
            dst,
            &mut index,
            "write_acknowledgement",
            "packet_dst_channel",
            &dst_end.channel_id,
            *seq,
        )
        .await?;
        let p = packet_from_attrs(*seq, &attrs)?;
        let ack = hex::decode(attr(&attrs, "packet_ack_hex")?)?;
        let path = format!(
            "acks/ports/{}/channels/{}/sequences/{seq}",
            p.destination_port, p.destination_channel
        );
        let (commitment, proof) = dst.proven(&path, h).await?;
        let computed = estuary_ibc::ics20::ack_commitment(&ack);
        if !dst.matches_commitment("ack", *seq, &computed, &commitment) {
            mismatched.push((dst.id().to_string(), *seq));
            continue;
        }
        let m = chan::MsgAcknowledgement {
            packet: Some(p),
            acknowledgement: ack,
            proof_acked: proof,
            proof_height: Some(dst.height_of(h + 1)),
            signer: src.signer.clone(),
        };
        msgs.push((*seq, any(&m)));
    }
    submit_fitting(src, src, update, msgs, mismatched, "acknowledgements").await
}
