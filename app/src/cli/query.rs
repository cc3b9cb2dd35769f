use anyhow::{anyhow, Context, Result};
use cosmrs::proto::cosmos::bank::v1beta1 as bank_pb;
use estuary_sdk::store::Substore;
use serde::Serialize;

use super::{Global, NodeArgs};
use crate::client::Node;

#[derive(clap::Subcommand)]
pub enum QueryCmd {
    /// Balances and supply.
    #[command(subcommand)]
    Bank(BankQuery),
    /// Accounts.
    #[command(subcommand)]
    Auth(AuthQuery),
    /// A transaction by hash, with its result.
    Tx {
        hash: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A block (default: the latest), as CometBFT returns it.
    Block {
        height: Option<u64>,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Transactions matching an event query, e.g. `--query "transfer.recipient='estuary1…'"`.
    Txs {
        /// CometBFT event query: `type.attribute='value'` joined by AND.
        #[arg(long)]
        query: String,
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, default_value_t = 100)]
        limit: u8,
        /// `asc` or `desc` by height.
        #[arg(long, default_value = "asc", value_parser = ["asc", "desc"])]
        order_by: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The validator set.
    Validators {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// IBC core: clients, connections, channels, packets.
    #[command(subcommand)]
    Ibc(super::ibc::IbcQuery),
    /// ICS-20: denom traces and escrow addresses.
    #[command(subcommand, name = "ibc-transfer")]
    IbcTransfer(super::ibc::TransferQuery),
    /// Execution figures of the node's app since it started (blocks, txs, time in FinalizeBlock).
    AppStats {
        #[command(flatten)]
        node: NodeArgs,
    },
}

#[derive(clap::Subcommand)]
pub enum BankQuery {
    /// All balances of an address (or one denomination with --denom).
    Balances {
        address: String,
        #[arg(long)]
        denom: Option<String>,
        /// Query at this height (default: latest).
        #[arg(long, conflicts_with = "verify")]
        height: Option<u64>,
        /// Check the answer with its proof against a header the light client verifies (needs
        /// --denom and `estuaryd light init`): a lying node is reported, never believed.
        #[arg(long, requires = "denom")]
        verify: bool,
        #[command(flatten)]
        node: NodeArgs,
    },
}

#[derive(clap::Subcommand)]
pub enum AuthQuery {
    /// An account's number, sequence and public key.
    Account {
        address: String,
        /// Check the answer with its proof against a header the light client verifies.
        #[arg(long)]
        verify: bool,
        #[command(flatten)]
        node: NodeArgs,
    },
}

#[derive(Serialize)]
struct CoinOut {
    denom: String,
    amount: String,
}

fn coins_out(coins: Vec<cosmrs::proto::cosmos::base::v1beta1::Coin>) -> Vec<CoinOut> {
    coins
        .into_iter()
        .map(|c| CoinOut {
            denom: c.denom,
            amount: c.amount,
        })
        .collect()
}

fn coins_text(coins: &[CoinOut]) -> String {
    if coins.is_empty() {
        return "(none)".into();
    }
    coins
        .iter()
        .map(|c| format!("{}{}", c.amount, c.denom))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A transaction found in the index, as the SDK's `TxResponse` with its decoded `tx` (when its
/// messages have a JSON form here) and its block's time.
async fn indexed_tx_response(
    node: &Node,
    t: &tendermint_rpc::endpoint::tx::Response,
) -> super::tx::TxResponse {
    use tendermint_rpc::Client;
    let mut r = super::tx::TxResponse::from(&crate::client::TxReport {
        hash: t.hash.to_string(),
        height: Some(t.height.value()),
        code: t.tx_result.code.value(),
        codespace: t.tx_result.codespace.clone(),
        log: t.tx_result.log.clone(),
        gas_wanted: t.tx_result.gas_wanted.max(0) as u64,
        gas_used: t.tx_result.gas_used.max(0) as u64,
        stage: "block",
        data: t.tx_result.data.to_vec(),
        events: t.tx_result.events.clone(),
    });
    r.tx = super::tx_json::tx_from_bytes(&t.tx)
        .and_then(|tx| super::tx_json::tx_to_json(&tx))
        .ok()
        .map(|mut v| {
            if let Some(o) = v.as_object_mut() {
                o.insert("@type".into(), "/cosmos.tx.v1beta1.Tx".into());
            }
            v
        });
    if let Ok(h) = node.rpc.header(t.height).await {
        r.timestamp = h.header.time.to_rfc3339();
    }
    r
}

pub async fn run(g: &Global, cmd: QueryCmd) -> Result<()> {
    match cmd {
        QueryCmd::Ibc(q) => super::ibc::ibc_query(g, q).await,
        QueryCmd::IbcTransfer(q) => super::ibc::transfer_query(g, q).await,
        QueryCmd::Bank(BankQuery::Balances {
            address,
            denom: Some(denom),
            verify: true,
            node,
            ..
        }) => {
            let node = Node::connect(&node.node)?;
            let addr = estuary_sdk::Address::parse(&address).map_err(|e| anyhow!("{e}"))?;
            let d = estuary_sdk::Denom::new(denom.clone()).map_err(|e| anyhow!("{e}"))?;
            let key = estuary_bank::balance_store_key(&addr, &d);
            let v = crate::light::proven_read(&node, &g.home().0, Substore::Main, &key).await?;
            let amount: u128 = match &v.value {
                Some(bytes) => {
                    borsh::from_slice(bytes).context("a balance that is not an amount")?
                }
                None => 0,
            };
            let balances = vec![CoinOut {
                denom,
                amount: amount.to_string(),
            }];
            let out = serde_json::json!({ "balances": &balances, "verified_height": v.height.to_string() });
            g.print(&out, |_| {
                format!(
                    "{}\n(verified: proven at height {} against a light-client-verified header)",
                    coins_text(&balances),
                    v.height
                )
            })
        }
        QueryCmd::Bank(BankQuery::Balances {
            address,
            denom,
            height,
            node,
            ..
        }) => {
            let node = Node::connect(&node.node)?;
            let coins = match denom {
                Some(denom) => {
                    let req = bank_pb::QueryBalanceRequest { address, denom };
                    let resp = node.query_typed_at(&req, height).await?;
                    resp.balance.into_iter().collect()
                }
                None => {
                    let req = bank_pb::QueryAllBalancesRequest {
                        address,
                        ..Default::default()
                    };
                    node.query_typed_at(&req, height).await?.balances
                }
            };
            let balances = coins_out(coins);
            g.print(&serde_json::json!({ "balances": &balances }), |_| {
                coins_text(&balances)
            })
        }
        QueryCmd::Auth(AuthQuery::Account {
            address,
            verify: true,
            node,
        }) => {
            let node = Node::connect(&node.node)?;
            let addr = estuary_sdk::Address::parse(&address).map_err(|e| anyhow!("{e}"))?;
            let key = estuary_auth::account_store_key(&addr);
            let v = crate::light::proven_read(&node, &g.home().0, Substore::Main, &key).await?;
            let bytes = v.value.ok_or_else(|| {
                anyhow!(
                    "account {address} does not exist (proven absent at height {})",
                    v.height
                )
            })?;
            let acc = estuary_auth::decode_stored_account(&addr, &bytes)
                .context("an account that does not decode")?;
            let pub_key = acc.pub_key.as_ref().map(|k| {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.encode(k)
            });
            let out = serde_json::json!({
                "address": acc.address.to_bech32(), "account_number": acc.account_number.to_string(),
                "sequence": acc.sequence.to_string(), "pub_key": pub_key,
                "verified_height": v.height.to_string(),
            });
            g.print(&out, |o| {
                format!(
                    "address: {}\naccount_number: {}\nsequence: {}\n(verified at height {})",
                    o["address"].as_str().unwrap_or(""),
                    o["account_number"].as_str().unwrap_or(""),
                    o["sequence"].as_str().unwrap_or(""),
                    v.height
                )
            })
        }
        QueryCmd::Auth(AuthQuery::Account { address, node, .. }) => {
            let node = Node::connect(&node.node)?;
            let acc = node.account(&address).await?;
            let pub_key = acc.pub_key.as_ref().map(|pk| {
                use base64::Engine;
                let raw =
                    <cosmrs::proto::cosmos::crypto::secp256k1::PubKey as prost::Message>::decode(
                        pk.value.as_slice(),
                    )
                    .map(|k| k.key)
                    .unwrap_or_default();
                base64::engine::general_purpose::STANDARD.encode(raw)
            });
            let out = serde_json::json!({
                "address": acc.address, "account_number": acc.account_number.to_string(),
                "sequence": acc.sequence.to_string(), "pub_key": pub_key,
            });
            g.print(&out, |o| {
                format!(
                    "address: {}\naccount_number: {}\nsequence: {}\npub_key: {}",
                    o["address"].as_str().unwrap_or(""),
                    o["account_number"].as_str().unwrap_or(""),
                    o["sequence"].as_str().unwrap_or(""),
                    o["pub_key"].as_str().unwrap_or("(none)")
                )
            })
        }
        QueryCmd::Tx { hash, node } => {
            use tendermint_rpc::Client;
            let node = Node::connect(&node.node)?;
            let h = <tendermint::Hash as std::str::FromStr>::from_str(&hash)
                .map_err(|e| anyhow!("tx hash {hash}: {e}"))?;
            let found = node
                .rpc
                .tx(h, false)
                .await
                .map_err(|e| match node.explain(e) {
                    e if e.is::<estuary_client::errors::Unreachable>() => e,
                    _ => anyhow!("transaction {hash} not found"),
                })?;
            let shown = indexed_tx_response(&node, &found).await;
            g.print(&shown, |r| {
                format!(
                    "txhash: {}\nheight: {}\ncode: {}\ngas: {} / {}\nraw_log: {}",
                    r.txhash, r.height, r.code, r.gas_used, r.gas_wanted, r.raw_log
                )
            })
        }
        QueryCmd::Block { height, node } => {
            use tendermint_rpc::Client;
            let node = Node::connect(&node.node)?;
            let block = match height {
                Some(h) => {
                    node.rpc
                        .block(tendermint::block::Height::try_from(h)?)
                        .await
                }
                None => node.rpc.latest_block().await,
            }
            .map_err(|e| node.explain(e).context("fetching the block"))?;
            let header = &block.block.header;
            let text = format!(
                "height: {}\nhash: {}\ntime: {}\nproposer: {}\napp_hash: {}\ntxs: {}",
                header.height,
                block.block_id.hash,
                header.time,
                header.proposer_address,
                header.app_hash,
                block.block.data.len()
            );
            g.print(&block, |_| text)
        }
        QueryCmd::Txs {
            query,
            page,
            limit,
            order_by,
            node,
        } => {
            use tendermint_rpc::Client;
            let q: tendermint_rpc::query::Query = query
                .parse()
                .map_err(|e| anyhow!("--query {query:?}: {e}"))?;
            let node = Node::connect(&node.node)?;
            let order = if order_by == "desc" {
                tendermint_rpc::Order::Descending
            } else {
                tendermint_rpc::Order::Ascending
            };
            let limit = limit.max(1);
            let res = node
                .rpc
                .tx_search(q, false, page.max(1), limit, order)
                .await
                .map_err(|e| node.explain(e).context("searching transactions"))?;
            let mut txs: Vec<super::tx::TxResponse> = Vec::new();
            for t in &res.txs {
                txs.push(indexed_tx_response(&node, t).await);
            }
            let total = u64::from(res.total_count);
            let out = serde_json::json!({
                "total_count": total.to_string(),
                "count": txs.len().to_string(),
                "page_number": page.max(1).to_string(),
                "page_total": total.div_ceil(u64::from(limit)).max(1).to_string(),
                "limit": limit.to_string(),
                "txs": txs,
            });
            g.print(&out, |_| {
                let mut lines = vec![format!("{total} transactions")];
                lines.extend(
                    txs.iter()
                        .map(|t| format!("{} at {}: code {}", t.txhash, t.height, t.code)),
                );
                lines.join("\n")
            })
        }
        QueryCmd::Validators { node } => {
            let node = Node::connect(&node.node)?;
            let set: serde_json::Value = node.query_json(estuary_sdk::query::VALIDATORS).await?;
            g.print(&set, |s| {
                serde_json::to_string_pretty(s).unwrap_or_default()
            })
        }
        QueryCmd::AppStats { node } => {
            let node = Node::connect(&node.node)?;
            let stats: serde_json::Value = node.query_json(estuary_sdk::query::STATS).await?;
            g.print(&stats, |s| {
                serde_json::to_string_pretty(s).unwrap_or_default()
            })
        }
    }
}
