use crate::error::{Error, Result};

/// Gas prices of store access, the Cosmos SDK's KV store defaults, so gas figures are comparable.
#[derive(Clone, Copy, Debug)]
pub struct GasConfig {
    pub read_flat: u64,
    pub read_per_byte: u64,
    pub write_flat: u64,
    pub write_per_byte: u64,
    pub delete: u64,
    pub iter_next_flat: u64,
}

impl Default for GasConfig {
    fn default() -> Self {
        GasConfig {
            read_flat: 1000,
            read_per_byte: 3,
            write_flat: 2000,
            write_per_byte: 30,
            delete: 1000,
            iter_next_flat: 30,
        }
    }
}

/// Counts gas for one transaction and fails once the limit is passed.
#[derive(Clone, Debug)]
pub struct GasMeter {
    limit: u64,
    used: u64,
    pub config: GasConfig,
}

// The charge_* methods are called by the overlay, which exists with the `db` feature only.
#[cfg_attr(not(feature = "db"), allow(dead_code))]
impl GasMeter {
    pub fn new(limit: u64) -> Self {
        GasMeter {
            limit,
            used: 0,
            config: GasConfig::default(),
        }
    }

    /// A meter that never runs out, for genesis and block hooks.
    pub fn infinite() -> Self {
        Self::new(u64::MAX)
    }

    pub fn consume(&mut self, amount: u64) -> Result<()> {
        let wanted = self.used.saturating_add(amount);
        if wanted > self.limit {
            // Record the overrun so the result reports what was attempted, as the SDK does.
            self.used = self.limit;
            return Err(Error::OutOfGas {
                limit: self.limit,
                wanted,
            });
        }
        self.used = wanted;
        Ok(())
    }

    pub fn used(&self) -> u64 {
        self.used
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    pub(crate) fn charge_read(&mut self, value_len: usize) -> Result<()> {
        let c = self.config;
        self.consume(
            c.read_flat
                .saturating_add(c.read_per_byte.saturating_mul(value_len as u64)),
        )
    }

    pub(crate) fn charge_write(&mut self, key_len: usize, value_len: usize) -> Result<()> {
        let c = self.config;
        let bytes = (key_len as u64).saturating_add(value_len as u64);
        self.consume(
            c.write_flat
                .saturating_add(c.write_per_byte.saturating_mul(bytes)),
        )
    }

    pub(crate) fn charge_delete(&mut self) -> Result<()> {
        self.consume(self.config.delete)
    }

    pub(crate) fn charge_iter(&mut self, items: usize, bytes: usize) -> Result<()> {
        let c = self.config;
        let cost = c
            .iter_next_flat
            .saturating_mul(items as u64)
            .saturating_add(c.read_per_byte.saturating_mul(bytes as u64));
        self.consume(cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_gas_past_limit() {
        let mut m = GasMeter::new(2500);
        m.charge_read(10).unwrap();
        assert_eq!(m.used(), 1030);
        assert!(matches!(
            m.charge_write(1, 1),
            Err(Error::OutOfGas { limit: 2500, .. })
        ));
        assert_eq!(m.used(), 2500);
    }
}
