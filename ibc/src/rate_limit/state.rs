//! The rate limiter's state: the limits (as ibc-go's `RateLimit` protobuf), the sends counted in
//! the current window (so an error ack or a timeout gives their amount back), the denylist of
//! denoms, the allowlist of sender/receiver pairs, and the hour epoch that drives the windows.

use borsh::{BorshDeserialize, BorshSerialize};
use estuary_sdk::store::{StateRead, StateReadExt, StateWrite, StateWriteExt};
use estuary_sdk::{TxError, TxResult};
use prost::Message;

use super::flow::Limit;
use super::types::{RateLimit, WhitelistedAddressPair};

pub const PREFIX_LIMIT: &str = "ratelimit/limit/";
const PREFIX_PENDING_SEND: &str = "ratelimit/pending_send/";
pub const PREFIX_BLACKLIST: &str = "ratelimit/blacklist/";
pub const PREFIX_WHITELIST: &str = "ratelimit/whitelist/";

/// Channel first: channel ids have no `/`, denoms may.
fn limit_key(channel: &str, denom: &str) -> Vec<u8> {
    format!("{PREFIX_LIMIT}{channel}/{denom}").into_bytes()
}

/// Every pending send of `denom` on `channel` is under this prefix (denoms have no NUL).
fn pending_prefix(channel: &str, denom: &str) -> Vec<u8> {
    format!("{PREFIX_PENDING_SEND}{channel}/{denom}\0").into_bytes()
}

fn pending_key(channel: &str, denom: &str, sequence: u64) -> Vec<u8> {
    let mut k = pending_prefix(channel, denom);
    k.extend_from_slice(&sequence.to_be_bytes());
    k
}

fn whitelist_key(sender: &str, receiver: &str) -> Vec<u8> {
    format!("{PREFIX_WHITELIST}{sender}\0{receiver}").into_bytes()
}

fn epoch_key() -> Vec<u8> {
    b"ratelimit/hour_epoch".to_vec()
}

/// ibc-go's `HourEpoch`: windows are counted in hours from it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct HourEpoch {
    pub number: u64,
    pub start_unix_nanos: i128,
    pub start_height: u64,
}

pub trait RateLimitReader: StateRead {
    fn rate_limit(&self, channel: &str, denom: &str) -> TxResult<Option<Limit>> {
        match self.get_proto::<RateLimit>(&limit_key(channel, denom))? {
            Some(r) => Limit::from_proto(&r)
                .map(Some)
                .map_err(|e| TxError::Internal(format!("corrupt rate limit: {e}"))),
            None => Ok(None),
        }
    }

    fn rate_limits(&self) -> TxResult<Vec<RateLimit>> {
        self.prefix_raw(PREFIX_LIMIT.as_bytes())?
            .into_iter()
            .map(|(_, v)| {
                RateLimit::decode(v.as_slice())
                    .map_err(|e| TxError::Internal(format!("corrupt rate limit: {e}")))
            })
            .collect()
    }

    fn is_pending_send(&self, channel: &str, denom: &str, sequence: u64) -> TxResult<bool> {
        Ok(self
            .get_raw(&pending_key(channel, denom, sequence))?
            .is_some())
    }

    /// `channel/sequence/denom`, ibc-go's form in genesis.
    fn pending_sends(&self) -> TxResult<Vec<String>> {
        let mut out = Vec::new();
        for (k, _) in self.prefix_raw(PREFIX_PENDING_SEND.as_bytes())? {
            let rest = k.get(PREFIX_PENDING_SEND.len()..).unwrap_or_default();
            let Some(nul) = rest.iter().position(|b| *b == 0) else {
                continue;
            };
            let (head, seq) = rest.split_at(nul);
            let Some((channel, denom)) = std::str::from_utf8(head)
                .ok()
                .and_then(|h| h.split_once('/'))
            else {
                continue;
            };
            let seq: [u8; 8] = seq
                .get(1..)
                .unwrap_or_default()
                .try_into()
                .unwrap_or_default();
            out.push(format!("{channel}/{}/{denom}", u64::from_be_bytes(seq)));
        }
        Ok(out)
    }

    fn is_blacklisted(&self, denom: &str) -> TxResult<bool> {
        Ok(self
            .get_raw(format!("{PREFIX_BLACKLIST}{denom}").as_bytes())?
            .is_some())
    }

    fn blacklisted(&self) -> TxResult<Vec<String>> {
        Ok(self
            .prefix_raw(PREFIX_BLACKLIST.as_bytes())?
            .into_iter()
            .filter_map(|(k, _)| {
                k.get(PREFIX_BLACKLIST.len()..)
                    .map(|d| String::from_utf8_lossy(d).into_owned())
            })
            .collect())
    }

    fn is_whitelisted(&self, sender: &str, receiver: &str) -> TxResult<bool> {
        Ok(self.get_raw(&whitelist_key(sender, receiver))?.is_some())
    }

    fn whitelisted(&self) -> TxResult<Vec<WhitelistedAddressPair>> {
        self.prefix_raw(PREFIX_WHITELIST.as_bytes())?
            .into_iter()
            .map(|(_, v)| {
                WhitelistedAddressPair::decode(v.as_slice())
                    .map_err(|e| TxError::Internal(format!("corrupt allowlist entry: {e}")))
            })
            .collect()
    }

    fn hour_epoch(&self) -> TxResult<Option<HourEpoch>> {
        Ok(self.get(&epoch_key())?)
    }
}
impl<S: StateRead + ?Sized> RateLimitReader for S {}

pub trait RateLimitKeeper: StateWrite {
    fn set_rate_limit(&mut self, limit: &Limit) -> TxResult {
        Ok(self.put_proto(limit_key(&limit.channel, &limit.denom), &limit.to_proto())?)
    }

    fn remove_rate_limit(&mut self, channel: &str, denom: &str) -> TxResult {
        Ok(self.delete(limit_key(channel, denom))?)
    }

    fn set_pending_send(&mut self, channel: &str, denom: &str, sequence: u64) -> TxResult {
        Ok(self.put_raw(pending_key(channel, denom, sequence), vec![1])?)
    }

    fn remove_pending_send(&mut self, channel: &str, denom: &str, sequence: u64) -> TxResult {
        Ok(self.delete(pending_key(channel, denom, sequence))?)
    }

    fn remove_pending_sends(&mut self, channel: &str, denom: &str) -> TxResult {
        for (k, _) in self.prefix_raw(&pending_prefix(channel, denom))? {
            self.delete(k)?;
        }
        Ok(())
    }

    fn blacklist(&mut self, denom: &str) -> TxResult {
        Ok(self.put_raw(format!("{PREFIX_BLACKLIST}{denom}").into_bytes(), vec![1])?)
    }

    fn whitelist(&mut self, pair: &WhitelistedAddressPair) -> TxResult {
        Ok(self.put_proto(whitelist_key(&pair.sender, &pair.receiver), pair)?)
    }

    fn set_hour_epoch(&mut self, epoch: &HourEpoch) -> TxResult {
        Ok(self.put(epoch_key(), epoch)?)
    }
}
impl<S: StateWrite + ?Sized> RateLimitKeeper for S {}
