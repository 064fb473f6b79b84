//! `tern region`: the Regional Parameters tables of a band, as an operator reads them.
//!
//! Text output is a set of small tables; `--json` prints the band's full description.

use std::fmt::Write;

use anyhow::Context;
use clap::{Args, Subcommand};
use lorawan_region::{Band, BandDescription, Modulation, Rx1FrequencyDescription};

/// The `tern region` subcommands.
#[derive(Debug, Subcommand)]
pub enum RegionCommand {
    /// List the band names a device profile or gateway can name.
    List,
    /// Print a band's data rates, channels and receive-window parameters.
    Show(ShowArgs),
}

/// Arguments of `tern region show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Band name, e.g. `eu868`, `us915_1` (sub-band 2), `as923_1`, `cn470_20a_0`.
    pub band: String,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// Runs a `tern region` subcommand and returns what to print.
pub fn run(command: RegionCommand) -> anyhow::Result<String> {
    match command {
        RegionCommand::List => Ok(Band::names().join("\n")),
        RegionCommand::Show(args) => {
            let band = Band::by_name(&args.band).context("select band")?;
            let description = band.describe();
            if args.json {
                serde_json::to_string_pretty(&description).context("serialise band")
            } else {
                Ok(text(&description))
            }
        }
    }
}

fn mhz(hz: u32) -> String {
    format!("{:.3}", f64::from(hz) / 1e6)
}

fn modulation(modulation: &Modulation) -> String {
    match modulation {
        Modulation::Lora {
            spreading_factor,
            bandwidth_hz,
            ..
        } => format!("LoRa SF{spreading_factor} BW{}", bandwidth_hz / 1000),
        Modulation::Fsk { bit_rate } => format!("FSK {} kbit/s", bit_rate / 1000),
        Modulation::LrFhss {
            coding_rate,
            occupied_channel_width_hz,
        } => format!(
            "LR-FHSS {coding_rate:?} OCW{}",
            occupied_channel_width_hz / 1000
        ),
    }
}

fn text(band: &BandDescription) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = write_text(&mut out, band);
    out
}

fn write_text(out: &mut String, band: &BandDescription) -> std::fmt::Result {
    writeln!(
        out,
        "{} ({}, {})",
        band.name, band.common_name, band.revision
    )?;
    writeln!(
        out,
        "RX2: {} MHz DR{}    RX1 frequency: {}",
        mhz(band.rx2.frequency_hz),
        band.rx2.data_rate,
        match &band.rx1_frequency {
            Rx1FrequencyDescription::SameAsUplink => "same as uplink".to_owned(),
            Rx1FrequencyDescription::DownlinkChannels { frequencies_hz } =>
                format!("{} fixed downlink channels", frequencies_hz.len()),
        }
    )?;
    writeln!(
        out,
        "Delays: RX1 {:?}, RX2 {:?}, join-accept {:?}/{:?}",
        band.timing.receive_delay1,
        band.timing.receive_delay2,
        band.timing.join_accept_delay1,
        band.timing.join_accept_delay2
    )?;
    writeln!(
        out,
        "Max EIRP {} dBm, TX power offsets {:?} dB, ADR data rates DR{}-DR{}",
        band.default_max_eirp_dbm,
        band.tx_power_offsets_db,
        band.adr_data_rate_range.0,
        band.adr_data_rate_range.1
    )?;
    writeln!(
        out,
        "\nDR  modulation              up  down  M/N       M/N dwell  M/N repeater"
    )?;
    let payload = |payload: Option<lorawan_region::MaxPayload>| {
        payload.map_or("-".to_owned(), |payload| {
            format!("{}/{}", payload.m, payload.n)
        })
    };
    for dr in &band.data_rates {
        writeln!(
            out,
            "{:<3} {:<23} {:<3} {:<5} {:<9} {:<10} {}",
            dr.index,
            modulation(&dr.data_rate.modulation),
            if dr.data_rate.uplink { "yes" } else { "no" },
            if dr.data_rate.downlink { "yes" } else { "no" },
            payload(dr.max_payload),
            payload(dr.max_payload_dwell),
            payload(dr.max_payload_repeater),
        )?;
    }
    writeln!(
        out,
        "\nRX1 data rate by uplink DR (columns: RX1DROffset 0..)"
    )?;
    for (dr, row) in band.rx1_data_rates.iter().enumerate() {
        if !row.is_empty() {
            writeln!(out, "DR{dr:<3} {row:?}")?;
        }
    }
    writeln!(out, "\nchannel  frequency MHz  DR range  enabled")?;
    for (idx, channel) in band.channels.iter().enumerate() {
        writeln!(
            out,
            "{:<8} {:<14} {:<9} {}",
            idx,
            mhz(channel.frequency_hz),
            format!("{}-{}", channel.min_dr, channel.max_dr),
            if band.enabled_channels.contains(&idx) {
                "yes"
            } else {
                "no"
            }
        )?;
    }
    if !band.duty_cycle_sub_bands.is_empty() {
        writeln!(out, "\nduty-cycle sub-band MHz  duty cycle  max EIRP dBm")?;
        for sub_band in &band.duty_cycle_sub_bands {
            writeln!(
                out,
                "{:<23} {:<11} {}",
                format!("{}-{}", mhz(sub_band.min_hz), mhz(sub_band.max_hz)),
                format!("{}%", sub_band.duty_cycle * 100.0),
                sub_band.max_eirp_dbm
            )?;
        }
    }
    Ok(())
}
