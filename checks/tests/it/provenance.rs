//! Provenance recorded at creation: the git state of the work tree the
//! program runs in, when there is one, and nothing (never a failure) when
//! there is no repository or no `git`.
#![cfg(all(unix, feature = "manifest"))]

use std::path::Path;
use std::process::Command;

use crate::support::{self, TestResult, child_lines, is_child, spawn_child_in};
use runlayout::Run;
use serde_json::Value;

const ROLE: &str = "create-here";
const TEST: &str = "provenance::git_state_is_recorded_from_the_current_directory";

/// The child: create a run below the given root from the current directory,
/// and print what its manifest says of git.
fn create_here() -> TestResult {
    let root = std::env::var("RUNLAYOUT_TEST_ROOT")?;
    let record = std::env::var("RUNLAYOUT_TEST_RECORD_GIT").map_or(true, |v| v == "1");
    let run = Run::builder(&root).record_git(record).create()?;
    let manifest: Value = serde_json::from_slice(&std::fs::read(run.path().join("run.json"))?)?;
    let field = |name: &str| manifest.get(name).cloned().unwrap_or(Value::Null);
    println!("GIT={}", field("git"));
    println!("LAUNCHER={}", field("launcher"));
    Ok(())
}

fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(repo)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// What the child recorded, run in `dir` with `envs`.
fn recorded(dir: &Path, root: &Path, envs: &[(&str, &str)]) -> Value {
    let mut all = vec![("RUNLAYOUT_TEST_ROOT", root.to_str().expect("utf-8"))];
    all.extend_from_slice(envs);
    let child = spawn_child_in(Some(dir), TEST, ROLE, &all);
    let lines = child_lines(child, "GIT=");
    serde_json::from_str(&lines[0]).expect("json")
}

#[test]
fn git_state_is_recorded_from_the_current_directory() -> TestResult {
    if is_child(ROLE) {
        return create_here();
    }
    if Command::new("git").arg("--version").output().is_err() {
        panic!("these tests need git on PATH");
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().join("runs");
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&repo)?;
    // Never see a repository above the temporary folder.
    let ceiling = tmp.path().to_str().expect("utf-8");
    let env = [
        ("GIT_CEILING_DIRECTORIES", ceiling),
        ("GIT_CONFIG_GLOBAL", "/dev/null"),
    ];

    // Outside any repository: nothing recorded, and creation works.
    assert_eq!(recorded(&repo, &root, &env), Value::Null);

    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["config", "user.email", "t@example.org"]);
    git(&repo, &["config", "user.name", "t"]);
    std::fs::write(repo.join("train.py"), "lr = 0.1\n")?;
    git(&repo, &["add", "train.py"]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    let head = git(&repo, &["rev-parse", "HEAD"]);

    let clean = recorded(&repo, &root, &env);
    assert_eq!(clean["commit"], head.as_str());
    assert_eq!(clean["dirty"], false);
    assert_eq!(clean["branch"], "main");

    std::fs::write(repo.join("train.py"), "lr = 0.9\n")?;
    let dirty = recorded(&repo, &root, &env);
    assert_eq!(dirty["commit"], head.as_str());
    assert_eq!(dirty["dirty"], true);

    // Switched off: nothing.
    let mut off = env.to_vec();
    off.push(("RUNLAYOUT_TEST_RECORD_GIT", "0"));
    assert_eq!(recorded(&repo, &root, &off), Value::Null);

    // No git on PATH: creation succeeds all the same, without the record.
    let mut no_git = env.to_vec();
    no_git.push(("PATH", "/nonexistent"));
    assert_eq!(recorded(&repo, &root, &no_git), Value::Null);
    assert_eq!(support::folder_count(&root), 5, "every creation succeeded");
    Ok(())
}

const LAUNCHED: &str = "provenance::the_launcher_is_recorded_from_the_environment";

#[test]
fn the_launcher_is_recorded_from_the_environment() -> TestResult {
    if is_child(ROLE) {
        return create_here();
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let launched = |envs: &[(&str, &str)]| -> Value {
        let mut all = support::NO_LAUNCHER.to_vec();
        all.push(("RUNLAYOUT_TEST_ROOT", root));
        all.push(("RUNLAYOUT_TEST_RECORD_GIT", "0"));
        all.extend_from_slice(envs);
        let child = spawn_child_in(Some(tmp.path()), LAUNCHED, ROLE, &all);
        serde_json::from_str(&child_lines(child, "LAUNCHER=")[0]).expect("json")
    };
    let slurm = launched(&[
        ("SLURM_JOB_ID", "4242"),
        ("SLURM_STEP_ID", "0"),
        ("SLURM_PROCID", "0"),
        ("SLURM_LOCALID", "0"),
        ("SLURM_NTASKS", "4"),
    ]);
    assert_eq!(slurm["kind"], "slurm");
    assert_eq!(
        (slurm["job"].as_str(), slurm["step"].as_str()),
        (Some("4242"), Some("0"))
    );
    assert_eq!(slurm["world_size"], 4);
    let torch = launched(&[
        ("TORCHELASTIC_RUN_ID", "exp-7"),
        ("RANK", "0"),
        ("LOCAL_RANK", "0"),
        ("WORLD_SIZE", "2"),
    ]);
    assert_eq!(
        (torch["kind"].as_str(), torch["job"].as_str()),
        (Some("torchrun"), Some("exp-7"))
    );
    assert_eq!(torch["world_size"], 2);
    let alone = launched(&[]);
    assert_eq!(alone["kind"], "none");
    assert!(alone.get("world_size").is_none());
    Ok(())
}

const STUCK: &str =
    "provenance::a_git_that_leaves_a_child_holding_its_output_does_not_hold_creation";

/// The child: create a run and print how long creation took, in ms.
fn create_timed() -> TestResult {
    let root = std::env::var("RUNLAYOUT_TEST_ROOT")?;
    let start = std::time::Instant::now();
    let run = Run::builder(&root).create()?;
    let millis = start.elapsed().as_millis();
    let manifest: Value = serde_json::from_slice(&std::fs::read(run.path().join("run.json"))?)?;
    let git = manifest.get("git").cloned().unwrap_or(Value::Null);
    println!("TIMED={millis} {git}");
    Ok(())
}

#[test]
fn a_git_that_leaves_a_child_holding_its_output_does_not_hold_creation() -> TestResult {
    use std::os::unix::fs::PermissionsExt as _;
    if is_child("create-timed") {
        return create_timed();
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().join("runs");
    // Two fake `git`s: one that hangs (killed at the timeout, its `sleep`
    // keeps the output pipe open), one that exits at once but leaves a
    // `sleep` behind holding the pipe.
    for (name, script) in [
        ("hangs", "#!/bin/sh\nsleep 15\n"),
        (
            "leaves",
            "#!/bin/sh\necho '# branch.oid 0123'\nsleep 15 &\nexit 0\n",
        ),
    ] {
        let bin = tmp.path().join(name);
        std::fs::create_dir_all(&bin)?;
        let git = bin.join("git");
        std::fs::write(&git, script)?;
        std::fs::set_permissions(&git, std::fs::Permissions::from_mode(0o755))?;
        let path = format!("{}:/usr/bin:/bin", bin.display());
        let envs = [
            ("RUNLAYOUT_TEST_ROOT", root.to_str().expect("utf-8")),
            ("PATH", path.as_str()),
        ];
        let start = std::time::Instant::now();
        let child = spawn_child_in(Some(tmp.path()), STUCK, "create-timed", &envs);
        let line = child_lines(child, "TIMED=").remove(0);
        let (millis, git) = line.split_once(' ').expect("two fields");
        let millis: u64 = millis.parse()?;
        let whole = start.elapsed();
        assert_eq!(git, "null", "{name}: no git recorded");
        // The timeout is 2 s; nothing may wait for the 15 s `sleep`.
        assert!(millis < 4_000, "{name}: creation took {millis} ms");
        assert!(whole.as_secs() < 8, "{name}: the child took {whole:?}");
    }
    Ok(())
}
