//! Creating, opening and joining run folders, in both nestings, with and
//! without a stage or the debug folder.

use std::fs;

use crate::support::{TestResult, folder_count, tree};
use runlayout::{Error, Nesting, Run};

#[test]
fn create_places_runs_stage_first_by_default() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).stage("pretrain").create()?;
    assert_eq!(
        run.path(),
        root.path().join("pretrain").join(run.id().as_str())
    );
    assert!(run.path().is_dir());
    assert!(run.is_new());
    assert_eq!(run.nesting(), Nesting::StageFirst);
    assert_eq!(run.root(), root.path());
    assert_eq!(run.stage(), Some("pretrain"));
    assert!(!run.is_debug());
    Ok(())
}

#[test]
fn create_places_runs_run_first_when_asked() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path())
        .stage("finetune")
        .nesting(Nesting::RunFirst)
        .create()?;
    assert_eq!(
        run.path(),
        root.path().join(run.id().as_str()).join("finetune")
    );
    assert!(run.path().is_dir());
    Ok(())
}

#[test]
fn debug_runs_sit_below_a_debug_folder_in_both_nestings() -> TestResult {
    let root = tempfile::tempdir()?;
    let a = Run::builder(root.path())
        .stage("s")
        .debug(true)
        .run_id("r")
        .create()?;
    assert_eq!(a.path(), root.path().join("debug/s/r"));
    let b = Run::builder(root.path())
        .stage("s")
        .debug(true)
        .nesting(Nesting::RunFirst)
        .run_id("q")
        .create()?;
    assert_eq!(b.path(), root.path().join("debug/q/s"));
    assert!(a.is_debug() && b.is_debug());
    Ok(())
}

#[test]
fn runs_without_a_stage_sit_right_below_the_root() -> TestResult {
    let root = tempfile::tempdir()?;
    for nesting in [Nesting::StageFirst, Nesting::RunFirst] {
        let run = Run::builder(root.path()).nesting(nesting).create()?;
        assert_eq!(run.path(), root.path().join(run.id().as_str()));
        assert_eq!(run.stage(), None);
        let dbg = Run::builder(root.path())
            .nesting(nesting)
            .debug(true)
            .create()?;
        assert_eq!(
            dbg.path(),
            root.path().join("debug").join(dbg.id().as_str())
        );
    }
    Ok(())
}

#[test]
fn missing_roots_are_made() -> TestResult {
    let root = tempfile::tempdir()?;
    let deep = root.path().join("a/b/c");
    let run = Run::builder(&deep).stage("s").create()?;
    assert!(run.path().starts_with(&deep) && run.path().is_dir());
    Ok(())
}

#[test]
fn an_explicit_id_is_never_taken_over() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path())
        .stage("s")
        .run_id("mine")
        .create()?;
    fs::write(run.path().join("weights.bin"), b"precious")?;
    let before = tree(root.path());

    let err = Run::builder(root.path())
        .stage("s")
        .run_id("mine")
        .create()
        .unwrap_err();
    match &err {
        Error::RunExists { path } => assert_eq!(path, run.path()),
        other => panic!("expected RunExists, got {other:?}"),
    }
    assert!(err.to_string().contains(&run.path().display().to_string()));
    assert_eq!(fs::read(run.path().join("weights.bin"))?, b"precious");
    assert_eq!(tree(root.path()), before);
    Ok(())
}

#[test]
fn a_seeded_id_is_never_taken_over() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).seed(5).create()?;
    fs::write(run.path().join("log.txt"), b"kept")?;
    let err = Run::builder(root.path()).seed(5).create().unwrap_err();
    assert!(matches!(err, Error::RunExists { .. }), "{err:?}");
    assert_eq!(fs::read(run.path().join("log.txt"))?, b"kept");
    Ok(())
}

#[test]
fn a_generated_id_never_adopts_an_existing_folder() -> TestResult {
    // Every id generated today that could collide is pre-made: impossible to
    // enumerate, so instead check that a generated run is always fresh and
    // empty even when the stage folder is crowded with other runs.
    let root = tempfile::tempdir()?;
    for _ in 0..50 {
        let run = Run::builder(root.path()).stage("s").create()?;
        assert_eq!(fs::read_dir(run.path())?.count(), 1, "only run.json");
        fs::write(run.path().join("marker"), b"x")?;
    }
    assert_eq!(folder_count(&root.path().join("s")), 50);
    Ok(())
}

#[test]
fn open_resumes_an_existing_run() -> TestResult {
    let root = tempfile::tempdir()?;
    let made = Run::builder(root.path())
        .stage("s")
        .nesting(Nesting::RunFirst)
        .debug(true)
        .create()?;
    let opened = Run::builder(root.path())
        .stage("s")
        .nesting(Nesting::RunFirst)
        .debug(true)
        .run_id(made.id().as_str())
        .open()?;
    assert_eq!(opened.path(), made.path());
    assert_eq!(opened.id(), made.id());
    assert!(!opened.is_new());
    Ok(())
}

#[test]
fn open_names_the_missing_path() -> TestResult {
    let root = tempfile::tempdir()?;
    let err = Run::builder(root.path())
        .stage("s")
        .run_id("gone")
        .open()
        .unwrap_err();
    match &err {
        Error::RunNotFound { path, .. } => assert_eq!(path, &root.path().join("s/gone")),
        other => panic!("expected RunNotFound, got {other:?}"),
    }
    assert!(err.to_string().contains("s/gone"), "{err}");
    assert!(
        tree(root.path()).is_empty(),
        "open must not create anything"
    );
    Ok(())
}

#[test]
fn open_refuses_a_file_where_the_run_should_be() -> TestResult {
    let root = tempfile::tempdir()?;
    fs::write(root.path().join("r"), b"not a run")?;
    let err = Run::builder(root.path()).run_id("r").open().unwrap_err();
    assert!(matches!(&err, Error::NotADirectory { path } if path == &root.path().join("r")));
    Ok(())
}

#[test]
fn open_and_create_or_open_need_an_id() -> TestResult {
    let root = tempfile::tempdir()?;
    let err = Run::builder(root.path()).open().unwrap_err();
    assert!(matches!(err, Error::MissingRunId { method: "open" }));
    let err = Run::builder(root.path()).create_or_open().unwrap_err();
    assert!(matches!(
        err,
        Error::MissingRunId {
            method: "create_or_open"
        }
    ));
    assert!(err.to_string().contains("needs a run id"));
    assert!(tree(root.path()).is_empty());
    Ok(())
}

#[test]
fn create_or_open_creates_once_then_opens() -> TestResult {
    let root = tempfile::tempdir()?;
    for nesting in [Nesting::StageFirst, Nesting::RunFirst] {
        let first = Run::builder(root.path())
            .stage("train")
            .nesting(nesting)
            .seed(99)
            .create_or_open()?;
        fs::write(first.path().join("rank0.txt"), b"0")?;
        let second = Run::builder(root.path())
            .stage("train")
            .nesting(nesting)
            .seed(99)
            .create_or_open()?;
        assert!(first.is_new());
        assert!(!second.is_new());
        assert_eq!(first.path(), second.path());
        assert_eq!(fs::read(second.path().join("rank0.txt"))?, b"0");
    }
    Ok(())
}

#[test]
fn create_or_open_refuses_a_file_in_the_way() -> TestResult {
    let root = tempfile::tempdir()?;
    fs::write(root.path().join("r"), b"data")?;
    let err = Run::builder(root.path())
        .run_id("r")
        .create_or_open()
        .unwrap_err();
    assert!(matches!(err, Error::NotADirectory { .. }), "{err:?}");
    assert_eq!(fs::read(root.path().join("r"))?, b"data");
    Ok(())
}

#[test]
fn with_run_keeps_root_debug_nesting_and_what_is_left_out() -> TestResult {
    let root = tempfile::tempdir()?;
    let pre = Run::builder(root.path())
        .stage("pretrain")
        .debug(true)
        .nesting(Nesting::RunFirst)
        .create()?;

    let fine = pre.with_run(None, Some("finetune")).create()?;
    assert_eq!(fine.id(), pre.id());
    assert_eq!(fine.stage(), Some("finetune"));
    assert!(fine.is_debug());
    assert_eq!(fine.nesting(), Nesting::RunFirst);
    assert_eq!(fine.root(), pre.root());
    assert_eq!(
        fine.path(),
        root.path()
            .join("debug")
            .join(pre.id().as_str())
            .join("finetune")
    );

    let other = pre.with_run(Some("other"), None).create()?;
    assert_eq!(other.stage(), Some("pretrain"));
    assert_eq!(other.path(), root.path().join("debug/other/pretrain"));

    let same = pre.with_run(None, None).open()?;
    assert_eq!(same.path(), pre.path());

    let fresh = pre.with_run(None, None).generated_id().create()?;
    assert_ne!(fresh.id(), pre.id());
    assert!(fresh.is_debug());
    Ok(())
}

#[test]
fn the_last_id_source_wins() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path())
        .seed(1)
        .run_id("explicit")
        .create()?;
    assert_eq!(run.id(), "explicit");
    let run = Run::builder(root.path())
        .run_id("explicit")
        .seed(1)
        .create()?;
    assert_eq!(run.id(), &runlayout::RunId::from_seed(1));
    Ok(())
}

#[test]
fn a_file_in_the_way_of_a_parent_is_an_io_error_naming_it() -> TestResult {
    let root = tempfile::tempdir()?;
    fs::write(root.path().join("s"), b"file, not a stage folder")?;
    let err = Run::builder(root.path()).stage("s").create().unwrap_err();
    assert!(
        matches!(&err, Error::NotADirectory { path } if path == &root.path().join("s")),
        "{err:?}"
    );
    assert!(
        err.to_string().ends_with("/s` exists but is not a folder"),
        "{err}"
    );
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), std::io::ErrorKind::NotADirectory);
    // Deeper: the root itself is a file.
    let err = Run::builder(root.path().join("s/deeper"))
        .stage("t")
        .run_id("r")
        .create()
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotADirectory { path } if path == &root.path().join("s")),
        "{err:?}"
    );
    assert_eq!(
        fs::read(root.path().join("s"))?,
        b"file, not a stage folder"
    );
    Ok(())
}

#[test]
fn runs_are_usable_as_paths() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).create()?;
    fs::write(run.as_ref().join("x"), b"1")?;
    let cloned = run.clone();
    assert_eq!(cloned.path(), run.path());
    assert!(format!("{run:?}").contains("Run"));
    Ok(())
}

#[test]
fn errors_and_runs_cross_threads() {
    fn sendable<T: Send + Sync + 'static>() {}
    fn error<T: std::error::Error + Send + Sync + 'static>() {}
    error::<Error>();
    sendable::<Run>();
    sendable::<runlayout::RunBuilder>();
    sendable::<runlayout::RunId>();
    // `?` turns it into the usual boxed error.
    let boxed: Box<dyn std::error::Error + Send + Sync> =
        Error::MissingRunId { method: "open" }.into();
    assert!(boxed.to_string().contains("open()"));
}
