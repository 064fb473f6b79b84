//! Unit tests of the ADR entry points: parameter validation, algorithm names and the
//! downlink decision. Whole recorded histories are exercised in `tests/adr.rs`.

use super::*;

/// EU863-870: DR0..DR5 are SF12..SF7 at 125 kHz, TX power indexes 0..7
/// (RP002-1.0.4, EU863-870 data rate and TXPower tables).
fn eu868_limits() -> AdrLimits {
    AdrLimits::from_spreading_factors(0, 5, 7, &[12, 11, 10, 9, 8, 7]).unwrap()
}

fn record(f_cnt: u32, max_snr_db: f32, device: &DeviceAdrState) -> UplinkRecord {
    UplinkRecord {
        f_cnt,
        max_snr_db,
        max_rssi_dbm: -110.0,
        gateway_count: 2,
        data_rate: device.data_rate,
        tx_power_index: device.tx_power_index,
        nb_trans: device.nb_trans,
    }
}

#[test]
fn algorithm_names_round_trip() {
    for algorithm in [AdrAlgorithm::Default, AdrAlgorithm::LossAware] {
        assert_eq!(algorithm.as_str().parse::<AdrAlgorithm>(), Ok(algorithm));
        assert_eq!(algorithm.to_string(), algorithm.as_str());
    }
    assert_eq!(
        "fast".parse::<AdrAlgorithm>(),
        Err(Error::UnknownAlgorithm("fast".into()))
    );
}

#[test]
fn default_params_follow_reference_servers() {
    let params = AdrParams::default();
    assert_eq!(params.algorithm, AdrAlgorithm::Default);
    assert_eq!(params.installation_margin_db, 10.0);
    assert_eq!(params.history_len, 20);
    assert_eq!(params.loss_threshold_percent, 5);
}

#[test]
fn one_step_of_margin_raises_data_rate_by_one() {
    // Vector from ChirpStack chirpstack/src/adr/default.rs `test_handle` ("increase dr"):
    // max SNR −15 dB at a DR needing −20 dB with no installation margin gives one step.
    let device = DeviceAdrState {
        data_rate: 0,
        tx_power_index: 0,
        nb_trans: 1,
    };
    let params = AdrParams {
        installation_margin_db: 0.0,
        history_len: 1,
        ..AdrParams::default()
    };
    let history = [record(7, -15.0, &device)];
    let decision = decide(&history, &device, &eu868_limits(), &params).unwrap();
    assert_eq!(
        (
            decision.data_rate,
            decision.tx_power_index,
            decision.nb_trans
        ),
        (1, 0, 1)
    );
    assert!(decision.changed);
    assert_eq!(
        decision.reason,
        AdrReason::LinkMargin(LinkAssessment {
            max_snr_db: -15.0,
            margin_db: 5.0,
            steps: 1,
            packet_error_rate: PacketErrorRate {
                lost: 0,
                expected: 1
            },
        })
    );
}

#[test]
fn rejects_unusable_inputs() {
    let device = DeviceAdrState {
        data_rate: 2,
        tx_power_index: 0,
        nb_trans: 1,
    };
    let history = [record(1, 0.0, &device)];
    let params = AdrParams::default();

    let mut inverted = eu868_limits();
    inverted.min_data_rate = 4;
    inverted.max_data_rate = 3;

    let mut without_snr = eu868_limits();
    without_snr.required_snr_db[2] = None;

    let mut nan_snr = eu868_limits();
    nan_snr.required_snr_db[2] = Some(f32::NAN);

    let cases = [
        (
            "empty data rate range",
            device,
            inverted,
            params,
            Error::InvalidDataRateRange { min: 4, max: 3 },
        ),
        (
            "zero history length",
            device,
            eu868_limits(),
            AdrParams {
                history_len: 0,
                ..params
            },
            Error::ZeroHistoryLength,
        ),
        (
            "non-finite installation margin",
            device,
            eu868_limits(),
            AdrParams {
                installation_margin_db: f32::INFINITY,
                ..params
            },
            Error::NonFiniteParameter {
                name: "installation_margin_db",
            },
        ),
        (
            "tx power index above band maximum",
            DeviceAdrState {
                tx_power_index: 8,
                ..device
            },
            eu868_limits(),
            params,
            Error::TxPowerIndexAboveMax { index: 8, max: 7 },
        ),
        (
            "no required snr for the current data rate",
            device,
            without_snr,
            params,
            Error::MissingRequiredSnr { data_rate: 2 },
        ),
        (
            "non-finite required snr",
            device,
            nan_snr,
            params,
            Error::NonFiniteParameter {
                name: "required_snr_db",
            },
        ),
    ];
    for (name, device, limits, params, expected) in cases {
        assert_eq!(
            decide(&history, &device, &limits, &params),
            Err(expected),
            "{name}"
        );
    }
}

#[test]
fn device_below_range_is_judged_against_the_minimum_data_rate() {
    // A device at DR0 with ADR limited to DR2..DR5 starts from DR2 (SF10, −15 dB needed):
    // SNR −12 dB less −15 dB less a 0 dB margin is 3 dB, one step, so DR3.
    let device = DeviceAdrState {
        data_rate: 0,
        tx_power_index: 0,
        nb_trans: 1,
    };
    let mut limits = eu868_limits();
    limits.min_data_rate = 2;
    let params = AdrParams {
        installation_margin_db: 0.0,
        history_len: 1,
        ..AdrParams::default()
    };
    let history = [record(1, -12.0, &device)];
    let decision = decide(&history, &device, &limits, &params).unwrap();
    assert_eq!((decision.data_rate, decision.tx_power_index), (3, 0));
}

#[test]
fn downlink_needed_for_changes_and_adr_ack_req() {
    let decision = |changed| AdrDecision {
        data_rate: 5,
        tx_power_index: 1,
        nb_trans: 1,
        changed,
        reason: AdrReason::NotEnoughHistory {
            usable: 0,
            required: 20,
        },
    };
    let changed = decision(true);
    let unchanged = decision(false);
    let table = [
        (false, None, AdrDownlink::NotRequired),
        (true, None, AdrDownlink::AnswerAdrAckReq),
        (false, Some(&unchanged), AdrDownlink::NotRequired),
        (true, Some(&unchanged), AdrDownlink::AnswerAdrAckReq),
        (
            false,
            Some(&changed),
            AdrDownlink::LinkAdrReq {
                answers_adr_ack_req: false,
            },
        ),
        (
            true,
            Some(&changed),
            AdrDownlink::LinkAdrReq {
                answers_adr_ack_req: true,
            },
        ),
    ];
    for (adr_ack_req, decision, expected) in table {
        let downlink = adr_downlink(adr_ack_req, decision);
        assert_eq!(
            downlink, expected,
            "adr_ack_req {adr_ack_req}, {decision:?}"
        );
        assert_eq!(downlink.is_required(), expected != AdrDownlink::NotRequired);
    }
}

#[cfg(feature = "serde")]
#[test]
fn algorithm_serializes_as_its_identifier() {
    for algorithm in [AdrAlgorithm::Default, AdrAlgorithm::LossAware] {
        let json = serde_json::to_string(&algorithm).unwrap();
        assert_eq!(json, format!("\"{}\"", algorithm.as_str()));
        assert_eq!(
            serde_json::from_str::<AdrAlgorithm>(&json).unwrap(),
            algorithm
        );
    }
}
