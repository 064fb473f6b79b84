//! The two tables at the heart of the SNR-margin ADR algorithm: how margin steps turn into a
//! data rate and TX power index, and how the packet error rate sets NbTrans.
//!
//! Both are pure integer functions with no knowledge of bands or history.

use super::history::PacketErrorRate;

/// Margin in dB that one step spends: one data rate up or one TX power index down.
///
/// Semtech's recommended network-side algorithm and ChirpStack
/// (`chirpstack/src/adr/default.rs`) both count 3 dB per step.
pub const MARGIN_STEP_DB: f32 = 3.0;

/// Largest NbTrans the algorithm asks for; ChirpStack and The Things Stack (`maxNbTrans`)
/// both stop at 3.
pub const MAX_NB_TRANS: u8 = 3;

/// Turns a link margin in dB into whole steps, truncating towards zero.
///
/// Truncation (as ChirpStack's `(snr_margin / 3.0) as isize` does) leaves a dead band of
/// ±3 dB around zero in which nothing changes, so a link hovering at its target does not
/// flip TX power up and down. A non-finite margin gives no step.
pub(crate) fn margin_steps(margin_db: f32) -> i32 {
    if !margin_db.is_finite() {
        return 0;
    }
    // `as` saturates at the i32 bounds, which the step loop then clamps to the limits.
    (margin_db / MARGIN_STEP_DB).trunc() as i32
}

/// Spends `steps` on the data rate and TX power index (LoRaWAN 1.0.4 §4.3.1.1: the network
/// raises the data rate and lowers the TX power while the margin allows).
///
/// Positive steps first raise the data rate up to `max_data_rate`, then raise the TX power
/// index (lower the power) up to `max_tx_power_index`. Negative steps only lower the TX power
/// index (raise the power) down to 0: the data rate never goes down here, since the device's
/// own ADR backoff lowers it when the network stops answering. Returns
/// `(data_rate, tx_power_index)`; callers ensure `data_rate <= max_data_rate` and
/// `tx_power_index <= max_tx_power_index`.
pub(crate) fn apply_steps(
    steps: i32,
    data_rate: u8,
    tx_power_index: u8,
    max_data_rate: u8,
    max_tx_power_index: u8,
) -> (u8, u8) {
    debug_assert!(data_rate <= max_data_rate && tx_power_index <= max_tx_power_index);
    let mut remaining = steps.unsigned_abs();
    if steps > 0 {
        let dr_up = step_count(remaining, max_data_rate.saturating_sub(data_rate));
        remaining -= u32::from(dr_up);
        let power_down = step_count(remaining, max_tx_power_index.saturating_sub(tx_power_index));
        (data_rate + dr_up, tx_power_index + power_down)
    } else {
        let power_up = step_count(remaining, tx_power_index);
        (data_rate, tx_power_index - power_up)
    }
}

/// Returns `min(remaining, room)` as a `u8`.
fn step_count(remaining: u32, room: u8) -> u8 {
    u8::try_from(remaining).map_or(room, |remaining| remaining.min(room))
}

/// NbTrans by packet error rate band (rows) and current NbTrans 1, 2, 3 (columns).
///
/// The table of ChirpStack `chirpstack/src/adr/default.rs` (`get_nb_trans`); The Things
/// Stack `pkg/networkserver/mac/adr.go` computes the same values by formula.
const NB_TRANS_TABLE: [(u8, [u8; 3]); 4] = [
    // PER below 5 %: the link is clean, repeat less.
    (5, [1, 1, 2]),
    // PER below 10 %: keep.
    (10, [1, 2, 3]),
    // PER below 30 %: repeat more.
    (30, [2, 3, 3]),
    // PER 30 % and above: repeat as much as the algorithm allows.
    (u8::MAX, [3, 3, 3]),
];

/// Returns the NbTrans for a link with `packet_error_rate` whose device now uses
/// `current_nb_trans` (LinkADRReq Redundancy, LoRaWAN 1.0.4 §5.3).
///
/// A current NbTrans of 0 counts as 1 (the spec's meaning of 0) and one above
/// [`MAX_NB_TRANS`] as [`MAX_NB_TRANS`]; the result is always in `1..=MAX_NB_TRANS`.
pub fn nb_trans_for_packet_error_rate(
    current_nb_trans: u8,
    packet_error_rate: &PacketErrorRate,
) -> u8 {
    let column = usize::from(current_nb_trans.clamp(1, MAX_NB_TRANS) - 1);
    let row = NB_TRANS_TABLE
        .iter()
        .find(|(below_percent, _)| packet_error_rate.is_below_percent(*below_percent))
        .unwrap_or(&NB_TRANS_TABLE[NB_TRANS_TABLE.len() - 1]);
    row.1[column]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_steps_matches_reference_table() {
        // Cases from ChirpStack chirpstack/src/adr/default.rs
        // `test_get_ideal_tx_power_index_and_dr`: (steps, tx_power_index, dr,
        // max_tx_power_index, max_dr) -> (tx_power_index, dr).
        let table = [
            ("nothing to do", (0, 1, 3, 5, 5), (1, 3)),
            ("one step: data rate up", (1, 1, 4, 5, 5), (1, 5)),
            ("one step: power down", (1, 1, 5, 5, 5), (2, 5)),
            ("two steps: data rate up twice", (2, 1, 3, 5, 5), (1, 5)),
            (
                "two steps: data rate up, power down",
                (2, 1, 4, 5, 5),
                (2, 5),
            ),
            ("two steps: power down twice", (2, 1, 5, 5, 5), (3, 5)),
            ("two steps at min power", (2, 5, 5, 5, 5), (5, 5)),
            ("one negative step: power up", (-1, 1, 5, 5, 5), (0, 5)),
            ("negative step at max power", (-1, 0, 4, 5, 5), (0, 4)),
            ("ten negative steps at max power", (-10, 0, 4, 5, 5), (0, 4)),
        ];
        for (name, (steps, power, dr, max_power, max_dr), (want_power, want_dr)) in table {
            assert_eq!(
                apply_steps(steps, dr, power, max_dr, max_power),
                (want_dr, want_power),
                "{name}"
            );
        }
    }

    #[test]
    fn apply_steps_saturates_at_extreme_step_counts() {
        assert_eq!(apply_steps(i32::MAX, 0, 0, 5, 7), (5, 7));
        assert_eq!(apply_steps(i32::MIN, 2, 7, 5, 7), (2, 0));
        assert_eq!(apply_steps(300, 0, 0, 15, 15), (15, 15));
    }

    #[test]
    fn margin_steps_truncates_towards_zero() {
        let table = [
            (0.0, 0),
            (2.9, 0),
            (3.0, 1),
            (8.9, 2),
            (-2.9, 0),
            (-3.0, -1),
            (-7.5, -2),
            (f32::NAN, 0),
            (f32::INFINITY, 0),
            (1e30, i32::MAX),
            (-1e30, i32::MIN),
        ];
        for (margin, steps) in table {
            assert_eq!(margin_steps(margin), steps, "margin {margin}");
        }
    }

    #[test]
    fn nb_trans_follows_packet_error_rate_table() {
        // Rows of ChirpStack `get_nb_trans`, probed at each band edge; the first three cases
        // are ChirpStack's own `test_get_nb_trans` vectors (4.99 %, 9.99 %, 30 %).
        let per = |lost, expected| PacketErrorRate { lost, expected };
        let table = [
            (per(499, 10_000), 3, 2),
            (per(999, 10_000), 2, 2),
            (per(30, 100), 3, 3),
            (per(0, 20), 1, 1),
            (per(0, 20), 2, 1),
            (per(0, 20), 3, 2),
            (per(1, 20), 1, 1),
            (per(1, 20), 2, 2),
            (per(1, 20), 3, 3),
            (per(2, 20), 1, 2),
            (per(5, 20), 2, 3),
            (per(6, 20), 1, 3),
            (per(0, 20), 0, 1),
            (per(0, 20), 9, 2),
            (per(20, 20), 9, 3),
        ];
        for (packet_error_rate, current, expected) in table {
            assert_eq!(
                nb_trans_for_packet_error_rate(current, &packet_error_rate),
                expected,
                "{packet_error_rate:?} at nb_trans {current}"
            );
        }
    }
}
