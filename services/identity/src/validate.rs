//! Checks and normalises what callers send: identifiers, EUIs, tags, bands and the fields of a
//! device profile. Every check names the request field in its error.

use std::collections::HashMap;

use lorawan_codec::Eui64;
use lorawan_region::Band;
use tern_api::v1 as api;

use crate::{Error, Result};

/// LoRaWAN MAC versions a device profile may name.
const MAC_VERSIONS: &[&str] = &["1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.4", "1.1"];
/// ADR algorithms of `lorawan_region::adr`.
const ADR_ALGORITHMS: &[&str] = &["default", "loss-aware"];
/// Payload formatters the application server runs.
const FORMATTERS: &[&str] = &["none", "cayenne-lpp", "javascript"];
/// Longest name or description, in bytes.
const MAX_TEXT: usize = 2000;
/// Longest JavaScript formatter source, in bytes.
const MAX_FORMATTER_SOURCE: usize = 64 * 1024;
/// Most tags on one entity.
const MAX_TAGS: usize = 32;

/// Tells whether `id` is a registry identifier: 2 to 36 characters of `a-z`, `0-9` and `-`,
/// starting and ending with a letter or digit. Such an id is also a valid NATS token.
pub fn is_slug(id: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    (2..=36).contains(&id.len())
        && id.chars().all(|c| alnum(c) || c == '-')
        && id.starts_with(alnum)
        && id.ends_with(alnum)
}

/// Checks a caller-chosen identifier.
pub(crate) fn slug(field: &'static str, id: &str) -> Result<String> {
    if is_slug(id) {
        Ok(id.to_owned())
    } else {
        Err(Error::invalid(
            field,
            format!(
                "{id:?} must be 2 to 36 characters of a-z, 0-9 and '-', starting and ending with a letter or digit"
            ),
        ))
    }
}

/// Parses an EUI-64 and returns its canonical form, 16 lowercase hex digits.
pub(crate) fn eui(field: &'static str, text: &str) -> Result<String> {
    let compact: String = text.chars().filter(|c| !matches!(c, ':' | '-')).collect();
    match compact.parse::<Eui64>() {
        Ok(eui) if compact.len() == 16 => Ok(eui.to_string().to_ascii_lowercase()),
        _ => Err(Error::invalid(
            field,
            format!("{text:?} is not an EUI-64 (16 hex digits)"),
        )),
    }
}

/// Checks a name or description.
pub(crate) fn text(field: &'static str, value: &str) -> Result<String> {
    if value.len() > MAX_TEXT || value.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            format!("at most {MAX_TEXT} bytes without control characters"),
        ));
    }
    Ok(value.to_owned())
}

/// Checks tags and turns them into the stored form, sorted `key=value` strings.
pub(crate) fn tags(field: &'static str, tags: &HashMap<String, String>) -> Result<Vec<String>> {
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid(field, format!("at most {MAX_TAGS} tags")));
    }
    let mut stored = Vec::with_capacity(tags.len());
    for (key, value) in tags {
        let key_ok = !key.is_empty() && key.len() <= 64 && !key.contains('=');
        if !key_ok || value.len() > 256 || key.chars().chain(value.chars()).any(char::is_control) {
            return Err(Error::invalid(
                field,
                format!(
                    "tag {key:?}: keys are 1 to 64 bytes without '=', values at most 256 bytes"
                ),
            ));
        }
        stored.push(format!("{key}={value}"));
    }
    stored.sort();
    Ok(stored)
}

/// Turns stored tags back into a map.
pub(crate) fn tags_from_stored(stored: Vec<String>) -> HashMap<String, String> {
    stored
        .into_iter()
        .filter_map(|tag| {
            tag.split_once('=')
                .map(|(key, value)| (key.to_owned(), value.to_owned()))
        })
        .collect()
}

/// Checks a band name and returns the canonical one.
pub(crate) fn band(field: &'static str, name: &str) -> Result<String> {
    Band::by_name(name)
        .map(|band| band.name().to_owned())
        .map_err(|_| {
            Error::invalid(
                field,
                format!(
                    "unknown band {name:?}; known bands: {}",
                    Band::names().join(", ")
                ),
            )
        })
}

/// Checks every field of a device profile and normalises its band name.
pub(crate) fn device_profile(profile: &mut api::DeviceProfile) -> Result<()> {
    profile.name = text("device_profile.name", &profile.name)?;
    profile.description = text("device_profile.description", &profile.description)?;
    profile.band = band("device_profile.band", &profile.band)?;
    one_of(
        "device_profile.mac_version",
        &profile.mac_version,
        MAC_VERSIONS,
    )?;
    if profile.regional_parameters_revision.is_empty() {
        return Err(Error::invalid(
            "device_profile.regional_parameters_revision",
            "must name the revision, e.g. \"RP002-1.0.4\"",
        ));
    }
    text(
        "device_profile.regional_parameters_revision",
        &profile.regional_parameters_revision,
    )?;
    if profile.activation() == api::Activation::Unspecified {
        return Err(Error::invalid(
            "device_profile.activation",
            "must be ACTIVATION_OTAA or ACTIVATION_ABP",
        ));
    }
    range("device_profile.rx1_delay_s", profile.rx1_delay_s, 1, 15)?;
    range("device_profile.rx1_dr_offset", profile.rx1_dr_offset, 0, 7)?;
    range("device_profile.rx2_dr", profile.rx2_dr, 0, 15)?;
    if profile.rx2_frequency_hz != 0
        && !(100_000_000..=1_100_000_000).contains(&profile.rx2_frequency_hz)
    {
        return Err(Error::invalid(
            "device_profile.rx2_frequency_hz",
            format!("{} Hz is not a LoRaWAN frequency", profile.rx2_frequency_hz),
        ));
    }
    if profile.adr_algorithm.is_empty() {
        profile.adr_algorithm = ADR_ALGORITHMS[0].to_owned();
    }
    one_of(
        "device_profile.adr_algorithm",
        &profile.adr_algorithm,
        ADR_ALGORITHMS,
    )?;
    if !profile.max_eirp_dbm.is_finite() || !(0.0..=36.0).contains(&profile.max_eirp_dbm) {
        return Err(Error::invalid(
            "device_profile.max_eirp_dbm",
            "must be between 0 and 36 dBm",
        ));
    }
    if profile.payload_formatter_kind.is_empty() {
        profile.payload_formatter_kind = FORMATTERS[0].to_owned();
    }
    one_of(
        "device_profile.payload_formatter_kind",
        &profile.payload_formatter_kind,
        FORMATTERS,
    )?;
    let is_javascript = profile.payload_formatter_kind == "javascript";
    if is_javascript == profile.payload_formatter_source.is_empty()
        || profile.payload_formatter_source.len() > MAX_FORMATTER_SOURCE
    {
        return Err(Error::invalid(
            "device_profile.payload_formatter_source",
            "a javascript formatter needs its source (at most 64 KiB); other kinds take none",
        ));
    }
    Ok(())
}

/// Checks gateway coordinates.
pub(crate) fn location(gateway: &api::Gateway) -> Result<()> {
    if !gateway.latitude.is_finite() || !(-90.0..=90.0).contains(&gateway.latitude) {
        return Err(Error::invalid(
            "gateway.latitude",
            "must be -90 to 90 degrees",
        ));
    }
    if !gateway.longitude.is_finite() || !(-180.0..=180.0).contains(&gateway.longitude) {
        return Err(Error::invalid(
            "gateway.longitude",
            "must be -180 to 180 degrees",
        ));
    }
    if !gateway.altitude.is_finite() {
        return Err(Error::invalid("gateway.altitude", "must be a number"));
    }
    Ok(())
}

fn one_of(field: &'static str, value: &str, allowed: &[&str]) -> Result<()> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("{value:?} is not one of {}", allowed.join(", ")),
        ))
    }
}

fn range(field: &'static str, value: u32, min: u32, max: u32) -> Result<()> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("{value} is not between {min} and {max}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_short_lowercase_tokens() {
        for (id, ok) in [
            ("field-sensors", true),
            ("a1", true),
            ("a", false),
            ("-a", false),
            ("a-", false),
            ("Acme", false),
            ("a.b", false),
            (&"a".repeat(37), false),
        ] {
            assert_eq!(is_slug(id), ok, "{id}");
        }
    }

    #[test]
    fn euis_normalise_to_lowercase_hex() {
        assert_eq!(
            eui("dev_eui", "0004A30B001C0530").unwrap(),
            "0004a30b001c0530"
        );
        assert_eq!(
            eui("dev_eui", "00:04:a3:0b:00:1c:05:30").unwrap(),
            "0004a30b001c0530"
        );
        let error = eui("device.dev_eui", "0004a30b").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid device.dev_eui: \"0004a30b\" is not an EUI-64 (16 hex digits)"
        );
    }

    #[test]
    fn unknown_band_is_named() {
        assert_eq!(band("band", "EU868").unwrap(), "eu868");
        let error = band("gateway.band", "eu869").unwrap_err().to_string();
        assert!(error.starts_with("invalid gateway.band: unknown band \"eu869\""));
    }

    #[test]
    fn tags_round_trip_and_reject_equals_in_keys() {
        let map = HashMap::from([("floor".to_owned(), "2".to_owned())]);
        let stored = tags("tags", &map).unwrap();
        assert_eq!(stored, ["floor=2"]);
        assert_eq!(tags_from_stored(stored), map);
        let bad = HashMap::from([("a=b".to_owned(), "c".to_owned())]);
        assert!(tags("tags", &bad).is_err());
    }
}
