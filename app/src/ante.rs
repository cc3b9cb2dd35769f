//! The ante handler: what every transaction must pass before its messages run — fee, signer
//! accounts, sequences and signatures. Its writes (fee paid, sequences bumped) stay even when a
//! message later fails, as in the Cosmos SDK.

use std::collections::{HashSet, VecDeque};

use base64::Engine;
use cosmrs::proto::cosmos::tx::v1beta1::SignDoc;
use estuary_auth::{AccountKey, AuthKeeper, AuthParams, AuthReader};
use estuary_bank::BankKeeper;
use estuary_sdk::store::{StateRead, TxOverlay};
use estuary_sdk::{Address, Coin, DecodedMsg, Event, ModuleManager, TxError, TxResult};
use prost::Message;

use crate::tx::{DecodedTx, SignerInfo, SigningMode};

/// The module account that collects fees.
pub const FEE_COLLECTOR: &str = "fee_collector";

pub use estuary_sdk::GasPrice;

/// Signatures already verified on this node (by CheckTx, usually), so FinalizeBlock does not pay
/// for the same secp256k1 verification twice. Validity is a pure function of (key, message,
/// signature), so a hit is as good as a check; entries are dropped oldest first.
pub struct SigCache {
    /// The verified entries, and the same entries oldest first (for eviction).
    inner: std::sync::Mutex<SigEntries>,
    capacity: usize,
}

type SigEntries = (HashSet<[u8; 32]>, VecDeque<[u8; 32]>);

impl SigCache {
    pub fn new(capacity: usize) -> Self {
        SigCache {
            inner: Default::default(),
            capacity,
        }
    }

    fn key(pub_key: &[u8], msg: &[u8], sig: &[u8]) -> [u8; 32] {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for part in [pub_key, msg, sig] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        h.finalize().into()
    }

    /// Remembers that every signature of the transaction `tx_bytes` verified (CheckTx passed
    /// it), so that the block-wide pre-verification need not even rebuild its sign bytes.
    pub fn remember_checked_tx(&self, tx_bytes: &[u8]) {
        self.insert(Self::tx_key(tx_bytes));
    }

    /// Whether CheckTx passed exactly these transaction bytes (recently).
    pub fn tx_was_checked(&self, tx_bytes: &[u8]) -> bool {
        self.contains(&Self::tx_key(tx_bytes))
    }

    /// A key no signature entry can have: signature keys start with an 8-byte length, which
    /// `"checked-"` read as one (about 7.2e18 bytes) can never be.
    fn tx_key(tx_bytes: &[u8]) -> [u8; 32] {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(b"checked-tx");
        h.update(tx_bytes);
        h.finalize().into()
    }

    fn contains(&self, key: &[u8; 32]) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .contains(key)
    }

    fn insert(&self, key: [u8; 32]) {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (set, order) = &mut *guard;
        if set.insert(key) {
            order.push_back(key);
            if order.len() > self.capacity {
                if let Some(old) = order.pop_front() {
                    set.remove(&old);
                }
            }
        }
    }

    /// Verifies, consulting and filling the cache.
    pub fn verify(&self, pub_key: &[u8], msg: &[u8], sig: &[u8]) -> bool {
        let key = Self::key(pub_key, msg, sig);
        if self.contains(&key) {
            return true;
        }
        if !verify_secp256k1(pub_key, msg, sig) {
            return false;
        }
        self.insert(key);
        true
    }
}

pub struct AnteInput<'a> {
    pub sig_cache: &'a SigCache,
    pub chain_id: &'a str,
    pub height: u64,
    pub params: &'a AuthParams,
    /// Only CheckTx enforces the node's own minimum gas prices.
    pub min_gas_prices: &'a [GasPrice],
    /// A simulation: signatures are not verified (their gas is still charged), as in the SDK.
    pub simulate: bool,
    /// The denom fees are usually paid in (the node's first minimum gas price), for simulations
    /// of transactions that do not state a fee yet.
    pub fee_denom: &'a str,
}

/// A transaction built only to estimate gas, as wallets build one (cosmjs for `fee: "auto"`): no
/// fee and gas limit 0. The real transaction will carry both; a fully formed transaction sent to
/// simulation (the CLI's `--gas auto`, the relayer's) is metered exactly as it stands.
fn estimate_only(tx: &DecodedTx) -> bool {
    tx.fee.is_empty() && tx.gas_wanted == 0
}

/// A secp256k1 signature's bytes in a transaction, and what a fee amount and gas limit add.
const SIGNATURE_BYTES: usize = 66;
const FEE_BYTES: usize = 24;

/// What the ante checks hand on to execution.
pub struct Checked {
    /// The unique signers, in order of first appearance.
    pub signers: Vec<Address>,
    /// The messages, decoded once (and checked statelessly) by their modules.
    pub msgs: Vec<DecodedMsg>,
    pub events: Vec<Event>,
}

/// Runs the ante checks: size gas, timeout height, decoding the messages, fees, signatures.
pub fn run(
    state: &mut TxOverlay<'_>,
    tx: &DecodedTx,
    modules: &ModuleManager,
    input: &AnteInput<'_>,
) -> TxResult<Checked> {
    state.consume_gas(
        input
            .params
            .tx_size_cost_per_byte
            .saturating_mul(tx.len as u64),
    )?;
    if input.simulate {
        // A wallet simulates a transaction that is smaller than the one it will send (empty
        // signatures, no fee amount, gas limit 0): charge for what the real one will carry, as
        // the SDK's `ConsumeTxSizeGasDecorator` does in simulation.
        let missing = tx
            .signatures
            .iter()
            .filter(|s| s.is_empty())
            .count()
            .saturating_mul(SIGNATURE_BYTES)
            .saturating_add(if estimate_only(tx) { FEE_BYTES } else { 0 });
        state.consume_gas(
            input
                .params
                .tx_size_cost_per_byte
                .saturating_mul(missing as u64),
        )?;
    }
    if tx.timeout_height != 0 && input.height > tx.timeout_height {
        return Err(TxError::TimeoutHeight(format!(
            "block height {} is past the tx's timeout height {}",
            input.height, tx.timeout_height
        )));
    }
    // Decoded here, where signers were always read, so that a message that does not decode
    // fails at the same point (and at the same gas) as ever.
    let msgs = modules.decode_msgs(&tx.messages)?;
    let signers = signers(tx, &msgs)?;
    check_min_gas_price(tx, input.min_gas_prices)?;
    let payer = match &tx.fee_payer {
        Some(p) => Address::parse(p)?,
        None => *signers
            .first()
            .ok_or_else(|| TxError::Unauthorized("no signers".into()))?,
    };
    if !signers.contains(&payer) {
        return Err(TxError::Unauthorized(format!(
            "fee payer {payer} did not sign"
        )));
    }
    let mut events = Vec::new();
    if input.simulate && estimate_only(tx) {
        // The real transaction will pay a fee: move one unit of the fee denom on this
        // throw-away state so its reads and writes are metered as they will be. (The SDK does
        // not, which makes cosmjs' 1.4 margin fall short on a chain whose sends are as cheap
        // as Estuary's: measured 23,081 simulated vs 32,436 used for a bank send.)
        if let Ok(one) = Coin::new(1, input.fee_denom) {
            let _ = state.send(&payer, &Address::module(FEE_COLLECTOR), &[one]);
        }
    }
    if !tx.fee.is_empty() {
        state
            .send(&payer, &Address::module(FEE_COLLECTOR), &tx.fee)
            .map_err(|e| match e {
                TxError::InsufficientFunds(m) => {
                    TxError::InsufficientFunds(format!("insufficient fees; {m}"))
                }
                other => other,
            })?;
    }
    events.push(
        Event::new("tx")
            .attr("fee", coins_string(&tx.fee))
            .attr("fee_payer", payer),
    );
    // `decode` made signatures and signer infos equal in number, `signers` matched them to the
    // signers: the three zip without leftovers.
    let signed = signers.iter().zip(&tx.signer_infos).zip(&tx.signatures);
    for ((signer, info), signature) in signed {
        let seq = verify_signer(state, tx, &msgs, info, signature, signer, input)?;
        events.push(Event::new("tx").attr("acc_seq", format!("{signer}/{seq}")));
        let sig = base64::engine::general_purpose::STANDARD.encode(signature);
        events.push(Event::new("tx").attr("signature", sig));
    }
    Ok(Checked {
        signers,
        msgs,
        events,
    })
}

/// The unique signers of all messages, in order of first appearance (the SDK's `GetSigners`).
fn signers(tx: &DecodedTx, msgs: &[DecodedMsg]) -> TxResult<Vec<Address>> {
    let mut out: Vec<Address> = Vec::new();
    for msg in msgs {
        for s in msg.msg.signers().iter() {
            if !out.contains(s) {
                out.push(*s);
            }
        }
    }
    if out.len() != tx.signer_infos.len() {
        return Err(TxError::Unauthorized(format!(
            "wrong number of signers; expected {}, got {}",
            out.len(),
            tx.signer_infos.len()
        )));
    }
    Ok(out)
}

/// Verifies, on all cores, the signatures of a block's transactions that can be checked before
/// execution — DIRECT signatures whose key the signer info carries, by accounts that exist at
/// the start of the block — and leaves the results in the signature cache, where the in-order
/// execution finds them. Only speed changes: the cache holds results of a pure function of
/// (key, sign bytes, signature), and whatever is not verified here is verified in order as
/// before. Transactions this node already checked in CheckTx are cache hits and cost nothing.
pub fn preverify(
    state: &dyn StateRead,
    txs: &[Vec<u8>],
    params: &AuthParams,
    chain_id: &str,
    cache: &SigCache,
) {
    let mut jobs: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = Vec::new();
    for bytes in txs {
        if cache.tx_was_checked(bytes) {
            // Its signatures are in the cache already.
            continue;
        }
        let Ok(tx) = crate::tx::decode(bytes, params) else {
            continue;
        };
        for (info, signature) in tx.signer_infos.iter().zip(&tx.signatures) {
            let (SigningMode::Direct, Some(AccountKey::Secp256k1(pub_key))) =
                (&info.mode, &info.pub_key)
            else {
                continue;
            };
            let Ok(Some(account)) = address_of(pub_key).and_then(|a| state.account(&a)) else {
                continue;
            };
            let sign_bytes = SignDoc {
                body_bytes: tx.body_bytes.clone(),
                auth_info_bytes: tx.auth_info_bytes.clone(),
                chain_id: chain_id.to_string(),
                account_number: account.account_number,
            }
            .encode_to_vec();
            jobs.push((pub_key.clone(), sign_bytes, signature.clone()));
        }
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if jobs.len() < 2 || threads < 2 {
        return;
    }
    std::thread::scope(|scope| {
        for chunk in jobs.chunks(jobs.len().div_ceil(threads)) {
            scope.spawn(move || {
                for (key, msg, sig) in chunk {
                    cache.verify(key, msg, sig);
                }
            });
        }
    });
}

/// Checks a signer's key, sequence and signature; bumps its sequence. Returns the sequence used.
fn verify_signer(
    state: &mut TxOverlay<'_>,
    tx: &DecodedTx,
    msgs: &[DecodedMsg],
    info: &SignerInfo,
    signature: &[u8],
    signer: &Address,
    input: &AnteInput<'_>,
) -> TxResult<u64> {
    let mut account = state
        .account(signer)?
        .ok_or_else(|| TxError::UnknownAddress(format!("account {signer} does not exist")))?;
    let stored = account
        .pub_key
        .as_deref()
        .map(AccountKey::from_stored)
        .transpose()?;
    let key = match (&info.pub_key, stored) {
        (Some(given), Some(stored)) if *given != stored => {
            return Err(TxError::InvalidPubKey(format!(
                "key does not match the one registered for {signer}"
            )))
        }
        (Some(given), _) => given.clone(),
        (None, Some(stored)) => stored,
        (None, None) => {
            return Err(TxError::InvalidPubKey(format!(
                "no public key known for {signer}"
            )))
        }
    };
    if key.address()? != *signer {
        return Err(TxError::InvalidPubKey(format!(
            "pubKey does not match signer address {signer}"
        )));
    }
    if info.sequence != account.sequence {
        return Err(TxError::WrongSequence {
            expected: account.sequence,
            got: info.sequence,
        });
    }
    let sign_bytes = |mode: &SigningMode| -> TxResult<Vec<u8>> {
        match mode {
            SigningMode::Direct => Ok(SignDoc {
                body_bytes: tx.body_bytes.clone(),
                auth_info_bytes: tx.auth_info_bytes.clone(),
                chain_id: input.chain_id.to_string(),
                account_number: account.account_number,
            }
            .encode_to_vec()),
            SigningMode::AminoJson => amino_sign_bytes(
                tx,
                msgs,
                input.chain_id,
                account.account_number,
                info.sequence,
            ),
            SigningMode::Multi { .. } => Err(TxError::InvalidRequest(
                "a multisig inside a multisig is not supported".into(),
            )),
        }
    };
    let failed = || {
        TxError::Unauthorized(format!(
            "signature verification failed; please verify account number ({}) and chain-id ({})",
            account.account_number, input.chain_id
        ))
    };
    match (&key, &info.mode) {
        (AccountKey::Secp256k1(pub_key), mode @ (SigningMode::Direct | SigningMode::AminoJson)) => {
            state.consume_gas(input.params.sig_verify_cost_secp256k1)?;
            let bytes = sign_bytes(mode)?;
            if !input.simulate && !input.sig_cache.verify(pub_key, &bytes, signature) {
                return Err(failed());
            }
        }
        (AccountKey::Multisig(m), SigningMode::Multi { bits, modes }) => {
            verify_multisig(state, m, bits, modes, signature, &sign_bytes, input).map_err(|e| {
                match e {
                    TxError::Unauthorized(why) => TxError::Unauthorized(format!(
                        "signature verification failed: {why} (account number {}, chain-id {})",
                        account.account_number, input.chain_id
                    )),
                    other => other,
                }
            })?;
        }
        (AccountKey::Secp256k1(_), _) => {
            return Err(TxError::InvalidRequest(format!(
                "{signer} has a single key: its signer info must give a single sign mode"
            )))
        }
        (AccountKey::Multisig(_), _) => {
            return Err(TxError::InvalidRequest(format!(
                "{signer} is a multisig: its signer info must give a multi sign mode"
            )))
        }
    }
    let used = account.sequence;
    account.sequence = account.sequence.saturating_add(1);
    account.pub_key = Some(key.stored());
    state.set_account(&account)?;
    Ok(used)
}

/// A multisig's signature, as the SDK checks it: the bit array names one bit per key, as many
/// signatures as bits set (at least the threshold), each by the key of its bit over the sign
/// bytes of its own mode. Gas is charged per signature present, as the SDK does.
fn verify_multisig(
    state: &mut TxOverlay<'_>,
    key: &estuary_sdk::multisig::LegacyAminoPubKey,
    bits: &[bool],
    modes: &[SigningMode],
    signature: &[u8],
    sign_bytes: &dyn Fn(&SigningMode) -> TxResult<Vec<u8>>,
    input: &AnteInput<'_>,
) -> TxResult {
    if bits.len() != key.keys.len() {
        return Err(TxError::Unauthorized(format!(
            "bit array size {} for a multisig of {} keys",
            bits.len(),
            key.keys.len()
        )));
    }
    let signatures = estuary_sdk::multisig::signatures_of(signature)?;
    let signers: Vec<&Vec<u8>> = key
        .keys
        .iter()
        .zip(bits)
        .filter(|(_, set)| **set)
        .map(|(k, _)| k)
        .collect();
    if signers.len() != signatures.len() || signers.len() != modes.len() {
        return Err(TxError::Unauthorized(format!(
            "{} bits set, {} signatures, {} sign modes",
            signers.len(),
            signatures.len(),
            modes.len()
        )));
    }
    if (signers.len() as u64) < u64::from(key.threshold) {
        return Err(TxError::Unauthorized(format!(
            "{} signatures, the threshold is {}",
            signers.len(),
            key.threshold
        )));
    }
    for ((pub_key, sig), mode) in signers.iter().zip(&signatures).zip(modes) {
        state.consume_gas(input.params.sig_verify_cost_secp256k1)?;
        let bytes = sign_bytes(mode)?;
        if !input.simulate && !input.sig_cache.verify(pub_key, &bytes, sig) {
            return Err(TxError::Unauthorized(
                "a multisig signature does not verify".into(),
            ));
        }
    }
    Ok(())
}

/// The legacy amino JSON `StdSignDoc` of `tx` for one signer, as the SDK's `aminojson` sign mode
/// handler and cosmjs' `makeSignDoc` + `serializeSignDoc` build it.
pub fn amino_sign_bytes(
    tx: &DecodedTx,
    msgs: &[DecodedMsg],
    chain_id: &str,
    account_number: u64,
    sequence: u64,
) -> TxResult<Vec<u8>> {
    let msgs = msgs
        .iter()
        .map(DecodedMsg::amino_json)
        .collect::<TxResult<Vec<_>>>()?;
    let amount: Vec<_> = tx.fee.iter().map(Coin::to_proto).collect();
    let mut fee = serde_json::Map::new();
    fee.insert("amount".into(), estuary_sdk::amino::coins(&amount));
    fee.insert("gas".into(), tx.gas_wanted.to_string().into());
    if let Some(payer) = &tx.fee_payer {
        fee.insert("payer".into(), payer.clone().into());
    }
    let mut doc = serde_json::Map::new();
    doc.insert("account_number".into(), account_number.to_string().into());
    doc.insert("chain_id".into(), chain_id.into());
    doc.insert("fee".into(), fee.into());
    doc.insert("memo".into(), tx.memo.clone().into());
    doc.insert("msgs".into(), msgs.into());
    doc.insert("sequence".into(), sequence.to_string().into());
    if tx.timeout_height != 0 {
        doc.insert(
            "timeout_height".into(),
            tx.timeout_height.to_string().into(),
        );
    }
    Ok(estuary_sdk::amino::canonical_bytes(&doc.into()))
}

/// The Cosmos address of a compressed secp256k1 key: `ripemd160(sha256(key))`.
pub use estuary_sdk::crypto::secp256k1_address as address_of;

/// ECDSA over sha256 of `msg`; 64-byte `r || s` with low `s` (k256 rejects high `s`).
pub use estuary_sdk::crypto::{verify_secp256k1, verify_secp256k1_k256};

fn check_min_gas_price(tx: &DecodedTx, prices: &[GasPrice]) -> TxResult {
    if prices.is_empty() || prices.iter().all(|p| p.micro_amount == 0) {
        return Ok(());
    }
    // Any one listed denomination paying enough suffices, as in the SDK.
    for price in prices {
        let required = price
            .micro_amount
            .saturating_mul(tx.gas_limit as u128)
            .div_ceil(1_000_000);
        let paid = tx
            .fee
            .iter()
            .find(|c| c.denom.as_str() == price.denom)
            .map_or(0, |c| c.amount);
        if paid >= required {
            return Ok(());
        }
    }
    let wanted: Vec<String> = prices
        .iter()
        .map(|p| {
            format!(
                "{}{}",
                p.micro_amount
                    .saturating_mul(tx.gas_limit as u128)
                    .div_ceil(1_000_000),
                p.denom
            )
        })
        .collect();
    Err(TxError::InsufficientFee(format!(
        "insufficient fees; got: {} required: {}",
        coins_string(&tx.fee),
        wanted.join(",")
    )))
}

fn coins_string(coins: &[Coin]) -> String {
    coins
        .iter()
        .map(Coin::to_string)
        .collect::<Vec<_>>()
        .join(",")
}
