use estuary_sdk::store::{StateRead, StateReadExt, StateWrite, StateWriteExt, Substore};
use estuary_sdk::{BlockInfo, Component, Event, TxResult};

use crate::genesis::{GenesisHostHeader, GenesisStoreEntry, IbcGenesis, IbcParams};
use crate::host::{self, HostHeader, HostHistory};
use estuary_sdk::TxError;

const PARAMS_KEY: &[u8] = b"ibc-host/params";

/// The `ibc` component (IBC core: ICS-02/03/04 with the ICS-07 client): keeps the host header
/// history, runs the core messages through ibc-rs and answers the core queries. ICS-20 is the
/// separate [`crate::transfer::Transfer`] component, as ibc-go's `apps/transfer` is apart from `core`.
#[derive(Default)]
pub struct Ibc;

pub fn params(state: &dyn StateRead) -> TxResult<IbcParams> {
    Ok(state.get(PARAMS_KEY)?.unwrap_or_default())
}

impl Component for Ibc {
    type Genesis = IbcGenesis;

    fn name(&self) -> &'static str {
        "ibc"
    }

    fn init_genesis(&self, state: &mut dyn StateWrite, genesis: &IbcGenesis) -> TxResult {
        state.put(PARAMS_KEY.to_vec(), &genesis.params)?;
        for g in &genesis.host_headers {
            host::record(state, &from_genesis(g)?, 0)?;
        }
        for e in &genesis.store {
            let bad =
                |what: &str| TxError::InvalidRequest(format!("ibc genesis store entry: {what}"));
            let key = hex::decode(&e.key).map_err(|_| bad("key is not hex"))?;
            let value = hex::decode(&e.value).map_err(|_| bad("value is not hex"))?;
            if key.is_empty() || value.is_empty() {
                return Err(bad("empty key or value"));
            }
            state.put_raw(Substore::Ibc.full_key(&key), value)?;
        }
        Ok(())
    }

    fn export_genesis(&self, state: &dyn StateRead) -> TxResult<IbcGenesis> {
        let host_headers = state.host_headers()?.iter().map(to_genesis).collect();
        let prefix = Substore::Ibc.full_key(b"");
        let store = state
            .prefix_raw(&prefix)?
            .into_iter()
            .map(|(k, v)| GenesisStoreEntry {
                key: hex::encode(k.get(prefix.len()..).unwrap_or_default()),
                value: hex::encode(v),
            })
            .collect();
        Ok(IbcGenesis {
            params: params(state)?,
            host_headers,
            store,
        })
    }

    fn msg_type_urls(&self) -> &'static [&'static str] {
        crate::handler::MSG_TYPE_URLS
    }

    fn decode_msg(&self, msg: &estuary_sdk::Any) -> TxResult<Box<dyn estuary_sdk::Msg>> {
        crate::handler::decode_msg(msg)
    }

    fn register_queries(&self, registry: &mut estuary_sdk::query::QueryRegistry) {
        crate::query::register_core(registry)
    }

    fn check_tx(&self, state: &dyn StateRead, msgs: &[estuary_sdk::DecodedMsg]) -> TxResult {
        crate::redundant::check_tx(state, msgs)
    }

    fn begin_block(&self, state: &mut dyn StateWrite, block: &BlockInfo) -> TxResult<Vec<Event>> {
        let keep = params(state)?.historical_entries;
        let header = HostHeader {
            height: block.height,
            time_unix_nanos: block.time_unix_nanos,
            app_hash: block.header_app_hash.clone(),
            next_validators_hash: block.next_validators_hash.clone(),
        };
        host::record(state, &header, keep)?;
        crate::client_upgrade::begin_block(state, block)
    }
}

fn to_genesis(h: &HostHeader) -> GenesisHostHeader {
    GenesisHostHeader {
        height: h.height,
        time: h.time_unix_nanos.to_string(),
        app_hash: hex::encode_upper(&h.app_hash),
        next_validators_hash: hex::encode_upper(&h.next_validators_hash),
    }
}

fn from_genesis(g: &GenesisHostHeader) -> TxResult<HostHeader> {
    let bad = |what: &str| {
        TxError::InvalidRequest(format!("ibc genesis host header {}: bad {what}", g.height))
    };
    Ok(HostHeader {
        height: g.height,
        time_unix_nanos: g.time.parse().map_err(|_| bad("time"))?,
        app_hash: hex::decode(&g.app_hash).map_err(|_| bad("app_hash"))?,
        next_validators_hash: hex::decode(&g.next_validators_hash)
            .map_err(|_| bad("next_validators_hash"))?,
    })
}
