//! ibc-go's rate-limiting wire types (`ibc.applications.rate_limiting.v1`, ibc-go v10/v11), which
//! ibc-proto does not carry: field names and numbers as ibc-go's protos define them, so the
//! messages and queries are the ones ibc-go chains take and answer.

use estuary_sdk::query::QueryRequest;

const PACKAGE: &str = "ibc.applications.rate_limiting.v1";

macro_rules! named {
    ($($t:ident),* $(,)?) => {$(
        impl prost::Name for $t {
            const NAME: &'static str = stringify!($t);
            const PACKAGE: &'static str = PACKAGE;
        }
    )*};
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Path {
    #[prost(string, tag = "1")]
    pub denom: String,
    #[prost(string, tag = "2")]
    pub channel_or_client_id: String,
}

/// Percentages (whole numbers, 0–100, as `math.Int` strings) and the window in hours.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Quota {
    #[prost(string, tag = "1")]
    pub max_percent_send: String,
    #[prost(string, tag = "2")]
    pub max_percent_recv: String,
    #[prost(uint64, tag = "3")]
    pub duration_hours: u64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Flow {
    #[prost(string, tag = "1")]
    pub inflow: String,
    #[prost(string, tag = "2")]
    pub outflow: String,
    #[prost(string, tag = "3")]
    pub channel_value: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RateLimit {
    #[prost(message, optional, tag = "1")]
    pub path: Option<Path>,
    #[prost(message, optional, tag = "2")]
    pub quota: Option<Quota>,
    #[prost(message, optional, tag = "3")]
    pub flow: Option<Flow>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct WhitelistedAddressPair {
    #[prost(string, tag = "1")]
    pub sender: String,
    #[prost(string, tag = "2")]
    pub receiver: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgAddRateLimit {
    #[prost(string, tag = "1")]
    pub signer: String,
    #[prost(string, tag = "2")]
    pub denom: String,
    #[prost(string, tag = "3")]
    pub channel_or_client_id: String,
    #[prost(string, tag = "4")]
    pub max_percent_send: String,
    #[prost(string, tag = "5")]
    pub max_percent_recv: String,
    #[prost(uint64, tag = "6")]
    pub duration_hours: u64,
}

/// Same fields as [`MsgAddRateLimit`]: replaces the quota and restarts the window.
pub type MsgUpdateRateLimit = MsgAddRateLimit;

#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgRemoveRateLimit {
    #[prost(string, tag = "1")]
    pub signer: String,
    #[prost(string, tag = "2")]
    pub denom: String,
    #[prost(string, tag = "3")]
    pub channel_or_client_id: String,
}

/// Same fields as [`MsgRemoveRateLimit`]: zeroes the flow and re-reads the channel value.
pub type MsgResetRateLimit = MsgRemoveRateLimit;

#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryAllRateLimitsRequest {}
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryAllRateLimitsResponse {
    #[prost(message, repeated, tag = "1")]
    pub rate_limits: Vec<RateLimit>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryRateLimitRequest {
    #[prost(string, tag = "1")]
    pub denom: String,
    #[prost(string, tag = "2")]
    pub channel_or_client_id: String,
}
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryRateLimitResponse {
    #[prost(message, optional, tag = "1")]
    pub rate_limit: Option<RateLimit>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryRateLimitsByChainIdRequest {
    #[prost(string, tag = "1")]
    pub chain_id: String,
}
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryRateLimitsByChainIdResponse {
    #[prost(message, repeated, tag = "1")]
    pub rate_limits: Vec<RateLimit>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryRateLimitsByChannelOrClientIdRequest {
    #[prost(string, tag = "1")]
    pub channel_or_client_id: String,
}
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryRateLimitsByChannelOrClientIdResponse {
    #[prost(message, repeated, tag = "1")]
    pub rate_limits: Vec<RateLimit>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryAllBlacklistedDenomsRequest {}
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryAllBlacklistedDenomsResponse {
    #[prost(string, repeated, tag = "1")]
    pub denoms: Vec<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryAllWhitelistedAddressesRequest {}
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryAllWhitelistedAddressesResponse {
    #[prost(message, repeated, tag = "1")]
    pub address_pairs: Vec<WhitelistedAddressPair>,
}

named!(
    QueryAllRateLimitsRequest,
    QueryAllRateLimitsResponse,
    QueryRateLimitRequest,
    QueryRateLimitResponse,
    QueryAllBlacklistedDenomsRequest,
    QueryAllBlacklistedDenomsResponse,
    QueryAllWhitelistedAddressesRequest,
    QueryAllWhitelistedAddressesResponse,
);

// ibc-go spells these `ChainID`; the method path follows the message name.
impl prost::Name for QueryRateLimitsByChainIdRequest {
    const NAME: &'static str = "QueryRateLimitsByChainIDRequest";
    const PACKAGE: &'static str = PACKAGE;
}
impl prost::Name for QueryRateLimitsByChainIdResponse {
    const NAME: &'static str = "QueryRateLimitsByChainIDResponse";
    const PACKAGE: &'static str = PACKAGE;
}

impl prost::Name for QueryRateLimitsByChannelOrClientIdRequest {
    const NAME: &'static str = "QueryRateLimitsByChannelOrClientIDRequest";
    const PACKAGE: &'static str = PACKAGE;
}
impl prost::Name for QueryRateLimitsByChannelOrClientIdResponse {
    const NAME: &'static str = "QueryRateLimitsByChannelOrClientIDResponse";
    const PACKAGE: &'static str = PACKAGE;
}

impl QueryRequest for QueryAllRateLimitsRequest {
    type Response = QueryAllRateLimitsResponse;
}
impl QueryRequest for QueryRateLimitRequest {
    type Response = QueryRateLimitResponse;
}
impl QueryRequest for QueryRateLimitsByChainIdRequest {
    type Response = QueryRateLimitsByChainIdResponse;
}
impl QueryRequest for QueryRateLimitsByChannelOrClientIdRequest {
    type Response = QueryRateLimitsByChannelOrClientIdResponse;
}
impl QueryRequest for QueryAllBlacklistedDenomsRequest {
    type Response = QueryAllBlacklistedDenomsResponse;
}
impl QueryRequest for QueryAllWhitelistedAddressesRequest {
    type Response = QueryAllWhitelistedAddressesResponse;
}
