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

/// The methods CometBFT answers rather than the query registry, each with its handler: one
/// list gives both the dispatch and [`node_methods`] (which the REST gateway routes).
macro_rules! answered_by_node {
    ($($req:ty => $handler:ident),* $(,)?) => {
        /// The methods CometBFT answers (the gRPC service and the REST gateway serve them beside
        /// the registry's).
        pub fn node_methods() -> Vec<String> {
            vec![$(<$req>::path()),*]
        }

        impl Service {
            /// Answers `path` if it is one of CometBFT's; hands the request back otherwise.
            async fn answer_from_node(
                &self,
                path: &str,
                r: Request<Vec<u8>>,
            ) -> Result<Result<Response<Vec<u8>>, Status>, Request<Vec<u8>>> {
                $(if path == <$req>::path() {
                    return Ok(typed(r, |r| self.$handler(r)).await);
                })*
                Err(r)
            }
        }
    };
}

answered_by_node! {
    tx_pb::GetTxRequest => get_tx,
    tx_pb::BroadcastTxRequest => broadcast_tx,
    tx_pb::GetTxsEventRequest => get_txs_event,
    node_pb::GetNodeInfoRequest => get_node_info,
    node_pb::GetSyncingRequest => get_syncing,
    node_pb::GetLatestBlockRequest => get_latest_block,
    node_pb::GetBlockByHeightRequest => get_block_by_height,
    node_pb::GetLatestValidatorSetRequest => get_latest_validator_set,
    node_pb::GetValidatorSetByHeightRequest => get_validator_set_by_height,
}

impl Service {
    pub fn new(app: Arc<App>, cometbft_rpc: &str) -> Result<Service> {
        Ok(Service {
            app,
            node: Arc::new(Node::connect(cometbft_rpc)?),
        })
    }

    /// Every method this service answers: the registry's protobuf queries and CometBFT's.
    pub fn methods(&self) -> Vec<String> {
        let mut methods: Vec<String> = self
            .app
            .queries()
            .paths()
            .filter(|(_, _, grpc)| *grpc)
            .map(|(path, _, _)| path.to_string())
            .collect();
        methods.extend(node_methods());
        methods
    }

    /// Answers one method with the request's protobuf bytes.
    pub async fn answer(
        &self,
        path: &str,
        r: Request<Vec<u8>>,
    ) -> Result<Response<Vec<u8>>, Status> {
        // What CometBFT answers; everything else is the registry's.
        let r = match self.answer_from_node(path, r).await {
            Ok(answered) => return answered,
            Err(r) => r,
        };
        if !self.app.queries().serves_grpc(path) {
            return Err(Status::unimplemented(format!("unknown method {path}")));
        }
        self.query(path.to_string(), r).await
    }

    /// Answers a query method from the registry. The work runs on the blocking pool, not on a
    /// runtime worker: one slow query (a long page, an old height) never holds up the other
    /// clients, relayers above all.
    async fn query(&self, path: String, r: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, Status> {
        let height = self.requested_height(&r)?;
        let data = r.into_inner();
        let app = self.app.clone();
        let simulate = path == tx_pb::SimulateRequest::path();
        let out = tokio::task::spawn_blocking(move || {
            crate::query::handle(&app, &path, &data, height, false)
        })
        .await
        .map_err(|e| Status::internal(format!("query task: {e}")))?;
        if out.code != 0 {
            // The SDK's Simulate returns the ante handler's error as a plain error (UNKNOWN,
            // HTTP 500 at the gateway); its queries use the status codes `status` maps.
            if simulate {
                return Err(Status::unknown(out.log));
            }
            return Err(status(out.code, out.log));
        }
        let mut response = Response::new(out.value);
        if let Ok(v) = out.height.to_string().parse() {
            response.metadata_mut().insert("x-cosmos-block-height", v);
        }
        Ok(response)
    }

    /// The height a client asked for in `x-cosmos-block-height` (0: the latest). A bad or
    /// future height is refused with the SDK's words and its gRPC code (UNKNOWN: the SDK returns
    /// these as plain errors, which the gateway shows as HTTP 500).
    fn requested_height<T>(&self, r: &Request<T>) -> Result<u64, Status> {
        let Some(v) = r.metadata().get("x-cosmos-block-height") else {
            return Ok(0);
        };
        let text = v.to_str().unwrap_or("");
        let height: u64 = text
            .parse::<i64>()
            .ok()
            .and_then(|h| u64::try_from(h).ok())
            .ok_or_else(|| {
                Status::unknown(format!(
                    "invalid request: invalid height header \"x-cosmos-block-height\": {text:?}"
                ))
            })?;
        let latest = self.app.last_commit().map_or(0, |c| c.version);
        if height > latest {
            return Err(Status::unknown(
                "invalid height: cannot query with height in the future; please provide a valid height",
            ));
        }
        Ok(height)
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
        let time = self.block_time(found.height).await;
        let (tx, tx_response) = tx_and_response(&found, time);
        Ok(Response::new(tx_pb::GetTxResponse {
            tx: Some(tx),
            tx_response: Some(tx_response),
        }))
    }

    /// When the block at `height` was made, RFC 3339 as the SDK shows it (empty if unknown).
    async fn block_time(&self, height: tendermint::block::Height) -> String {
        match self.node.rpc.header(height).await {
            Ok(h) => h.header.time.to_rfc3339(),
            Err(_) => String::new(),
        }
    }

    /// Transactions matching a CometBFT event query (`query`, the SDK v0.50 form; the
    /// deprecated `events` list is joined with AND), as the SDK pages them: `page` from 1,
    /// `limit` 100 by default.
    async fn get_txs_event(
        &self,
        r: Request<tx_pb::GetTxsEventRequest>,
    ) -> Result<Response<tx_pb::GetTxsEventResponse>, Status> {
        let req = r.into_inner();
        #[allow(deprecated)] // `events` is the pre-v0.50 form clients still send
        let text = if req.query.is_empty() {
            req.events.join(" AND ")
        } else {
            req.query.clone()
        };
        if text.is_empty() {
            return Err(Status::invalid_argument("query cannot be empty"));
        }
        let query: tendermint_rpc::query::Query = text
            .parse()
            .map_err(|e| Status::invalid_argument(format!("query {text:?}: {e}")))?;
        let page = u32::try_from(req.page.max(1))
            .map_err(|_| Status::invalid_argument("page is too large"))?;
        let limit = u8::try_from(if req.limit == 0 {
            100
        } else {
            req.limit.min(100)
        })
        .unwrap_or(100);
        let order = match req.order_by {
            2 => tendermint_rpc::Order::Descending,
            _ => tendermint_rpc::Order::Ascending,
        };
        let found = self
            .node
            .rpc
            .tx_search(query, false, page, limit, order)
            .await
            .map_err(|e| Status::internal(format!("failed to search for txs: {e}")))?;
        let mut txs = Vec::with_capacity(found.txs.len());
        let mut tx_responses = Vec::with_capacity(found.txs.len());
        let mut times = std::collections::BTreeMap::new();
        for t in &found.txs {
            let time = match times.get(&t.height) {
                Some(time) => String::clone(time),
                None => {
                    let time = self.block_time(t.height).await;
                    times.insert(t.height, time.clone());
                    time
                }
            };
            let (tx, resp) = tx_and_response(t, time);
            txs.push(tx);
            tx_responses.push(resp);
        }
        Ok(Response::new(tx_pb::GetTxsEventResponse {
            txs,
            tx_responses,
            #[allow(deprecated)] // the SDK leaves it unset since v0.50
            pagination: None,
            total: u64::from(found.total_count),
        }))
    }

    async fn get_syncing(
        &self,
        _r: Request<node_pb::GetSyncingRequest>,
    ) -> Result<Response<node_pb::GetSyncingResponse>, Status> {
        let s = self.node.rpc.status().await.map_err(unavailable)?;
        Ok(Response::new(node_pb::GetSyncingResponse {
            syncing: s.sync_info.catching_up,
        }))
    }

    async fn get_latest_block(
        &self,
        _r: Request<node_pb::GetLatestBlockRequest>,
    ) -> Result<Response<node_pb::GetLatestBlockResponse>, Status> {
        let b = self.node.rpc.latest_block().await.map_err(unavailable)?;
        let (block_id, block, sdk_block) = block_parts(b);
        Ok(Response::new(node_pb::GetLatestBlockResponse {
            block_id,
            block,
            sdk_block,
        }))
    }

    async fn get_block_by_height(
        &self,
        r: Request<node_pb::GetBlockByHeightRequest>,
    ) -> Result<Response<node_pb::GetBlockByHeightResponse>, Status> {
        let height = self.height_at_most_latest(r.into_inner().height).await?;
        let b = self
            .node
            .rpc
            .block(height)
            .await
            .map_err(|e| Status::not_found(format!("block {height}: {e}")))?;
        let (block_id, block, sdk_block) = block_parts(b);
        Ok(Response::new(node_pb::GetBlockByHeightResponse {
            block_id,
            block,
            sdk_block,
        }))
    }

    /// A requested height as the SDK checks it: positive and not above the chain's tip.
    async fn height_at_most_latest(
        &self,
        height: i64,
    ) -> Result<tendermint::block::Height, Status> {
        let latest = self
            .node
            .rpc
            .status()
            .await
            .map_err(unavailable)?
            .sync_info
            .latest_block_height;
        let h = u64::try_from(height)
            .ok()
            .filter(|h| *h > 0)
            .ok_or_else(|| Status::invalid_argument("height must be greater than 0"))?;
        if h > latest.value() {
            return Err(Status::invalid_argument(
                "requested block height is bigger then the chain length",
            ));
        }
        tendermint::block::Height::try_from(h).map_err(|e| Status::invalid_argument(e.to_string()))
    }

    async fn get_latest_validator_set(
        &self,
        r: Request<node_pb::GetLatestValidatorSetRequest>,
    ) -> Result<Response<node_pb::GetLatestValidatorSetResponse>, Status> {
        let latest = self
            .node
            .rpc
            .status()
            .await
            .map_err(unavailable)?
            .sync_info
            .latest_block_height;
        let (block_height, validators, pagination) = self
            .validator_set(latest, r.into_inner().pagination)
            .await?;
        Ok(Response::new(node_pb::GetLatestValidatorSetResponse {
            block_height,
            validators,
            pagination,
        }))
    }

    async fn get_validator_set_by_height(
        &self,
        r: Request<node_pb::GetValidatorSetByHeightRequest>,
    ) -> Result<Response<node_pb::GetValidatorSetByHeightResponse>, Status> {
        let req = r.into_inner();
        let height = self.height_at_most_latest(req.height).await?;
        let (block_height, validators, pagination) =
            self.validator_set(height, req.pagination).await?;
        Ok(Response::new(node_pb::GetValidatorSetByHeightResponse {
            block_height,
            validators,
            pagination,
        }))
    }

    /// The validators at `height`, paged by offset and limit (100 by default) as the SDK does.
    async fn validator_set(
        &self,
        height: tendermint::block::Height,
        page: Option<cosmrs::proto::cosmos::base::query::v1beta1::PageRequest>,
    ) -> Result<
        (
            i64,
            Vec<node_pb::Validator>,
            Option<cosmrs::proto::cosmos::base::query::v1beta1::PageResponse>,
        ),
        Status,
    > {
        let set = self
            .node
            .rpc
            .validators(height, tendermint_rpc::Paging::All)
            .await
            .map_err(|e| Status::not_found(format!("validators at {height}: {e}")))?;
        let page = page.unwrap_or_default();
        let offset = usize::try_from(page.offset).unwrap_or(usize::MAX);
        let limit = match page.limit {
            0 => 100,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        let validators = set
            .validators
            .iter()
            .skip(offset)
            .take(limit)
            .map(|v| node_pb::Validator {
                address: estuary_sdk::address::consensus_bech32(v.address.as_bytes()),
                pub_key: Some(cosmrs::Any {
                    type_url: "/cosmos.crypto.ed25519.PubKey".into(),
                    value: cosmrs::proto::cosmos::crypto::ed25519::PubKey {
                        key: v.pub_key.to_bytes(),
                    }
                    .encode_to_vec(),
                }),
                voting_power: i64::try_from(v.power.value()).unwrap_or(i64::MAX),
                proposer_priority: v.proposer_priority.value(),
            })
            .collect();
        let pagination = cosmrs::proto::cosmos::base::query::v1beta1::PageResponse {
            next_key: vec![],
            total: set.validators.len() as u64,
        };
        Ok((
            i64::try_from(set.block_height.value()).unwrap_or(i64::MAX),
            validators,
            Some(pagination),
        ))
    }

    async fn broadcast_tx(
        &self,
        r: Request<tx_pb::BroadcastTxRequest>,
    ) -> Result<Response<tx_pb::BroadcastTxResponse>, Status> {
        let req = r.into_inner();
        let broadcast = |hash: tendermint::Hash, code: tendermint::abci::Code, codespace, log| {
            Response::new(tx_pb::BroadcastTxResponse {
                tx_response: Some(abci_pb::TxResponse {
                    txhash: hash.to_string(),
                    code: code.value(),
                    codespace,
                    raw_log: log,
                    ..Default::default()
                }),
            })
        };
        match tx_pb::BroadcastMode::try_from(req.mode) {
            Ok(tx_pb::BroadcastMode::Sync) => {
                let r = self
                    .node
                    .rpc
                    .broadcast_tx_sync(req.tx_bytes)
                    .await
                    .map_err(unavailable)?;
                Ok(broadcast(r.hash, r.code, r.codespace, r.log))
            }
            Ok(tx_pb::BroadcastMode::Async) => {
                let r = self
                    .node
                    .rpc
                    .broadcast_tx_async(req.tx_bytes)
                    .await
                    .map_err(unavailable)?;
                Ok(broadcast(r.hash, r.code, r.codespace, r.log))
            }
            // BLOCK was removed in SDK v0.47; UNSPECIFIED is refused there too.
            _ => Err(Status::invalid_argument(format!(
                "unsupported broadcast mode {}; supported types: sync, async",
                req.mode
            ))),
        }
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

fn unavailable(e: impl std::fmt::Display) -> Status {
    Status::unavailable(format!("CometBFT: {e}"))
}

/// A transaction CometBFT indexed, as the SDK's tx service returns it: the decoded `Tx` and a
/// `TxResponse` with its events, the result and the block's time.
fn tx_and_response(
    found: &tendermint_rpc::endpoint::tx::Response,
    timestamp: String,
) -> (tx_pb::Tx, abci_pb::TxResponse) {
    let raw = tx_pb::TxRaw::decode(found.tx.as_slice()).unwrap_or_default();
    let tx = tx_pb::Tx {
        body: tx_pb::TxBody::decode(raw.body_bytes.as_slice()).ok(),
        auth_info: tx_pb::AuthInfo::decode(raw.auth_info_bytes.as_slice()).ok(),
        signatures: raw.signatures,
    };
    let result = &found.tx_result;
    let tx_response = abci_pb::TxResponse {
        height: i64::try_from(found.height.value()).unwrap_or(i64::MAX),
        txhash: found.hash.to_string().to_uppercase(),
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
        timestamp,
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
    (tx, tx_response)
}

/// A block as `cosmos.base.tendermint` returns it: CometBFT's and the SDK's copy, whose header
/// names the proposer by its bech32 consensus address.
fn block_parts(
    b: tendermint_rpc::endpoint::block::Response,
) -> (
    Option<tendermint_proto::types::BlockId>,
    Option<tendermint_proto::types::Block>,
    Option<node_pb::Block>,
) {
    let raw: tendermint_proto::types::Block = b.block.into();
    let sdk_block = raw.header.clone().map(|h| node_pb::Block {
        header: Some(node_pb::Header {
            version: h.version,
            chain_id: h.chain_id,
            height: h.height,
            time: h.time,
            last_block_id: h.last_block_id,
            last_commit_hash: h.last_commit_hash,
            data_hash: h.data_hash,
            validators_hash: h.validators_hash,
            next_validators_hash: h.next_validators_hash,
            consensus_hash: h.consensus_hash,
            app_hash: h.app_hash,
            last_results_hash: h.last_results_hash,
            evidence_hash: h.evidence_hash,
            proposer_address: estuary_sdk::address::consensus_bech32(&h.proposer_address),
        }),
        data: raw.data.clone(),
        evidence: raw.evidence.clone(),
        last_commit: raw.last_commit.clone(),
    });
    (Some(b.block_id.into()), Some(raw), sdk_block)
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
pub async fn serve(service: Service, addr: SocketAddr) -> Result<()> {
    tracing::info!(%addr, "gRPC server listening");
    let routes = tonic::service::Routes::from(axum::Router::new().fallback_service(service));
    tonic::transport::Server::builder()
        .add_routes(routes)
        .serve(addr)
        .await
        .with_context(|| format!("gRPC server on {addr}"))
}
