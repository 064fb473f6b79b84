//! Parsing of the two ISO 8601 time forms the protocol uses, without a clock or time crate.
//!
//! `rxpk.time` is the 'compact' form `2013-03-31T16:21:17.528002Z` and `stat.time` the
//! 'expanded' form `2014-01-12 08:59:28 GMT` (PROTOCOL.TXT §4). The decoders keep both as the
//! gateway wrote them; these functions turn them into Unix time on request. They deliberately
//! know nothing about GPS time, leap seconds or time zones other than UTC offsets.

use crate::error::{Error, Result};

/// A UTC instant as Unix seconds plus nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTime {
    /// Seconds since 1970-01-01T00:00:00Z, ignoring leap seconds.
    pub unix_seconds: i64,
    /// Nanoseconds within the second, below 1 000 000 000.
    pub nanos: u32,
}

/// Parses the 'compact' form of `rxpk.time`: RFC 3339 with an optional fraction of 1 to 9
/// digits and `Z` or a `±HH:MM` offset, e.g. `2013-03-31T16:21:17.528002Z` (PROTOCOL.TXT §4).
pub fn parse_compact_time(text: &str) -> Result<UtcTime> {
    parse_compact(text.as_bytes()).ok_or_else(|| Error::InvalidTime(text.to_owned()))
}

/// Parses the 'expanded' form of `stat.time`: `YYYY-MM-DD HH:MM:SS GMT` (or `UTC`), as the
/// forwarder writes with `strftime("%F %T %Z")` (PROTOCOL.TXT §4).
pub fn parse_expanded_time(text: &str) -> Result<UtcTime> {
    parse_expanded(text.as_bytes()).ok_or_else(|| Error::InvalidTime(text.to_owned()))
}

fn parse_compact(bytes: &[u8]) -> Option<UtcTime> {
    let (date_time, rest) = bytes.split_at_checked(19)?;
    let seconds = parse_date_time(date_time, b'T')?;
    let (nanos, rest) = parse_fraction(rest)?;
    let offset = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = two_digits(*h1, *h2)?;
            let minutes = two_digits(*m1, *m2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = i64::from(hours * 3600 + minutes * 60);
            if *sign == b'+' { offset } else { -offset }
        }
        _ => return None,
    };
    Some(UtcTime {
        unix_seconds: seconds - offset,
        nanos,
    })
}

fn parse_expanded(bytes: &[u8]) -> Option<UtcTime> {
    let (date_time, zone) = bytes.split_at_checked(19)?;
    if !matches!(zone, b" GMT" | b" UTC") {
        return None;
    }
    Some(UtcTime {
        unix_seconds: parse_date_time(date_time, b' ')?,
        nanos: 0,
    })
}

/// Parses `YYYY-MM-DD?HH:MM:SS` (exactly 19 bytes) into Unix seconds.
fn parse_date_time(bytes: &[u8], separator: u8) -> Option<i64> {
    let &[
        y1,
        y2,
        y3,
        y4,
        b'-',
        mo1,
        mo2,
        b'-',
        d1,
        d2,
        sep,
        h1,
        h2,
        b':',
        mi1,
        mi2,
        b':',
        s1,
        s2,
    ] = bytes
    else {
        return None;
    };
    if sep != separator {
        return None;
    }
    let year = i64::from(two_digits(y1, y2)? * 100 + two_digits(y3, y4)?);
    let month = two_digits(mo1, mo2)?;
    let day = two_digits(d1, d2)?;
    let hour = two_digits(h1, h2)?;
    let minute = two_digits(mi1, mi2)?;
    let second = two_digits(s1, s2)?;
    // Second 60 is a leap second; it reads as the first second of the next minute.
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + i64::from(hour * 3600 + minute * 60 + second))
}

/// Parses an optional `.ddddddddd` fraction, returning nanoseconds and the rest.
fn parse_fraction(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let Some(rest) = bytes.strip_prefix(b".") else {
        return Some((0, bytes));
    };
    let n_digits = rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
    if n_digits == 0 || n_digits > 9 {
        return None;
    }
    let (digits, rest) = rest.split_at(n_digits);
    let mut nanos = 0u32;
    for index in 0..9 {
        let digit = digits.get(index).map_or(0, |byte| u32::from(byte - b'0'));
        nanos = nanos * 10 + digit;
    }
    Some((nanos, rest))
}

fn two_digits(high: u8, low: u8) -> Option<u32> {
    if high.is_ascii_digit() && low.is_ascii_digit() {
        Some(u32::from(high - b'0') * 10 + u32::from(low - b'0'))
    } else {
        None
    }
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_index + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(unix_seconds: i64, nanos: u32) -> UtcTime {
        UtcTime {
            unix_seconds,
            nanos,
        }
    }

    #[test]
    fn parses_compact_times_from_forwarders() {
        // Strings from PROTOCOL.TXT §4, The Things Stack translation_test.go and time_test.go;
        // Unix values computed with `date -u -d ... +%s`.
        let cases = [
            (
                "2013-03-31T16:21:17.528002Z",
                utc(1_364_746_877, 528_002_000),
            ),
            (
                "2017-07-04T13:51:17.997099Z",
                utc(1_499_176_277, 997_099_000),
            ),
            (
                "2017-06-06T15:04:05.999999Z",
                utc(1_496_761_445, 999_999_000),
            ),
            ("2006-01-02T22:04:05Z", utc(1_136_239_445, 0)),
            ("2006-01-02T15:04:05-07:00", utc(1_136_239_445, 0)),
            ("1970-01-01T00:00:00.000000001Z", utc(0, 1)),
            ("1969-12-31T23:59:59Z", utc(-1, 0)),
            ("2000-02-29T00:00:00Z", utc(951_782_400, 0)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_compact_time(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn parses_expanded_times_from_stat() {
        // PROTOCOL.TXT §4 and The Things Stack packet_data_test.go.
        let cases = [
            ("2014-01-12 08:59:28 GMT", utc(1_389_517_168, 0)),
            ("2017-06-08 09:40:42 GMT", utc(1_496_914_842, 0)),
            ("2017-06-08 09:40:42 UTC", utc(1_496_914_842, 0)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_expanded_time(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn rejects_malformed_times() {
        let compact = [
            "",
            "not a time string",
            "2013-03-31T16:21:17",
            "2013-03-31 16:21:17Z",
            "2013-13-31T16:21:17Z",
            "2013-02-29T16:21:17Z",
            "2013-03-31T24:00:00Z",
            "2013-03-31T16:21:17.Z",
            "2013-03-31T16:21:17.1234567890Z",
            "2013-03-31T16:21:17+1:00",
            "2013-03-31T16:21:17.5ZZ",
            "+013-03-31T16:21:17Z",
            "2013-03-31T16:21:17\u{e9}",
        ];
        for text in compact {
            assert_eq!(
                parse_compact_time(text),
                Err(Error::InvalidTime(text.into())),
                "{text}"
            );
        }
        for text in [
            "2014-01-12 08:59:28",
            "2014-01-12T08:59:28 GMT",
            "2014-01-12 08:59:28 CET",
        ] {
            assert_eq!(
                parse_expanded_time(text),
                Err(Error::InvalidTime(text.into())),
                "{text}"
            );
        }
    }
}
