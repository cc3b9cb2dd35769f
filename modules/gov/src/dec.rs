//! Decimals as gov writes them (the SDK's `LegacyDec`: 18 places, e.g. "0.334000000000000000"),
//! held as an integer count of 10^-18, and the exact comparisons the tally makes with them.

use estuary_sdk::{TxError, TxResult};

/// 10^18: one, in [`Dec`] units.
pub const ONE: u128 = 1_000_000_000_000_000_000;

/// A non-negative decimal with 18 places.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dec(pub u128);

impl Dec {
    pub const ONE: Dec = Dec(ONE);

    /// "1", "0.5", "0.334000000000000000": digits, an optional point and at most 18 places.
    pub fn parse(s: &str) -> TxResult<Dec> {
        let bad = || TxError::InvalidRequest(format!("{s:?} is not a decimal"));
        let (int, frac) = match s.split_once('.') {
            Some((_, "")) => return Err(bad()),
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        if int.is_empty() || frac.len() > 18 {
            return Err(bad());
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let int: u128 = int.parse().map_err(|_| bad())?;
        let mut frac_units: u128 = 0;
        for b in frac.bytes().chain(std::iter::repeat(b'0')).take(18) {
            frac_units = frac_units
                .checked_mul(10)
                .and_then(|f| f.checked_add(u128::from(b.wrapping_sub(b'0'))))
                .ok_or_else(bad)?;
        }
        int.checked_mul(ONE)
            .and_then(|i| i.checked_add(frac_units))
            .map(Dec)
            .ok_or_else(bad)
    }

    /// The SDK's form: always 18 places.
    pub fn to_sdk_string(self) -> String {
        format!("{}.{:018}", self.0 / ONE, self.0 % ONE)
    }
}

impl std::fmt::Display for Dec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_sdk_string())
    }
}

/// `floor(amount × d)`, exactly and without overflow (amount = q·10^18 + r, so the product is
/// q·d + r·d / 10^18, and r·d < 10^36 fits).
pub fn mul_floor(amount: u128, d: Dec) -> u128 {
    let (q, r) = (amount / ONE, amount % ONE);
    q.saturating_mul(d.0)
        .saturating_add(r.saturating_mul(d.0) / ONE)
}

/// `a * b` as a 256-bit number (high, low): the tally compares products of two 10^18-scaled
/// quantities, which do not fit in 128 bits.
fn wide_mul(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & MASK);
    let (b1, b0) = (b >> 64, b & MASK);
    // Each partial product of two 64-bit halves fits in 128 bits, and the sums below are bounded
    // by the full product, which fits in 256: no step can overflow.
    let p00 = a0.wrapping_mul(b0);
    let p01 = a0.wrapping_mul(b1);
    let p10 = a1.wrapping_mul(b0);
    let p11 = a1.wrapping_mul(b1);
    let mid = (p00 >> 64)
        .wrapping_add(p01 & MASK)
        .wrapping_add(p10 & MASK);
    let lo = (p00 & MASK) | (mid << 64);
    let hi = p11
        .wrapping_add(p01 >> 64)
        .wrapping_add(p10 >> 64)
        .wrapping_add(mid >> 64);
    (hi, lo)
}

/// Whether `a * b > c * d`, exactly.
pub fn product_gt(a: u128, b: u128, c: u128, d: u128) -> bool {
    wide_mul(a, b) > wide_mul(c, d)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_sdk_forms() {
        assert_eq!(Dec::parse("1").unwrap(), Dec::ONE);
        assert_eq!(Dec::parse("0.5").unwrap(), Dec(ONE / 2));
        assert_eq!(
            Dec::parse("0.334000000000000000").unwrap().to_sdk_string(),
            "0.334000000000000000"
        );
        for bad in [
            "",
            ".5",
            "-1",
            "1.",
            "0.1234567890123456789",
            "1e3",
            " 1",
            "0x1",
        ] {
            assert!(Dec::parse(bad).is_err(), "{bad:?}");
        }
        assert!(
            Dec::parse("340282366920938463464").is_err(),
            "overflow refused"
        );
    }

    proptest! {
        #[test]
        fn wide_products_compare_as_exact_ones(a in any::<u64>(), b in any::<u64>(), c in any::<u64>(), d in any::<u64>()) {
            let (a, b, c, d) = (a as u128, b as u128, c as u128, d as u128);
            prop_assert_eq!(product_gt(a, b, c, d), a * b > c * d);
        }

        #[test]
        fn wide_products_of_large_numbers(a in any::<u128>(), b in any::<u128>()) {
            // (a * b) vs (b * a) is equal; (a * b) vs (a * (b - 1)) is greater when a > 0.
            prop_assert!(!product_gt(a, b, b, a));
            if a > 0 && b > 0 {
                prop_assert!(product_gt(a, b, a, b - 1));
            }
        }

        #[test]
        fn parse_never_panics(s in ".{0,40}") {
            let _ = Dec::parse(&s);
        }
    }
}
