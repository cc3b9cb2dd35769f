//! Queries at the Cosmos SDK's gRPC method paths, with its protobuf messages.

use cosmrs::proto::cosmos::auth::v1beta1 as pb;
use estuary_sdk::query::{QueryContext, QueryRegistry};
use estuary_sdk::{Address, Any, TxError, TxResult};
use prost::Message;

use crate::account::Account;
use crate::keeper::AuthReader;

/// Registers auth's query service (`cosmos.auth.v1beta1.Query`).
pub fn register(registry: &mut QueryRegistry) {
    registry
        .register(account)
        .register(accounts)
        .register(params);
}

fn account_any(account: &Account) -> Any {
    Any {
        type_url: "/cosmos.auth.v1beta1.BaseAccount".into(),
        value: base_account(account).encode_to_vec(),
    }
}

fn accounts(
    ctx: &QueryContext<'_>,
    req: pb::QueryAccountsRequest,
) -> TxResult<pb::QueryAccountsResponse> {
    let (accounts, page) = ctx
        .state
        .account_page(req.pagination.as_ref().map(Into::into).as_ref())?;
    Ok(pb::QueryAccountsResponse {
        accounts: accounts.iter().map(account_any).collect(),
        pagination: Some(page.into()),
    })
}

fn account(
    ctx: &QueryContext<'_>,
    req: pb::QueryAccountRequest,
) -> TxResult<pb::QueryAccountResponse> {
    let state = ctx.state;
    let address = Address::parse(&req.address)?;
    let account = state
        .account(&address)?
        .ok_or_else(|| TxError::NotFound(format!("account {address} not found")))?;
    Ok(pb::QueryAccountResponse {
        account: Some(account_any(&account)),
    })
}

fn params(
    ctx: &QueryContext<'_>,
    _req: pb::QueryParamsRequest,
) -> TxResult<pb::QueryParamsResponse> {
    let p = ctx.state.auth_params()?;
    let params = pb::Params {
        max_memo_characters: p.max_memo_characters,
        tx_sig_limit: p.tx_sig_limit,
        tx_size_cost_per_byte: p.tx_size_cost_per_byte,
        sig_verify_cost_ed25519: 590,
        sig_verify_cost_secp256k1: p.sig_verify_cost_secp256k1,
    };
    Ok(pb::QueryParamsResponse {
        params: Some(params),
    })
}

/// The SDK's `BaseAccount`, with the key as its `Any` (secp256k1 or multisig).
pub fn base_account(account: &Account) -> pb::BaseAccount {
    let pub_key = account
        .pub_key
        .as_ref()
        .and_then(|stored| crate::account::AccountKey::from_stored(stored).ok())
        .map(|key| key.to_any());
    pb::BaseAccount {
        address: account.address.to_bech32(),
        pub_key,
        account_number: account.account_number,
        sequence: account.sequence,
    }
}
