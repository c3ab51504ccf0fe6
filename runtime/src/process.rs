//! What runlayout records about the process it runs in (host, pid, start
//! time, command line), read once, and whether a process it recorded is
//! still the one running under that pid.

use std::sync::OnceLock;

use runlayout_grammar::hash;

/// This process, as every record it writes names it.
pub(crate) struct Process {
    /// The machine's name, if it has one.
    pub(crate) host: Option<String>,
    /// The process id.
    pub(crate) pid: u32,
    /// The command line, each argument lossily made UTF-8.
    pub(crate) command: Vec<String>,
    /// When the process started, in clock ticks since boot (Linux): with
    /// the pid it tells this process from a later one that reuses the pid.
    pub(crate) started: Option<u64>,
    /// The kernel's id of this boot (Linux): a pid of another boot is gone.
    pub(crate) boot: Option<String>,
    /// 8 hex digits of a hash of the host name: short enough for a file name,
    /// enough to tell the hosts sharing one file system apart.
    pub(crate) host_tag: String,
}

/// Read once per process: a run-creating loop should not reread `/proc`.
pub(crate) fn current() -> &'static Process {
    static PROCESS: OnceLock<Process> = OnceLock::new();
    PROCESS.get_or_init(|| {
        let host = read_host_name();
        let tag = hash::short_hex::<8>(host.as_deref().unwrap_or("").as_bytes());
        Process {
            host,
            pid: std::process::id(),
            command: std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            host_tag: tag.iter().map(|&b| char::from(b)).collect(),
            started: start_ticks(std::process::id()),
            boot: std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
                .ok()
                .map(|id| id.trim().to_owned())
                .filter(|id| !id.is_empty()),
        }
    })
}

/// This machine's name as runlayout records it in a run (`run.json`'s
/// `host`): the kernel's on Linux, else the `HOSTNAME` or `COMPUTERNAME`
/// variable. Read once per process.
///
/// ```
/// if let Some(host) = runlayout_runtime::host_name() {
///     assert!(!host.is_empty());
/// }
/// ```
pub fn host_name() -> Option<&'static str> {
    current().host.as_deref()
}

/// The machine's name: the kernel's on Linux, else what the environment says.
fn read_host_name() -> Option<String> {
    let from_kernel = std::fs::read_to_string("/proc/sys/kernel/hostname").ok();
    from_kernel
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
}

/// Whether process `pid` of this host exists: `None` where that cannot be
/// told without unsafe system calls (anything but Linux).
pub(crate) fn is_alive(pid: u32) -> Option<bool> {
    if cfg!(target_os = "linux") {
        Some(std::path::Path::new("/proc").join(pid.to_string()).exists())
    } else {
        None
    }
}

/// When process `pid` started, in clock ticks since boot: field 22 of
/// `/proc/<pid>/stat`, read after the command name (which may hold spaces
/// and parentheses). `None` if there is no such process (or no `/proc`).
pub(crate) fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    // Fields 3.. follow the name: the state is field 3, the start time 22.
    let mut fields = after_name.split_whitespace();
    // A zombie (Z) or a dying process (X) has ended; only its parent's
    // bookkeeping is left.
    if matches!(fields.next(), Some("Z" | "X")) {
        return None;
    }
    fields.nth(22 - 4)?.parse().ok()
}

/// What became of a process a record names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fate {
    /// It is still running: same host, same boot, same pid and start time.
    Running,
    /// It is gone: same host, and the pid is free, taken by a later process,
    /// or of an earlier boot.
    Gone,
    /// It cannot be told from here: another host, or a system without `/proc`.
    Unknown,
}

/// What became of process `pid` of `host` that started at `started` (ticks)
/// in boot `boot`.
pub(crate) fn fate(host: Option<&str>, pid: u32, started: Option<u64>, boot: Option<&str>) -> Fate {
    let me = current();
    if host.is_none() || host != me.host.as_deref() || me.boot.is_none() {
        return Fate::Unknown;
    }
    if boot.is_some() && boot != me.boot.as_deref() {
        return Fate::Gone;
    }
    match (start_ticks(pid), started) {
        (None, _) => Fate::Gone,
        (Some(now), Some(then)) if now != then => Fate::Gone,
        _ => Fate::Running,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_is_told_from_a_later_one_with_its_pid() {
        if !cfg!(target_os = "linux") {
            return;
        }
        let me = current();
        let host = me.host.as_deref();
        let boot = me.boot.as_deref();
        assert_eq!(fate(host, me.pid, me.started, boot), Fate::Running);
        let other_start = me.started.map(|t| t + 1);
        assert_eq!(fate(host, me.pid, other_start, boot), Fate::Gone);
        assert_eq!(fate(host, u32::MAX, me.started, boot), Fate::Gone);
        assert_eq!(
            fate(host, me.pid, me.started, Some("earlier-boot")),
            Fate::Gone
        );
        assert_eq!(fate(Some("elsewhere"), u32::MAX, None, None), Fate::Unknown);
    }

    #[test]
    fn this_process_is_alive() {
        let me = current();
        assert_eq!(me.pid, std::process::id());
        assert_eq!(me.host_tag.len(), 8);
        if cfg!(target_os = "linux") {
            assert_eq!(is_alive(me.pid), Some(true));
            assert_eq!(is_alive(u32::MAX), Some(false));
        }
    }
}
