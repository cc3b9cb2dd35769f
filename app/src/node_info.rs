//! What the node says about itself to relayers and wallets: the application's version and build
//! dependencies (`GetNodeInfo`) and its operator settings (`cosmos.base.node` `Config`). Served
//! both over gRPC and as ABCI queries at the same method paths, as the SDK does (Hermes asks
//! through ABCI). The dependency list is the truth: no Cosmos SDK and no ibc-go are in it.

use cosmrs::proto::cosmos::base::node::v1beta1 as node_config_pb;
use cosmrs::proto::cosmos::base::tendermint::v1beta1 as node_pb;

use crate::ante::GasPrice;
use crate::app::App;

/// `application_version` of `GetNodeInfo`; `cometbft_version` as CometBFT reports it (`0.38.26`).
pub fn version_info(cometbft_version: &str) -> node_pb::VersionInfo {
    let dep = |path: &str, version: &str| node_pb::Module {
        path: path.into(),
        version: version.into(),
        sum: String::new(),
    };
    let mut build_deps = vec![
        dep("github.com/cosmos/ibc-rs", "v0.57.0"),
        dep("github.com/informalsystems/tendermint-rs", "v0.40.4"),
    ];
    if !cometbft_version.is_empty() {
        let v = cometbft_version.trim_start_matches('v');
        build_deps.push(dep("github.com/cometbft/cometbft", &format!("v{v}")));
    }
    node_pb::VersionInfo {
        name: "estuary".into(),
        app_name: "estuaryd".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        build_deps,
        ..Default::default()
    }
}

/// `GetNodeInfo` as an ABCI query answers it: the app has no view of CometBFT's peer-to-peer
/// identity, so `default_node_info` is left out (the gRPC service fills it from CometBFT's RPC).
pub fn abci_node_info(app: &App) -> node_pb::GetNodeInfoResponse {
    node_pb::GetNodeInfoResponse {
        default_node_info: None,
        application_version: Some(version_info(&app.cometbft_version())),
    }
}

pub fn config(app: &App) -> node_config_pb::ConfigResponse {
    node_config_pb::ConfigResponse {
        minimum_gas_price: format_gas_prices(&app.config().min_gas_prices),
        pruning_keep_recent: app.storage().keep_recent().to_string(),
        pruning_interval: "1".into(),
        halt_height: 0,
    }
}

/// `0.025stake,1uatom` from prices kept in millionths.
fn format_gas_prices(prices: &[GasPrice]) -> String {
    prices
        .iter()
        .map(|p| {
            let (whole, frac) = (p.micro_amount / 1_000_000, p.micro_amount % 1_000_000);
            let frac = format!("{frac:06}");
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                format!("{whole}{}", p.denom)
            } else {
                format!("{whole}.{frac}{}", p.denom)
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_prices_print_as_dec_coins() {
        let p = |micro_amount, denom: &str| GasPrice {
            micro_amount,
            denom: denom.into(),
        };
        assert_eq!(format_gas_prices(&[]), "");
        assert_eq!(
            format_gas_prices(&[p(25_000, "stake"), p(2_000_000, "uatom")]),
            "0.025stake,2uatom"
        );
    }

    #[test]
    fn dependencies_are_the_real_ones() {
        let v = version_info("0.38.26");
        let paths: Vec<_> = v.build_deps.iter().map(|d| d.path.as_str()).collect();
        assert!(paths.contains(&"github.com/cometbft/cometbft"));
        assert!(!paths
            .iter()
            .any(|p| p.contains("cosmos-sdk") || p.contains("ibc-go")));
    }
}
