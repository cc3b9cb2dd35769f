use std::path::PathBuf;

use anyhow::{Context, Result};
use estuary_genesis::GenesisDoc;
use estuary_sdk::{parse_coins, Address};

use super::{Global, KeyringArgs};

#[derive(clap::Subcommand)]
pub enum GenesisCmd {
    /// Fund an account in genesis (an address, or a key name from the keyring).
    AddAccount {
        address_or_key: String,
        /// Coins, e.g. `1000000stake,500uatom`.
        coins: String,
        #[command(flatten)]
        keyring: KeyringArgs,
    },
    /// Add a validator to genesis (by default this node's own consensus key).
    AddValidator {
        /// Voting power.
        #[arg(long, default_value_t = 10)]
        power: u64,
        /// Name shown in queries (defaults to the node's moniker-less home name).
        #[arg(long)]
        name: Option<String>,
        /// Base64 ed25519 consensus key (defaults to config/priv_validator_key.json).
        #[arg(long)]
        pub_key: Option<String>,
        /// The account that votes for this validator in governance (address or key name).
        #[arg(long)]
        operator: Option<String>,
        #[command(flatten)]
        keyring: KeyringArgs,
    },
    /// Name the admin: an account with the chain's authority (validator powers, upgrades,
    /// client recovery) beside governance, until it hands its powers over.
    SetValidatorAdmin {
        address_or_key: String,
        #[command(flatten)]
        keyring: KeyringArgs,
    },
    /// Check a genesis file as InitChain would.
    Validate {
        /// The file (default: the home's config/genesis.json).
        file: Option<PathBuf>,
    },
}

pub fn run(g: &Global, cmd: GenesisCmd) -> Result<()> {
    let home = g.home();
    let path = home.genesis();
    match cmd {
        GenesisCmd::AddAccount {
            address_or_key,
            coins,
            keyring,
        } => {
            let address = resolve_address(&address_or_key, &keyring.open(&home))?;
            let coins = parse_coins(&coins).map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut doc = GenesisDoc::load(&path)?;
            doc.add_account(address, coins);
            doc.save(&path)?;
            g.print(&serde_json::json!({"address": address}), |_| {
                format!("added {address} to {}", path.display())
            })
        }
        GenesisCmd::AddValidator {
            power,
            name,
            pub_key,
            operator,
            keyring,
        } => {
            let operator = match operator {
                Some(o) => Some(resolve_address(&o, &keyring.open(&home))?),
                None => None,
            };
            let pub_key = match pub_key {
                Some(k) => k,
                None => super::init::validator_pub_key(&home)?,
            };
            let name = name.unwrap_or_else(|| {
                home.0
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "validator".into())
            });
            let mut doc = GenesisDoc::load(&path)?;
            doc.add_validator(&name, &pub_key, power, operator)?;
            doc.save(&path)?;
            g.print(
                &serde_json::json!({"name": name, "pub_key": pub_key, "power": power, "operator": operator}),
                |_| format!("added validator {name} ({pub_key}) with power {power}"),
            )
        }
        GenesisCmd::SetValidatorAdmin {
            address_or_key,
            keyring,
        } => {
            let address = resolve_address(&address_or_key, &keyring.open(&home))?;
            let mut doc = GenesisDoc::load(&path)?;
            doc.app_state.validators.admin = Some(address);
            doc.save(&path)?;
            g.print(&serde_json::json!({"admin": address}), |_| {
                format!("validator admin is now {address}")
            })
        }
        GenesisCmd::Validate { file } => {
            let file = file.unwrap_or(path);
            let doc = GenesisDoc::load(&file)?;
            doc.validate()
                .with_context(|| format!("{} is not a valid genesis", file.display()))?;
            g.print(
                &serde_json::json!({"valid": true, "chain_id": doc.chain_id}),
                |_| {
                    format!(
                        "{} is a valid genesis for chain {}",
                        file.display(),
                        doc.chain_id
                    )
                },
            )
        }
    }
}

/// A bech32 address as given, or the address of a key in the keyring.
pub fn resolve_address(s: &str, keyring: &crate::keyring::Keyring) -> Result<Address> {
    if let Ok(a) = Address::parse(s) {
        return Ok(a);
    }
    let info = keyring
        .show(s)
        .with_context(|| format!("{s:?} is neither an estuary address nor a key name"))?;
    Address::parse(&info.address).map_err(|e| anyhow::anyhow!("{e}"))
}
