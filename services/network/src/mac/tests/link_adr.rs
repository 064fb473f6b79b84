//! LinkADRReq from the ADR engine in EU868 and channel-mask blocks in US915.

use super::*;

/// An EU868 device with ADR on and `n` uplinks at DR0 heard at 10 dB.
fn eu868_adr_device(n: u32) -> Device {
    let mut device = Device::eu868();
    device.session.adr = true;
    device.desired = DesiredSettings::from_session(&device.band, &device.session, Duration::ZERO);
    device.session.adr_history = (1..=n)
        .map(|f_cnt| pb::AdrHistoryEntry {
            f_cnt,
            max_snr_db: 10.0,
            gateway_count: 1,
            dr: 0,
        })
        .collect();
    device
}

/// An SF12 (EU868 DR0) uplink with the given ADR bit.
fn dr0_facts(rx_metadata: &[pb::UplinkRxMetadata], adr: bool) -> UplinkFacts<'_> {
    UplinkFacts {
        dr: Some(0),
        modulation: sf(12),
        adr,
        ..facts(rx_metadata)
    }
}

fn link_adr_ans(ack: bool) -> MacCommand {
    MacCommand::LinkAdrAns(LinkAdrAnsPayload {
        channel_mask_ack: true,
        data_rate_ack: ack,
        power_ack: true,
    })
}

#[test]
fn adr_link_adr_req_needs_the_adr_bit_and_enough_history_in_eu868() {
    let rx_metadata = [rx(10.0, None)];
    // 10 dB at SF12 (-20 dB floor) less the 10 dB margin leaves 20 dB: six 3 dB steps,
    // five to reach DR5 and one to lower the power.
    let expected = MacCommand::LinkAdrReq(LinkAdrReqPayload {
        data_rate: 5,
        tx_power: 1,
        ch_mask: 0x0007,
        ch_mask_cntl: 0,
        nb_trans: 1,
    });
    // (uplinks in the history, ADR bit, LinkADRReq expected)
    let cases = [(20, true, true), (20, false, false), (19, true, false)];
    for (n, adr, issued) in cases {
        let mut device = eu868_adr_device(n);
        let outcome = device.uplink_with(&[], dr0_facts(&rx_metadata, adr));
        let wanted: Vec<MacCommand> = std::iter::once(expected.clone())
            .filter(|_| issued)
            .collect();
        assert_eq!(outcome.commands, wanted, "{n} {adr}");
    }
    // ADR's device is the session's: with ADR off in the session nothing is issued.
    let mut device = eu868_adr_device(20);
    device.desired.adr = None;
    assert!(
        device
            .uplink_with(&[], dr0_facts(&rx_metadata, true))
            .commands
            .is_empty()
    );
}

#[test]
fn an_acknowledged_link_adr_req_is_in_force_and_restarts_the_history() {
    let rx_metadata = [rx(10.0, None)];
    let mut device = eu868_adr_device(20);
    let outcome = device.uplink_with(&[], dr0_facts(&rx_metadata, true));
    device.send(&outcome.commands);
    // The answer comes at the new data rate.
    device.session.adr_history.push(pb::AdrHistoryEntry {
        f_cnt: 21,
        max_snr_db: 0.0,
        gateway_count: 1,
        dr: 5,
    });
    let facts = UplinkFacts {
        adr: true,
        ..facts(&rx_metadata)
    };
    let outcome = device.uplink_with(&[link_adr_ans(true)], facts);
    assert_eq!(outcome.applied, vec!["LinkADRReq"]);
    assert!(outcome.commands.is_empty(), "{outcome:?}");
    let mac = device.mac();
    assert_eq!((mac.data_rate, mac.tx_power_index, mac.nb_trans), (5, 1, 1));
    assert_eq!(mac.enabled_channels, [0, 1, 2]);
    assert!(mac.pending.is_empty());
    assert_eq!(device.session.adr_history.len(), 1);
}

#[test]
fn a_refused_link_adr_req_is_not_issued_again_with_the_same_values() {
    let rx_metadata = [rx(10.0, None)];
    let mut device = eu868_adr_device(20);
    let outcome = device.uplink_with(&[], dr0_facts(&rx_metadata, true));
    device.send(&outcome.commands);
    let outcome = device.uplink_with(&[link_adr_ans(false)], dr0_facts(&rx_metadata, true));
    assert_eq!(outcome.rejected, vec!["LinkADRReq"]);
    assert!(outcome.commands.is_empty(), "{outcome:?}");
    assert_eq!(device.mac().data_rate, 0);
    assert_eq!(device.mac().tx_power_index, 0);
    assert!(
        device
            .uplink_with(&[], dr0_facts(&rx_metadata, true))
            .commands
            .is_empty()
    );
}

/// A US915 sub-band 2 device activated by personalisation: all 72 channels enabled.
fn us915_device() -> Device {
    Device::new("us915_1", pb::MacVersion::MacVersion103)
}

fn us915_facts(rx_metadata: &[pb::UplinkRxMetadata]) -> UplinkFacts<'_> {
    // SF7 at 125 kHz is US902-928 DR3.
    UplinkFacts {
        dr: Some(3),
        ..facts(rx_metadata)
    }
}

#[test]
fn us915_channel_mask_block_is_applied_on_one_or_one_per_request_answers() {
    let block = vec![
        MacCommand::LinkAdrReq(LinkAdrReqPayload {
            data_rate: 3,
            tx_power: 0,
            ch_mask: 0x0002,
            ch_mask_cntl: 7,
            nb_trans: 1,
        }),
        MacCommand::LinkAdrReq(LinkAdrReqPayload {
            data_rate: 3,
            tx_power: 0,
            ch_mask: 0xff00,
            ch_mask_cntl: 0,
            nb_trans: 1,
        }),
    ];
    let sub_band_2: Vec<u32> = (8..16).chain([65]).collect();
    let all: Vec<u32> = (0..72).collect();
    // (answers, enabled channels afterwards, refused)
    let cases = [
        (
            vec![link_adr_ans(true), link_adr_ans(true)],
            &sub_band_2,
            false,
        ),
        (vec![link_adr_ans(true)], &sub_band_2, false),
        (vec![link_adr_ans(true), link_adr_ans(false)], &all, true),
    ];
    let rx_metadata = [rx(3.0, None)];
    for (answers, enabled, refused) in cases {
        let mut device = us915_device();
        let outcome = device.uplink_with(&[], us915_facts(&rx_metadata));
        assert_eq!(outcome.commands, block);
        device.send(&outcome.commands);
        assert_eq!(device.mac().pending.len(), 2);
        let outcome = device.uplink_with(&answers, us915_facts(&rx_metadata));
        assert_eq!(&device.mac().enabled_channels, enabled, "{answers:?}");
        assert!(device.mac().pending.is_empty());
        assert_eq!(outcome.rejected.len(), usize::from(refused));
        assert!(outcome.commands.is_empty(), "{outcome:?}");
        device.send(&outcome.commands);
        assert!(
            device
                .uplink_with(&[], us915_facts(&rx_metadata))
                .commands
                .is_empty()
        );
    }
}

#[test]
fn us915_device_joined_with_the_cf_list_needs_no_channel_mask() {
    let mut device = us915_device();
    init_mac_state(
        &mut device.session,
        &device.band,
        MacInit {
            data_rate: Some(3),
            cf_list: true,
        },
    );
    let rx_metadata = [rx(3.0, None)];
    assert!(
        device
            .uplink_with(&[], us915_facts(&rx_metadata))
            .commands
            .is_empty()
    );
}

#[test]
fn an_unanswered_link_adr_block_is_sent_again_whole() {
    let rx_metadata = [rx(3.0, None)];
    let mut device = us915_device();
    let first = device.uplink_with(&[], us915_facts(&rx_metadata)).commands;
    device.send(&first);
    let again = device.uplink_with(&[], us915_facts(&rx_metadata)).commands;
    assert_eq!(again, first);
    device.send(&again);
    assert!(
        device
            .mac()
            .pending
            .iter()
            .all(|pending| pending.attempts == 2)
    );
}

#[test]
fn a_channel_mask_for_a_device_without_adr_keeps_its_data_rate_and_power() {
    let rx_metadata = [rx(3.0, None)];
    // (version, ADR bit, DataRate and TXPower sent)
    let cases = [
        (pb::MacVersion::MacVersion104, false, (0x0f, 0x0f)),
        (pb::MacVersion::MacVersion11, false, (0x0f, 0x0f)),
        (pb::MacVersion::MacVersion104, true, (3, 0)),
        (pb::MacVersion::MacVersion103, false, (3, 0)),
    ];
    for (mac_version, adr, (data_rate, tx_power)) in cases {
        let mut device = Device::new("us915_1", mac_version);
        let facts = UplinkFacts {
            adr,
            ..us915_facts(&rx_metadata)
        };
        let outcome = device.uplink_with(&[], facts);
        assert_eq!(outcome.commands.len(), 2, "{mac_version:?} {adr}");
        for command in &outcome.commands {
            let MacCommand::LinkAdrReq(payload) = command else {
                panic!("{command:?}");
            };
            assert_eq!(
                (payload.data_rate, payload.tx_power),
                (data_rate, tx_power),
                "{mac_version:?} {adr}"
            );
        }
        device.send(&outcome.commands);
        let answers = [link_adr_ans(true), link_adr_ans(true)];
        device.uplink_with(&answers, facts);
        let mac = device.mac();
        assert_eq!((mac.data_rate, mac.tx_power_index), (3, 0));
        assert_eq!(mac.enabled_channels.len(), 9);
    }
}
