//! A rate limit's arithmetic, as ibc-go's: the net flow of a window (outflow − inflow for a
//! send, inflow − outflow for a receive) plus the new amount may not exceed the quota's
//! percentage of the channel value (the denom's supply when the window started); a zero channel
//! value limits nothing.

use crate::transfer::TransferError;

use super::types::{Flow, Path, Quota, RateLimit};

/// ibc-go's rate-limit error codes (codespace `ratelimit`).
pub const ERR_ALREADY_EXISTS: u32 = 1;
pub const ERR_NOT_FOUND: u32 = 2;
pub const ERR_ZERO_CHANNEL_VALUE: u32 = 3;
pub const ERR_QUOTA_EXCEEDED: u32 = 4;
pub const ERR_CHANNEL_NOT_FOUND: u32 = 6;
pub const ERR_DENOM_BLACKLISTED: u32 = 7;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Send,
    Recv,
}

impl Direction {
    /// As ibc-go's events name it.
    pub fn action(self) -> &'static str {
        match self {
            Direction::Send => "packet_send",
            Direction::Recv => "packet_recv",
        }
    }
}

/// A rate limit, parsed: whole-number percentages and token amounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limit {
    pub denom: String,
    pub channel: String,
    pub max_percent_send: u128,
    pub max_percent_recv: u128,
    pub duration_hours: u64,
    pub inflow: u128,
    pub outflow: u128,
    pub channel_value: u128,
}

fn int(s: &str, what: &str) -> Result<u128, String> {
    match s {
        "" => Ok(0),
        s if s.bytes().all(|b| b.is_ascii_digit()) => s
            .parse()
            .map_err(|_| format!("{what} {s:?} is out of range")),
        s => Err(format!("{what} {s:?} is not a non-negative integer")),
    }
}

/// A whole-number percentage, 0 to 100 (ibc-go's check).
pub fn percent(s: &str, what: &str) -> Result<u128, String> {
    let p = int(s, what)?;
    if p > 100 {
        return Err(format!(
            "{what} percent must be between 0 and 100 (inclusively), Provided: {p}"
        ));
    }
    Ok(p)
}

impl Limit {
    pub fn from_proto(r: &RateLimit) -> Result<Limit, String> {
        let path = r.path.clone().unwrap_or_default();
        let quota = r.quota.clone().unwrap_or_default();
        let flow = r.flow.clone().unwrap_or_default();
        Ok(Limit {
            denom: path.denom,
            channel: path.channel_or_client_id,
            max_percent_send: percent(&quota.max_percent_send, "max-percent-send")?,
            max_percent_recv: percent(&quota.max_percent_recv, "max-percent-recv")?,
            duration_hours: quota.duration_hours,
            inflow: int(&flow.inflow, "inflow")?,
            outflow: int(&flow.outflow, "outflow")?,
            channel_value: int(&flow.channel_value, "channel value")?,
        })
    }

    pub fn to_proto(&self) -> RateLimit {
        RateLimit {
            path: Some(Path {
                denom: self.denom.clone(),
                channel_or_client_id: self.channel.clone(),
            }),
            quota: Some(Quota {
                max_percent_send: self.max_percent_send.to_string(),
                max_percent_recv: self.max_percent_recv.to_string(),
                duration_hours: self.duration_hours,
            }),
            flow: Some(Flow {
                inflow: self.inflow.to_string(),
                outflow: self.outflow.to_string(),
                channel_value: self.channel_value.to_string(),
            }),
        }
    }

    /// `channel_value × percent / 100`, rounded down, without overflow.
    fn threshold(&self, percent: u128) -> u128 {
        let (q, r) = (self.channel_value / 100, self.channel_value % 100);
        q.saturating_mul(percent)
            .saturating_add(r.saturating_mul(percent) / 100)
    }

    /// Counts `amount` in the window's flow, or refuses it when it takes the net flow past the
    /// quota (ibc-go's `AddOutflow` / `AddInflow`).
    pub fn update_flow(&mut self, direction: Direction, amount: u128) -> Result<(), TransferError> {
        let (this, other, percent, what) = match direction {
            Direction::Send => (self.outflow, self.inflow, self.max_percent_send, "Outflow"),
            Direction::Recv => (self.inflow, self.outflow, self.max_percent_recv, "Inflow"),
        };
        let updated = this
            .checked_add(amount)
            .ok_or_else(|| TransferError::RateLimited {
                code: ERR_QUOTA_EXCEEDED,
                log: format!("{what} overflows"),
            })?;
        // The net flow can be negative in ibc-go; below zero never exceeds a quota.
        let net = updated.saturating_sub(other);
        if self.channel_value > 0 && net > self.threshold(percent) {
            return Err(TransferError::RateLimited {
                code: ERR_QUOTA_EXCEEDED,
                log: format!(
                    "{what} exceeds quota - Net {what}: {net}, Channel Value: {}, Threshold: {percent}%: quota exceeded",
                    self.channel_value
                ),
            });
        }
        match direction {
            Direction::Send => self.outflow = updated,
            Direction::Recv => self.inflow = updated,
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn limit(send: u128, recv: u128, value: u128) -> Limit {
        Limit {
            denom: "stake".into(),
            channel: "channel-0".into(),
            max_percent_send: send,
            max_percent_recv: recv,
            duration_hours: 24,
            inflow: 0,
            outflow: 0,
            channel_value: value,
        }
    }

    #[test]
    fn sends_up_to_the_quota_pass_and_the_next_is_refused() {
        let mut l = limit(10, 10, 1_000);
        l.update_flow(Direction::Send, 60).unwrap();
        l.update_flow(Direction::Send, 40).unwrap();
        assert_eq!(l.outflow, 100, "exactly 10% is allowed");
        let err = l.update_flow(Direction::Send, 1).unwrap_err();
        assert!(matches!(err, TransferError::RateLimited { code: 4, .. }));
        assert_eq!(l.outflow, 100, "a refusal counts nothing");
    }

    #[test]
    fn flows_net_against_each_other() {
        let mut l = limit(10, 10, 1_000);
        l.update_flow(Direction::Recv, 50).unwrap();
        // Net outflow 150 − 50 = 100: allowed.
        l.update_flow(Direction::Send, 150).unwrap();
        assert!(l.update_flow(Direction::Send, 1).is_err());
        // Inflow can use what went out: net inflow 50+150−150 = 50.
        l.update_flow(Direction::Recv, 150).unwrap();
    }

    #[test]
    fn a_zero_channel_value_or_zero_percent() {
        let mut free = limit(10, 10, 0);
        free.update_flow(Direction::Send, u128::MAX).unwrap();
        let mut closed = limit(0, 10, 1_000);
        assert!(closed.update_flow(Direction::Send, 1).is_err());
        let mut huge = limit(100, 100, u128::MAX);
        huge.update_flow(Direction::Send, u128::MAX).unwrap();
        assert!(
            huge.update_flow(Direction::Send, 1).is_err(),
            "overflow refused"
        );
    }

    #[test]
    fn the_threshold_rounds_down_like_ibc_go() {
        // 999 × 10 / 100 = 99.9 → 99.
        let mut l = limit(10, 10, 999);
        l.update_flow(Direction::Send, 99).unwrap();
        assert!(l.update_flow(Direction::Send, 1).is_err());
    }

    #[test]
    fn round_trip_and_bad_values() {
        let l = limit(10, 20, 5);
        assert_eq!(Limit::from_proto(&l.to_proto()).unwrap(), l);
        assert!(percent("101", "x").is_err());
        assert!(percent("-1", "x").is_err());
        assert_eq!(percent("", "x").unwrap(), 0);
    }
}
