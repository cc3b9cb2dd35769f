//! Decoding a Cosmos SDK `TxRaw` and the checks that need no state.

use cosmrs::proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmrs::proto::cosmos::tx::v1beta1::{mode_info, AuthInfo, TxBody, TxRaw};
use estuary_auth::{AccountKey, AuthParams};
use estuary_sdk::proto::{decode_strict, without_fields};
use estuary_sdk::{Any, Coin, TxError, TxResult};

/// A transaction whose bytes parsed and whose shape is sound. Signatures are not yet checked.
#[derive(Debug)]
pub struct DecodedTx {
    pub len: usize,
    pub body_bytes: Vec<u8>,
    pub auth_info_bytes: Vec<u8>,
    pub signatures: Vec<Vec<u8>>,
    pub messages: Vec<Any>,
    pub memo: String,
    pub timeout_height: u64,
    pub signer_infos: Vec<SignerInfo>,
    pub fee: Vec<Coin>,
    /// What the gas meter allows: the fee's gas limit, or in simulation `max_gas_per_tx`.
    pub gas_limit: u64,
    /// The gas limit the fee states, as reported back.
    pub gas_wanted: u64,
    pub fee_payer: Option<String>,
}

#[derive(Debug)]
pub struct SignerInfo {
    /// The signer's key (a secp256k1 key or a multisig), when the signer sent it.
    pub pub_key: Option<AccountKey>,
    pub sequence: u64,
    pub mode: SigningMode,
}

/// What a signature signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SigningMode {
    /// The protobuf `SignDoc` (body bytes, auth info bytes, chain id, account number).
    Direct,
    /// The legacy amino JSON `StdSignDoc` (Ledger, Keplr's amino path).
    AminoJson,
    /// A multisig's signature: which of its keys signed (`bits`, one per key) and the mode of
    /// each signature present, in key order.
    Multi {
        bits: Vec<bool>,
        modes: Vec<SigningMode>,
    },
}

/// How a transaction is being run: for real (CheckTx, FinalizeBlock) or as a simulation for a
/// gas estimate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Execute,
    /// As the SDK simulates: the fee's gas limit is not enforced (wallets send 0, cosmjs for
    /// `fee: "auto"`) — the meter runs up to `max_gas_per_tx` instead — and signatures are not
    /// verified (wallets send an empty one), everything else is checked.
    Simulate,
}

pub fn decode(bytes: &[u8], params: &AuthParams) -> TxResult<DecodedTx> {
    decode_as(bytes, params, Mode::Execute)
}

pub fn decode_as(bytes: &[u8], params: &AuthParams, mode: Mode) -> TxResult<DecodedTx> {
    if bytes.len() as u64 > params.max_tx_bytes {
        return Err(TxError::TxTooLarge(format!(
            "{} bytes, limit {}",
            bytes.len(),
            params.max_tx_bytes
        )));
    }
    // Strict everywhere, as the SDK's decoder: an appended or unknown field must not make a
    // second valid encoding of a signed transaction (another hash for the same signature).
    let raw: TxRaw = decode_strict(bytes, "TxRaw")?;
    let body = decode_body(&raw.body_bytes)?;
    let auth: AuthInfo = decode_strict(&raw.auth_info_bytes, "AuthInfo")?;
    if body.messages.is_empty() {
        return Err(TxError::InvalidRequest(
            "must contain at least one message".into(),
        ));
    }
    if !body.extension_options.is_empty() || !body.non_critical_extension_options.is_empty() {
        return Err(TxError::InvalidRequest("unknown extension options".into()));
    }
    if body.memo.chars().count() as u64 > params.max_memo_characters {
        return Err(TxError::MemoTooLarge(format!(
            "maximum number of characters is {} but received {}",
            params.max_memo_characters,
            body.memo.chars().count()
        )));
    }
    let fee = auth
        .fee
        .as_ref()
        .ok_or_else(|| TxError::InsufficientFee("no fee given".into()))?;
    let gas_limit = match mode {
        Mode::Simulate => params.max_gas_per_tx,
        Mode::Execute if fee.gas_limit == 0 || fee.gas_limit > params.max_gas_per_tx => {
            return Err(TxError::InvalidGasLimit(format!(
                "gas limit {} must be between 1 and {}",
                fee.gas_limit, params.max_gas_per_tx
            )));
        }
        Mode::Execute => fee.gas_limit,
    };
    if !fee.granter.is_empty() {
        return Err(TxError::InvalidRequest(
            "fee grants are not supported".into(),
        ));
    }
    let fee_coins = fee
        .amount
        .iter()
        .map(Coin::from_proto)
        .collect::<TxResult<Vec<_>>>()?;
    if raw.signatures.is_empty() {
        return Err(TxError::InvalidRequest("no signatures supplied".into()));
    }
    if raw.signatures.len() as u64 > params.tx_sig_limit {
        return Err(TxError::InvalidRequest(format!(
            "more than {} signatures",
            params.tx_sig_limit
        )));
    }
    if raw.signatures.len() != auth.signer_infos.len() {
        return Err(TxError::Unauthorized(format!(
            "{} signatures for {} signer infos",
            raw.signatures.len(),
            auth.signer_infos.len()
        )));
    }
    let signer_infos = auth
        .signer_infos
        .iter()
        .map(|info| signer_info(info, mode))
        .collect::<TxResult<Vec<_>>>()?;
    // A multisig counts as its keys against the signature limit, as in the SDK.
    let keys = signer_infos
        .iter()
        .map(|s| s.pub_key.as_ref().map_or(1, AccountKey::sub_keys))
        .fold(0usize, usize::saturating_add);
    if keys as u64 > params.tx_sig_limit {
        return Err(TxError::TooManySignatures(format!(
            "signatures: {keys}, limit: {}",
            params.tx_sig_limit
        )));
    }
    Ok(DecodedTx {
        len: bytes.len(),
        body_bytes: raw.body_bytes,
        auth_info_bytes: raw.auth_info_bytes,
        signatures: raw.signatures,
        messages: body.messages,
        memo: body.memo,
        timeout_height: body.timeout_height,
        signer_infos,
        fee: fee_coins,
        gas_limit,
        gas_wanted: fee.gas_limit,
        fee_payer: (!fee.payer.is_empty()).then(|| fee.payer.clone()),
    })
}

/// The SDK lets a `TxBody` carry fields it does not know when their number has bit 11 set
/// (1024 and up, "non-critical"): an older node may ignore them. Every other unknown field is
/// refused. The signature covers the body bytes as sent, so this adds no malleability.
fn decode_body(bytes: &[u8]) -> TxResult<TxBody> {
    const NON_CRITICAL: u64 = 1 << 10;
    const KNOWN_NON_CRITICAL: u64 = 2047; // non_critical_extension_options
    let critical = without_fields(bytes, |f| {
        f.number & NON_CRITICAL != 0 && f.number != KNOWN_NON_CRITICAL
    })?;
    decode_strict(&critical, "TxBody")
}

fn signer_info(
    info: &cosmrs::proto::cosmos::tx::v1beta1::SignerInfo,
    tx_mode: Mode,
) -> TxResult<SignerInfo> {
    let mode = signing_mode(info.mode_info.as_ref(), tx_mode, 0)?;
    let pub_key = match &info.public_key {
        None => None,
        Some(any) => Some(AccountKey::from_any(&Any {
            type_url: any.type_url.clone(),
            value: any.value.clone(),
        })?),
    };
    Ok(SignerInfo {
        pub_key,
        sequence: info.sequence,
        mode,
    })
}

/// The sign mode of a signer info (`depth`: inside a multisig's, where only single modes go).
fn signing_mode(
    info: Option<&cosmrs::proto::cosmos::tx::v1beta1::ModeInfo>,
    tx_mode: Mode,
    depth: u8,
) -> TxResult<SigningMode> {
    Ok(match info.and_then(|m| m.sum.as_ref()) {
        Some(mode_info::Sum::Single(s)) if s.mode == SignMode::Direct as i32 => SigningMode::Direct,
        Some(mode_info::Sum::Single(s)) if s.mode == SignMode::LegacyAminoJson as i32 => {
            SigningMode::AminoJson
        }
        // A simulation verifies no signature, so it needs no sign mode: cosmjs sends
        // SIGN_MODE_UNSPECIFIED there, which the SDK accepts.
        Some(mode_info::Sum::Single(_)) if tx_mode == Mode::Simulate => SigningMode::Direct,
        Some(mode_info::Sum::Multi(m)) if depth == 0 => {
            let bits = estuary_sdk::multisig::bits_of(&m.bitarray.clone().unwrap_or_default())?;
            if m.mode_infos.len() > bits.len() {
                return Err(TxError::InvalidRequest(format!(
                    "{} sign modes for a multisig of {} keys",
                    m.mode_infos.len(),
                    bits.len()
                )));
            }
            let modes = m
                .mode_infos
                .iter()
                .map(|mi| signing_mode(Some(mi), tx_mode, 1))
                .collect::<TxResult<Vec<_>>>()?;
            SigningMode::Multi { bits, modes }
        }
        _ => {
            return Err(TxError::InvalidRequest(
                "only SIGN_MODE_DIRECT or SIGN_MODE_LEGACY_AMINO_JSON signatures, single or in one multisig, are supported"
                    .into(),
            ))
        }
    })
}
