//! LoRaWAN Regional Parameters (RP002-1.0.x) band tables and the ADR algorithm.
//!
//! [`Band::by_name`] selects a band from its configuration name (`eu868`, `us915_1`,
//! `cn470_26a`, `as923_2`, …) and answers what the network server needs from RP002-1.0.4:
//! data rates and payload sizes, RX1/RX2 windows, channels and join channels, the
//! join-accept CFList, LinkADRReq channel masks, TX power, dwell time and class B defaults.
//! The band tables are const data with a few rule enums; there are no per-band code paths.
//!
//! Everything is pure: no I/O, no clock, no per-device state. The caller passes a device's
//! settings in.

pub mod adr;

mod airtime;
mod band;
mod ch_mask;
mod channel;
mod data_rate;
mod error;
mod rules;
mod tables;

pub use airtime::time_on_air;
pub use band::{Band, BandDescription, DataRateDescription, Rx1FrequencyDescription};
pub use channel::{Channel, ChannelGroup, JoinChannel};
pub use data_rate::{CodingRate, DataRate, LrFhssCodingRate, MaxPayload, Modulation};
pub use error::{Error, Result};
pub use rules::{
    BeaconDefaults, ChMaskRule, DutyCycleSubBand, DwellTimes, Revision, Rx1FrequencyRule, RxWindow,
    Timing,
};
