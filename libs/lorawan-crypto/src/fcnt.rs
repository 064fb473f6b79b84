//! Reconstruction of the 32-bit uplink frame counter from the 16 bits a frame carries,
//! LoRaWAN 1.0.4 §4.3.1.5 and LoRaWAN 1.1 §4.3.1.5.
//!
//! The MIC covers the full 32-bit counter, so the network server must guess its upper 16 bits
//! before checking the MIC. The guess is the smallest value above the last accepted counter
//! whose low 16 bits match, as long as it lies within `max_gap` of it. Every other outcome is
//! named, so that the caller decides, and can report, what happens to repeated, old and far
//! ahead frames. This module holds no state and does not check the MIC.

/// MAX_FCNT_GAP: a frame whose counter is further ahead of the last accepted one is discarded
/// (LoRaWAN 1.0.3 §4.3.1.5); 16384 is the default value of the Regional Parameters
/// (RP002-1.0.4, default settings). Pass `u16::MAX` instead to accept any forward step.
pub const MAX_FCNT_GAP: u16 = 16_384;

/// What a received 16-bit FCnt means relative to the last accepted full counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FullFCnt {
    /// No counter was accepted yet in this session: the 16 bits are taken as the full value,
    /// since a session counts from 0. Whether a large first value is acceptable (an ABP device
    /// that kept counting) is the caller's policy.
    First {
        /// The full counter.
        f_cnt: u32,
    },
    /// The counter moved forward by `gap` (1 when no frame was lost), within `max_gap`.
    Advanced {
        /// The full counter.
        f_cnt: u32,
        /// `f_cnt - last`, in `1..=max_gap`.
        gap: u32,
    },
    /// The same counter as the last accepted frame: a retransmission (NbTrans) or a replay,
    /// which the MIC cannot tell apart. Callers accept it only as a retransmission, for example
    /// within the deduplication window of the first copy.
    Repeated {
        /// The full counter, equal to the last accepted one.
        f_cnt: u32,
    },
    /// The 16 bits match a counter below the last accepted one: a replay candidate, to reject.
    /// A frame ahead by more than `max_gap` whose low bits also match an earlier counter is
    /// reported here too; both are rejected, so the choice only affects reporting.
    Behind {
        /// The nearest earlier full counter with these low 16 bits.
        f_cnt: u32,
    },
    /// The counter is ahead by more than `max_gap` and no earlier counter has these low bits:
    /// reject (too many frames lost, or a forged counter).
    GapTooLarge {
        /// The full counter the frame would have.
        f_cnt: u32,
        /// `f_cnt - last`, above `max_gap`.
        gap: u32,
    },
    /// The counter would pass `u32::MAX`: the session has run out of counters and the device
    /// must join again (LoRaWAN 1.0.4 §4.3.1.5).
    Exhausted,
}

impl FullFCnt {
    /// Returns the full counter for every outcome but [`FullFCnt::Exhausted`].
    pub const fn f_cnt(self) -> Option<u32> {
        match self {
            Self::First { f_cnt }
            | Self::Advanced { f_cnt, .. }
            | Self::Repeated { f_cnt }
            | Self::Behind { f_cnt }
            | Self::GapTooLarge { f_cnt, .. } => Some(f_cnt),
            Self::Exhausted => None,
        }
    }

    /// Tells whether the counter is new to the session ([`FullFCnt::First`] or
    /// [`FullFCnt::Advanced`]), the only outcomes a frame may be accepted with as a new frame.
    pub const fn is_new(self) -> bool {
        matches!(self, Self::First { .. } | Self::Advanced { .. })
    }
}

/// Reconstructs the full 32-bit FCntUp from the 16-bit `received` value, given the `last`
/// accepted full counter of the session (`None` before the first uplink), LoRaWAN 1.0.4
/// §4.3.1.5.
///
/// With `d = (received - last) mod 2^16`: `d == 0` is [`FullFCnt::Repeated`]; `1 <= d <=
/// max_gap` is [`FullFCnt::Advanced`] to `last + d` (or [`FullFCnt::Exhausted`] past
/// `u32::MAX`); a larger `d` is [`FullFCnt::Behind`] when an earlier counter `last - (2^16 -
/// d)` exists and [`FullFCnt::GapTooLarge`] otherwise. `max_gap` is usually [`MAX_FCNT_GAP`].
pub fn reconstruct_f_cnt(last: Option<u32>, received: u16, max_gap: u16) -> FullFCnt {
    let Some(last) = last else {
        return FullFCnt::First {
            f_cnt: u32::from(received),
        };
    };
    // The low 16 bits of `last` are what the previous frame carried: truncation intended.
    let forward = u32::from(received.wrapping_sub(last as u16));
    if forward == 0 {
        return FullFCnt::Repeated { f_cnt: last };
    }
    if forward <= u32::from(max_gap) {
        return match last.checked_add(forward) {
            Some(f_cnt) => FullFCnt::Advanced {
                f_cnt,
                gap: forward,
            },
            None => FullFCnt::Exhausted,
        };
    }
    let backward = 0x1_0000 - forward;
    match last.checked_sub(backward) {
        Some(f_cnt) => FullFCnt::Behind { f_cnt },
        // `last < backward <= 0xffff`, so this addition stays below 2^17.
        None => FullFCnt::GapTooLarge {
            f_cnt: last + forward,
            gap: forward,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconstructs_counters_at_the_edges() {
        use FullFCnt::*;
        let gap = MAX_FCNT_GAP;
        // (last, received, max_gap, expected)
        let cases: &[(Option<u32>, u16, u16, FullFCnt)] = &[
            (None, 0, gap, First { f_cnt: 0 }),
            (None, 0xffff, gap, First { f_cnt: 0xffff }),
            (Some(0), 0, gap, Repeated { f_cnt: 0 }),
            (Some(0), 1, gap, Advanced { f_cnt: 1, gap: 1 }),
            (
                Some(0),
                0x4000,
                gap,
                Advanced {
                    f_cnt: 0x4000,
                    gap: 0x4000,
                },
            ),
            (
                Some(0),
                0x4001,
                gap,
                GapTooLarge {
                    f_cnt: 0x4001,
                    gap: 0x4001,
                },
            ),
            (
                Some(0),
                0xffff,
                gap,
                GapTooLarge {
                    f_cnt: 0xffff,
                    gap: 0xffff,
                },
            ),
            (
                Some(0xfffe),
                0xffff,
                gap,
                Advanced {
                    f_cnt: 0xffff,
                    gap: 1,
                },
            ),
            (Some(0xffff), 0xffff, gap, Repeated { f_cnt: 0xffff }),
            (
                Some(0xffff),
                0,
                gap,
                Advanced {
                    f_cnt: 0x1_0000,
                    gap: 1,
                },
            ),
            (
                Some(0xffff),
                5,
                gap,
                Advanced {
                    f_cnt: 0x1_0005,
                    gap: 6,
                },
            ),
            (Some(0x1_0000), 0, gap, Repeated { f_cnt: 0x1_0000 }),
            (Some(0x1_0000), 0xffff, gap, Behind { f_cnt: 0xffff }),
            (
                Some(0x1_0000),
                1,
                gap,
                Advanced {
                    f_cnt: 0x1_0001,
                    gap: 1,
                },
            ),
            (Some(100), 99, gap, Behind { f_cnt: 99 }),
            (Some(100), 0, gap, Behind { f_cnt: 0 }),
            (
                Some(100),
                100 + 0x4001,
                gap,
                GapTooLarge {
                    f_cnt: 100 + 0x4001,
                    gap: 0x4001,
                },
            ),
            (Some(0x2_0005), 0x4006, gap, Behind { f_cnt: 0x1_4006 }),
            (
                Some(u32::MAX - 1),
                0xffff,
                gap,
                Advanced {
                    f_cnt: u32::MAX,
                    gap: 1,
                },
            ),
            (Some(u32::MAX), 0xffff, gap, Repeated { f_cnt: u32::MAX }),
            (Some(u32::MAX), 0, gap, Exhausted),
            (
                Some(u32::MAX),
                0xfffe,
                gap,
                Behind {
                    f_cnt: u32::MAX - 1,
                },
            ),
            // Without MAX_FCNT_GAP every forward step is accepted, even a full lap minus one.
            (
                Some(100),
                99,
                u16::MAX,
                Advanced {
                    f_cnt: 0x1_0000 + 99,
                    gap: 0xffff,
                },
            ),
            (
                Some(0),
                0xffff,
                u16::MAX,
                Advanced {
                    f_cnt: 0xffff,
                    gap: 0xffff,
                },
            ),
            (Some(0), 1, 0, GapTooLarge { f_cnt: 1, gap: 1 }),
        ];
        for &(last, received, max_gap, expected) in cases {
            assert_eq!(
                reconstruct_f_cnt(last, received, max_gap),
                expected,
                "last {last:?}, received {received:#x}, max_gap {max_gap}"
            );
        }
    }

    #[test]
    fn only_first_and_advanced_are_new() {
        use FullFCnt::*;
        let cases = [
            (First { f_cnt: 1 }, true, Some(1)),
            (Advanced { f_cnt: 2, gap: 1 }, true, Some(2)),
            (Repeated { f_cnt: 3 }, false, Some(3)),
            (Behind { f_cnt: 4 }, false, Some(4)),
            (
                GapTooLarge {
                    f_cnt: 5,
                    gap: 0x4001,
                },
                false,
                Some(5),
            ),
            (Exhausted, false, None),
        ];
        for (outcome, is_new, f_cnt) in cases {
            assert_eq!(outcome.is_new(), is_new, "{outcome:?}");
            assert_eq!(outcome.f_cnt(), f_cnt, "{outcome:?}");
        }
    }
}
