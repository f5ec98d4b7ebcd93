//! What the machine offers, for stages that compare a predictable need (memory,
//! sizes) with it before they read or allocate anything.

/// Where Linux reports memory.
pub const MEMINFO: &str = "/proc/meminfo";

/// Memory available for new allocations without swapping, bytes: `MemAvailable`
/// of /proc/meminfo. The error says why it is unknown (not Linux, no such line),
/// so a caller can say that it skipped its memory check.
pub fn available_memory_bytes() -> Result<u64, String> {
    let text =
        std::fs::read_to_string(MEMINFO).map_err(|e| format!("cannot read {MEMINFO}: {e}"))?;
    mem_available(&text).ok_or_else(|| format!("{MEMINFO} has no `MemAvailable: N kB` line"))
}

/// `MemAvailable` of a /proc/meminfo text, bytes (the file gives kB = 1024 bytes).
pub fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?;
    let mut words = line.split_whitespace();
    let value: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") => value.checked_mul(1024),
        None => Some(value),
        Some(_) => None,
    }
}

/// Bytes in GiB (2³⁰ bytes), for messages.
pub fn gib(bytes: f64) -> f64 {
    bytes / f64::from(1u32 << 30)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_available_is_read_in_kib() {
        let text =
            "MemTotal:       24607468 kB\nMemFree:         1000 kB\nMemAvailable:   20971520 kB\n";
        assert_eq!(mem_available(text), Some(20 * (1 << 30)));
        assert_eq!(mem_available("MemTotal: 5 kB\n"), None);
        assert_eq!(mem_available("MemAvailable: x kB\n"), None);
        assert!((gib(1.5 * f64::from(1u32 << 30)) - 1.5).abs() < 1e-15);
    }
}
