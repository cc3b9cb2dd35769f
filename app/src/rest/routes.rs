//! Which HTTP route answers which gRPC method. Nothing here is a hand-written table: the methods
//! are the ones the node serves over gRPC (the query registry and the few CometBFT answers), and
//! each method's route is its `google.api.http` option in the protobuf descriptors, as the
//! Cosmos SDK's gRPC-gateway reads it.

use std::sync::OnceLock;

use prost_reflect::{DescriptorPool, MessageDescriptor, MethodDescriptor, Value};

/// The descriptors of every message the gateway renders: ibc-proto's set (IBC, Tendermint and
/// the SDK files IBC imports) and ours from `proto/` (the SDK services Estuary answers).
pub fn pool() -> Result<&'static DescriptorPool, String> {
    static POOL: OnceLock<Result<DescriptorPool, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        let ibc = with_prehash_key_before_comparison(ibc_proto::FILE_DESCRIPTOR_SET)
            .map_err(|e| format!("ibc-proto descriptors: {e}"))?;
        let mut pool = DescriptorPool::decode(ibc.as_slice())
            .map_err(|e| format!("ibc-proto descriptors: {e}"))?;
        pool.decode_file_descriptor_set(
            include_bytes!(concat!(env!("OUT_DIR"), "/estuary_rest.bin")).as_slice(),
        )
        .map_err(|e| format!("Estuary's descriptors: {e}"))?;
        Ok(pool)
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// ibc-proto 0.51's copy of `cosmos.ics23.v1.ProofSpec` predates field 5,
/// `bool prehash_key_before_comparison`, which ibc-go's client states carry (and the SDK's
/// gateway shows): declared here so the JSON has it too. Only that file is re-encoded; every
/// other file keeps its bytes, options and all (`prost_types` would drop the extension options
/// the routes and `gogoproto.nullable` are read from).
fn with_prehash_key_before_comparison(set: &[u8]) -> Result<Vec<u8>, prost::DecodeError> {
    use prost::encoding::{decode_varint, encode_varint};
    use prost::Message;
    use prost_types::field_descriptor_proto::{Label, Type};
    let mut out = Vec::with_capacity(set.len().saturating_add(64));
    let mut buf = set;
    while !buf.is_empty() {
        // FileDescriptorSet is `repeated FileDescriptorProto file = 1`: tag 0x0a, length, bytes.
        let tag = decode_varint(&mut buf)?;
        if tag != 0x0a {
            return Err(prost::DecodeError::new(
                "unexpected field in a FileDescriptorSet",
            ));
        }
        let len = usize::try_from(decode_varint(&mut buf)?)
            .map_err(|_| prost::DecodeError::new("file too long"))?;
        let (file, rest) = buf
            .split_at_checked(len)
            .ok_or_else(|| prost::DecodeError::new("truncated FileDescriptorSet"))?;
        buf = rest;
        let mut bytes = file.to_vec();
        let mut proto = prost_types::FileDescriptorProto::decode(file)?;
        if proto.package() == "cosmos.ics23.v1" {
            if let Some(spec) = proto
                .message_type
                .iter_mut()
                .find(|m| m.name() == "ProofSpec")
            {
                if !spec.field.iter().any(|f| f.number() == 5) {
                    spec.field.push(prost_types::FieldDescriptorProto {
                        name: Some("prehash_key_before_comparison".into()),
                        number: Some(5),
                        label: Some(Label::Optional as i32),
                        r#type: Some(Type::Bool as i32),
                        json_name: Some("prehashKeyBeforeComparison".into()),
                        ..Default::default()
                    });
                    bytes = proto.encode_to_vec();
                }
            }
        }
        encode_varint(0x0a, &mut out);
        encode_varint(bytes.len() as u64, &mut out);
        out.extend_from_slice(&bytes);
    }
    Ok(out)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
}

/// One piece of a route template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// `{field.path}`: one path segment.
    Field(String),
    /// `{field.path=**}`: one or more segments, joined by `/` (IBC denoms such as `ibc/ABC…`).
    Rest(String),
}

/// A gRPC method and the HTTP route the gateway serves it at.
#[derive(Clone, Debug)]
pub struct Route {
    /// `/package.Service/Method`, the gRPC (and ABCI) path.
    pub method: String,
    pub verb: Verb,
    /// The template as the proto spells it, for listings and errors.
    pub template: String,
    segments: Vec<Segment>,
    /// The request field the body fills (`*`: the whole request), for POST routes.
    pub body: Option<String>,
    pub input: MessageDescriptor,
    pub output: MessageDescriptor,
}

/// Why a method has no route.
#[derive(Debug, PartialEq, Eq)]
pub enum NoRoute {
    /// The descriptors have no such method (served over gRPC as raw bytes only).
    UnknownMethod,
    /// The method declares no HTTP rule (the SDK does not serve it over REST either).
    NoHttpRule,
    /// A rule this gateway does not implement (a verb other than GET/POST, a bad template).
    Unsupported(String),
}

impl Route {
    /// The route of `method` (`/package.Service/Method`) from its `google.api.http` option.
    pub fn of(pool: &DescriptorPool, method: &str) -> Result<Route, NoRoute> {
        let desc = find_method(pool, method).ok_or(NoRoute::UnknownMethod)?;
        let ext = pool
            .get_extension_by_name("google.api.http")
            .ok_or(NoRoute::NoHttpRule)?;
        let options = desc.options();
        if !options.has_extension(&ext) {
            return Err(NoRoute::NoHttpRule);
        }
        let rule = match options.get_extension(&ext).into_owned() {
            Value::Message(rule) => rule,
            _ => return Err(NoRoute::NoHttpRule),
        };
        let text = |name: &str| match rule.get_field_by_name(name).as_deref() {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
        let (verb, template) = match (text("get"), text("post")) {
            (Some(t), _) => (Verb::Get, t),
            (None, Some(t)) => (Verb::Post, t),
            (None, None) => return Err(NoRoute::Unsupported("no GET or POST pattern".into())),
        };
        let segments = parse_template(&template).map_err(NoRoute::Unsupported)?;
        Ok(Route {
            method: method.to_string(),
            verb,
            template,
            segments,
            body: text("body"),
            input: desc.input(),
            output: desc.output(),
        })
    }

    /// The path parameters if `path` (already split into percent-decoded segments) is this
    /// route, or `None`.
    pub fn matches(&self, path: &[String]) -> Option<Vec<(String, String)>> {
        let mut params = Vec::new();
        match_segments(&self.segments, path, &mut params).then_some(params)
    }

    /// The request fields the path carries, in route order (a CLI's positional arguments).
    pub fn path_fields(&self) -> Vec<String> {
        self.segments
            .iter()
            .filter_map(|s| match s {
                Segment::Field(f) | Segment::Rest(f) => Some(f.clone()),
                Segment::Literal(_) => None,
            })
            .collect()
    }

    /// How literal the route is, to prefer `/blocks/latest` over `/blocks/{height}` when both
    /// match: literals first, then single-segment fields, then `**`.
    pub fn specificity(&self) -> Vec<u8> {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Literal(_) => 2,
                Segment::Field(_) => 1,
                Segment::Rest(_) => 0,
            })
            .collect()
    }
}

fn find_method(pool: &DescriptorPool, method: &str) -> Option<MethodDescriptor> {
    let (service, name) = method.strip_prefix('/')?.split_once('/')?;
    pool.get_service_by_name(service)?
        .methods()
        .find(|m| m.name() == name)
}

fn parse_template(template: &str) -> Result<Vec<Segment>, String> {
    let path = template
        .strip_prefix('/')
        .ok_or_else(|| format!("template {template:?} does not start with /"))?;
    let mut out = Vec::new();
    for part in path.split('/') {
        let seg = match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(inner) => match inner.split_once('=') {
                None => Segment::Field(inner.to_string()),
                Some((field, "**")) => Segment::Rest(field.to_string()),
                Some((field, "*")) => Segment::Field(field.to_string()),
                Some(_) => return Err(format!("template {template:?}: unsupported {part}")),
            },
            None if part.contains(['{', '}', ':']) => {
                return Err(format!("template {template:?}: unsupported {part}"))
            }
            None => Segment::Literal(part.to_string()),
        };
        out.push(seg);
    }
    if out.iter().filter(|s| matches!(s, Segment::Rest(_))).count() > 1 {
        return Err(format!("template {template:?} has two ** fields"));
    }
    Ok(out)
}

fn match_segments(tpl: &[Segment], path: &[String], out: &mut Vec<(String, String)>) -> bool {
    let Some((first, tpl_rest)) = tpl.split_first() else {
        return path.is_empty();
    };
    match first {
        Segment::Literal(lit) => match path.split_first() {
            Some((seg, rest)) if seg == lit => match_segments(tpl_rest, rest, out),
            _ => false,
        },
        Segment::Field(field) => match path.split_first() {
            Some((seg, rest)) if !seg.is_empty() => {
                out.push((field.clone(), seg.clone()));
                if match_segments(tpl_rest, rest, out) {
                    return true;
                }
                out.pop();
                false
            }
            _ => false,
        },
        Segment::Rest(field) => {
            // Longest first, so a literal suffix (`{denom=**}/total_escrow`) still matches.
            for n in (1..=path.len()).rev() {
                let (taken, rest) = path.split_at(n);
                out.push((field.clone(), taken.join("/")));
                if match_segments(tpl_rest, rest, out) {
                    return true;
                }
                out.pop();
            }
            false
        }
    }
}

/// Every route of `methods`, with the methods that have none and why (logged at start-up).
pub fn table<'a>(
    pool: &DescriptorPool,
    methods: impl IntoIterator<Item = &'a str>,
) -> (Vec<Route>, Vec<(String, NoRoute)>) {
    let mut routes = Vec::new();
    let mut skipped = Vec::new();
    for method in methods {
        match Route::of(pool, method) {
            Ok(route) => routes.push(route),
            Err(why) => skipped.push((method.to_string(), why)),
        }
    }
    (routes, skipped)
}

/// Path parameters: (field path, text), in template order.
pub type PathParams = Vec<(String, String)>;

/// The best route for `verb` and `path`, with its path parameters. `Err(true)` when the path
/// has routes but none for this verb (405), `Err(false)` when nothing serves it.
pub fn find<'r>(
    routes: &'r [Route],
    verb: Verb,
    path: &[String],
) -> Result<(&'r Route, PathParams), bool> {
    let mut best: Option<(&Route, PathParams)> = None;
    let mut other_verb = false;
    for route in routes {
        let Some(params) = route.matches(path) else {
            continue;
        };
        if route.verb != verb {
            other_verb = true;
            continue;
        }
        let better = match &best {
            None => true,
            Some((b, _)) => route.specificity() > b.specificity(),
        };
        if better {
            best = Some((route, params));
        }
    }
    best.ok_or(other_verb)
}

/// A request path as the gateway sees it: split on `/`, each segment percent-decoded (so
/// `%2F` inside a segment stays inside it).
pub fn split_path(path: &str) -> Option<Vec<String>> {
    path.strip_prefix('/')?
        .split('/')
        .map(percent_decode)
        .collect()
}

/// `%XX` escapes decoded; `None` for a malformed escape or bytes that are not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i.checked_add(1)?..i.checked_add(3)?)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i = i.checked_add(3)?;
        } else {
            out.push(b);
            i = i.checked_add(1)?;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(p: &str) -> Vec<String> {
        split_path(p).unwrap()
    }

    #[test]
    fn routes_come_from_the_descriptors_and_match_like_the_gateway() {
        let pool = pool().unwrap();
        let methods = [
            "/cosmos.bank.v1beta1.Query/Balance",
            "/cosmos.bank.v1beta1.Query/AllBalances",
            "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock",
            "/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight",
            "/ibc.applications.transfer.v1.Query/TotalEscrowForDenom",
            "/cosmos.tx.v1beta1.Service/BroadcastTx",
            "/cosmos.tx.v1beta1.Service/GetTx",
            "/estuary.nothing.v1.Query/Nope",
        ];
        let (routes, skipped) = table(pool, methods);
        assert_eq!(routes.len(), 7);
        assert_eq!(
            skipped,
            [(
                "/estuary.nothing.v1.Query/Nope".to_string(),
                NoRoute::UnknownMethod
            )]
        );

        let (r, p) = find(
            &routes,
            Verb::Get,
            &segs("/cosmos/bank/v1beta1/balances/cosmos1x/by_denom"),
        )
        .unwrap();
        assert_eq!(r.method, "/cosmos.bank.v1beta1.Query/Balance");
        assert_eq!(p, [("address".to_string(), "cosmos1x".to_string())]);
        let (r, _) = find(
            &routes,
            Verb::Get,
            &segs("/cosmos/bank/v1beta1/balances/cosmos1x"),
        )
        .unwrap();
        assert_eq!(r.method, "/cosmos.bank.v1beta1.Query/AllBalances");

        let (r, _) = find(
            &routes,
            Verb::Get,
            &segs("/cosmos/base/tendermint/v1beta1/blocks/latest"),
        )
        .unwrap();
        assert_eq!(
            r.method,
            "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock"
        );
        let (r, p) = find(
            &routes,
            Verb::Get,
            &segs("/cosmos/base/tendermint/v1beta1/blocks/12"),
        )
        .unwrap();
        assert_eq!(
            r.method,
            "/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight"
        );
        assert_eq!(p[0].1, "12");

        let (r, p) = find(
            &routes,
            Verb::Get,
            &segs("/ibc/apps/transfer/v1/denoms/transfer/channel-0/stake/total_escrow"),
        )
        .unwrap();
        assert_eq!(
            r.method,
            "/ibc.applications.transfer.v1.Query/TotalEscrowForDenom"
        );
        assert_eq!(
            p,
            [("denom".to_string(), "transfer/channel-0/stake".to_string())]
        );
        let (_, p) = find(
            &routes,
            Verb::Get,
            &segs("/ibc/apps/transfer/v1/denoms/ibc%2FABC/total_escrow"),
        )
        .unwrap();
        assert_eq!(p[0].1, "ibc/ABC");

        let (r, _) = find(&routes, Verb::Post, &segs("/cosmos/tx/v1beta1/txs")).unwrap();
        assert_eq!(r.body.as_deref(), Some("*"));
        assert_eq!(
            find(&routes, Verb::Post, &segs("/cosmos/tx/v1beta1/txs/ABC")).err(),
            Some(true)
        );
        assert_eq!(
            find(&routes, Verb::Get, &segs("/cosmos/nothing")).err(),
            Some(false)
        );
        assert_eq!(
            find(
                &routes,
                Verb::Get,
                &segs("/cosmos/bank/v1beta1/balances//by_denom")
            )
            .err(),
            Some(false)
        );
        assert!(split_path("/a/%zz").is_none());
        assert!(split_path("/a/%c3").is_none(), "not UTF-8");
    }
}
