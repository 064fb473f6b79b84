//! `rsig`: per-antenna signal information of an rxpk, sent by multi-antenna (SX1301AR "v2")
//! forwarders, e.g. Kerlink iBTS.
//!
//! Every field is optional: forwarders fill only what their hardware measured. Fields this
//! module does not know are ignored. It does not decrypt the encrypted fine timestamp.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::wire::{self, Lenient};

/// Signal information for one antenna, one element of `rxpk.rsig` (Semtech v2 gateway
/// forwarder; fields as read by The Things Stack `pkg/ttnpb/udp` and ChirpStack gateway bridge).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rsig {
    /// `ant`: antenna number the signal was received on.
    pub ant: Option<u8>,
    /// `chan`: concentrator IF channel.
    pub chan: Option<u8>,
    /// `rssic`: RSSI of the channel in dBm.
    pub rssic: Option<i16>,
    /// `rssis`: RSSI of the signal in dBm.
    pub rssis: Option<i16>,
    /// `rssisd`: standard deviation of the RSSI during the preamble.
    pub rssisd: Option<u16>,
    /// `lsnr`: LoRa SNR in dB.
    pub lsnr: Option<f64>,
    /// `etime`: encrypted fine timestamp (base64 on the wire, 16 bytes from real gateways).
    pub etime: Option<Vec<u8>>,
    /// `ftime`: fine timestamp in ns since the last PPS; the v2 forwarder prints it as `%d`.
    pub ftime: Option<i64>,
    /// `foff`: frequency offset in Hz.
    pub foff: Option<i32>,
    /// `ft2d`: fine-timestamp delta in ns (`fine_tmst_sb_delta_ns` in the v2 forwarder).
    pub ft2d: Option<i32>,
    /// `rfbsb`: energy ratio from the fine-timestamp engine (`ratio_energy_fb_sb`).
    pub rfbsb: Option<u32>,
    /// `rs2s1`: energy ratio from the fine-timestamp engine (`ratio_energy_sb2_sb1`).
    pub rs2s1: Option<u32>,
    /// `fdri`: LR-FHSS frequency drift in Hz between packet start and end.
    pub fdri: Option<i32>,
}

/// `rsig` element as read from JSON.
#[derive(Deserialize)]
pub(crate) struct RsigIn {
    ant: Option<u8>,
    chan: Option<u8>,
    rssic: Option<Lenient<i16>>,
    rssis: Option<Lenient<i16>>,
    rssisd: Option<u16>,
    lsnr: Option<f64>,
    etime: Option<String>,
    ftime: Option<i64>,
    foff: Option<Lenient<i32>>,
    ft2d: Option<i32>,
    rfbsb: Option<u32>,
    rs2s1: Option<u32>,
    fdri: Option<i32>,
}

impl RsigIn {
    /// Converts into the public type, decoding `etime`.
    pub(crate) fn into_rsig(self) -> Result<Rsig> {
        let etime = match self.etime {
            Some(text) => Some(wire::decode_base64("etime", &text)?),
            None => None,
        };
        Ok(Rsig {
            ant: self.ant,
            chan: self.chan,
            rssic: Lenient::opt(self.rssic),
            rssis: Lenient::opt(self.rssis),
            rssisd: self.rssisd,
            lsnr: self.lsnr,
            etime,
            ftime: self.ftime,
            foff: Lenient::opt(self.foff),
            ft2d: self.ft2d,
            rfbsb: self.rfbsb,
            rs2s1: self.rs2s1,
            fdri: self.fdri,
        })
    }
}

/// `rsig` element as written to JSON.
#[derive(Serialize)]
pub(crate) struct RsigOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    ant: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    chan: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rssic: Option<i16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rssis: Option<i16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rssisd: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lsnr: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    etime: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ftime: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    foff: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ft2d: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rfbsb: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rs2s1: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fdri: Option<i32>,
}

impl RsigOut {
    /// Builds the JSON form, checking floats.
    pub(crate) fn new(rsig: &Rsig) -> Result<Self> {
        wire::check_finite_opt("rsig.lsnr", rsig.lsnr)?;
        Ok(RsigOut {
            ant: rsig.ant,
            chan: rsig.chan,
            rssic: rsig.rssic,
            rssis: rsig.rssis,
            rssisd: rsig.rssisd,
            lsnr: rsig.lsnr,
            etime: rsig.etime.as_deref().map(wire::encode_base64),
            ftime: rsig.ftime,
            foff: rsig.foff,
            ft2d: rsig.ft2d,
            rfbsb: rsig.rfbsb,
            rs2s1: rsig.rs2s1,
            fdri: rsig.fdri,
        })
    }
}
