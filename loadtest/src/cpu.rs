//! CPU time of server processes from `/proc/PID/stat` (utime + stime), sampled at the start
//! and the end of the sending phase, so the report says what the load cost each process.
//!
//! Linux only; elsewhere no process is found and the report has no CPU lines. Clock ticks are
//! taken as 100 per second (`USER_HZ`, fixed at 100 by the Linux ABI on every architecture
//! the servers run on), as reading `sysconf` would need `unsafe`.

use std::path::Path;
use std::time::Instant;

use crate::config::CpuTarget;

/// Clock ticks per second of `/proc/PID/stat` times.
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU use of one process over the measured phase.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CpuUse {
    /// Name given, or `tern` plus the services of `--only`.
    pub name: String,
    /// Process id.
    pub pid: u32,
    /// CPU seconds (user + system) spent in the phase.
    pub cpu_seconds: f64,
    /// `cpu_seconds` over the phase's wall time, in percent of one core.
    pub percent_of_core: f64,
}

/// A sample taken at the start of the phase.
#[derive(Debug)]
pub(crate) struct CpuSample {
    at: Instant,
    start: Vec<(CpuTarget, Option<u64>)>,
}

impl CpuSample {
    /// Samples `targets`, or the processes named `tern` when `targets` is empty.
    pub(crate) fn start(targets: &[CpuTarget]) -> CpuSample {
        let targets = if targets.is_empty() {
            find_tern_processes(Path::new("/proc"))
        } else {
            targets.to_vec()
        };
        let start = targets
            .into_iter()
            .map(|target| {
                let ticks = ticks(Path::new("/proc"), target.pid);
                (target, ticks)
            })
            .collect();
        CpuSample {
            at: Instant::now(),
            start,
        }
    }

    /// Samples again and returns the use of each process that could be read both times.
    pub(crate) fn finish(&self) -> Vec<CpuUse> {
        let wall = self.at.elapsed().as_secs_f64();
        self.start
            .iter()
            .filter_map(|(target, start)| {
                let start = (*start)?;
                let end = ticks(Path::new("/proc"), target.pid)?;
                let cpu_seconds = end.saturating_sub(start) as f64 / TICKS_PER_SECOND;
                Some(CpuUse {
                    name: target.name.clone(),
                    pid: target.pid,
                    cpu_seconds,
                    percent_of_core: if wall > 0.0 {
                        100.0 * cpu_seconds / wall
                    } else {
                        0.0
                    },
                })
            })
            .collect()
    }
}

/// Returns utime + stime of `pid` in clock ticks.
fn ticks(proc: &Path, pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(proc.join(pid.to_string()).join("stat")).ok()?;
    parse_stat_ticks(&stat)
}

/// Parses utime + stime (fields 14 and 15) of a `/proc/PID/stat` line; the command name in
/// parentheses may hold spaces, so fields are counted after its closing parenthesis.
fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Field 3 (state) is the first after the name, so field N is at index N - 3.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Finds the processes whose command name is `tern`, named after their `--only` services.
fn find_tern_processes(proc: &Path) -> Vec<CpuTarget> {
    let Ok(entries) = std::fs::read_dir(proc) else {
        return Vec::new();
    };
    let mut found: Vec<CpuTarget> = entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let comm = std::fs::read_to_string(entry.path().join("comm")).ok()?;
            if comm.trim() != "tern" {
                return None;
            }
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let args: Vec<String> = cmdline
                .split(|byte| *byte == 0)
                .map(|arg| String::from_utf8_lossy(arg).into_owned())
                .collect();
            let only = args
                .iter()
                .position(|arg| arg == "--only")
                .and_then(|at| args.get(at + 1))
                .map(|services| format!(" --only {services}"))
                .unwrap_or_default();
            Some(CpuTarget {
                name: format!("tern{only}"),
                pid,
            })
        })
        .collect();
    found.sort_by_key(|target| target.pid);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utime_and_stime_after_a_name_with_spaces() {
        let stat = "4242 (tern serve) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 70 0 0 20 0 \
                    12 0 100 1000 200";
        assert_eq!(parse_stat_ticks(stat), Some(320));
        assert_eq!(parse_stat_ticks("4242 (tern) S 1"), None);
    }

    #[test]
    fn reads_this_process() {
        let pid = std::process::id();
        assert!(ticks(Path::new("/proc"), pid).is_some());
        let sample = CpuSample::start(&[CpuTarget {
            name: "self".to_owned(),
            pid,
        }]);
        let used = sample.finish();
        assert_eq!(used.len(), 1);
        assert!(used[0].cpu_seconds >= 0.0);
    }
}
