//! An in-process chain driven through the same entry points CometBFT calls, and signed txs.
#![allow(dead_code)]

use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::Any;
use estuary_app::app::{App, AppConfig, BlockOutcome};
use estuary_app::client::{sign_tx, TxPlan};
use estuary_auth::AuthReader;
use estuary_bank::BankReader;
use estuary_sdk::store::{Storage, StorageConfig};
use estuary_sdk::{Address, BlockInfo, Coin, Denom};
use prost::Message;

pub const CHAIN: &str = "estuary-test-1";

pub struct Chain {
    pub app: App,
    pub _dir: tempfile::TempDir,
    pub height: u64,
}

pub fn key(n: u8) -> SigningKey {
    SigningKey::from_slice(&[n; 32]).unwrap()
}

pub fn addr(k: &SigningKey) -> Address {
    estuary_app::keyring::address_of(k).unwrap()
}

pub fn genesis_json(funded: &[(Address, u128)]) -> Vec<u8> {
    let balances: Vec<_> = funded
        .iter()
        .map(|(a, amt)| serde_json::json!({"address": a, "coins": [{"denom": "stake", "amount": amt.to_string()}]}))
        .collect();
    let accounts: Vec<_> = funded
        .iter()
        .enumerate()
        .map(|(i, (a, _))| serde_json::json!({"address": a, "account_number": i}))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "auth": {"accounts": accounts},
        "bank": {"balances": balances},
        "validators": {"validators": [{"name": "v0", "pub_key": "FdfwlRMGwBdQrMiVpuZLxRXwcmnpOQhOANKJhifQQ7g=", "power": 10}]},
    }))
    .unwrap()
}

impl Chain {
    pub fn new(funded: &[(Address, u128)]) -> Chain {
        Chain::with_genesis(genesis_json(funded))
    }

    /// A chain from a whole `app_state` (JSON bytes).
    pub fn with_genesis(app_state: Vec<u8>) -> Chain {
        let dir = tempfile::tempdir().unwrap();
        let app = open(&dir, AppConfig::default());
        app.init_chain(CHAIN, 1, app_state).unwrap();
        Chain {
            app,
            _dir: dir,
            height: 0,
        }
    }

    pub fn block(&mut self, txs: Vec<Vec<u8>>) -> BlockOutcome {
        self.height += 1;
        let info = BlockInfo {
            height: self.height,
            time_unix_nanos: (1_767_225_600 + self.height as i128) * 1_000_000_000,
            chain_id: CHAIN.into(),
            ..Default::default()
        };
        let out = self.app.finalize_block(info, &txs);
        let (commit, _) = self.app.commit();
        assert_eq!(commit.app_hash, out.app_hash);
        out
    }

    pub fn balance(&self, a: &Address) -> u128 {
        self.app
            .storage()
            .balance(a, &Denom::new("stake").unwrap())
            .unwrap()
    }

    pub fn supply(&self) -> u128 {
        self.app
            .storage()
            .supply(&Denom::new("stake").unwrap())
            .unwrap()
    }

    pub fn sequence(&self, a: &Address) -> u64 {
        self.app.storage().account(a).unwrap().unwrap().sequence
    }

    /// Every module's state, as exported, less the host header history that each block adds.
    pub fn module_state(&self) -> serde_json::Value {
        let mut v = self
            .app
            .modules()
            .export_genesis(self.app.storage())
            .unwrap();
        v["ibc"]["host_headers"] = serde_json::Value::Null;
        v
    }

    /// Signs `msgs` with `key` at its current account number and sequence and runs them in a
    /// block of their own; the block's outcome.
    pub fn submit(&mut self, key: &SigningKey, msgs: Vec<Any>) -> BlockOutcome {
        let account = self.app.storage().account(&addr(key)).unwrap().unwrap();
        let tx = Tx::new(key, account.account_number, account.sequence, msgs);
        self.block(vec![tx.bytes()])
    }

    pub fn app_hash(&self) -> [u8; 32] {
        self.app.last_commit().unwrap().app_hash
    }
}

pub fn open(dir: &tempfile::TempDir, config: AppConfig) -> App {
    let storage = Storage::open(dir.path().join("state.redb"), StorageConfig::default()).unwrap();
    App::new(storage, estuary_app::modules(), config)
}

pub fn send_msg(from: &Address, to: &str, amount: &str) -> Any {
    let msg = MsgSend {
        from_address: from.to_bech32(),
        to_address: to.into(),
        amount: vec![ProtoCoin {
            denom: "stake".into(),
            amount: amount.into(),
        }],
    };
    Any {
        type_url: "/cosmos.bank.v1beta1.MsgSend".into(),
        value: msg.encode_to_vec(),
    }
}

pub struct Tx<'a> {
    pub key: &'a SigningKey,
    pub account_number: u64,
    pub sequence: u64,
    pub msgs: Vec<Any>,
    pub chain_id: &'a str,
    pub gas: u64,
    pub fee: u128,
    pub memo: String,
}

impl<'a> Tx<'a> {
    pub fn new(key: &'a SigningKey, account_number: u64, sequence: u64, msgs: Vec<Any>) -> Self {
        Tx {
            key,
            account_number,
            sequence,
            msgs,
            chain_id: CHAIN,
            gas: 200_000,
            fee: 0,
            memo: String::new(),
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        let fee = if self.fee > 0 {
            vec![Coin::new(self.fee, "stake").unwrap()]
        } else {
            vec![]
        };
        sign_tx(&TxPlan {
            key: self.key,
            chain_id: self.chain_id,
            account_number: self.account_number,
            sequence: self.sequence,
            messages: self.msgs.clone(),
            fee,
            gas_limit: self.gas,
            memo: self.memo.clone(),
            timeout_height: 0,
        })
        .unwrap()
    }
}

pub fn setup() -> (Chain, SigningKey, Address, SigningKey, Address) {
    let (ka, kb) = (key(1), key(2));
    let (a, b) = (addr(&ka), addr(&kb));
    (Chain::new(&[(a, 1_000_000), (b, 500)]), ka, a, kb, b)
}
