//! The IBC application router (ICS-26). ICS-20 transfer plugs in here; until it does, channel
//! handshakes for any port are refused as "unknown port".

use ibc_core::host::types::identifiers::PortId;
use ibc_core::router::module::Module;
use ibc_core::router::router::Router;
use ibc_core::router::types::module::ModuleId;

use crate::context::SharedState;

pub struct IbcRouter<'a> {
    _state: SharedState<'a>,
}

impl<'a> IbcRouter<'a> {
    pub fn new(state: SharedState<'a>) -> Self {
        IbcRouter { _state: state }
    }
}

impl Router for IbcRouter<'_> {
    fn get_route(&self, _module_id: &ModuleId) -> Option<&dyn Module> {
        None
    }

    fn get_route_mut(&mut self, _module_id: &ModuleId) -> Option<&mut dyn Module> {
        None
    }

    fn lookup_module(&self, _port_id: &PortId) -> Option<ModuleId> {
        None
    }
}
