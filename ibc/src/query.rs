//! IBC queries at ibc-go's gRPC method paths, answered from the `ibc` substore. The same functions
//! serve ABCI queries (what the CLI uses) and the gRPC server (what relayers use). Proofs are not
//! attached here: relayers take proofs from ABCI `store/ibc/key` queries, as with ibc-go.

use std::fmt::Display;
use std::str::FromStr;

use estuary_sdk::query::{QueryContext, QueryRegistry};
use estuary_sdk::store::{StateRead, Substore};
use estuary_sdk::{page, Address, TxError, TxResult};
use ibc_core::host::types::identifiers::{ChannelId, ClientId, PortId, Sequence};
use ibc_core::host::types::path::{
    AckPath, ChannelEndPath, ClientConnectionPath, ClientConsensusStatePath, ClientStatePath,
    CommitmentPath, ConnectionPath, ReceiptPath, SeqRecvPath, CONSENSUS_STATE_PREFIX,
};
use ibc_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use ibc_proto::google::protobuf::Any;
use ibc_proto::ibc::applications::transfer::v1 as transfer;
use ibc_proto::ibc::core::channel::v1 as chan;
use ibc_proto::ibc::core::client::v1 as client;
use ibc_proto::ibc::core::connection::v1 as conn;
use prost::Message;

use crate::ics20::escrow_address;
use crate::transfer::{DenomTrace, TransferReader};

/// Registers IBC core's query services (client, connection, channel).
pub fn register_core(registry: &mut QueryRegistry) {
    registry
        .register(client_state)
        .register(client_states)
        .register(consensus_state)
        .register(consensus_heights)
        .register(consensus_states)
        .register(upgraded_client_state)
        .register(upgraded_consensus_state)
        .register(connection)
        .register(connections)
        .register(client_connections)
        .register(connection_client_state)
        .register(channel)
        .register(|ctx, r: chan::QueryChannelsRequest| {
            let (channels, pagination, height) = channels(ctx, r.pagination.as_ref(), None)?;
            Ok(chan::QueryChannelsResponse {
                channels,
                pagination,
                height,
            })
        })
        .register(|ctx, r: chan::QueryConnectionChannelsRequest| {
            let (channels, pagination, height) =
                channels(ctx, r.pagination.as_ref(), Some(r.connection))?;
            Ok(chan::QueryConnectionChannelsResponse {
                channels,
                pagination,
                height,
            })
        })
        .register(channel_client_state)
        .register(packet_commitment)
        .register(packet_commitments)
        .register(packet_receipt)
        .register(packet_ack)
        .register(packet_acks)
        .register(unreceived_packets)
        .register(unreceived_acks)
        .register(next_sequence_receive);
}

/// Registers ICS-20's query service (`ibc.applications.transfer.v1.Query`).
pub fn register_transfer(registry: &mut QueryRegistry) {
    registry
        .register(denom_trace)
        .register(denom_traces)
        .register(denom_hash)
        .register(escrow)
        .register(total_escrow)
        .register(transfer_params);
}

/// The height a query answers at, in the shape responses carry it.
fn proof_height(ctx: &QueryContext<'_>) -> Option<client::Height> {
    Some(client::Height {
        revision_number: ctx.revision,
        revision_height: ctx.height,
    })
}

fn decode<M: Message + Default>(data: &[u8]) -> TxResult<M> {
    M::decode(data).map_err(|e| TxError::Decode(e.to_string()))
}

/// An identifier from a request, checked by ibc-rs's rules before it names a store key.
fn id<T: FromStr>(what: &str, s: &str) -> TxResult<T>
where
    T::Err: Display,
{
    s.parse()
        .map_err(|e| TxError::InvalidRequest(format!("{what} {s:?}: {e}")))
}

fn raw(state: &dyn StateRead, path: impl Display) -> TxResult<Option<Vec<u8>>> {
    Ok(state.get_raw(&Substore::Ibc.full_key(path.to_string().as_bytes()))?)
}

fn must(state: &dyn StateRead, path: impl Display) -> TxResult<Vec<u8>> {
    let path = path.to_string();
    raw(state, &path)?.ok_or(TxError::NotFound(path))
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

fn client_state(
    ctx: &QueryContext<'_>,
    req: client::QueryClientStateRequest,
) -> TxResult<client::QueryClientStateResponse> {
    let state = ctx.state;
    let cs = any(&must(
        state,
        ClientStatePath::new(id("client id", &req.client_id)?),
    )?)?;
    Ok(client::QueryClientStateResponse {
        client_state: Some(cs),
        proof: vec![],
        proof_height: proof_height(ctx),
    })
}

/// ibc-go's `UpgradedClientState`: the client state the scheduled IBC upgrade commits to.
fn upgraded_client_state(
    ctx: &QueryContext<'_>,
    _req: client::QueryUpgradedClientStateRequest,
) -> TxResult<client::QueryUpgradedClientStateResponse> {
    use estuary_upgrade::UpgradeReader;
    Ok(client::QueryUpgradedClientStateResponse {
        upgraded_client_state: Some(of_the_plan(ctx, "client", |s, h| s.upgraded_client(h))?),
    })
}

/// ibc-go's `UpgradedConsensusState`: the consensus state the last block before the scheduled
/// IBC upgrade wrote (none before that block).
fn upgraded_consensus_state(
    ctx: &QueryContext<'_>,
    _req: client::QueryUpgradedConsensusStateRequest,
) -> TxResult<client::QueryUpgradedConsensusStateResponse> {
    use estuary_upgrade::UpgradeReader;
    Ok(client::QueryUpgradedConsensusStateResponse {
        upgraded_consensus_state: Some(of_the_plan(ctx, "consensus state", |s, h| {
            s.upgraded_consensus_state(h)
        })?),
    })
}

/// The upgraded `what` (read by `read` at a height) of the scheduled upgrade plan.
fn of_the_plan(
    ctx: &QueryContext<'_>,
    what: &str,
    read: impl Fn(&dyn StateRead, u64) -> TxResult<Option<Vec<u8>>>,
) -> TxResult<Any> {
    use estuary_upgrade::UpgradeReader;
    let plan = ctx
        .state
        .upgrade_plan()?
        .ok_or_else(|| TxError::NotFound("upgrade plan".into()))?;
    let bytes = read(ctx.state, plan.height)?
        .ok_or_else(|| TxError::NotFound(format!("upgraded {what} at height {}", plan.height)))?;
    any(&bytes)
}

fn client_states(
    ctx: &QueryContext<'_>,
    req: client::QueryClientStatesRequest,
) -> TxResult<client::QueryClientStatesResponse> {
    let state = ctx.state;
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
    })
}

fn consensus_state(
    ctx: &QueryContext<'_>,
    req: client::QueryConsensusStateRequest,
) -> TxResult<client::QueryConsensusStateResponse> {
    let state = ctx.state;
    let (rev, h) = if req.latest_height {
        // As ibc-go: the client state's latest height (one read, not a scan of every height).
        let cs = any(&must(
            state,
            ClientStatePath::new(id("client id", &req.client_id)?),
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
        ClientConsensusStatePath::new(id("client id", &req.client_id)?, rev, h),
    )?)?;
    Ok(client::QueryConsensusStateResponse {
        consensus_state: Some(cs),
        proof: vec![],
        proof_height: proof_height(ctx),
    })
}

/// The height a consensus-state key ends in (`…/consensusStates/{revision}-{height}`).
fn consensus_height(rest: &str) -> Option<client::Height> {
    let (rev, h) = rest.split_once('-')?;
    Some(client::Height {
        revision_number: rev.parse().ok()?,
        revision_height: h.parse().ok()?,
    })
}

/// One page of a client's consensus heights, as ibc-go lists them (store-key order).
fn consensus_heights(
    ctx: &QueryContext<'_>,
    req: client::QueryConsensusStateHeightsRequest,
) -> TxResult<client::QueryConsensusStateHeightsResponse> {
    let state = ctx.state;
    let prefix = format!(
        "{}/{}/{CONSENSUS_STATE_PREFIX}/",
        ClientStatePath::prefix(),
        id::<ClientId>("client id", &req.client_id)?
    );
    let (heights, pagination) = paged(state, &prefix, req.pagination.as_ref(), |rest, _| {
        Ok(consensus_height(rest))
    })?;
    Ok(client::QueryConsensusStateHeightsResponse {
        consensus_state_heights: heights,
        pagination,
    })
}

/// One page of a client's consensus states with their heights, in store-key order.
fn consensus_states(
    ctx: &QueryContext<'_>,
    req: client::QueryConsensusStatesRequest,
) -> TxResult<client::QueryConsensusStatesResponse> {
    let state = ctx.state;
    let prefix = format!(
        "{}/{}/{CONSENSUS_STATE_PREFIX}/",
        ClientStatePath::prefix(),
        id::<ClientId>("client id", &req.client_id)?
    );
    let (states, pagination) = paged(state, &prefix, req.pagination.as_ref(), |rest, value| {
        let Some(height) = consensus_height(rest) else {
            return Ok(None);
        };
        Ok(Some(client::ConsensusStateWithHeight {
            height: Some(height),
            consensus_state: Some(any(&value)?),
        }))
    })?;
    Ok(client::QueryConsensusStatesResponse {
        consensus_states: states,
        pagination,
    })
}

pub(crate) fn connection_end(
    state: &dyn StateRead,
    connection_id: &str,
) -> TxResult<conn::ConnectionEnd> {
    decode(&must(
        state,
        ConnectionPath::new(&id("connection id", connection_id)?),
    )?)
}

fn connection(
    ctx: &QueryContext<'_>,
    req: conn::QueryConnectionRequest,
) -> TxResult<conn::QueryConnectionResponse> {
    let state = ctx.state;
    let c = connection_end(state, &req.connection_id)?;
    Ok(conn::QueryConnectionResponse {
        connection: Some(c),
        proof: vec![],
        proof_height: proof_height(ctx),
    })
}

fn connections(
    ctx: &QueryContext<'_>,
    req: conn::QueryConnectionsRequest,
) -> TxResult<conn::QueryConnectionsResponse> {
    let state = ctx.state;
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
        height: proof_height(ctx),
    })
}

fn client_connections(
    ctx: &QueryContext<'_>,
    req: conn::QueryClientConnectionsRequest,
) -> TxResult<conn::QueryClientConnectionsResponse> {
    let state = ctx.state;
    let paths: conn::ClientPaths = decode(&must(
        state,
        ClientConnectionPath::new(id("client id", &req.client_id)?),
    )?)?;
    Ok(conn::QueryClientConnectionsResponse {
        connection_paths: paths.paths,
        proof: vec![],
        proof_height: proof_height(ctx),
    })
}

pub(crate) fn identified_client(
    state: &dyn StateRead,
    client_id: &str,
) -> TxResult<client::IdentifiedClientState> {
    let cs = any(&must(
        state,
        ClientStatePath::new(id("client id", client_id)?),
    )?)?;
    Ok(client::IdentifiedClientState {
        client_id: client_id.to_string(),
        client_state: Some(cs),
    })
}

fn connection_client_state(
    ctx: &QueryContext<'_>,
    req: conn::QueryConnectionClientStateRequest,
) -> TxResult<conn::QueryConnectionClientStateResponse> {
    let state = ctx.state;
    let c = connection_end(state, &req.connection_id)?;
    Ok(conn::QueryConnectionClientStateResponse {
        identified_client_state: Some(identified_client(state, &c.client_id)?),
        proof: vec![],
        proof_height: proof_height(ctx),
    })
}

pub(crate) fn channel_end(
    state: &dyn StateRead,
    port: &str,
    channel: &str,
) -> TxResult<chan::Channel> {
    decode(&must(
        state,
        ChannelEndPath::new(&id("port id", port)?, &id("channel id", channel)?),
    )?)
}

fn channel(
    ctx: &QueryContext<'_>,
    req: chan::QueryChannelRequest,
) -> TxResult<chan::QueryChannelResponse> {
    let state = ctx.state;
    let c = channel_end(state, &req.port_id, &req.channel_id)?;
    Ok(chan::QueryChannelResponse {
        channel: Some(c),
        proof: vec![],
        proof_height: proof_height(ctx),
    })
}

/// One page of channel ends, all of them or those on one connection.
#[allow(clippy::type_complexity)]
fn channels(
    ctx: &QueryContext<'_>,
    req: Option<&PageRequest>,
    on_connection: Option<String>,
) -> TxResult<(
    Vec<chan::IdentifiedChannel>,
    Option<PageResponse>,
    Option<client::Height>,
)> {
    let state = ctx.state;
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
    Ok((out, pagination, proof_height(ctx)))
}

fn channel_client_state(
    ctx: &QueryContext<'_>,
    req: chan::QueryChannelClientStateRequest,
) -> TxResult<chan::QueryChannelClientStateResponse> {
    let state = ctx.state;
    let c = channel_end(state, &req.port_id, &req.channel_id)?;
    let conn_id = c
        .connection_hops
        .first()
        .ok_or_else(|| TxError::NotFound("channel has no connection".into()))?;
    let connection = connection_end(state, conn_id)?;
    Ok(chan::QueryChannelClientStateResponse {
        identified_client_state: Some(identified_client(state, &connection.client_id)?),
        proof: vec![],
        proof_height: proof_height(ctx),
    })
}

/// The kinds of per-packet state, each under its ICS-24 path.
#[derive(Clone, Copy)]
enum PacketState {
    Commitment,
    Receipt,
    Ack,
}

fn packet_path(kind: PacketState, port: &str, channel: &str, seq: u64) -> TxResult<String> {
    let port: PortId = id("port id", port)?;
    let channel: ChannelId = id("channel id", channel)?;
    let seq = Sequence::from(seq);
    Ok(match kind {
        PacketState::Commitment => CommitmentPath::new(&port, &channel, seq).to_string(),
        PacketState::Receipt => ReceiptPath::new(&port, &channel, seq).to_string(),
        PacketState::Ack => AckPath::new(&port, &channel, seq).to_string(),
    })
}

fn packet_commitment(
    ctx: &QueryContext<'_>,
    req: chan::QueryPacketCommitmentRequest,
) -> TxResult<chan::QueryPacketCommitmentResponse> {
    let state = ctx.state;
    let c = must(
        state,
        &packet_path(
            PacketState::Commitment,
            &req.port_id,
            &req.channel_id,
            req.sequence,
        )?,
    )?;
    Ok(chan::QueryPacketCommitmentResponse {
        commitment: c,
        proof: vec![],
        proof_height: proof_height(ctx),
    })
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

fn packet_commitments(
    ctx: &QueryContext<'_>,
    req: chan::QueryPacketCommitmentsRequest,
) -> TxResult<chan::QueryPacketCommitmentsResponse> {
    let state = ctx.state;
    let (list, pagination) = packet_states(
        state,
        "commitments",
        (&req.port_id, &req.channel_id),
        req.pagination.as_ref(),
    )?;
    Ok(chan::QueryPacketCommitmentsResponse {
        commitments: list,
        pagination,
        height: proof_height(ctx),
    })
}

fn packet_receipt(
    ctx: &QueryContext<'_>,
    req: chan::QueryPacketReceiptRequest,
) -> TxResult<chan::QueryPacketReceiptResponse> {
    let state = ctx.state;
    let received = raw(
        state,
        &packet_path(
            PacketState::Receipt,
            &req.port_id,
            &req.channel_id,
            req.sequence,
        )?,
    )?
    .is_some();
    Ok(chan::QueryPacketReceiptResponse {
        received,
        proof: vec![],
        proof_height: proof_height(ctx),
    })
}

fn packet_ack(
    ctx: &QueryContext<'_>,
    req: chan::QueryPacketAcknowledgementRequest,
) -> TxResult<chan::QueryPacketAcknowledgementResponse> {
    let state = ctx.state;
    let a = must(
        state,
        &packet_path(
            PacketState::Ack,
            &req.port_id,
            &req.channel_id,
            req.sequence,
        )?,
    )?;
    Ok(chan::QueryPacketAcknowledgementResponse {
        acknowledgement: a,
        proof: vec![],
        proof_height: proof_height(ctx),
    })
}

fn packet_acks(
    ctx: &QueryContext<'_>,
    req: chan::QueryPacketAcknowledgementsRequest,
) -> TxResult<chan::QueryPacketAcknowledgementsResponse> {
    let state = ctx.state;
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
            let path = packet_path(PacketState::Ack, &req.port_id, &req.channel_id, sequence)?;
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
        height: proof_height(ctx),
    })
}

/// Of the sequences a counterparty has commitments for, those this chain has no receipt of.
fn unreceived_packets(
    ctx: &QueryContext<'_>,
    req: chan::QueryUnreceivedPacketsRequest,
) -> TxResult<chan::QueryUnreceivedPacketsResponse> {
    let state = ctx.state;
    let mut sequences = Vec::new();
    for seq in req.packet_commitment_sequences {
        if raw(
            state,
            &packet_path(PacketState::Receipt, &req.port_id, &req.channel_id, seq)?,
        )?
        .is_none()
        {
            sequences.push(seq);
        }
    }
    Ok(chan::QueryUnreceivedPacketsResponse {
        sequences,
        height: proof_height(ctx),
    })
}

/// Of the sequences a counterparty has acks for, those whose commitment this chain still holds.
fn unreceived_acks(
    ctx: &QueryContext<'_>,
    req: chan::QueryUnreceivedAcksRequest,
) -> TxResult<chan::QueryUnreceivedAcksResponse> {
    let state = ctx.state;
    let mut sequences = Vec::new();
    for seq in req.packet_ack_sequences {
        if raw(
            state,
            &packet_path(PacketState::Commitment, &req.port_id, &req.channel_id, seq)?,
        )?
        .is_some()
        {
            sequences.push(seq);
        }
    }
    Ok(chan::QueryUnreceivedAcksResponse {
        sequences,
        height: proof_height(ctx),
    })
}

fn next_sequence_receive(
    ctx: &QueryContext<'_>,
    req: chan::QueryNextSequenceReceiveRequest,
) -> TxResult<chan::QueryNextSequenceReceiveResponse> {
    let state = ctx.state;
    let bytes = must(
        state,
        SeqRecvPath::new(
            &id("port id", &req.port_id)?,
            &id("channel id", &req.channel_id)?,
        ),
    )?;
    let arr: [u8; 8] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| TxError::Internal("sequence is not 8 bytes".into()))?;
    Ok(chan::QueryNextSequenceReceiveResponse {
        next_sequence_receive: u64::from_be_bytes(arr),
        proof: vec![],
        proof_height: proof_height(ctx),
    })
}

fn trace_proto(t: DenomTrace) -> transfer::DenomTrace {
    transfer::DenomTrace {
        path: t.path,
        base_denom: t.base_denom,
    }
}

fn denom_trace(
    ctx: &QueryContext<'_>,
    req: transfer::QueryDenomTraceRequest,
) -> TxResult<transfer::QueryDenomTraceResponse> {
    let state = ctx.state;
    let hash = req.hash.trim_start_matches("ibc/");
    let t = state
        .denom_trace(hash)?
        .ok_or_else(|| TxError::NotFound(format!("denomination trace for {hash}")))?;
    Ok(transfer::QueryDenomTraceResponse {
        denom_trace: Some(trace_proto(t)),
    })
}

fn denom_traces(
    ctx: &QueryContext<'_>,
    req: transfer::QueryDenomTracesRequest,
) -> TxResult<transfer::QueryDenomTracesResponse> {
    let state = ctx.state;
    let (traces, out) = state.denom_trace_page(req.pagination.as_ref().map(Into::into).as_ref())?;
    Ok(transfer::QueryDenomTracesResponse {
        denom_traces: traces.into_iter().map(trace_proto).collect(),
        pagination: Some(out.into()),
    })
}

fn denom_hash(
    _ctx: &QueryContext<'_>,
    req: transfer::QueryDenomHashRequest,
) -> TxResult<transfer::QueryDenomHashResponse> {
    let hash = DenomTrace::parse(&req.trace).hash_hex();
    Ok(transfer::QueryDenomHashResponse { hash })
}

fn escrow(
    _ctx: &QueryContext<'_>,
    req: transfer::QueryEscrowAddressRequest,
) -> TxResult<transfer::QueryEscrowAddressResponse> {
    let address = Address(escrow_address(&req.port_id, &req.channel_id)).to_bech32();
    Ok(transfer::QueryEscrowAddressResponse {
        escrow_address: address,
    })
}

/// What every transfer channel's escrow account holds of a denom. ibc-go keeps this total as
/// its own state, updated on escrow and release; here it is the sum of the escrow balances,
/// which is the same unless someone sends tokens to an escrow address by hand.
fn total_escrow(
    ctx: &QueryContext<'_>,
    req: transfer::QueryTotalEscrowForDenomRequest,
) -> TxResult<transfer::QueryTotalEscrowForDenomResponse> {
    use estuary_bank::BankReader;
    let state = ctx.state;
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
    })
}

fn transfer_params(
    ctx: &QueryContext<'_>,
    _req: transfer::QueryParamsRequest,
) -> TxResult<transfer::QueryParamsResponse> {
    let p = crate::component::params(ctx.state)?;
    Ok(transfer::QueryParamsResponse {
        params: Some(transfer::Params {
            send_enabled: p.send_enabled,
            receive_enabled: p.receive_enabled,
        }),
    })
}
