//! An IBC upgrade of this chain, as ibc-go's 02-client does it: `MsgIBCSoftwareUpgrade` schedules
//! the upgrade plan together with the client state every counterparty's client of this chain
//! takes after it (a new chain id and revision, say), and the last block before the plan's
//! height writes the consensus state those clients start from. Both sit in the `upgrade`
//! substore at `upgradedIBCState/{plan height}/…`, proven from the old chain's last state, so a
//! relayer can submit `MsgUpgradeClient` and the channels go on without new clients.

use estuary_sdk::store::StateWrite;
use estuary_sdk::{Address, Any, BlockInfo, Event, Msg, Signers, TxContext, TxError, TxResult};
use estuary_upgrade::{Plan, UpgradeKeeper, UpgradeReader};
use ibc_client_tendermint::types::proto::v1::{
    ClientState as RawClientState, ConsensusState as RawConsensusState,
};
use ibc_client_tendermint::types::ClientState;
use ibc_core::host::types::identifiers::ChainId;
use ibc_proto::ibc::core::commitment::v1::MerkleRoot;
use prost::Message;

pub const MSG_IBC_SOFTWARE_UPGRADE: &str = "/ibc.core.client.v1.MsgIBCSoftwareUpgrade";
const TM_CLIENT_STATE: &str = "/ibc.lightclients.tendermint.v1.ClientState";
const TM_CONSENSUS_STATE: &str = "/ibc.lightclients.tendermint.v1.ConsensusState";

pub struct IbcSoftwareUpgrade {
    plan: Plan,
    /// The upgraded client state with its custom fields zeroed, as a proto `Any`'s bytes.
    upgraded_client: Vec<u8>,
    authority: Address,
    signers: Signers,
}

pub fn decode(msg: &Any) -> TxResult<Box<dyn Msg>> {
    let raw: ibc_proto::ibc::core::client::v1::MsgIbcSoftwareUpgrade =
        estuary_sdk::proto::decode_strict(&msg.value, "MsgIBCSoftwareUpgrade")?;
    let authority = Address::parse(&raw.signer)?;
    #[allow(deprecated)] // upgraded_client_state inside the plan: refused by plan_of
    let plan = raw
        .plan
        .map(|p| cosmrs::proto::cosmos::upgrade::v1beta1::Plan {
            name: p.name,
            time: p.time.map(|t| cosmrs::proto::Timestamp {
                seconds: t.seconds,
                nanos: t.nanos,
            }),
            height: p.height,
            info: p.info,
            upgraded_client_state: p.upgraded_client_state.map(|a| cosmrs::proto::Any {
                type_url: a.type_url,
                value: a.value,
            }),
        });
    let plan = estuary_upgrade::plan_of(plan)?;
    let any = raw
        .upgraded_client_state
        .ok_or_else(|| TxError::InvalidRequest("upgraded client state: missing".into()))?;
    Ok(Box::new(IbcSoftwareUpgrade {
        upgraded_client: zeroed_client_state(&any.type_url, &any.value)?,
        plan,
        authority,
        signers: Signers::one(authority),
    }))
}

/// ibc-go's check and `ZeroCustomFields`: a Tendermint client state whose latest height is in
/// its chain id's revision, with only what the chain decides (chain id, unbonding period,
/// latest height, proof specs, upgrade path) kept; what each counterparty chose for its own
/// client (trust level, trusting period, clock drift) is carried over by the upgrade there.
fn zeroed_client_state(type_url: &str, value: &[u8]) -> TxResult<Vec<u8>> {
    let bad = |why: String| TxError::InvalidRequest(format!("upgraded client state: {why}"));
    if type_url != TM_CLIENT_STATE {
        return Err(bad(format!(
            "a {TM_CLIENT_STATE} is needed, not {type_url:?}"
        )));
    }
    let raw = RawClientState::decode(value).map_err(|e| bad(e.to_string()))?;
    let mut cs = ClientState::try_from(raw).map_err(|e| bad(e.to_string()))?;
    let chain_id = ChainId::new(cs.chain_id.as_str()).map_err(|e| bad(e.to_string()))?;
    let latest = cs.latest_height;
    if latest.revision_number() != chain_id.revision_number() {
        return Err(bad(format!(
            "its latest height {latest} is not in revision {} of chain {chain_id}",
            chain_id.revision_number()
        )));
    }
    if cs.upgrade_path.is_empty() {
        return Err(bad("an upgrade path is needed".into()));
    }
    cs.zero_custom_fields();
    let raw: RawClientState = cs.into();
    Ok(ibc_proto::google::protobuf::Any {
        type_url: TM_CLIENT_STATE.into(),
        value: raw.encode_to_vec(),
    }
    .encode_to_vec())
}

impl Msg for IbcSoftwareUpgrade {
    fn signers(&self) -> &Signers {
        &self.signers
    }

    /// ibc-go's `ScheduleIBCSoftwareUpgrade`: the plan through the upgrade keeper (which drops
    /// any earlier plan's IBC states), then the upgraded client at the plan's height.
    fn execute(&self, ctx: &mut TxContext<'_>) -> TxResult {
        estuary_validators::ensure_authority(ctx, &self.authority, "schedule an IBC upgrade")?;
        estuary_upgrade::schedule(ctx, &self.plan)?;
        ctx.state
            .set_upgraded_client(self.plan.height, self.upgraded_client.clone())?;
        ctx.emit(
            Event::new("schedule_ibc_software_upgrade")
                .attr("title", &self.plan.name)
                .attr("upgrade_plan_height", self.plan.height),
        );
        Ok(())
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// In the last block before an IBC upgrade's height (ibc-go's 02-client BeginBlocker): the
/// consensus state the upgraded clients start from — this block's time and the hash of the
/// validators of the next block, the first the upgraded chain runs with. Its root stays
/// empty: the new chain's first header brings one.
pub fn begin_block(state: &mut dyn StateWrite, block: &BlockInfo) -> TxResult<Vec<Event>> {
    let Some(plan) = state.upgrade_plan()? else {
        return Ok(Vec::new());
    };
    if block.height.checked_add(1) != Some(plan.height)
        || state.upgraded_client(plan.height)?.is_none()
    {
        return Ok(Vec::new());
    }
    let seconds = i64::try_from(block.time_unix_nanos.div_euclid(1_000_000_000))
        .map_err(|_| TxError::Internal("block time out of range".into()))?;
    let nanos = i32::try_from(block.time_unix_nanos.rem_euclid(1_000_000_000))
        .map_err(|_| TxError::Internal("block time out of range".into()))?;
    let cons = RawConsensusState {
        timestamp: Some(ibc_proto::google::protobuf::Timestamp { seconds, nanos }),
        root: Some(MerkleRoot { hash: Vec::new() }),
        next_validators_hash: block.next_validators_hash.clone(),
    };
    let any = ibc_proto::google::protobuf::Any {
        type_url: TM_CONSENSUS_STATE.into(),
        value: cons.encode_to_vec(),
    };
    state.set_upgraded_consensus_state(plan.height, any.encode_to_vec())?;
    Ok(vec![Event::new("upgrade_chain")
        .attr("upgrade_plan_height", plan.height)
        .attr("upgrade_store", "upgrade")])
}
