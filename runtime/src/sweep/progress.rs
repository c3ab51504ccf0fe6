//! How far a sweep has come: each trial's state, read from its run's
//! records, and whether anything is left to do.

use std::path::PathBuf;
use std::time::SystemTime;

use serde_json::{Map, Value};

use crate::error::Result;
use crate::record::manifest::Manifest;
use crate::record::status::{KnownManifest, RunStatus};
use crate::sweep::Sweep;

/// One trial of a sweep, as its run's records say: [`Sweep::trials`].
///
/// ```
/// use runlayout::{RunStatus, sweep::Sweep};
///
/// let root = tempfile::tempdir()?;
/// let sweep = Sweep::builder(root.path()).stage("s").grid("x", [1, 2]).create()?;
/// let trial = sweep.claim_next()?.unwrap();
/// trial.run().summary().set("loss", 0.5)?;
/// trial.guard().finish()?;
/// let states = sweep.trials()?;
/// assert_eq!(states[0].status, Some(RunStatus::Finished));
/// assert_eq!(states[0].summary["loss"], 0.5);
/// assert!(states[0].duration().is_some());
/// assert_eq!((states[1].status, states[1].run.as_ref()), (None, None), "never claimed");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct TrialState {
    /// The trial's number.
    pub number: usize,
    /// Its parameters.
    pub params: Map<String, Value>,
    /// Its run's folder, once it was claimed (and while it is there).
    pub run: Option<PathBuf>,
    /// Its run's status; `None` before the trial was first claimed.
    pub status: Option<RunStatus>,
    /// Its run's results ([`Run::summary`](crate::Run::summary)).
    pub summary: Map<String, Value>,
    /// When its run was created.
    pub created: Option<SystemTime>,
    /// When its run ended, if that was recorded.
    pub ended: Option<SystemTime>,
}

impl TrialState {
    /// How long the run took: from its creation to its end, or to now
    /// while it has not ended. `None` before it was claimed.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s").grid("x", [1]).create()?;
    /// assert!(sweep.trials()?[0].duration().is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn duration(&self) -> Option<std::time::Duration> {
        let created = self.created?;
        let end = self.ended.unwrap_or_else(SystemTime::now);
        end.duration_since(created).ok()
    }
}

impl Sweep {
    /// Every trial's state, by number: one read of the stage folder, then
    /// each claimed trial's manifest, status and summary records.
    ///
    /// # Errors
    ///
    /// [`Error::Io`](crate::Error::Io) if the stage folder cannot be read;
    /// a trial's records that cannot be read fail it with their error.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s").grid("x", [1, 2, 3]).create()?;
    /// assert_eq!(sweep.trials()?.len(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn trials(&self) -> Result<Vec<TrialState>> {
        let present = self.made_trials()?;
        let mut states = Vec::with_capacity(self.count());
        for n in 0..self.count() {
            let params = self.record.spec.params(n);
            let run = match &present {
                Some(present) => present
                    .contains(std::ffi::OsStr::new(&self.trial_id(n)))
                    .then(|| self.trial_run(n)),
                None => self.present_trial(n)?,
            };
            let Some(run) = run else {
                states.push(TrialState {
                    number: n,
                    params,
                    run: None,
                    status: None,
                    summary: Map::new(),
                    created: None,
                    ended: None,
                });
                continue;
            };
            let manifest = Manifest::read(run.path())?;
            let state = run.state_with(KnownManifest::Read(manifest.as_ref()))?;
            states.push(TrialState {
                number: n,
                params,
                status: Some(state.status),
                summary: run.summary().read()?,
                created: manifest
                    .as_ref()
                    .and_then(Manifest::created_at)
                    .or_else(|| crate::io::fs::modified(run.path())),
                ended: state.ended.as_ref().and_then(|e| e.at_time()),
                run: Some(self.shown_path(&run)),
            });
        }
        Ok(states)
    }

    /// Whether no trial is left to do: every one finished, or failed
    /// (unless [`retry_failed`](Sweep::retry_failed) is on). A trial that
    /// a live worker holds, that was never claimed or that crashed is
    /// left to do.
    ///
    /// # Errors
    ///
    /// As [`trials`](Sweep::trials).
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s").grid("x", [1]).create()?;
    /// assert!(!sweep.is_done()?);
    /// sweep.claim_next()?.unwrap().guard().finish()?;
    /// assert!(sweep.is_done()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_done(&self) -> Result<bool> {
        for n in 0..self.count() {
            let Some(run) = self.present_trial(n)? else {
                return Ok(false);
            };
            let done = match run.status()? {
                RunStatus::Finished => true,
                RunStatus::Failed => !self.retry_failed,
                _ => false,
            };
            if !done {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The names in the sweep's stage folder, read once, for a sweep on
    /// disk; `None` for one in a home (each trial is asked there).
    fn made_trials(&self) -> Result<Option<std::collections::HashSet<std::ffi::OsString>>> {
        #[cfg(feature = "object-store")]
        if self.home.is_some() {
            return Ok(None);
        }
        let stage = self.trial_path(0);
        let stage = stage.parent().unwrap_or(self.root());
        let mut present = std::collections::HashSet::new();
        for entry in crate::io::fs::read_dir(stage)? {
            present.insert(entry?.file_name());
        }
        Ok(Some(present))
    }

    /// Where a trial's run is, as a person names it: its folder, or for a
    /// sweep in a home its URL.
    fn shown_path(&self, run: &crate::run::Run) -> PathBuf {
        #[cfg(feature = "object-store")]
        if let Some(home) = &self.home {
            return PathBuf::from(home.runs().run_url(run.address()));
        }
        run.path().to_path_buf()
    }
}
