//! The node's load for AgentLoadStatus: CPU usage since the previous sample (from `/proc/stat`)
//! and available memory (from `/proc/meminfo`). Two small file reads per sample.

use std::fs;

/// Samples CPU usage as the busy share of the jiffies since the previous sample.
#[derive(Debug, Default)]
pub struct LoadMeter {
    previous: Option<(u64, u64)>,
}

impl LoadMeter {
    /// (CPU usage in percent, free memory in bytes); zeros where `/proc` is unreadable.
    pub fn sample(&mut self) -> (u32, u64) {
        let cpu = fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| parse_cpu(&s))
            .map_or(0, |now| self.usage(now));
        let memory = fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|s| parse_available(&s))
            .unwrap_or(0);
        (cpu, memory)
    }

    fn usage(&mut self, (total, idle): (u64, u64)) -> u32 {
        let usage = match self.previous {
            Some((t0, i0)) if total > t0 => {
                let busy = (total - t0).saturating_sub(idle.saturating_sub(i0));
                u32::try_from(busy * 100 / (total - t0)).unwrap_or(100)
            }
            _ => 0,
        };
        self.previous = Some((total, idle));
        usage
    }
}

/// (total, idle + iowait) jiffies of the `cpu` line.
fn parse_cpu(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let idle = values.get(3)? + values.get(4).copied().unwrap_or(0);
    Some((values.iter().sum(), idle))
}

/// `MemAvailable` in bytes.
fn parse_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_usage_is_the_busy_share_between_samples() {
        let mut meter = LoadMeter::default();
        let first = parse_cpu("cpu  100 0 100 800 0 0 0 0 0 0\n").expect("parses");
        assert_eq!(meter.usage(first), 0);
        let second = parse_cpu("cpu  150 0 150 900 0 0 0 0 0 0\n").expect("parses");
        assert_eq!(meter.usage(second), 50);
    }

    #[test]
    fn available_memory_is_in_bytes() {
        let info = "MemTotal: 100 kB\nMemFree: 10 kB\nMemAvailable: 42 kB\n";
        assert_eq!(parse_available(info), Some(42 * 1024));
    }
}
