//! The support's own promises: a child is started only for a test this
//! binary has (`spawn_child` takes its arguments from `child_args`), and a
//! fixture's run is what it was told to be.

use std::fs;

use runlayout::{Run, names::STATUS};

use super::{
    Fate, OTHER_HOST, RunFixture, TestResult, child_args, dead_writers_temporary, temporaries,
};

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
        Fate::Untracked,
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
        let pid = manifest.process.pid;
        match fate {
            Fate::Untracked => assert_eq!(pid, Some(u32::MAX)),
            _ => assert_eq!(pid, Some(std::process::id())),
        }
        let state = run.state()?;
        match fate {
            Fate::Elsewhere => assert_eq!(state.host.as_deref(), Some(OTHER_HOST)),
            _ => assert_eq!(state.host.as_deref(), runlayout::env::host_name()),
        }
        let ended = run.ended()?;
        match fate {
            Fate::Failed(reason) => {
                assert_eq!(ended.and_then(|e| e.reason).as_deref(), Some(reason))
            }
            Fate::Finished => assert!(ended.is_some_and(|e| e.reason.is_none())),
            Fate::Crashed | Fate::Elsewhere => {
                assert!(ended.is_none() && state.heartbeat.is_some(), "{fate:?}")
            }
            Fate::Running | Fate::Untracked => {
                assert!(!run.path().join(STATUS).exists(), "{fate:?}")
            }
        }
    }
    Ok(())
}

#[test]
fn the_fixture_leaves_a_dead_writers_temporary_and_nothing_else() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).stage("s").create()?;
    let dead = dead_writers_temporary(run.path())?;
    let hidden: Vec<_> = temporaries(run.path());
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
