//! Two estuaryd apps linked over IBC in-process: every block goes through the ABCI entry points
//! (FinalizeBlock, Commit), headers are built and signed by test validators (tendermint-testgen)
//! and verified by each side's ICS-07 client, and every packet carries proofs from the real store.
//! No CometBFT: this is the handshake-and-packet logic end to end, fast and deterministic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

use base64::Engine;
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::Any;
use estuary_app::app::{App, AppConfig, TxOutcome};
use estuary_app::client::{sign_tx, TxPlan};
use estuary_auth::AuthReader;
use estuary_bank::BankReader;
use estuary_client::ibc_msgs::{
    any, connection_version, merkle_prefix, tendermint_client_state, transfer_channel, ClientParams,
};
use estuary_ibc::transfer::TransferReader;
use estuary_sdk::store::{Storage, StorageConfig, Substore};
use estuary_sdk::{Address, BlockInfo, Denom, Event};
use ibc_proto::cosmos::base::v1beta1::Coin as PCoin;
use ibc_proto::google::protobuf::Timestamp;
use ibc_proto::ibc::applications::transfer::v1::MsgTransfer;
use ibc_proto::ibc::core::channel::v1 as chan;
use ibc_proto::ibc::core::client::v1::{Height, MsgCreateClient, MsgUpdateClient};
use ibc_proto::ibc::core::commitment::v1::{MerkleProof, MerkleRoot};
use ibc_proto::ibc::core::connection::v1 as conn;
use ibc_proto::ibc::lightclients::tendermint::v1 as tm;
use prost::Message;
use tendermint_testgen::{
    Generator, Header as TgHeader, LightBlock as TgLightBlock, Validator as TgValidator,
};

const BASE_TIME: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z

/// One chain: an app on its own store, a test validator that signs its headers, and a user.
struct Side {
    app: App,
    _dir: tempfile::TempDir,
    chain_id: String,
    height: u64,
    clock: Rc<Cell<u64>>,
    validators: Vec<TgValidator>,
    /// height → (time, the app hash its header carries)
    headers: BTreeMap<u64, (u64, Vec<u8>)>,
    genesis_hash: Vec<u8>,
    key: SigningKey,
    user: Address,
}

impl Side {
    /// A chain whose user also operates the validator (voting for it in governance, with
    /// periods of three seconds) and is the genesis admin; `extra` module slices are laid over
    /// the genesis.
    fn new(
        chain_id: &str,
        clock: Rc<Cell<u64>>,
        validator: &str,
        extra: serde_json::Value,
    ) -> Side {
        let key = SigningKey::from_slice(&[chain_id.len() as u8 + 1; 32]).unwrap();
        let user = estuary_app::keyring::address_of(&key).unwrap();
        let validators = vec![TgValidator::new(validator).voting_power(50)];
        let pk = validators[0].get_public_key().unwrap();
        let mut genesis = serde_json::json!({
            "auth": {"accounts": [{"address": user, "account_number": 0}]},
            "bank": {"balances": [{"address": user, "coins": [{"denom": "stake", "amount": "1000000"}]}]},
            "validators": {"admin": user, "validators": [{"name": validator, "pub_key": base64::engine::general_purpose::STANDARD.encode(pk.as_bytes()), "power": 50, "operator": user}]},
            "gov": {"params": {"min_deposit": [{"denom": "stake", "amount": "10"}], "voting_period": "3s", "max_deposit_period": "3s"}},
        });
        for (k, v) in extra.as_object().unwrap() {
            genesis[k] = v.clone();
        }
        let dir = tempfile::tempdir().unwrap();
        let storage =
            Storage::open(dir.path().join("state.redb"), StorageConfig::default()).unwrap();
        let app = App::new(storage, estuary_app::modules(), AppConfig::default());
        let out = app
            .init_chain(chain_id, 1, serde_json::to_vec(&genesis).unwrap())
            .unwrap();
        Side {
            app,
            _dir: dir,
            chain_id: chain_id.into(),
            height: 0,
            clock,
            validators,
            headers: BTreeMap::new(),
            genesis_hash: out.app_hash.to_vec(),
            key,
            user,
        }
    }

    fn revision(&self) -> u64 {
        1
    }

    fn h(&self, height: u64) -> Height {
        Height {
            revision_number: self.revision(),
            revision_height: height,
        }
    }

    fn validator_set(&self) -> tendermint::validator::Set {
        let infos = self
            .validators
            .iter()
            .map(|v| v.generate().unwrap())
            .collect();
        tendermint::validator::Set::without_proposer(infos)
    }

    /// Runs one block holding one transaction with `msgs` (none: an empty block).
    fn block(&mut self, msgs: Vec<Any>) -> Option<TxOutcome> {
        self.height += 1;
        self.clock.set(self.clock.get() + 1);
        let time = self.clock.get();
        let header_hash = self
            .app
            .last_commit()
            .map(|c| c.app_hash.to_vec())
            .unwrap_or(self.genesis_hash.clone());
        self.headers.insert(self.height, (time, header_hash));
        let txs = if msgs.is_empty() {
            vec![]
        } else {
            vec![self.signed(msgs)]
        };
        let info = BlockInfo {
            height: self.height,
            time_unix_nanos: time as i128 * 1_000_000_000,
            next_validators_hash: self.validator_set().hash().as_bytes().to_vec(),
            ..Default::default()
        };
        let out = self.app.finalize_block(info, &txs);
        self.app.commit();
        out.tx_results.into_iter().next()
    }

    /// `msgs` in a transaction signed by this side's user at its committed sequence.
    fn signed(&self, msgs: Vec<Any>) -> Vec<u8> {
        let account = self.app.storage().account(&self.user).unwrap().unwrap();
        sign_tx(&TxPlan {
            key: &self.key,
            chain_id: &self.chain_id,
            account_number: account.account_number,
            sequence: account.sequence,
            messages: msgs,
            fee: vec![],
            gas_limit: 5_000_000,
            memo: String::new(),
            timeout_height: 0,
        })
        .unwrap()
    }

    fn ok(&mut self, msgs: Vec<Any>) -> TxOutcome {
        let r = self.block(msgs).unwrap();
        assert_eq!(r.code, 0, "{} rejected: {}", self.chain_id, r.log);
        r
    }

    /// The signed header of `height`, as a counterparty's client sees it.
    fn signed_header(
        &self,
        height: u64,
        validators: &[TgValidator],
    ) -> tendermint_testgen::light_block::TmLightBlock {
        let (time, app_hash) = self.headers[&height].clone();
        let header = TgHeader::new(validators)
            .chain_id(&self.chain_id)
            .height(height)
            .time(tendermint::Time::from_unix_timestamp(time as i64, 0).unwrap())
            .app_hash(tendermint::AppHash::try_from(app_hash).unwrap());
        TgLightBlock::new_default_with_header(header)
            .generate()
            .unwrap()
    }

    /// A Tendermint header update for a client whose latest trusted height is `trusted`.
    fn update_header(&self, height: u64, trusted: u64) -> Any {
        self.forged_update(height, trusted, &self.validators)
    }

    fn forged_update(&self, height: u64, trusted: u64, signers: &[TgValidator]) -> Any {
        let lb = self.signed_header(height, signers);
        let header = ibc_client_tendermint::types::Header {
            signed_header: lb.signed_header,
            validator_set: lb.validators,
            trusted_height: ibc_core::client::types::Height::new(self.revision(), trusted).unwrap(),
            trusted_next_validator_set: self.validator_set(),
        };
        let raw: tm::Header = header.into();
        any(&raw)
    }

    /// A second, different header for `height` signed by the real validators: equivocation.
    fn conflicting_header(&self, height: u64, trusted: u64) -> tm::Header {
        let (time, _) = self.headers[&height].clone();
        let header = TgHeader::new(&self.validators)
            .chain_id(&self.chain_id)
            .height(height)
            .time(tendermint::Time::from_unix_timestamp(time as i64, 0).unwrap())
            .app_hash(tendermint::AppHash::try_from(vec![0xAB; 32]).unwrap());
        let lb = TgLightBlock::new_default_with_header(header)
            .generate()
            .unwrap();
        ibc_client_tendermint::types::Header {
            signed_header: lb.signed_header,
            validator_set: lb.validators,
            trusted_height: ibc_core::client::types::Height::new(self.revision(), trusted).unwrap(),
            trusted_next_validator_set: self.validator_set(),
        }
        .into()
    }

    fn client_state(&self, latest: u64) -> Any {
        tendermint_client_state(&ClientParams {
            chain_id: self.chain_id.clone(),
            trusting_period_secs: 14 * 86_400,
            unbonding_period_secs: 21 * 86_400,
            max_clock_drift_secs: 20,
            latest_height: self.h(latest),
            proof_specs: estuary_sdk::store::proof_specs(),
        })
    }

    fn consensus_state(&self, height: u64) -> Any {
        let (time, app_hash) = self.headers[&height].clone();
        let cs = tm::ConsensusState {
            timestamp: Some(Timestamp {
                seconds: time as i64,
                nanos: 0,
            }),
            root: Some(MerkleRoot { hash: app_hash }),
            next_validators_hash: self.validator_set().hash().as_bytes().to_vec(),
        };
        any(&cs)
    }

    /// Proof of an ICS-24 path in the state after block `version` (to be checked at `version + 1`).
    fn proof(&self, path: &str, version: u64) -> Vec<u8> {
        let (_, p) = self
            .app
            .storage()
            .get_with_proof(&Substore::Ibc.full_key(path.as_bytes()), version)
            .unwrap();
        MerkleProof { proofs: p.proofs }.encode_to_vec()
    }

    fn ibc_value(&self, path: &str) -> Vec<u8> {
        self.app
            .storage()
            .get_latest(&Substore::Ibc.full_key(path.as_bytes()))
            .unwrap()
            .unwrap_or_default()
    }

    fn signer(&self) -> String {
        self.user.to_bech32()
    }

    fn balance(&self, denom: &str) -> u128 {
        self.app
            .storage()
            .balance(&self.user, &Denom::new(denom).unwrap())
            .unwrap()
    }

    fn supply(&self, denom: &str) -> u128 {
        self.app
            .storage()
            .supply(&Denom::new(denom).unwrap())
            .unwrap()
    }
}

fn event<'a>(r: &'a TxOutcome, kind: &str) -> &'a Event {
    r.events.iter().find(|e| e.kind == kind).unwrap_or_else(|| {
        panic!(
            "no {kind} event in {:?}",
            r.events.iter().map(|e| &e.kind).collect::<Vec<_>>()
        )
    })
}

/// Two linked chains: clients, connection-0 and a transfer channel-0 on each.
struct Link {
    a: Side,
    b: Side,
    /// The latest height each side's client of the other has.
    a_client_of_b: u64,
    b_client_of_a: u64,
}

const CLIENT: &str = "07-tendermint-0";
const CONN: &str = "connection-0";
const CHAN: &str = "channel-0";

impl Link {
    /// Brings `dst`'s client of `src` up to `src`'s latest header (committing the state after
    /// `src.height - 1`); returns the height whose state proofs now verify.
    fn update(src: &mut Side, dst: &mut Side, client_height: &mut u64) -> u64 {
        src.block(vec![]);
        let h = src.height;
        let msg = MsgUpdateClient {
            client_id: CLIENT.into(),
            client_message: Some(src.update_header(h, *client_height)),
            signer: dst.signer(),
        };
        dst.ok(vec![any(&msg)]);
        *client_height = h;
        h - 1
    }

    fn a_to_b(&mut self) -> u64 {
        Self::update(&mut self.a, &mut self.b, &mut self.b_client_of_a)
    }

    fn b_to_a(&mut self) -> u64 {
        Self::update(&mut self.b, &mut self.a, &mut self.a_client_of_b)
    }

    fn new() -> Link {
        Self::with_b_params(serde_json::json!({}))
    }

    fn with_b_params(b_ibc: serde_json::Value) -> Link {
        Self::with_genesis(serde_json::json!({}), serde_json::json!({"ibc": b_ibc}))
    }

    /// A link whose chains' genesis get `a_extra` and `b_extra` module slices.
    fn with_genesis(a_extra: serde_json::Value, b_extra: serde_json::Value) -> Link {
        let clock = Rc::new(Cell::new(BASE_TIME));
        let mut a = Side::new("chain-a-1", clock.clone(), "val-a", a_extra);
        let mut b = Side::new("chain-b-1", clock, "val-b", b_extra);
        a.block(vec![]);
        b.block(vec![]);
        a.block(vec![]);
        b.block(vec![]);
        // Clients of each other at their latest headers.
        let create = |src: &Side, dst: &Side| MsgCreateClient {
            client_state: Some(src.client_state(src.height)),
            consensus_state: Some(src.consensus_state(src.height)),
            signer: dst.signer(),
        };
        let (on_b, on_a) = (create(&a, &b), create(&b, &a));
        let r = b.ok(vec![any(&on_b)]);
        assert_eq!(event(&r, "create_client").get("client_id"), Some(CLIENT));
        a.ok(vec![any(&on_a)]);
        let (a_client_of_b, b_client_of_a) = (b.height - 1, a.height - 1);
        let mut link = Link {
            a,
            b,
            a_client_of_b,
            b_client_of_a,
        };
        link.connect();
        link.open_channel();
        link
    }

    fn connect(&mut self) {
        let init = conn::MsgConnectionOpenInit {
            client_id: CLIENT.into(),
            counterparty: Some(conn::Counterparty {
                client_id: CLIENT.into(),
                connection_id: String::new(),
                prefix: merkle_prefix(),
            }),
            version: Some(connection_version()),
            delay_period: 0,
            signer: self.a.signer(),
        };
        let r = self.a.ok(vec![any(&init)]);
        assert_eq!(
            event(&r, "connection_open_init").get("connection_id"),
            Some(CONN)
        );

        let h = self.a_to_b();
        let consensus_height = self.a_client_of_b;
        #[allow(deprecated)]
        let try_ = conn::MsgConnectionOpenTry {
            client_id: CLIENT.into(),
            previous_connection_id: String::new(),
            client_state: Some(
                Any::decode(
                    self.a
                        .ibc_value(&format!("clients/{CLIENT}/clientState"))
                        .as_slice(),
                )
                .unwrap(),
            ),
            counterparty: Some(conn::Counterparty {
                client_id: CLIENT.into(),
                connection_id: CONN.into(),
                prefix: merkle_prefix(),
            }),
            delay_period: 0,
            counterparty_versions: vec![connection_version()],
            proof_height: Some(self.a.h(h + 1)),
            proof_init: self.a.proof(&format!("connections/{CONN}"), h),
            proof_client: self.a.proof(&format!("clients/{CLIENT}/clientState"), h),
            proof_consensus: self.a.proof(
                &format!("clients/{CLIENT}/consensusStates/1-{consensus_height}"),
                h,
            ),
            consensus_height: Some(self.b.h(consensus_height)),
            signer: self.b.signer(),
            host_consensus_state_proof: vec![],
        };
        let r = self.b.ok(vec![any(&try_)]);
        assert_eq!(
            event(&r, "connection_open_try").get("counterparty_connection_id"),
            Some(CONN)
        );

        let h = self.b_to_a();
        let consensus_height = self.b_client_of_a;
        let ack = conn::MsgConnectionOpenAck {
            connection_id: CONN.into(),
            counterparty_connection_id: CONN.into(),
            version: Some(connection_version()),
            client_state: Some(
                Any::decode(
                    self.b
                        .ibc_value(&format!("clients/{CLIENT}/clientState"))
                        .as_slice(),
                )
                .unwrap(),
            ),
            proof_height: Some(self.b.h(h + 1)),
            proof_try: self.b.proof(&format!("connections/{CONN}"), h),
            proof_client: self.b.proof(&format!("clients/{CLIENT}/clientState"), h),
            proof_consensus: self.b.proof(
                &format!("clients/{CLIENT}/consensusStates/1-{consensus_height}"),
                h,
            ),
            consensus_height: Some(self.a.h(consensus_height)),
            signer: self.a.signer(),
            host_consensus_state_proof: vec![],
        };
        self.a.ok(vec![any(&ack)]);

        let h = self.a_to_b();
        let confirm = conn::MsgConnectionOpenConfirm {
            connection_id: CONN.into(),
            proof_ack: self.a.proof(&format!("connections/{CONN}"), h),
            proof_height: Some(self.a.h(h + 1)),
            signer: self.b.signer(),
        };
        self.b.ok(vec![any(&confirm)]);
    }

    fn open_channel(&mut self) {
        let channel =
            |state: chan::State, cp_channel: &str| transfer_channel(state, CONN, cp_channel);
        let init = chan::MsgChannelOpenInit {
            port_id: "transfer".into(),
            channel: Some(channel(chan::State::Init, "")),
            signer: self.a.signer(),
        };
        let r = self.a.ok(vec![any(&init)]);
        assert_eq!(event(&r, "channel_open_init").get("channel_id"), Some(CHAN));

        let h = self.a_to_b();
        #[allow(deprecated)]
        let try_ = chan::MsgChannelOpenTry {
            port_id: "transfer".into(),
            previous_channel_id: String::new(),
            channel: Some(channel(chan::State::Tryopen, CHAN)),
            counterparty_version: "ics20-1".into(),
            proof_init: self
                .a
                .proof(&format!("channelEnds/ports/transfer/channels/{CHAN}"), h),
            proof_height: Some(self.a.h(h + 1)),
            signer: self.b.signer(),
        };
        self.b.ok(vec![any(&try_)]);

        let h = self.b_to_a();
        let ack = chan::MsgChannelOpenAck {
            port_id: "transfer".into(),
            channel_id: CHAN.into(),
            counterparty_channel_id: CHAN.into(),
            counterparty_version: "ics20-1".into(),
            proof_try: self
                .b
                .proof(&format!("channelEnds/ports/transfer/channels/{CHAN}"), h),
            proof_height: Some(self.b.h(h + 1)),
            signer: self.a.signer(),
        };
        self.a.ok(vec![any(&ack)]);

        let h = self.a_to_b();
        let confirm = chan::MsgChannelOpenConfirm {
            port_id: "transfer".into(),
            channel_id: CHAN.into(),
            proof_ack: self
                .a
                .proof(&format!("channelEnds/ports/transfer/channels/{CHAN}"), h),
            proof_height: Some(self.a.h(h + 1)),
            signer: self.b.signer(),
        };
        self.b.ok(vec![any(&confirm)]);
    }
}

/// Proves on B that `packet` was never received and times it out on A.
fn time_out_on_a(l: &mut Link, packet: chan::Packet) -> TxOutcome {
    let h = Link::update(&mut l.b, &mut l.a, &mut l.a_client_of_b);
    let path = format!(
        "receipts/ports/transfer/channels/{CHAN}/sequences/{}",
        packet.sequence
    );
    let timeout = chan::MsgTimeout {
        proof_unreceived: l.b.proof(&path, h),
        proof_height: Some(l.b.h(h + 1)),
        next_sequence_recv: packet.sequence,
        packet: Some(packet),
        signer: l.a.signer(),
    };
    l.a.ok(vec![any(&timeout)])
}

/// The packet a `send_packet` event describes, as ibc-go's relayers read it.
fn packet_from(e: &Event) -> chan::Packet {
    let get = |k: &str| {
        e.get(k)
            .unwrap_or_else(|| panic!("send_packet has no {k}"))
            .to_string()
    };
    let (rev, h) = get("packet_timeout_height")
        .split_once('-')
        .map(|(r, h)| (r.parse().unwrap(), h.parse().unwrap()))
        .unwrap();
    chan::Packet {
        sequence: get("packet_sequence").parse().unwrap(),
        source_port: get("packet_src_port"),
        source_channel: get("packet_src_channel"),
        destination_port: get("packet_dst_port"),
        destination_channel: get("packet_dst_channel"),
        data: hex::decode(get("packet_data_hex")).unwrap(),
        timeout_height: Some(Height {
            revision_number: rev,
            revision_height: h,
        }),
        timeout_timestamp: get("packet_timeout_timestamp").parse().unwrap(),
    }
}

fn transfer(
    from: &Side,
    to: &Side,
    denom: &str,
    amount: u128,
    receiver: Option<&str>,
    timeout_height: u64,
) -> Any {
    transfer_with(from, to, denom, amount, receiver, timeout_height, 0)
}

fn transfer_with(
    from: &Side,
    to: &Side,
    denom: &str,
    amount: u128,
    receiver: Option<&str>,
    timeout_height: u64,
    timeout_ns: u64,
) -> Any {
    let msg = MsgTransfer {
        source_port: "transfer".into(),
        source_channel: CHAN.into(),
        token: Some(PCoin {
            denom: denom.into(),
            amount: amount.to_string(),
        }),
        sender: from.signer(),
        receiver: receiver.map(str::to_string).unwrap_or_else(|| to.signer()),
        timeout_height: Some(to.h(timeout_height)),
        timeout_timestamp: timeout_ns,
        memo: String::new(),
    };
    any(&msg)
}

/// Relays a packet from `src` to `dst` and its acknowledgement back; returns the ack bytes.
fn relay(
    src: &mut Side,
    dst: &mut Side,
    src_client_on_dst: &mut u64,
    dst_client_on_src: &mut u64,
    packet: chan::Packet,
) -> Vec<u8> {
    let h = Link::update(src, dst, src_client_on_dst);
    let recv = chan::MsgRecvPacket {
        proof_commitment: src.proof(
            &format!(
                "commitments/ports/transfer/channels/{}/sequences/{}",
                packet.source_channel, packet.sequence
            ),
            h,
        ),
        proof_height: Some(src.h(h + 1)),
        packet: Some(packet.clone()),
        signer: dst.signer(),
    };
    let r = dst.ok(vec![any(&recv)]);
    let ack = hex::decode(
        event(&r, "write_acknowledgement")
            .get("packet_ack_hex")
            .unwrap(),
    )
    .unwrap();
    let h = Link::update(dst, src, dst_client_on_src);
    let msg = chan::MsgAcknowledgement {
        acknowledgement: ack.clone(),
        proof_acked: dst.proof(
            &format!(
                "acks/ports/transfer/channels/{}/sequences/{}",
                packet.destination_channel, packet.sequence
            ),
            h,
        ),
        proof_height: Some(dst.h(h + 1)),
        packet: Some(packet),
        signer: src.signer(),
    };
    src.ok(vec![any(&msg)]);
    ack
}

fn voucher(full: &str) -> String {
    estuary_ibc::ics20::voucher_denom(full)
}

/// Escrow of `stake` on A for channel-0 equals the vouchers of it in circulation on B.
fn assert_conserved(l: &Link) {
    let escrow = Address(estuary_ibc::ics20::escrow_address("transfer", CHAN));
    let escrowed =
        l.a.app
            .storage()
            .balance(&escrow, &Denom::new("stake").unwrap())
            .unwrap();
    let accounted =
        l.a.app
            .storage()
            .channel_escrow("transfer", CHAN, "stake")
            .unwrap();
    let vouchers = l.b.supply(&voucher("transfer/channel-0/stake"));
    assert_eq!(escrowed, vouchers, "escrow on A = vouchers on B");
    assert_eq!(
        accounted, escrowed,
        "per-channel accounting matches the escrow account"
    );
    assert_eq!(
        l.a.supply("stake"),
        1_000_000,
        "A's native supply never changes"
    );
}

#[test]
fn handshake_transfer_round_trip_error_ack_timeout_and_forgery() {
    let mut l = Link::new();
    assert_conserved(&l);

    // A → B: 1000 stake, acknowledged.
    let r =
        l.a.ok(vec![transfer(&l.a, &l.b, "stake", 1000, None, 1000)]);
    let packet = packet_from(event(&r, "send_packet"));
    assert_eq!(
        event(&r, "send_packet").get("packet_channel_ordering"),
        Some("ORDER_UNORDERED")
    );
    assert_eq!(
        packet.data,
        format!(
            r#"{{"amount":"1000","denom":"stake","receiver":"{}","sender":"{}"}}"#,
            l.b.signer(),
            l.a.signer()
        )
        .into_bytes(),
        "packet data is ibc-go's sorted JSON without an empty memo"
    );
    let ack = relay(
        &mut l.a,
        &mut l.b,
        &mut l.b_client_of_a,
        &mut l.a_client_of_b,
        packet.clone(),
    );
    assert_eq!(ack, br#"{"result":"AQ=="}"#);
    let v = voucher("transfer/channel-0/stake");
    assert_eq!(l.b.balance(&v), 1000);
    assert_eq!(l.a.balance("stake"), 1_000_000 - 1000);
    let trace =
        l.b.app
            .storage()
            .denom_trace(v.trim_start_matches("ibc/"))
            .unwrap()
            .unwrap();
    assert_eq!(
        (trace.path.as_str(), trace.base_denom.as_str()),
        ("transfer/channel-0", "stake")
    );
    assert!(
        l.a.ibc_value("commitments/ports/transfer/channels/channel-0/sequences/1")
            .is_empty(),
        "acked: commitment deleted"
    );
    assert_conserved(&l);

    // Replaying the receive mints nothing more.
    let h = Link::update(&mut l.a, &mut l.b, &mut l.b_client_of_a);
    let replay = chan::MsgRecvPacket {
        proof_commitment: l.a.proof(
            "commitments/ports/transfer/channels/channel-0/sequences/1",
            h,
        ),
        proof_height: Some(l.a.h(h + 1)),
        packet: Some(packet),
        signer: l.b.signer(),
    };
    let r = l.b.block(vec![any(&replay)]).unwrap();
    assert_ne!(
        r.code, 0,
        "a replayed packet whose commitment is gone does not verify"
    );
    assert_eq!(l.b.balance(&v), 1000);

    // B → A: 400 vouchers go home (burnt on B, released from escrow on A).
    let r = l.b.ok(vec![transfer(&l.b, &l.a, &v, 400, None, 1000)]);
    let back = packet_from(event(&r, "send_packet"));
    assert!(String::from_utf8_lossy(&back.data).contains(r#""denom":"transfer/channel-0/stake""#));
    relay(
        &mut l.b,
        &mut l.a,
        &mut l.a_client_of_b,
        &mut l.b_client_of_a,
        back,
    );
    assert_eq!(l.b.balance(&v), 600);
    assert_eq!(l.a.balance("stake"), 1_000_000 - 600);
    assert_conserved(&l);

    // A → B to a receiver B cannot parse: error ack, refunded exactly.
    let r = l.a.ok(vec![transfer(
        &l.a,
        &l.b,
        "stake",
        50,
        Some("not-an-address"),
        1000,
    )]);
    let bad = packet_from(event(&r, "send_packet"));
    assert_eq!(l.a.balance("stake"), 1_000_000 - 650);
    let ack = relay(
        &mut l.a,
        &mut l.b,
        &mut l.b_client_of_a,
        &mut l.a_client_of_b,
        bad,
    );
    assert_eq!(
        ack,
        br#"{"error":"ABCI code: 7: error handling packet: see events for details"}"#
    );
    assert_eq!(
        l.a.balance("stake"),
        1_000_000 - 600,
        "refunded on the error ack"
    );
    assert_conserved(&l);

    // A → B with a timeout two blocks ahead on B, never relayed: timed out and refunded.
    let deadline = l.b.height + 2;
    let r =
        l.a.ok(vec![transfer(&l.a, &l.b, "stake", 70, None, deadline)]);
    let late = packet_from(event(&r, "send_packet"));
    for _ in 0..3 {
        l.b.block(vec![]);
    }
    let r = time_out_on_a(&mut l, late);
    assert!(r.events.iter().any(|e| e.kind == "timeout_packet"));
    assert_eq!(l.a.balance("stake"), 1_000_000 - 600, "refunded on timeout");
    assert_eq!(l.b.balance(&v), 600, "nothing minted on B");
    assert_conserved(&l);

    // A → B timing out by timestamp: B's clock passes the deadline before it is relayed.
    let deadline_ns = (l.b.clock.get() + 3) * 1_000_000_000;
    let r = l.a.ok(vec![transfer_with(
        &l.a,
        &l.b,
        "stake",
        30,
        None,
        0,
        deadline_ns,
    )]);
    let late = packet_from(event(&r, "send_packet"));
    assert_eq!(late.timeout_timestamp, deadline_ns);
    for _ in 0..4 {
        l.b.block(vec![]);
    }
    time_out_on_a(&mut l, late);
    assert_eq!(
        l.a.balance("stake"),
        1_000_000 - 600,
        "refunded on timestamp timeout"
    );
    assert_conserved(&l);
    // Sequences are stored as ibc-go does: 8-byte big-endian.
    assert_eq!(
        l.a.ibc_value("nextSequenceSend/ports/transfer/channels/channel-0"),
        5u64.to_be_bytes().to_vec(),
        "four packets sent from A"
    );

    // A header signed by validators the client does not trust is refused.
    l.a.block(vec![]);
    let forged = l.a.forged_update(
        l.a.height,
        l.b_client_of_a,
        &[TgValidator::new("mallory").voting_power(50)],
    );
    let msg = MsgUpdateClient {
        client_id: CLIENT.into(),
        client_message: Some(forged),
        signer: l.b.signer(),
    };
    let r = l.b.block(vec![any(&msg)]).unwrap();
    assert_ne!(r.code, 0, "forged header accepted");
    assert!(!r.log.is_empty());
}

#[test]
fn misbehaviour_freezes_the_client_and_expired_clients_refuse_updates() {
    let mut l = Link::new();
    l.a.block(vec![]);
    let h = l.a.height;
    let honest =
        tm::Header::decode(l.a.update_header(h, l.b_client_of_a).value.as_slice()).unwrap();
    let conflicting = l.a.conflicting_header(h, l.b_client_of_a);
    #[allow(deprecated)]
    let evidence = tm::Misbehaviour {
        client_id: CLIENT.into(),
        header_1: Some(honest),
        header_2: Some(conflicting),
    };
    let msg = MsgUpdateClient {
        client_id: CLIENT.into(),
        client_message: Some(any(&evidence)),
        signer: l.b.signer(),
    };
    let r = l.b.ok(vec![any(&msg)]);
    assert!(
        r.events.iter().any(|e| e.kind == "client_misbehaviour"),
        "{:?}",
        r.events.iter().map(|e| &e.kind).collect::<Vec<_>>()
    );
    let cs = tm::ClientState::decode(
        Any::decode(
            l.b.ibc_value(&format!("clients/{CLIENT}/clientState"))
                .as_slice(),
        )
        .unwrap()
        .value
        .as_slice(),
    )
    .unwrap();
    assert!(
        cs.frozen_height.is_some_and(|f| f.revision_height > 0),
        "client frozen"
    );
    // A frozen client takes no more headers.
    l.a.block(vec![]);
    let msg = MsgUpdateClient {
        client_id: CLIENT.into(),
        client_message: Some(l.a.update_header(l.a.height, l.b_client_of_a)),
        signer: l.b.signer(),
    };
    assert_ne!(l.b.block(vec![any(&msg)]).unwrap().code, 0);

    // B's client on A expires once its trusting period (14 days) has passed without an update.
    l.a.clock.set(l.a.clock.get() + 15 * 86_400);
    l.b.block(vec![]);
    let msg = MsgUpdateClient {
        client_id: CLIENT.into(),
        client_message: Some(l.b.update_header(l.b.height, l.a_client_of_b)),
        signer: l.a.signer(),
    };
    let r = l.a.block(vec![any(&msg)]).unwrap();
    assert_ne!(r.code, 0, "an expired client must refuse updates");
    // Nor does it accept packets: sending over a channel whose client expired fails.
    let r =
        l.a.block(vec![transfer(&l.a, &l.b, "stake", 1, None, 1_000_000)])
            .unwrap();
    assert_ne!(r.code, 0, "sending over an expired client must fail");
    assert_eq!(l.a.balance("stake"), 1_000_000, "nothing escrowed");
}

#[test]
fn disabled_transfers_are_refused_and_refunded() {
    let mut l = Link::with_b_params(
        serde_json::json!({"params": {"send_enabled": false, "receive_enabled": false}}),
    );
    // B may not send.
    let r =
        l.b.block(vec![transfer(&l.b, &l.a, "stake", 5, None, 1000)])
            .unwrap();
    assert_eq!((r.codespace.as_str(), r.code), ("transfer", 7), "{}", r.log);
    // B may not receive: A's tokens come back with an error ack.
    let r = l.a.ok(vec![transfer(&l.a, &l.b, "stake", 40, None, 1000)]);
    let packet = packet_from(event(&r, "send_packet"));
    let ack = relay(
        &mut l.a,
        &mut l.b,
        &mut l.b_client_of_a,
        &mut l.a_client_of_b,
        packet,
    );
    assert_eq!(
        ack,
        br#"{"error":"ABCI code: 8: error handling packet: see events for details"}"#
    );
    assert_eq!(l.a.balance("stake"), 1_000_000);
    assert_conserved(&l);
}

/// What a faulty or malicious relayer might submit, and the chain refuses.
#[test]
fn bad_relayer_input_is_refused() {
    let mut l = Link::new();
    let r = l.a.ok(vec![transfer(&l.a, &l.b, "stake", 10, None, 1000)]);
    let packet = packet_from(event(&r, "send_packet"));
    let h = Link::update(&mut l.a, &mut l.b, &mut l.b_client_of_a);
    let path = format!(
        "commitments/ports/transfer/channels/{CHAN}/sequences/{}",
        packet.sequence
    );
    let good = l.a.proof(&path, h);

    // A forged proof: one byte of it changed.
    let mut forged = good.clone();
    let n = forged.len();
    forged[n - 5] ^= 0x01;
    let recv = |p: chan::Packet, proof: Vec<u8>, signer: String| {
        any(&chan::MsgRecvPacket {
            packet: Some(p),
            proof_commitment: proof,
            proof_height: Some(Height {
                revision_number: 1,
                revision_height: h + 1,
            }),
            signer,
        })
    };
    let r =
        l.b.block(vec![recv(packet.clone(), forged, l.b.signer())])
            .unwrap();
    assert_ne!(r.code, 0, "forged proof accepted");
    // The right proof for a different packet (amount changed): the commitment does not match.
    let mut altered = packet.clone();
    altered.data = String::from_utf8(altered.data)
        .unwrap()
        .replace("\"10\"", "\"10000\"")
        .into_bytes();
    let r =
        l.b.block(vec![recv(altered, good.clone(), l.b.signer())])
            .unwrap();
    assert_ne!(r.code, 0, "altered packet accepted");
    // A packet for a channel that does not exist.
    let mut lost = packet.clone();
    lost.destination_channel = "channel-7".into();
    let r =
        l.b.block(vec![recv(lost, good.clone(), l.b.signer())])
            .unwrap();
    assert_ne!(r.code, 0, "packet for an unknown channel accepted");
    assert_eq!(
        l.b.balance(&voucher("transfer/channel-0/stake")),
        0,
        "nothing minted"
    );

    // An acknowledgement for a packet that was never sent.
    let mut never = packet.clone();
    never.sequence = 99;
    let h = Link::update(&mut l.b, &mut l.a, &mut l.a_client_of_b);
    let ack = chan::MsgAcknowledgement {
        packet: Some(never),
        acknowledgement: br#"{"result":"AQ=="}"#.to_vec(),
        proof_acked: l.b.proof(
            &format!("acks/ports/transfer/channels/{CHAN}/sequences/99"),
            h,
        ),
        proof_height: Some(l.b.h(h + 1)),
        signer: l.a.signer(),
    };
    // As in ibc-go, an ack with no packet commitment behind it is a no-op (so that racing
    // relayers do not pay for failed transactions): it is answered, and changes nothing.
    let before = (l.a.balance("stake"), l.a.ibc_value(&path));
    l.a.block(vec![any(&ack)]).unwrap();
    assert_eq!(
        (l.a.balance("stake"), l.a.ibc_value(&path)),
        before,
        "an ack for a packet never sent changed state"
    );
    assert!(
        !before.1.is_empty(),
        "the real packet's commitment is untouched"
    );

    // The honest packet still goes through afterwards.
    let ack = relay(
        &mut l.a,
        &mut l.b,
        &mut l.b_client_of_a,
        &mut l.a_client_of_b,
        packet,
    );
    assert_eq!(ack, br#"{"result":"AQ=="}"#);
    assert_conserved(&l);
}

/// Two relayers on one channel: the second one's copies of packets and acks the first already
/// delivered are no-ops inside its transaction (the rest of its batch succeeds), and a
/// transaction of nothing but such copies is refused by CheckTx with ibc-go's `ErrRedundantTx`.
#[test]
fn redundant_relays_are_no_ops_and_all_redundant_txs_never_reach_a_block() {
    let mut l = Link::new();
    let r1 = l.a.ok(vec![transfer(&l.a, &l.b, "stake", 10, None, 1000)]);
    let r2 = l.a.ok(vec![transfer(&l.a, &l.b, "stake", 20, None, 1000)]);
    let (p1, p2) = (
        packet_from(event(&r1, "send_packet")),
        packet_from(event(&r2, "send_packet")),
    );
    let h = l.a_to_b();
    let recv = |l: &Link, p: &chan::Packet| {
        let path = format!(
            "commitments/ports/transfer/channels/{CHAN}/sequences/{}",
            p.sequence
        );
        any(&chan::MsgRecvPacket {
            proof_commitment: l.a.proof(&path, h),
            proof_height: Some(l.a.h(h + 1)),
            packet: Some(p.clone()),
            signer: l.b.signer(),
        })
    };
    let (recv1, recv2) = (recv(&l, &p1), recv(&l, &p2));
    // The first relayer delivers packet 1.
    l.b.ok(vec![recv1.clone()]);
    // The second relayer's copy alone is refused before a block, with ibc-go's code and words.
    let checked = l.b.app.check_tx(&l.b.signed(vec![recv1.clone()]));
    assert_eq!(
        (checked.codespace.as_str(), checked.code),
        ("channel", 22),
        "{}",
        checked.log
    );
    assert_eq!(checked.log, "packet messages are redundant");
    // With a packet still owed beside it, the copy is a no-op and the batch succeeds.
    let both = l.b.signed(vec![recv1.clone(), recv2.clone()]);
    assert_eq!(l.b.app.check_tx(&both).code, 0);
    let r = l.b.ok(vec![recv1, recv2]);
    let acks: Vec<_> = r
        .events
        .iter()
        .filter(|e| e.kind == "write_acknowledgement")
        .collect();
    assert_eq!(acks.len(), 1, "only packet 2 is received by this tx");
    assert_eq!(
        l.b.balance(&voucher("transfer/channel-0/stake")),
        30,
        "each packet minted exactly once"
    );

    // Acknowledgements the same way on A.
    let h = l.b_to_a();
    let ack = |l: &Link, p: &chan::Packet| {
        any(&chan::MsgAcknowledgement {
            acknowledgement: br#"{"result":"AQ=="}"#.to_vec(),
            proof_acked: l.b.proof(
                &format!(
                    "acks/ports/transfer/channels/{CHAN}/sequences/{}",
                    p.sequence
                ),
                h,
            ),
            proof_height: Some(l.b.h(h + 1)),
            packet: Some(p.clone()),
            signer: l.a.signer(),
        })
    };
    let (ack1, ack2) = (ack(&l, &p1), ack(&l, &p2));
    l.a.ok(vec![ack1.clone()]);
    let checked = l.a.app.check_tx(&l.a.signed(vec![ack1.clone()]));
    assert_eq!((checked.codespace.as_str(), checked.code), ("channel", 22));
    l.a.ok(vec![ack1, ack2]);
    for p in [&p1, &p2] {
        let path = format!(
            "commitments/ports/transfer/channels/{CHAN}/sequences/{}",
            p.sequence
        );
        assert!(
            l.a.ibc_value(&path).is_empty(),
            "commitment {} cleared",
            p.sequence
        );
    }
    assert_conserved(&l);
}

// ---- rate limits ------------------------------------------------------------------------------

fn rate_limit_msg(type_url: &str, signer: &str, denom: &str, send: &str, recv: &str) -> Any {
    use estuary_ibc::rate_limit::types::{MsgAddRateLimit, MsgRemoveRateLimit};
    let value = if type_url.ends_with("AddRateLimit") || type_url.ends_with("UpdateRateLimit") {
        MsgAddRateLimit {
            signer: signer.into(),
            denom: denom.into(),
            channel_or_client_id: CHAN.into(),
            max_percent_send: send.into(),
            max_percent_recv: recv.into(),
            duration_hours: 24,
        }
        .encode_to_vec()
    } else {
        MsgRemoveRateLimit {
            signer: signer.into(),
            denom: denom.into(),
            channel_or_client_id: CHAN.into(),
        }
        .encode_to_vec()
    };
    Any {
        type_url: type_url.into(),
        value,
    }
}

/// A `MsgSubmitProposal` from `side`'s user carrying `msgs`, with a deposit of 10stake (the
/// minimum on these chains).
fn proposal(side: &Side, msgs: Vec<Any>, metadata: &str) -> Any {
    let submit = cosmrs::proto::cosmos::gov::v1::MsgSubmitProposal {
        messages: msgs
            .into_iter()
            .map(|m| cosmrs::proto::Any {
                type_url: m.type_url,
                value: m.value,
            })
            .collect(),
        initial_deposit: vec![cosmrs::proto::cosmos::base::v1beta1::Coin {
            denom: "stake".into(),
            amount: "10".into(),
        }],
        proposer: side.signer(),
        metadata: metadata.into(),
        title: "a proposal".into(),
        summary: "what it does".into(),
        ..Default::default()
    };
    Any {
        type_url: estuary_gov::MSG_SUBMIT_PROPOSAL.into(),
        value: submit.encode_to_vec(),
    }
}

fn limit_of(side: &Side, denom: &str) -> Option<estuary_ibc::rate_limit::Limit> {
    estuary_ibc::rate_limit::RateLimitReader::rate_limit(side.app.storage(), CHAN, denom).unwrap()
}

/// ibc-go v11's rate limits, on both ends of a channel: sends past the quota refused in the
/// transaction, receives past it answered with an error ack that refunds the sender (and gives
/// the sender's quota back), the window resetting on the hour epoch, and a reset by the
/// authority.
#[test]
fn rate_limits_bound_what_crosses_a_channel_in_a_window() {
    use estuary_ibc::rate_limit::{MSG_ADD_RATE_LIMIT, MSG_RESET_RATE_LIMIT};
    let mut l = Link::new();
    let admin_a = l.a.signer();
    // 10% of A's stake supply (1,000,000) may leave per day, 10% come in.
    l.a.ok(vec![rate_limit_msg(
        MSG_ADD_RATE_LIMIT,
        &admin_a,
        "stake",
        "10",
        "10",
    )]);
    // A second limit on the same path is refused (ibc-go's code 1).
    let again = rate_limit_msg(MSG_ADD_RATE_LIMIT, &admin_a, "stake", "1", "1");
    let r = l.a.block(vec![again]).unwrap();
    assert_eq!(
        (r.codespace.as_str(), r.code),
        ("ratelimit", 1),
        "{}",
        r.log
    );
    assert_eq!(limit_of(&l.a, "stake").unwrap().max_percent_send, 10);

    let r =
        l.a.ok(vec![transfer(&l.a, &l.b, "stake", 60_000, None, 1000)]);
    let p1 = packet_from(event(&r, "send_packet"));
    let r =
        l.a.ok(vec![transfer(&l.a, &l.b, "stake", 40_000, None, 1000)]);
    let p2 = packet_from(event(&r, "send_packet"));
    let refused =
        l.a.block(vec![transfer(&l.a, &l.b, "stake", 1, None, 1000)])
            .unwrap();
    assert_eq!(
        (refused.codespace.as_str(), refused.code),
        ("ratelimit", 4),
        "{}",
        refused.log
    );
    assert!(refused.log.contains("quota exceeded"), "{}", refused.log);
    assert_eq!(
        l.a.balance("stake"),
        900_000,
        "the refused send took nothing"
    );
    for p in [p1, p2] {
        relay(
            &mut l.a,
            &mut l.b,
            &mut l.b_client_of_a,
            &mut l.a_client_of_b,
            p,
        );
    }
    let v = voucher("transfer/channel-0/stake");
    assert_eq!(l.b.balance(&v), 100_000);
    assert_eq!(
        limit_of(&l.a, "stake").unwrap().outflow,
        100_000,
        "acked sends stay counted"
    );

    // B takes at most 10% of its voucher supply (100,000) in per window.
    let admin_b = l.b.signer();
    l.b.ok(vec![rate_limit_msg(
        MSG_ADD_RATE_LIMIT,
        &admin_b,
        &v,
        "100",
        "10",
    )]);
    // A's authority resets A's window so A can send again.
    l.a.ok(vec![rate_limit_msg(
        MSG_RESET_RATE_LIMIT,
        &admin_a,
        "stake",
        "",
        "",
    )]);
    assert_eq!(limit_of(&l.a, "stake").unwrap().outflow, 0);
    let r =
        l.a.ok(vec![transfer(&l.a, &l.b, "stake", 8_000, None, 1000)]);
    let ok_packet = packet_from(event(&r, "send_packet"));
    let r =
        l.a.ok(vec![transfer(&l.a, &l.b, "stake", 5_000, None, 1000)]);
    let over = packet_from(event(&r, "send_packet"));
    let ack = relay(
        &mut l.a,
        &mut l.b,
        &mut l.b_client_of_a,
        &mut l.a_client_of_b,
        ok_packet,
    );
    assert_eq!(ack, br#"{"result":"AQ=="}"#);
    // 8,000 + 5,000 > 10,000: B answers with ibc-go's error ack (ratelimit code 4).
    let ack = relay(
        &mut l.a,
        &mut l.b,
        &mut l.b_client_of_a,
        &mut l.a_client_of_b,
        over,
    );
    assert_eq!(
        ack,
        br#"{"error":"ABCI code: 4: error handling packet: see events for details"}"#
    );
    assert_eq!(
        l.b.balance(&v),
        108_000,
        "the refused packet minted nothing on B"
    );
    assert_eq!(limit_of(&l.b, &v).unwrap().inflow, 8_000);
    assert_eq!(
        l.a.balance("stake"),
        892_000,
        "A's sender got the 5,000 back"
    );
    assert_eq!(
        limit_of(&l.a, "stake").unwrap().outflow,
        8_000,
        "the refunded send no longer counts against A's quota"
    );
    assert_conserved(&l);

    // A day later the windows start again: flows zero, the channel value re-read.
    l.a.clock.set(l.a.clock.get() + 25 * 3600);
    let mut reset = false;
    for _ in 0..30 {
        l.a.block(vec![]);
        if limit_of(&l.a, "stake").unwrap().outflow == 0 {
            reset = true;
            break;
        }
    }
    assert!(reset, "A's window never reset");
    assert_eq!(limit_of(&l.a, "stake").unwrap().channel_value, 1_000_000);
}

/// A governance proposal adds a limit and another removes it.
#[test]
fn governance_adds_and_removes_a_rate_limit() {
    use cosmrs::proto::cosmos::gov::v1 as gov;
    use estuary_ibc::rate_limit::{MSG_ADD_RATE_LIMIT, MSG_REMOVE_RATE_LIMIT};
    let mut l = Link::new();
    let gov_account = estuary_validators::gov_authority().to_bech32();
    let propose_and_pass = |side: &mut Side, msg: Any| {
        let id = estuary_gov::GovReader::next_proposal_id(side.app.storage()).unwrap();
        side.ok(vec![proposal(side, vec![msg], "")]);
        let vote = gov::MsgVote {
            proposal_id: id,
            voter: side.signer(),
            option: gov::VoteOption::Yes as i32,
            metadata: String::new(),
        };
        side.ok(vec![Any {
            type_url: estuary_gov::MSG_VOTE.into(),
            value: vote.encode_to_vec(),
        }]);
        for _ in 0..6 {
            side.block(vec![]);
        }
        let p = estuary_gov::GovReader::proposal(side.app.storage(), id)
            .unwrap()
            .unwrap();
        assert_eq!(
            p.status,
            gov::ProposalStatus::Passed as i32,
            "{}",
            p.failed_reason
        );
    };
    propose_and_pass(
        &mut l.a,
        rate_limit_msg(MSG_ADD_RATE_LIMIT, &gov_account, "stake", "1", "1"),
    );
    assert_eq!(limit_of(&l.a, "stake").unwrap().max_percent_send, 1);
    let refused =
        l.a.block(vec![transfer(&l.a, &l.b, "stake", 20_000, None, 1000)])
            .unwrap();
    assert_eq!((refused.codespace.as_str(), refused.code), ("ratelimit", 4));
    propose_and_pass(
        &mut l.a,
        rate_limit_msg(MSG_REMOVE_RATE_LIMIT, &gov_account, "stake", "", ""),
    );
    assert!(limit_of(&l.a, "stake").is_none());
    l.a.ok(vec![transfer(&l.a, &l.b, "stake", 20_000, None, 1000)]);
}

/// An export of a linked chain — IBC clients, connections, channels and a packet in flight, rate
/// limits in use (flows, pending sends, the hour epoch), a proposal in its voting period —
/// imports to the same state, key for key, and so to the same app hash.
#[test]
fn an_export_with_rate_limits_and_a_proposal_imports_to_the_same_state() {
    use estuary_ibc::rate_limit::MSG_ADD_RATE_LIMIT;
    let mut l = Link::new();
    let admin_a = l.a.signer();
    l.a.ok(vec![rate_limit_msg(
        MSG_ADD_RATE_LIMIT,
        &admin_a,
        "stake",
        "10",
        "10",
    )]);
    l.a.ok(vec![transfer(&l.a, &l.b, "stake", 1_000, None, 1000)]);
    l.a.ok(vec![proposal(&l.a, vec![], "ipfs://text")]);
    let exported = l.a.app.modules().export_genesis(l.a.app.storage()).unwrap();
    assert_eq!(
        exported["ratelimit"]["pending_send_packet_sequence_numbers"],
        serde_json::json!(["channel-0/1/stake"])
    );
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(dir.path().join("state.redb"), StorageConfig::default()).unwrap();
    let imported = App::new(storage, estuary_app::modules(), AppConfig::default());
    imported
        .init_chain(
            &l.a.chain_id,
            l.a.height + 1,
            serde_json::to_vec(&exported).unwrap(),
        )
        .unwrap();
    let entries = |app: &App| -> BTreeMap<Vec<u8>, Vec<u8>> {
        let version = app.storage().latest().unwrap().version;
        app.storage()
            .entries_at(version)
            .unwrap()
            .into_iter()
            .collect()
    };
    let (before, after) = (entries(&l.a.app), entries(&imported));
    let differing: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .collect();
    assert!(
        differing.is_empty(),
        "lost or changed by export and import: {differing:?}"
    );
}
