//! The validator set's messages: powers (the chain's authority), the operator that votes for a
//! validator in governance (the authority, or the operator itself to rotate), and the admin's
//! one-way hand-over of its powers to governance.

use estuary_sdk::{Address, Any, Event, Msg, Signers, TxContext, TxError, TxResult};
use prost::Message;

use crate::keeper::{ensure_authority, set_operator, set_power, ValidatorsReader};
use crate::state_key;

pub const MSG_SET_VALIDATOR_POWER: &str = "/estuary.validators.v1.MsgSetValidatorPower";
pub const MSG_ROTATE_OPERATOR: &str = "/estuary.validators.v1.MsgRotateOperator";
pub const MSG_HAND_OVER_TO_GOV: &str = "/estuary.validators.v1.MsgHandOverToGov";

/// Sets a validator's voting power; only the chain's authority may send it. Power 0 removes it.
#[derive(Clone, PartialEq, Message)]
pub struct MsgSetValidatorPower {
    #[prost(string, tag = "1")]
    pub authority: String,
    #[prost(string, tag = "2")]
    pub name: String,
    /// The ed25519 consensus key, 32 bytes.
    #[prost(bytes = "vec", tag = "3")]
    pub pub_key: Vec<u8>,
    #[prost(uint64, tag = "4")]
    pub power: u64,
    /// The account that votes for this validator in governance; empty leaves it as it is.
    #[prost(string, tag = "5")]
    pub operator: String,
}

/// A validator's operator hands its vote to another account (a lost or rotated key).
#[derive(Clone, PartialEq, Message)]
pub struct MsgRotateOperator {
    #[prost(string, tag = "1")]
    pub operator: String,
    #[prost(bytes = "vec", tag = "2")]
    pub pub_key: Vec<u8>,
    #[prost(string, tag = "3")]
    pub new_operator: String,
}

/// The genesis admin gives up its powers: from then on only governance holds them. There is no
/// way back (no message sets an admin).
#[derive(Clone, PartialEq, Message)]
pub struct MsgHandOverToGov {
    #[prost(string, tag = "1")]
    pub admin: String,
}

pub struct SetValidatorPower {
    raw: MsgSetValidatorPower,
    authority: Address,
    key: [u8; 32],
    operator: Option<Address>,
    signers: Signers,
}

pub struct RotateOperator {
    operator: Address,
    key: [u8; 32],
    new_operator: Address,
    signers: Signers,
}

pub struct HandOverToGov {
    admin: Address,
    signers: Signers,
}

fn consensus_key(bytes: &[u8]) -> TxResult<[u8; 32]> {
    bytes
        .try_into()
        .map_err(|_| TxError::InvalidPubKey("ed25519 keys are 32 bytes".into()))
}

pub fn decode(msg: &Any) -> TxResult<Box<dyn Msg>> {
    match msg.type_url.as_str() {
        MSG_SET_VALIDATOR_POWER => {
            let raw: MsgSetValidatorPower =
                estuary_sdk::proto::decode_strict(&msg.value, "MsgSetValidatorPower")?;
            let authority = Address::parse(&raw.authority)?;
            let key = consensus_key(&raw.pub_key)?;
            let operator = match raw.operator.as_str() {
                "" => None,
                s => Some(Address::parse(s)?),
            };
            Ok(Box::new(SetValidatorPower {
                raw,
                authority,
                key,
                operator,
                signers: Signers::one(authority),
            }))
        }
        MSG_ROTATE_OPERATOR => {
            let raw: MsgRotateOperator =
                estuary_sdk::proto::decode_strict(&msg.value, "MsgRotateOperator")?;
            let operator = Address::parse(&raw.operator)?;
            Ok(Box::new(RotateOperator {
                operator,
                key: consensus_key(&raw.pub_key)?,
                new_operator: Address::parse(&raw.new_operator)?,
                signers: Signers::one(operator),
            }))
        }
        MSG_HAND_OVER_TO_GOV => {
            let raw: MsgHandOverToGov =
                estuary_sdk::proto::decode_strict(&msg.value, "MsgHandOverToGov")?;
            let admin = Address::parse(&raw.admin)?;
            Ok(Box::new(HandOverToGov {
                admin,
                signers: Signers::one(admin),
            }))
        }
        other => Err(TxError::UnknownRequest(format!(
            "unrecognized message type: {other}"
        ))),
    }
}

impl Msg for SetValidatorPower {
    fn signers(&self) -> &Signers {
        &self.signers
    }

    fn execute(&self, ctx: &mut TxContext<'_>) -> TxResult {
        let m = &self.raw;
        ensure_authority(ctx, &self.authority, "change validator powers")?;
        set_power(ctx.state, &m.name, self.key, m.power)?;
        if m.power > 0 {
            if let Some(operator) = self.operator {
                set_operator(ctx.state, self.key, Some(operator))?;
            }
        }
        let mut event = Event::new("set_validator_power")
            .attr("pub_key", hex::encode(self.key))
            .attr("power", m.power)
            .attr("authority", self.authority);
        if let Some(op) = ctx.state().operator_of(&self.key)? {
            event = event.attr("operator", op);
        }
        ctx.emit(event);
        Ok(())
    }

    /// Amino JSON, so that a multisig admin (whose members sign amino JSON) and Ledger can sign
    /// it: `estuary/MsgSetValidatorPower`, the key in base64 and the power as a string (amino's
    /// forms for bytes and 64-bit integers); an empty operator is omitted, as amino omits
    /// empty fields.
    fn amino_json(&self) -> Option<TxResult<serde_json::Value>> {
        use base64::Engine;
        let m = &self.raw;
        let mut value = serde_json::Map::new();
        value.insert("authority".into(), m.authority.clone().into());
        value.insert("name".into(), m.name.clone().into());
        value.insert("power".into(), m.power.to_string().into());
        let key = base64::engine::general_purpose::STANDARD.encode(&m.pub_key);
        value.insert("pub_key".into(), key.into());
        if !m.operator.is_empty() {
            value.insert("operator".into(), m.operator.clone().into());
        }
        Some(Ok(estuary_sdk::amino::msg(
            "estuary/MsgSetValidatorPower",
            value.into(),
        )))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Msg for RotateOperator {
    fn signers(&self) -> &Signers {
        &self.signers
    }

    fn execute(&self, ctx: &mut TxContext<'_>) -> TxResult {
        if ctx.state().validator(&self.key)?.is_none() {
            return Err(TxError::InvalidRequest(format!(
                "no validator with key {}",
                hex::encode(self.key)
            )));
        }
        if ctx.state().operator_of(&self.key)? != Some(self.operator)
            || !ctx.is_signer(&self.operator)
        {
            return Err(TxError::Unauthorized(format!(
                "{} does not operate validator {}",
                self.operator,
                hex::encode(self.key)
            )));
        }
        set_operator(ctx.state, self.key, Some(self.new_operator))?;
        ctx.emit(
            Event::new("rotate_operator")
                .attr("pub_key", hex::encode(self.key))
                .attr("operator", self.new_operator),
        );
        Ok(())
    }

    fn amino_json(&self) -> Option<TxResult<serde_json::Value>> {
        use base64::Engine;
        Some(Ok(estuary_sdk::amino::msg(
            "estuary/MsgRotateOperator",
            serde_json::json!({
                "new_operator": self.new_operator.to_bech32(),
                "operator": self.operator.to_bech32(),
                "pub_key": base64::engine::general_purpose::STANDARD.encode(self.key),
            }),
        )))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Msg for HandOverToGov {
    fn signers(&self) -> &Signers {
        &self.signers
    }

    fn execute(&self, ctx: &mut TxContext<'_>) -> TxResult {
        if ctx.state().validators_admin()? != Some(self.admin) || !ctx.is_signer(&self.admin) {
            return Err(TxError::Unauthorized(format!(
                "{} is not the admin: only the admin may hand its powers to governance",
                self.admin
            )));
        }
        ctx.state.delete(state_key::admin())?;
        ctx.emit(
            Event::new("hand_over_to_gov")
                .attr("admin", self.admin)
                .attr("authority", crate::keeper::gov_authority()),
        );
        Ok(())
    }

    fn amino_json(&self) -> Option<TxResult<serde_json::Value>> {
        Some(Ok(estuary_sdk::amino::msg(
            "estuary/MsgHandOverToGov",
            serde_json::json!({"admin": self.admin.to_bech32()}),
        )))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
