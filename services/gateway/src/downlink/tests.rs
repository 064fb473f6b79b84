//! Tests of item fallback and of the in-flight index.

use std::time::Duration;

use tern_bus::testsuite::samples;

use super::*;

const EUI: u64 = 0xaa55_5a00_0000_0101;

fn statuses(attempt: &DownlinkAttempt) -> Vec<pb::TxAckStatus> {
    attempt
        .tx_ack()
        .items
        .iter()
        .map(|item| pb::TxAckStatus::try_from(item.status).unwrap())
        .collect()
}

fn send(attempt: &mut DownlinkAttempt, token: u16) -> Vec<u8> {
    match attempt.next_item(ProtocolVersion::V2, Token(token)) {
        NextItem::Send(bytes) => bytes,
        other => panic!("expected a PULL_RESP, got {other:?}"),
    }
}

#[test]
fn accepted_first_item_ignores_the_rest() {
    let mut attempt = DownlinkAttempt::new(samples::downlink_frame(EUI), EUI);
    let bytes = send(&mut attempt, 0x1234);
    // PULL_RESP header: version 2, token as given, identifier 3 (PROTOCOL.TXT §5.4).
    assert_eq!(bytes[..4], [2, 0x12, 0x34, 3]);
    let Ok(Datagram::PullResp(pull_resp)) = Datagram::decode(&bytes) else {
        panic!("not a PULL_RESP");
    };
    assert_eq!(pull_resp.txpk.tmst, Some(3_513_348_611));
    assert!(!attempt.record(pb::TxAckStatus::Ok));
    assert_eq!(
        statuses(&attempt),
        [pb::TxAckStatus::Ok, pb::TxAckStatus::Ignored]
    );
    assert_eq!(attempt.result(), "ok");
    assert_eq!(attempt.tx_ack().downlink_id, 0xdead_beef);
    assert_eq!(attempt.tx_ack().gateway_eui, EUI);
}

#[test]
fn rejected_item_falls_back_to_the_next_and_reports_each() {
    // (outcome of item 1, outcome of item 2, expected statuses, result)
    let cases = [
        (
            pb::TxAckStatus::TooLate,
            Some(pb::TxAckStatus::Ok),
            [pb::TxAckStatus::TooLate, pb::TxAckStatus::Ok],
            "ok",
        ),
        (
            pb::TxAckStatus::CollisionPacket,
            Some(pb::TxAckStatus::CollisionBeacon),
            [
                pb::TxAckStatus::CollisionPacket,
                pb::TxAckStatus::CollisionBeacon,
            ],
            "rejected",
        ),
        (
            pb::TxAckStatus::Timeout,
            None,
            [pb::TxAckStatus::Timeout, pb::TxAckStatus::Ignored],
            "timeout",
        ),
        (
            pb::TxAckStatus::TooEarly,
            Some(pb::TxAckStatus::Timeout),
            [pb::TxAckStatus::TooEarly, pb::TxAckStatus::Timeout],
            "timeout",
        ),
    ];
    for (first, second, expected, result) in cases {
        let mut attempt = DownlinkAttempt::new(samples::downlink_frame(EUI), EUI);
        send(&mut attempt, 1);
        let more = attempt.record(first);
        assert_eq!(more, second.is_some(), "{first:?}");
        if let Some(second) = second {
            let bytes = send(&mut attempt, 2);
            let Ok(Datagram::PullResp(pull_resp)) = Datagram::decode(&bytes) else {
                panic!("not a PULL_RESP");
            };
            assert_eq!(pull_resp.txpk.tmms, Some(1_400_000_002_000), "RX2 item");
            assert!(!attempt.record(second));
        }
        assert!(matches!(
            attempt.next_item(ProtocolVersion::V2, Token(3)),
            NextItem::Exhausted
        ));
        assert_eq!(statuses(&attempt), expected);
        assert_eq!(attempt.result(), result);
    }
}

#[test]
fn item_that_cannot_be_encoded_is_an_internal_error_and_the_next_is_tried() {
    let mut frame = samples::downlink_frame(EUI);
    frame.items[0].timing = None;
    let mut attempt = DownlinkAttempt::new(frame, EUI);
    match attempt.next_item(ProtocolVersion::V2, Token(1)) {
        NextItem::Invalid(error) => assert_eq!(error.reason(), "missing_timing"),
        other => panic!("expected Invalid, got {other:?}"),
    }
    send(&mut attempt, 2);
    assert!(!attempt.record(pb::TxAckStatus::Ok));
    assert_eq!(
        statuses(&attempt),
        [pb::TxAckStatus::InternalError, pb::TxAckStatus::Ok]
    );
}

#[test]
fn frame_without_items_is_exhausted_at_once() {
    let frame = pb::DownlinkFrame {
        downlink_id: 9,
        gateway_eui: EUI,
        items: vec![],
    };
    let mut attempt = DownlinkAttempt::new(frame, EUI);
    assert!(matches!(
        attempt.next_item(ProtocolVersion::V1, Token(0)),
        NextItem::Exhausted
    ));
    assert!(attempt.tx_ack().items.is_empty());
    assert_eq!(attempt.result(), "rejected");
}

#[test]
fn abandon_marks_the_current_or_next_item() {
    let mut attempt = DownlinkAttempt::new(samples::downlink_frame(EUI), EUI);
    attempt.abandon(pb::TxAckStatus::InternalError);
    assert_eq!(
        statuses(&attempt),
        [pb::TxAckStatus::InternalError, pb::TxAckStatus::Ignored]
    );
    let mut attempt = DownlinkAttempt::new(samples::downlink_frame(EUI), EUI);
    send(&mut attempt, 1);
    attempt.record(pb::TxAckStatus::TooLate);
    send(&mut attempt, 2);
    attempt.abandon(pb::TxAckStatus::Timeout);
    assert_eq!(
        statuses(&attempt),
        [pb::TxAckStatus::TooLate, pb::TxAckStatus::Timeout]
    );
}

#[test]
fn in_flight_matches_tokens_per_gateway_and_expires_in_deadline_order() {
    let start = Instant::now();
    let attempt = || DownlinkAttempt::new(samples::downlink_frame(EUI), EUI);
    let mut in_flight = InFlight::default();
    let at = |ms| start + Duration::from_millis(ms);
    in_flight.insert(1, Token(7), attempt(), tracing::Span::none(), at(300));
    in_flight.insert(2, Token(7), attempt(), tracing::Span::none(), at(100));
    in_flight.insert(1, Token(8), attempt(), tracing::Span::none(), at(200));
    assert!(in_flight.contains(1, Token(7)) && in_flight.contains(2, Token(7)));
    assert!(!in_flight.contains(3, Token(7)));
    assert_eq!(in_flight.next_deadline(), Some(at(100)));

    assert!(in_flight.remove(1, Token(8)).is_some());
    assert!(in_flight.remove(1, Token(8)).is_none());
    assert_eq!(in_flight.next_deadline(), Some(at(100)));

    assert!(in_flight.pop_expired(at(99)).is_empty());
    let expired: Vec<u64> = in_flight
        .pop_expired(at(300))
        .into_iter()
        .map(|(eui, _)| eui)
        .collect();
    assert_eq!(expired, [2, 1]);
    assert!(in_flight.is_empty());
    assert_eq!(in_flight.next_deadline(), None);
}
