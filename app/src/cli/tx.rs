use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use cosmrs::proto::cosmos::tx::v1beta1 as tx_pb;
use cosmrs::Any;
use estuary_sdk::{parse_coins, Address};
use estuary_validators::{MsgSetValidatorPower, MSG_SET_VALIDATOR_POWER};
use prost::Message;

use super::{confirm, Global, KeyringArgs, NodeArgs};
use crate::client::{sign_tx, Node, TxPlan, TxReport};

#[derive(clap::Subcommand)]
pub enum TxCmd {
    /// Bank transactions.
    #[command(subcommand)]
    Bank(BankTx),
    /// Validator-set transactions (admin only).
    #[command(subcommand)]
    Validators(ValidatorsTx),
    /// ICS-20 token transfers over IBC.
    #[command(subcommand, name = "ibc-transfer")]
    IbcTransfer(super::ibc::TransferTx),
}

#[derive(clap::Subcommand)]
pub enum BankTx {
    /// Send coins: `send <from key> <to address> <amount>`, e.g. `send alice estuary1... 10stake`.
    Send {
        from: String,
        to: String,
        amount: String,
        #[command(flatten)]
        tx: TxArgs,
    },
}

#[derive(clap::Subcommand)]
pub enum ValidatorsTx {
    /// Set a validator's voting power (0 removes it). Signed by the genesis admin key.
    SetPower {
        /// The admin key.
        from: String,
        /// Base64 ed25519 consensus key.
        pub_key: String,
        power: u64,
        #[arg(long, default_value = "")]
        name: String,
        #[command(flatten)]
        tx: TxArgs,
    },
}

/// Flags every transaction takes.
#[derive(clap::Args)]
pub struct TxArgs {
    #[command(flatten)]
    pub node: NodeArgs,
    #[command(flatten)]
    pub keyring: KeyringArgs,
    /// Chain id (default: asked of the node).
    #[arg(long, env = "ESTUARY_CHAIN_ID")]
    pub chain_id: Option<String>,
    /// Fee, e.g. `500stake`.
    #[arg(long, default_value = "")]
    pub fees: String,
    /// Gas limit, or `auto` to simulate and multiply by --gas-adjustment.
    #[arg(long, default_value = "200000")]
    pub gas: String,
    #[arg(long, default_value_t = 1.3)]
    pub gas_adjustment: f64,
    #[arg(long, default_value = "")]
    pub memo: String,
    /// Override the account sequence (default: asked of the node).
    #[arg(long)]
    pub sequence: Option<u64>,
    /// Override the account number (default: asked of the node).
    #[arg(long)]
    pub account_number: Option<u64>,
    /// Reject the transaction after this block height (0: never).
    #[arg(long, default_value_t = 0)]
    pub tx_timeout_height: u64,
    /// Skip the confirmation prompt.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// `block` waits for inclusion; `sync` returns once the mempool accepts it.
    #[arg(long, default_value = "block", value_parser = ["block", "sync"])]
    pub broadcast_mode: String,
    /// How long `block` mode waits, in seconds.
    #[arg(long, default_value_t = 30)]
    pub wait_seconds: u64,
    /// Print the signed transaction (base64) instead of broadcasting it.
    #[arg(long)]
    pub generate_only: bool,
}

pub async fn run(g: &Global, cmd: TxCmd) -> Result<()> {
    let (from, msg, args) = match cmd {
        TxCmd::IbcTransfer(t) => return super::ibc::transfer_tx(g, t).await,
        TxCmd::Bank(BankTx::Send {
            from,
            to,
            amount,
            tx,
        }) => {
            let to = Address::parse(&to).map_err(|e| anyhow!("recipient: {e}"))?;
            let coins = parse_coins(&amount).map_err(|e| anyhow!("amount: {e}"))?;
            if coins.is_empty() {
                bail!("amount {amount:?} names no coins");
            }
            let from_addr = super::genesis::resolve_address(&from, &tx.keyring.open(&g.home()))?;
            let msg = MsgSend {
                from_address: from_addr.to_bech32(),
                to_address: to.to_bech32(),
                amount: coins.iter().map(|c| c.to_proto()).collect(),
            };
            (
                from,
                Any {
                    type_url: estuary_bank::MSG_SEND.into(),
                    value: msg.encode_to_vec(),
                },
                tx,
            )
        }
        TxCmd::Validators(ValidatorsTx::SetPower {
            from,
            pub_key,
            power,
            name,
            tx,
        }) => {
            use base64::Engine;
            let key = base64::engine::general_purpose::STANDARD
                .decode(&pub_key)
                .context("pub_key must be base64")?;
            let authority = super::genesis::resolve_address(&from, &tx.keyring.open(&g.home()))?;
            let msg = MsgSetValidatorPower {
                authority: authority.to_bech32(),
                name,
                pub_key: key,
                power,
            };
            (
                from,
                Any {
                    type_url: MSG_SET_VALIDATOR_POWER.into(),
                    value: msg.encode_to_vec(),
                },
                tx,
            )
        }
    };
    report(g, sign_and_send(g, &from, vec![msg], &args).await?)
}

/// Prints a broadcast result; a failed transaction is an error (non-zero exit).
pub fn report(g: &Global, report: Option<TxReport>) -> Result<()> {
    let Some(report) = report else { return Ok(()) };
    g.print(&report, |r| {
        format!(
            "txhash: {}\nheight: {}\ncode: {}{}\ngas: {} / {}{}",
            r.hash,
            r.height.map_or("-".into(), |h| h.to_string()),
            r.code,
            if r.codespace.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.codespace)
            },
            r.gas_used,
            r.gas_wanted,
            if r.log.is_empty() {
                String::new()
            } else {
                format!("\nlog: {}", r.log)
            }
        )
    })?;
    if report.code != 0 {
        bail!(
            "transaction failed with code {}: {}",
            report.code,
            report.log
        );
    }
    Ok(())
}

/// Signs `messages` with key `from` and broadcasts them; `None` when only generating.
pub async fn sign_and_send(
    g: &Global,
    from: &str,
    messages: Vec<Any>,
    args: &TxArgs,
) -> Result<Option<TxReport>> {
    let keyring = args.keyring.open(&g.home());
    let key = keyring
        .signing_key(from)
        .with_context(|| format!("loading key {from:?}"))?;
    let address = crate::keyring::address_of(&key)?;
    let node = Node::connect(&args.node.node)?;
    let chain_id = match &args.chain_id {
        Some(c) => c.clone(),
        None => node.chain_id().await?,
    };
    let (account_number, sequence) = match (args.account_number, args.sequence) {
        (Some(n), Some(s)) => (n, s),
        (n, s) => {
            let acc = node.account(&address.to_bech32()).await?;
            (n.unwrap_or(acc.account_number), s.unwrap_or(acc.sequence))
        }
    };
    let fee = parse_coins(&args.fees).map_err(|e| anyhow!("--fees: {e}"))?;
    let mut plan = TxPlan {
        key: &key,
        chain_id: &chain_id,
        account_number,
        sequence,
        messages,
        fee,
        gas_limit: 0,
        memo: args.memo.clone(),
        timeout_height: args.tx_timeout_height,
    };
    plan.gas_limit = match args.gas.as_str() {
        "auto" => estimate_gas(&node, &mut plan, args.gas_adjustment).await?,
        n => n
            .parse()
            .with_context(|| format!("--gas {n:?} is neither a number nor `auto`"))?,
    };
    let tx_bytes = sign_tx(&plan)?;
    if args.generate_only {
        use base64::Engine;
        println!(
            "{}",
            base64::engine::general_purpose::STANDARD.encode(&tx_bytes)
        );
        return Ok(None);
    }
    if !args.yes && !confirm(&format!("sign and broadcast from {address} on {chain_id}?"))? {
        bail!("cancelled");
    }
    let wait = (args.broadcast_mode == "block").then(|| Duration::from_secs(args.wait_seconds));
    Ok(Some(node.broadcast(tx_bytes, wait).await?))
}

async fn estimate_gas(node: &Node, plan: &mut TxPlan<'_>, adjustment: f64) -> Result<u64> {
    plan.gas_limit = 10_000_000;
    let tx_bytes = sign_tx(plan)?;
    let resp: tx_pb::SimulateResponse = node
        .query_proto(
            crate::query::SIMULATE,
            &tx_pb::SimulateRequest {
                tx_bytes,
                ..Default::default()
            },
        )
        .await
        .context("simulating the transaction for --gas auto")?;
    let used = resp.gas_info.map_or(0, |g| g.gas_used);
    Ok(((used as f64) * adjustment).ceil() as u64)
}
