//! Linking two chains: a client of each on the other, a connection, and a `transfer` channel.
//! Every step proves the counterparty's state at a height its client has been updated to.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use cosmrs::Any;
use ibc_proto::google::protobuf::Timestamp;
use ibc_proto::ibc::core::channel::v1 as chan;
use ibc_proto::ibc::core::client::v1 as client;
use ibc_proto::ibc::core::commitment::v1::MerkleRoot;
use ibc_proto::ibc::core::connection::v1 as conn;
use ibc_proto::ibc::lightclients::tendermint::v1 as tm;
use prost::Message;
use serde::{Deserialize, Serialize};
use tendermint_rpc::Client as _;
use tracing::info;

use estuary_client::ibc_msgs::{
    any, connection_version, merkle_prefix, tendermint_client_state, transfer_channel, ClientParams,
};

use crate::chain::Chain;

/// The identifiers of one side of a link.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct End {
    pub chain_id: String,
    pub client_id: String,
    pub connection_id: String,
    pub channel_id: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkState {
    pub a: End,
    pub b: End,
}

impl LinkState {
    pub fn path(state_dir: &Path, a: &str, b: &str) -> std::path::PathBuf {
        state_dir.join(format!("link-{a}--{b}.json"))
    }

    pub fn load(path: &Path) -> Result<Option<LinkState>> {
        match std::fs::read_to_string(path) {
            Ok(t) => Ok(Some(
                serde_json::from_str(&t).with_context(|| format!("parsing {}", path.display()))?,
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// The link that transfer channel `channel` on `a` is part of, read from `a`'s channel and
    /// connection ends: for relaying a channel opened by anyone (another relayer, another run).
    /// Refuses a channel that is not open or whose client on `a` is not a client of `b`.
    pub async fn of_channel(a: &Chain, b: &Chain, channel: &str) -> Result<LinkState> {
        let ch = chan::Channel::decode(
            a.ibc_value(&format!("channelEnds/ports/transfer/channels/{channel}"))
                .await?
                .as_slice(),
        )
        .with_context(|| format!("channel {channel} on {}", a.id()))?;
        if ch.state != chan::State::Open as i32 {
            bail!("channel {channel} on {} is not open", a.id());
        }
        let cp = ch
            .counterparty
            .ok_or_else(|| anyhow!("channel {channel} on {} has no counterparty", a.id()))?;
        let connection_id = ch
            .connection_hops
            .first()
            .cloned()
            .ok_or_else(|| anyhow!("channel {channel} on {} has no connection", a.id()))?;
        let conn = conn::ConnectionEnd::decode(
            a.ibc_value(&format!("connections/{connection_id}"))
                .await?
                .as_slice(),
        )
        .with_context(|| format!("connection {connection_id} on {}", a.id()))?;
        let conn_cp = conn
            .counterparty
            .ok_or_else(|| anyhow!("connection {connection_id} has no counterparty"))?;
        let client_chain = client_chain_id(a, &conn.client_id).await?;
        if client_chain != b.id() {
            bail!(
                "channel {channel} on {} leads to {client_chain}, not {}",
                a.id(),
                b.id()
            );
        }
        Ok(LinkState {
            a: End {
                chain_id: a.id().into(),
                client_id: conn.client_id,
                connection_id,
                channel_id: channel.into(),
            },
            b: End {
                chain_id: b.id().into(),
                client_id: conn_cp.client_id,
                connection_id: conn_cp.connection_id,
                channel_id: cp.channel_id,
            },
        })
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(self)?)?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
    }
}

fn event_attr(report: &estuary_client::node::TxReport, kind: &str, key: &str) -> Result<String> {
    report
        .events
        .iter()
        .filter(|e| e.kind == kind)
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key_str().ok() == Some(key))
        .and_then(|a| a.value_str().ok().map(str::to_string))
        .ok_or_else(|| anyhow!("no {kind}.{key} in the transaction's events"))
}

/// A client state for `src`, to live on its counterparty.
pub async fn client_state_of(src: &Chain, latest: u64) -> Any {
    tendermint_client_state(&ClientParams {
        chain_id: src.id().to_string(),
        trusting_period_secs: src.cfg.trusting_period_secs,
        unbonding_period_secs: src.cfg.unbonding_period_secs,
        max_clock_drift_secs: src.cfg.clock_drift_secs,
        latest_height: src.height_of(latest),
        proof_specs: src.cfg.store.proof_specs(),
    })
}

/// The chain id a Tendermint client on `host` follows.
async fn client_chain_id(host: &Chain, client_id: &str) -> Result<String> {
    let bytes = host
        .ibc_value(&format!("clients/{client_id}/clientState"))
        .await?;
    let any = Any::decode(bytes.as_slice())
        .with_context(|| format!("client {client_id} on {}", host.id()))?;
    let cs = tm::ClientState::decode(any.value.as_slice())
        .with_context(|| format!("client {client_id} on {}", host.id()))?;
    Ok(cs.chain_id)
}

/// The state of `dst`'s client `client_id` (a Tendermint client).
pub async fn client_state(dst: &Chain, client_id: &str) -> Result<tm::ClientState> {
    let bytes = dst
        .ibc_value(&format!("clients/{client_id}/clientState"))
        .await?;
    let any = Any::decode(bytes.as_slice())
        .with_context(|| format!("client {client_id} on {}", dst.id()))?;
    Ok(tm::ClientState::decode(any.value.as_slice())?)
}

/// The latest height `dst`'s client of `src` has.
pub async fn client_height(dst: &Chain, client_id: &str) -> Result<u64> {
    Ok(latest_height_of(&client_state(dst, client_id).await?))
}

/// A client state's latest height (0 when it has none).
pub fn latest_height_of(cs: &tm::ClientState) -> u64 {
    cs.latest_height.map_or(0, |h| h.revision_height)
}

/// What a client update builds on: the chain's header at the trusted height, or — right after a
/// client upgrade — the upgraded consensus state, which no header of the new chain matches
/// (ibc-go and ibc-rs store it with a sentinel root; its time and next validators are the
/// old chain's last block's).
pub struct Trusted {
    pub chain_id: tendermint::chain::Id,
    pub height: tendermint::block::Height,
    pub time: tendermint::Time,
    pub next_validators_hash: tendermint::Hash,
}

impl From<tendermint::block::Header> for Trusted {
    fn from(h: tendermint::block::Header) -> Trusted {
        Trusted {
            chain_id: h.chain_id,
            height: h.height,
            time: h.time,
            next_validators_hash: h.next_validators_hash,
        }
    }
}

/// The root ibc-go and ibc-rs give the consensus state a client upgrade installs.
const SENTINEL_ROOT: &[u8] = b"sentinel_root";

/// A `MsgUpdateClient` bringing `dst`'s client of `src` from `trusted` to header `target`.
pub async fn update_msg(
    src: &Chain,
    dst: &Chain,
    client_id: &str,
    trusted: u64,
    target: u64,
) -> Result<Any> {
    // The trusted header is read once, for the consensus-state check and both verifications.
    let th = check_trusted_state(src, dst, client_id, trusted).await?;
    let lb = src.light_block(target).await?;
    let trusted_next = src.light_block(trusted + 1).await?.validators;
    verify_header(src, &th, &trusted_next, &lb)?;
    let raw = ibc_header(src, trusted, trusted_next, lb)?;
    check_witness(src, dst, client_id, &th, &raw).await?;
    let msg = client::MsgUpdateClient {
        client_id: client_id.into(),
        client_message: Some(any(&raw)),
        signer: dst.signer.clone(),
    };
    Ok(any(&msg))
}

fn ibc_header(
    src: &Chain,
    trusted: u64,
    trusted_next: tendermint::validator::Set,
    lb: crate::chain::LightBlock,
) -> Result<tm::Header> {
    Ok(ibc_client_tendermint::types::Header {
        signed_header: lb.signed_header,
        validator_set: lb.validators,
        trusted_height: ibc_core::client::types::Height::new(src.revision, trusted)
            .map_err(|e| anyhow!("{e}"))?,
        trusted_next_validator_set: trusted_next,
    }
    .into())
}

/// The consensus state `dst`'s client holds at `trusted` — the one every update builds on —
/// checked against `src`'s own header at that height. If they differ, someone updated the client
/// with a header `src`'s chain (as this relayer's endpoint serves it) never committed: a fork its
/// validators signed. That header is read back from `dst`'s `update_client` event, the chain's
/// own header at the same height is built from the same trusted state, and both go to `dst` as
/// misbehaviour, freezing the client before anything more is proven on it. Returns the chain's
/// header at `trusted`.
async fn check_trusted_state(
    src: &Chain,
    dst: &Chain,
    client_id: &str,
    trusted: u64,
) -> Result<Trusted> {
    let path = format!(
        "clients/{client_id}/consensusStates/{}-{trusted}",
        src.revision
    );
    // Both reads at once: this runs before every client update, on the relay's critical path.
    let height = tendermint::block::Height::try_from(trusted)?;
    let (held, header) = tokio::join!(dst.ibc_value(&path), src.node.rpc.header(height));
    // Pruned or absent: nothing to check (ibc-rs will say so when the update is tried). What is
    // there must decode.
    let held = match held {
        Ok(bytes) if !bytes.is_empty() => {
            let any =
                Any::decode(bytes.as_slice()).with_context(|| format!("{path} on {}", dst.id()))?;
            Some(
                tm::ConsensusState::decode(any.value.as_slice())
                    .with_context(|| format!("{path} on {}", dst.id()))?,
            )
        }
        _ => None,
    };
    let root = held
        .as_ref()
        .and_then(|h| h.root.as_ref())
        .map(|r| r.hash.clone())
        .unwrap_or_default();
    if let (Some(held), true) = (&held, root == SENTINEL_ROOT) {
        // The first update after a client upgrade: the new chain has no header at this height.
        return upgraded_trusted(src, held, height);
    }
    let header = header
        .with_context(|| format!("header {trusted} of {}", src.id()))?
        .header;
    let Some(held) = held else {
        return Ok(header.into());
    };
    if root == header.app_hash.as_bytes()
        && held.next_validators_hash == header.next_validators_hash.as_bytes()
    {
        return Ok(header.into());
    }
    // Which header put it there: the update's event carries it (hex of its Any).
    let query = format!(
        "update_client.client_id='{client_id}' AND update_client.consensus_height='{}-{trusted}'",
        src.revision
    );
    let found = dst
        .node
        .rpc
        .tx_search(
            query.parse().map_err(|e| anyhow!("{e}"))?,
            false,
            1,
            10,
            tendermint_rpc::Order::Descending,
        )
        .await
        .with_context(|| format!("searching {}'s update of {client_id}", dst.id()))?;
    let forged = found
        .txs
        .iter()
        .flat_map(|t| t.tx_result.events.iter())
        .filter(|e| e.kind == "update_client")
        .flat_map(|e| e.attributes.iter())
        .filter(|a| a.key_str().ok() == Some("header"))
        .filter_map(|a| a.value_str().ok().and_then(|v| hex::decode(v).ok()))
        .filter_map(|b| Any::decode(b.as_slice()).ok())
        .filter_map(|a| tm::Header::decode(a.value.as_slice()).ok())
        .next();
    let Some(forged) = forged else {
        bail!(
            "client {client_id} on {} holds a consensus state at {trusted} that {} never committed, \
             and the update that wrote it cannot be found: not building on it",
            dst.id(),
            src.id()
        );
    };
    let forged_trusted = forged
        .trusted_height
        .map(|h| h.revision_height)
        .ok_or_else(|| anyhow!("the conflicting header names no trusted height"))?;
    let lb = src.light_block(trusted).await?;
    let trusted_next = src.light_block(forged_trusted + 1).await?.validators;
    verify_header(
        src,
        &trusted_header(src, forged_trusted).await?,
        &trusted_next,
        &lb,
    )?;
    let ours = ibc_header(src, forged_trusted, trusted_next, lb)?;
    Err(submit_misbehaviour(
        src,
        dst,
        client_id,
        trusted,
        forged,
        ours,
        "a header already on the client",
    )
    .await)
}

/// Hands `dst` two headers of `src` at one height that differ (both validly signed), freezing
/// its client `client_id`. Returns the error that stops the update under way: the submission's
/// failure, or the client's freezing.
async fn submit_misbehaviour(
    src: &Chain,
    dst: &Chain,
    client_id: &str,
    height: u64,
    header_1: tm::Header,
    header_2: tm::Header,
    against: &str,
) -> anyhow::Error {
    #[allow(deprecated)] // client_id inside Misbehaviour: ibc-go still fills it
    let misbehaviour = tm::Misbehaviour {
        client_id: client_id.into(),
        header_1: Some(header_1),
        header_2: Some(header_2),
    };
    let msg = client::MsgSubmitMisbehaviour {
        client_id: client_id.into(),
        misbehaviour: Some(any(&misbehaviour)),
        signer: dst.signer.clone(),
    };
    let submitted = dst.submit(vec![any(&msg)]).await;
    tracing::error!(
        chain = src.id(),
        height,
        client = client_id,
        on = dst.id(),
        submitted = submitted.is_ok(),
        "MISBEHAVIOUR: {} signed two different headers at height {height} (its own and {against}); submitted both to {} to freeze client {client_id}",
        src.id(),
        dst.id()
    );
    if let Err(e) = submitted {
        return e.context(format!(
            "submitting the misbehaviour of {} to {}",
            src.id(),
            dst.id()
        ));
    }
    anyhow!(
        "misbehaviour of {} at height {height}: client {client_id} on {} frozen; it is not updated any more",
        src.id(),
        dst.id()
    )
}

/// Hermes' witness check: the header about to be handed to `dst` (`primary`, already verified)
/// is compared with the witness's header at the same height. Equal, or no witness: nothing to
/// do. Different, and the witness's header verifies from the same trusted state too: the chain's
/// validators signed two blocks at one height — misbehaviour. Both headers go to `dst` in a
/// `MsgSubmitMisbehaviour`, which freezes the client there, and the update is refused: from now
/// on no packet of `src` is accepted by `dst` on that client's proofs. A witness that is behind
/// (waited for briefly), unreachable or serving a header that does not verify is no evidence of
/// anything: it is logged, and the update goes ahead.
async fn check_witness(
    src: &Chain,
    dst: &Chain,
    client_id: &str,
    trusted: &Trusted,
    primary: &tm::Header,
) -> Result<()> {
    if src.witness.is_none() {
        return Ok(());
    }
    let trusted_height = trusted.height.value();
    let Some(target) = primary
        .signed_header
        .as_ref()
        .and_then(|s| s.header.as_ref())
        .map(|h| h.height)
        .and_then(|h| u64::try_from(h).ok())
    else {
        return Ok(());
    };
    let mut witnessed = None;
    for _ in 0..20 {
        match src.witness_light_block(target).await {
            Ok(block) => {
                witnessed = block;
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(250)).await,
        }
    }
    let Some(wlb) = witnessed else {
        tracing::warn!(
            chain = src.id(),
            height = target,
            "the witness has no header at this height: not cross-checked"
        );
        return Ok(());
    };
    let primary_hash = ibc_client_tendermint::types::Header::try_from(primary.clone())
        .map(|h| h.signed_header.header.hash())
        .map_err(|e| anyhow!("{e}"))?;
    if wlb.signed_header.header.hash() == primary_hash {
        return Ok(());
    }
    let w_trusted_next = match src.witness_light_block(trusted_height + 1).await {
        Ok(Some(b)) => b.validators,
        _ => {
            tracing::warn!(
                chain = src.id(),
                height = target,
                "the witness's header differs, but it serves no validators at the trusted height"
            );
            return Ok(());
        }
    };
    if let Err(e) = verify_header(src, trusted, &w_trusted_next, &wlb) {
        tracing::warn!(
            chain = src.id(),
            height = target,
            "the witness's header differs but does not verify: not evidence ({e:#})"
        );
        return Ok(());
    }
    let witness_header = ibc_header(src, trusted_height, w_trusted_next, wlb)?;
    Err(submit_misbehaviour(
        src,
        dst,
        client_id,
        target,
        primary.clone(),
        witness_header,
        "the witness's",
    )
    .await)
}

/// The trusted state a client upgrade installed: the upgraded consensus state's time and next
/// validators, at its height in the new chain's revision.
fn upgraded_trusted(
    src: &Chain,
    held: &tm::ConsensusState,
    height: tendermint::block::Height,
) -> Result<Trusted> {
    let ts = held
        .timestamp
        .as_ref()
        .ok_or_else(|| anyhow!("the upgraded consensus state has no time"))?;
    Ok(Trusted {
        chain_id: src
            .id()
            .parse()
            .map_err(|e| anyhow!("chain id {}: {e}", src.id()))?,
        height,
        time: tendermint::Time::from_unix_timestamp(ts.seconds, u32::try_from(ts.nanos)?)
            .map_err(|e| anyhow!("the upgraded consensus state's time: {e}"))?,
        next_validators_hash: tendermint::Hash::from_bytes(
            tendermint::hash::Algorithm::Sha256,
            &held.next_validators_hash,
        )
        .map_err(|e| anyhow!("the upgraded consensus state's validators hash: {e}"))?,
    })
}

/// `src`'s header at `h` (one RPC: the verifier needs the header, not its commit or validators).
async fn trusted_header(src: &Chain, h: u64) -> Result<Trusted> {
    let height = tendermint::block::Height::try_from(h)?;
    Ok(src
        .node
        .rpc
        .header(height)
        .await
        .with_context(|| format!("header {h} of {}", src.id()))?
        .header
        .into())
}

/// Checks a header with the Tendermint light-client verifier (signatures, voting power, trusting
/// period) against the chain's header at the trusted height, before it is forwarded: a relayer
/// never hands a counterparty a header its own client would refuse.
fn verify_header(
    src: &Chain,
    th: &Trusted,
    trusted_next: &tendermint::validator::Set,
    lb: &crate::chain::LightBlock,
) -> Result<()> {
    use tendermint_light_client_verifier::options::Options;
    use tendermint_light_client_verifier::types::{
        TrustThreshold, TrustedBlockState, UntrustedBlockState,
    };
    use tendermint_light_client_verifier::{ProdVerifier, Verdict, Verifier};
    let trusted = th.height.value();
    let trusted_state = TrustedBlockState {
        chain_id: &th.chain_id,
        header_time: th.time,
        height: th.height,
        next_validators: trusted_next,
        next_validators_hash: th.next_validators_hash,
    };
    let untrusted = UntrustedBlockState {
        signed_header: &lb.signed_header,
        validators: &lb.validators,
        next_validators: None,
    };
    let options = Options {
        trust_threshold: TrustThreshold::ONE_THIRD,
        trusting_period: std::time::Duration::from_secs(src.cfg.trusting_period_secs),
        clock_drift: std::time::Duration::from_secs(src.cfg.clock_drift_secs),
    };
    match ProdVerifier::default().verify_update_header(
        untrusted,
        trusted_state,
        &options,
        tendermint::Time::now(),
    ) {
        Verdict::Success => Ok(()),
        other => bail!(
            "header {} of {} fails light-client verification from height {trusted}: {other:?}",
            lb.signed_header.header.height,
            src.id()
        ),
    }
}

/// Picks a height `h` of `src` whose state can be proven to `dst` (its client will hold header
/// `h + 1`), and the update that gets the client there, if one is needed.
pub async fn proof_height(src: &Chain, dst: &Chain, client_id: &str) -> Result<(u64, Option<Any>)> {
    // Everything committed up to the latest block must be provable, so the state to prove is at
    // least that block's, and its proof needs the header after it.
    let committed = src.latest_height().await?;
    let cs = client_state(dst, client_id).await?;
    if cs.frozen_height.is_some_and(|h| h.revision_height > 0) {
        // Frozen for misbehaviour: every proof on it is refused, and so is every update.
        bail!(
            "client {client_id} on {} is FROZEN (misbehaviour of {}): nothing is relayed over it",
            dst.id(),
            src.id()
        );
    }
    if cs.chain_id != src.id() && crate::chain::is_later_revision(src.id(), &cs.chain_id) {
        // The client was upgraded to follow `src` under its next revision while `src` is
        // stopped at the upgrade: the state left to prove is its last one, against the header
        // of the block it stopped at (the update in the upgrade's transaction put it there).
        // Packets and acknowledgements of the old chain are relayed now, from its last state:
        // its events are not served by the new chain.
        return Ok((committed.saturating_sub(1), None));
    }
    let trusted = latest_height_of(&cs);
    if trusted > committed {
        return Ok((trusted - 1, None));
    }
    let target = src.wait_past(committed).await?;
    let update = update_msg(src, dst, client_id, trusted, target).await?;
    Ok((target - 1, Some(update)))
}

/// Brings `dst`'s client of `src` far enough to prove `src`'s recent state (its own transaction),
/// and returns the height whose state to prove.
pub async fn prove_ready(src: &Chain, dst: &Chain, client_id: &str) -> Result<u64> {
    let (h, update) = proof_height(src, dst, client_id).await?;
    if let Some(update) = update {
        dst.submit(vec![update]).await?;
    }
    Ok(h)
}

/// Creates a client of `src` on `dst` at `src`'s latest height; returns its id.
pub async fn create_client(src: &Chain, dst: &Chain) -> Result<String> {
    let h = src.latest_height().await?;
    let lb = src.light_block(h).await?;
    let header = lb.signed_header.header;
    let cons = tm::ConsensusState {
        timestamp: Some(Timestamp {
            seconds: header.time.unix_timestamp(),
            nanos: (header.time.unix_timestamp_nanos() % 1_000_000_000) as i32,
        }),
        root: Some(MerkleRoot {
            hash: header.app_hash.as_bytes().to_vec(),
        }),
        next_validators_hash: header.next_validators_hash.as_bytes().to_vec(),
    };
    let msg = client::MsgCreateClient {
        client_state: Some(client_state_of(src, h).await),
        consensus_state: Some(any(&cons)),
        signer: dst.signer.clone(),
    };
    let report = dst.submit(vec![any(&msg)]).await?.remove(0);
    let id = event_attr(&report, "create_client", "client_id")?;
    info!(on = dst.id(), client = %id, of = src.id(), "created client");
    Ok(id)
}

/// One step of linking, for running them one at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Step {
    Client,
    Connection,
    Channel,
}

/// Creates a full link, or finishes one: every step already open on both chains is reused,
/// and the state is saved after each step so an interrupted link resumes where it stopped.
pub async fn link(
    a: &Chain,
    b: &Chain,
    existing: Option<LinkState>,
    save: &dyn Fn(&LinkState) -> Result<()>,
) -> Result<LinkState> {
    let mut st = existing.unwrap_or_else(|| LinkState {
        a: End {
            chain_id: a.id().into(),
            ..Default::default()
        },
        b: End {
            chain_id: b.id().into(),
            ..Default::default()
        },
    });
    for step in [Step::Client, Step::Connection, Step::Channel] {
        if !done(a, b, &st, step).await? {
            run_step(a, b, &mut st, step).await?;
            save(&st)?;
        }
    }
    info!(
        "linked {} {} <-> {} {}",
        st.a.chain_id, st.a.channel_id, st.b.chain_id, st.b.channel_id
    );
    Ok(st)
}

/// Whether `step` is complete and usable on both chains.
pub async fn done(a: &Chain, b: &Chain, st: &LinkState, step: Step) -> Result<bool> {
    Ok(match step {
        Step::Client => {
            !st.a.client_id.is_empty()
                && !st.b.client_id.is_empty()
                && client_height(a, &st.a.client_id).await.is_ok()
                && client_height(b, &st.b.client_id).await.is_ok()
        }
        Step::Connection => connection_open(a, &st.a).await? && connection_open(b, &st.b).await?,
        Step::Channel => channel_open(a, &st.a).await? && channel_open(b, &st.b).await?,
    })
}

/// Runs one step (its predecessors must be done).
pub async fn run_step(a: &Chain, b: &Chain, st: &mut LinkState, step: Step) -> Result<()> {
    match step {
        Step::Client => {
            st.a.client_id = create_client(b, a).await?;
            st.b.client_id = create_client(a, b).await?;
        }
        Step::Connection => connect(a, b, st).await?,
        Step::Channel => open_channel(a, b, st).await?,
    }
    Ok(())
}

async fn connection_open(c: &Chain, end: &End) -> Result<bool> {
    if end.connection_id.is_empty() {
        return Ok(false);
    }
    let bytes = c
        .ibc_value(&format!("connections/{}", end.connection_id))
        .await?;
    Ok(conn::ConnectionEnd::decode(bytes.as_slice())
        .map(|c| c.state == conn::State::Open as i32)
        .unwrap_or(false))
}

async fn channel_open(c: &Chain, end: &End) -> Result<bool> {
    if end.channel_id.is_empty() {
        return Ok(false);
    }
    let bytes = c
        .ibc_value(&format!(
            "channelEnds/ports/transfer/channels/{}",
            end.channel_id
        ))
        .await?;
    Ok(chan::Channel::decode(bytes.as_slice())
        .map(|ch| ch.state == chan::State::Open as i32)
        .unwrap_or(false))
}

async fn connect(a: &Chain, b: &Chain, st: &mut LinkState) -> Result<()> {
    let init = conn::MsgConnectionOpenInit {
        client_id: st.a.client_id.clone(),
        counterparty: Some(conn::Counterparty {
            client_id: st.b.client_id.clone(),
            connection_id: String::new(),
            prefix: merkle_prefix(),
        }),
        version: Some(connection_version()),
        delay_period: 0,
        signer: a.signer.clone(),
    };
    let r = a.submit(vec![any(&init)]).await?.remove(0);
    st.a.connection_id = event_attr(&r, "connection_open_init", "connection_id")?;

    let h = prove_ready(a, b, &st.b.client_id).await?;
    let consensus_height = client_height(a, &st.a.client_id).await?;
    let cs_bytes = a
        .ibc_value(&format!("clients/{}/clientState", st.a.client_id))
        .await?;
    let (_, proof_init) = a
        .proven(&format!("connections/{}", st.a.connection_id), h)
        .await?;
    let (_, proof_client) = a
        .proven(&format!("clients/{}/clientState", st.a.client_id), h)
        .await?;
    let (_, proof_consensus) = a
        .proven(
            &format!(
                "clients/{}/consensusStates/{}-{consensus_height}",
                st.a.client_id, b.revision
            ),
            h,
        )
        .await?;
    #[allow(deprecated)]
    let try_ = conn::MsgConnectionOpenTry {
        client_id: st.b.client_id.clone(),
        previous_connection_id: String::new(),
        client_state: Some(ibc_proto::google::protobuf::Any::decode(
            cs_bytes.as_slice(),
        )?),
        counterparty: Some(conn::Counterparty {
            client_id: st.a.client_id.clone(),
            connection_id: st.a.connection_id.clone(),
            prefix: merkle_prefix(),
        }),
        delay_period: 0,
        counterparty_versions: vec![connection_version()],
        proof_height: Some(a.height_of(h + 1)),
        proof_init,
        proof_client,
        proof_consensus,
        consensus_height: Some(b.height_of(consensus_height)),
        signer: b.signer.clone(),
        host_consensus_state_proof: vec![],
    };
    let msgs = vec![any(&try_)];
    let r = b
        .submit(msgs)
        .await?
        .pop()
        .ok_or_else(|| anyhow!("no result"))?;
    st.b.connection_id = event_attr(&r, "connection_open_try", "connection_id")?;

    let h = prove_ready(b, a, &st.a.client_id).await?;
    let consensus_height = client_height(b, &st.b.client_id).await?;
    let cs_bytes = b
        .ibc_value(&format!("clients/{}/clientState", st.b.client_id))
        .await?;
    let (_, proof_try) = b
        .proven(&format!("connections/{}", st.b.connection_id), h)
        .await?;
    let (_, proof_client) = b
        .proven(&format!("clients/{}/clientState", st.b.client_id), h)
        .await?;
    let (_, proof_consensus) = b
        .proven(
            &format!(
                "clients/{}/consensusStates/{}-{consensus_height}",
                st.b.client_id, a.revision
            ),
            h,
        )
        .await?;
    let ack = conn::MsgConnectionOpenAck {
        connection_id: st.a.connection_id.clone(),
        counterparty_connection_id: st.b.connection_id.clone(),
        version: Some(connection_version()),
        client_state: Some(ibc_proto::google::protobuf::Any::decode(
            cs_bytes.as_slice(),
        )?),
        proof_height: Some(b.height_of(h + 1)),
        proof_try,
        proof_client,
        proof_consensus,
        consensus_height: Some(a.height_of(consensus_height)),
        signer: a.signer.clone(),
        host_consensus_state_proof: vec![],
    };
    let msgs = vec![any(&ack)];
    a.submit(msgs).await?;

    let h = prove_ready(a, b, &st.b.client_id).await?;
    let (_, proof_ack) = a
        .proven(&format!("connections/{}", st.a.connection_id), h)
        .await?;
    let confirm = conn::MsgConnectionOpenConfirm {
        connection_id: st.b.connection_id.clone(),
        proof_ack,
        proof_height: Some(a.height_of(h + 1)),
        signer: b.signer.clone(),
    };
    let msgs = vec![any(&confirm)];
    b.submit(msgs).await?;
    info!(a = %st.a.connection_id, b = %st.b.connection_id, "connection open");
    Ok(())
}

async fn open_channel(a: &Chain, b: &Chain, st: &mut LinkState) -> Result<()> {
    let init = chan::MsgChannelOpenInit {
        port_id: "transfer".into(),
        channel: Some(transfer_channel(chan::State::Init, &st.a.connection_id, "")),
        signer: a.signer.clone(),
    };
    let r = a.submit(vec![any(&init)]).await?.remove(0);
    st.a.channel_id = event_attr(&r, "channel_open_init", "channel_id")?;

    let h = prove_ready(a, b, &st.b.client_id).await?;
    let (_, proof_init) = a
        .proven(
            &format!("channelEnds/ports/transfer/channels/{}", st.a.channel_id),
            h,
        )
        .await?;
    #[allow(deprecated)]
    let try_ = chan::MsgChannelOpenTry {
        port_id: "transfer".into(),
        previous_channel_id: String::new(),
        channel: Some(transfer_channel(
            chan::State::Tryopen,
            &st.b.connection_id,
            &st.a.channel_id,
        )),
        counterparty_version: "ics20-1".into(),
        proof_init,
        proof_height: Some(a.height_of(h + 1)),
        signer: b.signer.clone(),
    };
    let msgs = vec![any(&try_)];
    let r = b
        .submit(msgs)
        .await?
        .pop()
        .ok_or_else(|| anyhow!("no result"))?;
    st.b.channel_id = event_attr(&r, "channel_open_try", "channel_id")?;

    let h = prove_ready(b, a, &st.a.client_id).await?;
    let (_, proof_try) = b
        .proven(
            &format!("channelEnds/ports/transfer/channels/{}", st.b.channel_id),
            h,
        )
        .await?;
    let ack = chan::MsgChannelOpenAck {
        port_id: "transfer".into(),
        channel_id: st.a.channel_id.clone(),
        counterparty_channel_id: st.b.channel_id.clone(),
        counterparty_version: "ics20-1".into(),
        proof_try,
        proof_height: Some(b.height_of(h + 1)),
        signer: a.signer.clone(),
    };
    let msgs = vec![any(&ack)];
    a.submit(msgs).await?;

    let h = prove_ready(a, b, &st.b.client_id).await?;
    let (_, proof_ack) = a
        .proven(
            &format!("channelEnds/ports/transfer/channels/{}", st.a.channel_id),
            h,
        )
        .await?;
    let confirm = chan::MsgChannelOpenConfirm {
        port_id: "transfer".into(),
        channel_id: st.b.channel_id.clone(),
        proof_ack,
        proof_height: Some(a.height_of(h + 1)),
        signer: b.signer.clone(),
    };
    let msgs = vec![any(&confirm)];
    b.submit(msgs).await?;
    if st.a.channel_id.is_empty() || st.b.channel_id.is_empty() {
        bail!("channel handshake left no channel ids");
    }
    info!(a = %st.a.channel_id, b = %st.b.channel_id, "channel open");
    Ok(())
}
