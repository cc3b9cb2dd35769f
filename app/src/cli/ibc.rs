//! IBC commands: `tx ibc-transfer transfer`, `query ibc-transfer ...`, `query ibc ...`.

use anyhow::{anyhow, bail, Context, Result};
use cosmrs::Any;
use estuary_sdk::store::Substore;
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
        /// Timeout height on the destination, `revision-height` (ibc-go's flag): added to the
        /// latest height of this chain's client of the destination unless --absolute-timeouts.
        #[arg(long, conflicts_with_all = ["timeout_height", "timeout_timestamp", "timeout_seconds"])]
        packet_timeout_height: Option<String>,
        /// Timeout in nanoseconds (ibc-go's flag): from now unless --absolute-timeouts. Default
        /// when no timeout is given: 600 s from now.
        #[arg(long, conflicts_with_all = ["timeout_height", "timeout_timestamp", "timeout_seconds"])]
        packet_timeout_timestamp: Option<u64>,
        /// The --packet-timeout-* values are absolute (a height, nanoseconds since the epoch).
        #[arg(long)]
        absolute_timeouts: bool,
        /// Absolute timeout height on the destination, `revision-height` (e.g. `1-5000`).
        #[arg(long)]
        timeout_height: Option<String>,
        /// Absolute timeout in nanoseconds since the Unix epoch.
        #[arg(long, conflicts_with = "timeout_seconds")]
        timeout_timestamp: Option<u64>,
        /// Timeout this many seconds from now.
        #[arg(long)]
        timeout_seconds: Option<u64>,
        /// The packet's memo (ibc-go's `--memo`; the transaction's own memo is `--note`).
        #[arg(long = "memo", alias = "packet-memo", default_value = "")]
        packet_memo: String,
        /// Forward the tokens on from the receiving chain: `CHANNEL/RECEIVER` on that chain
        /// (port `transfer`), once per further hop, in order. Writes the packet-forward memo
        /// (`{"forward":{…,"next":{…}}}`); the first hop's receiver is then a placeholder.
        #[arg(long, value_name = "CHANNEL/RECEIVER", conflicts_with = "packet_memo")]
        forward: Vec<String>,
        #[command(flatten)]
        tx: TxArgs,
    },
}

/// The packet-forward memo for hops `channel/receiver`, in order (each one's `next` the one after).
pub fn forward_memo(hops: &[String]) -> Result<String> {
    let mut next: Option<serde_json::Value> = None;
    for hop in hops.iter().rev() {
        let (channel, receiver) = hop
            .split_once('/')
            .filter(|(c, r)| c.starts_with("channel-") && !r.is_empty())
            .ok_or_else(|| {
                anyhow!("--forward {hop:?}: give CHANNEL/RECEIVER, e.g. channel-1/cosmos1…")
            })?;
        let mut fwd =
            serde_json::json!({"receiver": receiver, "port": "transfer", "channel": channel});
        if let (Some(n), Some(obj)) = (next.take(), fwd.as_object_mut()) {
            obj.insert("next".into(), n);
        }
        next = Some(serde_json::json!({ "forward": fwd }));
    }
    Ok(next.map(|v| v.to_string()).unwrap_or_default())
}

#[derive(clap::Subcommand)]
pub enum TransferQuery {
    /// The trace (path and base denom) of an `ibc/HASH` voucher.
    DenomTrace {
        hash: String,
        /// Check the answer with its proof against a header the light client verifies.
        #[arg(long)]
        verify: bool,
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

/// One packet's state: where it is, and whether to verify the answer.
#[derive(clap::Args)]
pub struct PacketArgs {
    port: String,
    channel: String,
    sequence: u64,
    /// Check the answer with its proof against a header the light client verifies.
    #[arg(long)]
    verify: bool,
    #[command(flatten)]
    node: NodeArgs,
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
    /// One packet's commitment on its sending chain (hex; absent once acknowledged or timed out).
    PacketCommitment(PacketArgs),
    /// Whether the receiving chain has received a packet (its receipt).
    PacketReceipt(PacketArgs),
    /// A received packet's acknowledgement commitment (hex).
    PacketAck(PacketArgs),
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
        packet_timeout_height,
        packet_timeout_timestamp,
        absolute_timeouts,
        timeout_height,
        timeout_timestamp,
        timeout_seconds,
        packet_memo,
        forward,
        tx,
    } = cmd;
    let packet_memo = if forward.is_empty() {
        packet_memo
    } else {
        forward_memo(&forward)?
    };
    let coins = estuary_sdk::parse_coins(&amount).map_err(|e| anyhow!("amount: {e}"))?;
    let [coin] = coins.as_slice() else {
        bail!("give exactly one amount, e.g. 100stake")
    };
    let sender = super::genesis::resolve_address(&from, &tx.keyring.open(&g.home()))?;
    let (height, timestamp) =
        if packet_timeout_height.is_some() || packet_timeout_timestamp.is_some() {
            // ibc-go's flags: relative to the destination's height as this chain's client knows it,
            // and to now, unless absolute.
            let mut height = packet_timeout_height
                .as_deref()
                .map(parse_height)
                .transpose()?
                .filter(|h| h.revision_height != 0 || h.revision_number != 0);
            if let (Some(h), false) = (height.as_mut(), absolute_timeouts) {
                let node = Node::connect(&tx.node.node)?;
                let latest = counterparty_height(&node, &src_port, &src_channel).await?;
                h.revision_number = h.revision_number.saturating_add(latest.revision_number);
                h.revision_height = h.revision_height.saturating_add(latest.revision_height);
            }
            let timestamp = match packet_timeout_timestamp {
                Some(0) | None => 0,
                Some(ns) if absolute_timeouts => ns,
                Some(ns) => now_ns().saturating_add(ns),
            };
            (height, timestamp)
        } else {
            let height = timeout_height.as_deref().map(parse_height).transpose()?;
            let timestamp = match (timeout_timestamp, timeout_seconds, &height) {
                (Some(ns), _, _) => ns,
                (None, Some(s), _) => now_ns().saturating_add(s.saturating_mul(1_000_000_000)),
                (None, None, Some(_)) => 0,
                // ibc-go also sets a relative height of 1000 blocks by default; a client not
                // updated for a while then times packets out at once, so the default here is time.
                (None, None, None) => now_ns().saturating_add(600 * 1_000_000_000),
            };
            (height, timestamp)
        };
    if height.is_none() && timestamp == 0 {
        bail!("a transfer needs a timeout height or a timeout timestamp");
    }
    if !tx.generate_only && !tx.offline {
        // Before anything is signed or paid for: a transfer on a channel that does not exist or
        // is not open would only fail on chain, after the fee.
        let node = Node::connect(&tx.node.node)?;
        check_channel_open(&node, &src_port, &src_channel).await?;
    }
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

/// The channel exists and is OPEN, said in ibc-go's words when it is not.
async fn check_channel_open(node: &Node, port: &str, channel: &str) -> Result<()> {
    let found = node
        .query_typed(&chan::QueryChannelRequest {
            port_id: port.into(),
            channel_id: channel.into(),
        })
        .await;
    let end = match found {
        Ok(r) => r.channel,
        Err(e) => match e.downcast_ref::<estuary_client::errors::QueryFailed>() {
            Some(q) if q.is_not_found() => None,
            _ => return Err(e.context(format!("looking up channel {port}/{channel}"))),
        },
    };
    let Some(end) = end else {
        bail!(
            "port-id: {port}, channel-id: {channel}: channel not found on the chain at {} \
             (`estuaryd query ibc channels` lists its channels)",
            node.url
        );
    };
    if end.state != chan::State::Open as i32 {
        let state = chan::State::try_from(end.state)
            .map(|s| s.as_str_name())
            .unwrap_or("UNKNOWN");
        bail!("port-id: {port}, channel-id: {channel}: channel is {state}, not OPEN: no transfer can be sent on it");
    }
    Ok(())
}

/// `revision-height`, e.g. `1-5000`.
fn parse_height(s: &str) -> Result<client::Height> {
    let (rev, h) = s
        .split_once('-')
        .ok_or_else(|| anyhow!("a timeout height is revision-height, e.g. 1-5000 (got {s:?})"))?;
    Ok(client::Height {
        revision_number: rev.parse().context("revision")?,
        revision_height: h.parse().context("height")?,
    })
}

/// The latest height of the client the channel's connection uses: the destination's height as
/// this chain knows it.
async fn counterparty_height(node: &Node, port: &str, channel: &str) -> Result<client::Height> {
    let r: chan::QueryChannelClientStateResponse = node
        .query_typed(&chan::QueryChannelClientStateRequest {
            port_id: port.into(),
            channel_id: channel.into(),
        })
        .await
        .with_context(|| format!("the client of {port}/{channel}"))?;
    let any = r
        .identified_client_state
        .and_then(|c| c.client_state)
        .ok_or_else(|| anyhow!("channel {port}/{channel} has no client state"))?;
    let cs = tm::ClientState::decode(any.value.as_slice()).context("client state")?;
    cs.latest_height
        .ok_or_else(|| anyhow!("the client of {port}/{channel} has no latest height"))
}

fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

pub async fn transfer_query(g: &Global, cmd: TransferQuery) -> Result<()> {
    match cmd {
        TransferQuery::DenomTrace {
            hash,
            verify: true,
            node,
        } => {
            let node = Node::connect(&node.node)?;
            let hash = hash.trim_start_matches("ibc/").to_string();
            let key = estuary_ibc::transfer::denom_trace_store_key(&hash);
            let v = crate::light::proven_read(&node, &g.home().0, Substore::Main, &key).await?;
            let bytes = v.value.ok_or_else(|| {
                anyhow!("no trace for {hash} (proven absent at height {})", v.height)
            })?;
            let t: estuary_ibc::transfer::DenomTrace =
                borsh::from_slice(&bytes).context("a trace that does not decode")?;
            g.print(
                &json!({"path": t.path, "base_denom": t.base_denom, "verified_height": v.height.to_string()}),
                |_| {
                    format!(
                        "path: {}\nbase_denom: {}\n(verified at height {})",
                        t.path, t.base_denom, v.height
                    )
                },
            )
        }
        TransferQuery::DenomTrace { hash, node, .. } => {
            let node = Node::connect(&node.node)?;
            let r: transfer::QueryDenomTraceResponse = node
                .query_typed(&transfer::QueryDenomTraceRequest { hash })
                .await?;
            let t = r.denom_trace.unwrap_or_default();
            g.print(&json!({"path": t.path, "base_denom": t.base_denom}), |_| {
                format!("path: {}\nbase_denom: {}", t.path, t.base_denom)
            })
        }
        TransferQuery::DenomTraces { node } => {
            let node = Node::connect(&node.node)?;
            let r: transfer::QueryDenomTracesResponse = node
                .query_typed(&transfer::QueryDenomTracesRequest::default())
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
                .query_typed(&transfer::QueryEscrowAddressRequest {
                    port_id: port,
                    channel_id: channel,
                })
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

/// A packet-state path (ICS-24: `<store>/ports/…/sequences/…`) read from the IBC store: proven
/// with `--verify`, else as the node says.
async fn packet_state(g: &Global, a: PacketArgs, store: &str, what: &str) -> Result<()> {
    let PacketArgs {
        port,
        channel,
        sequence,
        verify,
        node,
    } = a;
    let path = format!("{store}/ports/{port}/channels/{channel}/sequences/{sequence}");
    let node = Node::connect(&node.node)?;
    let (value, verified) = if verify {
        let v =
            crate::light::proven_read(&node, &g.home().0, Substore::Ibc, path.as_bytes()).await?;
        (v.value, Some(v.height))
    } else {
        use tendermint_rpc::Client;
        let res = node
            .rpc
            .abci_query(
                Some("store/ibc/key".into()),
                path.clone().into_bytes(),
                None,
                false,
            )
            .await
            .map_err(|e| node.explain(e))?;
        if res.code.is_err() {
            bail!("{}", res.log);
        }
        (Some(res.value).filter(|v| !v.is_empty()), None)
    };
    let out = json!({
        "path": path,
        what: value.as_ref().map(hex::encode),
        "found": value.is_some(),
        "verified_height": verified.map(|h| h.to_string()),
    });
    g.print(&out, |_| {
        let v = value.as_ref().map_or("(none)".to_string(), hex::encode);
        match verified {
            Some(h) => format!("{what}: {v}\n(verified at height {h})"),
            None => format!("{what}: {v}"),
        }
    })
}

pub async fn ibc_query(g: &Global, cmd: IbcQuery) -> Result<()> {
    match cmd {
        IbcQuery::PacketCommitment(a) => packet_state(g, a, "commitments", "commitment").await,
        IbcQuery::PacketReceipt(a) => packet_state(g, a, "receipts", "receipt").await,
        IbcQuery::PacketAck(a) => packet_state(g, a, "acks", "acknowledgement").await,
        IbcQuery::Client { client_id, node } => {
            let node = Node::connect(&node.node)?;
            let r: client::QueryClientStateResponse = node
                .query_typed(&client::QueryClientStateRequest {
                    client_id: client_id.clone(),
                })
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
                .query_typed(&client::QueryClientStatesRequest::default())
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
                .query_typed(&conn::QueryConnectionRequest {
                    connection_id: connection_id.clone(),
                })
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
                .query_typed(&chan::QueryChannelRequest {
                    port_id: port.clone(),
                    channel_id: channel.clone(),
                })
                .await?;
            g.print(
                &channel_json(&port, &channel, &r.channel.unwrap_or_default()),
                pretty,
            )
        }
        IbcQuery::Channels { node } => {
            let node = Node::connect(&node.node)?;
            let r: chan::QueryChannelsResponse = node
                .query_typed(&chan::QueryChannelsRequest::default())
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
                    .query_typed(&chan::QueryPacketCommitmentsRequest {
                        port_id: port.clone(),
                        channel_id: channel.clone(),
                        pagination: Some(ibc_proto::cosmos::base::query::v1beta1::PageRequest {
                            key: std::mem::take(&mut key),
                            limit: estuary_sdk::page::MAX_LIMIT,
                            ..Default::default()
                        }),
                    })
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
                .query_typed(&chan::QueryUnreceivedPacketsRequest {
                    port_id: port,
                    channel_id: channel,
                    packet_commitment_sequences: seqs,
                })
                .await?;
            g.print(
                &json!({"sequences": r.sequences, "height": height_str(&r.height)}),
                pretty,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::forward_memo;

    #[test]
    fn forward_flags_write_the_packet_forward_memo() {
        let one = forward_memo(&["channel-1/cosmos1bob".into()]).unwrap();
        let v: serde_json::Value = serde_json::from_str(&one).unwrap();
        assert_eq!(v["forward"]["channel"], "channel-1");
        assert_eq!(v["forward"]["receiver"], "cosmos1bob");
        assert_eq!(v["forward"]["port"], "transfer");
        let two = forward_memo(&["channel-1/hop".into(), "channel-7/end".into()]).unwrap();
        let v: serde_json::Value = serde_json::from_str(&two).unwrap();
        assert_eq!(v["forward"]["next"]["forward"]["channel"], "channel-7");
        assert_eq!(v["forward"]["next"]["forward"]["receiver"], "end");
        assert!(forward_memo(&["cosmos1bob".into()]).is_err());
        assert!(forward_memo(&["transfer/channel-1".into()]).is_err());
    }
}
