//! The `runlayout` command on a root in object storage: runs made in a
//! moto server by a child process, listed by the real binary with their
//! status read from the bucket; `show`, `tree`, `path`, `diff`, `latest`
//! and `prune` answering for a bucket as for a folder holding the same
//! runs; a sweep in a bucket whose trials processes with caches of their
//! own claim, each exactly once.
#![cfg(feature = "object-store")]

#[path = "../../checks/tests/it/support/children.rs"]
#[allow(dead_code)]
mod children;
#[path = "../../checks/tests/it/support/moto.rs"]
mod moto;

use std::path::Path;
use std::process::Command;

use children::{child_lines, is_child, spawn_child};
use runlayout::{Layout as _, Run};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const TEST: &str = "ls_lists_the_runs_of_a_bucket_with_their_status";

#[test]
fn ls_lists_the_runs_of_a_bucket_with_their_status() -> TestResult {
    if is_child("bucket-runs") {
        let root = std::env::var("TEST_HOME")?;
        let done = Run::builder(&root)
            .stage("pretrain")
            .run_id("done")
            .create()?;
        done.guard().finish()?;
        let broke = Run::builder(&root)
            .stage("pretrain")
            .run_id("broke")
            .create()?;
        broke.guard().fail("loss became NaN")?;
        println!("MADE");
        return Ok(());
    }
    let Some(moto) = moto::Moto::start(TEST)? else {
        return Ok(());
    };
    moto.bucket("runs")?;
    let cache = tempfile::tempdir()?;
    let root = "s3://runs/team";
    let mut env = moto.vars();
    env.push(("TEST_HOME".into(), root.into()));
    env.push(("RUNLAYOUT_CACHE".into(), cache.path().display().to_string()));
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let made = child_lines(spawn_child(TEST, "bucket-runs", &env_refs), "MADE");
    assert_eq!(made.len(), 1);
    // Each end indexed its run's manifest and status with the tags S3's
    // listing gives them: a first listing reads them from there.
    let listed = String::from_utf8(moto.raw("GET", "runs?list-type=2&prefix=team/", b"")?)?;
    let tags = listed_tags(&listed);
    let mut indexed = Vec::new();
    for key in tags.keys().filter(|key| key.contains("/index+")) {
        let index = moto.raw("GET", &format!("runs/{}", key.replace('+', "%2B")), b"")?;
        let index: serde_json::Value = serde_json::from_slice(&index)?;
        for entry in index["records"].as_array().ok_or("records")? {
            let key = format!("team/{}", entry["key"].as_str().ok_or("key")?);
            let tag = entry["e_tag"].as_str().ok_or("e_tag")?.trim_matches('"');
            assert_eq!(tags.get(&key).map(String::as_str), Some(tag), "{key}");
            indexed.push(key);
        }
    }
    indexed.sort();
    assert_eq!(
        indexed,
        [
            "team/pretrain/broke/run.json",
            "team/pretrain/broke/run.status.json",
            "team/pretrain/done/run.json",
            "team/pretrain/done/run.status.json",
        ]
    );
    // The laptop: another cache folder.
    let laptop = tempfile::tempdir()?;
    env.push((
        "RUNLAYOUT_CACHE".into(),
        laptop.path().display().to_string(),
    ));

    let runlayout = |args: &[&str]| run_on(root, &env, args);
    let out = runlayout(&["ls", "--json"])?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let mut runs: Vec<(String, String, String)> = listing["runs"]
        .as_array()
        .ok_or("runs")?
        .iter()
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
            (text("run"), text("status"), text("path"))
        })
        .collect();
    runs.sort();
    assert_eq!(
        runs,
        [
            (
                "pretrain/broke".into(),
                "failed".into(),
                format!("{root}/pretrain/broke")
            ),
            (
                "pretrain/done".into(),
                "finished".into(),
                format!("{root}/pretrain/done")
            ),
        ]
    );
    let table = runlayout(&["ls"])?;
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("pretrain/done") && text.contains("finished"),
        "{text}"
    );
    // Nothing was fetched for the listing: the cache folder holds only
    // the records read, remembered for the next listing.
    assert_eq!(names_in(laptop.path())?, [".records"]);
    // The next listing, reading only what changed, answers alike; a run
    // changed since (tagged) is read again.
    let again = runlayout(&["ls", "--json"])?;
    assert_eq!(again.stdout, out.stdout);
    let tagged = |tag: &str| -> Result<String, Box<dyn std::error::Error>> {
        let listed = runlayout(&["ls", "--json", "--where", &format!("tag={tag}")])?;
        Ok(String::from_utf8(listed.stdout)?)
    };
    assert!(!tagged("best")?.contains("pretrain/done"));
    let tag = runlayout(&["tag", "pretrain/done", "+best"])?;
    assert!(
        tag.status.success(),
        "{}",
        String::from_utf8_lossy(&tag.stderr)
    );
    let best = tagged("best")?;
    assert!(
        best.contains("pretrain/done") && !best.contains("pretrain/broke"),
        "{best}"
    );
    // The record read with the tag is changed again: read again.
    let untag = runlayout(&["tag", "pretrain/done", "-best"])?;
    assert!(
        untag.status.success(),
        "{}",
        String::from_utf8_lossy(&untag.stderr)
    );
    assert!(!tagged("best")?.contains("pretrain/done"));
    Ok(())
}

// One scenario, run against a folder and against a bucket: the commands
// that read runs answer alike for both.

#[derive(runlayout::Layout)]
#[layout(checkpoint = "checkpoints", logfile = "log.txt")]
#[layout(epoch_ckpt = "checkpoints/epoch_{epoch:04}.ckpt")]
struct TrainPaths {
    run: Run,
}

const SAME: &str = "show_tree_path_diff_and_latest_answer_for_a_bucket_as_for_a_folder";

/// Three runs: a pretraining that kept two checkpoints, a summary, a tag
/// and a note, and finished; a finetuning linked to it that wrote a log
/// through a plain path and failed; a later finetuning that finished.
fn scenario(root: &str) -> TestResult {
    let base = Run::builder(root)
        .stage("pretrain")
        .run_id("base")
        .params(&serde_json::json!({"lr": 0.1, "layers": 4}))
        .create()?;
    let guard = base.guard();
    let paths = TrainPaths { run: base };
    paths.create_all()?;
    for epoch in 1..=2u64 {
        paths
            .epoch_ckpt(epoch)
            .write_atomic(vec![b'w'; 1000 * epoch as usize])?;
    }
    let base = &paths.run;
    base.summary().set("val_loss", 0.25)?;
    base.add_tag("keep")?;
    base.set_note("first try")?;
    base.sync()?;
    guard.finish()?;

    let ft = Run::builder(root)
        .stage("finetune")
        .run_id("ft")
        .params(&serde_json::json!({"lr": 0.01, "layers": 4}))
        .create()?;
    ft.link(base)?;
    let guard = ft.guard();
    std::fs::write(ft.path().join("log.txt"), "epoch 1\nloss nan\n")?;
    ft.summary().set("val_loss", 0.5)?;
    ft.sync()?;
    guard.fail("loss became NaN")?;
    // A later finetuning that finished: `latest` of its stage.
    let ft2 = Run::builder(root)
        .stage("finetune")
        .run_id("ft2")
        .create()?;
    ft2.guard().finish()?;
    Ok(())
}

#[test]
fn show_tree_path_diff_and_latest_answer_for_a_bucket_as_for_a_folder() -> TestResult {
    if is_child("scenario") {
        scenario(&std::env::var("TEST_HOME")?)?;
        println!("MADE");
        return Ok(());
    }
    let Some(moto) = moto::Moto::start(SAME)? else {
        return Ok(());
    };
    moto.bucket("same")?;
    let disk = tempfile::tempdir()?;
    let disk_root = disk.path().display().to_string();
    let bucket_root = "s3://same/runs".to_owned();
    let cache = tempfile::tempdir()?;
    let laptop = tempfile::tempdir()?;
    // The commands' own temporary folders, to see that none is left.
    let temporaries = tempfile::tempdir()?;
    let mut env = moto.vars();
    env.push(("RUNLAYOUT_CACHE".into(), cache.path().display().to_string()));
    env.push(("TMPDIR".into(), temporaries.path().display().to_string()));
    for root in [&disk_root, &bucket_root] {
        let mut env = env.clone();
        env.push(("TEST_HOME".into(), root.clone()));
        let refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let made = child_lines(spawn_child(SAME, "scenario", &refs), "MADE");
        assert_eq!(made.len(), 1, "the scenario ran against {root}");
    }
    // The laptop reads the bucket with a cache of its own.
    env.push((
        "RUNLAYOUT_CACHE".into(),
        laptop.path().display().to_string(),
    ));
    let runlayout =
        |root: &str, args: &[&str]| -> Result<(bool, String, String), Box<dyn std::error::Error>> {
            let out = run_on(root, &env, args)?;
            // Each root's own spelling, and the values no two runs share,
            // made alike.
            let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).replace(root, "ROOT");
            Ok((out.status.success(), text(&out.stdout), text(&out.stderr)))
        };
    let commands: &[&[&str]] = &[
        &["ls", "--json"],
        &["show", "--json", "pretrain/base"],
        &["show", "--json", "finetune/ft"],
        &["show", "--json", "latest"],
        &["tree", "--json", "pretrain/base"],
        &["tree", "--json", "finetune/ft"],
        &["path", "pretrain/base", "epoch_ckpt", "2"],
        &["path", "--json", "pretrain/base", "logfile"],
        &["diff", "--json", "pretrain/base", "finetune/ft"],
        &["latest", "--json"],
        &["latest", "--json", "--stage", "finetune"],
        &["show", "pretrain/nope"],
    ];
    for args in commands {
        let on_disk = runlayout(&disk_root, args)?;
        let in_bucket = runlayout(&bucket_root, args)?;
        assert_eq!(
            on_disk.0, in_bucket.0,
            "{args:?}: {} / {}",
            on_disk.2, in_bucket.2
        );
        if args.contains(&"--json") {
            let (a, b) = (comparable(&on_disk.1)?, comparable(&in_bucket.1)?);
            assert_eq!(a, b, "{args:?}");
        } else {
            assert_eq!(on_disk.1, in_bucket.1, "{args:?}");
            assert_eq!(on_disk.2, in_bucket.2, "{args:?}");
        }
    }
    // Pruning the failed run (and so its back-link in its ancestor):
    // planned, done, and what is left, alike; marks changed alike.
    for args in [
        &["tag", "--json", "pretrain/base", "+paper", "-keep"][..],
        &["note", "--json", "finetune/ft2", "the one to compare"],
        &["show", "--json", "finetune/ft2"],
        &["link", "--json", "finetune/ft2", "pretrain/base"],
        &["tree", "--json", "finetune/ft2"],
        &["prune", "--json", "--status", "failed"][..],
        &["prune", "--json", "--status", "failed", "--yes"],
        &["ls", "--json"],
        &["show", "--json", "pretrain/base"],
        &["tree", "--json", "pretrain/base"],
        &["prune", "--json", "--older-than", "0s"],
    ] {
        let on_disk = runlayout(&disk_root, args)?;
        let in_bucket = runlayout(&bucket_root, args)?;
        assert!(
            on_disk.0 && in_bucket.0,
            "{args:?}: {} / {}",
            on_disk.2,
            in_bucket.2
        );
        assert_eq!(
            comparable(&on_disk.1)?,
            comparable(&in_bucket.1)?,
            "{args:?}"
        );
    }
    let (_, listed, _) = runlayout(&bucket_root, &["ls", "--json"])?;
    assert!(!listed.contains("\"finetune/ft\""), "{listed}");
    assert!(listed.contains("\"finetune/ft2\""), "{listed}");
    // The paths printed are the bucket's URLs, never the folder the runs
    // were read in; and nothing stays on the laptop.
    for args in [
        &["ls"][..],
        &["prune", "--older-than", "0s"],
        &["latest"],
        &["tree", "pretrain/base"],
    ] {
        let (_, out, err) = runlayout(&bucket_root, args)?;
        assert!(
            !out.contains(".runlayout-") && !err.contains(".runlayout-"),
            "{args:?}: {out}{err}"
        );
    }
    let (_, table, _) = runlayout(&bucket_root, &["ls"])?;
    assert!(table.contains("ROOT/pretrain/base"), "{table}");
    let (_, shown, _) = runlayout(&bucket_root, &["show", "pretrain/base"])?;
    assert!(shown.contains("path:        ROOT/pretrain/base"), "{shown}");
    let (_, path, _) = runlayout(&bucket_root, &["path", "pretrain/base", "epoch_ckpt", "2"])?;
    assert_eq!(
        path.trim(),
        "ROOT/pretrain/base/checkpoints/epoch_0002.ckpt"
    );
    // The latest runs may go too: each stage's pointer moves on or away,
    // alike.
    for args in [
        &[
            "prune",
            "--json",
            "--stage",
            "finetune",
            "--older-than",
            "0s",
            "--include-latest",
            "--yes",
        ][..],
        &["latest", "--json"],
        &["ls", "--json"],
    ] {
        let on_disk = runlayout(&disk_root, args)?;
        let in_bucket = runlayout(&bucket_root, args)?;
        assert!(
            on_disk.0 && in_bucket.0,
            "{args:?}: {} / {}",
            on_disk.2,
            in_bucket.2
        );
        assert_eq!(
            comparable(&on_disk.1)?,
            comparable(&in_bucket.1)?,
            "{args:?}"
        );
    }
    let (_, listed, _) = runlayout(&bucket_root, &["ls", "--json"])?;
    assert!(!listed.contains("\"finetune/ft2\""), "{listed}");
    assert_eq!(names_in(laptop.path())?, [".records"]);
    let leftovers = std::fs::read_dir(temporaries.path())?.count();
    assert_eq!(leftovers, 0, "the folder the runs were read in is removed");
    Ok(())
}

/// The JSON a command printed, without what differs between two runs of
/// one scenario (times, process ids, the command line, and so the sizes
/// of the records that hold them) or between a
/// folder and a bucket by nature (the record lock a process took, which
/// stays in the folder and never goes to the home; the hash of a root's
/// place in a back-link's name; the `descendants` folder itself, which a
/// folder keeps when its last back-link goes and a bucket, having no
/// folders, does not).
fn comparable(text: &str) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for volatile in [
                    "created",
                    "ended",
                    "pid",
                    "command",
                    "git",
                    "restarts",
                    "host",
                    "duration",
                    "started",
                    "at",
                    "last_beat",
                    // Sizes: records hold times and process ids, whose
                    // digits differ between two runs of the scenario.
                    "bytes",
                    "removed_bytes",
                ] {
                    map.remove(volatile);
                }
                for (_, v) in map.iter_mut() {
                    strip(v);
                }
            }
            // A back-link's name ends in a hash of where its run is
            // (`finetune+ft+4dc5c22247730d8d`), which differs by root.
            serde_json::Value::String(text) => {
                if let Some(at) = text.rfind('+') {
                    let hash = &text[at + 1..];
                    if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                        text.truncate(at);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                items.retain(|item| {
                    let path = item.get("path").and_then(|p| p.as_str());
                    let kind = item.get("kind").and_then(|k| k.as_str());
                    path != Some(runlayout::names::LOCK)
                        && !(path == Some(runlayout::names::DESCENDANTS) && kind == Some("dir"))
                });
                for v in items.iter_mut() {
                    strip(v);
                }
            }
            _ => {}
        }
    }
    let mut value: serde_json::Value = serde_json::from_str(text)?;
    strip(&mut value);
    Ok(value)
}

const SWEEP: &str = "a_sweep_in_a_bucket_gives_each_trial_to_one_process";

#[test]
fn a_sweep_in_a_bucket_gives_each_trial_to_one_process() -> TestResult {
    if is_child("worker") {
        let sweep = runlayout::sweep::Sweep::resolve(std::env::var("TEST_HOME")?, "s/grid")?;
        while let Some(trial) = sweep.claim_next()? {
            let guard = trial.guard();
            let x: f64 = trial.param("x")?;
            trial.run().summary().set("loss", x * 10.0)?;
            println!("CLAIMED {}", trial.number());
            guard.finish()?;
        }
        return Ok(());
    }
    let Some(moto) = moto::Moto::start(SWEEP)? else {
        return Ok(());
    };
    moto.bucket("sweeps")?;
    let root = "s3://sweeps/runs";
    let nodes = tempfile::tempdir()?;
    let temporaries = tempfile::tempdir()?;
    let mut env = moto.vars();
    env.push(("TEST_HOME".into(), root.into()));
    env.push(("TMPDIR".into(), temporaries.path().display().to_string()));
    let runlayout = |args: &[&str]| -> Result<(bool, String, String), Box<dyn std::error::Error>> {
        let out = Command::new(env!("CARGO_BIN_EXE_runlayout"))
            .args(["--run-root", root])
            .args(args)
            .env_remove("RUNLAYOUT_ROOT")
            .env("RUNLAYOUT_CACHE", nodes.path().join("laptop"))
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()?;
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        Ok((out.status.success(), text(&out.stdout), text(&out.stderr)))
    };
    let (ok, out, err) = runlayout(&[
        "sweep",
        "new",
        "--stage",
        "s",
        "--id",
        "grid",
        "--grid",
        "x=1,2,3,4,5,6,7,8",
    ])?;
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "s/grid");
    // Three processes, each a node with a working copy folder of its own.
    let workers: Vec<_> = (0..3)
        .map(|node| {
            let cache = nodes
                .path()
                .join(format!("node{node}"))
                .display()
                .to_string();
            let mut vars: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            vars.push(("RUNLAYOUT_CACHE", &cache));
            spawn_child(SWEEP, "worker", &vars)
        })
        .collect();
    let mut claimed: Vec<usize> = workers
        .into_iter()
        .flat_map(|w| child_lines(w, "CLAIMED "))
        .map(|n| n.trim().parse().expect("a number"))
        .collect();
    claimed.sort_unstable();
    assert_eq!(claimed, (0..8).collect::<Vec<_>>(), "each trial once");
    let (ok, out, err) = runlayout(&["sweep", "show", "--json", "s/grid"])?;
    assert!(ok, "{err}");
    let table: serde_json::Value = serde_json::from_str(&out)?;
    let trials = table["trials"].as_array().ok_or("trials")?;
    assert_eq!(trials.len(), 8, "{out}");
    assert!(trials.iter().all(|t| t["status"] == "finished"), "{out}");
    assert_eq!(trials[2]["summary"]["loss"], 30.0, "{out}");
    assert_eq!(trials[2]["run"], "s/grid-t002", "{out}");
    let (ok, out, err) = runlayout(&["sweep", "ls", "--json"])?;
    assert!(ok, "{err}");
    assert!(out.contains("\"s/grid\""), "{out}");
    // The reader kept nothing: no working copy, no temporary folder.
    assert!(!nodes.path().join("laptop").exists());
    assert_eq!(std::fs::read_dir(temporaries.path())?.count(), 0);
    Ok(())
}

/// The names in the folder at `path`, sorted.
/// Each key of an S3 listing (ListObjectsV2's XML) with its entity tag,
/// quotes taken off.
fn listed_tags(xml: &str) -> std::collections::HashMap<String, String> {
    let within = |text: &str, tag: &str| -> Option<String> {
        let start = text.find(&format!("<{tag}>"))? + tag.len() + 2;
        let end = text[start..].find(&format!("</{tag}>"))? + start;
        Some(text[start..end].to_owned())
    };
    xml.split("<Contents>")
        .skip(1)
        .filter_map(|object| {
            let tag = within(object, "ETag")?
                .replace("&quot;", "")
                .replace("&#34;", "")
                .replace('"', "");
            Some((within(object, "Key")?, tag))
        })
        .collect()
}

fn names_in(path: &Path) -> std::io::Result<Vec<String>> {
    let mut names = std::fs::read_dir(path)?
        .map(|entry| Ok(entry?.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<Vec<_>>>()?;
    names.sort();
    Ok(names)
}

const ODD: &str = "odd_keys_in_a_bucket_neither_hide_runs_nor_give_back_a_removed_link";

/// Objects other tools write into a bucket: a key no path can be made of
/// (`ckpt//last.pt`), which ends a store's listing, hides no run from
/// `ls` and moves no `latest` to an older run in a prune; a key that names
/// a record only once decoded (`ancest%6Fr`) is not that record, even with
/// the bytes of one remembered from before.
#[test]
fn odd_keys_in_a_bucket_neither_hide_runs_nor_give_back_a_removed_link() -> TestResult {
    if is_child("odd-keys") {
        let root = std::env::var("TEST_HOME")?;
        let run = |id: &str| Run::builder(&root).stage("s").run_id(id).create();
        let aa = run("aa")?;
        aa.guard().finish()?;
        let zz = run("zz")?;
        zz.link(&aa)?;
        zz.guard().finish()?;
        run("bb")?.guard().fail("loss became NaN")?;
        println!("MADE");
        return Ok(());
    }
    let Some(moto) = moto::Moto::start(ODD)? else {
        return Ok(());
    };
    moto.bucket("odd")?;
    let (cache, laptop) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let root = "s3://odd/team";
    let mut env = moto.vars();
    env.push(("TEST_HOME".into(), root.into()));
    env.push(("RUNLAYOUT_CACHE".into(), cache.path().display().to_string()));
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        child_lines(spawn_child(ODD, "odd-keys", &env_refs), "MADE").len(),
        1
    );
    env.push((
        "RUNLAYOUT_CACHE".into(),
        laptop.path().display().to_string(),
    ));
    let runlayout = |args: &[&str]| -> Result<String, Box<dyn std::error::Error>> {
        let out = run_on(root, &env, args)?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {stderr}");
        Ok(String::from_utf8(out.stdout)?)
    };
    // Each run listed, with its ancestor's name.
    let listed = || -> Result<Vec<(String, String)>, Box<dyn std::error::Error>> {
        let listing: serde_json::Value = serde_json::from_str(&runlayout(&["ls", "--json"])?)?;
        let mut runs: Vec<(String, String)> = listing["runs"]
            .as_array()
            .ok_or("runs")?
            .iter()
            .map(|r| {
                let text = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
                (text("run"), text("ancestor_run"))
            })
            .collect();
        runs.sort();
        Ok(runs)
    };
    let all = |zz_ancestor: &str| {
        [
            ("s/aa".to_owned(), String::new()),
            ("s/bb".to_owned(), String::new()),
            ("s/zz".to_owned(), zz_ancestor.to_owned()),
        ]
    };
    assert_eq!(listed()?, all("s/aa"));

    // Another tool removes zz's link, and writes its bytes at a key that
    // names it only once decoded.
    let link = moto.raw("GET", "odd/team/s/zz/ancestor", b"")?;
    moto.raw("DELETE", "odd/team/s/zz/ancestor", b"")?;
    moto.raw("PUT", "odd/team/s/zz/ancest%256Fr", &link)?;
    assert_eq!(listed()?, all(""));

    // A key no path can be made of, in the stage's folder.
    moto.raw("PUT", "odd/team/s/zz/ckpt//last.pt", b"weights")?;
    assert_eq!(listed()?, all(""));
    runlayout(&["prune", "--status", "failed", "--include-latest", "--yes"])?;
    let latest = runlayout(&["latest", "--stage", "s"])?;
    assert!(latest.trim_end().ends_with("/s/zz"), "{latest}");

    // The run that holds the key cannot be listed whole, so a prune that
    // selects it keeps it, whole, and says why; the others go.
    let prune = ["prune", "--older-than", "0s", "--include-latest", "--yes"];
    let pruned = run_on(root, &env, &prune)?;
    let said = String::from_utf8_lossy(&pruned.stdout) + String::from_utf8_lossy(&pruned.stderr);
    assert!(said.contains("no path can be made of"), "{said}");
    assert_eq!(listed()?, [("s/zz".to_owned(), String::new())]);
    moto.raw("GET", "odd/team/s/zz/run.json", b"")?;
    moto.raw("GET", "odd/team/s/zz/ancest%256Fr", b"")?;
    Ok(())
}

/// The `runlayout` command with `args` on the root `root`, in the
/// environment `env` (and no `RUNLAYOUT_ROOT` of the test's own).
fn run_on(
    root: &str,
    env: &[(String, String)],
    args: &[&str],
) -> std::io::Result<std::process::Output> {
    Command::new(env!("CARGO_BIN_EXE_runlayout"))
        .args(["--run-root", root])
        .args(args)
        .env_remove("RUNLAYOUT_ROOT")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
}
