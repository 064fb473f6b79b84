//! The network and join server side of the tests, built only from `lorawan-codec` and
//! `lorawan-crypto`: join-accepts as a join server builds them, downlinks as a network server
//! builds them, and uplink checks as a network server makes them.

#![allow(dead_code)]

use lorawan_codec::{
    Aes128Key, CfList, DevAddr, Direction, DlSettings, Eui64, FCtrl, FHdr, FOpts,
    JoinAcceptPayload, JoinNonce, JoinReqType, MType, MacCommand, MacPayload, Mhdr, NetId,
    PhyPayload, RxDelay, encode_mac_commands,
};
use lorawan_crypto::{
    B1Fields, CipherKey, FOptsCounter, FOptsScheme, MicKey, compute_data_downlink_mic_1_0,
    compute_data_downlink_mic_1_1, compute_join_accept_mic_1_0, compute_join_accept_mic_1_1,
    decrypt_f_opts, decrypt_frm_payload, derive_js_int_key, encrypt_f_opts, encrypt_frm_payload,
    encrypt_join_accept, verify_data_uplink_mic_1_0, verify_data_uplink_mic_1_1,
};
use tern_sim::{SessionKeys, Uplink};

/// Returns a key from hex.
pub fn key(text: &str) -> Aes128Key {
    Aes128Key::from_bytes(hex::decode(text).unwrap().try_into().unwrap())
}

/// The join-accept fields a test chooses.
pub struct AcceptFields {
    pub join_nonce: u32,
    pub net_id: NetId,
    pub dev_addr: DevAddr,
    pub opt_neg: bool,
    pub rx1_dr_offset: u8,
    pub rx2_dr: u8,
    pub rx_delay: u8,
    pub cf_list: Option<CfList>,
}

/// Builds an encrypted join-accept as a join server does: LoRaWAN 1.0 MIC and encryption
/// under `key`, or with `opt_neg` the 1.1 MIC under the JSIntKey of `nwk_key` and encryption
/// under `nwk_key`.
pub fn join_accept(
    fields: &AcceptFields,
    key: &Aes128Key,
    dev_eui: Eui64,
    join_eui: Eui64,
    dev_nonce: u16,
) -> Vec<u8> {
    let payload = JoinAcceptPayload {
        join_nonce: JoinNonce::new(fields.join_nonce).unwrap(),
        home_net_id: fields.net_id,
        dev_addr: fields.dev_addr,
        dl_settings: DlSettings::new(fields.opt_neg, fields.rx1_dr_offset, fields.rx2_dr).unwrap(),
        rx_delay: RxDelay::new(fields.rx_delay).unwrap(),
        cf_list: fields.cf_list,
    };
    let mut msg = vec![Mhdr::new(MType::JoinAccept).encode()];
    payload.encode_into(&mut msg);
    let mic = if fields.opt_neg {
        let js_int_key = derive_js_int_key(key, dev_eui);
        compute_join_accept_mic_1_1(
            &MicKey::new(&js_int_key),
            JoinReqType::JoinRequest,
            join_eui,
            dev_nonce,
            &msg,
        )
        .unwrap()
    } else {
        compute_join_accept_mic_1_0(&MicKey::new(key), &msg).unwrap()
    };
    msg.extend_from_slice(&mic);
    encrypt_join_accept(key, &mut msg[1..]).unwrap();
    msg
}

/// A downlink as a network server builds it.
#[derive(Default)]
pub struct DownlinkSpec {
    pub confirmed: bool,
    pub ack: bool,
    /// The FCntUp acknowledged, for the 1.1 MIC.
    pub conf_f_cnt: Option<u32>,
    pub f_cnt: u32,
    pub f_port: Option<u8>,
    pub payload: Vec<u8>,
    pub f_opts: Vec<MacCommand>,
    pub lorawan_1_1: bool,
    /// The FOpts layout; the errata one when `None`.
    pub scheme: Option<FOptsScheme>,
}

/// Builds a downlink for `dev_addr` under `keys`.
pub fn downlink(spec: &DownlinkSpec, dev_addr: DevAddr, keys: &SessionKeys) -> Vec<u8> {
    let mut f_opts = encode_mac_commands(&spec.f_opts).unwrap();
    if spec.lorawan_1_1 && !f_opts.is_empty() {
        let counter = if spec.f_port.is_some_and(|port| port > 0) {
            FOptsCounter::AFCntDown
        } else {
            FOptsCounter::NFCntDown
        };
        f_opts = encrypt_f_opts(
            &CipherKey::new(&keys.nwk_s_enc_key),
            spec.scheme.unwrap_or(FOptsScheme::Errata),
            counter,
            dev_addr,
            spec.f_cnt,
            &f_opts,
        )
        .unwrap();
    }
    let fhdr = FHdr {
        dev_addr,
        f_ctrl: FCtrl {
            ack: spec.ack,
            ..FCtrl::default()
        },
        f_cnt: spec.f_cnt as u16,
        f_opts: FOpts::new(&f_opts).unwrap(),
    };
    let mac_payload = match spec.f_port {
        Some(port) => {
            let key = if port == 0 {
                keys.nwk_s_enc_key
            } else {
                keys.app_s_key
            };
            let frm = encrypt_frm_payload(
                &CipherKey::new(&key),
                Direction::Downlink,
                dev_addr,
                spec.f_cnt,
                &spec.payload,
            )
            .unwrap();
            MacPayload::new(fhdr, port, frm).unwrap()
        }
        None => MacPayload::without_port(fhdr),
    };
    let m_type = if spec.confirmed {
        MType::ConfirmedDataDown
    } else {
        MType::UnconfirmedDataDown
    };
    let mut frame = PhyPayload::data(m_type, mac_payload, [0; 4]).unwrap();
    let msg = frame.encode_without_mic();
    let mic = if spec.lorawan_1_1 {
        compute_data_downlink_mic_1_1(
            &MicKey::new(&keys.s_nwk_s_int_key),
            spec.conf_f_cnt,
            dev_addr,
            spec.f_cnt,
            &msg,
        )
    } else {
        compute_data_downlink_mic_1_0(&MicKey::new(&keys.nwk_s_key()), dev_addr, spec.f_cnt, &msg)
    }
    .unwrap();
    frame.mic = Some(mic);
    frame.encode()
}

/// What a network server reads from a data uplink.
#[derive(Debug)]
pub struct OpenedUplink {
    pub m_type: MType,
    pub f_ctrl: FCtrl,
    pub f_port: Option<u8>,
    pub payload: Vec<u8>,
    pub f_opts: Vec<MacCommand>,
}

/// Decodes a data uplink, checks its MIC for `f_cnt` (1.1: with `conf_f_cnt` and the TxDr and
/// TxCh of `uplink`), decrypts FOpts (errata layout) and FRMPayload.
pub fn open_uplink(
    uplink: &Uplink,
    keys: &SessionKeys,
    f_cnt: u32,
    lorawan_1_1: bool,
    conf_f_cnt: Option<u32>,
) -> OpenedUplink {
    open_uplink_with_scheme(
        uplink,
        keys,
        f_cnt,
        lorawan_1_1,
        conf_f_cnt,
        FOptsScheme::Errata,
    )
}

/// [`open_uplink`] with the FOpts layout `scheme`.
pub fn open_uplink_with_scheme(
    uplink: &Uplink,
    keys: &SessionKeys,
    f_cnt: u32,
    lorawan_1_1: bool,
    conf_f_cnt: Option<u32>,
    scheme: FOptsScheme,
) -> OpenedUplink {
    let frame = PhyPayload::decode(&uplink.phy).unwrap();
    let mac_payload = frame.mac_payload().unwrap();
    let fhdr = mac_payload.fhdr();
    assert_eq!(fhdr.f_cnt, f_cnt as u16, "16 bits of FCntUp on air");
    let dev_addr = fhdr.dev_addr;
    let (msg, mic) = lorawan_crypto::split_mic(&uplink.phy).unwrap();
    if lorawan_1_1 {
        let b1 = B1Fields {
            conf_f_cnt,
            tx_dr: uplink.dr,
            tx_ch: uplink.channel as u8,
        };
        verify_data_uplink_mic_1_1(
            &MicKey::new(&keys.s_nwk_s_int_key),
            &MicKey::new(&keys.f_nwk_s_int_key),
            b1,
            dev_addr,
            f_cnt,
            msg,
            mic,
        )
        .expect("1.1 uplink MIC verifies");
    } else {
        verify_data_uplink_mic_1_0(&MicKey::new(&keys.nwk_s_key()), dev_addr, f_cnt, msg, mic)
            .expect("1.0 uplink MIC verifies");
    }
    let mut f_opts = fhdr.f_opts.to_vec();
    if lorawan_1_1 && !f_opts.is_empty() {
        f_opts = decrypt_f_opts(
            &CipherKey::new(&keys.nwk_s_enc_key),
            scheme,
            FOptsCounter::FCntUp,
            dev_addr,
            f_cnt,
            &f_opts,
        )
        .unwrap();
    }
    let f_port = mac_payload.f_port();
    let mut payload = mac_payload.frm_payload().to_vec();
    if let Some(port) = f_port {
        let key = if port == 0 {
            keys.nwk_s_enc_key
        } else {
            keys.app_s_key
        };
        payload = decrypt_frm_payload(
            &CipherKey::new(&key),
            Direction::Uplink,
            dev_addr,
            f_cnt,
            &payload,
        )
        .unwrap();
    }
    let mac_bytes = if f_port == Some(0) {
        payload.clone()
    } else {
        f_opts
    };
    let decoded = lorawan_codec::decode_mac_commands(&mac_bytes, Direction::Uplink);
    assert!(decoded.is_complete(), "uplink MAC commands decode");
    OpenedUplink {
        m_type: frame.mhdr.m_type,
        f_ctrl: fhdr.f_ctrl,
        f_port,
        payload,
        f_opts: decoded.commands,
    }
}
