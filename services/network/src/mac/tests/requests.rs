//! Each request's issuance, acknowledgement, refusal, retries and give-up.

use super::*;

struct Case {
    name: &'static str,
    band: &'static str,
    mac_version: pb::MacVersion,
    change: fn(&mut DesiredSettings),
    request: Option<MacCommand>,
    ack: MacCommand,
    check: fn(&pb::DeviceSession) -> bool,
}

fn cases() -> Vec<Case> {
    use pb::MacVersion::{MacVersion11 as V11, MacVersion104 as V104};
    vec![
        Case {
            name: "RXTimingSetupReq",
            band: "eu868",
            mac_version: V104,
            change: |desired| desired.rx.rx1_delay_s = 5,
            request: Some(MacCommand::RxTimingSetupReq(RxTimingSetupReqPayload {
                delay: 5,
            })),
            ack: MacCommand::RxTimingSetupAns,
            check: |session| session.rx1_delay_s == 5,
        },
        Case {
            name: "RXParamSetupReq",
            band: "eu868",
            mac_version: V104,
            change: |desired| {
                desired.rx.rx1_dr_offset = 1;
                desired.rx.rx2_dr = 3;
            },
            request: Some(MacCommand::RxParamSetupReq(RxParamSetupReqPayload {
                rx1_dr_offset: 1,
                rx2_data_rate: 3,
                frequency_hz: 869_525_000,
            })),
            ack: MacCommand::RxParamSetupAns(RxParamSetupAnsPayload {
                channel_ack: true,
                rx2_data_rate_ack: true,
                rx1_dr_offset_ack: true,
            }),
            check: |session| session.rx2_dr == 3 && session.rx1_dr_offset == 1,
        },
        Case {
            name: "DutyCycleReq",
            band: "eu868",
            mac_version: V104,
            change: |desired| desired.max_duty_cycle = 7,
            request: Some(MacCommand::DutyCycleReq(DutyCycleReqPayload {
                max_duty_cycle: 7,
            })),
            ack: MacCommand::DutyCycleAns,
            check: |session| session.mac.as_ref().unwrap().max_duty_cycle == 7,
        },
        Case {
            name: "NewChannelReq",
            band: "eu868",
            mac_version: V104,
            change: |desired| {
                desired.extra_channels = vec![DesiredChannel {
                    index: 3,
                    channel: Channel::new(867_100_000, 0, 5),
                    dl_frequency_hz: None,
                }];
            },
            request: Some(MacCommand::NewChannelReq(NewChannelReqPayload {
                ch_index: 3,
                frequency_hz: 867_100_000,
                min_dr: 0,
                max_dr: 5,
            })),
            ack: MacCommand::NewChannelAns(NewChannelAnsPayload {
                channel_frequency_ok: true,
                data_rate_range_ok: true,
            }),
            check: |session| {
                let mac = session.mac.as_ref().unwrap();
                mac.enabled_channels == [0, 1, 2, 3] && mac.extra_channels[0].index == 3
            },
        },
        Case {
            name: "TXParamSetupReq",
            band: "as923",
            mac_version: V104,
            change: |desired| {
                desired.tx_params = Some(TxParams {
                    uplink_dwell_time: true,
                    downlink_dwell_time: true,
                    max_eirp_index: 5,
                });
            },
            request: Some(MacCommand::TxParamSetupReq(TxParamSetupReqPayload {
                downlink_dwell_time: DwellTime::Limit400Ms,
                uplink_dwell_time: DwellTime::Limit400Ms,
                max_eirp: 5,
            })),
            ack: MacCommand::TxParamSetupAns,
            check: |session| {
                let mac = session.mac.as_ref().unwrap();
                mac.tx_params_set && mac.uplink_dwell_time && mac.max_eirp_index == 5
            },
        },
        Case {
            name: "TXParamSetupReq outside AS923 and AU915",
            band: "eu868",
            mac_version: V104,
            change: |desired| {
                desired.tx_params = Some(TxParams {
                    uplink_dwell_time: true,
                    downlink_dwell_time: true,
                    max_eirp_index: 5,
                });
            },
            request: None,
            ack: MacCommand::TxParamSetupAns,
            check: |session| !session.mac.as_ref().unwrap().tx_params_set,
        },
        Case {
            name: "ADRParamSetupReq",
            band: "eu868",
            mac_version: V11,
            change: |desired| {
                desired.adr_param_setup = Some(AdrParamSetupReqPayload {
                    limit_exp: 7,
                    delay_exp: 4,
                });
            },
            request: Some(MacCommand::AdrParamSetupReq(AdrParamSetupReqPayload {
                limit_exp: 7,
                delay_exp: 4,
            })),
            ack: MacCommand::AdrParamSetupAns,
            check: |session| {
                let mac = session.mac.as_ref().unwrap();
                mac.adr_ack_limit_exp == 7 && mac.adr_ack_delay_exp == 4
            },
        },
        Case {
            name: "ADRParamSetupReq to a 1.0.4 device",
            band: "eu868",
            mac_version: V104,
            change: |desired| {
                desired.adr_param_setup = Some(AdrParamSetupReqPayload {
                    limit_exp: 7,
                    delay_exp: 4,
                });
            },
            request: None,
            ack: MacCommand::AdrParamSetupAns,
            check: |session| session.mac.as_ref().unwrap().adr_ack_limit_exp == 6,
        },
        Case {
            name: "RejoinParamSetupReq",
            band: "eu868",
            mac_version: V11,
            change: |desired| {
                desired.rejoin_param_setup = Some(RejoinParamSetupReqPayload {
                    max_time_n: 3,
                    max_count_n: 2,
                });
            },
            request: Some(MacCommand::RejoinParamSetupReq(
                RejoinParamSetupReqPayload {
                    max_time_n: 3,
                    max_count_n: 2,
                },
            )),
            ack: MacCommand::RejoinParamSetupAns(RejoinParamSetupAnsPayload { time_ok: true }),
            check: |session| {
                let mac = session.mac.as_ref().unwrap();
                mac.rejoin_max_time_n == 3 && mac.rejoin_max_count_n == 2
            },
        },
    ]
}

#[test]
fn issues_each_request_and_applies_it_only_once_acknowledged() {
    for case in cases() {
        let mut device = Device::new(case.band, case.mac_version);
        (case.change)(&mut device.desired);
        let outcome = device.exchange(&[]);
        assert_eq!(
            outcome.commands,
            case.request.clone().into_iter().collect::<Vec<_>>(),
            "{}",
            case.name
        );
        let Some(request) = case.request else {
            let outcome = device.uplink(&[case.ack]);
            assert!(outcome.applied.is_empty(), "{}", case.name);
            assert!((case.check)(&device.session), "{}", case.name);
            continue;
        };
        assert!(
            !(case.check)(&device.session),
            "{}: applied before the answer",
            case.name
        );
        assert_eq!(device.mac().pending.len(), 1, "{}", case.name);
        let outcome = device.exchange(&[case.ack]);
        assert_eq!(outcome.applied, vec![request.name()], "{}", case.name);
        assert!(outcome.commands.is_empty(), "{}: {outcome:?}", case.name);
        assert!(device.mac().pending.is_empty(), "{}", case.name);
        assert!((case.check)(&device.session), "{}", case.name);
        // In force: nothing more to ask.
        assert!(device.exchange(&[]).commands.is_empty(), "{}", case.name);
    }
}

/// A refusal of each request that carries a status.
fn nacks() -> Vec<(&'static str, MacCommand)> {
    vec![
        (
            "RXParamSetupReq",
            MacCommand::RxParamSetupAns(RxParamSetupAnsPayload {
                channel_ack: true,
                rx2_data_rate_ack: false,
                rx1_dr_offset_ack: true,
            }),
        ),
        (
            "NewChannelReq",
            MacCommand::NewChannelAns(NewChannelAnsPayload {
                channel_frequency_ok: false,
                data_rate_range_ok: true,
            }),
        ),
        (
            "RejoinParamSetupReq",
            MacCommand::RejoinParamSetupAns(RejoinParamSetupAnsPayload { time_ok: false }),
        ),
    ]
}

#[test]
fn a_refused_request_changes_nothing_and_is_not_issued_again() {
    for (name, nack) in nacks() {
        let case = cases().into_iter().find(|case| case.name == name).unwrap();
        let mut device = Device::new(case.band, case.mac_version);
        (case.change)(&mut device.desired);
        let before = device.session.clone();
        device.exchange(&[]);
        let outcome = device.exchange(&[nack]);
        assert_eq!(outcome.rejected, vec![name], "{name}");
        assert!(outcome.commands.is_empty(), "{name}: {outcome:?}");
        assert!(!(case.check)(&device.session), "{name}");
        assert_eq!(device.session.rx2_dr, before.rx2_dr, "{name}");
        assert_eq!(device.mac().rejected.len(), 1, "{name}");
        for _ in 0..5 {
            assert!(device.exchange(&[]).commands.is_empty(), "{name}");
        }
    }
}

#[test]
fn rejoin_param_setup_without_time_ok_still_sets_the_count() {
    let case = cases()
        .into_iter()
        .find(|case| case.name == "RejoinParamSetupReq")
        .unwrap();
    let mut device = Device::new(case.band, case.mac_version);
    (case.change)(&mut device.desired);
    device.exchange(&[]);
    device.exchange(&[MacCommand::RejoinParamSetupAns(
        RejoinParamSetupAnsPayload { time_ok: false },
    )]);
    assert_eq!(device.mac().rejoin_max_count_n, 2);
    assert_eq!(device.mac().rejoin_max_time_n, 0);
}

#[test]
fn a_repeated_rx_param_setup_ans_is_harmless() {
    let mut device = Device::eu868();
    device.desired.rx.rx2_dr = 3;
    device.exchange(&[]);
    let ack = MacCommand::RxParamSetupAns(RxParamSetupAnsPayload {
        channel_ack: true,
        rx2_data_rate_ack: true,
        rx1_dr_offset_ack: true,
    });
    assert_eq!(
        device.exchange(std::slice::from_ref(&ack)).applied,
        ["RXParamSetupReq"]
    );
    // The device repeats the answer until it receives a downlink (LoRaWAN 1.0.4 §5.4); a
    // NACK-looking repeat of an answered request changes nothing either.
    let session = device.session.clone();
    for repeat in [
        ack,
        MacCommand::RxTimingSetupAns,
        MacCommand::DlChannelAns(DlChannelAnsPayload::default()),
    ] {
        let outcome = device.exchange(&[repeat]);
        assert_eq!(outcome, MacOutcome::default());
        assert_eq!(device.session, session);
    }
}

#[test]
fn an_unanswered_request_is_sent_again_then_given_up() {
    let mut device = Device::eu868();
    device.desired.max_duty_cycle = 3;
    let request = MacCommand::DutyCycleReq(DutyCycleReqPayload { max_duty_cycle: 3 });
    for attempt in 1..=MAX_ATTEMPTS {
        let outcome = device.exchange(&[]);
        assert_eq!(outcome.commands, vec![request.clone()], "attempt {attempt}");
        assert_eq!(device.mac().pending[0].attempts, attempt);
        assert_eq!(device.mac().pending[0].sent_f_cnt_down, attempt - 1);
    }
    let outcome = device.exchange(&[]);
    assert_eq!(outcome.gave_up, vec!["DutyCycleReq"]);
    assert!(outcome.commands.is_empty());
    assert!(device.mac().pending.is_empty());
    assert!(device.exchange(&[]).commands.is_empty());
    // Other values are asked for again.
    device.desired.max_duty_cycle = 4;
    assert_eq!(
        device.exchange(&[]).commands,
        vec![MacCommand::DutyCycleReq(DutyCycleReqPayload {
            max_duty_cycle: 4
        })]
    );
}

#[test]
fn a_request_that_was_not_sent_is_not_in_flight() {
    let mut device = Device::eu868();
    device.desired.max_duty_cycle = 3;
    assert_eq!(device.uplink(&[]).commands.len(), 1);
    assert!(device.mac().pending.is_empty());
    assert_eq!(device.uplink(&[]).commands.len(), 1);
}

#[test]
fn asks_for_the_device_status_once_per_interval() {
    let mut device = Device::eu868();
    device.desired.dev_status_interval = Duration::from_secs(3600);
    assert_eq!(
        device.exchange(&[]).commands,
        vec![MacCommand::DevStatusReq]
    );
    assert_eq!(device.session.dev_status_requested_at_unix_ns, Some(NOW));
    let answer = MacCommand::DevStatusAns(DevStatusAnsPayload {
        battery: 200,
        margin: -3,
    });
    device.now_unix_ns = NOW + HOUR_NS / 2;
    let outcome = device.exchange(&[answer]);
    assert!(outcome.commands.is_empty());
    assert!(device.mac().pending.is_empty());
    device.now_unix_ns = NOW + HOUR_NS;
    assert_eq!(
        device.exchange(&[]).commands,
        vec![MacCommand::DevStatusReq]
    );
    // An unanswered DevStatusReq is retried, then the next interval asks again.
    for _ in 1..MAX_ATTEMPTS {
        assert_eq!(
            device.exchange(&[]).commands,
            vec![MacCommand::DevStatusReq]
        );
    }
    let outcome = device.exchange(&[]);
    assert_eq!(outcome.gave_up, vec!["DevStatusReq"]);
    assert!(outcome.commands.is_empty());
    assert!(device.mac().rejected.is_empty());
    device.now_unix_ns = NOW + 2 * HOUR_NS;
    assert_eq!(
        device.exchange(&[]).commands,
        vec![MacCommand::DevStatusReq]
    );
}

#[test]
fn new_channel_req_removes_an_unwanted_channel_and_dl_channel_req_moves_rx1() {
    let mut device = Device::eu868();
    let channel = Channel::new(867_100_000, 0, 5);
    device.desired.extra_channels = vec![DesiredChannel {
        index: 3,
        channel,
        dl_frequency_hz: Some(869_100_000),
    }];
    let ok = NewChannelAnsPayload {
        channel_frequency_ok: true,
        data_rate_range_ok: true,
    };
    device.exchange(&[]);
    let outcome = device.exchange(&[MacCommand::NewChannelAns(ok)]);
    // Once the channel exists, its RX1 frequency moves.
    assert_eq!(
        outcome.commands,
        vec![MacCommand::DlChannelReq(DlChannelReqPayload {
            ch_index: 3,
            frequency_hz: 869_100_000,
        })]
    );
    device.exchange(&[MacCommand::DlChannelAns(DlChannelAnsPayload {
        channel_frequency_ok: true,
        uplink_frequency_exists: true,
    })]);
    assert_eq!(device.mac().extra_channels[0].dl_frequency_hz, 869_100_000);

    device.desired.extra_channels.clear();
    assert_eq!(
        device.exchange(&[]).commands,
        vec![MacCommand::NewChannelReq(NewChannelReqPayload {
            ch_index: 3,
            ..NewChannelReqPayload::default()
        })]
    );
    device.exchange(&[MacCommand::NewChannelAns(ok)]);
    assert!(device.mac().extra_channels.is_empty());
    assert_eq!(device.mac().enabled_channels, [0, 1, 2]);
}
