use anyhow::{bail, Context, Result};
use base64::Engine;
use sha2::Digest;

use super::Global;
use crate::config::{AppToml, Home};
use estuary_genesis::GenesisDoc;

#[derive(clap::Args)]
pub struct InitArgs {
    /// A name for this node.
    pub moniker: String,
    /// The chain id, `name-N` for IBC revision N.
    #[arg(long)]
    pub chain_id: String,
    /// Ports: P2P at P, RPC at P+1, ABCI at P+2, gRPC at P+3, estuaryd's Prometheus metrics at
    /// P+4, CometBFT's at P+5 (26656 gives CometBFT's usual P2P and RPC ports).
    #[arg(long, default_value_t = 26656)]
    pub base_port: u16,
    /// Where CometBFT listens for peers (config.toml `[p2p] laddr`). CometBFT's default, all
    /// interfaces at the base port, so that operators on other hosts can connect; a localnet
    /// whose nodes share one host passes a loopback address (`tcp://127.0.0.1:P`), which also
    /// lets several of its nodes connect from one IP (`allow_duplicate_ip`) and keep
    /// non-routable addresses (`addr_book_strict = false`).
    #[arg(long, value_name = "tcp://HOST:PORT")]
    pub p2p_laddr: Option<String>,
    /// The address peers should dial to reach this node, when it differs from the listen
    /// address (behind NAT, or listening on 0.0.0.0): `[p2p] external_address`, `HOST:PORT`.
    #[arg(long, value_name = "HOST:PORT", default_value = "")]
    pub external_address: String,
    /// Target block time (CometBFT's timeout_commit).
    #[arg(long, default_value = "1s")]
    pub block_time: String,
    /// Replace an existing home.
    #[arg(long)]
    pub overwrite: bool,
    /// The least fee per unit of gas this node's mempool accepts (app.toml
    /// `minimum_gas_prices`). Not zero by default: a public node that takes free transactions
    /// lets anyone fill its mempool and blocks at no cost. A private test network may pass
    /// `0stake`.
    #[arg(long, default_value = DEFAULT_MIN_GAS_PRICES)]
    pub minimum_gas_prices: String,
    /// Serve the REST (LCD) API here, e.g. `127.0.0.1:1317` (app.toml `api_address`). Off by
    /// default, as in the Cosmos SDK: it is a public read (and broadcast) surface an operator
    /// turns on deliberately.
    #[arg(long, value_name = "HOST:PORT", default_value = "")]
    pub api_address: String,
}

/// How estuaryd (and, written by init, CometBFT) format their logs: the global `--log-format`
/// given to `init` is written to app.toml and to CometBFT's config.toml.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The `minimum_gas_prices` that `init` writes unless told otherwise (a common Cosmos value).
pub const DEFAULT_MIN_GAS_PRICES: &str = "0.0025stake";

#[derive(serde::Serialize)]
struct InitReport {
    home: String,
    chain_id: String,
    node_id: String,
    validator_pub_key: String,
    rpc: String,
    p2p: String,
    abci: String,
    grpc: String,
}

pub fn run(g: &Global, a: InitArgs) -> Result<()> {
    let log_format = match g.log_format.as_deref() {
        Some("json") => LogFormat::Json,
        _ => LogFormat::Text,
    };
    estuary_genesis::validate_chain_id(&a.chain_id)?;
    let home = g.home();
    if home.genesis().exists() && !a.overwrite {
        bail!(
            "{} already holds a node (use --overwrite to replace it)",
            home.0.display()
        );
    }
    if a.base_port > u16::MAX - 8 {
        bail!(
            "--base-port {} leaves no room for the ports after it",
            a.base_port
        );
    }
    std::fs::create_dir_all(home.config_dir()).context("creating config dir")?;
    std::fs::create_dir_all(home.data_dir()).context("creating data dir")?;
    let (p2p, rpc, abci) = (a.base_port, a.base_port + 1, a.base_port + 2);

    let validator_pub = write_ed25519_key_file(&home.priv_validator_key(), true)?;
    let node_pub = write_ed25519_key_file(&home.node_key(), false)?;
    std::fs::write(
        home.data_dir().join("priv_validator_state.json"),
        "{\n  \"height\": \"0\",\n  \"round\": 0,\n  \"step\": 0\n}\n",
    )?;

    let grpc = a.base_port + 3;
    crate::config::parse_gas_prices(&a.minimum_gas_prices).context("--minimum-gas-prices")?;
    let app = AppToml {
        minimum_gas_prices: a.minimum_gas_prices.clone(),
        abci_address: format!("127.0.0.1:{abci}"),
        grpc_address: format!("127.0.0.1:{grpc}"),
        api_address: a.api_address.clone(),
        cometbft_rpc: format!("http://127.0.0.1:{rpc}"),
        metrics_address: format!("127.0.0.1:{}", a.base_port + 4),
        log_format: match log_format {
            LogFormat::Text => "text".into(),
            LogFormat::Json => "json".into(),
        },
        ..AppToml::default()
    };
    app.save(&home.app_toml())?;
    // The client settings point this home's CLI at this node, as the SDK's init does.
    super::client_config::ClientToml {
        chain_id: a.chain_id.clone(),
        keyring_backend: "test".into(),
        output: "text".into(),
        node: format!("tcp://127.0.0.1:{rpc}"),
        broadcast_mode: "sync".into(),
    }
    .save(&super::client_config::ClientToml::path(&home))?;
    let p2p_laddr = a
        .p2p_laddr
        .clone()
        .unwrap_or_else(|| format!("tcp://0.0.0.0:{p2p}"));
    let p2p_host = p2p_laddr
        .strip_prefix("tcp://")
        .and_then(|hp| hp.rsplit_once(':'))
        .filter(|(_, port)| port.parse::<u16>().is_ok())
        .map(|(host, _)| host.trim_matches(['[', ']']).to_string())
        .with_context(|| format!("--p2p-laddr {p2p_laddr:?}: give tcp://HOST:PORT"))?;
    if !a.external_address.is_empty()
        && a.external_address
            .rsplit_once(':')
            .is_none_or(|(h, port)| h.is_empty() || port.parse::<u16>().is_err())
    {
        bail!(
            "--external-address {:?}: give HOST:PORT",
            a.external_address
        );
    }
    let loopback = p2p_host == "localhost"
        || p2p_host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    std::fs::write(
        home.cometbft_toml(),
        cometbft_config(
            &a.moniker,
            P2p {
                laddr: &p2p_laddr,
                external_address: &a.external_address,
                loopback,
            },
            (rpc, abci, a.base_port + 5),
            &a.block_time,
            log_format,
        ),
    )?;

    let genesis = GenesisDoc::new(&a.chain_id, now_rfc3339())?;
    genesis.save(&home.genesis())?;

    let report = InitReport {
        home: home.0.display().to_string(),
        chain_id: a.chain_id,
        node_id: node_id(&node_pub),
        validator_pub_key: base64::engine::general_purpose::STANDARD.encode(validator_pub),
        rpc: format!("tcp://127.0.0.1:{rpc}"),
        p2p: p2p_laddr.clone(),
        abci: format!("tcp://127.0.0.1:{abci}"),
        grpc: format!("127.0.0.1:{grpc}"),
    };
    g.print(&report, |r| {
        format!(
            "initialised {} for chain {}\n  node id:        {}\n  validator key:  {}\n  rpc {}  p2p {}  abci {}  grpc {}",
            r.home, r.chain_id, r.node_id, r.validator_pub_key, r.rpc, r.p2p, r.abci, r.grpc
        )
    })
}

/// CometBFT's node id: hex of the first 20 bytes of sha256(ed25519 public key).
pub fn node_id(pub_key: &[u8; 32]) -> String {
    hex::encode(&sha2::Sha256::digest(pub_key)[..20])
}

/// Writes a CometBFT ed25519 key file (priv_validator_key.json or node_key.json) and returns the
/// public key.
fn write_ed25519_key_file(path: &std::path::Path, validator: bool) -> Result<[u8; 32]> {
    let sk = ed25519_consensus::SigningKey::new(rand::rngs::OsRng);
    let pk = sk.verification_key().to_bytes();
    let mut full = sk.to_bytes().to_vec();
    full.extend_from_slice(&pk);
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let priv_key = serde_json::json!({"type": "tendermint/PrivKeyEd25519", "value": b64(&full)});
    let doc = if validator {
        let address = hex::encode_upper(&sha2::Sha256::digest(pk)[..20]);
        serde_json::json!({
            "address": address,
            "pub_key": {"type": "tendermint/PubKeyEd25519", "value": b64(&pk)},
            "priv_key": priv_key,
        })
    } else {
        serde_json::json!({ "priv_key": priv_key })
    };
    crate::config::write_private(
        path,
        (serde_json::to_string_pretty(&doc)? + "\n").as_bytes(),
    )?;
    Ok(pk)
}

/// Reads the validator public key (base64) from a home's priv_validator_key.json.
pub fn validator_pub_key(home: &Home) -> Result<String> {
    let path = home.priv_validator_key();
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    doc["pub_key"]["value"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("{} has no pub_key", path.display()))
}

/// Reads a home's node id from node_key.json.
pub fn home_node_id(home: &Home) -> Result<String> {
    let path = home.node_key();
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let doc: serde_json::Value = serde_json::from_str(&text)?;
    let b64 = doc["priv_key"]["value"]
        .as_str()
        .context("node_key.json has no priv_key")?;
    let raw = base64::engine::general_purpose::STANDARD.decode(b64)?;
    let pk: [u8; 32] = raw
        .get(32..64)
        .context("node key is not 64 bytes")?
        .try_into()?;
    Ok(node_id(&pk))
}

/// CometBFT's peer-to-peer listen settings.
struct P2p<'a> {
    laddr: &'a str,
    external_address: &'a str,
    /// Every node on one host: peers share an IP and advertise loopback addresses.
    loopback: bool,
}

/// The settings CometBFT needs from us; everything else keeps CometBFT's defaults.
fn cometbft_config(
    moniker: &str,
    p2p: P2p<'_>,
    (rpc, abci, prometheus): (u16, u16, u16),
    block_time: &str,
    log_format: LogFormat,
) -> String {
    let log_format = match log_format {
        LogFormat::Text => "plain",
        LogFormat::Json => "json",
    };
    let P2p {
        laddr: p2p_laddr,
        external_address,
        loopback,
    } = p2p;
    // CometBFT's defaults (strict address book, one peer per IP) unless every node is local.
    let (addr_book_strict, allow_duplicate_ip) = (!loopback, loopback);
    format!(
        r#"# CometBFT settings written by `estuaryd init`; unset keys take CometBFT's defaults.
proxy_app = "tcp://127.0.0.1:{abci}"
moniker = "{moniker}"
db_backend = "goleveldb"
log_level = "info"
log_format = "{log_format}"

[rpc]
laddr = "tcp://127.0.0.1:{rpc}"
max_body_bytes = 10000000
timeout_broadcast_tx_commit = "30s"

[p2p]
laddr = "{p2p_laddr}"
external_address = "{external_address}"
persistent_peers = ""
addr_book_strict = {addr_book_strict}
allow_duplicate_ip = {allow_duplicate_ip}

[mempool]
size = 20000
max_txs_bytes = 268435456
cache_size = 50000

[consensus]
timeout_propose = "2s"
timeout_commit = "{block_time}"
skip_timeout_commit = false
create_empty_blocks = true

[tx_index]
indexer = "kv"

[instrumentation]
prometheus = true
prometheus_listen_addr = "127.0.0.1:{prometheus}"
namespace = "cometbft"
"#
    )
}

/// The current UTC time as RFC 3339 with nanoseconds, without a date library.
pub fn now_rfc3339() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:09}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        now.subsec_nanos()
    )
}

/// Days since 1970-01-01 to a Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
