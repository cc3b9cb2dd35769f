//! The node's gRPC server, for relayers and wallets. There are no per-method forwarders: one
//! service takes every call, passes the request bytes through unchanged, and answers from the
//! same query registry as ABCI `Query` (so both always agree and a new query needs no code here).
//! A few methods only CometBFT can answer (a transaction by hash, broadcasting, the node's
//! peer-to-peer identity) are served from its RPC. A query at a past height takes the
//! `x-cosmos-block-height` header, as the Cosmos SDK's gRPC does; an unknown method answers
//! `UNIMPLEMENTED`, from the registry.

// tonic's own API is `Result<_, Status>` throughout; boxing Status here would only convert back.
#![allow(clippy::result_large_err)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use anyhow::{Context, Result};
use bytes::{Buf, BufMut};
use cosmrs::proto::cosmos::base::abci::v1beta1 as abci_pb;
use cosmrs::proto::cosmos::base::tendermint::v1beta1 as node_pb;
use cosmrs::proto::cosmos::tx::v1beta1 as tx_pb;
use estuary_sdk::query::QueryRequest;
use prost::Message;
use tendermint_rpc::Client;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::{Request, Response, Status};

use crate::app::App;
use crate::client::Node;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

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

/// Runs a typed handler on a request's bytes and encodes its answer.
async fn typed<Req, Resp, F, Fut>(
    r: Request<Vec<u8>>,
    handler: F,
) -> Result<Response<Vec<u8>>, Status>
where
    Req: Message + Default,
    Resp: Message,
    F: FnOnce(Request<Req>) -> Fut,
    Fut: Future<Output = Result<Response<Resp>, Status>>,
{
    let (meta, ext, bytes) = r.into_parts();
    let req = Req::decode(bytes.as_slice()).map_err(|e| Status::invalid_argument(e.to_string()))?;
    let resp = handler(Request::from_parts(meta, ext, req)).await?;
    Ok(resp.map(|m| m.encode_to_vec()))
}

impl Service {
    /// Answers one method with the request's protobuf bytes.
    async fn answer(&self, path: &str, r: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, Status> {
        // What CometBFT answers; everything else is the registry's.
        if path == tx_pb::GetTxRequest::path() {
            return typed(r, |r| self.get_tx(r)).await;
        }
        if path == tx_pb::BroadcastTxRequest::path() {
            return typed(r, |r| self.broadcast_tx(r)).await;
        }
        if path == node_pb::GetNodeInfoRequest::path() {
            return typed(r, |r| self.get_node_info(r)).await;
        }
        if !self.app.queries().serves_grpc(path) {
            return Err(Status::unimplemented(format!("unknown method {path}")));
        }
        self.query(path.to_string(), r).await
    }

    /// Answers a query method from the registry. The work runs on the blocking pool, not on a
    /// runtime worker: one slow query (a long page, an old height) never holds up the other
    /// clients, relayers above all.
    async fn query(&self, path: String, r: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, Status> {
        let height = r
            .metadata()
            .get("x-cosmos-block-height")
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let data = r.into_inner();
        let app = self.app.clone();
        let out = tokio::task::spawn_blocking(move || {
            crate::query::handle(&app, &path, &data, height, false)
        })
        .await
        .map_err(|e| Status::internal(format!("query task: {e}")))?;
        if out.code != 0 {
            return Err(status(out.code, out.log));
        }
        let mut response = Response::new(out.value);
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

/// A codec that hands the message bytes through: requests are decoded by the handler that
/// knows their type, responses were encoded by it.
#[derive(Clone, Copy, Default)]
struct Bytes;

impl Codec for Bytes {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Bytes;
    type Decoder = Bytes;
    fn encoder(&mut self) -> Bytes {
        Bytes
    }
    fn decoder(&mut self) -> Bytes {
        Bytes
    }
}

impl Encoder for Bytes {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Bytes {
    type Item = Vec<u8>;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let mut out = vec![0; src.remaining()];
        src.copy_to_slice(&mut out);
        Ok(Some(out))
    }
}

/// One unary call to `path`.
struct Call {
    service: Service,
    path: String,
}

impl tonic::server::UnaryService<Vec<u8>> for Call {
    type Response = Vec<u8>;
    type Future = BoxFuture<Result<Response<Vec<u8>>, Status>>;
    fn call(&mut self, request: Request<Vec<u8>>) -> Self::Future {
        let service = self.service.clone();
        let path = std::mem::take(&mut self.path);
        Box::pin(async move { service.answer(&path, request).await })
    }
}

/// Every gRPC method path, routed by the request's path.
impl tower_service::Service<http::Request<axum::body::Body>> for Service {
    type Response = http::Response<tonic::body::BoxBody>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<axum::body::Body>) -> Self::Future {
        let call = Call {
            service: self.clone(),
            path: req.uri().path().to_string(),
        };
        Box::pin(async move { Ok(tonic::server::Grpc::new(Bytes).unary(call, req).await) })
    }
}

/// Serves gRPC on `addr` until the process ends.
pub async fn serve(app: Arc<App>, addr: SocketAddr, cometbft_rpc: &str) -> Result<()> {
    let service = Service {
        app,
        node: Arc::new(Node::connect(cometbft_rpc)?),
    };
    tracing::info!(%addr, "gRPC server listening");
    let routes = tonic::service::Routes::from(axum::Router::new().fallback_service(service));
    tonic::transport::Server::builder()
        .add_routes(routes)
        .serve(addr)
        .await
        .with_context(|| format!("gRPC server on {addr}"))
}
