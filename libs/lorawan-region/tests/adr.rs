//! ADR engine behaviour on recorded uplink histories, and its invariants under proptest.
//!
//! The histories are synthetic recordings of an EU863-870 device (DR0..DR5 = SF12..SF7 at
//! 125 kHz, TX power indexes 0..7 in 2 dB steps, RP002-1.0.4 EU863-870 tables); each case
//! states the margin arithmetic it expects.

use lorawan_region::adr::{
    AdrAlgorithm, AdrDecision, AdrDownlink, AdrLimits, AdrParams, AdrReason, DeviceAdrState,
    LinkAssessment, PacketErrorRate, UplinkRecord, adr_downlink, decide,
};
use proptest::prelude::*;

fn eu868_limits() -> AdrLimits {
    AdrLimits::from_spreading_factors(0, 5, 7, &[12, 11, 10, 9, 8, 7]).unwrap()
}

fn device(data_rate: u8, tx_power_index: u8, nb_trans: u8) -> DeviceAdrState {
    DeviceAdrState {
        data_rate,
        tx_power_index,
        nb_trans,
    }
}

/// Records one uplink per SNR value, sent with `device`'s settings, with consecutive frame
/// counters from `first_f_cnt` except the counters listed in `lost`.
fn recording(
    device: &DeviceAdrState,
    first_f_cnt: u32,
    snrs: &[f32],
    lost: &[u32],
) -> Vec<UplinkRecord> {
    (first_f_cnt..)
        .filter(|f_cnt| !lost.contains(f_cnt))
        .zip(snrs)
        .map(|(f_cnt, &max_snr_db)| UplinkRecord {
            f_cnt,
            max_snr_db,
            max_rssi_dbm: -100.0 + max_snr_db,
            gateway_count: 1 + (f_cnt % 3) as u16,
            data_rate: device.data_rate,
            tx_power_index: device.tx_power_index,
            nb_trans: device.nb_trans,
        })
        .collect()
}

/// Twenty SNR readings jittering between `best - 4.5` and `best` dB.
fn readings(best: f32) -> Vec<f32> {
    const JITTER: [f32; 20] = [
        -1.0, -2.5, 0.0, -3.0, -1.5, -4.5, -2.0, -0.5, -3.5, -1.0, -2.0, -4.0, -0.5, -1.5, -3.0,
        -2.5, -1.0, -4.5, -2.0, -0.5,
    ];
    JITTER.iter().map(|jitter| best + jitter).collect()
}

fn assessment(decision: &AdrDecision) -> LinkAssessment {
    match decision.reason {
        AdrReason::LinkMargin(assessment) | AdrReason::LossyLink(assessment) => assessment,
        other => panic!("no link assessment in {other:?}"),
    }
}

#[test]
fn good_link_steps_data_rate_up_then_lowers_power_until_margin_is_spent() {
    // The device's best SNR is +10 dB at TX power index 0 and drops 2 dB per index. Each
    // round records 20 uplinks at the current settings and applies the decision.
    // Round 1 at DR0 (−20 dB needed): 10 + 20 − 10 = 20 dB, 6 steps: DR5 and index 1.
    // Round 2 at DR5 (−7.5 dB), index 1: 8 + 7.5 − 10 = 5.5 dB, 1 step: index 2.
    // Round 3, index 2: 6 + 7.5 − 10 = 3.5 dB, 1 step: index 3.
    // Round 4, index 3: 4 + 7.5 − 10 = 1.5 dB, no step: settled.
    let limits = eu868_limits();
    let params = AdrParams::default();
    let mut current = device(0, 0, 1);
    let mut f_cnt = 0;
    let mut settings = Vec::new();
    for _ in 0..4 {
        let best = 10.0 - 2.0 * f32::from(current.tx_power_index);
        let history = recording(&current, f_cnt, &readings(best), &[]);
        f_cnt += 20;
        let decision = decide(&history, &current, &limits, &params).unwrap();
        settings.push((
            decision.data_rate,
            decision.tx_power_index,
            decision.changed,
        ));
        current = device(
            decision.data_rate,
            decision.tx_power_index,
            decision.nb_trans,
        );
    }
    assert_eq!(
        settings,
        [(5, 1, true), (5, 2, true), (5, 3, true), (5, 3, false)]
    );
}

#[test]
fn good_link_reports_its_margin() {
    // DR2 (SF10, −15 dB needed), best SNR −1 dB: −1 + 15 − 10 = 4 dB, one step to DR3.
    let current = device(2, 0, 1);
    let history = recording(&current, 100, &readings(-1.0), &[]);
    let decision = decide(&history, &current, &eu868_limits(), &AdrParams::default()).unwrap();
    assert_eq!(
        decision,
        AdrDecision {
            data_rate: 3,
            tx_power_index: 0,
            nb_trans: 1,
            changed: true,
            reason: AdrReason::LinkMargin(LinkAssessment {
                max_snr_db: -1.0,
                margin_db: 4.0,
                steps: 1,
                packet_error_rate: PacketErrorRate {
                    lost: 0,
                    expected: 20
                },
            }),
        }
    );
}

#[test]
fn degrading_link_raises_power_but_never_lowers_data_rate() {
    // DR5 (−7.5 dB needed) with best SNR −8 dB: −8 + 7.5 − 10 = −10.5 dB, −3 steps.
    let table = [
        ("three indexes of headroom", 5, (5, 2)),
        ("two indexes of headroom", 2, (5, 0)),
        ("already at max power", 0, (5, 0)),
    ];
    for (name, tx_power_index, expected) in table {
        let current = device(5, tx_power_index, 1);
        let history = recording(&current, 0, &readings(-8.0), &[]);
        let decision = decide(&history, &current, &eu868_limits(), &AdrParams::default()).unwrap();
        assert_eq!(
            (decision.data_rate, decision.tx_power_index),
            expected,
            "{name}"
        );
        assert_eq!(assessment(&decision).steps, -3, "{name}");
        assert_eq!(decision.changed, tx_power_index != 0, "{name}");
    }
}

#[test]
fn short_history_changes_nothing_and_says_so() {
    let current = device(0, 0, 1);
    let mut nineteen = recording(&current, 0, &readings(10.0), &[]);
    nineteen.pop();

    // Twenty uplinks, but the seven oldest were sent at DR1 before the device moved to DR0.
    let mut mixed = recording(&device(1, 0, 1), 0, &readings(10.0)[..7], &[]);
    mixed.extend(recording(&current, 7, &readings(10.0)[..13], &[]));

    let table = [
        ("19 uplinks", &nineteen, 19),
        ("settings changed", &mixed, 13),
    ];
    for (name, history, usable) in table {
        let decision = decide(history, &current, &eu868_limits(), &AdrParams::default()).unwrap();
        assert_eq!(
            decision,
            AdrDecision {
                data_rate: 0,
                tx_power_index: 0,
                nb_trans: 1,
                changed: false,
                reason: AdrReason::NotEnoughHistory {
                    usable,
                    required: 20
                },
            },
            "{name}"
        );
    }
}

#[test]
fn device_below_adr_range_is_raised_to_the_minimum_even_with_short_history() {
    // ADR limited to DR2..DR5; the device backed off to DR0 and has sent 3 uplinks since.
    let current = device(0, 2, 2);
    let mut limits = eu868_limits();
    limits.min_data_rate = 2;
    let history = recording(&current, 0, &readings(0.0)[..3], &[]);
    let decision = decide(&history, &current, &limits, &AdrParams::default()).unwrap();
    assert_eq!(
        decision,
        AdrDecision {
            data_rate: 2,
            tx_power_index: 2,
            nb_trans: 2,
            changed: true,
            reason: AdrReason::RaisedToMinDataRate {
                usable: 3,
                required: 20
            },
        }
    );
}

#[test]
fn at_max_data_rate_and_min_power_a_strong_link_changes_nothing() {
    // DR5, index 7: 20 + 7.5 − 10 = 17.5 dB is 5 steps with nowhere to go.
    let current = device(5, 7, 1);
    let history = recording(&current, 0, &readings(20.0), &[]);
    let decision = decide(&history, &current, &eu868_limits(), &AdrParams::default()).unwrap();
    assert_eq!(
        (
            decision.data_rate,
            decision.tx_power_index,
            decision.nb_trans
        ),
        (5, 7, 1)
    );
    assert!(!decision.changed);
    assert_eq!(assessment(&decision).steps, 5);
}

#[test]
fn data_rate_above_adr_range_is_left_alone() {
    // DR6 (SF7 at 250 kHz in EU863-870) is outside a DR0..DR5 ADR range.
    let current = device(6, 0, 1);
    let history = recording(&current, 0, &readings(10.0), &[]);
    let decision = decide(&history, &current, &eu868_limits(), &AdrParams::default()).unwrap();
    assert_eq!(
        decision.reason,
        AdrReason::DataRateAboveRange {
            data_rate: 6,
            max_data_rate: 5
        }
    );
    assert_eq!((decision.data_rate, decision.changed), (6, false));
}

#[test]
fn packet_error_rate_drives_nb_trans() {
    // DR3 (−12.5 dB needed), best SNR −2.5 dB: exactly 0 dB of margin, so only NbTrans moves.
    // Lost frames are counted against the frames sent: 1/21 ≈ 4.8 %, 2/22 ≈ 9.1 %,
    // 3/23 ≈ 13 %, 9/29 ≈ 31 %.
    let table = [
        ("clean link, single", 1, &[][..], 1),
        ("clean link, repeated twice", 2, &[][..], 1),
        ("clean link, repeated thrice", 3, &[][..], 2),
        ("4.8 % loss still counts as clean", 2, &[5][..], 1),
        ("9.1 % loss keeps single", 1, &[5, 9][..], 1),
        ("9.1 % loss keeps twice", 2, &[5, 9][..], 2),
        ("9.1 % loss keeps thrice", 3, &[5, 9][..], 3),
        ("13 % loss repeats more", 1, &[3, 7, 11][..], 2),
        ("13 % loss repeats more from two", 2, &[3, 7, 11][..], 3),
        (
            "31 % loss repeats most",
            1,
            &[1, 3, 5, 7, 9, 11, 13, 15, 17][..],
            3,
        ),
    ];
    for (name, nb_trans, lost, expected) in table {
        let current = device(3, 0, nb_trans);
        let history = recording(&current, 0, &readings(-2.5), lost);
        let decision = decide(&history, &current, &eu868_limits(), &AdrParams::default()).unwrap();
        assert_eq!(decision.nb_trans, expected, "{name}");
        assert_eq!(decision.changed, expected != nb_trans, "{name}");
        assert_eq!(
            (decision.data_rate, decision.tx_power_index),
            (3, 0),
            "{name}"
        );
    }
}

#[test]
fn loss_aware_holds_back_on_a_lossy_link() {
    // DR0, best SNR +10 dB: 20 dB of margin, yet 2 of 22 frames (9.1 %) were lost.
    let current = device(0, 0, 1);
    let history = recording(&current, 0, &readings(10.0), &[4, 12]);
    let limits = eu868_limits();

    let default = decide(&history, &current, &limits, &AdrParams::default()).unwrap();
    assert_eq!(
        (default.data_rate, default.tx_power_index, default.nb_trans),
        (5, 1, 1)
    );

    let loss_aware = AdrParams {
        algorithm: AdrAlgorithm::LossAware,
        ..AdrParams::default()
    };
    let held = decide(&history, &current, &limits, &loss_aware).unwrap();
    assert_eq!(
        (held.data_rate, held.tx_power_index, held.nb_trans),
        (0, 0, 2)
    );
    assert!(held.changed);
    assert!(matches!(held.reason, AdrReason::LossyLink(a) if a.steps == 6));

    // Below the threshold the loss-aware variant decides as the default one.
    let clean = recording(&current, 0, &readings(10.0), &[]);
    assert_eq!(
        decide(&clean, &current, &limits, &loss_aware).unwrap(),
        decide(&clean, &current, &limits, &AdrParams::default()).unwrap()
    );
}

#[test]
fn loss_aware_still_raises_power_on_a_weak_lossy_link() {
    // DR5, index 4, best SNR −8 dB: −10.5 dB of margin (−3 steps), 3 of 23 frames lost.
    let current = device(5, 4, 3);
    let history = recording(&current, 0, &readings(-8.0), &[2, 8, 14]);
    let params = AdrParams {
        algorithm: AdrAlgorithm::LossAware,
        ..AdrParams::default()
    };
    let decision = decide(&history, &current, &eu868_limits(), &params).unwrap();
    assert_eq!(
        (
            decision.data_rate,
            decision.tx_power_index,
            decision.nb_trans
        ),
        (5, 1, 3)
    );
}

#[test]
fn adr_ack_req_requires_a_downlink() {
    // An ADRACKReq on a device whose history is still too short: ADR changes nothing, but
    // the network must still answer (LoRaWAN 1.0.4 §4.3.1.1).
    let current = device(5, 0, 1);
    let short = recording(&current, 0, &readings(0.0)[..3], &[]);
    let unchanged = decide(&short, &current, &eu868_limits(), &AdrParams::default()).unwrap();
    assert!(!unchanged.changed);
    assert_eq!(
        adr_downlink(true, Some(&unchanged)),
        AdrDownlink::AnswerAdrAckReq
    );
    assert!(adr_downlink(true, Some(&unchanged)).is_required());
    assert!(!adr_downlink(false, Some(&unchanged)).is_required());

    // With a change pending, the LinkADRReq itself is the answer.
    let strong = recording(&current, 0, &readings(30.0), &[]);
    let changed = decide(&strong, &current, &eu868_limits(), &AdrParams::default()).unwrap();
    assert!(changed.changed);
    assert_eq!(
        adr_downlink(true, Some(&changed)),
        AdrDownlink::LinkAdrReq {
            answers_adr_ack_req: true
        }
    );
}

/// A generated history entry: frame counter increment (0 repeats, large ones lose frames),
/// SNR, and whether it was sent with the device's current settings.
fn history_entry() -> impl Strategy<Value = (u32, f32, bool)> {
    (
        prop_oneof![8 => 1u32..3, 1 => Just(0u32), 1 => 3u32..40],
        -30.0f32..25.0,
        prop::bool::weighted(0.95),
    )
}

fn scenario() -> impl Strategy<Value = (Vec<(u32, f32, bool)>, DeviceAdrState, AdrLimits, AdrParams)>
{
    (0u8..=15, 0u8..=15, 0u8..=15)
        .prop_flat_map(|(a, b, max_tx_power_index)| {
            let (min_data_rate, max_data_rate) = (a.min(b), a.max(b));
            (
                prop::collection::vec(history_entry(), 0..60),
                (
                    // Mostly within the ADR range, sometimes below it.
                    prop_oneof![3 => min_data_rate..=max_data_rate, 1 => 0..=max_data_rate],
                    0..=max_tx_power_index,
                    0u8..=15,
                ),
                Just((min_data_rate, max_data_rate, max_tx_power_index)),
                prop::array::uniform16(-25.0f32..0.0),
                (
                    prop_oneof![Just(AdrAlgorithm::Default), Just(AdrAlgorithm::LossAware)],
                    0.0f32..20.0,
                    1usize..25,
                    0u8..=100,
                ),
            )
        })
        .prop_map(|(entries, (dr, power, nb_trans), range, snrs, tuning)| {
            let limits = AdrLimits {
                min_data_rate: range.0,
                max_data_rate: range.1,
                max_tx_power_index: range.2,
                required_snr_db: snrs.map(Some),
            };
            let params = AdrParams {
                algorithm: tuning.0,
                installation_margin_db: tuning.1,
                history_len: tuning.2,
                loss_threshold_percent: tuning.3,
            };
            (entries, device(dr, power, nb_trans), limits, params)
        })
}

proptest! {
    #[test]
    fn decision_stays_within_limits_and_never_lowers_data_rate(
        (entries, current, limits, params) in scenario()
    ) {
        let mut f_cnt = 0u32;
        let history: Vec<UplinkRecord> = entries
            .iter()
            .map(|&(increment, max_snr_db, same)| {
                f_cnt = f_cnt.wrapping_add(increment);
                let settings = if same {
                    current
                } else {
                    device(current.data_rate ^ 1, current.tx_power_index, current.nb_trans)
                };
                recording(&settings, f_cnt, &[max_snr_db], &[])[0]
            })
            .collect();

        let decision = decide(&history, &current, &limits, &params).unwrap();
        prop_assert!(decision.data_rate >= limits.min_data_rate);
        prop_assert!(decision.data_rate <= limits.max_data_rate);
        prop_assert!(decision.data_rate >= current.data_rate);
        prop_assert!(decision.tx_power_index <= limits.max_tx_power_index);
        prop_assert_eq!(
            decision.changed,
            (decision.data_rate, decision.tx_power_index, decision.nb_trans)
                != (current.data_rate, current.tx_power_index, current.nb_trans)
        );
        match decision.reason {
            AdrReason::NotEnoughHistory { .. } => prop_assert!(!decision.changed),
            AdrReason::RaisedToMinDataRate { .. } => {
                prop_assert!(current.data_rate < limits.min_data_rate);
                prop_assert_eq!(
                    (decision.data_rate, decision.tx_power_index, decision.nb_trans),
                    (limits.min_data_rate, current.tx_power_index, current.nb_trans)
                );
            }
            AdrReason::LinkMargin(_) | AdrReason::LossyLink(_) => {
                prop_assert!((1..=3).contains(&decision.nb_trans));
            }
            AdrReason::DataRateAboveRange { .. } => prop_assert!(false, "device is in range"),
        }
        if let AdrReason::LossyLink(_) = decision.reason {
            prop_assert_eq!(decision.data_rate, current.data_rate.max(limits.min_data_rate));
            prop_assert!(decision.tx_power_index <= current.tx_power_index);
        }
        let downlink = adr_downlink(true, Some(&decision));
        prop_assert!(downlink.is_required());
    }
}

proptest! {
    #[test]
    fn data_rate_above_range_is_never_lowered(
        data_rate in 6u8..=15,
        tx_power_index in 0u8..=7,
        best in -30.0f32..30.0,
    ) {
        let current = device(data_rate, tx_power_index, 1);
        let history = recording(&current, 0, &readings(best), &[]);
        let decision = decide(&history, &current, &eu868_limits(), &AdrParams::default()).unwrap();
        prop_assert_eq!(decision.data_rate, data_rate);
        prop_assert!(!decision.changed);
    }
}
