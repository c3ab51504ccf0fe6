//! The one check that a new run is not made inside another run, and what
//! this process remembers of it.
//!
//! A run never holds another, or the outer run's paths (`{split}/log.txt`
//! with the value `latest`) would lead into the inner run's files. The
//! check costs one failing `stat` per folder between the new run and the
//! root, which on a busy kernel is a tenth of a `create()`: so a chain of
//! folders found free of runs is remembered for the rest of the process,
//! and the next run made there asks nothing. That loses no case the check
//! exists for: a root or stage given by mistake (a run's folder, or a
//! folder inside one) is refused on the first call and never remembered,
//! and runlayout itself writes a manifest only into a folder its creator
//! has just made exclusively, so a folder seen free of runs becomes one
//! only by hand. (The check never saw a run appear while it looked either.)

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::error::{Error, Result};
use crate::record::probe;

/// How many chains the process remembers. A process making runs in
/// run-first order checks each run's own id folder, so the memory would
/// grow with every run: once full it starts over.
const REMEMBERED: usize = 16;

/// Chains `(root, folder)` found free of runs, of absolute paths only (a
/// relative one leads elsewhere once the process changes directory). A
/// list compared as bytes: it holds a few chains, and is asked at every
/// creation, where hashing paths component by component costs more.
static FREE: Mutex<Vec<(PathBuf, PathBuf)>> = Mutex::new(Vec::new());

/// [`Error::InsideRun`] (about a run to be made at `path`) if `folder` or
/// a folder above it, up to `root` included, is a run (holds a manifest; a
/// foreign `run.json` does not count). Folders outside the root are not the
/// caller's to judge.
pub(crate) fn refuse(root: &Path, folder: &Path, path: &Path) -> Result<()> {
    let absolute = root.is_absolute() && folder.is_absolute();
    if absolute && remembered(root, folder) || !folder.starts_with(root) {
        return Ok(());
    }
    // Every folder from `folder` up is below the root or the root itself
    // until one is no longer than the root's path.
    let root_len = root.as_os_str().len();
    let mut outer = Some(folder);
    while let Some(folder) = outer {
        if probe::is_recorded_run(folder) {
            return Err(Error::InsideRun {
                path: path.to_path_buf(),
                run: folder.to_path_buf(),
            });
        }
        outer = folder
            .parent()
            .filter(|_| folder.as_os_str().len() > root_len);
    }
    if absolute {
        remember(root, folder);
    }
    Ok(())
}

fn remembered(root: &Path, folder: &Path) -> bool {
    let same = |a: &Path, b: &Path| a.as_os_str() == b.as_os_str();
    let free = FREE.lock().unwrap_or_else(PoisonError::into_inner);
    free.iter().any(|(r, f)| same(f, folder) && same(r, root))
}

fn remember(root: &Path, folder: &Path) {
    let mut free = FREE.lock().unwrap_or_else(PoisonError::into_inner);
    if free.len() >= REMEMBERED {
        free.clear();
    }
    free.push((root.to_path_buf(), folder.to_path_buf()));
}

#[cfg(test)]
mod tests {
    use super::*;

    // A run is told by its manifest, which needs the feature.
    #[cfg(feature = "manifest")]
    #[test]
    fn a_folder_that_is_a_run_is_refused_every_time_and_a_free_one_remembered() {
        let root = tempfile::tempdir().unwrap();
        let stage = root.path().join("s");
        std::fs::create_dir(&stage).unwrap();
        assert!(!remembered(root.path(), &stage));
        refuse(root.path(), &stage, &stage.join("a")).unwrap();
        assert!(
            remembered(root.path(), &stage),
            "a chain found free is remembered"
        );

        let run = crate::Run::builder(root.path())
            .run_id("r")
            .create()
            .unwrap();
        let inner = run.path().join("s");
        for _ in 0..2 {
            let err = refuse(root.path(), &inner, &inner.join("a")).unwrap_err();
            assert!(
                matches!(&err, Error::InsideRun { run: outer, .. } if outer == run.path()),
                "{err:?}"
            );
        }
        assert!(!remembered(root.path(), &inner));
    }

    #[test]
    fn a_relative_chain_is_never_remembered() {
        let (root, folder) = (Path::new("runs"), Path::new("runs/s"));
        refuse(root, folder, &folder.join("a")).unwrap();
        assert!(!remembered(root, folder));
    }
}
