//! Attacks on `runlayout prune` and the library's `Prune`: each test states
//! a promise of the README ("Pruning safely") and tries to break it.
#![cfg(target_os = "linux")]

use std::fs;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use runlayout::{Run, RunStatus, prune::Prune};

#[path = "support/command.rs"]
mod command;
use command::{runlayout, unclaimed};
#[path = "../../checks/tests/it/support/fixture.rs"]
#[allow(dead_code)]
mod fixture;
use fixture::host_tag;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn show(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// README: links between runs of two roots are supported (back-links of
/// "runs of one place below two roots never share one"), and prune "never
/// selects an ancestor (however far up) of a run that stays". A run of
/// another root that grew out of a run here is invisible to prune: the
/// ancestor it still points at is removed, though its back-link says who
/// depends on it.
#[test]
fn prune_keeps_an_ancestor_of_a_run_under_another_root() -> TestResult {
    let root = tempfile::tempdir()?;
    let other = tempfile::tempdir()?;
    let ancestor = Run::builder(root.path())
        .stage("pre")
        .run_id("a")
        .create()?;
    fs::write(ancestor.path().join("weights.bin"), b"pretrained")?;
    ancestor.fail("stopped early, but good enough to finetune from")?;
    // A newer run, so `latest` does not protect the ancestor.
    Run::builder(root.path())
        .stage("pre")
        .run_id("b")
        .create()?
        .finish()?;
    let child = Run::builder(other.path())
        .stage("fine")
        .run_id("c")
        .create()?;
    child.link(&ancestor)?;
    child.finish()?;
    assert_eq!(ancestor.descendants()?, vec![child.path().canonicalize()?]);

    let out = runlayout(root.path(), &["prune", "--status", "failed", "--yes"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        ancestor.path().join("weights.bin").exists(),
        "the ancestor of a run that stays was removed; its descendant now \
         points nowhere: {:?}\n{}",
        child.ancestor()?,
        show(&out)
    );
    Ok(())
}

/// README ("The run manifest"): a run folder without a manifest "is still a
/// run for every API, as long as it holds something". Prune scans without a
/// stage, so such a run is not seen, and the run it grew out of is removed.
#[test]
fn prune_keeps_an_ancestor_of_a_run_without_manifest() -> TestResult {
    let root = tempfile::tempdir()?;
    let ancestor = Run::builder(root.path())
        .stage("pre")
        .run_id("a")
        .create()?;
    ancestor.fail("diverged late")?;
    Run::builder(root.path())
        .stage("pre")
        .run_id("b")
        .create()?
        .finish()?;
    let child = Run::builder(root.path())
        .stage("fine")
        .run_id("c")
        .write_manifest(false)
        .create()?;
    fs::write(child.path().join("weights.bin"), b"finetuned")?;
    child.link(&ancestor)?;
    assert_eq!(ancestor.descendants()?, vec![child.path().canonicalize()?]);

    let out = runlayout(root.path(), &["prune", "--status", "failed", "--yes"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        ancestor.path().exists(),
        "the ancestor of a run that stays (made without a manifest) was removed\n{}",
        show(&out)
    );
    Ok(())
}

/// `PrunePlan::execute` re-checks only "running": a run linked to a planned
/// run between plan and execute (the plan is meant to be shown, then
/// executed) loses its ancestor.
#[test]
fn execute_keeps_a_run_that_became_an_ancestor_after_the_plan() -> TestResult {
    let root = tempfile::tempdir()?;
    let ancestor = Run::builder(root.path())
        .stage("pre")
        .run_id("a")
        .create()?;
    ancestor.fail("preempted")?;
    // Held, it would be in use: let go of it, as the process that ran it did.
    let ancestor = unclaimed(ancestor)?;
    Run::builder(root.path())
        .stage("pre")
        .run_id("b")
        .create()?
        .finish()?;
    let plan = Prune::new(root.path()).status([RunStatus::Failed]).plan()?;
    assert_eq!(plan.remove.len(), 1);
    // Meanwhile a finetune starts from it.
    let child = Run::builder(root.path())
        .stage("fine")
        .run_id("c")
        .create()?;
    child.link(&ancestor)?;
    plan.execute()?;
    assert!(
        ancestor.path().exists(),
        "a run that stays grew out of it, yet it was removed; the child's \
         ancestor link dangles: {:?}",
        child.ancestor()?
    );
    Ok(())
}

/// Two `prune --yes` at once (two cron jobs, two users): each must finish
/// with status 0, and between them remove every selected run.
#[test]
fn two_prunes_at_once_both_succeed() -> TestResult {
    for round in 0..5 {
        let root = tempfile::tempdir()?;
        for i in 0..120 {
            let run = Run::builder(root.path())
                .stage("s")
                .run_id(format!("r{i:03}"))
                .create()?;
            for f in 0..20 {
                fs::write(run.path().join(format!("f{f}")), b"x")?;
            }
            run.fail("x")?;
        }
        Run::builder(root.path())
            .stage("s")
            .run_id("keep")
            .create()?
            .finish()?;
        let spawn = || {
            Command::new(env!("CARGO_BIN_EXE_runlayout"))
                .arg("--root")
                .arg(root.path())
                .args(["prune", "--status", "failed", "--yes"])
                .env_remove("RUNLAYOUT_ROOT")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        };
        let (a, b) = (spawn(), spawn());
        let (a, b) = (a.wait_with_output()?, b.wait_with_output()?);
        assert!(
            a.status.success() && b.status.success(),
            "round {round}: a prune failed because another removed the same run\nA: {}\nB: {}",
            show(&a),
            show(&b)
        );
        let left = fs::read_dir(root.path().join("s"))?.count();
        assert_eq!(left, 2, "round {round}: `keep` and `latest` only");
    }
    Ok(())
}

/// A run another prune removed is reported as "skipped: it is running
/// again": the second prune says something false about a run that is gone.
#[test]
fn a_run_removed_by_another_prune_is_not_reported_running() -> TestResult {
    let root = tempfile::tempdir()?;
    let old = Run::builder(root.path())
        .stage("s")
        .run_id("old")
        .create()?;
    old.fail("x")?;
    let old = unclaimed(old)?;
    Run::builder(root.path())
        .stage("s")
        .run_id("new")
        .create()?
        .finish()?;
    let plan = Prune::new(root.path()).status([RunStatus::Failed]).plan()?;
    // Another prune got there first.
    Prune::new(root.path())
        .status([RunStatus::Failed])
        .plan()?
        .execute()?;
    assert!(!old.path().exists());
    let done = plan.execute()?;
    // Reported as gone, never as running again, and its status says so.
    assert_eq!(
        done.skipped,
        [(old.path().to_path_buf(), runlayout::prune::KeepReason::Gone)],
        "its status reads {:?}",
        old.status()
    );
    assert!(matches!(
        old.status(),
        Err(runlayout::Error::RunNotFound { .. })
    ));
    Ok(())
}

/// README: "an interrupted prune leaves only hidden trash; the next prune
/// ... finishes it once the pruner is gone". Trash is judged by the pid in
/// its name alone: once the dead pruner's pid is reused by any process, the
/// trash is never finished (unlike status, which checks the start time).
#[test]
fn trash_of_a_dead_pruner_whose_pid_was_reused_is_finished() -> TestResult {
    let root = tempfile::tempdir()?;
    let keep = Run::builder(root.path())
        .stage("s")
        .run_id("keep")
        .create()?;
    // Learn this host's tag from a temporary a killed writer leaves.
    let tag = host_tag(keep.path())?;
    // What a prune killed after its rename leaves, with the pid of a process
    // that lives now (pid 1: the pid was reused).
    let trash = root
        .path()
        .join(format!("s/.runlayout-1-12345-{tag}-abcdefgh.tmp"));
    fs::create_dir_all(trash.join("checkpoints"))?;
    fs::write(trash.join("checkpoints/e1.ckpt"), vec![0u8; 4096])?;
    let out = runlayout(root.path(), &["prune", "--yes"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        !trash.exists(),
        "trash of a dead pruner stays forever once its pid is reused\n{}",
        show(&out)
    );
    Ok(())
}

#[allow(dead_code)]
fn sleep_ms(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

/// With `--yes` the table says "removed" for every planned run and the
/// summary counts the plan, even for runs `execute` skipped (resumed, or
/// removed by another prune): the output claims removals that did not
/// happen.
#[test]
fn prune_reports_only_what_it_removed() -> TestResult {
    for round in 0..5 {
        let root = tempfile::tempdir()?;
        for i in 0..60 {
            let run = Run::builder(root.path())
                .stage("s")
                .run_id(format!("r{i:03}"))
                .create()?;
            run.fail("x")?;
        }
        Run::builder(root.path())
            .stage("s")
            .run_id("keep")
            .create()?
            .finish()?;
        let spawn = || {
            Command::new(env!("CARGO_BIN_EXE_runlayout"))
                .arg("--root")
                .arg(root.path())
                .args(["prune", "--status", "failed", "--yes"])
                .env_remove("RUNLAYOUT_ROOT")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        };
        let (a, b) = (spawn(), spawn());
        for out in [a.wait_with_output()?, b.wait_with_output()?] {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let skipped: Vec<&str> = text
                .lines()
                .filter_map(|l| l.strip_prefix("skipped "))
                .filter_map(|l| l.split(':').next())
                .collect();
            for run in &skipped {
                let claimed = text
                    .lines()
                    .any(|l| l.starts_with("removed ") && l.split_whitespace().nth(1) == Some(run));
                assert!(
                    !claimed,
                    "round {round}: `{run}` is listed as removed and as skipped\n{}",
                    show(&out)
                );
            }
        }
    }
    Ok(())
}

/// A run folder that is a symlink (a run moved to another disk, or a link
/// into another output root) goes as a link: the folder it leads to stays
/// byte for byte, the prune frees and reports 0 bytes for it, and says
/// what it left where.
#[test]
fn pruning_a_run_folder_on_another_disk_removes_the_link_and_says_so() -> TestResult {
    let root = tempfile::tempdir()?;
    let disk = tempfile::tempdir()?;
    let run = Run::builder(root.path())
        .stage("s")
        .run_id("moved")
        .create()?;
    fs::write(run.path().join("weights.bin"), vec![7u8; 1 << 20])?;
    run.fail("x")?;
    let run_path = run.path().to_path_buf();
    drop(run);
    Run::builder(root.path())
        .stage("s")
        .run_id("newer")
        .create()?
        .finish()?;
    // The run was moved to another disk and linked back into place.
    let elsewhere = disk.path().join("moved");
    let status = Command::new("mv").arg(&run_path).arg(&elsewhere).status()?;
    assert!(status.success());
    std::os::unix::fs::symlink(&elsewhere, &run_path)?;
    let out = runlayout(
        root.path(),
        &["--json", "prune", "--status", "failed", "--yes"],
    );
    assert!(out.status.success(), "{}", show(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["removed_bytes"], 0, "{report:#}");
    assert!(fs::symlink_metadata(&run_path).is_err(), "the link went");
    assert_eq!(fs::read(elsewhere.join("weights.bin"))?.len(), 1 << 20);
    let unlinked = &report["unlinked"][0];
    assert_eq!(
        unlinked["path"],
        run_path.to_str().unwrap_or(""),
        "{report:#}"
    );
    assert_eq!(
        unlinked["left"],
        elsewhere.canonicalize()?.to_str().unwrap_or(""),
        "{report:#}"
    );
    Ok(())
}

/// "data a run links to stays": prune deletes "without following symlinks
/// out of it", but it does cross into other file systems. A dataset bind
/// mounted into a run folder (as a container or a job script does) is
/// deleted with the run. Needs root for the mount.
#[test]
fn prune_never_deletes_a_file_system_mounted_in_a_run() -> TestResult {
    let root = tempfile::tempdir()?;
    let dataset = tempfile::tempdir()?;
    fs::write(dataset.path().join("shard-0000.tar"), b"irreplaceable")?;
    let run = Run::builder(root.path()).stage("s").run_id("r").create()?;
    run.fail("x")?;
    Run::builder(root.path())
        .stage("s")
        .run_id("newer")
        .create()?
        .finish()?;
    let mount_point = run.path().join("data");
    fs::create_dir(&mount_point)?;
    let mounted = Command::new("mount")
        .args(["--bind"])
        .arg(dataset.path())
        .arg(&mount_point)
        .status();
    if !mounted.is_ok_and(|s| s.success()) {
        eprintln!("skipped: cannot bind mount here");
        return Ok(());
    }
    let out = runlayout(root.path(), &["prune", "--status", "failed", "--yes"]);
    // Whatever prune did, take the mount away again (it may have moved).
    let _ = Command::new("umount").arg("-l").arg(&mount_point).status();
    for entry in fs::read_dir(root.path().join("s"))?.flatten() {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(entry.path().join("data"))
            .status();
    }
    assert!(
        dataset.path().join("shard-0000.tar").exists(),
        "prune deleted the files of a file system mounted inside the run\n{}",
        show(&out)
    );
    Ok(())
}

/// The dry run and `--yes` agree: the ancestor of a run kept because a file
/// system is mounted inside it stays too, and the dry run says so rather
/// than listing it as "would remove". Needs root for the mount.
#[test]
fn the_ancestor_of_a_run_kept_for_a_mount_is_kept_by_the_dry_run_too() -> TestResult {
    let root = tempfile::tempdir()?;
    let dataset = tempfile::tempdir()?;
    fs::write(dataset.path().join("shard-0000.tar"), b"irreplaceable")?;
    let parent = Run::builder(root.path())
        .stage("s")
        .run_id("parent")
        .create()?;
    parent.fail("x")?;
    let child = Run::builder(root.path())
        .stage("s")
        .run_id("child")
        .create()?;
    child.link(&parent)?;
    child.fail("x")?;
    let (parent, child) = (unclaimed(parent)?, unclaimed(child)?);
    Run::builder(root.path())
        .stage("s")
        .run_id("newer")
        .create()?
        .finish()?;
    let mount_point = child.path().join("data");
    fs::create_dir(&mount_point)?;
    let mounted = Command::new("mount")
        .arg("--bind")
        .arg(dataset.path())
        .arg(&mount_point)
        .status();
    if !mounted.is_ok_and(|s| s.success()) {
        eprintln!("skipped: cannot bind mount here");
        return Ok(());
    }
    let dry = runlayout(root.path(), &["prune", "--status", "failed", "--json"]);
    let done = runlayout(
        root.path(),
        &["prune", "--status", "failed", "--yes", "--json"],
    );
    let _ = Command::new("umount").arg("-l").arg(&mount_point).status();
    let read = |out: &Output| -> serde_json::Value {
        assert!(out.status.success(), "{}", show(out));
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let (dry, done) = (read(&dry), read(&done));
    let ids = |list: &serde_json::Value| -> Vec<String> {
        let mut ids: Vec<String> = list
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                let path = r["path"].as_str().or(r.as_str()).expect("a path");
                Path::new(path)
                    .file_name()
                    .expect("a name")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&dry["remove"]), Vec::<String>::new(), "{dry}");
    assert_eq!(ids(&dry["kept"]), ["child", "parent"], "{dry}");
    let reasons: Vec<&str> = dry["kept"]
        .as_array()
        .expect("kept")
        .iter()
        .map(|k| k["reason_text"].as_str().expect("reason"))
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("mounted inside")),
        "{dry}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("grew out of it")),
        "{dry}"
    );
    assert_eq!(ids(&done["removed"]), ids(&dry["remove"]), "{done}");
    assert!(parent.path().join("run.json").is_file());
    assert!(dataset.path().join("shard-0000.tar").exists());
    Ok(())
}
