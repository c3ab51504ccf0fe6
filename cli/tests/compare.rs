//! Finding and comparing runs by what they were: `ls --where`, `--sort`,
//! `--columns`, `--limit`, `diff`, `show`'s parameters, summary, tags,
//! note and restarts, `tag` and `note`, on a root of runs made with
//! parameters and summaries, through the real binary.

use std::path::Path;

use runlayout::Run;
use serde_json::{Value, json};

#[path = "support/command.rs"]
mod command;
use command::{json, ok, runlayout};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A sweep: lr x seed, each with a validation loss; r4 failed before it
/// had one. Ids sort in creation order.
fn sweep(root: &Path) -> TestResult {
    let runs = [
        ("r1", 0.01, 1, Some(0.30)),
        ("r2", 0.01, 2, Some(0.25)),
        ("r3", 0.1, 1, Some(0.40)),
        ("r4", 0.1, 2, None),
        ("r5", 0.001, 1, Some(0.5)),
    ];
    for (id, lr, seed, loss) in runs {
        let run = Run::builder(root)
            .stage("sweep")
            .run_id(id)
            .params(&json!({ "lr": lr, "seed": seed, "optim": { "name": "adam" } }))
            .record_git(false)
            .create()?;
        match loss {
            Some(loss) => {
                run.summary().set("val_loss", loss)?;
                run.summary().set("epochs", 10)?;
                run.finish()?;
            }
            None => run.fail("diverged")?,
        }
    }
    Ok(())
}

/// The table's cells, row by row, header first: columns are two spaces
/// apart (a time holds one).
fn table(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// The columns of `rows` at the header's names `keep`.
fn columns(rows: &[Vec<String>], keep: &[&str]) -> Vec<Vec<String>> {
    let at: Vec<usize> = keep
        .iter()
        .map(|k| rows[0].iter().position(|h| h == k).expect("a column"))
        .collect();
    rows.iter()
        .map(|row| at.iter().map(|&i| row[i].clone()).collect())
        .collect()
}

#[test]
fn ls_filters_sorts_and_shows_params_and_summary_values() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    sweep(root)?;
    let shown = |args: &[&str], keep: &[&str]| {
        let mut all = vec!["ls"];
        all.extend_from_slice(args);
        columns(&table(&ok(&runlayout(root, &all))), keep)
    };
    let keys = ["RUN", "STATUS", "params.lr", "summary.val_loss"];
    let with = ["--columns", "params.lr,summary.val_loss"];

    // Numbers compare as numbers: 0.010 is 0.01.
    let mut args = vec!["--where", "params.lr=0.010", "--sort", "summary.val_loss"];
    args.extend(with);
    assert_eq!(
        shown(&args, &keys),
        [
            ["RUN", "STATUS", "params.lr", "summary.val_loss"],
            ["sweep/r2", "finished", "0.01", "0.25"],
            ["sweep/r1", "finished", "0.01", "0.3"],
        ]
    );
    // Descending; a run without the key comes last; --limit after sorting.
    let mut args = vec!["--sort", "-summary.val_loss"];
    args.extend(with);
    assert_eq!(
        shown(&args, &keys),
        [
            ["RUN", "STATUS", "params.lr", "summary.val_loss"],
            ["sweep/r5", "finished", "0.001", "0.5"],
            ["sweep/r3", "finished", "0.1", "0.4"],
            ["sweep/r1", "finished", "0.01", "0.3"],
            ["sweep/r2", "finished", "0.01", "0.25"],
            ["sweep/r4", "failed", "0.1", "-"],
        ]
    );
    args.extend(["--limit", "2"]);
    assert_eq!(shown(&args, &keys).len(), 3);
    // Below and above, repeated conditions, nested keys, status.
    let mut args = vec![
        "--where",
        "params.lr<0.05",
        "--where",
        "summary.val_loss>0.26",
        "--where",
        "params.optim.name=adam",
    ];
    args.extend(with);
    assert_eq!(
        shown(&args, &["RUN"]),
        [["RUN"], ["sweep/r1"], ["sweep/r5"]]
    );
    let args = ["--where", "status=failed", "--where", "stage=sweep"];
    assert_eq!(shown(&args, &["RUN"]), [["RUN"], ["sweep/r4"]]);

    // Tags, through the command.
    ok(&runlayout(
        root,
        &["tag", "sweep/r2", "+baseline", "+draft"],
    ));
    ok(&runlayout(root, &["tag", "sweep/r2", "-draft"]));
    assert_eq!(
        shown(&["--where", "tag=baseline"], &["RUN"]),
        [["RUN"], ["sweep/r2"]]
    );
    // The JSON holds the parameters, and the columns asked for.
    let listed = json(&runlayout(
        root,
        &[
            "--json",
            "ls",
            "--where",
            "tag=baseline",
            "--columns",
            "summary.epochs,tag",
        ],
    ));
    let run = &listed["runs"][0];
    assert_eq!(run["params"]["seed"], 2);
    assert_eq!(
        run["columns"],
        json!({ "summary.epochs": 10, "tag": ["baseline"] })
    );

    // Bad keys and conditions are refused, naming them.
    for bad in [
        ["--where", "lr=1"],
        ["--where", "params.lr"],
        ["--sort", "loss"],
    ] {
        let mut all = vec!["ls"];
        all.extend_from_slice(&bad);
        let out = runlayout(root, &all);
        assert!(!out.status.success(), "{bad:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(bad[1].split(['=', '<']).next().unwrap_or("")),
            "{err}"
        );
    }
    Ok(())
}

#[test]
fn diff_names_what_differs_between_two_runs() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    sweep(root)?;
    let diff = json(&runlayout(
        root,
        &["--json", "diff", "sweep/r1", "sweep/r3"],
    ));
    let keys = |v: &Value| -> Vec<String> {
        v.as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    assert_eq!(
        keys(&diff),
        [
            "command", "git", "launcher", "params", "runs", "status", "summary", "tags"
        ]
    );
    assert_eq!(diff["runs"], json!(["sweep/r1", "sweep/r3"]));
    // Only the parameters that changed; every one with --all.
    assert_eq!(diff["params"], json!({ "lr": [0.01, 0.1] }));
    assert_eq!(keys(&diff["summary"]), ["epochs", "val_loss"]);
    assert_eq!(diff["summary"]["val_loss"], json!([0.3, 0.4]));
    assert_eq!(keys(&diff["git"]), ["branch", "commit", "dirty"]);
    assert_eq!(diff["status"], json!(["finished", "finished"]));
    let all = json(&runlayout(
        root,
        &["--json", "diff", "sweep/r1", "sweep/r3", "--all"],
    ));
    assert_eq!(keys(&all["params"]), ["lr", "optim.name", "seed"]);
    // The table marks the rows that differ.
    let text = ok(&runlayout(root, &["diff", "sweep/r1", "sweep/r4"]));
    let rows = table(&text);
    assert_eq!(rows[0], ["KEY", "sweep/r1", "sweep/r4"]);
    let row = |key: &str| rows.iter().find(|r| r[0] == key).cloned().expect(key);
    assert_eq!(row("params.lr"), ["params.lr", "0.01", "0.1", "*"]);
    assert_eq!(row("params.seed"), ["params.seed", "1", "2", "*"]);
    assert_eq!(
        row("summary.val_loss"),
        ["summary.val_loss", "0.3", "-", "*"]
    );
    assert_eq!(row("status"), ["status", "finished", "failed", "*"]);
    assert_eq!(row("launcher"), ["launcher", "none", "none"]);
    Ok(())
}

#[test]
fn show_tag_and_note_print_what_a_run_was() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    sweep(root)?;
    // A resume with another learning rate: the run keeps its first, the
    // restart keeps the new one, and show points at the difference.
    Run::builder(root)
        .stage("sweep")
        .run_id("r1")
        .params(&json!({ "lr": 0.05, "seed": 1, "optim": { "name": "adam" } }))
        .open()?;
    assert_eq!(ok(&runlayout(root, &["note", "sweep/r1"])), "");
    assert_eq!(
        ok(&runlayout(root, &["note", "sweep/r1", "warmup off"])),
        "warmup off\n"
    );
    assert_eq!(
        ok(&runlayout(
            root,
            &["tag", "sweep/r1", "+paper-fig-3", "+baseline"]
        )),
        "baseline paper-fig-3\n"
    );
    // A bad tag changes nothing, and says why.
    let out = runlayout(root, &["tag", "sweep/r1", "+ok", "+two words"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("two words"));
    let out = runlayout(root, &["tag", "sweep/r1", "plain"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("+plain"));

    let text = ok(&runlayout(root, &["show", "sweep/r1"]));
    let line = |label: &str| {
        text.lines()
            .map(str::trim_start)
            .find(|l| l.starts_with(label))
            .map(|l| l[label.len()..].trim().to_owned())
            .unwrap_or_else(|| panic!("no {label} in\n{text}"))
    };
    assert_eq!(line("params:"), "lr=0.01 optim.name=adam seed=1");
    assert_eq!(line("summary:"), "epochs=10 val_loss=0.3");
    assert_eq!(line("tags:"), "baseline paper-fig-3");
    assert_eq!(line("note:"), "warmup off");
    assert!(line("restarts:").contains(" open on "), "{text}");
    assert_eq!(line("other params:"), "lr 0.01 -> 0.05");
    let shown = json(&runlayout(root, &["--json", "show", "sweep/r1"]));
    assert_eq!(shown["params"]["lr"], 0.01);
    assert_eq!(shown["summary"]["val_loss"], 0.3);
    assert_eq!(shown["tags"], json!(["baseline", "paper-fig-3"]));
    assert_eq!(shown["note"], "warmup off");
    let restarts = shown["restarts"].as_array().expect("restarts");
    assert_eq!(restarts.len(), 1, "reading with the command records none");
    assert_eq!(restarts[0]["params"]["lr"], 0.05);
    Ok(())
}
