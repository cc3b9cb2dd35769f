//! This chain's own header history: for each recent height, the block time, the app hash the
//! header carries and the next validators' hash — what a Tendermint client of this chain stores as
//! its consensus state. ibc-rs asks for it in `host_consensus_state`.

use borsh::{BorshDeserialize, BorshSerialize};
use estuary_sdk::store::{StateRead, StateReadExt, StateWrite, StateWriteExt};
use estuary_sdk::TxResult;

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct HostHeader {
    pub height: u64,
    pub time_unix_nanos: i128,
    /// The app hash in this height's header: the state after the previous block.
    pub app_hash: Vec<u8>,
    pub next_validators_hash: Vec<u8>,
}

const PREFIX: &str = "ibc-host/header/";

fn key(height: u64) -> Vec<u8> {
    // Fixed width, so keys sort by height.
    format!("{PREFIX}{height:020}").into_bytes()
}

pub trait HostHistory: StateRead {
    fn host_header(&self, height: u64) -> TxResult<Option<HostHeader>> {
        Ok(self.get(&key(height))?)
    }

    fn host_headers(&self) -> TxResult<Vec<HostHeader>> {
        self.prefix_raw(PREFIX.as_bytes())?
            .into_iter()
            .map(|(k, v)| {
                borsh::from_slice(&v).map_err(|e| {
                    estuary_sdk::TxError::Internal(format!(
                        "corrupt {}: {e}",
                        String::from_utf8_lossy(&k)
                    ))
                })
            })
            .collect()
    }
}
impl<S: StateRead + ?Sized> HostHistory for S {}

/// Records `header` and forgets the one `keep` heights older.
pub fn record(state: &mut dyn StateWrite, header: &HostHeader, keep: u64) -> TxResult {
    state.put(key(header.height), header)?;
    if let Some(old) = header
        .height
        .checked_sub(keep)
        .filter(|o| keep > 0 && *o > 0)
    {
        state.delete(key(old))?;
    }
    Ok(())
}
