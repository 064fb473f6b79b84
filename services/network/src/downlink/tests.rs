//! Table tests of downlink planning: what one downlink carries and how counters move.

use lorawan_codec::{Aes128Key, LinkCheckAnsPayload, MType, Payload, PhyPayload};

use super::*;
use crate::queue::member;

const DEV_ADDR: u32 = 0x2601_1234;

fn keys() -> SessionKeys {
    let key = Aes128Key::from_bytes([5; 16]);
    SessionKeys {
        f_nwk_s_int_key: key,
        s_nwk_s_int_key: key,
        nwk_s_enc_key: key,
    }
}

fn session(n_f_cnt_down: u32, a_f_cnt_down: u32) -> pb::DeviceSession {
    pb::DeviceSession {
        dev_addr: DEV_ADDR,
        n_f_cnt_down,
        a_f_cnt_down,
        ..pb::DeviceSession::default()
    }
}

fn queued(id: &str, f_cnt_down: u32, len: usize, confirmed: bool) -> QueuedItem {
    let item = pb::DownlinkQueueItem {
        id: id.to_owned(),
        dev_addr: DEV_ADDR,
        f_cnt_down,
        f_port: 7,
        frm_payload: vec![0xab; len].into(),
        confirmed,
        ..pb::DownlinkQueueItem::default()
    };
    QueuedItem {
        member: member(&item),
        item,
    }
}

fn opportunity(queue: &[QueuedItem]) -> Opportunity<'_> {
    Opportunity {
        queue,
        commands: Vec::new(),
        ack_of: None,
        force: false,
        max_payload: 51,
        lorawan_1_1: None,
        now_unix_ns: 1_000,
    }
}

fn decode(phy_payload: &[u8]) -> (MType, lorawan_codec::MacPayload) {
    let frame = PhyPayload::decode(phy_payload).unwrap();
    let Payload::MacPayload(mac) = frame.payload else {
        panic!("not a data frame");
    };
    (frame.mhdr.m_type, mac)
}

fn link_check() -> MacCommand {
    MacCommand::LinkCheckAns(LinkCheckAnsPayload {
        margin: 10,
        gw_cnt: 1,
    })
}

#[test]
fn nothing_to_send_plans_nothing() {
    let mut session = session(3, 0);
    let planned = plan(&mut session, &keys(), opportunity(&[])).unwrap();
    assert_eq!(planned, Planned::default());
    assert_eq!(session.n_f_cnt_down, 3);
}

#[test]
fn an_ack_alone_uses_and_advances_the_network_counter() {
    let mut session = session(3, 0);
    let planned = plan(
        &mut session,
        &keys(),
        Opportunity {
            ack_of: Some(9),
            ..opportunity(&[])
        },
    )
    .unwrap();
    let plan = planned.plan.unwrap();
    assert_eq!(plan.kind, "ack");
    let (m_type, mac) = decode(&plan.phy_payload);
    assert_eq!(m_type, MType::UnconfirmedDataDown);
    assert!(mac.fhdr().f_ctrl.ack);
    assert_eq!(mac.fhdr().f_cnt, 3);
    assert_eq!(session.n_f_cnt_down, 4);
}

#[test]
fn the_head_item_goes_with_the_commands_that_fit_and_fpending_when_more_waits() {
    let queue = [queued("a", 5, 10, true), queued("b", 6, 10, false)];
    let mut session = session(5, 0);
    let planned = plan(
        &mut session,
        &keys(),
        Opportunity {
            commands: vec![link_check()],
            ack_of: Some(2),
            ..opportunity(&queue)
        },
    )
    .unwrap();
    let plan = planned.plan.unwrap();
    assert_eq!(plan.kind, "application_confirmed");
    assert_eq!(plan.item.as_ref().unwrap().item.id, "a");
    assert_eq!(plan.commands, [link_check()]);
    let (m_type, mac) = decode(&plan.phy_payload);
    assert_eq!(m_type, MType::ConfirmedDataDown);
    assert!(mac.fhdr().f_ctrl.ack);
    assert!(mac.fhdr().f_ctrl.f_pending);
    assert_eq!(mac.fhdr().f_cnt, 5);
    assert_eq!(mac.f_port(), Some(7));
    assert_eq!(mac.fhdr().f_opts.as_bytes().len(), 3);
    assert_eq!(session.n_f_cnt_down, 6);
    let pending = session.pending_confirmed.unwrap();
    assert_eq!(pending.item.unwrap().attempts, 1);
    assert!(planned.stale.is_empty());
}

#[test]
fn a_1_1_item_moves_only_the_application_counter() {
    let queue = [queued("a", 2, 4, false)];
    let mut session = session(10, 2);
    let planned = plan(
        &mut session,
        &keys(),
        Opportunity {
            lorawan_1_1: Some(FOptsScheme::Errata),
            ..opportunity(&queue)
        },
    )
    .unwrap();
    assert_eq!(planned.plan.unwrap().kind, "application");
    assert_eq!((session.n_f_cnt_down, session.a_f_cnt_down), (10, 3));
}

#[test]
fn an_item_too_large_for_the_window_waits_and_a_1_0_mac_frame_makes_it_stale() {
    let queue = [queued("big", 4, 60, false)];
    let mut session = session(4, 0);
    let planned = plan(
        &mut session,
        &keys(),
        Opportunity {
            commands: vec![link_check()],
            ..opportunity(&queue)
        },
    )
    .unwrap();
    let plan = planned.plan.unwrap();
    assert_eq!(plan.kind, "mac");
    assert!(plan.item.is_none());
    let (_, mac) = decode(&plan.phy_payload);
    assert_eq!(mac.fhdr().f_cnt, 4);
    assert_eq!(
        planned
            .stale
            .iter()
            .map(|q| q.item.id.as_str())
            .collect::<Vec<_>>(),
        ["big"]
    );
}

#[test]
fn items_behind_the_counter_are_stale_expired_ones_dropped_and_other_sessions_kept() {
    let mut expired = queued("expired", 9, 1, false);
    expired.item.expires_at_unix_ns = Some(999);
    let mut other = queued("other", 0, 1, false);
    other.item.dev_addr = 0x0100_0001;
    let queue = [
        queued("old", 2, 1, false),
        expired,
        other,
        queued("ok", 8, 1, false),
    ];
    let mut session = session(8, 0);
    let planned = plan(&mut session, &keys(), opportunity(&queue)).unwrap();
    assert_eq!(planned.plan.unwrap().item.unwrap().item.id, "ok");
    assert_eq!(planned.stale[0].item.id, "old");
    assert_eq!(planned.expired[0].item.id, "expired");
    assert_eq!((planned.stale.len(), planned.expired.len()), (1, 1));
}

#[test]
fn commands_beyond_fopts_go_on_port_zero() {
    let commands = vec![link_check(); 6]; // 18 bytes
    let mut session = session(0, 0);
    let planned = plan(
        &mut session,
        &keys(),
        Opportunity {
            commands: commands.clone(),
            ..opportunity(&[])
        },
    )
    .unwrap();
    let plan = planned.plan.unwrap();
    assert_eq!(plan.commands, commands);
    let (_, mac) = decode(&plan.phy_payload);
    assert_eq!(mac.f_port(), Some(0));
    assert!(mac.fhdr().f_opts.is_empty());
    assert_eq!(mac.frm_payload().len(), 18);
}
