//! The band summary behind `tern region show`, and its JSON form (`serde` feature).

use lorawan_region::{Band, Rx1FrequencyDescription};

#[test]
fn description_spells_out_the_band() {
    let description = Band::by_name("au915_0").unwrap().describe();
    assert_eq!(description.name, "au915_0");
    assert_eq!(description.common_name, "AU915-928");
    assert_eq!(description.channels.len(), 72);
    assert_eq!(
        description.enabled_channels,
        vec![0, 1, 2, 3, 4, 5, 6, 7, 64]
    );
    assert_eq!(description.rx1_data_rates[7], vec![9, 8, 8, 8, 8, 8]);
    assert_eq!(description.data_rates.len(), 14);
    let dr2 = &description.data_rates[2];
    assert_eq!(dr2.max_payload_dwell.map(|payload| payload.m), Some(19));
    assert_eq!(dr2.max_payload.map(|payload| payload.m), Some(59));
    assert_eq!(
        description.rx1_frequency,
        Rx1FrequencyDescription::DownlinkChannels {
            frequencies_hz: (0..8).map(|n| 923_300_000 + 600_000 * n).collect()
        }
    );
    assert!(description.supports_tx_param_setup);
    assert_eq!(description.tx_power_offsets_db.len(), 15);
}

#[cfg(feature = "serde")]
#[test]
fn every_band_describes_itself_as_json_and_back() {
    for name in Band::names() {
        let band = Band::by_name(&name).unwrap();
        let description = band.describe();
        let json = serde_json::to_string(&description).unwrap();
        let back: lorawan_region::BandDescription = serde_json::from_str(&json).unwrap();
        assert_eq!(back, description, "{name}");
    }
}

#[cfg(feature = "serde")]
#[test]
fn eu868_json_names_fields_in_spec_terms() {
    let json = serde_json::to_value(Band::by_name("eu868").unwrap().describe()).unwrap();
    assert_eq!(json["revision"], "RP002-1.0.4");
    assert_eq!(json["rx2"]["frequency_hz"], 869_525_000);
    assert_eq!(json["timing"]["join_accept_delay1"], "5s");
    assert_eq!(
        json["data_rates"][0]["data_rate"]["modulation"]["modulation"],
        "lora"
    );
    assert_eq!(
        json["data_rates"][0]["data_rate"]["modulation"]["spreading_factor"],
        12
    );
    assert_eq!(json["data_rates"][0]["max_payload"]["m"], 59);
    assert_eq!(
        json["data_rates"][8]["data_rate"]["modulation"]["coding_rate"],
        "1/3"
    );
    assert_eq!(json["ch_mask_rule"], "dynamic");
    assert_eq!(json["rx1_frequency"], "same_as_uplink");
    let us915 = serde_json::to_value(Band::by_name("us915_1").unwrap().describe()).unwrap();
    assert_eq!(
        us915["rx1_frequency"]["downlink_channels"]["frequencies_hz"][1],
        923_900_000
    );
    assert_eq!(us915["enabled_channels"][8], 65);
    assert_eq!(us915["cf_list"]["channel_mask"][0], 0xff00);
}
