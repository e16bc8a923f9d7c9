//! What the machine has room for: memory available to a new allocation and free
//! space on a file system. `None` where the platform does not tell.

use std::path::Path;

/// Memory available to this process without swapping, bytes (Linux: `MemAvailable`
/// of `/proc/meminfo`, capped by a cgroup v2 `memory.max` when set).
pub fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    let available = kib.saturating_mul(1024);
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok());
    let used = std::fs::read_to_string("/sys/fs/cgroup/memory.current")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok());
    Some(match (cgroup, used) {
        (Some(max), Some(used)) => available.min(max.saturating_sub(used)),
        _ => available,
    })
}

/// Free space for unprivileged writes on the file system holding `path` (or its
/// nearest existing ancestor), bytes.
pub fn free_space(path: &Path) -> Option<u64> {
    let mut at = path;
    loop {
        if at.exists() {
            break;
        }
        at = match at.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if at == Path::new(".") {
            break;
        }
    }
    let s = rustix::fs::statvfs(at).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_machine_reports_memory_and_disk() {
        if cfg!(target_os = "linux") {
            let m = available_memory().expect("Linux has /proc/meminfo");
            assert!(m > 1 << 20, "{m}");
            let d = free_space(Path::new("/definitely/not/here/x.avi")).expect("statvfs of /");
            assert!(d > 0);
        }
    }
}
