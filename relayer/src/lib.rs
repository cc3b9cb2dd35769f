//! The bundled IBC relayer: links two Estuary (or ibc-go) chains and relays ICS-20 packets,
//! acknowledgements and timeouts between them over CometBFT RPC and ABCI queries.

pub mod audit;
pub mod chain;
pub mod config;
pub mod link;
pub mod metrics;
pub mod relay;
pub mod run;
pub mod upgrade;
pub mod watch;

use anyhow::Result;
use serde::Serialize;

use chain::Chain;
use link::LinkState;
use relay::{pending_commitments, unreceived, Relayed};

/// One relay pass both ways, plus client refreshes.
pub async fn relay_once(a: &Chain, b: &Chain, st: &LinkState) -> Result<Relayed> {
    let [(_, mut total), (_, other)] = relay_both_ways(a, b, st).await?;
    total += other;
    Ok(total)
}

/// One relay pass both ways, plus client refreshes; what each direction relayed, by the side
/// the packets left from.
pub async fn relay_both_ways(
    a: &Chain,
    b: &Chain,
    st: &LinkState,
) -> Result<[(link::End, Relayed); 2]> {
    let a_to_b = relay::relay_direction(a, &st.a, b, &st.b).await?;
    let b_to_a = relay::relay_direction(b, &st.b, a, &st.a).await?;
    refresh_client(a, b, &st.b.client_id).await?;
    refresh_client(b, a, &st.a.client_id).await?;
    Ok([(st.a.clone(), a_to_b), (st.b.clone(), b_to_a)])
}

/// The height and header time (Unix seconds) of the newest consensus state `dst`'s client of
/// `src` holds.
async fn newest_consensus(src: &Chain, dst: &Chain, client_id: &str) -> Result<(u64, i64)> {
    let cs = link::client_state(dst, client_id).await?;
    let h = link::latest_height_of(&cs);
    Ok((h, consensus_time(src, dst, client_id, &cs).await?))
}

/// The header time (Unix seconds) of the newest consensus state of `dst`'s client of `src`
/// (whose state is `cs`: its latest height names the revision too, which is not `src`'s
/// between a client upgrade and the upgraded chain's start).
async fn consensus_time(
    src: &Chain,
    dst: &Chain,
    client_id: &str,
    cs: &ibc_proto::ibc::lightclients::tendermint::v1::ClientState,
) -> Result<i64> {
    use ibc_proto::ibc::lightclients::tendermint::v1 as tm;
    use prost::Message;
    let (rev, h) = cs.latest_height.map_or((src.revision, 0), |h| {
        (h.revision_number, h.revision_height)
    });
    let path = format!("clients/{client_id}/consensusStates/{rev}-{h}");
    let any = cosmrs::Any::decode(dst.ibc_value(&path).await?.as_slice())?;
    let cs = tm::ConsensusState::decode(any.value.as_slice())?;
    Ok(cs.timestamp.map_or(0, |t| t.seconds))
}

/// Updates `dst`'s client of `src` once its newest header is a third of the trusting period old,
/// so an idle link never lets its clients expire.
pub async fn refresh_client(src: &Chain, dst: &Chain, client_id: &str) -> Result<()> {
    let (trusted, time) = newest_consensus(src, dst, client_id).await?;
    let age = src.latest_time().await?.unix_timestamp() - time;
    if age as u64 > src.cfg.trusting_period_secs / 3 {
        let latest = src.latest_height().await?;
        let update = link::update_msg(src, dst, client_id, trusted, latest).await?;
        dst.submit(vec![update]).await?;
        tracing::info!(
            on = dst.id(),
            client = client_id,
            height = latest,
            "refreshed client"
        );
    }
    Ok(())
}

/// A light client's status, as ibc-go names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ClientStatus {
    Active,
    /// Its newest consensus state is older than its trusting period (by the host's clock): no
    /// header can update it, and no packet can be proven to it.
    Expired,
    /// Misbehaviour was submitted: it accepts nothing more.
    Frozen,
}

impl ClientStatus {
    /// The value of the `client_status` metric: 0 active, 1 expired, 2 frozen.
    pub fn code(self) -> i64 {
        match self {
            ClientStatus::Active => 0,
            ClientStatus::Expired => 1,
            ClientStatus::Frozen => 2,
        }
    }

    /// What an operator should do about a client that is not active.
    pub fn advice(self, host: &str, client: &str) -> Option<String> {
        let recover = format!(
            "its channels are stuck until it is recovered: create a substitute client \
             (`estuary-relayer create client --host-chain {host} --reference-chain <the chain it \
             follows>`), then have the chain's authority submit MsgRecoverClient (subject {client}, \
             substitute the new client): on Estuary `estuaryd tx ibc recover-client {client} \
             <substitute> --from <validators admin>`, on ibc-go chains a governance proposal"
        );
        match self {
            ClientStatus::Active => None,
            ClientStatus::Expired => Some(format!(
                "client {client} on {host} has EXPIRED (no update within its trusting period); {recover}"
            )),
            ClientStatus::Frozen => Some(format!(
                "client {client} on {host} is FROZEN (misbehaviour was submitted against it); {recover}"
            )),
        }
    }
}

/// `dst`'s client of `src` as an operator watches it, read from one fetch of its state.
#[derive(Clone, Copy, Debug)]
pub struct ClientView {
    /// Its latest height.
    pub height: u64,
    pub status: ClientStatus,
    /// When it expires unless updated (Unix seconds): its newest header's time plus the
    /// trusting period the client itself carries.
    pub expires_at: i64,
}

pub async fn client_view(src: &Chain, dst: &Chain, client_id: &str) -> Result<ClientView> {
    let cs = link::client_state(dst, client_id).await?;
    let height = link::latest_height_of(&cs);
    let time = consensus_time(src, dst, client_id, &cs).await?;
    let trusting = cs.trusting_period.map_or(0, |d| d.seconds);
    let expires_at = time.saturating_add(trusting);
    let frozen = cs
        .frozen_height
        .is_some_and(|h| h.revision_number != 0 || h.revision_height != 0);
    let status = if frozen {
        ClientStatus::Frozen
    } else if dst.latest_time().await?.unix_timestamp() >= expires_at {
        ClientStatus::Expired
    } else {
        ClientStatus::Active
    };
    Ok(ClientView {
        height,
        status,
        expires_at,
    })
}

#[derive(Debug, Serialize)]
pub struct SideStatus {
    pub chain_id: String,
    pub height: u64,
    pub client_id: String,
    pub client_height: u64,
    /// When the client expires unless updated (Unix seconds): its newest header's time plus the
    /// trusting period.
    pub client_expires_at: i64,
    pub client_status: ClientStatus,
    pub connection_id: String,
    pub channel_id: String,
    /// Packets sent from this side that the other has not received.
    pub pending_packets: Vec<u64>,
    /// Of those, the ones the relayer's last pass skipped as poison (their message fits in no
    /// transaction): they wait for their timeout and refund.
    pub poison_packets: Vec<u64>,
    /// Packets from this chain (and acks written on it) whose description by this chain's RPC
    /// endpoint did not hash to the commitment proven on chain, in the running relayer's last
    /// pass: left pending, never relayed from that endpoint.
    pub rpc_mismatches: Vec<u64>,
}

pub async fn status(a: &Chain, b: &Chain, st: &LinkState) -> Result<Vec<SideStatus>> {
    let mut out = Vec::new();
    for (me, my, other, their) in [(a, &st.a, b, &st.b), (b, &st.b, a, &st.a)] {
        let client = client_view(other, me, &my.client_id).await?;
        out.push(SideStatus {
            chain_id: me.id().into(),
            height: me.latest_height().await?,
            client_id: my.client_id.clone(),
            client_height: client.height,
            client_expires_at: client.expires_at,
            client_status: client.status,
            connection_id: my.connection_id.clone(),
            channel_id: my.channel_id.clone(),
            pending_packets: unreceived(other, their, pending_commitments(me, my).await?).await?,
            poison_packets: Vec::new(),
            rpc_mismatches: Vec::new(),
        });
    }
    Ok(out)
}
