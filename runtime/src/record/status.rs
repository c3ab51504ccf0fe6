//! A run's status: running, finished, failed, or crashed (its process died
//! without saying how it ended).
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
//!    for, as many containers have none). Then the writer's fate decides:
//!    gone from this pid space (no such pid, a later process under it) is
//!    [`RunStatus::Crashed`]; alive, or of another pid space (another host,
//!    boot or container, which cannot be asked), is
//!    [`RunStatus::Running`].
//! 3. Otherwise (no status record, or one naming no writer, or only part of
//!    one: `{}`, `{"status":"running"}`, a bare pid) the creator recorded in
//!    `run.json` decides, judged the same way by what its record holds
//!    (written once, at creation, by runlayout itself): gone is crashed,
//!    alive or unknown is running. A run whose creator is long dead is
//!    crashed, whatever a status record without a writer says.
//! 4. When no record names a process at all: a run with no records (made
//!    without a manifest, never ended) is running, since nothing can tell;
//!    a run with records that name nobody is crashed.
//!
//! A record needed to decide that cannot be read (a corrupt `run.json`
//! where the status record does not settle it, a corrupt status record) is
//! an error, never a guess: listings report it, and `prune` keeps the run as
//! unreadable. [`Run::state`] and [`FoundRun::state`](crate::FoundRun::state)
//! decide by this one function; the scan passes the manifest it read, or
//! that it could not read it.
//!
//! Heartbeats, which would let a run of another host be told dead, are not
//! recorded yet: such a run stays running until it records its end.

use std::fmt::Display;
use std::path::PathBuf;
use std::time::SystemTime;

pub use runlayout_grammar::names::STATUS;

use crate::error::RecordKind;
use crate::error::{Error, Result};
use crate::io::process::{self, Fate, Writer};
use crate::io::temporary;
use crate::record::json::{self, Extra, Record};
use crate::record::manifest::Manifest;
use crate::record::probe::{self, Stand};
use crate::record::process_record::ProcessRecord;
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
    /// A process runs it (or ran it on another host, which cannot be asked).
    Running,
    /// It ended well: [`Run::finish`] or [`RunGuard::finish`].
    Finished,
    /// It ended badly: [`Run::fail`], or a [`RunGuard`] dropped unfinished.
    Failed,
    /// Its process is gone from this host without saying how it ended.
    Crashed,
}

impl RunStatus {
    /// Every status, in the order a run can go through them.
    ///
    /// ```
    /// use runlayout::RunStatus;
    /// let names: Vec<String> = RunStatus::ALL.iter().map(|s| s.to_string()).collect();
    /// assert_eq!(names, ["running", "finished", "failed", "crashed"]);
    /// ```
    pub const ALL: [RunStatus; 4] = [
        RunStatus::Running,
        RunStatus::Finished,
        RunStatus::Failed,
        RunStatus::Crashed,
    ];
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RunStatus::Running => "running",
            RunStatus::Finished => "finished",
            RunStatus::Failed => "failed",
            RunStatus::Crashed => "crashed",
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
}

/// `run.status.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct StatusRecord {
    /// `None` for a record this version cannot read the status of.
    #[cfg_attr(feature = "serde", serde(default))]
    status: Option<RunStatus>,
    #[cfg_attr(feature = "serde", serde(default))]
    ended: Option<String>,
    #[cfg_attr(feature = "serde", serde(default))]
    reason: Option<String>,
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
        let record = self.status_record()?;
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
        let (status, host) = match &record {
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
                (*status, host)
            }
            // Marked running by a writer it names whole.
            Some(record) if record.writer().is_some_and(|w| w.is_complete()) => {
                let writer = record.writer().expect("named");
                (judge(writer), record.process.host.clone())
            }
            // Nothing in the status record vouches: the creator decides.
            _ => {
                let manifest = creator.manifest()?;
                let status = match manifest.and_then(|m| m.process.writer()) {
                    Some(writer) => judge(writer),
                    None if manifest.is_none() && record.is_none() => {
                        // No record at all: a run without a manifest, or no run.
                        if matches!(probe::stand(self.path())?, Stand::Missing(_)) {
                            return Err(Error::RunNotFound {
                                path: self.path().to_path_buf(),
                                elsewhere: Vec::new(),
                            });
                        }
                        RunStatus::Running
                    }
                    // Records that name nobody vouch for nobody.
                    None => RunStatus::Crashed,
                };
                // The creator's host: the process judged; the record's if
                // there is no manifest to name one.
                let host = manifest
                    .and_then(|m| m.process.host.clone())
                    .or_else(|| record.as_ref().and_then(|r| r.process.host.clone()));
                (status, host)
            }
        };
        Ok(RunState {
            status,
            ended,
            host,
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
        Ok(self.status_record()?.and_then(|r| {
            Some(Ended {
                at: r.ended?,
                reason: r.reason,
            })
        }))
    }

    /// A guard that records how the run ends: [`RunGuard::finish`] records
    /// it finished; dropped without that (an early return, an error passed
    /// up with `?`, a panic) it records it failed, with the reason
    /// "panicked" or "ended without finish".
    ///
    /// Taking the guard also records this process as the one running the
    /// run, when it is not already (a resumed run), so that
    /// [`status`](Run::status) can tell if it dies. That record is best
    /// effort: a guard is always returned.
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
        let _ = self.record_running();
        RunGuard {
            run: self.clone(),
            done: false,
        }
    }

    fn status_path(&self) -> PathBuf {
        self.path().join(STATUS)
    }

    fn status_record(&self) -> Result<Option<StatusRecord>> {
        json::read(&self.status_path())
    }

    /// Names this process as the one running the run, unless a record does
    /// already (the creator's manifest, or an earlier guard).
    fn record_running(&self) -> Result<()> {
        let current = self.status_record()?;
        let already = match &current {
            Some(r) => r.status == Some(RunStatus::Running) && r.process.is_this_process(),
            None => self
                .manifest()?
                .is_some_and(|m| m.process.is_this_process()),
        };
        if already {
            return Ok(());
        }
        let mut record = current
            .unwrap_or_default()
            .by_this_process(RunStatus::Running);
        record.ended = None;
        record.reason = None;
        self.write_status(&record)
    }

    fn end(&self, status: RunStatus, reason: Option<String>) -> Result<()> {
        let mut record = self
            .status_record()?
            .unwrap_or_default()
            .by_this_process(status);
        record.ended = Some(time::now());
        record.reason = reason;
        self.write_status(&record)
    }

    fn write_status(&self, record: &StatusRecord) -> Result<()> {
        // The operation touches the run folder: left-behind temporaries go.
        temporary::sweep(self.path());
        json::write(&self.status_path(), record)
    }
}

/// The status a run has while `writer` runs it: crashed once it is gone,
/// running while it lives or cannot be asked.
fn judge(writer: Writer<'_>) -> RunStatus {
    match process::fate(writer) {
        Fate::Gone => RunStatus::Crashed,
        Fate::Running | Fate::Unknown => RunStatus::Running,
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

/// Records how a run ends; see [`Run::guard`].
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
        self.done = true;
        self.run.finish()
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
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let reason = if std::thread::panicking() {
            "panicked"
        } else {
            "ended without finish"
        };
        // Nothing can report a failure from here; the status stays as it was.
        let _ = self.run.fail(reason);
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
