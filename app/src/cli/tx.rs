use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use cosmrs::proto::cosmos::tx::v1beta1 as tx_pb;
use cosmrs::Any;
use estuary_sdk::{parse_coins, Address};
use estuary_validators::{MsgSetValidatorPower, MSG_SET_VALIDATOR_POWER};
use prost::Message;

use super::{confirm, tx_json, Global, KeyringArgs, NodeArgs};
use crate::client::{sign_tx, Node, TxPlan, TxReport};

#[derive(clap::Subcommand)]
pub enum TxCmd {
    /// Bank transactions.
    #[command(subcommand)]
    Bank(BankTx),
    /// Validator-set transactions (the chain's authority; operators rotate their own key).
    #[command(subcommand)]
    Validators(ValidatorsTx),
    /// ICS-20 token transfers over IBC.
    #[command(subcommand, name = "ibc-transfer")]
    IbcTransfer(super::ibc::TransferTx),
    /// IBC core transactions of the chain's authority.
    #[command(subcommand)]
    Ibc(IbcTx),
    /// Upgrades at a height, scheduled by the chain's authority.
    #[command(subcommand)]
    Upgrade(UpgradeTx),
    /// Governance: proposals, deposits and votes of validators' operators.
    #[command(subcommand)]
    Gov(super::gov::GovTx),
    /// IBC rate limits (ibc-go v11's), by the chain's authority: the genesis admin directly, or
    /// governance (`--generate-only` prints the message for a proposal's `messages`, with
    /// `--from` the gov account's address).
    #[command(subcommand)]
    Ratelimit(RateLimitTx),
    /// Sign a transaction written by `--generate-only` (a JSON file, `-` for stdin) and print
    /// it signed. With `--offline`, give `--chain-id`, `--account-number` and `--sequence`.
    Sign {
        file: String,
        /// The signing key.
        #[arg(long)]
        from: String,
        /// Sign for this multisig (its name in the keyring, or its address) as one of its keys:
        /// prints this key's signature (SIGN_MODE_LEGACY_AMINO_JSON, the multisig account's number
        /// and sequence) for `tx multisign`, not a signed transaction.
        #[arg(long)]
        multisig: Option<String>,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Combine members' signatures (files from `tx sign --multisig`) into the multisig's
    /// signature: `multisign <tx file> <multisig key name> <signature files...>`. Prints the
    /// signed transaction, for `tx broadcast`.
    Multisign {
        file: String,
        multisig: String,
        #[arg(required = true)]
        signatures: Vec<String>,
        #[command(flatten)]
        keyring: KeyringArgs,
    },
    /// Broadcast a signed transaction (a JSON file, `-` for stdin).
    Broadcast {
        file: String,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Print a JSON transaction as the base64 bytes a node takes.
    Encode { file: String },
    /// Print base64 transaction bytes as JSON.
    Decode { base64: String },
    /// Measure the gas of a transaction (a JSON file, `-` for stdin) as `--from` would sign it.
    Simulate {
        file: String,
        /// The key that would sign it (its public key and sequence are simulated).
        #[arg(long)]
        from: String,
        #[command(flatten)]
        tx: TxArgs,
    },
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
    /// Set a validator's voting power (0 removes it). Signed by the genesis admin key; through
    /// governance, put the message in a proposal (`--generate-only` prints it).
    SetPower {
        /// The admin key.
        from: String,
        /// Base64 ed25519 consensus key.
        pub_key: String,
        power: u64,
        #[arg(long, default_value = "")]
        name: String,
        /// The account that votes for this validator in governance (address or key name).
        #[arg(long)]
        operator: Option<String>,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Hand your validator's governance vote to another account: `rotate-operator <operator
    /// key> <base64 consensus key> <new operator address or key>`.
    RotateOperator {
        from: String,
        pub_key: String,
        new_operator: String,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Give up the genesis admin's powers, irreversibly: from then on only governance changes
    /// validator powers, schedules upgrades and recovers clients.
    HandOverToGov {
        /// The admin key.
        from: String,
        #[command(flatten)]
        tx: TxArgs,
    },
}

#[derive(clap::Subcommand)]
pub enum IbcTx {
    /// Recover an expired or frozen client: `recover-client <subject> <substitute>` gives the
    /// subject the substitute's latest consensus state, trusting period and chain id, so every
    /// connection and channel on the subject works again. The substitute is a new, active client
    /// of the same chain (`estuary-relayer create client --host-chain <this chain>
    /// --reference-chain <theirs>`). Only the chain's authority (the validators admin) may sign
    /// it; ibc-go chains take the same message through a governance proposal.
    RecoverClient {
        subject: String,
        substitute: String,
        /// The authority's key.
        #[arg(long)]
        from: String,
        #[command(flatten)]
        tx: TxArgs,
    },
}

/// Named as ibc-go's messages (`add-rate-limit`, …), hence the shared postfix.
#[derive(clap::Subcommand)]
#[allow(clippy::enum_variant_names)]
pub enum RateLimitTx {
    /// Limit what crosses CHANNEL of DENOM per window: `add-rate-limit stake channel-0
    /// --max-percent-send 10 --max-percent-recv 10 --duration-hours 24`.
    AddRateLimit {
        denom: String,
        channel_or_client_id: String,
        #[command(flatten)]
        quota: QuotaArgs,
        #[arg(long)]
        from: String,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Replace a limit's quota (its window starts again).
    UpdateRateLimit {
        denom: String,
        channel_or_client_id: String,
        #[command(flatten)]
        quota: QuotaArgs,
        #[arg(long)]
        from: String,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Remove a limit.
    RemoveRateLimit {
        denom: String,
        channel_or_client_id: String,
        #[arg(long)]
        from: String,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Start a limit's window again now (flows zeroed, channel value re-read).
    ResetRateLimit {
        denom: String,
        channel_or_client_id: String,
        #[arg(long)]
        from: String,
        #[command(flatten)]
        tx: TxArgs,
    },
}

#[derive(clap::Args)]
pub struct QuotaArgs {
    /// Percent (0–100) of the channel value that may leave per window.
    #[arg(long)]
    max_percent_send: u8,
    /// Percent (0–100) of the channel value that may arrive per window.
    #[arg(long)]
    max_percent_recv: u8,
    #[arg(long)]
    duration_hours: u64,
}

#[derive(clap::Subcommand)]
pub enum UpgradeTx {
    /// Schedule an upgrade: at `--upgrade-height` every node stops before executing the block
    /// (writing `data/upgrade-info.json`) unless its binary has a handler named NAME, which
    /// migrates and goes on. Only the chain's authority (the validators admin) may sign it.
    SoftwareUpgrade {
        name: String,
        #[arg(long)]
        upgrade_height: u64,
        /// Free text for operators and cosmovisor (e.g. binary download URLs as JSON).
        #[arg(long, default_value = "")]
        upgrade_info: String,
        /// An IBC upgrade: the chain goes on under this chain id (a later revision, e.g.
        /// estuary-a-2) from the upgrade height, and every counterparty's client of it follows
        /// (`MsgUpgradeClient`, which the bundled relayer submits). Sent as ibc-go's
        /// `MsgIBCSoftwareUpgrade` with the upgraded client state; the nodes restart from the
        /// exported state under the new id by themselves, on the binary with the handler.
        #[arg(long)]
        upgraded_chain_id: Option<String>,
        /// The unbonding period the upgraded client state names (with --upgraded-chain-id).
        #[arg(long, default_value_t = 21 * 86_400, requires = "upgraded_chain_id")]
        unbonding_period_secs: u64,
        /// The authority's key.
        #[arg(long)]
        from: String,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Cancel the scheduled upgrade.
    CancelSoftwareUpgrade {
        #[arg(long)]
        from: String,
        #[command(flatten)]
        tx: TxArgs,
    },
}

/// ibc-go's `MsgIBCSoftwareUpgrade`: `plan`, and the client state every counterparty's client
/// of this chain takes: `chain_id` with its latest height the height before the upgrade in the
/// new revision — the upgraded chain starts from the exported state at the upgrade height, so
/// its first header is the one right after that height, and relayers find the validators that
/// signed it there.
fn ibc_software_upgrade(
    authority: String,
    plan: cosmrs::proto::cosmos::upgrade::v1beta1::Plan,
    chain_id: &str,
    upgrade_height: u64,
    unbonding_period_secs: u64,
) -> Result<Any> {
    use ibc_proto::cosmos::upgrade::v1beta1 as ibc_upgrade;
    let revision = estuary_ibc::handler::revision_of(chain_id);
    if revision == 0 {
        anyhow::bail!(
            "--upgraded-chain-id {chain_id}: an IBC upgrade moves the chain to a later revision, \
             named NAME-N (e.g. estuary-a-2)"
        );
    }
    let last = upgrade_height
        .checked_sub(1)
        .filter(|h| *h > 0)
        .ok_or_else(|| anyhow::anyhow!("--upgrade-height must be above 1"))?;
    let client = estuary_client::ibc_msgs::tendermint_client_state(
        &estuary_client::ibc_msgs::ClientParams {
            chain_id: chain_id.to_string(),
            // The chain keeps only what it decides; each client keeps its own trust settings.
            trusting_period_secs: 0,
            unbonding_period_secs,
            max_clock_drift_secs: 0,
            latest_height: ibc_proto::ibc::core::client::v1::Height {
                revision_number: revision,
                revision_height: last,
            },
            proof_specs: estuary_sdk::store::proof_specs(),
        },
    );
    #[allow(deprecated)] // Plan.time and upgraded_client_state stay empty
    let msg = ibc_proto::ibc::core::client::v1::MsgIbcSoftwareUpgrade {
        plan: Some(ibc_upgrade::Plan {
            name: plan.name,
            time: None,
            height: plan.height,
            info: plan.info,
            upgraded_client_state: None,
        }),
        upgraded_client_state: Some(ibc_proto::google::protobuf::Any {
            type_url: client.type_url,
            value: client.value,
        }),
        signer: authority,
    };
    Ok(Any {
        type_url: estuary_ibc::client_upgrade::MSG_IBC_SOFTWARE_UPGRADE.into(),
        value: msg.encode_to_vec(),
    })
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
    #[arg(long, default_value = "", conflicts_with = "gas_prices")]
    pub fees: String,
    /// Fee per unit of gas, e.g. `0.025stake`: the fee is the gas limit times this, rounded up.
    #[arg(long)]
    pub gas_prices: Option<String>,
    /// Gas limit, or `auto` to simulate and multiply by --gas-adjustment.
    #[arg(long, default_value = "200000")]
    pub gas: String,
    /// Factor on the simulated gas with `--gas auto` (the SDK's default is 1.0).
    #[arg(long, default_value_t = 1.0)]
    pub gas_adjustment: f64,
    /// The transaction's memo (the SDK's `--note`).
    #[arg(long, default_value = "")]
    pub note: String,
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
    /// `sync` returns once CheckTx has accepted the transaction (the SDK's default); `async`
    /// once the node has it, unchecked; `block` is `sync` then `--wait`.
    #[arg(long, short = 'b', env = "ESTUARY_BROADCAST_MODE", default_value = "sync", value_parser = ["sync", "async", "block"])]
    pub broadcast_mode: String,
    /// After a `sync` broadcast, wait until the transaction is in a block and print its result.
    #[arg(long)]
    pub wait: bool,
    /// How long `--wait` waits, in seconds.
    #[arg(long, default_value_t = 30)]
    pub wait_seconds: u64,
    /// Print the transaction unsigned, as JSON, for `tx sign` (needs no key, only the
    /// address; the gas limit must be a number).
    #[arg(long)]
    pub generate_only: bool,
    /// Do not contact the node: give --chain-id, --account-number and --sequence.
    #[arg(long)]
    pub offline: bool,
}

pub async fn run(g: &Global, cmd: TxCmd) -> Result<()> {
    let (from, msg, args) = match cmd {
        TxCmd::IbcTransfer(t) => return super::ibc::transfer_tx(g, t).await,
        TxCmd::Gov(t) => return super::gov::run(g, t).await,
        TxCmd::Sign {
            file,
            from,
            multisig: Some(multisig),
            tx,
        } => return sign_for_multisig(g, &file, &from, &multisig, &tx).await,
        TxCmd::Sign { file, from, tx, .. } => return sign_file(g, &file, &from, &tx).await,
        TxCmd::Multisign {
            file,
            multisig,
            signatures,
            keyring,
        } => return multisign(g, &file, &multisig, &signatures, &keyring),
        TxCmd::Broadcast { file, tx } => {
            let bytes = tx_json::tx_bytes(&read_tx(&file)?);
            return report(g, Some(broadcast(&tx, bytes).await?));
        }
        TxCmd::Encode { file } => {
            use base64::Engine;
            let bytes = tx_json::tx_bytes(&read_tx(&file)?);
            let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
            return g.print(&serde_json::json!({ "tx": b64 }), |_| b64.clone());
        }
        TxCmd::Decode { base64: text } => {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .context("the transaction must be base64")?;
            let tx = tx_json::tx_to_json(&tx_json::tx_from_bytes(&bytes)?)?;
            println!("{}", serde_json::to_string_pretty(&tx)?);
            return Ok(());
        }
        TxCmd::Simulate { file, from, tx } => return simulate_file(g, &file, &from, &tx).await,
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
        TxCmd::Ibc(IbcTx::RecoverClient {
            subject,
            substitute,
            from,
            tx,
        }) => {
            let signer = super::genesis::resolve_address(&from, &tx.keyring.open(&g.home()))?;
            let msg = ibc_proto::ibc::core::client::v1::MsgRecoverClient {
                subject_client_id: subject,
                substitute_client_id: substitute,
                signer: signer.to_bech32(),
            };
            (
                from,
                Any {
                    type_url: tx_json::RECOVER_CLIENT.into(),
                    value: msg.encode_to_vec(),
                },
                tx,
            )
        }
        TxCmd::Upgrade(UpgradeTx::SoftwareUpgrade {
            name,
            upgrade_height,
            upgrade_info,
            upgraded_chain_id,
            unbonding_period_secs,
            from,
            tx,
        }) => {
            let authority = super::genesis::resolve_address(&from, &tx.keyring.open(&g.home()))?;
            #[allow(deprecated)] // Plan.time and upgraded_client_state stay empty
            let plan = cosmrs::proto::cosmos::upgrade::v1beta1::Plan {
                name,
                height: i64::try_from(upgrade_height).context("--upgrade-height")?,
                info: upgrade_info,
                ..Default::default()
            };
            let msg = match upgraded_chain_id {
                None => Any {
                    type_url: estuary_upgrade::MSG_SOFTWARE_UPGRADE.into(),
                    value: cosmrs::proto::cosmos::upgrade::v1beta1::MsgSoftwareUpgrade {
                        authority: authority.to_bech32(),
                        plan: Some(plan),
                    }
                    .encode_to_vec(),
                },
                Some(chain_id) => ibc_software_upgrade(
                    authority.to_bech32(),
                    plan,
                    &chain_id,
                    upgrade_height,
                    unbonding_period_secs,
                )?,
            };
            (from, msg, tx)
        }
        TxCmd::Upgrade(UpgradeTx::CancelSoftwareUpgrade { from, tx }) => {
            let authority = super::genesis::resolve_address(&from, &tx.keyring.open(&g.home()))?;
            let msg = cosmrs::proto::cosmos::upgrade::v1beta1::MsgCancelUpgrade {
                authority: authority.to_bech32(),
            };
            (
                from,
                Any {
                    type_url: estuary_upgrade::MSG_CANCEL_UPGRADE.into(),
                    value: msg.encode_to_vec(),
                },
                tx,
            )
        }
        TxCmd::Ratelimit(cmd) => {
            use estuary_ibc::rate_limit::{types, *};
            let (type_url, denom, channel, quota, from, tx) = match cmd {
                RateLimitTx::AddRateLimit {
                    denom,
                    channel_or_client_id,
                    quota,
                    from,
                    tx,
                } => (
                    MSG_ADD_RATE_LIMIT,
                    denom,
                    channel_or_client_id,
                    Some(quota),
                    from,
                    tx,
                ),
                RateLimitTx::UpdateRateLimit {
                    denom,
                    channel_or_client_id,
                    quota,
                    from,
                    tx,
                } => (
                    MSG_UPDATE_RATE_LIMIT,
                    denom,
                    channel_or_client_id,
                    Some(quota),
                    from,
                    tx,
                ),
                RateLimitTx::RemoveRateLimit {
                    denom,
                    channel_or_client_id,
                    from,
                    tx,
                } => (
                    MSG_REMOVE_RATE_LIMIT,
                    denom,
                    channel_or_client_id,
                    None,
                    from,
                    tx,
                ),
                RateLimitTx::ResetRateLimit {
                    denom,
                    channel_or_client_id,
                    from,
                    tx,
                } => (
                    MSG_RESET_RATE_LIMIT,
                    denom,
                    channel_or_client_id,
                    None,
                    from,
                    tx,
                ),
            };
            let signer =
                super::genesis::resolve_address(&from, &tx.keyring.open(&g.home()))?.to_bech32();
            let value = match quota {
                Some(q) => types::MsgAddRateLimit {
                    signer,
                    denom,
                    channel_or_client_id: channel,
                    max_percent_send: q.max_percent_send.to_string(),
                    max_percent_recv: q.max_percent_recv.to_string(),
                    duration_hours: q.duration_hours,
                }
                .encode_to_vec(),
                None => types::MsgRemoveRateLimit {
                    signer,
                    denom,
                    channel_or_client_id: channel,
                }
                .encode_to_vec(),
            };
            (
                from,
                Any {
                    type_url: type_url.into(),
                    value,
                },
                tx,
            )
        }
        TxCmd::Validators(ValidatorsTx::RotateOperator {
            from,
            pub_key,
            new_operator,
            tx,
        }) => {
            let keyring = tx.keyring.open(&g.home());
            let operator = super::genesis::resolve_address(&from, &keyring)?;
            let msg = estuary_validators::MsgRotateOperator {
                operator: operator.to_bech32(),
                pub_key: consensus_key(&pub_key)?,
                new_operator: super::genesis::resolve_address(&new_operator, &keyring)?.to_bech32(),
            };
            (
                from,
                Any {
                    type_url: estuary_validators::MSG_ROTATE_OPERATOR.into(),
                    value: msg.encode_to_vec(),
                },
                tx,
            )
        }
        TxCmd::Validators(ValidatorsTx::HandOverToGov { from, tx }) => {
            let admin = super::genesis::resolve_address(&from, &tx.keyring.open(&g.home()))?;
            let msg = estuary_validators::MsgHandOverToGov {
                admin: admin.to_bech32(),
            };
            (
                from,
                Any {
                    type_url: estuary_validators::MSG_HAND_OVER_TO_GOV.into(),
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
            operator,
            tx,
        }) => {
            let keyring = tx.keyring.open(&g.home());
            let authority = super::genesis::resolve_address(&from, &keyring)?;
            let operator = match operator {
                Some(o) => super::genesis::resolve_address(&o, &keyring)?.to_bech32(),
                None => String::new(),
            };
            let msg = MsgSetValidatorPower {
                authority: authority.to_bech32(),
                name,
                pub_key: consensus_key(&pub_key)?,
                power,
                operator,
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

/// A base64 ed25519 consensus key, as `priv_validator_key.json` and genesis write it.
fn consensus_key(b64: &str) -> Result<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .context("the consensus key must be base64")
}

/// Prints a broadcast result; a failed transaction is an error (non-zero exit).
pub fn report(g: &Global, report: Option<TxReport>) -> Result<()> {
    let Some(report) = report else { return Ok(()) };
    let shown = TxResponse::from(&report);
    g.print(&shown, |r| {
        format!(
            "txhash: {}\nheight: {}\ncode: {}{}\ngas: {} / {}{}",
            r.txhash,
            r.height,
            r.code,
            if r.codespace.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.codespace)
            },
            r.gas_used,
            r.gas_wanted,
            if r.raw_log.is_empty() {
                String::new()
            } else {
                format!("\nraw_log: {}", r.raw_log)
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

/// Reads a JSON transaction from a file (`-`: stdin).
fn read_tx(file: &str) -> Result<tx_pb::Tx> {
    let text = if file == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).context("reading stdin")?;
        s
    } else {
        std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?
    };
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{file} is not JSON"))?;
    tx_json::tx_from_json(&v).with_context(|| format!("{file} is not a transaction"))
}

/// The chain id, account number and sequence to sign with: from the flags, else the node
/// (never the node with --offline).
async fn signing_context(args: &TxArgs, address: &str) -> Result<(String, u64, u64)> {
    if args.offline {
        match (&args.chain_id, args.account_number, args.sequence) {
            (Some(c), Some(n), Some(s)) => return Ok((c.clone(), n, s)),
            _ => bail!("--offline needs --chain-id, --account-number and --sequence"),
        }
    }
    let node = Node::connect(&args.node.node)?;
    let chain_id = match &args.chain_id {
        Some(c) => c.clone(),
        None => node.chain_id().await?,
    };
    let (account_number, sequence) = match (args.account_number, args.sequence) {
        (Some(n), Some(s)) => (n, s),
        (n, s) => {
            let acc = node.account(address).await?;
            (n.unwrap_or(acc.account_number), s.unwrap_or(acc.sequence))
        }
    };
    Ok((chain_id, account_number, sequence))
}

/// The fee coins of `--fees`, or of `--gas-prices` times `gas_limit`.
fn fee_of(args: &TxArgs, gas_limit: u64) -> Result<Vec<estuary_sdk::Coin>> {
    match args.gas_prices.as_deref() {
        Some(p) => fee_for(
            &crate::config::parse_gas_prices(p).context("--gas-prices")?,
            gas_limit,
        ),
        None => parse_coins(&args.fees).map_err(|e| anyhow!("--fees: {e}")),
    }
}

fn sdk_coins(
    coins: &[cosmrs::proto::cosmos::base::v1beta1::Coin],
) -> Result<Vec<estuary_sdk::Coin>> {
    coins
        .iter()
        .map(|c| {
            let amount: u128 = c
                .amount
                .parse()
                .with_context(|| format!("fee amount {:?}", c.amount))?;
            estuary_sdk::Coin::new(amount, &c.denom).map_err(|e| anyhow!("fee: {e}"))
        })
        .collect()
}

/// The key `from`, and the plan to sign the file's transaction with it: its messages, memo,
/// timeout and fee, at the chain id, account number and sequence of the flags or the node.
async fn plan_for_file<'k>(
    tx: tx_pb::Tx,
    key: &'k cosmrs::crypto::secp256k1::SigningKey,
    chain_id: &'k mut String,
    args: &TxArgs,
) -> Result<TxPlan<'k>> {
    let address = crate::keyring::address_of(key)?.to_bech32();
    let (chain, account_number, sequence) = signing_context(args, &address).await?;
    *chain_id = chain;
    let body = tx.body.unwrap_or_default();
    let fee = tx.auth_info.and_then(|a| a.fee).unwrap_or_default();
    if !fee.payer.is_empty() || !fee.granter.is_empty() {
        bail!("fee payers and granters are not supported");
    }
    Ok(TxPlan {
        key,
        chain_id: chain_id.as_str(),
        account_number,
        sequence,
        messages: body
            .messages
            .into_iter()
            .map(|m| Any {
                type_url: m.type_url,
                value: m.value,
            })
            .collect(),
        fee: sdk_coins(&fee.amount)?,
        gas_limit: fee.gas_limit,
        memo: body.memo,
        timeout_height: body.timeout_height,
    })
}

fn load_key(
    g: &Global,
    args: &TxArgs,
    from: &str,
) -> Result<cosmrs::crypto::secp256k1::SigningKey> {
    args.keyring
        .open(&g.home())
        .signing_key(from)
        .with_context(|| format!("loading key {from:?}"))
}

/// `tx sign`: the file's transaction signed by `from` (SIGN_MODE_DIRECT).
async fn sign_file(g: &Global, file: &str, from: &str, args: &TxArgs) -> Result<()> {
    let key = load_key(g, args, from)?;
    let mut chain_id = String::new();
    let plan = plan_for_file(read_tx(file)?, &key, &mut chain_id, args).await?;
    let signed = sign_tx(&plan)?;
    let json = tx_json::tx_to_json(&tx_json::tx_from_bytes(&signed)?)?;
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}

/// `tx sign --multisig`: one member's signature of the file's transaction for the multisig,
/// over the amino JSON sign doc the chain verifies it against (built by the ante handler's own
/// function, so the two cannot disagree).
async fn sign_for_multisig(
    g: &Global,
    file: &str,
    from: &str,
    multisig: &str,
    args: &TxArgs,
) -> Result<()> {
    let key = load_key(g, args, from)?;
    let multisig_address =
        super::genesis::resolve_address(multisig, &args.keyring.open(&g.home()))?.to_bech32();
    let tx = read_tx(file)?;
    let (chain_id, account_number, sequence) = signing_context(args, &multisig_address).await?;
    let bytes = amino_doc_of(&tx, &chain_id, account_number, sequence)?;
    let signature = key
        .sign(&bytes)
        .map_err(|e| anyhow!("signing: {e}"))?
        .to_bytes()
        .to_vec();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let out = serde_json::json!({"signatures": [{
        "public_key": {"@type": estuary_sdk::multisig::SECP256K1_PUBKEY,
                       "key": b64.encode(key.public_key().to_bytes())},
        "data": {"single": {"mode": "SIGN_MODE_LEGACY_AMINO_JSON", "signature": b64.encode(signature)}},
        "sequence": sequence.to_string(),
    }]});
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// The amino JSON `StdSignDoc` bytes of an unsigned transaction for one account.
fn amino_doc_of(
    tx: &tx_pb::Tx,
    chain_id: &str,
    account_number: u64,
    sequence: u64,
) -> Result<Vec<u8>> {
    let body = tx.body.clone().unwrap_or_default();
    let fee = tx
        .auth_info
        .as_ref()
        .and_then(|a| a.fee.clone())
        .unwrap_or_default();
    let messages: Vec<Any> = body
        .messages
        .iter()
        .map(|m| Any {
            type_url: m.type_url.clone(),
            value: m.value.clone(),
        })
        .collect();
    let msgs = crate::modules()
        .decode_msgs(&messages)
        .map_err(|e| anyhow!("{e}"))?;
    let decoded = crate::tx::DecodedTx {
        len: 0,
        body_bytes: vec![],
        auth_info_bytes: vec![],
        signatures: vec![],
        messages,
        memo: body.memo,
        timeout_height: body.timeout_height,
        signer_infos: vec![],
        fee: sdk_coins(&fee.amount)?,
        gas_limit: fee.gas_limit,
        gas_wanted: fee.gas_limit,
        fee_payer: None,
    };
    crate::ante::amino_sign_bytes(&decoded, &msgs, chain_id, account_number, sequence)
        .map_err(|e| anyhow!("{e}"))
}

/// `tx multisign`: the members' signatures in the multisig's key order, with the bit array
/// naming who signed; at least the threshold of them.
fn multisign(
    g: &Global,
    file: &str,
    multisig: &str,
    signature_files: &[String],
    keyring: &KeyringArgs,
) -> Result<()> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = keyring
        .open(&g.home())
        .multisig(multisig)?
        .ok_or_else(|| anyhow!("{multisig} is not a multisig key (keys add --multisig)"))?;
    let mut tx = read_tx(file)?;
    let mut found: Vec<Option<Vec<u8>>> = vec![None; key.keys.len()];
    let mut sequence = None;
    for path in signature_files {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
        let v: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("{path} is not JSON"))?;
        let sigs = v["signatures"]
            .as_array()
            .ok_or_else(|| anyhow!("{path}: no signatures list"))?;
        for sig in sigs {
            let pub_key = b64
                .decode(sig["public_key"]["key"].as_str().unwrap_or_default())
                .with_context(|| format!("{path}: public key"))?;
            if sig["data"]["single"]["mode"] != "SIGN_MODE_LEGACY_AMINO_JSON" {
                bail!("{path}: multisig members sign with SIGN_MODE_LEGACY_AMINO_JSON");
            }
            let signature = b64
                .decode(
                    sig["data"]["single"]["signature"]
                        .as_str()
                        .unwrap_or_default(),
                )
                .with_context(|| format!("{path}: signature"))?;
            let seq: u64 = sig["sequence"]
                .as_str()
                .unwrap_or_default()
                .parse()
                .with_context(|| format!("{path}: sequence"))?;
            if sequence.is_some_and(|s| s != seq) {
                bail!("{path} signs sequence {seq}, another file a different one");
            }
            sequence = Some(seq);
            let index = key.keys.iter().position(|k| *k == pub_key).ok_or_else(|| {
                anyhow!("{path}: signed by a key that is not one of {multisig}'s")
            })?;
            if let Some(slot) = found.get_mut(index) {
                *slot = Some(signature);
            }
        }
    }
    let bits: Vec<bool> = found.iter().map(Option::is_some).collect();
    let count = bits.iter().filter(|b| **b).count();
    if (count as u64) < u64::from(key.threshold) {
        bail!(
            "{count} signature(s) for a multisig that needs {}",
            key.threshold
        );
    }
    let single = || tx_pb::ModeInfo {
        sum: Some(tx_pb::mode_info::Sum::Single(tx_pb::mode_info::Single {
            mode: cosmrs::proto::cosmos::tx::signing::v1beta1::SignMode::LegacyAminoJson as i32,
        })),
    };
    let any = key.to_any();
    let auth = tx.auth_info.get_or_insert_with(Default::default);
    auth.signer_infos = vec![tx_pb::SignerInfo {
        public_key: Some(cosmrs::proto::Any {
            type_url: any.type_url,
            value: any.value,
        }),
        mode_info: Some(tx_pb::ModeInfo {
            sum: Some(tx_pb::mode_info::Sum::Multi(tx_pb::mode_info::Multi {
                bitarray: Some(estuary_sdk::multisig::bit_array(&bits)),
                mode_infos: (0..count).map(|_| single()).collect(),
            })),
        }),
        sequence: sequence.unwrap_or_default(),
    }];
    tx.signatures = vec![estuary_sdk::multisig::multi_signature(
        found.into_iter().flatten().collect(),
    )];
    let json = tx_json::tx_to_json(&tx)?;
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}

/// `tx simulate`: the file's transaction with `from`'s public key and sequence, simulated.
async fn simulate_file(g: &Global, file: &str, from: &str, args: &TxArgs) -> Result<()> {
    let key = load_key(g, args, from)?;
    let mut chain_id = String::new();
    let mut plan = plan_for_file(read_tx(file)?, &key, &mut chain_id, args).await?;
    let node = Node::connect(&args.node.node)?;
    let (gas_used, resp) = simulate(&node, &mut plan).await?;
    let out = serde_json::json!({
        "gas_info": {
            "gas_wanted": resp.gas_info.as_ref().map_or(0, |g| g.gas_wanted).to_string(),
            "gas_used": gas_used.to_string(),
        },
        "result": {
            "log": resp.result.as_ref().map(|r| r.log.clone()).unwrap_or_default(),
            "events": resp.result.as_ref().map(|r| r.events.iter().map(|e| serde_json::json!({
                "type": e.r#type,
                "attributes": e.attributes.iter().map(|a| serde_json::json!({"key": a.key, "value": a.value, "index": a.index})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>()).unwrap_or_default(),
        },
    });
    g.print(&out, |_| format!("gas used: {gas_used}"))
}

/// Broadcasts signed bytes as `args` says (mode, wait).
async fn broadcast(args: &TxArgs, tx_bytes: Vec<u8>) -> Result<TxReport> {
    let node = Node::connect(&args.node.node)?;
    if args.broadcast_mode == "async" {
        return node.broadcast_async(tx_bytes).await;
    }
    let wait = (args.wait || args.broadcast_mode == "block")
        .then(|| Duration::from_secs(args.wait_seconds));
    node.broadcast(tx_bytes, wait).await
}

/// Signs `messages` with key `from` and broadcasts them; `None` when only generating.
pub async fn sign_and_send(
    g: &Global,
    from: &str,
    messages: Vec<Any>,
    args: &TxArgs,
) -> Result<Option<TxReport>> {
    if args.generate_only {
        let gas_limit: u64 = args.gas.parse().with_context(|| {
            format!(
                "--generate-only needs a number for --gas, not {:?}",
                args.gas
            )
        })?;
        let fee: Vec<_> = fee_of(args, gas_limit)?
            .iter()
            .map(|c| c.to_proto())
            .collect();
        let tx = tx_json::unsigned(
            &messages,
            &args.note,
            args.tx_timeout_height,
            &fee,
            gas_limit,
        );
        println!(
            "{}",
            serde_json::to_string_pretty(&tx_json::tx_to_json(&tx)?)?
        );
        return Ok(None);
    }
    let key = load_key(g, args, from)?;
    let address = crate::keyring::address_of(&key)?;
    let (chain_id, account_number, sequence) = signing_context(args, &address.to_bech32()).await?;
    let mut plan = TxPlan {
        key: &key,
        chain_id: &chain_id,
        account_number,
        sequence,
        messages,
        fee: vec![],
        gas_limit: 0,
        memo: args.note.clone(),
        timeout_height: args.tx_timeout_height,
    };
    plan.gas_limit = match args.gas.as_str() {
        "auto" => {
            if args.offline {
                bail!("--gas auto simulates on the node: give a number with --offline");
            }
            let node = Node::connect(&args.node.node)?;
            // A fee in the denom the real one will use, so the fee deduction is measured too.
            plan.fee = fee_of(args, 1)?;
            let (used, _) = simulate(&node, &mut plan).await?;
            ((used as f64) * args.gas_adjustment).ceil() as u64
        }
        n => n
            .parse()
            .with_context(|| format!("--gas {n:?} is neither a number nor `auto`"))?,
    };
    plan.fee = fee_of(args, plan.gas_limit)?;
    let tx_bytes = sign_tx(&plan)?;
    if !args.yes && !confirm(&format!("sign and broadcast from {address} on {chain_id}?"))? {
        bail!("cancelled");
    }
    Ok(Some(broadcast(args, tx_bytes).await?))
}

/// The fee for `gas_limit` at `prices`: each price times the limit, rounded up (as the SDK).
fn fee_for(prices: &[crate::ante::GasPrice], gas_limit: u64) -> Result<Vec<estuary_sdk::Coin>> {
    prices
        .iter()
        .map(|p| {
            let amount = p
                .micro_amount
                .checked_mul(u128::from(gas_limit))
                .ok_or_else(|| anyhow!("the fee overflows"))?
                .div_ceil(1_000_000);
            estuary_sdk::Coin::new(amount, &p.denom).map_err(|e| anyhow!("--gas-prices: {e}"))
        })
        .collect()
}

/// A broadcast result in the Cosmos SDK's `TxResponse` JSON (64-bit numbers as strings, as
/// protobuf JSON writes them), so scripts written for `simd`/`gaiad` read it unchanged.
#[derive(serde::Serialize)]
pub struct TxResponse {
    pub height: String,
    pub txhash: String,
    pub codespace: String,
    pub code: u32,
    pub data: String,
    pub raw_log: String,
    pub logs: Vec<serde_json::Value>,
    pub info: String,
    pub gas_wanted: String,
    pub gas_used: String,
    pub tx: Option<serde_json::Value>,
    pub timestamp: String,
    pub events: Vec<serde_json::Value>,
}

impl From<&TxReport> for TxResponse {
    fn from(r: &TxReport) -> TxResponse {
        TxResponse {
            height: r.height.unwrap_or(0).to_string(),
            txhash: r.hash.clone(),
            codespace: r.codespace.clone(),
            code: r.code,
            data: hex::encode_upper(&r.data),
            raw_log: r.log.clone(),
            logs: vec![],
            info: String::new(),
            gas_wanted: r.gas_wanted.to_string(),
            gas_used: r.gas_used.to_string(),
            tx: None,
            timestamp: String::new(),
            events: r.events.iter().map(event_json).collect(),
        }
    }
}

/// An ABCI event as the SDK prints it: `{"type", "attributes": [{"key", "value", "index"}]}`.
pub fn event_json(e: &tendermint::abci::Event) -> serde_json::Value {
    serde_json::json!({
        "type": e.kind,
        "attributes": e.attributes.iter().map(|a| serde_json::json!({
            "key": a.key_str().unwrap_or_default(),
            "value": a.value_str().unwrap_or_default(),
            "index": a.index(),
        })).collect::<Vec<_>>(),
    })
}

/// The gas `plan` uses, simulated on the node (signed at a generous limit; the node ignores the
/// limit and the signature when simulating).
async fn simulate(node: &Node, plan: &mut TxPlan<'_>) -> Result<(u64, tx_pb::SimulateResponse)> {
    plan.gas_limit = 10_000_000;
    let tx_bytes = sign_tx(plan)?;
    let resp: tx_pb::SimulateResponse = node
        .query_typed(&tx_pb::SimulateRequest {
            tx_bytes,
            ..Default::default()
        })
        .await
        .context("simulating the transaction")?;
    let used = resp.gas_info.as_ref().map_or(0, |g| g.gas_used);
    Ok((used, resp))
}
