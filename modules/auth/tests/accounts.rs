#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
use estuary_auth::{Auth, AuthGenesis, AuthKeeper, AuthReader, GenesisAccount};
use estuary_sdk::store::MemState;
use estuary_sdk::{Address, Component};

#[test]
fn numbers_continue_after_genesis_and_export_round_trips() {
    let mut s = MemState::default();
    let g = AuthGenesis {
        accounts: vec![
            GenesisAccount {
                address: Address([1; 20]),
                pub_key: None,
                account_number: 0,
                sequence: 3,
            },
            GenesisAccount {
                address: Address([2; 20]),
                pub_key: Some("AAAA".into()),
                account_number: 5,
                sequence: 0,
            },
        ],
        ..Default::default()
    };
    Auth.init_genesis(&mut s, &g).unwrap();
    let new = s.ensure_account(&Address([3; 20])).unwrap();
    assert_eq!(new.account_number, 6);
    assert_eq!(
        s.ensure_account(&Address([3; 20])).unwrap(),
        new,
        "ensure is idempotent"
    );
    let exported = Auth.export_genesis(&s).unwrap();
    assert_eq!(exported.accounts.len(), 3);
    assert_eq!(exported.accounts[0].sequence, 3);
    let mut again = MemState::default();
    Auth.init_genesis(&mut again, &exported).unwrap();
    assert_eq!(again.accounts().unwrap(), s.accounts().unwrap());
}

#[test]
fn duplicate_genesis_entries_are_refused() {
    let dup = GenesisAccount {
        address: Address([1; 20]),
        pub_key: None,
        account_number: 0,
        sequence: 0,
    };
    let g = AuthGenesis {
        accounts: vec![dup.clone(), dup],
        ..Default::default()
    };
    assert!(Auth.init_genesis(&mut MemState::default(), &g).is_err());
    let g = AuthGenesis {
        accounts: vec![
            GenesisAccount {
                address: Address([1; 20]),
                pub_key: None,
                account_number: 0,
                sequence: 0,
            },
            GenesisAccount {
                address: Address([2; 20]),
                pub_key: None,
                account_number: 0,
                sequence: 0,
            },
        ],
        ..Default::default()
    };
    assert!(
        Auth.init_genesis(&mut MemState::default(), &g).is_err(),
        "duplicate account numbers"
    );
}
