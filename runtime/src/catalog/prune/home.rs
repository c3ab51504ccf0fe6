//! Pruning a root in object storage. The plan is made as on disk, by the
//! same selection and protection, over the root laid out in a local
//! folder (`catalog/mirror.rs`: every run's manifest, status, summary and
//! `ancestor`, each stage's `latest`); each run to remove is then laid out
//! whole, for its size. Removal asks again, of the home, whether the run
//! may go (its manifest still the one planned on, its status, its
//! back-links), lists its objects, and replaces its manifest by a
//! tombstone (from then on no node makes, opens, joins or links to that
//! id). It then reads the status and the back-links once more: a run
//! resumed or linked to meanwhile gets its manifest back and stays.
//! Last, its back-link in its ancestor goes, then every object listed,
//! then the tombstone.
//!
//! A home has no claims: a node that resumes a run in the instant between
//! the last look and the tombstone writes into a run that is gone (its
//! next open fails); objects written after the listing stay behind, and
//! a run made again under that id inherits them. A prune killed during a
//! removal leaves the tombstone, which the next prune finishes. With
//! `include_latest`, each stage's `latest` object that names a removed run
//! is moved to the newest run of the stage left, or removed, only if no
//! creator moved it meanwhile.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::catalog::mirror::Mirror;
use crate::catalog::prune::Prune;
use crate::catalog::prune::execute::still_removable;
use crate::catalog::prune::measure::measure;
use crate::catalog::prune::plan::{Candidate, KeepReason, Kept, PrunePlan, Remover};
use crate::error::{Error, Operation, Result};
use crate::io::fs::At as _;
use crate::lifecycle::ancestry::ANCESTOR;
use crate::record::json;
use crate::record::manifest::MANIFEST;
use crate::record::status::STATUS;
use crate::record::summary::SUMMARY;
use crate::run::Run;

/// The home a plan was made of, laid out in the folder the plan's runs
/// are in (removed with the plan).
struct InHome {
    mirror: Mirror,
    /// Declared after the mirror: dropped (and removed) after it.
    _dir: tempfile::TempDir,
}

impl std::fmt::Debug for InHome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InHome")
            .field("url", &self.mirror.url())
            .field("dir", &self.mirror.dir())
            .finish()
    }
}

impl Prune {
    /// The plan of this prune if its root is a URL; `None` for a folder.
    pub(super) fn plan_in_home(&self) -> Result<Option<PrunePlan>> {
        if crate::io::url_root::url_of_root(&self.root).is_none() {
            return Ok(None);
        }
        let dir = Mirror::scratch().at(Operation::CreateDir, &std::env::temp_dir())?;
        let Some(mirror) = Mirror::of(&self.root, dir.path())? else {
            return Ok(None);
        };
        let problems = mirror.runs(&[STATUS, SUMMARY, ANCESTOR])?;
        // A prune of chosen runs (a sweep's trials) names them by URL.
        let only = self.only.as_ref().map(|only| {
            only.iter()
                .map(|run| mirror.local_of(&self.root, run))
                .collect()
        });
        let local = Prune {
            root: mirror.dir().to_path_buf(),
            only,
            ..self.clone()
        };
        let mut plan = local.plan()?;
        plan.problems.extend(problems);
        let mut removable = Vec::with_capacity(plan.remove.len());
        for mut candidate in std::mem::take(&mut plan.remove) {
            // Laid out whole now: the size of what it holds in the home. A run
            // not all of which could be laid out (or listed: a key no path
            // can be made of ends a listing) stays, and says why.
            let problems = match mirror.fill(&candidate.run) {
                Ok(filled) => filled.problems,
                Err(e) => vec![e],
            };
            candidate.run = mirror.attach(candidate.run.clone());
            if !problems.is_empty() {
                plan.kept.push(Kept {
                    run: candidate.run,
                    reason: KeepReason::Unreadable(said(&problems)),
                });
                continue;
            }
            candidate.bytes = measure(candidate.run.path()).unwrap_or(candidate.bytes);
            removable.push(candidate);
        }
        plan.remove = removable;
        for kept in &mut plan.kept {
            kept.run = mirror.attach(kept.run.clone());
        }
        // What a prune that is gone left: finished by this one.
        plan.trash = mirror
            .left_removals()
            .iter()
            .map(|key| PathBuf::from(mirror.url_of_key(key)))
            .collect();
        plan.remover = Some(Arc::new(InHome { mirror, _dir: dir }));
        Ok(Some(plan))
    }
}

impl Remover for InHome {
    /// Removes a planned run from the home, if it may still go: asked
    /// again of the home, just before.
    fn remove(&self, candidate: &Candidate) -> Result<std::result::Result<(), KeepReason>> {
        let run = &candidate.run;
        // The run planned on: its manifest as laid out then. One made
        // anew since under that id (removed by hand and made again) is
        // another run, which the plan never selected.
        let planned = json::read_as(&run.path().join(MANIFEST), |bytes| Ok(bytes.to_vec()))?;
        let now = self.mirror.manifest_of(run)?;
        let Some(manifest) = planned.filter(|planned| now.as_ref() == Some(planned)) else {
            return Ok(Err(KeepReason::Gone));
        };
        // Its records and back-links as the home holds them now; a run
        // not all of which could be seen stays.
        let problems = match self.mirror.fill(run) {
            Ok(filled) => filled.problems,
            Err(e) => vec![e],
        };
        if !problems.is_empty() {
            return Ok(Err(KeepReason::Unreadable(said(&problems))));
        }
        if let Err(reason) = still_removable(run) {
            return Ok(Err(reason));
        }
        #[cfg(test)]
        hooks::before_tombstone(&self.mirror.url());
        // Its manifest changed or went since it was read; or it cannot be
        // listed whole now, and has its manifest back.
        let removal = match self.mirror.begin_removal(run, &manifest) {
            Ok(Some(removal)) => removal,
            Ok(None) => return Ok(Err(KeepReason::Gone)),
            Err(e @ Error::Store { op: "list", .. }) => {
                return Ok(Err(KeepReason::Unreadable(e.to_string())));
            }
            Err(e) => return Err(e),
        };
        // Resumed, or linked to, between the look above and the tombstone:
        // it stays. (A link checks for the tombstone after its back-link
        // is stored, so one it did not see has its back-link seen here.)
        let reason = match self.mirror.refresh_backlinks(run) {
            Ok(()) => still_removable(run).err(),
            Err(e) => Some(KeepReason::Unreadable(e.to_string())),
        };
        if let Some(reason) = reason {
            self.mirror.undo_removal(run, &manifest)?;
            return Ok(Err(reason));
        }
        self.mirror.end_removal(run, removal)?;
        Ok(Ok(()))
    }

    fn move_latest_on(&self, removed: &[&Run]) -> Result<Vec<(PathBuf, Option<PathBuf>)>> {
        self.mirror.move_latest_on(removed)
    }

    fn finish(&self, trash: &Path) -> Result<bool> {
        let key = trash.to_string_lossy();
        let key = key
            .strip_prefix(&format!("{}/", self.mirror.url().trim_end_matches('/')))
            .unwrap_or(&key);
        self.mirror.finish_left_removal(key)
    }
}

/// Problems, as one reason.
fn said(problems: &[Error]) -> String {
    let said: Vec<String> = problems.iter().map(ToString::to_string).collect();
    said.join("; ")
}

#[cfg(test)]
pub(crate) use hooks::set as before_tombstone;

/// What tests run at a chosen point of a removal, per root.
#[cfg(test)]
mod hooks {
    use std::sync::Mutex;

    type Hook = Box<dyn FnOnce() + Send>;

    static BEFORE_TOMBSTONE: Mutex<Vec<(String, Hook)>> = Mutex::new(Vec::new());

    /// Runs `hook` once, when a prune of `root` is about to put a tombstone.
    pub(crate) fn set(root: &str, hook: impl FnOnce() + Send + 'static) {
        let mut hooks = BEFORE_TOMBSTONE.lock().unwrap_or_else(|e| e.into_inner());
        hooks.push((root.trim_end_matches('/').to_owned(), Box::new(hook)));
    }

    pub(super) fn before_tombstone(root: &str) {
        let root = root.trim_end_matches('/');
        let hook = {
            let mut hooks = BEFORE_TOMBSTONE.lock().unwrap_or_else(|e| e.into_inner());
            let at = hooks.iter().position(|(r, _)| r == root);
            at.map(|at| hooks.remove(at).1)
        };
        if let Some(hook) = hook {
            hook();
        }
    }
}
