//! The `estuaryd` command line: operator commands (init, genesis, start, export) and the user CLI
//! (keys, tx, query, status), following Cosmos SDK conventions.

mod autocli;
mod chain_info;
mod client_config;
mod genesis;
mod gov;
mod hermes;
mod ibc;
mod init;
mod keys;
mod light;
mod node;
mod query;
mod revision_bump;
mod tx;
mod tx_json;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::config::Home;
use crate::keyring::{Backend, Keyring};

#[derive(Parser)]
#[command(
    name = "estuaryd",
    version,
    about = "Estuary: a Cosmos-style IBC appchain node, run under CometBFT v0.38"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Args, Clone)]
pub struct Global {
    /// The node's home directory (config/, data/, keyrings).
    #[arg(long, global = true, env = "ESTUARY_HOME", default_value_os_t = default_home())]
    pub home: PathBuf,
    /// Output format for commands that print data.
    #[arg(long, short = 'o', global = true, value_enum, env = "ESTUARY_OUTPUT", default_value_t = Output::Text)]
    pub output: Output,
    /// Log filter, e.g. `info` or `estuary_app=debug` (default: app.toml's `log_level`, else
    /// `info`).
    #[arg(long, global = true, env = "ESTUARY_LOG")]
    pub log_level: Option<String>,
    /// `text` or `json` logs (default: app.toml's `log_format`, else `text`).
    #[arg(long, global = true, env = "ESTUARY_LOG_FORMAT", value_parser = ["text", "json"])]
    pub log_format: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Text,
    Json,
}

/// Where keys are kept, for every command that reads or writes them.
#[derive(clap::Args, Clone)]
pub struct KeyringArgs {
    /// `test` keeps keys unencrypted (localnets only); `file` encrypts them with a passphrase.
    #[arg(long, value_enum, env = "ESTUARY_KEYRING_BACKEND", default_value_t = Backend::Test)]
    pub keyring_backend: Backend,
    /// Passphrase for the `file` backend.
    #[arg(long, env = "ESTUARY_KEYRING_PASSPHRASE", hide_env_values = true)]
    pub keyring_passphrase: Option<String>,
}

impl KeyringArgs {
    pub fn open(&self, home: &Home) -> Keyring {
        Keyring::new(
            home.keyring_dir(self.keyring_backend.name()),
            self.keyring_backend,
            self.keyring_passphrase.clone(),
        )
    }
}

/// Which node to talk to.
#[derive(clap::Args, Clone)]
pub struct NodeArgs {
    /// CometBFT RPC address of the node.
    #[arg(long, env = "ESTUARY_NODE", default_value = "tcp://127.0.0.1:26657")]
    pub node: String,
}

// Parsed once per process; the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum Command {
    /// Create a node home: CometBFT config, node and validator keys, an empty genesis.
    Init(init::InitArgs),
    /// Build and check the genesis file.
    #[command(subcommand)]
    Genesis(genesis::GenesisCmd),
    /// Run the ABCI application (CometBFT connects to it).
    Start(node::StartArgs),
    /// Write the state (latest, or `--height H`) as a genesis file (stop the node first).
    Export(node::ExportArgs),
    /// Where the state store's disk space goes, table by table (node stopped).
    StoreUsage,
    /// Undo the last committed block, in estuaryd's store and CometBFT's state (node stopped);
    /// started again, the node re-executes it.
    Rollback(node::RollbackArgs),
    /// Manage account keys.
    #[command(subcommand)]
    Keys(keys::KeysCmd),
    /// Build, sign and broadcast transactions.
    #[command(subcommand)]
    Tx(tx::TxCmd),
    /// Query chain state.
    #[command(subcommand, alias = "q")]
    Query(query::QueryCmd),
    /// Show the node's status (chain id, height, app hash, sync).
    Status(node::StatusArgs),
    /// Print this chain's entry for a Hermes config.toml (proof specs, prefix, periods).
    HermesConfig(hermes::HermesArgs),
    /// This chain as wallets and the cosmos chain-registry describe it: Keplr's ChainInfo,
    /// chain.json and assetlist.json.
    #[command(subcommand)]
    ChainInfo(chain_info::ChainInfoCmd),
    /// CometBFT identities stored in the home.
    #[command(subcommand)]
    Comet(CometCmd),
    /// Client settings (`config/client.toml`): chain-id, node, keyring-backend, output,
    /// broadcast-mode.
    #[command(subcommand)]
    Config(client_config::ConfigCmd),
    /// The light client that `query … --verify` uses: trust a header, advance by bisection.
    #[command(subcommand)]
    Light(light::LightCmd),
}

#[derive(Subcommand)]
pub enum CometCmd {
    /// This node's P2P id (for other nodes' persistent_peers).
    ShowNodeId,
    /// This node's validator consensus key (base64 ed25519).
    ShowValidator,
}

fn default_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".estuary")
}

/// What the command line asked for: a written command, or a derived query. Parsed once per
/// process; the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
enum Parsed {
    Written(Cli),
    Derived(Global, usize, clap::ArgMatches),
}

fn parse(derived: &[autocli::Derived]) -> Parsed {
    use clap::{CommandFactory, FromArgMatches};
    let matches = autocli::augment(Cli::command(), derived).get_matches();
    if let Some((d, m)) = autocli::find(&matches, derived) {
        let index = derived
            .iter()
            .position(|x| std::ptr::eq(x, d))
            .unwrap_or_default();
        let global = Global::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        return Parsed::Derived(global, index, m.clone());
    }
    Parsed::Written(Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit()))
}

fn global_of(parsed: &Parsed) -> &Global {
    match parsed {
        Parsed::Written(cli) => &cli.global,
        Parsed::Derived(g, ..) => g,
    }
}

pub fn run() -> Result<()> {
    // client.toml fills in what flags and the environment leave unset: read it from the home
    // the command line names, then parse again with its settings in the environment.
    let derived = {
        use clap::CommandFactory;
        autocli::derived(&Cli::command())
    };
    let mut parsed = parse(&derived);
    if let Some(settings) = client_config::ClientToml::load(&client_config::ClientToml::path(
        &global_of(&parsed).home(),
    ))? {
        settings.apply_to_env();
        parsed = parse(&derived);
    }
    let global = global_of(&parsed).clone();
    // Logging: flag or environment, else the home's app.toml, else info/text.
    let app_toml = crate::config::AppToml::load(&global.home().app_toml()).ok();
    let level = global
        .log_level
        .clone()
        .or_else(|| app_toml.as_ref().map(|a| a.log_level.clone()))
        .unwrap_or_else(|| "info".into());
    let format = global
        .log_format
        .clone()
        .or_else(|| app_toml.as_ref().map(|a| a.log_format.clone()))
        .unwrap_or_else(|| "text".into());
    init_tracing(&level, format == "json");
    let cli = match parsed {
        Parsed::Derived(g, index, m) => {
            let d = derived
                .get(index)
                .ok_or_else(|| anyhow::anyhow!("derived command {index} vanished"))?;
            return block_on(autocli::run(&g, d, &m));
        }
        Parsed::Written(cli) => cli,
    };
    let g = cli.global.clone();
    match cli.command {
        Command::Init(a) => init::run(&g, a),
        Command::Genesis(c) => genesis::run(&g, c),
        Command::Start(a) => node::start(&g, a),
        Command::Export(a) => node::export(&g, a),
        Command::Rollback(a) => node::rollback(&g, a),
        Command::StoreUsage => node::store_usage(&g),
        Command::Keys(c) => keys::run(&g, c),
        Command::Tx(c) => block_on(tx::run(&g, c)),
        Command::Query(c) => block_on(query::run(&g, c)),
        Command::Status(a) => block_on(node::status(&g, a)),
        Command::HermesConfig(a) => hermes::run(&g, a),
        Command::ChainInfo(c) => chain_info::run(&g, c),
        Command::Config(c) => client_config::run(&g, c),
        Command::Light(c) => block_on(light::run(&g, c)),
        Command::Comet(CometCmd::ShowNodeId) => {
            let id = init::home_node_id(&g.home())?;
            g.print(&serde_json::json!({ "node_id": id }), |_| id.clone())
        }
        Command::Comet(CometCmd::ShowValidator) => {
            let key = init::validator_pub_key(&g.home())?;
            g.print(&serde_json::json!({ "pub_key": key }), |_| key.clone())
        }
    }
}

fn init_tracing(filter: &str, json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only on a terminal: log files stay plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

fn block_on<F: std::future::Future<Output = Result<()>>>(f: F) -> Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(f)
}

impl Global {
    pub fn home(&self) -> Home {
        Home(self.home.clone())
    }

    /// Prints `value` as JSON, or as the text `text` renders.
    pub fn print<T: Serialize>(&self, value: &T, text: impl FnOnce(&T) -> String) -> Result<()> {
        match self.output {
            Output::Json => println!("{}", serde_json::to_string_pretty(value)?),
            Output::Text => println!("{}", text(value)),
        }
        Ok(())
    }
}

/// Asks on the terminal; without a terminal (scripts) the answer is yes, as `--yes` would give.
pub fn confirm(question: &str) -> Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Ok(true);
    }
    eprint!("{question} [y/N]: ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_line_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
