//! More attacks on runs in a home in object storage: ranks of one node
//! mixing open, open_latest and create_or_open; a losing create() beside
//! a create_or_open of its node; records and root URLs of every spelling.

use std::sync::Barrier;
use std::time::Duration;

use super::attacks::{rank, requests};
use crate::io::store::{RECORD_MAX, Store};
use crate::{Error, Run};

type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// Guide: "Records (manifests, statuses, latest) are read into memory only
/// up to 1 MiB: a larger object at a record's key is an Error::Store
/// naming it, never read." open() brings records with `bring`, which has
/// no cap.
#[test]
fn oversized_record_is_never_brought_by_open() -> TestResult {
    let home = "memory://attack2-big/runs";
    let nodes = tempfile::tempdir()?;
    let on = |n: &str| rank(home, nodes.path().join(n), "r");
    on("a").create()?;
    let store = Store::open(home)?;
    store.put(
        "s/r/run.summary.json",
        vec![b' '; 2 * RECORD_MAX as usize + 1],
    )?;
    let opened = on("b").open();
    let local = nodes.path().join("b/s/r/run.summary.json");
    let size = std::fs::metadata(&local).map(|m| m.len()).unwrap_or(0);
    println!(
        "open: {:?}; local summary: {size} bytes",
        opened
            .as_ref()
            .map(|r| r.path().to_path_buf())
            .map_err(ToString::to_string)
    );
    assert!(
        size <= RECORD_MAX,
        "open() downloaded a {size}-byte object at a record's key (open returned {})",
        if opened.is_ok() { "Ok" } else { "Err" }
    );
    Ok(())
}

/// One root URL has one spelling: the spelling a Store gives (the root of
/// every run's remote()) is a spelling of the same root.
#[test]
fn the_canonical_root_url_names_the_same_root() -> TestResult {
    let mut bad = Vec::new();
    for url in [
        "memory://attack2-rt/runs/",
        "memory://attack2-rt/",
        "memory://attack2-rt",
        "memory://attack2-rt/a%2541",
        "memory://attack2-rt/p%25",
        "memory://attack2-rt/q%3Fx",
        "memory://attack2-rt/h%23x",
    ] {
        let first = Store::open(url)?;
        match Store::open(first.url()) {
            Ok(again) if again.url() == first.url() => {}
            Ok(again) => bad.push(format!("{url} -> {} -> {}", first.url(), again.url())),
            Err(e) => bad.push(format!("{url} -> {} -> refused: {e}", first.url())),
        }
    }
    // A run's remote() minus its id, given back as the root.
    let cache = tempfile::tempdir()?;
    let run = Run::builder("memory://attack2-rt2/q%3Fx")
        .cache_dir(cache.path().join("a"))
        .run_id("r")
        .create()?;
    let remote = run.remote().ok_or("remote")?.to_owned();
    let root = remote.strip_suffix("/r").ok_or("a run url")?.to_owned();
    if let Err(e) = Run::builder(&root)
        .cache_dir(cache.path().join("b"))
        .run_id("r")
        .open()
    {
        bad.push(format!(
            "remote {remote}: its root {root} does not open: {e}"
        ));
    }
    assert!(bad.is_empty(), "{bad:#?}");
    Ok(())
}

/// Spellings of s3/gs/az roots with userinfo, ports, trailing slashes and
/// a prefix of only `/` all open; trailing slashes name the same root;
/// no secret is kept in the root's URL (which errors and remote() show).
#[test]
fn url_spellings_open() -> TestResult {
    let mut bad = Vec::new();
    let mut seen = Vec::new();
    for url in [
        "s3://bucket/runs",
        "s3://bucket/runs/",
        "s3://bucket/runs//",
        "s3://bucket/",
        "s3://bucket",
        "s3a://bucket/runs",
        "s3://bucket:9000/runs",
        "s3://user@bucket/runs",
        "gs://bucket/runs/",
        "abfss://container@account.dfs.core.windows.net/runs/",
        "abfs://container@account.blob.core.windows.net/",
        "memory://attack2-spell/",
        "memory://attack2-spell//",
    ] {
        match Store::open(url) {
            Ok(s) => seen.push(format!("{url} -> {}", s.url())),
            Err(e) => bad.push(format!("{url}: {e}")),
        }
    }
    println!("{seen:#?}");
    let canon = |u: &str| Store::open(u).map(|s| s.url().to_owned()).ok();
    for (a, b) in [
        ("s3://bucket/runs", "s3://bucket/runs/"),
        ("s3://bucket/", "s3://bucket"),
        ("memory://attack2-spell/", "memory://attack2-spell"),
    ] {
        if canon(a) != canon(b) {
            bad.push(format!("{a} and {b}: {:?} != {:?}", canon(a), canon(b)));
        }
    }
    if let Some(url) = canon("s3://AKIAXXX:s3cr3t@bucket/runs")
        && url.contains("s3cr3t")
    {
        bad.push(format!("a password is kept in the root's url: {url}"));
    }
    assert!(bad.is_empty(), "{bad:#?}");
    Ok(())
}

/// A root of only `/`: create, open through another spelling, scan.
#[test]
fn a_root_of_only_a_slash_holds_its_runs() -> TestResult {
    let cache = tempfile::tempdir()?;
    let run = rank("memory://attack2-slash/", cache.path().join("a"), "r").create()?;
    assert_eq!(run.remote(), Some("memory://attack2-slash/s/r"));
    crate::FilePath::new(run.path().join("ckpt/1.bin")).write_atomic("x")?;
    for spelling in ["memory://attack2-slash", "memory://attack2-slash//"] {
        let other = rank(spelling, cache.path().join("a"), "r").open()?;
        assert_eq!(other.remote(), run.remote());
    }
    let b = Run::builder("memory://attack2-slash")
        .cache_dir(cache.path().join("b"))
        .stage("s")
        .open_latest()?;
    assert_eq!(std::fs::read(b.fetch("ckpt/1.bin")?)?, b"x");
    let listed = crate::Runs::scan("memory://attack2-slash/").list()?;
    let ids: Vec<String> = listed.runs.iter().map(|f| f.run.id().to_string()).collect();
    assert_eq!(ids, ["r"], "{:?}", listed.problems);
    Ok(())
}

/// create() of a fixed id whose run another node holds, racing
/// create_or_open() of that id on the same node: create() must fail with
/// RunExists, and create_or_open() must return a working copy holding the
/// home's manifest (create()'s discard must not remove it).
#[test]
fn a_losing_create_never_discards_a_joiners_working_copy() -> TestResult {
    let home = "memory://attack2-discard/runs";
    let nodes = tempfile::tempdir()?;
    let store = Store::open(home)?;
    let (mut missing, mut errors, mut create_ok) = (Vec::new(), Vec::new(), 0);
    for i in 0..40 {
        let id = format!("r{i}");
        rank(home, nodes.path().join("b"), &id).create()?;
        let barrier = Barrier::new(2);
        let cache = nodes.path().join("a");
        let (made, joined) = std::thread::scope(|s| {
            let c = s.spawn(|| {
                barrier.wait();
                rank(home, &cache, &id)
                    .join_timeout(Duration::from_millis(500))
                    .create()
            });
            let j = s.spawn(|| {
                barrier.wait();
                rank(home, &cache, &id)
                    .join_timeout(Duration::from_millis(500))
                    .create_or_open()
            });
            (c.join().expect("no panic"), j.join().expect("no panic"))
        });
        create_ok += usize::from(made.is_ok());
        let in_home = store.get(&format!("s/{id}/run.json"))?.ok_or("run")?.bytes;
        match joined {
            Ok(run) => {
                // Give a racing discard its time.
                std::thread::sleep(Duration::from_millis(2));
                if std::fs::read(run.path().join("run.json")).ok().as_deref() != Some(&in_home[..])
                {
                    missing.push(id.clone());
                }
            }
            Err(e) => errors.push(format!("{id}: {e}")),
        }
    }
    assert!(
        create_ok == 0 && missing.is_empty() && errors.is_empty(),
        "create() Ok {create_ok} times; create_or_open() returned a working copy without the \
         home's run.json: {missing:?}; create_or_open() failed: {errors:#?}"
    );
    Ok(())
}

/// A run made by node b; on node a, open() and create_or_open() at once:
/// both get the run, and create_or_open() is never new (b made it).
#[test]
fn a_joiner_racing_an_open_is_never_new() -> TestResult {
    let home = "memory://attack2-new/runs";
    let nodes = tempfile::tempdir()?;
    let (mut new, mut errors, mut bad) = (0, Vec::new(), 0);
    let store = Store::open(home)?;
    for i in 0..150 {
        let id = format!("r{i}");
        rank(home, nodes.path().join("b"), &id).create()?;
        let barrier = Barrier::new(3);
        let cache = nodes.path().join("a");
        let results: Vec<Result<Run, Error>> = std::thread::scope(|s| {
            let hs = [0, 1, 2].map(|k| {
                let (barrier, cache, id) = (&barrier, &cache, &id);
                s.spawn(move || {
                    barrier.wait();
                    let b = rank(home, cache, id);
                    match k {
                        0 => b.open(),
                        1 => b.open_latest(),
                        _ => b.create_or_open(),
                    }
                })
            });
            hs.into_iter()
                .map(|h| h.join().expect("no panic"))
                .collect()
        });
        let in_home = store.get(&format!("s/{id}/run.json"))?.ok_or("run")?.bytes;
        for r in results {
            match r {
                Ok(run) => {
                    new += usize::from(run.is_new());
                    if std::fs::read(run.path().join("run.json"))? != in_home {
                        bad += 1;
                    }
                }
                Err(e) => errors.push(format!("{id}: {e}")),
            }
        }
    }
    assert!(
        new == 0 && errors.is_empty() && bad == 0,
        "{new} ranks on node a were told they made node b's run; {bad} working copies differ \
         from the home; {} failed: {:?}",
        errors.len(),
        errors.first()
    );
    Ok(())
}

/// Many ranks of 3 nodes mixing open, open_latest and create_or_open on
/// a run, each writing a checkpoint as soon as it has the run: none fails.
#[test]
fn mixed_ranks_writing_at_once_all_succeed() -> TestResult {
    let home = "memory://attack2-mixed/runs";
    let nodes = tempfile::tempdir()?;
    let mut errors = Vec::new();
    for round in 0..12 {
        let id = format!("r{round}");
        Run::builder(home)
            .cache_dir(nodes.path().join(format!("{round}-origin")))
            .stage("s")
            .run_id(&id)
            .create()?;
        let barrier = Barrier::new(12);
        let results: Vec<Result<(), Error>> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..12)
                .map(|k| {
                    let (barrier, id) = (&barrier, &id);
                    let cache = nodes.path().join(format!("{round}-{}", k % 3));
                    s.spawn(move || {
                        barrier.wait();
                        let b = rank(home, cache, id);
                        let run = match k / 3 {
                            0 => b.open()?,
                            1 => b.open_latest()?,
                            _ => b.create_or_open()?,
                        };
                        crate::FilePath::new(run.path().join(format!("ckpt/{k}.bin")))
                            .write_atomic(b"w")?;
                        run.summary().set("k", k as u64)?;
                        Ok(())
                    })
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().expect("no panic"))
                .collect()
        });
        errors.extend(
            results
                .into_iter()
                .filter_map(Result::err)
                .map(|e| format!("{id}: {e}")),
        );
    }
    assert!(errors.is_empty(), "{} failed: {errors:#?}", errors.len());
    Ok(())
}

/// A process holding a guard on a run opens it again (same working copy)
/// and updates records while the guard beats fast: no deadlock.
#[test]
fn open_while_a_guard_beats_never_hangs() -> TestResult {
    let (tx, rx) = std::sync::mpsc::channel();
    let nodes = tempfile::tempdir()?;
    let cache = nodes.path().to_path_buf();
    std::thread::spawn(move || {
        let result = (|| -> std::result::Result<(), Error> {
            let b = Run::builder("memory://attack2-guard/runs")
                .cache_dir(&cache)
                .run_id("r")
                .heartbeat_interval(Duration::from_millis(1));
            let run = b.clone().create()?;
            let guard = run.guard();
            for i in 0..30u64 {
                let again = b.clone().open()?;
                again.summary().set("i", i)?;
                let _ = again.status()?;
                let joined = b.clone().create_or_open()?;
                crate::FilePath::new(joined.path().join("ckpt.bin")).write_atomic(b"x")?;
                joined.sync()?;
            }
            guard.finish()
        })();
        let _ = tx.send(result.map_err(|e| e.to_string()));
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(r) => assert!(r.is_ok(), "{r:?}"),
        Err(_) => panic!("hung for 60 s"),
    }
    Ok(())
}

/// The Requests table: a beat is 1 put, an end 4 (its put, the manifest's
/// tag, the stage index read and written); open() of a run
/// with a working copy; a second rank of a joined node makes none.
#[test]
fn request_counts_of_the_guide() -> TestResult {
    let home = "memory://attack2-requests/runs";
    let nodes = tempfile::tempdir()?;
    let on = |n: &str| rank(home, nodes.path().join(n), "r");
    let made = on("a").create()?;
    assert_eq!(requests(&made), 3, "create");
    let before = requests(&made);
    let guard = made.guard();
    let after_beat = requests(&made);
    guard.finish()?;
    let after_end = requests(&made);
    // Opened where the working copy is: the manifest, and each record it
    // lacks (status is there, written by the guard): summary, restarts,
    // layouts, ancestor.
    let opened = on("a").open()?;
    let open_count = requests(&opened);
    let joined = on("b").create_or_open()?;
    let second = on("b").create_or_open()?;
    let latest_empty = Run::builder(home)
        .cache_dir(nodes.path().join("c"))
        .stage("s")
        .open_latest()?;
    let counts = (
        after_beat - before,
        after_end - after_beat,
        open_count,
        requests(&joined),
        requests(&second),
        requests(&latest_empty),
    );
    assert_eq!(
        counts,
        (1, 4, 5, 8, 0, 7),
        "(beat, end, open, join, 2nd rank, open_latest)"
    );
    Ok(())
}

/// Two ranks of a fresh node join a run of another node at once: the
/// second rank's "join" line in the restarts record survives the first
/// rank's replacing the working copy's records.
#[test]
fn a_joiners_restart_line_survives_its_node_neighbour() -> TestResult {
    let home = "memory://attack2-restarts/runs";
    let nodes = tempfile::tempdir()?;
    let mut lost = 0;
    let rounds = 40;
    for i in 0..rounds {
        let id = format!("r{i}");
        rank(home, nodes.path().join("a"), &id).create()?;
        let barrier = Barrier::new(2);
        let runs: Vec<Run> = std::thread::scope(|s| {
            let hs = [0, 1].map(|_| {
                let (barrier, id) = (&barrier, &id);
                let cache = nodes.path().join("b");
                s.spawn(move || {
                    barrier.wait();
                    rank(home, cache, id).create_or_open()
                })
            });
            hs.into_iter()
                .map(|h| h.join().expect("no panic"))
                .collect::<Result<_, _>>()
        })?;
        let joins = runs[0].restarts()?.len();
        // The rank that did not make the working copy recorded a join.
        if joins == 0 {
            lost += 1;
        }
    }
    assert_eq!(
        lost, 0,
        "of {rounds} rounds, the restarts record of node b held no line"
    );
    Ok(())
}

/// Focused: on a fresh node, one open() and one create_or_open() of a run
/// another node made. The create_or_open() rank must never be told it
/// made the run, and must not fail.
#[test]
fn create_or_open_racing_open_on_a_fresh_node() -> TestResult {
    let home = "memory://attack2-fresh/runs";
    let nodes = tempfile::tempdir()?;
    let (mut new, mut failed) = (0, Vec::new());
    let rounds = 300;
    for i in 0..rounds {
        let id = format!("r{i}");
        rank(home, nodes.path().join("b"), &id).create()?;
        let barrier = Barrier::new(2);
        let cache = nodes.path().join(format!("a{i}"));
        let (opened, joined) = std::thread::scope(|s| {
            let o = s.spawn(|| {
                barrier.wait();
                rank(home, &cache, &id).open()
            });
            let j = s.spawn(|| {
                barrier.wait();
                rank(home, &cache, &id).create_or_open()
            });
            (o.join().expect("no panic"), j.join().expect("no panic"))
        });
        opened?;
        match joined {
            Ok(run) => new += usize::from(run.is_new()),
            Err(e) => failed.push(format!("{e:?}")),
        }
    }
    assert!(
        new == 0 && failed.is_empty(),
        "of {rounds}: create_or_open() said is_new {new} times (node b made the run); \
         failed {} times, e.g. {:?}",
        failed.len(),
        failed.first()
    );
    Ok(())
}

/// Another writer changes the record at `key` of `home` just before each
/// of the next `left` puts of it (its own puts are not counted: the next
/// hook is set once its put is in).
fn compete(home: &'static str, key: String, left: usize) {
    if left == 0 {
        return;
    }
    let url = format!("{home}/{key}");
    crate::io::store::hooks::set("put", &url, move || {
        let theirs = format!("{{\"tags\": [\"theirs{left}\"]}}");
        let store = Store::open(home).expect("the store");
        store.put(&key, theirs.into_bytes()).expect("their put");
        compete(home, key, left - 1);
    });
}

/// Guide: a record change is "read again and replaced again when another
/// node's change came first"; the working copy's `change_record` gives up
/// after 16 lost races in a row with an `Error::Store` naming the record.
#[test]
fn a_record_change_that_loses_every_race_fails_naming_the_record() -> TestResult {
    let home = "memory://attack2-lost-races/runs";
    let nodes = tempfile::tempdir()?;
    let run = rank(home, nodes.path().join("a"), "r").create()?;
    let key = "s/r/run.summary.json";
    compete(home, key.to_owned(), 16);
    let err = run.add_tag("mine").expect_err("16 races lost");
    assert!(
        matches!(&err, Error::Store { op: "update", url, message }
            if *url == format!("{home}/{key}") && message.contains("16 times")),
        "{err}"
    );
    // Theirs stands, and nothing of this change.
    let store = Store::open(home)?;
    let stored = store.get(key)?.ok_or("their record")?.bytes;
    assert_eq!(String::from_utf8(stored)?, "{\"tags\": [\"theirs1\"]}");

    // One race fewer: the 16th try is made on theirs, and both stand.
    compete(home, key.to_owned(), 15);
    run.add_tag("mine")?;
    let tags = run.tags()?;
    assert_eq!(tags, ["mine", "theirs1"]);
    Ok(())
}

/// A fetch that brings the home's run over a working copy of another run
/// of that id (a creator killed before its claim left it) removes that
/// run's records; a restart line a rank of the node appends meanwhile is
/// the home's run's, and stays: the fetch brings records under the run's
/// record lock, which the append takes.
#[test]
fn a_restart_line_appended_while_a_fetch_brings_records_stays() -> TestResult {
    use crate::record::restarts::{self, Found};
    let home = "memory://attack2-fetch-restart/runs";
    let nodes = tempfile::tempdir()?;
    rank(home, nodes.path().join("a"), "r").create()?;
    let b = nodes.path().join("b");
    let other = Run::builder(&b).stage("s").run_id("r").create()?;
    let appended = std::sync::Arc::new(std::sync::Mutex::new(None));
    let slot = std::sync::Arc::clone(&appended);
    // Just before the fetch reads the home's restarts: the rank appends,
    // and is given time to.
    crate::io::store::hooks::set(
        "get",
        &format!("{home}/s/r/run.restarts.jsonl"),
        move || {
            let append = std::thread::spawn(move || restarts::record(&other, Found::Join, None));
            std::thread::sleep(Duration::from_millis(300));
            *slot.lock().expect("slot") = Some(append);
        },
    );
    let opened = rank(home, &b, "r").open()?;
    let append = appended
        .lock()
        .map_err(|_| "slot")?
        .take()
        .ok_or("the hook ran")?;
    append.join().map_err(|_| "the append panicked")??;
    let by: Vec<String> = opened.restarts()?.into_iter().map(|r| r.by).collect();
    assert!(by.contains(&"join".to_owned()), "{by:?}");
    Ok(())
}
