//! Gov's keys. Proposal ids are big-endian so that store order is id order (pages and the
//! end-block queues walk them in that order).

use estuary_sdk::Address;

pub const PREFIX_PROPOSAL: &[u8] = b"gov/proposal/";
pub const PREFIX_VOTE: &[u8] = b"gov/vote/";
pub const PREFIX_DEPOSIT: &[u8] = b"gov/deposit/";
/// Proposals in their deposit period, by id.
pub const PREFIX_DEPOSIT_QUEUE: &[u8] = b"gov/queue/deposit/";
/// Proposals in their voting period, by id.
pub const PREFIX_VOTING_QUEUE: &[u8] = b"gov/queue/voting/";

fn with_id(prefix: &[u8], id: u64) -> Vec<u8> {
    let mut k = prefix.to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

pub fn proposal(id: u64) -> Vec<u8> {
    with_id(PREFIX_PROPOSAL, id)
}

/// Every vote on proposal `id` is under this prefix.
pub fn votes_of(id: u64) -> Vec<u8> {
    with_id(PREFIX_VOTE, id)
}

pub fn vote(id: u64, voter: &Address) -> Vec<u8> {
    let mut k = votes_of(id);
    k.extend_from_slice(&voter.0);
    k
}

pub fn deposits_of(id: u64) -> Vec<u8> {
    with_id(PREFIX_DEPOSIT, id)
}

pub fn deposit(id: u64, depositor: &Address) -> Vec<u8> {
    let mut k = deposits_of(id);
    k.extend_from_slice(&depositor.0);
    k
}

pub fn deposit_queue(id: u64) -> Vec<u8> {
    with_id(PREFIX_DEPOSIT_QUEUE, id)
}

pub fn voting_queue(id: u64) -> Vec<u8> {
    with_id(PREFIX_VOTING_QUEUE, id)
}

pub fn next_proposal_id() -> Vec<u8> {
    b"gov/next_proposal_id".to_vec()
}

pub fn params() -> Vec<u8> {
    b"gov/params".to_vec()
}

/// The id a key under `prefix` (one of the per-id prefixes) names.
pub fn id_after(prefix: &[u8], key: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = key
        .get(prefix.len()..prefix.len().checked_add(8)?)?
        .try_into()
        .ok()?;
    Some(u64::from_be_bytes(bytes))
}
