#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
use estuary_store::*;

fn open(dir: &tempfile::TempDir, keep_recent: u64) -> Storage {
    Storage::open(
        dir.path().join("state.redb"),
        StorageConfig {
            keep_recent,
            ..StorageConfig::default()
        },
    )
    .unwrap()
}

fn commit(storage: &Storage, version: u64, kvs: &[(&str, Option<&str>)]) -> CommitInfo {
    let mut block = PendingBlock::new(storage.clone());
    for (k, v) in kvs {
        match v {
            Some(v) => block
                .put_raw(k.as_bytes().to_vec(), v.as_bytes().to_vec())
                .unwrap(),
            None => block.delete(k.as_bytes().to_vec()).unwrap(),
        }
    }
    let prepared = storage.prepare(block.into_writes(), version).unwrap();
    let expected = prepared.info();
    let info = storage.commit(prepared).unwrap();
    assert_eq!(info, expected, "prepare and commit agree on the app hash");
    info
}

#[test]
fn survives_reopen_with_same_app_hash() {
    let dir = tempfile::tempdir().unwrap();
    let info = {
        let s = open(&dir, 0);
        commit(
            &s,
            1,
            &[("bank/a", Some("1")), ("ibc/clients/x", Some("cs"))],
        );
        commit(&s, 2, &[("bank/b", Some("2"))])
    };
    let s = open(&dir, 0);
    assert_eq!(s.latest(), Some(info));
    assert_eq!(s.get_latest(b"bank/a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(
        s.get_latest(b"ibc/clients/x").unwrap(),
        Some(b"cs".to_vec())
    );
    // The next version builds on the reopened trees.
    let next = commit(&s, 3, &[("bank/a", None)]);
    assert_ne!(next.app_hash, info.app_hash);
    assert_eq!(s.get_latest(b"bank/a").unwrap(), None);
    assert_eq!(s.get_at(b"bank/a", 2).unwrap(), Some(b"1".to_vec()));
}

#[test]
fn same_writes_give_same_app_hash_in_any_order() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = commit(
        &open(&d1, 0),
        5,
        &[("x", Some("1")), ("y", Some("2")), ("ibc/z", Some("3"))],
    );
    let b = commit(
        &open(&d2, 0),
        5,
        &[("ibc/z", Some("3")), ("y", Some("2")), ("x", Some("1"))],
    );
    assert_eq!(a.app_hash, b.app_hash);
    let d3 = tempfile::tempdir().unwrap();
    let c = commit(
        &open(&d3, 0),
        5,
        &[("x", Some("1")), ("y", Some("2")), ("ibc/z", Some("4"))],
    );
    assert_ne!(a.app_hash, c.app_hash);
}

#[test]
fn empty_blocks_keep_versions_contiguous() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, 0);
    let one = commit(&s, 1, &[("k", Some("v"))]);
    let two = commit(&s, 2, &[]);
    let three = commit(&s, 3, &[]);
    assert_eq!(one.app_hash, two.app_hash);
    assert_eq!(two.app_hash, three.app_hash);
    assert_eq!(s.get_at(b"k", 3).unwrap(), Some(b"v".to_vec()));
    assert!(
        s.prepare(WriteSet::default(), 5).is_err(),
        "versions must follow each other"
    );
}

#[test]
fn ibc_proofs_verify_against_app_hash() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, 0);
    commit(
        &s,
        1,
        &[
            ("ibc/connections/connection-0", Some("conn")),
            ("ibc/a", Some("1")),
            ("bank/x", Some("y")),
        ],
    );
    let info = commit(
        &s,
        2,
        &[(
            "ibc/commitments/ports/transfer/channels/channel-0/sequences/1",
            Some("c1"),
        )],
    );

    let key = b"commitments/ports/transfer/channels/channel-0/sequences/1";
    let (value, proof) = s.get_with_proof(&Substore::Ibc.full_key(key), 2).unwrap();
    assert_eq!(value.as_deref(), Some(&b"c1"[..]));
    assert_eq!(proof.proofs.len(), 2);
    assert!(verify_membership(
        &proof,
        &info.app_hash,
        Substore::Ibc,
        key,
        b"c1"
    ));
    assert!(
        !verify_membership(&proof, &info.app_hash, Substore::Ibc, key, b"c2"),
        "wrong value"
    );
    assert!(
        !verify_membership(&proof, &[0u8; 32], Substore::Ibc, key, b"c1"),
        "wrong root"
    );
    assert!(
        !verify_membership(&proof, &info.app_hash, Substore::Main, key, b"c1"),
        "wrong substore"
    );

    let absent = b"receipts/ports/transfer/channels/channel-0/sequences/9";
    let (value, proof) = s
        .get_with_proof(&Substore::Ibc.full_key(absent), 2)
        .unwrap();
    assert_eq!(value, None);
    assert!(verify_non_membership(
        &proof,
        &info.app_hash,
        Substore::Ibc,
        absent
    ));
    assert!(
        !verify_non_membership(&proof, &info.app_hash, Substore::Ibc, key),
        "present key"
    );

    // A proof at an older height verifies against that height's app hash only.
    let (old, proof1) = s.get_with_proof(&Substore::Ibc.full_key(key), 1).unwrap();
    assert_eq!(old, None);
    assert!(!verify_non_membership(
        &proof1,
        &info.app_hash,
        Substore::Ibc,
        key
    ));
}

#[test]
fn pruning_drops_old_versions_but_keeps_recent() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, 2);
    for v in 1..=6u64 {
        commit(&s, v, &[("counter", Some(&v.to_string()))]);
    }
    assert_eq!(s.earliest_version().unwrap(), 4);
    assert!(matches!(
        s.get_at(b"counter", 2),
        Err(Error::VersionUnavailable { .. })
    ));
    assert_eq!(s.get_at(b"counter", 4).unwrap(), Some(b"4".to_vec()));
    assert_eq!(s.get_at(b"counter", 6).unwrap(), Some(b"6".to_vec()));
    let (v, proof) = s.get_with_proof(b"counter", 5).unwrap();
    assert_eq!(v, Some(b"5".to_vec()));
    assert_eq!(proof.proofs.len(), 2);
}

#[test]
fn overlays_layer_and_drop() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, 0);
    commit(
        &s,
        1,
        &[("p/a", Some("1")), ("p/b", Some("2")), ("q", Some("3"))],
    );
    let mut block = PendingBlock::new(s.clone());
    block.put_raw(b"p/c".to_vec(), b"4".to_vec()).unwrap();
    {
        let mut tx = TxOverlay::new(&block, GasMeter::new(1_000_000));
        tx.delete(b"p/a".to_vec()).unwrap();
        tx.put_raw(b"p/b".to_vec(), b"20".to_vec()).unwrap();
        let items: Vec<_> = tx
            .prefix_raw(b"p/")
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(items, vec![b"p/b".to_vec(), b"p/c".to_vec()]);
        assert!(tx.gas_used() > 0);
        // Dropped: nothing reaches the block.
    }
    assert_eq!(block.get_raw(b"p/a").unwrap(), Some(b"1".to_vec()));
    let mut tx = TxOverlay::new(&block, GasMeter::new(1_000_000));
    tx.put_raw(b"p/b".to_vec(), b"20".to_vec()).unwrap();
    let (writes, _) = tx.into_parts();
    block.absorb(writes);
    assert_eq!(block.get_raw(b"p/b").unwrap(), Some(b"20".to_vec()));
    assert_eq!(
        s.get_latest(b"p/b").unwrap(),
        Some(b"2".to_vec()),
        "disk untouched until commit"
    );
}

#[test]
fn out_of_gas_stops_a_write() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, 0);
    let block = PendingBlock::new(s);
    let mut tx = TxOverlay::new(&block, GasMeter::new(2100));
    tx.put_raw(b"a".to_vec(), b"1".to_vec()).unwrap();
    assert!(matches!(
        tx.put_raw(b"b".to_vec(), b"2".to_vec()),
        Err(Error::OutOfGas { .. })
    ));
}

/// A version's entries come back from its trees, whichever substores it touched.
#[test]
fn entries_at_lists_every_live_key_of_a_version() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, 0);
    commit(&s, 1, &[("bank/a", Some("1")), ("auth/x", Some("acc"))]);
    commit(&s, 2, &[("ibc/clients/c", Some("cs"))]);
    commit(&s, 3, &[("bank/a", Some("9")), ("bank/b", Some("2"))]);
    commit(&s, 4, &[("bank/a", None), ("ibc/clients/c", None)]);
    let sorted = |mut v: Vec<(Vec<u8>, Vec<u8>)>| {
        v.sort();
        v.into_iter()
            .map(|(k, v)| (String::from_utf8(k).unwrap(), String::from_utf8(v).unwrap()))
            .collect::<Vec<_>>()
    };
    let kv = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(
        sorted(s.entries_at(3).unwrap()),
        vec![
            kv("auth/x", "acc"),
            kv("bank/a", "9"),
            kv("bank/b", "2"),
            kv("ibc/clients/c", "cs")
        ]
    );
    assert_eq!(
        sorted(s.entries_at(4).unwrap()),
        vec![kv("auth/x", "acc"), kv("bank/b", "2")]
    );
    assert_eq!(
        sorted(s.entries_at(1).unwrap()),
        vec![kv("auth/x", "acc"), kv("bank/a", "1")]
    );
    assert!(s.entries_at(5).is_err());
}

/// Rolling back the latest commit gives back the previous version exactly (app hash, reads,
/// listings), and re-committing the same block gives the same app hash as the first time.
#[test]
fn rollback_undoes_the_latest_commit_and_the_block_replays_to_the_same_hash() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, 0);
    commit(&s, 1, &[("bank/a", Some("1")), ("ibc/x", Some("x"))]);
    let v2 = commit(&s, 2, &[("bank/b", Some("2"))]);
    let block3: &[(&str, Option<&str>)] = &[
        ("bank/a", Some("7")),
        ("bank/b", None),
        ("ibc/y", Some("y")),
        ("auth/n", Some("n")),
    ];
    let v3 = commit(&s, 3, block3);
    let back = s.rollback().unwrap();
    assert_eq!(back, v2);
    assert_eq!(s.latest(), Some(v2));
    assert_eq!(s.get_latest(b"bank/a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(s.get_latest(b"bank/b").unwrap(), Some(b"2".to_vec()));
    assert_eq!(s.get_latest(b"ibc/y").unwrap(), None);
    assert_eq!(s.get_latest(b"auth/n").unwrap(), None);
    assert_eq!(s.snapshot().unwrap().prefix_raw(b"bank/").unwrap().len(), 2);
    // Survives reopening, and the same block gives the same hash again.
    drop(s);
    let s = open(&dir, 0);
    assert_eq!(s.latest(), Some(v2));
    assert_eq!(commit(&s, 3, block3), v3);
    // A store that keeps one version behind the latest rolls back once, not past what it kept.
    let pruned_dir = tempfile::tempdir().unwrap();
    let p = open(&pruned_dir, 1);
    commit(&p, 1, &[("bank/a", Some("1"))]);
    commit(&p, 2, &[("bank/a", Some("2"))]);
    commit(&p, 3, &[("bank/a", Some("3"))]);
    assert_eq!(p.rollback().unwrap().version, 2);
    assert_eq!(p.get_latest(b"bank/a").unwrap(), Some(b"2".to_vec()));
    assert!(p.rollback().is_err(), "version 1 was pruned");
}

/// A write set built against a scratch store (it only records writes).
fn writes(kvs: &[(&str, &str)]) -> WriteSet {
    let scratch = tempfile::tempdir().unwrap();
    let mut block = PendingBlock::new(open(&scratch, 0));
    for (k, v) in kvs {
        block
            .put_raw(k.as_bytes().to_vec(), v.as_bytes().to_vec())
            .unwrap();
    }
    block.into_writes()
}

/// Every key of `kvs` reads as its value at `version`, with a proof that verifies against
/// `app_hash`.
fn assert_proven(s: &Storage, version: u64, app_hash: &[u8; 32], kvs: &[(&str, &str)]) {
    for (k, v) in kvs {
        let (value, proof) = s.get_with_proof(k.as_bytes(), version).unwrap();
        assert_eq!(value.as_deref(), Some(v.as_bytes()), "{k}");
        let (substore, local) = Substore::route(k.as_bytes());
        assert!(
            verify_membership(&proof, app_hash, substore, local, v.as_bytes()),
            "{k}"
        );
    }
}

/// The genesis `kvs` for `storage`.
fn genesis_of(storage: &Storage, kvs: &[(&str, &str)]) -> GenesisState {
    let mut genesis = storage.begin_genesis().unwrap();
    for (k, v) in kvs {
        genesis
            .put_raw(k.as_bytes().to_vec(), v.as_bytes().to_vec())
            .unwrap();
    }
    genesis
}

#[test]
fn a_stored_genesis_is_state_but_not_a_block_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let genesis = [("bank/a", "1"), ("bank/b", "2"), ("auth/a", "x")];
    let stored = {
        let storage = open(&dir, 0);
        let info = storage
            .commit_genesis(genesis_of(&storage, &genesis), 0, b"digest-1")
            .unwrap();
        assert_eq!(storage.latest(), Some(info));
        assert_eq!(storage.last_block(), None, "no block is committed yet");
        assert_eq!(storage.get_latest(b"bank/b").unwrap(), Some(b"2".to_vec()));
        // A second genesis on the same store is refused, begun or written.
        assert!(storage.begin_genesis().is_err());
        let elsewhere = tempfile::tempdir().unwrap();
        let other = genesis_of(&open(&elsewhere, 0), &genesis);
        assert!(storage.commit_genesis(other, 0, b"digest-1").is_err());
        info
    };
    let storage = open(&dir, 0);
    assert_eq!(storage.last_block(), None);
    assert_eq!(
        storage.genesis_mark(),
        Some(GenesisMark {
            version: 0,
            tag: b"digest-1".to_vec()
        })
    );
    // The genesis root does not depend on the version it is stored at: the first block's
    // header carries the same app hash whichever way the genesis was committed.
    let elsewhere = tempfile::tempdir().unwrap();
    let together = open(&elsewhere, 0)
        .prepare(writes(&genesis), 1)
        .unwrap()
        .info();
    assert_eq!(together.app_hash, stored.app_hash);
    // The first block builds on the genesis version and is a block.
    let one = commit(&storage, 1, &[("bank/a", Some("0"))]);
    assert_eq!(storage.last_block(), Some(one));
    assert_eq!(storage.get_latest(b"auth/a").unwrap(), Some(b"x".to_vec()));
    // Blocks and genesis together give the same app hash as one commit of everything.
    let fresh = tempfile::tempdir().unwrap();
    let combined = open(&fresh, 0)
        .prepare(
            writes(&[("bank/a", "0"), ("bank/b", "2"), ("auth/a", "x")]),
            1,
        )
        .unwrap()
        .info();
    assert_eq!(combined.app_hash, one.app_hash);
}

#[test]
fn usage_counts_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(&dir, 0);
    commit(&storage, 1, &[("bank/a", Some("1")), ("bank/b", Some("2"))]);
    let usage = storage.usage().unwrap();
    let flat = usage.iter().find(|t| t.table == "flat").unwrap();
    assert_eq!(flat.entries, 2);
    assert!(flat.stored_bytes >= 2 * ("bank/a".len() + 1) as u64);
    assert!(usage
        .iter()
        .any(|t| t.table == "jmt_nodes" && t.entries >= 2));
}

/// A store in another row layout is refused at open with the formats named, instead of being
/// misread node by node; a store of this build's format opens again.
#[test]
fn a_store_of_another_format_is_refused_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.redb");
    let storage = open(&dir, 0);
    let info = commit(&storage, 1, &[("bank/a", Some("1"))]);
    drop(storage);
    assert_eq!(open(&dir, 0).latest(), Some(info));

    let meta: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("meta");
    let set_format = |format: Option<u32>| {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut table = txn.open_table(meta).unwrap();
            match format {
                Some(f) => table.insert("format", f.to_be_bytes().as_slice()).unwrap(),
                None => table.remove("format").unwrap(),
            };
        }
        txn.commit().unwrap();
    };
    // Stores written before the format was recorded are format 1.
    set_format(None);
    let err = Storage::open(&path, StorageConfig::default())
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            Error::Format {
                found: 1,
                expected: STORE_FORMAT
            }
        ),
        "{err}"
    );
    set_format(Some(STORE_FORMAT + 1));
    assert!(matches!(
        Storage::open(&path, StorageConfig::default()),
        Err(Error::Format { .. })
    ));
    set_format(Some(STORE_FORMAT));
    assert_eq!(open(&dir, 0).latest(), Some(info));
}

/// Past values, checked against a model: keys written, rewritten, deleted and written again over
/// many versions, in both substores. At every kept version each key reads as the model says —
/// directly, through a proof that verifies against that version's app hash, and in the full
/// listing — across a reopen, with pruning, and after rolling back the latest version.
#[test]
fn every_kept_version_reads_as_written_through_updates_deletes_and_rollback() {
    use std::collections::BTreeMap;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let keys: Vec<String> = (0..24)
        .map(|i| {
            if i % 3 == 0 {
                format!("ibc/k{i}")
            } else {
                format!("bank/k{i}")
            }
        })
        .collect();
    for keep in [0u64, 4] {
        let dir = tempfile::tempdir().unwrap();
        let mut s = open(&dir, keep);
        let mut model: Vec<BTreeMap<String, String>> = vec![BTreeMap::new()];
        let mut hashes = vec![[0u8; 32]];
        for version in 1..=30u64 {
            let mut state = model.last().unwrap().clone();
            let mut kvs: Vec<(String, Option<String>)> = Vec::new();
            for key in &keys {
                match next() % 4 {
                    0 => {
                        let value = format!("{key}@{version}");
                        state.insert(key.clone(), value.clone());
                        kvs.push((key.clone(), Some(value)));
                    }
                    1 => {
                        state.remove(key);
                        kvs.push((key.clone(), None));
                    }
                    _ => {}
                }
            }
            let refs: Vec<(&str, Option<&str>)> = kvs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_deref()))
                .collect();
            hashes.push(commit(&s, version, &refs).app_hash);
            model.push(state);
            if version == 15 {
                drop(s);
                s = open(&dir, keep);
            }
        }
        let check = |s: &Storage, latest: u64| {
            let earliest = s.earliest_version().unwrap().max(1);
            for version in earliest..=latest {
                let state = &model[version as usize];
                for key in &keys {
                    let expected = state.get(key).map(|v| v.as_bytes().to_vec());
                    assert_eq!(
                        s.get_at(key.as_bytes(), version).unwrap(),
                        expected,
                        "{key}@{version}"
                    );
                    let (value, proof) = s.get_with_proof(key.as_bytes(), version).unwrap();
                    assert_eq!(value, expected, "proven {key}@{version}");
                    let (substore, local) = Substore::route(key.as_bytes());
                    let hash = &hashes[version as usize];
                    assert!(match &expected {
                        Some(v) => verify_membership(&proof, hash, substore, local, v),
                        None => verify_non_membership(&proof, hash, substore, local),
                    });
                }
                let listed: BTreeMap<String, String> = s
                    .entries_at(version)
                    .unwrap()
                    .into_iter()
                    .map(|(k, v)| (String::from_utf8(k).unwrap(), String::from_utf8(v).unwrap()))
                    .collect();
                assert_eq!(&listed, state, "listing at {version}");
            }
            let latest_state = &model[latest as usize];
            let flat: BTreeMap<String, String> = s
                .prefix_latest(b"")
                .unwrap()
                .into_iter()
                .map(|(k, v)| (String::from_utf8(k).unwrap(), String::from_utf8(v).unwrap()))
                .collect();
            assert_eq!(&flat, latest_state);
        };
        check(&s, 30);
        if keep > 0 {
            assert_eq!(s.earliest_version().unwrap(), 26);
            assert!(s.get_at(keys[0].as_bytes(), 20).is_err(), "pruned");
        }
        assert_eq!(s.rollback().unwrap().app_hash, hashes[29]);
        check(&s, 29);
        drop(s);
        let s = open(&dir, keep);
        check(&s, 29);
    }
}

/// A genesis written in chunks is the genesis written at once: the same app hash, values and
/// proofs whatever the chunk size (one key per chunk, uneven chunks, one chunk), at version 0
/// and above, and the chain goes on from it — blocks, pruning and proofs — as from the other.
#[test]
fn a_genesis_written_in_chunks_is_the_genesis_written_at_once() {
    let owned: Vec<(String, String)> = (0..300)
        .map(|i| {
            let key = match i % 3 {
                0 => format!("ibc/clients/{i}"),
                _ => format!("bank/{i:04}"),
            };
            (key, format!("v{}", i * 7))
        })
        .collect();
    let kvs: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for version in [0u64, 4] {
        let at_once = tempfile::tempdir().unwrap();
        let reference = open(&at_once, 0);
        let prepared = reference.prepare(writes(&kvs), version.max(1)).unwrap();
        let expected = prepared.info().app_hash;
        for chunk in [1usize, 7, 64, 100_000] {
            let dir = tempfile::tempdir().unwrap();
            let s = open(&dir, 1);
            let info = s
                .commit_genesis_in_chunks(genesis_of(&s, &kvs), version, b"g", chunk)
                .unwrap();
            assert_eq!(info.app_hash, expected, "chunk {chunk}, version {version}");
            let listed = s.prefix_latest(b"").unwrap();
            assert_eq!(listed.len(), kvs.len());
            if version > 0 {
                assert_proven(&s, version, &info.app_hash, &kvs);
            }
            // Blocks on top, pruning every version but the last: the genesis nodes a block
            // still uses are never marked stale by the chunks that rewrote them.
            let mut latest = info;
            for block in 1..=3u64 {
                // Keys the genesis holds (not multiples of 3): updates, and one deletion.
                let key = format!("bank/{:04}", [1, 4, 5][block as usize - 1]);
                latest = commit(
                    &s,
                    version + block,
                    &[(key.as_str(), Some("new")), ("bank/0002", None)],
                );
            }
            let entries = s.entries_at(latest.version).unwrap();
            assert_eq!(entries.len(), kvs.len() - 1);
            let (value, proof) = s.get_with_proof(b"ibc/clients/3", latest.version).unwrap();
            assert_eq!(value.as_deref(), Some(&b"v21"[..]));
            assert!(verify_membership(
                &proof,
                &latest.app_hash,
                Substore::Ibc,
                b"clients/3",
                b"v21"
            ));
        }
    }
}

/// A crash while a genesis is written in chunks leaves them behind, marked unfinished; the
/// next InitChain's genesis starts from an empty store, not on top of them.
#[test]
fn an_interrupted_genesis_is_cleared_before_the_next_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.redb");
    drop(open(&dir, 0));
    {
        // What a crash after some chunks leaves: rows, and the mark, but no committed version.
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        let meta: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("meta");
        let flat: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("flat");
        txn.open_table(meta)
            .unwrap()
            .insert("genesis_unfinished", &[][..])
            .unwrap();
        txn.open_table(flat)
            .unwrap()
            .insert(&b"bank/stale"[..], &[0u8; 9][..])
            .unwrap();
        txn.commit().unwrap();
    }
    let s = open(&dir, 0);
    assert_eq!(s.latest(), None);
    let genesis = [("bank/a", "1"), ("ibc/b", "2")];
    let info = s
        .commit_genesis_in_chunks(genesis_of(&s, &genesis), 3, b"g", 1)
        .unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let clean_store = open(&elsewhere, 0);
    let clean = clean_store
        .commit_genesis(genesis_of(&clean_store, &genesis), 3, b"g")
        .unwrap();
    assert_eq!(info, clean);
    assert_eq!(s.get_latest(b"bank/stale").unwrap(), None);
    assert_eq!(s.prefix_latest(b"").unwrap().len(), 2);
}

/// A genesis reads back exactly what its modules wrote — single keys and prefix listings,
/// through overwrites and deletions — and nothing of the store below it; once committed, the
/// store holds exactly that.
#[test]
fn a_genesis_reads_its_own_writes_and_stores_them() {
    use std::collections::BTreeMap;
    let mut hashes = Vec::new();
    // Held in memory throughout, and spilled to runs on disk every 1, 7 and 25 writes: reads,
    // prefix listings and the stored result cross runs (a key rewritten or deleted in a later
    // run than the one holding its older value).
    for spill_every in [usize::MAX, 1, 7, 25] {
        let dir = tempfile::tempdir().unwrap();
        let s = open(&dir, 0);
        let mut genesis = s.begin_genesis_spilling_every(spill_every).unwrap();
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        let mut rng = 7u64;
        for step in 0..400u64 {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let n = (rng >> 33) % 40;
            let key = match n % 4 {
                0 => format!("ibc/clients/{n:02}"),
                _ => format!("bank/{n:02}"),
            }
            .into_bytes();
            if (rng >> 20).is_multiple_of(5) {
                genesis.delete(key.clone()).unwrap();
                model.remove(&key);
            } else {
                let value = format!("v{step}").into_bytes();
                genesis.put_raw(key.clone(), value.clone()).unwrap();
                model.insert(key.clone(), value);
            }
            assert_eq!(genesis.get_raw(&key).unwrap(), model.get(&key).cloned());
            let other = format!("bank/{:02}", (rng >> 40) % 40).into_bytes();
            assert_eq!(
                genesis.get_raw(&other).unwrap(),
                model.get(&other).cloned(),
                "spill every {spill_every}, step {step}"
            );
            if step % 50 == 0 {
                for prefix in [&b"bank/"[..], b"ibc/", b"bank/1", b"bank/10", b""] {
                    let expected: Vec<_> = model
                        .iter()
                        .filter(|(k, _)| k.starts_with(prefix))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    assert_eq!(
                        genesis.prefix_raw(prefix).unwrap(),
                        expected,
                        "spill every {spill_every}, step {step}"
                    );
                }
            }
        }
        if spill_every < 400 {
            assert!(
                genesis.runs() > 0,
                "spill every {spill_every}: nothing spilled"
            );
        }
        let runs = dir.path().join("state.redb.genesis");
        assert_eq!(runs.exists(), spill_every < 400);
        let info = s.commit_genesis(genesis, 3, b"g").unwrap();
        assert!(
            !runs.exists(),
            "the runs are removed once the genesis is stored"
        );
        let stored: BTreeMap<Vec<u8>, Vec<u8>> =
            s.prefix_latest(b"").unwrap().into_iter().collect();
        assert_eq!(stored, model, "spill every {spill_every}");
        let pairs: Vec<(String, String)> = model
            .iter()
            .map(|(k, v)| {
                (
                    String::from_utf8(k.clone()).unwrap(),
                    String::from_utf8(v.clone()).unwrap(),
                )
            })
            .collect();
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_proven(&s, 3, &info.app_hash, &pairs);
        hashes.push(info.app_hash);
    }
    assert!(hashes.windows(2).all(|w| w[0] == w[1]), "{hashes:?}");
}

/// Runs a crash left beside the store (the process died while a genesis was being written)
/// are thrown away by the next attempt, and a genesis given up before it is stored removes
/// its own.
#[test]
fn a_genesis_ignores_runs_a_crash_left_and_removes_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("state.redb.genesis");
    std::fs::create_dir_all(&runs).unwrap();
    std::fs::write(runs.join("run-0.keys"), b"left by a crash").unwrap();
    std::fs::write(runs.join("run-0.main"), b"left by a crash").unwrap();
    let s = open(&dir, 0);
    let kvs: Vec<(String, String)> = (0..30)
        .map(|i| (format!("k{i:02}"), format!("v{i}")))
        .collect();
    let given_up = {
        let mut genesis = s.begin_genesis_spilling_every(4).unwrap();
        assert!(
            !runs.exists(),
            "the old runs are removed when a genesis begins"
        );
        for (k, v) in &kvs {
            genesis
                .put_raw(k.clone().into_bytes(), v.clone().into_bytes())
                .unwrap();
        }
        assert!(runs.exists());
        genesis
    };
    drop(given_up);
    assert!(!runs.exists(), "a dropped genesis removes its runs");
    let mut genesis = s.begin_genesis_spilling_every(4).unwrap();
    for (k, v) in &kvs {
        genesis
            .put_raw(k.clone().into_bytes(), v.clone().into_bytes())
            .unwrap();
    }
    let spilled = s.commit_genesis(genesis, 0, b"g").unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let clean = open(&elsewhere, 0);
    let pairs: Vec<(&str, &str)> = kvs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let in_memory = clean
        .commit_genesis(genesis_of(&clean, &pairs), 0, b"g")
        .unwrap();
    assert_eq!(spilled.app_hash, in_memory.app_hash);
}

/// A genesis tree is laid out directly (each node hashed once) rather than inserted key by key
/// through jmt; it must be jmt's tree exactly. For genesis sets of every shape — empty, one
/// key, keys in one substore only, sizes that fill whole levels — the app hash equals the one
/// jmt computes for the same keys, every key's proof and a missing key's non-membership proof
/// verify, and jmt then applies blocks over the built nodes (updates, deletions, inserts under
/// existing leaves) to the same app hashes as over its own.
#[test]
fn a_genesis_tree_built_directly_is_the_tree_jmt_builds() {
    let shapes: Vec<(usize, usize)> = vec![
        (0, 0),
        (1, 0),
        (0, 1),
        (2, 0),
        (3, 1),
        (17, 0),
        (0, 40),
        (256, 16),
        (1000, 300),
    ];
    for (main, ibc) in shapes {
        let owned: Vec<(String, String)> = (0..main)
            .map(|i| (format!("bank/{i:05}"), format!("m{i}")))
            .chain((0..ibc).map(|i| (format!("ibc/clients/{i}"), format!("i{}", i * 3))))
            .collect();
        let kvs: Vec<(&str, &str)> = owned
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let blocks: Vec<Vec<(String, Option<String>)>> = (0..3u64)
            .map(|b| {
                let mut w: Vec<(String, Option<String>)> = (0..main.min(5))
                    .map(|i| {
                        (
                            format!("bank/{:05}", i * 3 + b as usize),
                            Some(format!("b{b}")),
                        )
                    })
                    .collect();
                w.push((format!("bank/new{b}"), Some("x".into())));
                w.push((format!("ibc/clients/new{b}"), Some("y".into())));
                if main > 1 {
                    w.push(("bank/00001".into(), None));
                }
                w
            })
            .collect();
        // jmt's own: the genesis as an ordinary first commit.
        let reference_dir = tempfile::tempdir().unwrap();
        let reference = open(&reference_dir, 0);
        let genesis_as_block: Vec<(&str, Option<&str>)> =
            kvs.iter().map(|(k, v)| (*k, Some(*v))).collect();
        let mut expected = vec![commit(&reference, 1, &genesis_as_block).app_hash];
        for (b, w) in blocks.iter().enumerate() {
            let w: Vec<(&str, Option<&str>)> =
                w.iter().map(|(k, v)| (k.as_str(), v.as_deref())).collect();
            expected.push(commit(&reference, b as u64 + 2, &w).app_hash);
        }
        // Built directly, at version 0, in small transactions.
        let dir = tempfile::tempdir().unwrap();
        let s = open(&dir, 0);
        let info = s
            .commit_genesis_in_chunks(genesis_of(&s, &kvs), 0, b"g", 7)
            .unwrap();
        assert_eq!(info.app_hash, expected[0], "genesis of {main}+{ibc} keys");
        let mut got = vec![info.app_hash];
        for (b, w) in blocks.iter().enumerate() {
            let w: Vec<(&str, Option<&str>)> =
                w.iter().map(|(k, v)| (k.as_str(), v.as_deref())).collect();
            let info = commit(&s, b as u64 + 1, &w);
            got.push(info.app_hash);
            if b == 0 {
                // Proofs against the first block's root: the built nodes, read by jmt.
                let unchanged: Vec<(&str, &str)> = kvs
                    .iter()
                    .copied()
                    .filter(|(k, _)| !w.iter().any(|(changed, _)| changed == k))
                    .collect();
                assert_proven(&s, info.version, &info.app_hash, &unchanged);
                let (value, proof) = s.get_with_proof(b"bank/missing", info.version).unwrap();
                assert_eq!(value, None);
                assert!(verify_non_membership(
                    &proof,
                    &info.app_hash,
                    Substore::Main,
                    b"bank/missing"
                ));
            }
        }
        assert_eq!(got, expected, "blocks over a genesis of {main}+{ibc} keys");
    }
}
