//! Gas prices as users and operators write them (`0.025stake,1uatom`).

use anyhow::{bail, Context, Result};
use estuary_sdk::GasPrice;

/// Parses `0.025stake,1uatom` into prices in millionths.
pub fn parse_gas_prices(s: &str) -> Result<Vec<GasPrice>> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let split = part
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(part.len());
        let (num, denom) = part.split_at(split);
        if denom.is_empty() || num.is_empty() {
            bail!("gas price {part:?} must look like 0.025stake");
        }
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        if frac.len() > 6 {
            bail!("gas price {part:?} has more than 6 decimals");
        }
        let int: u128 = if int.is_empty() {
            0
        } else {
            int.parse().with_context(|| format!("gas price {part:?}"))?
        };
        let frac_val: u128 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<6}").parse()?
        };
        out.push(GasPrice {
            micro_amount: int
                .checked_mul(1_000_000)
                .and_then(|m| m.checked_add(frac_val))
                .with_context(|| format!("gas price {part:?} is too large"))?,
            denom: denom.to_string(),
        });
    }
    Ok(out)
}
