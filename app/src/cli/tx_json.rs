//! Transactions as the Cosmos SDK prints them (protobuf JSON: proto field names, 64-bit numbers
//! as strings, bytes as base64, `Any` with `@type`), for offline signing: `--generate-only`,
//! `tx sign`, `tx broadcast`, `tx encode`, `tx decode`, `tx simulate`. Nothing here is written
//! per message: the JSON of a transaction and of every message in it comes from the protobuf
//! descriptors the REST gateway renders with (the SDK's, IBC's and Estuary's own messages), in
//! the gateway's shape; a message the descriptors do not know is refused with its type URL.

use anyhow::{anyhow, bail, Context, Result};
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::tx::v1beta1 as tx_pb;
use cosmrs::Any;
use prost::Message;
use prost_reflect::{DynamicMessage, MessageDescriptor};
use serde_json::Value;

use crate::rest::{json as gateway, routes};

/// IBC client recovery, signed by the chain's authority.
pub const RECOVER_CLIENT: &str = "/ibc.core.client.v1.MsgRecoverClient";

fn descriptor(name: &str) -> Result<MessageDescriptor> {
    routes::pool()
        .map_err(anyhow::Error::msg)?
        .get_message_by_name(name)
        .ok_or_else(|| anyhow!("no JSON form for message /{name}"))
}

/// `value` decoded as `desc` and rendered as the gateway renders it.
fn render(desc: MessageDescriptor, value: &[u8]) -> Result<Value> {
    let what = desc.full_name().to_string();
    let msg = DynamicMessage::decode(desc, value).with_context(|| format!("decoding {what}"))?;
    Ok(gateway::render(&msg))
}

/// `v` parsed as `desc` (proto or JSON field names; unknown fields refused) and encoded.
fn parse(desc: MessageDescriptor, v: Value) -> Result<Vec<u8>> {
    let what = desc.full_name().to_string();
    let msg = DynamicMessage::deserialize(desc, v).with_context(|| format!("reading {what}"))?;
    Ok(msg.encode_to_vec())
}

/// A transaction as protobuf JSON.
pub fn tx_to_json(tx: &tx_pb::Tx) -> Result<Value> {
    render(descriptor("cosmos.tx.v1beta1.Tx")?, &tx.encode_to_vec())
}

/// A transaction from protobuf JSON.
pub fn tx_from_json(v: &Value) -> Result<tx_pb::Tx> {
    let body = v.get("body").filter(|b| b.is_object());
    let body = body.ok_or_else(|| anyhow!("no body"))?;
    if !v.get("auth_info").is_some_and(Value::is_object) {
        bail!("no auth_info");
    }
    for key in ["extension_options", "non_critical_extension_options"] {
        if body
            .get(key)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
        {
            bail!("{key} are not supported");
        }
    }
    let bytes = parse(descriptor("cosmos.tx.v1beta1.Tx")?, v.clone())?;
    tx_pb::Tx::decode(bytes.as_slice()).context("a transaction")
}

/// Messages written as protobuf JSON with `@type` (a proposal file's `messages`), encoded.
pub fn msgs_from_json(msgs: &[Value]) -> Result<Vec<Any>> {
    let body = serde_json::json!({ "messages": msgs });
    let bytes = parse(descriptor("cosmos.tx.v1beta1.TxBody")?, body)?;
    let body = tx_pb::TxBody::decode(bytes.as_slice()).context("messages")?;
    Ok(body
        .messages
        .into_iter()
        .map(|m| Any {
            type_url: m.type_url,
            value: m.value,
        })
        .collect())
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
    use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
    use cosmrs::proto::cosmos::crypto::secp256k1::PubKey;
    use cosmrs::proto::cosmos::tx::signing::v1beta1::SignMode;
    use ibc_proto::ibc::applications::transfer::v1::MsgTransfer;
    use ibc_proto::ibc::core::client::v1::Height;
    use serde_json::json;

    const PUBKEY_URL: &str = "/cosmos.crypto.secp256k1.PubKey";

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

    /// A one-message unsigned transaction through JSON and back.
    fn round_trip(msg: Any) -> Value {
        let tx = unsigned(&[msg], "", 0, &[], 1);
        let v = tx_to_json(&tx).unwrap();
        assert_eq!(tx_bytes(&tx_from_json(&v).unwrap()), tx_bytes(&tx));
        v["body"]["messages"][0].clone()
    }

    #[test]
    fn every_message_the_descriptors_know_has_a_json_form() {
        let recover = ibc_proto::ibc::core::client::v1::MsgRecoverClient {
            subject_client_id: "07-tendermint-0".into(),
            substitute_client_id: "07-tendermint-1".into(),
            signer: "estuary1a".into(),
        };
        let v = round_trip(Any {
            type_url: RECOVER_CLIENT.into(),
            value: recover.encode_to_vec(),
        });
        assert_eq!(v["@type"], RECOVER_CLIENT);
        assert_eq!(v["substitute_client_id"], "07-tendermint-1");
        let power = estuary_validators::MsgSetValidatorPower {
            authority: "estuary1a".into(),
            name: "v".into(),
            pub_key: vec![9; 32],
            power: 10,
            operator: String::new(),
        };
        let v = round_trip(Any {
            type_url: estuary_validators::MSG_SET_VALIDATOR_POWER.into(),
            value: power.encode_to_vec(),
        });
        assert_eq!(v["power"], "10");
        assert_eq!(v["pub_key"], "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=");
        // An IBC upgrade, its upgraded client state an Any inside (as a proposal file holds it).
        let client = estuary_client::ibc_msgs::tendermint_client_state(
            &estuary_client::ibc_msgs::ClientParams {
                chain_id: "estuary-a-2".into(),
                trusting_period_secs: 0,
                unbonding_period_secs: 100,
                max_clock_drift_secs: 0,
                latest_height: ibc_proto::ibc::core::client::v1::Height {
                    revision_number: 2,
                    revision_height: 41,
                },
                proof_specs: estuary_sdk::store::proof_specs(),
            },
        );
        #[allow(deprecated)]
        let upgrade = ibc_proto::ibc::core::client::v1::MsgIbcSoftwareUpgrade {
            plan: Some(ibc_proto::cosmos::upgrade::v1beta1::Plan {
                name: "v2".into(),
                height: 42,
                // Go's zero time, as the SDK always encodes the plan's (non-nullable) time.
                time: Some(ibc_proto::google::protobuf::Timestamp {
                    seconds: -62_135_596_800,
                    nanos: 0,
                }),
                ..Default::default()
            }),
            upgraded_client_state: Some(ibc_proto::google::protobuf::Any {
                type_url: client.type_url,
                value: client.value,
            }),
            signer: "estuary1a".into(),
        };
        let v = round_trip(Any {
            type_url: estuary_ibc::client_upgrade::MSG_IBC_SOFTWARE_UPGRADE.into(),
            value: upgrade.encode_to_vec(),
        });
        assert_eq!(v["plan"]["height"], "42");
        assert_eq!(v["upgraded_client_state"]["chain_id"], "estuary-a-2");
        assert_eq!(
            v["upgraded_client_state"]["@type"],
            "/ibc.lightclients.tendermint.v1.ClientState"
        );
        let parsed = msgs_from_json(&[v]).unwrap();
        assert_eq!(parsed[0].value, upgrade.encode_to_vec());
    }

    #[test]
    fn unknown_messages_and_bad_fields_are_refused() {
        let with_msg =
            |m: Value| json!({"body": {"messages": [m]}, "auth_info": {}, "signatures": []});
        assert!(tx_from_json(&with_msg(json!({"@type": "/x.Msg"}))).is_err());
        assert!(tx_from_json(&with_msg(json!({"from_address": "a"}))).is_err());
        assert!(tx_from_json(&with_msg(
            json!({"@type": estuary_bank::MSG_SEND, "amount": "5stake"})
        ))
        .is_err());
        assert!(tx_from_json(&with_msg(
            json!({"@type": estuary_bank::MSG_SEND, "no_such_field": 1})
        ))
        .is_err());
        assert!(tx_from_json(&with_msg(json!({"@type": estuary_bank::MSG_SEND}))).is_ok());
        assert!(
            tx_from_json(&json!({"body": {"messages": []}})).is_err(),
            "no auth_info"
        );
        assert!(tx_from_bytes(&[1, 2, 3]).is_err());
    }
}
