//! Moving `latest` pointers on after a prune that may take the runs they
//! name (`include_latest`): to the newest run of the stage left, or away
//! when none is left, so that a pointer never names a run that is gone.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::catalog::scan::{DebugRuns, FoundRun, Runs};
use crate::error::Result;
use crate::io::fs;
use crate::io::pointer::{self, LinkStyle};
use crate::lifecycle::latest;
use crate::run::Run;

/// Each `latest` pointer of the stages of `removed` that names a run
/// folder no longer there, moved to the newest run of its stage left (by
/// recorded creation time) or removed: the pointer and the run it names
/// now. A pointer that names a run still there, made meanwhile, is left.
pub(super) fn move_on(removed: &[&Run]) -> Result<Vec<(PathBuf, Option<PathBuf>)>> {
    let mut moved = Vec::new();
    let mut scans: HashMap<PathBuf, Vec<FoundRun>> = HashMap::new();
    let mut done = Vec::new();
    for run in removed {
        let at = run.address().group().pointer(run.root());
        if done.contains(&at) {
            continue;
        }
        done.push(at.clone());
        let Some(target) = pointer::read(&at)? else {
            continue;
        };
        let beside = at.parent().unwrap_or(Path::new(""));
        if fs::symlink_metadata_if_there(&beside.join(&target))?.is_some() {
            continue;
        }
        if !scans.contains_key(run.root()) {
            let left = Runs::scan(run.root()).debug(DebugRuns::Include).list()?;
            scans.insert(run.root().to_path_buf(), left.runs);
        }
        let group = run.address().group();
        let newest = scans[run.root()]
            .iter()
            .filter(|found| found.run.address().group() == group)
            .max_by(|a, b| (a.created, a.run.path()).cmp(&(b.created, b.run.path())));
        match newest {
            Some(found) => {
                // As a creator moves it: never back past a run recorded
                // later, made while this prune ran.
                latest::update(
                    &found.run,
                    style_of(&at),
                    latest::Mine::Unknown,
                    latest::recorded_at,
                )?;
                moved.push((at, Some(found.run.path().to_path_buf())));
            }
            None => {
                // Unless a run made meanwhile moved it.
                if pointer::read(&at)?.as_ref() == Some(&target) {
                    fs::remove_file(&at)?;
                }
                moved.push((at, None));
            }
        }
    }
    Ok(moved)
}

/// The form the pointer at `at` has: a pointer file stays one.
fn style_of(at: &Path) -> LinkStyle {
    match std::fs::symlink_metadata(at) {
        Ok(meta) if meta.is_file() => LinkStyle::PointerFile,
        _ => LinkStyle::Auto,
    }
}
