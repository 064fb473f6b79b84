//! Frame vectors from the LoRaWAN specifications and independent implementations
//! (`tests/vectors/frames.json`), checked in both directions: `decode(bytes) == expected` and
//! `encode(expected) == bytes`, plus the error each malformed frame must produce.
//!
//! Expected values are built from the JSON through the public constructors, not through the
//! crate's serde support, so these tests also run without the `serde` feature.

use anyhow::{Context, Result, bail};
use lorawan_codec::{
    CfList, CfListFrequencies, DevAddr, DevNonce, DlSettings, EncryptedJoinAccept, Error, Eui64,
    FCtrl, FHdr, FOpts, JoinAcceptPayload, JoinNonce, JoinRequest, MType, MacPayload, NetId,
    Payload, PhyPayload, RejoinRequest, RxDelay,
};
use serde_json::Value;

const VECTORS: &str = include_str!("vectors/frames.json");

fn vectors(section: &str) -> Vec<Value> {
    let all: Value = serde_json::from_str(VECTORS).expect("frames.json is valid JSON");
    all[section].as_array().expect("a list of vectors").clone()
}

fn str_field<'a>(value: &'a Value, key: &str) -> Result<&'a str> {
    value[key]
        .as_str()
        .with_context(|| format!("{key} is not a string"))
}

fn u64_field(value: &Value, key: &str) -> Result<u64> {
    value[key]
        .as_u64()
        .with_context(|| format!("{key} is not a number"))
}

fn hex_field(value: &Value, key: &str) -> Result<Vec<u8>> {
    hex::decode(str_field(value, key)?).with_context(|| format!("{key} is not hex"))
}

fn m_type(name: &str) -> Result<MType> {
    Ok(match name {
        "join_request" => MType::JoinRequest,
        "join_accept" => MType::JoinAccept,
        "unconfirmed_data_up" => MType::UnconfirmedDataUp,
        "unconfirmed_data_down" => MType::UnconfirmedDataDown,
        "confirmed_data_up" => MType::ConfirmedDataUp,
        "confirmed_data_down" => MType::ConfirmedDataDown,
        "rejoin_request" => MType::RejoinRequest,
        "proprietary" => MType::Proprietary,
        other => bail!("unknown MType {other}"),
    })
}

fn f_ctrl(flags: &Value) -> Result<FCtrl> {
    let mut f_ctrl = FCtrl::default();
    for flag in flags.as_array().context("f_ctrl is a list of flags")? {
        match flag.as_str() {
            Some("adr") => f_ctrl.adr = true,
            Some("adr_ack_req") => f_ctrl.adr_ack_req = true,
            Some("ack") => f_ctrl.ack = true,
            Some("class_b") => f_ctrl.class_b = true,
            Some("f_pending") => f_ctrl.f_pending = true,
            other => bail!("unknown FCtrl flag {other:?}"),
        }
    }
    Ok(f_ctrl)
}

fn mac_payload(value: &Value) -> Result<MacPayload> {
    let fhdr = FHdr {
        dev_addr: str_field(value, "dev_addr")?.parse::<DevAddr>()?,
        f_ctrl: f_ctrl(&value["f_ctrl"])?,
        f_cnt: u16::try_from(u64_field(value, "f_cnt")?)?,
        f_opts: FOpts::new(&hex_field(value, "f_opts")?)?,
    };
    let frm_payload = hex_field(value, "frm_payload")?;
    match value["f_port"].as_u64() {
        Some(f_port) => Ok(MacPayload::new(fhdr, u8::try_from(f_port)?, frm_payload)?),
        None if frm_payload.is_empty() => Ok(MacPayload::without_port(fhdr)),
        None => bail!("FRMPayload without FPort"),
    }
}

fn join_accept(value: &Value) -> Result<JoinAcceptPayload> {
    let dl = &value["dl_settings"];
    let cf_list = match &value["cf_list"] {
        Value::Null => None,
        cf_list if cf_list.get("frequencies").is_some() => {
            let hz: Vec<u32> = serde_json::from_value(cf_list["frequencies"].clone())?;
            let hz: [u32; 5] = hz
                .try_into()
                .map_err(|_| anyhow::anyhow!("five frequencies"))?;
            Some(CfList::Frequencies(CfListFrequencies::new(hz)?))
        }
        cf_list => {
            let masks: Vec<u16> = serde_json::from_value(cf_list["channel_mask"].clone())?;
            let masks: [u16; 6] = masks.try_into().map_err(|_| anyhow::anyhow!("six masks"))?;
            Some(CfList::ChannelMask(masks))
        }
    };
    Ok(JoinAcceptPayload {
        join_nonce: JoinNonce::new(u32::try_from(u64_field(value, "join_nonce")?)?)?,
        home_net_id: str_field(value, "home_net_id")?.parse::<NetId>()?,
        dev_addr: str_field(value, "dev_addr")?.parse::<DevAddr>()?,
        dl_settings: DlSettings::new(
            dl["opt_neg"].as_bool().context("opt_neg")?,
            u8::try_from(u64_field(dl, "rx1_dr_offset")?)?,
            u8::try_from(u64_field(dl, "rx2_data_rate")?)?,
        )?,
        rx_delay: RxDelay::new(u8::try_from(u64_field(value, "rx_delay")?)?)?,
        cf_list,
    })
}

fn rejoin_request(value: &Value) -> Result<RejoinRequest> {
    let dev_eui = str_field(value, "dev_eui")?.parse::<Eui64>()?;
    let rj_count = u16::try_from(u64_field(value, "rj_count")?)?;
    let net_id = || -> Result<NetId> { Ok(str_field(value, "net_id")?.parse()?) };
    Ok(match u64_field(value, "type")? {
        0 => RejoinRequest::Type0 {
            net_id: net_id()?,
            dev_eui,
            rj_count0: rj_count,
        },
        1 => RejoinRequest::Type1 {
            join_eui: str_field(value, "join_eui")?.parse()?,
            dev_eui,
            rj_count1: rj_count,
        },
        2 => RejoinRequest::Type2 {
            net_id: net_id()?,
            dev_eui,
            rj_count0: rj_count,
        },
        other => bail!("unknown rejoin type {other}"),
    })
}

/// Builds the expected frame from a vector's `expected` object with the public constructors.
fn expected_frame(expected: &Value) -> Result<PhyPayload> {
    let m_type = m_type(str_field(expected, "m_type")?)?;
    let mic = match &expected["mic"] {
        Value::Null => None,
        _ => Some(
            <[u8; 4]>::try_from(hex_field(expected, "mic")?)
                .map_err(|_| anyhow::anyhow!("4-byte MIC"))?,
        ),
    };
    let need_mic = || mic.context("a MIC is expected");
    let phy = if let Some(value) = expected.get("join_request") {
        PhyPayload::join_request(
            JoinRequest {
                join_eui: str_field(value, "join_eui")?.parse()?,
                dev_eui: str_field(value, "dev_eui")?.parse()?,
                dev_nonce: DevNonce::new(u16::try_from(u64_field(value, "dev_nonce")?)?),
            },
            need_mic()?,
        )
    } else if expected.get("encrypted_join_accept").is_some() {
        let ciphertext = hex_field(expected, "encrypted_join_accept")?;
        PhyPayload::encrypted_join_accept(EncryptedJoinAccept::new(&ciphertext)?)
    } else if let Some(value) = expected.get("join_accept") {
        PhyPayload::join_accept(join_accept(value)?, need_mic()?)
    } else if let Some(value) = expected.get("rejoin_request") {
        PhyPayload::rejoin_request(rejoin_request(value)?, need_mic()?)
    } else if let Some(value) = expected.get("mac_payload") {
        PhyPayload::data(m_type, mac_payload(value)?, need_mic()?)?
    } else if expected.get("proprietary").is_some() {
        PhyPayload::proprietary(hex_field(expected, "proprietary")?)?
    } else {
        bail!("no payload in {expected}");
    };
    if phy.mhdr.m_type != m_type || phy.mic != mic {
        bail!("m_type or mic of {expected} do not fit its payload");
    }
    Ok(phy)
}

fn decode(kind: &str, bytes: &[u8]) -> lorawan_codec::Result<PhyPayload> {
    match kind {
        "join_accept_plaintext" => PhyPayload::decode_plaintext_join_accept(bytes),
        _ => PhyPayload::decode(bytes),
    }
}

#[test]
fn decodes_and_encodes_every_frame_vector() {
    let frames = vectors("frames");
    assert!(frames.len() >= 25, "only {} frame vectors", frames.len());
    for vector in frames {
        let name = vector["name"].as_str().unwrap();
        assert!(
            vector["source"].as_str().is_some_and(|s| !s.is_empty()),
            "{name}: no source"
        );
        let bytes = hex_field(&vector, "bytes").unwrap();
        let expected =
            expected_frame(&vector["expected"]).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        let kind = vector["kind"].as_str().unwrap();

        assert_eq!(
            decode(kind, &bytes).as_ref(),
            Ok(&expected),
            "{name}: decode"
        );
        let encoded = match vector.get("reencoded") {
            Some(_) => hex_field(&vector, "reencoded").unwrap(),
            None => bytes.clone(),
        };
        assert_eq!(
            hex::encode(expected.encode()),
            hex::encode(&encoded),
            "{name}: encode"
        );
        assert_eq!(expected.encoded_len(), encoded.len(), "{name}: encoded_len");
        assert_eq!(expected.validate(), Ok(()), "{name}: validate");
        if let Some(mic) = expected.mic {
            let (covered, split) = PhyPayload::split_mic(&bytes).unwrap();
            assert_eq!(split, mic, "{name}: split_mic");
            assert_eq!(covered.len(), bytes.len() - 4, "{name}: covered bytes");
        }
    }
}

#[test]
fn vectors_cover_every_frame_kind() {
    let frames: Vec<PhyPayload> = vectors("frames")
        .iter()
        .map(|vector| expected_frame(&vector["expected"]).unwrap())
        .collect();
    let has = |pred: &dyn Fn(&PhyPayload) -> bool| frames.iter().any(pred);
    for m_type in [
        MType::UnconfirmedDataUp,
        MType::UnconfirmedDataDown,
        MType::ConfirmedDataUp,
        MType::ConfirmedDataDown,
    ] {
        assert!(has(&|phy| phy.mhdr.m_type == m_type), "{m_type:?}");
    }
    assert!(has(&|phy| matches!(phy.payload, Payload::JoinRequest(_))));
    assert!(has(&|phy| matches!(
        phy.payload,
        Payload::EncryptedJoinAccept(_)
    )));
    for rejoin_type in 0..3 {
        assert!(has(
            &|phy| matches!(&phy.payload, Payload::RejoinRequest(r) if r.rejoin_type() == rejoin_type)
        ));
    }
    let cf_list = |phy: &PhyPayload| match &phy.payload {
        Payload::JoinAccept(join_accept) => Some(join_accept.cf_list.map(|c| c.cf_list_type())),
        _ => None,
    };
    for wanted in [None, Some(0), Some(1)] {
        assert!(
            has(&|phy| cf_list(phy) == Some(wanted)),
            "CFList {wanted:?}"
        );
    }
    assert!(has(
        &|phy| matches!(&phy.payload, Payload::JoinAccept(j) if j.dl_settings.opt_neg())
    ));
    let mac = |phy: &PhyPayload| phy.mac_payload().cloned();
    assert!(has(
        &|phy| mac(phy).is_some_and(|m| !m.fhdr().f_opts.is_empty())
    ));
    assert!(has(&|phy| mac(phy).is_some_and(
        |m| m.f_port() == Some(0) && !m.frm_payload().is_empty()
    )));
    assert!(has(&|phy| mac(phy).is_some_and(|m| m.f_port().is_none())));
    assert!(has(&|phy| matches!(phy.payload, Payload::Proprietary(_))));
}

fn expected_error(value: &Value) -> Result<Error> {
    let (kind, args) = value
        .as_object()
        .and_then(|object| object.iter().next())
        .context("error is an object with one key")?;
    let usize_arg = |key: &str| -> Result<usize> { Ok(usize::try_from(u64_field(args, key)?)?) };
    Ok(match kind.as_str() {
        "too_short" => Error::TooShort {
            needed: usize_arg("needed")?,
            got: usize_arg("got")?,
        },
        "too_long" => Error::TooLong {
            max: usize_arg("max")?,
            got: usize_arg("got")?,
        },
        "invalid_length" => {
            let structure = match str_field(args, "structure")? {
                "join-accept" => "join-accept",
                other => bail!("unknown structure {other}"),
            };
            Error::InvalidLength {
                structure,
                got: usize_arg("got")?,
            }
        }
        "unsupported_major" => {
            Error::UnsupportedMajor(u8::try_from(args.as_u64().context("major")?)?)
        }
        "unknown_rejoin_type" => {
            Error::UnknownRejoinType(u8::try_from(args.as_u64().context("type")?)?)
        }
        "unknown_cf_list_type" => {
            Error::UnknownCfListType(u8::try_from(args.as_u64().context("type")?)?)
        }
        "unexpected_m_type" => Error::UnexpectedMType(m_type(args.as_str().context("MType")?)?),
        "f_opts_with_port_zero" => Error::FOptsWithPortZero,
        other => bail!("unknown error kind {other}"),
    })
}

#[test]
fn rejects_every_malformed_frame_vector_with_its_error() {
    let errors = vectors("errors");
    assert!(errors.len() >= 10, "only {} error vectors", errors.len());
    for vector in errors {
        let name = vector["name"].as_str().unwrap();
        assert!(
            vector["source"].as_str().is_some_and(|s| !s.is_empty()),
            "{name}: no source"
        );
        let bytes = hex_field(&vector, "bytes").unwrap();
        let error = expected_error(&vector["error"]).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        let kind = vector["kind"].as_str().unwrap();
        assert_eq!(decode(kind, &bytes), Err(error), "{name}");
    }
}

#[cfg(feature = "serde")]
#[test]
fn every_frame_vector_round_trips_through_json() {
    for vector in vectors("frames") {
        let name = vector["name"].as_str().unwrap();
        let expected = expected_frame(&vector["expected"]).unwrap();
        let json = serde_json::to_string(&expected).unwrap();
        let back: PhyPayload =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(back, expected, "{name}");
        // Byte fields print as hex, never as arrays of numbers.
        assert!(!json.contains("\"mic\":["), "{name}: {json}");
    }
}
