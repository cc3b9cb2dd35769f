//! The IBC application router (ICS-26): port `transfer` goes to the ICS-20 app.

use ibc_core::host::types::identifiers::PortId;
use ibc_core::router::module::Module;
use ibc_core::router::router::Router;
use ibc_core::router::types::module::ModuleId;

use crate::context::{HostInfo, SharedState};
use crate::ics20::PORT;
use crate::transfer::TransferModule;

pub struct IbcRouter<'a> {
    transfer: TransferModule<'a>,
}

impl<'a> IbcRouter<'a> {
    pub fn new(state: SharedState<'a>, host: HostInfo) -> Self {
        IbcRouter {
            transfer: TransferModule::new(state, host),
        }
    }
}

impl Router for IbcRouter<'_> {
    fn get_route(&self, module_id: &ModuleId) -> Option<&dyn Module> {
        (module_id.to_string() == PORT).then_some(&self.transfer as &dyn Module)
    }

    fn get_route_mut(&mut self, module_id: &ModuleId) -> Option<&mut dyn Module> {
        (module_id.to_string() == PORT).then_some(&mut self.transfer as &mut dyn Module)
    }

    fn lookup_module(&self, port_id: &PortId) -> Option<ModuleId> {
        (port_id.as_str() == PORT).then(|| ModuleId::new(PORT.to_string()))
    }
}
