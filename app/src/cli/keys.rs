use std::io::Read;

use anyhow::{bail, Context, Result};

use super::{confirm, Global, KeyringArgs};

#[derive(clap::Subcommand)]
pub enum KeysCmd {
    /// Create a key (a new mnemonic, or `--recover` to read one from stdin).
    Add {
        name: String,
        /// Read a BIP-39 mnemonic from stdin instead of making a new one.
        #[arg(long)]
        recover: bool,
        /// BIP-44 account number, for the path m/44'/118'/{account}'/0/{index}.
        #[arg(long, default_value_t = 0)]
        account: u32,
        /// BIP-44 address index, for the path m/44'/118'/{account}'/0/{index}.
        #[arg(long, default_value_t = 0)]
        index: u32,
        /// A full BIP-32 path instead (overrides --account and --index).
        #[arg(long)]
        hd_path: Option<String>,
        /// Record a threshold multisig of these keys (names in this keyring, comma-separated)
        /// instead of making a key: it holds no secret; its members sign for it (`tx sign
        /// --multisig`) and `tx multisign` combines their signatures.
        #[arg(long, value_delimiter = ',', conflicts_with_all = ["recover", "hd_path"])]
        multisig: Vec<String>,
        /// How many of the multisig's keys must sign.
        #[arg(long, requires = "multisig")]
        multisig_threshold: Option<u32>,
        /// Keep the keys in the order given (by default sorted by address, as the SDK sorts
        /// them, so any order of the same keys gives the same multisig).
        #[arg(long, requires = "multisig")]
        nosort: bool,
        #[command(flatten)]
        keyring: KeyringArgs,
    },
    /// Import a raw secp256k1 private key given in hex.
    ImportHex {
        name: String,
        hex: String,
        /// The key type (only secp256k1).
        #[arg(long, default_value = "secp256k1", value_parser = ["secp256k1"])]
        key_type: String,
        #[command(flatten)]
        keyring: KeyringArgs,
    },
    /// List keys.
    List {
        #[command(flatten)]
        keyring: KeyringArgs,
    },
    /// Show one key.
    Show {
        name: String,
        /// Print only the address.
        #[arg(long, short = 'a')]
        address: bool,
        #[command(flatten)]
        keyring: KeyringArgs,
    },
    /// Print a key sealed with an export passphrase, for `keys import`; or, with
    /// `--unarmored-hex --unsafe`, its raw private key in hex.
    Export {
        name: String,
        #[arg(
            long,
            env = "ESTUARY_EXPORT_PASSPHRASE",
            hide_env_values = true,
            required_unless_present = "unarmored_hex"
        )]
        export_passphrase: Option<String>,
        /// Print the private key unencrypted, in hex (needs --unsafe).
        #[arg(long, requires = "unsafe_export")]
        unarmored_hex: bool,
        /// Acknowledge that the printed key gives anyone who sees it the account.
        #[arg(long = "unsafe", id = "unsafe_export")]
        unsafe_export: bool,
        /// Skip the confirmation prompt.
        #[arg(long, short = 'y')]
        yes: bool,
        #[command(flatten)]
        keyring: KeyringArgs,
    },
    /// Import a key printed by `keys export`.
    Import {
        name: String,
        /// The exported key file.
        file: std::path::PathBuf,
        #[arg(long, env = "ESTUARY_EXPORT_PASSPHRASE", hide_env_values = true)]
        export_passphrase: String,
        #[command(flatten)]
        keyring: KeyringArgs,
    },
    /// Delete a key.
    Delete {
        name: String,
        #[arg(long, short = 'y')]
        yes: bool,
        #[command(flatten)]
        keyring: KeyringArgs,
    },
}

pub fn run(g: &Global, cmd: KeysCmd) -> Result<()> {
    let home = g.home();
    match cmd {
        KeysCmd::Add {
            name,
            recover,
            account,
            index,
            hd_path,
            multisig,
            multisig_threshold,
            nosort,
            keyring,
        } => {
            if !multisig.is_empty() {
                let ring = keyring.open(&home);
                let keys = multisig
                    .iter()
                    .map(|k| ring.public_key(k))
                    .collect::<Result<Vec<_>>>()?;
                let threshold = multisig_threshold
                    .ok_or_else(|| anyhow::anyhow!("--multisig needs --multisig-threshold"))?;
                let info = ring.add_multisig(&name, threshold, keys, nosort)?;
                let shown = serde_json::json!({
                    "name": info.name, "type": "multi", "address": info.address,
                    "threshold": threshold, "keys": multisig,
                });
                return g.print(&shown, |_| {
                    format!(
                        "- name: {}\n  type: multi\n  address: {}\n  threshold: {threshold} of {}",
                        info.name,
                        info.address,
                        multisig.join(", ")
                    )
                });
            }
            let hd_path = hd_path.unwrap_or_else(|| format!("m/44'/118'/{account}'/0/{index}"));
            let mnemonic = if recover {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .context("reading the mnemonic from stdin")?;
                Some(s)
            } else {
                None
            };
            let (info, phrase) =
                keyring
                    .open(&home)
                    .add_at(&name, mnemonic.as_deref(), &hd_path)?;
            let shown = serde_json::json!({
                "name": info.name, "address": info.address, "pub_key": info.pub_key,
                "mnemonic": if recover { String::new() } else { phrase.clone() },
            });
            g.print(&shown, |_| {
                let mut out = format!("- name: {}\n  address: {}\n  pubkey: {}", info.name, info.address, info.pub_key);
                if !recover {
                    out.push_str(&format!(
                        "\n\n**Write this mnemonic down; it is the only way to recover the key.**\n\n{phrase}"
                    ));
                }
                out
            })
        }
        KeysCmd::List { keyring } => {
            let keys = keyring.open(&home).list()?;
            g.print(&keys, |ks| {
                ks.iter()
                    .map(|k| format!("- name: {}\n  address: {}", k.name, k.address))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        KeysCmd::Show {
            name,
            address,
            keyring,
        } => {
            let info = keyring.open(&home).show(&name)?;
            if address {
                println!("{}", info.address);
                return Ok(());
            }
            g.print(&info, |k| {
                format!(
                    "- name: {}\n  address: {}\n  pubkey: {}",
                    k.name, k.address, k.pub_key
                )
            })
        }
        KeysCmd::ImportHex {
            name,
            hex,
            key_type: _,
            keyring,
        } => {
            let info = keyring.open(&home).import_hex(&name, &hex)?;
            g.print(&info, |k| format!("imported {} ({})", k.name, k.address))
        }
        KeysCmd::Export {
            name,
            export_passphrase,
            unarmored_hex,
            unsafe_export: _,
            yes,
            keyring,
        } => {
            let kr = keyring.open(&home);
            if unarmored_hex {
                if !yes
                    && !confirm(
                        "**UNSAFE** the private key will be printed unencrypted; continue?",
                    )?
                {
                    bail!("not exported");
                }
                println!("{}", kr.export_hex(&name)?);
            } else {
                let passphrase = export_passphrase.unwrap_or_default();
                println!("{}", kr.export(&name, &passphrase)?);
            }
            Ok(())
        }
        KeysCmd::Import {
            name,
            file,
            export_passphrase,
            keyring,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let info = keyring
                .open(&home)
                .import(&name, &text, &export_passphrase)?;
            g.print(&info, |k| format!("imported {} ({})", k.name, k.address))
        }
        KeysCmd::Delete { name, yes, keyring } => {
            let kr = keyring.open(&home);
            kr.show(&name)?;
            if !yes && !confirm(&format!("delete key {name}?"))? {
                bail!("not deleted");
            }
            kr.delete(&name)?;
            g.print(&serde_json::json!({"deleted": name}), |_| {
                format!("deleted key {name}")
            })
        }
    }
}
