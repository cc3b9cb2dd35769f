//! ibc-rs's host contexts over the `ibc` substore. Paths and value encodings are ibc-go's:
//! client and consensus states as protobuf `Any`, connection and channel ends as their protobuf
//! messages, sequences as 8-byte big-endian, receipts as `0x01`, commitments as 32 bytes.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use estuary_sdk::store::{StateRead, StateWrite, Substore};
use estuary_sdk::Address;
use ibc_client_tendermint::client_state::ClientState as TmClientState;
use ibc_client_tendermint::consensus_state::ConsensusState as TmConsensusState;
use ibc_client_tendermint::types::ConsensusState as TmConsensusStateType;
use ibc_core::channel::types::channel::ChannelEnd;
use ibc_core::channel::types::commitment::{AcknowledgementCommitment, PacketCommitment};
use ibc_core::channel::types::packet::Receipt;
use ibc_core::client::context::{
    ClientExecutionContext, ClientValidationContext, ExtClientValidationContext,
};
use ibc_core::client::types::Height;
use ibc_core::commitment_types::commitment::{CommitmentPrefix, CommitmentRoot};
use ibc_core::connection::types::ConnectionEnd;
use ibc_core::handler::types::events::IbcEvent;
use ibc_core::host::types::error::HostError;
use ibc_core::host::types::identifiers::{ClientId, ConnectionId, Sequence};
use ibc_core::host::types::path::{
    AckPath, ChannelEndPath, ClientConnectionPath, ClientConsensusStatePath, ClientStatePath,
    CommitmentPath, ConnectionPath, ReceiptPath, SeqAckPath, SeqRecvPath, SeqSendPath,
};
use ibc_core::host::{ExecutionContext, ValidationContext};
use ibc_core::primitives::proto::{Any, Protobuf};
use ibc_core::primitives::{Signer, Timestamp};
use prost::Message;

use crate::genesis::IbcParams;
use crate::host::HostHistory;

/// The state a transaction's IBC messages run on, shared with the IBC applications (the router's
/// modules need the same overlay, so it sits behind one `RefCell`).
pub type SharedState<'a> = Rc<RefCell<&'a mut dyn StateWrite>>;

/// Facts about this chain that ibc-rs asks for.
#[derive(Clone, Debug)]
pub struct HostInfo {
    pub chain_id: String,
    pub revision: u64,
    pub height: u64,
    pub time_unix_nanos: i128,
    pub params: IbcParams,
    /// The transaction's signers: an IBC message's `signer` must be one of them.
    pub signers: Vec<Address>,
}

pub struct IbcContext<'a> {
    state: SharedState<'a>,
    host: HostInfo,
    pub events: Vec<IbcEvent>,
    /// The first store error (out of gas, above all), so it is reported as itself, not as an
    /// ibc-rs error string.
    pub store_error: RefCell<Option<estuary_sdk::store::Error>>,
}

const NEXT_CLIENT: &str = "nextClientSequence";
const NEXT_CONNECTION: &str = "nextConnectionSequence";
const NEXT_CHANNEL: &str = "nextChannelSequence";

fn key(path: impl std::fmt::Display) -> Vec<u8> {
    Substore::Ibc.full_key(path.to_string().as_bytes())
}

impl<'a> IbcContext<'a> {
    pub fn new(state: SharedState<'a>, host: HostInfo) -> Self {
        IbcContext {
            state,
            host,
            events: Vec::new(),
            store_error: RefCell::new(None),
        }
    }

    fn note<T>(&self, r: Result<T, estuary_sdk::store::Error>) -> Result<T, HostError> {
        r.map_err(|e| {
            let text = e.to_string();
            self.store_error.borrow_mut().get_or_insert(e);
            HostError::failed_to_retrieve(text)
        })
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, HostError> {
        let r = self.state.borrow().get_raw(key);
        self.note(r)
    }

    fn must(&self, key: &[u8], what: &str) -> Result<Vec<u8>, HostError> {
        self.get(key)?.ok_or_else(|| {
            HostError::missing_state(format!("{what} at {}", String::from_utf8_lossy(key)))
        })
    }

    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> Result<(), HostError> {
        let r = self.state.borrow_mut().put_raw(key, value);
        self.note(r)
            .map_err(|e| HostError::failed_to_store(e.to_string()))
    }

    fn delete(&self, key: Vec<u8>) -> Result<(), HostError> {
        let r = self.state.borrow_mut().delete(key);
        self.note(r)
            .map_err(|e| HostError::failed_to_store(e.to_string()))
    }

    fn counter(&self, name: &str) -> Result<u64, HostError> {
        match self.get(&key(name))? {
            None => Ok(0),
            Some(b) => be64(&b),
        }
    }

    fn bump(&self, name: &str) -> Result<(), HostError> {
        let next = self
            .counter(name)?
            .checked_add(1)
            .ok_or_else(|| HostError::invalid_state("counter overflow"))?;
        self.put(key(name), next.to_be_bytes().to_vec())
    }

    fn sequence(&self, path: impl std::fmt::Display) -> Result<Sequence, HostError> {
        let k = key(&path);
        let bytes = self.must(&k, "sequence")?;
        Ok(Sequence::from(be64(&bytes)?))
    }

    /// ibc-go's index of a client's consensus heights: `clients/{id}/iterateConsensusStates{be64 rev}{be64 h}`.
    fn height_index_prefix(client_id: &ClientId) -> Vec<u8> {
        key(format!("clients/{client_id}/iterateConsensusStates"))
    }

    fn height_index_key(client_id: &ClientId, h: &Height) -> Vec<u8> {
        let mut k = Self::height_index_prefix(client_id);
        k.extend_from_slice(&h.revision_number().to_be_bytes());
        k.extend_from_slice(&h.revision_height().to_be_bytes());
        k
    }

    fn consensus_heights(&self, client_id: &ClientId) -> Result<Vec<Height>, HostError> {
        let prefix = Self::height_index_prefix(client_id);
        let r = self.state.borrow().prefix_raw(&prefix);
        let items = self.note(r)?;
        items
            .into_iter()
            .map(|(k, _)| {
                let malformed = || HostError::invalid_state("malformed consensus height index");
                let rest = k.get(prefix.len()..).ok_or_else(malformed)?;
                if rest.len() != 16 {
                    return Err(malformed());
                }
                let (number, height) = rest.split_at_checked(8).ok_or_else(malformed)?;
                Height::new(be64(number)?, be64(height)?)
                    .map_err(|e| HostError::invalid_state(e.to_string()))
            })
            .collect()
    }

    fn host_height_value(&self) -> Result<Height, HostError> {
        Height::new(self.host.revision, self.host.height)
            .map_err(|e| HostError::invalid_state(e.to_string()))
    }

    fn host_time(&self) -> Result<Timestamp, HostError> {
        let nanos = u64::try_from(self.host.time_unix_nanos)
            .map_err(|_| HostError::invalid_state("block time before 1970"))?;
        Ok(Timestamp::from_nanoseconds(nanos))
    }
}

fn be64(b: &[u8]) -> Result<u64, HostError> {
    let arr: [u8; 8] = b
        .try_into()
        .map_err(|_| HostError::invalid_state(format!("expected 8 bytes, got {}", b.len())))?;
    Ok(u64::from_be_bytes(arr))
}

fn decode_any(bytes: &[u8]) -> Result<Any, HostError> {
    Any::decode(bytes).map_err(|e| HostError::invalid_state(format!("stored Any: {e}")))
}

impl ClientValidationContext for IbcContext<'_> {
    type ClientStateRef = TmClientState;
    type ConsensusStateRef = TmConsensusState;

    fn client_state(&self, client_id: &ClientId) -> Result<TmClientState, HostError> {
        let bytes = self.must(
            &key(ClientStatePath::new(client_id.clone())),
            "client state",
        )?;
        TmClientState::try_from(decode_any(&bytes)?)
            .map_err(|e| HostError::invalid_state(e.to_string()))
    }

    fn consensus_state(
        &self,
        path: &ClientConsensusStatePath,
    ) -> Result<TmConsensusState, HostError> {
        let bytes = self.must(&key(path), "consensus state")?;
        TmConsensusState::try_from(decode_any(&bytes)?)
            .map_err(|e| HostError::invalid_state(e.to_string()))
    }

    fn client_update_meta(
        &self,
        client_id: &ClientId,
        height: &Height,
    ) -> Result<(Timestamp, Height), HostError> {
        let base = format!("clients/{client_id}/consensusStates/{height}");
        let time = be64(&self.must(&key(format!("{base}/processedTime")), "processed time")?)?;
        let h = self.must(&key(format!("{base}/processedHeight")), "processed height")?;
        let h: Height = String::from_utf8_lossy(&h).parse().map_err(
            |e: ibc_core::host::types::error::DecodingError| {
                HostError::invalid_state(e.to_string())
            },
        )?;
        Ok((Timestamp::from_nanoseconds(time), h))
    }
}

impl ExtClientValidationContext for IbcContext<'_> {
    fn host_timestamp(&self) -> Result<Timestamp, HostError> {
        self.host_time()
    }

    fn host_height(&self) -> Result<Height, HostError> {
        self.host_height_value()
    }

    fn consensus_state_heights(&self, client_id: &ClientId) -> Result<Vec<Height>, HostError> {
        self.consensus_heights(client_id)
    }

    fn next_consensus_state(
        &self,
        client_id: &ClientId,
        height: &Height,
    ) -> Result<Option<TmConsensusState>, HostError> {
        let next = self
            .consensus_heights(client_id)?
            .into_iter()
            .find(|h| h > height);
        next.map(|h| {
            self.consensus_state(&ClientConsensusStatePath::new(
                client_id.clone(),
                h.revision_number(),
                h.revision_height(),
            ))
        })
        .transpose()
    }

    fn prev_consensus_state(
        &self,
        client_id: &ClientId,
        height: &Height,
    ) -> Result<Option<TmConsensusState>, HostError> {
        let prev = self
            .consensus_heights(client_id)?
            .into_iter()
            .rev()
            .find(|h| h < height);
        prev.map(|h| {
            self.consensus_state(&ClientConsensusStatePath::new(
                client_id.clone(),
                h.revision_number(),
                h.revision_height(),
            ))
        })
        .transpose()
    }
}

impl ClientExecutionContext for IbcContext<'_> {
    type ClientStateMut = TmClientState;

    fn store_client_state(
        &mut self,
        path: ClientStatePath,
        client_state: TmClientState,
    ) -> Result<(), HostError> {
        self.put(key(path), Any::from(client_state).encode_to_vec())
    }

    fn store_consensus_state(
        &mut self,
        path: ClientConsensusStatePath,
        cs: TmConsensusState,
    ) -> Result<(), HostError> {
        let h = Height::new(path.revision_number, path.revision_height)
            .map_err(|e| HostError::invalid_state(e.to_string()))?;
        self.put(Self::height_index_key(&path.client_id, &h), key(&path))?;
        self.put(key(&path), Any::from(cs).encode_to_vec())
    }

    fn delete_consensus_state(&mut self, path: ClientConsensusStatePath) -> Result<(), HostError> {
        let h = Height::new(path.revision_number, path.revision_height)
            .map_err(|e| HostError::invalid_state(e.to_string()))?;
        self.delete(Self::height_index_key(&path.client_id, &h))?;
        self.delete(key(path))
    }

    fn store_update_meta(
        &mut self,
        client_id: ClientId,
        height: Height,
        host_timestamp: Timestamp,
        host_height: Height,
    ) -> Result<(), HostError> {
        let base = format!("clients/{client_id}/consensusStates/{height}");
        self.put(
            key(format!("{base}/processedTime")),
            host_timestamp.nanoseconds().to_be_bytes().to_vec(),
        )?;
        self.put(
            key(format!("{base}/processedHeight")),
            host_height.to_string().into_bytes(),
        )
    }

    fn delete_update_meta(&mut self, client_id: ClientId, height: Height) -> Result<(), HostError> {
        let base = format!("clients/{client_id}/consensusStates/{height}");
        self.delete(key(format!("{base}/processedTime")))?;
        self.delete(key(format!("{base}/processedHeight")))
    }
}

impl ValidationContext for IbcContext<'_> {
    type V = Self;
    type HostClientState = TmClientState;
    type HostConsensusState = TmConsensusState;

    fn get_client_validation_context(&self) -> &Self::V {
        self
    }

    fn host_height(&self) -> Result<Height, HostError> {
        self.host_height_value()
    }

    fn host_timestamp(&self) -> Result<Timestamp, HostError> {
        self.host_time()
    }

    fn host_consensus_state(&self, height: &Height) -> Result<TmConsensusState, HostError> {
        if height.revision_number() != self.host.revision {
            return Err(HostError::invalid_state(format!(
                "height {height} is not of this chain's revision {}",
                self.host.revision
            )));
        }
        let r = self.state.borrow().host_header(height.revision_height());
        let header = r
            .map_err(|e| HostError::failed_to_retrieve(e.to_string()))?
            .ok_or_else(|| {
                HostError::missing_state(format!("no header data kept for height {height}"))
            })?;
        let nanos = i64::try_from(header.time_unix_nanos)
            .map_err(|_| HostError::invalid_state("header time"))?;
        let time = tendermint::Time::from_unix_timestamp(
            nanos.div_euclid(1_000_000_000),
            nanos.rem_euclid(1_000_000_000) as u32,
        )
        .map_err(|e| HostError::invalid_state(e.to_string()))?;
        let next = tendermint::Hash::from_bytes(
            tendermint::hash::Algorithm::Sha256,
            &header.next_validators_hash,
        )
        .map_err(|e| HostError::invalid_state(e.to_string()))?;
        Ok(
            TmConsensusStateType::new(CommitmentRoot::from_bytes(&header.app_hash), time, next)
                .into(),
        )
    }

    fn client_counter(&self) -> Result<u64, HostError> {
        self.counter(NEXT_CLIENT)
    }

    fn connection_end(&self, conn_id: &ConnectionId) -> Result<ConnectionEnd, HostError> {
        let bytes = self.must(&key(ConnectionPath::new(conn_id)), "connection")?;
        ConnectionEnd::decode_vec(&bytes).map_err(|e| HostError::invalid_state(e.to_string()))
    }

    fn validate_self_client(&self, client_state: TmClientState) -> Result<(), HostError> {
        crate::self_client::validate(client_state.inner(), &self.host)
    }

    fn commitment_prefix(&self) -> CommitmentPrefix {
        CommitmentPrefix::from_bytes(Substore::Ibc.name().as_bytes())
    }

    fn connection_counter(&self) -> Result<u64, HostError> {
        self.counter(NEXT_CONNECTION)
    }

    fn channel_end(&self, path: &ChannelEndPath) -> Result<ChannelEnd, HostError> {
        let bytes = self.must(&key(path), "channel")?;
        ChannelEnd::decode_vec(&bytes).map_err(|e| HostError::invalid_state(e.to_string()))
    }

    fn get_next_sequence_send(&self, path: &SeqSendPath) -> Result<Sequence, HostError> {
        self.sequence(path)
    }

    fn get_next_sequence_recv(&self, path: &SeqRecvPath) -> Result<Sequence, HostError> {
        self.sequence(path)
    }

    fn get_next_sequence_ack(&self, path: &SeqAckPath) -> Result<Sequence, HostError> {
        self.sequence(path)
    }

    fn get_packet_commitment(&self, path: &CommitmentPath) -> Result<PacketCommitment, HostError> {
        Ok(self.must(&key(path), "packet commitment")?.into())
    }

    fn get_packet_receipt(&self, path: &ReceiptPath) -> Result<Receipt, HostError> {
        Ok(match self.get(&key(path))? {
            Some(_) => Receipt::Ok,
            None => Receipt::None,
        })
    }

    fn get_packet_acknowledgement(
        &self,
        path: &AckPath,
    ) -> Result<AcknowledgementCommitment, HostError> {
        Ok(self.must(&key(path), "acknowledgement")?.into())
    }

    fn channel_counter(&self) -> Result<u64, HostError> {
        self.counter(NEXT_CHANNEL)
    }

    fn max_expected_time_per_block(&self) -> Duration {
        Duration::from_secs(self.host.params.max_expected_time_per_block_secs)
    }

    fn validate_message_signer(&self, signer: &Signer) -> Result<(), HostError> {
        let address = Address::parse(signer.as_ref())
            .map_err(|e| HostError::invalid_state(format!("signer: {e}")))?;
        if !self.host.signers.contains(&address) {
            return Err(HostError::invalid_state(format!(
                "{address} did not sign this transaction"
            )));
        }
        Ok(())
    }
}

impl ExecutionContext for IbcContext<'_> {
    type E = Self;

    fn get_client_execution_context(&mut self) -> &mut Self::E {
        self
    }

    fn increase_client_counter(&mut self) -> Result<(), HostError> {
        self.bump(NEXT_CLIENT)
    }

    fn store_connection(
        &mut self,
        path: &ConnectionPath,
        end: ConnectionEnd,
    ) -> Result<(), HostError> {
        self.put(key(path), end.encode_vec())
    }

    fn store_connection_to_client(
        &mut self,
        path: &ClientConnectionPath,
        conn_id: ConnectionId,
    ) -> Result<(), HostError> {
        let k = key(path);
        let mut paths = match self.get(&k)? {
            Some(b) => {
                ibc_proto::ibc::core::connection::v1::ClientPaths::decode(b.as_slice())
                    .map_err(|e| HostError::invalid_state(e.to_string()))?
                    .paths
            }
            None => Vec::new(),
        };
        paths.push(conn_id.to_string());
        self.put(
            k,
            ibc_proto::ibc::core::connection::v1::ClientPaths { paths }.encode_to_vec(),
        )
    }

    fn increase_connection_counter(&mut self) -> Result<(), HostError> {
        self.bump(NEXT_CONNECTION)
    }

    fn store_packet_commitment(
        &mut self,
        path: &CommitmentPath,
        c: PacketCommitment,
    ) -> Result<(), HostError> {
        self.put(key(path), c.into_vec())
    }

    fn delete_packet_commitment(&mut self, path: &CommitmentPath) -> Result<(), HostError> {
        self.delete(key(path))
    }

    fn store_packet_receipt(
        &mut self,
        path: &ReceiptPath,
        _receipt: Receipt,
    ) -> Result<(), HostError> {
        self.put(key(path), vec![1])
    }

    fn store_packet_acknowledgement(
        &mut self,
        path: &AckPath,
        c: AcknowledgementCommitment,
    ) -> Result<(), HostError> {
        self.put(key(path), c.into_vec())
    }

    fn delete_packet_acknowledgement(&mut self, path: &AckPath) -> Result<(), HostError> {
        self.delete(key(path))
    }

    fn store_channel(&mut self, path: &ChannelEndPath, end: ChannelEnd) -> Result<(), HostError> {
        self.put(key(path), end.encode_vec())
    }

    fn store_next_sequence_send(
        &mut self,
        path: &SeqSendPath,
        seq: Sequence,
    ) -> Result<(), HostError> {
        self.put(key(path), u64::from(seq).to_be_bytes().to_vec())
    }

    fn store_next_sequence_recv(
        &mut self,
        path: &SeqRecvPath,
        seq: Sequence,
    ) -> Result<(), HostError> {
        self.put(key(path), u64::from(seq).to_be_bytes().to_vec())
    }

    fn store_next_sequence_ack(
        &mut self,
        path: &SeqAckPath,
        seq: Sequence,
    ) -> Result<(), HostError> {
        self.put(key(path), u64::from(seq).to_be_bytes().to_vec())
    }

    fn increase_channel_counter(&mut self) -> Result<(), HostError> {
        self.bump(NEXT_CHANNEL)
    }

    fn emit_ibc_event(&mut self, event: IbcEvent) -> Result<(), HostError> {
        self.events.push(event);
        Ok(())
    }

    fn log_message(&mut self, message: String) -> Result<(), HostError> {
        tracing::debug!(target: "estuary_ibc", "{message}");
        Ok(())
    }
}
