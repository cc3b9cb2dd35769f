use std::collections::BTreeMap;

use estuary_store::{StateRead, StateWrite};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::error::{TxError, TxResult};
use crate::event::Event;
use crate::msg::{DecodedMsg, Msg};
use crate::query::QueryRegistry;
use crate::Any;

/// The block a hook or message runs in.
#[derive(Clone, Debug, Default)]
pub struct BlockInfo {
    pub height: u64,
    pub time_unix_nanos: i128,
    pub chain_id: String,
    pub proposer: Vec<u8>,
    /// The app hash this block's header carries (the state after the previous block).
    pub header_app_hash: Vec<u8>,
    pub next_validators_hash: Vec<u8>,
}

/// A change to CometBFT's validator set: an ed25519 key and its new power (0 removes it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorUpdate {
    pub ed25519_pubkey: [u8; 32],
    pub power: u64,
}

#[derive(Debug, Default)]
pub struct EndBlockOutput {
    pub validator_updates: Vec<ValidatorUpdate>,
    pub events: Vec<Event>,
}

/// One module: its genesis slice, messages, queries and block hooks.
pub trait Component: Send + Sync + 'static {
    /// This module's typed slice of the app genesis.
    type Genesis: Serialize + DeserializeOwned + Default;

    fn name(&self) -> &'static str;

    fn init_genesis(&self, state: &mut dyn StateWrite, genesis: &Self::Genesis) -> TxResult;

    /// Initialises from the genesis JSON while it is parsed, for a module whose slice can be
    /// too large to hold parsed (bank's balances: ~280 bytes a balance as Rust values, on top
    /// of the request that carries the JSON). `None`: parse into `Self::Genesis`, then
    /// [`Component::init_genesis`]. Both must leave the same state.
    fn init_genesis_streaming(
        &self,
        _state: &mut dyn StateWrite,
        _genesis: &RawValue,
    ) -> Option<TxResult> {
        None
    }

    fn export_genesis(&self, state: &dyn StateRead) -> TxResult<Self::Genesis>;

    fn begin_block(&self, _state: &mut dyn StateWrite, _block: &BlockInfo) -> TxResult<Vec<Event>> {
        Ok(Vec::new())
    }
    fn end_block(
        &self,
        _state: &mut dyn StateWrite,
        _block: &BlockInfo,
    ) -> TxResult<EndBlockOutput> {
        Ok(EndBlockOutput::default())
    }

    /// The protobuf type URLs this module handles.
    fn msg_type_urls(&self) -> &'static [&'static str] {
        &[]
    }
    /// Decodes one of this module's messages (one of `msg_type_urls`).
    fn decode_msg(&self, msg: &Any) -> TxResult<Box<dyn Msg>> {
        Err(TxError::UnknownRequest(format!(
            "unrecognized message type: {}",
            msg.type_url
        )))
    }

    /// A check of a whole transaction's messages, in CheckTx only (after the ante handler),
    /// against the mempool's state: the place for ibc-go's `RedundantRelayDecorator`.
    fn check_tx(&self, _state: &dyn StateRead, _msgs: &[DecodedMsg]) -> TxResult {
        Ok(())
    }

    /// Registers this module's query handlers, one per request type.
    fn register_queries(&self, _registry: &mut QueryRegistry) {}
}

/// The object-safe face of a [`Component`], with its genesis slice as JSON.
pub trait Module: Send + Sync {
    fn name(&self) -> &'static str;
    /// Initialises from this module's slice of the genesis, as raw JSON: each module parses
    /// its own slice straight into its typed genesis (no intermediate JSON tree, which for a
    /// million-account genesis would cost gigabytes).
    fn init_genesis_json(&self, state: &mut dyn StateWrite, genesis: &RawValue) -> TxResult;
    fn export_genesis_json(&self, state: &dyn StateRead) -> TxResult<serde_json::Value>;
    fn default_genesis_json(&self) -> serde_json::Value;
    fn begin_block(&self, state: &mut dyn StateWrite, block: &BlockInfo) -> TxResult<Vec<Event>>;
    fn end_block(&self, state: &mut dyn StateWrite, block: &BlockInfo) -> TxResult<EndBlockOutput>;
    fn msg_type_urls(&self) -> &'static [&'static str];
    fn decode_msg(&self, msg: &Any) -> TxResult<Box<dyn Msg>>;
    fn check_tx(&self, state: &dyn StateRead, msgs: &[DecodedMsg]) -> TxResult;
    fn register_queries(&self, registry: &mut QueryRegistry);
}

impl<C: Component> Module for C {
    fn name(&self) -> &'static str {
        Component::name(self)
    }
    fn init_genesis_json(&self, state: &mut dyn StateWrite, genesis: &RawValue) -> TxResult {
        if let Some(done) = self.init_genesis_streaming(state, genesis) {
            return done;
        }
        let typed: C::Genesis = serde_json::from_str(genesis.get()).map_err(|e| {
            TxError::InvalidRequest(format!("{} genesis: {e}", Component::name(self)))
        })?;
        self.init_genesis(state, &typed)
    }
    fn export_genesis_json(&self, state: &dyn StateRead) -> TxResult<serde_json::Value> {
        let typed = self.export_genesis(state)?;
        serde_json::to_value(typed)
            .map_err(|e| TxError::Internal(format!("{} genesis: {e}", Component::name(self))))
    }
    fn default_genesis_json(&self) -> serde_json::Value {
        serde_json::to_value(C::Genesis::default()).unwrap_or(serde_json::Value::Null)
    }
    fn begin_block(&self, state: &mut dyn StateWrite, block: &BlockInfo) -> TxResult<Vec<Event>> {
        Component::begin_block(self, state, block)
    }
    fn end_block(&self, state: &mut dyn StateWrite, block: &BlockInfo) -> TxResult<EndBlockOutput> {
        Component::end_block(self, state, block)
    }
    fn msg_type_urls(&self) -> &'static [&'static str] {
        Component::msg_type_urls(self)
    }
    fn decode_msg(&self, msg: &Any) -> TxResult<Box<dyn Msg>> {
        Component::decode_msg(self, msg)
    }
    fn check_tx(&self, state: &dyn StateRead, msgs: &[DecodedMsg]) -> TxResult {
        Component::check_tx(self, state, msgs)
    }
    fn register_queries(&self, registry: &mut QueryRegistry) {
        Component::register_queries(self, registry)
    }
}

/// The app's modules in their declared order: genesis, begin-block and end-block hooks run in
/// this order, and messages are routed by type URL.
pub struct ModuleManager {
    modules: Vec<Box<dyn Module>>,
}

impl ModuleManager {
    pub fn new(modules: Vec<Box<dyn Module>>) -> Self {
        ModuleManager { modules }
    }

    pub fn modules(&self) -> impl Iterator<Item = &dyn Module> {
        self.modules.iter().map(|m| m.as_ref())
    }

    /// The module that handles `type_url`.
    pub fn route(&self, type_url: &str) -> TxResult<&dyn Module> {
        self.modules()
            .find(|m| m.msg_type_urls().contains(&type_url))
            .ok_or_else(|| {
                TxError::UnknownRequest(format!("unrecognized message type: {type_url}"))
            })
    }

    /// Initialises every module from its slice of `app_state` (the JSON bytes of an object
    /// keyed by module; empty bytes are an empty object).
    pub fn init_genesis(&self, state: &mut dyn StateWrite, app_state: &[u8]) -> TxResult {
        self.init_genesis_naming(state, app_state)
            .map_err(|(_, e)| e)
    }

    /// Runs every module's genesis into `state` (a missing or null slice is the module's
    /// default), naming the module whose slice is refused (`app_state` when the whole document
    /// is not a JSON object).
    pub fn init_genesis_naming(
        &self,
        state: &mut dyn StateWrite,
        app_state: &[u8],
    ) -> Result<(), (&'static str, TxError)> {
        // Slices stay borrowed from the request's bytes until their module parses them.
        let slices: BTreeMap<String, &RawValue> = if app_state.is_empty() {
            BTreeMap::new()
        } else {
            serde_json::from_slice(app_state)
                .map_err(|e| ("app_state", TxError::Decode(format!("app_state: {e}"))))?
        };
        for module in self.modules() {
            let given = slices
                .get(module.name())
                .copied()
                .filter(|raw| raw.get().trim() != "null");
            let result = match given {
                Some(raw) => module.init_genesis_json(state, raw),
                None => serde_json::value::to_raw_value(&module.default_genesis_json())
                    .map_err(|e| TxError::Internal(format!("default genesis: {e}")))
                    .and_then(|raw| module.init_genesis_json(state, &raw)),
            };
            result.map_err(|e| (module.name(), e))?;
        }
        Ok(())
    }

    pub fn export_genesis(&self, state: &dyn StateRead) -> TxResult<serde_json::Value> {
        let mut out = serde_json::Map::new();
        for module in self.modules() {
            out.insert(
                module.name().to_string(),
                module.export_genesis_json(state)?,
            );
        }
        Ok(serde_json::Value::Object(out))
    }

    /// Decodes a transaction's messages, once each, by the modules that own them, and runs
    /// their stateless checks.
    pub fn decode_msgs(&self, msgs: &[Any]) -> TxResult<Vec<DecodedMsg>> {
        msgs.iter()
            .map(|any| {
                let module = self.route(&any.type_url)?;
                let msg = module.decode_msg(any)?;
                msg.validate_basic()?;
                Ok(DecodedMsg {
                    any: any.clone(),
                    module: module.name(),
                    msg,
                })
            })
            .collect()
    }

    /// Every module's mempool-only check of a transaction's messages, in module order.
    pub fn check_tx(&self, state: &dyn StateRead, msgs: &[DecodedMsg]) -> TxResult {
        self.modules().try_for_each(|m| m.check_tx(state, msgs))
    }

    /// Every module's queries, registered in module order.
    pub fn register_queries(&self, registry: &mut QueryRegistry) {
        for module in self.modules() {
            module.register_queries(registry.for_module(module.name()));
        }
    }
}
