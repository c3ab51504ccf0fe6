//! Attacks on runs in a home in object storage: races of ranks and nodes,
//! working copies left by killed creators, hostile objects another writer
//! put in the home. A unit module, so that a test can act as that other
//! writer through `Store`.

use std::path::Path;
use std::sync::Barrier;

use crate::io::store::{RECORD_MAX, Store};
use crate::{Error, Run};

type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// A rank of the run `id` of stage `s` in `home`, on the node whose
/// working copies are in `cache`.
pub(super) fn rank(
    home: &str,
    cache: impl Into<std::path::PathBuf>,
    id: &str,
) -> crate::RunBuilder {
    Run::builder(home).cache_dir(cache).stage("s").run_id(id)
}

/// The requests the store of `run`'s home made.
pub(super) fn requests(run: &Run) -> u64 {
    run.home().map_or(0, |home| home.store.requests())
}

/// a creator whose `latest` move fails after its put
/// deletes the home's manifest, though create_or_open() says other ranks
/// may be using the run: a joiner on another node that arrived in the
/// window keeps a run the home no longer has. The `latest` move fails here
/// because another writer left an oversized `latest` (any transient S3
/// error on the read or replace does the same).
#[test]
fn a_run_a_joiner_returned_stays_in_the_home_when_latest_cannot_move() -> TestResult {
    let nodes = tempfile::tempdir()?;
    let mut joined_then_deleted = 0;
    let mut b_errors = Vec::new();
    for i in 0..60 {
        let home = format!("memory://attack-03-{i}/runs");
        let store = Store::open(&home)?;
        store.put("s/latest", vec![b' '; RECORD_MAX as usize + 1])?;
        let barrier = Barrier::new(2);
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| {
                barrier.wait();
                Run::builder(&home)
                    .cache_dir(nodes.path().join(format!("a{i}")))
                    .stage("s")
                    .run_id("r")
                    .create_or_open()
            });
            let b = s.spawn(|| {
                barrier.wait();
                Run::builder(&home)
                    .cache_dir(nodes.path().join(format!("b{i}")))
                    .stage("s")
                    .run_id("r")
                    .latest_pointer(false)
                    .create_or_open()
            });
            (a.join().expect("a"), b.join().expect("b"))
        });
        let in_home = store.get("s/r/run.json")?.is_some();
        match &b {
            Ok(_) if !in_home => joined_then_deleted += 1,
            Err(e) => b_errors.push(format!("{e}")),
            _ => {}
        }
        let _ = a;
    }
    println!("b errors: {}: {:?}", b_errors.len(), b_errors.first());
    assert_eq!(
        joined_then_deleted, 0,
        "B's create_or_open returned Ok, then the home lost the run (of 60 tries)"
    );
    Ok(())
}

/// the home is the truth for records. A node's working copy keeps its
/// own (older) restarts record when its run.json matches the home's; its
/// sync then overwrites the home's record, losing another node's lines.
#[test]
fn a_record_stored_by_another_node_replaces_one_this_node_left_unchanged() -> TestResult {
    let home = "memory://attack-04/runs";
    let nodes = tempfile::tempdir()?;
    let on = |node: &str| rank(home, nodes.path().join(node), "r");
    on("a").create()?;
    on("a").open()?.sync()?; // a: 1 line, stored
    let b = on("b").open()?; // b brings it and adds its own
    b.sync()?;
    assert_eq!(b.restarts()?.len(), 2);
    let a = on("a").open()?;
    let seen_by_a = a.restarts()?.len();
    a.sync()?;
    let store = Store::open(home)?;
    let record = store
        .get("s/r/run.restarts.jsonl")?
        .ok_or("a restarts record")?
        .bytes;
    let lines = record
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    assert_eq!(
        (seen_by_a, lines),
        (3, 3),
        "a's open read a stale record; a's sync left the home with {lines} lines (b's lost)"
    );
    Ok(())
}

/// a working copy whose run.json differs takes the home's manifest and
/// records, also when several ranks of its node open it at once.
#[test]
fn ranks_opening_a_replaced_working_copy_at_once_all_get_the_homes_run() -> TestResult {
    let home = "memory://attack-05/runs";
    let nodes = tempfile::tempdir()?;
    let (mut failures, mut stale) = (Vec::new(), 0);
    for i in 0..25 {
        let id = format!("r{i}");
        // Left by a creator on `a` killed before its put, with records.
        let left = Run::builder(nodes.path().join("a"))
            .stage("s")
            .run_id(&id)
            .latest_pointer(false)
            .create()?;
        std::fs::write(left.path().join("run.summary.json"), b"{}")?;
        std::fs::write(left.path().join("run.layout.json"), b"{}")?;
        drop(left);
        // Another node makes the run in the home, with none of those.
        rank(home, nodes.path().join("b"), &id).create()?;
        let barrier = Barrier::new(8);
        let results: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let (barrier, id) = (&barrier, &id);
                    let cache = nodes.path().join("a");
                    s.spawn(move || {
                        barrier.wait();
                        let run = rank(home, cache, id).open()?;
                        // The moment this rank's open returned.
                        let stale = run.path().join("run.summary.json").exists()
                            || run.path().join("run.layout.json").exists();
                        Ok::<_, Error>(stale)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("no panic"))
                .collect()
        });
        for r in results {
            match r {
                Ok(false) => {}
                Ok(true) => stale += 1,
                Err(e) => failures.push(format!("{id}: {e}")),
            }
        }
    }
    assert!(
        failures.is_empty() && stale == 0,
        "of 200 opens: {} failed (e.g. {:?}), {stale} returned with the old run's records",
        failures.len(),
        failures.first()
    );
    Ok(())
}

/// A working copy of a run the home no longer holds, whose id another
/// node made again, holds the old run's files: opening it is refused,
/// naming the folder, and nothing of the old run reaches the new one.
#[test]
fn a_working_copy_of_another_run_with_its_files_is_refused_and_kept() -> TestResult {
    let home = "memory://attack-06/runs";
    let nodes = tempfile::tempdir()?;
    let on = |node: &str| rank(home, nodes.path().join(node), "r");
    let a = on("a").create()?;
    crate::FilePath::new(a.path().join("ckpt/1.bin")).write_atomic(b"old run")?;
    let dir = a.path().to_path_buf();
    drop(a);
    let store = Store::open(home)?;
    // The run is removed from the home and made again by another node.
    for key in ["s/r/run.json", "s/r/ckpt/1.bin"] {
        store.delete(key)?;
    }
    on("b").create()?;
    let err = on("a").open().unwrap_err();
    assert!(err.to_string().contains(&*dir.to_string_lossy()), "{err}");
    assert!(err.to_string().contains("ckpt"), "{err}");
    assert_eq!(std::fs::read(dir.join("ckpt/1.bin"))?, b"old run");
    assert!(store.get("s/r/ckpt/1.bin")?.is_none());
    Ok(())
}

/// after a creator's put landed but it was killed before it marked its
/// working copy, later ranks on that node should make no requests once one
/// of them has verified the run.
#[test]
fn ranks_after_a_creator_killed_after_its_put_make_no_requests() -> TestResult {
    let home = "memory://attack-07/runs";
    let nodes = tempfile::tempdir()?;
    let left = Run::builder(nodes.path().join("a"))
        .stage("s")
        .run_id("r")
        .latest_pointer(false)
        .create()?;
    let manifest = std::fs::read(left.path().join("run.json"))?;
    drop(left);
    let store = Store::open(home)?;
    assert!(store.create("s/r/run.json", manifest)?, "its put landed");
    let meet = || rank(home, nodes.path().join("a"), "r").create_or_open();
    let first = meet()?;
    let counts: Vec<u64> = (0..3)
        .map(|_| meet().map(|r| requests(&r)))
        .collect::<Result<_, _>>()?;
    println!(
        "first: new={} requests={}",
        first.is_new(),
        requests(&first)
    );
    assert_eq!(counts, [0, 0, 0], "requests of the ranks after the first");
    Ok(())
}

/// Concurrency: 4 nodes x 4 ranks create_or_open one id: every rank gets
/// the run, exactly one is new, every working copy holds the home's
/// manifest.
#[test]
fn sixteen_ranks_on_four_nodes_share_one_run_one_of_them_new() -> TestResult {
    let nodes = tempfile::tempdir()?;
    let (mut errors, mut bad_new, mut bad_manifest) = (Vec::new(), Vec::new(), 0);
    for round in 0..20 {
        let home = format!("memory://attack-08-{round}/runs");
        let barrier = Barrier::new(16);
        let results: Vec<Result<Run, Error>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..16)
                .map(|n| {
                    let (barrier, home) = (&barrier, &home);
                    let cache = nodes.path().join(format!("{round}-{}", n % 4));
                    s.spawn(move || {
                        barrier.wait();
                        rank(home, cache, "job").create_or_open()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("no panic"))
                .collect()
        });
        let store = Store::open(&home)?;
        let in_home = store.get("s/job/run.json")?.ok_or("a run")?.bytes;
        let mut new = 0;
        for r in &results {
            match r {
                Err(e) => errors.push(format!("round {round}: {e}")),
                Ok(run) => {
                    new += usize::from(run.is_new());
                    if std::fs::read(run.path().join("run.json"))? != in_home {
                        bad_manifest += 1;
                    }
                }
            }
        }
        if new != 1 {
            bad_new.push((round, new));
        }
    }
    assert!(
        errors.is_empty() && bad_new.is_empty() && bad_manifest == 0,
        "{} ranks failed (e.g. {:?}); rounds whose is_new count is not 1: {bad_new:?}; \
         ranks whose run.json is not the home's: {bad_manifest}",
        errors.len(),
        errors.first()
    );
    Ok(())
}

/// a joiner of an old run whose creator died before moving `latest`
/// never moves `latest` back from a newer run.
#[test]
fn a_joiner_never_moves_latest_back() -> TestResult {
    let home = "memory://attack-15/runs";
    let nodes = tempfile::tempdir()?;
    let on = |node: &str| {
        Run::builder(home)
            .cache_dir(nodes.path().join(node))
            .stage("s")
    };
    on("a").run_id("old").latest_pointer(false).create()?;
    std::thread::sleep(std::time::Duration::from_millis(5));
    on("a").run_id("new").create()?;
    let joined = on("b").run_id("old").create_or_open()?;
    assert!(!joined.is_new());
    assert_eq!(on("c").open_latest()?.id().as_str(), "new");
    Ok(())
}

/// a run the home lacks: RunNotFound naming its URL, nothing made in
/// the cache (not even the cache folder), also through open_latest.
#[test]
fn nothing_is_made_for_a_missing_run() -> TestResult {
    let home = "memory://attack-16/runs";
    let tmp = tempfile::tempdir()?;
    let cache = tmp.path().join("cache");
    let err = rank(home, &cache, "gone").open().unwrap_err();
    assert!(
        matches!(err, Error::RunNotFound { .. })
            && err.to_string().contains("attack-16/runs/s/gone"),
        "{err}"
    );
    Store::open(home)?.put("s/latest", br#"{"run":"gone"}"#.to_vec())?;
    let err = Run::builder(home)
        .cache_dir(&cache)
        .stage("s")
        .open_latest()
        .unwrap_err();
    assert!(matches!(err, Error::RunNotFound { .. }), "{err}");
    assert!(!cache.exists(), "{:?}", walk(tmp.path()));
    Ok(())
}

/// one oversized object where a run's manifest (or
/// status) would be makes the whole listing of the home fail, rather than
/// a problem of that one entry (a malformed one is a problem only).
#[test]
fn an_oversized_manifest_is_one_problem_of_a_scan() -> TestResult {
    let home = "memory://attack-09/runs";
    let cache = tempfile::tempdir()?;
    rank(home, cache.path(), "good").create()?;
    let store = Store::open(home)?;
    store.put("s/junk/run.json", b"not json".to_vec())?;
    let listed = crate::Runs::scan(home).list()?;
    println!(
        "malformed: {} runs, {} problems",
        listed.runs.len(),
        listed.problems.len()
    );
    store.put("s/junk/run.json", vec![b' '; RECORD_MAX as usize + 1])?;
    let listed = crate::Runs::scan(home).list();
    assert!(
        listed.is_ok(),
        "the listing failed as a whole: {}",
        listed.err().map(|e| e.to_string()).unwrap_or_default()
    );
    Ok(())
}

/// Hostile `latest` objects: oversized, escaping, absolute. Errors name
/// the URL; nothing escapes the cache.
#[test]
fn hostile_latest_objects_are_refused_naming_them() -> TestResult {
    let home = "memory://attack-10/runs";
    let cache = tempfile::tempdir()?;
    let on = || {
        Run::builder(home)
            .cache_dir(cache.path().join("n"))
            .stage("s")
    };
    on().run_id("r").create()?;
    let store = Store::open(home)?;
    for body in [
        br#"{"run":"../../../etc"}"#.to_vec(),
        br#"{"run":"/tmp"}"#.to_vec(),
        br#"{"run":"r/../r"}"#.to_vec(),
        br#"{"run":""}"#.to_vec(),
        vec![b' '; RECORD_MAX as usize + 1],
    ] {
        store.put("s/latest", body)?;
        let err = on().open_latest().map(|r| r.path().to_path_buf());
        match err {
            Ok(p) => panic!("opened {}", p.display()),
            Err(e) => assert!(e.to_string().contains("attack-10/runs/s/latest"), "{e}"),
        }
    }
    // create() with an oversized latest: an error naming it; the run,
    // stored before, stands (another node may have joined it at once),
    // its working copy too, and create_or_open() joins it.
    let err = on().run_id("q").create().unwrap_err();
    assert!(err.to_string().contains("attack-10/runs/s/latest"), "{err}");
    assert!(store.get("s/q/run.json")?.is_some());
    store.delete("s/latest")?;
    let run = on().run_id("q").create_or_open()?;
    assert_eq!(run.path(), cache.path().join("n/s/q"));
    assert_eq!(on().open_latest()?.id().as_str(), "q");
    Ok(())
}

/// prefixes with characters the URL or the store escapes round-trip
/// through create, open_latest, scan, families and fetch.
#[test]
fn prefixes_of_every_spelling_hold_their_runs() -> TestResult {
    use crate::{Family, FamilyTemplate, FilePath};
    static EPOCHS: FamilyTemplate = FamilyTemplate::new("ckpt/{epoch:u32}.bin");
    let nodes = tempfile::tempdir()?;
    let mut failures = Vec::new();
    for (i, prefix) in [
        "100%25",
        "a+b",
        "%C3%BCn%C3%AF",
        "x%2520y",
        "sp ace/t~[1]",
        "a;b,c=d&e",
        "quote'dq\"",
        "%2E%2E%2E",
        "a%5Cb",
        "tab%09x",
    ]
    .into_iter()
    .enumerate()
    {
        let home = format!("memory://attack-11-{i}/{prefix}");
        let on = |node: &str| {
            Run::builder(&home)
                .cache_dir(nodes.path().join(format!("{i}-{node}")))
                .stage("s")
        };
        let attempt = || -> std::result::Result<(), Box<dyn std::error::Error>> {
            let run = on("a").run_id("r").create()?;
            FilePath::new(run.path().join("ckpt/7.bin")).write_atomic("w")?;
            let listed = crate::Runs::scan(&home).list()?;
            let ids: Vec<String> = listed.runs.iter().map(|f| f.run.id().to_string()).collect();
            if ids != ["r"] {
                return Err(format!("scan: {ids:?} {:?}", listed.problems).into());
            }
            let other = on("b").open_latest()?;
            let family: Family<u32, FilePath> = Family::new(other.path(), &EPOCHS);
            if family.last()?.map(|(e, _)| e) != Some(7) {
                return Err("family".into());
            }
            if std::fs::read(other.fetch("ckpt")?.join("7.bin"))? != b"w" {
                return Err("fetch".into());
            }
            Ok(())
        };
        if let Err(e) = attempt() {
            failures.push(format!("{prefix}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    Ok(())
}

/// one home spelt two ways (a space, or %20) on one node: its working
/// copies are refused as another home's.
#[test]
fn one_home_spelt_two_ways_is_one_home() -> TestResult {
    let cache = tempfile::tempdir()?;
    Run::builder("memory://attack-12/my runs")
        .cache_dir(cache.path())
        .run_id("r")
        .create()?;
    let other = Run::builder("memory://attack-12/my%20runs")
        .cache_dir(cache.path())
        .run_id("r")
        .open();
    assert!(
        other.is_ok(),
        "{}",
        other.err().map(|e| e.to_string()).unwrap_or_default()
    );
    Ok(())
}

/// FIFO in a working copy at run.json: open() should not hang.
#[test]
fn a_fifo_at_a_working_copys_manifest_never_blocks() -> TestResult {
    let home = "memory://attack-13/runs";
    let nodes = tempfile::tempdir()?;
    Run::builder(home)
        .cache_dir(nodes.path().join("b"))
        .run_id("r")
        .create()?;
    let dir = nodes.path().join("a/r");
    std::fs::create_dir_all(&dir)?;
    let ok = std::process::Command::new("mkfifo")
        .arg(dir.join("run.json"))
        .status()?;
    assert!(ok.success());
    let cache = nodes.path().join("a");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = Run::builder(home)
            .cache_dir(cache)
            .run_id("r")
            .open()
            .map(drop);
        let _ = tx.send(r.map_err(|e| e.to_string()));
    });
    match rx.recv_timeout(std::time::Duration::from_secs(5)) {
        Ok(r) => assert!(r.is_err(), "a FIFO is no manifest: {r:?}"),
        Err(_) => panic!("open() blocked for 5 s on a FIFO at the working copy's run.json"),
    }
    Ok(())
}

/// A working copy whose run.json is larger than any manifest: opening is
/// an error naming it, read no further; the file stays.
#[test]
fn an_oversized_manifest_in_a_working_copy_is_refused_naming_it() -> TestResult {
    let home = "memory://attack-oversized-local/runs";
    let nodes = tempfile::tempdir()?;
    rank(home, nodes.path().join("b"), "r").create()?;
    let dir = nodes.path().join("a/s/r");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("run.json"), vec![b' '; 2 * RECORD_MAX as usize])?;
    let err = rank(home, nodes.path().join("a"), "r").open().unwrap_err();
    assert!(matches!(err, Error::FileTooLarge { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains(&*dir.join("run.json").to_string_lossy()),
        "{err}"
    );
    assert_eq!(
        std::fs::metadata(dir.join("run.json"))?.len(),
        2 * RECORD_MAX
    );
    Ok(())
}

/// Hostile keys and a symlinked folder in a working copy: fetch writes
/// only below the working copy.
#[test]
fn fetch_into_a_symlinked_folder_and_hostile_keys() -> TestResult {
    let home = "memory://attack-14/runs";
    let nodes = tempfile::tempdir()?;
    let outside = tempfile::tempdir()?;
    let run = Run::builder(home)
        .cache_dir(nodes.path().join("a"))
        .run_id("r")
        .create()?;
    let store = Store::open(home)?;
    store.put("r/ckpt/1.bin", b"ok".to_vec())?;
    for hostile in [
        "r/ckpt/a%2F..%2F..%2F..%2Fx",
        "r/ckpt/..",
        "r/ckpt/%2E%2E/y",
    ] {
        store.put(hostile, b"hostile".to_vec())?;
    }
    let _ = run.fetch("ckpt");
    // A folder of the working copy that is a symlink to elsewhere.
    std::os::unix::fs::symlink(outside.path(), run.path().join("ckpt2"))?;
    store.put("r/ckpt2/z.bin", b"z".to_vec())?;
    let r = run.fetch("ckpt2");
    let escaped = outside.path().join("z.bin").exists();
    println!("fetch ckpt2: {r:?}, wrote outside: {escaped}");
    let names: Vec<_> = walk(nodes.path());
    assert!(
        names.iter().all(|p| p.starts_with(run.path())),
        "{names:#?}"
    );
    Ok(())
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
