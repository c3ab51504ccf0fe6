//! Protection: the runs a prune never takes (running, unreadable, named by
//! a `latest` pointer, in use, with a file system mounted inside, or an
//! ancestor of a run that stays), and what each selected run holds.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::catalog::prune::measure::measure;
use crate::catalog::prune::plan::KeepReason;
use crate::catalog::scan::FoundRun;
use crate::io::claim;
use crate::io::fs;
use crate::lifecycle::latest;
use crate::record::probe;
use crate::record::status::RunStatus;
use crate::run::Run;
use crate::run::address::Group;

/// Why each run that must stay stays, and what each selected run that may
/// go holds. Every reason to keep a run is known before any ancestor line
/// is followed: running, unreadable, named by a `latest` pointer (when
/// `latest_protects`), pointed
/// at by a run that stays, and what the survey of a selected run finds (a
/// file system mounted inside it, the run gone). Then every run that stays
/// keeps its whole line of ancestors, so the dry run keeps exactly what
/// `execute` will keep.
pub(super) fn protect(
    root: &Path,
    runs: &[FoundRun],
    selected: &HashSet<PathBuf>,
    latest_protects: bool,
) -> (HashMap<PathBuf, KeepReason>, HashMap<PathBuf, u64>) {
    let mut reasons = HashMap::new();
    let mut ancestors = HashMap::new();
    for found in runs {
        let me = fs::canonical_or_same(found.run.path());
        match found.status() {
            Ok(RunStatus::Running) => {
                reasons.insert(me.clone(), KeepReason::Running);
            }
            Ok(_) => {}
            Err(e) => {
                reasons.insert(me.clone(), KeepReason::Unreadable(e.to_string()));
            }
        }
        if let Ok(Some(ancestor)) = found.run.ancestor() {
            ancestors.insert(me.clone(), ancestor);
        }
        // A run that another run points at stays, whoever that run is: one
        // under another root, or one without a manifest, which no scan of
        // this root lists. Its back-links tell, verified.
        if selected.contains(&me)
            && let Some(child) = lasting_descendant(&found.run, selected)
        {
            reasons.entry(me).or_insert(KeepReason::AncestorOf(child));
        }
    }
    // Unless a prune takes them too (`include_latest`): then their
    // pointers move on after the removal.
    let pointed = if latest_protects {
        latest_runs(root, runs)
    } else {
        Vec::new()
    };
    for (pointer, run) in pointed {
        reasons
            .entry(fs::canonical_or_same(&run))
            .or_insert(KeepReason::Latest(pointer));
    }
    // What the selected runs hold, and which cannot go: in use by another
    // process, a mount inside, or gone meanwhile.
    let mut sizes = HashMap::new();
    for found in runs {
        let me = fs::canonical_or_same(found.run.path());
        if !selected.contains(&me) || reasons.contains_key(&me) {
            continue;
        }
        if let Err(refusal) = claim::removable(found.run.path()) {
            reasons.insert(me, refusal.into());
            continue;
        }
        // A run folder that is a symlink goes as a link: it frees nothing.
        if probe::link_of(found.run.path()).is_some() {
            sizes.insert(me, 0);
            continue;
        }
        match measure(found.run.path()) {
            Ok(bytes) => {
                sizes.insert(me, bytes);
            }
            Err(reason) => {
                reasons.insert(me, reason);
            }
        }
    }
    // Every run that stays keeps its whole line of ancestors.
    let staying: Vec<PathBuf> = runs
        .iter()
        .map(|f| fs::canonical_or_same(f.run.path()))
        .filter(|p| !selected.contains(p) || reasons.contains_key(p))
        .collect();
    for start in staying {
        let mut child = start;
        let mut seen = HashSet::new();
        while let Some(parent) = ancestors.get(&child).cloned() {
            if !seen.insert(parent.clone()) {
                break; // a cycle of links
            }
            reasons
                .entry(parent.clone())
                .or_insert_with(|| KeepReason::AncestorOf(child.clone()));
            child = parent;
        }
    }
    sizes.retain(|path, _| !reasons.contains_key(path));
    (reasons, sizes)
}

/// A run that points at `run` and is not itself selected, if there is one.
fn lasting_descendant(run: &Run, selected: &HashSet<PathBuf>) -> Option<PathBuf> {
    let descendants = run.descendants().ok()?;
    descendants.into_iter().find(|d| !selected.contains(d))
}

/// The run each `latest` pointer of the tree names, with the pointer.
fn latest_runs(root: &Path, runs: &[FoundRun]) -> Vec<(PathBuf, PathBuf)> {
    let mut groups = HashSet::new();
    for found in runs {
        let r = &found.run;
        groups.insert((r.is_debug(), r.nesting(), r.stage().map(str::to_owned)));
    }
    groups
        .into_iter()
        .filter_map(|(debug, nesting, stage)| {
            let stage = stage.as_deref();
            let group = Group {
                debug,
                nesting,
                stage,
            };
            let (pointer, address) = latest::read(root, group).ok()?;
            Some((pointer, address?.folder(root)))
        })
        .collect()
}
