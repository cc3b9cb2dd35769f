//! The ABCI socket server CometBFT connects to: one thread per connection (consensus, mempool,
//! query, snapshot), length-delimited protobuf frames. Ours rather than tendermint-abci's
//! `Server` because that one leaves Nagle's algorithm on: each small response then waits for
//! the peer's delayed ACK, ~40 ms per request — measured as 41 ms per proven ABCI query from a
//! relayer. Here sockets are `TCP_NODELAY` and responses are flushed when CometBFT flushes or
//! has nothing more queued.

use std::io::{BufReader, BufWriter, Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;

use anyhow::{Context, Result};
use prost::Message;
use tendermint_abci::Application;
use tendermint_proto::v0_38::abci::{
    request, response, Request, Response, ResponseException, ResponseFlush,
};
use tracing::{info, warn};

use crate::abci::AbciApp;

/// Frames larger than this are refused (CometBFT's own limit on a block is far below it).
const MAX_FRAME: u64 = 256 * 1024 * 1024;

pub fn serve(addr: &str, app: AbciApp) -> Result<()> {
    serve_on(bind(addr)?, app)
}

/// Where the ABCI server listens: a TCP address (`127.0.0.1:26658`, `tcp://…`) or a Unix
/// socket (`unix:///path/abci.sock`), the two forms CometBFT's `proxy_app` takes.
pub enum AbciListener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

impl From<TcpListener> for AbciListener {
    fn from(listener: TcpListener) -> Self {
        AbciListener::Tcp(listener)
    }
}

/// Binds the ABCI address (so that CometBFT, which refuses to start without its app, can be
/// started as soon as this returns). A Unix socket file left by an earlier run that did not
/// remove it is replaced; any other file at that path is an error.
pub fn bind(addr: &str) -> Result<AbciListener> {
    let listener = match addr.strip_prefix("unix://") {
        Some(path) => {
            let path = PathBuf::from(path);
            remove_stale_socket(&path)?;
            let listener = UnixListener::bind(&path)
                .with_context(|| format!("listening on {}", path.display()))?;
            AbciListener::Unix(listener, path)
        }
        None => {
            let addr = addr.trim_start_matches("tcp://");
            AbciListener::Tcp(
                TcpListener::bind(addr).with_context(|| format!("listening on {addr}"))?,
            )
        }
    };
    info!(%addr, "ABCI server listening");
    Ok(listener)
}

fn remove_stale_socket(path: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => std::fs::remove_file(path)
            .with_context(|| format!("removing the old socket {}", path.display())),
        Ok(_) => anyhow::bail!(
            "{} exists and is not a socket: refusing to replace it with the ABCI socket",
            path.display()
        ),
        Err(_) => Ok(()),
    }
}

/// Serves CometBFT's ABCI connections on `listener`, one thread each.
pub fn serve_on(listener: impl Into<AbciListener>, app: AbciApp) -> Result<()> {
    match listener.into() {
        AbciListener::Tcp(listener) => {
            for stream in listener.incoming() {
                let stream = stream.context("accepting an ABCI connection")?;
                let peer = stream
                    .peer_addr()
                    .map(|a| a.to_string())
                    .unwrap_or_default();
                stream.set_nodelay(true).context("TCP_NODELAY")?;
                let reader = stream.try_clone()?;
                spawn_connection(peer, reader, stream, app.clone())?;
            }
        }
        AbciListener::Unix(listener, path) => {
            for stream in listener.incoming() {
                let stream = stream.context("accepting an ABCI connection")?;
                let reader = stream.try_clone()?;
                spawn_connection(path.display().to_string(), reader, stream, app.clone())?;
            }
        }
    }
    Ok(())
}

fn spawn_connection<R, W>(peer: String, reader: R, writer: W, app: AbciApp) -> Result<()>
where
    R: Read + Send + 'static,
    W: Write + Send + 'static,
{
    std::thread::Builder::new()
        .name("abci".into())
        .spawn(move || match connection(reader, writer, app) {
            Ok(()) => info!(%peer, "CometBFT closed an ABCI connection"),
            Err(e) => warn!(%peer, "ABCI connection ended: {e:#}"),
        })?;
    Ok(())
}

fn connection(reader: impl Read, writer: impl Write, app: AbciApp) -> Result<()> {
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut writer = BufWriter::with_capacity(1 << 20, writer);
    loop {
        let Some(len) = read_uvarint(&mut reader)? else {
            return Ok(());
        };
        if len > MAX_FRAME {
            anyhow::bail!("ABCI frame of {len} bytes");
        }
        let mut buf = vec![0u8; len as usize];
        reader.read_exact(&mut buf)?;
        // Decoded from `Bytes`, the request's byte fields (transactions, a genesis's app state)
        // are views of the frame instead of copies: an InitChain frame is the whole genesis.
        let request =
            Request::decode(bytes::Bytes::from(buf)).context("decoding an ABCI request")?;
        let flush = matches!(request.value, Some(request::Value::Flush(_)));
        let out = dispatch(&app, request).encode_length_delimited_to_vec();
        writer.write_all(&out)?;
        if flush || reader.buffer().is_empty() {
            writer.flush()?;
        }
    }
}

/// A protobuf unsigned varint, or `None` at a clean end of stream.
fn read_uvarint(r: &mut impl Read) -> Result<Option<u64>> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let mut byte = [0u8];
        if r.read(&mut byte)? == 0 {
            if shift == 0 {
                return Ok(None);
            }
            anyhow::bail!("stream ended inside a frame length");
        }
        value |= u64::from(byte[0] & 0x7f) << shift;
        if byte[0] & 0x80 == 0 {
            return Ok(Some(value));
        }
    }
    anyhow::bail!("frame length varint too long")
}

fn dispatch(app: &AbciApp, request: Request) -> Response {
    use request::Value as Q;
    use response::Value as R;
    let value = match request.value {
        Some(Q::Echo(r)) => R::Echo(app.echo(r)),
        Some(Q::Flush(_)) => R::Flush(ResponseFlush {}),
        Some(Q::Info(r)) => R::Info(app.info(r)),
        Some(Q::InitChain(r)) => R::InitChain(app.init_chain(r)),
        Some(Q::Query(r)) => R::Query(app.query(r)),
        Some(Q::CheckTx(r)) => R::CheckTx(app.check_tx(r)),
        Some(Q::Commit(_)) => R::Commit(app.commit()),
        Some(Q::ListSnapshots(_)) => R::ListSnapshots(app.list_snapshots()),
        Some(Q::OfferSnapshot(r)) => R::OfferSnapshot(app.offer_snapshot(r)),
        Some(Q::LoadSnapshotChunk(r)) => R::LoadSnapshotChunk(app.load_snapshot_chunk(r)),
        Some(Q::ApplySnapshotChunk(r)) => R::ApplySnapshotChunk(app.apply_snapshot_chunk(r)),
        Some(Q::PrepareProposal(r)) => R::PrepareProposal(app.prepare_proposal(r)),
        Some(Q::ProcessProposal(r)) => R::ProcessProposal(app.process_proposal(r)),
        Some(Q::ExtendVote(r)) => R::ExtendVote(app.extend_vote(r)),
        Some(Q::VerifyVoteExtension(r)) => R::VerifyVoteExtension(app.verify_vote_extension(r)),
        Some(Q::FinalizeBlock(r)) => R::FinalizeBlock(app.finalize_block(r)),
        None => R::Exception(ResponseException {
            error: "empty ABCI request".into(),
        }),
    };
    Response { value: Some(value) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_end_cleanly() {
        for n in [0u64, 1, 127, 128, 300, 1 << 20, u32::MAX as u64] {
            let mut buf = Vec::new();
            prost::encoding::encode_varint(n, &mut buf);
            assert_eq!(read_uvarint(&mut buf.as_slice()).unwrap(), Some(n));
        }
        assert_eq!(read_uvarint(&mut [].as_slice()).unwrap(), None);
        assert!(
            read_uvarint(&mut [0x80u8].as_slice()).is_err(),
            "truncated length"
        );
    }
}
