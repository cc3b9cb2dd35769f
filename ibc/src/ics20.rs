//! ICS-20 (`ics20-1`) wire formats, byte for byte as ibc-go produces them.

use sha2::{Digest, Sha256};

pub const PORT: &str = "transfer";
pub const VERSION: &str = "ics20-1";

/// The voucher denom of a traced denom: `ibc/` + uppercase hex of sha256(`path/base`).
/// A denom with no trace is its own base denom.
pub fn voucher_denom(full_trace: &str) -> String {
    if !full_trace.contains('/') {
        return full_trace.to_string();
    }
    format!(
        "ibc/{}",
        hex::encode_upper(Sha256::digest(full_trace.as_bytes()))
    )
}

/// The escrow account of a channel (ADR-028): `sha256("ics20-1" || 0x00 || "port/channel")[..20]`.
pub fn escrow_address(port: &str, channel: &str) -> [u8; 20] {
    let mut h = Sha256::new();
    h.update(VERSION.as_bytes());
    h.update([0u8]);
    h.update(format!("{port}/{channel}").as_bytes());
    let digest: [u8; 32] = h.finalize().into();
    let mut out = [0u8; 20];
    out.iter_mut().zip(digest).for_each(|(o, d)| *o = d);
    out
}

/// `sha256(be64(timeout_ns) || be64(rev_number) || be64(rev_height) || sha256(data))`.
pub fn packet_commitment(
    data: &[u8],
    timeout_rev_number: u64,
    timeout_rev_height: u64,
    timeout_ns: u64,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(timeout_ns.to_be_bytes());
    h.update(timeout_rev_number.to_be_bytes());
    h.update(timeout_rev_height.to_be_bytes());
    h.update(Sha256::digest(data));
    h.finalize().into()
}

/// `sha256(ack_bytes)`.
pub fn ack_commitment(ack: &[u8]) -> [u8; 32] {
    Sha256::digest(ack).into()
}

/// The success acknowledgement: `{"result":"AQ=="}` (base64 of the byte 0x01).
pub fn success_ack() -> Vec<u8> {
    br#"{"result":"AQ=="}"#.to_vec()
}

/// An error acknowledgement `{"error":"..."}`, escaped as JSON.
pub fn error_ack(message: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "error": message }))
        .unwrap_or_else(|_| br#"{"error":"error"}"#.to_vec())
}

/// ibc-go's `MaximumMemoLength`: a longer memo is refused on send and error-acked on receive.
pub const MAX_MEMO_BYTES: usize = 32_768;
/// ibc-go's `MaximumReceiverLength`.
pub const MAX_RECEIVER_BYTES: usize = 2_048;
/// The longest denom trace (`port/channel/.../base`) this chain records. ibc-go sets none; ours
/// bounds what one packet can make the chain store forever, far above any real multi-hop path.
pub const MAX_DENOM_BYTES: usize = 2_048;

/// ICS-20 packet data. Field order is alphabetical and `memo` is left out when empty, which is
/// what ibc-go's `GetBytes` (sorted JSON) produces.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PacketData {
    pub amount: String,
    pub denom: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub memo: String,
    pub receiver: String,
    pub sender: String,
}

impl PacketData {
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<PacketData, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

#[cfg(test)]
mod tests {
    //! Expected values from public sources, as cited in shared/DESIGN.md and ibc-go.
    use super::*;

    #[test]
    fn voucher_denoms_match_live_chains() {
        // ATOM on Osmosis, OSMO on the Cosmos Hub.
        assert_eq!(
            voucher_denom("transfer/channel-0/uatom"),
            "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
        );
        assert_eq!(
            voucher_denom("transfer/channel-141/uosmo"),
            "ibc/14F9BC3E44B8A9C1BE1FB08980FAB87034C9905EF17CF2F5008FC085218811CC"
        );
        assert_eq!(voucher_denom("stake"), "stake");
        // Multi-hop: the whole path is hashed, not the last hop.
        let two_hops = voucher_denom("transfer/channel-1/transfer/channel-0/uatom");
        assert_ne!(two_hops, voucher_denom("transfer/channel-1/uatom"));
        assert_eq!(two_hops.len(), 4 + 64);
    }

    #[test]
    fn escrow_address_is_adr028() {
        // ibc-go's GetEscrowAddress for transfer/channel-0 is cosmos1a53udazy8ayufvy0s434pfwjcedzqv34kvz9tw
        // on the Hub (bech32 of these 20 bytes).
        let addr = escrow_address("transfer", "channel-0");
        let bech = cosmrs::AccountId::new("cosmos", &addr).unwrap().to_string();
        assert_eq!(bech, "cosmos1a53udazy8ayufvy0s434pfwjcedzqv34kvz9tw");
    }

    #[test]
    fn acks_and_commitments() {
        assert_eq!(success_ack(), br#"{"result":"AQ=="}"#);
        assert_eq!(
            error_ack(r#"bad "receiver""#),
            br#"{"error":"bad \"receiver\""}"#.to_vec()
        );
        assert_eq!(
            hex::encode(ack_commitment(&success_ack())),
            hex::encode(Sha256::digest(br#"{"result":"AQ=="}"#))
        );
        // Agrees with ibc-rs's implementation of the same ibc-go formula.
        use ibc_core::channel::types::commitment::compute_packet_commitment;
        use ibc_core::channel::types::timeout::{TimeoutHeight, TimeoutTimestamp};
        use ibc_core::client::types::Height;
        use ibc_core::primitives::Timestamp;
        let data = br#"{"amount":"100","denom":"stake","receiver":"b","sender":"a"}"#;
        let ours = packet_commitment(data, 1, 42, 1_700_000_000_000_000_000);
        let theirs = compute_packet_commitment(
            data,
            &TimeoutHeight::At(Height::new(1, 42).unwrap()),
            &TimeoutTimestamp::At(Timestamp::from_nanoseconds(1_700_000_000_000_000_000)),
        );
        assert_eq!(ours.to_vec(), theirs.into_vec());
    }

    #[test]
    fn packet_json_is_sorted_and_omits_empty_memo() {
        let p = PacketData {
            amount: "100".into(),
            denom: "stake".into(),
            memo: String::new(),
            receiver: "r".into(),
            sender: "s".into(),
        };
        assert_eq!(
            p.to_bytes(),
            br#"{"amount":"100","denom":"stake","receiver":"r","sender":"s"}"#
        );
        let with_memo = PacketData {
            memo: "hi".into(),
            ..p.clone()
        };
        assert_eq!(
            with_memo.to_bytes(),
            br#"{"amount":"100","denom":"stake","memo":"hi","receiver":"r","sender":"s"}"#
        );
        assert_eq!(
            PacketData::from_bytes(
                br#"{"amount":"100","denom":"stake","receiver":"r","sender":"s"}"#
            )
            .unwrap(),
            p
        );
    }
}
