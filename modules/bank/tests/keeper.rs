#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
use estuary_auth::{AuthKeeper, AuthReader};
use estuary_bank::{Bank, BankGenesis, BankKeeper, BankReader, GenesisBalance};
use estuary_sdk::store::MemState;
use estuary_sdk::{Address, Coin, Component, Denom, TxError};

fn coin(n: u128, d: &str) -> Coin {
    Coin::new(n, d).unwrap()
}

fn funded() -> (MemState, Address, Address) {
    let (a, b) = (Address([1; 20]), Address([2; 20]));
    let mut s = MemState::default();
    let g = BankGenesis {
        balances: vec![GenesisBalance {
            address: a,
            coins: vec![coin(100, "stake"), coin(7, "uatom")],
        }],
        ..Default::default()
    };
    Bank.init_genesis(&mut s, &g).unwrap();
    (s, a, b)
}

#[test]
fn send_moves_and_creates_the_recipient_account() {
    let (mut s, a, b) = funded();
    let events = s
        .send(&a, &b, &[coin(30, "stake"), coin(7, "uatom")])
        .unwrap();
    assert_eq!(s.balance(&a, &Denom::new("stake").unwrap()).unwrap(), 70);
    assert_eq!(s.balance(&b, &Denom::new("uatom").unwrap()).unwrap(), 7);
    assert_eq!(
        s.balances(&a).unwrap(),
        vec![coin(70, "stake")],
        "zero balances are removed"
    );
    assert!(
        s.account(&b).unwrap().is_some(),
        "the recipient gets an account through the auth keeper"
    );
    assert_eq!(
        events
            .iter()
            .find(|e| e.kind == "transfer")
            .unwrap()
            .get("amount"),
        Some("30stake,7uatom")
    );
}

#[test]
fn insufficient_funds_fail_whole() {
    let (mut s, a, b) = funded();
    let before = s.clone();
    let err = s.send(&a, &b, &[coin(101, "stake")]).unwrap_err();
    assert!(matches!(err, TxError::InsufficientFunds(_)), "{err}");
    // The app drops the overlay on error; here we check no partial write happened before it.
    assert_eq!(s.balance(&a, &Denom::new("stake").unwrap()).unwrap(), 100);
    assert_eq!(before.balances(&a).unwrap(), s.balances(&a).unwrap());
}

#[test]
fn mint_and_burn_track_supply_with_checked_arithmetic() {
    let (mut s, a, b) = funded();
    s.mint(&b, &[coin(50, "ibc/ABC")]).unwrap();
    assert_eq!(s.supply(&Denom::new("ibc/ABC").unwrap()).unwrap(), 50);
    s.burn(&b, &[coin(20, "ibc/ABC")]).unwrap();
    assert_eq!(s.supply(&Denom::new("ibc/ABC").unwrap()).unwrap(), 30);
    assert!(s.burn(&b, &[coin(31, "ibc/ABC")]).is_err());
    let err = s.mint(&a, &[coin(u128::MAX, "stake")]).unwrap_err();
    assert!(
        matches!(err, TxError::InvalidCoins(_)),
        "supply overflow: {err}"
    );
    assert_eq!(s.total_supply().unwrap().len(), 3);
}

#[test]
fn genesis_round_trips_and_checks_declared_supply() {
    let (mut s, a, b) = funded();
    s.send(&a, &b, &[coin(1, "stake")]).unwrap();
    let exported = Bank.export_genesis(&s).unwrap();
    assert_eq!(exported.supply, vec![coin(100, "stake"), coin(7, "uatom")]);
    let mut fresh = MemState::default();
    Bank.init_genesis(&mut fresh, &exported).unwrap();
    assert_eq!(fresh.all_balances().unwrap(), s.all_balances().unwrap());

    let mut wrong = exported.clone();
    wrong.supply = vec![coin(99, "stake"), coin(7, "uatom")];
    assert!(Bank.init_genesis(&mut MemState::default(), &wrong).is_err());
    let _ = s.next_account_number().unwrap();
}
