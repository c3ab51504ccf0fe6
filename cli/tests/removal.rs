//! Removal never takes what it must not: a prune (the real binary, looping)
//! against real processes that resume and link runs, prune on a root
//! holding a symlink into another root, and kills at every system call of
//! a removal and of a resumption.

#[path = "../../checks/tests/it/support/children.rs"]
#[allow(dead_code)]
mod children;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use children::{child_lines, is_child, spawn_child};
use runlayout::{Error, Run, names::MANIFEST};

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
    let child = spawn_child(RESUME_TEST, RESUME_ROLE, &[("RUNLAYOUT_TEST_ROOT", root)]);
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
    assert!(
        opened > 0 && removed > 0,
        "the race ran: {counts}, {removed} removed"
    );
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
        let mut targets: Vec<Run> = runlayout::scan::Runs::scan(&root)
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
    assert!(
        linked > 0 && removed > 0,
        "the race ran: {counts}, {removed} removed"
    );
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
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        far_path.join(MANIFEST).is_file() && far_path.join("checkpoints/shard_0002.bin").is_file(),
        "prune of `mine` deleted `theirs`' run through a link"
    );
    assert!(
        fs::symlink_metadata(mine.join("s/x")).is_err(),
        "the link itself went"
    );
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

/// Kills at every step: `strace` delivers SIGKILL on entry to the n-th call
/// of each system call that changes the tree or takes a claim, for every n
/// the operation makes, so the process dies between every two of its
/// changes. The tree must then be consistent: every run folder in sight is
/// whole, the next prune finishes what the killed one left, and a later
/// prune or open finds what it would have found without the kill.
mod kills {
    use super::*;
    use std::collections::BTreeMap;

    /// The calls that change the tree or a claim: a kill before each of them
    /// stands for a kill anywhere between the one before and it.
    const STEPS: &[&str] = &[
        "openat",
        "write",
        "rename",
        "renameat",
        "renameat2",
        "unlink",
        "unlinkat",
        "rmdir",
        "mkdir",
        "mkdirat",
        "symlink",
        "symlinkat",
        "flock",
        "fsync",
    ];

    fn strace() -> Command {
        let found = Command::new("strace").arg("-V").output();
        assert!(
            found.is_ok_and(|o| o.status.success()),
            "these tests need strace (apt-get install strace; .ci/run installs it)"
        );
        Command::new("strace")
    }

    /// How often `command` makes each call of [`STEPS`], as `strace -c` counts.
    fn step_counts(mut command: Command) -> BTreeMap<String, usize> {
        let log = tempfile::NamedTempFile::new().expect("a log file");
        let mut traced = strace();
        traced
            .args(["-f", "-c", "-U", "name,calls", "-o"])
            .arg(log.path())
            .arg(command.get_program())
            .args(command.get_args())
            .envs(command.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(dir) = command.get_current_dir() {
            traced.current_dir(dir);
        }
        assert!(traced.status().expect("strace runs").success());
        let _ = &mut command;
        let text = fs::read_to_string(log.path()).expect("the strace summary");
        text.lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let (name, calls) = (words.next()?, words.next()?.parse().ok()?);
                STEPS.contains(&name).then(|| (name.to_owned(), calls))
            })
            .collect()
    }

    /// Runs `command` killed on entry to the `n`-th `call`.
    fn killed_at(command: &Command, call: &str, n: usize) {
        let mut traced = strace();
        traced
            .args(["-f", "-o", "/dev/null", "-e"])
            .arg(format!("inject={call}:signal=SIGKILL:when={n}"))
            .arg(command.get_program())
            .args(command.get_args())
            .envs(command.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let _ = traced.status().expect("strace runs");
    }

    /// Every file below `dir` (symlinks as their targets), by path.
    fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).into_iter().flatten().flatten() {
                let t = e.file_type().expect("a type");
                if t.is_dir() {
                    stack.push(e.path());
                } else if t.is_symlink() {
                    let target = fs::read_link(e.path()).expect("a link");
                    out.insert(e.path(), target.into_os_string().into_encoded_bytes());
                } else {
                    out.insert(e.path(), fs::read(e.path()).expect("readable"));
                }
            }
        }
        out
    }

    /// Hidden temporaries (a killed prune's trash, a killed writer's file)
    /// anywhere below `dir`.
    fn temporaries(dir: &Path) -> Vec<PathBuf> {
        snapshot(dir)
            .into_keys()
            .chain(walk_dirs(dir).into_iter().filter(|d| {
                d.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            }))
            .filter(|p| {
                p.components()
                    .any(|c| c.as_os_str().to_string_lossy().starts_with(".runlayout-"))
            })
            .collect()
    }

    fn walk_dirs(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).into_iter().flatten().flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    out.push(e.path());
                    stack.push(e.path());
                }
            }
        }
        out
    }

    /// The runs of a small tree: failed pretraining runs, one the ancestor
    /// of a finished finetune (kept), one of a failed finetune (both go),
    /// one alone (goes), and the newest of each stage (kept by `latest`).
    fn prune_fixture(root: &str) -> TestResult {
        let made = |stage: &str, id: &str, fail: bool| -> Result<Run, Box<dyn std::error::Error>> {
            let run = running_run(root, stage, id, 4)?;
            if fail {
                run.fail("diverged")?
            } else {
                run.finish()?
            }
            Ok(run)
        };
        let p1 = made("pre", "p1", true)?;
        drop(made("pre", "p2", true)?);
        let p3 = made("pre", "p3", true)?;
        drop(made("pre", "p4", false)?);
        made("fine", "f1", false)?.link(&p1)?;
        made("fine", "f2", true)?.link(&p3)?;
        drop(made("fine", "f3", false)?);
        Ok(())
    }

    fn prune_command(root: &Path, args: &[&str]) -> Command {
        let mut cmd = runlayout();
        cmd.arg("--run-root")
            .arg(root)
            .arg("prune")
            .args(args)
            .arg("--yes");
        cmd
    }

    fn run_ok(mut command: Command) -> String {
        let out = command.output().expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn a_prune_killed_at_any_step_leaves_whole_runs_and_the_next_prune_finishes() -> TestResult {
        // The tree as the prune would leave it, unkilled.
        let reference = tempfile::tempdir()?;
        let reference_root = reference.path().join("runs");
        prune_fixture(reference_root.to_str().unwrap_or(""))?;
        let steps = step_counts(prune_command(&reference_root, &["--status", "failed"]));
        let gone: Vec<&str> = vec!["pre/p2", "pre/p3", "fine/f2"];
        for id in &gone {
            assert!(!reference_root.join(id).exists(), "the prune removes {id}");
        }
        let total: usize = steps.values().sum();
        assert!(total > 20, "{steps:?}");
        for (call, count) in &steps {
            for n in 1..=*count {
                let tmp = tempfile::tempdir()?;
                let root = tmp.path().join("runs");
                prune_fixture(root.to_str().unwrap_or(""))?;
                let local = |p: &Path| {
                    p.strip_prefix(&root)
                        .map(Path::to_path_buf)
                        .unwrap_or_default()
                };
                let here = snapshot(&root);
                let was: BTreeMap<PathBuf, &Vec<u8>> =
                    here.iter().map(|(p, b)| (local(p), b)).collect();
                // The same tree, for the prune that is not killed.
                let twin = tmp.path().join("twin");
                let copied = Command::new("cp")
                    .arg("-a")
                    .arg(&root)
                    .arg(&twin)
                    .status()?;
                assert!(copied.success());
                killed_at(&prune_command(&root, &["--status", "failed"]), call, n);
                let at = format!("killed at {call} #{n}");
                // What is in sight is whole: each run folder as it was
                // before, but back-links to runs that went.
                let now = snapshot(&root);
                for (path, bytes) in &now {
                    let rel = local(path);
                    if rel
                        .components()
                        .any(|c| c.as_os_str().to_string_lossy().starts_with(".runlayout-"))
                    {
                        continue; // trash or a temporary, out of sight
                    }
                    if rel.components().any(|c| c.as_os_str() == "descendants") {
                        continue; // a back-link, checked after the next prune
                    }
                    if rel.ends_with("latest") || rel.ends_with("run.status.json") {
                        continue; // rewritten by design, checked below
                    }
                    assert_eq!(
                        Some(&bytes),
                        was.get(&rel),
                        "{at}: {} changed",
                        rel.display()
                    );
                }
                for id in ["pre/p1", "pre/p4", "fine/f1", "fine/f3"] {
                    for (rel, bytes) in &was {
                        if rel.starts_with(id)
                            && !rel.starts_with(Path::new(id).join("descendants"))
                        {
                            assert_eq!(
                                now.get(&root.join(rel)),
                                Some(*bytes),
                                "{at}: {} of a run that stays",
                                rel.display()
                            );
                        }
                    }
                }
                for id in &gone {
                    // Whole or gone: never half.
                    let run = root.join(id);
                    if run.exists() {
                        for (rel, bytes) in &was {
                            if rel.starts_with(id)
                                && !rel.starts_with(Path::new(id).join("descendants"))
                                && !rel.ends_with("run.status.json")
                            {
                                assert_eq!(
                                    now.get(&root.join(rel)),
                                    Some(*bytes),
                                    "{at}: half of {id}"
                                );
                            }
                        }
                    }
                }
                // The next prune finishes what the killed one left.
                run_ok(prune_command(&root, &[]));
                assert_eq!(temporaries(&root), Vec::<PathBuf>::new(), "{at}");
                for run in ["pre/p1", "pre/p3"] {
                    let dir = root.join(run).join("descendants");
                    for e in fs::read_dir(&dir).into_iter().flatten().flatten() {
                        assert!(
                            fs::canonicalize(e.path()).is_ok(),
                            "{at}: dangling back-link {:?}",
                            e.path()
                        );
                    }
                }
                // And a prune then ends where an unkilled one ends.
                let last = run_ok(prune_command(&root, &["--json", "--status", "failed"]));
                let ended: BTreeMap<PathBuf, Vec<u8>> = snapshot(&root)
                    .into_iter()
                    .map(|(p, b)| (local(&p), b))
                    .collect();
                let twin_report = run_ok(prune_command(&twin, &["--json", "--status", "failed"]));
                let want: BTreeMap<PathBuf, Vec<u8>> = snapshot(&twin)
                    .into_iter()
                    .map(|(p, b)| {
                        let rel = p.strip_prefix(&twin).map(Path::to_path_buf);
                        (rel.unwrap_or_default(), b)
                    })
                    .filter(|(p, _)| !p.ends_with("run.status.json"))
                    .collect();
                let ended: BTreeMap<PathBuf, Vec<u8>> = ended
                    .into_iter()
                    .filter(|(p, _)| !p.ends_with("run.status.json"))
                    .collect();
                // Back-link names end in a hash of the tree's place: compare
                // them without it.
                let names = |tree: &BTreeMap<PathBuf, Vec<u8>>| -> Vec<String> {
                    tree.keys()
                        .map(|p| {
                            let p = p.to_string_lossy();
                            match p.rfind('+') {
                                Some(at) if p.contains("descendants/") => p[..at].to_owned(),
                                _ => p.into_owned(),
                            }
                        })
                        .collect()
                };
                assert_eq!(
                    names(&ended),
                    names(&want),
                    "{at}: {last}\nunkilled: {twin_report}"
                );
                for id in ["pre/p1", "pre/p4", "fine/f1", "fine/f3"] {
                    Run::builder(&root)
                        .stage(&id[..id.find('/').unwrap_or(0)])
                        .run_id(&id[id.find('/').map_or(0, |i| i + 1)..])
                        .open()?;
                }
            }
        }
        Ok(())
    }

    const RESUME_KILL_ROLE: &str = "killed-resumer";
    const RESUME_KILL_TEST: &str =
        "kills::a_resumption_killed_at_any_step_leaves_a_run_that_opens_whole_and_can_go";

    /// A requeued job resuming its run: open, guard, a checkpoint written
    /// atomically, a link to the run it grew out of, finish.
    fn resume_once() -> TestResult {
        let root = env("RUNLAYOUT_TEST_ROOT");
        let run = Run::builder(&root).stage("s").run_id("r1").open()?;
        let guard = run.guard();
        runlayout::FilePath::new(run.path().join("checkpoints/epoch_2.ckpt"))
            .write_atomic(b"w2")?;
        let pre = Run::builder(&root).stage("pre").run_id("a").open()?;
        run.link(&pre)?;
        guard.finish()?;
        Ok(())
    }

    #[test]
    fn a_resumption_killed_at_any_step_leaves_a_run_that_opens_whole_and_can_go() -> TestResult {
        if is_child(RESUME_KILL_ROLE) {
            return resume_once();
        }
        let fixture = |root: &str| -> TestResult {
            drop(finished_run(root, "pre", "a", 2)?);
            drop(finished_run(root, "s", "r1", 4)?);
            drop(finished_run(root, "s", "r2", 1)?); // `latest`
            Ok(())
        };
        let resumer = |root: &Path| {
            let mut cmd = Command::new(std::env::current_exe().expect("the test binary"));
            cmd.args([
                RESUME_KILL_TEST,
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(children::CHILD, RESUME_KILL_ROLE)
            .env("RUNLAYOUT_TEST_ROOT", root);
            cmd
        };
        let reference = tempfile::tempdir()?;
        fixture(reference.path().to_str().unwrap_or(""))?;
        let before = snapshot(&reference.path().join("s/r1/checkpoints"));
        let steps = step_counts(resumer(reference.path()));
        assert!(
            reference
                .path()
                .join("s/r1/checkpoints/epoch_2.ckpt")
                .is_file(),
            "the resumer ran"
        );
        for (call, count) in &steps {
            for n in 1..=*count {
                let tmp = tempfile::tempdir()?;
                let root = tmp.path();
                fixture(root.to_str().unwrap_or(""))?;
                killed_at(&resumer(root), call, n);
                let at = format!("killed at {call} #{n}");
                // The run opens, whole: every checkpoint it had, and the new
                // one whole or not there; its status reads.
                let run = Run::builder(root)
                    .stage("s")
                    .run_id("r1")
                    .open()
                    .map_err(|e| format!("{at}: {e}"))?;
                let now = snapshot(&run.path().join("checkpoints"));
                for (path, bytes) in &before {
                    let rel = path.strip_prefix(reference.path())?;
                    assert_eq!(now.get(&root.join(rel)), Some(bytes), "{at}");
                }
                if let Some(new) = now.get(&run.path().join("checkpoints/epoch_2.ckpt")) {
                    assert_eq!(new, b"w2", "{at}: a torn checkpoint");
                }
                let status = run.status().map_err(|e| format!("{at}: {e}"))?;
                assert_ne!(
                    status,
                    runlayout::RunStatus::Running,
                    "{at}: its process is gone"
                );
                if let Some(ancestor) = run.ancestor()? {
                    assert!(ancestor.join(MANIFEST).is_file(), "{at}");
                }
                drop(run);
                // Nothing of the killed process holds the run: a prune may
                // take it, and leaves no temporary of it.
                let said = run_ok(prune_command(root, &["--stage", "s", "--older-than", "0s"]));
                if root.join("s/r1").exists() {
                    let ls = std::process::Command::new("ls")
                        .arg("-la")
                        .arg(root.join("s/r1"))
                        .output()?;
                    let st = std::fs::read_to_string(root.join("s/r1/run.status.json"))
                        .unwrap_or_default();
                    panic!(
                        "{at}: the run stayed claimed: {said}\n{}\n{st}",
                        String::from_utf8_lossy(&ls.stdout)
                    );
                }
                assert_eq!(temporaries(&root.join("s")), Vec::<PathBuf>::new(), "{at}");
            }
        }
        Ok(())
    }
}
