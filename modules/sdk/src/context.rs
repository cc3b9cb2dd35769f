use estuary_store::{StateRead, StateWrite};

use crate::address::Address;
use crate::component::BlockInfo;
use crate::event::Event;

/// What a message handler sees: the transaction's state overlay, who signed it, the block, and
/// where to put events.
pub struct TxContext<'a> {
    pub state: &'a mut dyn StateWrite,
    pub signers: &'a [Address],
    pub block: &'a BlockInfo,
    pub events: Vec<Event>,
}

impl<'a> TxContext<'a> {
    pub fn new(
        state: &'a mut dyn StateWrite,
        signers: &'a [Address],
        block: &'a BlockInfo,
    ) -> Self {
        TxContext {
            state,
            signers,
            block,
            events: Vec::new(),
        }
    }

    pub fn emit(&mut self, event: Event) {
        self.events.push(event);
    }

    pub fn is_signer(&self, address: &Address) -> bool {
        self.signers.contains(address)
    }

    pub fn state(&self) -> &dyn StateRead {
        &*self.state
    }
}
