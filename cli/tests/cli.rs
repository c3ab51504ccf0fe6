//! The real `runlayout` binary against real folders.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use runlayout::{LinkStyle, Nesting, Run};
use serde_json::Value;

#[path = "support/command.rs"]
mod command;
use command::{json, ok, runlayout};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn failed(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "expected a failure: {out:?}");
    assert!(out.stdout.is_empty());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// pretrain/r1 -> finetune/r1 (linked), debug/pretrain/d1, a run-first
/// eval run, and a foreign file.
fn fixture(root: &Path) -> Result<[Run; 4], runlayout::Error> {
    let pre = Run::builder(root).stage("pretrain").run_id("r1").create()?;
    let fine = pre.with_run(None, Some("finetune")).create()?;
    fine.link(&pre)?;
    let dbg = Run::builder(root)
        .stage("pretrain")
        .debug(true)
        .run_id("d1")
        .create()?;
    let eval = Run::builder(root)
        .nesting(Nesting::RunFirst)
        .stage("eval")
        .run_id("e1")
        .link_style(LinkStyle::PointerFile)
        .create()?;
    std::fs::write(root.join("NOTES.md"), "not a run").expect("write");
    Ok([pre, fine, dbg, eval])
}

#[test]
fn ls_prints_a_table_and_json() -> TestResult {
    let tmp = tempfile::tempdir()?;
    fixture(tmp.path())?;
    let table = ok(&runlayout(tmp.path(), &["ls"]));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("RUN ") && lines[0].contains("PATH"));
    assert_eq!(lines.len(), 4, "header and three non-debug runs:\n{table}");
    // Runs named as `<RUN>` takes them, the run-first one too.
    assert!(lines[1].starts_with("pretrain/r1 "), "{table}");
    assert!(lines[2].starts_with("finetune/r1 "), "{table}");
    assert!(lines[3].starts_with("eval/e1 "), "{table}");

    let all = json(&runlayout(tmp.path(), &["ls", "--json"]));
    let runs = all["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 3);
    // Ancestry as the `ancestor` link records it.
    let ancestor = tmp.path().canonicalize()?.join("pretrain/r1");
    assert_eq!(runs[1]["ancestor"], ancestor.display().to_string());
    assert_eq!(runs[1]["ancestor_run"], "pretrain/r1");
    assert_eq!(runs[2]["run"], "eval/e1");
    assert!(lines[2].contains(" pretrain/r1 "), "{table}");
    assert_eq!(runs[0]["pid"], std::process::id());
    assert_eq!(all["problems"].as_array().map(Vec::len), Some(0));

    let staged = json(&runlayout(
        tmp.path(),
        &["--json", "ls", "--stage", "pretrain"],
    ));
    assert_eq!(staged["runs"].as_array().map(Vec::len), Some(1));
    let debug = json(&runlayout(tmp.path(), &["ls", "--debug", "--json"]));
    assert_eq!(debug["runs"][0]["id"], "d1");
    assert_eq!(debug["runs"][0]["debug"], true);
    Ok(())
}

#[test]
fn show_prints_manifest_ancestor_and_descendants() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let [pre, fine, ..] = fixture(tmp.path())?;
    let text = ok(&runlayout(tmp.path(), &["show", "finetune/r1"]));
    assert!(text.contains("stage:       finetune"), "{text}");
    assert!(
        text.contains(&format!("pid:         {}", std::process::id())),
        "{text}"
    );
    assert!(text.contains("\nancestor:    pretrain/r1\n"), "{text}");
    let text = ok(&runlayout(tmp.path(), &["show", "pretrain/r1"]));
    assert!(text.contains("\ndescendants: finetune/r1\n"), "{text}");
    let value = json(&runlayout(tmp.path(), &["show", "pretrain/r1", "--json"]));
    assert_eq!(value["id"], "r1");
    assert_eq!(value["run"], "pretrain/r1");
    assert_eq!(
        value["descendants"][0],
        fine.path().canonicalize()?.display().to_string()
    );
    assert_eq!(value["descendant_runs"], serde_json::json!(["finetune/r1"]));
    assert_eq!(value["ancestor"], Value::Null);
    let fine_json = json(&runlayout(tmp.path(), &["show", "finetune/r1", "--json"]));
    assert_eq!(
        fine_json["ancestor"],
        pre.path().canonicalize()?.display().to_string()
    );
    assert_eq!(fine_json["ancestor_run"], "pretrain/r1");
    Ok(())
}

/// `<RUN>` is read as `RunArgs`' `--run-resume` reads it (one `RunSpec`):
/// `latest` in any case, and no part of it empty.
#[test]
fn run_names_are_read_as_run_resume_reads_them() -> TestResult {
    let tmp = tempfile::tempdir()?;
    fixture(tmp.path())?;
    let shown = json(&runlayout(
        tmp.path(),
        &["show", "pretrain/LATEST", "--json"],
    ));
    assert_eq!(shown["run"], "pretrain/r1");
    for empty in ["/r1", "pretrain/", "debug//r1"] {
        let err = failed(&runlayout(tmp.path(), &["show", empty]));
        assert!(err.contains(&format!("`{empty}` names no run")), "{err}");
    }
    Ok(())
}

#[test]
fn unknown_and_ambiguous_runs_fail_clearly() -> TestResult {
    let tmp = tempfile::tempdir()?;
    fixture(tmp.path())?;
    let err = failed(&runlayout(tmp.path(), &["show", "nope"]));
    assert!(err.contains("no run `nope`"), "{err}");
    let err = failed(&runlayout(tmp.path(), &["show", "r1"]));
    assert!(
        err.contains("names 2 runs") && err.contains("pretrain/r1") && err.contains("finetune/r1"),
        "{err}"
    );
    let err = failed(&runlayout(tmp.path(), &["tree", "a/b/c/d"]));
    assert!(err.contains("names no run"), "{err}");
    let missing = tmp.path().join("missing");
    let err = failed(&runlayout(&missing, &["ls"]));
    assert!(err.contains("is not a folder"), "{err}");
    let err = failed(&runlayout(&missing, &["show", "r1"]));
    assert!(err.contains("is not a folder"), "{err}");
    // A bucket is no folder either: said so, naming it, and nothing made.
    // (Every command works on a bucket when built with the
    // `object-store` feature: tests/bucket.rs.)
    let reading: &[&[&str]] = if cfg!(feature = "object-store") {
        &[]
    } else {
        &[
            &["show", "r1"],
            &["prune", "--older-than", "0s", "--yes"],
            &["link", "r1", "r2"],
            &["sweep", "ls"],
        ]
    };
    for command in reading.iter().copied() {
        let err = failed(&runlayout(Path::new("s3://bucket/runs"), command));
        assert!(
            err.contains("`s3://bucket/runs` is a URL"),
            "{command:?}: {err}"
        );
    }
    // `ls` reads a bucket when built with the `object-store` feature
    // (tests/bucket.rs); without it, it refuses one too.
    if !cfg!(feature = "object-store") {
        let err = failed(&runlayout(Path::new("s3://bucket/runs"), &["ls"]));
        assert!(err.contains("`s3://bucket/runs` is a URL"), "{err}");
    }
    assert!(!Path::new("s3:").exists());
    Ok(())
}

#[test]
fn a_run_and_its_debug_twin_can_each_be_named() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let plain = Run::builder(tmp.path()).stage("s").run_id("x").create()?;
    let debug = Run::builder(tmp.path())
        .debug(true)
        .stage("s")
        .run_id("x")
        .create()?;
    for (spec, run) in [("s/x", &plain), ("x", &plain), ("debug/s/x", &debug)] {
        let shown = json(&runlayout(tmp.path(), &["show", spec, "--json"]));
        assert_eq!(
            shown["path"].as_str().map(Path::new),
            Some(run.path()),
            "{spec}: {shown}"
        );
    }
    // A name outside debug/ that only a debug run has still finds it.
    let only = Run::builder(tmp.path())
        .debug(true)
        .stage("s")
        .run_id("y")
        .create()?;
    let shown = json(&runlayout(tmp.path(), &["show", "s/y", "--json"]));
    assert_eq!(shown["path"].as_str().map(Path::new), Some(only.path()));
    Ok(())
}

#[test]
fn tree_lists_files_folders_and_links() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let [_, fine, ..] = fixture(tmp.path())?;
    std::fs::create_dir(fine.path().join("checkpoints"))?;
    std::fs::write(fine.path().join("checkpoints/last.ckpt"), "w")?;
    let text = ok(&runlayout(tmp.path(), &["tree", "finetune/r1"]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], fine.path().display().to_string());
    assert_eq!(
        lines[1..],
        [
            "  ancestor -> ../../pretrain/r1",
            "  checkpoints/",
            "    last.ckpt",
            "  run.json"
        ]
    );
    let value = json(&runlayout(tmp.path(), &["--json", "tree", "finetune/r1"]));
    assert_eq!(value["entries"][0]["kind"], "link");
    assert_eq!(value["entries"][1]["kind"], "dir");
    Ok(())
}

#[test]
fn latest_follows_the_pointer() -> TestResult {
    let tmp = tempfile::tempdir()?;
    fixture(tmp.path())?;
    let newer = Run::builder(tmp.path()).stage("pretrain").create()?;
    let text = ok(&runlayout(tmp.path(), &["latest", "--stage", "pretrain"]));
    assert_eq!(
        text,
        format!("pretrain/{}  {}\n", newer.id(), newer.path().display())
    );
    let value = json(&runlayout(
        tmp.path(),
        &["latest", "--stage", "pretrain", "--debug", "--json"],
    ));
    assert_eq!(value[0]["id"], "d1");
    assert_eq!(value[0]["run"], "debug/pretrain/d1");
    let err = failed(&runlayout(tmp.path(), &["latest", "--stage", "nothing"]));
    assert!(err.contains("no `latest` pointer"), "{err}");
    Ok(())
}

/// `runlayout latest` without `--stage` prints the run of every stage's
/// pointer, oldest first, and `latest` as `<RUN>` of every command is the
/// last of them: one rule, one function.
#[test]
fn latest_lists_every_stage_and_every_command_reads_latest_alike() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let [_, fine, _, eval] = fixture(root)?;
    let newer = Run::builder(root).stage("pretrain").create()?;
    let lines = |runs: &[(&str, &Run)]| -> String {
        let width = runs.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        runs.iter()
            .map(|(name, run)| format!("{name:<width$}  {}\n", run.path().display()))
            .collect()
    };
    let newer_name = format!("pretrain/{}", newer.id());
    let staged = [
        ("finetune/r1", &fine),
        ("eval/e1", &eval),
        (newer_name.as_str(), &newer),
    ];
    assert_eq!(ok(&runlayout(root, &["latest"])), lines(&staged));
    let listed = json(&runlayout(root, &["latest", "--json"]));
    let names: Vec<&str> = listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["run"].as_str().expect("run"))
        .collect();
    assert_eq!(names, ["finetune/r1", "eval/e1", newer_name.as_str()]);
    let mut keys: Vec<&String> = listed[1].as_object().expect("an object").keys().collect();
    keys.sort();
    assert_eq!(keys, ["created", "debug", "id", "path", "run", "stage"]);
    assert_eq!(listed[1]["path"], eval.path().display().to_string());
    assert_eq!(listed[1]["stage"], "eval");
    // Every command reads `latest` as the last of those.
    let shown = json(&runlayout(root, &["show", "latest", "--json"]));
    assert_eq!(shown["run"], newer_name.as_str());
    let tree = ok(&runlayout(root, &["tree", "latest"]));
    assert_eq!(
        tree.lines().next(),
        Some(newer.path().display().to_string().as_str())
    );
    let shown = json(&runlayout(root, &["show", "finetune/latest", "--json"]));
    assert_eq!(shown["run"], "finetune/r1");
    let shown = json(&runlayout(root, &["show", "debug/latest", "--json"]));
    assert_eq!(shown["run"], "debug/pretrain/d1");

    // A run without a stage, made last: the root's own pointer names it,
    // and it is the newest.
    let bare = Run::builder(root).run_id("b1").create()?;
    let mut all = staged.to_vec();
    all.push(("b1", &bare));
    assert_eq!(ok(&runlayout(root, &["latest"])), lines(&all));
    let shown = json(&runlayout(root, &["show", "latest", "--json"]));
    assert_eq!(shown["run"], "b1");
    // A newer fine-tuning run moves `latest` on.
    let last = fine.with_run(Some("r2"), None).create()?;
    let shown = json(&runlayout(root, &["show", "LATEST", "--json"]));
    assert_eq!(shown["path"], last.path().display().to_string());
    Ok(())
}

/// A pointer that cannot be followed is reported by `latest`, which prints
/// the others and exits with 1, and makes `latest` as `<RUN>` an error that
/// says why: which run is the newest cannot be told.
#[cfg(unix)]
#[test]
fn a_broken_latest_pointer_is_reported_not_skipped() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let a = Run::builder(root).stage("a").run_id("a1").create()?;
    Run::builder(root).stage("b").run_id("b1").create()?;
    std::fs::remove_file(root.join("b/latest"))?;
    std::os::unix::fs::symlink("gone", root.join("b/latest"))?;
    let out = runlayout(root, &["latest"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("a/a1  {}\n", a.path().display())
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("problem: ") && stderr.contains(&root.join("b/gone").display().to_string()),
        "{stderr}"
    );
    let err = failed(&runlayout(root, &["show", "latest"]));
    assert!(err.contains("cannot tell which run `latest` is"), "{err}");
    // The stage of the good pointer is still named.
    let shown = json(&runlayout(root, &["show", "a/latest", "--json"]));
    assert_eq!(shown["run"], "a/a1");
    Ok(())
}

#[test]
fn link_records_an_ancestor() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let [pre, _, dbg, eval] = fixture(tmp.path())?;
    let text = ok(&runlayout(tmp.path(), &["link", "e1", "debug/pretrain/d1"]));
    assert_eq!(text.trim(), "linked eval/e1 -> debug/pretrain/d1");
    assert_eq!(eval.ancestor()?, Some(dbg.path().canonicalize()?));
    let value = json(&runlayout(
        tmp.path(),
        &["link", "--json", "e1", "pretrain/r1"],
    ));
    assert_eq!(value["ancestor"], pre.path().display().to_string());
    assert_eq!(eval.ancestor()?, Some(pre.path().canonicalize()?));
    let err = failed(&runlayout(tmp.path(), &["link", "e1", "ghost"]));
    assert!(err.contains("no run `ghost`"), "{err}");
    Ok(())
}

#[test]
fn the_root_comes_from_the_environment_too() -> TestResult {
    let tmp = tempfile::tempdir()?;
    fixture(tmp.path())?;
    let out = Command::new(env!("CARGO_BIN_EXE_runlayout"))
        .args(["ls", "--json"])
        .env("RUNLAYOUT_ROOT", tmp.path())
        .output()?;
    assert_eq!(json(&out)["runs"].as_array().map(Vec::len), Some(3));
    Ok(())
}

#[test]
fn the_root_is_run_root_as_for_programs_and_root_still_works() -> TestResult {
    let tmp = tempfile::tempdir()?;
    fixture(tmp.path())?;
    let count = |out: &Output| json(out)["runs"].as_array().map(Vec::len);
    let with = |flag: &str| {
        Command::new(env!("CARGO_BIN_EXE_runlayout"))
            .arg(flag)
            .arg(tmp.path())
            .args(["ls", "--json"])
            .env_remove(runlayout::env::ENV_ROOT)
            .output()
    };
    assert_eq!(count(&with("--run-root")?), Some(3));
    assert_eq!(count(&with("--root")?), Some(3), "the old spelling stays");
    // Without either, the root is the runtime's default, below the current
    // folder, as for programs built on RunArgs.
    let cwd = tempfile::tempdir()?;
    fixture(&cwd.path().join(runlayout::env::DEFAULT_ROOT))?;
    let out = Command::new(env!("CARGO_BIN_EXE_runlayout"))
        .args(["ls", "--json"])
        .current_dir(cwd.path())
        .env_remove(runlayout::env::ENV_ROOT)
        .output()?;
    assert_eq!(count(&out), Some(3));
    let err = failed(&runlayout(&tmp.path().join("absent"), &["ls"]));
    assert!(
        err.contains("--run-root") && err.contains("RUNLAYOUT_ROOT"),
        "{err}"
    );
    let help = ok(&Command::new(env!("CARGO_BIN_EXE_runlayout"))
        .arg("--help")
        .output()?);
    assert!(help.contains("--run-root <DIR>"), "{help}");
    Ok(())
}

/// A folder named with bytes that are not UTF-8, below `parent`.
#[cfg(target_os = "linux")]
fn not_utf8(parent: &Path, bytes: &[u8]) -> std::path::PathBuf {
    use std::os::unix::ffi::OsStrExt;
    parent.join(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(target_os = "linux")]
#[test]
fn tree_shows_names_that_are_not_utf8() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let run = Run::builder(tmp.path()).stage("s").run_id("r1").create()?;
    std::fs::write(not_utf8(run.path(), b"bad\xffname"), "x")?;
    std::fs::write(run.path().join(r"back\slash"), "x")?;
    // A link to its own folder: shown, never followed.
    std::os::unix::fs::symlink(".", run.path().join("self"))?;

    let text = ok(&runlayout(tmp.path(), &["tree", "r1"]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[1..],
        [
            r"  back\slash",
            "  bad\u{fffd}name",
            "  run.json",
            "  self -> ."
        ],
        "{text}"
    );

    let value = json(&runlayout(tmp.path(), &["tree", "--json", "r1"]));
    let paths: Vec<&str> = value["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["path"].as_str().expect("a string"))
        .collect();
    assert_eq!(paths, [r"back\slash", r"bad\xffname", "run.json", "self"]);
    assert_eq!(value["entries"][3]["target"], ".");
    assert_eq!(value["path"], run.path().display().to_string());
    Ok(())
}

#[cfg(target_os = "linux")]
#[test]
fn a_root_that_is_not_utf8_is_listed_and_shown() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = not_utf8(tmp.path(), b"ro\\ot\xfe");
    Run::builder(&root).stage("s").run_id("r1").create()?;
    let escaped = format!(r"{}/ro\\ot\xfe/s/r1", tmp.path().display());

    let table = ok(&runlayout(&root, &["ls"]));
    assert!(
        table.lines().nth(1).is_some_and(|l| l.starts_with("s/r1 ")),
        "{table}"
    );
    assert!(
        table.contains(&format!("{}", root.join("s/r1").display())),
        "{table}"
    );
    let all = json(&runlayout(&root, &["ls", "--json"]));
    assert_eq!(all["runs"][0]["path"], escaped.as_str());

    let text = ok(&runlayout(&root, &["show", "r1"]));
    assert!(text.contains("stage:       s"), "{text}");
    let value = json(&runlayout(&root, &["show", "--json", "r1"]));
    assert_eq!(value["path"], escaped.as_str());
    let value = json(&runlayout(&root, &["latest", "--json", "--stage", "s"]));
    assert_eq!(value[0]["path"], escaped.as_str());
    ok(&runlayout(&root, &["tree", "r1"]));

    Run::builder(&root).stage("t").run_id("r2").create()?;
    let value = json(&runlayout(&root, &["link", "--json", "r2", "r1"]));
    assert_eq!(value["ancestor"], escaped.as_str());
    let value = json(&runlayout(&root, &["show", "--json", "r2"]));
    assert_eq!(value["ancestor"], escaped.as_str());
    assert_eq!(value["ancestor_run"], "s/r1");
    let value = json(&runlayout(&root, &["show", "--json", "r1"]));
    assert_eq!(
        value["descendants"][0],
        format!(r"{}/ro\\ot\xfe/t/r2", tmp.path().display())
    );
    assert_eq!(value["descendant_runs"][0], "t/r2");
    Ok(())
}

#[cfg(unix)]
#[test]
fn tree_goes_on_past_a_folder_it_cannot_read() -> TestResult {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir()?;
    let run = Run::builder(tmp.path()).stage("s").run_id("r1").create()?;
    let locked = run.path().join("locked");
    std::fs::create_dir(&locked)?;
    std::fs::write(locked.join("inside"), "x")?;
    std::fs::create_dir(run.path().join("open"))?;
    std::fs::write(run.path().join("open/after"), "x")?;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000))?;
    // Root reads it all the same; then there is nothing to go past.
    let readable = std::fs::read_dir(&locked).is_ok();

    let out = runlayout(tmp.path(), &["tree", "r1"]);
    let value = json(&runlayout(tmp.path(), &["tree", "--json", "r1"]));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755))?;
    let text = ok(&out);
    assert!(
        text.contains("  locked/\n") && text.contains("    after\n"),
        "{text}"
    );
    if !readable {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("cannot read") && stderr.contains("locked"),
            "{stderr}"
        );
        assert!(!text.contains("inside"), "{text}");
        let problems = value["problems"].as_array().expect("problems");
        assert_eq!(problems.len(), 1, "{value}");
    }
    Ok(())
}

/// Runs `args` with stdout a pipe whose reading end is closed before the
/// binary writes: it must end quietly and successfully.
fn into_closed_pipe(root: &Path, args: &[&str]) -> TestResult {
    // More than a pipe holds, so a write fails even if the child were
    // faster than the close below.
    let full = ok(&runlayout(root, args));
    assert!(full.len() > 64 * 1024, "only {} bytes", full.len());

    let mut child = Command::new(env!("CARGO_BIN_EXE_runlayout"))
        .arg("--run-root")
        .arg(root)
        .args(args)
        .env_remove("RUNLAYOUT_ROOT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    drop(child.stdout.take());
    let out = child.wait_with_output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    assert!(out.status.success(), "{args:?}: {}\n{stderr}", out.status);
    Ok(())
}

#[test]
fn a_closed_pipe_ends_output_quietly() -> TestResult {
    let tmp = tempfile::tempdir()?;
    for i in 0..600 {
        Run::builder(tmp.path())
            .stage("a-stage-with-a-long-name-to-fill-the-pipe")
            .run_id(format!("run-{i:04}"))
            .latest_pointer(false)
            .create()?;
    }
    let run = Run::builder(tmp.path()).stage("t").run_id("big").create()?;
    for i in 0..2000 {
        std::fs::write(
            run.path().join(format!("file-with-a-long-name-{i:04}.txt")),
            "",
        )?;
    }
    into_closed_pipe(tmp.path(), &["ls"])?;
    into_closed_pipe(tmp.path(), &["ls", "--json"])?;
    into_closed_pipe(tmp.path(), &["tree", "big"])?;
    into_closed_pipe(tmp.path(), &["tree", "--json", "big"])?;
    Ok(())
}
