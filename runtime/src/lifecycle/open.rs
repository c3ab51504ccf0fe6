//! Opening existing runs (`open`, `open_latest`, and the joiners of
//! `create_or_open`).
//!
//! A folder is opened as a run only when it is one (`record/probe.rs`
//! says what a folder is): a folder (or a symlink to one), not a folder of
//! runs, and complete. Complete means its manifest is there; a folder that
//! is still empty was just made by another process that is writing the
//! manifest, so the opener waits for it, at most the builder's join
//! timeout, and then reports that the creator died. A non-empty folder
//! without a manifest is a run made by hand or with manifests switched
//! off, and is opened as it is.
//!
//! Every open and join appends a line to the run's restarts record
//! (`record/restarts.rs`): who opened it again, when, how.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use runlayout_grammar::names;

use crate::RunBuilder;
use crate::error::{Error, Operation, Result};
use crate::io::claim::{self, UseClaim};
use crate::io::fs::{self as folders, At as _};
use crate::io::temporary;
use crate::lifecycle::home::Home;
use crate::lifecycle::latest;
use crate::record::manifest;
use crate::record::probe::{self, Kind, Stand};
use crate::record::restarts;
pub(super) use crate::record::restarts::Found;
use crate::run::Run;
use crate::run::address::{Address, Group};
use crate::run::nesting::Nesting;

/// The longest pause between two looks at a folder being completed.
const POLL_MAX: Duration = Duration::from_millis(100);

/// How many other places of a missing run id an error names at most.
const ELSEWHERE_MAX: usize = 8;

impl RunBuilder {
    /// Resumes an existing run: the folder must be there, and be a run.
    ///
    /// If the folder was made a moment ago by another process that is still
    /// writing its manifest, `open` waits for it (at most a few seconds), so
    /// the run it returns is complete.
    ///
    /// # Errors
    ///
    /// [`Error::MissingRunId`] without a run id or seed, [`Error::RunNotFound`]
    /// naming the path (and where else that id exists below the root),
    /// [`Error::RootNotFound`] if the output root itself is missing,
    /// [`Error::DanglingLink`], [`Error::NotADirectory`], [`Error::NotARun`]
    /// for a stage folder, [`Error::IncompleteRun`], [`Error::InvalidName`].
    ///
    /// ```
    /// use runlayout::Run;
    ///
    /// let root = tempfile::tempdir()?;
    /// let made = Run::builder(root.path()).stage("train").create()?;
    /// let resumed = Run::builder(root.path()).stage("train").run_id(made.id().as_str()).open()?;
    /// assert_eq!(resumed.path(), made.path());
    /// assert!(!resumed.is_new());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(self) -> Result<Run> {
        let stage = self.checked_stage()?;
        let id = self
            .fixed_id()?
            .ok_or(Error::MissingRunId { method: "open" })?;
        self.checked_params()?;
        let address = self.address(stage, id);
        if let Some(home) = Home::of(&self.root, self.cache.as_deref())? {
            return self.open_in(&home, &address);
        }
        let run = self.run(address, false);
        let claim = verify(&run, &self)?;
        let run = run.claimed(claim);
        record_restart(&run, &self, Found::Open)?;
        Ok(run)
    }

    /// Resumes the run the `latest` pointer of this stage names: the newest
    /// run of this stage (and debug flag, and nesting) whose creation
    /// finished, by the creation time its manifest records (the pointer
    /// never moves back to an older run). The builder's own run id and seed
    /// are not used.
    ///
    /// # Errors
    ///
    /// [`Error::NoLatestRun`] if no pointer is there ([`Error::RootNotFound`]
    /// if not even the output root is), [`Error::NotALink`] if
    /// something else is, [`Error::InvalidLink`] if it points anywhere but at
    /// a run of the stage, and those of [`open`](RunBuilder::open).
    ///
    /// ```
    /// use runlayout::Run;
    ///
    /// let root = tempfile::tempdir()?;
    /// Run::builder(root.path()).stage("train").create()?;
    /// let last = Run::builder(root.path()).stage("train").create()?;
    /// let resumed = Run::builder(root.path()).stage("train").open_latest()?;
    /// assert_eq!(resumed.path(), last.path());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_latest(self) -> Result<Run> {
        let stage = self.checked_stage()?;
        if let Some(home) = Home::of(&self.root, self.cache.as_deref())? {
            let group = self.group(stage.as_deref());
            let Some(address) = home.latest(group)? else {
                let pointer = group.pointer(Path::new(""));
                let path = format!("{}/{}", home.root_url(), pointer.display()).into();
                return Err(Error::NoLatestRun { path });
            };
            self.checked_params()?;
            return self.open_in(&home, &address);
        }
        let (pointer, address) = latest::read(&self.root, self.group(stage.as_deref()))?;
        let Some(address) = address else {
            // No pointer: a missing output root is worth its own error.
            return Err(if root_is_missing(&self.root) {
                Error::RootNotFound {
                    root: self.root.clone(),
                }
            } else {
                Error::NoLatestRun { path: pointer }
            });
        };
        self.checked_params()?;
        let run = self.run(address, false);
        let claim = verify(&run, &self)?;
        let run = run.claimed(claim);
        record_restart(&run, &self, Found::Open)?;
        Ok(run)
    }
}

impl RunBuilder {
    /// Opens the run at `address` in a home in object storage: its
    /// manifest is fetched into its working copy (made if missing), which
    /// is then opened as any run folder is.
    pub(super) fn open_in(&self, home: &Home, address: &Address) -> Result<Run> {
        home.fetch_run(address)?;
        let local = self
            .clone()
            .output_root(home.cache())
            .run_id(address.id.as_str())
            .open()?;
        Ok(home.attach(local))
    }
}

/// Appends this process's restart to the record of `run`, which it has
/// just opened or joined (`found`), unless `settings` only read it
/// ([`Run::resolve`]).
pub(super) fn record_restart(run: &Run, settings: &RunBuilder, found: Found) -> Result<()> {
    if settings.record_restart {
        restarts::record(run, found, settings.checked_params()?)?;
    }
    Ok(())
}

/// Checks that `run`'s folder is a run, waiting for its manifest if another
/// process has just made it (and `settings` write manifests at all), and
/// takes this process's use claim on it (see `claim.rs`).
pub(super) fn verify(run: &Run, settings: &RunBuilder) -> Result<Option<UseClaim>> {
    verify_or_complete(run, settings, None)
}

/// Who would complete a run left empty: the launched job, if any.
pub(super) struct Completer<'a> {
    pub(super) job: Option<&'a str>,
}

/// [`verify`], for a caller that would have created the run (a joiner of
/// `create_or_open`): an empty folder left long ago (untouched for longer
/// than the join timeout) by a creator that died before its manifest is
/// completed by this caller, which writes the manifest, so that a requeued
/// job is never locked out of its own run id. A folder that is young is
/// waited for, and its creator reported dead, as [`verify`] does.
pub(super) fn verify_or_complete(
    run: &Run,
    settings: &RunBuilder,
    completer: Option<Completer<'_>>,
) -> Result<Option<UseClaim>> {
    let claim = check_or_complete(run, settings, completer)?;
    // A run is opened to be written to: what killed writers left in its
    // folder goes first (one read of the folder, which is small).
    temporary::sweep(run.path());
    Ok(claim)
}

/// [`verify_or_complete`] but the sweep.
fn check_or_complete(
    run: &Run,
    settings: &RunBuilder,
    completer: Option<Completer<'_>>,
) -> Result<Option<UseClaim>> {
    let path = run.path();
    match probe::probe(path)? {
        // A run made without a manifest has none to claim, and is opened as
        // it is; one whose manifest goes before it is claimed is being
        // removed.
        Kind::Run => claim::use_recorded_run(path),
        Kind::RunWithoutManifest => claim::use_run(path),
        Kind::Empty if manifest::is_written(settings.write_manifest) => {
            if let Some(completer) = completer
                && untouched_for(path, settings.join_timeout)
            {
                let params = settings.checked_params()?;
                return match manifest::write_new(
                    run,
                    completer.job,
                    settings.record_git,
                    params,
                    &settings.fields,
                )? {
                    Some(written) => Ok(written.claim),
                    // Another joiner completed it first: claimed as it stands.
                    None => claim::use_recorded_run(path),
                };
            }
            await_manifest(run, settings.join_timeout)?;
            // Its manifest has just appeared: claimed like any other.
            claim::use_recorded_run(path)
        }
        // Without manifests nothing more will come: an empty run.
        Kind::Empty => claim::use_run(path),
        Kind::FolderOfRuns(reason) => Err(Error::NotARun {
            path: path.into(),
            reason,
        }),
        Kind::NotAFolder => Err(Error::NotADirectory { path: path.into() }),
        Kind::Dangling { target } => Err(Error::DanglingLink {
            path: path.into(),
            target,
        }),
        Kind::Missing => Err(missing(run)),
    }
}

/// Whether the folder has not changed for longer than `age`.
fn untouched_for(path: &Path, age: Duration) -> bool {
    folders::modified(path).is_some_and(|at| {
        std::time::SystemTime::now()
            .duration_since(at)
            .is_ok_and(|d| d > age)
    })
}

/// For a fixed id whose folder `create` found taken: an error that says what
/// is there when it is no folder; `Ok` when it is one.
pub(super) fn explain_existing(path: &Path) -> Result<()> {
    match probe::stand(path)? {
        Stand::Folder => Ok(()),
        Stand::NotAFolder => Err(Error::NotADirectory { path: path.into() }),
        Stand::Dangling { target } => Err(Error::DanglingLink {
            path: path.into(),
            target,
        }),
        // Gone again since `create` found it.
        Stand::Missing(e) => Err(e).at(Operation::Metadata, path),
    }
}

/// The error for a run whose folder is missing: a missing output root is
/// worth its own error, not "no run folder", which says where else below
/// the root a run of that id is.
fn missing(run: &Run) -> Error {
    if root_is_missing(run.root()) {
        Error::RootNotFound {
            root: run.root().into(),
        }
    } else {
        Error::RunNotFound {
            path: run.path().into(),
            elsewhere: elsewhere(run),
        }
    }
}

/// Whether nothing stands where the output root should be.
fn root_is_missing(root: &Path) -> bool {
    matches!(probe::stand(root), Ok(Stand::Missing(_)))
}

/// Waits until the manifest of the folder another process has just made is
/// there (or anything else is), or `timeout` has passed.
fn await_manifest(run: &Run, timeout: Duration) -> Result<()> {
    let path = run.path();
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match probe::probe(path)? {
            Kind::Empty => {}
            Kind::Missing => return Err(missing(run)),
            _ => return Ok(()),
        }
        let waited = start.elapsed();
        if waited >= timeout {
            return Err(Error::IncompleteRun {
                path: path.into(),
                waited,
            });
        }
        std::thread::sleep(pause.min(timeout - waited));
        pause = (pause * 2).min(POLL_MAX);
    }
}

/// Where else below `run`'s root a run of its id exists: other stages,
/// debug or not, either nesting. Read only for an error message.
fn elsewhere(run: &Run) -> Vec<PathBuf> {
    let root = run.root();
    let mut found = Vec::new();
    for debug in [false, true] {
        let at = |nesting, stage: Option<&str>| {
            let group = Group {
                debug,
                nesting,
                stage,
            };
            group.address(run.id().clone()).folder(root)
        };
        // Not the run looked for, nor a folder it would sit in.
        let is_run = |p: &Path| !run.path().starts_with(p) && looks_like_run(p);
        let own = at(Nesting::StageFirst, None);
        if is_run(&own) {
            found.push(own);
        }
        let base = Group {
            debug,
            nesting: Nesting::StageFirst,
            stage: None,
        }
        .folder(root);
        let Ok(entries) = std::fs::read_dir(&base) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(stage) = name.to_str().filter(|n| names::check(n).is_ok()) else {
                continue;
            };
            for nesting in [Nesting::StageFirst, Nesting::RunFirst] {
                let candidate = at(nesting, Some(stage));
                if is_run(&candidate) && found.len() < ELSEWHERE_MAX {
                    found.push(candidate);
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Whether the folder at `path` is a run, as far as a hint goes: with its
/// manifest, or without one. An empty folder is not counted: nothing tells
/// it from one made by hand.
fn looks_like_run(path: &Path) -> bool {
    matches!(probe::probe(path), Ok(Kind::Run | Kind::RunWithoutManifest))
}
