//! Protobuf ⇄ JSON the way the Cosmos SDK's gRPC-gateway does it (gogoproto's jsonpb with
//! `OrigName` and `EmitDefaults`): original field names, every field emitted (an unset message
//! as `null`, empty bytes as `null`, an empty list as `[]`), 64-bit integers as strings, enums
//! by name, bytes in base64, `Any` expanded as `{"@type": …, fields…}`, timestamps in RFC 3339.
//! And the other way: path and query parameters (`pagination.limit=5`, repeated by repetition)
//! set on a request message as the gateway sets them.

use base64::Engine;
use prost_reflect::{
    DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor, ReflectMessage, Value,
};
use serde_json::{Map, Value as Json};

use super::routes;

/// Nesting deeper than this is refused: a response is ours, but an `Any` inside it may carry
/// bytes a transaction chose.
const MAX_DEPTH: usize = 64;

/// A response message as the gateway renders it.
pub fn render(msg: &DynamicMessage) -> Json {
    message(msg, 0)
}

fn message(msg: &DynamicMessage, depth: usize) -> Json {
    if depth > MAX_DEPTH {
        return Json::Null;
    }
    let desc = msg.descriptor();
    match desc.full_name() {
        "google.protobuf.Any" => return any(msg, depth),
        name if name.starts_with("google.protobuf.") => {
            // Timestamp, Duration, wrappers: prost-reflect knows their JSON forms.
            return serde_json::to_value(msg).unwrap_or(Json::Null);
        }
        _ => {}
    }
    let mut out = Map::new();
    for field in desc.fields() {
        if field.containing_oneof().is_some() && !msg.has_field(&field) {
            continue;
        }
        let value =
            if field.is_list() || field.is_map() || !is_message(&field) || msg.has_field(&field) {
                field_value(&field, &msg.get_field(&field), depth)
            } else if let (Kind::Message(m), true) = (field.kind(), non_nullable(&field)) {
                // A gogoproto `nullable = false` field is a struct in Go, never nil: the gateway
                // shows its zero value where the bytes have nothing.
                message(&DynamicMessage::new(m), depth.saturating_add(1))
            } else {
                Json::Null
            };
        out.insert(field.name().to_string(), value);
    }
    Json::Object(out)
}

/// Whether the field carries `(gogoproto.nullable) = false`. ibc-proto's descriptors keep the
/// Go generator's options (an unset `timeout_height` in a user's `MsgTransfer` shows as zeros,
/// as ibc-go shows it); Estuary's declarations in `proto/` have none, their handlers fill
/// such fields themselves.
///
/// Read once for the whole pool (decoding a field's options costs more than rendering it, and
/// this is asked for every unset message field of every answer).
fn non_nullable(field: &FieldDescriptor) -> bool {
    static FIELDS: std::sync::OnceLock<std::collections::HashSet<String>> =
        std::sync::OnceLock::new();
    FIELDS
        .get_or_init(|| {
            let Ok(pool) = routes::pool() else {
                return Default::default();
            };
            let Some(ext) = pool.get_extension_by_name("gogoproto.nullable") else {
                return Default::default();
            };
            pool.all_messages()
                .flat_map(|m| m.fields().collect::<Vec<_>>())
                .filter(|f| {
                    let options = f.options();
                    options.has_extension(&ext)
                        && matches!(options.get_extension(&ext).as_ref(), Value::Bool(false))
                })
                .map(|f| f.full_name().to_string())
                .collect()
        })
        .contains(field.full_name())
}

fn is_message(field: &FieldDescriptor) -> bool {
    matches!(field.kind(), Kind::Message(_))
}

fn field_value(field: &FieldDescriptor, value: &Value, depth: usize) -> Json {
    match value {
        Value::List(items) => Json::Array(
            items
                .iter()
                .map(|v| scalar(&field.kind(), v, depth))
                .collect(),
        ),
        Value::Map(entries) => {
            let value_kind = match field.kind() {
                Kind::Message(entry) => entry.map_entry_value_field().kind(),
                other => other,
            };
            let mut out = Map::new();
            for (k, v) in entries {
                let key = match k {
                    MapKey::Bool(b) => b.to_string(),
                    MapKey::I32(n) => n.to_string(),
                    MapKey::I64(n) => n.to_string(),
                    MapKey::U32(n) => n.to_string(),
                    MapKey::U64(n) => n.to_string(),
                    MapKey::String(s) => s.clone(),
                };
                out.insert(key, scalar(&value_kind, v, depth));
            }
            Json::Object(out)
        }
        v => scalar(&field.kind(), v, depth),
    }
}

fn scalar(kind: &Kind, value: &Value, depth: usize) -> Json {
    match value {
        Value::Bool(b) => Json::Bool(*b),
        Value::I32(n) => Json::from(*n),
        Value::U32(n) => Json::from(*n),
        Value::I64(n) => Json::String(n.to_string()),
        Value::U64(n) => Json::String(n.to_string()),
        Value::F32(f) => float(f64::from(*f)),
        Value::F64(f) => float(*f),
        Value::String(s) => Json::String(s.clone()),
        Value::Bytes(b) if b.is_empty() => Json::Null,
        Value::Bytes(b) => Json::String(base64::engine::general_purpose::STANDARD.encode(b)),
        Value::EnumNumber(n) => match kind {
            Kind::Enum(e) => match e.get_value(*n) {
                Some(v) => Json::String(v.name().to_string()),
                None => Json::from(*n),
            },
            _ => Json::from(*n),
        },
        Value::Message(m) => message(m, depth.saturating_add(1)),
        Value::List(_) | Value::Map(_) => Json::Null,
    }
}

fn float(f: f64) -> Json {
    serde_json::Number::from_f64(f).map_or_else(|| Json::String(f.to_string()), Json::Number)
}

/// `{"@type": url, …fields}` when the type is known; its bytes in `value` when it is not (the
/// SDK's gateway fails the whole response instead; a block explorer would rather see the rest).
fn any(msg: &DynamicMessage, depth: usize) -> Json {
    let type_url = match msg.get_field_by_name("type_url").as_deref() {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    let bytes = match msg.get_field_by_name("value").as_deref() {
        Some(Value::Bytes(b)) => b.clone(),
        _ => Default::default(),
    };
    let name = type_url.rsplit('/').next().unwrap_or_default();
    let inner = routes::pool()
        .ok()
        .and_then(|p| p.get_message_by_name(name))
        .and_then(|d| DynamicMessage::decode(d, bytes.as_ref()).ok());
    let mut out = Map::new();
    out.insert("@type".into(), Json::String(type_url));
    match inner.map(|m| message(&m, depth.saturating_add(1))) {
        Some(Json::Object(fields)) => out.extend(fields),
        Some(other) => {
            out.insert("value".into(), other);
        }
        None => {
            out.insert(
                "value".into(),
                Json::String(base64::engine::general_purpose::STANDARD.encode(&bytes)),
            );
        }
    }
    Json::Object(out)
}

/// Sets `path` (a field name or a dotted path through message fields; proto or JSON names) on
/// `msg` from its textual `values`. An unknown field is ignored, as the gateway ignores it; a
/// value that does not parse is an error naming the parameter.
pub fn set_param(
    msg: &mut DynamicMessage,
    path: &str,
    values: &[String],
    from_path: bool,
) -> Result<(), String> {
    let mut parts = path.split('.').peekable();
    let mut target = msg;
    while let Some(part) = parts.next() {
        let desc = target.descriptor();
        let Some(field) = desc
            .get_field_by_name(part)
            .or_else(|| desc.get_field_by_json_name(part))
        else {
            return Ok(());
        };
        if parts.peek().is_some() {
            if field.is_list() || field.is_map() {
                return Ok(());
            }
            let Kind::Message(_) = field.kind() else {
                return Ok(());
            };
            target = match target.get_field_mut(&field) {
                Value::Message(m) => m,
                _ => return Ok(()),
            };
            continue;
        }
        if field.is_map() {
            return Err(format!("{path}: map fields cannot be set from a URL"));
        }
        if field.is_list() {
            // A repeated field in the path is one comma-separated segment.
            let values: Vec<&str> = if from_path {
                values.iter().flat_map(|v| v.split(',')).collect()
            } else {
                values.iter().map(String::as_str).collect()
            };
            let mut items = Vec::with_capacity(values.len());
            for v in values {
                items.push(parse_scalar(&field.kind(), v).map_err(|e| format!("{path}: {e}"))?);
            }
            return target
                .try_set_field(&field, Value::List(items))
                .map_err(|e| format!("{path}: {e}"));
        }
        let Some(text) = values.last() else {
            return Ok(());
        };
        let value = parse_scalar(&field.kind(), text).map_err(|e| format!("{path}: {e}"))?;
        return target
            .try_set_field(&field, value)
            .map_err(|e| format!("{path}: {e}"));
    }
    Ok(())
}

fn parse_scalar(kind: &Kind, text: &str) -> Result<Value, String> {
    let bad = |what: &str| format!("{text:?} is not {what}");
    Ok(match kind {
        Kind::String => Value::String(text.to_string()),
        Kind::Bool => match text {
            "true" | "True" | "TRUE" | "1" | "t" | "T" => Value::Bool(true),
            "false" | "False" | "FALSE" | "0" | "f" | "F" => Value::Bool(false),
            _ => return Err(bad("a boolean")),
        },
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            Value::I32(text.parse().map_err(|_| bad("a 32-bit integer"))?)
        }
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            Value::I64(text.parse().map_err(|_| bad("a 64-bit integer"))?)
        }
        Kind::Uint32 | Kind::Fixed32 => Value::U32(
            text.parse()
                .map_err(|_| bad("an unsigned 32-bit integer"))?,
        ),
        Kind::Uint64 | Kind::Fixed64 => Value::U64(
            text.parse()
                .map_err(|_| bad("an unsigned 64-bit integer"))?,
        ),
        Kind::Float => Value::F32(text.parse().map_err(|_| bad("a number"))?),
        Kind::Double => Value::F64(text.parse().map_err(|_| bad("a number"))?),
        Kind::Bytes => Value::Bytes(decode_base64(text).ok_or_else(|| bad("base64"))?.into()),
        Kind::Enum(e) => match e.get_value_by_name(text) {
            Some(v) => Value::EnumNumber(v.number()),
            None => match text.parse::<i32>() {
                Ok(n) if e.get_value(n).is_some() => Value::EnumNumber(n),
                _ => return Err(bad(&format!("a value of {}", e.full_name()))),
            },
        },
        Kind::Message(m) => return Err(format!("{} cannot be set from a URL", m.full_name())),
    })
}

/// Standard or URL-safe base64, padded or not, as the gateway accepts.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    [STANDARD, URL_SAFE, STANDARD_NO_PAD, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
}

/// A request from a JSON body (POST routes with `body: "*"`): proto or JSON field names,
/// unknown fields refused, as the gateway's unmarshaler does.
pub fn parse_body(desc: MessageDescriptor, body: &[u8]) -> Result<DynamicMessage, String> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let msg = DynamicMessage::deserialize(desc, &mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    fn desc(name: &str) -> MessageDescriptor {
        routes::pool().unwrap().get_message_by_name(name).unwrap()
    }

    #[test]
    fn responses_render_as_the_sdk_gateway_renders_them() {
        use cosmrs::proto::cosmos::auth::v1beta1 as auth;
        use cosmrs::proto::cosmos::bank::v1beta1 as bank;
        let resp = bank::QueryAllBalancesResponse {
            balances: vec![],
            pagination: Some(cosmrs::proto::cosmos::base::query::v1beta1::PageResponse {
                next_key: vec![],
                total: 3,
            }),
        };
        let msg = DynamicMessage::decode(
            desc("cosmos.bank.v1beta1.QueryAllBalancesResponse"),
            resp.encode_to_vec().as_slice(),
        )
        .unwrap();
        assert_eq!(
            render(&msg),
            serde_json::json!({"balances": [], "pagination": {"next_key": null, "total": "3"}})
        );

        let account = auth::BaseAccount {
            address: "cosmos1x".into(),
            pub_key: Some(cosmrs::Any {
                type_url: "/cosmos.crypto.secp256k1.PubKey".into(),
                value: cosmrs::proto::cosmos::crypto::secp256k1::PubKey { key: vec![2; 33] }
                    .encode_to_vec(),
            }),
            account_number: 7,
            sequence: 0,
        };
        let resp = auth::QueryAccountResponse {
            account: Some(cosmrs::Any {
                type_url: "/cosmos.auth.v1beta1.BaseAccount".into(),
                value: account.encode_to_vec(),
            }),
        };
        let msg = DynamicMessage::decode(
            desc("cosmos.auth.v1beta1.QueryAccountResponse"),
            resp.encode_to_vec().as_slice(),
        )
        .unwrap();
        let json = render(&msg);
        assert_eq!(json["account"]["@type"], "/cosmos.auth.v1beta1.BaseAccount");
        assert_eq!(json["account"]["account_number"], "7");
        assert_eq!(json["account"]["sequence"], "0");
        assert_eq!(
            json["account"]["pub_key"]["@type"],
            "/cosmos.crypto.secp256k1.PubKey"
        );
        assert_eq!(
            json["account"]["pub_key"]["key"],
            "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIC"
        );

        let unknown = auth::QueryAccountResponse {
            account: Some(cosmrs::Any {
                type_url: "/x.Unknown".into(),
                value: vec![1, 2],
            }),
        };
        let msg = DynamicMessage::decode(
            desc("cosmos.auth.v1beta1.QueryAccountResponse"),
            unknown.encode_to_vec().as_slice(),
        )
        .unwrap();
        assert_eq!(
            render(&msg)["account"],
            serde_json::json!({"@type": "/x.Unknown", "value": "AQI="})
        );
        let empty = DynamicMessage::new(desc("cosmos.auth.v1beta1.QueryAccountResponse"));
        assert_eq!(render(&empty), serde_json::json!({"account": null}));
    }

    #[test]
    fn url_parameters_set_fields_as_the_gateway_sets_them() {
        let mut msg = DynamicMessage::new(desc("cosmos.bank.v1beta1.QueryAllBalancesRequest"));
        let one = |s: &str| vec![s.to_string()];
        set_param(&mut msg, "address", &one("cosmos1x"), false).unwrap();
        set_param(&mut msg, "pagination.limit", &one("5"), false).unwrap();
        set_param(&mut msg, "pagination.countTotal", &one("true"), false).unwrap();
        set_param(&mut msg, "pagination.key", &one("AQI="), false).unwrap();
        set_param(&mut msg, "no_such_field", &one("x"), false).unwrap();
        let req = cosmrs::proto::cosmos::bank::v1beta1::QueryAllBalancesRequest::decode(
            msg.encode_to_vec().as_slice(),
        )
        .unwrap();
        assert_eq!(req.address, "cosmos1x");
        let page = req.pagination.unwrap();
        assert_eq!(
            (page.limit, page.count_total, page.key),
            (5, true, vec![1, 2])
        );
        let err = set_param(&mut msg, "pagination.limit", &one("-1"), false).unwrap_err();
        assert!(err.contains("pagination.limit"), "{err}");
        assert!(set_param(&mut msg, "pagination.key", &one("%%%"), false).is_err());

        let mut msg =
            DynamicMessage::new(desc("ibc.core.channel.v1.QueryUnreceivedPacketsRequest"));
        set_param(
            &mut msg,
            "packet_commitment_sequences",
            &["1,3".into()],
            true,
        )
        .unwrap();
        let req = ibc_proto::ibc::core::channel::v1::QueryUnreceivedPacketsRequest::decode(
            msg.encode_to_vec().as_slice(),
        )
        .unwrap();
        assert_eq!(req.packet_commitment_sequences, [1, 3]);

        let body = br#"{"tx_bytes": "AQI=", "mode": "BROADCAST_MODE_SYNC"}"#;
        let msg = parse_body(desc("cosmos.tx.v1beta1.BroadcastTxRequest"), body).unwrap();
        let req = cosmrs::proto::cosmos::tx::v1beta1::BroadcastTxRequest::decode(
            msg.encode_to_vec().as_slice(),
        )
        .unwrap();
        assert_eq!((req.tx_bytes, req.mode), (vec![1, 2], 2));
        assert!(parse_body(
            desc("cosmos.tx.v1beta1.BroadcastTxRequest"),
            br#"{"nope": 1}"#
        )
        .is_err());
        assert!(parse_body(desc("cosmos.tx.v1beta1.BroadcastTxRequest"), b"{} x").is_err());
    }
}
