//! What runlayout records about the process it runs in (host, pid, start
//! time, command line, and what tells its pid space apart: machine, boot,
//! pid namespace), read once, and whether a process it recorded is still
//! the one running under that pid.
//!
//! A process is declared gone only when it certainly is: recorded in this
//! very pid space (same host name, machine id, boot and pid namespace) and
//! no process of that pid and start time exists. A process of another pid
//! space (a container sharing the host's name and file system, a machine
//! with the same host name) cannot be asked, and is never declared gone.

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
    /// The machine's id (`/etc/machine-id`): two machines, or a container
    /// and its host, may share a host name but rarely this.
    pub(crate) machine: Option<String>,
    /// The pid namespace (`/proc/self/ns/pid`, `pid:[4026531836]`): pids of
    /// another namespace (another container) cannot be looked up from here.
    pub(crate) pid_ns: Option<String>,
    /// 8 hex digits of a hash of all that names this pid space (host, machine,
    /// boot, pid namespace): short enough for a file name, enough to tell
    /// the pid spaces sharing one file system apart.
    pub(crate) host_tag: String,
}

/// Who a record names as its writer: a pid, and what tells its pid space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Writer<'a> {
    pub(crate) host: Option<&'a str>,
    pub(crate) pid: u32,
    pub(crate) started: Option<u64>,
    pub(crate) boot: Option<&'a str>,
    pub(crate) machine: Option<&'a str>,
    pub(crate) pid_ns: Option<&'a str>,
}

impl Writer<'_> {
    /// Whether the record names its writer by every part of a process's
    /// identity that this platform records for its own: the host, the
    /// start time, the boot and the pid namespace (on Linux all four,
    /// elsewhere the host alone). Only such a record can vouch for a living
    /// process: a pid alone may be any process's (pid 1 always lives), and
    /// without the rest a record can place itself in another pid space,
    /// where nothing is ever declared gone. The machine id is not asked
    /// for: many containers have none, and their records are whole without
    /// it.
    pub(crate) fn is_complete(&self) -> bool {
        let me = current();
        (self.host.is_some() || me.host.is_none())
            && (self.started.is_some() || me.started.is_none())
            && (self.boot.is_some() || me.boot.is_none())
            && (self.pid_ns.is_some() || me.pid_ns.is_none())
    }
}

/// Read once per process: a run-creating loop should not reread `/proc`.
pub(crate) fn current() -> &'static Process {
    static PROCESS: OnceLock<Process> = OnceLock::new();
    PROCESS.get_or_init(|| {
        let host = read_host_name();
        let boot = read_trimmed("/proc/sys/kernel/random/boot_id");
        let machine =
            read_trimmed("/etc/machine-id").or_else(|| read_trimmed("/var/lib/dbus/machine-id"));
        let pid_ns = std::fs::read_link("/proc/self/ns/pid")
            .ok()
            .map(|ns| ns.to_string_lossy().into_owned());
        let space = [&host, &machine, &boot, &pid_ns]
            .map(|part| part.as_deref().unwrap_or(""))
            .join("\n");
        let tag = hash::short_hex::<8>(space.as_bytes());
        Process {
            host,
            pid: std::process::id(),
            command: std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            host_tag: tag.iter().map(|&b| char::from(b)).collect(),
            started: start_ticks(std::process::id()),
            boot,
            machine,
            pid_ns,
        }
    })
}

/// The first line of a small file of the system's, if it has one.
fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}

impl Process {
    /// This process as a record names its writer.
    pub(crate) fn writer(&self) -> Writer<'_> {
        Writer {
            host: self.host.as_deref(),
            pid: self.pid,
            started: self.started,
            boot: self.boot.as_deref(),
            machine: self.machine.as_deref(),
            pid_ns: self.pid_ns.as_deref(),
        }
    }
}

/// This machine's name as runlayout records it in a run (`run.json`'s
/// `host`): the kernel's on Linux, else the `HOSTNAME` or `COMPUTERNAME`
/// variable. Read once per process.
///
/// ```
/// if let Some(host) = runlayout::env::host_name() {
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

/// When process `pid` started, in clock ticks since boot: field 22 of
/// `/proc/<pid>/stat`, read after the command name (which may hold spaces
/// and parentheses). `None` if there is no such process (or no `/proc`).
///
/// Read with one `open`, one `read` into a fixed buffer and one `close`: the
/// kernel hands the whole line to a read with room for it, and field 22
/// comes well before the end of any line (the name is at most 64 bytes,
/// each number at most 20 digits: under 600 bytes up to field 22). A line
/// that fills the buffer is read again the plain way.
pub(crate) fn start_ticks(pid: u32) -> Option<u64> {
    use std::io::Read as _;
    const ROOM: usize = 1024;
    let path = format!("/proc/{pid}/stat");
    let mut buffer = [0u8; ROOM];
    let mut file = std::fs::File::open(&path).ok()?;
    let read = loop {
        match file.read(&mut buffer) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => break other.ok()?,
        }
    };
    drop(file);
    if read == ROOM {
        let whole = std::fs::read(&path).ok()?;
        return start_in(&whole);
    }
    start_in(&buffer[..read])
}

/// Field 22 of a `/proc/<pid>/stat` line; `None` for a zombie or a line
/// that is not one.
fn start_in(stat: &[u8]) -> Option<u64> {
    let after_name = &stat[stat.iter().rposition(|&b| b == b')')? + 1..];
    let after_name = std::str::from_utf8(after_name).ok()?;
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
    /// It cannot be told from here: another host, a system without `/proc`,
    /// or a `/proc` that hides other users' processes.
    Unknown,
}

/// What became of the `writer` a record names.
pub(crate) fn fate(writer: Writer<'_>) -> Fate {
    let me = current();
    // Another pid space cannot be asked: another host, another machine of
    // the same name, another container's namespace.
    let same_space = me.boot.is_some()
        && writer.host.is_some()
        && writer.host == me.host.as_deref()
        && writer.machine == me.machine.as_deref()
        && writer.pid_ns == me.pid_ns.as_deref();
    if !same_space {
        return Fate::Unknown;
    }
    // Another boot: this machine booted since (its processes are gone), or
    // another machine cloned with the same name and machine id (they may
    // live). Nothing tells the two apart, so nothing is declared gone.
    if writer.boot != me.boot.as_deref() {
        return Fate::Unknown;
    }
    match (start_ticks(writer.pid), writer.started) {
        (None, _) if proc_hides_others() => Fate::Unknown,
        (None, _) => Fate::Gone,
        (Some(now), Some(then)) if now != then => Fate::Gone,
        _ => Fate::Running,
    }
}

/// Whether `/proc` hides other users' processes (mounted with `hidepid`):
/// then a pid that cannot be read may well be alive. Process 1 of the pid
/// namespace always exists, so not reading it tells; asked only when a
/// writer looks gone.
fn proc_hides_others() -> bool {
    std::process::id() != 1 && std::fs::File::open("/proc/1/stat").is_err()
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
        let mine = me.writer();
        assert_eq!(fate(mine), Fate::Running);
        let later = Writer {
            started: me.started.map(|t| t + 1),
            ..mine
        };
        assert_eq!(fate(later), Fate::Gone);
        assert_eq!(
            fate(Writer {
                pid: u32::MAX,
                ..mine
            }),
            Fate::Gone
        );
    }

    #[test]
    fn processes_of_another_pid_space_are_never_declared_gone() {
        if !cfg!(target_os = "linux") {
            return;
        }
        let mine = current().writer();
        let dead = Writer {
            pid: u32::MAX,
            ..mine
        };
        for other in [
            Writer {
                host: Some("elsewhere"),
                ..dead
            },
            Writer {
                machine: Some("another-machine"),
                ..dead
            },
            Writer {
                pid_ns: Some("pid:[1]"),
                ..dead
            },
            Writer { host: None, ..dead },
        ] {
            assert_eq!(fate(other), Fate::Unknown, "{other:?}");
        }
        let rebooted = Writer {
            boot: Some("earlier-boot"),
            ..dead
        };
        // Rebooted, or another machine cloned from one image: unknown.
        assert_eq!(fate(rebooted), Fate::Unknown);
    }

    #[test]
    fn a_writer_is_complete_with_every_part_this_platform_records() {
        let mine = current().writer();
        assert!(mine.is_complete());
        let without_machine = Writer {
            machine: None,
            ..mine
        };
        assert!(
            without_machine.is_complete(),
            "containers have no machine id"
        );
        if cfg!(target_os = "linux") {
            for partial in [
                Writer { host: None, ..mine },
                Writer {
                    started: None,
                    ..mine
                },
                Writer { boot: None, ..mine },
                Writer {
                    pid_ns: None,
                    ..mine
                },
            ] {
                assert!(!partial.is_complete(), "{partial:?}");
            }
        }
    }

    #[test]
    fn the_start_time_is_field_22_after_the_name() {
        let line = b"42 (a) b) c) S 1 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 1 2 3\n";
        assert_eq!(start_in(line), Some(987_654));
        assert_eq!(
            start_in(b"42 (zombie) Z 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20"),
            None
        );
        assert_eq!(start_in(b"no name here"), None);
        assert_eq!(start_in(b"42 (short) S 1 2"), None);
        if cfg!(target_os = "linux") {
            assert!(start_ticks(std::process::id()).is_some());
            assert_eq!(start_ticks(u32::MAX), None);
        }
    }

    #[test]
    fn this_process_is_described_once() {
        let me = current();
        assert_eq!(me.pid, std::process::id());
        assert_eq!(me.host_tag.len(), 8);
        if cfg!(target_os = "linux") {
            assert!(me.started.is_some() && me.boot.is_some() && me.pid_ns.is_some());
        }
    }
}
