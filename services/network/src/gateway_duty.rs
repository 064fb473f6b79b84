//! Downlink duty cycle per gateway, where the band has regulatory sub-bands (EU868: 1% on
//! 868.0–868.6 MHz, 10% on 869.4–869.65 MHz, RP002-1.0.4 and ETSI EN 300 220).
//!
//! Before a frame goes to a gateway, each transmission item is charged its time on air in
//! the sub-band of its frequency, in an hourly budget kept in Redis across replicas; an item
//! whose sub-band has no time left is dropped from the frame (RX1 may go while RX2 stays, or
//! the other way round). Both items of a class A frame are charged, although the gateway
//! sends at most one: the budget errs on the side of the regulation. Hours are fixed
//! windows since the Unix epoch, a coarser rule than a sliding hour.
//!
//! Each replica also remembers the least time it has seen left in each budget this hour. Time
//! is only ever taken from a budget, so an item longer than that is refused without asking
//! Redis: a gateway at its limit costs no round trip per uplink.

use std::time::Duration;

use fred::types::Value;
use fred::types::scripts::Script;
use lorawan_codec::Eui64;
use lorawan_region::{Band, time_on_air};
use tern_proto::internal::v1 as pb;

use crate::context::{Context, now_unix_ns};
use crate::radio::region_modulation;
use crate::{Error, Result};

/// Adds `ARGV[1]` ms to `KEYS[1]` unless it would pass the budget `ARGV[2]` ms; the key
/// lives `ARGV[3]` ms. Returns the ms left after charging (0 or more), or, when the budget
/// has too little left, minus one minus what is left.
const CHARGE: &str = r"
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local left = tonumber(ARGV[2]) - used
if tonumber(ARGV[1]) > left then
  return -1 - math.max(left, 0)
end
redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return left - tonumber(ARGV[1])
";

const HOUR: Duration = Duration::from_secs(3600);

/// The least time seen left, in ms, per gateway and sub-band, in the hour of `.0`.
type KnownLeft = (u64, std::collections::HashMap<(Eui64, usize), i64>);

/// The hourly duty-cycle budgets of gateways.
pub(crate) struct GatewayDuty {
    charge: Script,
    left: std::sync::Mutex<KnownLeft>,
}

impl std::fmt::Debug for GatewayDuty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayDuty").finish_non_exhaustive()
    }
}

impl GatewayDuty {
    /// Creates the accounting.
    pub(crate) fn new() -> GatewayDuty {
        GatewayDuty {
            charge: Script::from_lua(CHARGE),
            left: std::sync::Mutex::default(),
        }
    }

    /// Tells whether `airtime_ms` is known not to fit the budget `key` in `hour`.
    fn known_spent(&self, hour: u64, key: (Eui64, usize), airtime_ms: i64) -> bool {
        let mut left = self
            .left
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if left.0 != hour {
            *left = (hour, std::collections::HashMap::new());
        }
        left.1.get(&key).is_some_and(|left| airtime_ms > *left)
    }

    /// Records that Redis had `left_ms` left in budget `key` in `hour`.
    fn saw_left(&self, hour: u64, key: (Eui64, usize), left_ms: i64) {
        let mut left = self
            .left
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if left.0 != hour {
            return;
        }
        let known = left.1.entry(key).or_insert(left_ms);
        *known = (*known).min(left_ms);
    }
}

/// Drops the items of `frame` the gateway may not transmit under its duty cycle, charging
/// the others; returns how many items were dropped.
pub(crate) async fn admit<R>(
    context: &Context<R>,
    band: &Band,
    frame: &mut pb::DownlinkFrame,
) -> Result<usize> {
    let sub_bands = band.duty_cycle_sub_bands();
    if sub_bands.iter().all(|sub_band| sub_band.duty_cycle >= 1.0) {
        return Ok(0);
    }
    let hour = u64::try_from(now_unix_ns()).unwrap_or(0) / 3_600_000_000_000;
    let gateway = Eui64::from_u64(frame.gateway_eui);
    let mut kept = Vec::with_capacity(frame.items.len());
    let mut dropped = 0;
    for item in std::mem::take(&mut frame.items) {
        let limited = sub_bands
            .iter()
            .enumerate()
            .find(|(_, sub_band)| sub_band.contains(item.frequency_hz))
            .filter(|(_, sub_band)| sub_band.duty_cycle < 1.0);
        let airtime = item
            .modulation
            .as_ref()
            .and_then(region_modulation)
            .and_then(|modulation| time_on_air(modulation, item.phy_payload.len(), false));
        let (Some((index, sub_band)), Some(airtime)) = (limited, airtime) else {
            kept.push(item);
            continue;
        };
        let budget_ms = (HOUR.as_secs_f64() * 1000.0 * f64::from(sub_band.duty_cycle)) as i64;
        let airtime_ms = i64::try_from(airtime.as_millis())
            .unwrap_or(i64::MAX)
            .max(1);
        if context.duty.known_spent(hour, (gateway, index), airtime_ms) {
            dropped += 1;
            continue;
        }
        let charged: i64 = context
            .duty
            .charge
            .evalsha_with_reload(
                context.redis.next(),
                vec![context.keys.gateway_duty(gateway, index, hour)],
                vec![
                    Value::from(airtime_ms),
                    Value::from(budget_ms),
                    Value::from(i64::try_from(2 * HOUR.as_millis()).unwrap_or(i64::MAX)),
                ],
            )
            .await
            .map_err(Error::redis("charge gateway duty cycle"))?;
        if charged >= 0 {
            context.duty.saw_left(hour, (gateway, index), charged);
            kept.push(item);
        } else {
            context.duty.saw_left(hour, (gateway, index), -1 - charged);
            dropped += 1;
        }
    }
    frame.items = kept;
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_seen_spent_refuses_longer_items_until_the_hour_turns() {
        let duty = GatewayDuty::new();
        let key = (Eui64::from_u64(1), 0);
        assert!(!duty.known_spent(10, key, 50));
        duty.saw_left(10, key, 40);
        assert!(duty.known_spent(10, key, 50));
        assert!(
            !duty.known_spent(10, key, 40),
            "an item that still fits asks Redis"
        );
        // Another replica's answer can only show less left.
        duty.saw_left(10, key, 60);
        assert!(duty.known_spent(10, key, 50));
        duty.saw_left(10, key, 5);
        assert!(duty.known_spent(10, key, 6));
        assert!(!duty.known_spent(10, (Eui64::from_u64(2), 0), 50));
        assert!(
            !duty.known_spent(11, key, 50),
            "a new hour has a new budget"
        );
        duty.saw_left(10, key, 0);
        assert!(
            !duty.known_spent(11, key, 50),
            "late answers of the old hour are ignored"
        );
    }
}
