//! `config`: the client settings in `<home>/config/client.toml` (the Cosmos SDK's file and keys:
//! chain-id, keyring-backend, output, node, broadcast-mode). They fill in what neither a flag nor
//! an environment variable gives: flag > environment > client.toml > built-in default.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::Global;
use crate::config::Home;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ClientToml {
    #[serde(default)]
    pub chain_id: String,
    #[serde(default)]
    pub keyring_backend: String,
    #[serde(default)]
    pub output: String,
    #[serde(default)]
    pub node: String,
    #[serde(default)]
    pub broadcast_mode: String,
}

/// Each setting, the environment variable the command line reads it from, and its field.
const KEYS: [(&str, &str); 5] = [
    ("chain-id", "ESTUARY_CHAIN_ID"),
    ("keyring-backend", "ESTUARY_KEYRING_BACKEND"),
    ("output", "ESTUARY_OUTPUT"),
    ("node", "ESTUARY_NODE"),
    ("broadcast-mode", "ESTUARY_BROADCAST_MODE"),
];

impl ClientToml {
    pub fn path(home: &Home) -> std::path::PathBuf {
        home.config_dir().join("client.toml")
    }

    pub fn load(path: &Path) -> Result<Option<ClientToml>> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Some(
                toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?,
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let text = format!(
            "# Client settings (the Cosmos SDK's client.toml): used when neither a flag nor an\n# environment variable gives them. `estuaryd config set client <key> <value>`.\n{}",
            toml::to_string_pretty(self)?
        );
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
    }

    fn field(&mut self, key: &str) -> Result<&mut String> {
        Ok(match key {
            "chain-id" => &mut self.chain_id,
            "keyring-backend" => &mut self.keyring_backend,
            "output" => &mut self.output,
            "node" => &mut self.node,
            "broadcast-mode" => &mut self.broadcast_mode,
            _ => bail!(
                "unknown client setting {key:?}: one of chain-id, keyring-backend, output, node, broadcast-mode"
            ),
        })
    }

    /// Exports the settings as the environment variables the command line reads, where the
    /// environment does not already set them. Called before the command line is parsed.
    pub fn apply_to_env(&self) {
        let mut me = self.clone();
        for (key, var) in KEYS {
            let Ok(value) = me.field(key).map(|v| v.clone()) else {
                continue;
            };
            if !value.is_empty() && std::env::var_os(var).is_none() {
                std::env::set_var(var, value);
            }
        }
    }
}

#[derive(clap::Subcommand)]
pub enum ConfigCmd {
    /// Print every setting of a config file (`client`).
    View {
        #[arg(value_parser = ["client"])]
        file: String,
    },
    /// Print one setting: `config get client chain-id`.
    Get {
        #[arg(value_parser = ["client"])]
        file: String,
        key: String,
    },
    /// Change one setting: `config set client node tcp://127.0.0.1:26657`.
    Set {
        #[arg(value_parser = ["client"])]
        file: String,
        key: String,
        value: String,
    },
}

pub fn run(g: &Global, cmd: ConfigCmd) -> Result<()> {
    let path = ClientToml::path(&g.home());
    let mut cfg = ClientToml::load(&path)?.unwrap_or_default();
    match cmd {
        ConfigCmd::View { .. } => g.print(&cfg, |c| toml::to_string_pretty(c).unwrap_or_default()),
        ConfigCmd::Get { key, .. } => {
            let value = cfg.field(&key)?.clone();
            g.print(&serde_json::json!({ key.as_str(): value }), |_| {
                value.clone()
            })
        }
        ConfigCmd::Set { key, value, .. } => {
            check(&key, &value)?;
            *cfg.field(&key)? = value;
            std::fs::create_dir_all(g.home().config_dir())?;
            cfg.save(&path)?;
            g.print(&cfg, |_| format!("{key} set in {}", path.display()))
        }
    }
}

/// Refuses values the command line would refuse later, when they are set.
fn check(key: &str, value: &str) -> Result<()> {
    let allowed: &[&str] = match key {
        "keyring-backend" => &["test", "file"],
        "output" => &["text", "json"],
        "broadcast-mode" => &["sync", "async", "block"],
        _ => return Ok(()),
    };
    if !allowed.contains(&value) {
        bail!("{key} must be one of {}", allowed.join(", "));
    }
    Ok(())
}
