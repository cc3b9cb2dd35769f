#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
use base64::Engine;
use estuary_sdk::store::MemState;
use estuary_sdk::{Address, Any, BlockInfo, Component, TxContext, TxError, TxResult};
use estuary_validators::*;
use prost::Message;

fn b64(k: [u8; 32]) -> String {
    base64::engine::general_purpose::STANDARD.encode(k)
}

fn genesis(admin: Address) -> ValidatorsGenesis {
    ValidatorsGenesis {
        admin: Some(admin),
        validators: vec![
            GenesisValidator {
                name: "a".into(),
                pub_key: b64([1; 32]),
                power: 10,
                operator: None,
            },
            GenesisValidator {
                name: "b".into(),
                pub_key: b64([2; 32]),
                power: 5,
                operator: None,
            },
        ],
    }
}

fn set_power(admin: &Address, key: [u8; 32], power: u64) -> Any {
    let m = MsgSetValidatorPower {
        authority: admin.to_bech32(),
        name: "c".into(),
        pub_key: key.to_vec(),
        power,
        operator: String::new(),
    };
    Any {
        type_url: MSG_SET_VALIDATOR_POWER.into(),
        value: m.encode_to_vec(),
    }
}

#[test]
fn admin_changes_reach_end_block_once() {
    let admin = Address([9; 20]);
    let mut s = MemState::default();
    Validators.init_genesis(&mut s, &genesis(admin)).unwrap();
    let block = BlockInfo::default();
    assert!(
        Validators
            .end_block(&mut s, &block)
            .unwrap()
            .validator_updates
            .is_empty(),
        "genesis set goes via InitChain"
    );

    let signers = [admin];
    let mut ctx = TxContext::new(&mut s, &signers, &block);
    deliver(&mut ctx, &set_power(&admin, [3; 32], 7)).unwrap();
    deliver(&mut ctx, &set_power(&admin, [2; 32], 0)).unwrap();
    let updates = Validators
        .end_block(&mut s, &block)
        .unwrap()
        .validator_updates;
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[1].power, 0);
    assert!(Validators
        .end_block(&mut s, &block)
        .unwrap()
        .validator_updates
        .is_empty());
    let set = s.validator_set().unwrap();
    assert_eq!(set.iter().map(|v| v.power).sum::<u64>(), 17);
}

#[test]
fn only_the_admin_and_never_an_empty_set() {
    let admin = Address([9; 20]);
    let mallory = Address([8; 20]);
    let mut s = MemState::default();
    Validators.init_genesis(&mut s, &genesis(admin)).unwrap();
    let block = BlockInfo::default();
    let signers = [mallory];
    let mut ctx = TxContext::new(&mut s, &signers, &block);
    let err = deliver(&mut ctx, &set_power(&mallory, [3; 32], 7)).unwrap_err();
    assert!(matches!(err, TxError::Unauthorized(_)));

    let signers = [admin];
    let mut ctx = TxContext::new(&mut s, &signers, &block);
    deliver(&mut ctx, &set_power(&admin, [1; 32], 0)).unwrap();
    let err = deliver(&mut ctx, &set_power(&admin, [2; 32], 0)).unwrap_err();
    assert!(matches!(err, TxError::InvalidRequest(_)), "{err}");
}

#[test]
fn removing_a_validator_comet_does_not_have_is_refused_before_it_reaches_comet() {
    let admin = Address([9; 20]);
    let mut s = MemState::default();
    Validators.init_genesis(&mut s, &genesis(admin)).unwrap();
    let block = BlockInfo::default();
    let signers = [admin];
    let mut ctx = TxContext::new(&mut s, &signers, &block);
    let err = deliver(&mut ctx, &set_power(&admin, [7; 32], 0)).unwrap_err();
    assert!(matches!(err, TxError::InvalidRequest(_)), "{err}");
    assert!(err.to_string().contains("no validator"), "{err}");
    assert!(
        Validators
            .end_block(&mut s, &block)
            .unwrap()
            .validator_updates
            .is_empty(),
        "nothing queued for CometBFT"
    );
}

/// Runs one message as the app does: decoded by the module, then executed.
fn deliver(ctx: &mut TxContext<'_>, msg: &Any) -> TxResult {
    let msg = Validators.decode_msg(msg)?;
    msg.validate_basic()?;
    msg.execute(ctx)
}
