//! What a run was: its parameters, results, tags and note, its restarts,
//! its status as any host judges it (heartbeats, untracked runs), a guard
//! that fails with a reason, and `latest-finished`.
#![cfg(feature = "manifest")]

use std::fs;
use std::time::Duration;

use crate::support::{self, TestResult, child_lines, clean_env, forge, is_child, spawn_child};
use runlayout::{
    Error, Run, RunStatus,
    names::{RESTARTS, STATUS, SUMMARY},
};
use serde_json::{Value, json};

#[derive(serde::Serialize)]
struct Config {
    lr: f64,
    seed: u32,
    data: &'static str,
}

// 1. Parameters.

#[test]
fn parameters_are_recorded_once_at_creation_and_read_back() -> TestResult {
    let root = tempfile::tempdir()?;
    let config = Config {
        lr: 0.01,
        seed: 3,
        data: "c4",
    };
    let run = Run::builder(root.path())
        .stage("s")
        .run_id("r")
        .params(&config)
        .create()?;
    let expected = json!({ "lr": 0.01, "seed": 3, "data": "c4" });
    assert_eq!(run.params()?, Some(expected.clone()));
    let manifest: Value = serde_json::from_slice(&fs::read(run.path().join("run.json"))?)?;
    assert_eq!(manifest["params"], expected);

    // Anything but an object is refused, naming the value, before anything
    // is written.
    let err = Run::builder(root.path())
        .stage("s")
        .run_id("list")
        .params(&[1, 2])
        .create()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidParams { .. }), "{err:?}");
    assert!(err.to_string().contains("[1,2]"), "{err}");
    assert!(!root.path().join("s/list").exists());

    // A run made without parameters has none.
    let bare = Run::builder(root.path()).create()?;
    assert_eq!(bare.params()?, None);
    Ok(())
}

#[test]
fn resuming_with_other_parameters_keeps_the_first_and_records_the_new() -> TestResult {
    let root = tempfile::tempdir()?;
    let first = json!({ "lr": 0.01, "seed": 1 });
    let run = Run::builder(root.path())
        .run_id("r")
        .params(&first)
        .create()?;
    // Same parameters: nothing to record beyond the restart.
    Run::builder(root.path())
        .run_id("r")
        .params(&first)
        .open()?;
    let changed = json!({ "lr": 0.02, "seed": 1 });
    Run::builder(root.path())
        .run_id("r")
        .params(&changed)
        .create_or_open()?;
    assert_eq!(run.params()?, Some(first));
    let restarts = run.restarts()?;
    assert_eq!(restarts.len(), 2);
    assert_eq!(restarts[0].params, None);
    assert_eq!(restarts[1].params.clone().map(Value::Object), Some(changed));
    Ok(())
}

#[cfg(feature = "clap")]
#[test]
fn a_clap_program_records_its_own_flags_and_not_run_args() -> TestResult {
    use clap::Parser;

    #[derive(Parser, serde::Serialize)]
    struct Cli {
        #[arg(long, default_value_t = 0.01)]
        lr: f64,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[command(flatten)]
        #[serde(flatten)]
        run: runlayout::RunArgs,
    }

    let root = tempfile::tempdir()?;
    let root_text = root.path().to_str().expect("utf-8");
    let cli = Cli::parse_from([
        "train",
        "--lr",
        "0.1",
        "--seed",
        "7",
        "--run-root",
        root_text,
        "--run-stage",
        "pretrain",
    ]);
    let run = cli.run.start_with_params(&cli)?;
    assert_eq!(run.params()?, Some(json!({ "lr": 0.1, "seed": 7 })));
    Ok(())
}

// 2 and 3. Results, tags and notes.

#[test]
fn summary_tags_and_note_are_kept_next_to_the_manifest() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).create()?;
    let manifest_before = fs::read(run.path().join("run.json"))?;
    let summary = run.summary();
    summary.set("val_loss", 0.25)?;
    summary.set("best_epoch", 17)?;
    summary.set("val_loss", 0.21)?;
    assert_eq!(summary.get("val_loss")?, Some(json!(0.21)));
    assert_eq!(summary.get("missing")?, None);
    assert_eq!(
        Value::Object(summary.read()?),
        json!({ "val_loss": 0.21, "best_epoch": 17 })
    );

    run.add_tag("paper-fig-3")?;
    run.add_tag("baseline")?;
    run.add_tag("baseline")?;
    run.add_tag("draft")?;
    run.remove_tag("draft")?;
    assert_eq!(run.tags()?, ["baseline", "paper-fig-3"]);
    for bad in ["two words", "-draft", "", "a/b"] {
        let err = run.add_tag(bad).unwrap_err();
        assert!(matches!(err, Error::InvalidName { .. }), "{bad:?}: {err:?}");
        assert!(err.to_string().starts_with("tag "), "{err}");
    }
    assert_eq!(run.note()?, None);
    run.set_note("warmup off: not comparable")?;
    assert_eq!(run.note()?.as_deref(), Some("warmup off: not comparable"));

    // run.json is written once; the rest is in its own record, whole.
    assert_eq!(fs::read(run.path().join("run.json"))?, manifest_before);
    let record: Value = serde_json::from_slice(&fs::read(run.path().join(SUMMARY))?)?;
    assert_eq!(record["tags"], json!(["baseline", "paper-fig-3"]));
    assert_eq!(record["summary"]["best_epoch"], 17);
    Ok(())
}

#[test]
fn a_summary_record_that_is_not_one_is_an_error_and_stays() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).create()?;
    let path = run.path().join(SUMMARY);
    fs::write(&path, b"{\"summary\": [")?;
    let err = run.summary().set("k", 1).unwrap_err();
    assert!(matches!(err, Error::InvalidRecord { .. }), "{err:?}");
    assert!(err.to_string().contains("run.summary.json"), "{err}");
    assert_eq!(fs::read(&path)?, b"{\"summary\": [");
    Ok(())
}

const WRITER: &str = "summary-writer";
const WRITERS_TEST: &str =
    "run_facts::eight_processes_setting_keys_at_once_lose_none_and_tear_nothing";
const ROUNDS: u32 = 1_000;

#[test]
fn eight_processes_setting_keys_at_once_lose_none_and_tear_nothing() -> TestResult {
    if is_child(WRITER) {
        let root = std::env::var("RUNLAYOUT_TEST_ROOT")?;
        let key = std::env::var("RUNLAYOUT_TEST_KEY")?;
        let run = Run::resolve(&root, "r")?;
        for i in 0..ROUNDS {
            run.summary().set(&key, i)?;
            if i % 100 == 0 {
                run.add_tag(&key)?;
            }
        }
        println!("DONE {key}");
        return Ok(());
    }
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).run_id("r").create()?;
    let path = root.path().to_str().expect("utf-8").to_owned();
    let children: Vec<_> = (0..8)
        .map(|n| {
            let key = format!("k{n}");
            spawn_child(
                WRITERS_TEST,
                WRITER,
                &[
                    ("RUNLAYOUT_TEST_ROOT", path.as_str()),
                    ("RUNLAYOUT_TEST_KEY", key.as_str()),
                ],
            )
        })
        .collect();
    // Meanwhile every read finds a whole record.
    let mut reads = 0;
    let done: Vec<String> = std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            children
                .into_iter()
                .flat_map(|c| child_lines(c, "DONE "))
                .collect::<Vec<_>>()
        });
        while !waiter.is_finished() {
            run.summary().read().expect("a whole record");
            reads += 1;
        }
        waiter.join().expect("the children")
    });
    assert_eq!(done.len(), 8, "{done:?}");
    let all = run.summary().read()?;
    let expected: serde_json::Map<String, Value> = (0..8)
        .map(|n| (format!("k{n}"), json!(ROUNDS - 1)))
        .collect();
    assert_eq!(all, expected, "after {reads} reads");
    let tags: Vec<String> = (0..8).map(|n| format!("k{n}")).collect();
    assert_eq!(run.tags()?, tags);
    assert!(support::temporaries(run.path()).is_empty());
    Ok(())
}

// 5. Restarts.

const REQUEUED: &str = "requeued-job";
const REQUEUE_TEST: &str = "run_facts::every_open_and_join_is_a_restart_with_its_launcher";

#[test]
fn every_open_and_join_is_a_restart_with_its_launcher() -> TestResult {
    if is_child(REQUEUED) {
        let root = std::env::var("RUNLAYOUT_TEST_ROOT")?;
        let run = Run::builder(&root).stage("s").run_id("r").open()?;
        println!("OPENED {}", run.path().display());
        return Ok(());
    }
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).stage("s").run_id("r").create()?;
    assert!(run.restarts()?.is_empty());
    let path = root.path().to_str().expect("utf-8");
    let env = clean_env(&[
        ("RUNLAYOUT_TEST_ROOT", path),
        ("SLURM_JOB_ID", "4242"),
        ("SLURM_RESTART_COUNT", "2"),
    ]);
    let child = spawn_child(REQUEUE_TEST, REQUEUED, &env);
    let child_pid = child.id();
    assert_eq!(child_lines(child, "OPENED ").len(), 1);
    // Reading a run by name (a `--init-from`) is no restart.
    Run::resolve(root.path(), "s/r")?;
    Run::builder(root.path())
        .stage("s")
        .run_id("r")
        .create_or_open()?;

    let restarts = run.restarts()?;
    assert_eq!(restarts.len(), 2, "{restarts:?}");
    let (requeue, join) = (&restarts[0], &restarts[1]);
    assert_eq!(requeue.by, "open");
    assert_eq!(requeue.process.pid, Some(child_pid));
    let launcher = requeue.launcher.as_ref().expect("recorded");
    assert_eq!(
        (launcher.kind.as_str(), launcher.restart_count),
        ("slurm", Some(2))
    );
    assert!(!requeue.command.is_empty());
    assert_eq!(join.by, "join");
    assert_eq!(join.process.pid, Some(std::process::id()));
    assert!(requeue.at <= join.at);

    // A line cut short by a killed writer is passed over; any other line
    // that is not a restart is an error naming the record.
    let record = run.path().join(RESTARTS);
    let mut bytes = fs::read(&record)?;
    bytes.extend_from_slice(b"{\"at\": \"2026");
    fs::write(&record, &bytes)?;
    assert_eq!(run.restarts()?.len(), 2);
    bytes.extend_from_slice(b"\n");
    fs::write(&record, &bytes)?;
    let err = run.restarts().unwrap_err();
    assert!(err.to_string().contains("run.restarts.jsonl"), "{err}");
    assert!(err.to_string().contains("line 3"), "{err}");
    Ok(())
}

// 6. Heartbeats: the status of a run of another host.

/// A status record of a process of another host, marked running, whose
/// last heartbeat was `age` ago, every `interval`.
fn other_host_record(run: &Run, age: Duration, interval: Duration) -> TestResult {
    run.heartbeat(interval)?;
    let at = jiff::Timestamp::now() - jiff::SignedDuration::try_from(age)?;
    forge(
        run,
        STATUS,
        &[
            ("host", "gpu-node-7".into()),
            ("boot", "00000000-0000-0000-0000-000000000000".into()),
            ("pid", 1.into()),
            ("heartbeat", at.to_string().into()),
        ],
    )
}

#[test]
fn another_hosts_run_is_running_while_it_beats_and_crashed_once_silent() -> TestResult {
    let root = tempfile::tempdir()?;
    let interval = Duration::from_secs(30);
    let fresh = Run::builder(root.path()).create()?;
    other_host_record(&fresh, Duration::from_secs(20), interval)?;
    assert_eq!(fresh.status()?, RunStatus::Running);
    assert_eq!(fresh.state()?.host.as_deref(), Some("gpu-node-7"));

    // Three intervals (90 s) and the clock-skew margin (60 s) later.
    let stale = Run::builder(root.path()).create()?;
    other_host_record(&stale, Duration::from_secs(151), interval)?;
    let state = stale.state()?;
    assert_eq!(state.status, RunStatus::Crashed);
    let reason = state.reason.expect("a reason");
    assert!(
        reason.starts_with("no heartbeat since ") && reason.ends_with(" from gpu-node-7"),
        "{reason}"
    );
    // Within the margin it is still running: clocks differ.
    let late = Run::builder(root.path()).create()?;
    other_host_record(&late, Duration::from_secs(120), interval)?;
    assert_eq!(late.status()?, RunStatus::Running);
    Ok(())
}

const BEATING: &str = "beats-then-dies";
const BEATING_TEST: &str = "run_facts::a_killed_guards_run_is_crashed_for_another_host";
const READER: &str = "reads-status";

#[test]
fn a_killed_guards_run_is_crashed_for_another_host() -> TestResult {
    if is_child(BEATING) {
        let root = std::env::var("RUNLAYOUT_TEST_ROOT")?;
        let run = Run::builder(&root)
            .run_id("victim")
            .heartbeat_interval(Duration::from_secs(1))
            .create()?;
        let _guard = run.guard();
        println!("READY");
        std::thread::sleep(Duration::from_secs(60));
        return Ok(());
    }
    if is_child(READER) {
        let root = std::env::var("RUNLAYOUT_TEST_ROOT")?;
        let state = Run::resolve(&root, "victim")?.state()?;
        println!(
            "STATE {} {}",
            state.status,
            state.reason.unwrap_or_default()
        );
        return Ok(());
    }
    let root = tempfile::tempdir()?;
    let path = root.path().to_str().expect("utf-8");
    let mut child = spawn_child(BEATING_TEST, BEATING, &[("RUNLAYOUT_TEST_ROOT", path)]);
    let status_path = root.path().join("victim").join(STATUS);
    let beat = || -> Option<String> {
        let record: Value = serde_json::from_slice(&fs::read(&status_path).ok()?).ok()?;
        record["heartbeat"].as_str().map(str::to_owned)
    };
    // The guard beats: its heartbeat moves on, every second.
    let first = loop {
        if let Some(at) = beat() {
            break at;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let started = std::time::Instant::now();
    while beat().as_deref() == Some(first.as_str()) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no second beat"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let killed = child.kill(); // SIGKILL: no guard runs
    child.wait()?;
    killed?;
    let record: Value = serde_json::from_slice(&fs::read(&status_path)?)?;
    assert_eq!(record["heartbeat_interval"], json!(1.0));
    let last = beat();

    // Read as another host reads it: its process cannot be asked there.
    let run = Run::builder(root.path()).run_id("victim").open()?;
    forge(
        &run,
        STATUS,
        &[
            ("host", "gpu-node-7".into()),
            ("boot", "00000000-0000-0000-0000-000000000000".into()),
        ],
    )?;
    // Young: running (three intervals and the 60 s margin have not passed).
    assert_eq!(run.status()?, RunStatus::Running);
    // Once three intervals have passed, a reader without a margin for
    // clock skew (a cluster whose clocks agree) calls it crashed.
    std::thread::sleep(Duration::from_millis(3_200));
    assert_eq!(beat(), last, "a dead process beats no more");
    let reader = spawn_child(
        BEATING_TEST,
        READER,
        &[("RUNLAYOUT_TEST_ROOT", path), ("RUNLAYOUT_CLOCK_SKEW", "0")],
    );
    let seen = child_lines(reader, "STATE ");
    let expected = format!(
        "crashed no heartbeat since {} from gpu-node-7",
        last.expect("a beat")
    );
    assert_eq!(seen, [expected]);
    Ok(())
}

// 7. A status that was never tracked is no crash.

const UNTRACKED: &str = "creates-and-exits-untracked";
const UNTRACKED_TEST: &str = "run_facts::a_run_never_tracked_is_untracked_not_crashed";

#[test]
fn a_run_never_tracked_is_untracked_not_crashed() -> TestResult {
    if is_child(UNTRACKED) {
        let root = std::env::var("RUNLAYOUT_TEST_ROOT")?;
        Run::builder(&root).run_id("plain").create()?;
        println!("MADE");
        return Ok(());
    }
    let root = tempfile::tempdir()?;
    let path = root.path().to_str().expect("utf-8");
    let child = spawn_child(UNTRACKED_TEST, UNTRACKED, &[("RUNLAYOUT_TEST_ROOT", path)]);
    assert_eq!(child_lines(child, "MADE").len(), 1);
    let run = Run::resolve(root.path(), "plain")?;
    assert_eq!(run.status()?, RunStatus::Untracked);
    // While its creator lives here, it is running.
    let mine = Run::builder(root.path()).create()?;
    assert_eq!(mine.status()?, RunStatus::Running);
    Ok(())
}

// 8. A guard fails with a reason, and keeps one recorded before it.

#[test]
fn a_guard_keeps_the_reason_recorded_before_it_was_dropped() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).create()?;
    {
        let _guard = run.guard();
        run.fail("loss became NaN")?;
    }
    assert_eq!(run.status()?, RunStatus::Failed);
    assert_eq!(
        run.ended()?.and_then(|e| e.reason).as_deref(),
        Some("loss became NaN")
    );

    let failed = Run::builder(root.path()).create()?;
    failed.guard().fail("out of memory at step 1200")?;
    assert_eq!(
        failed.ended()?.and_then(|e| e.reason).as_deref(),
        Some("out of memory at step 1200")
    );

    let by_result = Run::builder(root.path()).create()?;
    let result: Result<(), String> = Err("dataset shard 3 is missing".into());
    by_result.guard().finish_with(&result)?;
    assert_eq!(
        by_result.ended()?.and_then(|e| e.reason).as_deref(),
        Some("dataset shard 3 is missing")
    );
    let ok: Result<u32, String> = Ok(3);
    by_result.guard().finish_with(&ok)?;
    assert_eq!(by_result.status()?, RunStatus::Finished);
    Ok(())
}

// 9. `latest-finished`.

#[test]
fn latest_finished_is_the_newest_run_that_finished() -> TestResult {
    let root = tempfile::tempdir()?;
    let old = Run::builder(root.path()).stage("pretrain").create()?;
    old.finish()?;
    let good = Run::builder(root.path()).stage("pretrain").create()?;
    good.finish()?;
    let failed = Run::builder(root.path()).stage("pretrain").create()?;
    failed.fail("diverged")?;
    let _running = Run::builder(root.path()).stage("pretrain").create()?;
    let other_stage = Run::builder(root.path()).stage("eval").create()?;
    other_stage.finish()?;

    let found = Run::resolve(root.path(), "pretrain/latest-finished")?;
    assert_eq!(found.path(), good.path());
    let latest = Run::resolve(root.path(), "pretrain/latest")?;
    assert_ne!(latest.path(), good.path());
    // Without a stage: the runs without one, of which none finished.
    let err = Run::resolve(root.path(), "latest-finished").unwrap_err();
    assert!(matches!(err, Error::NoFinishedRun { .. }), "{err:?}");
    // Debug runs are their own.
    let debug = Run::builder(root.path())
        .stage("pretrain")
        .debug(true)
        .create()?;
    debug.finish()?;
    let found = Run::resolve(root.path(), "debug/pretrain/latest-finished")?;
    assert_eq!(found.path(), debug.path());
    // It is no run id.
    assert!(
        Run::builder(root.path())
            .run_id("latest-finished")
            .create()
            .is_err()
    );
    Ok(())
}

#[cfg(feature = "clap")]
#[test]
fn run_resume_takes_latest_finished() -> TestResult {
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        run: runlayout::RunArgs,
    }

    let root = tempfile::tempdir()?;
    let good = Run::builder(root.path()).stage("pretrain").create()?;
    good.finish()?;
    Run::builder(root.path())
        .stage("pretrain")
        .create()?
        .fail("x")?;
    let root_text = root.path().to_str().expect("utf-8");
    let cli = Cli::parse_from([
        "x",
        "--run-root",
        root_text,
        "--run-resume",
        "pretrain/latest-finished",
    ]);
    let resumed = cli.run.start_with(|_| None)?;
    assert_eq!(resumed.path(), good.path());
    assert_eq!(good.restarts()?.len(), 1);
    Ok(())
}
