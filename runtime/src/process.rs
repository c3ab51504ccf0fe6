//! What runlayout records about the process it runs in (host, pid, command
//! line), read once, and whether another process on this host is still alive.

use std::sync::OnceLock;

use runlayout_grammar::hash;

/// This process, as every record it writes names it.
// Without manifests, only the temporaries' names use it.
#[cfg_attr(not(feature = "manifest"), allow(dead_code))]
pub(crate) struct Process {
    /// The machine's name, if it has one.
    pub(crate) host: Option<String>,
    /// The process id.
    pub(crate) pid: u32,
    /// The command line, each argument lossily made UTF-8.
    pub(crate) command: Vec<String>,
    /// 8 hex digits of a hash of the host name: short enough for a file name,
    /// enough to tell the hosts sharing one file system apart.
    pub(crate) host_tag: String,
}

/// Read once per process: a run-creating loop should not reread `/proc`.
pub(crate) fn current() -> &'static Process {
    static PROCESS: OnceLock<Process> = OnceLock::new();
    PROCESS.get_or_init(|| {
        let host = host_name();
        let tag = hash::short_hex::<8>(host.as_deref().unwrap_or("").as_bytes());
        Process {
            host,
            pid: std::process::id(),
            command: std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            host_tag: tag.iter().map(|&b| char::from(b)).collect(),
        }
    })
}

/// The machine's name: the kernel's on Linux, else what the environment says.
fn host_name() -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
