//! Talking to a running node over CometBFT's RPC: ABCI queries, broadcasting, waiting for inclusion,
//! and building signed transactions.

use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::auth::v1beta1 as auth_pb;
use cosmrs::tx::{Body, Fee, SignDoc, SignerInfo};
use cosmrs::Any;
use estuary_sdk::query::{JsonQuery, QueryRequest};
use estuary_sdk::Coin;
use prost::Message;
use serde::Serialize;
use tendermint_rpc::client::CompatMode;
use tendermint_rpc::{Client, HttpClient, HttpClientUrl};

use crate::errors::QueryFailed;

pub struct Node {
    pub rpc: HttpClient,
    pub url: String,
}

impl Node {
    pub fn connect(url: &str) -> Result<Node> {
        let normalized = url.replacen("tcp://", "http://", 1);
        let parsed = HttpClientUrl::from_str(&normalized)
            .map_err(|e| anyhow!("node address {url:?}: {e}"))?;
        let rpc = HttpClient::builder(parsed)
            .compat_mode(CompatMode::V0_38)
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| anyhow!("node address {url:?}: {e}"))?;
        Ok(Node {
            rpc,
            url: normalized,
        })
    }

    /// An ABCI query; a non-zero code becomes an error with the node's log.
    pub async fn query(&self, path: &str, data: Vec<u8>, height: Option<u64>) -> Result<Vec<u8>> {
        let h = match height {
            Some(h) if h > 0 => Some(tendermint::block::Height::try_from(h)?),
            _ => None,
        };
        let res = self
            .rpc
            .abci_query(Some(path.to_string()), data, h, false)
            .await
            .map_err(|e| self.explain(e))
            .with_context(|| format!("querying {path}"))?;
        if res.code.is_err() {
            return Err(QueryFailed {
                path: path.to_string(),
                code: res.code.value(),
                codespace: res.codespace,
                log: res.log,
            }
            .into());
        }
        Ok(res.value)
    }

    /// An RPC error of this node, as a person should read it (see [`crate::errors`]).
    pub fn explain(&self, err: tendermint_rpc::Error) -> anyhow::Error {
        crate::errors::rpc_error(&self.url, err)
    }

    /// A typed query at the latest height; the path comes from the request type.
    pub async fn query_typed<R: QueryRequest>(&self, req: &R) -> Result<R::Response> {
        self.query_typed_at(req, None).await
    }

    /// A typed query at `height` (`None` or 0: the latest).
    pub async fn query_typed_at<R: QueryRequest>(
        &self,
        req: &R,
        height: Option<u64>,
    ) -> Result<R::Response> {
        let path = R::path();
        let bytes = self.query(&path, req.encode_to_vec(), height).await?;
        R::Response::decode(bytes.as_slice())
            .with_context(|| format!("decoding the answer to {path}"))
    }

    /// One of Estuary's JSON queries.
    pub async fn query_json<T: serde::de::DeserializeOwned>(&self, query: JsonQuery) -> Result<T> {
        let bytes = self.query(query.path, Vec::new(), None).await?;
        serde_json::from_slice(&bytes)
            .with_context(|| format!("decoding the answer to {}", query.path))
    }

    /// CometBFT's `/status`, with an error naming the node.
    async fn status(&self) -> Result<tendermint_rpc::endpoint::status::Response> {
        self.rpc.status().await.map_err(|e| self.explain(e))
    }

    /// The node's latest committed height.
    pub async fn latest_height(&self) -> Result<u64> {
        Ok(self.status().await?.sync_info.latest_block_height.value())
    }

    pub async fn chain_id(&self) -> Result<String> {
        Ok(self.status().await?.node_info.network.to_string())
    }

    /// The account's number and sequence, or an error naming the account.
    pub async fn account(&self, address: &str) -> Result<auth_pb::BaseAccount> {
        let resp: auth_pb::QueryAccountResponse = self
            .query_typed(&auth_pb::QueryAccountRequest {
                address: address.to_string(),
            })
            .await
            .map_err(|e| match e.downcast_ref::<QueryFailed>() {
                Some(q) if q.is_not_found() => {
                    anyhow!("account {address} not found on chain (has it received any tokens?)")
                }
                _ => e.context(format!("looking up account {address}")),
            })?;
        let any = resp
            .account
            .ok_or_else(|| anyhow!("account {address} not found"))?;
        auth_pb::BaseAccount::decode(any.value.as_slice()).context("decoding BaseAccount")
    }

    /// Every balance of `address` (first page: up to 100 denoms), as (denom, amount).
    pub async fn balances(&self, address: &str) -> Result<Vec<BalanceOf>> {
        use cosmrs::proto::cosmos::bank::v1beta1 as bank_pb;
        let resp: bank_pb::QueryAllBalancesResponse = self
            .query_typed(&bank_pb::QueryAllBalancesRequest {
                address: address.to_string(),
                ..Default::default()
            })
            .await
            .with_context(|| format!("balances of {address}"))?;
        resp.balances
            .into_iter()
            .map(|c| {
                Ok(BalanceOf {
                    amount: c
                        .amount
                        .parse()
                        .with_context(|| format!("amount {:?} of {}", c.amount, c.denom))?,
                    denom: c.denom,
                })
            })
            .collect()
    }

    /// Broadcasts and, with `wait`, polls until the transaction is in a block.
    pub async fn broadcast(&self, tx_bytes: Vec<u8>, wait: Option<Duration>) -> Result<TxReport> {
        let res = self
            .rpc
            .broadcast_tx_sync(tx_bytes)
            .await
            .map_err(|e| self.explain(e))
            .context("broadcasting")?;
        let hash = res.hash.to_string();
        if res.code.is_err() {
            return Ok(TxReport {
                hash,
                height: None,
                code: res.code.value(),
                codespace: res.codespace,
                log: res.log,
                gas_wanted: 0,
                gas_used: 0,
                stage: "check_tx",
                data: vec![],
                events: vec![],
            });
        }
        let Some(timeout) = wait else {
            return Ok(TxReport {
                hash,
                height: None,
                code: 0,
                codespace: String::new(),
                log: res.log,
                gas_wanted: 0,
                gas_used: 0,
                stage: "mempool",
                data: vec![],
                events: vec![],
            });
        };
        self.wait_for_tx(&hash, timeout).await
    }

    /// Hands the transaction to the node without waiting for CheckTx (the SDK's `async` mode).
    pub async fn broadcast_async(&self, tx_bytes: Vec<u8>) -> Result<TxReport> {
        let res = self
            .rpc
            .broadcast_tx_async(tx_bytes)
            .await
            .map_err(|e| self.explain(e))
            .context("broadcasting")?;
        Ok(TxReport {
            hash: res.hash.to_string(),
            height: None,
            code: 0,
            codespace: String::new(),
            log: String::new(),
            gas_wanted: 0,
            gas_used: 0,
            stage: "sent",
            data: vec![],
            events: vec![],
        })
    }

    pub async fn wait_for_tx(&self, hash: &str, timeout: Duration) -> Result<TxReport> {
        let h = tendermint::Hash::from_str(hash).map_err(|e| anyhow!("tx hash {hash}: {e}"))?;
        let start = Instant::now();
        loop {
            if let Ok(found) = self.rpc.tx(h, false).await {
                let r = found.tx_result;
                return Ok(TxReport {
                    hash: hash.to_string(),
                    height: Some(found.height.value()),
                    code: r.code.value(),
                    codespace: r.codespace,
                    log: r.log,
                    gas_wanted: r.gas_wanted as u64,
                    gas_used: r.gas_used as u64,
                    stage: "block",
                    data: r.data.to_vec(),
                    events: r.events,
                });
            }
            if start.elapsed() > timeout {
                bail!("transaction {hash} was not included within {timeout:?} (it may still be in the mempool)");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// One denom's balance.
#[derive(Debug, Clone, Serialize)]
pub struct BalanceOf {
    pub denom: String,
    pub amount: u128,
}

/// What happened to a broadcast transaction.
#[derive(Debug, Serialize)]
pub struct TxReport {
    pub hash: String,
    pub height: Option<u64>,
    pub code: u32,
    pub codespace: String,
    pub log: String,
    pub gas_wanted: u64,
    pub gas_used: u64,
    /// Where the answer came from: `check_tx` (rejected), `mempool` (not waited for), `block`.
    pub stage: &'static str,
    /// The transaction's result data (its messages' responses), once it is in a block.
    #[serde(skip)]
    pub data: Vec<u8>,
    /// The transaction's events, once it is in a block.
    #[serde(skip)]
    pub events: Vec<tendermint::abci::Event>,
}

impl Node {
    /// Signs `messages` (no fee) with `key` at its account's current number and sequence,
    /// broadcasts them and waits up to `wait` for inclusion.
    pub async fn sign_and_broadcast(
        &self,
        (key, sender): (&SigningKey, &str),
        chain_id: &str,
        messages: Vec<Any>,
        gas_limit: u64,
        wait: Duration,
    ) -> Result<TxReport> {
        let account = self.account(sender).await?;
        let tx = sign_tx(&TxPlan {
            key,
            chain_id,
            account_number: account.account_number,
            sequence: account.sequence,
            messages,
            fee: vec![],
            gas_limit,
            memo: String::new(),
            timeout_height: 0,
        })?;
        self.broadcast(tx, Some(wait)).await
    }
}

/// `n` identical ICS-20 transfers of `amount` `denom` on port `transfer` over `channel`, timing
/// out at `timeout_ns` (Unix nanoseconds): the bursts of load generators and tests.
pub fn transfer_batch(
    channel: &str,
    (sender, receiver): (&str, &str),
    (amount, denom): (u128, &str),
    n: usize,
    timeout_ns: u64,
) -> Vec<Any> {
    let msg = ibc_proto::ibc::applications::transfer::v1::MsgTransfer {
        source_port: estuary_ibc::ics20::PORT.into(),
        source_channel: channel.into(),
        token: Some(ibc_proto::cosmos::base::v1beta1::Coin {
            denom: denom.into(),
            amount: amount.to_string(),
        }),
        sender: sender.into(),
        receiver: receiver.into(),
        timeout_height: None,
        timeout_timestamp: timeout_ns,
        memo: String::new(),
    };
    let any = Any {
        type_url:
            <ibc_proto::ibc::applications::transfer::v1::MsgTransfer as prost::Name>::type_url(),
        value: msg.encode_to_vec(),
    };
    vec![any; n]
}

/// Everything needed to sign one transaction.
pub struct TxPlan<'a> {
    pub key: &'a SigningKey,
    pub chain_id: &'a str,
    pub account_number: u64,
    pub sequence: u64,
    pub messages: Vec<Any>,
    pub fee: Vec<Coin>,
    pub gas_limit: u64,
    pub memo: String,
    pub timeout_height: u64,
}

/// Builds a `TxRaw` signed with SIGN_MODE_DIRECT.
pub fn sign_tx(plan: &TxPlan<'_>) -> Result<Vec<u8>> {
    let body = Body::new(
        plan.messages.clone(),
        plan.memo.clone(),
        plan.timeout_height as u32,
    );
    let fee_coins = plan
        .fee
        .iter()
        .map(|c| {
            Ok(cosmrs::Coin {
                denom: c
                    .denom
                    .as_str()
                    .parse()
                    .map_err(|e| anyhow!("denom {}: {e}", c.denom))?,
                amount: c.amount,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let fee = Fee {
        amount: fee_coins,
        gas_limit: plan.gas_limit,
        payer: None,
        granter: None,
    };
    let auth_info =
        SignerInfo::single_direct(Some(plan.key.public_key()), plan.sequence).auth_info(fee);
    let chain_id = plan
        .chain_id
        .parse()
        .map_err(|e| anyhow!("chain id {}: {e}", plan.chain_id))?;
    let doc = SignDoc::new(&body, &auth_info, &chain_id, plan.account_number)
        .map_err(|e| anyhow!("sign doc: {e}"))?;
    let raw = doc.sign(plan.key).map_err(|e| anyhow!("signing: {e}"))?;
    raw.to_bytes().map_err(|e| anyhow!("encoding tx: {e}"))
}
