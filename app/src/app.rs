//! The application core: executes blocks, checks mempool transactions, answers queries.
//! [`crate::abci`] only translates between CometBFT's messages and these calls.

use std::sync::Mutex;
use std::time::Instant;

use estuary_auth::{AuthParams, AuthReader};
use estuary_ibc::host::HostHistory;
use estuary_sdk::query::QueryRegistry;
use estuary_sdk::store::{
    CommitInfo, GasMeter, PendingBlock, PreparedCommit, StateRead, StateWrite, Storage, TxOverlay,
};
use estuary_sdk::{
    BlockInfo, DecodedMsg, Event, ModuleManager, TxContext, TxError, TxResult, ValidatorUpdate,
};
use estuary_validators::ValidatorsReader;
use serde::Serialize;
use tracing::{error, info, warn};

use crate::ante::{self, AnteInput, GasPrice, SigCache};
use crate::tx;

const CHAIN_ID_KEY: &[u8] = b"app/chain_id";

/// The outcome of one transaction, as CometBFT records it.
#[derive(Clone, Debug, Default)]
pub struct TxOutcome {
    pub code: u32,
    pub codespace: String,
    pub log: String,
    pub gas_wanted: u64,
    pub gas_used: u64,
    pub events: Vec<Event>,
}

impl TxOutcome {
    fn failed(err: &TxError, gas_wanted: u64, gas_used: u64, events: Vec<Event>) -> TxOutcome {
        let (codespace, code) = err.abci_code();
        TxOutcome {
            code,
            codespace: codespace.into(),
            log: estuary_sdk::clean_log(&err.to_string()),
            gas_wanted,
            gas_used,
            events,
        }
    }
}

/// What `FinalizeBlock` returns.
pub struct BlockOutcome {
    pub events: Vec<Event>,
    pub tx_results: Vec<TxOutcome>,
    pub validator_updates: Vec<ValidatorUpdate>,
    pub app_hash: [u8; 32],
}

/// What InitChain returns.
pub struct GenesisOutcome {
    pub validators: Vec<ValidatorUpdate>,
    pub app_hash: [u8; 32],
}

#[derive(Clone, Debug, Default)]
pub struct AppConfig {
    pub min_gas_prices: Vec<GasPrice>,
    /// Blocks CometBFT must keep behind the latest; 0 keeps every block.
    pub min_retain_blocks: u64,
    /// Genesis writes held in memory before they spill to runs on disk (`None`: the store's
    /// default, 262,144; tests use small numbers to run InitChain through the runs).
    pub genesis_spill_every: Option<usize>,
    /// The upgrades this binary knows (the manifest's `upgrade_handlers`).
    pub upgrade_handlers: Vec<estuary_upgrade::UpgradeHandler>,
    /// Where to write `upgrade-info.json` when stopping for an upgrade (`<home>/data/`).
    pub upgrade_info_file: Option<std::path::PathBuf>,
    /// How long a node stopped for an IBC upgrade keeps serving its last state before it exits.
    pub ibc_upgrade_halt_grace: std::time::Duration,
}

/// Execution figures since start, for benchmarks and operators.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ExecStats {
    pub blocks: u64,
    pub txs: u64,
    pub failed_txs: u64,
    pub finalize_nanos: u128,
    pub tx_exec_nanos: u128,
    /// CheckTx: transactions checked and the time spent on them.
    pub check_txs: u64,
    pub check_tx_nanos: u128,
}

pub struct App {
    storage: Storage,
    modules: ModuleManager,
    config: AppConfig,
    consensus: Mutex<Consensus>,
    /// State the mempool checks against: the last commit plus every transaction checked since.
    mempool: Mutex<PendingBlock>,
    /// CometBFT's version, as its ABCI `Info` request tells it (for node-info queries).
    cometbft_version: Mutex<String>,
    stats: Mutex<ExecStats>,
    sig_cache: SigCache,
    /// Every query the node answers (ABCI and gRPC), built once from the manifest and the app.
    queries: QueryRegistry,
}

#[derive(Default)]
struct Consensus {
    prepared: Option<PreparedCommit>,
}

/// A storage failure mid-block cannot be turned into a deterministic result: stop, and let
/// CometBFT replay the block after restart.
fn fatal(context: &str, err: impl std::fmt::Display) -> ! {
    error!(%err, "{context}; stopping so the block is replayed from a consistent state");
    std::process::exit(70)
}

/// Stops the node for an upgrade: nothing of the block is committed, and CometBFT, losing its
/// ABCI connection, stops too. Exit code 1, as an SDK node's upgrade panic.
fn halt(line: &str) -> ! {
    error!("{line}");
    eprintln!("{line}");
    std::process::exit(1)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Every query the manifest's modules and the app answer: what the node serves, and what the
/// CLI derives its query commands from.
pub fn query_registry(modules: &ModuleManager) -> QueryRegistry {
    let mut queries = QueryRegistry::new();
    modules.register_queries(&mut queries);
    crate::query::register(queries.for_module("app"));
    queries
}

impl App {
    pub fn new(storage: Storage, modules: ModuleManager, config: AppConfig) -> App {
        let mempool = Mutex::new(PendingBlock::new(storage.clone()));
        let queries = query_registry(&modules);
        if !queries.conflicts().is_empty() {
            // Two handlers for one method is a wiring mistake in the manifest, never input.
            fatal(
                "query registry",
                format!("paths registered twice: {:?}", queries.conflicts()),
            );
        }
        App {
            storage,
            modules,
            config,
            consensus: Mutex::default(),
            mempool,
            cometbft_version: Mutex::default(),
            stats: Mutex::default(),
            sig_cache: SigCache::new(100_000),
            queries,
        }
    }

    pub fn queries(&self) -> &QueryRegistry {
        &self.queries
    }

    /// The denom fees are paid in here: the first minimum gas price's, else the staking denom.
    fn fee_denom(&self) -> &str {
        self.config
            .min_gas_prices
            .first()
            .map_or("stake", |p| p.denom.as_str())
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    pub fn config(&self) -> &AppConfig {
        &self.config
    }

    pub fn set_cometbft_version(&self, version: &str) {
        *lock(&self.cometbft_version) = version.to_string();
    }

    pub fn cometbft_version(&self) -> String {
        lock(&self.cometbft_version).clone()
    }

    pub fn modules(&self) -> &ModuleManager {
        &self.modules
    }

    /// After the store changed under the app (a state-sync restore): the mempool's view starts
    /// again from the committed state.
    pub fn reset_mempool(&self) {
        *lock(&self.mempool) = PendingBlock::new(self.storage.clone());
    }

    /// The last committed block (`None` until the first block commits, even though the
    /// genesis state is stored): what Info reports to CometBFT.
    pub fn last_commit(&self) -> Option<CommitInfo> {
        self.storage.last_block()
    }

    pub fn stats(&self) -> ExecStats {
        lock(&self.stats).clone()
    }

    pub fn chain_id(&self, state: &dyn StateRead) -> TxResult<String> {
        let raw = state
            .get_raw(CHAIN_ID_KEY)?
            .ok_or_else(|| TxError::Internal("chain id not set".into()))?;
        String::from_utf8(raw).map_err(|e| TxError::Internal(e.to_string()))
    }

    /// InitChain: runs every module's genesis hook and writes the result as the state one
    /// version below the first block, with a digest of the genesis it came from. CometBFT asks
    /// again after a restart that came before the first block's commit; the same genesis then
    /// gets the stored answer, a different one is refused.
    /// `app_state` is taken by value so that it is released once the modules have read it,
    /// before the state is written (for a large genesis it is hundreds of megabytes).
    pub fn init_chain(
        &self,
        chain_id: &str,
        initial_height: u64,
        app_state: impl AsRef<[u8]>,
    ) -> TxResult<GenesisOutcome> {
        let outcome = self.init_chain_inner(chain_id, initial_height, app_state);
        // The parsed genesis and its write set are gone: give their memory back.
        crate::memory::release_freed();
        outcome
    }

    fn init_chain_inner(
        &self,
        chain_id: &str,
        initial_height: u64,
        app_state: impl AsRef<[u8]>,
    ) -> TxResult<GenesisOutcome> {
        let digest = genesis_digest(chain_id, initial_height, app_state.as_ref());
        let genesis_version = initial_height.saturating_sub(1);
        if let Some(latest) = self.storage.latest() {
            let mark = self.storage.genesis_mark();
            if self.storage.last_block().is_some() || mark.is_none() {
                return Err(TxError::Internal(
                    "InitChain on a store that already holds blocks".into(),
                ));
            }
            if mark.as_ref().map(|m| (m.version, m.tag.as_slice()))
                != Some((genesis_version, digest.as_slice()))
            {
                return Err(TxError::InvalidRequest(
                    "this store was initialised from a different genesis (remove the data \
                     directory to start over)"
                        .into(),
                ));
            }
            let validators = genesis_validators(&PendingBlock::new(self.storage.clone()))?;
            info!(chain_id, initial_height, "genesis state already stored");
            return Ok(GenesisOutcome {
                validators,
                app_hash: latest.app_hash,
            });
        }
        // Written over an empty state: nothing a crashed earlier attempt left in the store is
        // read (a module that reads before it writes, as minting does, would count it twice).
        let started = Instant::now();
        let mut genesis = match self.config.genesis_spill_every {
            Some(every) => self.storage.begin_genesis_spilling_every(every)?,
            None => self.storage.begin_genesis()?,
        };
        genesis.put_raw(CHAIN_ID_KEY.to_vec(), chain_id.as_bytes().to_vec())?;
        self.modules
            .init_genesis(&mut genesis, app_state.as_ref())?;
        drop(app_state);
        info!(
            seconds = started.elapsed().as_secs_f32(),
            "genesis: modules initialised; writing the store"
        );
        let validators = genesis_validators(&genesis)?;
        let info = self
            .storage
            .commit_genesis(genesis, genesis_version, &digest)?;
        // The mempool checks against the stored genesis state until the first block commits.
        self.reset_mempool();
        info!(
            chain_id,
            initial_height,
            validators = validators.len(),
            "initialised chain from genesis"
        );
        Ok(GenesisOutcome {
            validators,
            app_hash: info.app_hash,
        })
    }

    /// FinalizeBlock: runs the block's hooks and transactions and computes the app hash.
    pub fn finalize_block(&self, mut block_info: BlockInfo, txs: &[Vec<u8>]) -> BlockOutcome {
        let started = Instant::now();
        let mut consensus = lock(&self.consensus);
        // The last block's app hash, or for the first block the genesis state's (InitChain's).
        block_info.header_app_hash = match self.storage.latest() {
            Some(last) => last.app_hash.to_vec(),
            None => fatal("FinalizeBlock before InitChain", "no genesis state"),
        };
        let mut block = PendingBlock::new(self.storage.clone());
        let chain_id = self
            .chain_id(&block)
            .unwrap_or_else(|e| fatal("reading chain id", e));
        block_info.chain_id = chain_id.clone();
        self.upgrade_gate(&mut block, block_info.height);
        let mut events = Vec::new();
        for module in self.modules.modules() {
            match module.begin_block(&mut block, &block_info) {
                Ok(e) => events.extend(e),
                Err(err) => fatal("begin_block failed", err),
            }
        }
        let params = block
            .auth_params()
            .unwrap_or_else(|e| fatal("reading auth params", e));
        let exec_started = Instant::now();
        // Signatures first, in parallel; a panic there only costs the speed-up.
        let _ = contain(|| ante::preverify(&block, txs, &params, &chain_id, &self.sig_cache));
        let tx_results: Vec<TxOutcome> = txs
            .iter()
            .map(|bytes| {
                let at = (&block_info, chain_id.as_str());
                self.deliver_tx(&mut block, at, &params, bytes, tx::Mode::Execute)
                    .unwrap_or_else(|e| fatal("store failure while executing a transaction", e))
            })
            .collect();
        let exec_nanos = exec_started.elapsed().as_nanos();
        let mut validator_updates = Vec::new();
        for module in self.modules.modules() {
            match module.end_block(&mut block, &block_info) {
                Ok(out) => {
                    events.extend(out.events);
                    validator_updates.extend(out.validator_updates);
                }
                Err(err) => fatal("end_block failed", err),
            }
        }
        let prepared = self
            .storage
            .prepare(block.into_writes(), block_info.height)
            .unwrap_or_else(|e| fatal("computing the app hash", e));
        let app_hash = prepared.info().app_hash;
        consensus.prepared = Some(prepared);
        self.record(&tx_results, started.elapsed().as_nanos(), exec_nanos);
        BlockOutcome {
            events,
            tx_results,
            validator_updates,
            app_hash,
        }
    }

    /// A scheduled upgrade, checked before anything of block `height` runs. At its height, this
    /// binary's handler of that name migrates the state (in this block) and the upgrade is
    /// recorded as applied; without one, the node stops here, before executing the block, as
    /// the SDK's nodes do (`upgrade-info.json` and the `UPGRADE "…" NEEDED` line that cosmovisor
    /// and runbooks watch for) — so operators who have not upgraded stop rather than fork, and a
    /// restart of the old binary stops again. Before the height, a binary that already has the
    /// handler refuses to run (the SDK's BINARY UPDATED BEFORE TRIGGER).
    fn upgrade_gate(&self, block: &mut PendingBlock, height: u64) {
        use estuary_upgrade::{UpgradeKeeper, UpgradeReader};
        let plan = match block.upgrade_plan() {
            Ok(Some(plan)) => plan,
            Ok(None) => return,
            Err(e) => fatal("reading the upgrade plan", e),
        };
        let handler = self
            .config
            .upgrade_handlers
            .iter()
            .find(|h| h.name == plan.name);
        if height < plan.height {
            if handler.is_some() {
                halt(&format!(
                    "BINARY UPDATED BEFORE TRIGGER! UPGRADE \"{}\" - in binary but not executed on chain. Downgrade your binary",
                    plan.name
                ));
            }
            return;
        }
        let Some(handler) = handler else {
            if let Some(path) = &self.config.upgrade_info_file {
                let info = serde_json::json!({
                    "name": plan.name,
                    "time": "0001-01-01T00:00:00Z",
                    "height": plan.height,
                    "info": plan.info,
                });
                if let Err(e) = std::fs::write(path, info.to_string()) {
                    error!(path = %path.display(), "writing upgrade-info.json: {e}");
                }
            }
            let line = format!(
                "UPGRADE \"{}\" NEEDED at height: {}: {}",
                plan.name, plan.height, plan.info
            );
            // An IBC upgrade: relayers need this node a little longer (the header of this
            // block, committed but never executed, and proofs of the upgraded states from the
            // last state) to upgrade the counterparties' clients. CometBFT keeps serving them
            // while this call holds its consensus; the node then exits as for any upgrade.
            let ibc = matches!(block.upgraded_client(plan.height), Ok(Some(_)));
            let grace = self.config.ibc_upgrade_halt_grace;
            if ibc && !grace.is_zero() {
                error!("{line}");
                warn!(
                    secs = grace.as_secs(),
                    "IBC upgrade: serving the last state for relayers before stopping"
                );
                std::thread::sleep(grace);
            }
            halt(&line);
        };
        if let Err(e) = (handler.migrate)(block).and_then(|()| block.mark_applied(&plan)) {
            fatal("running the upgrade handler", e);
        }
        info!(name = %plan.name, height, "applied upgrade");
    }

    fn record(&self, results: &[TxOutcome], finalize_nanos: u128, exec_nanos: u128) {
        let mut s = lock(&self.stats);
        let failed = results.iter().filter(|r| r.code != 0).count() as u64;
        s.blocks = s.blocks.saturating_add(1);
        s.txs = s.txs.saturating_add(results.len() as u64);
        s.failed_txs = s.failed_txs.saturating_add(failed);
        s.finalize_nanos = s.finalize_nanos.saturating_add(finalize_nanos);
        s.tx_exec_nanos = s.tx_exec_nanos.saturating_add(exec_nanos);
    }

    /// One transaction: the ante checks on their own overlay (kept even if a message fails), then
    /// the messages on another (kept only if all succeed). `Err` only for a store failure, which
    /// is not the transaction's fault and cannot be given a deterministic result.
    ///
    /// A panic anywhere in the transaction is contained, as the SDK's `runTx` recovers one: a
    /// panic in the messages drops their overlay and keeps the ante's (fee paid, sequence
    /// bumped); a panic before that leaves the block untouched. Either way the result is the
    /// fixed `ErrPanic` code and wording, identical on every node, and the block goes on.
    fn deliver_tx(
        &self,
        block: &mut PendingBlock,
        (info, chain_id): (&BlockInfo, &str),
        params: &AuthParams,
        bytes: &[u8],
        mode: tx::Mode,
    ) -> TxResult<TxOutcome> {
        match contain(|| self.deliver_tx_inner(block, (info, chain_id), params, bytes, mode)) {
            Ok(result) => result,
            Err(()) => Ok(TxOutcome::failed(&TxError::Panic, 0, 0, vec![])),
        }
    }

    fn deliver_tx_inner(
        &self,
        block: &mut PendingBlock,
        (info, chain_id): (&BlockInfo, &str),
        params: &AuthParams,
        bytes: &[u8],
        mode: tx::Mode,
    ) -> TxResult<TxOutcome> {
        let decoded = match tx::decode_as(bytes, params, mode) {
            Ok(d) => d,
            Err(e) => return outcome_of(e, 0, 0, vec![]),
        };
        let input = AnteInput {
            sig_cache: &self.sig_cache,
            chain_id,
            height: info.height,
            params,
            min_gas_prices: &[],
            simulate: mode == tx::Mode::Simulate,
            fee_denom: self.fee_denom(),
        };
        let mut ante_state = TxOverlay::new(block, GasMeter::new(decoded.gas_limit));
        let checked = match ante::run(&mut ante_state, &decoded, &self.modules, &input) {
            Ok(out) => out,
            Err(e) => return outcome_of(e, decoded.gas_wanted, ante_state.gas_used(), vec![]),
        };
        let ante::Checked {
            signers,
            msgs,
            events: ante_events,
        } = checked;
        let (ante_writes, gas) = ante_state.into_parts();
        block.absorb(ante_writes);

        let mut msg_state = TxOverlay::new(block, gas);
        let ran = contain(|| self.run_messages(&mut msg_state, &msgs, &signers, info))
            .unwrap_or(Err(TxError::Panic));
        match ran {
            Ok(msg_events) => {
                let gas_used = msg_state.gas_used();
                let (writes, _) = msg_state.into_parts();
                block.absorb(writes);
                let events = ante_events.into_iter().chain(msg_events).collect();
                Ok(TxOutcome {
                    gas_wanted: decoded.gas_wanted,
                    gas_used,
                    events,
                    ..Default::default()
                })
            }
            Err(e) => outcome_of(e, decoded.gas_wanted, msg_state.gas_used(), ante_events),
        }
    }

    fn run_messages(
        &self,
        state: &mut TxOverlay<'_>,
        msgs: &[DecodedMsg],
        signers: &[estuary_sdk::Address],
        info: &BlockInfo,
    ) -> TxResult<Vec<Event>> {
        let mut events = Vec::new();
        for (index, msg) in msgs.iter().enumerate() {
            let mut ctx = TxContext::new(state, signers, info);
            msg.msg.execute(&mut ctx)?;
            events.push(
                Event::new("message")
                    .attr("action", msg.type_url())
                    .attr(
                        "sender",
                        signers.first().map(|s| s.to_string()).unwrap_or_default(),
                    )
                    .attr("module", msg.module)
                    .attr("msg_index", index),
            );
            events.extend(ctx.events.into_iter().map(|e| tag_msg_index(e, index)));
        }
        Ok(events)
    }

    /// Commit: writes the finalized block in one database transaction.
    pub fn commit(&self) -> (CommitInfo, u64) {
        let prepared = lock(&self.consensus).prepared.take();
        let Some(prepared) = prepared else {
            fatal("Commit without FinalizeBlock", "nothing prepared")
        };
        let large = prepared.write_count() >= crate::memory::LARGE_BLOCK_WRITES;
        let info = self
            .storage
            .commit(prepared)
            .unwrap_or_else(|e| fatal("writing the block", e));
        *lock(&self.mempool) = PendingBlock::new(self.storage.clone());
        if large {
            crate::memory::release_freed();
        }
        let retain = match self.config.min_retain_blocks {
            0 => 0,
            keep => info.version.saturating_sub(keep),
        };
        (info, retain)
    }

    /// CheckTx: decode, route and ante-check against the mempool state; a pass is remembered so
    /// that a sender's next transaction is checked against its bumped sequence.
    pub fn check_tx(&self, bytes: &[u8]) -> TxOutcome {
        let started = Instant::now();
        let out = contain(|| self.check_tx_inner(bytes))
            .unwrap_or_else(|()| TxOutcome::failed(&TxError::Panic, 0, 0, vec![]));
        let mut s = lock(&self.stats);
        s.check_txs = s.check_txs.saturating_add(1);
        s.check_tx_nanos = s
            .check_tx_nanos
            .saturating_add(started.elapsed().as_nanos());
        out
    }

    fn check_tx_inner(&self, bytes: &[u8]) -> TxOutcome {
        let mut mempool = lock(&self.mempool);
        let params = match mempool.auth_params() {
            Ok(p) => p,
            Err(e) => return TxOutcome::failed(&e, 0, 0, vec![]),
        };
        let decoded = match tx::decode(bytes, &params) {
            Ok(d) => d,
            Err(e) => return TxOutcome::failed(&e, 0, 0, vec![]),
        };
        let chain_id = match self.chain_id(&*mempool) {
            Ok(c) => c,
            Err(e) => return TxOutcome::failed(&e, 0, 0, vec![]),
        };
        let height = self.storage.latest_version().saturating_add(1);
        let input = AnteInput {
            sig_cache: &self.sig_cache,
            chain_id: &chain_id,
            height,
            params: &params,
            min_gas_prices: &self.config.min_gas_prices,
            simulate: false,
            fee_denom: self.fee_denom(),
        };
        let mut state = TxOverlay::new(&*mempool, GasMeter::new(decoded.gas_limit));
        let checked = ante::run(&mut state, &decoded, &self.modules, &input).and_then(|out| {
            self.modules.check_tx(&state, &out.msgs)?;
            Ok(out)
        });
        match checked {
            Ok(ante::Checked { events, .. }) => {
                self.sig_cache.remember_checked_tx(bytes);
                let gas_used = state.gas_used();
                let (writes, _) = state.into_parts();
                mempool.absorb(writes);
                TxOutcome {
                    gas_wanted: decoded.gas_wanted,
                    gas_used,
                    events,
                    ..Default::default()
                }
            }
            Err(e) => {
                if e.is_internal() {
                    warn!(%e, "store error in CheckTx");
                }
                TxOutcome::failed(&e, decoded.gas_wanted, state.gas_used(), vec![])
            }
        }
    }

    /// The auth parameters a proposal's transactions are checked against (read once per proposal).
    pub fn proposal_params(&self) -> TxResult<AuthParams> {
        self.storage.auth_params()
    }

    /// Checks a proposed transaction without state: it must decode and every message must route.
    pub fn check_proposal_tx(&self, params: &AuthParams, bytes: &[u8]) -> TxResult {
        contain(|| self.check_proposal_tx_inner(params, bytes)).unwrap_or(Err(TxError::Panic))
    }

    fn check_proposal_tx_inner(&self, params: &AuthParams, bytes: &[u8]) -> TxResult {
        let decoded = tx::decode(bytes, params)?;
        self.modules.decode_msgs(&decoded.messages).map(drop)
    }

    /// Runs a transaction against the mempool state without keeping anything, for gas estimates.
    pub fn simulate(&self, bytes: &[u8]) -> TxOutcome {
        contain(|| self.simulate_inner(bytes))
            .unwrap_or_else(|()| TxOutcome::failed(&TxError::Panic, 0, 0, vec![]))
    }

    fn simulate_inner(&self, bytes: &[u8]) -> TxOutcome {
        // Against the mempool's state, as the SDK simulates against its check state: a relayer
        // simulates its next transaction while the previous one (sequence - 1) is still pending.
        let mut base = PendingBlock::new(self.storage.clone());
        base.absorb(lock(&self.mempool).writes().clone());
        let params = match base.auth_params() {
            Ok(p) => p,
            Err(e) => return TxOutcome::failed(&e, 0, 0, vec![]),
        };
        let chain_id = self.chain_id(&base).unwrap_or_default();
        // As in the SDK, a simulation runs against the last committed block's header: a light
        // client update checks "header from the future" against this time, so it must be real.
        let last = self.storage.latest_version();
        let time_unix_nanos = base
            .host_header(last)
            .ok()
            .flatten()
            .map_or(0, |h| h.time_unix_nanos);
        let info = BlockInfo {
            height: last.saturating_add(1),
            time_unix_nanos,
            chain_id: chain_id.clone(),
            ..Default::default()
        };
        let mut scratch = base;
        // A store failure here answers this one request; only block execution must stop.
        let at = (&info, chain_id.as_str());
        self.deliver_tx(&mut scratch, at, &params, bytes, tx::Mode::Simulate)
            .unwrap_or_else(|e| {
                warn!(%e, "store error while simulating");
                TxOutcome::failed(&e, 0, 0, vec![])
            })
    }
}

/// The outcome of a transaction that failed with `e`; a store failure is passed up instead.
fn outcome_of(
    e: TxError,
    gas_wanted: u64,
    gas_used: u64,
    events: Vec<Event>,
) -> TxResult<TxOutcome> {
    if e.is_internal() {
        return Err(e);
    }
    Ok(TxOutcome::failed(&e, gas_wanted, gas_used, events))
}

/// Runs `f`, turning a panic into `Err(())`. The panic's message still reaches the log through
/// the panic hook, for the operator; it never reaches a result.
pub(crate) fn contain<T>(f: impl FnOnce() -> T) -> Result<T, ()> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|_| ())
}

fn tag_msg_index(mut e: Event, index: usize) -> Event {
    if e.get("msg_index").is_none() {
        e = e.attr("msg_index", index);
    }
    e
}

/// What a stored genesis state is recognised by: SHA-256 over the chain id, the initial height
/// and the app state bytes exactly as CometBFT sent them.
fn genesis_digest(chain_id: &str, initial_height: u64, app_state: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update((chain_id.len() as u64).to_be_bytes());
    h.update(chain_id.as_bytes());
    h.update(initial_height.to_be_bytes());
    h.update(app_state);
    h.finalize().to_vec()
}

/// The validator set the genesis state holds, as InitChain answers it.
fn genesis_validators(state: &dyn StateRead) -> TxResult<Vec<ValidatorUpdate>> {
    let validators = state
        .validator_set()?
        .into_iter()
        .map(|v| ValidatorUpdate {
            ed25519_pubkey: v.pub_key,
            power: v.power,
        })
        .collect::<Vec<_>>();
    if validators.is_empty() {
        return Err(TxError::InvalidRequest("genesis has no validators".into()));
    }
    Ok(validators)
}
