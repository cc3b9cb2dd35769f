//! The node's gRPC server (tonic), for relayers and wallets: IBC core and transfer queries,
//! bank, auth and staking queries, and the tx service. Query methods run the same handlers as
//! ABCI queries at these method paths (so both always agree); a query at a past height takes
//! the `x-cosmos-block-height` header, as the Cosmos SDK's gRPC does. Methods without a handler
//! answer `UNIMPLEMENTED`.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use cosmrs::proto::cosmos::base::abci::v1beta1 as abci_pb;
use cosmrs::proto::cosmos::base::tendermint::v1beta1 as node_pb;
use cosmrs::proto::cosmos::tx::v1beta1 as tx_pb;
use prost::Message;
use tendermint_rpc::Client;
use tonic::{Request, Response, Status};

use crate::app::App;
use crate::client::Node;

#[derive(Clone)]
pub struct Service {
    app: Arc<App>,
    /// CometBFT's RPC, for what only the node knows (transactions by hash, node info).
    node: Arc<Node>,
}

fn status(code: u32, log: String) -> Status {
    match code {
        38 => Status::not_found(log),
        6 => Status::unimplemented(log),
        _ => Status::invalid_argument(log),
    }
}

impl Service {
    /// Answers a query method from the same handlers as ABCI queries. The work runs on the
    /// blocking pool, not on a runtime worker: one slow query (a long page, a proof at an old
    /// height) never holds up the other clients, relayers above all.
    async fn call<Req: Message, Resp: Message + Default>(
        &self,
        path: &'static str,
        r: Request<Req>,
    ) -> Result<Response<Resp>, Status> {
        let height = r
            .metadata()
            .get("x-cosmos-block-height")
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let data = r.into_inner().encode_to_vec();
        let app = self.app.clone();
        let out = tokio::task::spawn_blocking(move || {
            crate::query::handle(&app, path, &data, height, false)
        })
        .await
        .map_err(|e| Status::internal(format!("query task: {e}")))?;
        if out.code != 0 {
            return Err(status(out.code, out.log));
        }
        let resp =
            Resp::decode(out.value.as_slice()).map_err(|e| Status::internal(e.to_string()))?;
        let mut response = Response::new(resp);
        if let Ok(v) = out.height.to_string().parse() {
            response.metadata_mut().insert("x-cosmos-block-height", v);
        }
        Ok(response)
    }

    async fn get_tx(
        &self,
        r: Request<tx_pb::GetTxRequest>,
    ) -> Result<Response<tx_pb::GetTxResponse>, Status> {
        let hash = r.into_inner().hash;
        let h: tendermint::Hash = hash
            .parse()
            .map_err(|e| Status::invalid_argument(format!("hash {hash}: {e}")))?;
        let found = self
            .node
            .rpc
            .tx(h, false)
            .await
            .map_err(|e| Status::not_found(format!("tx {hash}: {e}")))?;
        let raw = tx_pb::TxRaw::decode(found.tx.as_slice())
            .map_err(|e| Status::internal(e.to_string()))?;
        let tx = tx_pb::Tx {
            body: tx_pb::TxBody::decode(raw.body_bytes.as_slice()).ok(),
            auth_info: tx_pb::AuthInfo::decode(raw.auth_info_bytes.as_slice()).ok(),
            signatures: raw.signatures,
        };
        let result = found.tx_result;
        let tx_response = abci_pb::TxResponse {
            height: found.height.value() as i64,
            txhash: hash.to_uppercase(),
            codespace: result.codespace.clone(),
            code: result.code.value(),
            data: hex::encode_upper(&result.data),
            raw_log: result.log.clone(),
            logs: vec![],
            info: result.info.clone(),
            gas_wanted: result.gas_wanted,
            gas_used: result.gas_used,
            tx: Some(cosmrs::Any {
                type_url: "/cosmos.tx.v1beta1.Tx".into(),
                value: tx.encode_to_vec(),
            }),
            timestamp: String::new(),
            events: result
                .events
                .iter()
                .map(|e| tendermint_proto::v0_38::abci::Event::from(e.clone()))
                .map(|e| cosmrs::proto::tendermint::v0_38::abci::Event {
                    r#type: e.r#type,
                    attributes: e
                        .attributes
                        .into_iter()
                        .map(|a| cosmrs::proto::tendermint::v0_38::abci::EventAttribute {
                            key: a.key,
                            value: a.value,
                            index: a.index,
                        })
                        .collect(),
                })
                .collect(),
        };
        Ok(Response::new(tx_pb::GetTxResponse {
            tx: Some(tx),
            tx_response: Some(tx_response),
        }))
    }

    async fn broadcast_tx(
        &self,
        r: Request<tx_pb::BroadcastTxRequest>,
    ) -> Result<Response<tx_pb::BroadcastTxResponse>, Status> {
        let res = self
            .node
            .rpc
            .broadcast_tx_sync(r.into_inner().tx_bytes)
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?;
        let tx_response = abci_pb::TxResponse {
            txhash: res.hash.to_string(),
            code: res.code.value(),
            codespace: res.codespace,
            raw_log: res.log,
            ..Default::default()
        };
        Ok(Response::new(tx_pb::BroadcastTxResponse {
            tx_response: Some(tx_response),
        }))
    }

    /// What this node is, truthfully: estuaryd on CometBFT, with ibc-rs; no Cosmos SDK.
    async fn get_node_info(
        &self,
        _r: Request<node_pb::GetNodeInfoRequest>,
    ) -> Result<Response<node_pb::GetNodeInfoResponse>, Status> {
        let s = self
            .node
            .rpc
            .status()
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?;
        let info = s.node_info;
        let default_node_info = cosmrs::proto::tendermint::p2p::DefaultNodeInfo {
            protocol_version: Some(cosmrs::proto::tendermint::p2p::ProtocolVersion {
                p2p: info.protocol_version.p2p,
                block: info.protocol_version.block,
                app: info.protocol_version.app,
            }),
            default_node_id: info.id.to_string(),
            listen_addr: info.listen_addr.to_string(),
            network: info.network.to_string(),
            version: info.version.to_string(),
            channels: info.channels.to_string().into_bytes(),
            moniker: info.moniker.to_string(),
            other: Some(cosmrs::proto::tendermint::p2p::DefaultNodeInfoOther {
                tx_index: match info.other.tx_index {
                    tendermint::node::info::TxIndexStatus::On => "on".into(),
                    tendermint::node::info::TxIndexStatus::Off => "off".into(),
                },
                rpc_address: info.other.rpc_address.to_string(),
            }),
        };
        let application_version = crate::node_info::version_info(&info.version.to_string());
        Ok(Response::new(node_pb::GetNodeInfoResponse {
            default_node_info: Some(default_node_info),
            application_version: Some(application_version),
        }))
    }
}

#[tonic::async_trait]
impl ibc_proto::ibc::core::client::v1::query_server::Query for Service {
    async fn client_state(
        &self,
        r: Request<ibc_proto::ibc::core::client::v1::QueryClientStateRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::client::v1::QueryClientStateResponse>, Status> {
        self.call("/ibc.core.client.v1.Query/ClientState", r).await
    }
    async fn client_states(
        &self,
        r: Request<ibc_proto::ibc::core::client::v1::QueryClientStatesRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::client::v1::QueryClientStatesResponse>, Status> {
        self.call("/ibc.core.client.v1.Query/ClientStates", r).await
    }
    async fn consensus_state(
        &self,
        r: Request<ibc_proto::ibc::core::client::v1::QueryConsensusStateRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::client::v1::QueryConsensusStateResponse>, Status>
    {
        self.call("/ibc.core.client.v1.Query/ConsensusState", r)
            .await
    }
    async fn consensus_states(
        &self,
        r: Request<ibc_proto::ibc::core::client::v1::QueryConsensusStatesRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::client::v1::QueryConsensusStatesResponse>, Status>
    {
        self.call("/ibc.core.client.v1.Query/ConsensusStates", r)
            .await
    }
    async fn consensus_state_heights(
        &self,
        r: Request<ibc_proto::ibc::core::client::v1::QueryConsensusStateHeightsRequest>,
    ) -> Result<
        Response<ibc_proto::ibc::core::client::v1::QueryConsensusStateHeightsResponse>,
        Status,
    > {
        self.call("/ibc.core.client.v1.Query/ConsensusStateHeights", r)
            .await
    }
    async fn client_status(
        &self,
        r: Request<ibc_proto::ibc::core::client::v1::QueryClientStatusRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::client::v1::QueryClientStatusResponse>, Status> {
        self.call("/ibc.core.client.v1.Query/ClientStatus", r).await
    }
    async fn client_params(
        &self,
        r: Request<ibc_proto::ibc::core::client::v1::QueryClientParamsRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::client::v1::QueryClientParamsResponse>, Status> {
        self.call("/ibc.core.client.v1.Query/ClientParams", r).await
    }
    async fn upgraded_client_state(
        &self,
        r: Request<ibc_proto::ibc::core::client::v1::QueryUpgradedClientStateRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::client::v1::QueryUpgradedClientStateResponse>, Status>
    {
        self.call("/ibc.core.client.v1.Query/UpgradedClientState", r)
            .await
    }
    async fn upgraded_consensus_state(
        &self,
        r: Request<ibc_proto::ibc::core::client::v1::QueryUpgradedConsensusStateRequest>,
    ) -> Result<
        Response<ibc_proto::ibc::core::client::v1::QueryUpgradedConsensusStateResponse>,
        Status,
    > {
        self.call("/ibc.core.client.v1.Query/UpgradedConsensusState", r)
            .await
    }
}

#[tonic::async_trait]
impl ibc_proto::ibc::core::connection::v1::query_server::Query for Service {
    async fn connection(
        &self,
        r: Request<ibc_proto::ibc::core::connection::v1::QueryConnectionRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::connection::v1::QueryConnectionResponse>, Status>
    {
        self.call("/ibc.core.connection.v1.Query/Connection", r)
            .await
    }
    async fn connections(
        &self,
        r: Request<ibc_proto::ibc::core::connection::v1::QueryConnectionsRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::connection::v1::QueryConnectionsResponse>, Status>
    {
        self.call("/ibc.core.connection.v1.Query/Connections", r)
            .await
    }
    async fn client_connections(
        &self,
        r: Request<ibc_proto::ibc::core::connection::v1::QueryClientConnectionsRequest>,
    ) -> Result<
        Response<ibc_proto::ibc::core::connection::v1::QueryClientConnectionsResponse>,
        Status,
    > {
        self.call("/ibc.core.connection.v1.Query/ClientConnections", r)
            .await
    }
    async fn connection_client_state(
        &self,
        r: Request<ibc_proto::ibc::core::connection::v1::QueryConnectionClientStateRequest>,
    ) -> Result<
        Response<ibc_proto::ibc::core::connection::v1::QueryConnectionClientStateResponse>,
        Status,
    > {
        self.call("/ibc.core.connection.v1.Query/ConnectionClientState", r)
            .await
    }
    async fn connection_consensus_state(
        &self,
        r: Request<ibc_proto::ibc::core::connection::v1::QueryConnectionConsensusStateRequest>,
    ) -> Result<
        Response<ibc_proto::ibc::core::connection::v1::QueryConnectionConsensusStateResponse>,
        Status,
    > {
        self.call("/ibc.core.connection.v1.Query/ConnectionConsensusState", r)
            .await
    }
    async fn connection_params(
        &self,
        r: Request<ibc_proto::ibc::core::connection::v1::QueryConnectionParamsRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::connection::v1::QueryConnectionParamsResponse>, Status>
    {
        self.call("/ibc.core.connection.v1.Query/ConnectionParams", r)
            .await
    }
}

#[tonic::async_trait]
impl ibc_proto::ibc::core::channel::v1::query_server::Query for Service {
    async fn channel(
        &self,
        r: Request<ibc_proto::ibc::core::channel::v1::QueryChannelRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::channel::v1::QueryChannelResponse>, Status> {
        self.call("/ibc.core.channel.v1.Query/Channel", r).await
    }
    async fn channels(
        &self,
        r: Request<ibc_proto::ibc::core::channel::v1::QueryChannelsRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::channel::v1::QueryChannelsResponse>, Status> {
        self.call("/ibc.core.channel.v1.Query/Channels", r).await
    }
    async fn connection_channels(
        &self,
        r: Request<ibc_proto::ibc::core::channel::v1::QueryConnectionChannelsRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::channel::v1::QueryConnectionChannelsResponse>, Status>
    {
        self.call("/ibc.core.channel.v1.Query/ConnectionChannels", r)
            .await
    }
    async fn channel_client_state(
        &self,
        r: Request<ibc_proto::ibc::core::channel::v1::QueryChannelClientStateRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::channel::v1::QueryChannelClientStateResponse>, Status>
    {
        self.call("/ibc.core.channel.v1.Query/ChannelClientState", r)
            .await
    }
    async fn channel_consensus_state(
        &self,
        r: Request<ibc_proto::ibc::core::channel::v1::QueryChannelConsensusStateRequest>,
    ) -> Result<
        Response<ibc_proto::ibc::core::channel::v1::QueryChannelConsensusStateResponse>,
        Status,
    > {
        self.call("/ibc.core.channel.v1.Query/ChannelConsensusState", r)
            .await
    }
    async fn packet_commitment(
        &self,
        r: Request<ibc_proto::ibc::core::channel::v1::QueryPacketCommitmentRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::channel::v1::QueryPacketCommitmentResponse>, Status>
    {
        self.call("/ibc.core.channel.v1.Query/PacketCommitment", r)
            .await
    }
    async fn packet_commitments(
        &self,
        r: Request<ibc_proto::ibc::core::channel::v1::QueryPacketCommitmentsRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::channel::v1::QueryPacketCommitmentsResponse>, Status>
    {
        self.call("/ibc.core.channel.v1.Query/PacketCommitments", r)
            .await
    }
    async fn packet_receipt(
        &self,
        r: Request<ibc_proto::ibc::core::channel::v1::QueryPacketReceiptRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::channel::v1::QueryPacketReceiptResponse>, Status>
    {
        self.call("/ibc.core.channel.v1.Query/PacketReceipt", r)
            .await
    }
    async fn packet_acknowledgement(
        &self,
        r: Request<ibc_proto::ibc::core::channel::v1::QueryPacketAcknowledgementRequest>,
    ) -> Result<
        Response<ibc_proto::ibc::core::channel::v1::QueryPacketAcknowledgementResponse>,
        Status,
    > {
        self.call("/ibc.core.channel.v1.Query/PacketAcknowledgement", r)
            .await
    }
    async fn packet_acknowledgements(
        &self,
        r: Request<ibc_proto::ibc::core::channel::v1::QueryPacketAcknowledgementsRequest>,
    ) -> Result<
        Response<ibc_proto::ibc::core::channel::v1::QueryPacketAcknowledgementsResponse>,
        Status,
    > {
        self.call("/ibc.core.channel.v1.Query/PacketAcknowledgements", r)
            .await
    }
    async fn unreceived_packets(
        &self,
        r: Request<ibc_proto::ibc::core::channel::v1::QueryUnreceivedPacketsRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::channel::v1::QueryUnreceivedPacketsResponse>, Status>
    {
        self.call("/ibc.core.channel.v1.Query/UnreceivedPackets", r)
            .await
    }
    async fn unreceived_acks(
        &self,
        r: Request<ibc_proto::ibc::core::channel::v1::QueryUnreceivedAcksRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::channel::v1::QueryUnreceivedAcksResponse>, Status>
    {
        self.call("/ibc.core.channel.v1.Query/UnreceivedAcks", r)
            .await
    }
    async fn next_sequence_receive(
        &self,
        r: Request<ibc_proto::ibc::core::channel::v1::QueryNextSequenceReceiveRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::channel::v1::QueryNextSequenceReceiveResponse>, Status>
    {
        self.call("/ibc.core.channel.v1.Query/NextSequenceReceive", r)
            .await
    }
    async fn next_sequence_send(
        &self,
        r: Request<ibc_proto::ibc::core::channel::v1::QueryNextSequenceSendRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::channel::v1::QueryNextSequenceSendResponse>, Status>
    {
        self.call("/ibc.core.channel.v1.Query/NextSequenceSend", r)
            .await
    }
    async fn upgrade_error(
        &self,
        r: Request<ibc_proto::ibc::core::channel::v1::QueryUpgradeErrorRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::channel::v1::QueryUpgradeErrorResponse>, Status>
    {
        self.call("/ibc.core.channel.v1.Query/UpgradeError", r)
            .await
    }
    async fn upgrade(
        &self,
        r: Request<ibc_proto::ibc::core::channel::v1::QueryUpgradeRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::channel::v1::QueryUpgradeResponse>, Status> {
        self.call("/ibc.core.channel.v1.Query/Upgrade", r).await
    }
    async fn channel_params(
        &self,
        r: Request<ibc_proto::ibc::core::channel::v1::QueryChannelParamsRequest>,
    ) -> Result<Response<ibc_proto::ibc::core::channel::v1::QueryChannelParamsResponse>, Status>
    {
        self.call("/ibc.core.channel.v1.Query/ChannelParams", r)
            .await
    }
}

#[tonic::async_trait]
impl ibc_proto::ibc::applications::transfer::v1::query_server::Query for Service {
    async fn denom_traces(
        &self,
        r: Request<ibc_proto::ibc::applications::transfer::v1::QueryDenomTracesRequest>,
    ) -> Result<
        Response<ibc_proto::ibc::applications::transfer::v1::QueryDenomTracesResponse>,
        Status,
    > {
        self.call("/ibc.applications.transfer.v1.Query/DenomTraces", r)
            .await
    }
    async fn denom_trace(
        &self,
        r: Request<ibc_proto::ibc::applications::transfer::v1::QueryDenomTraceRequest>,
    ) -> Result<Response<ibc_proto::ibc::applications::transfer::v1::QueryDenomTraceResponse>, Status>
    {
        self.call("/ibc.applications.transfer.v1.Query/DenomTrace", r)
            .await
    }
    async fn params(
        &self,
        r: Request<ibc_proto::ibc::applications::transfer::v1::QueryParamsRequest>,
    ) -> Result<Response<ibc_proto::ibc::applications::transfer::v1::QueryParamsResponse>, Status>
    {
        self.call("/ibc.applications.transfer.v1.Query/Params", r)
            .await
    }
    async fn denom_hash(
        &self,
        r: Request<ibc_proto::ibc::applications::transfer::v1::QueryDenomHashRequest>,
    ) -> Result<Response<ibc_proto::ibc::applications::transfer::v1::QueryDenomHashResponse>, Status>
    {
        self.call("/ibc.applications.transfer.v1.Query/DenomHash", r)
            .await
    }
    async fn escrow_address(
        &self,
        r: Request<ibc_proto::ibc::applications::transfer::v1::QueryEscrowAddressRequest>,
    ) -> Result<
        Response<ibc_proto::ibc::applications::transfer::v1::QueryEscrowAddressResponse>,
        Status,
    > {
        self.call("/ibc.applications.transfer.v1.Query/EscrowAddress", r)
            .await
    }
    async fn total_escrow_for_denom(
        &self,
        r: Request<ibc_proto::ibc::applications::transfer::v1::QueryTotalEscrowForDenomRequest>,
    ) -> Result<
        Response<ibc_proto::ibc::applications::transfer::v1::QueryTotalEscrowForDenomResponse>,
        Status,
    > {
        self.call("/ibc.applications.transfer.v1.Query/TotalEscrowForDenom", r)
            .await
    }
}

#[tonic::async_trait]
impl cosmrs::proto::cosmos::bank::v1beta1::query_server::Query for Service {
    async fn balance(
        &self,
        r: Request<cosmrs::proto::cosmos::bank::v1beta1::QueryBalanceRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::bank::v1beta1::QueryBalanceResponse>, Status> {
        self.call("/cosmos.bank.v1beta1.Query/Balance", r).await
    }
    async fn all_balances(
        &self,
        r: Request<cosmrs::proto::cosmos::bank::v1beta1::QueryAllBalancesRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::bank::v1beta1::QueryAllBalancesResponse>, Status>
    {
        self.call("/cosmos.bank.v1beta1.Query/AllBalances", r).await
    }
    async fn spendable_balances(
        &self,
        r: Request<cosmrs::proto::cosmos::bank::v1beta1::QuerySpendableBalancesRequest>,
    ) -> Result<
        Response<cosmrs::proto::cosmos::bank::v1beta1::QuerySpendableBalancesResponse>,
        Status,
    > {
        self.call("/cosmos.bank.v1beta1.Query/SpendableBalances", r)
            .await
    }
    async fn spendable_balance_by_denom(
        &self,
        r: Request<cosmrs::proto::cosmos::bank::v1beta1::QuerySpendableBalanceByDenomRequest>,
    ) -> Result<
        Response<cosmrs::proto::cosmos::bank::v1beta1::QuerySpendableBalanceByDenomResponse>,
        Status,
    > {
        self.call("/cosmos.bank.v1beta1.Query/SpendableBalanceByDenom", r)
            .await
    }
    async fn total_supply(
        &self,
        r: Request<cosmrs::proto::cosmos::bank::v1beta1::QueryTotalSupplyRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::bank::v1beta1::QueryTotalSupplyResponse>, Status>
    {
        self.call("/cosmos.bank.v1beta1.Query/TotalSupply", r).await
    }
    async fn supply_of(
        &self,
        r: Request<cosmrs::proto::cosmos::bank::v1beta1::QuerySupplyOfRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::bank::v1beta1::QuerySupplyOfResponse>, Status> {
        self.call("/cosmos.bank.v1beta1.Query/SupplyOf", r).await
    }
    async fn params(
        &self,
        r: Request<cosmrs::proto::cosmos::bank::v1beta1::QueryParamsRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::bank::v1beta1::QueryParamsResponse>, Status> {
        self.call("/cosmos.bank.v1beta1.Query/Params", r).await
    }
    async fn denom_metadata(
        &self,
        r: Request<cosmrs::proto::cosmos::bank::v1beta1::QueryDenomMetadataRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::bank::v1beta1::QueryDenomMetadataResponse>, Status>
    {
        self.call("/cosmos.bank.v1beta1.Query/DenomMetadata", r)
            .await
    }
    async fn denom_metadata_by_query_string(
        &self,
        r: Request<cosmrs::proto::cosmos::bank::v1beta1::QueryDenomMetadataByQueryStringRequest>,
    ) -> Result<
        Response<cosmrs::proto::cosmos::bank::v1beta1::QueryDenomMetadataByQueryStringResponse>,
        Status,
    > {
        self.call("/cosmos.bank.v1beta1.Query/DenomMetadataByQueryString", r)
            .await
    }
    async fn denoms_metadata(
        &self,
        r: Request<cosmrs::proto::cosmos::bank::v1beta1::QueryDenomsMetadataRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::bank::v1beta1::QueryDenomsMetadataResponse>, Status>
    {
        self.call("/cosmos.bank.v1beta1.Query/DenomsMetadata", r)
            .await
    }
    async fn denom_owners(
        &self,
        r: Request<cosmrs::proto::cosmos::bank::v1beta1::QueryDenomOwnersRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::bank::v1beta1::QueryDenomOwnersResponse>, Status>
    {
        self.call("/cosmos.bank.v1beta1.Query/DenomOwners", r).await
    }
    async fn denom_owners_by_query(
        &self,
        r: Request<cosmrs::proto::cosmos::bank::v1beta1::QueryDenomOwnersByQueryRequest>,
    ) -> Result<
        Response<cosmrs::proto::cosmos::bank::v1beta1::QueryDenomOwnersByQueryResponse>,
        Status,
    > {
        self.call("/cosmos.bank.v1beta1.Query/DenomOwnersByQuery", r)
            .await
    }
    async fn send_enabled(
        &self,
        r: Request<cosmrs::proto::cosmos::bank::v1beta1::QuerySendEnabledRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::bank::v1beta1::QuerySendEnabledResponse>, Status>
    {
        self.call("/cosmos.bank.v1beta1.Query/SendEnabled", r).await
    }
}

#[tonic::async_trait]
impl cosmrs::proto::cosmos::auth::v1beta1::query_server::Query for Service {
    async fn accounts(
        &self,
        r: Request<cosmrs::proto::cosmos::auth::v1beta1::QueryAccountsRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::auth::v1beta1::QueryAccountsResponse>, Status> {
        self.call("/cosmos.auth.v1beta1.Query/Accounts", r).await
    }
    async fn account(
        &self,
        r: Request<cosmrs::proto::cosmos::auth::v1beta1::QueryAccountRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::auth::v1beta1::QueryAccountResponse>, Status> {
        self.call("/cosmos.auth.v1beta1.Query/Account", r).await
    }
    async fn account_address_by_id(
        &self,
        r: Request<cosmrs::proto::cosmos::auth::v1beta1::QueryAccountAddressByIdRequest>,
    ) -> Result<
        Response<cosmrs::proto::cosmos::auth::v1beta1::QueryAccountAddressByIdResponse>,
        Status,
    > {
        self.call("/cosmos.auth.v1beta1.Query/AccountAddressById", r)
            .await
    }
    async fn params(
        &self,
        r: Request<cosmrs::proto::cosmos::auth::v1beta1::QueryParamsRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::auth::v1beta1::QueryParamsResponse>, Status> {
        self.call("/cosmos.auth.v1beta1.Query/Params", r).await
    }
    async fn module_accounts(
        &self,
        r: Request<cosmrs::proto::cosmos::auth::v1beta1::QueryModuleAccountsRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::auth::v1beta1::QueryModuleAccountsResponse>, Status>
    {
        self.call("/cosmos.auth.v1beta1.Query/ModuleAccounts", r)
            .await
    }
    async fn module_account_by_name(
        &self,
        r: Request<cosmrs::proto::cosmos::auth::v1beta1::QueryModuleAccountByNameRequest>,
    ) -> Result<
        Response<cosmrs::proto::cosmos::auth::v1beta1::QueryModuleAccountByNameResponse>,
        Status,
    > {
        self.call("/cosmos.auth.v1beta1.Query/ModuleAccountByName", r)
            .await
    }
    async fn bech32_prefix(
        &self,
        r: Request<cosmrs::proto::cosmos::auth::v1beta1::Bech32PrefixRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::auth::v1beta1::Bech32PrefixResponse>, Status> {
        self.call("/cosmos.auth.v1beta1.Query/Bech32Prefix", r)
            .await
    }
    async fn address_bytes_to_string(
        &self,
        r: Request<cosmrs::proto::cosmos::auth::v1beta1::AddressBytesToStringRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::auth::v1beta1::AddressBytesToStringResponse>, Status>
    {
        self.call("/cosmos.auth.v1beta1.Query/AddressBytesToString", r)
            .await
    }
    async fn address_string_to_bytes(
        &self,
        r: Request<cosmrs::proto::cosmos::auth::v1beta1::AddressStringToBytesRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::auth::v1beta1::AddressStringToBytesResponse>, Status>
    {
        self.call("/cosmos.auth.v1beta1.Query/AddressStringToBytes", r)
            .await
    }
    async fn account_info(
        &self,
        r: Request<cosmrs::proto::cosmos::auth::v1beta1::QueryAccountInfoRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::auth::v1beta1::QueryAccountInfoResponse>, Status>
    {
        self.call("/cosmos.auth.v1beta1.Query/AccountInfo", r).await
    }
}

#[tonic::async_trait]
impl cosmrs::proto::cosmos::staking::v1beta1::query_server::Query for Service {
    async fn validators(
        &self,
        r: Request<cosmrs::proto::cosmos::staking::v1beta1::QueryValidatorsRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::staking::v1beta1::QueryValidatorsResponse>, Status>
    {
        self.call("/cosmos.staking.v1beta1.Query/Validators", r)
            .await
    }
    async fn validator(
        &self,
        r: Request<cosmrs::proto::cosmos::staking::v1beta1::QueryValidatorRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::staking::v1beta1::QueryValidatorResponse>, Status>
    {
        self.call("/cosmos.staking.v1beta1.Query/Validator", r)
            .await
    }
    async fn validator_delegations(
        &self,
        r: Request<cosmrs::proto::cosmos::staking::v1beta1::QueryValidatorDelegationsRequest>,
    ) -> Result<
        Response<cosmrs::proto::cosmos::staking::v1beta1::QueryValidatorDelegationsResponse>,
        Status,
    > {
        self.call("/cosmos.staking.v1beta1.Query/ValidatorDelegations", r)
            .await
    }
    async fn validator_unbonding_delegations(
        &self,
        r: Request<
            cosmrs::proto::cosmos::staking::v1beta1::QueryValidatorUnbondingDelegationsRequest,
        >,
    ) -> Result<
        Response<
            cosmrs::proto::cosmos::staking::v1beta1::QueryValidatorUnbondingDelegationsResponse,
        >,
        Status,
    > {
        self.call(
            "/cosmos.staking.v1beta1.Query/ValidatorUnbondingDelegations",
            r,
        )
        .await
    }
    async fn delegation(
        &self,
        r: Request<cosmrs::proto::cosmos::staking::v1beta1::QueryDelegationRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::staking::v1beta1::QueryDelegationResponse>, Status>
    {
        self.call("/cosmos.staking.v1beta1.Query/Delegation", r)
            .await
    }
    async fn unbonding_delegation(
        &self,
        r: Request<cosmrs::proto::cosmos::staking::v1beta1::QueryUnbondingDelegationRequest>,
    ) -> Result<
        Response<cosmrs::proto::cosmos::staking::v1beta1::QueryUnbondingDelegationResponse>,
        Status,
    > {
        self.call("/cosmos.staking.v1beta1.Query/UnbondingDelegation", r)
            .await
    }
    async fn delegator_delegations(
        &self,
        r: Request<cosmrs::proto::cosmos::staking::v1beta1::QueryDelegatorDelegationsRequest>,
    ) -> Result<
        Response<cosmrs::proto::cosmos::staking::v1beta1::QueryDelegatorDelegationsResponse>,
        Status,
    > {
        self.call("/cosmos.staking.v1beta1.Query/DelegatorDelegations", r)
            .await
    }
    async fn delegator_unbonding_delegations(
        &self,
        r: Request<
            cosmrs::proto::cosmos::staking::v1beta1::QueryDelegatorUnbondingDelegationsRequest,
        >,
    ) -> Result<
        Response<
            cosmrs::proto::cosmos::staking::v1beta1::QueryDelegatorUnbondingDelegationsResponse,
        >,
        Status,
    > {
        self.call(
            "/cosmos.staking.v1beta1.Query/DelegatorUnbondingDelegations",
            r,
        )
        .await
    }
    async fn redelegations(
        &self,
        r: Request<cosmrs::proto::cosmos::staking::v1beta1::QueryRedelegationsRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::staking::v1beta1::QueryRedelegationsResponse>, Status>
    {
        self.call("/cosmos.staking.v1beta1.Query/Redelegations", r)
            .await
    }
    async fn delegator_validators(
        &self,
        r: Request<cosmrs::proto::cosmos::staking::v1beta1::QueryDelegatorValidatorsRequest>,
    ) -> Result<
        Response<cosmrs::proto::cosmos::staking::v1beta1::QueryDelegatorValidatorsResponse>,
        Status,
    > {
        self.call("/cosmos.staking.v1beta1.Query/DelegatorValidators", r)
            .await
    }
    async fn delegator_validator(
        &self,
        r: Request<cosmrs::proto::cosmos::staking::v1beta1::QueryDelegatorValidatorRequest>,
    ) -> Result<
        Response<cosmrs::proto::cosmos::staking::v1beta1::QueryDelegatorValidatorResponse>,
        Status,
    > {
        self.call("/cosmos.staking.v1beta1.Query/DelegatorValidator", r)
            .await
    }
    async fn historical_info(
        &self,
        r: Request<cosmrs::proto::cosmos::staking::v1beta1::QueryHistoricalInfoRequest>,
    ) -> Result<
        Response<cosmrs::proto::cosmos::staking::v1beta1::QueryHistoricalInfoResponse>,
        Status,
    > {
        self.call("/cosmos.staking.v1beta1.Query/HistoricalInfo", r)
            .await
    }
    async fn pool(
        &self,
        r: Request<cosmrs::proto::cosmos::staking::v1beta1::QueryPoolRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::staking::v1beta1::QueryPoolResponse>, Status> {
        self.call("/cosmos.staking.v1beta1.Query/Pool", r).await
    }
    async fn params(
        &self,
        r: Request<cosmrs::proto::cosmos::staking::v1beta1::QueryParamsRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::staking::v1beta1::QueryParamsResponse>, Status>
    {
        self.call("/cosmos.staking.v1beta1.Query/Params", r).await
    }
}

#[tonic::async_trait]
impl cosmrs::proto::cosmos::tx::v1beta1::service_server::Service for Service {
    async fn simulate(
        &self,
        r: Request<cosmrs::proto::cosmos::tx::v1beta1::SimulateRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::tx::v1beta1::SimulateResponse>, Status> {
        self.call("/cosmos.tx.v1beta1.Service/Simulate", r).await
    }
    async fn get_tx(
        &self,
        r: Request<cosmrs::proto::cosmos::tx::v1beta1::GetTxRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::tx::v1beta1::GetTxResponse>, Status> {
        self.get_tx(r).await
    }
    async fn broadcast_tx(
        &self,
        r: Request<cosmrs::proto::cosmos::tx::v1beta1::BroadcastTxRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::tx::v1beta1::BroadcastTxResponse>, Status> {
        self.broadcast_tx(r).await
    }
    async fn get_txs_event(
        &self,
        r: Request<cosmrs::proto::cosmos::tx::v1beta1::GetTxsEventRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::tx::v1beta1::GetTxsEventResponse>, Status> {
        self.call("/cosmos.tx.v1beta1.Service/GetTxsEvent", r).await
    }
    async fn get_block_with_txs(
        &self,
        r: Request<cosmrs::proto::cosmos::tx::v1beta1::GetBlockWithTxsRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::tx::v1beta1::GetBlockWithTxsResponse>, Status> {
        self.call("/cosmos.tx.v1beta1.Service/GetBlockWithTxs", r)
            .await
    }
    async fn tx_decode(
        &self,
        r: Request<cosmrs::proto::cosmos::tx::v1beta1::TxDecodeRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::tx::v1beta1::TxDecodeResponse>, Status> {
        self.call("/cosmos.tx.v1beta1.Service/TxDecode", r).await
    }
    async fn tx_encode(
        &self,
        r: Request<cosmrs::proto::cosmos::tx::v1beta1::TxEncodeRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::tx::v1beta1::TxEncodeResponse>, Status> {
        self.call("/cosmos.tx.v1beta1.Service/TxEncode", r).await
    }
    async fn tx_encode_amino(
        &self,
        r: Request<cosmrs::proto::cosmos::tx::v1beta1::TxEncodeAminoRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::tx::v1beta1::TxEncodeAminoResponse>, Status> {
        self.call("/cosmos.tx.v1beta1.Service/TxEncodeAmino", r)
            .await
    }
    async fn tx_decode_amino(
        &self,
        r: Request<cosmrs::proto::cosmos::tx::v1beta1::TxDecodeAminoRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::tx::v1beta1::TxDecodeAminoResponse>, Status> {
        self.call("/cosmos.tx.v1beta1.Service/TxDecodeAmino", r)
            .await
    }
}

#[tonic::async_trait]
impl cosmrs::proto::cosmos::base::tendermint::v1beta1::service_server::Service for Service {
    async fn get_node_info(
        &self,
        r: Request<cosmrs::proto::cosmos::base::tendermint::v1beta1::GetNodeInfoRequest>,
    ) -> Result<
        Response<cosmrs::proto::cosmos::base::tendermint::v1beta1::GetNodeInfoResponse>,
        Status,
    > {
        self.get_node_info(r).await
    }
    async fn get_syncing(
        &self,
        r: Request<cosmrs::proto::cosmos::base::tendermint::v1beta1::GetSyncingRequest>,
    ) -> Result<
        Response<cosmrs::proto::cosmos::base::tendermint::v1beta1::GetSyncingResponse>,
        Status,
    > {
        self.call("/cosmos.base.tendermint.v1beta1.Service/GetSyncing", r)
            .await
    }
    async fn get_latest_block(
        &self,
        r: Request<cosmrs::proto::cosmos::base::tendermint::v1beta1::GetLatestBlockRequest>,
    ) -> Result<
        Response<cosmrs::proto::cosmos::base::tendermint::v1beta1::GetLatestBlockResponse>,
        Status,
    > {
        self.call("/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock", r)
            .await
    }
    async fn get_block_by_height(
        &self,
        r: Request<cosmrs::proto::cosmos::base::tendermint::v1beta1::GetBlockByHeightRequest>,
    ) -> Result<
        Response<cosmrs::proto::cosmos::base::tendermint::v1beta1::GetBlockByHeightResponse>,
        Status,
    > {
        self.call(
            "/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight",
            r,
        )
        .await
    }
    async fn get_latest_validator_set(
        &self,
        r: Request<cosmrs::proto::cosmos::base::tendermint::v1beta1::GetLatestValidatorSetRequest>,
    ) -> Result<
        Response<cosmrs::proto::cosmos::base::tendermint::v1beta1::GetLatestValidatorSetResponse>,
        Status,
    > {
        self.call(
            "/cosmos.base.tendermint.v1beta1.Service/GetLatestValidatorSet",
            r,
        )
        .await
    }
    async fn get_validator_set_by_height(
        &self,
        r: Request<
            cosmrs::proto::cosmos::base::tendermint::v1beta1::GetValidatorSetByHeightRequest,
        >,
    ) -> Result<
        Response<cosmrs::proto::cosmos::base::tendermint::v1beta1::GetValidatorSetByHeightResponse>,
        Status,
    > {
        self.call(
            "/cosmos.base.tendermint.v1beta1.Service/GetValidatorSetByHeight",
            r,
        )
        .await
    }
    async fn abci_query(
        &self,
        r: Request<cosmrs::proto::cosmos::base::tendermint::v1beta1::AbciQueryRequest>,
    ) -> Result<Response<cosmrs::proto::cosmos::base::tendermint::v1beta1::AbciQueryResponse>, Status>
    {
        self.call("/cosmos.base.tendermint.v1beta1.Service/AbciQuery", r)
            .await
    }
}

/// Serves gRPC on `addr` until the process ends.
pub async fn serve(app: Arc<App>, addr: SocketAddr, cometbft_rpc: &str) -> Result<()> {
    let service = Service {
        app,
        node: Arc::new(Node::connect(cometbft_rpc)?),
    };
    tracing::info!(%addr, "gRPC server listening");
    tonic::transport::Server::builder()
        .add_service(
            ibc_proto::ibc::core::client::v1::query_server::QueryServer::new(service.clone()),
        )
        .add_service(
            ibc_proto::ibc::core::connection::v1::query_server::QueryServer::new(service.clone()),
        )
        .add_service(
            ibc_proto::ibc::core::channel::v1::query_server::QueryServer::new(service.clone()),
        )
        .add_service(
            ibc_proto::ibc::applications::transfer::v1::query_server::QueryServer::new(
                service.clone(),
            ),
        )
        .add_service(
            cosmrs::proto::cosmos::bank::v1beta1::query_server::QueryServer::new(service.clone()),
        )
        .add_service(
            cosmrs::proto::cosmos::auth::v1beta1::query_server::QueryServer::new(service.clone()),
        )
        .add_service(
            cosmrs::proto::cosmos::staking::v1beta1::query_server::QueryServer::new(
                service.clone(),
            ),
        )
        .add_service(
            cosmrs::proto::cosmos::tx::v1beta1::service_server::ServiceServer::new(service.clone()),
        )
        .add_service(
            cosmrs::proto::cosmos::base::tendermint::v1beta1::service_server::ServiceServer::new(
                service.clone(),
            ),
        )
        .serve(addr)
        .await
        .with_context(|| format!("gRPC server on {addr}"))
}
