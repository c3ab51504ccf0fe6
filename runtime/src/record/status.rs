//! A run's status: running, finished, failed, crashed (its process died
//! without saying how it ended), or untracked (nothing ever recorded how it
//! stands).
//!
//! Who runs a run is recorded by whoever starts running it: the creator's
//! host, pid and process start time are in `run.json`; a process that
//! resumes a run records itself in `run.status.json` when it takes a
//! [`RunGuard`]. How a run ended is recorded in `run.status.json` by
//! [`Run::finish`], [`Run::fail`] or the guard, replaced atomically and
//! keeping every field it does not know.
//!
//! # How the status is decided
//!
//! Records are read, never trusted to say more than they can. In order:
//!
//! 1. A status record that records an end (`finished`, `failed`,
//!    `crashed`) gives that status.
//! 2. A status record marked running (or whose status is missing or
//!    `null`) vouches for a living process only when it names its writer by
//!    its full identity: a pid, and every part of a process's identity this
//!    platform records for its own (host, process start time, boot and pid
//!    namespace on Linux; the host elsewhere; the machine id is not asked
//!    for, as many containers have none). Then the writer's fate decides
//!    where it can be asked: gone from this pid space (no such pid, a later
//!    process under it) is [`RunStatus::Crashed`], alive is
//!    [`RunStatus::Running`]. A writer of another pid space (another host,
//!    boot or container) cannot be asked: its heartbeat decides. Younger
//!    than three of its recorded intervals plus the clock-skew margin
//!    ([`CLOCK_SKEW`], or `RUNLAYOUT_CLOCK_SKEW` seconds) is running; older
//!    is crashed, with the reason `no heartbeat since <time> from <host>`.
//!    A record without a heartbeat (written by 0.1, or by a program that
//!    never beats) leaves such a run running.
//! 3. A status record that names no writer, or only part of one (`{}`,
//!    `{"status":"running"}`, a bare pid), leaves the decision to the
//!    creator recorded in `run.json`, judged the same way by what its
//!    record holds (written once, at creation, by runlayout itself): gone
//!    is crashed, alive or unknown is running; records that name nobody at
//!    all are crashed.
//! 4. With no status record at all, nothing ever tracked the run's status
//!    (no guard, no heartbeat, no finish or fail): it is
//!    [`RunStatus::Running`] while its creator is alive in this pid space,
//!    and otherwise [`RunStatus::Untracked`], never crashed: a program
//!    that never took a guard and exited normally did not crash.
//!
//! A record needed to decide that cannot be read (a corrupt `run.json`
//! where the status record does not settle it, a corrupt status record) is
//! an error, never a guess: listings report it, and `prune` keeps the run as
//! unreadable. [`Run::state`] and [`FoundRun::state`](crate::FoundRun::state)
//! decide by this one function; the scan passes the manifest it read, or
//! that it could not read it.
//!
//! Every write of the status record (an end, a guard taken, a heartbeat)
//! holds the run's record lock (`run.lock`) around its read, change and
//! rename, so that a heartbeat never overwrites an end written a moment
//! before, and a guard never overwrites an end its program recorded.

use std::fmt::Display;
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

pub use runlayout_grammar::names::STATUS;

use crate::error::RecordKind;
use crate::error::{Error, Result};
use crate::io::process::{self, Fate, Writer};
use crate::io::temporary;
use crate::launch::env::Vars;
use crate::record::json::{self, Extra, Record};
use crate::record::manifest::Manifest;
use crate::record::probe::{self, Stand};
use crate::record::process_record::ProcessRecord;
#[cfg(feature = "object-store")]
use crate::record::stage_index::{self, TaggedText};
use crate::record::time;
use crate::run::Run;

/// Where a run stands.
///
/// ```
/// use runlayout::{Run, RunStatus};
///
/// let root = tempfile::tempdir()?;
/// let run = Run::builder(root.path()).create()?;
/// # #[cfg(feature = "manifest")] {
/// assert_eq!(run.status()?, RunStatus::Running);
/// run.finish()?;
/// assert_eq!(run.status()?, RunStatus::Finished);
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum RunStatus {
    /// A process runs it: alive in this pid space, or of another host with
    /// a recent heartbeat (or a status record without heartbeats).
    Running,
    /// It ended well: [`Run::finish`] or [`RunGuard::finish`].
    Finished,
    /// It ended badly: [`Run::fail`], or a [`RunGuard`] dropped unfinished.
    Failed,
    /// Its process is gone without saying how it ended: gone from this
    /// host, or of another host and silent for longer than three heartbeat
    /// intervals (see [`RunState::reason`]).
    Crashed,
    /// Nothing ever recorded how it stands (no guard, no heartbeat, no
    /// finish or fail), and its creator is not known to be alive: a program
    /// that does not track its status, which may have ended well.
    Untracked,
}

impl RunStatus {
    /// Every status, in the order a run can go through them.
    ///
    /// ```
    /// use runlayout::RunStatus;
    /// let names: Vec<String> = RunStatus::ALL.iter().map(|s| s.to_string()).collect();
    /// assert_eq!(names, ["running", "finished", "failed", "crashed", "untracked"]);
    /// ```
    pub const ALL: [RunStatus; 5] = [
        RunStatus::Running,
        RunStatus::Finished,
        RunStatus::Failed,
        RunStatus::Crashed,
        RunStatus::Untracked,
    ];
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RunStatus::Running => "running",
            RunStatus::Finished => "finished",
            RunStatus::Failed => "failed",
            RunStatus::Crashed => "crashed",
            RunStatus::Untracked => "untracked",
        })
    }
}

/// How a run ended: when, and for a failed run why.
///
/// ```
/// # let root = tempfile::tempdir()?;
/// let run = runlayout::Run::builder(root.path()).create()?;
/// run.fail("loss went to NaN")?;
/// # #[cfg(feature = "manifest")] {
/// let ended = run.ended()?.expect("recorded");
/// assert_eq!(ended.reason.as_deref(), Some("loss went to NaN"));
/// assert!(ended.at_time().is_some());
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Ended {
    /// When: RFC 3339 with the local offset.
    pub at: String,
    /// Why it failed, if it did.
    pub reason: Option<String>,
}

impl Ended {
    /// [`at`](Ended::at) as a time, if it parses.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
    /// run.finish()?;
    /// # #[cfg(feature = "manifest")]
    /// assert!(run.ended()?.unwrap().at_time().unwrap() <= std::time::SystemTime::now());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn at_time(&self) -> Option<SystemTime> {
        time::parse(&self.at)
    }
}

/// Where a run stands, how it ended if it did, and on which host:
/// [`Run::state`].
///
/// ```
/// # let root = tempfile::tempdir()?;
/// let run = runlayout::Run::builder(root.path()).create()?;
/// let state = run.state()?;
/// assert!(state.ended.is_none());
/// # #[cfg(feature = "manifest")]
/// assert_eq!(state.host.as_deref(), runlayout::env::host_name());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct RunState {
    /// The status.
    pub status: RunStatus,
    /// When and how it ended, if that was recorded.
    pub ended: Option<Ended>,
    /// The host of the process that runs the run, or ended it: the one the
    /// status record names (a resumed run's may be another node than its
    /// creator's), else, when no status record names its writer whole (or
    /// before any status was recorded), the creator's (`run.json`). `None`
    /// when neither names one.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub host: Option<String>,
    /// Why the run is [`RunStatus::Crashed`] when no record says so but a
    /// reader concluded it: `no heartbeat since <time> from <host>`, or
    /// `process <pid> on <host> is gone`. `None` otherwise.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub reason: Option<String>,
    /// When the process running the run last said it was alive (RFC 3339),
    /// if it records heartbeats.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub heartbeat: Option<String>,
}

/// How much later than its deadline a heartbeat may come before a reader
/// of another host calls the run crashed: the clocks of two hosts may
/// differ by that much. `RUNLAYOUT_CLOCK_SKEW` (seconds) replaces it.
pub const CLOCK_SKEW: Duration = Duration::from_secs(60);

/// The variable that replaces [`CLOCK_SKEW`], in seconds.
pub const ENV_CLOCK_SKEW: &str = "RUNLAYOUT_CLOCK_SKEW";

/// The shortest heartbeat interval taken; a shorter one is this.
const HEARTBEAT_MIN: Duration = Duration::from_millis(10);

/// A run is crashed once its heartbeat is older than this many intervals
/// (plus the clock-skew margin): one missed beat is a busy file system,
/// three are a dead process.
const MISSED_BEATS: u32 = 3;

/// `run.status.json`.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct StatusRecord {
    /// `None` for a record this version cannot read the status of.
    #[cfg_attr(feature = "serde", serde(default))]
    status: Option<RunStatus>,
    #[cfg_attr(feature = "serde", serde(default))]
    ended: Option<String>,
    #[cfg_attr(feature = "serde", serde(default))]
    reason: Option<String>,
    /// When the process running the run last said it was alive.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    heartbeat: Option<String>,
    /// How often it promised to say so, in seconds.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    heartbeat_interval: Option<f64>,
    /// The process running the run (or that ended it).
    #[cfg_attr(feature = "serde", serde(flatten))]
    process: ProcessRecord,
    #[cfg_attr(feature = "serde", serde(flatten))]
    extra: Extra,
}

impl Record for StatusRecord {
    const KIND: RecordKind = RecordKind::Status;
}

impl StatusRecord {
    /// The record with this process named as the one running or ending it.
    fn by_this_process(mut self, status: RunStatus) -> StatusRecord {
        self.status = Some(status);
        self.process = ProcessRecord::this_process();
        self
    }

    /// The writer the record names, if it names one.
    fn writer(&self) -> Option<Writer<'_>> {
        self.process.writer()
    }
}

impl Run {
    /// Records that the run finished well.
    ///
    /// # Errors
    ///
    /// [`Error::Io`](crate::Error::Io) naming `run.status.json`;
    /// [`Error::InvalidRecord`](crate::Error::InvalidRecord) if the
    /// record there cannot be read (it is not replaced then).
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
    /// run.finish()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn finish(&self) -> Result<()> {
        self.end(RunStatus::Finished, None)
    }

    /// Records that the run failed, and why.
    ///
    /// # Errors
    ///
    /// As [`finish`](Run::finish).
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
    /// run.fail(format_args!("out of memory at step {}", 1200))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fail(&self, reason: impl Display) -> Result<()> {
        self.end(RunStatus::Failed, Some(reason.to_string()))
    }

    /// Where the run stands: the recorded end, or, for a run still marked
    /// running, whether the process a record names by its full identity
    /// (the status record's writer, else the creator in `run.json`) is
    /// still there. A process on another host cannot be asked: such a run
    /// stays [`RunStatus::Running`] (its host is [`RunState::host`]). A run
    /// with no record at all (made without manifests, never ended) is
    /// [`RunStatus::Running`] too; one whose records name no process is
    /// [`RunStatus::Crashed`].
    ///
    /// A status record vouches for a living process only when it names its
    /// writer by its full identity: a pid and every part of a process's
    /// identity this platform records (host, process start time, boot and
    /// pid namespace on Linux; the machine id is not required). One that
    /// names no writer (`{}`, `{"status": "running"}`) or only part of one
    /// (a bare pid, which may be any process's) leaves the decision to the
    /// creator in `run.json`: a run whose creator is long dead is crashed,
    /// whatever such a record says.
    ///
    /// For an ended run this costs three system calls (open, read, close of
    /// `run.status.json`). For a run still running that no status record
    /// names a process of (its creator runs it), seven: the look for that
    /// record, then open, read, close of `run.json` and of
    /// `/proc/<pid>/stat` (read once, into a fixed buffer).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRecord`](crate::Error::InvalidRecord) or
    /// [`Error::NotARegularFile`](crate::Error::NotARegularFile) naming a
    /// record that cannot be read and is needed: the status record always,
    /// `run.json` when the status record does not settle the status (or
    /// names no host); [`Error::Io`](crate::Error::Io).
    ///
    /// ```
    /// use runlayout::{Run, RunStatus};
    ///
    /// let root = tempfile::tempdir()?;
    /// let run = Run::builder(root.path()).create()?;
    /// # #[cfg(feature = "manifest")] {
    /// run.fail("diverged")?;
    /// assert_eq!(run.status()?, RunStatus::Failed);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn status(&self) -> Result<RunStatus> {
        self.state().map(|s| s.status)
    }

    /// [`status`](Run::status) and [`ended`](Run::ended) at once, from one
    /// read of the status record: what a listing of many runs wants.
    ///
    /// # Errors
    ///
    /// As [`status`](Run::status).
    ///
    /// ```
    /// use runlayout::{Run, RunStatus};
    ///
    /// let root = tempfile::tempdir()?;
    /// let run = Run::builder(root.path()).create()?;
    /// # #[cfg(feature = "manifest")] {
    /// run.fail("preempted")?;
    /// let state = run.state()?;
    /// assert_eq!(state.status, RunStatus::Failed);
    /// assert_eq!(state.ended.unwrap().reason.as_deref(), Some("preempted"));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn state(&self) -> Result<RunState> {
        self.state_with(KnownManifest::Unread)
    }

    /// [`state`](Run::state), with the manifest as a scan found it: read
    /// (or not there), or not read yet (or unreadable, so that reading it
    /// again gives the error [`state`](Run::state) gives). The manifest is
    /// read only when the status record does not settle the state. See the
    /// module's documentation for the rules.
    pub(crate) fn state_with(&self, manifest: KnownManifest<'_>) -> Result<RunState> {
        let record = self.status_to_read()?;
        let mut creator = CreatorRecord {
            run: self,
            known: manifest,
            read: None,
        };
        let ended = record.as_ref().and_then(|r| {
            Some(Ended {
                at: r.ended.clone()?,
                reason: r.reason.clone(),
            })
        });
        let heartbeat = record.as_ref().and_then(|r| r.heartbeat.clone());
        let (verdict, host) = match &record {
            // An end recorded.
            Some(StatusRecord {
                status: Some(status),
                process,
                ..
            }) if *status != RunStatus::Running => {
                let host = match &process.host {
                    Some(host) => Some(host.clone()),
                    None => creator.manifest()?.and_then(|m| m.process.host.clone()),
                };
                (Verdict::of(*status), host)
            }
            // Marked running by a writer it names whole.
            Some(record) if record.writer().is_some_and(|w| w.is_complete()) => {
                (record.judge()?, record.process.host.clone())
            }
            // A record that does not vouch: the creator decides.
            Some(record) => {
                let manifest = creator.manifest()?;
                let verdict = match manifest.and_then(|m| m.process.writer()) {
                    Some(writer) => judge(writer),
                    // Records that name nobody vouch for nobody.
                    None => Verdict::of(RunStatus::Crashed),
                };
                // The creator's host: the process judged; the record's if
                // there is no manifest to name one.
                let host = manifest
                    .and_then(|m| m.process.host.clone())
                    .or_else(|| record.process.host.clone());
                (verdict, host)
            }
            // Nothing ever tracked the status: running while its creator
            // lives here, untracked otherwise.
            None => {
                let manifest = creator.manifest()?;
                if manifest.is_none() && matches!(probe::stand(self.path())?, Stand::Missing(_)) {
                    return Err(Error::RunNotFound {
                        path: self.path().to_path_buf(),
                        elsewhere: Vec::new(),
                    });
                }
                let alive = manifest
                    .and_then(|m| m.process.writer())
                    .is_some_and(|w| process::fate(w) == Fate::Running);
                let status = if alive {
                    RunStatus::Running
                } else {
                    RunStatus::Untracked
                };
                (
                    Verdict::of(status),
                    manifest.and_then(|m| m.process.host.clone()),
                )
            }
        };
        Ok(RunState {
            status: verdict.status,
            ended,
            host,
            reason: verdict.reason,
            heartbeat,
        })
    }

    /// When and how the run ended, if that was recorded.
    ///
    /// # Errors
    ///
    /// As [`status`](Run::status).
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
    /// assert!(run.ended()?.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ended(&self) -> Result<Option<Ended>> {
        Ok(self.status_to_read()?.and_then(|r| {
            Some(Ended {
                at: r.ended?,
                reason: r.reason,
            })
        }))
    }

    /// A guard that records how the run ends: [`RunGuard::finish`] (or
    /// [`fail`](RunGuard::fail), [`finish_with`](RunGuard::finish_with))
    /// records it; dropped without that (an early return, an error passed
    /// up with `?`, a panic) it records it failed, with the reason
    /// "panicked" or "ended without finish", unless an end was recorded
    /// meanwhile ([`Run::fail`] with a reason of the program's own is kept).
    ///
    /// Taking the guard records this process as the one running the run
    /// (a resumed run is running again), with a heartbeat; a background
    /// thread then records a heartbeat every
    /// [`heartbeat_interval`](crate::RunBuilder::heartbeat_interval) (30 s
    /// by default), so that a reader on another host can tell the run
    /// crashed once the beats stop ([`status`](Run::status)). Each beat is
    /// one small atomic write of the status record. The first record is
    /// best effort: a guard is always returned.
    ///
    /// ```
    /// use runlayout::{Run, RunStatus};
    ///
    /// let root = tempfile::tempdir()?;
    /// let run = Run::builder(root.path()).create()?;
    /// {
    ///     let _guard = run.guard();
    ///     // ... training that returns early ...
    /// }
    /// # #[cfg(feature = "manifest")]
    /// assert_eq!(run.status()?, RunStatus::Failed);
    /// let guard = run.guard();
    /// guard.finish()?;
    /// # #[cfg(feature = "manifest")]
    /// assert_eq!(run.status()?, RunStatus::Finished);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn guard(&self) -> RunGuard {
        let interval = self.heartbeat_interval().max(HEARTBEAT_MIN);
        let _ = self.beat(interval, Beat::Take);
        RunGuard {
            run: self.clone(),
            done: false,
            beater: if json::ENABLED {
                Beater::start(self.clone(), interval)
            } else {
                None
            },
        }
    }

    /// Records one heartbeat: this process runs the run, and will say so
    /// again within `interval`. For a program that records its status by
    /// hand ([`finish`](Run::finish), [`fail`](Run::fail)) rather than with
    /// a [`guard`](Run::guard), called from its loop at least once per
    /// `interval`; a reader of another host calls the run crashed once no
    /// beat came for three intervals (plus [`CLOCK_SKEW`]).
    ///
    /// A beat marks the run running by this process, as a resume does,
    /// but never over an end this very process recorded: after
    /// [`finish`](Run::finish) or [`fail`](Run::fail) it records nothing.
    /// It costs one small atomic write of the status record, under the
    /// run's record lock.
    ///
    /// # Errors
    ///
    /// As [`finish`](Run::finish), and
    /// [`Error::NotARegularFile`](crate::Error::NotARegularFile) naming
    /// `run.lock` if something else stands there.
    ///
    /// ```
    /// use std::time::Duration;
    /// use runlayout::{Run, RunStatus};
    ///
    /// let root = tempfile::tempdir()?;
    /// let run = Run::builder(root.path()).create()?;
    /// for _epoch in 0..3 {
    ///     // ... one epoch, well under ten minutes ...
    ///     run.heartbeat(Duration::from_secs(600))?;
    /// }
    /// # #[cfg(feature = "manifest")]
    /// assert!(run.state()?.heartbeat.is_some());
    /// run.finish()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn heartbeat(&self, interval: Duration) -> Result<()> {
        self.beat(interval.max(HEARTBEAT_MIN), Beat::Keep).map(drop)
    }

    fn status_path(&self) -> PathBuf {
        self.path().join(STATUS)
    }

    fn status_record(&self) -> Result<Option<StatusRecord>> {
        json::read(&self.status_path())
    }

    /// The status record a reader goes by: for a run whose home is object
    /// storage, the home's (one read; the truth, which every host's beats
    /// go to), else the folder's.
    fn status_to_read(&self) -> Result<Option<StatusRecord>> {
        #[cfg(feature = "object-store")]
        if let Some(home) = self.home() {
            let url = std::path::PathBuf::from(home.store.url_of(&home.key_of(STATUS)));
            let Some(bytes) = home.status_bytes(&home.key_of(STATUS))? else {
                return Ok(None);
            };
            return serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| json::invalid::<StatusRecord>(&url, e.to_string()));
        }
        self.status_record()
    }

    /// Records a heartbeat of this process, under the record lock. `Keep`
    /// writes nothing over an end this process recorded, and says so
    /// (`false`); `Take` marks the run running by this process whatever
    /// the record says (a guard taken: the run is resumed).
    fn beat(&self, interval: Duration, how: Beat) -> Result<bool> {
        let _lock = json::lock(self.path())?;
        let current = self.status_record()?;
        let ended_here = current.as_ref().is_some_and(|r| {
            r.status.is_some_and(|s| s != RunStatus::Running) && r.process.is_this_process()
        });
        if ended_here && how == Beat::Keep {
            return Ok(false);
        }
        let mut record = current
            .unwrap_or_default()
            .by_this_process(RunStatus::Running);
        record.ended = None;
        record.reason = None;
        record.heartbeat = Some(time::now());
        record.heartbeat_interval = Some(interval.as_secs_f64());
        if how == Beat::Take {
            // The operation touches the run folder: left-behind temporaries go.
            temporary::sweep(self.path());
        }
        json::write(&self.status_path(), &record)?;
        self.status_to_home(Stored::Beat)?;
        Ok(true)
    }

    fn end(&self, status: RunStatus, reason: Option<String>) -> Result<()> {
        self.end_unless(status, reason, false)
    }

    /// Records an end, under the record lock; with `keep_ended`, not over
    /// an end already recorded (a guard dropped after [`Run::fail`]).
    fn end_unless(
        &self,
        status: RunStatus,
        reason: Option<String>,
        keep_ended: bool,
    ) -> Result<()> {
        let _lock = json::lock(self.path())?;
        let current = self.status_record()?;
        let ended = current
            .as_ref()
            .is_some_and(|r| r.status.is_some_and(|s| s != RunStatus::Running));
        if keep_ended && ended {
            return Ok(());
        }
        let mut record = current.unwrap_or_default().by_this_process(status);
        record.ended = Some(time::now());
        record.reason = reason;
        // The operation touches the run folder: left-behind temporaries go.
        temporary::sweep(self.path());
        json::write(&self.status_path(), &record)?;
        self.status_to_home(Stored::Ended)
    }

    /// A run whose home is object storage keeps its status there as well,
    /// written with each beat and end (under the record lock), so that a
    /// reader on any host tells a live run from a crashed one by its
    /// heartbeat. An end is added to the stage's index, for listings.
    fn status_to_home(&self, stored: Stored) -> Result<()> {
        #[cfg(feature = "object-store")]
        if let Some(home) = self.home() {
            let path = self.status_path();
            let bytes = std::fs::read(&path)
                .map_err(|e| Error::io(crate::error::Operation::ReadFile, &path, e))?;
            let key = home.key_of(STATUS);
            let tag = home.store.put_tagged(&key, bytes.clone())?;
            // An end is added to the stage's index, for listings.
            if let (Stored::Ended, Some(e_tag), Ok(text)) = (stored, tag, String::from_utf8(bytes))
            {
                let status = TaggedText { key, e_tag, text };
                stage_index::add_end(self, home, status);
            }
        }
        #[cfg(not(feature = "object-store"))]
        let _ = stored;
        Ok(())
    }
}

/// What a status record stored in the home says.
#[derive(Clone, Copy)]
enum Stored {
    /// The run runs: its process beats.
    Beat,
    /// The run ended.
    Ended,
}

/// Whether a heartbeat may overwrite an end this process recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Beat {
    /// No: a heartbeat of a run that is still running.
    Keep,
    /// Yes: a guard taken on the run runs it (again).
    Take,
}

/// A status, and why, when a reader concluded it.
struct Verdict {
    status: RunStatus,
    reason: Option<String>,
}

impl Verdict {
    fn of(status: RunStatus) -> Verdict {
        Verdict {
            status,
            reason: None,
        }
    }
}

/// The status a run has while `writer` runs it, judged by its process
/// alone: crashed once it is gone, running while it lives or cannot be
/// asked.
fn judge(writer: Writer<'_>) -> Verdict {
    match process::fate(writer) {
        Fate::Gone => Verdict {
            status: RunStatus::Crashed,
            reason: Some(gone(writer)),
        },
        Fate::Running | Fate::Unknown => Verdict::of(RunStatus::Running),
    }
}

/// Why a run whose process is gone from this pid space is crashed.
fn gone(writer: Writer<'_>) -> String {
    format!(
        "process {} on {} is gone",
        writer.pid,
        writer.host.unwrap_or("this host")
    )
}

impl StatusRecord {
    /// The status of a run this record marks running by a writer it names
    /// whole: the writer's fate where it can be asked (this pid space),
    /// else its heartbeat, judged at this moment with the clock-skew margin
    /// of this process's environment.
    fn judge(&self) -> Result<Verdict> {
        let writer = self.writer().expect("a writer named whole");
        match process::fate(writer) {
            Fate::Gone => Ok(Verdict {
                status: RunStatus::Crashed,
                reason: Some(gone(writer)),
            }),
            Fate::Running => Ok(Verdict::of(RunStatus::Running)),
            Fate::Unknown => Ok(self.judge_heartbeat(SystemTime::now(), clock_skew()?)),
        }
    }

    /// The status by the heartbeat alone, at `now`: running while the last
    /// beat is younger than three intervals plus `skew`, crashed once it is
    /// older; running when no heartbeat (or no time that parses) is
    /// recorded, since nothing then can tell.
    fn judge_heartbeat(&self, now: SystemTime, skew: Duration) -> Verdict {
        let (Some(text), Some(interval)) = (&self.heartbeat, self.heartbeat_interval) else {
            return Verdict::of(RunStatus::Running);
        };
        let (Some(at), Ok(interval)) = (time::parse(text), Duration::try_from_secs_f64(interval))
        else {
            return Verdict::of(RunStatus::Running);
        };
        let deadline = interval.saturating_mul(MISSED_BEATS).saturating_add(skew);
        match now.duration_since(at) {
            Ok(age) if age > deadline => Verdict {
                status: RunStatus::Crashed,
                reason: Some(format!(
                    "no heartbeat since {text} from {}",
                    self.process.host.as_deref().unwrap_or("an unnamed host")
                )),
            },
            // Younger, or from a clock ahead of this one.
            _ => Verdict::of(RunStatus::Running),
        }
    }
}

/// The clock-skew margin: `RUNLAYOUT_CLOCK_SKEW` seconds, else
/// [`CLOCK_SKEW`].
fn clock_skew() -> Result<Duration> {
    let vars = Vars::process();
    let seconds = vars.parsed(
        ENV_CLOCK_SKEW,
        |t| {
            t.trim()
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0)
        },
        "a number of seconds, 0 or more",
    )?;
    Ok(seconds.map_or(CLOCK_SKEW, Duration::from_secs_f64))
}

/// The background thread of a [`RunGuard`] that records its heartbeats.
#[derive(Debug)]
struct Beater {
    /// Dropped (or sent to) to stop the thread at once.
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl Beater {
    /// The thread, beating every `interval`; `None` if no thread can be
    /// had (the run is then tracked by its first beat and its end alone).
    fn start(run: Run, interval: Duration) -> Option<Beater> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("runlayout-heartbeat".into())
            .spawn(move || {
                // A wait that ends early only when the guard stops it.
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    // An end this process recorded ends the beats; a failed
                    // write (a full disk) is tried again next interval.
                    if let Ok(false) = run.beat(interval, Beat::Keep) {
                        break;
                    }
                }
            });
        thread.ok().map(|thread| Beater { stop, thread })
    }

    /// Stops the thread and waits for it, so that no beat follows.
    fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

/// What is known of a run's manifest when its state is asked.
pub(crate) enum KnownManifest<'a> {
    /// Not read yet, or unreadable when a scan read it: read when needed.
    Unread,
    /// Read: the run's manifest, or `None` if it has none.
    Read(Option<&'a Manifest>),
}

/// A run's manifest, read at most once, and only when asked for.
struct CreatorRecord<'a> {
    run: &'a Run,
    known: KnownManifest<'a>,
    read: Option<Option<Manifest>>,
}

impl CreatorRecord<'_> {
    fn manifest(&mut self) -> Result<Option<&Manifest>> {
        match self.known {
            KnownManifest::Read(manifest) => Ok(manifest),
            KnownManifest::Unread => {
                if self.read.is_none() {
                    self.read = Some(self.run.manifest()?);
                }
                Ok(self.read.as_ref().and_then(Option::as_ref))
            }
        }
    }
}

/// Records how a run ends, and that it is alive until then (heartbeats);
/// see [`Run::guard`].
///
/// ```
/// # let root = tempfile::tempdir()?;
/// let run = runlayout::Run::builder(root.path()).create()?;
/// let guard = run.guard();
/// assert_eq!(guard.run().path(), run.path());
/// guard.finish()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use = "a RunGuard records a failure when dropped; call finish() when the run ends well"]
pub struct RunGuard {
    run: Run,
    done: bool,
    beater: Option<Beater>,
}

impl RunGuard {
    /// Records that the run finished well.
    ///
    /// # Errors
    ///
    /// As [`Run::finish`]; the guard then records nothing more.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// # let run = runlayout::Run::builder(root.path()).create()?;
    /// run.guard().finish()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn finish(mut self) -> Result<()> {
        self.stop();
        self.run.finish()
    }

    /// Records that the run failed, and why; the guard then records
    /// nothing more.
    ///
    /// # Errors
    ///
    /// As [`Run::fail`].
    ///
    /// ```
    /// use runlayout::{Run, RunStatus};
    ///
    /// # let root = tempfile::tempdir()?;
    /// let run = Run::builder(root.path()).create()?;
    /// run.guard().fail("loss became NaN")?;
    /// # #[cfg(feature = "manifest")]
    /// assert_eq!(run.ended()?.unwrap().reason.as_deref(), Some("loss became NaN"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fail(mut self, reason: impl Display) -> Result<()> {
        self.stop();
        self.run.fail(reason)
    }

    /// Records how the run ended by the result of its work: finished for
    /// `Ok`, failed with the error's text for `Err`. What a `main` that
    /// returns `Result` calls with that result before it returns it.
    ///
    /// # Errors
    ///
    /// As [`Run::finish`].
    ///
    /// ```
    /// use runlayout::{Run, RunStatus};
    ///
    /// fn train() -> Result<f64, String> {
    ///     Err("dataset shard 3 is missing".into())
    /// }
    ///
    /// # let root = tempfile::tempdir()?;
    /// let run = Run::builder(root.path()).create()?;
    /// let guard = run.guard();
    /// let result = train();
    /// guard.finish_with(&result)?;
    /// # #[cfg(feature = "manifest")] {
    /// assert_eq!(run.status()?, RunStatus::Failed);
    /// assert_eq!(run.ended()?.unwrap().reason.as_deref(), Some("dataset shard 3 is missing"));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn finish_with<T, E: Display>(self, result: &std::result::Result<T, E>) -> Result<()> {
        match result {
            Ok(_) => self.finish(),
            Err(e) => self.fail(e),
        }
    }

    /// The run the guard watches.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// # let run = runlayout::Run::builder(root.path()).create()?;
    /// let guard = run.guard();
    /// assert_eq!(guard.run().id(), run.id());
    /// # guard.finish()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run(&self) -> &Run {
        &self.run
    }

    /// Marks the guard done and stops its heartbeats.
    fn stop(&mut self) {
        self.done = true;
        if let Some(beater) = self.beater.take() {
            beater.stop();
        }
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        self.stop();
        let reason = if std::thread::panicking() {
            "panicked"
        } else {
            "ended without finish"
        };
        // An end the program recorded (`run.fail("loss became NaN")`) is
        // kept. Nothing can report a failure from here; the status stays as
        // it was.
        let _ = self
            .run
            .end_unless(RunStatus::Failed, Some(reason.to_owned()), true);
    }
}

#[cfg(all(test, feature = "manifest"))]
mod tests {
    use super::*;
    use serde_json::Value;

    /// `run.json` as runlayout 0.1 wrote it, before `ProcessRecord`.
    const OLD_MANIFEST: &str = r#"{
  "format": 1,
  "id": "2026-12-06_ps1nx",
  "stage": "pretrain",
  "debug": false,
  "nesting": "stage_first",
  "created": "2026-12-06T04:23:39.959632017+00:00",
  "host": "vm",
  "pid": 14606,
  "command": [
    "/work/target/debug/examples/quickstart"
  ],
  "runlayout": "0.1.0",
  "process_started": 1327010,
  "boot": "15715903-aa4e-4b14-bfa6-dec4993f3ddb",
  "machine": "3d1219c7c4c5404aaa1f6d2a48adfda4",
  "pid_namespace": "pid:[4026531836]",
  "launcher": {
    "kind": "none"
  }
}
"#;

    /// `run.status.json` as runlayout 0.1 wrote it.
    const OLD_STATUS: &str = r#"{
  "status": "finished",
  "ended": "2026-12-06T04:23:39.980497726+00:00",
  "reason": null,
  "host": "vm",
  "pid": 14606,
  "process_started": 1327010,
  "boot": "15715903-aa4e-4b14-bfa6-dec4993f3ddb",
  "machine": "3d1219c7c4c5404aaa1f6d2a48adfda4",
  "pid_namespace": "pid:[4026531836]"
}
"#;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    fn keys(json: &Value) -> Vec<&str> {
        let mut keys: Vec<&str> = json
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn records_written_before_the_process_record_read_and_write_alike() -> TestResult {
        let old = ProcessRecord {
            host: Some("vm".into()),
            pid: Some(14606),
            process_started: Some(1_327_010),
            boot: Some("15715903-aa4e-4b14-bfa6-dec4993f3ddb".into()),
            machine: Some("3d1219c7c4c5404aaa1f6d2a48adfda4".into()),
            pid_namespace: Some("pid:[4026531836]".into()),
        };
        let manifest: Manifest = serde_json::from_str(OLD_MANIFEST)?;
        assert_eq!(manifest.process, old);
        let status: StatusRecord = serde_json::from_str(OLD_STATUS)?;
        assert_eq!(status.process, old);
        assert_eq!(status.status, Some(RunStatus::Finished));
        // Written again, each is what was read: every key, every value.
        let rewritten = serde_json::to_value(&manifest)?;
        assert_eq!(rewritten, serde_json::from_str::<Value>(OLD_MANIFEST)?);
        let rewritten = serde_json::to_value(&status)?;
        assert_eq!(rewritten, serde_json::from_str::<Value>(OLD_STATUS)?);
        Ok(())
    }

    #[test]
    fn new_records_name_their_process_with_the_keys_old_ones_had() -> TestResult {
        let root = tempfile::tempdir()?;
        let run = Run::builder(root.path()).record_git(false).create()?;
        run.finish()?;
        let read = |name: &str| -> std::result::Result<Value, Box<dyn std::error::Error>> {
            Ok(serde_json::from_slice(&std::fs::read(
                run.path().join(name),
            )?)?)
        };
        let (manifest, status) = (read(crate::MANIFEST)?, read(STATUS)?);
        // What this platform knows of a process is named, under the old
        // keys; what it does not know is left out.
        let me = process::current();
        let known = [
            ("process_started", me.started.is_some()),
            ("boot", me.boot.is_some()),
            ("machine", me.machine.is_some()),
            ("pid_namespace", me.pid_ns.is_some()),
        ];
        let with_known = |all: &str| -> Vec<String> {
            let mut keys: Vec<String> = keys(&serde_json::from_str(all).expect("json"))
                .into_iter()
                .filter(|k| known.iter().all(|(name, has)| k != name || *has))
                .map(str::to_owned)
                .collect();
            keys.sort_unstable();
            keys
        };
        assert_eq!(keys(&manifest), with_known(OLD_MANIFEST));
        assert_eq!(keys(&status), with_known(OLD_STATUS));
        assert_eq!(manifest["pid"], Value::from(me.pid));
        assert_eq!(status["pid"], Value::from(me.pid));
        Ok(())
    }
}
