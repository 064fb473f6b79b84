//! Progress bars on stderr, or none at all: a disabled [`Progress`] hands out hidden bars so
//! the callers need no branches.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Makes progress bars, or hidden ones when disabled.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Progress {
    enabled: bool,
}

impl Progress {
    /// Returns a maker that draws when `enabled` (indicatif itself hides bars when stderr is
    /// not a terminal).
    pub(crate) fn new(enabled: bool) -> Progress {
        Progress { enabled }
    }

    /// Returns a bar counting to `len`, labelled `what`.
    pub(crate) fn bar(&self, len: u64, what: &str) -> ProgressBar {
        if !self.enabled {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{prefix:>20} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(what.to_owned());
        bar.enable_steady_tick(Duration::from_millis(250));
        bar
    }
}
