//! What the integration tests share: child processes (`children.rs`), runs
//! made as programs and their records leave them (`fixture.rs`), and
//! looking at the trees a test made.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

mod children;
mod fixture;
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

/// The support's own promises: a child is started only for a test this
/// binary has (`spawn_child` takes its arguments from `child_args`), and a
/// fixture's run is what it was told to be.
mod tests {
    use std::fs;

    use runlayout::{Run, names::STATUS};

    use super::{Fate, OTHER_HOST, RunFixture, TestResult, child_args, dead_writers_temporary};

    #[test]
    #[should_panic(expected = "no test `runs::no_such_test` in this binary")]
    fn a_child_is_started_only_for_a_test_this_binary_has() {
        child_args("runs::no_such_test");
    }

    #[test]
    #[should_panic(expected = "did you mean `crash::a_killed_creator_leaves_whole_runs_only`?")]
    fn a_test_named_without_its_module_is_refused_with_its_whole_name() {
        child_args("a_killed_creator_leaves_whole_runs_only");
    }

    #[test]
    fn a_test_named_as_the_harness_names_it_is_run_alone() {
        assert_eq!(
            child_args("crash::a_killed_creator_leaves_whole_runs_only"),
            [
                "crash::a_killed_creator_leaves_whole_runs_only",
                "--exact",
                "--nocapture",
                "--test-threads=1"
            ]
        );
    }

    #[test]
    fn a_fixtures_run_holds_its_files_and_fields_and_ends_as_its_fate_says() -> TestResult {
        let root = tempfile::tempdir()?;
        let fates = [
            Fate::Running,
            Fate::Finished,
            Fate::Failed("diverged"),
            Fate::Crashed,
            Fate::Elsewhere,
        ];
        for (i, fate) in fates.into_iter().enumerate() {
            let created = format!("2026-01-0{}T03:04:05+00:00", i + 1);
            let run = RunFixture::new(Run::builder(root.path()).stage("s").run_id(format!("r{i}")))
                .file("checkpoints/e1.ckpt", [7u8; 64])
                .manifest("created", created.as_str())
                .fate(fate)
                .create()?;
            assert_eq!(run.status()?, fate.status(), "{fate:?}");
            assert_eq!(fs::read(run.path().join("checkpoints/e1.ckpt"))?, [7u8; 64]);
            let manifest = run.manifest()?.expect("a manifest");
            assert_eq!(manifest.created, created, "{fate:?}");
            let (host, pid) = (manifest.host.as_deref(), manifest.pid);
            match fate {
                Fate::Crashed => assert_eq!(pid, Some(u32::MAX)),
                Fate::Elsewhere => assert_eq!((host, pid), (Some(OTHER_HOST), Some(1))),
                _ => assert_eq!(pid, Some(std::process::id())),
            }
            let ended = run.ended()?;
            match fate {
                Fate::Failed(reason) => {
                    assert_eq!(ended.and_then(|e| e.reason).as_deref(), Some(reason))
                }
                Fate::Finished => assert!(ended.is_some_and(|e| e.reason.is_none())),
                _ => assert!(!run.path().join(STATUS).exists(), "{fate:?}"),
            }
        }
        Ok(())
    }

    #[test]
    fn the_fixture_leaves_a_dead_writers_temporary_and_nothing_else() -> TestResult {
        let root = tempfile::tempdir()?;
        let run = Run::builder(root.path()).stage("s").create()?;
        let dead = dead_writers_temporary(run.path())?;
        let hidden: Vec<_> = super::temporaries(run.path());
        assert_eq!(
            hidden,
            [dead.file_name().expect("a name").to_string_lossy()]
        );
        run.with_run(None, None).open()?;
        assert!(
            !dead.exists(),
            "opening a run sweeps a dead writer's temporary"
        );
        Ok(())
    }
}
