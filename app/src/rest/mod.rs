//! The REST (LCD) API, in the shape of the Cosmos SDK's gRPC-gateway: every method the gRPC
//! service answers is also served at the HTTP route its protobuf declares (`google.api.http`),
//! with the gateway's JSON. A request is turned into the method's protobuf request, handed to
//! the same `grpc::Service` a gRPC client reaches (so REST, gRPC and ABCI answer from one query
//! registry), and the answer rendered back. Wallets, explorers and chain-registry tooling read
//! chains this way (port 1317 by convention, `api_address` in app.toml).

pub(crate) mod json;
pub mod routes;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::body::Body;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use prost::Message;
use prost_reflect::DynamicMessage;
use serde_json::json;
use tonic::Code;

use crate::grpc::Service;
use routes::{Route, Verb};

/// The largest request body: a broadcast carries a transaction (CometBFT's default limit is
/// 1 MiB) in base64 inside JSON.
pub const MAX_BODY_BYTES: usize = 2 << 20;
/// The longest query string and the most parameters in it.
const MAX_QUERY_BYTES: usize = 16 << 10;
const MAX_QUERY_PARAMS: usize = 128;
/// The height header of the SDK's gRPC and REST servers (request: the height to query at;
/// response: the height answered at, as the gateway forwards gRPC metadata).
const HEIGHT_HEADER: &str = "x-cosmos-block-height";
const HEIGHT_RESPONSE_HEADER: &str = "grpc-metadata-x-cosmos-block-height";

/// The REST API's settings from app.toml.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    pub address: SocketAddr,
    /// Answer browsers from any origin (the SDK's `enabled-unsafe-cors`).
    pub cors: bool,
}

struct Gateway {
    service: Service,
    routes: Vec<Route>,
    cors: bool,
}

/// Serves the REST API on `config.address` until the process ends.
pub async fn serve(service: Service, config: ApiConfig) -> Result<()> {
    let pool = routes::pool().map_err(anyhow::Error::msg)?;
    let methods = service.methods();
    let (routes, skipped) = routes::table(pool, methods.iter().map(String::as_str));
    for (method, why) in &skipped {
        tracing::debug!(%method, ?why, "no REST route");
    }
    let listener = tokio::net::TcpListener::bind(config.address)
        .await
        .with_context(|| format!("REST API on {}", config.address))?;
    tracing::info!(addr = %config.address, routes = routes.len(), "REST API listening");
    let gateway = Arc::new(Gateway {
        service,
        routes,
        cors: config.cors,
    });
    let app = axum::Router::new().fallback(move |req: Request<Body>| {
        let gateway = gateway.clone();
        async move { gateway.handle(req).await }
    });
    axum::serve(listener, app)
        .await
        .with_context(|| format!("REST API on {}", config.address))
}

/// An error as the gateway writes it: `{"code", "message", "details"}` with the gRPC code, and
/// the HTTP status the gateway maps that code to.
fn error(code: Code, message: impl Into<String>) -> Response<Body> {
    let body = json!({"code": code as i32, "message": message.into(), "details": []});
    respond(http_status(code), &body, None)
}

/// grpc-gateway's `HTTPStatusFromCode`.
fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::Cancelled => StatusCode::REQUEST_TIMEOUT,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn respond(
    status: StatusCode,
    body: &serde_json::Value,
    height: Option<HeaderValue>,
) -> Response<Body> {
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(h) = height {
        resp.headers_mut().insert(HEIGHT_RESPONSE_HEADER, h);
    }
    resp
}

/// `a=1&b=x&b=y` as the gateway parses it (form decoding: `+` is a space), grouped by name.
fn parse_query(query: &str) -> Result<BTreeMap<String, Vec<String>>, String> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(format!("query string longer than {MAX_QUERY_BYTES} bytes"));
    }
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, pair) in query.split('&').filter(|p| !p.is_empty()).enumerate() {
        if i >= MAX_QUERY_PARAMS {
            return Err(format!("more than {MAX_QUERY_PARAMS} query parameters"));
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            routes::percent_decode(&s.replace('+', " "))
                .ok_or_else(|| format!("query parameter {s:?} is not valid percent-encoding"))
        };
        out.entry(decode(k)?).or_default().push(decode(v)?);
    }
    Ok(out)
}

impl Gateway {
    async fn handle(&self, req: Request<Body>) -> Response<Body> {
        let cors = self.cors;
        let origin = req.headers().get(header::ORIGIN).cloned();
        let mut resp = if cors && req.method() == Method::OPTIONS {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NO_CONTENT;
            r
        } else {
            self.answer(req).await
        };
        if cors {
            let h = resp.headers_mut();
            h.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                origin.unwrap_or(HeaderValue::from_static("*")),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST, OPTIONS"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("*"),
            );
            h.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(HEIGHT_RESPONSE_HEADER),
            );
        }
        resp
    }

    async fn answer(&self, req: Request<Body>) -> Response<Body> {
        let verb = match *req.method() {
            Method::GET => Verb::Get,
            Method::POST => Verb::Post,
            _ => return error(Code::Unimplemented, "Method Not Allowed"),
        };
        let Some(segments) = routes::split_path(req.uri().path()) else {
            return error(Code::InvalidArgument, "malformed path");
        };
        let (route, path_params) = match routes::find(&self.routes, verb, &segments) {
            Ok(found) => found,
            Err(true) => return error(Code::Unimplemented, "Method Not Allowed"),
            // The SDK's gateway answers an unknown route so (501), not with a 404.
            Err(false) => return error(Code::Unimplemented, "Not Implemented"),
        };
        let query = match parse_query(req.uri().query().unwrap_or("")) {
            Ok(q) => q,
            Err(e) => return error(Code::InvalidArgument, e),
        };
        // Passed on as given: the gRPC service checks it, so both refuse a bad one alike.
        let height = req.headers().get(HEIGHT_HEADER).cloned();
        let body = if route.body.is_some() {
            match axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES).await {
                Ok(b) => Some(b),
                Err(_) => {
                    return error(
                        Code::InvalidArgument,
                        format!("request body larger than {MAX_BODY_BYTES} bytes"),
                    )
                }
            }
        } else {
            None
        };
        let request = match build_request(route, body.as_deref(), &query, &path_params) {
            Ok(r) => r,
            Err(e) => return error(Code::InvalidArgument, e),
        };
        let mut grpc_req = tonic::Request::new(request.encode_to_vec());
        if let Some(v) =
            height.and_then(|h| tonic::metadata::MetadataValue::try_from(h.as_bytes()).ok())
        {
            grpc_req.metadata_mut().insert(HEIGHT_HEADER, v);
        }
        match self.service.answer(&route.method, grpc_req).await {
            Ok(resp) => {
                let height = resp
                    .metadata()
                    .get(HEIGHT_HEADER)
                    .and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok());
                match DynamicMessage::decode(route.output.clone(), resp.get_ref().as_slice()) {
                    Ok(msg) => respond(StatusCode::OK, &json::render(&msg), height),
                    Err(e) => error(
                        Code::Internal,
                        format!("decoding {}: {e}", route.output.full_name()),
                    ),
                }
            }
            Err(status) => error(status.code(), status.message()),
        }
    }
}

/// The method's request from the body (POST), then the query parameters, then the path
/// parameters, each overriding the one before, as the gateway fills it.
fn build_request(
    route: &Route,
    body: Option<&[u8]>,
    query: &BTreeMap<String, Vec<String>>,
    path: &[(String, String)],
) -> Result<DynamicMessage, String> {
    let mut msg = match (route.body.as_deref(), body) {
        (Some("*"), Some(bytes)) => json::parse_body(route.input.clone(), bytes)?,
        (Some(field), _) if field != "*" => {
            return Err(format!(
                "route {} has a body field this gateway does not map",
                route.template
            ))
        }
        _ => DynamicMessage::new(route.input.clone()),
    };
    if route.body.as_deref() != Some("*") {
        for (name, values) in query {
            json::set_param(&mut msg, name, values, false)?;
        }
    }
    for (name, value) in path {
        json::set_param(&mut msg, name, std::slice::from_ref(value), true)?;
    }
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_are_bounded_and_parsed_as_the_gateway_parses_them() {
        let q = parse_query("a=1&b=x&b=y%20z&c=a+b&d").unwrap();
        assert_eq!(q["a"], ["1"]);
        assert_eq!(q["b"], ["x", "y z"]);
        assert_eq!(q["c"], ["a b"]);
        assert_eq!(q["d"], [""]);
        assert!(parse_query("a=%zz").is_err());
        assert!(parse_query(&"a=1&".repeat(MAX_QUERY_PARAMS + 1)).is_err());
        assert!(parse_query(&"a".repeat(MAX_QUERY_BYTES + 1)).is_err());

        assert_eq!(http_status(Code::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(
            http_status(Code::Unimplemented),
            StatusCode::NOT_IMPLEMENTED
        );
    }

    proptest::proptest! {
        /// Whatever path, query string and body a client sends, the gateway's parsing answers
        /// with a request or an error, never a panic.
        #[test]
        fn hostile_urls_and_bodies_never_panic(
            path in "(/[a-z0-9_%{}.,=*-]{0,12}){0,10}",
            query in "[a-z._&=%+0-9A-F-]{0,80}",
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
        ) {
            let pool = routes::pool().unwrap();
            let methods = [
                "/cosmos.bank.v1beta1.Query/AllBalances",
                "/ibc.core.channel.v1.Query/UnreceivedPackets",
                "/ibc.applications.transfer.v1.Query/TotalEscrowForDenom",
                "/cosmos.tx.v1beta1.Service/BroadcastTx",
            ];
            let (table, _) = routes::table(pool, methods);
            let Some(segments) = routes::split_path(&path) else { return Ok(()) };
            let Ok(query) = parse_query(&query) else { return Ok(()) };
            for verb in [Verb::Get, Verb::Post] {
                if let Ok((route, params)) = routes::find(&table, verb, &segments) {
                    let _ = build_request(route, Some(&body), &query, &params);
                }
            }
        }
    }
}
