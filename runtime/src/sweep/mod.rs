//! Sweeps: a grid or a list of trials, each an ordinary run of the sweep's
//! stage, handed to exactly one worker at a time across threads,
//! processes and hosts sharing a file system or a bucket, offered again
//! after a crash, and read back as one table.
//!
//! Its files: `name.rs` (`SweepSpec`, a sweep as a person names it, and
//! where it sits), `spec.rs` (the grid, the trials, their count and hash),
//! `record.rs` (`sweep.json` and the record folder), `claim.rs` (claiming
//! trials: `Trial`), `progress.rs` (`TrialState`, `trials`, `is_done`),
//! `home.rs` (a sweep whose root is a URL: its record, cursor and leases
//! in object storage), `stored.rs` (which of the two keeps a record).
//! Uses `catalog` (a sweep's prune), `lifecycle`, `record`, `run`, `io`
//! and `error`.

mod claim;
#[cfg(feature = "object-store")]
mod home;
mod name;
mod progress;
mod record;
mod spec;
mod stored;

pub use claim::Trial;
pub use name::{SWEEP_PREFIX, SWEEP_RECORD, SweepSpec};
pub use progress::TrialState;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::time::Duration;

use runlayout_grammar::names;
use serde_json::{Map, Value};

use crate::catalog::prune::Prune;
use crate::error::{Error, NameKind, Result};
use crate::run::HEARTBEAT_INTERVAL;
use crate::run::id::RunId;
use record::SweepRecord;
use spec::{Axis, Plan};

/// A sweep: a grid or list of trials, each an ordinary run of the sweep's
/// stage that exactly one worker claims at a time.
///
/// Made by [`Sweep::builder`], opened by [`Sweep::open`] or
/// [`Sweep::resolve`]. The trials are numbered from 0: the grid's points
/// in Hydra's order (the cartesian product, the first parameter
/// outermost), then the explicit trials. Trial `n`'s run is
/// `<stage>/<sweep-id>-t<n>` (`n` zero-padded to one width for the whole
/// sweep, at least 3 digits, so the ids sort by number); its `run.json`
/// records the trial's parameters as `params` and `"sweep": {"id", "trial"}`.
/// The spec is recorded once, in `<stage>/sweep+<sweep-id>/sweep.json`,
/// with a hash.
///
/// A `Sweep` is shared by the threads of a worker (`&Sweep` is enough to
/// claim); every process opens its own.
///
/// ```
/// use runlayout::{RunStatus, sweep::Sweep};
///
/// let root = tempfile::tempdir()?;
/// let sweep = Sweep::builder(root.path())
///     .stage("lr-sweep")
///     .grid("lr", [0.1, 0.01, 0.001])
///     .grid("seed", [1, 2])
///     .create()?;
/// assert_eq!(sweep.count(), 6);
/// while let Some(trial) = sweep.claim_next()? {
///     let guard = trial.guard();
///     let lr: f64 = trial.param("lr")?;
///     trial.run().summary().set("val_loss", lr * 10.0)?;
///     guard.finish()?;
/// }
/// assert!(sweep.is_done()?);
/// let states = sweep.trials()?;
/// assert_eq!(states[2].params["lr"], 0.01);
/// assert_eq!(states[2].status, Some(RunStatus::Finished));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Sweep {
    root: PathBuf,
    spec: SweepSpec,
    record: SweepRecord,
    retry_failed: bool,
    heartbeat: Duration,
    /// Whether this handle found every number handed out already.
    fresh_done: AtomicBool,
    /// Where this handle's next look for a trial left over starts.
    revisit: AtomicUsize,
    /// The home of a sweep whose root is a URL.
    #[cfg(feature = "object-store")]
    home: Option<std::sync::Arc<home::SweepHome>>,
}

/// The settings of a new sweep: [`Sweep::builder`], finished by
/// [`create`](SweepBuilder::create).
///
/// The setters never fail; values that cannot be swept are reported by
/// `create()`, before anything is written.
///
/// ```
/// use runlayout::sweep::Sweep;
///
/// let root = tempfile::tempdir()?;
/// let sweep = Sweep::builder(root.path())
///     .stage("search")
///     .sweep_id("random-1")
///     .trials([serde_json::json!({"lr": 3e-4, "depth": 4}), serde_json::json!({"lr": 1e-3, "depth": 2})])
///     .create()?;
/// assert_eq!(sweep.to_string(), "search/random-1");
/// assert_eq!(sweep.params(1).unwrap()["depth"], 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a SweepBuilder does nothing until create() is called"]
pub struct SweepBuilder {
    root: PathBuf,
    stage: Option<String>,
    debug: bool,
    id: Option<String>,
    grid: Vec<Axis>,
    trials: Vec<Map<String, Value>>,
    /// The first value that cannot be swept, and why.
    invalid: Option<(String, String)>,
}

impl Sweep {
    /// Starts the settings of a new sweep below the output root `root`.
    ///
    /// ```
    /// let builder = runlayout::sweep::Sweep::builder("runs").stage("lr-sweep").grid("lr", [0.1]);
    /// # let _ = builder;
    /// ```
    pub fn builder(root: impl Into<PathBuf>) -> SweepBuilder {
        SweepBuilder {
            root: root.into(),
            stage: None,
            debug: false,
            id: None,
            grid: Vec::new(),
            trials: Vec::new(),
            invalid: None,
        }
    }

    /// Opens the sweep `spec` names below `root`.
    ///
    /// # Errors
    ///
    /// [`Error::SweepNotFound`] naming the record folder,
    /// [`Error::InvalidRecord`] for a `sweep.json` that cannot be read.
    ///
    /// ```
    /// use runlayout::sweep::{Sweep, SweepSpec};
    ///
    /// let root = tempfile::tempdir()?;
    /// let made = Sweep::builder(root.path()).stage("s").grid("x", [1, 2]).create()?;
    /// let spec: SweepSpec = made.to_string().parse()?;
    /// assert_eq!(Sweep::open(root.path(), &spec)?.count(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(root: impl AsRef<Path>, spec: &SweepSpec) -> Result<Sweep> {
        let root = root.as_ref();
        let record = stored::read(root, spec)?.ok_or_else(|| Error::SweepNotFound {
            path: spec.record_folder(root),
        })?;
        Sweep::with(root.to_path_buf(), spec.clone(), record)
    }

    /// Opens the sweep that `text` names below `root`:
    /// `[debug/]<stage>/<sweep-id>`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSweepSpec`], and those of [`Sweep::open`].
    ///
    /// ```
    /// use runlayout::sweep::Sweep;
    ///
    /// let root = tempfile::tempdir()?;
    /// Sweep::builder(root.path()).stage("s").sweep_id("a").grid("x", [1]).create()?;
    /// assert_eq!(Sweep::resolve(root.path(), "s/a")?.id(), "a");
    /// assert!(Sweep::resolve(root.path(), "s/b").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resolve(root: impl AsRef<Path>, text: &str) -> Result<Sweep> {
        Sweep::open(root, &text.parse()?)
    }

    /// Every sweep recorded below `root` (in its stage folders and below
    /// `debug/`), oldest first.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if `root` cannot be read; a record that cannot be read
    /// fails the listing with its error.
    ///
    /// ```
    /// use runlayout::sweep::Sweep;
    ///
    /// let root = tempfile::tempdir()?;
    /// Sweep::builder(root.path()).stage("s").grid("x", [1]).create()?;
    /// assert_eq!(Sweep::list(root.path())?.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn list(root: impl AsRef<Path>) -> Result<Vec<Sweep>> {
        let root = root.as_ref();
        let mut found = Vec::new();
        for spec in stored::find(root)? {
            match Sweep::open(root, &spec) {
                // A record folder without its record: a sweep being
                // removed (in a bucket, its record goes first).
                Err(Error::SweepNotFound { .. }) => {}
                opened => found.push(opened?),
            }
        }
        found.sort_by(|a, b| {
            (&a.record.created, a.to_string()).cmp(&(&b.record.created, b.to_string()))
        });
        Ok(found)
    }

    fn with(root: PathBuf, spec: SweepSpec, record: SweepRecord) -> Result<Sweep> {
        Ok(Sweep {
            #[cfg(feature = "object-store")]
            home: home::SweepHome::of(&root, None)?.map(std::sync::Arc::new),
            root,
            spec,
            record,
            retry_failed: false,
            heartbeat: HEARTBEAT_INTERVAL,
            fresh_done: AtomicBool::new(false),
            revisit: AtomicUsize::new(0),
        })
    }

    /// Whether [`claim_next`](Sweep::claim_next) offers failed trials again
    /// (default: no), and [`is_done`](Sweep::is_done) waits for them.
    /// Finished trials are never offered again.
    ///
    /// ```
    /// use runlayout::sweep::Sweep;
    ///
    /// let root = tempfile::tempdir()?;
    /// let sweep = Sweep::builder(root.path()).stage("s").grid("x", [1]).create()?;
    /// sweep.claim_next()?.unwrap().guard().fail("diverged")?;
    /// assert!(sweep.claim_next()?.is_none());
    /// let sweep = sweep.retry_failed(true);
    /// assert_eq!(sweep.claim_next()?.unwrap().number(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retry_failed(mut self, retry: bool) -> Sweep {
        self.retry_failed = retry;
        self
    }

    /// For a sweep whose root is a URL: the folder this handle keeps its
    /// trials' working copies in (default: `RUNLAYOUT_CACHE`, else the
    /// platform's cache folder, as for
    /// [`RunBuilder::cache_dir`](crate::RunBuilder::cache_dir)). A sweep on
    /// disk has no working copies: nothing changes.
    ///
    /// # Errors
    ///
    /// Those of opening the root's store again.
    ///
    /// ```
    /// use runlayout::sweep::Sweep;
    ///
    /// let node = tempfile::tempdir()?;
    /// let sweep = Sweep::builder("memory://doc-sweep-cache/runs")
    ///     .stage("s")
    ///     .grid("x", [1])
    ///     .create()?
    ///     .cache_dir(node.path())?;
    /// let trial = sweep.claim_next()?.unwrap();
    /// assert!(trial.run().path().starts_with(node.path()));
    /// assert_eq!(trial.run().remote(), Some("memory://doc-sweep-cache/runs/s/".to_owned() + trial.run().id().as_str()).as_deref());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "object-store")]
    pub fn cache_dir(mut self, dir: impl AsRef<Path>) -> Result<Sweep> {
        if self.home.is_some() {
            let home = home::SweepHome::of(&self.root, Some(dir.as_ref()))?;
            self.home = home.map(std::sync::Arc::new);
        }
        Ok(self)
    }

    /// How often the guards of this handle's trials record a heartbeat
    /// (default: [`HEARTBEAT_INTERVAL`]); see
    /// [`RunBuilder::heartbeat_interval`](crate::RunBuilder::heartbeat_interval).
    ///
    /// ```
    /// let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s").grid("x", [1]).create()?
    ///     .heartbeat_interval(std::time::Duration::from_secs(5));
    /// # let _ = sweep;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn heartbeat_interval(mut self, interval: Duration) -> Sweep {
        self.heartbeat = interval;
        self
    }

    /// The sweep's id.
    ///
    /// ```
    /// let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s").sweep_id("a").grid("x", [1]).create()?;
    /// assert_eq!(sweep.id(), "a");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// The sweep's stage, which its trials are runs of.
    ///
    /// ```
    /// let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s").grid("x", [1]).create()?;
    /// assert_eq!(sweep.stage(), "s");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stage(&self) -> &str {
        &self.spec.stage
    }

    /// Whether the sweep sits below `debug/`.
    ///
    /// ```
    /// let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s").debug(true).grid("x", [1]).create()?;
    /// assert!(sweep.is_debug());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_debug(&self) -> bool {
        self.spec.debug
    }

    /// How the sweep is named: `[debug/]<stage>/<sweep-id>`.
    ///
    /// ```
    /// let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s").sweep_id("a").grid("x", [1]).create()?;
    /// assert_eq!(sweep.spec().to_string(), "s/a");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spec(&self) -> &SweepSpec {
        &self.spec
    }

    /// The output root.
    ///
    /// ```
    /// let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s").grid("x", [1]).create()?;
    /// assert_eq!(sweep.root(), root.path());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The sweep's record folder, `<stage>/sweep+<sweep-id>`.
    ///
    /// ```
    /// let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s").sweep_id("a").grid("x", [1]).create()?;
    /// assert_eq!(sweep.path(), root.path().join("s/sweep+a"));
    /// assert!(sweep.path().join("sweep.json").is_file());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path(&self) -> PathBuf {
        self.spec.record_folder(&self.root)
    }

    /// How many trials the sweep has.
    ///
    /// ```
    /// let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s")
    ///     .grid("x", [1, 2, 3]).grid("y", ["a", "b"]).create()?;
    /// assert_eq!(sweep.count(), 6);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn count(&self) -> usize {
        self.record.spec.count
    }

    /// The hash recorded with the spec: 16 hex digits of the FNV-1a hash of
    /// its JSON. Two sweeps with the same grid and trials have the same one.
    ///
    /// ```
    /// use runlayout::sweep::Sweep;
    /// let root = tempfile::tempdir()?;
    /// let a = Sweep::builder(root.path()).stage("s").grid("x", [1, 2]).create()?;
    /// let b = Sweep::builder(root.path()).stage("s").grid("x", [1, 2]).create()?;
    /// assert_ne!(a.id(), b.id());
    /// assert_eq!(a.hash(), b.hash());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hash(&self) -> &str {
        &self.record.hash
    }

    /// When the sweep was created: RFC 3339 with the local offset.
    ///
    /// ```
    /// let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s").grid("x", [1]).create()?;
    /// assert!(sweep.created().starts_with("20"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn created(&self) -> &str {
        &self.record.created
    }

    /// The parameter names: the grid's in order, then those only explicit
    /// trials name.
    ///
    /// ```
    /// let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s")
    ///     .grid("lr", [0.1]).grid("seed", [1]).create()?;
    /// assert_eq!(sweep.param_names(), ["lr", "seed"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn param_names(&self) -> Vec<String> {
        self.record.spec.names()
    }

    /// The parameters of trial `n`; `None` past the last trial.
    ///
    /// ```
    /// let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s")
    ///     .grid("lr", [0.1, 0.01]).grid("seed", [1, 2]).create()?;
    /// assert_eq!(sweep.params(1).unwrap(), serde_json::json!({"lr": 0.1, "seed": 2}).as_object().unwrap().clone());
    /// assert!(sweep.params(4).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn params(&self, n: usize) -> Option<Map<String, Value>> {
        (n < self.count()).then(|| self.record.spec.params(n))
    }

    /// The run id of trial `n`: `<sweep-id>-t<n>`, `n` zero-padded to the
    /// sweep's width.
    ///
    /// ```
    /// let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s").sweep_id("a")
    ///     .grid("x", [1, 2]).create()?;
    /// assert_eq!(sweep.trial_id(1), "a-t001");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn trial_id(&self, n: usize) -> String {
        trial_id(&self.spec.id, n, spec::width(self.count()))
    }

    /// The folder of trial `n`'s run (made when it is first claimed).
    ///
    /// ```
    /// let root = tempfile::tempdir()?;
    /// let sweep = runlayout::sweep::Sweep::builder(root.path()).stage("s").sweep_id("a")
    ///     .grid("x", [1, 2]).create()?;
    /// assert_eq!(sweep.trial_path(0), root.path().join("s/a-t000"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn trial_path(&self, n: usize) -> PathBuf {
        self.spec.stage_folder(&self.root).join(self.trial_id(n))
    }

    /// A prune that selects this sweep's trials and no other runs: plan
    /// and execute it as any [`Prune`], with the same protections (a
    /// running trial, one a `latest` pointer names, an ancestor of a run
    /// that stays are kept). Then [`remove`](Sweep::remove) removes the
    /// sweep's record once no trial is left.
    ///
    /// ```
    /// use runlayout::sweep::Sweep;
    ///
    /// let root = tempfile::tempdir()?;
    /// let sweep = Sweep::builder(root.path()).stage("s").grid("x", [1, 2]).create()?;
    /// while let Some(trial) = sweep.claim_next()? {
    ///     trial.guard().finish()?;
    /// }
    /// let plan = sweep.prune().plan()?;
    /// // The newest trial is the stage's `latest`: it stays.
    /// assert_eq!((plan.remove.len(), plan.kept.len()), (1, 1));
    /// plan.execute()?;
    /// assert!(!sweep.remove()?, "a trial is left: the record stays");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn prune(&self) -> Prune {
        Prune::new(&self.root).only((0..self.count()).map(|n| self.trial_path(n)))
    }

    /// Removes the sweep's record folder if none of its trials' runs is
    /// left (each was pruned, or never made): `true` if it was removed,
    /// `false` if trials remain and it stays. The folder is renamed to a
    /// temporary name first, so it leaves every listing at once.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming the folder.
    ///
    /// ```
    /// use runlayout::sweep::Sweep;
    ///
    /// let root = tempfile::tempdir()?;
    /// let sweep = Sweep::builder(root.path()).stage("s").grid("x", [1]).create()?;
    /// let record = sweep.path();
    /// assert!(sweep.remove()?);
    /// assert!(!record.exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remove(&self) -> Result<bool> {
        #[cfg(feature = "object-store")]
        if let Some(home) = &self.home {
            for n in 0..self.count() {
                if home.runs().has_run(&self.trial_address(n))? {
                    return Ok(false);
                }
            }
            home.remove(&self.spec)?;
            return Ok(true);
        }
        for n in 0..self.count() {
            if crate::io::fs::symlink_metadata_if_there(&self.trial_path(n))?.is_some() {
                return Ok(false);
            }
        }
        record::remove(&self.path())?;
        Ok(true)
    }
}

impl std::fmt::Display for Sweep {
    /// `[debug/]<stage>/<sweep-id>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.spec.fmt(f)
    }
}

/// `<sweep-id>-t<n>`, `n` zero-padded to `width`.
fn trial_id(sweep: &str, n: usize, width: usize) -> String {
    format!("{sweep}-t{n:0width$}")
}

impl SweepBuilder {
    /// The stage whose runs the trials are (required).
    ///
    /// ```
    /// let b = runlayout::sweep::Sweep::builder("runs").stage("lr-sweep");
    /// # let _ = b;
    /// ```
    pub fn stage(mut self, stage: impl Into<String>) -> SweepBuilder {
        self.stage = Some(stage.into());
        self
    }

    /// Puts the sweep and its trials below `debug/`.
    ///
    /// ```
    /// let b = runlayout::sweep::Sweep::builder("runs").stage("s").debug(true);
    /// # let _ = b;
    /// ```
    pub fn debug(mut self, debug: bool) -> SweepBuilder {
        self.debug = debug;
        self
    }

    /// A fixed sweep id (the naming rules of run ids) instead of a
    /// generated one. A sweep of that id that exists already is opened, if
    /// its spec is this one; otherwise `create()` fails with
    /// [`Error::SweepChanged`].
    ///
    /// ```
    /// use runlayout::{Error, sweep::Sweep};
    ///
    /// let root = tempfile::tempdir()?;
    /// let b = Sweep::builder(root.path()).stage("s").sweep_id("lr").grid("lr", [0.1, 0.01]);
    /// let first = b.clone().create()?;
    /// assert_eq!(b.create()?.hash(), first.hash(), "the same spec: opened");
    /// let changed = Sweep::builder(root.path()).stage("s").sweep_id("lr").grid("lr", [0.1, 0.02]).create();
    /// assert!(matches!(changed, Err(Error::SweepChanged { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sweep_id(mut self, id: impl Into<String>) -> SweepBuilder {
        self.id = Some(id.into());
        self
    }

    /// A grid parameter and its values, any `Serialize` (numbers, strings,
    /// objects). The grid is the cartesian product of its parameters, the
    /// first one outermost.
    ///
    /// ```
    /// let b = runlayout::sweep::Sweep::builder("runs").stage("s")
    ///     .grid("lr", [0.1, 0.01]).grid("optimizer", ["adam", "sgd"]);
    /// # let _ = b;
    /// ```
    pub fn grid<T: serde::Serialize>(
        mut self,
        name: impl Into<String>,
        values: impl IntoIterator<Item = T>,
    ) -> SweepBuilder {
        let name = name.into();
        let mut json = Vec::new();
        for value in values {
            match serde_json::to_value(&value) {
                Ok(value) => json.push(value),
                Err(e) => {
                    self.note_invalid(
                        std::any::type_name::<T>(),
                        format!(
                            "a value of grid parameter `{name}` cannot be written as JSON: {e}"
                        ),
                    );
                }
            }
        }
        self.grid.push(Axis { name, values: json });
        self
    }

    /// Explicit trials after the grid's (random search, hand-picked
    /// points), each a JSON object of parameters, or anything that
    /// serialises to one (a struct, a map).
    ///
    /// ```
    /// use serde_json::json;
    /// let b = runlayout::sweep::Sweep::builder("runs").stage("s")
    ///     .trials([json!({"lr": 0.1}), json!({"lr": 0.3, "warmup": false})]);
    /// # let _ = b;
    /// ```
    pub fn trials<T: serde::Serialize>(
        mut self,
        trials: impl IntoIterator<Item = T>,
    ) -> SweepBuilder {
        for trial in trials {
            match serde_json::to_value(&trial) {
                Ok(Value::Object(object)) => self.trials.push(object),
                Ok(other) => self.note_invalid(
                    &other.to_string(),
                    "a trial must be a JSON object (a struct or a map)".to_owned(),
                ),
                Err(e) => self.note_invalid(
                    std::any::type_name::<T>(),
                    format!("a trial cannot be written as JSON: {e}"),
                ),
            }
        }
        self
    }

    fn note_invalid(&mut self, value: &str, problem: String) {
        if self.invalid.is_none() {
            self.invalid = Some((value.to_owned(), problem));
        }
    }

    /// Records the sweep and returns it; with a [`sweep_id`](SweepBuilder::sweep_id)
    /// that is recorded already, opens that sweep if its spec is this one.
    /// The record is made at a temporary name and renamed into place, so
    /// no reader ever finds half of it; two processes making one sweep id
    /// at once get the same sweep.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParams`] naming a value or grid that cannot be
    /// swept, [`Error::InvalidName`] for a bad stage or sweep id (or one too
    /// long for its trials' ids), [`Error::SweepChanged`] naming the
    /// difference, [`Error::Io`].
    ///
    /// ```
    /// use runlayout::{Error, sweep::Sweep};
    /// let root = tempfile::tempdir()?;
    /// let no_stage = Sweep::builder(root.path()).grid("x", [1]).create();
    /// assert!(matches!(no_stage, Err(Error::InvalidParams { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create(self) -> Result<Sweep> {
        if let Some((value, problem)) = self.invalid {
            return Err(Error::InvalidParams { value, problem });
        }
        let stage = self.stage.ok_or_else(|| Error::InvalidParams {
            value: "a sweep without a stage".to_owned(),
            problem: "a sweep's trials are runs of one stage: name it with .stage()".to_owned(),
        })?;
        check(NameKind::Stage, &stage)?;
        let plan = Plan::new(self.grid, self.trials).map_err(|problem| Error::InvalidParams {
            value: "the sweep's grid and trials".to_owned(),
            problem,
        })?;
        let place = |id: &str| SweepSpec {
            debug: self.debug,
            stage: stage.clone(),
            id: id.to_owned(),
        };
        if let Some(id) = &self.id {
            check_sweep_id(id, plan.count)?;
            let spec = place(id);
            let record = stored::create_or_read(&self.root, &spec, &plan)?;
            return Sweep::with(self.root, spec, record);
        }
        for _ in 0..16 {
            let id = RunId::generate().into_string();
            let spec = place(&id);
            if let Some(record) = stored::create(&self.root, &spec, &plan)? {
                return Sweep::with(self.root, spec, record);
            }
        }
        Err(Error::TooManyCollisions {
            parent: place("x").stage_folder(&self.root),
            attempts: 16,
        })
    }
}

/// `name` checked against the naming rules, as a `kind`.
fn check(kind: NameKind, name: &str) -> Result<()> {
    names::check(name).map_err(|rule| Error::InvalidName {
        subject: kind,
        value: name.to_owned(),
        rule,
    })
}

/// A sweep id follows the rules of run ids, and leaves room for its
/// record folder's name and its last trial's id.
fn check_sweep_id(id: &str, count: usize) -> Result<()> {
    check(NameKind::RunId, id)?;
    let longest = trial_id(id, count.saturating_sub(1), spec::width(count));
    let record = format!("sweep-{id}");
    for name in [longest, record] {
        if let Err(rule) = names::check(&name) {
            return Err(Error::InvalidName {
                subject: NameKind::RunId,
                value: id.to_owned(),
                rule,
            });
        }
    }
    Ok(())
}
