//! Paging of list queries, as the Cosmos SDK's `query.Paginate`: entries in store-key order,
//! `next_key` the key (below the listed prefix) of the first entry not returned, a default page
//! of 100 entries. Reads go through [`StateRead::prefix_range`] a chunk at a time, so a request
//! never loads a whole prefix into memory, whatever the list's length.

use cosmrs::proto::cosmos::base::query::v1beta1 as pb;
use estuary_store::StateRead;

use crate::error::{TxError, TxResult};

/// Entries in a page when the request does not say (the SDK's `DefaultLimit`).
pub const DEFAULT_LIMIT: u64 = 100;
/// Entries in a page at most. The SDK sets none; one is needed so that one request (Hermes asks
/// for `limit = u64::MAX`) cannot make the node build an answer of unbounded size. A client
/// that asks for more gets this many and a `next_key` to continue.
pub const MAX_LIMIT: u64 = 10_000;
/// Keys read from the store per step while filling a page.
const CHUNK: usize = 256;

/// A page request, whichever protobuf crate the caller's request type comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub key: Vec<u8>,
    pub offset: u64,
    pub limit: u64,
    pub count_total: bool,
    pub reverse: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageResponse {
    /// Where the next page starts; empty on the last page.
    pub next_key: Vec<u8>,
    /// The number of entries, when the request asked for it (`count_total`) without a key.
    pub total: u64,
}

/// The page request of a Cosmos SDK (or ibc-go) list query.
impl From<&pb::PageRequest> for PageRequest {
    fn from(r: &pb::PageRequest) -> Self {
        PageRequest {
            key: r.key.clone(),
            offset: r.offset,
            limit: r.limit,
            count_total: r.count_total,
            reverse: r.reverse,
        }
    }
}

impl From<PageResponse> for pb::PageResponse {
    fn from(r: PageResponse) -> Self {
        pb::PageResponse {
            next_key: r.next_key,
            total: r.total,
        }
    }
}

/// One page of the entries under `prefix` that `select` keeps. `select` gets each entry's key
/// below `prefix` and its value, and returns `None` to leave it out (the SDK's
/// `FilteredPaginate`: `limit` and `offset` count kept entries only).
pub fn paginate<T, S: StateRead + ?Sized>(
    state: &S,
    prefix: &[u8],
    req: Option<&PageRequest>,
    mut select: impl FnMut(&[u8], Vec<u8>) -> TxResult<Option<T>>,
) -> TxResult<(Vec<T>, PageResponse)> {
    let req = req.cloned().unwrap_or_default();
    if req.reverse {
        return Err(TxError::InvalidRequest(
            "reverse pagination is not supported".into(),
        ));
    }
    if req.offset > 0 && !req.key.is_empty() {
        return Err(TxError::InvalidRequest(
            "either offset or key is expected, got both".into(),
        ));
    }
    let limit = match req.limit {
        0 => DEFAULT_LIMIT,
        n => n.min(MAX_LIMIT),
    };
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let count = req.count_total && req.key.is_empty();
    let mut cursor: Vec<u8> = prefix.iter().chain(&req.key).copied().collect();
    let mut out = Vec::new();
    let mut skipped = 0u64;
    let mut counted = 0u64;
    let mut next_key = Vec::new();
    loop {
        let chunk = state.prefix_range(prefix, &cursor, CHUNK)?;
        let exhausted = chunk.len() < CHUNK;
        for (key, value) in chunk {
            let below = key.get(prefix.len()..).unwrap_or_default().to_vec();
            cursor = key;
            if next_key.is_empty() && out.len() >= limit {
                // Only the existence of one more kept entry matters now (and, if asked, how
                // many there are in all).
                if select(&below, value)?.is_some() {
                    next_key = below;
                    counted = counted.saturating_add(1);
                    if !count {
                        break;
                    }
                }
                continue;
            }
            let Some(item) = select(&below, value)? else {
                continue;
            };
            counted = counted.saturating_add(1);
            if !next_key.is_empty() {
                continue;
            }
            if skipped < req.offset {
                skipped = skipped.saturating_add(1);
                continue;
            }
            out.push(item);
        }
        if exhausted || (!next_key.is_empty() && !count) {
            break;
        }
        // The smallest key after the last one read.
        cursor.push(0);
    }
    Ok((
        out,
        PageResponse {
            next_key,
            total: if count { counted } else { 0 },
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use estuary_store::{MemState, StateWrite};

    fn state(n: u32) -> MemState {
        let mut s = MemState::default();
        for i in 0..n {
            s.put_raw(
                format!("p/{i:05}").into_bytes(),
                vec![u8::try_from(i % 2).unwrap()],
            )
            .unwrap();
        }
        s.put_raw(b"q/other".to_vec(), vec![]).unwrap();
        s
    }

    fn keep_all(k: &[u8], _: Vec<u8>) -> TxResult<Option<String>> {
        Ok(Some(String::from_utf8(k.to_vec()).unwrap()))
    }

    #[test]
    fn default_page_is_100_and_keys_walk_everything_once() {
        let s = state(1000);
        let (first, page) = paginate(&s, b"p/", None, keep_all).unwrap();
        assert_eq!(first.len(), 100);
        assert_eq!(page.next_key, b"00100");
        let mut seen = first;
        let mut key = page.next_key;
        while !key.is_empty() {
            let req = PageRequest {
                key: key.clone(),
                limit: 333,
                ..Default::default()
            };
            let (items, page) = paginate(&s, b"p/", Some(&req), keep_all).unwrap();
            seen.extend(items);
            key = page.next_key;
        }
        assert_eq!(seen.len(), 1000);
        let unique: std::collections::BTreeSet<_> = seen.iter().collect();
        assert_eq!(unique.len(), 1000);
    }

    #[test]
    fn limits_are_capped_offsets_and_totals_count_kept_entries() {
        let s = state(MAX_LIMIT as u32 + 50);
        let all = PageRequest {
            limit: u64::MAX,
            count_total: true,
            ..Default::default()
        };
        let (items, page) = paginate(&s, b"p/", Some(&all), keep_all).unwrap();
        assert_eq!(items.len() as u64, MAX_LIMIT);
        assert!(!page.next_key.is_empty());
        assert_eq!(page.total, MAX_LIMIT + 50);
        let odd = |k: &[u8], v: Vec<u8>| keep_all(k, v.clone()).map(|s| s.filter(|_| v == [1]));
        let req = PageRequest {
            offset: 10,
            limit: 5,
            count_total: true,
            ..Default::default()
        };
        let (items, page) = paginate(&s, b"p/", Some(&req), odd).unwrap();
        assert_eq!(items, ["00021", "00023", "00025", "00027", "00029"]);
        assert_eq!(page.total, (MAX_LIMIT + 50) / 2);
    }

    #[test]
    fn bad_requests_are_refused() {
        let s = state(3);
        let reverse = PageRequest {
            reverse: true,
            ..Default::default()
        };
        assert!(paginate(&s, b"p/", Some(&reverse), keep_all).is_err());
        let both = PageRequest {
            key: b"00001".to_vec(),
            offset: 1,
            ..Default::default()
        };
        assert!(paginate(&s, b"p/", Some(&both), keep_all).is_err());
        // A key past the end is an empty last page, not an error.
        let past = PageRequest {
            key: vec![0xff; 40],
            ..Default::default()
        };
        let (items, page) = paginate(&s, b"p/", Some(&past), keep_all).unwrap();
        assert!(items.is_empty() && page.next_key.is_empty());
    }
}
