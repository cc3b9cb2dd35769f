//! IBC queries at ibc-go's gRPC method paths, answered from the `ibc` substore. The same functions
//! serve ABCI queries (what the CLI uses) and the gRPC server (what relayers use). Proofs are not
//! attached here: relayers take proofs from ABCI `store/ibc/key` queries, as with ibc-go.

use estuary_sdk::store::{StateRead, Substore};
use estuary_sdk::{Address, TxError, TxResult};
use ibc_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use ibc_proto::google::protobuf::Any;
use ibc_proto::ibc::applications::transfer::v1 as transfer;
use ibc_proto::ibc::core::channel::v1 as chan;
use ibc_proto::ibc::core::client::v1 as client;
use ibc_proto::ibc::core::connection::v1 as conn;
use prost::Message;

use crate::ics20::escrow_address;
use crate::transfer::{DenomTrace, TransferReader};

/// The chain height a query answers at, reported in responses that carry one.
pub struct At {
    pub revision: u64,
    pub height: u64,
}

impl At {
    fn height(&self) -> Option<client::Height> {
        Some(client::Height {
            revision_number: self.revision,
            revision_height: self.height,
        })
    }
}

fn decode<M: Message + Default>(data: &[u8]) -> TxResult<M> {
    M::decode(data).map_err(|e| TxError::Decode(e.to_string()))
}

fn raw(state: &dyn StateRead, path: &str) -> TxResult<Option<Vec<u8>>> {
    Ok(state.get_raw(&Substore::Ibc.full_key(path.as_bytes()))?)
}

fn must(state: &dyn StateRead, path: &str) -> TxResult<Vec<u8>> {
    raw(state, path)?.ok_or_else(|| TxError::NotFound(path.to_string()))
}

/// `(rest of key after prefix, value)` for every ibc key under `prefix`.
fn scan(state: &dyn StateRead, prefix: &str) -> TxResult<Vec<(String, Vec<u8>)>> {
    let full = Substore::Ibc.full_key(prefix.as_bytes());
    Ok(state
        .prefix_raw(&full)?
        .into_iter()
        .map(|(k, v)| {
            (
                String::from_utf8_lossy(k.get(full.len()..).unwrap_or_default()).into_owned(),
                v,
            )
        })
        .collect())
}

fn page(total: usize) -> Option<PageResponse> {
    Some(PageResponse {
        next_key: vec![],
        total: total as u64,
    })
}

fn any(bytes: &[u8]) -> TxResult<Any> {
    decode(bytes)
}

/// Answers `path`, or `None` when it is not an IBC query.
pub fn handle(
    state: &dyn StateRead,
    at: &At,
    path: &str,
    data: &[u8],
) -> Option<TxResult<Vec<u8>>> {
    let r = match path {
        "/ibc.core.client.v1.Query/ClientState" => client_state(state, at, data),
        "/ibc.core.client.v1.Query/ClientStates" => client_states(state),
        "/ibc.core.client.v1.Query/ConsensusState" => consensus_state(state, at, data),
        "/ibc.core.client.v1.Query/ConsensusStateHeights" => consensus_heights(state, data),
        "/ibc.core.connection.v1.Query/Connection" => connection(state, at, data),
        "/ibc.core.connection.v1.Query/Connections" => connections(state, at),
        "/ibc.core.connection.v1.Query/ClientConnections" => client_connections(state, at, data),
        "/ibc.core.connection.v1.Query/ConnectionClientState" => {
            connection_client_state(state, at, data)
        }
        "/ibc.core.channel.v1.Query/Channel" => channel(state, at, data),
        "/ibc.core.channel.v1.Query/Channels" => channels(state, at, None),
        "/ibc.core.channel.v1.Query/ConnectionChannels" => {
            decode::<chan::QueryConnectionChannelsRequest>(data)
                .and_then(|r| channels(state, at, Some(r.connection)))
        }
        "/ibc.core.channel.v1.Query/ChannelClientState" => channel_client_state(state, at, data),
        "/ibc.core.channel.v1.Query/PacketCommitment" => packet_commitment(state, at, data),
        "/ibc.core.channel.v1.Query/PacketCommitments" => packet_commitments(state, at, data),
        "/ibc.core.channel.v1.Query/PacketReceipt" => packet_receipt(state, at, data),
        "/ibc.core.channel.v1.Query/PacketAcknowledgement" => packet_ack(state, at, data),
        "/ibc.core.channel.v1.Query/PacketAcknowledgements" => packet_acks(state, at, data),
        "/ibc.core.channel.v1.Query/UnreceivedPackets" => unreceived_packets(state, at, data),
        "/ibc.core.channel.v1.Query/UnreceivedAcks" => unreceived_acks(state, at, data),
        "/ibc.core.channel.v1.Query/NextSequenceReceive" => next_sequence_receive(state, at, data),
        "/ibc.applications.transfer.v1.Query/DenomTrace" => denom_trace(state, data),
        "/ibc.applications.transfer.v1.Query/DenomTraces" => denom_traces(state),
        "/ibc.applications.transfer.v1.Query/DenomHash" => denom_hash(data),
        "/ibc.applications.transfer.v1.Query/EscrowAddress" => escrow(data),
        "/ibc.applications.transfer.v1.Query/Params" => transfer_params(state),
        _ => return None,
    };
    Some(r)
}

fn client_state(state: &dyn StateRead, at: &At, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: client::QueryClientStateRequest = decode(data)?;
    let cs = any(&must(
        state,
        &format!("clients/{}/clientState", req.client_id),
    )?)?;
    Ok(client::QueryClientStateResponse {
        client_state: Some(cs),
        proof: vec![],
        proof_height: at.height(),
    }
    .encode_to_vec())
}

fn client_states(state: &dyn StateRead) -> TxResult<Vec<u8>> {
    let mut out = Vec::new();
    for (rest, v) in scan(state, "clients/")? {
        if let Some(id) = rest.strip_suffix("/clientState") {
            out.push(client::IdentifiedClientState {
                client_id: id.to_string(),
                client_state: Some(any(&v)?),
            });
        }
    }
    let n = out.len();
    Ok(client::QueryClientStatesResponse {
        client_states: out,
        pagination: page(n),
    }
    .encode_to_vec())
}

fn consensus_state(state: &dyn StateRead, at: &At, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: client::QueryConsensusStateRequest = decode(data)?;
    let (rev, h) = if req.latest_height {
        let heights = heights_of(state, &req.client_id)?;
        let last = heights
            .last()
            .ok_or_else(|| TxError::NotFound(format!("consensus states of {}", req.client_id)))?;
        (last.revision_number, last.revision_height)
    } else {
        (req.revision_number, req.revision_height)
    };
    let cs = any(&must(
        state,
        &format!("clients/{}/consensusStates/{rev}-{h}", req.client_id),
    )?)?;
    Ok(client::QueryConsensusStateResponse {
        consensus_state: Some(cs),
        proof: vec![],
        proof_height: at.height(),
    }
    .encode_to_vec())
}

fn heights_of(state: &dyn StateRead, client_id: &str) -> TxResult<Vec<client::Height>> {
    let mut out = Vec::new();
    for (rest, _) in scan(state, &format!("clients/{client_id}/consensusStates/"))? {
        if let Some((rev, h)) = rest.split_once('-') {
            if let (Ok(rev), Ok(h)) = (rev.parse(), h.parse()) {
                out.push(client::Height {
                    revision_number: rev,
                    revision_height: h,
                });
            }
        }
    }
    out.sort_by_key(|h| (h.revision_number, h.revision_height));
    Ok(out)
}

fn consensus_heights(state: &dyn StateRead, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: client::QueryConsensusStateHeightsRequest = decode(data)?;
    let heights = heights_of(state, &req.client_id)?;
    let n = heights.len();
    Ok(client::QueryConsensusStateHeightsResponse {
        consensus_state_heights: heights,
        pagination: page(n),
    }
    .encode_to_vec())
}

fn connection_end(state: &dyn StateRead, id: &str) -> TxResult<conn::ConnectionEnd> {
    decode(&must(state, &format!("connections/{id}"))?)
}

fn connection(state: &dyn StateRead, at: &At, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: conn::QueryConnectionRequest = decode(data)?;
    let c = connection_end(state, &req.connection_id)?;
    Ok(conn::QueryConnectionResponse {
        connection: Some(c),
        proof: vec![],
        proof_height: at.height(),
    }
    .encode_to_vec())
}

fn connections(state: &dyn StateRead, at: &At) -> TxResult<Vec<u8>> {
    let mut out = Vec::new();
    for (id, v) in scan(state, "connections/")? {
        let c: conn::ConnectionEnd = decode(&v)?;
        out.push(conn::IdentifiedConnection {
            id,
            client_id: c.client_id,
            versions: c.versions,
            state: c.state,
            counterparty: c.counterparty,
            delay_period: c.delay_period,
        });
    }
    let n = out.len();
    Ok(conn::QueryConnectionsResponse {
        connections: out,
        pagination: page(n),
        height: at.height(),
    }
    .encode_to_vec())
}

fn client_connections(state: &dyn StateRead, at: &At, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: conn::QueryClientConnectionsRequest = decode(data)?;
    let paths: conn::ClientPaths = decode(&must(
        state,
        &format!("clients/{}/connections", req.client_id),
    )?)?;
    Ok(conn::QueryClientConnectionsResponse {
        connection_paths: paths.paths,
        proof: vec![],
        proof_height: at.height(),
    }
    .encode_to_vec())
}

fn identified_client(
    state: &dyn StateRead,
    client_id: &str,
) -> TxResult<client::IdentifiedClientState> {
    let cs = any(&must(state, &format!("clients/{client_id}/clientState"))?)?;
    Ok(client::IdentifiedClientState {
        client_id: client_id.to_string(),
        client_state: Some(cs),
    })
}

fn connection_client_state(state: &dyn StateRead, at: &At, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: conn::QueryConnectionClientStateRequest = decode(data)?;
    let c = connection_end(state, &req.connection_id)?;
    Ok(conn::QueryConnectionClientStateResponse {
        identified_client_state: Some(identified_client(state, &c.client_id)?),
        proof: vec![],
        proof_height: at.height(),
    }
    .encode_to_vec())
}

fn channel_end(state: &dyn StateRead, port: &str, channel: &str) -> TxResult<chan::Channel> {
    decode(&must(
        state,
        &format!("channelEnds/ports/{port}/channels/{channel}"),
    )?)
}

fn channel(state: &dyn StateRead, at: &At, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: chan::QueryChannelRequest = decode(data)?;
    let c = channel_end(state, &req.port_id, &req.channel_id)?;
    Ok(chan::QueryChannelResponse {
        channel: Some(c),
        proof: vec![],
        proof_height: at.height(),
    }
    .encode_to_vec())
}

fn channels(state: &dyn StateRead, at: &At, on_connection: Option<String>) -> TxResult<Vec<u8>> {
    let mut out = Vec::new();
    for (rest, v) in scan(state, "channelEnds/ports/")? {
        let Some((port_id, channel_id)) = rest.split_once("/channels/") else {
            continue;
        };
        let c: chan::Channel = decode(&v)?;
        if on_connection
            .as_ref()
            .is_some_and(|conn| !c.connection_hops.contains(conn))
        {
            continue;
        }
        out.push(chan::IdentifiedChannel {
            state: c.state,
            ordering: c.ordering,
            counterparty: c.counterparty,
            connection_hops: c.connection_hops,
            version: c.version,
            port_id: port_id.to_string(),
            channel_id: channel_id.to_string(),
            upgrade_sequence: c.upgrade_sequence,
        });
    }
    let n = out.len();
    Ok(match on_connection {
        None => chan::QueryChannelsResponse {
            channels: out,
            pagination: page(n),
            height: at.height(),
        }
        .encode_to_vec(),
        Some(_) => chan::QueryConnectionChannelsResponse {
            channels: out,
            pagination: page(n),
            height: at.height(),
        }
        .encode_to_vec(),
    })
}

fn channel_client_state(state: &dyn StateRead, at: &At, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: chan::QueryChannelClientStateRequest = decode(data)?;
    let c = channel_end(state, &req.port_id, &req.channel_id)?;
    let conn_id = c
        .connection_hops
        .first()
        .ok_or_else(|| TxError::NotFound("channel has no connection".into()))?;
    let connection = connection_end(state, conn_id)?;
    Ok(chan::QueryChannelClientStateResponse {
        identified_client_state: Some(identified_client(state, &connection.client_id)?),
        proof: vec![],
        proof_height: at.height(),
    }
    .encode_to_vec())
}

fn packet_path(kind: &str, port: &str, channel: &str, seq: u64) -> String {
    format!("{kind}/ports/{port}/channels/{channel}/sequences/{seq}")
}

fn packet_commitment(state: &dyn StateRead, at: &At, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: chan::QueryPacketCommitmentRequest = decode(data)?;
    let c = must(
        state,
        &packet_path("commitments", &req.port_id, &req.channel_id, req.sequence),
    )?;
    Ok(chan::QueryPacketCommitmentResponse {
        commitment: c,
        proof: vec![],
        proof_height: at.height(),
    }
    .encode_to_vec())
}

/// Every stored sequence of a packet-keyed kind (`commitments`, `acks`, `receipts`) on a channel.
fn packet_states(
    state: &dyn StateRead,
    kind: &str,
    port: &str,
    channel: &str,
) -> TxResult<Vec<chan::PacketState>> {
    let mut out: Vec<chan::PacketState> = scan(
        state,
        &format!("{kind}/ports/{port}/channels/{channel}/sequences/"),
    )?
    .into_iter()
    .filter_map(|(seq, data)| {
        seq.parse().ok().map(|sequence| chan::PacketState {
            port_id: port.into(),
            channel_id: channel.into(),
            sequence,
            data,
        })
    })
    .collect();
    out.sort_by_key(|p| p.sequence);
    Ok(out)
}

/// One page of packet states (sorted by sequence). Without a page request, or with an empty
/// one, every entry comes back (the SDK would stop at 100); otherwise `limit` entries (100 if 0)
/// from `offset` or from `key`, an opaque big-endian sequence this function hands out as
/// `next_key`. Reverse order is not offered.
fn packet_page(
    list: Vec<chan::PacketState>,
    req: Option<&PageRequest>,
) -> TxResult<(Vec<chan::PacketState>, Option<PageResponse>)> {
    let total = list.len();
    let Some(req) = req.filter(|r| r.limit > 0 || r.offset > 0 || !r.key.is_empty()) else {
        return Ok((list, page(total)));
    };
    if req.reverse {
        return Err(TxError::InvalidRequest(
            "reverse pagination is not supported".into(),
        ));
    }
    let start = if req.key.is_empty() {
        usize::try_from(req.offset).unwrap_or(usize::MAX).min(total)
    } else {
        let key: [u8; 8] = req.key.as_slice().try_into().map_err(|_| {
            TxError::InvalidRequest("pagination key: not one this chain handed out".into())
        })?;
        let from = u64::from_be_bytes(key);
        list.partition_point(|p| p.sequence < from)
    };
    let limit = if req.limit == 0 { 100 } else { req.limit };
    let end = start
        .saturating_add(usize::try_from(limit).unwrap_or(usize::MAX))
        .min(total);
    let next_key = list
        .get(end)
        .map_or(Vec::new(), |p| p.sequence.to_be_bytes().to_vec());
    let mut list = list;
    list.truncate(end);
    list.drain(..start);
    Ok((
        list,
        Some(PageResponse {
            next_key,
            total: total as u64,
        }),
    ))
}

fn packet_commitments(state: &dyn StateRead, at: &At, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: chan::QueryPacketCommitmentsRequest = decode(data)?;
    let list = packet_states(state, "commitments", &req.port_id, &req.channel_id)?;
    let (list, pagination) = packet_page(list, req.pagination.as_ref())?;
    Ok(chan::QueryPacketCommitmentsResponse {
        commitments: list,
        pagination,
        height: at.height(),
    }
    .encode_to_vec())
}

fn packet_receipt(state: &dyn StateRead, at: &At, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: chan::QueryPacketReceiptRequest = decode(data)?;
    let received = raw(
        state,
        &packet_path("receipts", &req.port_id, &req.channel_id, req.sequence),
    )?
    .is_some();
    Ok(chan::QueryPacketReceiptResponse {
        received,
        proof: vec![],
        proof_height: at.height(),
    }
    .encode_to_vec())
}

fn packet_ack(state: &dyn StateRead, at: &At, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: chan::QueryPacketAcknowledgementRequest = decode(data)?;
    let a = must(
        state,
        &packet_path("acks", &req.port_id, &req.channel_id, req.sequence),
    )?;
    Ok(chan::QueryPacketAcknowledgementResponse {
        acknowledgement: a,
        proof: vec![],
        proof_height: at.height(),
    }
    .encode_to_vec())
}

fn packet_acks(state: &dyn StateRead, at: &At, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: chan::QueryPacketAcknowledgementsRequest = decode(data)?;
    let mut list = packet_states(state, "acks", &req.port_id, &req.channel_id)?;
    if !req.packet_commitment_sequences.is_empty() {
        list.retain(|p| req.packet_commitment_sequences.contains(&p.sequence));
    }
    let (list, pagination) = packet_page(list, req.pagination.as_ref())?;
    Ok(chan::QueryPacketAcknowledgementsResponse {
        acknowledgements: list,
        pagination,
        height: at.height(),
    }
    .encode_to_vec())
}

/// Of the sequences a counterparty has commitments for, those this chain has no receipt of.
fn unreceived_packets(state: &dyn StateRead, at: &At, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: chan::QueryUnreceivedPacketsRequest = decode(data)?;
    let mut sequences = Vec::new();
    for seq in req.packet_commitment_sequences {
        if raw(
            state,
            &packet_path("receipts", &req.port_id, &req.channel_id, seq),
        )?
        .is_none()
        {
            sequences.push(seq);
        }
    }
    Ok(chan::QueryUnreceivedPacketsResponse {
        sequences,
        height: at.height(),
    }
    .encode_to_vec())
}

/// Of the sequences a counterparty has acks for, those whose commitment this chain still holds.
fn unreceived_acks(state: &dyn StateRead, at: &At, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: chan::QueryUnreceivedAcksRequest = decode(data)?;
    let mut sequences = Vec::new();
    for seq in req.packet_ack_sequences {
        if raw(
            state,
            &packet_path("commitments", &req.port_id, &req.channel_id, seq),
        )?
        .is_some()
        {
            sequences.push(seq);
        }
    }
    Ok(chan::QueryUnreceivedAcksResponse {
        sequences,
        height: at.height(),
    }
    .encode_to_vec())
}

fn next_sequence_receive(state: &dyn StateRead, at: &At, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: chan::QueryNextSequenceReceiveRequest = decode(data)?;
    let bytes = must(
        state,
        &format!(
            "nextSequenceRecv/ports/{}/channels/{}",
            req.port_id, req.channel_id
        ),
    )?;
    let arr: [u8; 8] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| TxError::Internal("sequence is not 8 bytes".into()))?;
    Ok(chan::QueryNextSequenceReceiveResponse {
        next_sequence_receive: u64::from_be_bytes(arr),
        proof: vec![],
        proof_height: at.height(),
    }
    .encode_to_vec())
}

fn trace_proto(t: DenomTrace) -> transfer::DenomTrace {
    transfer::DenomTrace {
        path: t.path,
        base_denom: t.base_denom,
    }
}

fn denom_trace(state: &dyn StateRead, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: transfer::QueryDenomTraceRequest = decode(data)?;
    let hash = req.hash.trim_start_matches("ibc/");
    let t = state
        .denom_trace(hash)?
        .ok_or_else(|| TxError::NotFound(format!("denomination trace for {hash}")))?;
    Ok(transfer::QueryDenomTraceResponse {
        denom_trace: Some(trace_proto(t)),
    }
    .encode_to_vec())
}

fn denom_traces(state: &dyn StateRead) -> TxResult<Vec<u8>> {
    let traces: Vec<_> = state.denom_traces()?.into_iter().map(trace_proto).collect();
    let n = traces.len();
    Ok(transfer::QueryDenomTracesResponse {
        denom_traces: traces,
        pagination: page(n),
    }
    .encode_to_vec())
}

fn denom_hash(data: &[u8]) -> TxResult<Vec<u8>> {
    let req: transfer::QueryDenomHashRequest = decode(data)?;
    let hash = DenomTrace::parse(&req.trace).hash_hex();
    Ok(transfer::QueryDenomHashResponse { hash }.encode_to_vec())
}

fn escrow(data: &[u8]) -> TxResult<Vec<u8>> {
    let req: transfer::QueryEscrowAddressRequest = decode(data)?;
    let address = Address(escrow_address(&req.port_id, &req.channel_id)).to_bech32();
    Ok(transfer::QueryEscrowAddressResponse {
        escrow_address: address,
    }
    .encode_to_vec())
}

fn transfer_params(state: &dyn StateRead) -> TxResult<Vec<u8>> {
    let p = crate::component::params(state)?;
    Ok(transfer::QueryParamsResponse {
        params: Some(transfer::Params {
            send_enabled: p.send_enabled,
            receive_enabled: p.receive_enabled,
        }),
    }
    .encode_to_vec())
}

#[cfg(test)]
mod page_tests {
    use super::*;

    fn states(seqs: &[u64]) -> Vec<chan::PacketState> {
        seqs.iter()
            .map(|&sequence| chan::PacketState {
                sequence,
                ..Default::default()
            })
            .collect()
    }

    fn seqs(list: &[chan::PacketState]) -> Vec<u64> {
        list.iter().map(|p| p.sequence).collect()
    }

    #[test]
    fn pages_walk_every_entry_once() {
        let all = states(&[1, 2, 5, 9, 10]);
        let (list, page) = packet_page(all.clone(), None).unwrap();
        assert_eq!(
            (seqs(&list), page.unwrap().next_key),
            (vec![1, 2, 5, 9, 10], vec![])
        );

        let mut key = Vec::new();
        let mut walked = Vec::new();
        loop {
            let req = PageRequest {
                key: key.clone(),
                limit: 2,
                ..Default::default()
            };
            let (list, page) = packet_page(all.clone(), Some(&req)).unwrap();
            let page = page.unwrap();
            assert_eq!(page.total, 5);
            walked.extend(seqs(&list));
            if page.next_key.is_empty() {
                break;
            }
            key = page.next_key;
        }
        assert_eq!(walked, vec![1, 2, 5, 9, 10]);

        let req = PageRequest {
            offset: 3,
            limit: 10,
            ..Default::default()
        };
        assert_eq!(
            seqs(&packet_page(all.clone(), Some(&req)).unwrap().0),
            vec![9, 10]
        );
    }

    #[test]
    fn bad_page_requests_are_refused() {
        let reverse = PageRequest {
            limit: 1,
            reverse: true,
            ..Default::default()
        };
        assert!(packet_page(states(&[1]), Some(&reverse)).is_err());
        let foreign = PageRequest {
            key: b"not-ours".to_vec()[..3].to_vec(),
            ..Default::default()
        };
        assert!(packet_page(states(&[1]), Some(&foreign)).is_err());
    }
}
