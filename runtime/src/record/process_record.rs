//! `ProcessRecord`: a process as the records name it, written out once for
//! both: the creator in `run.json`, the process running (or ending) the
//! run in `run.status.json`.

use crate::io::process::{self, Writer};

/// A process as a record names it: its host and pid, and what tells its
/// pid space and its start apart, so that a reader can tell whether it is
/// still the process running under that pid (see the guide's status
/// page). Flattened into the record that holds it: `run.json` and
/// `run.status.json` name its fields at their top level (`"host"`,
/// `"pid"`, `"process_started"`, `"boot"`, `"machine"`,
/// `"pid_namespace"`); a part this platform does not record is left out.
///
/// ```
/// # let root = tempfile::tempdir()?;
/// let run = runlayout::Run::builder(root.path()).create()?;
/// # #[cfg(feature = "manifest")] {
/// let creator = run.manifest()?.expect("written at creation").process;
/// assert_eq!(creator.pid, Some(std::process::id()));
/// assert_eq!(creator.host.as_deref(), runlayout::env::host_name());
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct ProcessRecord {
    /// The machine's name (the kernel's, else `HOSTNAME` or
    /// `COMPUTERNAME`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub host: Option<String>,
    /// The process id.
    #[cfg_attr(feature = "serde", serde(default))]
    pub pid: Option<u32>,
    /// When the process started, in clock ticks since boot (Linux): with
    /// `pid` it tells that process from a later one reusing the pid.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub process_started: Option<u64>,
    /// The id of the boot the process ran in (Linux).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub boot: Option<String>,
    /// The id of the machine the process ran on (`/etc/machine-id`).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub machine: Option<String>,
    /// The pid namespace of the process (Linux, `pid:[...]`): its pid means
    /// something only in that namespace.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub pid_namespace: Option<String>,
}

impl ProcessRecord {
    /// This process, as its records name it.
    pub(crate) fn this_process() -> ProcessRecord {
        let me = process::current();
        ProcessRecord {
            host: me.host.clone(),
            pid: Some(me.pid),
            process_started: me.started,
            boot: me.boot.clone(),
            machine: me.machine.clone(),
            pid_namespace: me.pid_ns.clone(),
        }
    }

    /// The writer the record names, if it names one (a pid).
    pub(crate) fn writer(&self) -> Option<Writer<'_>> {
        Some(Writer {
            host: self.host.as_deref(),
            pid: self.pid?,
            started: self.process_started,
            boot: self.boot.as_deref(),
            machine: self.machine.as_deref(),
            pid_ns: self.pid_namespace.as_deref(),
        })
    }

    /// Whether the record names this very process.
    pub(crate) fn is_this_process(&self) -> bool {
        self.writer()
            .is_some_and(|w| w == process::current().writer())
    }
}
