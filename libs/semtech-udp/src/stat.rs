//! `stat`: the gateway status object a PUSH_DATA may carry next to (or instead of) `rxpk`.
//!
//! Counters absent from the JSON read as 0, as ChirpStack reads them; position fields stay
//! `None` when the gateway has no GPS fix. Vendor extras beyond the ones below are ignored.
//! It does not compute statistics of its own.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::time::{self, UtcTime};
use crate::wire::{self, Lenient};

/// Gateway status (PROTOCOL.TXT §4, plus `temp` from the SX1302 forwarder and the `boot`,
/// `lmok`, `lmst`, `lmnw`, `lpps`, `fpga`, `dsp`, `hal` extras The Things Stack reads).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stat {
    /// `time`: gateway system time, ISO 8601 'expanded' (`2014-01-12 08:59:28 GMT`), as
    /// written. See [`Stat::parse_time`].
    pub time: Option<String>,
    /// `boot`: boot time, same format as `time`.
    pub boot: Option<String>,
    /// `lati`: GPS latitude in degrees, north positive.
    pub lati: Option<f64>,
    /// `long`: GPS longitude in degrees, east positive.
    pub long: Option<f64>,
    /// `alti`: GPS altitude in metres.
    pub alti: Option<i32>,
    /// `rxnb`: radio packets received.
    pub rxnb: u32,
    /// `rxok`: radio packets received with a valid PHY CRC.
    pub rxok: u32,
    /// `rxfw`: radio packets forwarded.
    pub rxfw: u32,
    /// `ackr`: percentage of upstream datagrams acknowledged.
    pub ackr: f64,
    /// `dwnb`: downlink datagrams received.
    pub dwnb: u32,
    /// `txnb`: packets emitted.
    pub txnb: u32,
    /// `temp`: concentrator temperature in °C (SX1302).
    pub temp: Option<f64>,
    /// `lmok`: packets from the link-test mote received with a valid CRC.
    pub lmok: Option<u32>,
    /// `lmst`: sequence number of the first link-test packet received.
    pub lmst: Option<u32>,
    /// `lmnw`: sequence number of the last link-test packet received.
    pub lmnw: Option<u32>,
    /// `lpps`: lost PPS pulses.
    pub lpps: Option<u32>,
    /// `fpga`: FPGA version.
    pub fpga: Option<u32>,
    /// `dsp`: DSP firmware version.
    pub dsp: Option<u32>,
    /// `hal`: HAL version, `X.Y.Z`.
    pub hal: Option<String>,
}

impl Stat {
    /// Parses `time`, if present, with [`time::parse_expanded_time`].
    pub fn parse_time(&self) -> Result<Option<UtcTime>> {
        self.time
            .as_deref()
            .map(time::parse_expanded_time)
            .transpose()
    }

    /// Parses one stat JSON object.
    pub fn parse_json(json: &str) -> Result<Stat> {
        let stat: StatIn = serde_json::from_str(json)?;
        Ok(stat.into_stat())
    }
}

/// stat as read from JSON.
#[derive(Deserialize)]
struct StatIn {
    time: Option<String>,
    boot: Option<String>,
    lati: Option<f64>,
    long: Option<f64>,
    alti: Option<Lenient<i32>>,
    rxnb: Option<u32>,
    rxok: Option<u32>,
    rxfw: Option<u32>,
    ackr: Option<f64>,
    dwnb: Option<u32>,
    txnb: Option<u32>,
    temp: Option<f64>,
    lmok: Option<u32>,
    lmst: Option<u32>,
    lmnw: Option<u32>,
    lpps: Option<u32>,
    fpga: Option<u32>,
    dsp: Option<u32>,
    hal: Option<String>,
}

impl StatIn {
    fn into_stat(self) -> Stat {
        Stat {
            time: wire::non_empty(self.time),
            boot: wire::non_empty(self.boot),
            lati: self.lati,
            long: self.long,
            alti: Lenient::opt(self.alti),
            rxnb: self.rxnb.unwrap_or(0),
            rxok: self.rxok.unwrap_or(0),
            rxfw: self.rxfw.unwrap_or(0),
            ackr: self.ackr.unwrap_or(0.0),
            dwnb: self.dwnb.unwrap_or(0),
            txnb: self.txnb.unwrap_or(0),
            temp: self.temp,
            lmok: self.lmok,
            lmst: self.lmst,
            lmnw: self.lmnw,
            lpps: self.lpps,
            fpga: self.fpga,
            dsp: self.dsp,
            hal: self.hal,
        }
    }
}

/// stat as written to JSON, in the field order of the SX1302 forwarder.
#[derive(Serialize)]
pub(crate) struct StatOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    boot: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lati: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    long: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alti: Option<i32>,
    rxnb: u32,
    rxok: u32,
    rxfw: u32,
    ackr: f64,
    dwnb: u32,
    txnb: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    temp: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lmok: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lmst: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lmnw: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lpps: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fpga: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dsp: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hal: Option<&'a str>,
}

impl<'a> StatOut<'a> {
    /// Builds the JSON form, checking floats.
    pub(crate) fn new(stat: &'a Stat) -> Result<Self> {
        wire::check_finite_opt("stat.lati", stat.lati)?;
        wire::check_finite_opt("stat.long", stat.long)?;
        wire::check_finite("stat.ackr", stat.ackr)?;
        wire::check_finite_opt("stat.temp", stat.temp)?;
        Ok(StatOut {
            time: stat.time.as_deref().filter(|time| !time.is_empty()),
            boot: stat.boot.as_deref().filter(|boot| !boot.is_empty()),
            lati: stat.lati,
            long: stat.long,
            alti: stat.alti,
            rxnb: stat.rxnb,
            rxok: stat.rxok,
            rxfw: stat.rxfw,
            ackr: stat.ackr,
            dwnb: stat.dwnb,
            txnb: stat.txnb,
            temp: stat.temp,
            lmok: stat.lmok,
            lmst: stat.lmst,
            lmnw: stat.lmnw,
            lpps: stat.lpps,
            fpga: stat.fpga,
            dsp: stat.dsp,
            hal: stat.hal.as_deref(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn decodes_stat_with_extras_from_the_things_stack() {
        // Raw status from The Things Stack pkg/ttnpb/udp/translation_test.go.
        let json = r#"{"rxfw":0,"hal":"5.1.0","fpga":2,"dsp":31,"lpps":2,"lmnw":3,"lmst":1,"lmok":3,"temp":30.5,"lati":52.34223,"long":5.29685,"txnb":0,"dwnb":0,"alti":66,"rxok":0,"boot":"2017-06-07 09:40:42 GMT","time":"2017-06-08 09:40:42 GMT","rxnb":0,"ackr":0.0}"#;
        let stat = Stat::parse_json(json).unwrap();
        assert_eq!(
            stat,
            Stat {
                time: Some("2017-06-08 09:40:42 GMT".into()),
                boot: Some("2017-06-07 09:40:42 GMT".into()),
                lati: Some(52.34223),
                long: Some(5.29685),
                alti: Some(66),
                temp: Some(30.5),
                lmok: Some(3),
                lmst: Some(1),
                lmnw: Some(3),
                lpps: Some(2),
                fpga: Some(2),
                dsp: Some(31),
                hal: Some("5.1.0".into()),
                ..Stat::default()
            }
        );
        assert_eq!(
            stat.parse_time().unwrap().map(|time| time.unix_seconds),
            Some(1_496_914_842)
        );
    }

    #[test]
    fn missing_counters_read_as_zero() {
        let stat = Stat::parse_json(r#"{"time":"2014-01-12 08:59:28 GMT","alti":145.0}"#).unwrap();
        assert_eq!(stat.rxnb, 0);
        assert_eq!(stat.ackr, 0.0);
        assert_eq!(stat.alti, Some(145));
        assert_eq!(stat.lati, None);
    }

    #[test]
    fn rejects_negative_counters_as_invalid_json() {
        assert!(matches!(
            Stat::parse_json(r#"{"rxnb":-1}"#),
            Err(Error::InvalidJson { .. })
        ));
    }
}
