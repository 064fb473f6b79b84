//! Exact encodings of datagrams a network server and a virtual gateway build, pinned byte for
//! byte: field order, numbers as numbers, `datr` as a string for LoRa and a number for FSK.

use semtech_udp::{
    Ack, CodingRate, CrcStatus, DataRate, Datagram, Error, GatewayEui, MAX_DATAGRAM_LEN,
    ProtocolVersion, PullData, PullResp, PushData, Rxpk, Token, TxAck, TxAckCode, Txpk, TxpkAck,
    hz_to_mhz,
};

fn lora(spreading_factor: u8) -> DataRate {
    DataRate::Lora {
        spreading_factor,
        bandwidth_hz: 125_000,
    }
}

fn class_a_txpk() -> Txpk {
    // Field values of ChirpStack pull_resp_test.go TestGetPullRespPacket "delay timing - lora".
    Txpk {
        imme: false,
        tmst: Some(2_000_000),
        tmms: None,
        time: None,
        freq: hz_to_mhz(868_100_000),
        rfch: 0,
        powe: Some(14),
        ant: Some(2),
        brd: Some(1),
        datr: DataRate::Lora {
            spreading_factor: 12,
            bandwidth_hz: 125_000,
        },
        codr: Some(CodingRate::lora(5)),
        fdev: None,
        ipol: true,
        prea: None,
        ncrc: false,
        nhdr: false,
        data: vec![1, 2, 3, 4],
    }
}

fn pull_resp(txpk: Txpk) -> Datagram {
    Datagram::PullResp(PullResp {
        version: ProtocolVersion::V2,
        token: Token(0x04d2),
        txpk,
    })
}

fn json_after(bytes: &[u8], header_len: usize) -> &str {
    std::str::from_utf8(&bytes[header_len..]).unwrap()
}

#[test]
fn encodes_pull_resp_txpk_exactly_as_forwarders_expect() {
    let fsk = Txpk {
        datr: DataRate::Fsk { bit_rate: 50_000 },
        codr: None,
        fdev: Some(25_000),
        ipol: false,
        ..class_a_txpk()
    };
    let class_b = Txpk {
        tmst: None,
        tmms: Some(5_000),
        ..class_a_txpk()
    };
    let class_c = Txpk {
        imme: true,
        tmst: None,
        ant: None,
        brd: None,
        freq: hz_to_mhz(869_525_000),
        datr: lora(9),
        ncrc: true,
        prea: Some(8),
        ..class_a_txpk()
    };
    let cases = [
        (
            class_a_txpk(),
            r#"{"txpk":{"imme":false,"tmst":2000000,"freq":868.1,"rfch":0,"powe":14,"ant":2,"brd":1,"modu":"LORA","datr":"SF12BW125","codr":"4/5","ipol":true,"size":4,"data":"AQIDBA=="}}"#,
        ),
        (
            fsk,
            r#"{"txpk":{"imme":false,"tmst":2000000,"freq":868.1,"rfch":0,"powe":14,"ant":2,"brd":1,"modu":"FSK","datr":50000,"fdev":25000,"ipol":false,"size":4,"data":"AQIDBA=="}}"#,
        ),
        (
            class_b,
            r#"{"txpk":{"imme":false,"tmms":5000,"freq":868.1,"rfch":0,"powe":14,"ant":2,"brd":1,"modu":"LORA","datr":"SF12BW125","codr":"4/5","ipol":true,"size":4,"data":"AQIDBA=="}}"#,
        ),
        (
            class_c,
            r#"{"txpk":{"imme":true,"freq":869.525,"rfch":0,"powe":14,"modu":"LORA","datr":"SF9BW125","codr":"4/5","ipol":true,"prea":8,"size":4,"data":"AQIDBA==","ncrc":true}}"#,
        ),
    ];
    for (txpk, expected) in cases {
        let bytes = pull_resp(txpk).encode().unwrap();
        assert_eq!(bytes[..4], [2, 0x04, 0xd2, 3]);
        assert_eq!(json_after(&bytes, 4), expected);
    }
}

#[test]
fn encodes_push_data_for_virtual_gateways() {
    // First rxpk of PROTOCOL.TXT §4 with a payload that is valid base64.
    let rxpk = Rxpk {
        time: Some("2013-03-31T16:21:17.528002Z".into()),
        tmms: None,
        tmst: 3_512_348_611,
        ftime: None,
        freq: 866.349812,
        chan: Some(2),
        rfch: Some(0),
        brd: None,
        mid: None,
        aesk: None,
        stat: CrcStatus::Ok,
        datr: lora(7),
        codr: Some(CodingRate::lora(6)),
        hpw: None,
        rssi: Some(-35),
        rssis: None,
        lsnr: Some(5.1),
        foff: None,
        data: vec![0x40, 0x01],
        rsig: vec![],
    };
    let datagram = Datagram::PushData(PushData {
        version: ProtocolVersion::V2,
        token: Token(0xbeef),
        gateway_eui: GatewayEui::from_u64(0x0016_c001_ff10_a235),
        rxpk: vec![rxpk],
        stat: None,
        rejected: vec![],
    });
    let bytes = datagram.encode().unwrap();
    assert_eq!(
        bytes[..12],
        [
            2, 0xbe, 0xef, 0, 0x00, 0x16, 0xc0, 0x01, 0xff, 0x10, 0xa2, 0x35
        ]
    );
    assert_eq!(
        json_after(&bytes, 12),
        r#"{"rxpk":[{"time":"2013-03-31T16:21:17.528002Z","tmst":3512348611,"chan":2,"rfch":0,"freq":866.349812,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/6","rssi":-35,"lsnr":5.1,"size":2,"data":"QAE="}]}"#
    );
}

#[test]
fn ack_helpers_echo_version_and_token() {
    let push_data = Datagram::PushData(PushData {
        version: ProtocolVersion::V1,
        token: Token(0xa1b2),
        ..PushData::default()
    });
    assert_eq!(push_data.ack_bytes(), Some([1, 0xa1, 0xb2, 1]));
    assert_eq!(
        push_data.ack(),
        Some(Datagram::PushAck(Ack {
            version: ProtocolVersion::V1,
            token: Token(0xa1b2)
        }))
    );
    let pull_data = Datagram::PullData(PullData {
        version: ProtocolVersion::V2,
        token: Token(0x0102),
        gateway_eui: GatewayEui::default(),
    });
    assert_eq!(pull_data.ack_bytes(), Some([2, 1, 2, 4]));
    assert_eq!(pull_data.ack().unwrap().encode().unwrap(), [2, 1, 2, 4]);
    let tx_ack = Datagram::TxAck(TxAck::default());
    assert_eq!(tx_ack.ack(), None);
    assert_eq!(tx_ack.ack_bytes(), None);
    assert_eq!(pull_resp(class_a_txpk()).ack(), None);
}

#[test]
fn encodes_tx_ack_with_and_without_json() {
    let accepted = TxAck {
        version: ProtocolVersion::V2,
        token: Token(7),
        gateway_eui: GatewayEui::from_u64(1),
        txpk_ack: None,
    };
    assert_eq!(
        Datagram::TxAck(accepted.clone()).encode().unwrap(),
        [2, 0, 7, 5, 0, 0, 0, 0, 0, 0, 0, 1]
    );
    let too_late = TxAck {
        txpk_ack: Some(TxpkAck {
            error: Some(TxAckCode::TooLate),
            ..TxpkAck::default()
        }),
        ..accepted
    };
    let bytes = Datagram::TxAck(too_late).encode().unwrap();
    assert_eq!(
        json_after(&bytes, 12),
        r#"{"txpk_ack":{"error":"TOO_LATE"}}"#
    );
}

#[test]
fn encode_into_appends_and_leaves_buffer_untouched_on_error() {
    let mut out = vec![0xff];
    Datagram::PushAck(Ack {
        version: ProtocolVersion::V2,
        token: Token(3),
    })
    .encode_into(&mut out)
    .unwrap();
    assert_eq!(out, [0xff, 2, 0, 3, 1]);

    let cases = [
        (
            Txpk {
                freq: f64::NAN,
                ..class_a_txpk()
            },
            Error::NonFiniteNumber { field: "txpk.freq" },
        ),
        (
            Txpk {
                freq: -1.0,
                ..class_a_txpk()
            },
            Error::InvalidFrequency,
        ),
        (
            Txpk {
                datr: DataRate::Lora {
                    spreading_factor: 7,
                    bandwidth_hz: 62_500,
                },
                ..class_a_txpk()
            },
            Error::InvalidDataRate("Lora { spreading_factor: 7, bandwidth_hz: 62500 }".into()),
        ),
        (
            Txpk {
                datr: DataRate::Fsk { bit_rate: 50_000 },
                fdev: None,
                ..class_a_txpk()
            },
            Error::MissingField {
                object: "txpk",
                field: "fdev",
            },
        ),
        (
            Txpk {
                codr: Some(CodingRate::Ratio {
                    k: 5,
                    n: 4,
                    long_interleaving: false,
                }),
                ..class_a_txpk()
            },
            Error::InvalidCodingRate("5/4".into()),
        ),
    ];
    for (txpk, expected) in cases {
        let mut out = vec![0xff];
        assert_eq!(
            pull_resp(txpk).encode_into(&mut out),
            Err(expected.clone()),
            "{expected}"
        );
        assert_eq!(out, [0xff]);
    }
}

#[test]
fn encode_rejects_datagrams_beyond_the_size_limit() {
    let rxpk = Rxpk::parse_json(r#"{"tmst":1,"freq":868.1,"stat":1,"datr":"SF7BW125","data":""}"#)
        .unwrap();
    let big = Rxpk {
        data: vec![0xa5; 255],
        ..rxpk
    };
    let datagram = Datagram::PushData(PushData {
        rxpk: vec![big; 200],
        ..PushData::default()
    });
    let mut out = Vec::new();
    let res = datagram.encode_into(&mut out);
    assert!(
        matches!(res, Err(Error::TooLong { max: MAX_DATAGRAM_LEN, got }) if got > MAX_DATAGRAM_LEN),
        "{res:?}"
    );
    assert!(out.is_empty());
}
