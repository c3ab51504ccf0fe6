//! Every row of `PathProvider`'s mapping from ksuit, on real folders.

use std::fs;

use crate::support::{TestResult, today, tree, tree_names};
use runlayout::{Error, Layout, Nesting, PathProvider, Run};

#[test]
fn constructor_creates_the_run_and_its_folders() -> TestResult {
    let root = tempfile::tempdir()?;
    let p = PathProvider::new(root.path(), "r1", Some("pretrain"), false)?;
    let run = root.path().join("pretrain/r1");
    assert_eq!(p.run_output_path(), run);
    assert!(p.checkpoint_path().is_dir());
    assert!(root.path().join("pretrain/r1/basetracker").is_dir());
    // Files are the caller's to write; only their folders exist.
    assert!(!p.logfile_uri().exists());
    let made = tree_names(&run);
    assert_eq!(
        made,
        ["basetracker", "checkpoints", "run.json", "run.layout.json"]
    );
    Ok(())
}

#[test]
fn constructor_reuses_an_existing_run() -> TestResult {
    let root = tempfile::tempdir()?;
    let first = PathProvider::new(root.path(), "r1", Some("s"), false)?;
    fs::write(first.logfile_uri(), "kept\n")?;
    let again = PathProvider::new(root.path(), "r1", Some("s"), false)?;
    assert_eq!(fs::read_to_string(again.logfile_uri())?, "kept\n");
    Ok(())
}

#[test]
fn create_is_force_overwrite_false() -> TestResult {
    let root = tempfile::tempdir()?;
    let p = PathProvider::create(root.path(), "r1", Some("s"), false)?;
    fs::write(p.logfile_uri(), "kept\n")?;
    let err = PathProvider::create(root.path(), "r1", Some("s"), false).unwrap_err();
    match &err {
        Error::RunExists { path } => assert_eq!(path, p.run_output_path()),
        other => panic!("expected RunExists, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("s/r1"), "names stage and run id: {msg}");
    assert_eq!(fs::read_to_string(p.logfile_uri())?, "kept\n");
    Ok(())
}

#[test]
fn attributes_are_the_four_inputs() -> TestResult {
    let root = tempfile::tempdir()?;
    let p = PathProvider::new(root.path(), "r1", Some("pretrain"), true)?;
    assert_eq!(p.output_root(), root.path());
    assert_eq!(p.run_id(), "r1");
    assert_eq!(p.stage_name(), Some("pretrain"));
    assert!(p.debug());
    let no_stage = PathProvider::new(root.path(), "r2", None, false)?;
    assert_eq!(no_stage.stage_name(), None);
    assert!(!no_stage.debug());
    Ok(())
}

#[test]
fn run_output_path_follows_the_documented_layout() -> TestResult {
    let root = tempfile::tempdir()?;
    let cases = [
        (Some("pretrain"), false, "pretrain/r"),
        (Some("pretrain"), true, "debug/pretrain/r"),
        (None, false, "r"),
        (None, true, "debug/r"),
    ];
    for (stage, debug, expected) in cases {
        let p = PathProvider::new(root.path(), "r", stage, debug)?;
        assert_eq!(p.run_output_path(), root.path().join(expected));
        assert!(p.run_output_path().is_dir());
    }
    Ok(())
}

#[test]
fn file_and_folder_members() -> TestResult {
    let root = tempfile::tempdir()?;
    let p = PathProvider::new(root.path(), "r1", Some("s"), false)?;
    let run = p.run_output_path().to_path_buf();
    assert_eq!(p.logfile_uri(), run.join("log.txt"));
    assert_eq!(p.checkpoint_path(), run.join("checkpoints"));
    assert_eq!(
        p.basetracker_config_uri(),
        run.join("basetracker/config.yaml")
    );
    assert_eq!(
        p.basetracker_entries_uri(),
        run.join("basetracker/entries.th")
    );
    assert_eq!(
        p.basetracker_summary_uri(),
        run.join("basetracker/summary.yaml")
    );
    fs::write(p.logfile_uri(), "stdout\n")?;
    fs::write(p.basetracker_config_uri(), "lr: 0.1\n")?;
    fs::write(p.basetracker_entries_uri(), b"\x00")?;
    fs::write(p.basetracker_summary_uri(), "loss: 0.2\n")?;
    fs::write(p.checkpoint_path().join("last.th"), b"w")?;
    assert_eq!(PathProvider::ENTRIES.len(), 5);
    Ok(())
}

#[test]
fn with_run_keeps_root_and_debug() -> TestResult {
    let root = tempfile::tempdir()?;
    let pre = PathProvider::new(root.path(), "r1", Some("pretrain"), true)?;
    let fine = pre.with_run(None, Some("finetune"))?;
    assert_eq!(
        fine.run_output_path(),
        root.path().join("debug/finetune/r1")
    );
    assert!(fine.debug());
    assert_eq!(fine.output_root(), root.path());
    let other = pre.with_run(Some("r2"), None)?;
    assert_eq!(
        other.run_output_path(),
        root.path().join("debug/pretrain/r2")
    );
    assert!(other.checkpoint_path().is_dir());
    Ok(())
}

#[test]
fn generate_run_id_with_and_without_seed() {
    let seeded = PathProvider::generate_run_id(Some(42));
    assert_eq!(seeded, format!("{}_i73qd", today()));
    let fresh = PathProvider::generate_run_id(None);
    assert!(fresh.starts_with(&today()));
    assert_eq!(fresh.len(), 16);
}

#[test]
fn link_points_at_the_ancestor_and_back() -> TestResult {
    let root = tempfile::tempdir()?;
    let pre = PathProvider::new(root.path(), "r1", Some("pretrain"), false)?;
    let fine = pre.with_run(None, Some("finetune"))?;
    fine.link(&pre)?;
    assert_eq!(
        fine.run().ancestor()?,
        Some(pre.run_output_path().canonicalize()?)
    );
    assert_eq!(
        pre.run().descendants()?,
        vec![fine.run_output_path().canonicalize()?]
    );
    // ksuit failed on a stale link; here it is replaced.
    let other = pre.with_run(Some("r0"), None)?;
    fs::remove_dir_all(pre.run_output_path())?;
    fine.link(&other)?;
    assert_eq!(
        fine.run().ancestor()?,
        Some(other.run_output_path().canonicalize()?)
    );
    Ok(())
}

#[test]
fn bad_input_is_rejected_before_anything_is_made() -> TestResult {
    let root = tempfile::tempdir()?;
    for (id, stage) in [
        ("../x", Some("s")),
        ("r", Some("a/b")),
        ("", None),
        ("debug", None),
    ] {
        let err = PathProvider::new(root.path(), id, stage, false).unwrap_err();
        assert!(matches!(err, Error::InvalidName { .. }), "{err:?}");
    }
    assert!(tree(root.path()).is_empty());
    Ok(())
}

#[test]
fn from_run_takes_any_nesting() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path())
        .stage("pretrain")
        .nesting(Nesting::RunFirst)
        .run_id("r1")
        .create()?;
    let p = PathProvider::from_run(run)?;
    assert_eq!(
        p.checkpoint_path(),
        root.path().join("r1/pretrain/checkpoints")
    );
    assert!(p.checkpoint_path().is_dir());
    Ok(())
}
