//! Removal: each planned run under its removal claim, every reason to keep
//! it asked again, descendants before their ancestors; moved out of sight
//! first, then its back-link, then its files.

use std::collections::HashSet;
use std::path::PathBuf;

use crate::catalog::prune::latest;
use crate::catalog::prune::measure::measure;
use crate::catalog::prune::plan::{Candidate, KeepReason, PrunePlan, Pruned};
use crate::error::Result;
use crate::io::claim;
use crate::io::fs;
use crate::io::temporary;
use crate::lifecycle::ancestry;
use crate::record::probe;
use crate::record::status::RunStatus;
use crate::run::Run;

impl PrunePlan {
    /// Removes the planned runs, and finishes the trash. A run that is
    /// running again by now (resumed since the plan) is skipped. Each run folder is
    /// first renamed to a hidden temporary name (it leaves every listing at
    /// once), then deleted without following symlinks out of it; then its
    /// back-link in its ancestor goes, and in run-first order its id folder
    /// if that is now empty. With
    /// [`Prune::include_latest`](crate::Prune::include_latest), the `latest`
    /// pointers that named removed runs are moved on last
    /// ([`Pruned::latest`]).
    ///
    /// # Errors
    ///
    /// [`Error::Io`](crate::Error::Io) naming the path of the first removal that failed; what
    /// was removed before it stays removed.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let plan = runlayout::prune::Prune::new(root.path()).plan()?;
    /// plan.execute()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn execute(&self) -> Result<Pruned> {
        let mut done = Pruned::default();
        if let Some(remover) = &self.remover {
            for trash in &self.trash {
                done.trash += usize::from(remover.finish(trash)?);
            }
            self.remove_in_order(&mut done, |candidate| remover.remove(candidate))?;
            if self.include_latest {
                done.latest = remover.move_latest_on(&self.removed_runs(&done))?;
            }
            return Ok(done);
        }
        for trash in &self.trash {
            fs::remove_any(trash)?;
            done.trash += 1;
        }
        for link in &self.stale_backlinks {
            // Still naming nothing: a run made there since keeps its link.
            let dangling = self
                .within
                .as_deref()
                .is_some_and(|within| ancestry::is_dangling(link, within));
            if dangling && std::fs::remove_file(link).is_ok() {
                done.stale_backlinks += 1;
            }
        }
        self.remove_in_order(&mut done, remove_claimed)?;
        if self.include_latest {
            done.latest = latest::move_on(&self.removed_runs(&done))?;
        }
        Ok(done)
    }

    /// The planned runs that `done` removed.
    fn removed_runs(&self, done: &Pruned) -> Vec<&Run> {
        self.remove
            .iter()
            .filter(|c| done.removed.iter().any(|p| p == c.run.path()))
            .map(|c| &c.run)
            .collect()
    }

    /// Removes each planned run with `remove`, descendants before their
    /// ancestors: a run is taken up once no planned run that points at it
    /// is still waiting, and stays if any run still points at it then
    /// (one skipped, or one linked since).
    fn remove_in_order(
        &self,
        done: &mut Pruned,
        remove: impl Fn(&Candidate) -> Result<std::result::Result<(), KeepReason>>,
    ) -> Result<()> {
        let mut waiting: Vec<(&Candidate, PathBuf)> = self
            .remove
            .iter()
            .map(|c| (c, fs::canonical_or_same(c.run.path())))
            .collect();
        loop {
            let pending: HashSet<PathBuf> = waiting.iter().map(|(_, p)| p.clone()).collect();
            let before = waiting.len();
            let mut still = Vec::new();
            for (candidate, me) in waiting {
                let children = candidate.run.descendants().unwrap_or_default();
                if children.iter().any(|c| pending.contains(c) && *c != me) {
                    still.push((candidate, me));
                    continue;
                }
                let path = candidate.run.path().to_path_buf();
                match remove(candidate)? {
                    Ok(()) => {
                        done.removed.push(path.clone());
                        done.bytes += candidate.bytes;
                        if let Some(far) = &candidate.link_to {
                            done.unlinked.push((path, far.clone()));
                        }
                    }
                    Err(reason) => done.skipped.push((path, reason)),
                }
            }
            waiting = still;
            if waiting.is_empty() || waiting.len() == before {
                break;
            }
        }
        // A cycle of links among the planned runs: none of them goes.
        for (candidate, _) in waiting {
            let child = candidate
                .run
                .descendants()
                .ok()
                .and_then(|d| d.into_iter().next());
            let reason = child.map_or(KeepReason::Gone, KeepReason::AncestorOf);
            done.skipped
                .push((candidate.run.path().to_path_buf(), reason));
        }
        Ok(())
    }
}

/// Removes a planned run under its removal claim: the claim is taken
/// first, so no process uses the run from then on, and every reason to keep
/// it is asked again under it (what the plan saw may have changed: resumed,
/// linked to, removed by another prune, a file system mounted). The claim
/// is held until the run's folder is gone.
fn remove_claimed(candidate: &Candidate) -> Result<std::result::Result<(), KeepReason>> {
    let run = &candidate.run;
    let _claim = match claim::remove_run(run.path()) {
        Ok(claim) => claim,
        Err(refusal) => return Ok(Err(refusal.into())),
    };
    if let Err(reason) = still_removable(run) {
        return Ok(Err(reason));
    }
    if candidate.link_to.is_some() {
        // A run folder that is a symlink goes as the link it is: the
        // folder it leads to (another disk, another root) and its
        // back-link stay.
        return fs::remove_file(run.path()).map(Ok);
    }
    remove_run(run).map(Ok)
}

/// Whether a planned run may still go, asked under its removal claim (of
/// a run in object storage: asked of the home, just before).
pub(super) fn still_removable(run: &Run) -> std::result::Result<(), KeepReason> {
    match run.status() {
        Ok(RunStatus::Running) => return Err(KeepReason::Running),
        Ok(_) => {}
        Err(e) => return Err(KeepReason::Unreadable(e.to_string())),
    }
    // Under the claim no link to the run is under way: every one is
    // committed (and its back-link there), or not begun.
    // Descendants that cannot be read may be there: the run stays.
    let children = run
        .descendants()
        .map_err(|e| KeepReason::Unreadable(e.to_string()))?;
    if let Some(child) = children.into_iter().next() {
        return Err(KeepReason::AncestorOf(child));
    }
    if probe::link_of(run.path()).is_some() {
        return Ok(());
    }
    measure(run.path()).map(|_| ())
}

/// Moves the run out of sight, drops its back-link in its ancestor, deletes
/// it, and tidies after it.
fn remove_run(run: &Run) -> Result<()> {
    let path = run.path();
    let backlink = ancestry::backlink(run).ok().flatten();
    let place = run.address().place(run.root());
    let Some(trash) = temporary::move_aside(path)? else {
        return Ok(());
    };
    // The run has left: its back-link goes now, before the long deletion,
    // so that a kill leaves at most this one link naming nothing (which
    // the next prune removes), never one for the whole deletion.
    if let Some(link) = backlink {
        let _ = std::fs::remove_file(link);
    }
    fs::remove_any(&trash)?;
    // An id folder of its own (run first), left with no stage, goes too.
    if place.has_own_id_folder() {
        let _ = std::fs::remove_dir(&place.id_dir);
    }
    Ok(())
}
