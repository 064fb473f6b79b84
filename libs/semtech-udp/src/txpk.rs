//! `txpk`: a packet for the gateway to transmit, the JSON body of PULL_RESP.
//!
//! Encoding writes numbers as numbers, `datr` as a string for LoRa and a number for FSK, and
//! `size` from the payload, as the packet forwarder's parser requires. It does not choose
//! timing, power or frequency; the network server does.

use serde::{Deserialize, Serialize};

use crate::datr::{self, CodingRate, DataRate};
use crate::error::{Error, Result};
use crate::frequency;
use crate::rxpk::check_size;
use crate::wire::{self, DatrIn, DatrOut};

/// A packet to transmit (PROTOCOL.TXT §6; `tmms`, `ncrc`, `nhdr` from the SX1302 forwarder,
/// `ant` and `brd` for multi-board gateways). Field names are the protocol's.
#[derive(Debug, Clone, PartialEq)]
pub struct Txpk {
    /// `imme`: send at once, ignoring `tmst` and `tmms` (class C).
    pub imme: bool,
    /// `tmst`: send when the concentrator counter reaches this value, in µs (class A).
    pub tmst: Option<u32>,
    /// `tmms`: send at this GPS time in ms since 1980-01-06 (class B).
    pub tmms: Option<u64>,
    /// `time`: send at this UTC time, ISO 8601 'compact' (PROTOCOL.TXT v1; few forwarders).
    pub time: Option<String>,
    /// `freq`: centre frequency in MHz; build it with [`hz_to_mhz`](crate::hz_to_mhz).
    pub freq: f64,
    /// `rfch`: RF chain to transmit on; the forwarder requires it.
    pub rfch: u8,
    /// `powe`: output power in dBm; the forwarder's default when absent.
    pub powe: Option<i8>,
    /// `ant`: antenna to transmit on (multi-antenna gateways).
    pub ant: Option<u8>,
    /// `brd`: concentrator board to transmit on (multi-board gateways).
    pub brd: Option<u32>,
    /// `datr`, with `modu` derived from it on encode.
    pub datr: DataRate,
    /// `codr`: LoRa coding rate.
    pub codr: Option<CodingRate>,
    /// `fdev`: FSK frequency deviation in Hz; the forwarder requires it for FSK.
    pub fdev: Option<u32>,
    /// `ipol`: invert LoRa polarisation; true for LoRaWAN downlinks.
    pub ipol: bool,
    /// `prea`: preamble length in symbols; the forwarder's default when absent.
    pub prea: Option<u16>,
    /// `ncrc`: disable the physical-layer CRC (LoRaWAN downlinks carry none).
    pub ncrc: bool,
    /// `nhdr`: implicit header mode (SX1302).
    pub nhdr: bool,
    /// `data`: the PHYPayload; `size` is written from it.
    pub data: Vec<u8>,
}

impl Txpk {
    /// Returns `freq` in Hz, rounded to the nearest Hz.
    pub fn freq_hz(&self) -> u64 {
        frequency::mhz_to_hz(self.freq)
    }

    /// Parses one txpk JSON object.
    pub fn parse_json(json: &str) -> Result<Txpk> {
        serde_json::from_str::<TxpkIn>(json)?.into_txpk()
    }
}

/// txpk as read from JSON.
#[derive(Deserialize)]
pub(crate) struct TxpkIn {
    imme: Option<bool>,
    tmst: Option<u32>,
    tmms: Option<u64>,
    time: Option<String>,
    freq: Option<f64>,
    rfch: Option<u8>,
    powe: Option<i8>,
    ant: Option<u8>,
    brd: Option<u32>,
    modu: Option<String>,
    datr: Option<DatrIn>,
    codr: Option<String>,
    fdev: Option<u32>,
    ipol: Option<bool>,
    prea: Option<u16>,
    size: Option<u64>,
    data: Option<String>,
    ncrc: Option<bool>,
    nhdr: Option<bool>,
}

fn required<T>(value: Option<T>, field: &'static str) -> Result<T> {
    value.ok_or(Error::MissingField {
        object: "txpk",
        field,
    })
}

impl TxpkIn {
    /// Converts into the public type.
    pub(crate) fn into_txpk(self) -> Result<Txpk> {
        let freq = required(self.freq, "freq")?;
        let rfch = required(self.rfch, "rfch")?;
        let datr = required(self.datr, "datr")?.into_data_rate()?;
        let data = required(self.data, "data")?;
        if freq < 0.0 {
            return Err(Error::InvalidFrequency);
        }
        datr::check_modulation(self.modu.as_deref(), &datr)?;
        if matches!(datr, DataRate::Fsk { .. }) && self.fdev.is_none() {
            return Err(Error::MissingField {
                object: "txpk",
                field: "fdev",
            });
        }
        let codr = self.codr.as_deref().map(CodingRate::parse).transpose()?;
        let data = wire::decode_base64("data", &data)?;
        check_size(self.size, data.len())?;
        Ok(Txpk {
            imme: self.imme.unwrap_or(false),
            tmst: self.tmst,
            tmms: self.tmms,
            time: wire::non_empty(self.time),
            freq,
            rfch,
            powe: self.powe,
            ant: self.ant,
            brd: self.brd,
            datr,
            codr,
            fdev: self.fdev,
            ipol: self.ipol.unwrap_or(false),
            prea: self.prea,
            ncrc: self.ncrc.unwrap_or(false),
            nhdr: self.nhdr.unwrap_or(false),
            data,
        })
    }
}

/// txpk as written to JSON, in the field order of PROTOCOL.TXT §6.
#[derive(Serialize)]
pub(crate) struct TxpkOut<'a> {
    imme: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    tmst: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tmms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<&'a str>,
    freq: f64,
    rfch: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    powe: Option<i8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ant: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    brd: Option<u32>,
    modu: &'static str,
    datr: DatrOut,
    #[serde(skip_serializing_if = "Option::is_none")]
    codr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fdev: Option<u32>,
    ipol: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    prea: Option<u16>,
    size: usize,
    data: String,
    #[serde(skip_serializing_if = "wire::is_false")]
    ncrc: bool,
    #[serde(skip_serializing_if = "wire::is_false")]
    nhdr: bool,
}

impl<'a> TxpkOut<'a> {
    /// Builds the JSON form, checking what the forwarder would reject.
    pub(crate) fn new(txpk: &'a Txpk) -> Result<Self> {
        wire::check_finite("txpk.freq", txpk.freq)?;
        if txpk.freq < 0.0 {
            return Err(Error::InvalidFrequency);
        }
        txpk.datr.validate()?;
        if let Some(codr) = &txpk.codr {
            codr.validate()?;
        }
        if matches!(txpk.datr, DataRate::Fsk { .. }) && txpk.fdev.is_none() {
            return Err(Error::MissingField {
                object: "txpk",
                field: "fdev",
            });
        }
        Ok(TxpkOut {
            imme: txpk.imme,
            tmst: txpk.tmst,
            tmms: txpk.tmms,
            time: txpk.time.as_deref().filter(|time| !time.is_empty()),
            freq: txpk.freq,
            rfch: txpk.rfch,
            powe: txpk.powe,
            ant: txpk.ant,
            brd: txpk.brd,
            modu: txpk.datr.modulation().as_str(),
            datr: DatrOut(txpk.datr),
            codr: txpk.codr.map(|codr| codr.to_string()),
            fdev: txpk.fdev,
            ipol: txpk.ipol,
            prea: txpk.prea,
            size: txpk.data.len(),
            data: wire::encode_base64(&txpk.data),
            ncrc: txpk.ncrc,
            nhdr: txpk.nhdr,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_fsk_example_from_protocol_txt() {
        // PROTOCOL.TXT §6, second example.
        let json = r#"{"imme":true,"freq":861.3,"rfch":0,"powe":12,"modu":"FSK","datr":50000,"fdev":3000,"size":32,"data":"H3P3N2i9qc4yt7rK7ldqoeCVJGBybzPY5h1Dd7P7p8v"}"#;
        let txpk = Txpk::parse_json(json).unwrap();
        assert!(txpk.imme);
        assert_eq!(txpk.freq_hz(), 861_300_000);
        assert_eq!(txpk.datr, DataRate::Fsk { bit_rate: 50_000 });
        assert_eq!(txpk.fdev, Some(3000));
        assert_eq!(txpk.data.len(), 32);
        assert!(!txpk.ipol && !txpk.ncrc && !txpk.nhdr);
    }

    #[test]
    fn rejects_txpk_the_forwarder_would_abort() {
        // Mandatory fields per the SX1302 lora_pkt_fwd.c downstream parser.
        let cases = [
            (
                r#"{"rfch":0,"datr":"SF7BW125","data":""}"#,
                Error::MissingField {
                    object: "txpk",
                    field: "freq",
                },
            ),
            (
                r#"{"freq":868.1,"datr":"SF7BW125","data":""}"#,
                Error::MissingField {
                    object: "txpk",
                    field: "rfch",
                },
            ),
            (
                r#"{"freq":868.1,"rfch":0,"data":""}"#,
                Error::MissingField {
                    object: "txpk",
                    field: "datr",
                },
            ),
            (
                r#"{"freq":868.1,"rfch":0,"datr":"SF7BW125"}"#,
                Error::MissingField {
                    object: "txpk",
                    field: "data",
                },
            ),
            (
                r#"{"freq":868.1,"rfch":0,"datr":50000,"data":""}"#,
                Error::MissingField {
                    object: "txpk",
                    field: "fdev",
                },
            ),
            (
                r#"{"freq":868.1,"rfch":0,"datr":"SF7BW125","size":1,"data":""}"#,
                Error::SizeMismatch {
                    declared: 1,
                    actual: 0,
                },
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(Txpk::parse_json(json), Err(expected), "{json}");
        }
        assert!(matches!(
            Txpk::parse_json(r#"{"imme":1,"freq":868.1,"rfch":0,"datr":"SF7BW125","data":""}"#),
            Err(Error::InvalidJson { .. })
        ));
    }
}
