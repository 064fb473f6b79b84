//! Band selection by configuration name.

use lorawan_region::{Band, Error, Revision};

#[test]
fn every_listed_name_selects_that_band() {
    let names = Band::names();
    // 17 bands and plans, plus 8 sub-bands each for US915, AU915 and the CN470 20 MHz
    // plans and 6 for the CN470 26 MHz plans.
    assert_eq!(names.len(), 17 + 8 * 4 + 6 * 2);
    for name in names {
        let band = Band::by_name(&name).unwrap();
        assert_eq!(band.name(), name);
    }
}

#[test]
fn sub_band_suffix_selects_eight_channels() {
    let cases = [
        ("us915_0", vec![0, 1, 2, 3, 4, 5, 6, 7, 64]),
        ("us915_7", vec![56, 57, 58, 59, 60, 61, 62, 63, 71]),
        ("au915_2", vec![16, 17, 18, 19, 20, 21, 22, 23, 66]),
        ("cn470_20b_3", vec![24, 25, 26, 27, 28, 29, 30, 31]),
        ("cn470_26a_5", vec![40, 41, 42, 43, 44, 45, 46, 47]),
    ];
    for (name, channels) in cases {
        assert_eq!(
            Band::by_name(name).unwrap().enabled_channels(),
            channels,
            "{name}"
        );
    }
    assert_eq!(Band::by_name("us915").unwrap().enabled_channels().len(), 72);
    assert_eq!(Band::by_name("us915").unwrap().sub_band(), None);
}

#[test]
fn names_are_case_insensitive_and_as923_is_group_one() {
    assert_eq!(Band::by_name("EU868").unwrap().name(), "eu868");
    assert_eq!(Band::by_name("US915_1").unwrap().name(), "us915_1");
    assert_eq!(Band::by_name("as923").unwrap().name(), "as923_1");
    assert_eq!(Band::by_name("eu868").unwrap().common_name(), "EU863-870");
    assert_eq!(
        Band::by_name("cn779").unwrap().revision(),
        Revision::Rp002V1_0_3
    );
}

#[test]
fn rejects_unknown_names_and_sub_bands() {
    for name in [
        "",
        "eu869",
        "us915_8",
        "us915_",
        "us915_+1",
        "us915_01x",
        "eu868_1",
        "cn470",
        "cn470_26a_6",
        "as923_5",
        "as923_1_0",
        "us915_256",
    ] {
        assert_eq!(
            Band::by_name(name),
            Err(Error::UnknownBand(name.to_owned())),
            "{name:?}"
        );
    }
}
