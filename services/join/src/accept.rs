//! Builds the encrypted join-accept and derives the session keys, LoRaWAN 1.0.4 §6.2.6 and
//! LoRaWAN 1.1 §6.2.3.
//!
//! Pure computation over keys and values already checked: no storage and no I/O. Which
//! request is answered decides the keys (LoRaWAN 1.1 §6.2.3):
//!
//! | device | answers | MIC key | encryption key | session keys from |
//! |---|---|---|---|---|
//! | 1.0.x | join-request | AppKey | AppKey | AppKey, NetID, DevNonce |
//! | 1.1 | join-request | JSIntKey | NwkKey | NwkKey and AppKey, JoinEUI, DevNonce |
//! | 1.1 | rejoin 0/1/2 | JSIntKey | JSEncKey | NwkKey and AppKey, JoinEUI, RJcount0/1 |
//!
//! For a rejoin the RJcount takes the DevNonce's place in the 1.1 join-accept MIC and in the
//! key derivation (LoRaWAN 1.1 §6.2.3; the Semtech LoRaMac-node reference device derives the
//! keys the same way in `LoRaMacCryptoHandleJoinAccept`).

use lorawan_codec::{
    Aes128Key, CfList, DevAddr, DlSettings, Eui64, JoinAcceptPayload, JoinNonce, JoinReqType,
    NetId, PhyPayload, RxDelay,
};
use lorawan_crypto::{
    MicKey, SessionKeys1_0, SessionKeys1_1, compute_join_accept_mic_1_0,
    compute_join_accept_mic_1_1, derive_join_server_keys, derive_session_keys_1_0,
    derive_session_keys_1_1, encrypt_join_accept,
};
use tern_proto::internal::v1 as pb;

use crate::store::DeviceRootKeys;
use crate::{Error, Result};

/// The join-accept settings the network server chose, checked against their field widths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AcceptParams {
    /// DevAddr of the new session.
    pub(crate) dev_addr: DevAddr,
    /// NetID, sent as Home_NetID.
    pub(crate) net_id: NetId,
    /// RX1DRoffset, 0..=7.
    pub(crate) rx1_dr_offset: u8,
    /// RX2DataRate, 0..=15.
    pub(crate) rx2_dr: u8,
    /// RxDelay.
    pub(crate) rx_delay: RxDelay,
    /// Optional CFList.
    pub(crate) cf_list: Option<CfList>,
}

impl AcceptParams {
    /// Reads the settings of a `JoinRequest` message; out-of-range values fail with
    /// [`Error::OutOfRange`], a CFList of the wrong length with [`Error::CfListLength`].
    pub(crate) fn from_request(request: &pb::JoinRequest) -> Result<AcceptParams> {
        let net_id = NetId::from_u32(request.net_id).map_err(|_| Error::OutOfRange {
            field: "net_id",
            value: u64::from(request.net_id),
        })?;
        let cf_list = match request.cf_list.len() {
            0 => None,
            CfList::LEN => {
                let bytes: &[u8; CfList::LEN] = request.cf_list[..]
                    .try_into()
                    .map_err(|_| Error::CfListLength(request.cf_list.len()))?;
                Some(CfList::decode(bytes).map_err(Error::DecodeCfList)?)
            }
            other => return Err(Error::CfListLength(other)),
        };
        Ok(AcceptParams {
            dev_addr: DevAddr::from_u32(request.dev_addr),
            net_id,
            rx1_dr_offset: bounded("rx1_dr_offset", request.rx1_dr_offset, 7)?,
            rx2_dr: bounded("rx2_dr", request.rx2_dr, 15)?,
            rx_delay: RxDelay::new(bounded("rx_delay", request.rx_delay, 15)?).map_err(|_| {
                Error::OutOfRange {
                    field: "rx_delay",
                    value: u64::from(request.rx_delay),
                }
            })?,
            cf_list,
        })
    }
}

/// Checks that `value` fits a field whose largest value is `max`.
fn bounded(field: &'static str, value: u32, max: u8) -> Result<u8> {
    u8::try_from(value)
        .ok()
        .filter(|value| *value <= max)
        .ok_or(Error::OutOfRange {
            field,
            value: u64::from(value),
        })
}

/// The root keys a join needs, by LoRaWAN version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RootKeys {
    /// LoRaWAN 1.0.x: the AppKey does everything.
    V1_0 {
        /// AppKey.
        app_key: Aes128Key,
    },
    /// LoRaWAN 1.1: NwkKey for the network side, AppKey for the AppSKey.
    V1_1 {
        /// NwkKey.
        nwk_key: Aes128Key,
        /// AppKey.
        app_key: Aes128Key,
    },
}

impl RootKeys {
    /// Picks the keys of `device`'s version; a 1.1 device without NwkKey fails with
    /// [`Error::NwkKeyMissing`].
    pub(crate) fn of(device: &DeviceRootKeys) -> Result<RootKeys> {
        if !device.mac_version.is_1_1() {
            return Ok(RootKeys::V1_0 {
                app_key: device.app_key,
            });
        }
        let nwk_key = device.nwk_key.ok_or(Error::NwkKeyMissing)?;
        Ok(RootKeys::V1_1 {
            nwk_key,
            app_key: device.app_key,
        })
    }

    /// Returns the key of the join-request MIC: AppKey for 1.0.x, NwkKey for 1.1
    /// (LoRaWAN 1.1 §6.2.2).
    pub(crate) fn join_request_key(&self) -> &Aes128Key {
        match self {
            RootKeys::V1_0 { app_key } => app_key,
            RootKeys::V1_1 { nwk_key, .. } => nwk_key,
        }
    }
}

/// The request a join-accept answers: its JoinReqType and its DevNonce or RJcount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Answering {
    /// Join-request or rejoin type.
    pub(crate) join_req_type: JoinReqType,
    /// DevNonce, RJcount0 or RJcount1.
    pub(crate) nonce: u16,
}

/// Session keys of the new session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionKeys {
    /// LoRaWAN 1.0.x: NwkSKey and AppSKey.
    V1_0(SessionKeys1_0),
    /// LoRaWAN 1.1: three network keys and AppSKey.
    V1_1(SessionKeys1_1),
}

/// An encrypted join-accept and the keys of the session it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Accepted {
    /// The join-accept PHYPayload: MHDR and ciphertext.
    pub(crate) phy_payload: Vec<u8>,
    /// The session keys.
    pub(crate) keys: SessionKeys,
}

/// Builds the join-accept for a device with `root` keys and derives the session keys.
///
/// OptNeg is set exactly for LoRaWAN 1.1 root keys. Fails only on an internal length
/// mismatch, which the checked inputs rule out.
pub(crate) fn build(
    root: &RootKeys,
    dev_eui: Eui64,
    join_eui: Eui64,
    params: &AcceptParams,
    answering: Answering,
    join_nonce: JoinNonce,
) -> Result<Accepted> {
    let opt_neg = matches!(root, RootKeys::V1_1 { .. });
    let dl_settings =
        DlSettings::new(opt_neg, params.rx1_dr_offset, params.rx2_dr).map_err(|_| {
            Error::OutOfRange {
                field: "rx1_dr_offset",
                value: u64::from(params.rx1_dr_offset),
            }
        })?;
    let body = JoinAcceptPayload {
        join_nonce,
        home_net_id: params.net_id,
        dev_addr: params.dev_addr,
        dl_settings,
        rx_delay: params.rx_delay,
        cf_list: params.cf_list,
    };
    // MHDR | body, the MIC input; the MIC is appended, then everything after the MHDR is
    // encrypted.
    let mut frame = PhyPayload::join_accept(body, [0; 4]).encode_without_mic();
    let (mic, encryption_key, keys) = match *root {
        RootKeys::V1_0 { app_key } => {
            let mic = compute_join_accept_mic_1_0(&MicKey::new(&app_key), &frame)
                .map_err(Error::MicInput)?;
            let keys = derive_session_keys_1_0(
                &app_key,
                join_nonce.to_u32(),
                params.net_id,
                answering.nonce,
            );
            (mic, app_key, SessionKeys::V1_0(keys))
        }
        RootKeys::V1_1 { nwk_key, app_key } => {
            let js_keys = derive_join_server_keys(&nwk_key, dev_eui);
            let mic = compute_join_accept_mic_1_1(
                &MicKey::new(&js_keys.js_int_key),
                answering.join_req_type,
                join_eui,
                answering.nonce,
                &frame,
            )
            .map_err(Error::MicInput)?;
            let encryption_key = match answering.join_req_type {
                JoinReqType::JoinRequest => nwk_key,
                JoinReqType::RejoinType0 | JoinReqType::RejoinType1 | JoinReqType::RejoinType2 => {
                    js_keys.js_enc_key
                }
            };
            let keys = derive_session_keys_1_1(
                &nwk_key,
                &app_key,
                join_nonce.to_u32(),
                join_eui,
                answering.nonce,
            );
            (mic, encryption_key, SessionKeys::V1_1(keys))
        }
    };
    frame.extend_from_slice(&mic);
    encrypt_join_accept(&encryption_key, &mut frame[1..]).map_err(Error::MicInput)?;
    Ok(Accepted {
        phy_payload: frame,
        keys,
    })
}

#[cfg(test)]
mod tests;
