//! LinkADRReq channel masks (RP002-1.0.4, each band's LinkAdrReq section, e.g. §2.5.5 for
//! US902-928): turning a wanted set of enabled channels into the fewest (ChMaskCntl, ChMask)
//! pairs, and applying pairs the way a device does.
//!
//! Generation is absolute: the pairs set every channel, whatever the device had enabled
//! before, so the network needs no record of the device's mask to stay correct. It uses
//! ChMaskCntl 0 to 4 and the "all on/off" forms (6/7 in US902-928 and AU915-928, the
//! `all_on`/`all_off` values of CN470-510), and never ChMaskCntl 5, which devices built on
//! earlier Regional Parameters may treat as RFU. Application understands every value, with
//! ChMaskCntl 5 as Semtech LoRaMac-node `RegionUS915.c` applies it.

use crate::{ChMaskRule, Error, Result};

/// One LinkADRReq channel mask: ChMaskCntl and ChMask.
pub(crate) type MaskPair = (u8, u16);

const BLOCK: usize = 16;

/// Returns the 16-bit mask of channels `16 block .. 16 block + 16` in `enabled`.
fn block_mask(enabled: &[bool], block: usize) -> u16 {
    enabled
        .iter()
        .skip(block * BLOCK)
        .take(BLOCK)
        .enumerate()
        .filter(|(_, on)| **on)
        .fold(0, |mask, (bit, _)| mask | (1 << bit))
}

/// Builds the fewest pairs that leave exactly `enabled` switched on, whatever the device
/// had before. `enabled.len()` is the number of channels the band defines.
pub(crate) fn generate(rule: ChMaskRule, enabled: &[bool]) -> Result<Vec<MaskPair>> {
    if !enabled.iter().any(|on| *on) {
        return Err(Error::NoChannelEnabled);
    }
    let pairs = match rule {
        ChMaskRule::Dynamic => vec![(0, block_mask(enabled, 0))],
        ChMaskRule::Fixed64Plus8 => {
            let wide = block_mask(enabled, 4);
            let blocks = [0, 1, 2, 3].map(|block| block_mask(enabled, block));
            let explicit = explicit_pairs(&blocks, Some((4, wide)));
            let all_on = special_then(6, wide, &blocks, |mask| mask != u16::MAX);
            let all_off = special_then(7, wide, &blocks, |mask| mask != 0);
            shortest([explicit, all_on, all_off])
        }
        ChMaskRule::FixedBlocks {
            blocks,
            all_on,
            all_off,
        } => {
            let masks: Vec<u16> = (0..usize::from(blocks))
                .map(|block| block_mask(enabled, block))
                .collect();
            // Fixed plans of this shape have whole blocks (64 or 48 channels), so a full
            // block is 0xffff.
            let explicit = explicit_pairs(&masks, None);
            let on = special_then(all_on, 0, &masks, |mask| mask != u16::MAX);
            let off = special_then(all_off, 0, &masks, |mask| mask != 0);
            shortest([explicit, on, off])
        }
    };
    Ok(pairs)
}

fn explicit_pairs(blocks: &[u16], tail: Option<MaskPair>) -> Vec<MaskPair> {
    blocks
        .iter()
        .enumerate()
        .filter_map(|(block, mask)| u8::try_from(block).ok().map(|cntl| (cntl, *mask)))
        .chain(tail)
        .collect()
}

/// A special form first, then the blocks it leaves wrong.
fn special_then(
    cntl: u8,
    mask: u16,
    blocks: &[u16],
    needs_fix: impl Fn(u16) -> bool,
) -> Vec<MaskPair> {
    std::iter::once((cntl, mask))
        .chain(
            blocks
                .iter()
                .enumerate()
                .filter(|(_, mask)| needs_fix(**mask))
                .filter_map(|(block, mask)| u8::try_from(block).ok().map(|cntl| (cntl, *mask))),
        )
        .collect()
}

/// Picks the shortest candidate; on a tie the earliest (explicit masks, then "all on").
fn shortest<const N: usize>(candidates: [Vec<MaskPair>; N]) -> Vec<MaskPair> {
    candidates
        .into_iter()
        .reduce(|best, next| if next.len() < best.len() { next } else { best })
        .unwrap_or_default()
}

/// Applies one pair to `enabled` (one flag per channel the band defines) as a device would.
pub(crate) fn apply(rule: ChMaskRule, enabled: &mut [bool], (cntl, mask): MaskPair) -> Result<()> {
    match (rule, cntl) {
        (ChMaskRule::Dynamic, 0) => set_block(enabled, 0, mask),
        (ChMaskRule::Dynamic, 6) => {
            enabled.fill(true);
            Ok(())
        }
        (ChMaskRule::Fixed64Plus8, 0..=4) => set_block(enabled, usize::from(cntl), mask),
        (ChMaskRule::Fixed64Plus8, 5) => {
            // Bit n switches block n: channels 8n..8n+8 and wide channel 64+n. The high byte
            // is RFU (RP002-1.0.4 errata "US915 and AU915 ChMaskCtrl contradiction").
            for block in 0..8 {
                let on = mask & (1 << block) != 0;
                for channel in (block * 8..block * 8 + 8).chain([64 + block]) {
                    if let Some(flag) = enabled.get_mut(channel) {
                        *flag = on;
                    }
                }
            }
            Ok(())
        }
        (ChMaskRule::Fixed64Plus8, 6 | 7) => {
            enabled
                .iter_mut()
                .take(64)
                .for_each(|flag| *flag = cntl == 6);
            set_block(enabled, 4, mask)
        }
        (
            ChMaskRule::FixedBlocks {
                blocks,
                all_on,
                all_off,
            },
            _,
        ) => {
            if cntl < blocks {
                set_block(enabled, usize::from(cntl), mask)
            } else if cntl == all_on {
                enabled.fill(true);
                Ok(())
            } else if cntl == all_off {
                enabled.fill(false);
                Ok(())
            } else {
                Err(Error::UnsupportedChMaskCntl(cntl))
            }
        }
        _ => Err(Error::UnsupportedChMaskCntl(cntl)),
    }
}

/// Sets channels `16 block ..` from `mask`; a set bit for a channel the band does not define
/// fails, as the device would refuse it (Channel mask ACK unset).
fn set_block(enabled: &mut [bool], block: usize, mask: u16) -> Result<()> {
    for bit in 0..BLOCK {
        let channel = block * BLOCK + bit;
        let on = mask & (1 << bit) != 0;
        match enabled.get_mut(channel) {
            Some(flag) => *flag = on,
            None if on => return Err(Error::ChannelNotDefined(channel)),
            None => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(n: usize, on: &[usize]) -> Vec<bool> {
        (0..n).map(|channel| on.contains(&channel)).collect()
    }

    #[test]
    fn us915_sub_band_two_uses_all_off_then_one_block() {
        // Channels 8-15 and 65: ChMaskCntl 7 with ChMask 0x0002, then block 0 = 0xff00.
        let wanted = flags(72, &[8, 9, 10, 11, 12, 13, 14, 15, 65]);
        let pairs = generate(ChMaskRule::Fixed64Plus8, &wanted).unwrap();
        assert_eq!(pairs, vec![(7, 0x0002), (0, 0xff00)]);
    }

    #[test]
    fn cn470_26_mhz_prefers_the_all_on_and_all_off_forms() {
        let rule = ChMaskRule::FixedBlocks {
            blocks: 3,
            all_on: 3,
            all_off: 4,
        };
        assert_eq!(generate(rule, &[true; 48]).unwrap(), vec![(3, 0)]);
        // One sub-band of eight: "all off", then the one block that holds it.
        let wanted = flags(48, &[16, 17, 18, 19, 20, 21, 22, 23]);
        assert_eq!(generate(rule, &wanted).unwrap(), vec![(4, 0), (1, 0x00ff)]);
    }

    #[test]
    fn rejects_an_empty_set_and_undefined_channels() {
        assert_eq!(
            generate(ChMaskRule::Dynamic, &[false; 3]),
            Err(Error::NoChannelEnabled)
        );
        let mut enabled = vec![true; 3];
        assert_eq!(
            apply(ChMaskRule::Dynamic, &mut enabled, (0, 0b1000)),
            Err(Error::ChannelNotDefined(3))
        );
        assert_eq!(
            apply(ChMaskRule::Dynamic, &mut enabled, (1, 0)),
            Err(Error::UnsupportedChMaskCntl(1))
        );
    }

    #[test]
    fn chmaskcntl_five_switches_narrow_and_wide_channels_of_a_block() {
        let mut enabled = vec![true; 72];
        apply(ChMaskRule::Fixed64Plus8, &mut enabled, (5, 0x0102)).unwrap();
        let on: Vec<usize> = (0..72).filter(|channel| enabled[*channel]).collect();
        assert_eq!(on, vec![8, 9, 10, 11, 12, 13, 14, 15, 65]);
    }
}
