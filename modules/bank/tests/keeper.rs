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

/// Bank's genesis is initialised from its JSON while it is parsed (a million balances are
/// never held as a list); that must leave exactly the state of parsing first and calling
/// `init_genesis`, and refuse exactly the documents that path refuses.
#[test]
fn a_streamed_genesis_is_the_parsed_genesis() {
    use estuary_sdk::Module;
    let (a, b) = (Address([1; 20]), Address([2; 20]));
    let accepted = [
        format!(
            r#"{{"params":{{"default_send_enabled":false}},"balances":[{{"address":"{a}","coins":[{{"denom":"stake","amount":"5"}}]}},{{"address":"{b}","coins":[{{"denom":"stake","amount":"7"}},{{"denom":"uatom","amount":"1"}}]}},{{"address":"{a}","coins":[{{"denom":"stake","amount":"1"}}]}}],"supply":[{{"denom":"stake","amount":"13"}},{{"denom":"uatom","amount":"1"}}]}}"#
        ),
        // Fields in another order, an unknown field, no supply, no params.
        format!(
            r#"{{"supply":[],"extra":{{"x":[1,2]}},"balances":[{{"address":"{b}","coins":[]}},{{"address":"{a}","coins":[{{"denom":"uatom","amount":"3"}}]}}]}}"#
        ),
        "{}".to_string(),
        r#"{"params":{},"balances":[]}"#.to_string(),
        // serde also reads a struct from the list of its fields in order.
        "[]".to_string(),
        format!(r#"[{{}},[{{"address":"{a}","coins":[{{"denom":"stake","amount":"2"}}]}}],[]]"#),
    ];
    let refused = [
        // Supply other than the sum, a field twice, an overflow, a bad denom, a negative
        // amount, the wrong shapes, trailing bytes.
        format!(
            r#"{{"balances":[{{"address":"{a}","coins":[{{"denom":"stake","amount":"5"}}]}}],"supply":[{{"denom":"stake","amount":"6"}}]}}"#
        ),
        r#"{"balances":[],"balances":[]}"#.to_string(),
        format!(
            r#"{{"balances":[{{"address":"{a}","coins":[{{"denom":"stake","amount":"340282366920938463463374607431768211455"}}]}},{{"address":"{b}","coins":[{{"denom":"stake","amount":"1"}}]}}]}}"#
        ),
        format!(r#"{{"balances":[{{"address":"{a}","coins":[{{"denom":"1x","amount":"5"}}]}}]}}"#),
        format!(
            r#"{{"balances":[{{"address":"{a}","coins":[{{"denom":"stake","amount":"-5"}}]}}]}}"#
        ),
        r#"{"balances":{}}"#.to_string(),
        r#"{"balances":null}"#.to_string(),
        r#"[{},[],[],[]]"#.to_string(),
        r#"null"#.to_string(),
        r#"{"balances":[]} {}"#.to_string(),
        format!(r#"{{"balances":[{{"address":"{a}"}}]}}"#),
    ];
    for doc in accepted.iter().chain(&refused) {
        let mut parsed_state = MemState::default();
        let parsed = serde_json::from_str::<BankGenesis>(doc)
            .map_err(|e| TxError::InvalidRequest(e.to_string()))
            .and_then(|g| Bank.init_genesis(&mut parsed_state, &g));
        let raw = serde_json::value::RawValue::from_string(doc.clone());
        let mut streamed_state = MemState::default();
        let streamed = match raw {
            Ok(raw) => Bank.init_genesis_json(&mut streamed_state, &raw),
            Err(e) => Err(TxError::InvalidRequest(e.to_string())),
        };
        assert_eq!(
            parsed.is_ok(),
            streamed.is_ok(),
            "{doc}: {parsed:?} / {streamed:?}"
        );
        if parsed.is_ok() {
            assert_eq!(parsed_state.0, streamed_state.0, "{doc}");
        }
        assert_eq!(refused.contains(doc), parsed.is_err(), "{doc}: {parsed:?}");
    }
}
