//! Queries at the Cosmos SDK's gRPC method paths, with its protobuf messages.

use cosmrs::proto::cosmos::auth::v1beta1 as pb;
use estuary_sdk::store::StateRead;
use estuary_sdk::{Address, Any, TxError, TxResult};
use prost::Message;

use crate::account::Account;
use crate::keeper::AuthReader;

pub const ACCOUNT: &str = "/cosmos.auth.v1beta1.Query/Account";
pub const PARAMS: &str = "/cosmos.auth.v1beta1.Query/Params";

pub fn handle(state: &dyn StateRead, path: &str, data: &[u8]) -> Option<TxResult<Vec<u8>>> {
    match path {
        ACCOUNT => Some(account(state, data)),
        PARAMS => Some(params(state)),
        _ => None,
    }
}

fn account(state: &dyn StateRead, data: &[u8]) -> TxResult<Vec<u8>> {
    let req = pb::QueryAccountRequest::decode(data).map_err(|e| TxError::Decode(e.to_string()))?;
    let address = Address::parse(&req.address)?;
    let account = state
        .account(&address)?
        .ok_or_else(|| TxError::NotFound(format!("account {address} not found")))?;
    let any = Any {
        type_url: "/cosmos.auth.v1beta1.BaseAccount".into(),
        value: base_account(&account).encode_to_vec(),
    };
    Ok(pb::QueryAccountResponse { account: Some(any) }.encode_to_vec())
}

fn params(state: &dyn StateRead) -> TxResult<Vec<u8>> {
    let p = state.auth_params()?;
    let params = pb::Params {
        max_memo_characters: p.max_memo_characters,
        tx_sig_limit: p.tx_sig_limit,
        tx_size_cost_per_byte: p.tx_size_cost_per_byte,
        sig_verify_cost_ed25519: 590,
        sig_verify_cost_secp256k1: p.sig_verify_cost_secp256k1,
    };
    Ok(pb::QueryParamsResponse {
        params: Some(params),
    }
    .encode_to_vec())
}

/// The SDK's `BaseAccount`, with the key as a `/cosmos.crypto.secp256k1.PubKey` Any.
pub fn base_account(account: &Account) -> pb::BaseAccount {
    let pub_key = account.pub_key.as_ref().map(|key| Any {
        type_url: "/cosmos.crypto.secp256k1.PubKey".into(),
        value: cosmrs::proto::cosmos::crypto::secp256k1::PubKey { key: key.clone() }
            .encode_to_vec(),
    });
    pb::BaseAccount {
        address: account.address.to_bech32(),
        pub_key,
        account_number: account.account_number,
        sequence: account.sequence,
    }
}
