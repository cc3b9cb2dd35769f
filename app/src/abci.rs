//! The ABCI 2.0 face of the app for CometBFT v0.38: translates requests into [`App`] calls and
//! results back into protobuf. No chain logic lives here.

use std::sync::Arc;

use estuary_sdk::{BlockInfo, Event, ValidatorUpdate};
use tendermint_abci::Application;
use tendermint_proto::v0_38::abci as pb;
use tendermint_proto::v0_38::crypto::{public_key, ProofOp, ProofOps, PublicKey};
use tracing::{info, warn};

use crate::app::{App, TxOutcome};
use crate::metrics::{EscrowLabels, NodeMetrics};
use crate::snapshots::{Applied, Offer, Snapshots};

#[derive(Clone)]
pub struct AbciApp {
    app: Arc<App>,
    metrics: Option<Arc<NodeMetrics>>,
    snapshots: Option<Arc<Snapshots>>,
    index: EventIndex,
}

/// Which event attributes CometBFT is told to index (app.toml `index_events`, the SDK's
/// `index-events`): `type.key` entries; none listed means every attribute, as in the SDK.
/// Indexing is CometBFT's most expensive per-transaction work (its kv indexer and the LevelDB
/// compaction behind it), so an operator who serves no `tx_search` can keep it to what their
/// clients ask for. A relayer needs the packet events (`send_packet.*`, `write_acknowledgement.*`,
/// …) and wallets `tx.*` and `message.*`.
#[derive(Clone, Debug, Default)]
pub struct EventIndex(std::collections::HashMap<String, std::collections::HashSet<String>>);

impl EventIndex {
    /// From `type.key` entries; an entry without a dot is refused.
    pub fn new<S: AsRef<str>>(entries: &[S]) -> anyhow::Result<EventIndex> {
        let mut map = std::collections::HashMap::<String, std::collections::HashSet<String>>::new();
        for entry in entries {
            let entry = entry.as_ref();
            let (kind, key) = entry.split_once('.').filter(|(k, a)| !k.is_empty() && !a.is_empty()).ok_or_else(|| {
                anyhow::anyhow!("index_events entry {entry:?} is not of the form type.key (e.g. message.sender)")
            })?;
            map.entry(kind.to_string())
                .or_default()
                .insert(key.to_string());
        }
        Ok(EventIndex(map))
    }

    fn indexes(&self, kind: &str, key: &str) -> bool {
        self.0.is_empty() || self.0.get(kind).is_some_and(|keys| keys.contains(key))
    }

    fn event(&self, e: &Event) -> pb::Event {
        pb::Event {
            r#type: e.kind.clone(),
            attributes: e
                .attributes
                .iter()
                .map(|a| pb::EventAttribute {
                    key: a.key.clone(),
                    value: a.value.clone(),
                    index: a.index && self.indexes(&e.kind, &a.key),
                })
                .collect(),
        }
    }

    fn events(&self, events: &[Event]) -> Vec<pb::Event> {
        events.iter().map(|e| self.event(e)).collect()
    }
}

impl AbciApp {
    pub fn new(app: Arc<App>) -> Self {
        AbciApp {
            app,
            metrics: None,
            snapshots: None,
            index: EventIndex::default(),
        }
    }

    /// Indexes only these event attributes (see `EventIndex`).
    pub fn with_event_index(mut self, index: EventIndex) -> Self {
        self.index = index;
        self
    }

    /// Serves and restores state-sync snapshots from `snapshots`.
    pub fn with_snapshots(mut self, snapshots: Arc<Snapshots>) -> Self {
        self.snapshots = Some(snapshots);
        self
    }

    /// Records what passes through the ABCI boundary in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<NodeMetrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// After a commit: height, the store on disk, escrow per channel.
    fn record_commit(&self, m: &NodeMetrics, height: u64, took: std::time::Duration) {
        use estuary_ibc::transfer::TransferReader;
        m.commit.observe(took.as_secs_f64());
        m.height.set(i64::try_from(height).unwrap_or(i64::MAX));
        let storage = self.app.storage();
        if let Ok(earliest) = storage.earliest_version() {
            let kept = height.saturating_sub(earliest.max(1)).saturating_add(1);
            m.store_versions
                .set(i64::try_from(kept).unwrap_or(i64::MAX));
        }
        if let Some(size) = m
            .store_file
            .as_ref()
            .and_then(|f| std::fs::metadata(f).ok())
        {
            m.store_bytes
                .set(i64::try_from(size.len()).unwrap_or(i64::MAX));
        }
        let escrows = storage
            .snapshot()
            .ok()
            .and_then(|s| s.channel_escrows().ok());
        if let Some(escrows) = escrows {
            for (_, channel, denom, amount) in escrows {
                m.escrow
                    .get_or_create(&EscrowLabels { channel, denom })
                    .set(amount as f64);
            }
        }
    }
}

impl Application for AbciApp {
    fn info(&self, req: pb::RequestInfo) -> pb::ResponseInfo {
        self.app.set_cometbft_version(&req.version);
        let last = self.app.last_commit();
        pb::ResponseInfo {
            data: "estuary".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            // The consensus parameters' `version.app` (CometBFT's default 0, as on SDK chains):
            // CometBFT's `rollback` rebuilds its state from those parameters, so an Info version
            // that differs from them makes the replayed block's header refuse to match.
            app_version: 0,
            last_block_height: last.map_or(0, |l| l.version as i64),
            last_block_app_hash: last.map_or(Vec::new(), |l| l.app_hash.to_vec()).into(),
        }
    }

    fn init_chain(&self, req: pb::RequestInitChain) -> pb::ResponseInitChain {
        let initial_height = u64::try_from(req.initial_height).unwrap_or(1).max(1);
        // The app state goes by value: it is a view of the request's frame, which is then freed
        // as soon as the modules have read the genesis.
        let pb::RequestInitChain {
            chain_id,
            app_state_bytes,
            ..
        } = req;
        match self
            .app
            .init_chain(&chain_id, initial_height, app_state_bytes)
        {
            Ok(out) => pb::ResponseInitChain {
                consensus_params: None,
                validators: out.validators.iter().map(validator_update).collect(),
                app_hash: out.app_hash.to_vec().into(),
            },
            Err(e) => {
                // CometBFT cannot be told "bad genesis" other than by the app refusing to go on.
                tracing::error!(%e, "genesis is invalid");
                std::process::exit(78)
            }
        }
    }

    fn query(&self, req: pb::RequestQuery) -> pb::ResponseQuery {
        let height = u64::try_from(req.height).unwrap_or(0);
        let out = crate::query::handle(&self.app, &req.path, &req.data, height, req.prove);
        let proof_ops = out.proof.map(|proof| {
            let names = [
                String::from_utf8_lossy(&req.data).into_owned(),
                crate::query::store_path(&req.path)
                    .unwrap_or("")
                    .to_string(),
            ];
            ProofOps {
                ops: proof
                    .proofs
                    .iter()
                    .zip(names)
                    .map(|(p, key)| ProofOp {
                        r#type: "ics23:jmt".into(),
                        key: key.into_bytes(),
                        data: prost::Message::encode_to_vec(p),
                    })
                    .collect(),
            }
        });
        pb::ResponseQuery {
            code: out.code,
            log: out.log,
            info: String::new(),
            index: 0,
            key: out.key.into(),
            value: out.value.into(),
            proof_ops,
            height: out.height as i64,
            codespace: out.codespace,
        }
    }

    fn check_tx(&self, req: pb::RequestCheckTx) -> pb::ResponseCheckTx {
        let out = self.app.check_tx(&req.tx);
        if let Some(m) = &self.metrics {
            m.record_check_tx(out.code, &out.codespace);
        }
        pb::ResponseCheckTx {
            code: out.code,
            data: Default::default(),
            log: out.log,
            info: String::new(),
            gas_wanted: out.gas_wanted as i64,
            gas_used: out.gas_used as i64,
            events: self.index.events(&out.events),
            codespace: out.codespace,
        }
    }

    fn prepare_proposal(&self, req: pb::RequestPrepareProposal) -> pb::ResponsePrepareProposal {
        let max = usize::try_from(req.max_tx_bytes).unwrap_or(0);
        let mut total = 0usize;
        let mut txs = Vec::with_capacity(req.txs.len());
        let params = match self.app.proposal_params() {
            Ok(p) => p,
            Err(e) => {
                warn!(%e, "cannot read auth params; proposing no transactions");
                return pb::ResponsePrepareProposal { txs };
            }
        };
        for tx in req.txs {
            let Some(with_tx) = total.checked_add(tx.len()).filter(|t| *t <= max) else {
                break;
            };
            match self.app.check_proposal_tx(&params, &tx) {
                Ok(()) => {
                    total = with_tx;
                    txs.push(tx);
                }
                Err(e) => warn!(%e, "dropping an invalid transaction from the proposal"),
            }
        }
        pb::ResponsePrepareProposal { txs }
    }

    fn process_proposal(&self, req: pb::RequestProcessProposal) -> pb::ResponseProcessProposal {
        use pb::response_process_proposal::ProposalStatus;
        let bad = match self.app.proposal_params() {
            Ok(params) => req
                .txs
                .iter()
                .find_map(|tx| self.app.check_proposal_tx(&params, tx).err()),
            Err(e) => Some(e),
        };
        let status = match bad {
            None => ProposalStatus::Accept,
            Some(e) => {
                warn!(height = req.height, %e, "rejecting a proposal with an invalid transaction");
                ProposalStatus::Reject
            }
        };
        pb::ResponseProcessProposal {
            status: status as i32,
        }
    }

    fn finalize_block(&self, req: pb::RequestFinalizeBlock) -> pb::ResponseFinalizeBlock {
        let time_unix_nanos = req.time.as_ref().map_or(0, |t| {
            i128::from(t.seconds)
                .saturating_mul(1_000_000_000)
                .saturating_add(i128::from(t.nanos))
        });
        let info = BlockInfo {
            height: u64::try_from(req.height).unwrap_or(0),
            time_unix_nanos,
            chain_id: String::new(),
            proposer: req.proposer_address.to_vec(),
            header_app_hash: Vec::new(),
            next_validators_hash: req.next_validators_hash.to_vec(),
        };
        let txs: Vec<Vec<u8>> = req.txs.iter().map(|t| t.to_vec()).collect();
        let started = std::time::Instant::now();
        let out = self.app.finalize_block(info, &txs);
        if let Some(m) = &self.metrics {
            m.record_block(started.elapsed(), &out.tx_results);
        }
        if !out.validator_updates.is_empty() {
            info!(
                height = req.height,
                updates = out.validator_updates.len(),
                "validator set changes"
            );
        }
        pb::ResponseFinalizeBlock {
            events: self.index.events(&out.events),
            tx_results: out
                .tx_results
                .iter()
                .map(|r| tx_result(r, &self.index))
                .collect(),
            validator_updates: out.validator_updates.iter().map(validator_update).collect(),
            consensus_param_updates: None,
            app_hash: out.app_hash.to_vec().into(),
        }
    }

    fn list_snapshots(&self) -> pb::ResponseListSnapshots {
        self.list_snapshots_inner()
    }

    fn load_snapshot_chunk(
        &self,
        req: pb::RequestLoadSnapshotChunk,
    ) -> pb::ResponseLoadSnapshotChunk {
        let chunk = self
            .snapshots
            .as_ref()
            .map(|s| s.load_chunk(req.height, req.format, req.chunk))
            .unwrap_or_default();
        pb::ResponseLoadSnapshotChunk {
            chunk: chunk.into(),
        }
    }

    fn offer_snapshot(&self, req: pb::RequestOfferSnapshot) -> pb::ResponseOfferSnapshot {
        use pb::response_offer_snapshot::Result as R;
        let result = match (&self.snapshots, req.snapshot) {
            (Some(snaps), Some(snap)) => match snaps.offer(
                self.app.storage(),
                snap.height,
                snap.format,
                &snap.metadata,
                &req.app_hash,
            ) {
                Offer::Accept => R::Accept,
                Offer::Abort => R::Abort,
                Offer::Reject => R::Reject,
                Offer::RejectFormat => R::RejectFormat,
            },
            _ => R::Reject,
        };
        pb::ResponseOfferSnapshot {
            result: result as i32,
        }
    }

    fn apply_snapshot_chunk(
        &self,
        req: pb::RequestApplySnapshotChunk,
    ) -> pb::ResponseApplySnapshotChunk {
        use pb::response_apply_snapshot_chunk::Result as R;
        let mut out = pb::ResponseApplySnapshotChunk {
            result: R::Abort as i32,
            refetch_chunks: vec![],
            reject_senders: vec![],
        };
        let Some(snaps) = &self.snapshots else {
            return out;
        };
        out.result = match snaps.apply(self.app.storage(), req.index, &req.chunk, &req.sender) {
            Applied::Accepted { done } => {
                if done {
                    self.app.reset_mempool();
                }
                R::Accept
            }
            Applied::Refetch => {
                out.refetch_chunks = vec![req.index];
                out.reject_senders = vec![req.sender];
                R::Retry
            }
            Applied::RejectSnapshot => R::RejectSnapshot,
            Applied::Abort => R::Abort,
        } as i32;
        out
    }

    fn commit(&self) -> pb::ResponseCommit {
        let started = std::time::Instant::now();
        let (info, retain_height) = self.app.commit();
        if let Some(m) = &self.metrics {
            self.record_commit(m, info.version, started.elapsed());
        }
        if let Some(snaps) = self.snapshots.as_ref().filter(|s| s.due(info.version)) {
            // In the background: it reads the committed version, which later commits leave be.
            let (snaps, storage, height) =
                (snaps.clone(), self.app.storage().clone(), info.version);
            let _ = std::thread::Builder::new()
                .name("snapshot".into())
                .spawn(move || {
                    if let Err(e) = snaps.write(&storage, height) {
                        warn!(height, "writing a snapshot failed: {e:#}");
                    }
                });
        }
        tracing::debug!(height = info.version, "committed");
        pb::ResponseCommit {
            retain_height: retain_height as i64,
        }
    }
}

impl AbciApp {
    pub fn list_snapshots_inner(&self) -> pb::ResponseListSnapshots {
        let snapshots = self
            .snapshots
            .as_ref()
            .map(|s| s.list())
            .unwrap_or_default()
            .into_iter()
            .map(|l| pb::Snapshot {
                height: l.height,
                format: crate::snapshots::FORMAT,
                chunks: l.chunks,
                hash: l.hash.into(),
                metadata: l.metadata.into(),
            })
            .collect();
        pb::ResponseListSnapshots { snapshots }
    }
}

fn tx_result(r: &TxOutcome, index: &EventIndex) -> pb::ExecTxResult {
    pb::ExecTxResult {
        code: r.code,
        data: Default::default(),
        log: r.log.clone(),
        info: String::new(),
        gas_wanted: r.gas_wanted as i64,
        gas_used: r.gas_used as i64,
        events: index.events(&r.events),
        codespace: r.codespace.clone(),
    }
}

fn validator_update(v: &ValidatorUpdate) -> pb::ValidatorUpdate {
    pb::ValidatorUpdate {
        pub_key: Some(PublicKey {
            sum: Some(public_key::Sum::Ed25519(v.ed25519_pubkey.to_vec())),
        }),
        power: v.power as i64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send_event() -> Event {
        Event::new("transfer")
            .attr("recipient", "estuary1x")
            .attr("amount", "1stake")
    }

    #[test]
    fn every_attribute_is_indexed_unless_index_events_narrows_it() {
        let all = EventIndex::default().event(&send_event());
        assert!(all.attributes.iter().all(|a| a.index));
        let some = EventIndex::new(&["transfer.recipient", "message.sender"])
            .unwrap()
            .event(&send_event());
        let indexed: Vec<_> = some
            .attributes
            .iter()
            .map(|a| (a.key.as_str(), a.index))
            .collect();
        assert_eq!(indexed, [("recipient", true), ("amount", false)]);
        // Values and order are untouched: only the index flag changes.
        assert_eq!(some.attributes[1].value, "1stake");
    }

    #[test]
    fn index_events_entries_must_name_type_and_key() {
        for bad in ["transfer", ".recipient", "transfer.", ""] {
            assert!(EventIndex::new(&[bad]).is_err(), "{bad:?} accepted");
        }
    }
}
