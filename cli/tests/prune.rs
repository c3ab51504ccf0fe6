//! `runlayout prune`, as the real binary, on a tree of over 200 runs: the
//! dry run lists exactly the runs the rules allow, `--yes` removes exactly
//! those, everything else (and everything outside the root) stays byte for
//! byte, and a prune killed half-way leaves only hidden trash.
#![cfg(unix)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use runlayout::{Run, names::MANIFEST};
use serde_json::Value;

#[path = "support/command.rs"]
mod command;
use command::{json, runlayout};
#[path = "../../checks/tests/it/support/fixture.rs"]
#[allow(dead_code)]
mod fixture;
use fixture::{Fate, RunFixture};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A run the test made, and what it knows of it.
struct Made {
    run: Run,
    fate: Fate,
    ancestor: Option<usize>,
}

/// A tree of 240 runs in three stages and the debug folder, with ancestry
/// chains, every status, and one run holding a symlink to data outside.
fn build(root: &Path, outside: &Path) -> Result<Vec<Made>, Box<dyn std::error::Error>> {
    let fates = [
        Fate::Finished,
        Fate::Failed("diverged"),
        Fate::Crashed,
        Fate::Running,
    ];
    let mut made: Vec<Made> = Vec::new();
    for i in 0..240 {
        let (stage, debug) = match i % 4 {
            0 => ("pre", false),
            1 => ("fine", false),
            2 => ("sweep", false),
            _ => ("probe", true),
        };
        let fate = fates[(i / 4 + i) % 4];
        let run = RunFixture::new(
            Run::builder(root)
                .stage(stage)
                .debug(debug)
                .run_id(format!("r{i:03}")),
        )
        .file("weights.bin", vec![i as u8; 1000 + i])
        .fate(fate)
        .create()?;
        // Fine-tuning runs grow out of the pretraining run made just before.
        let ancestor = (stage == "fine").then(|| i - 1);
        if let Some(a) = ancestor {
            run.link(&made[a].run)?;
        }
        made.push(Made {
            run,
            fate,
            ancestor,
        });
    }
    // In a failed run of the sweep stage, which nothing protects: the prune
    // removes it, and the data it links to must survive that.
    assert_eq!(
        (made[14].fate, made[14].run.stage()),
        (Fate::Failed("diverged"), Some("sweep"))
    );
    std::os::unix::fs::symlink(outside, made[14].run.path().join("data"))?;
    release(root, &mut made)?;
    Ok(made)
}

/// Lets go of this process's claims on the runs it made (a run is in use
/// while a `Run` that created or opened it lives): the same runs as a scan
/// finds them, as the prune will.
fn release(root: &Path, made: &mut [Made]) -> TestResult {
    let listing = runlayout::scan::Runs::scan(root)
        .debug(runlayout::scan::DebugRuns::Include)
        .list()?;
    let mut found: BTreeMap<PathBuf, Run> = listing
        .runs
        .into_iter()
        .map(|f| (f.run.path().to_path_buf(), f.run))
        .collect();
    for m in made {
        m.run = found
            .remove(m.run.path())
            .expect("the scan lists every run made");
    }
    Ok(())
}

/// The runs `--status failed,crashed` may remove, by the rules: selected,
/// not running, not named by a `latest` pointer, no ancestor of a run that
/// stays.
fn expected(made: &[Made], latest: &BTreeSet<usize>) -> BTreeSet<usize> {
    let selected: BTreeSet<usize> = (0..made.len())
        .filter(|&i| matches!(made[i].fate, Fate::Failed(_) | Fate::Crashed))
        .collect();
    let mut stays: BTreeSet<usize> = (0..made.len())
        .filter(|i| !selected.contains(i) || latest.contains(i))
        .collect();
    for i in stays.clone() {
        let mut at = i;
        while let Some(a) = made[at].ancestor {
            stays.insert(a);
            at = a;
        }
    }
    selected.difference(&stays).copied().collect()
}

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("read_dir").flatten() {
            let t = e.file_type().expect("type");
            if t.is_dir() {
                stack.push(e.path());
            } else if t.is_symlink() {
                out.insert(
                    e.path(),
                    fs::read_link(e.path())
                        .expect("link")
                        .into_os_string()
                        .into_encoded_bytes(),
                );
            } else {
                out.insert(e.path(), fs::read(e.path()).expect("read"));
            }
        }
    }
    out
}

fn paths_of(value: &Value) -> BTreeSet<PathBuf> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|r| {
            PathBuf::from(
                r["path"]
                    .as_str()
                    .unwrap_or_else(|| r.as_str().expect("path")),
            )
        })
        .collect()
}

#[test]
fn prune_removes_exactly_what_the_rules_allow() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().join("runs");
    let outside = tmp.path().join("datasets");
    fs::create_dir_all(&outside)?;
    fs::write(outside.join("train.bin"), b"precious data")?;
    let made = build(&root, &outside)?;
    // The last run of each stage is the one its `latest` pointer names.
    let mut latest = BTreeSet::new();
    for stage in 0..4 {
        latest.insert(made.len() - 4 + stage);
    }
    let want = expected(&made, &latest);
    assert!(want.len() > 50, "a real selection: {}", want.len());
    let want_paths: BTreeSet<PathBuf> = want
        .iter()
        .map(|&i| made[i].run.path().to_path_buf())
        .collect();
    // A failed pretraining run that a kept fine-tuning run grew out of stays.
    assert!(
        (0..made.len())
            .any(|i| matches!(made[i].fate, Fate::Failed(_) | Fate::Crashed) && !want.contains(&i))
    );

    let before = snapshot(tmp.path());
    let dry = json(&runlayout(
        &root,
        &["prune", "--status", "failed,crashed", "--json"],
    ));
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        paths_of(&dry["remove"]),
        want_paths,
        "the dry run lists exactly those"
    );
    assert_eq!(snapshot(tmp.path()), before, "a dry run changes nothing");
    let kept_reasons: Vec<String> = dry["kept"]
        .as_array()
        .expect("kept")
        .iter()
        .map(|k| k["reason_text"].as_str().expect("reason").to_owned())
        .collect();
    assert!(kept_reasons.iter().any(|r| r.contains("grew out of it")));
    assert!(kept_reasons.iter().any(|r| r.contains("latest")));
    let text =
        String::from_utf8(runlayout(&root, &["prune", "--status", "failed,crashed"]).stdout)?;
    assert!(
        text.contains("would remove") && text.contains("dry run"),
        "{text}"
    );

    let done = json(&runlayout(
        &root,
        &["prune", "--status", "failed,crashed", "--yes", "--json"],
    ));
    assert_eq!(paths_of(&done["removed"]), want_paths);
    let after = snapshot(tmp.path());
    for (path, bytes) in &before {
        let removed = want_paths.iter().any(|w| path.starts_with(w));
        let backlink = path.components().any(|c| c.as_os_str() == "descendants");
        match after.get(path) {
            Some(now) => {
                assert!(!removed, "{} survived its run's removal", path.display());
                assert_eq!(now, bytes, "{} changed", path.display());
            }
            None => assert!(removed || backlink, "{} was removed", path.display()),
        }
    }
    assert!(want.contains(&14), "the run linking outside was removed");
    assert!(!made[14].run.path().exists());
    assert_eq!(fs::read(outside.join("train.bin"))?, b"precious data");
    // No back-link in a kept run points at a removed one.
    for m in &made {
        if m.run.path().exists() {
            for d in m.run.descendants()? {
                assert!(d.exists());
            }
            let dir = m.run.path().join("descendants");
            for e in fs::read_dir(&dir).into_iter().flatten().flatten() {
                assert!(
                    fs::canonicalize(e.path()).is_ok(),
                    "dangling back-link {}",
                    e.path().display()
                );
            }
        }
    }
    let listed = json(&runlayout(&root, &["ls", "--json"]));
    let listed_dbg = json(&runlayout(&root, &["ls", "--debug", "--json"]));
    let count = listed["runs"].as_array().map_or(0, Vec::len)
        + listed_dbg["runs"].as_array().map_or(0, Vec::len);
    assert_eq!(count, made.len() - want.len());

    // Again: nothing more to remove.
    let again = json(&runlayout(
        &root,
        &["prune", "--status", "failed,crashed", "--json"],
    ));
    assert_eq!(paths_of(&again["remove"]).len(), 0);

    // Keep the 3 newest runs of the sweep stage: all others that may go, go.
    let keep = json(&runlayout(
        &root,
        &["prune", "--stage", "sweep", "--keep-last", "3", "--json"],
    ));
    for r in keep["remove"].as_array().expect("remove") {
        assert_eq!(r["stage"], "sweep");
        assert_ne!(r["status"], "running");
    }
    Ok(())
}

const RUNS_PER_ROUND: usize = 40;

#[test]
fn a_prune_killed_half_way_leaves_only_hidden_trash() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let outside = tmp.path().join("outside");
    fs::create_dir_all(&outside)?;
    fs::write(outside.join("keep.bin"), b"outside")?;
    let keeper = Run::builder(root).stage("keep").run_id("keeper").create()?;
    keeper.finish()?;
    let mut kills = 0;
    let mut interrupted = 0;
    let mut ancestors = Vec::new();
    for round in 0..24 {
        // Each round's runs grew out of one run that stays: their back-links
        // in it must go with them, even when the prune is killed between.
        let ancestor = Run::builder(root)
            .stage("keep")
            .run_id(format!("a{round}"))
            .create()?;
        ancestor.finish()?;
        ancestors.push(ancestor);
        for i in 0..RUNS_PER_ROUND {
            let run = Run::builder(root)
                .stage("s")
                .run_id(format!("k{round}-{i}"))
                .create()?;
            run.link(&ancestors[round])?;
            for f in 0..20 {
                fs::write(run.path().join(format!("f{f}")), vec![7u8; 4096])?;
            }
            std::os::unix::fs::symlink(&outside, run.path().join("data"))?;
            run.fail("x")?;
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_runlayout"))
            .arg("--root")
            .arg(root)
            .args(["prune", "--status", "failed", "--yes"])
            .env_remove("RUNLAYOUT_ROOT")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        // Kill it once it is removing: when the first run has left.
        let full = fs::read_dir(root.join("s"))?.count();
        let start = Instant::now();
        while fs::read_dir(root.join("s"))?.count() == full
            && start.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_micros(50));
        }
        std::thread::sleep(Duration::from_micros(((round * 7919) % 3_000) as u64));
        let killed = child.kill();
        child.wait()?;
        killed?;
        kills += 1;
        // Nothing but hidden trash is left of what the prune removed.
        for e in fs::read_dir(root.join("s"))?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(".runlayout-") {
                interrupted += 1;
            }
            assert!(
                name.starts_with(".runlayout-") || name == "latest" || name.starts_with('k'),
                "unexpected {name}"
            );
        }
        // What is listed is whole: every file of every listed run is there,
        // and its ancestor still lists it.
        let listed = json(&runlayout(root, &["ls", "--json"]));
        for r in listed["runs"].as_array().expect("runs") {
            let path = Path::new(r["path"].as_str().expect("path"));
            if r["stage"] != "s" {
                continue;
            }
            let id = r["id"].as_str().expect("id");
            let round: usize = id[1..id.find('-').expect("k<round>-<i>")].parse()?;
            let ancestor = &ancestors[round];
            assert!(
                ancestor.descendants()?.contains(&fs::canonicalize(path)?),
                "{} lost its back-link",
                path.display()
            );
            for f in 0..20 {
                assert!(
                    path.join(format!("f{f}")).is_file(),
                    "half-removed run {} listed",
                    path.display()
                );
            }
        }
    }
    assert!(kills >= 20);
    assert!(interrupted > 0, "no kill landed inside a removal");
    eprintln!("{kills} kills, {interrupted} pieces of trash seen after them");
    // The next prune with no selection finishes the trash.
    let start = Instant::now();
    let done = json(&runlayout(root, &["prune", "--yes", "--json"]));
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_eq!(
        paths_of(&done["removed"]).len(),
        0,
        "no selection removes no run"
    );
    let hidden: Vec<_> = fs::read_dir(root.join("s"))?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "trash left: {hidden:?}");
    // ...and every back-link to a removed run: none is left dangling.
    for ancestor in &ancestors {
        let dir = ancestor.path().join("descendants");
        for e in fs::read_dir(&dir).into_iter().flatten().flatten() {
            assert!(
                fs::canonicalize(e.path()).is_ok(),
                "dangling back-link {} left",
                e.path().display()
            );
        }
    }
    assert_eq!(fs::read(outside.join("keep.bin"))?, b"outside");
    assert!(keeper.path().join(MANIFEST).is_file());
    Ok(())
}

#[test]
fn problems_of_the_plan_are_printed_in_table_mode_too() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let broken = Run::builder(root).stage("s").run_id("broken").create()?;
    Run::builder(root)
        .stage("s")
        .run_id("fine")
        .create()?
        .fail("x")?;
    fs::write(broken.path().join(MANIFEST), "{ not json")?;
    let out = runlayout(root, &["prune", "--status", "failed"]);
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("problem: ")
            && stderr.contains(&broken.path().join(MANIFEST).display().to_string()),
        "the unreadable manifest is named:\n{stderr}"
    );
    let json = json(&runlayout(root, &["prune", "--status", "failed", "--json"]));
    assert_eq!(json["problems"].as_array().map(Vec::len), Some(1));
    Ok(())
}

/// The ids a JSON list of runs names, sorted, with `debug/` before the
/// ids of debug runs.
fn ids_of(value: &Value, root: &Path) -> Vec<String> {
    let mut ids: Vec<String> = paths_of(value)
        .iter()
        .map(|p| {
            let below = p.strip_prefix(root).unwrap_or(p);
            let debug = below.starts_with("debug");
            let id = p.file_name().expect("an id").to_string_lossy();
            if debug {
                format!("debug/{id}")
            } else {
                id.into_owned()
            }
        })
        .collect();
    ids.sort();
    ids
}

/// The tree the selection tests prune: stage `a` (a1..a5, oldest first,
/// a2 still running), stage `b` (b1..b3) and debug stage `a` (d1..d3), all
/// finished but a2; created a day apart, the newest of each a day ago.
fn dated_tree(root: &Path) -> TestResult {
    let day =
        |n: i64| (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * n)).to_string();
    let groups: [(&str, bool, &str, usize); 3] = [
        ("a", false, "a", 5),
        ("b", false, "b", 3),
        ("a", true, "d", 3),
    ];
    for (stage, debug, prefix, count) in groups {
        for n in 1..=count {
            let id = format!("{prefix}{n}");
            let fate = match id.as_str() {
                "a2" => Fate::Running,
                _ => Fate::Finished,
            };
            RunFixture::new(Run::builder(root).stage(stage).debug(debug).run_id(id))
                // a1 is the oldest: `count` days; the newest, one day.
                .manifest("created", day((count + 1 - n) as i64 * 10 - 9))
                .fate(fate)
                .create()?;
        }
    }
    Ok(())
}

#[test]
fn keep_last_removes_exactly_all_but_the_newest_of_each_stage() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    dated_tree(root)?;
    let dry = json(&runlayout(root, &["prune", "--keep-last", "2", "--json"]));
    // Stage a: a1, a3 (a2 runs); b: b1; debug a: d1.
    assert_eq!(ids_of(&dry["remove"], root), ["a1", "a3", "b1", "debug/d1"]);
    assert_eq!(ids_of(&dry["kept"], root), ["a2"]);
    assert_eq!(dry["kept"][0]["reason"], "running");
    assert_eq!(dry["kept"][0]["reason_text"], "it is running");
    let staged = json(&runlayout(
        root,
        &["prune", "--stage", "a", "--keep-last", "1", "--json"],
    ));
    assert_eq!(
        ids_of(&staged["remove"], root),
        ["a1", "a3", "a4", "debug/d1", "debug/d2"],
        "per stage, debug runs of that stage apart"
    );
    let done = json(&runlayout(
        root,
        &["prune", "--keep-last", "2", "--yes", "--json"],
    ));
    assert_eq!(
        ids_of(&done["removed"], root),
        ["a1", "a3", "b1", "debug/d1"]
    );
    let left = json(&runlayout(root, &["ls", "--json"]));
    let mut ids: Vec<&str> = left["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    ids.sort();
    assert_eq!(ids, ["a2", "a4", "a5", "b2", "b3"]);
    Ok(())
}

#[test]
fn older_than_selects_by_the_recorded_creation_time() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    dated_tree(root)?;
    // Ages: a1 41 days, a2 31, a3 21, a4 11, a5 1; b1 21, b2 11, b3 1;
    // d1 21, d2 11, d3 1. a5, b3 and d3 are named by `latest`.
    let pick = |age: &str| {
        ids_of(
            &json(&runlayout(root, &["prune", "--older-than", age, "--json"]))["remove"],
            root,
        )
    };
    assert_eq!(pick("3w 1d"), ["a1"], "over 22 days; a2 runs");
    assert_eq!(pick("15d"), ["a1", "a3", "b1", "debug/d1"]);
    assert_eq!(
        pick("1w 2d"),
        ["a1", "a3", "a4", "b1", "b2", "debug/d1", "debug/d2"]
    );
    assert_eq!(pick("12h"), pick("1w 2d"), "the newest are named by latest");
    assert_eq!(pick("100d"), Vec::<String>::new());
    let bad = runlayout(root, &["prune", "--older-than", "soon"]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("`soon` is no duration"), "{err}");
    Ok(())
}

#[test]
fn debug_selects_only_the_runs_below_debug() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    dated_tree(root)?;
    let dry = json(&runlayout(root, &["prune", "--debug", "--json"]));
    // d3 is named by the debug stage's `latest` pointer.
    assert_eq!(ids_of(&dry["remove"], root), ["debug/d1", "debug/d2"]);
    let text = String::from_utf8(runlayout(root, &["prune", "--debug"]).stdout)?;
    assert!(text.contains("would remove 2 runs"), "{text}");
    let done = json(&runlayout(root, &["prune", "--debug", "--yes", "--json"]));
    assert_eq!(ids_of(&done["removed"], root), ["debug/d1", "debug/d2"]);
    let debug_left = json(&runlayout(root, &["ls", "--debug", "--json"]));
    assert_eq!(debug_left["runs"].as_array().map(Vec::len), Some(1));
    let others = json(&runlayout(root, &["ls", "--json"]));
    assert_eq!(
        others["runs"].as_array().map(Vec::len),
        Some(8),
        "no other run went"
    );
    Ok(())
}

#[test]
fn include_latest_empties_debug_and_moves_or_removes_the_pointers() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    dated_tree(root)?;
    let dry = json(&runlayout(
        root,
        &["prune", "--debug", "--include-latest", "--json"],
    ));
    assert_eq!(
        ids_of(&dry["remove"], root),
        ["debug/d1", "debug/d2", "debug/d3"]
    );
    let done = json(&runlayout(
        root,
        &["prune", "--debug", "--include-latest", "--yes", "--json"],
    ));
    assert_eq!(
        ids_of(&done["removed"], root),
        ["debug/d1", "debug/d2", "debug/d3"]
    );
    let pointer = root.join("debug/a/latest");
    assert_eq!(
        done["latest"][0]["pointer"],
        pointer.to_str().expect("UTF-8")
    );
    assert_eq!(done["latest"][0]["names"], Value::Null);
    let debug_left = json(&runlayout(root, &["ls", "--debug", "--json"]));
    assert_eq!(
        debug_left["runs"].as_array().map(Vec::len),
        Some(0),
        "debug/ is empty"
    );
    let others = json(&runlayout(root, &["ls", "--json"]));
    assert_eq!(
        others["runs"].as_array().map(Vec::len),
        Some(8),
        "no other run went"
    );
    assert!(
        fs::symlink_metadata(&pointer).is_err(),
        "no dangling pointer"
    );

    // Stage b's runs all go, b3 named by `latest` among them: so does the
    // pointer, and the table says so.
    let done = runlayout(
        root,
        &[
            "prune",
            "--stage",
            "b",
            "--keep-last",
            "0",
            "--include-latest",
            "--yes",
        ],
    );
    let text = String::from_utf8(done.stdout)?;
    assert!(text.contains("removed 3 runs"), "{text}");
    let pointer = root.join("b/latest");
    let said = format!("removed {}: no run of its stage is left", pointer.display());
    assert!(text.contains(&said), "{text}");
    assert!(fs::symlink_metadata(&pointer).is_err());
    Ok(())
}

#[test]
fn keep_last_orders_by_the_recorded_creation_time_not_by_id() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let day =
        |n: i64| (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * n)).to_string();
    // An array job's points, created in another order than their ids sort:
    // p3 first, then p1, p4, p2.
    for (id, days_ago) in [("p3", 4), ("p1", 3), ("p4", 2), ("p2", 1)] {
        RunFixture::new(Run::builder(root).stage("sweep").run_id(id))
            .manifest("created", day(days_ago))
            .fate(Fate::Finished)
            .create()?;
    }
    let dry = json(&runlayout(root, &["prune", "--keep-last", "2", "--json"]));
    assert_eq!(ids_of(&dry["remove"], root), ["p1", "p3"]);
    let done = json(&runlayout(
        root,
        &[
            "prune",
            "--keep-last",
            "1",
            "--include-latest",
            "--yes",
            "--json",
        ],
    ));
    assert_eq!(ids_of(&done["removed"], root), ["p1", "p3", "p4"]);
    Ok(())
}

#[test]
fn keep_best_ranks_each_stage_by_a_summary_value_and_keeps_runs_without_one() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let day =
        |n: i64| (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * n)).to_string();
    // A sweep's points with their validation loss (p5 never wrote one), and
    // a run of another stage, which is ranked apart.
    let points = [
        ("p1", 6, Some(0.5)),
        ("p2", 5, Some(0.2)),
        ("p3", 4, Some(0.9)),
        ("p4", 3, Some(0.1)),
        ("p5", 2, None),
    ];
    for (id, days_ago, loss) in points {
        let run = RunFixture::new(Run::builder(root).stage("sweep").run_id(id))
            .manifest("created", day(days_ago))
            .fate(Fate::Finished)
            .create()?;
        if let Some(loss) = loss {
            run.summary().set("val_loss", loss)?;
        }
    }
    let other = RunFixture::new(Run::builder(root).stage("other").run_id("o1"))
        .fate(Fate::Finished)
        .create()?;
    other.summary().set("val_loss", 0.7)?;
    drop(other);
    let by_loss = ["prune", "--keep-best", "2", "--by", "summary.val_loss"];
    let dry = json(&runlayout(
        root,
        &[&by_loss[..], &["--include-latest", "--json"]].concat(),
    ));
    assert_eq!(ids_of(&dry["remove"], root), ["p1", "p3"]);
    let unranked: Vec<&Value> = dry["kept"]
        .as_array()
        .expect("kept")
        .iter()
        .filter(|k| k["reason"] == "no_value")
        .collect();
    assert_eq!(unranked.len(), 1, "{dry}");
    assert_eq!(unranked[0]["key"], "summary.val_loss");
    assert!(
        unranked[0]["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("p5")),
        "{dry}"
    );
    // Greater is better with --max: the two lowest losses go.
    let max = json(&runlayout(
        root,
        &[&by_loss[..], &["--max", "--include-latest", "--json"]].concat(),
    ));
    assert_eq!(ids_of(&max["remove"], root), ["p2", "p4"]);
    // And they do go, with --yes; p5 and the other stage stay.
    let done = json(&runlayout(
        root,
        &[&by_loss[..], &["--include-latest", "--yes", "--json"]].concat(),
    ));
    assert_eq!(ids_of(&done["removed"], root), ["p1", "p3"]);
    for left in ["sweep/p2", "sweep/p4", "sweep/p5", "other/o1"] {
        assert!(root.join(left).join(MANIFEST).is_file(), "{left}");
    }
    // --by names a summary value, and needs --keep-best.
    let bad = runlayout(root, &["prune", "--keep-best", "1", "--by", "val_loss"]);
    assert_eq!(bad.status.code(), Some(2));
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(said.contains("`val_loss` names no summary value"), "{said}");
    let alone = runlayout(root, &["prune", "--by", "summary.val_loss"]);
    assert_eq!(alone.status.code(), Some(2));
    Ok(())
}
