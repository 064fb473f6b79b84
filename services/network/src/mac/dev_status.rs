//! DevStatusReq / DevStatusAns (LoRaWAN 1.0.4 §5.5): the device's battery level and the
//! SNR of the last request it received, asked at the configured interval.

use std::time::Duration;

use lorawan_codec::{DevStatusAnsPayload, MacCommand};
use tern_proto::internal::v1 as pb;

use super::IssueContext;
use super::state::is_pending;

/// CID of DevStatusReq and DevStatusAns.
const CID: u8 = 0x06;

/// Stores the device's answer in the session.
pub(super) fn store(session: &mut pb::DeviceSession, payload: DevStatusAnsPayload) {
    session.dev_status = Some(pb::DevStatus {
        battery: u32::from(payload.battery),
        margin_db: i32::from(payload.margin),
    });
}

/// Issues DevStatusReq when the interval since the last request has passed.
pub(super) fn dev_status_req(
    session: &pb::DeviceSession,
    context: &IssueContext<'_>,
) -> Vec<MacCommand> {
    let due = dev_status_due(
        context.desired.dev_status_interval,
        session.dev_status_requested_at_unix_ns,
        context.now_unix_ns,
    );
    if !due || is_pending(session, CID) {
        return Vec::new();
    }
    vec![MacCommand::DevStatusReq]
}

/// Tells whether the device is due to be asked for its status.
pub(super) fn dev_status_due(
    interval: Duration,
    requested_at_unix_ns: Option<i64>,
    now_unix_ns: i64,
) -> bool {
    let interval = i64::try_from(interval.as_nanos()).unwrap_or(i64::MAX);
    interval > 0
        && requested_at_unix_ns
            .is_none_or(|requested_at| now_unix_ns.saturating_sub(requested_at) >= interval)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_status_due_table() {
        let hour = Duration::from_secs(3600);
        let hour_ns = 3_600_000_000_000_i64;
        // (interval, last request, now, due)
        let cases = [
            (Duration::ZERO, None, 0, false),
            (hour, None, 0, true),
            (hour, Some(0), hour_ns - 1, false),
            (hour, Some(0), hour_ns, true),
            // A clock that went backwards does not ask again.
            (hour, Some(hour_ns), 0, false),
        ];
        for (interval, requested_at, now, due) in cases {
            assert_eq!(
                dev_status_due(interval, requested_at, now),
                due,
                "{interval:?} {requested_at:?} {now}"
            );
        }
    }
}
