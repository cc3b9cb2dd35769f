//! IBC queries at ibc-go's gRPC method paths, answered from the `ibc` substore. The same functions
//! serve ABCI queries (what the CLI uses) and the gRPC server (what relayers use). Proofs are not
//! attached here: relayers take proofs from ABCI `store/ibc/key` queries, as with ibc-go.

use estuary_sdk::store::{StateRead, Substore};
use estuary_sdk::{page, Address, TxError, TxResult};
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

/// One page of the ibc keys under `prefix` that `select` keeps (given the key below `prefix`
/// and the value), in store-key order as ibc-go pages them.
fn paged<T>(
    state: &dyn StateRead,
    prefix: &str,
    req: Option<&PageRequest>,
    mut select: impl FnMut(&str, Vec<u8>) -> TxResult<Option<T>>,
) -> TxResult<(Vec<T>, Option<PageResponse>)> {
    let full = Substore::Ibc.full_key(prefix.as_bytes());
    let (items, out) = page::paginate(state, &full, req.map(Into::into).as_ref(), |key, value| {
        select(&String::from_utf8_lossy(key), value)
    })?;
    Ok((items, Some(out.into())))
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
        "/ibc.core.client.v1.Query/ClientStates" => client_states(state, data),
        "/ibc.core.client.v1.Query/ConsensusState" => consensus_state(state, at, data),
        "/ibc.core.client.v1.Query/ConsensusStateHeights" => consensus_heights(state, data),
        "/ibc.core.connection.v1.Query/Connection" => connection(state, at, data),
        "/ibc.core.connection.v1.Query/Connections" => connections(state, at, data),
        "/ibc.core.connection.v1.Query/ClientConnections" => client_connections(state, at, data),
        "/ibc.core.connection.v1.Query/ConnectionClientState" => {
            connection_client_state(state, at, data)
        }
        "/ibc.core.channel.v1.Query/Channel" => channel(state, at, data),
        "/ibc.core.channel.v1.Query/Channels" => decode::<chan::QueryChannelsRequest>(data)
            .and_then(|r| channels(state, at, r.pagination.as_ref(), None)),
        "/ibc.core.channel.v1.Query/ConnectionChannels" => {
            decode::<chan::QueryConnectionChannelsRequest>(data)
                .and_then(|r| channels(state, at, r.pagination.as_ref(), Some(r.connection)))
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
        "/ibc.applications.transfer.v1.Query/DenomTraces" => denom_traces(state, data),
        "/ibc.applications.transfer.v1.Query/DenomHash" => denom_hash(data),
        "/ibc.applications.transfer.v1.Query/EscrowAddress" => escrow(data),
        "/ibc.applications.transfer.v1.Query/TotalEscrowForDenom" => total_escrow(state, data),
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

fn client_states(state: &dyn StateRead, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: client::QueryClientStatesRequest = decode(data)?;
    let (client_states, pagination) =
        paged(state, "clients/", req.pagination.as_ref(), |rest, v| {
            let Some(id) = rest.strip_suffix("/clientState") else {
                return Ok(None);
            };
            Ok(Some(client::IdentifiedClientState {
                client_id: id.to_string(),
                client_state: Some(any(&v)?),
            }))
        })?;
    Ok(client::QueryClientStatesResponse {
        client_states,
        pagination,
    }
    .encode_to_vec())
}

fn consensus_state(state: &dyn StateRead, at: &At, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: client::QueryConsensusStateRequest = decode(data)?;
    let (rev, h) = if req.latest_height {
        // As ibc-go: the client state's latest height (one read, not a scan of every height).
        let cs = any(&must(
            state,
            &format!("clients/{}/clientState", req.client_id),
        )?)?;
        let latest =
            ibc_proto::ibc::lightclients::tendermint::v1::ClientState::decode(cs.value.as_slice())
                .ok()
                .and_then(|cs| cs.latest_height)
                .ok_or_else(|| TxError::NotFound(format!("latest height of {}", req.client_id)))?;
        (latest.revision_number, latest.revision_height)
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

/// One page of a client's consensus heights, as ibc-go lists them (store-key order).
fn consensus_heights(state: &dyn StateRead, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: client::QueryConsensusStateHeightsRequest = decode(data)?;
    let prefix = format!("clients/{}/consensusStates/", req.client_id);
    let (heights, pagination) = paged(state, &prefix, req.pagination.as_ref(), |rest, _| {
        Ok(rest.split_once('-').and_then(|(rev, h)| {
            Some(client::Height {
                revision_number: rev.parse().ok()?,
                revision_height: h.parse().ok()?,
            })
        }))
    })?;
    Ok(client::QueryConsensusStateHeightsResponse {
        consensus_state_heights: heights,
        pagination,
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

fn connections(state: &dyn StateRead, at: &At, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: conn::QueryConnectionsRequest = decode(data)?;
    let (connections, pagination) =
        paged(state, "connections/", req.pagination.as_ref(), |id, v| {
            let c: conn::ConnectionEnd = decode(&v)?;
            Ok(Some(conn::IdentifiedConnection {
                id: id.to_string(),
                client_id: c.client_id,
                versions: c.versions,
                state: c.state,
                counterparty: c.counterparty,
                delay_period: c.delay_period,
            }))
        })?;
    Ok(conn::QueryConnectionsResponse {
        connections,
        pagination,
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

fn channels(
    state: &dyn StateRead,
    at: &At,
    req: Option<&PageRequest>,
    on_connection: Option<String>,
) -> TxResult<Vec<u8>> {
    let (out, pagination) = paged(state, "channelEnds/ports/", req, |rest, v| {
        let Some((port_id, channel_id)) = rest.split_once("/channels/") else {
            return Ok(None);
        };
        let c: chan::Channel = decode(&v)?;
        if on_connection
            .as_ref()
            .is_some_and(|conn| !c.connection_hops.contains(conn))
        {
            return Ok(None);
        }
        Ok(Some(chan::IdentifiedChannel {
            state: c.state,
            ordering: c.ordering,
            counterparty: c.counterparty,
            connection_hops: c.connection_hops,
            version: c.version,
            port_id: port_id.to_string(),
            channel_id: channel_id.to_string(),
            upgrade_sequence: c.upgrade_sequence,
        }))
    })?;
    Ok(match on_connection {
        None => chan::QueryChannelsResponse {
            channels: out,
            pagination,
            height: at.height(),
        }
        .encode_to_vec(),
        Some(_) => chan::QueryConnectionChannelsResponse {
            channels: out,
            pagination,
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

/// One page of the packet states of a packet-keyed kind (`commitments`, `acks`) on a channel,
/// in store-key order (decimal sequences sort as strings, as in ibc-go).
fn packet_states(
    state: &dyn StateRead,
    kind: &str,
    (port, channel): (&str, &str),
    req: Option<&PageRequest>,
) -> TxResult<(Vec<chan::PacketState>, Option<PageResponse>)> {
    let prefix = format!("{kind}/ports/{port}/channels/{channel}/sequences/");
    paged(state, &prefix, req, |seq, data| {
        Ok(seq.parse().ok().map(|sequence| chan::PacketState {
            port_id: port.into(),
            channel_id: channel.into(),
            sequence,
            data,
        }))
    })
}

fn packet_commitments(state: &dyn StateRead, at: &At, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: chan::QueryPacketCommitmentsRequest = decode(data)?;
    let (list, pagination) = packet_states(
        state,
        "commitments",
        (&req.port_id, &req.channel_id),
        req.pagination.as_ref(),
    )?;
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
    let (list, pagination) = if req.packet_commitment_sequences.is_empty() {
        packet_states(
            state,
            "acks",
            (&req.port_id, &req.channel_id),
            req.pagination.as_ref(),
        )?
    } else {
        // As ibc-go: the acks of the sequences asked for, looked up one by one (the request's
        // own size bounds the work), no paging.
        let mut list = Vec::new();
        for &sequence in &req.packet_commitment_sequences {
            let path = packet_path("acks", &req.port_id, &req.channel_id, sequence);
            if let Some(data) = raw(state, &path)? {
                list.push(chan::PacketState {
                    port_id: req.port_id.clone(),
                    channel_id: req.channel_id.clone(),
                    sequence,
                    data,
                });
            }
        }
        (list, None)
    };
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

fn denom_traces(state: &dyn StateRead, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: transfer::QueryDenomTracesRequest = decode(data)?;
    let (traces, out) = state.denom_trace_page(req.pagination.as_ref().map(Into::into).as_ref())?;
    Ok(transfer::QueryDenomTracesResponse {
        denom_traces: traces.into_iter().map(trace_proto).collect(),
        pagination: Some(out.into()),
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

/// What every transfer channel's escrow account holds of a denom. ibc-go keeps this total as
/// its own state, updated on escrow and release; here it is the sum of the escrow balances,
/// which is the same unless someone sends tokens to an escrow address by hand.
fn total_escrow(state: &dyn StateRead, data: &[u8]) -> TxResult<Vec<u8>> {
    use estuary_bank::BankReader;
    let req: transfer::QueryTotalEscrowForDenomRequest = decode(data)?;
    let denom = estuary_sdk::Denom::new(req.denom.clone())?;
    let prefix = Substore::Ibc.full_key(b"channelEnds/ports/transfer/channels/");
    let mut total: u128 = 0;
    for (key, _) in state.prefix_raw(&prefix)? {
        let channel =
            String::from_utf8_lossy(key.get(prefix.len()..).unwrap_or_default()).into_owned();
        let escrow = Address(escrow_address(crate::ics20::PORT, &channel));
        total = total
            .checked_add(state.balance(&escrow, &denom)?)
            .ok_or_else(|| TxError::Internal("total escrow overflows".into()))?;
    }
    Ok(transfer::QueryTotalEscrowForDenomResponse {
        amount: Some(ibc_proto::cosmos::base::v1beta1::Coin {
            denom: req.denom,
            amount: total.to_string(),
        }),
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
