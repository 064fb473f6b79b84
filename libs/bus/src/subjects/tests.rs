//! Table tests of the subject map: rendering, parsing back, and token validation.

use super::*;

const GATEWAY_EUI: u64 = 0x0102_0304_0506_0708;
const DEV_EUI: u64 = 0x70b3_d57e_d000_abcd;

fn subjects() -> Subjects {
    Subjects::new("tern").unwrap()
}

#[test]
fn renders_every_concrete_subject_and_parses_it_back() {
    let s = subjects();
    // (built subject, expected string, expected kind, expected parse)
    let cases: Vec<(Subject, &str, SubjectKind, ParsedSubject)> = vec![
        (s.up(), "tern.up", SubjectKind::Up, ParsedSubject::Up),
        (
            s.gw_down(GATEWAY_EUI),
            "tern.gw.0102030405060708.down",
            SubjectKind::GwDown,
            ParsedSubject::GwDown {
                gateway_eui: GATEWAY_EUI,
            },
        ),
        (
            s.gw_txack(GATEWAY_EUI),
            "tern.gw.0102030405060708.txack",
            SubjectKind::GwTxAck,
            ParsedSubject::GwTxAck {
                gateway_eui: GATEWAY_EUI,
            },
        ),
        (
            s.gw_stats(u64::MAX),
            "tern.gw.ffffffffffffffff.stats",
            SubjectKind::GwStats,
            ParsedSubject::GwStats {
                gateway_eui: u64::MAX,
            },
        ),
        (
            s.gw_status(0),
            "tern.gw.0000000000000000.status",
            SubjectKind::GwStatus,
            ParsedSubject::GwStatus { gateway_eui: 0 },
        ),
        (
            s.gw_claim(GATEWAY_EUI),
            "tern.gw.0102030405060708.claim",
            SubjectKind::GwClaim,
            ParsedSubject::GwClaim {
                gateway_eui: GATEWAY_EUI,
            },
        ),
        (
            s.js_join(),
            "tern.js.join",
            SubjectKind::JsJoin,
            ParsedSubject::JsJoin,
        ),
        (
            s.js_keys(),
            "tern.js.keys",
            SubjectKind::JsKeys,
            ParsedSubject::JsKeys,
        ),
        (
            s.as_up(),
            "tern.as.up",
            SubjectKind::AsUp,
            ParsedSubject::AsUp,
        ),
        (
            s.as_session(),
            "tern.as.session",
            SubjectKind::AsSession,
            ParsedSubject::AsSession,
        ),
        (
            s.ns_queue(),
            "tern.ns.queue",
            SubjectKind::NsQueue,
            ParsedSubject::NsQueue,
        ),
        (
            s.ns_device(),
            "tern.ns.device",
            SubjectKind::NsDevice,
            ParsedSubject::NsDevice,
        ),
        (
            s.ns_gateway_status(),
            "tern.ns.gateway_status",
            SubjectKind::NsGatewayStatus,
            ParsedSubject::NsGatewayStatus,
        ),
        (
            s.as_device(),
            "tern.as.device",
            SubjectKind::AsDevice,
            ParsedSubject::AsDevice,
        ),
        (
            s.as_queue_invalidated(),
            "tern.as.queue.invalidated",
            SubjectKind::AsQueueInvalidated,
            ParsedSubject::AsQueueInvalidated,
        ),
        (
            s.as_downlink(),
            "tern.as.downlink",
            SubjectKind::AsDownlink,
            ParsedSubject::AsDownlink,
        ),
        (
            s.app_event("app-1", DEV_EUI, AppEvent::TxAck).unwrap(),
            "tern.app.app-1.70b3d57ed000abcd.txack",
            SubjectKind::AppEvent,
            ParsedSubject::AppEvent {
                application_id: "app-1".to_owned(),
                dev_eui: DEV_EUI,
                event: AppEvent::TxAck,
            },
        ),
        (
            s.app_down_push("app-1", DEV_EUI).unwrap(),
            "tern.app.app-1.70b3d57ed000abcd.down.push",
            SubjectKind::AppDownPush,
            ParsedSubject::AppDownPush {
                application_id: "app-1".to_owned(),
                dev_eui: DEV_EUI,
            },
        ),
        (
            s.registry("device", "70b3d57ed000abcd", RegistryAction::Deleted)
                .unwrap(),
            "tern.registry.device.70b3d57ed000abcd.deleted",
            SubjectKind::Registry,
            ParsedSubject::Registry {
                kind: "device".to_owned(),
                id: "70b3d57ed000abcd".to_owned(),
                action: RegistryAction::Deleted,
            },
        ),
    ];
    for (subject, expected, kind, parsed) in cases {
        assert_eq!(subject.as_str(), expected);
        assert_eq!(subject.to_string(), expected);
        assert_eq!(subject.kind(), kind, "{expected}");
        assert!(!subject.is_wildcard(), "{expected}");
        let parsed_back = s.parse(expected).unwrap();
        assert_eq!(parsed_back, parsed, "{expected}");
        assert_eq!(parsed_back.kind(), kind, "{expected}");
    }
}

#[test]
fn renders_wildcard_subjects_with_their_kind() {
    let s = Subjects::new("prod").unwrap();
    let cases: Vec<(Subject, &str, SubjectKind)> = vec![
        (s.gw_down_all(), "prod.gw.*.down", SubjectKind::GwDown),
        (s.gw_txack_all(), "prod.gw.*.txack", SubjectKind::GwTxAck),
        (s.gw_stats_all(), "prod.gw.*.stats", SubjectKind::GwStats),
        (s.gw_status_all(), "prod.gw.*.status", SubjectKind::GwStatus),
        (s.gw_claim_all(), "prod.gw.*.claim", SubjectKind::GwClaim),
        (s.app_event_all(), "prod.app.*.*.*", SubjectKind::AppEvent),
        (
            s.app_event_application("a1").unwrap(),
            "prod.app.a1.*.*",
            SubjectKind::AppEvent,
        ),
        (
            s.app_event_device("a1", DEV_EUI).unwrap(),
            "prod.app.a1.70b3d57ed000abcd.*",
            SubjectKind::AppEvent,
        ),
        (
            s.app_down_push_all(),
            "prod.app.*.*.down.push",
            SubjectKind::AppDownPush,
        ),
        (s.registry_all(), "prod.registry.>", SubjectKind::Registry),
        (
            s.registry_kind("gateway").unwrap(),
            "prod.registry.gateway.>",
            SubjectKind::Registry,
        ),
    ];
    for (subject, expected, kind) in cases {
        assert_eq!(subject.as_str(), expected);
        assert_eq!(subject.kind(), kind, "{expected}");
        assert!(subject.is_wildcard(), "{expected}");
    }
}

#[test]
fn renders_every_app_event_and_registry_action_token() {
    let s = subjects();
    let events = [
        "up", "join", "ack", "nack", "txack", "status", "location", "error",
    ];
    for (event, token) in AppEvent::ALL.into_iter().zip(events) {
        let subject = s.app_event("a", 1, event).unwrap();
        assert_eq!(
            subject.as_str(),
            format!("tern.app.a.0000000000000001.{token}")
        );
        let parsed = s.parse(subject.as_str()).unwrap();
        assert_eq!(
            parsed,
            ParsedSubject::AppEvent {
                application_id: "a".into(),
                dev_eui: 1,
                event
            }
        );
    }
    let actions = ["created", "updated", "deleted"];
    for (action, token) in RegistryAction::ALL.into_iter().zip(actions) {
        let subject = s.registry("gateway", "g1", action).unwrap();
        assert_eq!(
            subject.as_str(),
            format!("tern.registry.gateway.g1.{token}")
        );
        assert_eq!(
            s.parse(subject.as_str()).unwrap().kind(),
            SubjectKind::Registry
        );
    }
}

#[test]
fn kind_labels_are_distinct_and_contain_no_ids() {
    let kinds = [
        SubjectKind::Up,
        SubjectKind::GwDown,
        SubjectKind::GwTxAck,
        SubjectKind::GwStats,
        SubjectKind::GwStatus,
        SubjectKind::GwClaim,
        SubjectKind::JsJoin,
        SubjectKind::JsKeys,
        SubjectKind::AsUp,
        SubjectKind::AsSession,
        SubjectKind::NsQueue,
        SubjectKind::NsDevice,
        SubjectKind::NsGatewayStatus,
        SubjectKind::AsDevice,
        SubjectKind::AsQueueInvalidated,
        SubjectKind::AsDownlink,
        SubjectKind::AppEvent,
        SubjectKind::AppDownPush,
        SubjectKind::Registry,
    ];
    let labels: std::collections::HashSet<&str> = kinds.iter().map(|k| k.as_str()).collect();
    assert_eq!(labels.len(), kinds.len());
    assert_eq!(subjects().gw_down(GATEWAY_EUI).kind().as_str(), "gw.down");
}

#[test]
fn rejects_bad_tokens_with_reason() {
    let cases = [
        ("", InvalidTokenReason::Empty),
        ("a.b", InvalidTokenReason::Separator),
        (".", InvalidTokenReason::Separator),
        ("*", InvalidTokenReason::Wildcard),
        ("app>", InvalidTokenReason::Wildcard),
        ("my app", InvalidTokenReason::Whitespace),
        ("app\t1", InvalidTokenReason::Whitespace),
        ("app\n", InvalidTokenReason::Whitespace),
        ("app\u{0}", InvalidTokenReason::Whitespace),
    ];
    let s = subjects();
    for (token, reason) in cases {
        let expect = |res: Result<Subject>, what: &str| match res {
            Err(Error::InvalidToken {
                token: got,
                reason: got_reason,
            }) => {
                assert_eq!(
                    (got.as_str(), got_reason),
                    (token, reason),
                    "{what} {token:?}"
                );
            }
            other => panic!("{what} {token:?}: expected InvalidToken, got {other:?}"),
        };
        expect(Subjects::new(token).map(|s| s.up()), "root");
        expect(s.app_event(token, 1, AppEvent::Up), "app_event");
        expect(s.app_event_application(token), "app_event_application");
        expect(s.app_event_device(token, 1), "app_event_device");
        expect(s.app_down_push(token, 1), "app_down_push");
        expect(
            s.registry(token, "id", RegistryAction::Created),
            "registry kind",
        );
        expect(
            s.registry("device", token, RegistryAction::Created),
            "registry id",
        );
        expect(s.registry_kind(token), "registry_kind");
    }
}

#[test]
fn accepts_ordinary_ids() {
    for token in [
        "tern",
        "test_0123abcd",
        "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "Ünïcode",
    ] {
        assert!(validate_token(token).is_ok(), "{token}");
    }
}

#[test]
fn parse_refuses_foreign_and_malformed_subjects() {
    let s = subjects();
    let cases = [
        "other.up",                            // another root
        "ternx.up",                            // root prefix without separator
        "tern",                                // root alone
        "tern.down",                           // unknown leaf
        "tern.gw.0102030405060708.beacon",     // unknown gateway leaf
        "tern.gw.0102030405060708.down.extra", // too many tokens
        "tern.gw.01020304050607.down",         // short EUI
        "tern.gw.0102030405O60708.down",       // not hex
        "tern.gw.01020304050607AB.down",       // uppercase is not canonical
        "tern.gw.*.down",                      // wildcard is not a concrete subject
        "tern.app.a.70b3d57ed000abcd.sneeze",  // unknown event
        "tern.app.*.70b3d57ed000abcd.up",      // wildcard id
        "tern.registry.device.x.renamed",      // unknown action
        "tern.registry.device.x",              // missing action
    ];
    for subject in cases {
        match s.parse(subject) {
            Err(Error::UnknownSubject { subject: got }) => assert_eq!(got, subject),
            other => panic!("{subject}: expected UnknownSubject, got {other:?}"),
        }
    }
}

#[test]
fn default_root_is_tern() {
    assert_eq!(Subjects::default().root(), "tern");
    assert_eq!(
        Subjects::default(),
        Subjects::new(Subjects::DEFAULT_ROOT).unwrap()
    );
}
