//! Queries at the Cosmos SDK's gRPC method paths, with its protobuf messages.

use cosmrs::proto::cosmos::bank::v1beta1 as pb;
use estuary_sdk::query::QueryContext;
use estuary_sdk::query::QueryRegistry;
use estuary_sdk::{Address, Coin, Denom, TxResult};

use crate::keeper::BankReader;

/// Registers bank's query service (`cosmos.bank.v1beta1.Query`).
pub fn register(registry: &mut QueryRegistry) {
    registry
        .register(balance)
        .register(all_balances)
        .register(spendable_balances)
        .register(total_supply)
        .register(supply_of)
        .register(params)
        .register(denoms_metadata)
        .register(denom_metadata);
}

/// Sending is enabled for every denomination; Estuary has no per-denom switch.
fn params(
    _ctx: &QueryContext<'_>,
    _req: pb::QueryParamsRequest,
) -> TxResult<pb::QueryParamsResponse> {
    #[allow(deprecated)] // send_enabled in params is deprecated in the SDK, still served
    let params = pb::Params {
        send_enabled: vec![],
        default_send_enabled: true,
    };
    Ok(pb::QueryParamsResponse {
        params: Some(params),
    })
}

/// Estuary records no denomination metadata (display units live in the chain-registry
/// asset list that `estuaryd chain-info registry` writes), so the list is empty.
fn denoms_metadata(
    _ctx: &QueryContext<'_>,
    _req: pb::QueryDenomsMetadataRequest,
) -> TxResult<pb::QueryDenomsMetadataResponse> {
    Ok(pb::QueryDenomsMetadataResponse {
        metadatas: vec![],
        pagination: Some(Default::default()),
    })
}

fn denom_metadata(
    _ctx: &QueryContext<'_>,
    req: pb::QueryDenomMetadataRequest,
) -> TxResult<pb::QueryDenomMetadataResponse> {
    Err(estuary_sdk::TxError::NotFound(format!(
        "client metadata for denom {}",
        req.denom
    )))
}

fn balance(
    ctx: &QueryContext<'_>,
    req: pb::QueryBalanceRequest,
) -> TxResult<pb::QueryBalanceResponse> {
    let state = ctx.state;
    let address = Address::parse(&req.address)?;
    let denom = Denom::new(req.denom)?;
    let amount = state.balance(&address, &denom)?;
    let coin = Coin { denom, amount }.to_proto();
    Ok(pb::QueryBalanceResponse {
        balance: Some(coin),
    })
}

fn all_balances(
    ctx: &QueryContext<'_>,
    req: pb::QueryAllBalancesRequest,
) -> TxResult<pb::QueryAllBalancesResponse> {
    let state = ctx.state;
    let address = Address::parse(&req.address)?;
    let (coins, out) =
        state.balance_page(&address, req.pagination.as_ref().map(Into::into).as_ref())?;
    Ok(pb::QueryAllBalancesResponse {
        balances: coins.iter().map(Coin::to_proto).collect(),
        pagination: Some(out.into()),
    })
}

/// Everything an account holds is spendable: Estuary has no vesting accounts to lock any of it.
fn spendable_balances(
    ctx: &QueryContext<'_>,
    req: pb::QuerySpendableBalancesRequest,
) -> TxResult<pb::QuerySpendableBalancesResponse> {
    let state = ctx.state;
    let address = Address::parse(&req.address)?;
    let (coins, out) =
        state.balance_page(&address, req.pagination.as_ref().map(Into::into).as_ref())?;
    Ok(pb::QuerySpendableBalancesResponse {
        balances: coins.iter().map(Coin::to_proto).collect(),
        pagination: Some(out.into()),
    })
}

fn total_supply(
    ctx: &QueryContext<'_>,
    req: pb::QueryTotalSupplyRequest,
) -> TxResult<pb::QueryTotalSupplyResponse> {
    let state = ctx.state;
    let (coins, out) = state.supply_page(req.pagination.as_ref().map(Into::into).as_ref())?;
    Ok(pb::QueryTotalSupplyResponse {
        supply: coins.iter().map(Coin::to_proto).collect(),
        pagination: Some(out.into()),
    })
}
fn supply_of(
    ctx: &QueryContext<'_>,
    req: pb::QuerySupplyOfRequest,
) -> TxResult<pb::QuerySupplyOfResponse> {
    let state = ctx.state;
    let denom = Denom::new(req.denom)?;
    let amount = state.supply(&denom)?;
    Ok(pb::QuerySupplyOfResponse {
        amount: Some(Coin { denom, amount }.to_proto()),
    })
}
