//! Claiming trials. A trial's claim is an exclusive `flock` on its lock
//! file, `claims/<n>` in the sweep's record folder, held by the worker's
//! [`Run`] of the trial (and its clones, its guard) for as long as they
//! live, and let go by the kernel (or the network file system's lock
//! manager) when the worker dies, however it dies. So a trial is worked
//! on by one worker at a time, and a crashed worker's trial is free again
//! at once.
//!
//! Under the claim, the trial's run tells what is left to do: no run yet
//! (or an empty folder whose creator died): make it; `Finished`: never
//! again; `Failed`: only with `retry_failed`; `Crashed` or `Untracked` (its
//! process is gone, by pid on this host or by missed heartbeats
//! elsewhere): offered again; `Running` (a process of another host whose
//! heartbeat is still fresh, or one that opened the run by name without a
//! claim): left alone.
//!
//! `claim_next` takes fresh numbers from the cursor (one locked append to
//! `cursor` per claim, its new length the number), so that claiming reads
//! no other trial; once all are handed out it looks again at the trials
//! left over (crashed, never made after a worker died between the cursor
//! and the run, failed with `retry_failed`), reading each trial's status
//! record once, from where this handle looked last.

use std::fs::{File, TryLockError};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::{Error, Operation, Result, TrialReason};
use crate::io::claim::unsupported;
use crate::io::fs::At as _;
use crate::io::pointer::LinkStyle;
use crate::record::status::{RunGuard, RunStatus};
use crate::run::Run;
use crate::run::address::Address;
use crate::run::id::RunId;
use crate::run::nesting::Nesting;
use crate::sweep::Sweep;
use crate::sweep::record::{CLAIMS, CURSOR};

/// A trial this worker holds: its run, number and parameters. The claim
/// lives in the run: while this value, its run or a clone of the run (a
/// [`RunGuard`]) lives, no other worker gets the trial. (In a bucket the
/// claim is a lease, which a worker on another host takes over once the
/// trial's run has stopped beating for twice its heartbeat interval: take
/// the trial's guard, which beats.)
///
/// ```
/// use runlayout::sweep::Sweep;
///
/// let root = tempfile::tempdir()?;
/// let sweep = Sweep::builder(root.path()).stage("s").grid("lr", [0.1, 0.01]).create()?;
/// let trial = sweep.claim(1)?;
/// assert_eq!(trial.number(), 1);
/// assert_eq!(trial.param::<f64>("lr")?, 0.01);
/// assert_eq!(trial.run().params()?.unwrap()["lr"], 0.01);
/// trial.guard().finish()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Trial {
    run: Run,
    number: usize,
    params: Map<String, Value>,
}

impl Trial {
    /// The trial's run, an ordinary run of the sweep's stage.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s").sweep_id("a").grid("x", [1]).create()?;
    /// let trial = sweep.claim_next()?.unwrap();
    /// assert_eq!(trial.run().id().as_str(), "a-t000");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run(&self) -> &Run {
        &self.run
    }

    /// The trial's run, kept: it holds the claim for as long as it (or a
    /// clone) lives.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s").grid("x", [1]).create()?;
    /// use runlayout::{Error, error::TrialReason};
    ///
    /// let run = sweep.claim_next()?.unwrap().into_run();
    /// let held = sweep.claim(0).unwrap_err();
    /// assert!(matches!(held, Error::TrialUnavailable { reason: TrialReason::Held, .. }));
    /// run.finish()?;
    /// drop(run);
    /// let done = sweep.claim(0).unwrap_err();
    /// assert!(matches!(done, Error::TrialUnavailable { reason: TrialReason::Finished, .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_run(self) -> Run {
        self.run
    }

    /// The trial's number, from 0.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s").grid("x", [1, 2]).create()?;
    /// assert_eq!(sweep.claim_next()?.unwrap().number(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn number(&self) -> usize {
        self.number
    }

    /// The trial's parameters, as its run's `params` records them.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s").grid("x", [7]).create()?;
    /// assert_eq!(sweep.claim_next()?.unwrap().params()["x"], 7);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn params(&self) -> &Map<String, Value> {
        &self.params
    }

    /// The parameter `name`, read as a `T`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParams`] naming the parameter when the trial has
    /// none of that name or its value is no `T`.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s").grid("opt", ["adam"]).create()?;
    /// let trial = sweep.claim_next()?.unwrap();
    /// assert_eq!(trial.param::<String>("opt")?, "adam");
    /// assert!(trial.param::<f64>("opt").is_err());
    /// assert!(trial.param::<f64>("lr").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn param<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<T> {
        let value = self.params.get(name).ok_or_else(|| Error::InvalidParams {
            value: Value::from(self.params.clone()).to_string(),
            problem: format!("trial {} has no parameter `{name}`", self.number),
        })?;
        serde_json::from_value(value.clone()).map_err(|e| Error::InvalidParams {
            value: value.to_string(),
            problem: format!(
                "parameter `{name}` of trial {} is no {}: {e}",
                self.number,
                std::any::type_name::<T>()
            ),
        })
    }

    /// A guard on the trial's run ([`Run::guard`]): it records the run as
    /// running, beats, and records how it ended. The guard holds the
    /// claim too.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s").grid("x", [1]).create()?;
    /// sweep.claim_next()?.unwrap().guard().finish()?;
    /// assert!(sweep.is_done()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn guard(&self) -> RunGuard {
        self.run.guard()
    }
}

impl Sweep {
    /// Claims a trial no other worker holds and that is left to do: the
    /// next one never handed out, else one whose worker crashed (or never
    /// made its run), else with [`retry_failed`](Sweep::retry_failed) one
    /// that failed. `None` when no trial is left to claim now (trials held
    /// by live workers may still crash and be offered again later: see
    /// [`is_done`](Sweep::is_done)).
    ///
    /// Each trial goes to exactly one worker at a time, across threads,
    /// processes and hosts that share the file system (its locks must be
    /// coherent across hosts, as NFSv4, Lustre with `flock`, GPFS and
    /// BeeGFS make them), or the bucket of a sweep whose root is a URL
    /// (a lease per trial, taken with conditional puts; see the guide's
    /// "Runs in a bucket").
    ///
    /// # Errors
    ///
    /// [`Error::SweepNotFound`] once the sweep's record is gone,
    /// [`Error::Io`] naming the file (a file system without locks cannot
    /// hand out trials), and those of creating or opening a run.
    ///
    /// ```
    /// use runlayout::sweep::Sweep;
    ///
    /// let root = tempfile::tempdir()?;
    /// let sweep = Sweep::builder(root.path()).stage("s").grid("x", [1, 2, 3]).create()?;
    /// let held = sweep.claim_next()?.unwrap();
    /// let mut others = Vec::new();
    /// while let Some(trial) = sweep.claim_next()? {
    ///     others.push(trial.number());
    ///     trial.guard().finish()?;
    /// }
    /// assert_eq!(others, [1, 2], "trial 0 is held");
    /// assert!(!sweep.is_done()?);
    /// held.guard().finish()?;
    /// assert!(sweep.is_done()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn claim_next(&self) -> Result<Option<Trial>> {
        while !self.fresh_done.load(Ordering::Relaxed) {
            let Some(n) = self.next_fresh()? else {
                self.fresh_done.store(true, Ordering::Relaxed);
                break;
            };
            if let Ok(trial) = self.claim_one(n, false)? {
                return Ok(Some(trial));
            }
        }
        let count = self.count();
        let start = self.revisit.load(Ordering::Relaxed) % count.max(1);
        for step in 0..count {
            let n = (start + step) % count;
            if self.is_settled(n)? {
                continue;
            }
            if let Ok(trial) = self.claim_one(n, false)? {
                self.revisit.store(n + 1, Ordering::Relaxed);
                return Ok(Some(trial));
            }
        }
        Ok(None)
    }

    /// Claims trial `n` (a Slurm array task passes `SLURM_ARRAY_TASK_ID`):
    /// makes its run, or takes it over from a worker that crashed.
    ///
    /// # Errors
    ///
    /// [`Error::TrialUnavailable`] saying why it cannot be had: another
    /// live worker holds it, it has finished, it has failed (without
    /// [`retry_failed`](Sweep::retry_failed)), a process runs it without a
    /// claim, or the sweep has no trial `n`; and those of
    /// [`claim_next`](Sweep::claim_next).
    ///
    /// ```
    /// use runlayout::{Error, error::TrialReason, sweep::Sweep};
    ///
    /// let root = tempfile::tempdir()?;
    /// let sweep = Sweep::builder(root.path()).stage("s").grid("x", [1, 2]).create()?;
    /// let trial = sweep.claim(1)?;
    /// let taken = sweep.claim(1).unwrap_err();
    /// assert!(matches!(taken, Error::TrialUnavailable { reason: TrialReason::Held, .. }));
    /// trial.guard().finish()?;
    /// drop(trial);
    /// let done = sweep.claim(1).unwrap_err();
    /// assert!(matches!(done, Error::TrialUnavailable { reason: TrialReason::Finished, .. }));
    /// assert!(sweep.claim(2).is_err(), "two trials, 0 and 1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn claim(&self, n: usize) -> Result<Trial> {
        if n >= self.count() {
            return Err(Error::TrialUnavailable {
                path: self.path(),
                trial: n,
                reason: TrialReason::OutOfRange {
                    count: self.count(),
                },
            });
        }
        self.claim_one(n, true)?
            .map_err(|reason| Error::TrialUnavailable {
                path: self.trial_path(n),
                trial: n,
                reason,
            })
    }

    /// The next number never handed out, from the cursor: one locked
    /// append; `None` once all were.
    fn next_fresh(&self) -> Result<Option<usize>> {
        #[cfg(feature = "object-store")]
        if let Some(home) = &self.home {
            return home.next_fresh(&self.spec, self.count());
        }
        let path = self.path().join(CURSOR);
        let mut file = self.lock_file(&path, false)?;
        lock(&file, &path, true)?;
        let handed = file.metadata().at(Operation::Metadata, &path)?.len();
        let handed = usize::try_from(handed).unwrap_or(usize::MAX);
        if handed >= self.count() {
            return Ok(None);
        }
        file.write_all(b"+").at(Operation::WriteFile, &path)?;
        Ok(Some(handed))
    }

    /// Whether trial `n` needs nothing more: finished, or failed and not
    /// retried, as its status record says (read without a claim).
    fn is_settled(&self, n: usize) -> Result<bool> {
        let Some(run) = self.present_trial(n)? else {
            return Ok(false);
        };
        Ok(match run.status() {
            Ok(RunStatus::Finished) => true,
            Ok(RunStatus::Failed) => !self.retry_failed,
            _ => false,
        })
    }

    /// Where trial `n`'s run sits.
    pub(crate) fn trial_address(&self, n: usize) -> Address {
        Address {
            debug: self.spec.debug,
            nesting: Nesting::StageFirst,
            stage: Some(self.spec.stage.clone()),
            id: RunId::from_valid(self.trial_id(n)),
        }
    }

    /// Trial `n` placed, not opened: for reading its records (for a sweep
    /// in a home, its working copy, living in the home).
    pub(crate) fn trial_run(&self, n: usize) -> Run {
        let address = self.trial_address(n);
        #[cfg(feature = "object-store")]
        if let Some(home) = &self.home {
            let cache = home.runs().cache().to_path_buf();
            let run = Run::new(cache, address, LinkStyle::default(), false);
            return home.runs().attach(run);
        }
        Run::new(self.root.clone(), address, LinkStyle::default(), false)
    }

    /// Trial `n`'s run if it was made, with its records at hand: for a
    /// sweep in a home, its manifest and records fetched into its working
    /// copy (its status is read in the home).
    pub(crate) fn present_trial(&self, n: usize) -> Result<Option<Run>> {
        #[cfg(feature = "object-store")]
        if let Some(home) = &self.home {
            return match home.runs().fetch_run(&self.trial_address(n)) {
                Ok(_) => Ok(Some(self.trial_run(n))),
                Err(Error::RunNotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            };
        }
        let run = self.trial_run(n);
        let made = crate::io::fs::symlink_metadata_if_there(run.path())?.is_some();
        Ok(made.then_some(run))
    }

    /// Takes trial `n`'s claim and, under it, its run; why not, if it is
    /// held or has nothing left to do. `explicit`: asked for by number,
    /// so a trial whose run was removed is made again.
    fn claim_one(
        &self,
        n: usize,
        explicit: bool,
    ) -> Result<std::result::Result<Trial, TrialReason>> {
        #[cfg(feature = "object-store")]
        if let Some(home) = &self.home {
            let running = || matches!(self.trial_run(n).status(), Ok(RunStatus::Running));
            let Some(claim) = home.claim(&self.spec, n, self.heartbeat, running)? else {
                return Ok(Err(TrialReason::Held));
            };
            let made_before = claim.made_before;
            let placed = self.present_trial(n)?;
            return self.claim_under(n, explicit, placed, made_before, |run| {
                // Taken over meanwhile (this worker was slower than the
                // lease lives): the trial is another worker's.
                match claim.mark_made()? {
                    true => Ok(Ok(run.holding(claim))),
                    false => Ok(Err(TrialReason::Held)),
                }
            });
        }
        let path = self.path().join(CLAIMS).join(n.to_string());
        let mut file = self.lock_file(&path, true)?;
        if !lock(&file, &path, false)? {
            return Ok(Err(TrialReason::Held));
        }
        let made_before = file.metadata().at(Operation::Metadata, &path)?.len() > 0;
        let placed = self.present_trial(n)?;
        self.claim_under(n, explicit, placed, made_before, |run| {
            if !made_before {
                file.write_all(b"+").at(Operation::WriteFile, &path)?;
            }
            Ok(Ok(run.holding(file)))
        })
    }

    /// Under trial `n`'s claim: its run (`placed`, if it was made) made or
    /// taken over, and held by `hold`; why not, if it has nothing left to
    /// do. `made_before`: a run was made under an earlier claim.
    fn claim_under(
        &self,
        n: usize,
        explicit: bool,
        placed: Option<Run>,
        made_before: bool,
        hold: impl FnOnce(Run) -> Result<std::result::Result<Run, TrialReason>>,
    ) -> Result<std::result::Result<Trial, TrialReason>> {
        if let Some(placed) = placed {
            if let Some(reason) = self.why_not(&placed, n)? {
                return Ok(Err(reason));
            }
        } else if made_before && !explicit {
            return Ok(Err(TrialReason::Removed));
        }
        let params = self.record.spec.params(n);
        let builder = Run::builder(&self.root);
        #[cfg(feature = "object-store")]
        let builder = match &self.home {
            Some(home) => builder.cache_dir(home.runs().cache()),
            None => builder,
        };
        let run = builder
            .debug(self.spec.debug)
            .stage(&self.spec.stage)
            .run_id(self.trial_id(n))
            .params(&params)
            .manifest_field(
                "sweep",
                serde_json::json!({ "id": self.spec.id, "trial": n }),
            )
            .heartbeat_interval(self.heartbeat)
            // Under the claim no creator can still be at work in an empty
            // folder: whoever made it is gone.
            .join_timeout(Duration::ZERO)
            .create_or_open()?;
        Ok(hold(run)?.map(|run| Trial {
            run,
            number: n,
            params,
        }))
    }

    /// Why trial `n`'s existing run, held under its claim, is not taken.
    fn why_not(&self, run: &Run, n: usize) -> Result<Option<TrialReason>> {
        let Some(manifest) = run.manifest()? else {
            // An empty folder: its creator died before the manifest.
            return Ok(None);
        };
        let member = manifest.other("sweep");
        let expected = serde_json::json!({ "id": self.spec.id, "trial": n });
        if member != Some(&expected) {
            return Ok(Some(TrialReason::NotATrial));
        }
        Ok(match run.status()? {
            RunStatus::Finished => Some(TrialReason::Finished),
            RunStatus::Failed if !self.retry_failed => Some(TrialReason::Failed),
            RunStatus::Running => Some(TrialReason::Running),
            _ => None,
        })
    }

    /// Opens (or, `create`, makes) a lock file of the record folder,
    /// never following a symlink or blocking on a FIFO there.
    fn lock_file(&self, path: &Path, create: bool) -> Result<File> {
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).append(true).create(create);
        no_follow(&mut options);
        match options.open(path) {
            Ok(file) => {
                let meta = file.metadata().at(Operation::Metadata, path)?;
                if !meta.is_file() {
                    return Err(Error::NotARegularFile {
                        path: path.into(),
                        kind: crate::io::owned_file::describe(meta.file_type()),
                    });
                }
                Ok(file)
            }
            Err(e) if crate::io::fs::is_not_found(&e) && !self.path().exists() => {
                Err(Error::SweepNotFound { path: self.path() })
            }
            Err(e) => Err(e).at(Operation::Lock, path),
        }
    }
}

/// Takes the exclusive lock on `file`: waiting for it (`wait`), else
/// `false` if another holds it. A file system without locks is an error:
/// trials cannot be handed out exactly once there.
fn lock(file: &File, path: &PathBuf, wait: bool) -> Result<bool> {
    let taken = if wait {
        file.lock().map_err(TryLockError::Error)
    } else {
        file.try_lock()
    };
    match taken {
        Ok(()) => Ok(true),
        Err(TryLockError::WouldBlock) => Ok(false),
        Err(TryLockError::Error(e)) if unsupported(&e) => Err(Error::io(
            Operation::Lock,
            path,
            std::io::Error::new(
                e.kind(),
                format!(
                    "this file system does not lock files, so a sweep cannot hand out its trials here: {e}"
                ),
            ),
        )),
        Err(TryLockError::Error(e)) => Err(e).at(Operation::Lock, path),
    }
}

#[cfg(unix)]
fn no_follow(options: &mut std::fs::OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt as _;
    options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
}

#[cfg(not(unix))]
fn no_follow(_options: &mut std::fs::OpenOptions) {}
