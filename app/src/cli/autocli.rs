//! Query commands derived, not written: every protobuf query in the registry (the one the node
//! answers ABCI, gRPC and REST from) becomes `estuaryd query <module> <method>`, as the SDK's
//! autocli does. Arguments come from the method's descriptor: the fields its REST route puts in
//! the path are positional, in route order; the other scalar fields are `--flags` (kebab-case);
//! a `pagination` field gives the SDK's `--page-*` flags. The answer prints as the REST API's
//! JSON. A command written by hand for a method (balances with `--verify`, transfers…) keeps its
//! name; the derived one is only added where no command has that name.

use anyhow::{Context, Result};
use clap::{Arg, ArgAction, ArgMatches};
use prost::Message;
use prost_reflect::{DynamicMessage, Kind, MessageDescriptor};

use super::{Global, Output};
use crate::rest::{json, routes};

/// One derived command.
pub struct Derived {
    pub group: &'static str,
    pub name: String,
    /// `/package.Service/Method`, the ABCI query path.
    pub method: String,
    input: MessageDescriptor,
    output: MessageDescriptor,
    /// Field names taken positionally, in route order.
    positionals: Vec<String>,
    /// (clap id and long flag, field path, repeated, boolean).
    flags: Vec<Flag>,
}

struct Flag {
    long: String,
    field: String,
    repeated: bool,
    boolean: bool,
}

/// The CLI group of a protobuf package, named as the SDK's and ibc-go's CLIs name them.
fn group_of(package: &str) -> Option<&'static str> {
    Some(match package {
        "cosmos.bank.v1beta1" => "bank",
        "cosmos.auth.v1beta1" => "auth",
        "cosmos.staking.v1beta1" => "staking",
        "cosmos.upgrade.v1beta1" => "upgrade",
        "cosmos.gov.v1" => "gov",
        "cosmos.base.node.v1beta1" => "node",
        "cosmos.base.tendermint.v1beta1" => "comet",
        "ibc.core.client.v1" | "ibc.core.connection.v1" | "ibc.core.channel.v1" => "ibc",
        "ibc.applications.transfer.v1" => "ibc-transfer",
        "ibc.applications.rate_limiting.v1" => "ratelimit",
        _ => return None,
    })
}

/// The command's name: the method's, kebab-case (`DenomTraces` → `denom-traces`, the tendermint
/// service's `Get` prefix dropped: `node-info`), or the name ibc-go's CLI gives it.
fn command_name(group: &str, method: &str) -> String {
    match (group, method) {
        ("ibc-transfer", "TotalEscrowForDenom") => "total-escrow".into(),
        _ => kebab(method),
    }
}

fn kebab(method: &str) -> String {
    let method = method.strip_prefix("Get").unwrap_or(method);
    // A new word at an upper-case letter after a lower-case one, or at the last capital of an
    // acronym followed by lower case: `ChainID` → `chain-id`, `ABCIInfo` → `abci-info`.
    let chars: Vec<char> = method.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| chars.get(p));
        let next = chars.get(i + 1);
        if c.is_ascii_uppercase() {
            let after_lower = prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
            let acronym_end = prev.is_some_and(char::is_ascii_uppercase)
                && next.is_some_and(char::is_ascii_lowercase);
            if after_lower || acronym_end {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(*c);
        }
    }
    out
}

/// A command for every protobuf query of the manifest that the descriptors describe, except
/// where `written` (the hand-written command line) already has a `query <group> <name>`.
pub fn derived(written: &clap::Command) -> Vec<Derived> {
    let taken = |group: &str, name: &str| {
        written
            .find_subcommand("query")
            .and_then(|q| q.find_subcommand(group))
            .is_some_and(|g| g.find_subcommand(name).is_some())
    };
    all_derived()
        .into_iter()
        .filter(|d| !taken(d.group, &d.name))
        .collect()
}

fn all_derived() -> Vec<Derived> {
    let Ok(pool) = routes::pool() else {
        return Vec::new();
    };
    let registry = crate::app::query_registry(&crate::modules());
    let mut out = Vec::new();
    for (path, _module, grpc) in registry.paths() {
        if !grpc {
            continue;
        }
        let Some((service, method)) = path.strip_prefix('/').and_then(|p| p.split_once('/')) else {
            continue;
        };
        let Some(desc) = pool
            .get_service_by_name(service)
            .and_then(|s| s.methods().find(|m| m.name() == method))
        else {
            continue;
        };
        let Some(group) = group_of(desc.parent_service().package_name()) else {
            continue;
        };
        let route = routes::Route::of(pool, path).ok();
        if route.as_ref().is_some_and(|r| r.verb != routes::Verb::Get) {
            continue; // POST methods (simulate) have commands of their own
        }
        let positionals = route.map(|r| r.path_fields()).unwrap_or_default();
        let mut flags = Vec::new();
        for field in desc.input().fields() {
            if positionals.iter().any(|p| p == field.name()) {
                continue;
            }
            match field.kind() {
                Kind::Message(m) if m.full_name() == "cosmos.base.query.v1beta1.PageRequest" => {
                    for sub in m.fields() {
                        flags.push(Flag {
                            long: format!("page-{}", sub.name().replace('_', "-")),
                            field: format!("{}.{}", field.name(), sub.name()),
                            repeated: false,
                            boolean: sub.kind() == Kind::Bool,
                        });
                    }
                }
                Kind::Message(_) => {}
                kind => flags.push(Flag {
                    long: field.name().replace('_', "-"),
                    field: field.name().to_string(),
                    repeated: field.is_list(),
                    boolean: kind == Kind::Bool && !field.is_list(),
                }),
            }
        }
        out.push(Derived {
            group,
            name: command_name(group, method),
            method: path.to_string(),
            input: desc.input(),
            output: desc.output(),
            positionals,
            flags,
        });
    }
    out
}

impl Derived {
    fn command(&self) -> clap::Command {
        let mut cmd = clap::Command::new(self.name.clone()).about(format!(
            "{} (derived from the query registry; prints the REST API's JSON)",
            self.method.trim_start_matches('/')
        ));
        for p in &self.positionals {
            cmd = cmd.arg(
                Arg::new(p.clone())
                    .value_name(p.to_uppercase())
                    .required(true),
            );
        }
        for f in &self.flags {
            let arg = Arg::new(f.long.clone()).long(f.long.clone());
            cmd = cmd.arg(if f.boolean {
                arg.action(ArgAction::SetTrue)
            } else if f.repeated {
                arg.action(ArgAction::Append).value_delimiter(',')
            } else {
                arg.num_args(1)
            });
        }
        cmd.arg(
            Arg::new("height")
                .long("height")
                .value_parser(clap::value_parser!(u64))
                .help("Query at this height (default: latest)"),
        )
        .arg(
            Arg::new("node")
                .long("node")
                .env("ESTUARY_NODE")
                .default_value("tcp://127.0.0.1:26657")
                .help("CometBFT RPC address of the node"),
        )
    }

    /// The request the arguments describe.
    fn request(&self, m: &ArgMatches) -> Result<DynamicMessage> {
        let mut msg = DynamicMessage::new(self.input.clone());
        for p in &self.positionals {
            if let Some(v) = m.get_one::<String>(p) {
                json::set_param(&mut msg, p, std::slice::from_ref(v), true)
                    .map_err(anyhow::Error::msg)?;
            }
        }
        for f in &self.flags {
            let values: Vec<String> = if f.boolean {
                if m.get_flag(&f.long) {
                    vec!["true".into()]
                } else {
                    vec![]
                }
            } else {
                m.get_many::<String>(&f.long)
                    .map(|v| v.cloned().collect())
                    .unwrap_or_default()
            };
            if !values.is_empty() {
                json::set_param(&mut msg, &f.field, &values, false)
                    .map_err(|e| anyhow::anyhow!("--{}: {e}", f.long))?;
            }
        }
        Ok(msg)
    }
}

/// `cmd` with every derived command added under `query` (new groups made as needed).
pub fn augment(cmd: clap::Command, derived: &[Derived]) -> clap::Command {
    cmd.mut_subcommand("query", |mut query| {
        for d in derived {
            if query.find_subcommand(d.group).is_none() {
                query = query.subcommand(
                    clap::Command::new(d.group)
                        .about(format!(
                            "{} queries (derived from the query registry)",
                            d.group
                        ))
                        .subcommand_required(true)
                        .arg_required_else_help(true),
                );
            }
            query = query.mut_subcommand(d.group, |group| group.subcommand(d.command()));
        }
        query
    })
}

/// The derived command the matches ran, with its own matches.
pub fn find<'a, 'm>(
    matches: &'m ArgMatches,
    derived: &'a [Derived],
) -> Option<(&'a Derived, &'m ArgMatches)> {
    let ("query", query) = matches.subcommand()? else {
        return None;
    };
    let (group, g) = query.subcommand()?;
    let (name, m) = g.subcommand()?;
    let d = derived
        .iter()
        .find(|d| d.group == group && d.name == name)?;
    // A written command of that name wins; `augment` never added the derived one then.
    Some((d, m))
}

/// Runs a derived command: the request over ABCI, the answer as the REST API's JSON.
pub async fn run(g: &Global, d: &Derived, m: &ArgMatches) -> Result<()> {
    let request = d.request(m)?;
    let node = m
        .get_one::<String>("node")
        .map(String::as_str)
        .unwrap_or("tcp://127.0.0.1:26657");
    let height = m.get_one::<u64>("height").copied();
    let bytes = crate::client::Node::connect(node)?
        .query(&d.method, request.encode_to_vec(), height)
        .await?;
    let answer = DynamicMessage::decode(d.output.clone(), bytes.as_slice())
        .with_context(|| format!("decoding {}", d.output.full_name()))?;
    let json = json::render(&answer);
    match g.output {
        Output::Json => println!("{json}"),
        Output::Text => println!("{}", serde_json::to_string_pretty(&json)?),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn every_protobuf_query_gets_a_command_with_its_route_arguments() {
        let all = all_derived();
        let find_all = |group: &str, name: &str| {
            all.iter()
                .find(|d| d.group == group && d.name == name)
                .unwrap_or_else(|| panic!("no derived `query {group} {name}`"))
        };
        assert_eq!(
            find_all("ibc-transfer", "escrow-address").method,
            "/ibc.applications.transfer.v1.Query/EscrowAddress"
        );
        let derived = derived(&super::super::Cli::command());
        assert!(
            !derived
                .iter()
                .any(|d| d.group == "ibc-transfer" && d.name == "escrow-address"),
            "a written command keeps its name (escrow-address prints the bare address for scripts)"
        );
        let find = |group: &str, name: &str| {
            derived
                .iter()
                .find(|d| d.group == group && d.name == name)
                .unwrap_or_else(|| panic!("no derived `query {group} {name}`"))
        };
        assert_eq!(
            find("bank", "params").method,
            "/cosmos.bank.v1beta1.Query/Params"
        );
        assert_eq!(find("bank", "balance").positionals, ["address"]);
        assert_eq!(
            find("bank", "total-supply").method,
            "/cosmos.bank.v1beta1.Query/TotalSupply"
        );
        let escrow = find("ibc-transfer", "total-escrow");
        assert_eq!(escrow.positionals, ["denom"]);
        let consensus = find("ibc", "consensus-state");
        assert_eq!(
            consensus.positionals,
            ["client_id", "revision_number", "revision_height"]
        );
        assert!(
            find_all("ibc", "unreceived-packets").flags.is_empty(),
            "both of its fields are in the route"
        );
        let accounts = find("auth", "accounts");
        assert!(accounts.flags.iter().any(|f| f.long == "page-limit"));
        assert!(accounts
            .flags
            .iter()
            .any(|f| f.long == "page-count-total" && f.boolean));
        assert_eq!(
            find("comet", "node-info").method,
            "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo"
        );
        assert!(
            !derived.iter().any(|d| d.method.ends_with("/Simulate")),
            "POST methods have commands of their own"
        );

        let cmd = augment(super::super::Cli::command(), &derived);
        cmd.clone().debug_assert();
        // A written command keeps its name: `bank balances` is still the hand-written one
        // (with --verify), and a derived one fills in beside it.
        let bank = cmd
            .find_subcommand("query")
            .and_then(|q| q.find_subcommand("bank"))
            .expect("query bank");
        assert!(bank
            .find_subcommand("balances")
            .is_some_and(|b| b.get_arguments().any(|a| a.get_id() == "verify")));
        assert!(bank.find_subcommand("denoms-metadata").is_some());

        let matches = cmd
            .try_get_matches_from([
                "estuaryd",
                "query",
                "auth",
                "accounts",
                "--page-limit",
                "2",
                "--page-count-total",
            ])
            .expect("parses");
        let (d, m) = find_matches(&matches, &derived);
        let req = cosmrs::proto::cosmos::auth::v1beta1::QueryAccountsRequest::decode(
            d.request(m).expect("request").encode_to_vec().as_slice(),
        )
        .expect("decodes");
        let page = req.pagination.expect("page");
        assert_eq!((page.limit, page.count_total), (2, true));
    }

    fn find_matches<'a, 'm>(m: &'m ArgMatches, d: &'a [Derived]) -> (&'a Derived, &'m ArgMatches) {
        find(m, d).expect("a derived command")
    }
}
