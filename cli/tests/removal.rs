//! Removal never takes what it must not: a prune (the real binary, looping)
//! against real processes that resume and link runs, prune on a root
//! holding a symlink into another root, and kills at every system call of
//! a removal and of a resumption.

#[path = "../../checks/tests/common/children.rs"]
#[allow(dead_code)]
mod children;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use children::{child_lines, is_child, spawn_child};
use runlayout::{Error, MANIFEST, Run};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// How long each race runs: long enough that, without claims, the defects
/// showed several times per round.
const RACE: Duration = Duration::from_secs(8);

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set for children"))
}

fn runlayout() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_runlayout"));
    cmd.env_remove("RUNLAYOUT_ROOT");
    cmd
}

/// Runs `runlayout --run-root <root> prune <args> --yes` over and over
/// until `until`, and returns how many runs it removed in all.
fn prune_loop(root: &Path, args: &[&str], until: Instant) -> usize {
    let mut removed = 0;
    while Instant::now() < until {
        let out = runlayout()
            .arg("--run-root")
            .arg(root)
            .arg("--json")
            .arg("prune")
            .args(args)
            .arg("--yes")
            .stderr(Stdio::piped())
            .output()
            .expect("run runlayout prune");
        assert!(
            out.status.success(),
            "prune failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("prune --json prints JSON");
        removed += report["removed"].as_array().map_or(0, Vec::len);
    }
    removed
}

/// A finished run of `files` small files, as a training run leaves them.
fn finished_run(
    root: &str,
    stage: &str,
    id: &str,
    files: usize,
) -> Result<Run, Box<dyn std::error::Error>> {
    let run = running_run(root, stage, id, files)?;
    run.finish()?;
    Ok(run)
}

/// A run of `files` small files that this process still runs.
fn running_run(
    root: &str,
    stage: &str,
    id: &str,
    files: usize,
) -> Result<Run, Box<dyn std::error::Error>> {
    let run = Run::builder(root)
        .stage(stage)
        .run_id(id)
        .record_git(false)
        .create()?;
    let ckpt = run.path().join("checkpoints");
    fs::create_dir(&ckpt)?;
    for i in 0..files {
        fs::write(ckpt.join(format!("shard_{i:04}.bin")), [7u8; 64])?;
    }
    Ok(run)
}

const RESUME_ROLE: &str = "resumer";
const RESUME_TEST: &str = "prune_never_removes_a_run_another_process_has_resumed";

/// Makes finished runs, then resumes each older one as a requeued job does
/// (open, guard, write) and watches that its folder stays while it holds
/// the run.
fn resume_loop() -> TestResult {
    let root = env("RUNLAYOUT_TEST_ROOT");
    let until = Instant::now() + RACE;
    let (mut opened, mut refused, mut vanished) = (0, 0, Vec::new());
    let mut batch = 0;
    while Instant::now() < until {
        // A batch of finished runs, the newest kept by `latest`. The others
        // are resumed over and over (open, guard, write, finish) while the
        // prune works through them, until each is gone.
        let ids: Vec<String> = (0..6).map(|i| format!("r{batch:04}-{i}")).collect();
        // Running while the batch is made, so all become prunable at once.
        let made: Vec<Run> = ids
            .iter()
            .map(|id| running_run(&root, "s", id, 100))
            .collect::<Result<_, _>>()?;
        for run in made {
            run.finish()?;
        }
        batch += 1;
        let mut left: Vec<&String> = ids[..5].iter().collect();
        while !left.is_empty() && Instant::now() < until {
            left.retain(|id| {
                let run = match Run::builder(&root).stage("s").run_id(id.as_str()).open() {
                    Ok(run) => run,
                    Err(Error::RunBeingRemoved { .. } | Error::RunNotFound { .. }) => {
                        refused += 1;
                        return false;
                    }
                    Err(e) => panic!("open failed otherwise: {e}"),
                };
                opened += 1;
                let guard = run.guard();
                let mine = run.path().join("resumed.txt");
                let wrote = fs::write(&mine, b"epoch 2");
                for _ in 0..5 {
                    let whole = run.path().join(MANIFEST).is_file()
                        && run.path().join("checkpoints/shard_0099.bin").is_file()
                        && mine.is_file();
                    if wrote.is_err() || !whole {
                        vanished.push(run.path().to_path_buf());
                        return false;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                let _ = guard.finish();
                true
            });
        }
    }
    println!("RESUMED={opened}|{refused}|{}", vanished.len());
    for path in vanished {
        println!("VANISHED={}", path.display());
    }
    Ok(())
}

/// Item 1 of the removal defects: `open()` and `guard()` returned, then a
/// prune that had found the run finished removed its folder. With claims,
/// an opened run is in use until it is dropped, and a run being removed
/// cannot be opened.
#[test]
fn prune_never_removes_a_run_another_process_has_resumed() -> TestResult {
    if is_child(RESUME_ROLE) {
        return resume_loop();
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8 temp dir");
    let child = spawn_child(
        RESUME_TEST,
        RESUME_ROLE,
        &[("RUNLAYOUT_TEST_ROOT", root)],
    );
    let removed = prune_loop(
        tmp.path(),
        &["--stage", "s", "--older-than", "0s"],
        Instant::now() + RACE,
    );
    let lines = child_lines(child, "=");
    let vanished: Vec<&String> = lines.iter().filter(|l| l.starts_with('/')).collect();
    let counts = lines.first().expect("the resumer reports");
    eprintln!("resumer: {counts}, prune removed {removed}");
    assert!(
        vanished.is_empty(),
        "prune removed {} runs that another process had opened and guarded: {vanished:?}",
        vanished.len()
    );
    let opened: usize = counts.split('|').next().unwrap_or("0").parse()?;
    assert!(opened > 0 && removed > 0, "the race ran: {counts}, {removed} removed");
    Ok(())
}

const LINK_ROLE: &str = "linker";
const LINK_TEST: &str = "a_link_that_loses_to_prune_changes_nothing";

/// Links runs of stage `fine` (which the prune leaves alone) to finished
/// runs of stage `pre` (which it prunes), relinking across them, and checks
/// after every call: an `Ok` link names a run that is there, an error leaves
/// the previous ancestor.
fn link_loop() -> TestResult {
    let root = env("RUNLAYOUT_TEST_ROOT");
    let until = Instant::now() + RACE;
    let fine = Run::builder(&root)
        .stage("fine")
        .run_id("child")
        .record_git(false)
        .create()?;
    let (mut linked, mut refused, mut broken) = (0, 0, Vec::new());
    let mut batch = 0;
    while Instant::now() < until {
        // A batch of finished runs of `pre` (the newest kept by `latest`),
        // found by a scan as a program picking an ancestor finds them: in
        // nobody's use until linked. The child is relinked across them
        // until the prune has taken every one it may.
        let made: Vec<Run> = (0..6)
            .map(|i| running_run(&root, "pre", &format!("a{batch:04}-{i}"), 20))
            .collect::<Result<_, _>>()?;
        for run in made {
            run.finish()?;
        }
        let prefix = format!("a{batch:04}-");
        batch += 1;
        let mut targets: Vec<Run> = runlayout::Runs::scan(&root)
            .stage("pre")
            .list()?
            .runs
            .into_iter()
            .map(|f| f.run)
            .filter(|r| r.id().as_str().starts_with(&prefix))
            .collect();
        targets.pop(); // the newest: `latest` keeps it
        let mut rounds = 0;
        while !targets.is_empty() && rounds < 200 && Instant::now() < until {
            rounds += 1;
            targets.retain(|target| {
                if !target.path().join(MANIFEST).is_file() {
                    return false;
                }
                let before = fine.ancestor().expect("readable ancestor");
                match fine.link(target) {
                    Ok(()) => {
                        linked += 1;
                        let now = fine.ancestor().expect("readable ancestor");
                        let there = now.as_ref().is_some_and(|a| a.join(MANIFEST).is_file());
                        if !there {
                            broken.push(format!("Ok link to a run that is gone: {now:?}"));
                        }
                    }
                    Err(_) => {
                        refused += 1;
                        let now = fine.ancestor().expect("readable ancestor");
                        if now != before {
                            broken.push(format!(
                                "a failed link changed the ancestor from {before:?} to {now:?}"
                            ));
                        }
                    }
                }
                true
            });
        }
    }
    println!("LINKED={linked}|{refused}|{}", broken.len());
    for what in broken {
        println!("BROKEN={what}");
    }
    Ok(())
}

/// Item 2 of the removal defects: a `link()` racing a prune of its
/// ancestor returned an error yet committed (the run's `ancestor` named
/// the removed run, its previous ancestor dropped out of the record), or
/// returned `Ok` naming a run the prune then removed.
#[test]
fn a_link_that_loses_to_prune_changes_nothing() -> TestResult {
    if is_child(LINK_ROLE) {
        return link_loop();
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8 temp dir");
    let child = spawn_child(LINK_TEST, LINK_ROLE, &[("RUNLAYOUT_TEST_ROOT", root)]);
    let removed = prune_loop(
        tmp.path(),
        &["--stage", "pre", "--older-than", "0s"],
        Instant::now() + RACE,
    );
    let lines = child_lines(child, "=");
    let broken: Vec<&String> = lines.iter().skip(1).collect();
    assert!(broken.is_empty(), "{broken:#?}");
    let counts = lines.first().expect("the linker reports");
    let linked: usize = counts.split('|').next().unwrap_or("0").parse()?;
    assert!(linked > 0 && removed > 0, "the race ran: {counts}, {removed} removed");
    // What stays: the child's ancestor is a whole run.
    let fine = Run::builder(root).stage("fine").run_id("child").open()?;
    if let Some(ancestor) = fine.ancestor()? {
        assert!(ancestor.join(MANIFEST).is_file(), "{ancestor:?}");
    }
    Ok(())
}

/// Item 3 of the removal defects: a run folder that is a symlink into
/// another output root is removed as a link; the far end, that root's
/// `latest` run, stays whole and its pointer keeps naming it.
#[test]
fn prune_removes_a_linked_run_folder_as_a_link_never_the_far_end() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (mine, theirs) = (tmp.path().join("mine"), tmp.path().join("theirs"));
    let (mine_s, theirs_s) = (mine.to_str().unwrap_or(""), theirs.to_str().unwrap_or(""));
    drop(finished_run(theirs_s, "s", "t1", 3)?);
    let far = finished_run(theirs_s, "s", "t2", 3)?;
    drop(finished_run(mine_s, "s", "m1", 3)?);
    let far_path = far.path().to_path_buf();
    drop(far);
    std::os::unix::fs::symlink(&far_path, mine.join("s/x"))?;
    // The newest run of mine, so that `x` is not mine's `latest`.
    drop(finished_run(mine_s, "s", "m2", 3)?);
    let out = runlayout()
        .arg("--run-root")
        .arg(&mine)
        .args(["--json", "prune", "--older-than", "0s", "--yes"])
        .output()?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        far_path.join(MANIFEST).is_file() && far_path.join("checkpoints/shard_0002.bin").is_file(),
        "prune of `mine` deleted `theirs`' run through a link"
    );
    assert!(fs::symlink_metadata(mine.join("s/x")).is_err(), "the link itself went");
    let latest = Run::builder(&theirs).stage("s").open_latest()?;
    assert_eq!(latest.path().canonicalize()?, far_path.canonicalize()?);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let removed: Vec<PathBuf> = report["removed"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().or(r["path"].as_str()).map(PathBuf::from))
        .collect();
    assert!(removed.contains(&mine.join("s/x")), "{report:#}");
    assert!(removed.contains(&mine.join("s/m1")), "{report:#}");
    Ok(())
}
