//! Queries, typed once: which response each request type gets and at which gRPC method path
//! ([`QueryRequest`]), and the registry the node answers every query from ([`QueryRegistry`]).
//!
//! A module registers its handlers in [`crate::Component::register_queries`]; the node serves
//! ABCI `Query` and gRPC from the one registry, and clients (CLI, relayer, bench) take the path
//! from the request type, so a path is spelled in exactly one place: the protobuf package and
//! message name that `prost::Name` carries.

use std::any::Any as StdAny;
use std::collections::BTreeMap;

use cosmrs::proto::cosmos::auth::v1beta1 as auth;
use cosmrs::proto::cosmos::bank::v1beta1 as bank;
use cosmrs::proto::cosmos::base::node::v1beta1 as node;
use cosmrs::proto::cosmos::base::tendermint::v1beta1 as tm;
use cosmrs::proto::cosmos::gov::v1 as gov;
use cosmrs::proto::cosmos::staking::v1beta1 as staking;
use cosmrs::proto::cosmos::tx::v1beta1 as tx;
use cosmrs::proto::cosmos::upgrade::v1beta1 as upgrade;
use ibc_proto::ibc::applications::transfer::v1 as transfer;
use ibc_proto::ibc::core::channel::v1 as channel;
use ibc_proto::ibc::core::client::v1 as client;
use ibc_proto::ibc::core::connection::v1 as connection;
use prost::{Message, Name};

use crate::error::{TxError, TxResult};
use crate::store::StateRead;

/// A protobuf request of a gRPC query method, with its response type. The method path follows
/// from the request's package and name, by the Cosmos convention: `pkg.QueryFooRequest` is
/// `/pkg.Query/Foo`, `pkg.FooRequest` is `/pkg.Service/Foo`.
pub trait QueryRequest: Message + Name + Default + Send + 'static {
    type Response: Message + Default + Send + 'static;

    /// The gRPC method path, which is also the ABCI query path.
    fn path() -> String {
        method_path(Self::PACKAGE, Self::NAME)
    }
}

/// `/package.Service/Method` for a request message named `name` in `package`.
pub fn method_path(package: &str, name: &str) -> String {
    let stem = name.strip_suffix("Request").unwrap_or(name);
    match stem.strip_prefix("Query") {
        Some(method) if !method.is_empty() => format!("/{package}.Query/{method}"),
        _ => format!("/{package}.Service/{stem}"),
    }
}

macro_rules! query_methods {
    ($($req:ty => $resp:ty),* $(,)?) => {$(
        impl QueryRequest for $req {
            type Response = $resp;
        }
    )*};
}

query_methods! {
    auth::QueryAccountRequest => auth::QueryAccountResponse,
    auth::QueryAccountsRequest => auth::QueryAccountsResponse,
    auth::QueryParamsRequest => auth::QueryParamsResponse,
    bank::QueryParamsRequest => bank::QueryParamsResponse,
    bank::QueryDenomMetadataRequest => bank::QueryDenomMetadataResponse,
    bank::QueryDenomsMetadataRequest => bank::QueryDenomsMetadataResponse,
    bank::QueryBalanceRequest => bank::QueryBalanceResponse,
    bank::QueryAllBalancesRequest => bank::QueryAllBalancesResponse,
    bank::QuerySpendableBalancesRequest => bank::QuerySpendableBalancesResponse,
    bank::QueryTotalSupplyRequest => bank::QueryTotalSupplyResponse,
    bank::QuerySupplyOfRequest => bank::QuerySupplyOfResponse,
    staking::QueryParamsRequest => staking::QueryParamsResponse,
    gov::QueryProposalRequest => gov::QueryProposalResponse,
    gov::QueryProposalsRequest => gov::QueryProposalsResponse,
    gov::QueryVoteRequest => gov::QueryVoteResponse,
    gov::QueryVotesRequest => gov::QueryVotesResponse,
    gov::QueryDepositRequest => gov::QueryDepositResponse,
    gov::QueryDepositsRequest => gov::QueryDepositsResponse,
    gov::QueryTallyResultRequest => gov::QueryTallyResultResponse,
    gov::QueryParamsRequest => gov::QueryParamsResponse,
    upgrade::QueryCurrentPlanRequest => upgrade::QueryCurrentPlanResponse,
    upgrade::QueryAppliedPlanRequest => upgrade::QueryAppliedPlanResponse,
    upgrade::QueryModuleVersionsRequest => upgrade::QueryModuleVersionsResponse,
    tx::SimulateRequest => tx::SimulateResponse,
    tx::GetTxRequest => tx::GetTxResponse,
    tx::BroadcastTxRequest => tx::BroadcastTxResponse,
    tx::GetTxsEventRequest => tx::GetTxsEventResponse,
    tm::GetNodeInfoRequest => tm::GetNodeInfoResponse,
    tm::GetSyncingRequest => tm::GetSyncingResponse,
    tm::GetLatestBlockRequest => tm::GetLatestBlockResponse,
    tm::GetBlockByHeightRequest => tm::GetBlockByHeightResponse,
    tm::GetLatestValidatorSetRequest => tm::GetLatestValidatorSetResponse,
    tm::GetValidatorSetByHeightRequest => tm::GetValidatorSetByHeightResponse,
    node::ConfigRequest => node::ConfigResponse,
    client::QueryClientStateRequest => client::QueryClientStateResponse,
    client::QueryClientStatesRequest => client::QueryClientStatesResponse,
    client::QueryConsensusStateRequest => client::QueryConsensusStateResponse,
    client::QueryConsensusStatesRequest => client::QueryConsensusStatesResponse,
    client::QueryConsensusStateHeightsRequest => client::QueryConsensusStateHeightsResponse,
    client::QueryUpgradedClientStateRequest => client::QueryUpgradedClientStateResponse,
    client::QueryUpgradedConsensusStateRequest => client::QueryUpgradedConsensusStateResponse,
    connection::QueryConnectionRequest => connection::QueryConnectionResponse,
    connection::QueryConnectionsRequest => connection::QueryConnectionsResponse,
    connection::QueryClientConnectionsRequest => connection::QueryClientConnectionsResponse,
    connection::QueryConnectionClientStateRequest => connection::QueryConnectionClientStateResponse,
    channel::QueryChannelRequest => channel::QueryChannelResponse,
    channel::QueryChannelsRequest => channel::QueryChannelsResponse,
    channel::QueryConnectionChannelsRequest => channel::QueryConnectionChannelsResponse,
    channel::QueryChannelClientStateRequest => channel::QueryChannelClientStateResponse,
    channel::QueryPacketCommitmentRequest => channel::QueryPacketCommitmentResponse,
    channel::QueryPacketCommitmentsRequest => channel::QueryPacketCommitmentsResponse,
    channel::QueryPacketReceiptRequest => channel::QueryPacketReceiptResponse,
    channel::QueryPacketAcknowledgementRequest => channel::QueryPacketAcknowledgementResponse,
    channel::QueryPacketAcknowledgementsRequest => channel::QueryPacketAcknowledgementsResponse,
    channel::QueryUnreceivedPacketsRequest => channel::QueryUnreceivedPacketsResponse,
    channel::QueryUnreceivedAcksRequest => channel::QueryUnreceivedAcksResponse,
    channel::QueryNextSequenceReceiveRequest => channel::QueryNextSequenceReceiveResponse,
    transfer::QueryDenomTraceRequest => transfer::QueryDenomTraceResponse,
    transfer::QueryDenomTracesRequest => transfer::QueryDenomTracesResponse,
    transfer::QueryDenomHashRequest => transfer::QueryDenomHashResponse,
    transfer::QueryEscrowAddressRequest => transfer::QueryEscrowAddressResponse,
    transfer::QueryTotalEscrowForDenomRequest => transfer::QueryTotalEscrowForDenomResponse,
    transfer::QueryParamsRequest => transfer::QueryParamsResponse,
}

/// One of Estuary's own queries, which answer JSON (no protobuf type; not served over gRPC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonQuery {
    pub path: &'static str,
}

/// The validator set as JSON (there is no SDK equivalent without staking).
pub const VALIDATORS: JsonQuery = JsonQuery {
    path: "/estuary.validators.v1.Query/Validators",
};
/// The node's execution counters as JSON.
pub const STATS: JsonQuery = JsonQuery {
    path: "/estuary.app.v1.Query/Stats",
};

/// What a query handler sees: one consistent store snapshot, the height it answers at and the
/// chain's revision, and the host (the app) for the few queries that need more than state.
pub struct QueryContext<'a> {
    pub state: &'a dyn StateRead,
    pub height: u64,
    pub revision: u64,
    pub host: &'a (dyn StdAny + Send + Sync),
}

impl QueryContext<'_> {
    /// The host as its concrete type, for the app's own queries (simulate, node info).
    pub fn host<H: 'static>(&self) -> TxResult<&H> {
        self.host
            .downcast_ref::<H>()
            .ok_or_else(|| TxError::Internal("query host is not the app".into()))
    }
}

type Handler = Box<dyn Fn(&QueryContext<'_>, &[u8]) -> TxResult<Vec<u8>> + Send + Sync>;

struct Entry {
    module: &'static str,
    handler: Handler,
    /// Whether the method has a protobuf request/response (served over gRPC as well).
    grpc: bool,
}

/// Every query the node answers, by method path. Built once at start-up from the modules (in
/// manifest order) and the app; ABCI `Query` and the gRPC server both answer from it.
#[derive(Default)]
pub struct QueryRegistry {
    entries: BTreeMap<String, Entry>,
    conflicts: Vec<String>,
    module: &'static str,
}

impl QueryRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registrations from here on are recorded as `module`'s.
    pub fn for_module(&mut self, module: &'static str) -> &mut Self {
        self.module = module;
        self
    }

    fn insert(&mut self, path: String, handler: Handler, grpc: bool) {
        if self.entries.contains_key(&path) {
            self.conflicts.push(path);
            return;
        }
        let module = self.module;
        self.entries.insert(
            path,
            Entry {
                module,
                handler,
                grpc,
            },
        );
    }

    /// Registers the handler of `R`'s method.
    pub fn register<R: QueryRequest>(
        &mut self,
        handler: impl Fn(&QueryContext<'_>, R) -> TxResult<R::Response> + Send + Sync + 'static,
    ) -> &mut Self {
        let handler: Handler = Box::new(move |ctx, data| {
            let req =
                R::decode(data).map_err(|e| TxError::Decode(format!("{}: {e}", R::full_name())))?;
            handler(ctx, req).map(|resp| resp.encode_to_vec())
        });
        self.insert(R::path(), handler, true);
        self
    }

    /// Registers one of Estuary's JSON queries.
    pub fn register_json<T: serde::Serialize>(
        &mut self,
        query: JsonQuery,
        handler: impl Fn(&QueryContext<'_>) -> TxResult<T> + Send + Sync + 'static,
    ) -> &mut Self {
        let handler: Handler = Box::new(move |ctx, _data| {
            let value = handler(ctx)?;
            serde_json::to_vec(&value).map_err(|e| TxError::Internal(e.to_string()))
        });
        self.insert(query.path.to_string(), handler, false);
        self
    }

    /// Answers `path`. An unknown path is `UnknownRequest` (ABCI code 6, gRPC UNIMPLEMENTED).
    pub fn handle(&self, ctx: &QueryContext<'_>, path: &str, data: &[u8]) -> TxResult<Vec<u8>> {
        match self.entries.get(path) {
            Some(entry) => (entry.handler)(ctx, data),
            None => Err(TxError::UnknownRequest(format!(
                "unknown query path {path}"
            ))),
        }
    }

    pub fn contains(&self, path: &str) -> bool {
        self.entries.contains_key(path)
    }

    /// Whether gRPC serves `path`: a registered protobuf method (Estuary's JSON queries are
    /// ABCI-only; their bytes are no protobuf message).
    pub fn serves_grpc(&self, path: &str) -> bool {
        self.entries.get(path).is_some_and(|e| e.grpc)
    }

    /// Every registered path with the module that answers it and whether gRPC serves it.
    pub fn paths(&self) -> impl Iterator<Item = (&str, &'static str, bool)> {
        self.entries
            .iter()
            .map(|(path, e)| (path.as_str(), e.module, e.grpc))
    }

    /// Paths registered twice (the second registration was ignored); the app refuses to start
    /// with any, so two modules can never silently answer the same method.
    pub fn conflicts(&self) -> &[String] {
        &self.conflicts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_cosmos_convention() {
        assert_eq!(
            bank::QueryBalanceRequest::path(),
            "/cosmos.bank.v1beta1.Query/Balance"
        );
        assert_eq!(
            channel::QueryUnreceivedAcksRequest::path(),
            "/ibc.core.channel.v1.Query/UnreceivedAcks"
        );
        assert_eq!(
            tx::SimulateRequest::path(),
            "/cosmos.tx.v1beta1.Service/Simulate"
        );
        assert_eq!(
            tm::GetNodeInfoRequest::path(),
            "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo"
        );
        assert_eq!(
            node::ConfigRequest::path(),
            "/cosmos.base.node.v1beta1.Service/Config"
        );
        assert_eq!(
            transfer::QueryParamsRequest::path(),
            "/ibc.applications.transfer.v1.Query/Params"
        );
    }

    #[test]
    fn a_registry_answers_typed_and_refuses_unknown_paths_and_duplicates() {
        let mut reg = QueryRegistry::new();
        reg.for_module("bank")
            .register(|_ctx, req: bank::QuerySupplyOfRequest| {
                Ok(bank::QuerySupplyOfResponse {
                    amount: Some(cosmrs::proto::cosmos::base::v1beta1::Coin {
                        denom: req.denom,
                        amount: "7".into(),
                    }),
                })
            })
            .register(|_ctx, _req: bank::QuerySupplyOfRequest| {
                Ok(bank::QuerySupplyOfResponse::default())
            });
        assert_eq!(reg.conflicts(), ["/cosmos.bank.v1beta1.Query/SupplyOf"]);
        reg.register_json(STATS, |_ctx| Ok(1u8));
        assert!(reg.serves_grpc("/cosmos.bank.v1beta1.Query/SupplyOf"));
        assert!(!reg.serves_grpc(STATS.path), "JSON queries are ABCI-only");
        assert!(!reg.serves_grpc("/x.Query/Nope"));
        let state = crate::store::MemState::default();
        let ctx = QueryContext {
            state: &state,
            height: 1,
            revision: 0,
            host: &(),
        };
        let req = bank::QuerySupplyOfRequest {
            denom: "stake".into(),
        };
        let out = reg
            .handle(
                &ctx,
                &bank::QuerySupplyOfRequest::path(),
                &req.encode_to_vec(),
            )
            .unwrap();
        let resp = bank::QuerySupplyOfResponse::decode(out.as_slice()).unwrap();
        assert_eq!(resp.amount.unwrap().amount, "7");
        let err = reg.handle(&ctx, "/x.Query/Nope", &[]).unwrap_err();
        assert_eq!(err.abci_code(), ("sdk", 6));
        let err = reg
            .handle(&ctx, &bank::QuerySupplyOfRequest::path(), &[0xff, 0xff])
            .unwrap_err();
        assert_eq!(err.abci_code(), ("sdk", 2));
    }
}
