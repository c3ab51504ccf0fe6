//! The run record stays one truth under ranks, kills and hostile files, as
//! the library and the `runlayout` command both report it: stress and kill
//! tests checked by `support/checker.rs`, and the command on a hostile tree.

#[path = "support/checker.rs"]
mod checker;
#[path = "../../checks/tests/it/support/children.rs"]
#[allow(dead_code)]
mod children;

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use children::{is_child, spawn_child};
use runlayout::{LinkStyle, Nesting, Run, names::MANIFEST};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A small xorshift generator: the tests need varied, not secret, numbers.
struct Rng(u64);

impl Rng {
    fn seeded() -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        Rng((nanos ^ (u64::from(std::process::id()) << 32)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set for children"))
}

fn style(name: &str) -> LinkStyle {
    if name == "pointer" {
        LinkStyle::PointerFile
    } else {
        LinkStyle::Auto
    }
}

#[test]
fn relinks_from_eight_threads_leave_one_story() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let run = Run::builder(root).stage("run").create()?;
    let ancestors: Vec<Run> = (0..6)
        .map(|i| {
            let stage = if i % 2 == 0 { "anc" } else { "other" };
            Run::builder(root).stage(stage).create()
        })
        .collect::<Result<_, _>>()?;
    let expected: HashSet<PathBuf> = ancestors
        .iter()
        .map(|a| a.path().canonicalize())
        .collect::<Result<_, _>>()?;
    run.link(&ancestors[0])?;
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (done, run, expected) = (done.clone(), run.clone(), expected.clone());
        std::thread::spawn(move || {
            let mut reads = 0u64;
            while !done.load(Ordering::Relaxed) {
                let target = run.ancestor().expect("readable").expect("never missing");
                assert!(expected.contains(&target), "points at {target:?}");
                assert!(target.join(MANIFEST).is_file(), "half-made target");
                assert!(run.manifest().expect("manifest").is_some());
                reads += 1;
            }
            reads
        })
    };
    std::thread::scope(|s| {
        for t in 0..8u64 {
            let (run, ancestors) = (&run, &ancestors);
            s.spawn(move || {
                let mut rng = Rng(0x9e37_79b9 ^ ((t + 1) * 0x1000_0001));
                for _ in 0..500 {
                    let to = &ancestors[rng.below(ancestors.len())];
                    run.link(to).expect("relink");
                }
            });
        }
    });
    done.store(true, Ordering::Relaxed);
    assert!(reader.join().expect("a reader saw a broken record") > 0);
    let report = checker::check(root, None, 8);
    assert_eq!(report.runs, 7);
    assert_eq!(report.linked, 1);
    assert_eq!(
        report.temporaries, 0,
        "no temporary is left by live writers"
    );
    Ok(())
}

const JOIN_ROLE: &str = "join-and-link";
const JOIN_TEST: &str = "sixteen_ranks_joining_while_one_links_leave_one_story";
const JOIN_ROUNDS: usize = 50;

/// One rank: for each round, join the round's run; rank 0 also links it.
/// Every rank must find the run complete (its manifest there) on return.
fn join_rounds() -> TestResult {
    let root = env("RUNLAYOUT_TEST_ROOT");
    let rank: usize = env("RUNLAYOUT_TEST_RANK").parse()?;
    let ancestor = Run::builder(&root).stage("pre").run_id("anc").open()?;
    for round in 0..JOIN_ROUNDS {
        let run = Run::builder(&root)
            .stage("job")
            .run_id(format!("round-{round}"))
            .create_or_open()?;
        assert!(
            run.path().join(MANIFEST).is_file(),
            "create_or_open returned a run without its manifest"
        );
        if rank == 0 {
            run.link(&ancestor)?;
        }
        println!("JOINED={round}|{}", run.is_new());
    }
    Ok(())
}

#[test]
fn sixteen_ranks_joining_while_one_links_leave_one_story() -> TestResult {
    if is_child(JOIN_ROLE) {
        return join_rounds();
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8 temp dir");
    let ancestor = Run::builder(root).stage("pre").run_id("anc").create()?;
    let children: Vec<_> = (0..16)
        .map(|rank| {
            let rank = rank.to_string();
            spawn_child(
                JOIN_TEST,
                JOIN_ROLE,
                &[
                    ("RUNLAYOUT_TEST_ROOT", root),
                    ("RUNLAYOUT_TEST_RANK", &rank),
                ],
            )
        })
        .collect();
    let lines: Vec<String> = children
        .into_iter()
        .flat_map(|c| children::child_lines(c, "JOINED="))
        .collect();
    assert_eq!(lines.len(), 16 * JOIN_ROUNDS);
    for round in 0..JOIN_ROUNDS {
        let creators = lines
            .iter()
            .filter(|l| **l == format!("{round}|true"))
            .count();
        assert_eq!(creators, 1, "round {round} had {creators} creators");
    }
    let report = checker::check(tmp.path(), None, 10);
    assert_eq!(report.runs, 1 + JOIN_ROUNDS);
    assert_eq!(
        report.linked, JOIN_ROUNDS,
        "every round's run records its ancestor"
    );
    assert_eq!(ancestor.descendants()?.len(), JOIN_ROUNDS);
    Ok(())
}

const KILL_ROLE: &str = "churn";
const KILL_TEST: &str = "kills_at_random_instants_leave_one_story";

/// Creates, joins and links runs until it is killed, saying which
/// creations finished.
fn churn() -> TestResult {
    let root = env("RUNLAYOUT_TEST_ROOT");
    let style = style(&env("RUNLAYOUT_TEST_STYLE"));
    let mut rng = Rng::seeded();
    let mut mine: Vec<Run> = Vec::new();
    // Asking git for the provenance would take most of a child's short life.
    let builder = || Run::builder(&root).record_git(false).link_style(style);
    // Runs of earlier (killed) children, to link across lives.
    for stage in ["a", "b"] {
        if let Ok(run) = Run::builder(&root).stage(stage).open_latest() {
            mine.push(run);
        }
    }
    loop {
        let made = match rng.below(5) {
            0 | 1 => {
                let stage = ["a", "b"][rng.below(2)];
                Some(
                    Run::builder(&root)
                        .stage(stage)
                        .link_style(style)
                        .create()?,
                )
            }
            2 => Some(builder().nesting(Nesting::RunFirst).stage("r").create()?),
            // Few seeds: later children join (or complete) what earlier
            // ones made, and are killed while joining too.
            3 => match builder()
                .stage("j")
                .seed(rng.below(6) as u64)
                .join_timeout(Duration::from_millis(200))
                .create_or_open()
            {
                Ok(run) => Some(run),
                // A creator killed before its manifest, a moment ago.
                Err(runlayout::Error::IncompleteRun { .. }) => None,
                Err(e) => return Err(e.into()),
            },
            _ => {
                if mine.len() >= 2 {
                    let from = rng.below(mine.len());
                    let to = rng.below(mine.len());
                    mine[from].link(&mine[to])?;
                }
                None
            }
        };
        if let Some(run) = made {
            println!("DONE={}", run.path().display());
            mine.push(run);
        }
    }
}

#[cfg(unix)]
#[test]
fn kills_at_random_instants_leave_one_story() -> TestResult {
    if is_child(KILL_ROLE) {
        return churn();
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8 temp dir");
    let mut rng = Rng::seeded();
    let mut finished: Vec<PathBuf> = Vec::new();
    let mut kills = 0;
    for round in 0..110 {
        let style = if round % 2 == 0 { "auto" } else { "pointer" };
        let mut child = spawn_child(
            KILL_TEST,
            KILL_ROLE,
            &[
                ("RUNLAYOUT_TEST_ROOT", root),
                ("RUNLAYOUT_TEST_STYLE", style),
            ],
        );
        // Once the child is at work (a new folder appeared), kill it at a
        // random instant of what it does next.
        let before = folders_below(tmp.path());
        let start = Instant::now();
        while folders_below(tmp.path()) == before && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_micros(rng.below(30_000) as u64));
        let killed = child.kill(); // SIGKILL
        let out = child.wait_with_output()?;
        killed?;
        kills += 1;
        let stdout = String::from_utf8_lossy(&out.stdout);
        // A line cut short by the kill has no newline: only whole lines count.
        let whole = stdout.rfind('\n').map_or("", |end| &stdout[..end]);
        finished.extend(
            whole
                .lines()
                .filter_map(|l| l.find("DONE=").map(|at| PathBuf::from(&l[at + 5..]))),
        );
        if round % 37 == 36 {
            checker::check(tmp.path(), Some(&finished), 5);
        }
    }
    assert!(kills >= 100);
    assert!(
        finished.len() >= 30,
        "the children finished only {} runs",
        finished.len()
    );
    let report = checker::check(tmp.path(), Some(&finished), 20);
    eprintln!(
        "after {kills} kills: {report:?}, {} creations finished",
        finished.len()
    );
    assert!(report.linked > 0, "no link survived: {report:?}");
    // The same run finished by two children: one made it, one joined.
    let of_j: Vec<&PathBuf> = finished
        .iter()
        .filter(|p| p.starts_with(tmp.path().join("j")))
        .collect();
    let distinct: std::collections::BTreeSet<&PathBuf> = of_j.iter().copied().collect();
    assert!(
        of_j.len() > distinct.len(),
        "no child joined a run another had made: {of_j:?}"
    );
    // Later work goes on as if nothing had happened.
    // (Under a heavy load the children may never have finished a run of
    // stage `a`; then the later work starts from a new one.)
    let mut previous = match Run::builder(root).stage("a").open_latest() {
        Ok(run) => run,
        Err(runlayout::Error::NoLatestRun { .. }) => Run::builder(root).stage("a").create()?,
        Err(e) => return Err(e.into()),
    };
    for _ in 0..10 {
        let run = Run::builder(root).stage("a").create()?;
        run.link(&previous)?;
        finished.push(run.path().to_path_buf());
        previous = run;
    }
    checker::check(tmp.path(), Some(&finished), 5);
    Ok(())
}

/// How many folders the tree below `root` holds, two levels deep.
fn folders_below(root: &Path) -> usize {
    let count = |dir: &Path| {
        fs::read_dir(dir).map_or(0, |entries| {
            entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .count()
        })
    };
    let mut total = count(root);
    for entry in fs::read_dir(root).into_iter().flatten().flatten() {
        total += count(&entry.path());
    }
    total
}

fn runlayout(root: &Path, args: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_runlayout"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env_remove("RUNLAYOUT_ROOT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the binary");
    // A hung command is killed rather than hanging the test.
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().expect("output");
    (out, start.elapsed())
}

#[cfg(target_os = "linux")]
#[test]
fn every_command_finishes_on_a_hostile_tree() -> TestResult {
    use std::os::unix::ffi::OsStrExt;

    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let good = Run::builder(root).stage("s").run_id("good").create()?;
    let fifo = Run::builder(root).stage("s").run_id("fifo").create()?;
    fs::remove_file(fifo.path().join(MANIFEST))?;
    assert!(
        Command::new("mkfifo")
            .arg(fifo.path().join(MANIFEST))
            .status()?
            .success()
    );
    let zero = Run::builder(root).stage("s").run_id("zero").create()?;
    fs::remove_file(zero.path().join(MANIFEST))?;
    std::os::unix::fs::symlink("/dev/zero", zero.path().join(MANIFEST))?;
    // Names that are not UTF-8: a stage folder, a run folder, a file in a run.
    let bad = std::ffi::OsStr::from_bytes(b"bad\xffname");
    fs::create_dir_all(root.join(bad).join("r1"))?;
    fs::create_dir_all(root.join("s").join(bad))?;
    fs::write(good.path().join(bad), "data")?;
    // A back-link folder with a long name, a path of 300 bytes below it.
    let long = good
        .path()
        .join("descendants")
        .join("d".repeat(200))
        .join("e".repeat(100));
    fs::create_dir_all(&long)?;
    // A manifest that disagrees with its folder.
    let moved = Run::builder(root).stage("s").run_id("moved").create()?;
    let text = fs::read_to_string(moved.path().join(MANIFEST))?;
    fs::write(
        moved.path().join(MANIFEST),
        text.replace("\"moved\"", "\"orig\""),
    )?;
    let linked = Run::builder(root).stage("t").run_id("child").create()?;
    linked.link(&good)?;
    // The status and layout records a FIFO and a device.
    let records = Run::builder(root).stage("s").run_id("records").create()?;
    assert!(
        Command::new("mkfifo")
            .arg(records.path().join("run.status.json"))
            .status()?
            .success()
    );
    std::os::unix::fs::symlink("/dev/zero", records.path().join("run.layout.json"))?;

    let commands: &[&[&str]] = &[
        &["ls"],
        &["ls", "--json"],
        &["ls", "--stage", "s"],
        &["show", "s/good"],
        &["show", "--json", "s/good"],
        &["show", "s/fifo"],
        &["show", "--json", "s/zero"],
        &["show", "s/moved"],
        &["tree", "s/good"],
        &["tree", "--json", "s/good"],
        &["latest", "--stage", "s"],
        &["link", "t/child", "s/good"],
        &["show", "s/records"],
        &["show", "--json", "s/records"],
        &["ls", "--status", "failed,crashed"],
        &["path", "s/records", "checkpoint"],
        &["path", "s/fifo", "checkpoint"],
        &["path", "s/good", "checkpoint"],
        &["prune", "--status", "failed,crashed"],
        &["prune", "--json", "--stage", "s", "--keep-last", "1"],
        &["prune", "--yes", "--status", "failed"],
    ];
    for args in commands {
        let (out, took) = runlayout(root, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(took < Duration::from_secs(1), "{args:?} took {took:?}");
        assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {:?}",
            out.status
        );
        if args.contains(&"--json") && out.status.success() {
            serde_json::from_slice::<serde_json::Value>(&out.stdout)
                .unwrap_or_else(|e| panic!("{args:?} printed no JSON: {e}"));
        }
    }
    // The faults are reported, each naming its place.
    let (out, _) = runlayout(root, &["ls"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success());
    for part in ["FIFO", "device", "s/moved/run.json"] {
        assert!(stderr.contains(part), "ls does not report {part}: {stderr}");
    }
    let (out, _) = runlayout(root, &["show", "s/fifo"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FIFO"));
    // Nothing was removed: no run had failed or crashed.
    for run in [&good, &fifo, &zero, &moved, &linked, &records] {
        assert!(run.path().is_dir(), "{} went", run.path().display());
    }
    Ok(())
}

#[test]
fn copied_runs_are_named_by_their_folder() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let orig = Run::builder(root).stage("s").run_id("orig").create()?;
    let copy = root.join("s/copy");
    fs::create_dir_all(&copy)?;
    fs::copy(orig.path().join(MANIFEST), copy.join(MANIFEST))?;
    let (out, _) = runlayout(root, &["show", "--json", "s/orig"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (out, _) = runlayout(root, &["show", "--json", "s/copy"]);
    assert_eq!(out.status.code(), Some(1), "the copy's manifest disagrees");
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(shown["id"], "copy");
    let problems = shown["problems"].to_string();
    assert!(
        problems.contains("run id") && problems.contains("s/copy"),
        "{problems}"
    );
    Ok(())
}

#[test]
fn show_reports_what_it_cannot_read_and_shows_the_rest() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let truncated = Run::builder(root).stage("s").run_id("cut").create()?;
    let text = fs::read_to_string(truncated.path().join(MANIFEST))?;
    fs::write(truncated.path().join(MANIFEST), &text[..text.len() / 2])?;
    let (out, _) = runlayout(root, &["show", "s/cut"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("id:          cut"), "{stdout}");
    assert!(
        stdout.contains("problems:") && stdout.contains("run.json"),
        "{stdout}"
    );

    let odd = Run::builder(root).stage("s").run_id("odd").create()?;
    fs::create_dir(odd.path().join("ancestor"))?;
    fs::create_dir(odd.path().join("descendants"))?;
    fs::write(odd.path().join("descendants/notes.txt"), "mine")?;
    let child = Run::builder(root).stage("t").run_id("kid").create()?;
    child.link(&odd)?;
    let (out, _) = runlayout(root, &["show", "--json", "s/odd"]);
    assert_eq!(out.status.code(), Some(1));
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(
        shown["descendants"][0],
        child.path().canonicalize()?.display().to_string()
    );
    assert!(
        shown["problems"].to_string().contains("ancestor"),
        "{shown}"
    );
    assert!(odd.path().join("descendants/notes.txt").is_file());
    Ok(())
}
