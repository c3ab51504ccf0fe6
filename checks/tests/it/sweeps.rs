//! Sweeps: trials handed to exactly one worker at a time across processes
//! killed at random, Slurm-array tasks claiming their trial, the recorded
//! spec and parameters, and how scans and prune treat the sweep's record.
#![cfg(all(unix, feature = "manifest"))]

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use runlayout::error::TrialReason;
use runlayout::prune::Prune;
use runlayout::scan::Runs;
use runlayout::sweep::Sweep;
use runlayout::{Error, RunStatus};
use serde_json::{Value, json};

use crate::support::{TestResult, clean_env, is_child, spawn_child};

const WORKER: &str = "sweep-worker";
const WORKERS_TEST: &str = "sweeps::killed_workers_finish_every_trial_once_and_never_two_at_once";

/// Whether process `pid` lives (a zombie does not).
fn alive(pid: &str) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let after = stat.rsplit_once(')')?.1.trim_start().chars().next()?;
            Some(after != 'Z' && after != 'X')
        })
        .unwrap_or(false)
}

/// Appends one line to `path` in one write.
fn log(path: &Path, line: &str) -> TestResult {
    let mut file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(format!("{line}\n").as_bytes())?;
    Ok(())
}

/// Takes the marker of trial `n` with O_EXCL; a marker found taken by a
/// live process is a violation (two workers on one trial), one left by a
/// killed worker is taken over.
fn take_marker(
    markers: &Path,
    n: usize,
    log_path: &Path,
) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let marker = markers.join(n.to_string());
    loop {
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&marker)
        {
            Ok(mut file) => {
                file.write_all(std::process::id().to_string().as_bytes())?;
                return Ok(marker);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let mut holder = fs::read_to_string(&marker).unwrap_or_default();
                if holder.is_empty() {
                    // Made and not yet written: by the worker that claimed
                    // the trial before this one (it logged its claim first).
                    holder = last_claimant(log_path, n)?;
                }
                if alive(&holder) {
                    log(log_path, &format!("violation {n} {holder}"))?;
                    // Wait for it to go, so the test ends; the violation is logged.
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
                // Left by a worker that was killed while it worked.
                let _ = fs::remove_file(&marker);
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// The pid of the last other worker that logged a claim of trial `n`.
fn last_claimant(log_path: &Path, n: usize) -> Result<String, Box<dyn std::error::Error>> {
    let me = std::process::id().to_string();
    let lines = fs::read_to_string(log_path)?;
    let prefix = format!("claim {n} ");
    Ok(lines
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .rfind(|pid| *pid != me)
        .unwrap_or_default()
        .to_owned())
}

/// A worker: claims trials until the sweep is done, holding a marker of
/// its own while it works on one.
fn worker() -> TestResult {
    let root = PathBuf::from(std::env::var("RUNLAYOUT_TEST_ROOT")?);
    let sweep = Sweep::resolve(&root, "grid/w")?;
    let markers = root.join("markers");
    let log_path = root.join("log");
    let pid = std::process::id();
    loop {
        let Some(trial) = sweep.claim_next()? else {
            if sweep.is_done()? {
                return Ok(());
            }
            // Trials held by workers that are alive, or killed and not yet
            // reaped: look again.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        let n = trial.number();
        let guard = trial.guard();
        log(&log_path, &format!("claim {n} {pid}"))?;
        let marker = take_marker(&markers, n, &log_path)?;
        std::thread::sleep(Duration::from_millis(15 + (n as u64 * 7) % 30));
        fs::remove_file(&marker)?;
        guard.finish()?;
        log(&log_path, &format!("finish {n} {pid}"))?;
    }
}

#[test]
fn killed_workers_finish_every_trial_once_and_never_two_at_once() -> TestResult {
    if is_child(WORKER) {
        return worker();
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    fs::create_dir(root.join("markers"))?;
    let sweep = Sweep::builder(root)
        .stage("grid")
        .sweep_id("w")
        .grid(
            "lr",
            [0.1, 0.03, 0.01, 0.003, 0.001, 0.0003, 0.0001, 0.00003],
        )
        .grid("seed", [1, 2, 3, 4, 5])
        .create()?;
    assert_eq!(sweep.count(), 40);
    let root_text = root.to_str().ok_or("utf-8 temp dir")?;
    let env = clean_env(&[("RUNLAYOUT_TEST_ROOT", root_text)]);
    let spawn = || spawn_child(WORKERS_TEST, WORKER, &env);
    let mut workers: Vec<_> = (0..8).map(|_| spawn()).collect();
    // A small generator of its own: which worker dies, and when.
    let mut state = u64::from(std::process::id()) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut kills = 0;
    let start = Instant::now();
    while !sweep.is_done()? {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the sweep never ended"
        );
        std::thread::sleep(Duration::from_millis(10 + next() % 30));
        if kills < 12 {
            let i = (next() % 8) as usize;
            if workers[i].try_wait()?.is_none() {
                workers[i].kill()?; // SIGKILL: no guard, no cleanup
                workers[i].wait()?;
                kills += 1;
            }
            workers[i] = spawn();
        }
    }
    for mut worker in workers {
        let status = worker.wait()?;
        if !status.success() {
            let mut err = String::new();
            if let Some(mut stderr) = worker.stderr.take() {
                std::io::Read::read_to_string(&mut stderr, &mut err)?;
            }
            return Err(format!("a worker failed: {status}\n{err}").into());
        }
    }
    assert!(kills >= 5, "only {kills} workers were killed");
    let lines = fs::read_to_string(root.join("log"))?;
    let violations: Vec<&str> = lines
        .lines()
        .filter(|l| l.starts_with("violation"))
        .collect();
    assert!(
        violations.is_empty(),
        "two workers on one trial: {violations:?}"
    );
    // Per trial: its claims and finishes, in order.
    let mut events: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for line in lines.lines() {
        let mut parts = line.split(' ');
        let (Some(kind), Some(n)) = (parts.next(), parts.next()) else {
            continue;
        };
        events.entry(n.parse()?).or_default().push(kind);
    }
    assert_eq!(events.len(), 40, "every trial was claimed");
    for (n, kinds) in &events {
        let finishes = kinds.iter().filter(|k| **k == "finish").count();
        assert!(
            finishes <= 1,
            "trial {n} finished {finishes} times: {kinds:?}"
        );
        if let Some(at) = kinds.iter().position(|k| *k == "finish") {
            assert_eq!(
                at,
                kinds.len() - 1,
                "trial {n} claimed after it finished: {kinds:?}"
            );
        }
    }
    let states = sweep.trials()?;
    assert!(states.iter().all(|t| t.status == Some(RunStatus::Finished)));
    let listing = Runs::scan(root).list()?;
    assert!(listing.problems.is_empty(), "{:?}", listing.problems);
    assert_eq!(listing.runs.len(), 40, "one run per trial, and no other");
    Ok(())
}

const TASK: &str = "sweep-array-task";
const ARRAY_TEST: &str =
    "sweeps::slurm_array_tasks_claim_their_trial_and_a_requeued_crash_finishes";

/// A Slurm array task: claims the trial its task id names; the crashing
/// one hangs until it is killed.
fn array_task() -> TestResult {
    let root = PathBuf::from(std::env::var("RUNLAYOUT_TEST_ROOT")?);
    let n: usize = std::env::var("SLURM_ARRAY_TASK_ID")?.parse()?;
    let sweep = Sweep::resolve(&root, "array/a")?;
    let trial = sweep.claim(n)?;
    let guard = trial.guard();
    if std::env::var("RUNLAYOUT_TEST_CRASH").is_ok_and(|v| v == "1") {
        println!("working");
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    trial.run().summary().set("task", n)?;
    guard.finish()?;
    Ok(())
}

#[test]
fn slurm_array_tasks_claim_their_trial_and_a_requeued_crash_finishes() -> TestResult {
    if is_child(TASK) {
        return array_task();
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let sweep = Sweep::builder(root)
        .stage("array")
        .sweep_id("a")
        .grid("lr", [0.1, 0.01, 0.001])
        .grid("seed", [1, 2])
        .create()?;
    let root_text = root.to_str().ok_or("utf-8")?;
    let numbers: Vec<String> = (0..6).map(|n| n.to_string()).collect();
    let task = |n: &str, crash: &str| {
        let env = clean_env(&[
            ("RUNLAYOUT_TEST_ROOT", root_text),
            ("SLURM_ARRAY_TASK_ID", n),
            ("RUNLAYOUT_TEST_CRASH", crash),
        ]);
        spawn_child(ARRAY_TEST, TASK, &env)
    };
    let mut crashing = task(&numbers[3], "1");
    let others: Vec<_> = numbers
        .iter()
        .filter(|n| *n != "3")
        .map(|n| task(n, "0"))
        .collect();
    // The crashing task is killed and reaped whatever the checks meanwhile say.
    let checked = (|| -> TestResult {
        // Wait until task 3 holds its trial: then nobody else may take it.
        let start = Instant::now();
        while sweep.trials()?[3].status != Some(RunStatus::Running) {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "task 3 never started"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let held = sweep.claim(3).map(drop);
        assert!(
            matches!(
                held,
                Err(Error::TrialUnavailable {
                    reason: TrialReason::Held,
                    trial: 3,
                    ..
                })
            ),
            "{held:?}"
        );
        for other in others {
            crate::support::child_lines(other, "");
        }
        Ok(())
    })();
    let killed = crashing.kill(); // SIGKILL, as a node failure leaves it
    crashing.wait()?;
    killed?;
    checked?;
    assert_eq!(sweep.trials()?[3].status, Some(RunStatus::Crashed));
    assert!(!sweep.is_done()?);
    // Requeued: the same task id runs again.
    crate::support::child_lines(task(&numbers[3], "0"), "");
    assert!(sweep.is_done()?);
    let states = sweep.trials()?;
    for state in &states {
        assert_eq!(state.status, Some(RunStatus::Finished), "{state:?}");
        assert_eq!(state.summary["task"], state.number);
    }
    let requeued = runlayout::Run::resolve(root, "array/a-t003")?;
    assert_eq!(
        requeued.restarts()?.len(),
        1,
        "the requeue is a restart of the trial's run"
    );
    Ok(())
}

#[test]
fn a_changed_spec_is_refused_naming_the_difference() -> TestResult {
    let root = tempfile::tempdir()?;
    let made = Sweep::builder(root.path())
        .stage("s")
        .sweep_id("lr")
        .grid("lr", [0.1, 0.01])
        .grid("seed", [1, 2])
        .create()?;
    let again = Sweep::builder(root.path())
        .stage("s")
        .sweep_id("lr")
        .grid("lr", [0.1, 0.01])
        .grid("seed", [1, 2])
        .create()?;
    assert_eq!(again.hash(), made.hash());
    let cases: [(Sweep2, &str); 3] = [
        (
            |b| b.grid("lr", [0.1, 0.02]).grid("seed", [1, 2]),
            "grid parameter `lr`: values [0.1,0.01] recorded, [0.1,0.02] given",
        ),
        (
            |b| b.grid("seed", [1, 2]).grid("lr", [0.1, 0.01]),
            "grid parameters [\"lr\", \"seed\"] recorded, [\"seed\", \"lr\"] given",
        ),
        (
            |b| {
                b.grid("lr", [0.1, 0.01])
                    .grid("seed", [1, 2])
                    .trials([json!({"lr": 1})])
            },
            "0 explicit trials recorded, 1 given",
        ),
    ];
    for (change, difference) in cases {
        let builder = Sweep::builder(root.path()).stage("s").sweep_id("lr");
        match change(builder).create() {
            Err(Error::SweepChanged {
                path,
                difference: said,
            }) => {
                assert_eq!(said, difference);
                assert_eq!(path, root.path().join("s/sweep+lr"));
            }
            other => return Err(format!("{other:?}").into()),
        }
    }
    // Nothing on disk changed.
    let record: Value =
        serde_json::from_slice(&fs::read(root.path().join("s/sweep+lr/sweep.json"))?)?;
    assert_eq!(record["hash"], made.hash());
    assert_eq!(record["spec"]["count"], 4);
    Ok(())
}

type Sweep2 = fn(runlayout::sweep::SweepBuilder) -> runlayout::sweep::SweepBuilder;

#[test]
fn a_list_and_a_grid_give_the_recorded_params() -> TestResult {
    let root = tempfile::tempdir()?;
    let sweep = Sweep::builder(root.path())
        .stage("s")
        .sweep_id("mixed")
        .grid("lr", [0.1, 0.01])
        .grid("opt", ["adam", "sgd"])
        .trials([json!({"lr": 0.5, "opt": "lion", "warmup": 100})])
        .create()?;
    assert_eq!(sweep.count(), 5);
    assert_eq!(sweep.param_names(), ["lr", "opt", "warmup"]);
    let mut seen = Vec::new();
    while let Some(trial) = sweep.claim_next()? {
        let manifest: Value =
            serde_json::from_slice(&fs::read(trial.run().path().join("run.json"))?)?;
        assert_eq!(
            manifest["sweep"],
            json!({"id": "mixed", "trial": trial.number()})
        );
        assert_eq!(manifest["stage"], "s");
        seen.push((
            trial.run().id().as_str().to_owned(),
            manifest["params"].clone(),
        ));
        trial.guard().finish()?;
    }
    assert_eq!(
        seen,
        [
            ("mixed-t000".to_owned(), json!({"lr": 0.1, "opt": "adam"})),
            ("mixed-t001".to_owned(), json!({"lr": 0.1, "opt": "sgd"})),
            ("mixed-t002".to_owned(), json!({"lr": 0.01, "opt": "adam"})),
            ("mixed-t003".to_owned(), json!({"lr": 0.01, "opt": "sgd"})),
            (
                "mixed-t004".to_owned(),
                json!({"lr": 0.5, "opt": "lion", "warmup": 100})
            ),
        ]
    );
    let bad = Sweep::builder(root.path())
        .stage("s")
        .trials([json!([1, 2])])
        .create();
    assert!(matches!(bad, Err(Error::InvalidParams { .. })), "{bad:?}");
    let bad = Sweep::builder(root.path())
        .stage("s")
        .sweep_id("a/b")
        .grid("x", [1])
        .create();
    assert!(matches!(bad, Err(Error::InvalidName { .. })), "{bad:?}");
    Ok(())
}

#[test]
fn scans_and_prune_pass_over_the_sweep_record_and_prune_a_whole_sweep() -> TestResult {
    let root = tempfile::tempdir()?;
    let other = runlayout::Run::builder(root.path())
        .stage("s")
        .run_id("other")
        .create()?;
    other.finish()?;
    drop(other);
    let sweep = Sweep::builder(root.path())
        .stage("s")
        .sweep_id("p")
        .grid("x", [1, 2, 3])
        .create()?;
    while let Some(trial) = sweep.claim_next()? {
        trial.guard().finish()?;
    }
    let listing = Runs::scan(root.path()).list()?;
    assert!(listing.problems.is_empty(), "{:?}", listing.problems);
    let ids: Vec<&str> = listing.runs.iter().map(|r| r.run.id().as_str()).collect();
    assert_eq!(ids, ["other", "p-t000", "p-t001", "p-t002"]);
    // A prune of everything but the latest never takes the record.
    let plan = Prune::new(root.path())
        .status([RunStatus::Finished])
        .plan()?;
    assert!(
        plan.problems.is_empty() && plan.trash.is_empty(),
        "{plan:?}"
    );
    assert_eq!(plan.remove.len(), 3);
    // The sweep's own prune selects its trials only.
    let plan = sweep.prune().plan()?;
    let removed: Vec<&str> = plan.remove.iter().map(|c| c.run.id().as_str()).collect();
    assert_eq!(removed, ["p-t000", "p-t001"]);
    assert_eq!(
        plan.kept.len(),
        1,
        "the stage's latest stays: {:?}",
        plan.kept
    );
    plan.execute()?;
    assert!(!sweep.remove()?, "a trial is left");
    assert!(sweep.path().join("sweep.json").is_file());
    // A pruned trial is not run again by claim_next.
    assert!(sweep.claim_next()?.is_none());
    let states = sweep.trials()?;
    assert_eq!(states[0].status, None);
    assert_eq!(states[2].status, Some(RunStatus::Finished));
    // Once the last trial is gone, the record goes with the sweep.
    fs::remove_dir_all(sweep.trial_path(2))?;
    assert!(sweep.remove()?);
    assert!(!sweep.path().exists());
    assert!(root.path().join("s/other").is_dir());
    let left: Vec<String> = fs::read_dir(root.path().join("s"))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    assert!(
        left.iter()
            .all(|n| !n.starts_with('.') && !n.starts_with("sweep+")),
        "{left:?}"
    );
    let gone = Sweep::resolve(root.path(), "s/p");
    assert!(matches!(gone, Err(Error::SweepNotFound { .. })), "{gone:?}");
    Ok(())
}

#[test]
fn hostile_files_in_the_record_are_errors_never_hangs() -> TestResult {
    let root = tempfile::tempdir()?;
    let sweep = Sweep::builder(root.path())
        .stage("s")
        .sweep_id("h")
        .grid("x", [1, 2])
        .create()?;
    // A FIFO where a trial's claim belongs, a symlink where the other's.
    let fifo = sweep.path().join("claims/0");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status()?;
    assert!(made.success());
    std::os::unix::fs::symlink("/etc/hostname", sweep.path().join("claims/1"))?;
    let err = sweep.claim(0).map(drop).unwrap_err();
    assert!(err.to_string().contains("claims/0"), "{err}");
    let err = sweep.claim(1).map(drop).unwrap_err();
    assert!(err.to_string().contains("claims/1"), "{err}");
    // A record changed by hand is named, not trusted.
    let record = sweep.path().join("sweep.json");
    let text = fs::read_to_string(&record)?.replace("\"count\": 2", "\"count\": 3");
    fs::write(&record, text)?;
    let err = Sweep::resolve(root.path(), "s/h").map(drop).unwrap_err();
    assert!(matches!(err, Error::InvalidRecord { .. }), "{err}");
    Ok(())
}

#[cfg(feature = "clap")]
#[test]
fn run_args_start_the_trial_a_sweep_flag_or_variable_names() -> TestResult {
    use clap::Parser;
    use std::ffi::OsString;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        run: runlayout::RunArgs,
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().ok_or("utf-8")?;
    let sweep = Sweep::builder(root)
        .stage("s")
        .sweep_id("a")
        .grid("lr", [0.1, 0.01, 0.001])
        .create()?;
    let parse =
        |args: &[&str]| Cli::try_parse_from(["train", "--run-root", root].iter().chain(args));
    // A Slurm array task: its number.
    let one = parse(&["--run-sweep", "s/a", "--run-trial", "1"])?
        .run
        .start_with(|_| None)?;
    assert_eq!(one.path(), sweep.trial_path(1));
    assert_eq!(one.params()?, Some(json!({"lr": 0.01})));
    // Identical workers: the next one left, while the first holds its own.
    let next = parse(&["--run-stage", "s", "--run-sweep", "a"])?
        .run
        .start_with(|_| None)?;
    assert_eq!(next.path(), sweep.trial_path(0));
    // The variables, when no flag chooses the run.
    let vars = |var: &str| match var {
        "RUNLAYOUT_SWEEP" => Some(OsString::from("s/a")),
        "RUNLAYOUT_TRIAL" => Some(OsString::from("next")),
        _ => None,
    };
    let third = parse(&[])?.run.start_with(vars)?;
    assert_eq!(third.path(), sweep.trial_path(2));
    let typed = parse(&["--run-id", "plain"])?.run.start_with(vars)?;
    assert_eq!(
        typed.path(),
        tmp.path().join("plain"),
        "a typed flag beats the variable"
    );
    for run in [&one, &next, &third] {
        run.finish()?;
    }
    let none = parse(&["--run-sweep", "s/a"])?.run.start_with(|_| None);
    assert!(matches!(none, Err(Error::NoTrialLeft { .. })), "{none:?}");
    drop(one);
    // Other tests of this binary start children meanwhile: a child forked
    // and not yet exec'd shares this process's open files, and with them
    // the trial's lock, for that instant.
    let start = Instant::now();
    let done = loop {
        let done = parse(&["--run-sweep", "s/a", "--run-trial", "1"])?
            .run
            .start_with(|_| None);
        let held = matches!(
            done,
            Err(Error::TrialUnavailable {
                reason: TrialReason::Held,
                ..
            })
        );
        if !held || start.elapsed() > Duration::from_secs(5) {
            break done;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(
        matches!(
            done,
            Err(Error::TrialUnavailable {
                reason: TrialReason::Finished,
                ..
            })
        ),
        "{done:?}"
    );
    assert!(
        parse(&["--run-sweep", "s/a", "--run-id", "x"]).is_err(),
        "one way to choose the run"
    );
    assert!(parse(&["--run-sweep", "s/a", "--run-trial", "last"]).is_err());
    let bad = |var: &str| (var == "RUNLAYOUT_TRIAL").then(|| OsString::from("first"));
    let bad = parse(&["--run-sweep", "s/a"])?.run.start_with(bad);
    assert!(
        matches!(
            bad,
            Err(Error::InvalidEnv {
                var: "RUNLAYOUT_TRIAL",
                ..
            })
        ),
        "{bad:?}"
    );
    Ok(())
}
