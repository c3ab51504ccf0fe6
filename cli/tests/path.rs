//! The layout a program recorded in its run, as the `runlayout` command
//! reads it: `runlayout path` fills in placeholders by the accessor's rules,
//! `runlayout show` lists the entries with what is on disk.

use std::fs;
use std::path::PathBuf;
use std::process::Output;

use runlayout::{Layout, Run};
use serde_json::Value;

#[path = "support/command.rs"]
mod command;
use command::{ok, runlayout};

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[derive(Layout)]
#[layout(tracker_config = "config.yaml", plots = "plots/")]
struct Tracker {
    root: PathBuf,
}

#[derive(Layout)]
#[layout(checkpoint = "checkpoints", logfile = "log.txt")]
#[layout(
    epoch_ckpt = "checkpoints/epoch_{epoch:04}.ckpt",
    step = "steps/{step:u32}"
)]
#[layout(
    eval = "eval/{split}/metrics.json",
    sample = "samples/{split}_{n:u8}.png"
)]
#[layout(named = "{name}.json", tracker = nest("basetracker", Tracker))]
struct TrainPaths {
    run: Run,
}

/// A nested layout whose entries have placeholders, the first one in the
/// first component of its root.
#[derive(Layout)]
#[layout(cfg = "{name}.yaml", plot = "plots/{kind}")]
struct Configs {
    root: PathBuf,
}

#[derive(Layout)]
#[layout(tracker = nest("tracker", Configs))]
struct Tracked {
    run: Run,
}

#[derive(Layout)]
#[layout(report = "report.html")]
struct EvalPaths {
    run: Run,
}

/// Lightning's checkpoint names: `=` in fixed text, float placeholders.
#[derive(Layout)]
#[layout(best = "top/epoch={epoch:u32}-val_loss={val_loss:.4}.ckpt")]
struct Checkpoints {
    run: Run,
}

/// The one path (or JSON) `runlayout path` printed, without its newline.
fn printed(out: &Output) -> String {
    ok(out).trim_end().to_owned()
}

fn refused(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn path_fills_in_every_placeholder_form_as_the_accessor_does() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let paths = TrainPaths {
        run: Run::builder(root).stage("pretrain").run_id("r1").create()?,
    };
    paths.create_all()?;
    let run = paths.run.path().to_path_buf();
    let path = |args: &[&str]| printed(&runlayout(root, &[&["path"], args].concat()));
    assert_eq!(
        path(&["latest", "epoch_ckpt", "12"]),
        paths.epoch_ckpt(12).display().to_string()
    );
    assert_eq!(
        path(&["pretrain/r1", "step", "4000"]),
        paths.step(4000).display().to_string()
    );
    assert_eq!(
        path(&["r1", "eval", "val"]),
        paths.eval("val")?.display().to_string()
    );
    assert_eq!(
        path(&["pretrain/latest", "sample", "train", "7"]),
        paths.sample("train", 7)?.display().to_string()
    );
    assert_eq!(
        path(&["r1", "logfile"]),
        run.join("log.txt").display().to_string()
    );
    assert_eq!(
        path(&["r1", "tracker.tracker_config"]),
        run.join("basetracker/config.yaml").display().to_string()
    );
    assert_eq!(
        path(&["r1", "tracker"]),
        run.join("basetracker").display().to_string()
    );

    // A bad value is refused with the message the accessor gives.
    let err = refused(&runlayout(root, &["path", "r1", "eval", "../x"]));
    let accessor = paths.eval("../x").unwrap_err().to_string();
    assert!(err.contains(&accessor), "{err}\nvs {accessor}");
    let err = refused(&runlayout(root, &["path", "r1", "named", "run"]));
    assert!(
        err.contains(&paths.named("run").unwrap_err().to_string()),
        "{err}"
    );
    let err = refused(&runlayout(root, &["path", "r1", "sample", "train", "256"]));
    assert!(err.contains("is no u8"), "{err}");
    let err = refused(&runlayout(root, &["path", "r1", "epoch_ckpt"]));
    assert!(err.contains("1 value needed ({epoch}), 0 given"), "{err}");
    let err = refused(&runlayout(root, &["path", "r1", "nope"]));
    assert!(
        err.contains("records no entry `nope`") && err.contains("epoch_ckpt"),
        "{err}"
    );

    let json: Value = serde_json::from_str(&printed(&runlayout(
        root,
        &["path", "--json", "r1", "step", "9"],
    )))?;
    assert_eq!(json["kind"], "dir");
    assert_eq!(json["template"], "steps/{step:u32}");
    Ok(())
}

#[test]
fn path_writes_floats_as_the_accessor_does() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let paths = Checkpoints {
        run: Run::builder(root).run_id("r1").create()?,
    };
    paths.create_all()?;
    let path = |args: &[&str]| printed(&runlayout(root, &[&["path", "r1", "best"], args].concat()));
    for (given, value) in [("0.41549", 0.41549), ("-1.25e0", -1.25), ("-0", -0.0)] {
        assert_eq!(
            path(&["3", given]),
            paths.best(3, value)?.display().to_string()
        );
    }
    assert!(path(&["3", "0.41549"]).ends_with("top/epoch=3-val_loss=0.4155.ckpt"));
    // What the accessor refuses is refused with its message.
    let err = refused(&runlayout(root, &["path", "r1", "best", "3", "NaN"]));
    let accessor = paths.best(3, f64::NAN).unwrap_err().to_string();
    assert!(err.contains(&accessor), "{err}\nvs {accessor}");
    let err = refused(&runlayout(root, &["path", "r1", "best", "3", "0,5"]));
    assert!(err.contains("is no f64"), "{err}");
    Ok(())
}

#[test]
fn values_in_a_nested_layout_are_checked_as_its_accessor_checks_them() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let paths = Tracked {
        run: Run::builder(root).stage("s").run_id("r1").create()?,
    };
    paths.create_all()?;
    let path = |args: &[&str]| runlayout(root, &[&["path", "s/r1"], args].concat());
    let tracker = paths.tracker();
    assert_eq!(
        printed(&path(&["tracker.cfg", "model"])),
        tracker.cfg("model")?.display().to_string()
    );
    assert_eq!(
        printed(&path(&["tracker.plot", "ancestor"])),
        tracker.plot("ancestor")?.display().to_string(),
        "below the nested root's first component, any portable name"
    );
    // The first component of the nested layout's root: none of the names
    // kept in a run folder, as the accessor says.
    for bad in ["run.json", "ancestor", "../x"] {
        let accessor = tracker
            .cfg(bad)
            .expect_err("the accessor refuses it")
            .to_string();
        let err = refused(&path(&["tracker.cfg", bad]));
        assert!(err.contains(&accessor), "{bad}: {err}\nvs {accessor}");
    }
    let accessor = tracker.plot("../x").expect_err("refused").to_string();
    let err = refused(&path(&["tracker.plot", "../x"]));
    assert!(err.contains(&accessor), "{err}\nvs {accessor}");
    Ok(())
}

#[test]
fn a_run_without_a_record_is_named_in_the_error() -> TestResult {
    let tmp = tempfile::tempdir()?;
    Run::builder(tmp.path())
        .stage("s")
        .run_id("bare")
        .create()?;
    let err = refused(&runlayout(tmp.path(), &["path", "s/bare", "logfile"]));
    let record = tmp.path().join("s/bare/run.layout.json");
    assert_eq!(
        err.trim_end(),
        format!(
            "runlayout: run `s/bare` has no recorded layout (`{}`): a program records it \
             when it calls create_all() or record() on a layout rooted at the run",
            record.display()
        ),
        "one line, no stray backslash or indentation"
    );
    Ok(())
}

#[test]
fn two_layouts_on_one_run_are_both_recorded_and_shown() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let run = Run::builder(root).stage("s").run_id("r").create()?;
    let train = TrainPaths { run: run.clone() };
    train.create_all()?;
    let record = run.path().join("run.layout.json");
    let first = fs::read(&record)?;
    train.create_all()?;
    assert_eq!(
        fs::read(&record)?,
        first,
        "recording the same layout again writes nothing new"
    );
    EvalPaths { run: run.clone() }.record()?;
    assert!(
        !run.path().join("report.html").exists(),
        "record() makes nothing"
    );
    assert_eq!(
        printed(&runlayout(root, &["path", "s/r", "report"])),
        run.path().join("report.html").display().to_string()
    );
    assert!(printed(&runlayout(root, &["path", "s/r", "checkpoint"])).ends_with("checkpoints"));

    for epoch in [1, 2, 10] {
        fs::write(train.epoch_ckpt(epoch), "w")?;
    }
    fs::write(run.path().join("checkpoints/epoch_3.ckpt"), "not a member")?;
    fs::write(train.logfile(), "hello")?;
    let shown = String::from_utf8_lossy(&runlayout(root, &["show", "s/r"]).stdout).into_owned();
    let row = |name: &str| {
        shown
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or("")
            .to_owned()
    };
    assert!(
        row("epoch_ckpt").contains("3 members, last epoch_0010.ckpt"),
        "{shown}"
    );
    assert!(row("logfile").contains("5 B"), "{shown}");
    assert!(row("report").trim_end().ends_with('-'), "{shown}");
    let json: Value = serde_json::from_slice(&runlayout(root, &["show", "--json", "s/r"]).stdout)?;
    let entries = json["entries"].as_array().expect("entries");
    let epochs = entries
        .iter()
        .find(|e| e["name"] == "epoch_ckpt")
        .expect("epoch_ckpt");
    assert_eq!(epochs["members"], 3);
    assert!(
        epochs["last"]
            .as_str()
            .is_some_and(|p| p.ends_with("epoch_0010.ckpt"))
    );
    assert!(entries.iter().any(|e| e["name"] == "tracker.plots"));
    Ok(())
}

#[test]
fn a_tampered_record_is_refused_naming_the_entry_and_the_record() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let paths = Tracked {
        run: Run::builder(root).stage("s").run_id("r1").create()?,
    };
    paths.create_all()?;
    let record = paths.run.path().join("run.layout.json");
    let original = fs::read_to_string(&record)?;
    // A nested mount moved out of the run, and entries onto what runlayout
    // keeps in it.
    let mount = "\"path\": \"tracker\"";
    let cfg = "\"path\": \"tracker/{name}.yaml\"";
    for (from, to, entry) in [
        (mount, "../../..", "tracker"),
        (cfg, "../../../{name}.yaml", "tracker.cfg"),
        (cfg, "ancestor/{name}.yaml", "tracker.cfg"),
        (cfg, "descendants/{name}.yaml", "tracker.cfg"),
        (cfg, "tracker/run.json", "tracker.cfg"),
        (mount, "run.json", "tracker"),
    ] {
        assert!(original.contains(from), "{original}");
        fs::write(
            &record,
            original.replace(from, &format!("\"path\": \"{to}\"")),
        )?;
        let value = to;
        let out = runlayout(root, &["path", "s/r1", "tracker.cfg", "model"]);
        let err = refused(&out);
        assert!(out.stdout.is_empty(), "nothing printed for {value}");
        assert!(
            err.contains(&format!("entry `{entry}`"))
                && err.contains(&format!("`{value}`"))
                && err.contains(&record.display().to_string()),
            "{value}: {err}"
        );
    }
    Ok(())
}

#[derive(Layout)]
#[layout(epoch_ckpt = "checkpoints/epoch_{epoch:04}.ckpt", logfile = "log.txt")]
struct Saved {
    run: Run,
}

/// `show` counts what stands in a family's folders and is neither a member
/// nor runlayout's own temporary: a killed saver's temporary, a checkpoint
/// named by hand.
#[test]
fn show_counts_foreign_files_in_family_folders() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let paths = Saved {
        run: Run::builder(root).stage("s").run_id("r").create()?,
    };
    paths.create_all()?;
    paths.epoch_ckpt(1).write_atomic("weights")?;
    let shown = |args: &[&str]| runlayout(root, args);
    let text = ok(&shown(&["show", "s/r"]));
    assert!(!text.contains("foreign"), "{text}");
    let json: Value = serde_json::from_slice(&shown(&["show", "--json", "s/r"]).stdout)?;
    assert_eq!(json["foreign_files"]["count"], 0, "{json}");

    let ckpt = paths.run.path().join("checkpoints");
    for name in [
        ".tmpX4b9Qz",
        "epoch_3.ckpt",
        ".runlayout-1-1-00000000-abcdefgh.tmp",
    ] {
        fs::write(ckpt.join(name), "x")?;
    }
    let text = ok(&shown(&["show", "s/r"]));
    assert!(
        text.contains(
            "foreign:     2 foreign files in family folders: \
             checkpoints/.tmpX4b9Qz, checkpoints/epoch_3.ckpt\n"
        ),
        "{text}"
    );
    let json: Value = serde_json::from_slice(&shown(&["show", "--json", "s/r"]).stdout)?;
    assert_eq!(json["foreign_files"]["count"], 2, "{json}");
    assert_eq!(
        json["foreign_files"]["examples"][0],
        ckpt.join(".tmpX4b9Qz").display().to_string()
    );
    assert_eq!(json["problems"], serde_json::json!([]));
    Ok(())
}
