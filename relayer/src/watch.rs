//! Wakes the relay loop when either chain commits a block: CometBFT's websocket `NewBlock`
//! events, and polling of `/status` while the websocket is down. A pass that starts on a new
//! block relays a transfer one block after it is provable, instead of up to one polling interval
//! later; and a pass that runs long never queues more than one pass behind it.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tendermint_rpc::client::CompatMode;
use tendermint_rpc::query::EventType;
use tendermint_rpc::{SubscriptionClient, WebSocketClient, WebSocketClientUrl};
use tokio::sync::Notify;
use tracing::{debug, info, warn};

use crate::chain::Chain;

/// The websocket endpoint of a CometBFT RPC address (`http://h:p` → `ws://h:p/websocket`).
pub fn websocket_url(rpc: &str) -> Option<String> {
    let rest = rpc
        .strip_prefix("http://")
        .map(|r| ("ws://", r))
        .or_else(|| rpc.strip_prefix("https://").map(|r| ("wss://", r)))
        .or_else(|| rpc.strip_prefix("tcp://").map(|r| ("ws://", r)))?;
    Some(format!(
        "{}{}/websocket",
        rest.0,
        rest.1.trim_end_matches('/')
    ))
}

/// How the loop learns of new blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Trigger {
    /// Websocket `NewBlock` events, polling while the websocket is down.
    Events,
    /// Polling only, at `--interval`.
    Poll,
}

/// Starts watching `chain` and returns at once; every new block (or, failing events, every
/// height change seen by polling every `poll`) wakes `wake`.
pub fn watch(
    chain: Arc<Chain>,
    trigger: Trigger,
    poll: Duration,
    wake: Arc<Notify>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if trigger == Trigger::Events {
                match follow_events(&chain, &wake).await {
                    Ok(()) => warn!(chain = chain.id(), "block events ended; polling meanwhile"),
                    Err(e) => {
                        warn!(
                            chain = chain.id(),
                            "no block events ({e}); polling meanwhile"
                        )
                    }
                }
            }
            // Poll: for a while after the websocket failed (then try it again), or for good.
            let mut last = 0u64;
            for _ in 0..poll_rounds(trigger, poll) {
                if let Ok(h) = chain.latest_height().await {
                    if h != last {
                        last = h;
                        wake.notify_one();
                    }
                }
                tokio::time::sleep(poll).await;
            }
        }
    })
}

/// Polling rounds before the websocket is tried again: about 30 s.
fn poll_rounds(trigger: Trigger, poll: Duration) -> u64 {
    match trigger {
        Trigger::Poll => u64::MAX,
        Trigger::Events => (30_000 / poll.as_millis().max(1)).max(1) as u64,
    }
}

async fn follow_events(chain: &Chain, wake: &Notify) -> Result<(), String> {
    let url = websocket_url(&chain.cfg.rpc).ok_or("the RPC address is not http(s)")?;
    let url: WebSocketClientUrl = url.parse().map_err(|e| format!("{e}"))?;
    let (client, driver) = WebSocketClient::builder(url)
        .compat_mode(CompatMode::V0_38)
        .build()
        .await
        .map_err(|e| format!("connecting: {e}"))?;
    let driver = tokio::spawn(driver.run());
    let mut blocks = client
        .subscribe(EventType::NewBlock.into())
        .await
        .map_err(|e| format!("subscribing: {e}"))?;
    info!(chain = chain.id(), "following new blocks");
    // Any event is a new block: even one whose payload this client cannot parse.
    while let Some(event) = blocks.next().await {
        if let Ok(e) = &event {
            debug!(chain = chain.id(), query = %e.query, "new block");
        }
        wake.notify_one();
    }
    let _ = client.close();
    driver.abort();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websocket_urls() {
        assert_eq!(
            websocket_url("http://127.0.0.1:26657").as_deref(),
            Some("ws://127.0.0.1:26657/websocket")
        );
        assert_eq!(
            websocket_url("https://rpc.example.com/").as_deref(),
            Some("wss://rpc.example.com/websocket")
        );
        assert_eq!(websocket_url("unix:///x"), None);
    }
}
