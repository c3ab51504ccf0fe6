//! Attacks on the stage index (`record/stage_index.rs`) and its readers.

use crate::catalog::prune::Prune;
use crate::io::store::Store;
use crate::record::stage_index::{self, TaggedText};
use crate::{Run, RunStatus};

type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// The index object of stage folder `folder` that holds run `id`, parsed.
fn shard_of(
    store: &Store,
    folder: &str,
    id: &str,
) -> Result<(String, Vec<TaggedText>), Box<dyn std::error::Error>> {
    let key = format!("{folder}/{}", stage_index::shard_name(id));
    let bytes = store.get(&key)?.ok_or("an index object")?.bytes;
    Ok((key, stage_index::entries(&bytes)))
}

/// A run of stage `s` of `home` with the id `id`, its working copy in
/// `cache`.
fn in_stage_s(home: &str, cache: &std::path::Path, id: &str) -> crate::RunBuilder {
    Run::builder(home).cache_dir(cache).stage("s").run_id(id)
}

fn put_shard(store: &Store, key: &str, records: &[TaggedText]) -> TestResult {
    let body = serde_json::json!({ "format": 1, "records": records });
    store.put(key, serde_json::to_vec(&body)?)?;
    Ok(())
}

/// A prune never decides on the index: after removing its stage's latest
/// run it moves `latest` to the newest run left by the manifests the home
/// holds, not by a forged index entry with the manifest's tag.
#[test]
fn a_prunes_move_of_latest_never_decides_on_the_stage_index() -> TestResult {
    let home = "memory://attack-index-prune-latest/runs";
    let nodes = tempfile::tempdir()?;
    let on = |id: &str| in_stage_s(home, nodes.path(), id);
    on("old").create()?.guard().finish()?;
    std::thread::sleep(std::time::Duration::from_millis(20));
    on("mid").create()?.guard().finish()?;
    std::thread::sleep(std::time::Duration::from_millis(20));
    on("new").create()?.guard().fail("nan")?;
    // The index entry of `old`'s manifest, its tag kept, says it was made
    // last (the manifest itself is untouched).
    let store = Store::open(home)?;
    let (key, mut records) = shard_of(&store, "s", "old")?;
    for entry in &mut records {
        if entry.key == "s/old/run.json" {
            let mut manifest: serde_json::Value = serde_json::from_str(&entry.text)?;
            manifest["created"] = "2999-01-01T00:00:00+00:00".into();
            entry.text = serde_json::to_string(&manifest)?;
        }
    }
    put_shard(&store, &key, &records)?;

    let plan = Prune::new(home)
        .status([RunStatus::Failed])
        .include_latest(true)
        .plan()?;
    assert_eq!(plan.remove.len(), 1, "{:?}", plan.kept);
    let done = plan.execute()?;
    let url = |key: &str| std::path::PathBuf::from(format!("{home}/{key}"));
    assert_eq!(
        done.latest,
        vec![(url("s/latest"), Some(url("s/mid")))],
        "the newest run left, as the home's manifests say"
    );
    Ok(())
}

/// A stageless run `s` and a stage `s` share the folder `s/`, so a file
/// of the run `s` may stand where the stage's index object goes: an end
/// of a run of stage `s` never replaces what is not an index.
#[test]
fn an_end_never_overwrites_a_file_of_the_stageless_run_of_the_stages_name() -> TestResult {
    let home = "memory://attack-index-collide/runs";
    let nodes = tempfile::tempdir()?;
    let name = stage_index::shard_name("r");
    // The stageless run `s`, with a file of that name, stored.
    let outer = Run::builder(home)
        .cache_dir(nodes.path().join("a"))
        .run_id("s")
        .create()?;
    std::fs::write(outer.path().join(&name), b"precious results")?;
    outer.sync()?;
    let store = Store::open(home)?;
    let key = format!("s/{name}");
    assert_eq!(store.get(&key)?.ok_or("stored")?.bytes, b"precious results");
    // A run `r` of the stage `s` ends.
    Run::builder(home)
        .cache_dir(nodes.path().join("b"))
        .stage("s")
        .run_id("r")
        .create()?
        .guard()
        .finish()?;
    assert_eq!(
        String::from_utf8_lossy(&store.get(&key)?.ok_or("still there")?.bytes),
        "precious results",
        "the stageless run's file, as it stored it"
    );
    Ok(())
}

/// A prune removes a run from the home whole: no copy of its manifest (its
/// command line, its host) or status stays in the stage's index.
#[test]
fn a_removed_run_leaves_no_copy_of_its_records_in_the_home() -> TestResult {
    let home = "memory://attack-index-removed/runs";
    let nodes = tempfile::tempdir()?;
    let on = |id: &str| in_stage_s(home, nodes.path(), id);
    on("kept").create()?.guard().finish()?;
    on("secret").create()?.guard().fail("nan")?;
    let done = Prune::new(home)
        .status([RunStatus::Failed])
        .include_latest(true)
        .plan()?
        .execute()?;
    assert_eq!(done.removed.len(), 1);
    let store = Store::open(home)?;
    let mut left = Vec::new();
    for listed in store.list("")? {
        let Some(object) = store.get(&listed.key)? else {
            continue;
        };
        if String::from_utf8_lossy(&object.bytes).contains("s/secret/run.json") {
            left.push(listed.key);
        }
    }
    assert!(
        left.is_empty(),
        "the removed run's manifest is still in {left:?}"
    );
    Ok(())
}

/// The Requests table: an end is 4 requests, and 1 more each for a
/// summary and an `ancestor` link the run has.
#[test]
fn an_end_of_a_run_with_a_summary_and_a_link_makes_the_requests_the_guide_says() -> TestResult {
    let home = "memory://attack-index-requests/runs";
    let nodes = tempfile::tempdir()?;
    let on = |id: &str| in_stage_s(home, nodes.path(), id);
    let base = on("base").create()?;
    let run = on("r").create()?;
    run.summary().set("loss", 0.5)?;
    run.link(&base)?;
    let before = super::attacks::requests(&run);
    run.finish()?;
    assert_eq!(super::attacks::requests(&run) - before, 6);
    Ok(())
}

/// Concurrent ends, a run removed and made again with its id, a debug
/// run: the listing gives what the home holds.
#[test]
fn concurrent_ends_and_a_run_made_again_list_as_the_home_holds() -> TestResult {
    use crate::catalog::scan::Runs;
    let home = "memory://attack-index-sanity/runs";
    let nodes = tempfile::tempdir()?;
    std::thread::scope(|s| {
        for n in 0..24 {
            let dir = nodes.path().join(format!("n{n}"));
            s.spawn(move || {
                let run = Run::builder(home)
                    .cache_dir(dir)
                    .stage("s")
                    .run_id(format!("r{n}"))
                    .create()
                    .expect("create");
                run.guard().finish().expect("finish");
            });
        }
    });
    let debug = Run::builder(home)
        .cache_dir(nodes.path().join("d"))
        .stage("s")
        .debug(true)
        .run_id("r0")
        .create()?;
    debug.guard().fail("x")?;
    // r1 removed by a prune and made again: running now.
    Prune::new(home)
        .only([std::path::PathBuf::from(format!("{home}/s/r1"))])
        .older_than(std::time::Duration::ZERO)
        .plan()?
        .execute()?;
    let again = Run::builder(home)
        .cache_dir(nodes.path().join("again"))
        .stage("s")
        .run_id("r1")
        .create()?;
    let listing = Runs::scan(home)
        .debug(crate::catalog::scan::DebugRuns::Include)
        .list()?;
    assert!(listing.problems.is_empty(), "{:?}", listing.problems);
    assert_eq!(listing.runs.len(), 25);
    for found in &listing.runs {
        let expected = match (found.run.is_debug(), found.run.id().as_str()) {
            (true, _) => RunStatus::Failed,
            (false, "r1") => RunStatus::Running,
            _ => RunStatus::Finished,
        };
        assert_eq!(found.status()?, expected, "{}", found.run.id());
    }
    drop(again);
    Ok(())
}

/// `forget` takes out only the removed run's entries:
/// another run whose id begins with the removed one's (`r10`, `r1x`)
/// stays, even in the same index object; a stageless, a debug stageless
/// or a run-first key makes no index object.
#[test]
fn forget_keeps_a_run_whose_id_extends_the_removed_ones() -> TestResult {
    let store = Store::open("memory://attack-index-forget-prefix/runs")?;
    let entry = |key: &str| TaggedText {
        key: key.to_owned(),
        e_tag: "t".to_owned(),
        text: "{}".to_owned(),
    };
    stage_index::add(
        &store,
        "s",
        "r1",
        &[
            entry("s/r1/run.json"),
            entry("s/r10/run.json"),
            entry("s/r1x/run.json"),
            entry("s/r1/summary.json"),
        ],
    );
    stage_index::forget(&store, "s/r1");
    let (_, left) = shard_of(&store, "s", "r1")?;
    let keys: Vec<&str> = left.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["s/r10/run.json", "s/r1x/run.json"]);
    for key in ["r1", "debug/r1", "r1/s", ""] {
        stage_index::forget(&store, key);
    }
    let listed: Vec<String> = store.list("")?.into_iter().map(|o| o.key).collect();
    assert_eq!(listed.len(), 1, "{listed:?}");
    Ok(())
}

/// A run of no stage named as a stage shares its folder with that stage:
/// a prune of failed runs leaves the stage's run, `latest` and index
/// objects, which are the stage's, not the failed run's.
#[test]
fn removing_a_stageless_run_named_as_a_stage_leaves_the_stages_objects() -> TestResult {
    let home = "memory://attack-index-stageless-prune/runs";
    let nodes = tempfile::tempdir()?;
    let outer = Run::builder(home)
        .cache_dir(nodes.path().join("a"))
        .run_id("s")
        .create()?;
    outer.guard().fail("x")?;
    let inner = Run::builder(home)
        .cache_dir(nodes.path().join("b"))
        .stage("s")
        .run_id("r")
        .create()?;
    inner.guard().finish()?;
    let store = Store::open(home)?;
    let index = format!("s/{}", stage_index::shard_name("r"));
    for key in ["s/latest", index.as_str()] {
        assert!(store.get(key)?.is_some(), "{key}");
    }
    // (The run is kept today: laying it out meets the stage's `latest`.)
    Prune::new(home)
        .status([RunStatus::Failed])
        .include_latest(true)
        .plan()?
        .execute()?;
    for key in ["s/latest", index.as_str(), "s/r/run.json"] {
        assert!(store.get(key)?.is_some(), "{key} removed by the prune");
    }
    Ok(())
}
