//! Configuration names: `eu868`, `us915`, `us915_0` … `us915_7`, `cn470_26a_5`, `as923_2`,
//! and so on. A fixed channel plan's name alone enables every channel; a `_k` suffix
//! enables sub-band `k` only.

use super::Band;
use crate::channel::ChannelPlan;
use crate::tables::{self, BANDS};
use crate::{Error, Result};

impl Band {
    /// Returns the band for a configuration name, ASCII case-insensitive.
    ///
    /// `us915_k` and `au915_k` enable narrow channels `8k` to `8k+7` and wide channel `64+k`
    /// (so `us915_1` is the usual "sub-band 2": channels 8 to 15 and 65); `cn470_20a_k`,
    /// `cn470_20b_k`, `cn470_26a_k` and `cn470_26b_k` enable channels `8k` to `8k+7`.
    /// `as923` is accepted for `as923_1`. Fails with [`Error::UnknownBand`] otherwise.
    pub fn by_name(name: &str) -> Result<Self> {
        if let Some(table) = tables::find(name) {
            return Ok(Self::new(table.id.to_owned(), table, None));
        }
        let unknown = || Error::UnknownBand(name.to_owned());
        let (family, suffix) = name.rsplit_once('_').ok_or_else(unknown)?;
        if suffix.is_empty() || !suffix.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(unknown());
        }
        let sub_band: u8 = suffix.parse().map_err(|_| unknown())?;
        let table = tables::find(family).ok_or_else(unknown)?;
        match table.plan {
            ChannelPlan::Fixed { sub_bands, .. } if sub_band < sub_bands.count => Ok(Self::new(
                format!("{}_{sub_band}", table.id),
                table,
                Some(sub_band),
            )),
            _ => Err(unknown()),
        }
    }

    /// Returns every configuration name [`Band::by_name`] accepts, aliases aside.
    pub fn names() -> Vec<String> {
        let mut names = Vec::new();
        for table in BANDS {
            names.push(table.id.to_owned());
            if let ChannelPlan::Fixed { sub_bands, .. } = table.plan {
                names.extend(
                    (0..sub_bands.count).map(|sub_band| format!("{}_{sub_band}", table.id)),
                );
            }
        }
        names
    }
}
