//! The real `runlayout` binary against real folders.

use std::path::Path;
use std::process::{Command, Output};

use runlayout::{LinkStyle, Nesting, Run};
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn runlayout(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runlayout"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env_remove("RUNLAYOUT_ROOT")
        .output()
        .expect("run the binary")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn failed(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "expected a failure: {out:?}");
    assert!(out.stdout.is_empty());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&ok(out)).expect("valid JSON")
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
    assert!(lines[0].starts_with("ID") && lines[0].contains("STAGE") && lines[0].contains("PATH"));
    assert_eq!(lines.len(), 4, "header and three non-debug runs:\n{table}");
    assert!(lines[1].starts_with("r1") && lines[1].contains("pretrain"));
    assert!(lines[2].starts_with("r1") && lines[2].contains("finetune"));
    assert!(lines[3].starts_with("e1") && lines[3].contains("eval"));

    let all = json(&runlayout(tmp.path(), &["ls", "--json"]));
    let runs = all["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[1]["ancestor"]["id"], "r1");
    assert_eq!(runs[1]["ancestor"]["stage"], "pretrain");
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
    assert!(
        text.contains(&format!(
            "ancestor:    {}",
            pre.path().canonicalize()?.display()
        )),
        "{text}"
    );
    let value = json(&runlayout(tmp.path(), &["show", "pretrain/r1", "--json"]));
    assert_eq!(value["id"], "r1");
    assert_eq!(
        value["descendants"][0],
        fine.path().canonicalize()?.display().to_string()
    );
    assert_eq!(value["ancestor_path"], Value::Null);
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
        text.trim(),
        format!("{}  {}", newer.id(), newer.path().display())
    );
    let value = json(&runlayout(
        tmp.path(),
        &["latest", "--stage", "pretrain", "--debug", "--json"],
    ));
    assert_eq!(value["id"], "d1");
    let err = failed(&runlayout(tmp.path(), &["latest", "--stage", "nothing"]));
    assert!(err.contains("no `latest` pointer"), "{err}");
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
