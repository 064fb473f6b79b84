//! Property test: whatever a device sends, in whatever order, the engine neither panics nor
//! leaves a MAC state the band cannot hold.

use lorawan_codec::{Direction, decode_mac_commands};
use proptest::prelude::*;

use super::*;
use crate::mac::fit_payload;

/// One uplink of a generated sequence.
#[derive(Debug, Clone)]
struct Step {
    f_opts: Vec<u8>,
    dr: u8,
    adr: bool,
    adr_ack_req: bool,
    snr_db: f32,
    sent: bool,
    elapsed_s: u16,
}

fn step() -> impl Strategy<Value = Step> {
    (
        prop::collection::vec(any::<u8>(), 0..16),
        0..16u8,
        any::<bool>(),
        any::<bool>(),
        -30.0..20.0f32,
        any::<bool>(),
        any::<u16>(),
    )
        .prop_map(
            |(f_opts, dr, adr, adr_ack_req, snr_db, sent, elapsed_s)| Step {
                f_opts,
                dr,
                adr,
                adr_ack_req,
                snr_db,
                sent,
                elapsed_s,
            },
        )
}

/// Answers that match the network's requests, so that generated uplinks often acknowledge
/// or refuse what is in flight.
fn answer_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            (0..8u8).prop_map(|status| vec![0x03, status]),
            (0..8u8).prop_map(|status| vec![0x05, status]),
            (0..4u8).prop_map(|status| vec![0x07, status]),
            (0..4u8).prop_map(|status| vec![0x0a, status]),
            (0..2u8).prop_map(|status| vec![0x0f, status]),
            Just(vec![0x04]),
            Just(vec![0x08]),
            Just(vec![0x09]),
            Just(vec![0x0c]),
            Just(vec![0x06, 10, 5]),
            Just(vec![0x01, 1]),
            Just(vec![0x0b, 1]),
        ],
        0..5,
    )
    .prop_map(|parts| parts.concat())
}

/// Checks what the MAC state must always satisfy.
fn check_state(device: &Device) -> Result<(), TestCaseError> {
    let band = &device.band;
    let mac = device.mac();
    prop_assert!(
        band.data_rate(mac.data_rate as u8)
            .is_ok_and(|rate| rate.uplink)
    );
    prop_assert!(mac.data_rate < 16);
    prop_assert!(mac.tx_power_index <= u32::from(band.max_tx_power_index()));
    prop_assert!((1..=15).contains(&mac.nb_trans));
    prop_assert!(!mac.enabled_channels.is_empty());
    prop_assert!(
        mac.enabled_channels
            .windows(2)
            .all(|pair| pair[0] < pair[1])
    );
    let n_default = band.default_channels().len() as u32;
    for index in &mac.enabled_channels {
        if band.supports_new_channel_req() {
            prop_assert!(
                *index < n_default
                    || mac
                        .extra_channels
                        .iter()
                        .any(|channel| channel.index == *index),
                "channel {index} enabled but unknown"
            );
        } else {
            prop_assert!((*index as usize) < band.channels().len());
        }
    }
    prop_assert!(mac.extra_channels.iter().all(|channel| channel.index < 16));
    prop_assert!(mac.pending.len() <= 16);
    prop_assert!(mac.rejected.len() <= 16);
    prop_assert!(
        mac.pending
            .iter()
            .all(|pending| pending.attempts <= MAX_ATTEMPTS)
    );
    prop_assert!((1..=15).contains(&device.session.rx1_delay_s));
    Ok(())
}

proptest! {
    #[test]
    fn no_uplink_sequence_breaks_the_mac_state(
        band in prop_oneof![Just("eu868"), Just("us915_1"), Just("as923")],
        mac_version in prop_oneof![
            Just(pb::MacVersion::MacVersion102),
            Just(pb::MacVersion::MacVersion104),
            Just(pb::MacVersion::MacVersion11),
        ],
        adr in any::<bool>(),
        rx1_delay_s in 1..16u8,
        rx2_dr in 0..8u8,
        max_duty_cycle in 0..16u8,
        steps in prop::collection::vec((step(), answer_bytes()), 1..24),
    ) {
        let mut device = Device::new(band, mac_version);
        device.session.adr = adr;
        let mut desired =
            DesiredSettings::from_session(&device.band, &device.session, Duration::from_secs(600));
        desired.rx.rx1_delay_s = rx1_delay_s;
        desired.rx.rx2_dr = rx2_dr;
        desired.max_duty_cycle = max_duty_cycle;
        if device.band.supports_new_channel_req() {
            desired.extra_channels = vec![DesiredChannel {
                index: 3,
                channel: Channel::new(device.band.channels()[0].frequency_hz + 200_000, 0, 5),
                dl_frequency_hz: Some(device.band.channels()[1].frequency_hz),
            }];
        }
        device.desired = desired;
        for (f_cnt, (step, answers)) in (1..).zip(steps) {
            let bytes = if step.sent { answers } else { step.f_opts };
            let commands = decode_mac_commands(&bytes, Direction::Uplink).commands;
            device.session.adr_history.push(pb::AdrHistoryEntry {
                f_cnt,
                max_snr_db: step.snr_db,
                gateway_count: 1,
                dr: u32::from(step.dr),
            });
            device.now_unix_ns += i64::from(step.elapsed_s) * 1_000_000_000;
            let rx_metadata = [rx(step.snr_db, None)];
            let facts = UplinkFacts {
                dr: Some(step.dr),
                adr: step.adr,
                adr_ack_req: step.adr_ack_req,
                ..facts(&rx_metadata)
            };
            let outcome = device.uplink_with(&commands, facts);
            for command in &outcome.commands {
                prop_assert!(command.encode().is_ok(), "{command:?}");
            }
            prop_assert!(outcome.needs_downlink || outcome.commands.is_empty());
            check_state(&device)?;
            if step.sent {
                let sent = fit_payload(&outcome.commands, 15);
                device.send(&sent);
                check_state(&device)?;
            }
        }
    }
}
