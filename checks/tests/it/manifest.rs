//! `run.json`: written once at creation, atomically, readable back, never
//! rewritten (ancestry lives in the `ancestor` link); runs without one are
//! still runs.

use std::fs;

use crate::support::{TestResult, forge, tree};
use runlayout::{Error, Nesting, Run, names::MANIFEST, record::Manifest, scan::Runs};

#[test]
fn creation_writes_a_complete_manifest() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path())
        .stage("pretrain")
        .debug(true)
        .nesting(Nesting::RunFirst)
        .create()?;
    let text = fs::read_to_string(run.path().join(MANIFEST))?;
    let m: Manifest = serde_json::from_str(&text)?;
    assert_eq!(m, run.manifest()?.expect("manifest"));
    assert_eq!(m.format, 1);
    assert_eq!(m.id, run.id().as_str());
    assert_eq!(m.stage.as_deref(), Some("pretrain"));
    assert!(m.debug);
    assert_eq!(m.nesting, Nesting::RunFirst);
    assert!(text.contains("\"nesting\": \"run_first\""), "{text}");
    let created = jiff::Timestamp::strptime("%Y-%m-%dT%H:%M:%S%.f%:z", &m.created)?;
    let age = jiff::Timestamp::now().duration_since(created);
    assert!(age.as_secs() < 60, "created {} is not now", m.created);
    assert_eq!(m.process.pid, Some(std::process::id()));
    let args: Vec<String> = std::env::args().collect();
    assert_eq!(m.command, args);
    assert_eq!(m.runlayout, env!("CARGO_PKG_VERSION"));
    if cfg!(target_os = "linux") {
        let kernel = fs::read_to_string("/proc/sys/kernel/hostname")?;
        assert_eq!(m.process.host.as_deref(), Some(kernel.trim()));
    }
    assert!(
        !text.contains("ancestor"),
        "ancestry is not the manifest's: {text}"
    );
    // Written through a temporary name: none is left behind.
    let names: Vec<_> = fs::read_dir(run.path())?
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names, [MANIFEST]);
    Ok(())
}

#[test]
fn link_never_rewrites_the_manifest_so_unknown_fields_survive() -> TestResult {
    let root = tempfile::tempdir()?;
    let pre = Run::builder(root.path()).stage("pretrain").create()?;
    let fine = pre.with_run(None, Some("finetune")).create()?;
    let path = fine.path().join(MANIFEST);
    let notes = serde_json::json!("lr sweep, second try");
    let config = serde_json::json!({ "lr": 0.1, "layers": [64, 64] });
    forge(
        &fine,
        MANIFEST,
        &[
            ("notes", notes.clone()),
            ("config", config.clone()),
            ("newfield", serde_json::Value::Null),
        ],
    )?;
    let written = fs::read(&path)?;
    fine.link(&pre)?;
    assert_eq!(fs::read(&path)?, written, "run.json is untouched by link");
    let read = fine.manifest()?.expect("manifest");
    assert_eq!(read.other("notes"), Some(&notes));
    assert_eq!(read.other("config"), Some(&config));
    assert_eq!(read.other("newfield"), Some(&serde_json::Value::Null));
    assert_eq!(fine.ancestor()?, Some(pre.path().canonicalize()?));
    Ok(())
}

#[test]
fn a_newer_format_with_the_needed_fields_is_read() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).create()?;
    forge(
        &run,
        MANIFEST,
        &[("format", 7.into()), ("shards", 4.into())],
    )?;
    let m = run.manifest()?.expect("manifest");
    assert_eq!((m.format, m.id.as_str()), (7, run.id().as_str()));
    assert_eq!(m.other("shards"), Some(&serde_json::json!(4)));
    Ok(())
}

#[test]
fn only_the_creator_writes_the_manifest() -> TestResult {
    let root = tempfile::tempdir()?;
    let first = Run::builder(root.path()).run_id("job").create_or_open()?;
    let written = fs::read(first.path().join(MANIFEST))?;
    let second = Run::builder(root.path()).run_id("job").create_or_open()?;
    assert!(!second.is_new());
    assert_eq!(fs::read(second.path().join(MANIFEST))?, written);
    let opened = Run::builder(root.path()).run_id("job").open()?;
    assert_eq!(fs::read(opened.path().join(MANIFEST))?, written);
    Ok(())
}

#[test]
fn runs_without_a_manifest_are_runs_for_every_api() -> TestResult {
    let root = tempfile::tempdir()?;
    let pre = Run::builder(root.path())
        .stage("pretrain")
        .write_manifest(false)
        .create()?;
    assert!(!pre.path().join(MANIFEST).exists());
    assert_eq!(pre.manifest()?, None);
    // A folder made by hand, with data in it, where runlayout would put a run.
    fs::create_dir_all(root.path().join("finetune/by-hand"))?;
    fs::write(root.path().join("finetune/by-hand/notes.txt"), "by hand")?;
    let fine = Run::builder(root.path())
        .stage("finetune")
        .run_id("by-hand")
        .open()?;
    fine.link(&pre)?;
    assert_eq!(fine.manifest()?, None, "link does not invent a manifest");
    assert_eq!(fine.ancestor()?, Some(pre.path().canonicalize()?));
    assert_eq!(pre.descendants()?, vec![fine.path().canonicalize()?]);
    let again = Run::builder(root.path())
        .stage("finetune")
        .run_id("by-hand")
        .create_or_open()?;
    assert!(!again.is_new());
    let listed = Runs::scan(root.path()).stage("finetune").list()?;
    assert_eq!(listed.runs.len(), 1);
    assert_eq!(listed.runs[0].run.id().as_str(), "by-hand");
    assert!(listed.runs[0].manifest.is_none());
    Ok(())
}

#[test]
fn a_broken_manifest_is_an_error_naming_it() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).create()?;
    let path = run.path().join(MANIFEST);
    fs::write(&path, "{ not json")?;
    match run.manifest() {
        Err(Error::InvalidRecord {
            kind,
            path: p,
            message,
        }) => {
            assert_eq!(kind, runlayout::error::RecordKind::Manifest);
            assert_eq!(p, path);
            assert!(!message.is_empty());
        }
        other => panic!("expected InvalidRecord, got {other:?}"),
    }
    // Linking does not need the manifest, and leaves it as it was.
    let other = Run::builder(root.path()).create()?;
    run.link(&other)?;
    assert_eq!(fs::read_to_string(&path)?, "{ not json");
    assert_eq!(run.ancestor()?, Some(other.path().canonicalize()?));
    Ok(())
}

#[test]
fn manifests_can_be_switched_off() -> TestResult {
    let root = tempfile::tempdir()?;
    Run::builder(root.path())
        .stage("s")
        .run_id("r")
        .write_manifest(false)
        .latest_pointer(false)
        .create()?;
    let made: Vec<_> = tree(root.path()).into_iter().collect();
    assert_eq!(made, [std::path::PathBuf::from("s"), "s/r".into()]);
    Ok(())
}

/// Races a creator (`create` or `create_or_open` of one explicit id, as
/// `creator` does) against a joiner that comes as soon as the folder
/// appears, with `join_timeout(ZERO)`: it takes any empty folder as
/// abandoned and completes it with its own manifest. Returns, per round,
/// the creator's result and the joiner's run (if it got one).
#[allow(clippy::type_complexity)]
fn creator_against_a_quick_joiner(
    root: &std::path::Path,
    rounds: usize,
    creator: fn(runlayout::RunBuilder) -> runlayout::Result<Run>,
) -> Vec<(runlayout::Result<Run>, runlayout::Result<Run>)> {
    use std::time::{Duration, Instant};
    (0..rounds)
        .map(|i| {
            let id = format!("raced-{i}");
            let builder = Run::builder(root).stage("s").record_git(false).run_id(&id);
            let folder = root.join("s").join(&id);
            let joiner = {
                let builder = builder.clone().join_timeout(Duration::ZERO);
                std::thread::spawn(move || {
                    let until = Instant::now() + Duration::from_secs(5);
                    while !folder.is_dir() && Instant::now() < until {
                        std::hint::spin_loop();
                    }
                    builder.create_or_open()
                })
            };
            let made = creator(builder);
            let joined = joiner.join().expect("the joiner does not panic");
            (made, joined)
        })
        .collect()
}

/// A joiner that completes a run folder whose creator is still writing its
/// manifest wins the link; the creator's `create()` then fails, and its undo
/// removes `run.json` (the joiner's) and the folder, though the joiner
/// holds that run: nothing of another's may be lost.
#[cfg(feature = "manifest")]
#[test]
fn a_failed_create_never_removes_the_manifest_a_joiner_completed() -> TestResult {
    let root = tempfile::tempdir()?;
    let mut lost = Vec::new();
    for (made, joined) in creator_against_a_quick_joiner(root.path(), 300, |b| b.create()) {
        if let (Err(e), Ok(run)) = (&made, &joined)
            && !run.path().join(MANIFEST).is_file()
        {
            lost.push(format!("{}: creator failed with {e}", run.path().display()));
        }
    }
    assert!(
        lost.is_empty(),
        "{} joiners hold runs whose manifest (or folder) the failed creator removed, first: {}",
        lost.len(),
        lost[0]
    );
    Ok(())
}

/// `create_or_open`: "none fails because another won". A creator whose
/// manifest a joiner linked first gets `AlreadyExists` instead of the run.
#[cfg(feature = "manifest")]
#[test]
fn a_creator_never_fails_because_a_joiner_completed_its_run() -> TestResult {
    let root = tempfile::tempdir()?;
    let rounds = creator_against_a_quick_joiner(root.path(), 300, |b| b.create_or_open());
    let failed: Vec<String> = rounds
        .iter()
        .filter_map(|(made, _)| made.as_ref().err().map(|e| e.to_string()))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of 300 creators failed, first: {}",
        failed.len(),
        failed[0]
    );
    for (_, joined) in &rounds {
        let joined = joined.as_ref().map_err(|e| e.to_string())?;
        assert!(joined.path().join(MANIFEST).is_file());
    }
    Ok(())
}

/// Every new manifest, made from the kept maker's text and each run's own
/// fields, is byte for byte what serializing the manifest it reads back as
/// gives, and reads back as what it says: for runs with and without a
/// stage, debug, run first, a launched job, git recorded or not, made in
/// turn so that the kept maker is reused and remade.
#[cfg(feature = "manifest")]
#[test]
fn new_manifests_are_the_whole_manifest_serialized() -> TestResult {
    use std::ffi::OsString;
    let root = tempfile::tempdir()?;
    let launcher = runlayout::Launcher::detect_with(|k: &str| match k {
        "SLURM_JOB_ID" => Some(OsString::from("77")),
        "SLURM_STEP_ID" => Some(OsString::from("0")),
        _ => None,
    })
    .ok_or("a launcher")?;
    let mut runs = Vec::new();
    for git in [true, false, true] {
        let b = || Run::builder(root.path()).record_git(git);
        runs.push(b().create()?);
        runs.push(
            b().stage("pre")
                .debug(true)
                .nesting(Nesting::RunFirst)
                .create()?,
        );
        runs.push(
            b().stage("pre")
                .run_id(format!("job-{git}-{}", runs.len()))
                .create_for(&launcher)?,
        );
    }
    for run in &runs {
        let text = fs::read(run.path().join(MANIFEST))?;
        let read: Manifest = serde_json::from_slice(&text)?;
        let mut whole = serde_json::to_vec_pretty(&read)?;
        whole.push(b'\n');
        assert_eq!(
            String::from_utf8_lossy(&text),
            String::from_utf8_lossy(&whole),
            "{}",
            run.path().display()
        );
        assert_eq!(read.id, run.id().as_str());
        assert_eq!(read.process.pid, Some(std::process::id()));
    }
    Ok(())
}
