//! Removing runs safely: a selection, the runs it must never touch, a plan
//! to look at, and a removal that a crash can interrupt but never leave half
//! visible.
//!
//! A run is never selected when it is running, when a `latest` pointer
//! names it (unless `include_latest`), or when it is an ancestor (however
//! far up) of a run that stays.
//! Removal first renames the run folder to a hidden temporary name in the
//! same folder (one `rename`: the run leaves every listing at once), then
//! drops its back-link in its ancestor, then deletes the hidden folder
//! without following symlinks out of it. The back-link goes after the
//! rename, never before: until the run has left, every run that points at
//! an ancestor has its back-link there, which is what protects an ancestor
//! from runs no scan of this root lists. A prune killed half-way thus
//! leaves hidden trash and, killed between the rename and the unlink, one
//! back-link naming a run that is gone. The next prune (or `runlayout prune
//! --yes` with no selection) finishes both: it removes the trash once its
//! writer is gone, and every back-link in a run of this root that names a
//! place below this root where nothing is any more. (A back-link naming a
//! place below another root is left alone: that root may just not be
//! mounted.)
//!
//! Its files, in order: `select` (what the criteria pick), `protect` (what
//! stays), `plan` (what a plan holds), `execute` (removal), `latest`
//! (moving `latest` pointers on when `include_latest` let their runs go),
//! `leftovers` (what an interrupted prune left), `measure` (a run's bytes
//! and mounts), `home` (a root in object storage: planned over the root
//! laid out in a local folder, removed in the home).
//! Uses the scan, `lifecycle`, `record`, `run`, `io` and `error`.

mod execute;
#[cfg(feature = "object-store")]
mod home;
mod latest;
mod leftovers;
mod measure;
mod plan;
mod protect;
mod select;

#[cfg(all(test, feature = "object-store"))]
pub(crate) use home::before_tombstone;
pub use plan::{Candidate, KeepReason, Kept, PrunePlan, Pruned};

use std::path::PathBuf;
use std::time::Duration;

use crate::catalog::scan::{DebugRuns, Runs};
use crate::error::Result;
use crate::io::fs;
use crate::layout::family::Goal;
use crate::record::probe;
use crate::record::status::RunStatus;

/// Which runs to remove below an output root; see [`Prune::plan`]. A run
/// a `latest` pointer names stays unless
/// [`include_latest`](Prune::include_latest) says otherwise.
///
/// With no criterion (`debug_only`, `status`, `older_than`, `keep_last`)
/// nothing is selected, and a plan only finishes what an interrupted prune
/// left behind. [`stage`](Prune::stage) narrows the others.
///
/// ```
/// use std::time::Duration;
/// use runlayout::{Run, RunStatus, prune::Prune};
///
/// let root = tempfile::tempdir()?;
/// let failed = Run::builder(root.path()).stage("s").create()?;
/// failed.fail("diverged")?;
/// // A run is in use while a `Run` that created or opened it lives.
/// let failed = { let path = failed.path().to_path_buf(); drop(failed); path };
/// Run::builder(root.path()).stage("s").create()?.finish()?;
/// let plan = Prune::new(root.path()).status([RunStatus::Failed]).plan()?;
/// # #[cfg(feature = "manifest")] {
/// assert_eq!(plan.remove.len(), 1);
/// assert_eq!(plan.remove[0].run.path(), failed);
/// plan.execute()?;
/// assert!(!failed.exists());
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a Prune does nothing until plan() and execute() are called"]
pub struct Prune {
    root: PathBuf,
    stage: Option<String>,
    debug_only: bool,
    statuses: Vec<RunStatus>,
    older_than: Option<Duration>,
    keep_last: Option<usize>,
    keep_best: Option<(usize, String, Goal)>,
    include_latest: bool,
    /// Only these run folders (canonical paths): a sweep's trials.
    only: Option<std::collections::HashSet<PathBuf>>,
}

impl Prune {
    /// A prune of the runs below `root`; nothing is selected yet.
    ///
    /// ```
    /// let prune = runlayout::prune::Prune::new("runs").keep_last(5);
    /// # let _ = prune;
    /// ```
    pub fn new(root: impl Into<PathBuf>) -> Prune {
        Prune {
            root: root.into(),
            stage: None,
            debug_only: false,
            statuses: Vec::new(),
            older_than: None,
            keep_last: None,
            keep_best: None,
            include_latest: false,
            only: None,
        }
    }

    /// Selects the runs in these folders, and no others: what a sweep's
    /// prune removes (its trials). The other criteria narrow it further.
    // Only sweeps, which need the `manifest` feature, call it.
    #[cfg_attr(not(feature = "manifest"), allow(dead_code))]
    pub(crate) fn only(mut self, folders: impl IntoIterator<Item = PathBuf>) -> Prune {
        let folders = folders.into_iter().map(|f| fs::canonical_or_same(&f));
        self.only = Some(folders.collect());
        self
    }

    /// Only runs of this stage.
    ///
    /// ```
    /// let prune = runlayout::prune::Prune::new("runs").stage("sweep").debug_only(true);
    /// # let _ = prune;
    /// ```
    pub fn stage(mut self, stage: impl Into<String>) -> Prune {
        self.stage = Some(stage.into());
        self
    }

    /// Selects the runs below `debug/` (and only those).
    ///
    /// ```
    /// let prune = runlayout::prune::Prune::new("runs").debug_only(true);
    /// # let _ = prune;
    /// ```
    pub fn debug_only(mut self, debug: bool) -> Prune {
        self.debug_only = debug;
        self
    }

    /// Selects runs of these statuses.
    ///
    /// ```
    /// use runlayout::{RunStatus, prune::Prune};
    /// let prune = Prune::new("runs").status([RunStatus::Failed, RunStatus::Crashed]);
    /// # let _ = prune;
    /// ```
    pub fn status(mut self, statuses: impl IntoIterator<Item = RunStatus>) -> Prune {
        self.statuses = statuses.into_iter().collect();
        self
    }

    /// Selects runs created longer than `age` ago.
    ///
    /// ```
    /// let week = std::time::Duration::from_secs(7 * 86_400);
    /// let prune = runlayout::prune::Prune::new("runs").older_than(week);
    /// # let _ = prune;
    /// ```
    pub fn older_than(mut self, age: Duration) -> Prune {
        self.older_than = Some(age);
        self
    }

    /// Selects all but the `n` newest runs of each stage, newest by the
    /// creation time recorded in each run's manifest (`created` in
    /// `run.json`; the folder's modification time for a run without one),
    /// not by run id nor by name: runs of an array job are created in any
    /// order, and their ids say nothing of it.
    ///
    /// ```
    /// let prune = runlayout::prune::Prune::new("runs").keep_last(3);
    /// # let _ = prune;
    /// ```
    pub fn keep_last(mut self, n: usize) -> Prune {
        self.keep_last = Some(n);
        self
    }

    /// Selects all but the `n` best runs of each stage by a value of their
    /// summary ([`Run::summary`](crate::Run::summary)): `key` names it, a
    /// dotted path into the summary (`val_loss`, `eval.acc`), and `goal`
    /// says whether smaller or greater is better. A run whose summary has
    /// no number there is neither best nor selected by this rule; a plan
    /// lists it in [`PrunePlan::kept`] with [`KeepReason::NoValue`]. Ties
    /// go to the newer run (by recorded creation time). With
    /// [`keep_last`](Prune::keep_last) too, a run stays if either keeps it.
    ///
    /// ```
    /// use runlayout::{Goal, Run, prune::Prune};
    ///
    /// let root = tempfile::tempdir()?;
    /// let mut paths = Vec::new();
    /// for loss in [0.3, 0.1, 0.2] {
    ///     let run = Run::builder(root.path()).stage("sweep").create()?;
    ///     # #[cfg(feature = "manifest")]
    ///     run.summary().set("val_loss", loss)?;
    ///     run.finish()?;
    ///     paths.push(run.path().to_path_buf());
    /// }
    /// let plan = Prune::new(root.path())
    ///     .keep_best(1, "val_loss", Goal::Minimize)
    ///     .include_latest(true)
    ///     .plan()?;
    /// # #[cfg(feature = "manifest")] {
    /// let mut removed: Vec<_> = plan.remove.iter().map(|c| c.run.path().to_path_buf()).collect();
    /// removed.sort();
    /// let mut expected = vec![paths[0].clone(), paths[2].clone()];
    /// expected.sort();
    /// assert_eq!(removed, expected); // 0.1 stays
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keep_best(mut self, n: usize, key: impl Into<String>, goal: Goal) -> Prune {
        self.keep_best = Some((n, key.into(), goal));
        self
    }

    /// With `true`, a `latest` pointer no longer protects the run it names:
    /// the selection may take it (`debug_only(true)` then empties
    /// `debug/`). When that run goes, [`PrunePlan::execute`] moves the
    /// pointer to the newest run of its stage that is left (by recorded
    /// creation time, as [`keep_last`](Prune::keep_last) orders them), or
    /// removes it when none is left, and says so in
    /// [`Pruned::latest`]. Off by default.
    ///
    /// ```
    /// use runlayout::{Run, prune::Prune};
    ///
    /// let root = tempfile::tempdir()?;
    /// let run = Run::builder(root.path()).debug(true).create()?;
    /// run.finish()?;
    /// let path = { let path = run.path().to_path_buf(); drop(run); path };
    /// let done = Prune::new(root.path()).debug_only(true).include_latest(true).plan()?.execute()?;
    /// # #[cfg(feature = "manifest")] {
    /// assert_eq!(done.removed, [path]);
    /// assert!(!root.path().join("debug/latest").exists()); // no run left to name
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn include_latest(mut self, include: bool) -> Prune {
        self.include_latest = include;
        self
    }

    fn has_criterion(&self) -> bool {
        self.debug_only
            || !self.statuses.is_empty()
            || self.older_than.is_some()
            || self.keep_last.is_some()
            || self.keep_best.is_some()
            || self.only.is_some()
    }

    /// Reads the tree and plans: what the selection picks, minus what must
    /// stay. Nothing is changed.
    ///
    /// # Errors
    ///
    /// Those of [`Runs::list`].
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let plan = runlayout::prune::Prune::new(root.path()).keep_last(10).plan()?;
    /// assert!(plan.remove.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn plan(&self) -> Result<PrunePlan> {
        #[cfg(feature = "object-store")]
        if let Some(plan) = self.plan_in_home()? {
            return Ok(plan);
        }
        crate::io::url_root::refuse_url(&self.root, "pruning")?;
        // Before the scan, which would sweep it on its way.
        let trash = leftovers::find_trash(&self.root);
        // Protection looks at every run, whatever the selection.
        let everything = Runs::scan(&self.root).debug(DebugRuns::Include).list()?;
        let within = fs::canonicalize(&self.root).ok();
        let mut plan = PrunePlan {
            problems: everything.problems,
            trash,
            stale_backlinks: leftovers::stale_backlinks(within.as_deref(), &everything.runs),
            within,
            ..PrunePlan::default()
        };
        if !self.has_criterion() {
            return Ok(plan);
        }
        let (selected, no_value) = self.select(&everything.runs);
        let latest = !self.include_latest;
        let (protected, mut sizes) =
            protect::protect(&self.root, &everything.runs, &selected, latest);
        plan.include_latest = self.include_latest;
        for found in everything.runs {
            let key = fs::canonical_or_same(found.run.path());
            if no_value.contains(&key) {
                let (_, key, _) = self
                    .keep_best
                    .as_ref()
                    .expect("only keep_best leaves runs out");
                let reason = KeepReason::NoValue(format!("summary.{key}"));
                plan.kept.push(Kept {
                    run: found.run,
                    reason,
                });
                continue;
            }
            if !selected.contains(&key) {
                continue;
            }
            match (protected.get(&key), sizes.remove(&key)) {
                (None, Some(bytes)) => {
                    let status = found.status().unwrap_or(RunStatus::Crashed);
                    let link_to = probe::link_of(found.run.path());
                    plan.remove.push(Candidate {
                        bytes,
                        run: found.run,
                        status,
                        link_to,
                    });
                }
                (reason, _) => plan.kept.push(Kept {
                    run: found.run,
                    reason: reason.cloned().unwrap_or(KeepReason::Gone),
                }),
            }
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::temporary;
    use crate::run::Run;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    #[cfg(target_os = "linux")]
    #[test]
    fn trash_of_a_dead_prune_is_planned_and_finished() -> TestResult {
        let root = tempfile::tempdir()?;
        let run = Run::builder(root.path()).stage("s").create()?;
        // What a prune killed after its rename leaves: the run's folder
        // under a temporary name of a process that is gone.
        let tag = &crate::io::process::current().host_tag;
        let trash = root
            .path()
            .join(format!("s/.runlayout-{}-1-{tag}-abcdefgh.tmp", u32::MAX));
        std::fs::create_dir_all(trash.join("checkpoints"))?;
        std::fs::write(trash.join("checkpoints/e1.ckpt"), "w")?;
        let plan = Prune::new(root.path()).plan()?;
        assert_eq!(plan.trash, std::slice::from_ref(&trash));
        assert!(plan.remove.is_empty(), "no criterion selects no run");
        let done = plan.execute()?;
        assert_eq!(done.trash, 1);
        assert!(!trash.exists() && run.path().exists());
        Ok(())
    }

    #[test]
    fn back_links_to_runs_gone_from_this_root_are_finished_and_no_others() -> TestResult {
        let tmp = tempfile::tempdir()?;
        let root = tmp.path().join("runs");
        let other = tmp.path().join("other");
        let ancestor = Run::builder(&root).stage("a").create()?;
        let here = Run::builder(&root).stage("b").create()?;
        let there = Run::builder(&other).stage("b").create()?;
        let stays = Run::builder(&root).stage("b").create()?;
        for run in [&here, &there, &stays] {
            run.link(&ancestor)?;
        }
        // Gone without a prune's care, as a prune killed after its rename
        // leaves it; and a run of another root that may just be unmounted.
        std::fs::remove_dir_all(here.path())?;
        std::fs::remove_dir_all(there.path())?;
        if !crate::record::manifest::is_written(true) {
            // Without manifests a scan finds no runs, so no back-links.
            assert!(Prune::new(&root).plan()?.stale_backlinks.is_empty());
            return Ok(());
        }
        let plan = Prune::new(&root).plan()?;
        assert_eq!(plan.stale_backlinks.len(), 1, "{:?}", plan.stale_backlinks);
        let done = plan.execute()?;
        assert_eq!(done.stale_backlinks, 1);
        let left = std::fs::read_dir(ancestor.path().join("descendants"))?.count();
        assert_eq!(left, 2, "the other root's and the living run's stay");
        assert_eq!(
            ancestor.descendants()?,
            [std::fs::canonicalize(stays.path())?]
        );
        assert!(Prune::new(&root).plan()?.stale_backlinks.is_empty());
        Ok(())
    }

    #[test]
    fn back_links_into_an_empty_or_missing_stage_folder_are_kept() -> TestResult {
        // A stage on a disk not mounted right now: its folder is an empty
        // mount point, or not there at all. Its runs come back.
        let tmp = tempfile::tempdir()?;
        let root = tmp.path().join("runs");
        let ancestor = Run::builder(&root).stage("a").create()?;
        let on_disk = Run::builder(&root)
            .stage("b")
            .latest_pointer(false)
            .create()?;
        let elsewhere = Run::builder(&root)
            .stage("c")
            .latest_pointer(false)
            .create()?;
        on_disk.link(&ancestor)?;
        elsewhere.link(&ancestor)?;
        std::fs::remove_dir_all(on_disk.path())?; // stage b: an empty folder
        std::fs::remove_dir_all(root.join("c"))?; // stage c: no folder
        let plan = Prune::new(&root).plan()?;
        assert!(
            plan.stale_backlinks.is_empty(),
            "{:?}",
            plan.stale_backlinks
        );
        plan.execute()?;
        assert_eq!(
            std::fs::read_dir(ancestor.path().join("descendants"))?.count(),
            2
        );
        Ok(())
    }

    /// Runs of stage `s` with ids `c`, `a`, `b`, created in that order, so
    /// that neither their ids nor their names order them; `b` failed, the
    /// others finished, and none in use.
    fn three_runs(root: &std::path::Path) -> crate::error::Result<()> {
        for id in ["c", "a", "b"] {
            let run = Run::builder(root).stage("s").run_id(id).create()?;
            if id == "b" {
                run.fail("diverged")?;
            } else {
                run.finish()?;
            }
            // Recorded creation times a clock tick apart, at the least.
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        Ok(())
    }

    fn latest_names(root: &std::path::Path) -> Option<String> {
        let target = crate::io::pointer::read(&root.join("s/latest")).ok()??;
        Some(target.file_name()?.to_str()?.to_owned())
    }

    fn ids(paths: &[std::path::PathBuf]) -> Vec<String> {
        let mut ids: Vec<String> = paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn keep_last_orders_by_recorded_creation_not_by_id() -> TestResult {
        let root = tempfile::tempdir()?;
        three_runs(root.path())?;
        if !crate::record::manifest::is_written(true) {
            return Ok(());
        }
        let plan = Prune::new(root.path()).keep_last(2).plan()?;
        let planned: Vec<_> = plan
            .remove
            .iter()
            .map(|c| c.run.path().to_path_buf())
            .collect();
        assert_eq!(
            ids(&planned),
            ["c"],
            "c was created first, though its id is the greatest"
        );
        let plan = Prune::new(root.path()).keep_last(1).plan()?;
        let planned: Vec<_> = plan
            .remove
            .iter()
            .map(|c| c.run.path().to_path_buf())
            .collect();
        assert_eq!(ids(&planned), ["a", "c"]);
        Ok(())
    }

    #[test]
    fn include_latest_takes_the_latest_run_and_moves_its_pointer_on() -> TestResult {
        let root = tempfile::tempdir()?;
        three_runs(root.path())?;
        if !crate::record::manifest::is_written(true) {
            return Ok(());
        }
        assert_eq!(latest_names(root.path()).as_deref(), Some("b"));
        // Without it, the pointer protects `b`.
        let failed = Prune::new(root.path()).status([RunStatus::Failed]);
        let plan = failed.plan()?;
        assert!(plan.remove.is_empty());
        assert!(matches!(plan.kept[0].reason, KeepReason::Latest(_)));
        // With it, `b` goes and the pointer names the newest run left by
        // creation time: `a`, not `c`, the greatest id.
        let done = failed.include_latest(true).plan()?.execute()?;
        assert_eq!(ids(&done.removed), ["b"]);
        assert_eq!(latest_names(root.path()).as_deref(), Some("a"));
        assert_eq!(done.latest.len(), 1);
        assert_eq!(done.latest[0].0, root.path().join("s/latest"));
        assert!(
            done.latest[0]
                .1
                .as_ref()
                .is_some_and(|p| p.ends_with("s/a"))
        );
        // A prune that leaves the pointer's run alone leaves the pointer.
        let done = Prune::new(root.path())
            .keep_last(1)
            .include_latest(true)
            .plan()?
            .execute()?;
        assert_eq!(ids(&done.removed), ["c"]);
        assert!(done.latest.is_empty());
        assert_eq!(latest_names(root.path()).as_deref(), Some("a"));
        // The last run goes: so does the pointer.
        let done = Prune::new(root.path())
            .keep_last(0)
            .include_latest(true)
            .plan()?
            .execute()?;
        assert_eq!(ids(&done.removed), ["a"]);
        assert_eq!(done.latest, [(root.path().join("s/latest"), None)]);
        assert!(std::fs::symlink_metadata(root.path().join("s/latest")).is_err());
        Ok(())
    }

    #[test]
    fn a_live_prunes_work_is_left_alone() -> TestResult {
        let root = tempfile::tempdir()?;
        Run::builder(root.path()).stage("s").create()?;
        let mine = temporary::builder().tempdir_in(root.path().join("s"))?;
        let plan = Prune::new(root.path()).plan()?;
        assert!(plan.trash.is_empty());
        assert!(mine.path().exists());
        Ok(())
    }
}
