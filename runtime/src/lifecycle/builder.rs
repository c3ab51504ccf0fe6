//! `RunBuilder`: the settings of a run, and the three ways to get its folder.

use std::path::{Path, PathBuf};
use std::time::Duration;

use runlayout_grammar::names;

use crate::error::{Error, NameKind, Result};
use crate::io::pointer::LinkStyle;
use crate::launch::launcher::Launcher;
use crate::record::json::Extra;
use crate::run::HEARTBEAT_INTERVAL;
use crate::run::Run;
use crate::run::address::{Address, Group};
use crate::run::id::RunId;
use crate::run::nesting::Nesting;

/// How long a joiner waits, by default, for the manifest of a run folder
/// another process has just made.
const JOIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings for a run: made by [`Run::builder`] or [`Run::with_run`], finished
/// by [`create`](RunBuilder::create), [`open`](RunBuilder::open) or
/// [`create_or_open`](RunBuilder::create_or_open).
///
/// The setters never fail; names are checked when the builder is finished,
/// before anything is written, so a bad name leaves the disk untouched.
///
/// ```
/// use runlayout::{Nesting, Run};
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
    pub(super) root: PathBuf,
    stage: Option<String>,
    pub(super) debug: bool,
    id: IdSource,
    /// The launcher a seeded id is made under.
    launcher: LauncherSource,
    pub(super) nesting: Nesting,
    pub(super) link_style: LinkStyle,
    pub(super) write_manifest: bool,
    pub(super) latest_pointer: bool,
    pub(super) join_timeout: Duration,
    pub(super) record_git: bool,
    /// How often the run's guards record a heartbeat.
    heartbeat: Duration,
    /// The run's parameters as JSON, or why they cannot be recorded.
    params: Option<Params>,
    /// Whether opening or joining the run records a restart (not for
    /// `Run::resolve`, which reads another run).
    pub(super) record_restart: bool,
    /// Fields of its own a caller above this folder records in a new
    /// run's `run.json` (a sweep's trial records `sweep`).
    pub(super) fields: Extra,
    /// Where the working copies of runs whose home is object storage go.
    pub(super) cache: Option<PathBuf>,
}

/// Parameters given to [`RunBuilder::params`]: the JSON object, or the
/// value and what is wrong with it.
#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "serde"), allow(dead_code))]
enum Params {
    Object(Extra),
    Invalid { value: String, problem: String },
}

/// Where the run id comes from. Setting one source replaces the other.
#[derive(Clone, Debug)]
enum IdSource {
    Generated,
    Seeded(u64),
    Explicit(String),
}

/// Which launcher, if any, started the ranks a seeded id must agree for.
#[derive(Clone, Debug)]
enum LauncherSource {
    /// The process environment's ([`Launcher::detect`]), read when the
    /// builder is finished.
    Detect,
    /// The one the variables `from_env_with` read named (or none).
    Given(Option<Launcher>),
}

impl RunBuilder {
    pub(super) fn new(root: PathBuf) -> RunBuilder {
        RunBuilder {
            root,
            stage: None,
            debug: false,
            id: IdSource::Generated,
            launcher: LauncherSource::Detect,
            nesting: Nesting::default(),
            link_style: LinkStyle::default(),
            write_manifest: true,
            latest_pointer: true,
            join_timeout: JOIN_TIMEOUT,
            record_git: true,
            heartbeat: HEARTBEAT_INTERVAL,
            params: None,
            record_restart: true,
            fields: Extra::default(),
            cache: None,
        }
    }

    /// Where the local working copy of a run whose home is object storage
    /// is kept (a root given as a URL): the run's files are at
    /// `cache/[debug/]<stage>/<id>`, an ordinary run folder that layouts,
    /// [`DirPath`](crate::DirPath), [`FilePath`](crate::FilePath) and
    /// `std::fs` use unchanged; [`Run::sync`] uploads it. By default
    /// `RUNLAYOUT_CACHE`, else the platform's cache folder
    /// (`$XDG_CACHE_HOME/runlayout`, `~/.cache/runlayout`,
    /// `~/Library/Caches/runlayout`). A root that is a folder has no
    /// working copy, and ignores this.
    ///
    /// ```
    /// let cache = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder("memory://doc-cache/runs")
    ///     .cache_dir(cache.path())
    ///     .stage("pretrain")
    ///     .create()?;
    /// assert!(run.path().starts_with(cache.path().join("pretrain")));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "object-store")]
    #[cfg_attr(docsrs, doc(cfg(feature = "object-store")))]
    pub fn cache_dir(mut self, cache: impl Into<PathBuf>) -> RunBuilder {
        self.cache = Some(cache.into());
        self
    }

    /// Replaces the output root given to [`Run::builder`].
    ///
    /// ```
    /// let b = runlayout::Run::builder("runs").output_root("/data/runs").run_id("r");
    /// assert_eq!(b.planned_path()?, Some("/data/runs/r".into()));
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    pub fn output_root(mut self, root: impl Into<PathBuf>) -> RunBuilder {
        self.root = root.into();
        self
    }

    /// The stage (`pretrain`, `finetune`, ...). Without one, the run sits
    /// right below the root (or its `debug/` folder).
    ///
    /// ```
    /// let b = runlayout::Run::builder("runs").stage("pretrain").run_id("r");
    /// assert_eq!(b.planned_path()?, Some("runs/pretrain/r".into()));
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    pub fn stage(mut self, stage: impl Into<String>) -> RunBuilder {
        self.stage = Some(stage.into());
        self
    }

    /// Puts the run below a `debug/` folder right under the root, so trial
    /// runs never mix with real ones.
    ///
    /// ```
    /// let b = runlayout::Run::builder("runs").debug(true).run_id("r");
    /// assert_eq!(b.planned_path()?, Some("runs/debug/r".into()));
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    pub fn debug(mut self, debug: bool) -> RunBuilder {
        self.debug = debug;
        self
    }

    /// Uses this run id, replacing a seed set before. An existing folder of
    /// this id is never taken over by `create()`.
    ///
    /// ```
    /// let b = runlayout::Run::builder("runs").seed(1).run_id("baseline");
    /// assert_eq!(b.planned_path()?, Some("runs/baseline".into()));
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    pub fn run_id(mut self, id: impl Into<String>) -> RunBuilder {
        self.id = IdSource::Explicit(id.into());
        self
    }

    /// Uses a seeded run id, replacing a run id set before.
    ///
    /// Outside a launcher the id is [`RunId::from_seed`]: the local date and
    /// five characters fixed by the seed (`2026-11-30_wifod`), so the same
    /// seed names another run tomorrow. Under a [`Launcher`] (found in the
    /// environment when the builder is finished, or by
    /// [`from_env`](RunBuilder::from_env)) the launcher's id stands in place
    /// of the date, [`Launcher::seeded_id`] (`slurm-4242.0_wifod`): every
    /// rank of the job gets the same id, whatever its clock or time zone,
    /// and [`start`](RunBuilder::start) makes one run for all of them. For
    /// the dated id whatever the environment, pass
    /// `run_id(RunId::from_seed(seed))`.
    ///
    /// ```
    /// use runlayout::{Launcher, Run, RunId};
    ///
    /// let b = Run::builder("runs").seed(3);
    /// let id = match Launcher::detect() {
    ///     None => RunId::from_seed(3), // the local date, `_`, five characters
    ///     Some(launcher) => launcher.seeded_id(3), // the job's id, `_`, the same five
    /// };
    /// assert_eq!(b.planned_path()?, Some(format!("runs/{id}").into()));
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    pub fn seed(mut self, seed: u64) -> RunBuilder {
        self.id = IdSource::Seeded(seed);
        self
    }

    /// Goes back to a freshly generated run id, dropping a run id or seed set
    /// before (useful after [`Run::with_run`], which keeps the current id).
    ///
    /// ```
    /// let b = runlayout::Run::builder("runs").run_id("r").generated_id();
    /// assert_eq!(b.planned_path()?, None, "drawn when the run is created");
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    pub fn generated_id(mut self) -> RunBuilder {
        self.id = IdSource::Generated;
        self
    }

    /// Chooses the order of stage and run id folders; see [`Nesting`].
    ///
    /// ```
    /// use runlayout::{Nesting, Run};
    /// let b = Run::builder("runs").nesting(Nesting::RunFirst).stage("eval").run_id("r");
    /// assert_eq!(b.planned_path()?, Some("runs/r/eval".into()));
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    pub fn nesting(mut self, nesting: Nesting) -> RunBuilder {
        self.nesting = nesting;
        self
    }

    /// Chooses how [`Run::link`] records ancestors and how the `latest`
    /// pointer is made; see [`LinkStyle`].
    ///
    /// ```
    /// use runlayout::{LinkStyle, Run};
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
    /// let run = runlayout::Run::builder(root.path()).write_manifest(false).create()?;
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
    /// runlayout::Run::builder(root.path()).latest_pointer(false).create()?;
    /// assert!(!root.path().join("latest").exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn latest_pointer(mut self, update: bool) -> RunBuilder {
        self.latest_pointer = update;
        self
    }

    /// Whether a new run's manifest records the git state (commit, dirty,
    /// branch) of the current directory's work tree (default: yes). It is
    /// read once per process and directory by running `git` with a short
    /// timeout; no `git`, no repository or a slow one leave it out, and
    /// creation never fails because of it.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).record_git(false).create()?;
    /// # #[cfg(feature = "manifest")]
    /// assert!(run.manifest()?.unwrap().git.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record_git(mut self, record: bool) -> RunBuilder {
        self.record_git = record;
        self
    }

    /// How long `open()` and `create_or_open()` wait, at most, for the
    /// manifest of a run folder that another process has just made and is
    /// still completing (default: 5 seconds). Raise it on file systems that
    /// show other hosts' new files late (NFS with attribute caching).
    ///
    /// ```
    /// use std::time::Duration;
    /// use runlayout::{Error, Run};
    ///
    /// let root = tempfile::tempdir()?;
    /// // An empty folder where a run should be: its creator died, or it was made by hand.
    /// std::fs::create_dir(root.path().join("r1"))?;
    /// let err = Run::builder(root.path()).run_id("r1").join_timeout(Duration::ZERO).open();
    /// # #[cfg(feature = "manifest")]
    /// assert!(matches!(err, Err(Error::IncompleteRun { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn join_timeout(mut self, timeout: Duration) -> RunBuilder {
        self.join_timeout = timeout;
        self
    }

    /// How often a [`RunGuard`](crate::RunGuard) of the run records a
    /// heartbeat (default: 30 seconds), so that a reader on another host
    /// calls the run crashed once three beats are missed (see
    /// [`Run::status`]). Each beat is one small atomic write of
    /// `run.status.json`; an interval below 10 ms is taken as 10 ms.
    ///
    /// ```
    /// use std::time::Duration;
    /// use runlayout::Run;
    ///
    /// let root = tempfile::tempdir()?;
    /// let run = Run::builder(root.path())
    ///     .heartbeat_interval(Duration::from_secs(5))
    ///     .create()?;
    /// let guard = run.guard();
    /// # #[cfg(feature = "manifest")]
    /// assert!(run.state()?.heartbeat.is_some());
    /// guard.finish()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn heartbeat_interval(mut self, interval: Duration) -> RunBuilder {
        self.heartbeat = interval;
        self
    }

    /// The run's parameters (its configuration: learning rate, seed, data
    /// set), recorded once, by the run's creator, in `run.json` under
    /// `params`; read back with [`Run::params`]. They must serialise to a
    /// JSON object (a struct or a map). A process that opens or joins an
    /// existing run with other parameters does not change them: the run
    /// keeps its first ones, and the restart record of that process
    /// ([`Run::restarts`]) keeps the new ones.
    ///
    /// The parameters are checked when the builder is finished: anything
    /// but an object is [`Error::InvalidParams`], naming the value, before
    /// anything is written.
    ///
    /// ```
    /// # #[cfg(feature = "manifest")] {
    /// use runlayout::{Error, Run};
    ///
    /// #[derive(serde::Serialize)]
    /// struct Config { lr: f64, batch: u32 }
    ///
    /// let root = tempfile::tempdir()?;
    /// let run = Run::builder(root.path()).params(&Config { lr: 3e-4, batch: 64 }).create()?;
    /// assert_eq!(run.params()?.unwrap()["batch"], 64);
    ///
    /// let err = Run::builder(root.path()).params(&[1, 2]).create().unwrap_err();
    /// assert!(matches!(err, Error::InvalidParams { .. }));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "serde")]
    #[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
    pub fn params(mut self, params: &impl serde::Serialize) -> RunBuilder {
        self.params = Some(match serde_json::to_value(params) {
            Ok(serde_json::Value::Object(object)) => Params::Object(object),
            Ok(other) => Params::Invalid {
                value: other.to_string(),
                problem: "they must be a JSON object (a struct or a map), not a \
                          single value or a list"
                    .to_owned(),
            },
            Err(e) => Params::Invalid {
                value: std::any::type_name_of_val(params).to_owned(),
                problem: format!("they cannot be written as JSON: {e}"),
            },
        });
        self
    }

    /// Whether opening or joining an existing run appends this process's
    /// restart to the run's `run.restarts.jsonl` ([`Run::restarts`]);
    /// on by default. A tool that opens runs only to read them (a viewer, a
    /// report, `runlayout` itself) switches it off; [`Run::resolve`] never
    /// records one.
    ///
    /// ```
    /// # #[cfg(feature = "manifest")] {
    /// use runlayout::Run;
    ///
    /// let root = tempfile::tempdir()?;
    /// let run = Run::builder(root.path()).run_id("r").create()?;
    /// Run::builder(root.path()).run_id("r").record_restart(false).open()?;
    /// assert!(run.restarts()?.is_empty());
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record_restart(mut self, record: bool) -> RunBuilder {
        self.record_restart = record;
        self
    }

    /// Records `value` under `key` in a new run's `run.json` (a field the
    /// manifest does not name itself, read back with `Manifest::other`).
    #[cfg(feature = "serde")]
    // Only sweeps, which need the `manifest` feature, call it.
    #[cfg_attr(not(feature = "manifest"), allow(dead_code))]
    pub(crate) fn manifest_field(mut self, key: &str, value: serde_json::Value) -> RunBuilder {
        self.fields.insert(key.to_owned(), value);
        self
    }

    /// The parameters to record, checked: `None` if none were given.
    pub(super) fn checked_params(&self) -> Result<Option<&Extra>> {
        match &self.params {
            None => Ok(None),
            Some(Params::Object(object)) => Ok(Some(object)),
            Some(Params::Invalid { value, problem }) => Err(Error::InvalidParams {
                value: value.clone(),
                problem: problem.clone(),
            }),
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
    /// use runlayout::Run;
    ///
    /// let b = Run::builder("runs").stage("eval").run_id("r1");
    /// assert_eq!(b.planned_path()?, Some("runs/eval/r1".into()));
    /// assert_eq!(Run::builder("runs").planned_path()?, None);
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    pub fn planned_path(&self) -> Result<Option<PathBuf>> {
        let stage = self.checked_stage()?;
        Ok(self
            .fixed_id()?
            .map(|id| self.address(stage, id).folder(&self.root)))
    }

    /// Whether the run id is given or seeded rather than generated.
    pub(super) fn has_fixed_id(&self) -> bool {
        !matches!(self.id, IdSource::Generated)
    }

    /// Whether the run id is given as it is, not seeded or generated.
    pub(super) fn has_explicit_id(&self) -> bool {
        matches!(self.id, IdSource::Explicit(_))
    }

    /// The stage, checked against the naming rules.
    pub(super) fn checked_stage(&self) -> Result<Option<String>> {
        let Some(stage) = &self.stage else {
            return Ok(None);
        };
        match names::check(stage) {
            Ok(()) => Ok(Some(stage.clone())),
            Err(rule) => Err(Error::InvalidName {
                subject: NameKind::Stage,
                value: stage.clone(),
                rule,
            }),
        }
    }

    /// The run id unless it is to be generated; a seeded one made under
    /// the builder's launcher.
    pub(super) fn fixed_id(&self) -> Result<Option<RunId>> {
        self.fixed_id_under(self.seed_launcher().as_ref())
    }

    /// The run id unless it is to be generated; a seeded one made under
    /// `launcher` (dated without one).
    pub(super) fn fixed_id_under(&self, launcher: Option<&Launcher>) -> Result<Option<RunId>> {
        match &self.id {
            IdSource::Generated => Ok(None),
            IdSource::Seeded(seed) => Ok(Some(match launcher {
                Some(launcher) => launcher.seeded_id(*seed),
                None => RunId::from_seed(*seed),
            })),
            IdSource::Explicit(id) => RunId::new(id.as_str()).map(Some),
        }
    }

    /// The launcher whose ranks share a seeded id, when the id is seeded
    /// and a launcher started the process; `None` otherwise (the
    /// environment is read only for a seed).
    pub(super) fn seed_launcher(&self) -> Option<Launcher> {
        if !matches!(self.id, IdSource::Seeded(_)) {
            return None;
        }
        match &self.launcher {
            LauncherSource::Detect => Launcher::detect(),
            LauncherSource::Given(launcher) => launcher.clone(),
        }
    }

    /// Makes a seeded id under `launcher` (or none) rather than the one the
    /// process environment names.
    pub(super) fn under_launcher(mut self, launcher: Option<Launcher>) -> RunBuilder {
        self.launcher = LauncherSource::Given(launcher);
        self
    }

    /// Whether the run id is seeded.
    pub(super) fn has_seed(&self) -> bool {
        matches!(self.id, IdSource::Seeded(_))
    }

    /// Where a run of this id and stage goes, with this builder's settings.
    pub(super) fn address(&self, stage: Option<String>, id: RunId) -> Address {
        Address {
            debug: self.debug,
            nesting: self.nesting,
            stage,
            id,
        }
    }

    /// The runs of `stage` placed with this builder's settings.
    pub(super) fn group<'a>(&self, stage: Option<&'a str>) -> Group<'a> {
        Group {
            debug: self.debug,
            nesting: self.nesting,
            stage,
        }
    }

    /// The run at `address` below this builder's root.
    pub(super) fn run(&self, address: Address, is_new: bool) -> Run {
        Run::new(self.root.clone(), address, self.link_style, is_new)
            .with_heartbeat_interval(self.heartbeat)
    }

    /// The output root the run will be placed under.
    ///
    /// ```
    /// let b = runlayout::Run::builder("runs");
    /// assert_eq!(b.root(), std::path::Path::new("runs"));
    /// ```
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Run {
    /// Starts the settings of a run below the output root `root`.
    ///
    /// ```
    /// use runlayout::Run;
    ///
    /// let root = tempfile::tempdir()?;
    /// let run = Run::builder(root.path()).create()?;
    /// assert_eq!(run.path(), root.path().join(run.id().as_str()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(root: impl Into<PathBuf>) -> RunBuilder {
        RunBuilder::new(root.into())
    }

    /// Settings for another run on the same root, with the same debug flag,
    /// nesting and link style; the run id and stage left out are this run's.
    ///
    /// This is ksuit's `with_run`, without its bugs: neither the debug flag
    /// nor the stage is ever forgotten. Finish it like any builder; call
    /// [`RunBuilder::generated_id`] on it for a fresh id.
    ///
    /// ```
    /// use runlayout::Run;
    ///
    /// let root = tempfile::tempdir()?;
    /// let pretrain = Run::builder(root.path()).stage("pretrain").debug(true).create()?;
    /// let finetune = pretrain.with_run(None, Some("finetune")).create()?;
    /// assert_eq!(finetune.id(), pretrain.id());
    /// assert!(finetune.is_debug());
    /// assert_eq!(finetune.stage(), Some("finetune"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_run(&self, run_id: Option<&str>, stage: Option<&str>) -> RunBuilder {
        let mut builder = Run::builder(self.root().to_path_buf())
            .debug(self.is_debug())
            .nesting(self.nesting())
            .link_style(self.link_style())
            .run_id(run_id.unwrap_or(self.id().as_str()));
        if let Some(stage) = stage.or(self.stage()) {
            builder = builder.stage(stage);
        }
        builder
    }
}
