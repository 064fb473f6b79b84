//! LinkADRReq channel masks of the fixed-channel bands: generated masks applied to any
//! starting state give exactly the wanted channels, and applying arbitrary masks never
//! panics. RP002-1.0.4 §2.5.5 (US902-928), §2.8.5 (AU915-928), §2.9 (CN470-510).

use lorawan_codec::LinkAdrReqPayload;
use lorawan_region::{Band, Channel, Error};
use proptest::prelude::*;

/// Every fixed-plan band and the number of channels it defines.
const FIXED: [(&str, usize); 6] = [
    ("us915", 72),
    ("au915", 72),
    ("cn470_20a", 64),
    ("cn470_20b", 64),
    ("cn470_26a", 48),
    ("cn470_26b", 48),
];

fn channel_set(n: usize) -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::btree_set(0..n, 0..=n).prop_map(|set| set.into_iter().collect())
}

fn fixed_case() -> impl Strategy<Value = (&'static str, Vec<usize>, Vec<usize>)> {
    proptest::sample::select(&FIXED[..]).prop_flat_map(|(name, n)| {
        (
            Just(name),
            channel_set(n).prop_filter("a device keeps a channel", |set| !set.is_empty()),
            channel_set(n),
        )
    })
}

#[test]
fn sub_band_masks_round_trip_from_every_plan_default() {
    for name in Band::names() {
        let band = Band::by_name(&name).unwrap();
        let wanted = band.enabled_channels();
        let payloads = band.link_adr_masks(&wanted).unwrap();
        let all: Vec<usize> = (0..band.channels().len()).collect();
        assert_eq!(
            band.apply_link_adr_masks(&all, &payloads),
            Ok(wanted.clone()),
            "{name}"
        );
        assert_eq!(
            band.apply_link_adr_masks(&[0], &payloads),
            Ok(wanted),
            "{name}"
        );
        if band.sub_band().is_some() {
            assert_eq!(payloads.len(), 2, "{name}: all off, then one block");
        }
    }
}

#[test]
fn chmaskcntl_six_and_seven_win_when_shorter() {
    let us915 = Band::by_name("us915").unwrap();
    // Narrow channels all on, wide channels partly on: one "all 125 kHz on".
    let mut wanted: Vec<usize> = (0..64).collect();
    wanted.push(66);
    let payloads = us915.link_adr_masks(&wanted).unwrap();
    assert_eq!(
        payloads
            .iter()
            .map(|p| (p.ch_mask_cntl, p.ch_mask))
            .collect::<Vec<_>>(),
        vec![(6, 0b100)]
    );
    // Half the narrow channels: "all on" or "all off" both need two more blocks; the
    // explicit form needs five, so a special form is used.
    let half: Vec<usize> = (0..32).chain([64]).collect();
    let payloads = us915.link_adr_masks(&half).unwrap();
    assert_eq!(payloads.len(), 3);
    assert!(matches!(payloads[0].ch_mask_cntl, 6 | 7));
}

proptest! {
    #[test]
    fn generated_masks_give_exactly_the_wanted_channels((name, wanted, current) in fixed_case()) {
        let band = Band::by_name(name).unwrap();
        let payloads = band.link_adr_masks(&wanted).unwrap();
        prop_assert_eq!(band.apply_link_adr_masks(&current, &payloads), Ok(wanted.clone()));
        // Never ChMaskCntl 5, never more than one payload per 16-channel block (plus the
        // wide channels of US902-928 and AU915-928).
        prop_assert!(payloads.iter().all(|p| p.ch_mask_cntl != 5));
        prop_assert!(payloads.len() <= band.channels().len().div_ceil(16));
        // All narrow channels on, or all off: one payload says it.
        let narrow = band.channels().len().min(64);
        let narrow_on = wanted.iter().filter(|channel| **channel < narrow).count();
        if narrow_on == narrow || (narrow_on == 0 && narrow == 64) {
            prop_assert_eq!(payloads.len(), 1);
        }
    }

    #[test]
    fn dynamic_band_masks_round_trip(wanted in channel_set(16), current in channel_set(16)) {
        prop_assume!(!wanted.is_empty());
        let mut band = Band::by_name("eu868").unwrap();
        for n in 0..13 {
            band.add_channel(Channel::new(867_100_000 + n * 100_000, 0, 5)).unwrap();
        }
        let payloads = band.link_adr_masks(&wanted).unwrap();
        prop_assert_eq!(payloads.len(), 1);
        prop_assert_eq!(band.apply_link_adr_masks(&current, &payloads), Ok(wanted));
    }

    #[test]
    fn arbitrary_masks_apply_or_fail_cleanly(
        index in 0..FIXED.len(),
        current in channel_set(48),
        masks in proptest::collection::vec((0u8..8, any::<u16>()), 0..4),
    ) {
        let band = Band::by_name(FIXED[index].0).unwrap();
        let payloads: Vec<LinkAdrReqPayload> = masks
            .into_iter()
            .map(|(ch_mask_cntl, ch_mask)| LinkAdrReqPayload {
                ch_mask,
                ch_mask_cntl,
                ..LinkAdrReqPayload::default()
            })
            .collect();
        match band.apply_link_adr_masks(&current, &payloads) {
            Ok(enabled) => {
                prop_assert!(!enabled.is_empty());
                prop_assert!(enabled.iter().all(|channel| *channel < band.channels().len()));
            }
            Err(error) => prop_assert!(matches!(
                error,
                Error::UnsupportedChMaskCntl(_) | Error::ChannelNotDefined(_) | Error::NoChannelEnabled
            )),
        }
    }
}
