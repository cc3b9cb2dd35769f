//! Queries at the Cosmos SDK's gRPC method paths, with its protobuf messages.

use cosmrs::proto::cosmos::bank::v1beta1 as pb;
use estuary_sdk::store::StateRead;
use estuary_sdk::{Address, Coin, Denom, TxError, TxResult};
use prost::Message;

use crate::keeper::BankReader;

pub const BALANCE: &str = "/cosmos.bank.v1beta1.Query/Balance";
pub const ALL_BALANCES: &str = "/cosmos.bank.v1beta1.Query/AllBalances";
pub const TOTAL_SUPPLY: &str = "/cosmos.bank.v1beta1.Query/TotalSupply";
pub const SUPPLY_OF: &str = "/cosmos.bank.v1beta1.Query/SupplyOf";

pub fn handle(state: &dyn StateRead, path: &str, data: &[u8]) -> Option<TxResult<Vec<u8>>> {
    let result = match path {
        BALANCE => balance(state, data),
        ALL_BALANCES => all_balances(state, data),
        TOTAL_SUPPLY => total_supply(state, data),
        SUPPLY_OF => supply_of(state, data),
        _ => return None,
    };
    Some(result)
}

fn decode<M: Message + Default>(data: &[u8]) -> TxResult<M> {
    M::decode(data).map_err(|e| TxError::Decode(e.to_string()))
}

fn balance(state: &dyn StateRead, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: pb::QueryBalanceRequest = decode(data)?;
    let address = Address::parse(&req.address)?;
    let denom = Denom::new(req.denom)?;
    let amount = state.balance(&address, &denom)?;
    let coin = Coin { denom, amount }.to_proto();
    Ok(pb::QueryBalanceResponse {
        balance: Some(coin),
    }
    .encode_to_vec())
}

fn all_balances(state: &dyn StateRead, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: pb::QueryAllBalancesRequest = decode(data)?;
    let address = Address::parse(&req.address)?;
    let (coins, out) =
        state.balance_page(&address, req.pagination.as_ref().map(Into::into).as_ref())?;
    Ok(pb::QueryAllBalancesResponse {
        balances: coins.iter().map(Coin::to_proto).collect(),
        pagination: Some(out.into()),
    }
    .encode_to_vec())
}

fn total_supply(state: &dyn StateRead, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: pb::QueryTotalSupplyRequest = decode(data)?;
    let (coins, out) = state.supply_page(req.pagination.as_ref().map(Into::into).as_ref())?;
    Ok(pb::QueryTotalSupplyResponse {
        supply: coins.iter().map(Coin::to_proto).collect(),
        pagination: Some(out.into()),
    }
    .encode_to_vec())
}
fn supply_of(state: &dyn StateRead, data: &[u8]) -> TxResult<Vec<u8>> {
    let req: pb::QuerySupplyOfRequest = decode(data)?;
    let denom = Denom::new(req.denom)?;
    let amount = state.supply(&denom)?;
    Ok(pb::QuerySupplyOfResponse {
        amount: Some(Coin { denom, amount }.to_proto()),
    }
    .encode_to_vec())
}
