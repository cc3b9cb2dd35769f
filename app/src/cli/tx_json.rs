//! Transactions as the Cosmos SDK prints them (protobuf JSON: proto field names, 64-bit numbers
//! as strings, bytes as base64, `Any` with `@type`), for offline signing: `--generate-only`,
//! `tx sign`, `tx broadcast`, `tx encode`, `tx decode`, `tx simulate`. The JSON of a message is
//! written by hand for the messages users sign (bank `MsgSend`, ICS-20 `MsgTransfer`, the
//! validators' `MsgSetValidatorPower`); any other message is refused with its type URL.

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine;
use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::crypto::secp256k1::PubKey;
use cosmrs::proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmrs::proto::cosmos::tx::v1beta1 as tx_pb;
use cosmrs::Any;
use ibc_proto::ibc::applications::transfer::v1::MsgTransfer;
use ibc_proto::ibc::core::client::v1::MsgRecoverClient;

/// IBC client recovery, signed by the chain's authority.
pub const RECOVER_CLIENT: &str = "/ibc.core.client.v1.MsgRecoverClient";
use ibc_proto::ibc::core::client::v1::Height;
use prost::Message;
use serde_json::{json, Value};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const PUBKEY_URL: &str = "/cosmos.crypto.secp256k1.PubKey";

fn coins_json(coins: &[ProtoCoin]) -> Value {
    Value::Array(
        coins
            .iter()
            .map(|c| json!({"denom": c.denom, "amount": c.amount}))
            .collect(),
    )
}

fn str_field<'a>(v: &'a Value, key: &str) -> Result<&'a str> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(""),
        Some(Value::String(s)) => Ok(s),
        Some(other) => bail!("{key} must be a string, not {other}"),
    }
}

/// A 64-bit number written as a string (protobuf JSON), or as a number.
fn u64_field(v: &Value, key: &str) -> Result<u64> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::String(s)) if s.is_empty() => Ok(0),
        Some(Value::String(s)) => s.parse().with_context(|| format!("{key}: {s:?}")),
        Some(Value::Number(n)) => n.as_u64().ok_or_else(|| anyhow!("{key}: {n}")),
        Some(other) => bail!("{key} must be a number, not {other}"),
    }
}

fn coins_field(v: &Value, key: &str) -> Result<Vec<ProtoCoin>> {
    let Some(list) = v.get(key).filter(|x| !x.is_null()) else {
        return Ok(vec![]);
    };
    list.as_array()
        .ok_or_else(|| anyhow!("{key} must be a list of coins"))?
        .iter()
        .map(|c| {
            Ok(ProtoCoin {
                denom: str_field(c, "denom")?.to_string(),
                amount: str_field(c, "amount")?.to_string(),
            })
        })
        .collect()
}

/// A message as protobuf JSON.
pub fn msg_to_json(any: &Any) -> Result<Value> {
    let bad = |e: prost::DecodeError| anyhow!("{}: {e}", any.type_url);
    Ok(match any.type_url.as_str() {
        estuary_bank::MSG_SEND => {
            let m = MsgSend::decode(any.value.as_slice()).map_err(bad)?;
            json!({"@type": any.type_url, "from_address": m.from_address, "to_address": m.to_address,
                   "amount": coins_json(&m.amount)})
        }
        estuary_ibc::transfer::MSG_TRANSFER => {
            let m = MsgTransfer::decode(any.value.as_slice()).map_err(bad)?;
            let h = m.timeout_height.unwrap_or_default();
            let token = m.token.unwrap_or_default();
            json!({"@type": any.type_url, "source_port": m.source_port, "source_channel": m.source_channel,
                   "token": {"denom": token.denom, "amount": token.amount},
                   "sender": m.sender, "receiver": m.receiver,
                   "timeout_height": {"revision_number": h.revision_number.to_string(),
                                      "revision_height": h.revision_height.to_string()},
                   "timeout_timestamp": m.timeout_timestamp.to_string(), "memo": m.memo})
        }
        estuary_validators::MSG_SET_VALIDATOR_POWER => {
            let m = estuary_validators::MsgSetValidatorPower::decode(any.value.as_slice())
                .map_err(bad)?;
            json!({"@type": any.type_url, "authority": m.authority, "name": m.name,
                   "pub_key": B64.encode(&m.pub_key), "power": m.power.to_string()})
        }
        RECOVER_CLIENT => {
            let m = MsgRecoverClient::decode(any.value.as_slice()).map_err(bad)?;
            json!({"@type": any.type_url, "subject_client_id": m.subject_client_id,
                   "substitute_client_id": m.substitute_client_id, "signer": m.signer})
        }
        other => bail!("no JSON form for message {other}"),
    })
}

/// A message from protobuf JSON.
pub fn msg_from_json(v: &Value) -> Result<Any> {
    let type_url = str_field(v, "@type")?;
    let value = match type_url {
        estuary_bank::MSG_SEND => MsgSend {
            from_address: str_field(v, "from_address")?.into(),
            to_address: str_field(v, "to_address")?.into(),
            amount: coins_field(v, "amount")?,
        }
        .encode_to_vec(),
        estuary_ibc::transfer::MSG_TRANSFER => {
            let token = v.get("token").cloned().unwrap_or(Value::Null);
            let h = v.get("timeout_height").cloned().unwrap_or(Value::Null);
            MsgTransfer {
                source_port: str_field(v, "source_port")?.into(),
                source_channel: str_field(v, "source_channel")?.into(),
                token: Some(ProtoCoin {
                    denom: str_field(&token, "denom")?.into(),
                    amount: str_field(&token, "amount")?.into(),
                }),
                sender: str_field(v, "sender")?.into(),
                receiver: str_field(v, "receiver")?.into(),
                // Always present, as ibc-go's CLI and cosmjs write it (a non-nullable field).
                timeout_height: Some(Height {
                    revision_number: u64_field(&h, "revision_number")?,
                    revision_height: u64_field(&h, "revision_height")?,
                }),
                timeout_timestamp: u64_field(v, "timeout_timestamp")?,
                memo: str_field(v, "memo")?.into(),
            }
            .encode_to_vec()
        }
        estuary_validators::MSG_SET_VALIDATOR_POWER => estuary_validators::MsgSetValidatorPower {
            authority: str_field(v, "authority")?.into(),
            name: str_field(v, "name")?.into(),
            pub_key: B64
                .decode(str_field(v, "pub_key")?)
                .context("pub_key must be base64")?,
            power: u64_field(v, "power")?,
        }
        .encode_to_vec(),
        RECOVER_CLIENT => MsgRecoverClient {
            subject_client_id: str_field(v, "subject_client_id")?.into(),
            substitute_client_id: str_field(v, "substitute_client_id")?.into(),
            signer: str_field(v, "signer")?.into(),
        }
        .encode_to_vec(),
        "" => bail!("a message without @type"),
        other => bail!("no JSON form for message {other}"),
    };
    Ok(Any {
        type_url: type_url.into(),
        value,
    })
}

fn mode_name(mode: i32) -> &'static str {
    SignMode::try_from(mode).map_or("SIGN_MODE_UNSPECIFIED", |m| m.as_str_name())
}

/// A transaction as protobuf JSON.
pub fn tx_to_json(tx: &tx_pb::Tx) -> Result<Value> {
    let body = tx.body.clone().unwrap_or_default();
    let auth = tx.auth_info.clone().unwrap_or_default();
    let fee = auth.fee.clone().unwrap_or_default();
    let signer_infos = auth
        .signer_infos
        .iter()
        .map(|s| {
            let public_key = match &s.public_key {
                Some(pk) if pk.type_url == PUBKEY_URL => {
                    let key = PubKey::decode(pk.value.as_slice()).context("public key")?;
                    json!({"@type": PUBKEY_URL, "key": B64.encode(key.key)})
                }
                Some(pk) => bail!("no JSON form for public key {}", pk.type_url),
                None => Value::Null,
            };
            let mode = match s.mode_info.as_ref().and_then(|m| m.sum.as_ref()) {
                Some(tx_pb::mode_info::Sum::Single(single)) => single.mode,
                _ => bail!("only single-signer mode info has a JSON form here"),
            };
            Ok(
                json!({"public_key": public_key, "mode_info": {"single": {"mode": mode_name(mode)}},
                      "sequence": s.sequence.to_string()}),
            )
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(json!({
        "body": {
            "messages": body.messages.iter().map(|m| msg_to_json(&Any { type_url: m.type_url.clone(), value: m.value.clone() })).collect::<Result<Vec<_>>>()?,
            "memo": body.memo,
            "timeout_height": body.timeout_height.to_string(),
            "extension_options": [],
            "non_critical_extension_options": [],
        },
        "auth_info": {
            "signer_infos": signer_infos,
            "fee": {"amount": coins_json(&fee.amount), "gas_limit": fee.gas_limit.to_string(),
                    "payer": fee.payer, "granter": fee.granter},
            "tip": null,
        },
        "signatures": tx.signatures.iter().map(|s| B64.encode(s)).collect::<Vec<_>>(),
    }))
}

/// A transaction from protobuf JSON.
pub fn tx_from_json(v: &Value) -> Result<tx_pb::Tx> {
    let body = v.get("body").ok_or_else(|| anyhow!("no body"))?;
    let auth = v.get("auth_info").ok_or_else(|| anyhow!("no auth_info"))?;
    for key in ["extension_options", "non_critical_extension_options"] {
        if body
            .get(key)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
        {
            bail!("{key} are not supported");
        }
    }
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("body.messages must be a list"))?
        .iter()
        .map(|m| {
            msg_from_json(m).map(|a| cosmrs::proto::Any {
                type_url: a.type_url,
                value: a.value,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let fee = auth.get("fee").cloned().unwrap_or(Value::Null);
    let signer_infos = auth
        .get("signer_infos")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|s| {
            let public_key = match s.get("public_key").filter(|p| !p.is_null()) {
                Some(pk) => {
                    if str_field(pk, "@type")? != PUBKEY_URL {
                        bail!("only {PUBKEY_URL} public keys are supported");
                    }
                    let key = B64.decode(str_field(pk, "key")?).context("public key")?;
                    Some(cosmrs::proto::Any {
                        type_url: PUBKEY_URL.into(),
                        value: PubKey { key }.encode_to_vec(),
                    })
                }
                None => None,
            };
            let mode_name = s
                .pointer("/mode_info/single/mode")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("signer info without mode_info.single.mode"))?;
            let mode = SignMode::from_str_name(mode_name)
                .ok_or_else(|| anyhow!("unknown sign mode {mode_name}"))?;
            Ok(tx_pb::SignerInfo {
                public_key,
                mode_info: Some(tx_pb::ModeInfo {
                    sum: Some(tx_pb::mode_info::Sum::Single(tx_pb::mode_info::Single {
                        mode: mode as i32,
                    })),
                }),
                sequence: u64_field(s, "sequence")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let signatures = v
        .get("signatures")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|s| {
            s.as_str()
                .ok_or_else(|| anyhow!("a signature must be a base64 string"))
                .and_then(|s| B64.decode(s).context("signature"))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(tx_pb::Tx {
        body: Some(tx_pb::TxBody {
            messages,
            memo: str_field(body, "memo")?.into(),
            timeout_height: u64_field(body, "timeout_height")?,
            extension_options: vec![],
            non_critical_extension_options: vec![],
        }),
        auth_info: Some(tx_pb::AuthInfo {
            signer_infos,
            fee: Some(tx_pb::Fee {
                amount: coins_field(&fee, "amount")?,
                gas_limit: u64_field(&fee, "gas_limit")?,
                payer: str_field(&fee, "payer")?.into(),
                granter: str_field(&fee, "granter")?.into(),
            }),
            ..Default::default()
        }),
        signatures,
    })
}

/// The bytes a node takes (`TxRaw`).
pub fn tx_bytes(tx: &tx_pb::Tx) -> Vec<u8> {
    tx_pb::TxRaw {
        body_bytes: tx
            .body
            .as_ref()
            .map(Message::encode_to_vec)
            .unwrap_or_default(),
        auth_info_bytes: tx
            .auth_info
            .as_ref()
            .map(Message::encode_to_vec)
            .unwrap_or_default(),
        signatures: tx.signatures.clone(),
    }
    .encode_to_vec()
}

/// A transaction from the bytes a node takes.
pub fn tx_from_bytes(bytes: &[u8]) -> Result<tx_pb::Tx> {
    let raw = tx_pb::TxRaw::decode(bytes).context("not a transaction (TxRaw)")?;
    Ok(tx_pb::Tx {
        body: Some(tx_pb::TxBody::decode(raw.body_bytes.as_slice()).context("body")?),
        auth_info: Some(
            tx_pb::AuthInfo::decode(raw.auth_info_bytes.as_slice()).context("auth info")?,
        ),
        signatures: raw.signatures,
    })
}

/// An unsigned transaction (no signer infos, no signatures), as `--generate-only` prints it.
pub fn unsigned(
    messages: &[Any],
    memo: &str,
    timeout_height: u64,
    fee: &[ProtoCoin],
    gas_limit: u64,
) -> tx_pb::Tx {
    tx_pb::Tx {
        body: Some(tx_pb::TxBody {
            messages: messages
                .iter()
                .map(|m| cosmrs::proto::Any {
                    type_url: m.type_url.clone(),
                    value: m.value.clone(),
                })
                .collect(),
            memo: memo.into(),
            timeout_height,
            extension_options: vec![],
            non_critical_extension_options: vec![],
        }),
        auth_info: Some(tx_pb::AuthInfo {
            signer_infos: vec![],
            fee: Some(tx_pb::Fee {
                amount: fee.to_vec(),
                gas_limit,
                payer: String::new(),
                granter: String::new(),
            }),
            ..Default::default()
        }),
        signatures: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trips_to_the_same_bytes() {
        let send = Any {
            type_url: estuary_bank::MSG_SEND.into(),
            value: MsgSend {
                from_address: "estuary1a".into(),
                to_address: "estuary1b".into(),
                amount: vec![ProtoCoin {
                    denom: "stake".into(),
                    amount: "5".into(),
                }],
            }
            .encode_to_vec(),
        };
        let transfer = Any {
            type_url: estuary_ibc::transfer::MSG_TRANSFER.into(),
            value: MsgTransfer {
                source_port: "transfer".into(),
                source_channel: "channel-0".into(),
                token: Some(ProtoCoin {
                    denom: "stake".into(),
                    amount: "7".into(),
                }),
                sender: "estuary1a".into(),
                receiver: "cosmos1b".into(),
                timeout_height: Some(Height {
                    revision_number: 1,
                    revision_height: 500,
                }),
                timeout_timestamp: 1_700_000_000_000_000_000,
                memo: "hi".into(),
            }
            .encode_to_vec(),
        };
        let mut tx = unsigned(
            &[send, transfer],
            "note",
            9,
            &[ProtoCoin {
                denom: "stake".into(),
                amount: "1".into(),
            }],
            200_000,
        );
        tx.auth_info
            .as_mut()
            .unwrap()
            .signer_infos
            .push(tx_pb::SignerInfo {
                public_key: Some(cosmrs::proto::Any {
                    type_url: PUBKEY_URL.into(),
                    value: PubKey { key: vec![2; 33] }.encode_to_vec(),
                }),
                mode_info: Some(tx_pb::ModeInfo {
                    sum: Some(tx_pb::mode_info::Sum::Single(tx_pb::mode_info::Single {
                        mode: SignMode::Direct as i32,
                    })),
                }),
                sequence: 4,
            });
        tx.signatures.push(vec![7; 64]);
        let v = tx_to_json(&tx).unwrap();
        assert_eq!(v["auth_info"]["fee"]["gas_limit"], "200000");
        assert_eq!(
            v["body"]["messages"][1]["timeout_height"]["revision_height"],
            "500"
        );
        assert_eq!(
            v["auth_info"]["signer_infos"][0]["mode_info"]["single"]["mode"],
            "SIGN_MODE_DIRECT"
        );
        let back = tx_from_json(&v).unwrap();
        assert_eq!(tx_bytes(&back), tx_bytes(&tx));
        assert_eq!(
            tx_bytes(&tx_from_bytes(&tx_bytes(&tx)).unwrap()),
            tx_bytes(&tx)
        );
    }

    #[test]
    fn unknown_messages_and_bad_fields_are_refused() {
        assert!(msg_from_json(&json!({"@type": "/x.Msg"})).is_err());
        assert!(msg_from_json(&json!({"from_address": "a"})).is_err());
        assert!(
            msg_from_json(&json!({"@type": estuary_bank::MSG_SEND, "amount": "5stake"})).is_err()
        );
        assert!(
            tx_from_json(&json!({"body": {"messages": []}})).is_err(),
            "no auth_info"
        );
        assert!(tx_from_bytes(&[1, 2, 3]).is_err());
    }
}
