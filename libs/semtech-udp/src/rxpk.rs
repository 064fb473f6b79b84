//! `rxpk`: one received RF packet and its metadata, an element of PUSH_DATA's `rxpk` array.
//!
//! Decoding checks every field it knows (types, base64, `datr`, `codr`, `size`) and ignores
//! fields it does not know, since gateways add their own (`jver`, `meta`, ...). It does not
//! interpret the payload, which is a LoRaWAN PHYPayload for `lorawan-codec` to decode.

use serde::{Deserialize, Serialize};

use crate::datr::{self, CodingRate, DataRate};
use crate::error::{Error, Result};
use crate::frequency;
use crate::rsig::{Rsig, RsigIn, RsigOut};
use crate::time::{self, UtcTime};
use crate::wire::{self, DatrIn, DatrOut, Lenient};

/// CRC status of a received packet, the `stat` field of an rxpk (PROTOCOL.TXT §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CrcStatus {
    /// `1`: CRC present and valid.
    Ok,
    /// `-1`: CRC present and invalid.
    Bad,
    /// `0`: no CRC.
    NoCrc,
}

impl CrcStatus {
    /// Decodes the wire value.
    pub fn from_i64(value: i64) -> Result<Self> {
        match value {
            1 => Ok(CrcStatus::Ok),
            -1 => Ok(CrcStatus::Bad),
            0 => Ok(CrcStatus::NoCrc),
            other => Err(Error::InvalidCrcStatus(other)),
        }
    }

    /// Returns the wire value.
    pub fn to_i8(self) -> i8 {
        match self {
            CrcStatus::Ok => 1,
            CrcStatus::Bad => -1,
            CrcStatus::NoCrc => 0,
        }
    }
}

/// A received RF packet with its metadata (PROTOCOL.TXT §4; SX1302 forwarder additions
/// `tmms`, `ftime`, `mid`, `rssis`, `foff`; SX1301AR additions `brd`, `aesk`, `rsig`;
/// LR-FHSS `hpw`). Field names are the protocol's.
#[derive(Debug, Clone, PartialEq)]
pub struct Rxpk {
    /// `time`: UTC time of reception, ISO 8601 'compact', as the gateway wrote it; absent
    /// (or empty on the wire) without a time reference. See [`Rxpk::parse_time`].
    pub time: Option<String>,
    /// `tmms`: GPS time of reception in ms since 1980-01-06.
    pub tmms: Option<u64>,
    /// `tmst`: concentrator counter at the end of reception, in µs, wrapping at 2^32.
    pub tmst: u32,
    /// `ftime`: fine timestamp in ns since the last PPS (SX1302).
    pub ftime: Option<u32>,
    /// `freq`: centre frequency in MHz. See [`Rxpk::freq_hz`].
    pub freq: f64,
    /// `chan`: concentrator IF channel.
    pub chan: Option<u8>,
    /// `rfch`: concentrator RF chain.
    pub rfch: Option<u8>,
    /// `brd`: concentrator board.
    pub brd: Option<u32>,
    /// `mid`: concentrator modem id (SX1302).
    pub mid: Option<u8>,
    /// `aesk`: index of the AES key that encrypted the fine timestamps in `rsig`.
    pub aesk: Option<u32>,
    /// `stat`: CRC status.
    pub stat: CrcStatus,
    /// `datr` (with `modu`, which must agree with it when present).
    pub datr: DataRate,
    /// `codr`: coding rate; absent for FSK.
    pub codr: Option<CodingRate>,
    /// `hpw`: LR-FHSS hopping grid width in steps.
    pub hpw: Option<u8>,
    /// `rssi`: RSSI of the channel in dBm.
    pub rssi: Option<i16>,
    /// `rssis`: RSSI of the signal in dBm (SX1302).
    pub rssis: Option<i16>,
    /// `lsnr`: LoRa SNR in dB.
    pub lsnr: Option<f64>,
    /// `foff`: frequency offset in Hz (SX1302).
    pub foff: Option<i32>,
    /// `data`: the PHYPayload, base64-decoded. `size` is checked against it on decode and
    /// written from it on encode.
    pub data: Vec<u8>,
    /// `rsig`: per-antenna signal information; empty when absent.
    pub rsig: Vec<Rsig>,
}

impl Rxpk {
    /// Returns `freq` in Hz, rounded to the nearest Hz (868.1 gives 868 100 000).
    pub fn freq_hz(&self) -> u64 {
        frequency::mhz_to_hz(self.freq)
    }

    /// Parses `time`, if present, with [`time::parse_compact_time`].
    pub fn parse_time(&self) -> Result<Option<UtcTime>> {
        self.time
            .as_deref()
            .map(time::parse_compact_time)
            .transpose()
    }

    /// Parses one rxpk JSON object.
    pub fn parse_json(json: &str) -> Result<Rxpk> {
        serde_json::from_str::<RxpkIn>(json)?.into_rxpk()
    }
}

/// rxpk as read from JSON; required fields are optional here so their absence is typed.
#[derive(Deserialize)]
struct RxpkIn {
    time: Option<String>,
    tmms: Option<u64>,
    tmst: Option<u32>,
    ftime: Option<u32>,
    freq: Option<f64>,
    chan: Option<u8>,
    rfch: Option<u8>,
    brd: Option<u32>,
    mid: Option<u8>,
    aesk: Option<u32>,
    stat: Option<i64>,
    modu: Option<String>,
    datr: Option<DatrIn>,
    codr: Option<String>,
    hpw: Option<u8>,
    rssi: Option<Lenient<i16>>,
    rssis: Option<Lenient<i16>>,
    lsnr: Option<f64>,
    foff: Option<Lenient<i32>>,
    size: Option<u64>,
    data: Option<String>,
    rsig: Option<Vec<RsigIn>>,
}

fn required<T>(value: Option<T>, field: &'static str) -> Result<T> {
    value.ok_or(Error::MissingField {
        object: "rxpk",
        field,
    })
}

impl RxpkIn {
    fn into_rxpk(self) -> Result<Rxpk> {
        let tmst = required(self.tmst, "tmst")?;
        let freq = required(self.freq, "freq")?;
        let stat = CrcStatus::from_i64(required(self.stat, "stat")?)?;
        let datr = required(self.datr, "datr")?.into_data_rate()?;
        let data = required(self.data, "data")?;
        if freq < 0.0 {
            return Err(Error::InvalidFrequency);
        }
        datr::check_modulation(self.modu.as_deref(), &datr)?;
        let codr = self.codr.as_deref().map(CodingRate::parse).transpose()?;
        let data = wire::decode_base64("data", &data)?;
        check_size(self.size, data.len())?;
        let rsig = self
            .rsig
            .unwrap_or_default()
            .into_iter()
            .map(RsigIn::into_rsig)
            .collect::<Result<Vec<_>>>()?;
        Ok(Rxpk {
            time: wire::non_empty(self.time),
            tmms: self.tmms,
            tmst,
            ftime: self.ftime,
            freq,
            chan: self.chan,
            rfch: self.rfch,
            brd: self.brd,
            mid: self.mid,
            aesk: self.aesk,
            stat,
            datr,
            codr,
            hpw: self.hpw,
            rssi: Lenient::opt(self.rssi),
            rssis: Lenient::opt(self.rssis),
            lsnr: self.lsnr,
            foff: Lenient::opt(self.foff),
            data,
            rsig,
        })
    }
}

/// Checks a `size` field against the decoded payload length.
pub(crate) fn check_size(declared: Option<u64>, actual: usize) -> Result<()> {
    match declared {
        Some(declared) if u64::try_from(actual).ok() != Some(declared) => {
            Err(Error::SizeMismatch { declared, actual })
        }
        _ => Ok(()),
    }
}

/// rxpk as written to JSON, in the field order of the SX1302 forwarder.
#[derive(Serialize)]
pub(crate) struct RxpkOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tmms: Option<u64>,
    tmst: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    ftime: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    chan: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rfch: Option<u8>,
    freq: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    brd: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mid: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aesk: Option<u32>,
    stat: i8,
    modu: &'static str,
    datr: DatrOut,
    #[serde(skip_serializing_if = "Option::is_none")]
    codr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hpw: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rssi: Option<i16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rssis: Option<i16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lsnr: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    foff: Option<i32>,
    size: usize,
    data: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rsig: Vec<RsigOut>,
}

impl<'a> RxpkOut<'a> {
    /// Builds the JSON form, checking what JSON cannot carry or the reader would reject.
    pub(crate) fn new(rxpk: &'a Rxpk) -> Result<Self> {
        wire::check_finite("rxpk.freq", rxpk.freq)?;
        if rxpk.freq < 0.0 {
            return Err(Error::InvalidFrequency);
        }
        wire::check_finite_opt("rxpk.lsnr", rxpk.lsnr)?;
        rxpk.datr.validate()?;
        if let Some(codr) = &rxpk.codr {
            codr.validate()?;
        }
        Ok(RxpkOut {
            time: rxpk.time.as_deref().filter(|time| !time.is_empty()),
            tmms: rxpk.tmms,
            tmst: rxpk.tmst,
            ftime: rxpk.ftime,
            chan: rxpk.chan,
            rfch: rxpk.rfch,
            freq: rxpk.freq,
            brd: rxpk.brd,
            mid: rxpk.mid,
            aesk: rxpk.aesk,
            stat: rxpk.stat.to_i8(),
            modu: rxpk.datr.modulation().as_str(),
            datr: DatrOut(rxpk.datr),
            codr: rxpk.codr.map(|codr| codr.to_string()),
            hpw: rxpk.hpw,
            rssi: rxpk.rssi,
            rssis: rxpk.rssis,
            lsnr: rxpk.lsnr,
            foff: rxpk.foff,
            size: rxpk.data.len(),
            data: wire::encode_base64(&rxpk.data),
            rsig: rxpk
                .rsig
                .iter()
                .map(RsigOut::new)
                .collect::<Result<Vec<_>>>()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str =
        r#""tmst":1,"freq":868.1,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5""#;

    fn decode_with(extra: &str) -> Result<Rxpk> {
        Rxpk::parse_json(&format!("{{{BASE}{extra}}}"))
    }

    #[test]
    fn decodes_minimal_rxpk_and_ignores_unknown_fields() {
        let rxpk = decode_with(r#","data":"QAE=","jver":1,"meta":{"x":"y"},"foo":[1,{"a":null}]"#)
            .unwrap();
        assert_eq!(rxpk.data, vec![0x40, 0x01]);
        assert_eq!(rxpk.freq_hz(), 868_100_000);
        assert_eq!(rxpk.stat, CrcStatus::Ok);
        assert_eq!(rxpk.codr, Some(CodingRate::lora(5)));
        assert!(rxpk.rsig.is_empty());
        assert_eq!(rxpk.parse_time(), Ok(None));
    }

    #[test]
    fn rejects_each_malformed_field_with_its_own_error() {
        let cases = [
            (
                r#","size":3,"data":"QAE=""#,
                Error::SizeMismatch {
                    declared: 3,
                    actual: 2,
                },
            ),
            (r#","data":"QA$=""#, Error::InvalidBase64 { field: "data" }),
            (
                r#""#,
                Error::MissingField {
                    object: "rxpk",
                    field: "data",
                },
            ),
            (
                r#","data":"","rsig":[{"etime":"%%"}]"#,
                Error::InvalidBase64 { field: "etime" },
            ),
        ];
        for (extra, expected) in cases {
            assert_eq!(decode_with(extra), Err(expected), "{extra}");
        }
        let cases = [
            (
                r#"{"freq":868.1,"stat":1,"datr":"SF7BW125","data":""}"#,
                Error::MissingField {
                    object: "rxpk",
                    field: "tmst",
                },
            ),
            (
                r#"{"tmst":1,"stat":1,"datr":"SF7BW125","data":""}"#,
                Error::MissingField {
                    object: "rxpk",
                    field: "freq",
                },
            ),
            (
                r#"{"tmst":1,"freq":1,"datr":"SF7BW125","data":""}"#,
                Error::MissingField {
                    object: "rxpk",
                    field: "stat",
                },
            ),
            (
                r#"{"tmst":1,"freq":1,"stat":1,"data":""}"#,
                Error::MissingField {
                    object: "rxpk",
                    field: "datr",
                },
            ),
            (
                r#"{"tmst":1,"freq":1,"stat":2,"datr":"SF7BW125","data":""}"#,
                Error::InvalidCrcStatus(2),
            ),
            (
                r#"{"tmst":1,"freq":-1,"stat":1,"datr":"SF7BW125","data":""}"#,
                Error::InvalidFrequency,
            ),
            (
                r#"{"tmst":1,"freq":1,"stat":1,"datr":"SF?BW125","data":""}"#,
                Error::InvalidDataRate("SF?BW125".into()),
            ),
            (
                r#"{"tmst":1,"freq":1,"stat":1,"datr":"SF7BW125","codr":"?","data":""}"#,
                Error::InvalidCodingRate("?".into()),
            ),
            (
                r#"{"tmst":1,"freq":1,"stat":1,"modu":"FSK","datr":"SF7BW125","data":""}"#,
                Error::ModulationMismatch {
                    modu: "FSK".into(),
                    datr: "SF7BW125".into(),
                },
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(Rxpk::parse_json(json), Err(expected), "{json}");
        }
    }

    #[test]
    fn rejects_wrong_json_types_as_invalid_json() {
        for json in [
            r#"{"tmst":-1,"freq":1,"stat":1,"datr":"SF7BW125","data":""}"#,
            r#"{"tmst":4294967296,"freq":1,"stat":1,"datr":"SF7BW125","data":""}"#,
            r#"{"tmst":1,"freq":"868.1","stat":1,"datr":"SF7BW125","data":""}"#,
            r#"{"tmst":1,"freq":1,"stat":1,"datr":"SF7BW125","data":5}"#,
            r#"{"tmst":1,"freq":1,"stat":1,"datr":"SF7BW125","data":"","rsig":{}}"#,
            r#"[1,2]"#,
        ] {
            assert!(
                matches!(Rxpk::parse_json(json), Err(Error::InvalidJson { .. })),
                "{json}"
            );
        }
    }

    #[test]
    fn empty_time_reads_as_absent() {
        // ChirpStack packets.go CompactTime treats `""` as no time.
        let rxpk = decode_with(r#","time":"","data":"""#).unwrap();
        assert_eq!(rxpk.time, None);
    }

    #[test]
    fn encode_rejects_values_json_cannot_carry() {
        let mut rxpk = decode_with(r#","data":"""#).unwrap();
        rxpk.lsnr = Some(f64::NAN);
        assert_eq!(
            RxpkOut::new(&rxpk).err(),
            Some(Error::NonFiniteNumber { field: "rxpk.lsnr" })
        );
        rxpk.lsnr = None;
        rxpk.freq = -868.1;
        assert_eq!(RxpkOut::new(&rxpk).err(), Some(Error::InvalidFrequency));
        rxpk.freq = 868.1;
        rxpk.datr = DataRate::Lora {
            spreading_factor: 7,
            bandwidth_hz: 62_500,
        };
        assert!(matches!(
            RxpkOut::new(&rxpk).err(),
            Some(Error::InvalidDataRate(_))
        ));
    }
}
