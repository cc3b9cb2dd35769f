//! Queries that trust no node: a Tendermint light client kept in the home (`light/trusted.json`),
//! started from a height and hash the user trusts (`estuaryd light init`), advanced by
//! bisection with `tendermint-light-client-verifier`, and ICS-23 proofs checked against the app
//! hash of a header it has verified. A node that lies about a value, a proof or a header is
//! caught and reported; nothing it says is shown as verified.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use estuary_sdk::store::{MerkleProof, Substore};
use prost::Message;
use serde::{Deserialize, Serialize};
use tendermint::block::signed_header::SignedHeader;
use tendermint::validator::Set;
use tendermint_light_client_verifier::options::Options;
use tendermint_light_client_verifier::types::{
    TrustThreshold, TrustedBlockState, UntrustedBlockState,
};
use tendermint_light_client_verifier::{ProdVerifier, Verdict, Verifier};
use tendermint_rpc::{Client, Paging};

use crate::node::Node;

/// What the light client trusts: a verified header and the validator set that signs the next.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrustedState {
    pub signed_header: SignedHeader,
    pub next_validators: Set,
    /// How long a trusted header may be used to verify newer ones.
    pub trusting_period_secs: u64,
}

impl TrustedState {
    pub fn path(home: &Path) -> PathBuf {
        home.join("light").join("trusted.json")
    }

    pub fn load(home: &Path) -> Result<TrustedState> {
        let path = Self::path(home);
        let text = std::fs::read_to_string(&path).map_err(|_| {
            anyhow!(
                "no trusted header in {}: run `estuaryd light init --trusted-height H --trusted-hash HASH` first",
                path.display()
            )
        })?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    pub fn save(&self, home: &Path) -> Result<()> {
        let path = Self::path(home);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        crate::files::write_private(&path, serde_json::to_string_pretty(self)?.as_bytes())
    }

    pub fn height(&self) -> u64 {
        self.signed_header.header.height.value()
    }
}

/// A header and its validator sets, as a node serves them.
struct LightBlock {
    signed_header: SignedHeader,
    validators: Set,
    next_validators: Set,
}

async fn light_block(node: &Node, h: u64) -> Result<LightBlock> {
    let height = tendermint::block::Height::try_from(h)?;
    let next = tendermint::block::Height::try_from(
        h.checked_add(1).ok_or_else(|| anyhow!("height overflow"))?,
    )?;
    let commit = node
        .rpc
        .commit(height)
        .await
        .with_context(|| format!("commit {h}"))?;
    let vals = node
        .rpc
        .validators(height, Paging::All)
        .await
        .with_context(|| format!("validators {h}"))?;
    let next_vals = node
        .rpc
        .validators(next, Paging::All)
        .await
        .with_context(|| format!("validators {next}"))?;
    let header = &commit.signed_header.header;
    let validators = Set::with_proposer(vals.validators, header.proposer_address)
        .with_context(|| format!("validator set {h}"))?;
    let next_validators = Set::without_proposer(next_vals.validators);
    // The node's sets must be the ones the header commits to.
    if validators.hash() != header.validators_hash {
        bail!("the node's validator set for {h} does not match the header's validators_hash");
    }
    if next_validators.hash() != header.next_validators_hash {
        bail!(
            "the node's validator set for {next} does not match header {h}'s next_validators_hash"
        );
    }
    Ok(LightBlock {
        signed_header: commit.signed_header,
        validators,
        next_validators,
    })
}

/// `light init`: trusts the header at `height` if its hash is `hash` (hex, as block explorers
/// and `query block` show it). Its signatures are not what is trusted: the hash is, as with
/// CometBFT's light client.
pub async fn init(
    node: &Node,
    height: u64,
    hash: &str,
    trusting_period: Duration,
) -> Result<TrustedState> {
    // Header h names the validators of h + 1, which the node serves once block h + 1 exists:
    // trusting the tip waits for the next block (a few seconds) instead of failing.
    let next = height
        .checked_add(1)
        .ok_or_else(|| anyhow!("height overflow"))?;
    for _ in 0..150 {
        if node.latest_height().await? >= next {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let lb = light_block(node, height).await?;
    let got = lb.signed_header.header.hash().to_string();
    if !got.eq_ignore_ascii_case(hash.trim()) {
        bail!("header {height} has hash {got}, not the trusted {hash}: this node is on another chain or lying");
    }
    Ok(TrustedState {
        signed_header: lb.signed_header,
        next_validators: lb.next_validators,
        trusting_period_secs: trusting_period.as_secs(),
    })
}

fn options(trusted: &TrustedState) -> Options {
    Options {
        trust_threshold: TrustThreshold::ONE_THIRD,
        trusting_period: Duration::from_secs(trusted.trusting_period_secs),
        clock_drift: Duration::from_secs(10),
    }
}

/// Verifies header `target` from `trusted` (skipping, and bisecting where the validator sets
/// changed too much to skip), returning the new trusted state at `target`.
pub async fn verify_to(node: &Node, trusted: &TrustedState, target: u64) -> Result<TrustedState> {
    let mut trusted = trusted.clone();
    // Pending targets, nearest last: bisection pushes midpoints.
    let mut pending = vec![target];
    while let Some(&next) = pending.last() {
        let from = trusted.height();
        if next == from {
            pending.pop();
            continue;
        }
        if next < from {
            bail!("height {next} is below the trusted height {from}: verify at or above it");
        }
        let lb = light_block(node, next).await?;
        let header = &trusted.signed_header.header;
        let verdict = ProdVerifier::default().verify_update_header(
            UntrustedBlockState {
                signed_header: &lb.signed_header,
                validators: &lb.validators,
                next_validators: Some(&lb.next_validators),
            },
            TrustedBlockState {
                chain_id: &header.chain_id,
                header_time: header.time,
                height: header.height,
                next_validators: &trusted.next_validators,
                next_validators_hash: header.next_validators_hash,
            },
            &options(&trusted),
            tendermint::Time::now(),
        );
        match verdict {
            Verdict::Success => {
                trusted = TrustedState {
                    signed_header: lb.signed_header,
                    next_validators: lb.next_validators,
                    trusting_period_secs: trusted.trusting_period_secs,
                };
                pending.pop();
            }
            // `next > from` here, so the midpoint is strictly between them when they are 2+ apart.
            Verdict::NotEnoughTrust(_) if next.saturating_sub(from) > 1 => {
                pending.push(from.saturating_add(next.saturating_sub(from) / 2));
            }
            other => {
                bail!("header {next} fails light-client verification from height {from}: {other:?}")
            }
        }
    }
    Ok(trusted)
}

/// Waits (up to a minute) for a block above `h`.
async fn wait_past(node: &Node, h: u64) -> Result<()> {
    for _ in 0..600 {
        if node.latest_height().await? > h {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("no block above {h} within a minute: the node is not making blocks")
}

/// A value read with a proof, checked against a verified header.
pub struct Verified {
    /// The state height the value is from; header `height + 1` commits to it.
    pub height: u64,
    /// `None`: proven absent.
    pub value: Option<Vec<u8>>,
}

/// Reads `key` of `substore` at the latest provable height, with its proof, and checks the proof
/// against the app hash of a header the light client verifies; the light client advances there.
pub async fn proven_read(
    node: &Node,
    home: &Path,
    substore: Substore,
    key: &[u8],
) -> Result<Verified> {
    let trusted = TrustedState::load(home)?;
    // The newest state: the one after the latest block, provable once the next header exists.
    let height = node.latest_height().await?;
    wait_past(node, height).await?;
    let res = node
        .rpc
        .abci_query(
            Some(format!("store/{}/key", substore.name())),
            key.to_vec(),
            Some(tendermint::block::Height::try_from(height)?),
            true,
        )
        .await
        .context("the proven query")?;
    if res.code.is_err() {
        bail!("the node refused the proven query: {}", res.log);
    }
    let ops = res.proof.ok_or_else(|| anyhow!("the node sent no proof"))?;
    let proofs = ops
        .ops
        .iter()
        .map(|op| ics23::CommitmentProof::decode(op.data.as_slice()).context("a proof op"))
        .collect::<Result<Vec<_>>>()?;
    let proof = MerkleProof {
        proofs,
        substore_root: vec![],
    };
    let header_height = height
        .checked_add(1)
        .ok_or_else(|| anyhow!("height overflow"))?;
    let verified = if header_height >= trusted.height() {
        verify_to(node, &trusted, header_height).await?
    } else {
        bail!(
            "the trusted height {} is above the chain's provable height {height}",
            trusted.height()
        );
    };
    let app_hash = verified.signed_header.header.app_hash.as_bytes().to_vec();
    let specs = estuary_sdk::store::proof_specs();
    let name = substore.name().as_bytes();
    let ok = if res.value.is_empty() {
        estuary_sdk::store::verify_non_membership_with(&specs, &proof, &app_hash, name, key)
    } else {
        estuary_sdk::store::verify_membership_with(&specs, &proof, &app_hash, name, key, &res.value)
    };
    if !ok {
        bail!(
            "the node's answer does not match the state it committed to: its proof of {} at height {height} fails against the verified app hash of header {header_height} — the node is lying or broken; nothing it returned is shown",
            String::from_utf8_lossy(key)
        );
    }
    verified.save(home)?;
    Ok(Verified {
        height,
        value: (!res.value.is_empty()).then_some(res.value),
    })
}
