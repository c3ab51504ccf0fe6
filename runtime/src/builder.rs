//! `RunBuilder`: the settings of a run, and the three ways to get its folder.

use std::path::{Path, PathBuf};

use crate::error::{Error, NameKind, Result};
use crate::fsx;
use crate::latest;
use crate::links::LinkStyle;
use crate::name;
use crate::nesting::{Nesting, Place};
use crate::run::Run;
use crate::run_id::RunId;

/// How many generated ids `create()` tries before it gives up. A collision
/// needs two runs on one day to draw the same 5 of 36^5 suffixes, so 64
/// failures in a row mean the folder refuses new entries, not bad luck.
pub(crate) const MAX_ATTEMPTS: u32 = 64;

/// Settings for a run: made by [`Run::builder`] or [`Run::with_run`], finished
/// by [`create`](RunBuilder::create), [`open`](RunBuilder::open) or
/// [`create_or_open`](RunBuilder::create_or_open).
///
/// The setters never fail; names are checked when the builder is finished,
/// before anything is written, so a bad name leaves the disk untouched.
///
/// ```
/// use runlayout_runtime::{Nesting, Run};
///
/// let root = tempfile::tempdir()?;
/// let run = Run::builder(root.path())
///     .stage("pretrain")
///     .debug(true)
///     .seed(3)
///     .nesting(Nesting::StageFirst)
///     .create()?;
/// assert!(run.path().starts_with(root.path().join("debug").join("pretrain")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a RunBuilder does nothing until create(), open() or create_or_open() is called"]
pub struct RunBuilder {
    root: PathBuf,
    stage: Option<String>,
    debug: bool,
    id: IdSource,
    nesting: Nesting,
    link_style: LinkStyle,
    write_manifest: bool,
    latest_pointer: bool,
}

/// Where the run id comes from. Setting one source replaces the other.
#[derive(Clone, Debug)]
enum IdSource {
    Generated,
    Seeded(u64),
    Explicit(String),
}

impl RunBuilder {
    pub(crate) fn new(root: PathBuf) -> RunBuilder {
        RunBuilder {
            root,
            stage: None,
            debug: false,
            id: IdSource::Generated,
            nesting: Nesting::default(),
            link_style: LinkStyle::default(),
            write_manifest: true,
            latest_pointer: true,
        }
    }

    /// Replaces the output root given to [`Run::builder`].
    ///
    /// ```
    /// let b = runlayout_runtime::Run::builder("runs").output_root("/data/runs").run_id("r");
    /// assert_eq!(b.planned_path()?, Some("/data/runs/r".into()));
    /// # Ok::<(), runlayout_runtime::Error>(())
    /// ```
    pub fn output_root(mut self, root: impl Into<PathBuf>) -> RunBuilder {
        self.root = root.into();
        self
    }

    /// The stage (`pretrain`, `finetune`, ...). Without one, the run sits
    /// right below the root (or its `debug/` folder).
    ///
    /// ```
    /// let b = runlayout_runtime::Run::builder("runs").stage("pretrain").run_id("r");
    /// assert_eq!(b.planned_path()?, Some("runs/pretrain/r".into()));
    /// # Ok::<(), runlayout_runtime::Error>(())
    /// ```
    pub fn stage(mut self, stage: impl Into<String>) -> RunBuilder {
        self.stage = Some(stage.into());
        self
    }

    /// Puts the run below a `debug/` folder right under the root, so trial
    /// runs never mix with real ones.
    ///
    /// ```
    /// let b = runlayout_runtime::Run::builder("runs").debug(true).run_id("r");
    /// assert_eq!(b.planned_path()?, Some("runs/debug/r".into()));
    /// # Ok::<(), runlayout_runtime::Error>(())
    /// ```
    pub fn debug(mut self, debug: bool) -> RunBuilder {
        self.debug = debug;
        self
    }

    /// Uses this run id, replacing a seed set before. An existing folder of
    /// this id is never taken over by `create()`.
    ///
    /// ```
    /// let b = runlayout_runtime::Run::builder("runs").seed(1).run_id("baseline");
    /// assert_eq!(b.planned_path()?, Some("runs/baseline".into()));
    /// # Ok::<(), runlayout_runtime::Error>(())
    /// ```
    pub fn run_id(mut self, id: impl Into<String>) -> RunBuilder {
        self.id = IdSource::Explicit(id.into());
        self
    }

    /// Uses [`RunId::from_seed`], replacing a run id set before.
    ///
    /// ```
    /// use runlayout_runtime::{Run, RunId};
    /// let b = Run::builder("runs").seed(3);
    /// assert_eq!(b.planned_path()?, Some(format!("runs/{}", RunId::from_seed(3)).into()));
    /// # Ok::<(), runlayout_runtime::Error>(())
    /// ```
    pub fn seed(mut self, seed: u64) -> RunBuilder {
        self.id = IdSource::Seeded(seed);
        self
    }

    /// Goes back to a freshly generated run id, dropping a run id or seed set
    /// before (useful after [`Run::with_run`], which keeps the current id).
    ///
    /// ```
    /// let b = runlayout_runtime::Run::builder("runs").run_id("r").generated_id();
    /// assert_eq!(b.planned_path()?, None, "drawn when the run is created");
    /// # Ok::<(), runlayout_runtime::Error>(())
    /// ```
    pub fn generated_id(mut self) -> RunBuilder {
        self.id = IdSource::Generated;
        self
    }

    /// Chooses the order of stage and run id folders; see [`Nesting`].
    ///
    /// ```
    /// use runlayout_runtime::{Nesting, Run};
    /// let b = Run::builder("runs").nesting(Nesting::RunFirst).stage("eval").run_id("r");
    /// assert_eq!(b.planned_path()?, Some("runs/r/eval".into()));
    /// # Ok::<(), runlayout_runtime::Error>(())
    /// ```
    pub fn nesting(mut self, nesting: Nesting) -> RunBuilder {
        self.nesting = nesting;
        self
    }

    /// Chooses how [`Run::link`] records ancestors and how the `latest`
    /// pointer is made; see [`LinkStyle`].
    ///
    /// ```
    /// use runlayout_runtime::{LinkStyle, Run};
    /// # let root = tempfile::tempdir()?;
    /// Run::builder(root.path()).link_style(LinkStyle::PointerFile).create()?;
    /// assert!(root.path().join("latest").is_file(), "a pointer file, not a symlink");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn link_style(mut self, style: LinkStyle) -> RunBuilder {
        self.link_style = style;
        self
    }

    /// Whether a new run folder gets its manifest, `run.json` (default: yes,
    /// when the `manifest` feature is on). A run without one is still a run
    /// for every API.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout_runtime::Run::builder(root.path()).write_manifest(false).create()?;
    /// assert!(!run.path().join("run.json").exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_manifest(mut self, write: bool) -> RunBuilder {
        self.write_manifest = write;
        self
    }

    /// Whether creating a run points the `latest` pointer next to it at it
    /// (default: yes). Without pointers, [`open_latest`](RunBuilder::open_latest)
    /// finds nothing.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// runlayout_runtime::Run::builder(root.path()).latest_pointer(false).create()?;
    /// assert!(!root.path().join("latest").exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn latest_pointer(mut self, update: bool) -> RunBuilder {
        self.latest_pointer = update;
        self
    }

    /// Makes a new run folder; no other caller can ever receive the same one.
    ///
    /// The run's own folder is made with one exclusive `create_dir`, never
    /// check-then-create; missing parents (found by that call) are then made
    /// with `create_dir_all`. With a generated id an existing folder is a
    /// collision: a new id is drawn (up to 64 times) and the existing folder
    /// is never adopted. With an explicit or seeded id it is an error, and
    /// nothing on disk is touched.
    ///
    /// The new folder then gets its manifest and the `latest` pointer next to
    /// it moves to it (unless switched off). If either fails, the folder is
    /// removed again and the error returned: the call has no effect.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidName`] for a bad stage or run id, [`Error::RunExists`]
    /// for an explicit or seeded id whose folder exists,
    /// [`Error::TooManyCollisions`], or [`Error::Io`] naming the path.
    ///
    /// ```
    /// use runlayout_runtime::{Error, Run};
    ///
    /// let root = tempfile::tempdir()?;
    /// let first = Run::builder(root.path()).stage("train").create()?;
    /// let second = Run::builder(root.path()).stage("train").create()?;
    /// assert_ne!(first.path(), second.path());
    ///
    /// let taken = Run::builder(root.path()).stage("train").run_id(first.id().as_str()).create();
    /// assert!(matches!(taken, Err(Error::RunExists { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create(self) -> Result<Run> {
        let stage = self.checked_stage()?;
        match self.fixed_id()? {
            Some(id) => self.create_fixed(id, stage),
            None => self.create_generated(stage, RunId::generate),
        }
    }

    /// Resumes an existing run: the folder must be there.
    ///
    /// # Errors
    ///
    /// [`Error::MissingRunId`] without a run id or seed, [`Error::RunNotFound`]
    /// or [`Error::NotADirectory`] naming the path, [`Error::InvalidName`].
    ///
    /// ```
    /// use runlayout_runtime::Run;
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
        let place = self.place(stage.as_deref(), &id);
        fsx::require_dir(&place.run)?;
        Ok(self.finish(place.run, id, stage, false))
    }

    /// Creates the run folder, or opens it if another caller was first.
    ///
    /// This is how the ranks of one job meet in one folder: they agree on the
    /// id (explicit or seeded), exactly one of them creates the folder
    /// ([`Run::is_new`] tells which) and none fails because another won.
    /// The creator writes the manifest and moves the `latest` pointer; should
    /// that fail, it gets the error but the folder stays, since the other
    /// ranks may be using it already.
    ///
    /// # Errors
    ///
    /// [`Error::MissingRunId`] without a run id or seed: ranks that each drew
    /// their own id would never meet. [`Error::NotADirectory`] if a file stands
    /// at the run's path, [`Error::InvalidName`], [`Error::Io`].
    ///
    /// ```
    /// use runlayout_runtime::Run;
    ///
    /// let root = tempfile::tempdir()?;
    /// let rank0 = Run::builder(root.path()).seed(11).create_or_open()?;
    /// let rank1 = Run::builder(root.path()).seed(11).create_or_open()?;
    /// assert_eq!(rank0.path(), rank1.path());
    /// assert!(rank0.is_new() && !rank1.is_new());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_or_open(self) -> Result<Run> {
        let stage = self.checked_stage()?;
        let id = self.fixed_id()?.ok_or(Error::MissingRunId {
            method: "create_or_open",
        })?;
        let place = self.place(stage.as_deref(), &id);
        let created = fsx::create_dir_new_with_parents(&place.run)?;
        if !created {
            fsx::require_dir(&place.run)?;
            return Ok(self.finish(place.run, id, stage, false));
        }
        let run = self.finish(place.run.clone(), id, stage, true);
        // Other ranks may be inside the folder already: on a failure it stays.
        self.record(&run, &place)?;
        Ok(run)
    }

    /// Resumes the run the `latest` pointer names: the run of this stage
    /// (and debug flag, and nesting) created last. The builder's own run id
    /// and seed are not used.
    ///
    /// # Errors
    ///
    /// [`Error::NoLatestRun`] if no pointer is there, [`Error::NotALink`] if
    /// something else is, and those of [`open`](RunBuilder::open).
    ///
    /// ```
    /// use runlayout_runtime::Run;
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
        let parent = self
            .nesting
            .parent(&self.root, self.debug, stage.as_deref());
        let id = latest::read(&parent)?;
        self.run_id(id).open()
    }

    /// [`create`](RunBuilder::create) when the id is to be generated, and
    /// [`create_or_open`](RunBuilder::create_or_open) when it is fixed (given,
    /// seeded, or from the environment or a launcher): the one call a program
    /// needs whether it runs alone or as one rank of many.
    ///
    /// # Errors
    ///
    /// Those of `create` or `create_or_open`.
    ///
    /// ```
    /// use runlayout_runtime::Run;
    ///
    /// let root = tempfile::tempdir()?;
    /// let alone = Run::builder(root.path()).start()?;
    /// let rank0 = Run::builder(root.path()).run_id("job-7").start()?;
    /// let rank1 = Run::builder(root.path()).run_id("job-7").start()?;
    /// assert!(alone.is_new() && rank0.is_new() && !rank1.is_new());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start(self) -> Result<Run> {
        if self.has_fixed_id() {
            self.create_or_open()
        } else {
            self.create()
        }
    }

    /// The run folder this builder would create or open, if its id is fixed;
    /// `None` if the id is to be generated. Nothing is touched.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidName`] for a bad stage or run id.
    ///
    /// ```
    /// use runlayout_runtime::Run;
    ///
    /// let b = Run::builder("runs").stage("eval").run_id("r1");
    /// assert_eq!(b.planned_path()?, Some("runs/eval/r1".into()));
    /// assert_eq!(Run::builder("runs").planned_path()?, None);
    /// # Ok::<(), runlayout_runtime::Error>(())
    /// ```
    pub fn planned_path(&self) -> Result<Option<PathBuf>> {
        let stage = self.checked_stage()?;
        Ok(self
            .fixed_id()?
            .map(|id| self.place(stage.as_deref(), &id).run))
    }

    /// Whether the run id is given or seeded rather than generated.
    pub(crate) fn has_fixed_id(&self) -> bool {
        !matches!(self.id, IdSource::Generated)
    }

    /// Writes what a new run gets: its manifest and the `latest` pointer.
    /// A failure undoes the creation, so the call has no effect at all.
    fn settle(&self, run: Run, place: &Place, made_id_dir: bool) -> Result<Run> {
        if let Err(err) = self.record(&run, place) {
            undo(place, made_id_dir);
            return Err(err);
        }
        Ok(run)
    }

    fn record(&self, run: &Run, place: &Place) -> Result<()> {
        #[cfg(feature = "manifest")]
        if self.write_manifest {
            crate::manifest::Manifest::for_new_run(run).write(run.path())?;
        }
        if self.latest_pointer {
            latest::update(&place.parent, run.id(), self.link_style)?;
        }
        Ok(())
    }

    fn create_fixed(&self, id: RunId, stage: Option<String>) -> Result<Run> {
        let place = self.place(stage.as_deref(), &id);
        if !fsx::create_dir_new_with_parents(&place.run)? {
            return Err(Error::RunExists { path: place.run });
        }
        let run = self.finish(place.run.clone(), id, stage, true);
        self.settle(run, &place, false)
    }

    /// Creates a run under the first id from `draw` whose folder is new.
    fn create_generated(
        &self,
        stage: Option<String>,
        mut draw: impl FnMut() -> RunId,
    ) -> Result<Run> {
        let mut parent = PathBuf::new();
        for _ in 0..MAX_ATTEMPTS {
            let id = draw();
            let place = self.place(stage.as_deref(), &id);
            // The id folder is the one that must be new: in run-first order a
            // stage folder inside an existing id folder would share that id
            // with an unrelated run.
            if !fsx::create_dir_new_with_parents(&place.id_dir)? {
                parent = place.parent;
                continue;
            }
            if place.run != place.id_dir && !fsx::create_dir_new(&place.run)? {
                return Err(Error::RunExists { path: place.run });
            }
            let run = self.finish(place.run.clone(), id, stage, true);
            return self.settle(run, &place, true);
        }
        Err(Error::TooManyCollisions {
            parent,
            attempts: MAX_ATTEMPTS,
        })
    }

    fn checked_stage(&self) -> Result<Option<String>> {
        let Some(stage) = &self.stage else {
            return Ok(None);
        };
        match name::check(stage) {
            Ok(()) => Ok(Some(stage.clone())),
            Err(rule) => Err(Error::InvalidName {
                subject: NameKind::Stage,
                value: stage.clone(),
                rule,
            }),
        }
    }

    /// The run id unless it is to be generated.
    fn fixed_id(&self) -> Result<Option<RunId>> {
        match &self.id {
            IdSource::Generated => Ok(None),
            IdSource::Seeded(seed) => Ok(Some(RunId::from_seed(*seed))),
            IdSource::Explicit(id) => RunId::new(id.as_str()).map(Some),
        }
    }

    fn place(&self, stage: Option<&str>, id: &RunId) -> Place {
        self.nesting
            .place(&self.root, self.debug, stage, id.as_str())
    }

    fn finish(&self, path: PathBuf, id: RunId, stage: Option<String>, is_new: bool) -> Run {
        Run {
            root: self.root.clone(),
            path,
            id,
            stage,
            debug: self.debug,
            nesting: self.nesting,
            link_style: self.link_style,
            is_new,
        }
    }

    /// The output root the run will be placed under.
    ///
    /// ```
    /// let b = runlayout_runtime::Run::builder("runs");
    /// assert_eq!(b.root(), std::path::Path::new("runs"));
    /// ```
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Removes a run folder this call has just made (and found no other use
/// for): its manifest, the folder, and a run-first id folder made with it.
fn undo(place: &Place, made_id_dir: bool) {
    #[cfg(feature = "manifest")]
    let _ = std::fs::remove_file(place.run.join(crate::manifest::MANIFEST));
    let _ = std::fs::remove_dir(&place.run);
    if made_id_dir && place.id_dir != place.run {
        let _ = std::fs::remove_dir(&place.id_dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    /// Draws the given ids in turn, then the last one forever.
    fn drawing(ids: &'static [&'static str]) -> impl FnMut() -> RunId {
        let mut next = 0;
        move || {
            let id = ids[next.min(ids.len() - 1)];
            next += 1;
            RunId::new(id).expect("valid test id")
        }
    }

    #[test]
    fn a_collision_draws_a_new_id_and_leaves_the_old_folder_alone() -> TestResult {
        let root = tempfile::tempdir()?;
        for nesting in [Nesting::StageFirst, Nesting::RunFirst] {
            let builder = Run::builder(root.path()).stage("s").nesting(nesting);
            let taken = builder.clone().run_id("taken").create()?;
            std::fs::write(taken.path().join("mine"), b"kept")?;
            let run =
                builder.create_generated(Some("s".into()), drawing(&["taken", "taken", "free"]))?;
            assert_eq!(run.id(), "free");
            assert_eq!(std::fs::read(taken.path().join("mine"))?, b"kept");
            std::fs::remove_dir_all(root.path().join("s")).ok();
            std::fs::remove_dir_all(root.path().join("taken")).ok();
            std::fs::remove_dir_all(root.path().join("free")).ok();
        }
        Ok(())
    }

    #[test]
    fn run_first_collisions_are_on_the_id_folder() -> TestResult {
        // Another stage of id `x` exists: a generated `x` must not join it.
        let root = tempfile::tempdir()?;
        let builder = Run::builder(root.path()).nesting(Nesting::RunFirst);
        builder.clone().stage("pretrain").run_id("x").create()?;
        let run = builder.create_generated(Some("finetune".into()), drawing(&["x", "y"]))?;
        assert_eq!(run.id(), "y");
        assert!(!root.path().join("x/finetune").exists());
        Ok(())
    }

    #[test]
    fn endless_collisions_give_up_with_an_error() -> TestResult {
        let root = tempfile::tempdir()?;
        let builder = Run::builder(root.path()).stage("s");
        builder.clone().run_id("only").create()?;
        let err = builder
            .create_generated(Some("s".into()), drawing(&["only"]))
            .unwrap_err();
        match &err {
            Error::TooManyCollisions { parent, attempts } => {
                assert_eq!(parent, &root.path().join("s"));
                assert_eq!(*attempts, MAX_ATTEMPTS);
            }
            other => panic!("expected TooManyCollisions, got {other:?}"),
        }
        let folders = std::fs::read_dir(root.path().join("s"))?
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            })
            .count();
        assert_eq!(folders, 1);
        Ok(())
    }
}
