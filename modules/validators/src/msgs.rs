use estuary_sdk::{Address, Any, Event, Msg, Signers, TxContext, TxError, TxResult};
use prost::Message;

use crate::keeper::{set_power, ValidatorsReader};

pub const MSG_SET_VALIDATOR_POWER: &str = "/estuary.validators.v1.MsgSetValidatorPower";

/// Sets a validator's voting power; only the genesis admin may send it. Power 0 removes it.
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
}

/// A decoded `MsgSetValidatorPower`.
pub struct SetValidatorPower {
    raw: MsgSetValidatorPower,
    authority: Address,
    signers: Signers,
}

pub fn decode(msg: &Any) -> TxResult<Box<dyn Msg>> {
    let raw: MsgSetValidatorPower =
        estuary_sdk::proto::decode_strict(&msg.value, "MsgSetValidatorPower")?;
    let authority = Address::parse(&raw.authority)?;
    Ok(Box::new(SetValidatorPower {
        raw,
        authority,
        signers: Signers::one(authority),
    }))
}

impl Msg for SetValidatorPower {
    fn signers(&self) -> &Signers {
        &self.signers
    }

    fn execute(&self, ctx: &mut TxContext<'_>) -> TxResult {
        let m = &self.raw;
        let authority = self.authority;
        let admin = ctx.state().validators_admin()?;
        if admin != Some(authority) || !ctx.is_signer(&authority) {
            return Err(TxError::Unauthorized(format!(
                "{authority} may not change validator powers"
            )));
        }
        let key: [u8; 32] = m
            .pub_key
            .as_slice()
            .try_into()
            .map_err(|_| TxError::InvalidPubKey("ed25519 keys are 32 bytes".into()))?;
        set_power(ctx.state, &m.name, key, m.power)?;
        ctx.emit(
            Event::new("set_validator_power")
                .attr("pub_key", hex::encode(key))
                .attr("power", m.power)
                .attr("authority", authority),
        );
        Ok(())
    }

    /// Amino JSON, so that a multisig admin (whose members sign amino JSON) and Ledger can sign
    /// it: `estuary/MsgSetValidatorPower`, every field, the key in base64 and the power as a
    /// string (amino's forms for bytes and 64-bit integers).
    fn amino_json(&self) -> Option<TxResult<serde_json::Value>> {
        use base64::Engine;
        let m = &self.raw;
        Some(Ok(estuary_sdk::amino::msg(
            "estuary/MsgSetValidatorPower",
            serde_json::json!({
                "authority": m.authority,
                "name": m.name,
                "power": m.power.to_string(),
                "pub_key": base64::engine::general_purpose::STANDARD.encode(&m.pub_key),
            }),
        )))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
