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
    /// Print a key sealed with an export passphrase, for `keys import`.
    Export {
        name: String,
        #[arg(long, env = "ESTUARY_EXPORT_PASSPHRASE", hide_env_values = true)]
        export_passphrase: String,
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
            keyring,
        } => {
            let mnemonic = if recover {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .context("reading the mnemonic from stdin")?;
                Some(s)
            } else {
                None
            };
            let (info, phrase) = keyring.open(&home).add(&name, mnemonic.as_deref())?;
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
        KeysCmd::Export {
            name,
            export_passphrase,
            keyring,
        } => {
            println!("{}", keyring.open(&home).export(&name, &export_passphrase)?);
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
