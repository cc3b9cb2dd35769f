//! Legacy amino JSON, as SIGN_MODE_LEGACY_AMINO_JSON signs it (Ledger, Keplr's amino path,
//! cosmjs' `signAmino`): a `StdSignDoc` whose messages are `{"type": <amino name>, "value": …}`,
//! serialised with sorted keys, no whitespace, and `&`, `<`, `>` escaped — what cosmjs'
//! `serializeSignDoc` and the SDK's `aminojson` encoder both produce.

use serde_json::{json, Value};

/// A coin list as amino JSON writes it: `[{"amount": "1", "denom": "stake"}]`, in the order
/// the message holds them.
pub fn coins(coins: &[cosmrs::proto::cosmos::base::v1beta1::Coin]) -> Value {
    Value::Array(
        coins
            .iter()
            .map(|c| json!({"amount": c.amount, "denom": c.denom}))
            .collect(),
    )
}

/// A message in a sign doc.
pub fn msg(amino_name: &str, value: Value) -> Value {
    json!({"type": amino_name, "value": value})
}

/// `value` with sorted keys and no whitespace, then `&`, `<`, `>` as `\u0026`, `\u003c`,
/// `\u003e` (Go's JSON escaping, which cosmjs reproduces).
pub fn canonical_bytes(value: &Value) -> Vec<u8> {
    let mut out = String::new();
    write_sorted(value, &mut out);
    out.replace('&', "\\u0026")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .into_bytes()
}

fn write_sorted(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_sorted(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_at_every_level_and_html_characters_are_escaped() {
        let v = json!({"b": {"z": 1, "a": [ {"y": "<&>", "x": null} ]}, "a": "é"});
        assert_eq!(
            String::from_utf8(canonical_bytes(&v)).unwrap(),
            r#"{"a":"é","b":{"a":[{"x":null,"y":"\u003c\u0026\u003e"}],"z":1}}"#
        );
    }
}
