//! Strict protobuf decoding, as the Cosmos SDK's `RejectUnknownFields`.
//!
//! prost silently skips fields it does not know and accepts duplicated or non-minimal encodings.
//! For transaction bytes that is a hazard twice over: a client sending a field this chain does
//! not implement (ibc-go v9's `MsgTransfer.tokens`, say) would have it ignored instead of refused,
//! and anyone could append bytes to a signed transaction to make a second valid transaction with
//! another hash. So every transaction part and every message is decoded strictly: the bytes must
//! be exactly what re-encoding the decoded value gives. prost encodes deterministically (fields
//! in number order, defaults omitted, the same as gogoproto and cosmjs), so an honest client's
//! bytes always pass, and anything prost would drop or normalise is refused.

use prost::Message;

use crate::error::{TxError, TxResult};

/// Decodes `bytes` as `M` and refuses any byte that re-encoding would not reproduce.
pub fn decode_strict<M: Message + Default>(bytes: &[u8], what: &str) -> TxResult<M> {
    let msg = M::decode(bytes).map_err(|e| TxError::Decode(format!("{what}: {e}")))?;
    check_canonical(&msg, bytes, what)?;
    Ok(msg)
}

/// Refuses `bytes` unless they are exactly the encoding of `msg`.
pub fn check_canonical<M: Message>(msg: &M, bytes: &[u8], what: &str) -> TxResult {
    if msg.encoded_len() == bytes.len() && msg.encode_to_vec() == bytes {
        return Ok(());
    }
    Err(TxError::Decode(format!(
        "{what}: {}",
        describe_difference(bytes, &msg.encode_to_vec())
    )))
}

/// One field as it appears on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WireField {
    pub number: u64,
    pub wire_type: u8,
    /// Where the whole field (key and value) lies in the message's bytes.
    pub start: usize,
    pub end: usize,
}

/// Splits a message's bytes into its top-level fields without knowing its schema.
pub fn wire_fields(bytes: &[u8]) -> TxResult<Vec<WireField>> {
    let bad = |m: &str| TxError::Decode(format!("malformed protobuf: {m}"));
    let mut fields = Vec::new();
    let mut pos = 0usize;
    while pos < bytes.len() {
        let start = pos;
        let key = read_varint(bytes, &mut pos).ok_or_else(|| bad("truncated field key"))?;
        let number = key >> 3;
        let wire_type = u8::try_from(key & 7).map_err(|_| bad("wire type"))?;
        if number == 0 {
            return Err(bad("field number 0"));
        }
        let skip = match wire_type {
            0 => {
                read_varint(bytes, &mut pos).ok_or_else(|| bad("truncated varint"))?;
                0
            }
            1 => 8,
            2 => {
                let len = read_varint(bytes, &mut pos).ok_or_else(|| bad("truncated length"))?;
                usize::try_from(len).map_err(|_| bad("length too large"))?
            }
            5 => 4,
            _ => return Err(bad(&format!("unsupported wire type {wire_type}"))),
        };
        pos = pos
            .checked_add(skip)
            .filter(|end| *end <= bytes.len())
            .ok_or_else(|| bad("field runs past the end"))?;
        fields.push(WireField {
            number,
            wire_type,
            start,
            end: pos,
        });
    }
    Ok(fields)
}

fn read_varint(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*pos)?;
        *pos = pos.checked_add(1)?;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

fn wire_type_name(t: u8) -> &'static str {
    match t {
        0 => "varint",
        1 => "fixed64",
        2 => "bytes",
        5 => "fixed32",
        _ => "unknown",
    }
}

/// Why `given` is not the canonical encoding `canonical`, in the SDK's words where it has them.
fn describe_difference(given: &[u8], canonical: &[u8]) -> String {
    let (Ok(given_fields), Ok(canonical_fields)) = (wire_fields(given), wire_fields(canonical))
    else {
        return "malformed protobuf".into();
    };
    let known: std::collections::BTreeSet<u64> =
        canonical_fields.iter().map(|f| f.number).collect();
    if let Some(f) = given_fields.iter().find(|f| !known.contains(&f.number)) {
        return format!(
            "unknown field {{TagNum: {}, WireType: {:?}}}",
            f.number,
            wire_type_name(f.wire_type)
        );
    }
    if given_fields.len() != canonical_fields.len() {
        return "repeated or out-of-order fields: non-canonical encoding".into();
    }
    for (g, c) in given_fields.iter().zip(&canonical_fields) {
        if g.number != c.number {
            return "fields out of order: non-canonical encoding".into();
        }
        if given.get(g.start..g.end) != canonical.get(c.start..c.end) {
            return format!(
                "unknown or non-canonical content in field {}: non-canonical encoding",
                g.number
            );
        }
    }
    "non-canonical encoding".into()
}

/// Removes the top-level fields that `drop` selects, keeping the rest byte for byte.
pub fn without_fields(bytes: &[u8], drop: impl Fn(&WireField) -> bool) -> TxResult<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    for f in wire_fields(bytes)? {
        if !drop(&f) {
            out.extend_from_slice(bytes.get(f.start..f.end).unwrap_or_default());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
    use cosmrs::proto::cosmos::base::v1beta1::Coin;

    fn send() -> MsgSend {
        MsgSend {
            from_address: "a".into(),
            to_address: "b".into(),
            amount: vec![Coin {
                denom: "stake".into(),
                amount: "1".into(),
            }],
        }
    }

    #[test]
    fn canonical_bytes_pass_and_decode() {
        let bytes = send().encode_to_vec();
        assert_eq!(decode_strict::<MsgSend>(&bytes, "MsgSend").unwrap(), send());
    }

    #[test]
    fn an_appended_unknown_field_is_named() {
        let mut bytes = send().encode_to_vec();
        bytes.extend_from_slice(&[0x4a, 0x01, 0x00]); // field 9, bytes
        let err = decode_strict::<MsgSend>(&bytes, "MsgSend").unwrap_err();
        let log = err.to_string();
        assert!(log.contains("unknown field {TagNum: 9"), "{log}");
        assert_eq!(err.abci_code(), ("sdk", 2));
    }

    #[test]
    fn duplicates_and_unknown_nested_fields_are_refused() {
        let bytes = send().encode_to_vec();
        let mut doubled = bytes.clone();
        doubled.extend_from_slice(&bytes[..3]); // from_address again
        assert!(decode_strict::<MsgSend>(&doubled, "MsgSend").is_err());
        // a coin with an unknown field 7 inside
        let mut coin = Coin {
            denom: "stake".into(),
            amount: "1".into(),
        }
        .encode_to_vec();
        coin.extend_from_slice(&[0x38, 0x01]);
        let mut nested = vec![0x1a, coin.len() as u8];
        nested.extend_from_slice(&coin);
        let err = decode_strict::<MsgSend>(&nested, "MsgSend").unwrap_err();
        assert!(err.to_string().contains("field 3"), "{err}");
    }

    #[test]
    fn wire_scanner_refuses_truncation_and_groups() {
        assert!(wire_fields(&[0x0a, 0x05, 0x01]).is_err());
        assert!(wire_fields(&[0x0b]).is_err()); // start group
        assert!(wire_fields(&[0x80]).is_err());
        assert!(
            wire_fields(&[0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
                .is_err()
        );
        let kept = without_fields(&[0x08, 0x01, 0x10, 0x02], |f| f.number == 1).unwrap();
        assert_eq!(kept, vec![0x10, 0x02]);
    }
}
