//! ABCI queries: raw store reads with proofs (`store/<substore>/key`), module queries at gRPC
//! method paths, and the app's own paths.

use cosmrs::proto::cosmos::base::abci::v1beta1 as abci_pb;
use cosmrs::proto::cosmos::tx::v1beta1 as tx_pb;
use estuary_sdk::store::{MerkleProof, StateRead, Substore};
use estuary_sdk::{TxError, TxResult};
use prost::Message;

use crate::app::App;
use crate::node_info;

pub const STATS: &str = "/estuary.app.v1.Query/Stats";
pub const SIMULATE: &str = "/cosmos.tx.v1beta1.Service/Simulate";

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
        app_query(app, &snapshot, height, path, data).map(|value| (value, None))
    } else {
        let view = app.storage().at(height);
        app_query(app, &view, height, path, data).map(|value| (value, None))
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
    let substore = match substore {
        "ibc" => Substore::Ibc,
        "main" => Substore::Main,
        other => {
            return Err(TxError::UnknownRequest(format!(
                "no substore named {other:?}"
            )))
        }
    };
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

fn app_query(
    app: &App,
    state: &dyn StateRead,
    height: u64,
    path: &str,
    data: &[u8],
) -> TxResult<Vec<u8>> {
    match path {
        STATS => serde_json::to_vec(&app.stats()).map_err(|e| TxError::Internal(e.to_string())),
        SIMULATE => simulate(app, data),
        STAKING_PARAMS => staking_params(state),
        node_info::GET_NODE_INFO => Ok(node_info::abci_node_info(app).encode_to_vec()),
        node_info::CONFIG => Ok(node_info::config(app).encode_to_vec()),
        _ if path.starts_with("/ibc.") => {
            let revision = estuary_ibc::handler::revision_of(&app.chain_id(state)?);
            let at = estuary_ibc::query::At { revision, height };
            estuary_ibc::query::handle(state, &at, path, data).unwrap_or_else(|| {
                Err(TxError::UnknownRequest(format!(
                    "unknown query path {path}"
                )))
            })
        }
        _ => app.modules().query(state, path, data),
    }
}

pub const STAKING_PARAMS: &str = "/cosmos.staking.v1beta1.Query/Params";

/// Estuary has no staking module; relayers read the unbonding period (to pick a trusting period)
/// and historical entries from here, so report the values this chain actually enforces for IBC.
fn staking_params(state: &dyn StateRead) -> TxResult<Vec<u8>> {
    use cosmrs::proto::cosmos::staking::v1beta1 as staking;
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
    }
    .encode_to_vec())
}

fn simulate(app: &App, data: &[u8]) -> TxResult<Vec<u8>> {
    let req = tx_pb::SimulateRequest::decode(data).map_err(|e| TxError::Decode(e.to_string()))?;
    let outcome = app.simulate(&req.tx_bytes);
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
    }
    .encode_to_vec())
}
