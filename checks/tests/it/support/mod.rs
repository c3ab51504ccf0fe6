//! What the integration tests share: child processes (`children.rs`), runs
//! made as programs and their records leave them (`fixture.rs`), and
//! looking at the trees a test made.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

mod children;
mod fixture;
#[cfg(feature = "object-store")]
pub mod moto;
mod tests;
pub use children::*;
pub use fixture::*;

/// Every variable a launcher sets that runlayout reads, each set empty (which
/// counts as unset), so a test that runs under Slurm or torchrun itself
/// starts its children outside any launcher. Add the variables a test wants
/// after these: the last value given for a name wins.
pub const NO_LAUNCHER: &[(&str, &str)] = &[
    ("TORCHELASTIC_RUN_ID", ""),
    ("SLURM_JOB_ID", ""),
    ("SLURM_ARRAY_JOB_ID", ""),
    ("SLURM_ARRAY_TASK_ID", ""),
    ("SLURM_STEP_ID", ""),
    ("SLURM_RESTART_COUNT", ""),
    ("SLURM_PROCID", ""),
    ("SLURM_LOCALID", ""),
    ("SLURM_NTASKS", ""),
    ("RANK", ""),
    ("LOCAL_RANK", ""),
    ("WORLD_SIZE", ""),
    ("RUNLAYOUT_ROOT", ""),
    ("RUNLAYOUT_STAGE", ""),
    ("RUNLAYOUT_DEBUG", ""),
    ("RUNLAYOUT_RUN_ID", ""),
    ("RUNLAYOUT_SEED", ""),
    ("RUNLAYOUT_RESUME", ""),
];

/// [`NO_LAUNCHER`] followed by `extra`.
pub fn clean_env<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut env = NO_LAUNCHER.to_vec();
    env.extend_from_slice(extra);
    env
}

/// The hidden names left in `dir`: runlayout's temporary names
/// (`.runlayout-*.tmp`) and anything else starting with `.`.
pub fn temporaries(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
}

/// Every path below `root`, relative to it, sorted: the whole tree a test made.
pub fn tree(root: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    walk(root, root, &mut out);
    out
}

/// [`tree`] as `/`-separated strings, for comparing with a list.
pub fn tree_names(root: &Path) -> Vec<String> {
    tree(root)
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect()
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        out.insert(path.strip_prefix(root).unwrap().to_path_buf());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            walk(root, &path, out);
        }
    }
}

/// `path` with every link resolved, as runlayout names ancestors and
/// descendants.
pub fn canon(path: &Path) -> PathBuf {
    path.canonicalize().expect("canonicalize")
}

/// Today's date in the local time zone, `YYYY-MM-DD`.
pub fn today() -> String {
    jiff::ZonedDateTime::now().date().to_string()
}

/// How many folders (not files or links) `dir` holds.
pub fn folder_count(dir: &Path) -> usize {
    fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .count()
        })
        .unwrap_or(0)
}
