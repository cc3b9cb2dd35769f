//! ABCI queries: raw store reads with proofs (`store/<substore>/key`, the one path outside the
//! registry, as the SDK's multistore answers it), and everything else from the query registry
//! the modules and the app register into (the same registry the gRPC server answers from).

use cosmrs::proto::cosmos::base::abci::v1beta1 as abci_pb;
use cosmrs::proto::cosmos::base::node::v1beta1 as node_config_pb;
use cosmrs::proto::cosmos::base::tendermint::v1beta1 as node_pb;
use cosmrs::proto::cosmos::staking::v1beta1 as staking;
use cosmrs::proto::cosmos::tx::v1beta1 as tx_pb;
use estuary_sdk::query::{QueryContext, QueryRegistry, STATS};
use estuary_sdk::store::{MerkleProof, StateRead, Substore};
use estuary_sdk::{TxError, TxResult};

use crate::app::App;
use crate::node_info;

/// Registers the app's own queries: execution stats, simulation, node info and config, and the
/// staking params relayers read (this chain has no staking module).
pub fn register(registry: &mut QueryRegistry) {
    registry
        .register_json(STATS, |ctx| Ok(ctx.host::<App>()?.stats()))
        .register(|ctx, req: tx_pb::SimulateRequest| simulate(ctx.host::<App>()?, &req.tx_bytes))
        .register(|ctx, _req: staking::QueryParamsRequest| staking_params(ctx.state))
        .register(|ctx, _req: node_pb::GetNodeInfoRequest| {
            Ok(node_info::abci_node_info(ctx.host::<App>()?))
        })
        .register(|ctx, _req: node_config_pb::ConfigRequest| {
            Ok(node_info::config(ctx.host::<App>()?))
        });
}

#[derive(Debug, Default)]
pub struct QueryOutcome {
    pub code: u32,
    pub codespace: String,
    pub log: String,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    pub height: u64,
    pub proof: Option<MerkleProof>,
}

/// The substore a `store/<substore>/key` query path names.
pub fn store_path(path: &str) -> Option<&str> {
    path.strip_prefix("store/")
        .and_then(|r| r.strip_suffix("/key"))
}

/// Answers one query. A panic or a store error answers this request with an error and leaves
/// the node running: a query is never worth stopping a validator for.
pub fn handle(app: &App, path: &str, data: &[u8], height: u64, prove: bool) -> QueryOutcome {
    crate::app::contain(|| handle_inner(app, path, data, height, prove)).unwrap_or_else(|()| {
        let (codespace, code) = TxError::Panic.abci_code();
        QueryOutcome {
            code,
            codespace: codespace.into(),
            log: TxError::Panic.to_string(),
            ..Default::default()
        }
    })
}

fn handle_inner(app: &App, path: &str, data: &[u8], height: u64, prove: bool) -> QueryOutcome {
    // One read transaction for the whole query: every read sees the same committed version,
    // whatever commits while the query runs.
    let snapshot = match app.storage().snapshot() {
        Ok(s) => s,
        Err(e) => return failed(TxError::from(e), height),
    };
    let latest = snapshot.version();
    let height = if height == 0 { latest } else { height };
    let result = if let Some(substore) = store_path(path) {
        store_query(app, substore, data, height, prove)
    } else if height == latest {
        registry_query(app, &snapshot, height, path, data).map(|value| (value, None))
    } else {
        let view = app.storage().at(height);
        registry_query(app, &view, height, path, data).map(|value| (value, None))
    };
    match result {
        Ok((value, proof)) => QueryOutcome {
            key: data.to_vec(),
            value,
            height,
            proof,
            ..Default::default()
        },
        Err(e) => failed(e, height),
    }
}

fn failed(e: TxError, height: u64) -> QueryOutcome {
    let (codespace, code) = e.abci_code();
    QueryOutcome {
        code,
        codespace: codespace.into(),
        log: estuary_sdk::clean_log(&e.to_string()),
        height,
        ..Default::default()
    }
}

fn store_query(
    app: &App,
    substore: &str,
    key: &[u8],
    height: u64,
    prove: bool,
) -> TxResult<(Vec<u8>, Option<MerkleProof>)> {
    let substore = Substore::named(substore)
        .ok_or_else(|| TxError::UnknownRequest(format!("no substore named {substore:?}")))?;
    let full_key = substore.full_key(key);
    if prove {
        let (value, proof) = app.storage().get_with_proof(&full_key, height)?;
        Ok((value.unwrap_or_default(), Some(proof)))
    } else {
        Ok((
            app.storage()
                .at(height)
                .get_raw(&full_key)?
                .unwrap_or_default(),
            None,
        ))
    }
}

fn registry_query(
    app: &App,
    state: &dyn StateRead,
    height: u64,
    path: &str,
    data: &[u8],
) -> TxResult<Vec<u8>> {
    // The revision only shapes IBC heights in responses; a chain id that cannot be read yet
    // (before InitChain) is revision 0.
    let revision = app
        .chain_id(state)
        .map(|id| estuary_ibc::handler::revision_of(&id))
        .unwrap_or(0);
    let ctx = QueryContext {
        state,
        height,
        revision,
        host: app,
    };
    app.queries().handle(&ctx, path, data)
}

/// Estuary has no staking module; relayers read the unbonding period (to pick a trusting period)
/// and historical entries from here, so report the values this chain actually enforces for IBC.
fn staking_params(state: &dyn StateRead) -> TxResult<staking::QueryParamsResponse> {
    let p = estuary_ibc::params(state)?;
    let params = staking::Params {
        unbonding_time: Some(tendermint_proto::google::protobuf::Duration {
            seconds: p.unbonding_period_secs as i64,
            nanos: 0,
        }),
        max_validators: 100,
        max_entries: 7,
        historical_entries: p.historical_entries as u32,
        bond_denom: "stake".into(),
        min_commission_rate: "0".into(),
    };
    Ok(staking::QueryParamsResponse {
        params: Some(params),
    })
}

fn simulate(app: &App, tx_bytes: &[u8]) -> TxResult<tx_pb::SimulateResponse> {
    let outcome = app.simulate(tx_bytes);
    if outcome.code != 0 {
        return Err(TxError::Module {
            codespace: "sdk",
            code: outcome.code,
            log: outcome.log,
        });
    }
    Ok(tx_pb::SimulateResponse {
        gas_info: Some(abci_pb::GasInfo {
            gas_wanted: outcome.gas_wanted,
            gas_used: outcome.gas_used,
        }),
        result: Some(abci_pb::Result {
            log: outcome.log,
            ..Default::default()
        }),
    })
}
