//! What an interrupted prune left, for the next one to finish: hidden
//! trash whose writer is gone, and back-links naming a place below the
//! root where no run is any more.

use std::path::{Path, PathBuf};

use runlayout_grammar::names::DEBUG_DIR;

use crate::catalog::scan::FoundRun;
use crate::io::fs;
use crate::io::temporary;
use crate::lifecycle::ancestry;

/// The back-links in runs of `root` that name a place below it where no
/// run is any more; see the module's documentation.
pub(super) fn stale_backlinks(within: Option<&Path>, runs: &[FoundRun]) -> Vec<PathBuf> {
    let Some(within) = within else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = runs
        .iter()
        .flat_map(|f| ancestry::dangling_backlinks(f.run.path(), within))
        .collect();
    found.sort();
    found.dedup();
    found
}

/// Trash a prune left: hidden temporaries holding a folder, whose writer is
/// gone (or, of another pid space, untouched for a day), in the folders
/// where runs live.
pub(super) fn find_trash(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut bases = vec![root.to_path_buf(), root.join(DEBUG_DIR)];
    for base in bases.clone() {
        for entry in fs::read_dir(&base).into_iter().flatten().flatten() {
            if fs::is_folder(&entry) && !temporary::is_temporary(&entry.file_name()) {
                bases.push(entry.path());
            }
        }
    }
    for dir in bases {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            let left = temporary::is_left_behind(
                &dir,
                &entry.file_name(),
                Some(temporary::FOREIGN_STALE_AFTER),
            );
            if is_dir && left {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    found
}
