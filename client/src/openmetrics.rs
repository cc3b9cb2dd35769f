//! A minimal OpenMetrics endpoint, shared by the node and the relayer.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use prometheus_client::registry::Registry;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The metrics of `registry` in the OpenMetrics text format.
pub fn encode_registry(registry: &Registry) -> String {
    let mut out = String::new();
    if prometheus_client::encoding::text::encode(&mut out, registry).is_err() {
        out.clear();
    }
    out
}

/// Answers every connection on `listener` (any path) with `render()`'s OpenMetrics text; each
/// scrape in its own task with a 10 s deadline, so a slow scraper never holds up another. Used
/// by the node and by the relayer.
pub async fn serve_openmetrics(
    listener: tokio::net::TcpListener,
    render: Arc<dyn Fn() -> String + Send + Sync>,
) -> Result<()> {
    loop {
        let (mut sock, _) = listener.accept().await?;
        let render = render.clone();
        tokio::spawn(async move {
            let answer = async {
                let mut buf = [0u8; 2048];
                let _ = sock.read(&mut buf).await;
                let body = render();
                let head = format!("HTTP/1.1 200 OK\r\nContent-Type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(body.as_bytes()).await;
            };
            let _ = tokio::time::timeout(Duration::from_secs(10), answer).await;
        });
    }
}
