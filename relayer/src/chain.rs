//! One chain as the relayer sees it: heights and headers from CometBFT's RPC, state and proofs
//! from ABCI queries, transactions signed with the relayer's key.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::Any;
use estuary_client::keyring::{signing_key_of_mnemonic, Backend, Keyring};
use estuary_client::{sign_tx, Node, QueryRequest, TxPlan, TxReport};
use ibc_proto::ibc::core::client::v1::Height;
use ibc_proto::ibc::core::commitment::v1::MerkleProof;
use prost::Message;
use tendermint_rpc::{Client, Paging};
use tracing::{debug, info, warn};

use crate::config::{ChainConfig, KeyringBackend};

pub struct Chain {
    /// The app hash of the last header fetched to check a proof: proofs come in runs at one height.
    header_app_hash: std::sync::Mutex<Option<(u64, Vec<u8>)>>,
    /// Send heights of packets this relayer is carrying, by (channel, sequence), until their
    /// ack: the start of their send→ack latency.
    sends: std::sync::Mutex<HashMap<(String, u64), u64>>,
    /// Block times by height, for latencies (a few recent heights).
    block_times: std::sync::Mutex<BTreeMap<u64, tendermint::Time>>,
    /// One relayer key signs for every path through this chain: transactions are built and
    /// broadcast one submission at a time so their sequences never collide.
    submitting: tokio::sync::Mutex<()>,
    /// Packet messages in transactions the chain refused as entirely redundant (relayed by
    /// someone else first), since the last [`Chain::take_redundant`].
    redundant: AtomicU64,
    /// Packets and acks whose RPC answer did not hash to the commitment proven for them, by
    /// (what, sequence): each is logged once, not on every pass.
    mismatches_logged: std::sync::Mutex<std::collections::HashSet<(&'static str, u64)>>,
    pub cfg: ChainConfig,
    pub node: Node,
    /// The witness endpoint (`witness_rpc`), when configured.
    pub witness: Option<Node>,
    key: SigningKey,
    pub signer: String,
    pub revision: u64,
}

/// Header `h` of chain `id` with the validator set that signed it, from `node`.
async fn light_block_from(node: &Node, id: &str, h: u64) -> Result<LightBlock> {
    let height = tendermint::block::Height::try_from(h)?;
    let commit = node
        .rpc
        .commit(height)
        .await
        .with_context(|| format!("commit {h} of {id}"))?;
    let vals = node
        .rpc
        .validators(height, Paging::All)
        .await
        .with_context(|| format!("validators {h} of {id}"))?;
    // ibc-go refuses a header whose validator set names no proposer (ibc-rs does not care).
    let proposer = commit.signed_header.header.proposer_address;
    let validators = tendermint::validator::Set::with_proposer(vals.validators, proposer)
        .with_context(|| format!("validator set {h} of {id}"))?;
    Ok(LightBlock {
        signed_header: commit.signed_header,
        validators,
    })
}

/// Whether chain id `now` is `configured` after a revision bump (`name-N` → `name-M`, M > N).
pub fn is_later_revision(configured: &str, now: &str) -> bool {
    let split = |id: &str| -> Option<(String, u64)> {
        let (name, rev) = id.rsplit_once('-')?;
        Some((name.to_string(), rev.parse().ok()?))
    };
    matches!((split(configured), split(now)), (Some((a, m)), Some((b, n))) if a == b && n > m)
}

/// A signed header and the validator set that signed it.
pub struct LightBlock {
    pub signed_header: tendermint::block::signed_header::SignedHeader,
    pub validators: tendermint::validator::Set,
}

impl Chain {
    pub async fn connect(cfg: &ChainConfig) -> Result<Chain> {
        let node = Node::connect(&cfg.rpc)?;
        let key = relayer_key(cfg)?;
        let signer = key
            .public_key()
            .account_id(&cfg.account_prefix)
            .map_err(|e| anyhow!("address with prefix {:?}: {e}", cfg.account_prefix))?
            .to_string();
        let network = node.chain_id().await?;
        let mut cfg = cfg.clone();
        if network != cfg.id {
            if !is_later_revision(&cfg.id, &network) {
                bail!("{} answers as chain {network}, not {}", cfg.rpc, cfg.id);
            }
            // The chain went on under a new revision (an IBC upgrade): the same chain, and the
            // clients of it were upgraded to follow it.
            warn!(
                configured = %cfg.id,
                now = %network,
                "the chain answers under a later revision of its id: following it (update the \
                 relayer's config to the new id)"
            );
            cfg.id = network;
        }
        let witness = match &cfg.witness_rpc {
            None => None,
            Some(url) => {
                let w = Node::connect(url)?;
                let network = w
                    .chain_id()
                    .await
                    .with_context(|| format!("witness {url}"))?;
                if network != cfg.id {
                    bail!("witness {url} answers as chain {network}, not {}", cfg.id);
                }
                Some(w)
            }
        };
        let revision = ibc_core::host::types::identifiers::ChainId::new(&cfg.id)
            .map(|c| c.revision_number())
            .unwrap_or(0);
        // A transaction can never be larger than a block: CometBFT's consensus parameters cap
        // what the configured maximum may claim.
        if let Ok(p) = node.rpc.latest_consensus_params().await {
            if let Ok(block_max) = usize::try_from(p.consensus_params.block.max_bytes) {
                if block_max > 0 && block_max < cfg.max_tx_bytes {
                    cfg.max_tx_bytes = block_max;
                }
            }
        }
        Ok(Chain {
            header_app_hash: std::sync::Mutex::new(None),
            sends: Default::default(),
            block_times: Default::default(),
            submitting: tokio::sync::Mutex::new(()),
            redundant: AtomicU64::new(0),
            mismatches_logged: Default::default(),
            cfg,
            node,
            witness,
            key,
            signer,
            revision,
        })
    }

    pub fn id(&self) -> &str {
        &self.cfg.id
    }

    /// Remembers that packet `seq` on `channel` was sent at `height`.
    pub fn remember_send(&self, channel: &str, seq: u64, height: u64) {
        if let Ok(mut sends) = self.sends.lock() {
            // Packets that never come back here (acked by another relayer) would pile up.
            if sends.len() >= MAX_REMEMBERED_SENDS {
                sends.clear();
            }
            sends.insert((channel.to_string(), seq), height);
        }
    }

    /// The send height of packet `seq` on `channel`, if remembered; forgets it.
    pub fn forget_send(&self, channel: &str, seq: u64) -> Option<u64> {
        self.sends.lock().ok()?.remove(&(channel.to_string(), seq))
    }

    /// The time of block `h`.
    pub async fn block_time(&self, h: u64) -> Result<tendermint::Time> {
        if let Some(t) = self
            .block_times
            .lock()
            .ok()
            .and_then(|m| m.get(&h).copied())
        {
            return Ok(t);
        }
        let header = self
            .node
            .rpc
            .header(tendermint::block::Height::try_from(h)?)
            .await
            .with_context(|| format!("header {h} of {}", self.id()))?
            .header;
        if let Ok(mut m) = self.block_times.lock() {
            while m.len() >= 64 {
                m.pop_first();
            }
            m.insert(h, header.time);
        }
        Ok(header.time)
    }

    /// Packet messages refused as redundant since the last call.
    pub fn take_redundant(&self) -> u64 {
        self.redundant.swap(0, Ordering::Relaxed)
    }

    pub fn height_of(&self, h: u64) -> Height {
        Height {
            revision_number: self.revision,
            revision_height: h,
        }
    }

    pub async fn latest_height(&self) -> Result<u64> {
        Ok(self
            .node
            .rpc
            .status()
            .await
            .with_context(|| format!("status of {}", self.id()))?
            .sync_info
            .latest_block_height
            .value())
    }

    pub async fn latest_time(&self) -> Result<tendermint::Time> {
        Ok(self.node.rpc.status().await?.sync_info.latest_block_time)
    }

    /// Waits until the chain has a block above `h`.
    pub async fn wait_past(&self, h: u64) -> Result<u64> {
        for _ in 0..300 {
            let now = self.latest_height().await?;
            if now > h {
                return Ok(now);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("{} did not go past height {h}", self.id())
    }

    pub async fn light_block(&self, h: u64) -> Result<LightBlock> {
        light_block_from(&self.node, self.id(), h).await
    }

    /// Header `h` and its validators as the witness serves them; `None` without a witness.
    pub async fn witness_light_block(&self, h: u64) -> Result<Option<LightBlock>> {
        match &self.witness {
            None => Ok(None),
            Some(w) => Ok(Some(
                light_block_from(w, &format!("{} (witness)", self.id()), h).await?,
            )),
        }
    }

    /// The value at an ICS-24 path in the state after block `h`, and its proof (verifiable
    /// against header `h + 1`).
    pub async fn proven(&self, path: &str, h: u64) -> Result<(Vec<u8>, Vec<u8>)> {
        self.proven_in("ibc", path, h).await
    }

    /// [`Chain::proven`] for a key of substore `store` (`ibc`, or `upgrade` for the upgraded
    /// client and consensus states of an IBC upgrade). An absent key comes back empty, with its
    /// proof of absence.
    pub async fn proven_in(&self, store: &str, path: &str, h: u64) -> Result<(Vec<u8>, Vec<u8>)> {
        let height = tendermint::block::Height::try_from(h)?;
        let res = self
            .node
            .rpc
            .abci_query(
                Some(format!("store/{store}/key")),
                path.as_bytes().to_vec(),
                Some(height),
                true,
            )
            .await
            .with_context(|| format!("proof of {path} on {}", self.id()))?;
        if res.code.is_err() {
            bail!("proof of {path} on {}: {}", self.id(), res.log);
        }
        let ops = res
            .proof
            .ok_or_else(|| anyhow!("{} returned no proof for {path}", self.id()))?;
        let proofs = ops
            .ops
            .iter()
            .map(|op| ics23::CommitmentProof::decode(op.data.as_slice()).context("proof op"))
            .collect::<Result<Vec<_>>>()?;
        // Never forward a proof the counterparty would refuse: check it against header h + 1.
        let app_hash = self.app_hash_of_header(h + 1).await?;
        let proof = estuary_sdk::store::MerkleProof {
            proofs,
            substore_root: vec![],
        };
        let specs = self.cfg.store.proof_specs();
        let (app_hash, key) = (app_hash.as_slice(), path.as_bytes());
        let ok = if res.value.is_empty() {
            estuary_sdk::store::verify_non_membership_with(
                &specs,
                &proof,
                app_hash,
                store.as_bytes(),
                key,
            )
        } else {
            estuary_sdk::store::verify_membership_with(
                &specs,
                &proof,
                app_hash,
                store.as_bytes(),
                key,
                &res.value,
            )
        };
        if !ok {
            bail!(
                "{}: the proof of {path} at height {h} does not verify against header {}",
                self.id(),
                h + 1
            );
        }
        Ok((
            res.value,
            MerkleProof {
                proofs: proof.proofs,
            }
            .encode_to_vec(),
        ))
    }

    /// Whether `what` (`packet` or `ack`) `sequence`, as this chain's RPC described it, is the
    /// one whose commitment `proven` holds. A mismatch means the RPC endpoint lied in its event
    /// data (the proof verified, so the commitment is the chain's): the message is never built.
    /// It is logged once per packet, naming the endpoint.
    pub fn matches_commitment(
        &self,
        what: &'static str,
        sequence: u64,
        computed: &[u8],
        proven: &[u8],
    ) -> bool {
        if computed == proven {
            return true;
        }
        let first = self
            .mismatches_logged
            .lock()
            .map(|mut seen| seen.insert((what, sequence)))
            .unwrap_or(true);
        if first {
            warn!(
                chain = self.id(),
                endpoint = %self.cfg.rpc,
                what,
                sequence,
                "the RPC endpoint's {what} data does not hash to the commitment proven on chain: \
                 not relayed (the endpoint is lying or corrupt; use another)"
            );
        }
        false
    }

    async fn app_hash_of_header(&self, height: u64) -> Result<Vec<u8>> {
        if let Some((h, hash)) = self
            .header_app_hash
            .lock()
            .map_err(|_| anyhow!("poisoned"))?
            .clone()
        {
            if h == height {
                return Ok(hash);
            }
        }
        let hash = self
            .light_block(height)
            .await?
            .signed_header
            .header
            .app_hash
            .as_bytes()
            .to_vec();
        *self
            .header_app_hash
            .lock()
            .map_err(|_| anyhow!("poisoned"))? = Some((height, hash.clone()));
        Ok(hash)
    }

    /// The raw value at an ICS-24 path (latest state).
    pub async fn ibc_value(&self, path: &str) -> Result<Vec<u8>> {
        self.value_in("ibc", path).await
    }

    /// The raw value of `key` in substore `store` (latest state; empty when absent).
    pub async fn value_in(&self, store: &str, key: &str) -> Result<Vec<u8>> {
        let res = self
            .node
            .rpc
            .abci_query(
                Some(format!("store/{store}/key")),
                key.as_bytes().to_vec(),
                None,
                false,
            )
            .await?;
        Ok(res.value)
    }

    pub async fn query<R: QueryRequest>(&self, req: &R) -> Result<R::Response> {
        self.node.query_typed(req).await
    }

    fn sign_with_gas(
        &self,
        msgs: &[Any],
        account_number: u64,
        sequence: u64,
        gas_limit: u64,
    ) -> Result<Vec<u8>> {
        sign_tx(&TxPlan {
            key: &self.key,
            chain_id: &self.cfg.id,
            account_number,
            sequence,
            messages: msgs.to_vec(),
            fee: self.fee(gas_limit)?,
            gas_limit,
            memo: "estuary-relayer".into(),
            timeout_height: 0,
        })
    }

    /// Signs `msgs` for the gas a simulation of them measures, times `gas_adjustment`, never
    /// more than `gas_limit`. When the chain cannot simulate them (the second transaction of a
    /// pipelined batch proves against a client update still in the mempool), the maximum.
    /// A batch that needs more than the maximum is refused with [`GasExceeded`] so that the
    /// caller splits it; a single message that does is sent with the maximum.
    async fn sign(&self, msgs: &[Any], account_number: u64, sequence: u64) -> Result<Vec<u8>> {
        let max = self.cfg.gas_limit;
        let probe = self.sign_with_gas(msgs, account_number, sequence, max)?;
        let gas = match self.simulate(probe.clone()).await {
            Ok(used) => {
                let adjusted = (used as f64 * self.cfg.gas_adjustment).ceil() as u64;
                if adjusted > max && msgs.len() > 1 {
                    return Err(GasExceeded {
                        needed: adjusted,
                        max,
                    }
                    .into());
                }
                adjusted.clamp(1, max)
            }
            Err(e) => {
                debug!(
                    chain = self.id(),
                    "simulation failed, paying the maximum gas: {e:#}"
                );
                return Ok(probe);
            }
        };
        self.sign_with_gas(msgs, account_number, sequence, gas)
    }

    /// The gas the chain measures for `tx` (its `Simulate` at the mempool's state).
    async fn simulate(&self, tx: Vec<u8>) -> Result<u64> {
        use cosmrs::proto::cosmos::tx::v1beta1 as tx_pb;
        let r: tx_pb::SimulateResponse = self
            .node
            .query_typed(&tx_pb::SimulateRequest {
                tx_bytes: tx,
                ..Default::default()
            })
            .await?;
        r.gas_info
            .map(|g| g.gas_used)
            .filter(|g| *g > 0)
            .ok_or_else(|| anyhow!("simulation reported no gas"))
    }

    /// The fee for a transaction of `gas_limit`: gas limit × gas price, rounded up.
    fn fee(&self, gas_limit: u64) -> Result<Vec<estuary_sdk::Coin>> {
        let prices = estuary_client::gas::parse_gas_prices(&self.cfg.gas_price)?;
        prices
            .iter()
            .map(|p| {
                let amount = p
                    .micro_amount
                    .saturating_mul(gas_limit as u128)
                    .div_ceil(1_000_000);
                estuary_sdk::Coin::new(amount, &p.denom)
                    .map_err(|e| anyhow!("gas price {}: {e}", self.cfg.gas_price))
            })
            .collect()
    }

    /// The bytes messages may take in one transaction: the configured maximum, less what the
    /// rest of a transaction takes (body framing, memo, signer info with key and fee, signature).
    fn msg_budget(&self) -> usize {
        self.cfg.max_tx_bytes.saturating_sub(TX_OVERHEAD_BYTES)
    }

    /// Whether `msg` fits in a transaction beside `alongside` (the client update a proof needs).
    /// A packet whose message does not fit even so is a poison packet: it is never sent, and
    /// times out.
    pub fn fits(&self, msg: &Any, alongside: &[Any]) -> bool {
        alongside.iter().chain([msg]).map(msg_bytes).sum::<usize>() <= self.msg_budget()
    }

    /// `msgs` in order, cut into transactions under the byte budget and the message count.
    pub fn batches(&self, msgs: Vec<Any>) -> Vec<Vec<Any>> {
        let (budget, count) = (self.msg_budget(), self.cfg.max_msgs_per_tx.max(1));
        let mut out: Vec<Vec<Any>> = Vec::new();
        let mut used = 0usize;
        for msg in msgs {
            let size = msg_bytes(&msg);
            match out.last_mut() {
                Some(last) if last.len() < count && used.saturating_add(size) <= budget => {
                    used = used.saturating_add(size);
                    last.push(msg);
                }
                _ => {
                    used = size;
                    out.push(vec![msg]);
                }
            }
        }
        out
    }

    /// Signs and broadcasts `msgs` in transactions cut by [`Chain::batches`], waiting for each.
    /// A sequence mismatch (another sender, a dropped tx) is answered by asking again. A
    /// transaction the chain refuses as entirely redundant (another relayer delivered all of it
    /// first: ibc-go's `ErrRedundantTx`) counts as done. One refused transaction does not stop
    /// the others; the first error is returned after all were tried.
    pub async fn submit(&self, msgs: Vec<Any>) -> Result<Vec<TxReport>> {
        let _turn = self.submitting.lock().await;
        let chunks = self.batches(msgs);
        if chunks.len() > 1 {
            if let Ok(reports) = self.submit_pipelined(&chunks).await {
                return Ok(reports);
            }
            warn!(
                chain = self.id(),
                "pipelined submission failed; submitting one transaction at a time"
            );
        }
        // Whatever a failed pipelined attempt landed is not applied twice: the chain refuses or
        // ignores a packet it has already received, and the next pass re-reads what is owed.
        let mut reports = Vec::new();
        let mut first_error = None;
        let mut queue: std::collections::VecDeque<Vec<Any>> = chunks.into();
        while let Some(chunk) = queue.pop_front() {
            match self.submit_one(chunk.clone()).await {
                Ok(r) => reports.push(r),
                Err(e) if e.downcast_ref::<GasExceeded>().is_some() && chunk.len() > 1 => {
                    // Two halves, in order: the first keeps the client update the proofs need.
                    let mut first = chunk;
                    let second = first.split_off(first.len() / 2);
                    info!(
                        chain = self.id(),
                        "{e}: splitting {} messages into {} and {}",
                        first.len() + second.len(),
                        first.len(),
                        second.len()
                    );
                    queue.push_front(second);
                    queue.push_front(first);
                }
                Err(e) => {
                    warn!(chain = self.id(), "a relay transaction failed: {e:#}");
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(reports),
        }
    }

    /// Signs every chunk with consecutive sequences and broadcasts them all before waiting, so a
    /// large batch costs about one block instead of one block per transaction.
    async fn submit_pipelined(&self, chunks: &[Vec<Any>]) -> Result<Vec<TxReport>> {
        let account = self.node.account(&self.signer).await?;
        let mut hashes = Vec::new();
        for (i, msgs) in chunks.iter().enumerate() {
            let tx = self
                .sign(msgs, account.account_number, account.sequence + i as u64)
                .await?;
            let r = self.node.broadcast(tx, None).await?;
            if is_redundant(&r) {
                // Not in the mempool: the sequences after it would wait for it forever.
                bail!("{}: a pipelined transaction was redundant", self.id());
            }
            if r.code != 0 {
                bail!(
                    "{} refused a pipelined transaction (code {}): {}",
                    self.id(),
                    r.code,
                    r.log
                );
            }
            hashes.push(r.hash);
        }
        let mut reports = Vec::new();
        for hash in hashes {
            let r = self
                .node
                .wait_for_tx(&hash, Duration::from_secs(60))
                .await?;
            if r.code != 0 {
                bail!(
                    "{} refused the relayer's transaction (code {}): {}",
                    self.id(),
                    r.code,
                    r.log
                );
            }
            reports.push(r);
        }
        Ok(reports)
    }

    async fn submit_one(&self, msgs: Vec<Any>) -> Result<TxReport> {
        let mut last = None;
        for attempt in 0..5 {
            let account = self.node.account(&self.signer).await?;
            let tx = self
                .sign(&msgs, account.account_number, account.sequence)
                .await?;
            let report = self
                .node
                .broadcast(tx, Some(Duration::from_secs(30)))
                .await?;
            // 32: wrong sequence; 20: mempool full. Both pass with time.
            if report.codespace == "sdk" && (report.code == 32 || report.code == 20) {
                warn!(chain = self.id(), attempt, log = %report.log, "retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                last = Some(report);
                continue;
            }
            if is_redundant(&report) {
                let packets = msgs.iter().filter(|m| is_packet_msg(m)).count();
                self.redundant.fetch_add(packets as u64, Ordering::Relaxed);
                debug!(
                    chain = self.id(),
                    msgs = msgs.len(),
                    "already relayed by someone else"
                );
                return Ok(report);
            }
            if report.code != 0 {
                bail!(
                    "{} refused the relayer's transaction (code {}): {}",
                    self.id(),
                    report.code,
                    report.log
                );
            }
            debug!(chain = self.id(), height = ?report.height, msgs = msgs.len(), "submitted");
            return Ok(report);
        }
        bail!(
            "{}: giving up after retries: {}",
            self.id(),
            last.map(|r| r.log).unwrap_or_default()
        )
    }

    /// The attributes of the first event of `kind` whose attributes include all `conditions`.
    pub async fn find_event(
        &self,
        kind: &str,
        conditions: &[(&str, String)],
    ) -> Result<Option<Vec<(String, String)>>> {
        Ok(self
            .find_event_at(kind, conditions)
            .await?
            .map(|(_, attrs)| attrs))
    }

    /// Every event of `kind` in the transactions that hold one matching `conditions`: a batch of
    /// packets sent in one transaction comes back in one search.
    pub async fn find_events(
        &self,
        kind: &str,
        conditions: &[(&str, String)],
    ) -> Result<Vec<Vec<(String, String)>>> {
        Ok(self
            .search(kind, conditions)
            .await?
            .into_iter()
            .map(|(_, attrs)| attrs)
            .collect())
    }

    /// Like [`Chain::find_events`], with the height of the block that holds each event.
    pub async fn find_events_at(
        &self,
        kind: &str,
        conditions: &[(&str, String)],
    ) -> Result<Vec<(u64, Vec<(String, String)>)>> {
        self.search(kind, conditions).await
    }

    /// Like [`Chain::find_event`], with the height of the block that holds the event.
    pub async fn find_event_at(
        &self,
        kind: &str,
        conditions: &[(&str, String)],
    ) -> Result<Option<(u64, Vec<(String, String)>)>> {
        let matches = |attrs: &[(String, String)]| {
            conditions
                .iter()
                .all(|(k, v)| attrs.iter().any(|(ak, av)| ak == k && av == v))
        };
        Ok(self
            .search(kind, conditions)
            .await?
            .into_iter()
            .find(|(_, attrs)| matches(attrs)))
    }

    /// `(height, attributes)` of every `kind` event in transactions indexed with `conditions`.
    async fn search(
        &self,
        kind: &str,
        conditions: &[(&str, String)],
    ) -> Result<Vec<(u64, Vec<(String, String)>)>> {
        let (first, rest) = conditions
            .split_first()
            .ok_or_else(|| anyhow!("an event search needs a condition"))?;
        let mut q =
            tendermint_rpc::query::Query::eq(format!("{kind}.{}", first.0), first.1.clone());
        for (k, v) in rest {
            q = q.and_eq(format!("{kind}.{k}"), v.clone());
        }
        let res = self
            .node
            .rpc
            .tx_search(q, false, 1, 100, tendermint_rpc::Order::Ascending)
            .await?;
        let mut out = Vec::new();
        for tx in res.txs {
            for e in tx.tx_result.events.into_iter().filter(|e| e.kind == kind) {
                let attrs = e
                    .attributes
                    .iter()
                    .map(|a| {
                        (
                            a.key_str().unwrap_or_default().to_string(),
                            a.value_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
                out.push((tx.height.value(), attrs));
            }
        }
        Ok(out)
    }
}

/// The relayer's signing key for `cfg`: from its mnemonic file, or from a keyring (the `file`
/// backend's passphrase from `ESTUARY_KEYRING_PASSPHRASE`).
pub fn relayer_key(cfg: &ChainConfig) -> Result<SigningKey> {
    relayer_key_with(cfg, std::env::var("ESTUARY_KEYRING_PASSPHRASE").ok())
}

fn relayer_key_with(cfg: &ChainConfig, passphrase: Option<String>) -> Result<SigningKey> {
    match (&cfg.mnemonic_file, &cfg.key_home) {
        (Some(file), _) => {
            warn_if_readable_by_others(file);
            let phrase = std::fs::read_to_string(file)
                .with_context(|| format!("reading the mnemonic file {}", file.display()))?;
            signing_key_of_mnemonic(&phrase)
                .with_context(|| format!("the mnemonic in {} (for {})", file.display(), cfg.id))
        }
        (None, Some(home)) => {
            let (backend, dir, passphrase) = match cfg.keyring_backend {
                KeyringBackend::Test => (Backend::Test, "keyring-test", None),
                KeyringBackend::File => (Backend::File, "keyring-file", passphrase),
            };
            Keyring::new(home.join(dir), backend, passphrase)
                .signing_key(&cfg.key)
                .with_context(|| format!("relayer key {} for {}", cfg.key, cfg.id))
        }
        (None, None) => bail!(
            "chain {} has no key: set key_home (and key) or mnemonic_file",
            cfg.id
        ),
    }
}

#[cfg(unix)]
fn warn_if_readable_by_others(file: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(m) = std::fs::metadata(file) {
        if m.permissions().mode() & 0o077 != 0 {
            warn!(file = %file.display(), "the mnemonic file is readable by others: chmod 600 it");
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_: &std::path::Path) {}

pub fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> Result<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| anyhow!("event has no {key}"))
}

pub fn parse_height(s: &str) -> Result<Height> {
    let (rev, h) = s.split_once('-').ok_or_else(|| anyhow!("height {s:?}"))?;
    Ok(Height {
        revision_number: u64::from_str(rev)?,
        revision_height: u64::from_str(h)?,
    })
}

/// What a transaction takes beyond its messages: body framing and memo, the signer info with its
/// key, the fee, and a 64-byte signature. Measured at about 300 bytes; kept generous.
const TX_OVERHEAD_BYTES: usize = 1_024;

/// A message's bytes inside a `TxBody` (field tag, length, the `Any`).
fn msg_bytes(m: &Any) -> usize {
    let len = m.encoded_len();
    len.saturating_add(prost::length_delimiter_len(len))
        .saturating_add(1)
}

/// A batch whose simulated gas (times the adjustment) is above the configured maximum.
#[derive(Debug, thiserror::Error)]
#[error("the batch needs {needed} gas, above the maximum {max}")]
pub struct GasExceeded {
    pub needed: u64,
    pub max: u64,
}

/// Packets whose ack has not come back yet, remembered per chain: far above any burst a pass
/// relays (a few MB at most).
const MAX_REMEMBERED_SENDS: usize = 100_000;

/// A receive, acknowledgement or timeout (not a client update).
fn is_packet_msg(m: &Any) -> bool {
    use ibc_proto::ibc::core::channel::v1::{MsgAcknowledgement, MsgRecvPacket, MsgTimeout};
    use prost::Name;
    let url = m.type_url.as_str();
    url == MsgRecvPacket::type_url()
        || url == MsgAcknowledgement::type_url()
        || url == MsgTimeout::type_url()
}

/// ibc-go's `ErrRedundantTx` (and Estuary's): every packet message in the transaction was
/// already delivered by another relayer.
pub fn is_redundant(r: &TxReport) -> bool {
    r.codespace == "channel" && r.code == 22
}

#[cfg(test)]
mod tests {
    use super::*;

    const MNEMONIC: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    fn config(toml_chain: &str) -> ChainConfig {
        let text = format!("id = \"x-1\"\nrpc = \"http://127.0.0.1:1\"\n{toml_chain}");
        toml::from_str(&text).expect("chain config")
    }

    fn address(k: &SigningKey) -> String {
        k.public_key()
            .account_id("estuary")
            .expect("address")
            .to_string()
    }

    /// The same key from a mnemonic file, a `test` keyring and a `file` keyring (with its
    /// passphrase; refused without it or with another).
    #[test]
    fn keys_from_a_mnemonic_file_and_both_keyring_backends() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("relayer.mnemonic");
        std::fs::write(&file, format!("{MNEMONIC}\n")).expect("write");
        let from_file = relayer_key(&config(&format!("mnemonic_file = {:?}", file))).expect("key");

        Keyring::new(dir.path().join("keyring-test"), Backend::Test, None)
            .add("relayer", Some(MNEMONIC))
            .expect("test keyring");
        Keyring::new(
            dir.path().join("keyring-file"),
            Backend::File,
            Some("secret".into()),
        )
        .add("relayer", Some(MNEMONIC))
        .expect("file keyring");
        let home = format!("key_home = {:?}", dir.path());
        let from_test = relayer_key_with(&config(&home), None).expect("test keyring key");
        let file_cfg = config(&format!("{home}\nkeyring_backend = \"file\""));
        let from_sealed =
            relayer_key_with(&file_cfg, Some("secret".into())).expect("file keyring key");
        assert_eq!(address(&from_file), address(&from_test));
        assert_eq!(address(&from_file), address(&from_sealed));
        assert!(relayer_key_with(&file_cfg, None).is_err(), "no passphrase");
        assert!(relayer_key_with(&file_cfg, Some("wrong".into())).is_err());

        std::fs::write(&file, "not a mnemonic").expect("write");
        assert!(relayer_key(&config(&format!("mnemonic_file = {:?}", file))).is_err());
        assert!(relayer_key(&config("")).is_err(), "no key at all");
    }
}
