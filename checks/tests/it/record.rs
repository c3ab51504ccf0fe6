//! The record of a run (its folder, `run.json`, the `ancestor` link, the
//! back-links, `latest`, what scans report) is one truth: a regression test
//! per way it was once made to disagree with itself. The stress and kill
//! tests, which check whole trees with the consistency checker, are in
//! `cli/tests/record.rs`, where the `runlayout` command is at hand.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::{TestResult, canon, dead_writers_temporary, temporaries, tree};
use runlayout::{
    Error, Layout, Nesting, PathProvider, Run,
    error::NameRule,
    names::{LATEST, MANIFEST},
    scan::Runs,
};

#[derive(Layout)]
#[layout(
    split_log = "{split}/log.txt",
    meta = "{name}.json",
    deep = "eval/{split}/log.txt"
)]
struct Hostile {
    run: Run,
}

#[test]
fn placeholder_values_never_reach_what_runlayout_keeps_in_a_run() -> TestResult {
    let root = tempfile::tempdir()?;
    let pre = Run::builder(root.path()).stage("pre").create()?;
    let fine = Run::builder(root.path()).stage("fine").create()?;
    fine.link(&pre)?;
    fs::write(pre.path().join("log.txt"), "the ancestor's log")?;
    let paths = Hostile { run: fine };
    for value in ["ancestor", "Ancestor", "descendants", "run.json"] {
        match paths.split_log(value) {
            Err(Error::InvalidValue {
                rule: NameRule::ReservedInRun,
                ..
            }) => {}
            other => panic!("{value:?} accepted: {other:?}"),
        }
    }
    // `{name}.json` with `run` would be the manifest.
    let err = paths.meta("run").unwrap_err();
    assert!(err.to_string().contains("run.json"), "{err}");
    // Deeper down, those names harm nothing and are allowed.
    assert!(paths.deep("ancestor")?.ends_with("eval/ancestor/log.txt"));
    assert_eq!(
        fs::read_to_string(pre.path().join("log.txt"))?,
        "the ancestor's log"
    );
    Ok(())
}

#[test]
fn a_link_that_fails_half_way_leaves_the_previous_ancestor_whole() -> TestResult {
    let root = tempfile::tempdir()?;
    let first = Run::builder(root.path()).stage("a").create()?;
    let blocked = Run::builder(root.path()).stage("b").create()?;
    let run = Run::builder(root.path()).stage("c").create()?;
    run.link(&first)?;
    // The new ancestor's `descendants` is a file: its back-link cannot be made.
    fs::write(blocked.path().join("descendants"), "not a folder")?;
    let err = run.link(&blocked).unwrap_err();
    assert!(matches!(err, Error::NotADirectory { .. }), "{err:?}");
    assert_eq!(run.ancestor()?, Some(canon(first.path())));
    assert_eq!(first.descendants()?, vec![canon(run.path())]);
    assert_eq!(
        fs::read_to_string(blocked.path().join("descendants"))?,
        "not a folder"
    );
    assert!(temporaries(run.path()).is_empty());
    Ok(())
}

#[test]
fn runs_of_one_place_below_two_roots_keep_their_own_back_links() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let anc = Run::builder(tmp.path().join("root0")).stage("a").create()?;
    let x1 = Run::builder(tmp.path().join("root1"))
        .stage("s")
        .run_id("x")
        .create()?;
    let x2 = Run::builder(tmp.path().join("root2"))
        .stage("s")
        .run_id("x")
        .create()?;
    x1.link(&anc)?;
    x2.link(&anc)?;
    let mut expected = vec![canon(x1.path()), canon(x2.path())];
    expected.sort();
    assert_eq!(anc.descendants()?, expected);
    Ok(())
}

#[test]
fn back_link_names_fit_a_file_name_whatever_the_place() -> TestResult {
    let root = tempfile::tempdir()?;
    let stage = "s".repeat(130);
    let id = "i".repeat(130);
    let anc = Run::builder(root.path()).stage("a").create()?;
    let run = Run::builder(root.path())
        .stage(stage.as_str())
        .run_id(id.as_str())
        .create()?;
    run.link(&anc)?;
    assert_eq!(anc.descendants()?, vec![canon(run.path())]);
    for entry in fs::read_dir(anc.path().join("descendants"))? {
        assert!(entry?.file_name().len() <= 255);
    }
    Ok(())
}

/// The manifest and field of each problem, sorted; every problem must be a
/// manifest that disagrees with its folder.
fn mismatches(problems: &[Error]) -> Vec<(PathBuf, &'static str)> {
    let mut found: Vec<(PathBuf, &'static str)> = problems
        .iter()
        .map(|p| match p {
            Error::ManifestMismatch { path, field, .. } => (path.clone(), *field),
            other => panic!("unexpected problem {other}"),
        })
        .collect();
    found.sort();
    found
}

#[test]
fn scans_name_a_run_by_its_folder_not_by_its_manifest() -> TestResult {
    let root = tempfile::tempdir()?;
    let orig = Run::builder(root.path())
        .stage("s")
        .run_id("orig")
        .create()?;
    copy_dir(orig.path(), &root.path().join("s/copy"))?;
    let escape = Run::builder(root.path())
        .stage("s")
        .run_id("esc")
        .create()?;
    let text = fs::read_to_string(escape.path().join(MANIFEST))?;
    fs::write(
        escape.path().join(MANIFEST),
        text.replace("\"stage\": \"s\"", "\"stage\": \"../../etc\""),
    )?;

    let listing = Runs::scan(root.path()).list()?;
    let mut found: Vec<(String, Option<String>)> = listing
        .runs
        .iter()
        .map(|f| (f.run.id().to_string(), f.run.stage().map(str::to_owned)))
        .collect();
    found.sort();
    let s = Some("s".to_owned());
    assert_eq!(
        found,
        [
            ("copy".into(), s.clone()),
            ("esc".into(), s.clone()),
            ("orig".into(), s.clone())
        ]
    );
    // Each disagreement is a problem naming the manifest that holds it.
    let problems = mismatches(&listing.problems);
    assert_eq!(
        problems,
        [
            (root.path().join("s/copy").join(MANIFEST), "run id"),
            (root.path().join("s/esc").join(MANIFEST), "stage"),
        ]
    );
    Ok(())
}

#[test]
fn a_manifest_cannot_swap_a_runs_id_and_stage_through_its_nesting() -> TestResult {
    let root = tempfile::tempdir()?;
    let staged = Run::builder(root.path())
        .stage("s8")
        .run_id("x8")
        .create()?;
    let text = fs::read_to_string(staged.path().join(MANIFEST))?;
    let edited = text.replace("\"stage_first\"", "\"run_first\"");
    assert_ne!(edited, text, "the manifest records the nesting");
    fs::write(staged.path().join(MANIFEST), edited)?;
    // A run-first run copied under a new id is read in its own nesting.
    let rf = Run::builder(root.path())
        .nesting(Nesting::RunFirst)
        .stage("eval")
        .run_id("r1")
        .create()?;
    copy_dir(&root.path().join("r1"), &root.path().join("r9"))?;

    let listing = Runs::scan(root.path()).list()?;
    let mut found: Vec<(String, Option<String>)> = listing
        .runs
        .iter()
        .map(|f| (f.run.id().to_string(), f.run.stage().map(str::to_owned)))
        .collect();
    found.sort();
    let eval = Some("eval".to_owned());
    assert_eq!(
        found,
        [
            ("r1".into(), eval.clone()),
            ("r9".into(), eval),
            ("x8".into(), Some("s8".to_owned())),
        ]
    );
    let problems = mismatches(&listing.problems);
    assert_eq!(
        problems,
        [
            (root.path().join("r9/eval").join(MANIFEST), "run id"),
            (staged.path().join(MANIFEST), "nesting"),
        ]
    );
    assert!(rf.path().ends_with("r1/eval"));
    Ok(())
}

#[cfg(unix)]
#[test]
fn scans_follow_stage_and_run_folders_that_are_symlinks() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().join("root");
    let elsewhere = tmp.path().join("other-disk");
    let stage_run = Run::builder(&elsewhere).stage("big").create()?;
    let lone_run = Run::builder(&elsewhere).stage("x").run_id("r9").create()?;
    fs::create_dir_all(root.join("small"))?;
    std::os::unix::fs::symlink(elsewhere.join("big"), root.join("big"))?;
    std::os::unix::fs::symlink(lone_run.path(), root.join("small/r9"))?;
    let listing = Runs::scan(&root).list()?;
    let mut found: Vec<String> = listing
        .runs
        .iter()
        .map(|f| format!("{}/{}", f.run.stage().unwrap_or("-"), f.run.id()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [format!("big/{}", stage_run.id()), "small/r9".to_owned()]
    );
    assert!(
        listing
            .problems
            .iter()
            .all(|p| matches!(p, Error::ManifestMismatch { .. }))
    );
    Ok(())
}

#[test]
fn run_first_open_latest_names_the_newest_run_of_that_stage() -> TestResult {
    let root = tempfile::tempdir()?;
    let b = || Run::builder(root.path()).nesting(Nesting::RunFirst);
    b().stage("pretrain").run_id("r1").create()?;
    let fine = b().stage("finetune").run_id("r1").create()?;
    let pre = b().stage("pretrain").run_id("r2").create()?;
    assert_eq!(
        b().stage("finetune").open_latest()?.path(),
        fine.path(),
        "the newest finetune run, though a pretrain run came after it"
    );
    assert_eq!(b().stage("pretrain").open_latest()?.path(), pre.path());
    Ok(())
}

#[test]
fn a_stage_folder_is_never_opened_as_a_run() -> TestResult {
    let root = tempfile::tempdir()?;
    Run::builder(root.path()).stage("pretrain").create()?;
    let before = tree(root.path());
    for attempt in [
        Run::builder(root.path())
            .run_id("pretrain")
            .create_or_open(),
        Run::builder(root.path()).run_id("pretrain").open(),
    ] {
        let err = attempt.unwrap_err();
        assert!(matches!(err, Error::NotARun { .. }), "{err:?}");
        assert!(err.to_string().contains("latest"), "{err}");
    }
    let provider = PathProvider::new(root.path(), "pretrain", None, false);
    assert!(matches!(provider, Err(Error::NotARun { .. })));
    assert_eq!(
        tree(root.path()),
        before,
        "no checkpoints/ in a stage folder"
    );
    // A run-first id folder, which holds a run but no pointer, is none either.
    let rf = Run::builder(root.path())
        .nesting(Nesting::RunFirst)
        .stage("eval")
        .run_id("r7")
        .latest_pointer(false)
        .create()?;
    let err = Run::builder(root.path()).run_id("r7").open().unwrap_err();
    assert!(matches!(err, Error::NotARun { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&rf.path().display().to_string()),
        "{err}"
    );
    Ok(())
}

#[test]
fn a_run_is_never_made_inside_another_run() -> TestResult {
    // A run without a stage named like a stage, made first: a staged run
    // there would sit inside it, and the outer run's accessors would reach
    // the inner run's files through the stage's `latest` pointer.
    let root = tempfile::tempdir()?;
    let lone = Hostile {
        run: Run::builder(root.path()).run_id("pretrain").create()?,
    };
    let before = tree(root.path());
    let err = Run::builder(root.path())
        .stage("pretrain")
        .create()
        .unwrap_err();
    match &err {
        Error::InsideRun { path, run } => {
            assert_eq!(run, lone.run.path());
            assert!(path.starts_with(lone.run.path()), "{path:?}");
        }
        other => panic!("expected InsideRun, got {other:?}"),
    }
    assert!(
        err.to_string()
            .contains(&lone.run.path().display().to_string()),
        "{err}"
    );
    for attempt in [
        Run::builder(root.path())
            .stage("pretrain")
            .run_id("r")
            .create(),
        Run::builder(root.path())
            .stage("pretrain")
            .run_id("r")
            .create_or_open(),
        Run::builder(root.path())
            .stage("pretrain")
            .run_id("r")
            .start(),
    ] {
        assert!(
            matches!(attempt, Err(Error::InsideRun { .. })),
            "{attempt:?}"
        );
    }
    assert_eq!(tree(root.path()), before, "nothing made inside the run");
    // So the lone run's `latest` value is a folder of its own, never a
    // pointer into another run.
    assert!(!lone.run.path().join(LATEST).exists());

    // Run-first order: the id folder of a staged run is a run itself.
    let rf = Run::builder(root.path()).run_id("r2").create()?;
    let before = tree(root.path());
    let err = Run::builder(root.path())
        .nesting(Nesting::RunFirst)
        .stage("s")
        .run_id("r2")
        .create()
        .unwrap_err();
    assert!(
        matches!(&err, Error::InsideRun { run, .. } if run == rf.path()),
        "{err:?}"
    );
    // A root that is a run holds no runs either.
    let err = Run::builder(lone.run.path()).create().unwrap_err();
    assert!(
        matches!(&err, Error::InsideRun { run, .. } if run == lone.run.path()),
        "{err:?}"
    );
    assert_eq!(tree(root.path()), before, "nothing made inside the runs");
    // A `run.json` of the user's own (a config in the project folder used
    // as the root) makes no run of the root.
    let project = tempfile::tempdir()?;
    fs::write(project.path().join(MANIFEST), r#"{"lr": 0.1}"#)?;
    Run::builder(project.path()).stage("train").create()?;
    Ok(())
}

#[test]
fn a_missing_output_root_is_named_as_such() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let root = scratch.path().join("no-such-root");
    let err = Run::builder(&root)
        .stage("s")
        .run_id("r1")
        .open()
        .unwrap_err();
    match &err {
        Error::RootNotFound { root: named } => assert_eq!(named, &root),
        other => panic!("expected RootNotFound, got {other:?}"),
    }
    assert!(err.to_string().contains("no-such-root"), "{err}");
    assert!(err.to_string().contains("output root"), "{err}");
    let err = Run::builder(&root).open_latest().unwrap_err();
    assert!(matches!(err, Error::RootNotFound { .. }), "{err:?}");
    assert!(!root.exists(), "opening makes nothing");
    Ok(())
}

#[test]
fn a_failed_run_first_create_takes_back_the_id_folder_it_made() -> TestResult {
    let root = tempfile::tempdir()?;
    // A real file where the stage's pointer goes makes the creation fail.
    fs::write(root.path().join(format!("{LATEST}+s")), "mine")?;
    let b = || {
        Run::builder(root.path())
            .nesting(Nesting::RunFirst)
            .stage("s")
            .run_id("fixed")
    };
    assert!(matches!(b().create(), Err(Error::NotALink { .. })));
    assert!(
        !root.path().join("fixed").exists(),
        "the id folder was left"
    );
    fs::remove_file(root.path().join(format!("{LATEST}+s")))?;
    let run = b().create()?;
    assert!(run.is_new());
    Ok(())
}

#[cfg(unix)]
#[test]
fn a_dangling_symlink_at_the_run_path_is_named_the_same_by_create_and_open() -> TestResult {
    let root = tempfile::tempdir()?;
    fs::create_dir(root.path().join("s"))?;
    let at = root.path().join("s/r1");
    std::os::unix::fs::symlink("/nonexistent/elsewhere", &at)?;
    let b = || Run::builder(root.path()).stage("s").run_id("r1");
    for err in [b().create().unwrap_err(), b().open().unwrap_err()] {
        match &err {
            Error::DanglingLink { path, target } => {
                assert_eq!(path, &at);
                assert_eq!(target, Path::new("/nonexistent/elsewhere"));
            }
            other => panic!("expected DanglingLink, got {other:?}"),
        }
    }
    Ok(())
}

#[cfg(unix)]
#[test]
fn a_latest_pointer_that_leads_outside_is_called_what_it_is() -> TestResult {
    let root = tempfile::tempdir()?;
    Run::builder(root.path()).stage("s").create()?;
    let pointer = root.path().join("s").join(LATEST);
    fs::remove_file(&pointer)?;
    std::os::unix::fs::symlink("../../../etc", &pointer)?;
    let err = Run::builder(root.path())
        .stage("s")
        .open_latest()
        .unwrap_err();
    match &err {
        Error::InvalidLink { path, target, .. } => {
            assert_eq!(path, &pointer);
            assert_eq!(target, Path::new("../../../etc"));
        }
        other => panic!("expected InvalidLink, got {other:?}"),
    }
    assert!(!err.to_string().contains("real file"), "{err}");
    Ok(())
}

#[test]
fn a_missing_run_says_where_that_id_does_exist() -> TestResult {
    let root = tempfile::tempdir()?;
    let pre = Run::builder(root.path())
        .stage("pretrain")
        .run_id("base")
        .create()?;
    let err = Run::builder(root.path())
        .stage("finetune")
        .run_id("base")
        .open()
        .unwrap_err();
    match &err {
        Error::RunNotFound { elsewhere, .. } => assert_eq!(elsewhere, &[pre.path().to_path_buf()]),
        other => panic!("expected RunNotFound, got {other:?}"),
    }
    assert!(
        err.to_string().contains(&pre.path().display().to_string()),
        "{err}"
    );
    Ok(())
}

/// Without manifests a run folder has no `run.json` to be known by: one that
/// holds something and is no stage folder (no `latest` pointer, no run
/// inside) is named all the same; an empty folder or a stage folder is not.
#[test]
fn a_missing_run_says_where_that_id_exists_without_manifests() -> TestResult {
    let root = tempfile::tempdir()?;
    let bare = |stage: &str| {
        Run::builder(root.path())
            .stage(stage)
            .run_id("base")
            .write_manifest(false)
    };
    let pre = bare("pretrain").create()?;
    fs::create_dir(pre.path().join("checkpoints"))?;
    let debug = bare("eval").debug(true).create()?;
    fs::write(debug.path().join("log.txt"), "x")?;
    // Not runs: an empty folder of that id, and a stage folder named like it
    // (it holds the `latest` pointer of its runs).
    fs::create_dir_all(root.path().join("empty/base"))?;
    Run::builder(root.path())
        .stage("base")
        .write_manifest(false)
        .create()?;
    let err = bare("finetune").open().unwrap_err();
    match &err {
        Error::RunNotFound { elsewhere, .. } => assert_eq!(
            elsewhere,
            &[debug.path().to_path_buf(), pre.path().to_path_buf()]
        ),
        other => panic!("expected RunNotFound, got {other:?}"),
    }
    assert!(
        err.to_string().contains(&pre.path().display().to_string()),
        "{err}"
    );
    Ok(())
}

#[test]
fn a_joiner_that_comes_early_waits_for_the_manifest() -> TestResult {
    let root = tempfile::tempdir()?;
    // What a joiner finds while the creator is between its mkdir and its
    // manifest: an empty folder.
    let folder = root.path().join("job");
    fs::create_dir(&folder)?;
    let creator = {
        let root = root.path().to_path_buf();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            // The creator finishes: its manifest lands.
            let made = Run::builder(&root)
                .run_id("other")
                .create()
                .expect("create");
            fs::copy(made.path().join(MANIFEST), root.join("job").join(MANIFEST))
                .expect("manifest");
        })
    };
    let start = Instant::now();
    let joined = Run::builder(root.path()).run_id("job").create_or_open()?;
    assert!(!joined.is_new());
    assert!(
        joined.path().join(MANIFEST).is_file(),
        "returned before the manifest"
    );
    assert!(start.elapsed() >= Duration::from_millis(250));
    creator.join().expect("creator");
    Ok(())
}

#[test]
fn a_joiner_moves_latest_where_its_killed_creator_did_not() -> TestResult {
    let root = tempfile::tempdir()?;
    let builder = || Run::builder(root.path()).stage("s");
    let before = builder().create()?;
    // The creator of `job-1` died between its manifest and the pointer.
    let made = builder().run_id("job-1").latest_pointer(false).create()?;
    assert_eq!(builder().open_latest()?.path(), before.path());
    // A requeued rank joins it, and `latest` now names it.
    let joined = builder().run_id("job-1").create_or_open()?;
    assert!(!joined.is_new());
    assert_eq!(builder().open_latest()?.path(), made.path());
    // Joining an older run never moves the pointer back.
    let newest = builder().create()?;
    builder().run_id("job-1").create_or_open()?;
    assert_eq!(builder().open_latest()?.path(), newest.path());
    Ok(())
}

#[test]
fn a_manifest_from_the_future_does_not_hold_latest() -> TestResult {
    // A node whose clock ran far ahead (or a hand edit) records a creation
    // time years away: later runs still move `latest`.
    let root = tempfile::tempdir()?;
    let builder = || Run::builder(root.path()).stage("s");
    let skewed = builder().create()?;
    let text = fs::read_to_string(skewed.path().join(MANIFEST))?;
    let year = &text[text.find("\"created\": \"").expect("created") + 12..][..4];
    fs::write(
        skewed.path().join(MANIFEST),
        text.replacen(&format!("\"{year}-"), "\"2099-", 1),
    )?;
    assert!(fs::read_to_string(skewed.path().join(MANIFEST))?.contains("\"2099-"));
    let newer = builder().create()?;
    assert_eq!(builder().open_latest()?.path(), newer.path());
    Ok(())
}

#[test]
fn a_creator_that_died_before_its_manifest_is_reported_after_a_bounded_wait() -> TestResult {
    let root = tempfile::tempdir()?;
    fs::create_dir(root.path().join("job"))?;
    let start = Instant::now();
    let err = Run::builder(root.path())
        .run_id("job")
        .join_timeout(Duration::from_millis(400))
        .create_or_open()
        .unwrap_err();
    let waited = start.elapsed();
    assert!(matches!(err, Error::IncompleteRun { .. }), "{err:?}");
    assert!(waited >= Duration::from_millis(400) && waited < Duration::from_secs(3));
    assert!(err.to_string().contains("died"), "{err}");
    // Without manifests there is nothing to wait for.
    Run::builder(root.path())
        .run_id("job")
        .write_manifest(false)
        .open()?;
    Ok(())
}

#[cfg(target_os = "linux")]
#[test]
fn a_fifo_or_device_named_run_json_never_hangs_a_reader() -> TestResult {
    let root = tempfile::tempdir()?;
    let fifo_run = Run::builder(root.path())
        .stage("s")
        .run_id("fifo")
        .create()?;
    let zero_run = Run::builder(root.path())
        .stage("s")
        .run_id("zero")
        .create()?;
    fs::remove_file(fifo_run.path().join(MANIFEST))?;
    let made = std::process::Command::new("mkfifo")
        .arg(fifo_run.path().join(MANIFEST))
        .status()?;
    assert!(made.success());
    fs::remove_file(zero_run.path().join(MANIFEST))?;
    std::os::unix::fs::symlink("/dev/zero", zero_run.path().join(MANIFEST))?;

    let (done, result) = std::sync::mpsc::channel();
    let root_path = root.path().to_path_buf();
    std::thread::spawn(move || {
        let _ = done.send(Runs::scan(&root_path).list());
    });
    let listing = result
        .recv_timeout(Duration::from_secs(5))
        .expect("the scan hung")?;
    let kinds: Vec<&str> = listing
        .problems
        .iter()
        .filter_map(|p| match p {
            Error::NotARegularFile { kind, .. } => Some(*kind),
            _ => None,
        })
        .collect();
    assert_eq!(kinds.len(), 2, "{:?}", listing.problems);
    assert!(kinds.contains(&"FIFO") && kinds.contains(&"device"));
    assert!(matches!(
        fifo_run.manifest(),
        Err(Error::NotARegularFile { .. })
    ));
    assert!(matches!(
        Run::builder(root.path()).stage("s").run_id("fifo").open(),
        Err(Error::NotARegularFile { .. })
    ));
    Ok(())
}

#[test]
fn temporaries_left_by_a_dead_writer_are_swept_and_never_listed() -> TestResult {
    let root = tempfile::tempdir()?;
    let anc = Run::builder(root.path()).stage("a").create()?;
    let run = Run::builder(root.path()).stage("s").create()?;
    // What a writer killed mid-rename leaves: a temporary of a process that
    // no longer exists (pid u32::MAX never does), of this host.
    let dead = dead_writers_temporary(run.path())?;
    let dead_in_stage = dead_writers_temporary(&root.path().join("s"))?;
    let listing = Runs::scan(root.path()).list()?;
    assert_eq!(listing.runs.len(), 2);
    assert!(listing.problems.is_empty(), "{:?}", listing.problems);
    assert!(!dead_in_stage.exists(), "the scan sweeps the stage folder");
    assert!(dead.exists(), "scans do not read inside run folders");
    let resumed = Run::builder(root.path())
        .stage("s")
        .run_id(run.id().as_str())
        .open()?;
    assert!(!dead.exists(), "opening a run sweeps its folder");
    let dead = dead_writers_temporary(resumed.path())?;
    let joined = Run::builder(root.path())
        .stage("s")
        .run_id(run.id().as_str())
        .create_or_open()?;
    assert!(!joined.is_new() && !dead.exists(), "so does joining it");
    let dead = dead_writers_temporary(run.path())?;
    run.link(&anc)?;
    assert!(!dead.exists(), "linking sweeps the run folder");
    assert!(run.descendants()?.is_empty() && anc.descendants()?.len() == 1);
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let dst = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dst)?;
        } else {
            fs::copy(entry.path(), dst)?;
        }
    }
    Ok(())
}

#[derive(Layout)]
#[layout(logs = "logs/", cfg = "config.yaml")]
struct OnFolder {
    root: PathBuf,
}

#[derive(Layout)]
#[layout(logs = "logs/", cfg = "config.yaml")]
struct OnRun {
    run: Run,
}

#[cfg(feature = "manifest")]
#[test]
fn create_all_records_the_layout_in_every_run_and_only_there() -> TestResult {
    use runlayout::names::LAYOUT_RECORD;
    let root = tempfile::tempdir()?;
    // A run without a manifest is a run all the same: a layout rooted at
    // it records itself there.
    let bare = Run::builder(root.path())
        .stage("s")
        .write_manifest(false)
        .create()?;
    assert!(!bare.path().join(MANIFEST).exists());
    OnRun { run: bare.clone() }.create_all()?;
    let record = bare.layout_record()?.expect("recorded without run.json");
    assert_eq!(
        record.entry("cfg").map(|e| e.path.as_str()),
        Some("config.yaml")
    );

    // A folder path that is a run folder (it has run.json): recorded.
    let full = Run::builder(root.path()).stage("s").create()?;
    OnFolder {
        root: full.path().to_path_buf(),
    }
    .create_all()?;
    assert!(full.layout_record()?.is_some());

    // A folder path that is no run: nothing is recorded there.
    let plain = root.path().join("plain");
    OnFolder {
        root: plain.clone(),
    }
    .create_all()?;
    assert!(plain.join("logs").is_dir());
    assert!(!plain.join(LAYOUT_RECORD).exists());
    Ok(())
}

/// A hand-made `run.layout.json` with the entries `(name, path, kind)`,
/// all in one layout.
#[cfg(feature = "manifest")]
fn write_layout_record(run: &Run, entries: &[(&str, &str, &str)]) -> std::io::Result<()> {
    let entries: Vec<serde_json::Value> = entries
        .iter()
        .map(|(name, path, kind)| serde_json::json!({ "name": name, "path": path, "kind": kind }))
        .collect();
    let record = serde_json::json!({ "layouts": { "Paths": entries } });
    fs::write(
        run.path().join(runlayout::names::LAYOUT_RECORD),
        serde_json::to_vec(&record)?,
    )
}

#[cfg(feature = "manifest")]
#[test]
fn a_recorded_layout_obeys_the_rules_of_the_derive() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).stage("s").create()?;
    let record = run.path().join(runlayout::names::LAYOUT_RECORD);
    // What a layout may declare reads back: nested entries below a fixed
    // mount, `latest` (no name kept in a run folder), placeholders.
    let fine = [
        ("ckpt", "checkpoints/epoch_{epoch:04}.ckpt", "file"),
        ("latest", "latest/", "dir"),
        ("tracker", "tracker/", "dir"),
        ("tracker.cfg", "tracker/{name}.yaml", "file"),
        ("tracker.ancestor", "tracker/plots/ancestor", "dir"),
    ];
    write_layout_record(&run, &fine)?;
    let read = run.layout_record()?.expect("recorded");
    assert_eq!(read.entries().count(), fine.len());

    // What no layout can declare is refused, naming the entry, its path
    // and the record.
    for (entries, entry, value) in [
        (
            &[
                ("tracker", "../../..", "dir"),
                ("tracker.cfg", "../../../x.yaml", "file"),
            ][..],
            "tracker",
            "../../..",
        ),
        (&[("up", "a/../../b", "file")], "up", "a/../../b"),
        (&[("here", "./x", "file")], "here", "./x"),
        (&[("abs", "/etc/passwd", "file")], "abs", "/etc/passwd"),
        (&[("empty", "a//b", "file")], "empty", "a//b"),
        (&[("nothing", "", "file")], "nothing", ""),
        (&[("back", "a\\b", "file")], "back", "a\\b"),
        (
            &[("anc", "ancestor/log.txt", "file")],
            "anc",
            "ancestor/log.txt",
        ),
        (&[("desc", "descendants", "dir")], "desc", "descendants"),
        (&[("manifest", "run.json", "file")], "manifest", "run.json"),
        (
            &[("status", "RUN.STATUS.JSON", "file")],
            "status",
            "RUN.STATUS.JSON",
        ),
        (
            &[
                ("tracker", "Ancestor/", "dir"),
                ("tracker.cfg", "Ancestor/cfg.yaml", "file"),
            ][..],
            "tracker",
            "Ancestor/",
        ),
        // The nested layout's own first component follows the rule too.
        (
            &[
                ("tracker", "tracker/", "dir"),
                ("tracker.manifest", "tracker/run.json", "file"),
            ][..],
            "tracker.manifest",
            "tracker/run.json",
        ),
        // A nested layout mounts at a fixed folder.
        (
            &[
                ("tracker", "t/{x}/", "dir"),
                ("tracker.cfg", "t/{x}/cfg.yaml", "file"),
            ][..],
            "tracker",
            "t/{x}/",
        ),
        (&[("slash", "log.txt/", "file")], "slash", "log.txt/"),
    ] {
        write_layout_record(&run, entries)?;
        let err = run.layout_record().expect_err(value);
        assert!(matches!(err, Error::InvalidRecord { .. }), "{err:?}");
        assert_eq!(err.path(), Some(record.as_path()));
        let message = err.to_string();
        assert!(
            message.contains(&format!("entry `{entry}`"))
                && message.contains(&format!("`{value}`")),
            "{value}: {message}"
        );
    }
    Ok(())
}
