//! IBC commands: `tx ibc-transfer transfer`, `query ibc-transfer ...`, `query ibc ...`.

use anyhow::{anyhow, bail, Context, Result};
use cosmrs::Any;
use ibc_proto::ibc::applications::transfer::v1 as transfer;
use ibc_proto::ibc::core::channel::v1 as chan;
use ibc_proto::ibc::core::client::v1 as client;
use ibc_proto::ibc::core::connection::v1 as conn;
use ibc_proto::ibc::lightclients::tendermint::v1 as tm;
use prost::Message;
use serde_json::json;

use super::tx::{sign_and_send, TxArgs};
use super::{Global, NodeArgs};
use crate::client::Node;

#[derive(clap::Subcommand)]
pub enum TransferTx {
    /// Send tokens over an IBC channel: `transfer <src-port> <src-channel> <receiver> <amount><denom>`.
    Transfer {
        src_port: String,
        src_channel: String,
        receiver: String,
        /// e.g. `100stake` or `5ibc/27394F…`
        amount: String,
        /// The sending key.
        #[arg(long)]
        from: String,
        /// Absolute timeout height on the destination, `revision-height` (e.g. `1-5000`).
        #[arg(long)]
        timeout_height: Option<String>,
        /// Absolute timeout in nanoseconds since the Unix epoch.
        #[arg(long, conflicts_with = "timeout_seconds")]
        timeout_timestamp: Option<u64>,
        /// Timeout this many seconds from now (default 600 when no other timeout is given).
        #[arg(long)]
        timeout_seconds: Option<u64>,
        #[arg(long, default_value = "")]
        packet_memo: String,
        #[command(flatten)]
        tx: TxArgs,
    },
}

#[derive(clap::Subcommand)]
pub enum TransferQuery {
    /// The trace (path and base denom) of an `ibc/HASH` voucher.
    DenomTrace {
        hash: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Every voucher trace known to this chain.
    DenomTraces {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The escrow account of a channel.
    EscrowAddress {
        port: String,
        channel: String,
        #[command(flatten)]
        node: NodeArgs,
    },
}

#[derive(clap::Subcommand)]
pub enum IbcQuery {
    /// A light client's state.
    Client {
        client_id: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Every light client.
    Clients {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A connection end.
    Connection {
        connection_id: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A channel end.
    Channel {
        port: String,
        channel: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Every channel.
    Channels {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Sequences of packets sent on a channel and not yet acknowledged.
    PacketCommitments {
        port: String,
        channel: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Of the given sequences (sent by the counterparty), those this chain has not received.
    UnreceivedPackets {
        port: String,
        channel: String,
        /// Comma-separated sequences, e.g. `1,2,3`.
        #[arg(long)]
        sequences: String,
        #[command(flatten)]
        node: NodeArgs,
    },
}

pub async fn transfer_tx(g: &Global, cmd: TransferTx) -> Result<()> {
    let TransferTx::Transfer {
        src_port,
        src_channel,
        receiver,
        amount,
        from,
        timeout_height,
        timeout_timestamp,
        timeout_seconds,
        packet_memo,
        tx,
    } = cmd;
    let coins = estuary_sdk::parse_coins(&amount).map_err(|e| anyhow!("amount: {e}"))?;
    let [coin] = coins.as_slice() else {
        bail!("give exactly one amount, e.g. 100stake")
    };
    let sender = super::genesis::resolve_address(&from, &tx.keyring.open(&g.home()))?;
    let height = match &timeout_height {
        Some(s) => {
            let (rev, h) = s
                .split_once('-')
                .ok_or_else(|| anyhow!("--timeout-height must be revision-height, e.g. 1-5000"))?;
            Some(client::Height {
                revision_number: rev.parse().context("revision")?,
                revision_height: h.parse().context("height")?,
            })
        }
        None => None,
    };
    let timestamp = match (timeout_timestamp, timeout_seconds, &height) {
        (Some(ns), _, _) => ns,
        (None, Some(s), _) => now_ns() + s * 1_000_000_000,
        (None, None, Some(_)) => 0,
        (None, None, None) => now_ns() + 600 * 1_000_000_000,
    };
    let msg = transfer::MsgTransfer {
        source_port: src_port,
        source_channel: src_channel,
        token: Some(ibc_proto::cosmos::base::v1beta1::Coin {
            denom: coin.denom.to_string(),
            amount: coin.amount.to_string(),
        }),
        sender: sender.to_bech32(),
        receiver,
        timeout_height: height,
        timeout_timestamp: timestamp,
        memo: packet_memo,
    };
    let any = Any {
        type_url: estuary_ibc::transfer::MSG_TRANSFER.into(),
        value: msg.encode_to_vec(),
    };
    super::tx::report(g, sign_and_send(g, &from, vec![any], &tx).await?)
}

fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

pub async fn transfer_query(g: &Global, cmd: TransferQuery) -> Result<()> {
    match cmd {
        TransferQuery::DenomTrace { hash, node } => {
            let node = Node::connect(&node.node)?;
            let r: transfer::QueryDenomTraceResponse = node
                .query_proto(
                    "/ibc.applications.transfer.v1.Query/DenomTrace",
                    &transfer::QueryDenomTraceRequest { hash },
                )
                .await?;
            let t = r.denom_trace.unwrap_or_default();
            g.print(&json!({"path": t.path, "base_denom": t.base_denom}), |_| {
                format!("path: {}\nbase_denom: {}", t.path, t.base_denom)
            })
        }
        TransferQuery::DenomTraces { node } => {
            let node = Node::connect(&node.node)?;
            let r: transfer::QueryDenomTracesResponse = node
                .query_proto(
                    "/ibc.applications.transfer.v1.Query/DenomTraces",
                    &transfer::QueryDenomTracesRequest::default(),
                )
                .await?;
            let list: Vec<_> = r.denom_traces.iter().map(|t| json!({"path": t.path, "base_denom": t.base_denom, "denom": estuary_ibc::ics20::voucher_denom(&format!("{}/{}", t.path, t.base_denom))})).collect();
            g.print(&json!({"denom_traces": list}), |v| {
                serde_json::to_string_pretty(v).unwrap_or_default()
            })
        }
        TransferQuery::EscrowAddress {
            port,
            channel,
            node,
        } => {
            let node = Node::connect(&node.node)?;
            let r: transfer::QueryEscrowAddressResponse = node
                .query_proto(
                    "/ibc.applications.transfer.v1.Query/EscrowAddress",
                    &transfer::QueryEscrowAddressRequest {
                        port_id: port,
                        channel_id: channel,
                    },
                )
                .await?;
            g.print(&json!({"escrow_address": r.escrow_address}), |_| {
                r.escrow_address.clone()
            })
        }
    }
}

fn height_str(h: &Option<client::Height>) -> String {
    h.as_ref().map_or("0-0".into(), |h| {
        format!("{}-{}", h.revision_number, h.revision_height)
    })
}

fn client_json(id: &str, any: &Any) -> serde_json::Value {
    match tm::ClientState::decode(any.value.as_slice()) {
        Ok(cs) => json!({
            "client_id": id, "type": any.type_url, "chain_id": cs.chain_id,
            "latest_height": height_str(&cs.latest_height),
            "frozen": cs.frozen_height.is_some_and(|h| h.revision_height > 0),
            "trusting_period_secs": cs.trusting_period.map_or(0, |d| d.seconds),
            "unbonding_period_secs": cs.unbonding_period.map_or(0, |d| d.seconds),
        }),
        Err(_) => json!({"client_id": id, "type": any.type_url}),
    }
}

fn channel_json(port: &str, id: &str, c: &chan::Channel) -> serde_json::Value {
    json!({
        "port_id": port, "channel_id": id,
        "state": chan::State::try_from(c.state).map(|s| s.as_str_name()).unwrap_or("UNKNOWN"),
        "ordering": chan::Order::try_from(c.ordering).map(|s| s.as_str_name()).unwrap_or("UNKNOWN"),
        "counterparty_port_id": c.counterparty.as_ref().map(|c| c.port_id.clone()),
        "counterparty_channel_id": c.counterparty.as_ref().map(|c| c.channel_id.clone()),
        "connection_hops": c.connection_hops, "version": c.version,
    })
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

pub async fn ibc_query(g: &Global, cmd: IbcQuery) -> Result<()> {
    match cmd {
        IbcQuery::Client { client_id, node } => {
            let node = Node::connect(&node.node)?;
            let r: client::QueryClientStateResponse = node
                .query_proto(
                    "/ibc.core.client.v1.Query/ClientState",
                    &client::QueryClientStateRequest {
                        client_id: client_id.clone(),
                    },
                )
                .await?;
            let any = r
                .client_state
                .map(|a| Any {
                    type_url: a.type_url,
                    value: a.value,
                })
                .unwrap_or_default();
            g.print(&client_json(&client_id, &any), pretty)
        }
        IbcQuery::Clients { node } => {
            let node = Node::connect(&node.node)?;
            let r: client::QueryClientStatesResponse = node
                .query_proto(
                    "/ibc.core.client.v1.Query/ClientStates",
                    &client::QueryClientStatesRequest::default(),
                )
                .await?;
            let list: Vec<_> = r
                .client_states
                .iter()
                .map(|c| {
                    let a = c.client_state.clone().unwrap_or_default();
                    client_json(
                        &c.client_id,
                        &Any {
                            type_url: a.type_url,
                            value: a.value,
                        },
                    )
                })
                .collect();
            g.print(&json!({"clients": list}), pretty)
        }
        IbcQuery::Connection {
            connection_id,
            node,
        } => {
            let node = Node::connect(&node.node)?;
            let r: conn::QueryConnectionResponse = node
                .query_proto(
                    "/ibc.core.connection.v1.Query/Connection",
                    &conn::QueryConnectionRequest {
                        connection_id: connection_id.clone(),
                    },
                )
                .await?;
            let c = r.connection.unwrap_or_default();
            let v = json!({
                "connection_id": connection_id, "client_id": c.client_id,
                "state": conn::State::try_from(c.state).map(|s| s.as_str_name()).unwrap_or("UNKNOWN"),
                "counterparty_client_id": c.counterparty.as_ref().map(|c| c.client_id.clone()),
                "counterparty_connection_id": c.counterparty.as_ref().map(|c| c.connection_id.clone()),
                "delay_period": c.delay_period,
            });
            g.print(&v, pretty)
        }
        IbcQuery::Channel {
            port,
            channel,
            node,
        } => {
            let node = Node::connect(&node.node)?;
            let r: chan::QueryChannelResponse = node
                .query_proto(
                    "/ibc.core.channel.v1.Query/Channel",
                    &chan::QueryChannelRequest {
                        port_id: port.clone(),
                        channel_id: channel.clone(),
                    },
                )
                .await?;
            g.print(
                &channel_json(&port, &channel, &r.channel.unwrap_or_default()),
                pretty,
            )
        }
        IbcQuery::Channels { node } => {
            let node = Node::connect(&node.node)?;
            let r: chan::QueryChannelsResponse = node
                .query_proto(
                    "/ibc.core.channel.v1.Query/Channels",
                    &chan::QueryChannelsRequest::default(),
                )
                .await?;
            let list: Vec<_> = r
                .channels
                .iter()
                .map(|c| {
                    let end = chan::Channel {
                        state: c.state,
                        ordering: c.ordering,
                        counterparty: c.counterparty.clone(),
                        connection_hops: c.connection_hops.clone(),
                        version: c.version.clone(),
                        upgrade_sequence: c.upgrade_sequence,
                    };
                    channel_json(&c.port_id, &c.channel_id, &end)
                })
                .collect();
            g.print(&json!({"channels": list}), pretty)
        }
        IbcQuery::PacketCommitments {
            port,
            channel,
            node,
        } => {
            let node = Node::connect(&node.node)?;
            // Every page: the chain answers at most a page per request, as an SDK chain.
            let mut seqs: Vec<u64> = Vec::new();
            let mut key = Vec::new();
            let height = loop {
                let r: chan::QueryPacketCommitmentsResponse = node
                    .query_proto(
                        "/ibc.core.channel.v1.Query/PacketCommitments",
                        &chan::QueryPacketCommitmentsRequest {
                            port_id: port.clone(),
                            channel_id: channel.clone(),
                            pagination: Some(
                                ibc_proto::cosmos::base::query::v1beta1::PageRequest {
                                    key: std::mem::take(&mut key),
                                    limit: estuary_sdk::page::MAX_LIMIT,
                                    ..Default::default()
                                },
                            ),
                        },
                    )
                    .await?;
                seqs.extend(r.commitments.iter().map(|c| c.sequence));
                match r.pagination {
                    Some(p) if !p.next_key.is_empty() => key = p.next_key,
                    _ => break r.height,
                }
            };
            seqs.sort_unstable();
            g.print(
                &json!({"sequences": seqs, "height": height_str(&height)}),
                pretty,
            )
        }
        IbcQuery::UnreceivedPackets {
            port,
            channel,
            sequences,
            node,
        } => {
            let node = Node::connect(&node.node)?;
            let seqs = sequences
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|s| {
                    s.trim()
                        .parse::<u64>()
                        .with_context(|| format!("sequence {s:?}"))
                })
                .collect::<Result<Vec<_>>>()?;
            let r: chan::QueryUnreceivedPacketsResponse = node
                .query_proto(
                    "/ibc.core.channel.v1.Query/UnreceivedPackets",
                    &chan::QueryUnreceivedPacketsRequest {
                        port_id: port,
                        channel_id: channel,
                        packet_commitment_sequences: seqs,
                    },
                )
                .await?;
            g.print(
                &json!({"sequences": r.sequences, "height": height_str(&r.height)}),
                pretty,
            )
        }
    }
}
