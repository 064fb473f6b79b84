//! Test support: a flat JSON view of decoded datagrams, and a subset comparison.
//!
//! Vector files state only the facts they care about; [`assert_subset`] checks those keys
//! against the view and ignores the rest. The view is test-only and is not a wire format.

// Each test crate that includes this file uses a different part of it.
#![allow(dead_code)]

use semtech_udp::{
    CodingRate, CrcStatus, DataRate, Datagram, RejectedObject, Rsig, Rxpk, Stat, TxAckValue, Txpk,
    TxpkAck,
};
use serde_json::{Value, json};

/// Builds the view of a datagram.
pub fn datagram_view(datagram: &Datagram) -> Value {
    let mut view = json!({
        "version": match datagram.version() {
            semtech_udp::ProtocolVersion::V1 => 1,
            semtech_udp::ProtocolVersion::V2 => 2,
        },
        "token": datagram.token().0,
        "gateway_eui": datagram.gateway_eui().map(|eui| eui.to_string()),
        "ack": datagram.ack_bytes().map(hex::encode),
    });
    let extra = match datagram {
        Datagram::PushData(push_data) => json!({
            "kind": "push_data",
            "rxpk": push_data.rxpk.iter().map(rxpk_view).collect::<Vec<_>>(),
            "stat": push_data.stat.as_ref().map(stat_view),
            "rejected": push_data.rejected.iter().map(|rejected| {
                let mut view = json!({ "reason": rejected.error.reason() });
                match rejected.object {
                    RejectedObject::Rxpk { index } => {
                        view["object"] = json!("rxpk");
                        view["index"] = json!(index);
                    }
                    RejectedObject::Stat => view["object"] = json!("stat"),
                }
                view
            }).collect::<Vec<_>>(),
        }),
        Datagram::PushAck(_) => json!({ "kind": "push_ack" }),
        Datagram::PullAck(_) => json!({ "kind": "pull_ack" }),
        Datagram::PullData(_) => json!({ "kind": "pull_data" }),
        Datagram::PullResp(pull_resp) => json!({
            "kind": "pull_resp",
            "txpk": txpk_view(&pull_resp.txpk),
        }),
        Datagram::TxAck(tx_ack) => json!({
            "kind": "tx_ack",
            "txpk_ack": tx_ack.txpk_ack.as_ref().map(txpk_ack_view),
            "rejection": tx_ack.rejection().map(|code| code.as_str()),
        }),
    };
    merge(&mut view, extra);
    view
}

fn merge(view: &mut Value, extra: Value) {
    if let (Some(view), Value::Object(extra)) = (view.as_object_mut(), extra) {
        view.extend(extra);
    }
}

fn datr_view(datr: &DataRate) -> Value {
    let mut view = json!({
        "datr": datr.to_string(),
        "modulation": datr.modulation().as_str(),
    });
    let extra = match *datr {
        DataRate::Lora {
            spreading_factor,
            bandwidth_hz,
        } => json!({
            "spreading_factor": spreading_factor,
            "bandwidth_hz": bandwidth_hz,
        }),
        DataRate::Fsk { bit_rate } => json!({ "bit_rate": bit_rate }),
        DataRate::LrFhss {
            modulation_type,
            operating_channel_width_hz,
        } => json!({
            "modulation_type": modulation_type,
            "operating_channel_width_hz": operating_channel_width_hz,
        }),
    };
    merge(&mut view, extra);
    view
}

fn codr_view(codr: Option<CodingRate>) -> Value {
    json!(codr.map(|codr| codr.to_string()))
}

/// Builds the view of an rxpk.
pub fn rxpk_view(rxpk: &Rxpk) -> Value {
    let mut view = json!({
        "time": rxpk.time,
        "time_unix": rxpk.parse_time().ok().flatten().map(|t| json!([t.unix_seconds, t.nanos])),
        "tmms": rxpk.tmms,
        "tmst": rxpk.tmst,
        "ftime": rxpk.ftime,
        "freq_hz": rxpk.freq_hz(),
        "chan": rxpk.chan,
        "rfch": rxpk.rfch,
        "brd": rxpk.brd,
        "mid": rxpk.mid,
        "aesk": rxpk.aesk,
        "crc": match rxpk.stat {
            CrcStatus::Ok => "ok",
            CrcStatus::Bad => "bad",
            CrcStatus::NoCrc => "no_crc",
        },
        "codr": codr_view(rxpk.codr),
        "hpw": rxpk.hpw,
        "rssi": rxpk.rssi,
        "rssis": rxpk.rssis,
        "lsnr": rxpk.lsnr,
        "foff": rxpk.foff,
        "data": hex::encode(&rxpk.data),
        "rsig": rxpk.rsig.iter().map(rsig_view).collect::<Vec<_>>(),
    });
    merge(&mut view, datr_view(&rxpk.datr));
    view
}

fn rsig_view(rsig: &Rsig) -> Value {
    json!({
        "ant": rsig.ant,
        "chan": rsig.chan,
        "rssic": rsig.rssic,
        "rssis": rsig.rssis,
        "rssisd": rsig.rssisd,
        "lsnr": rsig.lsnr,
        "etime": rsig.etime.as_ref().map(hex::encode),
        "ftime": rsig.ftime,
        "foff": rsig.foff,
        "ft2d": rsig.ft2d,
        "rfbsb": rsig.rfbsb,
        "rs2s1": rsig.rs2s1,
        "fdri": rsig.fdri,
    })
}

fn stat_view(stat: &Stat) -> Value {
    json!({
        "time": stat.time,
        "time_unix": stat.parse_time().ok().flatten().map(|t| json!([t.unix_seconds, t.nanos])),
        "boot": stat.boot,
        "lati": stat.lati,
        "long": stat.long,
        "alti": stat.alti,
        "rxnb": stat.rxnb,
        "rxok": stat.rxok,
        "rxfw": stat.rxfw,
        "ackr": stat.ackr,
        "dwnb": stat.dwnb,
        "txnb": stat.txnb,
        "temp": stat.temp,
        "hal": stat.hal,
    })
}

fn txpk_view(txpk: &Txpk) -> Value {
    let mut view = json!({
        "imme": txpk.imme,
        "tmst": txpk.tmst,
        "tmms": txpk.tmms,
        "freq_hz": txpk.freq_hz(),
        "rfch": txpk.rfch,
        "powe": txpk.powe,
        "ant": txpk.ant,
        "brd": txpk.brd,
        "codr": codr_view(txpk.codr),
        "fdev": txpk.fdev,
        "ipol": txpk.ipol,
        "prea": txpk.prea,
        "ncrc": txpk.ncrc,
        "nhdr": txpk.nhdr,
        "data": hex::encode(&txpk.data),
    });
    merge(&mut view, datr_view(&txpk.datr));
    view
}

fn txpk_ack_view(ack: &TxpkAck) -> Value {
    json!({
        "error": ack.error.as_ref().map(|code| code.as_str()),
        "warn": ack.warn.as_ref().map(|code| code.as_str()),
        "value": match &ack.value {
            Some(TxAckValue::Number(number)) => json!(number),
            Some(TxAckValue::Text(text)) => json!(text),
            None => Value::Null,
        },
    })
}

/// Asserts that every key of `expected` is in `actual` with an equal value; numbers compare
/// as f64 and arrays must have the same length.
pub fn assert_subset(expected: &Value, actual: &Value, path: &str) {
    match (expected, actual) {
        (Value::Object(expected), Value::Object(actual)) => {
            for (key, expected_value) in expected {
                let actual_value = actual
                    .get(key)
                    .unwrap_or_else(|| panic!("{path}.{key}: missing from view"));
                assert_subset(expected_value, actual_value, &format!("{path}.{key}"));
            }
        }
        (Value::Array(expected), Value::Array(actual)) => {
            assert_eq!(expected.len(), actual.len(), "{path}: array length");
            for (index, (expected, actual)) in expected.iter().zip(actual).enumerate() {
                assert_subset(expected, actual, &format!("{path}[{index}]"));
            }
        }
        (Value::Number(expected), Value::Number(actual)) => {
            assert_eq!(expected.as_f64(), actual.as_f64(), "{path}");
        }
        _ => assert_eq!(expected, actual, "{path}"),
    }
}

/// Converts every number to f64, so `-12` and `-12.0` compare equal.
pub fn normalize_numbers(value: Value) -> Value {
    match value {
        Value::Number(number) => json!(number.as_f64()),
        Value::Array(items) => Value::Array(items.into_iter().map(normalize_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, normalize_numbers(v)))
                .collect(),
        ),
        other => other,
    }
}
