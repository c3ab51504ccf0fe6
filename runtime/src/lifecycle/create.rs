//! Making run folders: `create`, `create_or_open` and `start`.
//!
//! A run's folder is made with one exclusive `create_dir`, never
//! check-then-create. Whoever made it then writes the manifest and moves the
//! `latest` pointer, before the call returns: a run is complete when anyone
//! gets it (a joiner that arrives early waits for the manifest, see
//! `open.rs`).

use std::path::PathBuf;
use std::time::SystemTime;

use crate::RunBuilder;
use crate::error::{Error, Result};
use crate::io::claim::UseClaim;
use crate::io::fs;
use crate::launch::launcher::Launcher;
use crate::lifecycle::home::{Claimed, Home};
use crate::lifecycle::latest;
use crate::lifecycle::open;
use crate::lifecycle::outer_run;
use crate::record::manifest::{self, Manifest};
use crate::run::Run;
use crate::run::address::{Address, Place};
use crate::run::id::RunId;

/// How many generated ids `create()` tries before it gives up. A collision
/// needs two runs on one day to draw the same 5 of 36^5 suffixes, so 64
/// failures in a row mean the folder refuses new entries, not bad luck.
const MAX_ATTEMPTS: u32 = 64;

/// What recording a new run came to.
enum Recorded {
    /// Its manifest is this process's, which holds this use claim on it.
    Mine(Option<UseClaim>),
    /// Another process completed the folder first, taking it for
    /// abandoned (a joiner without patience): the run is that one's.
    Completed,
}

/// The folders one creation made, so a failure can take them back.
struct Made {
    place: Place,
    /// The run's own id folder was made too, not only the run folder.
    id_dir: bool,
}

impl RunBuilder {
    /// Makes a new run folder; no other caller can ever receive the same one.
    ///
    /// The run's own folder is made with one exclusive `create_dir`, never
    /// check-then-create; missing parents (found by that call) are then made
    /// with `create_dir_all`. With a generated id an existing folder is a
    /// collision: a new id is drawn (up to 64 times) and the existing folder
    /// is never adopted. With an explicit or seeded id it is an error, and
    /// nothing on disk is touched.
    ///
    /// The new folder then gets its manifest and the `latest` pointer of its
    /// stage moves to it (unless switched off). If either fails, every
    /// folder the call made is removed again and the error returned: the
    /// call has no effect.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidName`] for a bad stage or run id, [`Error::RunExists`]
    /// for an explicit or seeded id whose folder exists,
    /// [`Error::InsideRun`] if the root, the stage folder or (run-first) the
    /// id folder is a run, since a run never holds another,
    /// [`Error::DanglingLink`] if a broken symlink stands there,
    /// [`Error::TooManyCollisions`], or [`Error::Io`] naming the path.
    ///
    /// ```
    /// use runlayout::{Error, Run};
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
        self.checked_params()?;
        if let Some(home) = Home::of(&self.root, self.cache.as_deref())? {
            return self.create_in(&home, stage);
        }
        match self.fixed_id()? {
            Some(id) => self.create_fixed(self.address(stage, id)),
            None => self.create_generated(stage, RunId::generate),
        }
    }

    /// Creates the run folder, or opens it if another caller was first.
    ///
    /// This is how the ranks of one job meet in one folder: they agree on the
    /// id (explicit, or from the launcher), exactly one of them creates the
    /// folder ([`Run::is_new`] tells which) and none fails because another
    /// won. The creator writes the manifest and moves the `latest` pointer
    /// before it returns; should that fail, it gets the error but the folder
    /// stays, since the other ranks may be using it already. The others
    /// return only once the manifest is there, waiting for it if they came
    /// too early (see [`open`](RunBuilder::open)); if the creator died
    /// before it moved the `latest` pointer, the first of them moves it.
    ///
    /// # Errors
    ///
    /// [`Error::MissingRunId`] without a run id or seed: ranks that each drew
    /// their own id would never meet. (A seed makes one id for all ranks
    /// only under a launcher, whose id replaces the local date; see
    /// [`seed`](RunBuilder::seed).) [`Error::NotADirectory`] if a file stands
    /// at the run's path, [`Error::NotARun`] if the folder there is a stage
    /// folder, [`Error::IncompleteRun`] if its creator died before writing
    /// the manifest, [`Error::InsideRun`] (as for `create`),
    /// [`Error::InvalidName`], [`Error::Io`].
    ///
    /// ```
    /// use runlayout::Run;
    ///
    /// let root = tempfile::tempdir()?;
    /// let rank0 = Run::builder(root.path()).run_id("job-7").create_or_open()?;
    /// let rank1 = Run::builder(root.path()).run_id("job-7").create_or_open()?;
    /// assert_eq!(rank0.path(), rank1.path());
    /// assert!(rank0.is_new() && !rank1.is_new());
    /// # #[cfg(feature = "manifest")]
    /// assert!(rank1.path().join("run.json").is_file());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_or_open(self) -> Result<Run> {
        let stage = self.checked_stage()?;
        self.checked_params()?;
        let id = self.fixed_id()?.ok_or(Error::MissingRunId {
            method: "create_or_open",
        })?;
        if let Some(home) = Home::of(&self.root, self.cache.as_deref())? {
            return self.create_or_open_in(&home);
        }
        let address = self.address(stage, id);
        if self.make_folder(&address)?.is_some() {
            let run = self.run(address.clone(), true);
            // Other ranks may be inside the folder already: on a failure it stays.
            if let Recorded::Mine(claim) = self.record(&run, None)? {
                return Ok(run.claimed(claim));
            }
            // A rank that took the folder for abandoned completed it first:
            // the run is there, joined as the others join it.
        }
        let run = self.run(address, false);
        let claim = open::verify_or_complete(&run, &self, Some(open::Completer { job: None }))?;
        let run = run.claimed(claim);
        self.move_latest(&run, None)?;
        open::record_restart(&run, &self, open::Found::Join)?;
        Ok(run)
    }

    /// [`create`](RunBuilder::create) for all the ranks of one launched
    /// job: a new run, which the first rank to arrive creates and the job's
    /// other ranks join, as with [`create_or_open`](RunBuilder::create_or_open),
    /// but never a run that anything else made.
    ///
    /// The creator records the job in the manifest: `"job"` holds the
    /// launcher's [run id](Launcher::run_id), such as `slurm-4242.0`. A rank
    /// that finds the folder made joins it only when its manifest names the
    /// same job. So an id chosen by hand (`--run-id baseline` under `srun`)
    /// starts one new run for all the ranks of the step, another job (or
    /// step) asking for that id again is refused, and a requeued job, whose
    /// launcher id does not change, finds its folder again. A
    /// [seed](RunBuilder::seed) gives the id [`Launcher::seeded_id`] (this
    /// launcher's id in place of the date), the same for every rank.
    ///
    /// Without manifests ([`write_manifest(false)`](RunBuilder::write_manifest),
    /// or the `manifest` feature off) jobs cannot be told apart: ranks join
    /// any run folder they find, as with `create_or_open`.
    ///
    /// # Errors
    ///
    /// [`Error::MissingRunId`] without a run id or seed,
    /// [`Error::RunExists`] if the run was made by another job or outside
    /// any launcher, and those of `create_or_open`.
    ///
    /// ```
    /// use std::ffi::OsString;
    /// use runlayout::{Error, Launcher, Run};
    ///
    /// let step = |n: &'static str| {
    ///     move |k: &str| match k {
    ///         "SLURM_JOB_ID" => Some(OsString::from("4242")),
    ///         "SLURM_STEP_ID" => Some(OsString::from(n)),
    ///         _ => None,
    ///     }
    /// };
    /// let step0 = Launcher::detect_with(step("0")).unwrap();
    /// let root = tempfile::tempdir()?;
    /// let rank0 = Run::builder(root.path()).run_id("baseline").create_for(&step0)?;
    /// let rank1 = Run::builder(root.path()).run_id("baseline").create_for(&step0)?;
    /// assert_eq!(rank0.path(), rank1.path());
    /// assert!(rank0.is_new() && !rank1.is_new());
    ///
    /// # #[cfg(feature = "manifest")] {
    /// let step1 = Launcher::detect_with(step("1")).unwrap();
    /// let other = Run::builder(root.path()).run_id("baseline").create_for(&step1);
    /// assert!(matches!(other, Err(Error::RunExists { .. })));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_for(self, launcher: &Launcher) -> Result<Run> {
        let job = launcher.run_id();
        let home = Home::of(&self.root, self.cache.as_deref())?;
        let stage = self.checked_stage()?;
        self.checked_params()?;
        let id = self
            .fixed_id_under(Some(launcher))?
            .ok_or(Error::MissingRunId {
                method: "create_for",
            })?;
        let address = self.address(stage, id);
        if let Some(home) = home {
            let url = PathBuf::from(home.run_url(&address));
            let meet = |local: RunBuilder| local.create_for(launcher);
            // Another job's run, found in this node's working copy or in
            // the home: named by its URL either way.
            return match self.meet_in(&home, meet, Some(job.as_str())) {
                Err(Error::RunExists { .. }) => Err(Error::RunExists { path: url }),
                met => met,
            };
        }
        if self.make_folder(&address)?.is_some() {
            let run = self.run(address.clone(), true);
            // Other ranks may be inside the folder already: on a failure it stays.
            if let Recorded::Mine(claim) = self.record(&run, Some(job.as_str()))? {
                return Ok(run.claimed(claim));
            }
            // Completed first by a rank that took it for abandoned: joined.
        }
        let run = self.run(address, false);
        let completer = open::Completer {
            job: Some(job.as_str()),
        };
        let claim = open::verify_or_complete(&run, &self, Some(completer))?;
        let run = run.claimed(claim);
        if !manifest::is_written(self.write_manifest) {
            return Ok(run);
        }
        let recorded = Manifest::read(run.path())?.and_then(|m| m.job);
        if recorded.as_deref() == Some(job.as_str()) {
            self.move_latest(&run, None)?;
            open::record_restart(&run, &self, open::Found::Join)?;
            Ok(run)
        } else {
            Err(Error::RunExists {
                path: run.path().to_path_buf(),
            })
        }
    }

    /// [`create`](RunBuilder::create) when the id is to be generated, and
    /// [`create_or_open`](RunBuilder::create_or_open) when it is fixed (given,
    /// seeded, or from the environment or a launcher): the one call a program
    /// needs whether it runs alone or as one rank of many.
    ///
    /// A [seed](RunBuilder::seed) under a [`Launcher`] (the environment's,
    /// or the one [`from_env`](RunBuilder::from_env) read) is
    /// [`create_for`](RunBuilder::create_for) that launcher: the id is the
    /// launcher's id and the seed's five characters, the same for every
    /// rank whatever its time zone, so the ranks make one new run, which a
    /// requeued job finds again and another job is refused. Outside a
    /// launcher a seed gives the dated id, created or opened.
    ///
    /// # Errors
    ///
    /// Those of `create`, `create_or_open` or `create_for`.
    ///
    /// ```
    /// use runlayout::Run;
    ///
    /// let root = tempfile::tempdir()?;
    /// let alone = Run::builder(root.path()).start()?;
    /// let rank0 = Run::builder(root.path()).run_id("job-7").start()?;
    /// let rank1 = Run::builder(root.path()).run_id("job-7").start()?;
    /// assert!(alone.is_new() && rank0.is_new() && !rank1.is_new());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start(self) -> Result<Run> {
        if let Some(launcher) = self.seed_launcher() {
            self.create_for(&launcher)
        } else if self.has_fixed_id() {
            self.create_or_open()
        } else {
            self.create()
        }
    }

    /// [`create`](RunBuilder::create) in a home in object storage: the
    /// working copy is made below the cache as a new run is made anywhere,
    /// then claimed in the home; a generated id that is taken there is
    /// drawn again (its working copy removed), a fixed one is an error.
    fn create_in(&self, home: &Home, stage: Option<String>) -> Result<Run> {
        let fixed = self.fixed_id()?;
        let local = self.clone().output_root(home.cache()).latest_pointer(false);
        for _ in 0..MAX_ATTEMPTS {
            let made = match &fixed {
                Some(id) => {
                    let address = local.address(stage.clone(), id.clone());
                    match local.create_fixed(address.clone()) {
                        // The home's run, if it has one, is what is taken.
                        Err(Error::RunExists { .. }) if home.has_run(&address)? => {
                            let path = home.run_url(&address).into();
                            return Err(Error::RunExists { path });
                        }
                        made => made?,
                    }
                }
                None => local.create_generated(stage.clone(), RunId::generate)?,
            };
            let address = made.address().clone();
            match home.claim(made, self.latest_pointer)? {
                Claimed::Mine(run) => return Ok(run),
                Claimed::Taken(made, _) => home.discard(made),
            }
            if fixed.is_some() {
                let path = home.run_url(&address).into();
                return Err(Error::RunExists { path });
            }
        }
        Err(Error::TooManyCollisions {
            parent: home.root_url().into(),
            attempts: MAX_ATTEMPTS,
        })
    }

    /// [`create_or_open`](RunBuilder::create_or_open) in a home in object
    /// storage: ranks on one node meet in one working copy as they meet in
    /// any folder; the one that made it claims the run in the home, and
    /// if a rank on another node was first, joins that run (the working
    /// copy takes the home's manifest). A working copy the home has not
    /// been given (its creator killed before its claim) is claimed, or
    /// joined, before it is used: no run is used that the home lacks.
    fn create_or_open_in(&self, home: &Home) -> Result<Run> {
        self.meet_in(home, RunBuilder::create_or_open, None)
    }

    /// The ranks of this node meet in one working copy by `meet` (a
    /// `create_or_open` or `create_for` of the working copy), then in the
    /// home: the rank whose put of the manifest comes first makes the run,
    /// the others join it; for a launched `job`, only a run the home's
    /// manifest records for that job (another job's run of that id is
    /// [`Error::RunExists`] naming its URL, and the working copy is
    /// discarded unless another rank uses it).
    fn meet_in(
        &self,
        home: &Home,
        meet: impl Fn(RunBuilder) -> Result<Run>,
        job: Option<&str>,
    ) -> Result<Run> {
        let local = self.clone().output_root(home.cache()).latest_pointer(false);
        let mut attempts = 0;
        let run = loop {
            match meet(local.clone()) {
                // The working copy this call met went away under it: a
                // losing create() of this node discarded it. The run is
                // still the home's to join: meet again.
                Err(Error::RunNotFound { .. } | Error::RunBeingRemoved { .. })
                    if attempts < MAX_ATTEMPTS =>
                {
                    attempts += 1;
                }
                made => break made?,
            }
        };
        if !run.is_new() && home.claimed(&run)? {
            return Ok(home.attach(run));
        }
        match home.claim(run, self.latest_pointer)? {
            Claimed::Mine(run) => Ok(run),
            Claimed::Taken(run, offered) => {
                if let Some(job) = job
                    && !home.is_run_of_job(run.address(), job)?
                {
                    let path = PathBuf::from(home.run_url(run.address()));
                    home.discard(run);
                    return Err(Error::RunExists { path });
                }
                home.join(run, self.latest_pointer, &offered)
            }
        }
    }

    /// Makes the run folder at `address` (and in run-first order its id
    /// folder when missing); `None` if a folder stands there already.
    fn make_folder(&self, address: &Address) -> Result<Option<Made>> {
        let place = address.place(&self.root);
        if let Some(parent) = place.run.parent() {
            outer_run::refuse(&self.root, parent, &place.run)?;
        }
        let id_dir = if place.has_own_id_folder() {
            fs::create_new_with_parents(&place.id_dir)?
        } else {
            false
        };
        let made_run = if id_dir {
            fs::create_new(&place.run)?
        } else {
            fs::create_new_with_parents(&place.run)?
        };
        Ok(made_run.then_some(Made { place, id_dir }))
    }

    fn create_fixed(&self, address: Address) -> Result<Run> {
        if let Some(made) = self.make_folder(&address)?
            && let Some(run) = self.settle(self.run(address.clone(), true), made)?
        {
            return Ok(run);
        }
        // There already, or completed by a joiner before this call wrote
        // its manifest: another's run either way.
        let path = address.folder(&self.root);
        open::explain_existing(&path)?;
        Err(Error::RunExists { path })
    }

    /// Creates a run under the first id from `draw` whose folder is new.
    fn create_generated(
        &self,
        stage: Option<String>,
        mut draw: impl FnMut() -> RunId,
    ) -> Result<Run> {
        let parent = self.group(stage.as_deref()).folder(&self.root);
        outer_run::refuse(&self.root, &parent, &parent)?;
        for _ in 0..MAX_ATTEMPTS {
            let address = self.address(stage.clone(), draw());
            let place = address.place(&self.root);
            // The id folder is the one that must be new: in run-first order a
            // stage folder inside an existing id folder would share that id
            // with an unrelated run.
            if !fs::create_new_with_parents(&place.id_dir)? {
                continue;
            }
            if place.has_own_id_folder() && !fs::create_new(&place.run)? {
                return Err(Error::RunExists { path: place.run });
            }
            let made = Made {
                id_dir: place.has_own_id_folder(),
                place,
            };
            // `None`: a joiner of this id completed the folder first (a
            // collision of another kind), so another id is drawn.
            if let Some(run) = self.settle(self.run(address, true), made)? {
                return Ok(run);
            }
        }
        Err(Error::TooManyCollisions {
            parent,
            attempts: MAX_ATTEMPTS,
        })
    }

    /// Moves the stage's `latest` pointer to `run` unless it names a newer
    /// run (or the builder leaves it alone). The creator does it before it
    /// returns, and every joiner too: a creator killed between its manifest
    /// and the pointer would otherwise leave `latest` naming the run
    /// before, which a requeued job then resumes. When the pointer names
    /// `run` already, as it nearly always does for a joiner, this costs one
    /// `readlink`. `made` is when `run` was recorded (`Some(None)`: no
    /// time is known) if this call made it; otherwise its manifest is
    /// read when it is needed.
    fn move_latest(&self, run: &Run, made: Option<Option<SystemTime>>) -> Result<()> {
        if self.latest_pointer {
            let mine = made.map_or(latest::Mine::Unknown, latest::Mine::Known);
            latest::update(run, self.link_style, mine, latest::recorded_at)?;
        }
        Ok(())
    }

    /// Writes what a new run gets; a failure undoes the creation, so the
    /// call has no effect at all. `None` if another process completed the
    /// folder first (a joiner that took it for abandoned): the folder and
    /// its manifest are that process's run now, and are left alone.
    fn settle(&self, run: Run, made: Made) -> Result<Option<Run>> {
        match self.record(&run, None) {
            Ok(Recorded::Mine(claim)) => Ok(Some(run.claimed(claim))),
            Ok(Recorded::Completed) => Ok(None),
            Err(err) => {
                undo(&made);
                Err(err)
            }
        }
    }

    /// The manifest (naming the launched `job` that shares the run, if
    /// one does), then the `latest` pointer; returns the creator's use
    /// claim, taken with the manifest.
    fn record(&self, run: &Run, job: Option<&str>) -> Result<Recorded> {
        let written = if self.write_manifest {
            match manifest::write_new(
                run,
                job,
                self.record_git,
                self.checked_params()?,
                &self.fields,
            )? {
                Some(written) => written,
                None => return Ok(Recorded::Completed),
            }
        } else {
            manifest::Written {
                claim: None,
                created: None,
            }
        };
        self.move_latest(run, Some(written.created))?;
        Ok(Recorded::Mine(written.claim))
    }
}

/// Removes the folders a creation has just made (and found no other use
/// for): the manifest, the run folder, and a run-first id folder made with it.
fn undo(made: &Made) {
    let _ = std::fs::remove_file(made.place.run.join(manifest::MANIFEST));
    let _ = std::fs::remove_dir(&made.place.run);
    if made.id_dir {
        let _ = std::fs::remove_dir(&made.place.id_dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::nesting::Nesting;

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
    fn create_for_records_the_job_and_lets_only_its_ranks_join() -> TestResult {
        use crate::launch::test_env::env;
        let step0 = Launcher::detect_with(env(&[("SLURM_JOB_ID", "8"), ("SLURM_STEP_ID", "0")]))
            .expect("a launcher");
        let step1 = Launcher::detect_with(env(&[("SLURM_JOB_ID", "8"), ("SLURM_STEP_ID", "1")]))
            .expect("a launcher");
        let root = tempfile::tempdir()?;
        let builder = Run::builder(root.path()).stage("s").run_id("baseline");
        let made = builder.clone().create_for(&step0)?;
        assert!(made.is_new());
        let joined = builder.clone().create_for(&step0)?;
        assert!(!joined.is_new() && joined.path() == made.path());
        if manifest::is_written(true) {
            let recorded = made.manifest()?.expect("written").job;
            assert_eq!(recorded.as_deref(), Some("slurm-8.0"));
            let other = builder.clone().create_for(&step1).unwrap_err();
            assert!(
                matches!(&other, Error::RunExists { path } if path == made.path()),
                "{other:?}"
            );
            // Made by plain create(): no job recorded, no job may join.
            let plain = Run::builder(root.path()).run_id("plain").create()?;
            let err = Run::builder(root.path()).run_id("plain").create_for(&step0);
            assert!(matches!(err, Err(Error::RunExists { .. })), "{plain:?}");
        }
        // Without manifests jobs cannot be told apart: ranks join.
        let bare = builder.write_manifest(false).run_id("bare");
        bare.clone().create_for(&step0)?;
        assert!(!bare.create_for(&step1)?.is_new());
        assert!(matches!(
            Run::builder(root.path()).create_for(&step0),
            Err(Error::MissingRunId {
                method: "create_for"
            })
        ));
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
