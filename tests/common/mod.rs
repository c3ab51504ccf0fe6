//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The environment variable that turns a test into a child process's body.
pub const CHILD: &str = "RUNLAYOUT_TEST_CHILD";

/// Whether this process was started by [`spawn_child`] for `role`.
pub fn is_child(role: &str) -> bool {
    std::env::var(CHILD).is_ok_and(|r| r == role)
}

/// Starts this very test binary again, running only `test` (which acts as the
/// child when [`is_child`] says so), with `envs` set. Returns the process.
/// Values need not be UTF-8 (`OsStr`), as launchers' values need not be.
pub fn spawn_child<V: AsRef<OsStr>>(
    test: &str,
    role: &str,
    envs: &[(&str, V)],
) -> std::process::Child {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary path"));
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, role)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn the test binary")
}

/// Waits for a child and returns what follows `prefix` on each line
/// that holds it; panics with its output if it failed.
pub fn child_lines(child: std::process::Child, prefix: &str) -> Vec<String> {
    let out = child.wait_with_output().expect("wait for child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        // The harness may print "test name ... " on the same line first.
        .filter_map(|l| l.find(prefix).map(|at| l[at + prefix.len()..].to_owned()))
        .collect()
}

/// Starts `count` copies of `test` as [`spawn_child`] does, all at once so
/// that they race, and returns what follows `prefix` in their output.
pub fn run_children<V: AsRef<OsStr>>(
    test: &str,
    role: &str,
    count: usize,
    envs: &[(&str, V)],
    prefix: &str,
) -> Vec<String> {
    let children: Vec<_> = (0..count).map(|_| spawn_child(test, role, envs)).collect();
    children
        .into_iter()
        .flat_map(|c| child_lines(c, prefix))
        .collect()
}

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
