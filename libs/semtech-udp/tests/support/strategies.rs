//! Test support: proptest strategies for every public value that goes on the wire.
//!
//! Strategies produce only values that encode (finite floats, whole-kHz bandwidths, FSK with
//! `fdev`), so `decode(encode(x)) == x` can be asserted for all of them.

// Each test crate that includes this file uses a different part of it.
#![allow(dead_code)]

use proptest::collection::vec;
use proptest::num::f64 as f64s;
use proptest::prelude::*;
use proptest::sample::select;
use semtech_udp::{
    Ack, CodingRate, CrcStatus, DataRate, Datagram, GatewayEui, ProtocolVersion, PullData,
    PullResp, PushData, Rsig, Rxpk, Stat, Token, TxAck, TxAckCode, TxAckValue, Txpk, TxpkAck,
    hz_to_mhz,
};

pub fn finite() -> impl Strategy<Value = f64> {
    f64s::POSITIVE | f64s::NEGATIVE | f64s::NORMAL | f64s::SUBNORMAL | f64s::ZERO
}

pub fn frequency() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u64..3_000_000_000).prop_map(hz_to_mhz),
        f64s::POSITIVE | f64s::NORMAL | f64s::SUBNORMAL | f64s::ZERO,
    ]
}

pub fn text() -> impl Strategy<Value = String> {
    any::<String>().prop_filter("non-empty", |text| !text.is_empty())
}

pub fn header() -> impl Strategy<Value = (ProtocolVersion, Token)> {
    (
        prop_oneof![Just(ProtocolVersion::V1), Just(ProtocolVersion::V2)],
        any::<u16>().prop_map(Token),
    )
}

pub fn gateway_eui() -> impl Strategy<Value = GatewayEui> {
    any::<[u8; 8]>().prop_map(GatewayEui)
}

pub fn data_rate() -> impl Strategy<Value = DataRate> {
    prop_oneof![
        (5u8..=12, 1u32..=4_000_000).prop_map(|(spreading_factor, khz)| DataRate::Lora {
            spreading_factor,
            bandwidth_hz: khz * 1000,
        }),
        (1u32..).prop_map(|bit_rate| DataRate::Fsk { bit_rate }),
        (any::<u8>(), 1u32..=4_000_000).prop_map(|(modulation_type, khz)| DataRate::LrFhss {
            modulation_type,
            operating_channel_width_hz: khz * 1000,
        }),
    ]
}

pub fn coding_rate() -> impl Strategy<Value = CodingRate> {
    prop_oneof![
        Just(CodingRate::Off),
        (1u8..=8)
            .prop_flat_map(|k| (Just(k), k + 1..=9, any::<bool>()))
            .prop_map(|(k, n, long_interleaving)| CodingRate::Ratio {
                k,
                n,
                long_interleaving
            }),
    ]
}

pub fn rsig() -> impl Strategy<Value = Rsig> {
    (
        (
            any::<Option<u8>>(),
            any::<Option<u8>>(),
            any::<Option<i16>>(),
            any::<Option<i16>>(),
        ),
        (
            any::<Option<u16>>(),
            proptest::option::of(finite()),
            any::<Option<Vec<u8>>>(),
        ),
        (
            any::<Option<i64>>(),
            any::<Option<i32>>(),
            any::<Option<i32>>(),
        ),
        (
            any::<Option<u32>>(),
            any::<Option<u32>>(),
            any::<Option<i32>>(),
        ),
    )
        .prop_map(
            |(
                (ant, chan, rssic, rssis),
                (rssisd, lsnr, etime),
                (ftime, foff, ft2d),
                (rfbsb, rs2s1, fdri),
            )| Rsig {
                ant,
                chan,
                rssic,
                rssis,
                rssisd,
                lsnr,
                etime,
                ftime,
                foff,
                ft2d,
                rfbsb,
                rs2s1,
                fdri,
            },
        )
}

pub fn rxpk() -> impl Strategy<Value = Rxpk> {
    (
        (
            proptest::option::of(text()),
            any::<Option<u64>>(),
            any::<u32>(),
            any::<Option<u32>>(),
        ),
        (
            frequency(),
            any::<Option<u8>>(),
            any::<Option<u8>>(),
            any::<Option<u32>>(),
        ),
        (
            any::<Option<u8>>(),
            any::<Option<u32>>(),
            select(vec![CrcStatus::Ok, CrcStatus::Bad, CrcStatus::NoCrc]),
        ),
        (
            data_rate(),
            proptest::option::of(coding_rate()),
            any::<Option<u8>>(),
        ),
        (
            any::<Option<i16>>(),
            any::<Option<i16>>(),
            proptest::option::of(finite()),
            any::<Option<i32>>(),
        ),
        (vec(any::<u8>(), 0..64), vec(rsig(), 0..3)),
    )
        .prop_map(
            |(
                (time, tmms, tmst, ftime),
                (freq, chan, rfch, brd),
                (mid, aesk, stat),
                (datr, codr, hpw),
                (rssi, rssis, lsnr, foff),
                (data, rsig),
            )| Rxpk {
                time,
                tmms,
                tmst,
                ftime,
                freq,
                chan,
                rfch,
                brd,
                mid,
                aesk,
                stat,
                datr,
                codr,
                hpw,
                rssi,
                rssis,
                lsnr,
                foff,
                data,
                rsig,
            },
        )
}

pub fn stat() -> impl Strategy<Value = Stat> {
    (
        (
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::option::of(finite()),
            proptest::option::of(finite()),
        ),
        (
            any::<Option<i32>>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            finite(),
            any::<u32>(),
            any::<u32>(),
        ),
        (
            proptest::option::of(finite()),
            any::<Option<u32>>(),
            any::<Option<u32>>(),
            any::<Option<u32>>(),
        ),
        (
            any::<Option<u32>>(),
            any::<Option<u32>>(),
            any::<Option<u32>>(),
            any::<Option<String>>(),
        ),
    )
        .prop_map(
            |(
                (time, boot, lati, long),
                (alti, rxnb, rxok, rxfw, ackr, dwnb, txnb),
                (temp, lmok, lmst, lmnw),
                (lpps, fpga, dsp, hal),
            )| Stat {
                time,
                boot,
                lati,
                long,
                alti,
                rxnb,
                rxok,
                rxfw,
                ackr,
                dwnb,
                txnb,
                temp,
                lmok,
                lmst,
                lmnw,
                lpps,
                fpga,
                dsp,
                hal,
            },
        )
}

pub fn txpk() -> impl Strategy<Value = Txpk> {
    (
        (
            any::<bool>(),
            any::<Option<u32>>(),
            any::<Option<u64>>(),
            proptest::option::of(text()),
        ),
        (
            frequency(),
            any::<u8>(),
            any::<Option<i8>>(),
            any::<Option<u8>>(),
            any::<Option<u32>>(),
        ),
        (
            data_rate(),
            proptest::option::of(coding_rate()),
            any::<Option<u32>>(),
        ),
        (
            any::<bool>(),
            any::<Option<u16>>(),
            any::<bool>(),
            any::<bool>(),
            vec(any::<u8>(), 0..64),
        ),
    )
        .prop_map(
            |(
                (imme, tmst, tmms, time),
                (freq, rfch, powe, ant, brd),
                (datr, codr, fdev),
                (ipol, prea, ncrc, nhdr, data),
            )| {
                // The forwarder requires fdev for FSK, so encode refuses a txpk without it.
                let fdev = match datr {
                    DataRate::Fsk { .. } => Some(fdev.unwrap_or(5_000)),
                    _ => fdev,
                };
                Txpk {
                    imme,
                    tmst,
                    tmms,
                    time,
                    freq,
                    rfch,
                    powe,
                    ant,
                    brd,
                    datr,
                    codr,
                    fdev,
                    ipol,
                    prea,
                    ncrc,
                    nhdr,
                    data,
                }
            },
        )
}

pub fn tx_ack_code() -> impl Strategy<Value = TxAckCode> {
    prop_oneof![
        select(vec![
            "NONE",
            "TOO_LATE",
            "TOO_EARLY",
            "FULL",
            "EMPTY",
            "COLLISION_PACKET",
            "COLLISION_BEACON",
            "TX_FREQ",
            "TX_POWER",
            "GPS_UNLOCKED"
        ])
        .prop_map(TxAckCode::parse),
        any::<String>().prop_map(|text| TxAckCode::parse(&text)),
    ]
}

pub fn txpk_ack() -> impl Strategy<Value = TxpkAck> {
    (
        proptest::option::of(tx_ack_code()),
        proptest::option::of(tx_ack_code()),
        proptest::option::of(prop_oneof![
            finite().prop_map(TxAckValue::Number),
            any::<String>().prop_map(TxAckValue::Text),
        ]),
    )
        .prop_map(|(error, warn, value)| TxpkAck { error, warn, value })
}

pub fn datagram() -> impl Strategy<Value = Datagram> {
    prop_oneof![
        (
            header(),
            gateway_eui(),
            vec(rxpk(), 0..4),
            proptest::option::of(stat())
        )
            .prop_map(
                |((version, token), gateway_eui, rxpk, stat)| Datagram::PushData(PushData {
                    version,
                    token,
                    gateway_eui,
                    rxpk,
                    stat,
                    rejected: vec![],
                })
            ),
        header().prop_map(|(version, token)| Datagram::PushAck(Ack { version, token })),
        (header(), gateway_eui()).prop_map(|((version, token), gateway_eui)| {
            Datagram::PullData(PullData {
                version,
                token,
                gateway_eui,
            })
        }),
        (header(), txpk()).prop_map(|((version, token), txpk)| Datagram::PullResp(PullResp {
            version,
            token,
            txpk
        })),
        header().prop_map(|(version, token)| Datagram::PullAck(Ack { version, token })),
        (header(), gateway_eui(), proptest::option::of(txpk_ack())).prop_map(
            |((version, token), gateway_eui, txpk_ack)| Datagram::TxAck(TxAck {
                version,
                token,
                gateway_eui,
                txpk_ack,
            })
        ),
    ]
}
