//! Errors a client meets talking to a node, and how they read to a person: a node that cannot be
//! reached is one line naming its address and what to check, never the RPC library's own trace
//! (tendermint-rpc's errors print the source location of their tracer).

use std::fmt;

/// An ABCI query the node answered with a non-zero code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryFailed {
    pub path: String,
    pub code: u32,
    pub codespace: String,
    pub log: String,
}

impl QueryFailed {
    /// Whether the node said the thing asked for does not exist (the SDK's `ErrNotFound`,
    /// codespace `sdk` code 38).
    pub fn is_not_found(&self) -> bool {
        self.codespace == "sdk" && self.code == 38
    }
}

impl fmt::Display for QueryFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "query {} failed (code {}): {}",
            self.path, self.code, self.log
        )
    }
}

impl std::error::Error for QueryFailed {}

/// The node at `url` could not be reached at all (refused, no route, timed out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable {
    pub url: String,
    pub cause: String,
}

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the node at {} cannot be reached ({}): check that it is running and that --node \
             (or ESTUARY_NODE, or `node` in the home's config/client.toml) names its RPC address",
            self.url, self.cause
        )
    }
}

impl std::error::Error for Unreachable {}

/// What went wrong with one RPC call to the node at `url`: an [`Unreachable`] when the request
/// never got an answer, else the RPC error's own words without its tracer's trace.
pub fn rpc_error(url: &str, err: tendermint_rpc::Error) -> anyhow::Error {
    use tendermint_rpc::error::ErrorDetail;
    // tendermint-rpc keeps a failed HTTP request's cause only as text in its tracer's report
    // ("HTTP error / Caused by: … / Location: <source file of the tracer>"): its words, not the
    // location, are what a person needs.
    let report = err.to_string();
    let words = report
        .split("\nLocation:")
        .next()
        .unwrap_or_default()
        .replace("Caused by:", "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let lower = words.to_lowercase();
    let unreachable = match err.detail() {
        ErrorDetail::Io(_) | ErrorDetail::Timeout(_) => true,
        ErrorDetail::Http(_) => [
            "trying to connect",
            "connect error",
            "dns error",
            "timed out",
        ]
        .iter()
        .any(|w| lower.contains(w)),
        _ => false,
    };
    if !unreachable {
        return anyhow::anyhow!("the node at {url}: {words}");
    }
    let cause = if lower.contains("connection refused") {
        "connection refused".to_string()
    } else if lower.contains("timed out") || matches!(err.detail(), ErrorDetail::Timeout(_)) {
        "no answer in time".to_string()
    } else {
        words.rsplit(": ").next().unwrap_or(&words).to_string()
    };
    Unreachable {
        url: url.to_string(),
        cause,
    }
    .into()
}

/// The whole chain of an error as one line for a person. An [`Unreachable`] node anywhere in it
/// is the whole story (what was being done when it happened adds nothing a user can act on).
pub fn describe(err: &anyhow::Error) -> String {
    if let Some(u) = err.chain().find_map(|c| c.downcast_ref::<Unreachable>()) {
        return u.to_string();
    }
    format!("{err:#}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::Node;

    /// A port nothing listens on: bound, then released.
    fn closed_port() -> u16 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }

    #[tokio::test]
    async fn a_node_that_is_down_is_one_line_naming_it() {
        use tendermint_rpc::Client;
        let url = format!("http://127.0.0.1:{}", closed_port());
        let node = Node::connect(&url).unwrap();
        let err = node.explain(node.rpc.status().await.unwrap_err());
        let text = describe(&err);
        assert_eq!(
            err.downcast_ref::<Unreachable>().map(|u| u.cause.as_str()),
            Some("connection refused")
        );
        assert!(
            text.starts_with(&format!("the node at {url} cannot be reached")),
            "{text}"
        );
        assert!(
            !text.contains("Location") && !text.contains(".rs:"),
            "{text}"
        );
        // Through the typed calls too: an account lookup does not guess at unfunded accounts
        // when the node was never reached.
        let err = node.account("estuary1abc").await.unwrap_err();
        let text = describe(&err);
        assert!(text.starts_with("the node at"), "{text}");
        assert!(!text.contains("tokens"), "{text}");
    }

    #[test]
    fn a_query_refused_as_not_found_is_recognised() {
        let q = QueryFailed {
            path: "/cosmos.auth.v1beta1.Query/Account".into(),
            code: 38,
            codespace: "sdk".into(),
            log: "account x not found".into(),
        };
        assert!(q.is_not_found());
        assert!(!QueryFailed {
            code: 5,
            ..q.clone()
        }
        .is_not_found());
        assert_eq!(
            q.to_string(),
            "query /cosmos.auth.v1beta1.Query/Account failed (code 38): account x not found"
        );
    }
}
