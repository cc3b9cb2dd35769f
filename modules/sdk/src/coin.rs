use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::TxError;

/// Token amounts. u128 with checked arithmetic everywhere.
pub type Amount = u128;

/// A denomination, validated as the Cosmos SDK does: `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Denom(String);

impl Denom {
    pub fn new(s: impl Into<String>) -> Result<Denom, TxError> {
        let s = s.into();
        let mut chars = s.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "/:._-".contains(c));
        if !first_ok || !rest_ok || !(3..=128).contains(&s.len()) {
            return Err(TxError::InvalidCoins(format!("invalid denom: {s:?}")));
        }
        Ok(Denom(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Denom {
    type Error = TxError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Denom::new(s)
    }
}

impl From<Denom> for String {
    fn from(d: Denom) -> String {
        d.0
    }
}

impl fmt::Display for Denom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Denom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// An amount of one denomination. Serialised as `{"denom": "...", "amount": "123"}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coin {
    pub denom: Denom,
    #[serde(with = "amount_string")]
    pub amount: Amount,
}

impl Coin {
    pub fn new(amount: Amount, denom: &str) -> Result<Coin, TxError> {
        Ok(Coin {
            denom: Denom::new(denom)?,
            amount,
        })
    }

    /// Converts the protobuf coin of a message, rejecting what does not fit.
    pub fn from_proto(c: &cosmrs::proto::cosmos::base::v1beta1::Coin) -> Result<Coin, TxError> {
        let amount = parse_amount(&c.amount)?;
        Ok(Coin {
            denom: Denom::new(c.denom.clone())?,
            amount,
        })
    }

    pub fn to_proto(&self) -> cosmrs::proto::cosmos::base::v1beta1::Coin {
        cosmrs::proto::cosmos::base::v1beta1::Coin {
            denom: self.denom.0.clone(),
            amount: self.amount.to_string(),
        }
    }
}

impl fmt::Display for Coin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

impl fmt::Debug for Coin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// Parses a non-negative decimal amount; rejects signs, blanks and values past u128.
pub fn parse_amount(s: &str) -> Result<Amount, TxError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TxError::InvalidCoins(format!(
            "invalid amount {s:?}: must be a non-negative integer"
        )));
    }
    s.parse::<u128>()
        .map_err(|_| TxError::InvalidCoins(format!("amount {s} overflows 128 bits")))
}

/// Parses `"10stake,5uatom"` (the CLI's coin syntax).
pub fn parse_coins(s: &str) -> Result<Vec<Coin>, TxError> {
    let mut coins = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let split = part
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(part.len());
        let (amount, denom) = part.split_at(split);
        coins.push(Coin {
            amount: parse_amount(amount)?,
            denom: Denom::new(denom)?,
        });
    }
    Ok(coins)
}

mod amount_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_amount(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects_amounts() {
        assert_eq!(parse_amount("0").unwrap(), 0);
        assert_eq!(parse_amount(&u128::MAX.to_string()).unwrap(), u128::MAX);
        for bad in [
            "",
            "-1",
            "+1",
            "1.5",
            "340282366920938463463374607431768211456",
            " 1",
        ] {
            assert!(parse_amount(bad).is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn parses_coin_lists() {
        let c = parse_coins(
            "10stake, 5ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2",
        )
        .unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].to_string(), "10stake");
        assert!(parse_coins("10").is_err());
        assert!(
            parse_coins("10s").is_err(),
            "denoms are at least 3 characters"
        );
        assert!(parse_coins("1x$y").is_err());
    }
}

/// A minimum gas price a node asks of transactions entering its mempool.
#[derive(Clone, Debug, PartialEq)]
pub struct GasPrice {
    /// Price per unit of gas, in millionths of `denom` (so `0.025stake` is 25_000).
    pub micro_amount: u128,
    pub denom: String,
}
