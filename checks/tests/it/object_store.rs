//! Runs whose home is object storage: against `memory://` stores (shared
//! by this process, so threads with their own working copies race as
//! nodes do) and against a real S3-compatible server, moto, started by
//! the tests on a free port of 127.0.0.1. moto's conditional writes are
//! not locked, so exclusive creation is asserted against `memory://` and
//! only printed for moto.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Child;
use std::sync::Barrier;
use std::time::Duration;

use runlayout::{Error, FilePath, Run, RunStatus};

use crate::support::moto::Moto;
use crate::support::*;

/// A fresh in-memory home for one test.
fn memory_home(test: &str) -> String {
    format!("memory://{test}/runs")
}

#[test]
fn a_run_in_a_bucket_has_a_url_and_a_working_copy() -> TestResult {
    let home = memory_home("working-copy");
    let cache = tempfile::tempdir()?;
    let run = Run::builder(&home)
        .cache_dir(cache.path())
        .stage("pretrain")
        .run_id("r1")
        .create()?;
    assert!(run.is_new());
    assert_eq!(run.remote(), Some(format!("{home}/pretrain/r1").as_str()));
    assert_eq!(run.path(), cache.path().join("pretrain/r1"));
    assert!(run.path().join("run.json").is_file());
    // A run on disk has no home.
    let disk = tempfile::tempdir()?;
    assert_eq!(Run::builder(disk.path()).create()?.remote(), None);
    Ok(())
}

#[test]
fn sync_uploads_what_changed_and_another_node_fetches_it() -> TestResult {
    let home = memory_home("sync-fetch");
    let nodes = tempfile::tempdir()?;
    let run = Run::builder(&home)
        .cache_dir(nodes.path().join("a"))
        .stage("train")
        .create()?;
    // Written by a framework through plain paths.
    std::fs::create_dir(run.path().join("checkpoints"))?;
    std::fs::write(run.path().join("checkpoints/epoch_1.ckpt"), b"weights 1")?;
    std::fs::write(run.path().join("log.txt"), "epoch 1\n")?;
    let first = run.sync()?;
    let uploaded: BTreeSet<_> = first.uploaded.iter().cloned().collect();
    assert!(
        uploaded.contains(Path::new("checkpoints/epoch_1.ckpt")),
        "{first:?}"
    );
    assert!(uploaded.contains(Path::new("log.txt")), "{first:?}");
    assert!(
        !uploaded.contains(Path::new("run.json")),
        "written once, at creation"
    );
    assert_eq!(run.sync()?.uploaded, Vec::<std::path::PathBuf>::new());
    std::fs::write(run.path().join("log.txt"), "epoch 1\nepoch 2\n")?;
    assert_eq!(run.sync()?.uploaded, [Path::new("log.txt")]);

    // Another node resumes the stage's latest run into an empty working copy.
    let resumed = Run::builder(&home)
        .cache_dir(nodes.path().join("b"))
        .stage("train")
        .open_latest()?;
    assert_eq!(resumed.id(), run.id());
    assert!(
        !resumed.path().join("log.txt").exists(),
        "fetched on demand"
    );
    resumed.fetch("checkpoints")?;
    assert_eq!(
        std::fs::read(resumed.path().join("checkpoints/epoch_1.ckpt"))?,
        b"weights 1"
    );
    assert_eq!(
        std::fs::read(resumed.fetch("log.txt")?)?,
        b"epoch 1\nepoch 2\n"
    );
    let missing = resumed.fetch("checkpoints/epoch_9.ckpt").unwrap_err();
    assert_eq!(
        missing.io_error().map(|e| e.kind()),
        Some(std::io::ErrorKind::NotFound)
    );
    let outside = resumed.fetch("../other/run.json").unwrap_err();
    assert_eq!(
        outside.io_error().map(|e| e.kind()),
        Some(std::io::ErrorKind::InvalidInput)
    );
    Ok(())
}

#[test]
fn atomic_writes_in_a_working_copy_are_stored_before_they_return() -> TestResult {
    let home = memory_home("atomic-writes");
    let nodes = tempfile::tempdir()?;
    let run = Run::builder(&home)
        .cache_dir(nodes.path().join("a"))
        .run_id("r")
        .create()?;
    FilePath::new(run.path().join("checkpoints/1.ckpt")).write_atomic(b"one")?;
    let mut file = FilePath::new(run.path().join("checkpoints/2.ckpt")).create_atomic()?;
    file.write_all(b"two")?;
    file.commit()?;
    FilePath::new(run.path().join("checkpoints/3.ckpt")).write_atomic_with(|tmp| {
        std::fs::write(tmp, b"three").map_err(Box::<dyn std::error::Error>::from)
    })?;
    // A file written through a plain path waits for a sync.
    std::fs::write(run.path().join("checkpoints/4.ckpt"), b"four")?;
    // Stored already: a sync uploads only the plain file.
    assert_eq!(run.sync()?.uploaded, [Path::new("checkpoints/4.ckpt")]);
    let other = Run::builder(&home)
        .cache_dir(nodes.path().join("b"))
        .run_id("r")
        .open()?;
    other.fetch("checkpoints")?;
    for (n, text) in [(1, "one"), (2, "two"), (3, "three"), (4, "four")] {
        let path = other.path().join(format!("checkpoints/{n}.ckpt"));
        assert_eq!(std::fs::read_to_string(path)?, text);
    }
    // A file outside any working copy is written as ever.
    let disk = tempfile::tempdir()?;
    FilePath::new(disk.path().join("x")).write_atomic(b"x")?;
    Ok(())
}

#[test]
fn families_list_and_prune_the_home_whichever_node_stored_the_members() -> TestResult {
    use runlayout::{Family, family::FamilyTemplate};
    static EPOCHS: FamilyTemplate = FamilyTemplate::new("checkpoints/epoch_{epoch:04}.ckpt");
    static EVALS: FamilyTemplate = FamilyTemplate::new("eval/{split}");
    let home = memory_home("families");
    let nodes = tempfile::tempdir()?;
    let node = |name: &str| -> Result<Run, Error> {
        Run::builder(&home)
            .cache_dir(nodes.path().join(name))
            .stage("train")
            .run_id("r")
            .create_or_open()
    };
    let a = node("a")?;
    for epoch in 1..=3u64 {
        FilePath::new(a.path().join(format!("checkpoints/epoch_{epoch:04}.ckpt")))
            .write_atomic(format!("weights {epoch}"))?;
    }
    for split in ["val", "test"] {
        FilePath::new(a.path().join(format!("eval/{split}/metrics.json"))).write_atomic("{}")?;
    }
    // Another node, its working copy empty: the family is the home's.
    let b = node("b")?;
    let epochs: Family<u64, FilePath> = Family::new(b.path(), &EPOCHS);
    let (last, path) = epochs.last()?.ok_or("a stored checkpoint")?;
    assert_eq!(last, 3);
    assert_eq!(path.as_path(), b.path().join("checkpoints/epoch_0003.ckpt"));
    assert!(!path.exists(), "listed, not fetched");
    let keys: Vec<u64> = epochs.list()?.into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, [1, 2, 3]);
    b.fetch("checkpoints/epoch_0003.ckpt")?;
    assert_eq!(epochs.list()?.len(), 3, "a fetched member is listed once");
    // Pruned from node b: gone from the home, so from node a's view too.
    assert_eq!(epochs.keep_last(1)?.len(), 2);
    let seen_from_a: Family<u64, FilePath> = Family::new(a.path(), &EPOCHS);
    let keys: Vec<u64> = seen_from_a.list()?.into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, [3], "a's own copies went with the home's");
    let evals: Family<String, runlayout::DirPath> = Family::new(b.path(), &EVALS);
    assert_eq!(
        evals.keep_last(1)?.len(),
        1,
        "a folder member, removed in the home"
    );
    let c = node("c")?;
    let left: Family<String, runlayout::DirPath> = Family::new(c.path(), &EVALS);
    let splits: Vec<String> = left.list()?.into_iter().map(|(k, _)| k).collect();
    assert_eq!(splits, ["val"]);
    Ok(())
}

#[test]
fn links_between_runs_in_a_bucket_reach_other_nodes() -> TestResult {
    let home = memory_home("links");
    let nodes = tempfile::tempdir()?;
    let on = |node: &str| Run::builder(&home).cache_dir(nodes.path().join(node));
    let pretrain = on("a").stage("pretrain").create()?;
    let finetune = on("b").stage("finetune").create()?;
    finetune.link(&pretrain)?;
    // A third node opens the finetune: its ancestor names the pretraining
    // run's working copy there, which it can open.
    let seen = on("c")
        .stage("finetune")
        .run_id(finetune.id().as_str())
        .open()?;
    let ancestor = seen.ancestor()?.ok_or("an ancestor")?;
    assert_eq!(
        ancestor,
        nodes.path().join("c/pretrain").join(pretrain.id().as_str())
    );
    let opened = on("c")
        .stage("pretrain")
        .run_id(pretrain.id().as_str())
        .open()?;
    assert_eq!(opened.path(), ancestor);
    // Its descendants are the home's: node c never saw the link made,
    // and node a, which made the ancestor, sees it too.
    let from_c = nodes.path().join("c/finetune").join(finetune.id().as_str());
    assert_eq!(opened.descendants()?, vec![from_c]);
    let from_a = nodes.path().join("a/finetune").join(finetune.id().as_str());
    assert_eq!(pretrain.descendants()?, vec![from_a]);
    // Relinked elsewhere, it is no descendant any more.
    let other = on("b").stage("pretrain").create()?;
    finetune.link(&other)?;
    assert_eq!(opened.descendants()?, Vec::<std::path::PathBuf>::new());
    assert_eq!(other.descendants()?.len(), 1);
    // A run in a bucket links to runs of its own root only.
    let disk = tempfile::tempdir()?;
    let local = Run::builder(disk.path()).create()?;
    let err = finetune.link(&local).unwrap_err();
    assert!(matches!(err, Error::UnsupportedRoot { .. }), "{err:?}");
    Ok(())
}

#[test]
fn a_scan_lists_the_runs_of_a_home_with_their_status_from_there() -> TestResult {
    use runlayout::scan::{DebugRuns, Runs};
    let home = memory_home("scan");
    let nodes = tempfile::tempdir()?;
    let on = |node: &str| Run::builder(&home).cache_dir(nodes.path().join(node));
    let finished = on("a").stage("pretrain").run_id("done").create()?;
    finished.guard().finish()?;
    let failed = on("b").stage("pretrain").run_id("broke").create()?;
    failed.guard().fail("loss became NaN")?;
    let running = on("c").stage("finetune").create()?;
    let _guard = running.guard();
    let debug = on("c").stage("pretrain").debug(true).create()?;
    // Objects that are no run: a stray file, a folder without a manifest.
    std::fs::write(running.path().join("notes.txt"), "x")?;
    running.sync()?;

    let listing = Runs::scan(&home).list()?;
    assert!(listing.problems.is_empty(), "{:?}", listing.problems);
    let mut seen: Vec<(String, String)> = listing
        .runs
        .iter()
        .map(|f| {
            Ok((
                f.run.remote().ok_or("a home")?.to_owned(),
                f.status()?.to_string(),
            ))
        })
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    seen.sort();
    let url = |run: &Run| run.remote().unwrap_or_default().to_owned();
    let mut expected: Vec<(String, String)> = [
        (url(&finished), RunStatus::Finished),
        (url(&failed), RunStatus::Failed),
        (url(&running), RunStatus::Running),
        // No guard, its creator (this process) alive: running, as on disk.
        (url(&debug), RunStatus::Running),
    ]
    .into_iter()
    .map(|(u, s)| (u, s.to_string()))
    .collect();
    expected.sort();
    assert_eq!(seen, expected);
    let pretrain = Runs::scan(&home)
        .stage("pretrain")
        .debug(DebugRuns::Exclude)
        .list()?;
    let mut ids: Vec<String> = pretrain
        .runs
        .iter()
        .map(|f| f.run.id().to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, ["broke", "done"]);
    // The listing made no working copy: each run's path is where one
    // would go in the default cache, and nothing is there.
    for found in &listing.runs {
        assert!(!found.run.path().exists(), "{}", found.run.path().display());
    }
    Ok(())
}

#[test]
fn the_ranks_of_a_launched_job_meet_in_one_run_across_nodes() -> TestResult {
    use runlayout::Launcher;
    use std::ffi::OsString;
    let step = |job: &'static str| {
        Launcher::detect_with(move |k: &str| match k {
            "SLURM_JOB_ID" => Some(OsString::from(job)),
            "SLURM_STEP_ID" => Some(OsString::from("0")),
            _ => None,
        })
        .ok_or("a launcher")
    };
    let (job, other) = (step("4242")?, step("5151")?);
    let home = memory_home("create-for");
    let nodes = tempfile::tempdir()?;
    let on = |node: &str| {
        Run::builder(&home)
            .cache_dir(nodes.path().join(node))
            .stage("s")
            .run_id("baseline")
    };
    // Four ranks on two nodes at once: one run, one creator.
    let barrier = Barrier::new(4);
    let runs: Vec<Run> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|rank| {
                let (barrier, job, on) = (&barrier, &job, &on);
                s.spawn(move || {
                    barrier.wait();
                    on(if rank % 2 == 0 { "a" } else { "b" }).create_for(job)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect::<Vec<_>>()
    })
    .into_iter()
    .collect::<Result<_, _>>()?;
    assert_eq!(runs.iter().filter(|r| r.is_new()).count(), 1);
    let url = format!("{home}/s/baseline");
    assert!(runs.iter().all(|r| r.remote() == Some(url.as_str())));
    // Another job asking for that id is refused, on a node that has the
    // working copy and on one that has not, naming the run's URL.
    for node in ["a", "c"] {
        let err = on(node).create_for(&other).unwrap_err();
        assert!(
            matches!(&err, Error::RunExists { path } if path.to_string_lossy() == url),
            "{node}: {err:?}"
        );
    }
    // The same job requeued on a fresh node finds its run.
    let requeued = on("d").create_for(&job)?;
    assert!(!requeued.is_new());
    assert_eq!(requeued.remote(), Some(url.as_str()));
    Ok(())
}

#[test]
fn two_nodes_marking_one_run_at_once_lose_no_change() -> TestResult {
    let home = memory_home("summary-race");
    let nodes = tempfile::tempdir()?;
    let on = |node: &str| {
        Run::builder(&home)
            .cache_dir(nodes.path().join(node))
            .stage("s")
            .run_id("r")
    };
    let a = on("a").create()?;
    let b = on("b").open()?;
    std::thread::scope(|s| {
        for i in 0..8 {
            let run = if i % 2 == 0 { &a } else { &b };
            s.spawn(move || -> runlayout::Result<()> {
                for k in 0..10 {
                    run.summary().set(&format!("k{i}_{k}"), k)?;
                    run.add_tag(&format!("t{i}-{k}"))?;
                }
                Ok(())
            });
        }
    });
    // A third node finds every change of both in the home.
    let c = on("c").open()?;
    assert_eq!(c.summary().read()?.len(), 80);
    assert_eq!(c.tags()?.len(), 80);
    // A sync of a node whose copy the other node's changes have passed
    // since takes none of them back.
    a.sync()?;
    b.sync()?;
    let d = on("d").open()?;
    assert_eq!(d.summary().read()?.len(), 80);
    assert_eq!(d.tags()?.len(), 80);
    d.set_note("checked")?;
    assert_eq!(on("e").open()?.note()?.as_deref(), Some("checked"));
    Ok(())
}

#[test]
fn a_prune_with_include_latest_moves_the_homes_latest_on_or_away() -> TestResult {
    use runlayout::prune::Prune;
    let home = memory_home("prune-latest");
    let nodes = tempfile::tempdir()?;
    let on = |node: &str| Run::builder(&home).cache_dir(nodes.path().join(node));
    on("a")
        .stage("s")
        .run_id("kept")
        .create()?
        .guard()
        .finish()?;
    on("a")
        .stage("s")
        .run_id("broke")
        .create()?
        .guard()
        .fail("nan")?;
    on("b")
        .stage("t")
        .run_id("only")
        .create()?
        .guard()
        .fail("nan")?;
    let plan = Prune::new(&home)
        .status([RunStatus::Failed])
        .include_latest(true)
        .plan()?;
    assert_eq!(plan.remove.len(), 2, "{:?}", plan.kept);
    let mut done = plan.execute()?;
    done.latest.sort();
    let url = |key: &str| std::path::PathBuf::from(format!("{home}/{key}"));
    assert_eq!(
        done.latest,
        vec![
            (url("s/latest"), Some(url("s/kept"))),
            (url("t/latest"), None)
        ]
    );
    // A fresh node finds `s`'s latest run, the one left; `t` has none.
    let latest = on("c").stage("s").open_latest()?;
    assert_eq!(latest.id().as_str(), "kept");
    assert!(on("c").stage("t").open_latest().is_err());
    // The next run of `t` moves it forward again.
    on("c").stage("t").run_id("next").create()?;
    assert_eq!(on("d").stage("t").open_latest()?.id().as_str(), "next");
    Ok(())
}

#[test]
fn the_newest_finished_run_of_a_stage_is_found_in_the_home() -> TestResult {
    let home = memory_home("latest-finished");
    let nodes = tempfile::tempdir()?;
    let on = |node: &str| Run::builder(&home).cache_dir(nodes.path().join(node));
    on("a")
        .stage("s")
        .run_id("old")
        .create()?
        .guard()
        .finish()?;
    on("a")
        .stage("s")
        .run_id("good")
        .create()?
        .guard()
        .finish()?;
    on("b")
        .stage("s")
        .run_id("bad")
        .create()?
        .guard()
        .fail("nan")?;
    let _running = on("b").stage("s").run_id("running").create()?.guard();
    on("b")
        .stage("t")
        .run_id("broke")
        .create()?
        .guard()
        .fail("nan")?;
    // A fresh node, which holds no working copy of any of them.
    let found = on("c").stage("s").open_latest_finished()?;
    assert_eq!(found.id().as_str(), "good");
    assert_eq!(found.remote(), Some(format!("{home}/s/good").as_str()));
    let none = on("c").stage("t").open_latest_finished().unwrap_err();
    assert!(matches!(none, Error::NoFinishedRun { .. }), "{none:?}");
    assert!(none.to_string().contains(&format!("{home}/t")), "{none}");
    Ok(())
}

#[test]
fn prune_removes_runs_from_the_home_and_keeps_what_it_must() -> TestResult {
    use runlayout::prune::{KeepReason, Prune};
    use runlayout::scan::Runs;
    let home = memory_home("prune");
    let nodes = tempfile::tempdir()?;
    let on = |node: &str| Run::builder(&home).cache_dir(nodes.path().join(node));
    let done = on("a").stage("pretrain").run_id("done").create()?;
    done.guard().finish()?;
    // Failed, with a stored checkpoint: goes, all of it.
    let broke = on("a").stage("pretrain").run_id("broke").create()?;
    FilePath::new(broke.path().join("checkpoints/e1.ckpt")).write_atomic(vec![b'w'; 5000])?;
    broke.guard().fail("nan")?;
    // Failed, but the ancestor of a run that stays: kept.
    let parent = on("b").stage("pretrain").run_id("parent").create()?;
    parent.guard().fail("nan")?;
    let child = on("b").stage("finetune").run_id("child").create()?;
    child.link(&parent)?;
    child.guard().finish()?;
    // Failed, then resumed on another node after the plan: skipped.
    let resumed = on("c").stage("pretrain").run_id("resumed").create()?;
    resumed.guard().fail("nan")?;
    // The latest run of its stage: kept.
    let last = on("c").stage("pretrain").run_id("last").create()?;
    last.guard().fail("nan")?;
    drop((done, broke, parent, child, resumed, last));

    let plan = Prune::new(&home).status([RunStatus::Failed]).plan()?;
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    let remote = |run: &Run| run.remote().unwrap_or_default().to_owned();
    let mut planned: Vec<String> = plan.remove.iter().map(|c| remote(&c.run)).collect();
    planned.sort();
    assert_eq!(
        planned,
        [
            format!("{home}/pretrain/broke"),
            format!("{home}/pretrain/resumed")
        ]
    );
    let broke_plan = plan.remove.iter().find(|c| c.run.id().as_str() == "broke");
    assert!(
        broke_plan.is_some_and(|c| c.bytes >= 5000),
        "its checkpoint counted"
    );
    let kept: Vec<(String, KeepReason)> = plan
        .kept
        .iter()
        .map(|k| (k.run.id().to_string(), k.reason.clone()))
        .collect();
    assert!(
        kept.iter()
            .any(|(id, r)| id == "parent" && matches!(r, KeepReason::AncestorOf(_))),
        "{kept:?}"
    );
    assert!(
        kept.iter()
            .any(|(id, r)| id == "last" && matches!(r, KeepReason::Latest(_))),
        "{kept:?}"
    );
    // Resumed on another node since the plan: running again.
    let again = on("d").stage("pretrain").run_id("resumed").open()?;
    let guard = again.guard();
    let pruned = plan.execute()?;
    assert_eq!(pruned.removed.len(), 1, "{pruned:?}");
    assert!(
        matches!(pruned.skipped.as_slice(), [(_, KeepReason::Running)]),
        "{:?}",
        pruned.skipped
    );
    drop(guard);
    // Gone from the home, whole: no listing shows it, no node opens it,
    // and nothing of it is left below its key.
    let listed: Vec<String> = Runs::scan(&home)
        .list()?
        .runs
        .iter()
        .map(|f| f.run.id().to_string())
        .collect();
    assert!(!listed.contains(&"broke".to_owned()), "{listed:?}");
    for id in ["done", "parent", "resumed", "last"] {
        assert!(listed.contains(&id.to_owned()), "{id}: {listed:?}");
    }
    let err = on("e")
        .stage("pretrain")
        .run_id("broke")
        .open()
        .unwrap_err();
    assert!(matches!(err, Error::RunNotFound { .. }), "{err:?}");
    let stale = on("f").stage("pretrain").run_id("broke").create_or_open()?;
    assert!(
        stale.is_new(),
        "the id is free again: nothing of the old run stands"
    );
    assert!(
        stale.fetch("checkpoints/e1.ckpt").is_err(),
        "its checkpoint went with it"
    );
    Ok(())
}

#[test]
fn one_of_16_nodes_creates_a_run_id_in_the_home() -> TestResult {
    // In a process of its own: a child process that another test of this
    // binary starts holds a copy of every open file until it runs its
    // program, and so, for that instant, the claim on a losing creator's
    // working copy, which is then left (as in use) instead of removed.
    if !is_child("sixteen") {
        let test = "object_store::one_of_16_nodes_creates_a_run_id_in_the_home";
        let done = child_lines(spawn_child::<&str>(test, "sixteen", &[]), "SIXTEEN ");
        assert_eq!(done, ["done"]);
        return Ok(());
    }
    let home = memory_home("sixteen");
    let nodes = tempfile::tempdir()?;
    let barrier = Barrier::new(16);
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|node| {
                let (home, barrier) = (&home, &barrier);
                let cache = nodes.path().join(node.to_string());
                s.spawn(move || {
                    barrier.wait();
                    Run::builder(home)
                        .cache_dir(cache)
                        .stage("s")
                        .run_id("one")
                        .create()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    let made = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(made, 1, "exactly one creator");
    for lost in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(matches!(lost, Error::RunExists { .. }), "{lost:?}");
        assert!(
            lost.to_string().contains(&format!("{home}/s/one")),
            "{lost}"
        );
    }
    // The losers' working copies are gone again: one folder is left.
    let left = (0..16)
        .filter(|node| nodes.path().join(node.to_string()).join("s/one").exists())
        .count();
    assert_eq!(left, 1);
    println!("SIXTEEN done");
    Ok(())
}

#[test]
fn latest_never_moves_back_under_8_concurrent_creators() -> TestResult {
    let home = memory_home("latest-8");
    let nodes = tempfile::tempdir()?;
    let made: Vec<(String, std::time::SystemTime)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|node| {
                let home = &home;
                let cache = nodes.path().join(node.to_string());
                s.spawn(move || {
                    (0..6)
                        .map(|_| {
                            let run = Run::builder(home)
                                .cache_dir(&cache)
                                .stage("s")
                                .create()
                                .expect("created");
                            let created = run
                                .manifest()
                                .expect("read")
                                .and_then(|m| m.created_at())
                                .expect("a creation time");
                            (run.id().to_string(), created)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("no panic"))
            .collect()
    });
    assert_eq!(made.len(), 48);
    let newest = made.iter().max_by_key(|(_, at)| *at).expect("runs");
    let latest = Run::builder(&home)
        .cache_dir(nodes.path().join("reader"))
        .stage("s")
        .open_latest()?;
    assert_eq!(
        latest.id(),
        newest.0.as_str(),
        "latest names the newest run"
    );
    Ok(())
}

#[test]
fn ranks_on_two_nodes_meet_in_one_run() -> TestResult {
    let home = memory_home("two-nodes");
    let nodes = tempfile::tempdir()?;
    let rank = |node: &str| {
        Run::builder(&home)
            .cache_dir(nodes.path().join(node))
            .run_id("job-7")
            .create_or_open()
    };
    let first = rank("a")?;
    let second = rank("b")?;
    let same_node = rank("a")?;
    assert!(first.is_new() && !second.is_new() && !same_node.is_new());
    assert_eq!(first.remote(), second.remote());
    // The second node's working copy holds the home's manifest, the first's.
    assert_eq!(
        std::fs::read(first.path().join("run.json"))?,
        std::fs::read(second.path().join("run.json"))?
    );
    Ok(())
}

#[test]
fn roots_that_cannot_be_used_are_refused_naming_them() -> TestResult {
    let cache = tempfile::tempdir()?;
    let err = Run::builder("ftp://host/runs")
        .cache_dir(cache.path())
        .create()
        .unwrap_err();
    assert!(matches!(err, Error::UnsupportedRoot { .. }), "{err:?}");
    assert!(err.to_string().contains("ftp://host/runs"), "{err}");
    let prune = runlayout::prune::Prune::new("ftp://host/runs")
        .plan()
        .unwrap_err();
    assert!(matches!(prune, Error::UnsupportedRoot { .. }), "{prune:?}");
    let sweep = runlayout::sweep::Sweep::builder("ftp://host/runs")
        .stage("s")
        .grid("lr", [0.1])
        .create()
        .unwrap_err();
    assert!(matches!(sweep, Error::UnsupportedRoot { .. }), "{sweep:?}");
    assert!(sweep.to_string().contains("ftp://host/runs"), "{sweep}");
    assert!(!Path::new("memory:").exists(), "no folder made for a URL");
    Ok(())
}

#[test]
fn a_working_copy_is_never_shared_by_two_homes() -> TestResult {
    let cache = tempfile::tempdir()?;
    let one = memory_home("home-one");
    let two = memory_home("home-two");
    Run::builder(&one)
        .cache_dir(cache.path())
        .run_id("same")
        .create()?;
    // A run of the same name in another home, made from another node.
    let elsewhere = tempfile::tempdir()?;
    Run::builder(&two)
        .cache_dir(elsewhere.path())
        .run_id("same")
        .create()?;
    let err = Run::builder(&two)
        .cache_dir(cache.path())
        .run_id("same")
        .open()
        .unwrap_err();
    assert!(err.to_string().contains("home-one"), "{err}");
    Ok(())
}

/// A creator killed after it made its working copy and before it put the
/// manifest leaves a run folder in the cache that the home never had.
fn leftover(cache: &Path, id: &str) -> Result<Run, Error> {
    Run::builder(cache)
        .stage("s")
        .run_id(id)
        .latest_pointer(false)
        .create()
}

#[test]
fn a_working_copy_no_home_holds_is_claimed_before_it_is_used() -> TestResult {
    let home = memory_home("leftover-claimed");
    let nodes = tempfile::tempdir()?;
    let on = |node: &str| {
        Run::builder(&home)
            .cache_dir(nodes.path().join(node))
            .stage("s")
            .run_id("r")
    };
    leftover(&nodes.path().join("a"), "r")?;
    // The home is the truth: no run there, whatever the cache holds.
    let err = on("a").open().unwrap_err();
    assert!(matches!(err, Error::RunNotFound { .. }), "{err:?}");
    // create_or_open() claims the run in the home before it returns it.
    let a = on("a").create_or_open()?;
    let err = on("b").create().unwrap_err();
    assert!(matches!(err, Error::RunExists { .. }), "{err:?}");
    assert!(err.to_string().contains(&home), "the home's run: {err}");
    let b = on("b").create_or_open()?;
    assert!(!b.is_new());
    assert_eq!(
        std::fs::read(a.path().join("run.json"))?,
        std::fs::read(b.path().join("run.json"))?
    );
    let latest = Run::builder(&home)
        .cache_dir(nodes.path().join("c"))
        .stage("s")
        .open_latest()?;
    assert_eq!(latest.id().as_str(), "r");
    Ok(())
}

#[test]
fn a_working_copy_of_a_run_another_node_made_takes_the_homes_manifest() -> TestResult {
    let home = memory_home("leftover-replaced");
    let nodes = tempfile::tempdir()?;
    let on = |node: &str| {
        Run::builder(&home)
            .cache_dir(nodes.path().join(node))
            .stage("s")
    };
    leftover(&nodes.path().join("a"), "r")?;
    leftover(&nodes.path().join("a"), "q")?;
    // Another node makes both ids in the home meanwhile.
    let theirs = on("b").run_id("r").create()?;
    let also = on("b").run_id("q").create()?;
    let manifest = |run: &Run| std::fs::read(run.path().join("run.json"));
    let opened = on("a").run_id("r").open()?;
    assert_eq!(manifest(&opened)?, manifest(&theirs)?);
    let joined = on("a").run_id("q").create_or_open()?;
    assert!(!joined.is_new());
    assert_eq!(manifest(&joined)?, manifest(&also)?);
    Ok(())
}

#[test]
fn opening_a_run_the_home_lacks_leaves_nothing_behind() -> TestResult {
    let home = memory_home("open-missing");
    let cache = tempfile::tempdir()?;
    let builder = Run::builder(&home)
        .cache_dir(cache.path())
        .stage("s")
        .run_id("missing");
    let err = builder.clone().open().unwrap_err();
    assert!(matches!(err, Error::RunNotFound { .. }), "{err:?}");
    assert!(err.to_string().contains(&home), "{err}");
    assert!(!cache.path().join("s/missing").exists());
    assert!(builder.clone().create()?.is_new());
    Ok(())
}

#[test]
fn a_joiner_moves_latest_when_the_creator_did_not() -> TestResult {
    let home = memory_home("joiner-latest");
    let nodes = tempfile::tempdir()?;
    let on = |node: &str| {
        Run::builder(&home)
            .cache_dir(nodes.path().join(node))
            .stage("s")
    };
    on("a").run_id("old").create()?;
    // Claimed in the home, its creator gone before it moved latest.
    on("a").run_id("r").latest_pointer(false).create()?;
    let joined = on("b").run_id("r").create_or_open()?;
    assert!(!joined.is_new());
    assert_eq!(on("c").open_latest()?.id().as_str(), "r");
    Ok(())
}

#[test]
fn a_root_prefix_the_store_escapes_holds_its_runs() -> TestResult {
    use runlayout::Family;
    use runlayout::family::FamilyTemplate;
    use runlayout::scan::Runs;
    static EPOCHS: FamilyTemplate = FamilyTemplate::new("ckpt/{epoch:u32}.bin");
    let home = "memory://prefix-escapes/my runs/t~[1]";
    let nodes = tempfile::tempdir()?;
    let on = |node: &str| {
        Run::builder(home)
            .cache_dir(nodes.path().join(node))
            .stage("s")
    };
    let run = on("a").run_id("r").create()?;
    FilePath::new(run.path().join("ckpt/7.bin")).write_atomic("w")?;
    let listed = Runs::scan(home).list()?;
    let ids: Vec<String> = listed.runs.iter().map(|f| f.run.id().to_string()).collect();
    assert_eq!(ids, ["r"], "{:?}", listed.problems);
    let other = on("b").open_latest()?;
    assert_eq!(other.id().as_str(), "r");
    let family: Family<u32, FilePath> = Family::new(other.path(), &EPOCHS);
    assert_eq!(family.last()?.map(|(epoch, _)| epoch), Some(7));
    assert_eq!(std::fs::read(other.fetch("ckpt/7.bin")?)?, b"w");
    // A fragment or a query is no part of a prefix: refused, not cut off.
    for url in [
        "memory://prefix-escapes/runs#1",
        "memory://prefix-escapes/runs?x=1",
    ] {
        let err = Run::builder(url)
            .cache_dir(nodes.path())
            .create()
            .unwrap_err();
        assert!(
            matches!(err, Error::UnsupportedRoot { .. }),
            "{url}: {err:?}"
        );
    }
    Ok(())
}

#[test]
fn a_file_above_the_part_size_comes_back_whole_and_records_are_capped() -> TestResult {
    let home = memory_home("large");
    let nodes = tempfile::tempdir()?;
    let on = |node: &str| {
        Run::builder(&home)
            .cache_dir(nodes.path().join(node))
            .stage("s")
    };
    let run = on("a").run_id("r").create()?;
    let big: Vec<u8> = (0..20 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(run.path().join("weights.bin"), &big)?;
    // A status record no writer makes: larger than any record.
    std::fs::write(run.path().join("run.status.json"), vec![b' '; 2 << 20])?;
    run.sync()?;
    let err = on("b").run_id("r").open().unwrap_err();
    assert!(err.to_string().contains("run.status.json"), "{err}");
    assert!(err.to_string().contains("larger"), "{err}");
    std::fs::write(run.path().join("run.status.json"), "{}")?;
    run.sync()?;
    let opened = on("b").run_id("r").open()?;
    assert!(std::fs::read(opened.fetch("weights.bin")?)? == big);
    Ok(())
}

// ---------------------------------------------------------------------------
// Against moto, a real S3-compatible server.

/// The environment a process reaches `moto` with: its working copies in
/// `cache`, the home `TEST_HOME`, and `extra`, outside any launcher.
fn moto_env(moto: &Moto, cache: &str, home: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> =
        clean_env(&[("RUNLAYOUT_CACHE", cache), ("TEST_HOME", home)])
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
    env.extend(moto.vars());
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    env
}

/// Starts this test binary as a child `role` of `test` with `env`.
fn child(test: &str, role: &str, env: &[(String, String)]) -> Child {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    spawn_child(test, role, &env)
}

/// What a child told its parent on a line starting `prefix`, read as it
/// comes (the child is still running).
fn read_until(child: &mut Child, prefix: &str) -> Result<String, Box<dyn std::error::Error>> {
    let stdout = child.stdout.as_mut().ok_or("piped stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line?;
        if let Some(at) = line.find(prefix) {
            return Ok(line[at + prefix.len()..].to_owned());
        }
    }
    Err(format!("the child ended before printing `{prefix}`").into())
}

const TRAIN: &str = "object_store::a_training_run_survives_a_crash_in_s3_and_resumes_elsewhere";

#[test]
fn a_training_run_survives_a_crash_in_s3_and_resumes_elsewhere() -> TestResult {
    let root = || std::env::var("TEST_HOME").expect("TEST_HOME");
    if is_child("s3-train") {
        // Node A: two epochs stored as they are written (write_atomic), a
        // third written through a plain path, as a framework writes, and
        // never synced.
        let run = Run::builder(root()).stage("pretrain").create()?;
        let _guard = run.guard();
        for epoch in 1..=2 {
            FilePath::new(run.path().join(format!("checkpoints/epoch_{epoch}.ckpt")))
                .write_atomic(format!("weights {epoch}"))?;
        }
        std::fs::write(run.path().join("checkpoints/epoch_3.ckpt"), "weights 3")?;
        println!("RUN {}", run.remote().ok_or("a home")?);
        std::io::stdout().flush()?;
        std::thread::sleep(Duration::from_secs(120));
        return Ok(());
    }
    if is_child("s3-resume") {
        // Node B, an empty working copy: the stage's latest run, resumed.
        let run = Run::builder(root()).stage("pretrain").open_latest()?;
        run.fetch("checkpoints")?;
        let mut stored: Vec<String> = std::fs::read_dir(run.path().join("checkpoints"))?
            .map(|e| Ok::<_, std::io::Error>(e?.file_name().to_string_lossy().into_owned()))
            .collect::<Result<_, _>>()?;
        stored.sort();
        println!("STORED {}", stored.join(","));
        println!(
            "LAST {}",
            std::fs::read_to_string(run.path().join("checkpoints/epoch_2.ckpt"))?
        );
        FilePath::new(run.path().join("checkpoints/epoch_3.ckpt")).write_atomic("weights 3b")?;
        run.guard().finish()?;
        run.sync()?;
        println!("RESUMED {}", run.remote().ok_or("a home")?);
        return Ok(());
    }
    if is_child("s3-read") {
        // A laptop: how the run stands, from the home.
        let id = std::env::var("TEST_RUN").expect("TEST_RUN");
        let run = Run::builder(root()).stage("pretrain").run_id(id).open()?;
        println!("STATUS {}", run.status()?);
        match run.fetch("checkpoints/epoch_3.ckpt") {
            Ok(local) => println!("CKPT {}", std::fs::read_to_string(local)?),
            Err(e) if e.io_error().map(|e| e.kind()) == Some(std::io::ErrorKind::NotFound) => {
                println!("CKPT none");
            }
            Err(e) => return Err(e.into()),
        }
        return Ok(());
    }
    let Some(moto) = Moto::start("a_training_run_survives_a_crash")? else {
        return Ok(());
    };
    moto.bucket("train")?;
    let home = "s3://train/runs";
    let caches = tempfile::tempdir()?;
    let cache = |node: &str| caches.path().join(node).to_string_lossy().into_owned();
    let (a, b, c) = (cache("a"), cache("b"), cache("c"));
    let mut trainer = child(TRAIN, "s3-train", &moto_env(&moto, &a, home, &[]));
    let url = read_until(&mut trainer, "RUN ")?;
    trainer.kill()?;
    trainer.wait()?;
    let id = url.rsplit('/').next().ok_or("an id")?.to_owned();

    // A laptop looks: the trainer's process is gone (this host can tell),
    // its third checkpoint never reached the home.
    let read = |cache: &str| {
        let env = moto_env(&moto, cache, home, &[("TEST_RUN", &id)]);
        child_lines(child(TRAIN, "s3-read", &env), "")
    };
    let said_by = |lines: &[String], what: &str| lines.iter().any(|l| l.contains(what));
    let before = read(&c);
    assert!(
        said_by(&before, &format!("STATUS {}", RunStatus::Crashed)),
        "{before:?}"
    );
    assert!(said_by(&before, "CKPT none"), "{before:?}");

    let resumed = child_lines(
        child(TRAIN, "s3-resume", &moto_env(&moto, &b, home, &[])),
        "",
    );
    let said = |prefix: &str| {
        resumed
            .iter()
            .find_map(|l| l.find(prefix).map(|at| l[at + prefix.len()..].to_owned()))
    };
    assert_eq!(
        said("STORED ").as_deref(),
        Some("epoch_1.ckpt,epoch_2.ckpt"),
        "{resumed:?}"
    );
    assert_eq!(said("LAST ").as_deref(), Some("weights 2"));
    assert_eq!(said("RESUMED ").as_deref(), Some(url.as_str()));

    // The laptop again, its working copy as it left it: the status is the
    // home's, not the stale copy's.
    let after = read(&c);
    assert!(
        said_by(&after, &format!("STATUS {}", RunStatus::Finished)),
        "{after:?}"
    );
    assert!(said_by(&after, "CKPT weights 3b"), "{after:?}");
    Ok(())
}

const BAD: &str = "object_store::bad_buckets_and_stores_fail_at_creation_naming_the_root";

#[test]
fn bad_buckets_and_stores_fail_at_creation_naming_the_root() -> TestResult {
    if is_child("s3-bad") {
        let cache = tempfile::tempdir()?;
        let root = std::env::var("TEST_HOME").expect("TEST_HOME");
        let err = Run::builder(&root)
            .cache_dir(cache.path())
            .create()
            .unwrap_err();
        println!("ERROR {err}");
        println!("LEFT {}", folder_count(cache.path()));
        return Ok(());
    }
    let Some(moto) = Moto::start("bad_buckets_and_stores_fail_at_creation")? else {
        return Ok(());
    };
    moto.bucket("exists")?;
    let cache = tempfile::tempdir()?;
    let cache = cache.path().to_string_lossy().into_owned();
    let run = |home: &str, extra: &[(&str, &str)]| {
        child_lines(
            child(BAD, "s3-bad", &moto_env(&moto, &cache, home, extra)),
            "",
        )
    };
    let missing = run("s3://no-such-bucket/runs", &[]);
    let error = missing
        .iter()
        .find(|l| l.contains("ERROR "))
        .cloned()
        .unwrap_or_default();
    assert!(error.contains("s3://no-such-bucket/runs"), "{missing:?}");
    let unconditional = run("s3://exists/runs", &[("AWS_CONDITIONAL_PUT", "disabled")]);
    let error = unconditional
        .iter()
        .find(|l| l.contains("ERROR "))
        .cloned()
        .unwrap_or_default();
    assert!(
        error.contains("s3://exists/runs") && error.contains("conditional"),
        "{unconditional:?}"
    );
    // No credentials at all (the metadata service a store then asks is
    // one that refuses at once here): said so, naming the root.
    let no_keys: Vec<(String, String)> = moto_env(
        &moto,
        &cache,
        "s3://exists/runs",
        &[("AWS_METADATA_ENDPOINT", "http://127.0.0.1:9")],
    )
    .into_iter()
    .filter(|(k, _)| k != "AWS_ACCESS_KEY_ID" && k != "AWS_SECRET_ACCESS_KEY")
    .collect();
    let uncredentialed = child_lines(child(BAD, "s3-bad", &no_keys), "");
    let error = uncredentialed
        .iter()
        .find(|l| l.contains("ERROR "))
        .cloned()
        .unwrap_or_default();
    assert!(
        error.contains("s3://exists/runs") && error.contains("no credentials"),
        "{uncredentialed:?}"
    );
    for lines in [&missing, &unconditional, &uncredentialed] {
        assert!(
            lines.iter().any(|l| l.contains("LEFT 0")),
            "no working copy left: {lines:?}"
        );
    }
    Ok(())
}

const RACE: &str = "object_store::sixteen_processes_race_for_one_run_id_on_moto";

#[test]
fn sixteen_processes_race_for_one_run_id_on_moto() -> TestResult {
    if is_child("s3-race") {
        let root = std::env::var("TEST_HOME").expect("TEST_HOME");
        let made = Run::builder(&root).stage("s").run_id("one").create();
        println!("MADE {}", made.is_ok());
        return Ok(());
    }
    let Some(moto) = Moto::start("sixteen_processes_race_for_one_run_id_on_moto")? else {
        return Ok(());
    };
    moto.bucket("race")?;
    let caches = tempfile::tempdir()?;
    let children: Vec<_> = (0..16)
        .map(|node| {
            let cache = caches
                .path()
                .join(node.to_string())
                .to_string_lossy()
                .into_owned();
            child(
                RACE,
                "s3-race",
                &moto_env(&moto, &cache, "s3://race/runs", &[]),
            )
        })
        .collect();
    let made: Vec<String> = children
        .into_iter()
        .flat_map(|c| child_lines(c, "MADE "))
        .collect();
    assert_eq!(made.len(), 16);
    let creators = made.iter().filter(|m| *m == "true").count();
    // moto checks `If-None-Match` without a lock: more than one creator can
    // win there, never none. The figure is printed, not asserted.
    println!("moto: {creators} of 16 processes created the run");
    assert!(creators >= 1);
    Ok(())
}
