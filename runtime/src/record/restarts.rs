//! `run.restarts.jsonl`: one line per later open or join of a run (a
//! restart), appended under the run's record lock, never rewritten.
//!
//! The creator is in `run.json`; every process that opens the run again
//! (`open`, `open_latest`, `RunArgs`' `--run-resume`) or joins it (the
//! other ranks of `create_or_open` and `create_for`, a requeued job) adds
//! a line: when, which process on which host, its command line, its
//! launcher with the launcher's restart count, and the parameters it was
//! given when they differ from those `run.json` recorded (the run keeps
//! its first ones). `Run::resolve`, which reads another run (a
//! `--init-from`), records nothing.

pub use runlayout_grammar::names::RESTARTS;

use crate::error::{RecordKind, Result};
use crate::io::process;
use crate::launch::provenance::{self, LauncherRecord};
use crate::record::json::{self, Extra, Record};
use crate::record::process_record::ProcessRecord;
use crate::record::time;
use crate::run::Run;

/// One later open or join of a run: [`Run::restarts`].
///
/// ```
/// # #[cfg(feature = "manifest")] {
/// use runlayout::Run;
///
/// let root = tempfile::tempdir()?;
/// let run = Run::builder(root.path()).run_id("r1").create()?;
/// // The job is requeued: a new process opens the run again.
/// let resumed = Run::builder(root.path()).run_id("r1").open()?;
/// let restarts = resumed.restarts()?;
/// assert_eq!(restarts.len(), 1);
/// assert_eq!(restarts[0].by, "open");
/// assert_eq!(restarts[0].process.pid, Some(std::process::id()));
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Restart {
    /// When: RFC 3339 with the local offset.
    pub at: String,
    /// How the run was found: `"open"` (opened by name or by `latest`, a
    /// resume) or `"join"` (a rank or a requeued job joining the run its
    /// id names, with `create_or_open` or `create_for`).
    pub by: String,
    /// The process that opened it (the fields `host`, `pid`,
    /// `process_started`, `boot`, `machine`, `pid_namespace`).
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub process: ProcessRecord,
    /// Its command line.
    #[cfg_attr(feature = "serde", serde(default))]
    pub command: Vec<String>,
    /// What launched it, with the launcher's restart count
    /// ([`LauncherRecord::restart_count`]).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub launcher: Option<LauncherRecord>,
    /// The parameters it was given, when they differ from those `run.json`
    /// recorded (which the run keeps); left out when they are the same or
    /// none were given.
    #[cfg(feature = "serde")]
    #[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Map<String, serde_json::Value>>,
    /// Every field this version does not know, kept as it was.
    #[cfg_attr(feature = "serde", serde(flatten))]
    extra: Extra,
}

impl Record for Restart {
    const KIND: RecordKind = RecordKind::Restarts;
}

/// How a restart found the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// Opened by name or by `latest`.
    Open,
    /// Joined: the folder its id names was there.
    Join,
}

/// Appends this process's restart of `run` to its restarts record, with
/// `params` (what this process was given) when they differ from the
/// parameters `run.json` recorded. Does nothing when records are not kept.
///
/// Costs, with no parameters given: the record lock (open or make
/// `run.lock`, `fstat`, `flock`), the append (open, `fstat`, one `write`,
/// close) and the lock's close. Parameters given add one read of
/// `run.json` (open, read, close).
pub(crate) fn record(run: &Run, found: Found, params: Option<&Extra>) -> Result<()> {
    if !json::ENABLED {
        return Ok(());
    }
    #[cfg(feature = "serde")]
    let changed = match params {
        Some(given) => {
            let recorded = run.manifest()?.and_then(|m| m.params);
            (recorded.as_ref() != Some(given)).then(|| given.clone())
        }
        None => None,
    };
    #[cfg(not(feature = "serde"))]
    let _ = params;
    let restart = Restart {
        at: time::now(),
        by: match found {
            Found::Open => "open",
            Found::Join => "join",
        }
        .to_owned(),
        process: ProcessRecord::this_process(),
        command: process::current().command.clone(),
        launcher: Some(provenance::launcher()),
        #[cfg(feature = "serde")]
        params: changed,
        extra: Extra::default(),
    };
    let _lock = json::lock(run.path())?;
    json::append_line(&run.path().join(RESTARTS), &restart)
}

impl Run {
    /// Every later open or join of the run, oldest first: when, by which
    /// process on which host, with what command line, launcher (and its
    /// restart count, such as `SLURM_RESTART_COUNT`) and, when they
    /// differed from the recorded ones, parameters. Empty for a run opened
    /// by nobody since its creation (or without records).
    ///
    /// A line cut short at the end of the record (a writer killed in its
    /// append) is passed over.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRecord`](crate::Error::InvalidRecord) naming
    /// `run.restarts.jsonl` and the line that is not a restart,
    /// [`Error::NotARegularFile`](crate::Error::NotARegularFile),
    /// [`Error::FileTooLarge`](crate::Error::FileTooLarge) (above 1 MiB),
    /// [`Error::Io`](crate::Error::Io).
    ///
    /// ```
    /// # #[cfg(feature = "manifest")] {
    /// use runlayout::Run;
    ///
    /// let root = tempfile::tempdir()?;
    /// let rank0 = Run::builder(root.path()).run_id("job-7").create_or_open()?;
    /// assert!(rank0.restarts()?.is_empty());
    /// let rank1 = Run::builder(root.path()).run_id("job-7").create_or_open()?;
    /// assert_eq!(rank1.restarts()?[0].by, "join");
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn restarts(&self) -> Result<Vec<Restart>> {
        json::read_lines(&self.path().join(RESTARTS))
    }
}
