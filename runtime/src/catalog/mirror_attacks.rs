//! Attacks on a home laid out in a local folder (`mirror.rs`) and on the
//! prune of a home (`prune/home.rs`), as tests: hostile objects that would
//! have the mirror write outside its folder, keys that no path can hold,
//! runs below runs, removals racing creations, escaped keys.

use std::path::{Path, PathBuf};

use crate::Run;
use crate::catalog::mirror::{Filled, Mirror};
use crate::catalog::prune::{KeepReason, Prune};
use crate::catalog::scan::{DebugRuns, Runs};
use crate::error::Error;
use crate::io::store::Store;
use crate::record::status::{RunStatus, STATUS};

pub(super) type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

pub(super) fn on(home: &str, cache: &Path) -> crate::RunBuilder {
    Run::builder(home).cache_dir(cache)
}

/// Every key of the home, sorted.
fn keys(home: &str) -> Vec<String> {
    let store = Store::open(home).expect("store");
    let mut keys: Vec<String> = store
        .list("")
        .expect("list")
        .into_iter()
        .map(|l| l.key)
        .collect();
    keys.sort();
    keys
}

/// The keys of the home that start with `prefix`, sorted.
fn keys_below(home: &str, prefix: &str) -> Vec<String> {
    keys(home)
        .into_iter()
        .filter(|k| k.starts_with(prefix))
        .collect()
}

/// A prune of the home's failed runs, planned and done.
pub(super) fn prune_failed(home: &str) -> crate::Result<crate::catalog::prune::Pruned> {
    Prune::new(home)
        .status([RunStatus::Failed])
        .plan()?
        .execute()
}

/// Runs `id`s made at stage `s` on one node, each failed.
pub(super) fn failed_runs(home: &str, node: &Path, ids: &[&str]) -> TestResult {
    for id in ids {
        on(home, node)
            .stage("s")
            .run_id(*id)
            .create()?
            .guard()
            .fail("x")?;
    }
    Ok(())
}

/// A folder with one precious file, and what it holds afterwards.
struct Victim(PathBuf);

impl Victim {
    fn new(at: &Path) -> Victim {
        std::fs::create_dir(at).expect("victim");
        std::fs::write(at.join("precious.txt"), b"precious").expect("file");
        Victim(at.to_path_buf())
    }

    /// A pointer that leads from anywhere in a mirror to this folder.
    fn pointer(&self, then: &str) -> Vec<u8> {
        let up = "../".repeat(40);
        let there = self.0.display().to_string();
        format!(
            "runlayout-link\n{up}{}{then}\n",
            there.trim_start_matches('/')
        )
        .into_bytes()
    }

    fn untouched(&self) -> bool {
        let names: Vec<_> = std::fs::read_dir(&self.0)
            .expect("read")
            .map(|e| e.expect("entry").file_name())
            .collect();
        names.len() == 1
            && std::fs::read(self.0.join("precious.txt")).is_ok_and(|b| b == b"precious")
    }
}

fn fill(mirror: &Mirror, id: &str) -> crate::Result<Filled> {
    let listing = Runs::scan(mirror.dir()).debug(DebugRuns::Include).list()?;
    let found = listing.runs.iter().find(|f| f.run.id().as_str() == id);
    mirror.fill(&found.expect("the run is laid out").run)
}

#[test]
fn nothing_is_ever_written_through_a_link_a_hostile_object_made() -> TestResult {
    let home = "memory://mirror-attack-links/runs";
    let t = tempfile::tempdir()?;
    let victim = Victim::new(&t.path().join("victim"));
    failed_runs(home, &t.path().join("node"), &["r", "last"])?;
    let store = Store::open(home)?;
    // The ancestor leads out; objects below it would be written through it.
    store.put("s/r/ancestor", victim.pointer(""))?;
    store.put("s/r/ancestor/precious.txt", Vec::new())?;
    store.put("s/r/ancestor/new-file", vec![0; 10])?;
    // A back-link into that link, and an ancestor below it to lay out.
    store.put(
        "s/r/descendants/d",
        b"runlayout-link\n../ancestor/x\n".to_vec(),
    )?;
    store.put(
        "s/r/ancestor/x/ancestor",
        b"runlayout-link\nowned\n".to_vec(),
    )?;
    // A back-link leading out, with `..` after a name.
    store.put(
        "s/r/descendants/e",
        b"runlayout-link\n../../last/../../../x\n".to_vec(),
    )?;
    let mirror = Mirror::of(Path::new(home), &t.path().join("m"))?.ok_or("a home")?;
    mirror.runs(&[STATUS, crate::lifecycle::ancestry::ANCESTOR])?;
    let filled = fill(&mirror, "r")?;
    assert!(victim.untouched(), "written outside the mirror");
    assert!(!filled.problems.is_empty(), "the hostile link is said");
    let ancestor = mirror.dir().join("s/r/ancestor");
    assert!(
        !std::fs::symlink_metadata(&ancestor).is_ok_and(|m| m.file_type().is_symlink()),
        "no link out is made"
    );
    // The library's prune, which lays runs out the same way, neither.
    let plan = Prune::new(home).status([RunStatus::Failed]).plan()?;
    assert!(victim.untouched());
    let kept: Vec<_> = plan
        .kept
        .iter()
        .map(|k| (k.run.id().to_string(), &k.reason))
        .collect();
    assert!(
        kept.iter()
            .any(|(id, r)| id == "r" && matches!(r, KeepReason::Unreadable(_))),
        "a run not all of which could be laid out stays: {kept:?}"
    );
    plan.execute()?;
    assert!(victim.untouched());
    assert!(keys(home).contains(&"s/r/run.json".to_owned()));
    Ok(())
}

#[test]
fn odd_objects_leave_their_run_out_and_nothing_else() -> TestResult {
    let home = "memory://mirror-attack-odd/runs";
    let t = tempfile::tempdir()?;
    failed_runs(home, &t.path().join("node"), &["a", "b", "c", "last"])?;
    let store = Store::open(home)?;
    // A key that is a file and a folder at once.
    store.put("s/a/x", vec![1; 3])?;
    store.put("s/a/x/y", vec![1; 3])?;
    // A back-link that is no pointer (as on disk: a real file there).
    store.put("s/b/descendants/z", b"not a pointer".to_vec())?;
    // A name longer than any file system takes.
    store.put(&format!("s/c/{}", "l".repeat(300)), vec![1])?;
    let plan = Prune::new(home).status([RunStatus::Failed]).plan()?;
    let mut removed: Vec<String> = plan.remove.iter().map(|c| c.run.id().to_string()).collect();
    removed.sort();
    let mut kept: Vec<String> = plan.kept.iter().map(|k| k.run.id().to_string()).collect();
    kept.sort();
    assert_eq!(kept, ["a", "c", "last"], "{:?}", plan.kept);
    // A back-link that is no pointer is no back-link: the run may go.
    assert_eq!(removed, ["b"]);
    Ok(())
}

#[test]
fn a_run_below_a_run_is_never_removed_with_it() -> TestResult {
    use crate::Nesting;
    let home = "memory://mirror-attack-nested/runs";
    let t = tempfile::tempdir()?;
    // A run-first run `s`/`keepme` on one node, a stageless run `s` on
    // another: the home holds one below the other.
    let inner = on(home, &t.path().join("n1"))
        .nesting(Nesting::RunFirst)
        .stage("keepme")
        .run_id("s")
        .create()?;
    inner.guard().finish()?;
    let outer = on(home, &t.path().join("n2")).run_id("s").create()?;
    outer.guard().fail("x")?;
    on(home, &t.path().join("n3"))
        .run_id("zz")
        .create()?
        .guard()
        .fail("x")?;
    drop((inner, outer));
    let plan = Prune::new(home).status([RunStatus::Failed]).plan()?;
    plan.execute()?;
    let after = keys(home);
    assert!(after.contains(&"s/keepme/run.json".to_owned()), "{after:?}");
    assert!(
        after.contains(&"s/keepme/run.status.json".to_owned()),
        "{after:?}"
    );
    Ok(())
}

#[test]
fn an_ancestor_that_is_no_pointer_never_half_removes_a_run() -> TestResult {
    let home = "memory://mirror-attack-ancestor/runs";
    let t = tempfile::tempdir()?;
    failed_runs(home, &t.path().join("node"), &["a", "last"])?;
    let store = Store::open(home)?;
    store.put("s/a/ancestor", b"not a pointer".to_vec())?;
    store.put("s/a/checkpoints/big.ckpt", vec![7; 5000])?;
    let done = prune_failed(home)?;
    let left = keys_below(home, "s/a/");
    // Removed whole, or left whole: never objects without their manifest.
    assert!(
        left.is_empty() || left.contains(&"s/a/run.json".to_owned()),
        "{left:?} ({done:?})"
    );
    Ok(())
}

#[test]
fn objects_whose_keys_need_escapes_go_with_their_run() -> TestResult {
    let home = "memory://mirror-attack-escapes/runs";
    let t = tempfile::tempdir()?;
    failed_runs(home, &t.path().join("node"), &["a", "last"])?;
    let store = Store::open(home)?;
    for name in ["100%done", "a b.bin", "t[1]#2.ckpt"] {
        store.put(&format!("s/a/{name}"), vec![1])?;
    }
    let done = prune_failed(home)?;
    assert_eq!(done.removed.len(), 1);
    let left = keys_below(home, "s/a/");
    assert!(left.is_empty(), "{left:?}");
    Ok(())
}

#[test]
fn back_links_of_removed_runs_go_with_them() -> TestResult {
    let home = "memory://mirror-attack-backlinks/runs";
    let t = tempfile::tempdir()?;
    let node = t.path().join("node");
    let parent = on(home, &node).stage("p").run_id("parent").create()?;
    parent.guard().finish()?;
    for id in ["c1", "c2"] {
        let child = on(home, &node).stage("c").run_id(id).create()?;
        child.link(&parent)?;
        child.guard().fail("x")?;
    }
    on(home, &node)
        .stage("c")
        .run_id("c3")
        .create()?
        .guard()
        .fail("x")?;
    drop(parent);
    let done = prune_failed(home)?;
    assert_eq!(done.removed.len(), 2, "{done:?}");
    let left = keys_below(home, "p/parent/descendants/");
    assert!(left.is_empty(), "{left:?}");
    Ok(())
}

#[test]
fn a_run_made_again_while_its_id_is_removed_is_whole_or_refused() -> TestResult {
    let home = "memory://mirror-attack-again/runs";
    let t = tempfile::tempdir()?;
    failed_runs(home, &t.path().join("node"), &["r", "last"])?;
    let store = Store::open(home)?;
    for i in 0..3000 {
        store.put(&format!("s/r/junk/{i:05}"), vec![1])?;
    }
    let plan = Prune::new(home).status([RunStatus::Failed]).plan()?;
    assert_eq!(plan.remove.len(), 1);
    let (done, again) = std::thread::scope(|s| {
        let pruning = s.spawn(|| plan.execute());
        // Once the removal has begun, another node makes the id again.
        while store
            .get("s/r/run.json")
            .ok()
            .flatten()
            .is_some_and(|o| !crate::lifecycle::home::is_tombstone(&o.bytes))
        {
            std::thread::yield_now();
        }
        let again = on(home, &t.path().join("node2"))
            .stage("s")
            .run_id("r")
            .create_or_open()
            .map(|run| run.guard().finish().map(|()| run.is_new()));
        (pruning.join().expect("no panic"), again)
    });
    done?;
    let after = keys(home);
    let has = |k: &str| after.contains(&k.to_owned());
    match again {
        // Made again after the removal: whole.
        Ok(Ok(_)) => assert!(
            has("s/r/run.json") && has("s/r/run.status.json"),
            "{after:?}"
        ),
        // Refused while the removal went on: nothing of it stands.
        Ok(Err(e)) | Err(e) => {
            assert!(
                matches!(e, Error::RunBeingRemoved { .. } | Error::RunExists { .. }),
                "{e:?}"
            );
            assert!(
                !has("s/r/run.json") && !has("s/r/run.status.json"),
                "{after:?}"
            );
        }
    }
    Ok(())
}

#[test]
fn a_run_linked_to_a_planned_run_after_the_plan_keeps_it() -> TestResult {
    use crate::Nesting;
    let home = "memory://mirror-attack-late-child/runs";
    let t = tempfile::tempdir()?;
    let n = |x: &str| t.path().join(x);
    // `r`, a run without a stage, and `z/p` fail; `r/sub` (run first,
    // below `r`) stays.
    on(home, &n("a")).run_id("r").create()?.guard().fail("x")?;
    on(home, &n("a")).run_id("r2").create()?.guard().finish()?;
    on(home, &n("b"))
        .stage("z")
        .run_id("p")
        .create()?
        .guard()
        .fail("x")?;
    on(home, &n("b"))
        .stage("z")
        .run_id("p2")
        .create()?
        .guard()
        .finish()?;
    let sub = on(home, &n("d"))
        .nesting(Nesting::RunFirst)
        .stage("sub")
        .run_id("r")
        .create()?;
    sub.guard().finish()?;
    let plan = Prune::new(home).status([RunStatus::Failed]).plan()?;
    assert_eq!(plan.remove.len(), 2, "{:?}", plan.remove);
    // After the plan, two runs grow out of `z/p`: one made since, and
    // `r/sub`, whose laid-out folder the removal of `r` must not blind.
    let p = on(home, &n("e")).stage("z").run_id("p").open()?;
    let child = on(home, &n("f")).stage("c").run_id("child").create()?;
    child.link(&p)?;
    child.guard().finish()?;
    sub.link(&p)?;
    drop(p);
    let done = plan.execute()?;
    let after = keys(home);
    assert!(
        after.contains(&"z/p/run.json".to_owned()),
        "{done:?}: {after:?}"
    );
    assert!(
        done.skipped
            .iter()
            .any(|(_, reason)| matches!(reason, KeepReason::AncestorOf(_))),
        "{done:?}"
    );
    Ok(())
}

#[test]
fn a_run_made_anew_after_the_plan_is_not_the_run_planned_on() -> TestResult {
    let home = "memory://mirror-attack-anew/runs";
    let t = tempfile::tempdir()?;
    failed_runs(home, &t.path().join("n1"), &["r", "last"])?;
    let plan = Prune::new(home).status([RunStatus::Failed]).plan()?;
    assert_eq!(plan.remove.len(), 1);
    // Removed by hand and made again, finished, with data.
    let store = Store::open(home)?;
    for key in keys_below(home, "s/r/") {
        store.delete(&key)?;
    }
    let new = on(home, &t.path().join("n2"))
        .stage("s")
        .run_id("r")
        .create()?;
    std::fs::write(new.path().join("precious.bin"), b"new data")?;
    new.sync()?;
    new.guard().finish()?;
    let done = plan.execute()?;
    assert!(done.removed.is_empty(), "{done:?}");
    assert!(keys(home).contains(&"s/r/precious.bin".to_owned()));
    Ok(())
}

#[test]
fn a_removal_a_killed_prune_left_is_finished_by_the_next() -> TestResult {
    let home = "memory://mirror-attack-left/runs";
    let t = tempfile::tempdir()?;
    failed_runs(home, &t.path().join("n1"), &["r", "fresh", "last"])?;
    let store = Store::open(home)?;
    store.put("s/r/ckpt/big.bin", vec![1; 1000])?;
    // What a prune killed after its tombstone leaves: one of a day ago,
    // and one of a prune still at work (this process, now).
    let old =
        br#"{"runlayout_removing":{"host":"elsewhere","pid":1,"since":"2020-01-01T00:00:00Z"}}"#;
    let manifest = store.get("s/r/run.json")?.ok_or("a manifest")?;
    assert!(store.replace("s/r/run.json", old.to_vec(), manifest.version)?);
    let fresh = store.get("s/fresh/run.json")?.ok_or("a manifest")?;
    let address = on(home, &t.path().join("n1"))
        .stage("s")
        .run_id("fresh")
        .open()?;
    let home_of =
        crate::lifecycle::home::Home::of(Path::new(home), Some(t.path()))?.ok_or("a home")?;
    assert!(home_of.begin_removal(address.address(), &fresh.bytes)?);
    drop(address);
    let plan = Prune::new(home).plan()?;
    assert_eq!(plan.trash.len(), 1, "{:?}", plan.trash);
    let done = plan.execute()?;
    assert_eq!(done.trash, 1);
    let left = keys(home);
    assert!(!left.iter().any(|k| k.starts_with("s/r/")), "{left:?}");
    assert!(
        left.contains(&"s/fresh/run.json".to_owned()),
        "a prune at work is left be"
    );
    // The id is free again.
    assert!(
        on(home, &t.path().join("n3"))
            .stage("s")
            .run_id("r")
            .create_or_open()?
            .is_new()
    );
    Ok(())
}

#[test]
fn a_run_json_deep_in_a_run_is_one_of_its_files() -> TestResult {
    let home = "memory://mirror-attack-deep/runs";
    let t = tempfile::tempdir()?;
    failed_runs(home, &t.path().join("n"), &["a", "last"])?;
    let store = Store::open(home)?;
    store.put("s/a/data/shard/run.json", b"{\"anything\":1}".to_vec())?;
    store.put("s/a/data/shard/part0", vec![1; 10])?;
    let done = prune_failed(home)?;
    assert_eq!(done.removed.len(), 1, "{done:?}");
    let left = keys_below(home, "s/a/");
    assert!(left.is_empty(), "{left:?}");
    Ok(())
}

#[test]
fn a_run_is_never_linked_to_a_run_being_removed() -> TestResult {
    let home = "memory://mirror-attack-link-removing/runs";
    let t = tempfile::tempdir()?;
    failed_runs(home, &t.path().join("n1"), &["p"])?;
    let node = t.path().join("n2");
    let p = on(home, &node).stage("s").run_id("p").open()?;
    let child = on(home, &node).stage("c").run_id("child").create()?;
    let before = on(home, &node).stage("b").run_id("before").create()?;
    child.link(&before)?;
    // A prune on another node has begun removing `p`.
    let store = Store::open(home)?;
    let manifest = store.get("s/p/run.json")?.ok_or("a manifest")?;
    let home_of =
        crate::lifecycle::home::Home::of(Path::new(home), Some(t.path()))?.ok_or("a home")?;
    assert!(home_of.begin_removal(p.address(), &manifest.bytes)?);
    let err = child.link(&p).expect_err("p is being removed");
    assert!(matches!(err, Error::RunBeingRemoved { .. }), "{err}");
    // Nothing of the link is left, in the home or in the working copy:
    // the run keeps the ancestor it had.
    assert_eq!(keys_below(home, "s/p/descendants"), Vec::<String>::new());
    let link = store.get("c/child/ancestor")?.ok_or("the link it had")?;
    assert!(String::from_utf8(link.bytes)?.contains("b/before"));
    assert_eq!(child.ancestor()?, Some(before.path().canonicalize()?));
    assert_eq!(before.descendants()?.len(), 1);
    Ok(())
}

#[test]
fn a_link_refused_again_keeps_the_link_made_before_it() -> TestResult {
    let home = "memory://mirror-attack-relink/runs";
    let t = tempfile::tempdir()?;
    failed_runs(home, &t.path().join("n1"), &["p"])?;
    let node = t.path().join("n2");
    let p = on(home, &node).stage("s").run_id("p").open()?;
    let child = on(home, &node).stage("c").run_id("child").create()?;
    child.link(&p)?;
    let store = Store::open(home)?;
    let back_links = keys_below(home, "s/p/descendants/");
    assert_eq!(back_links.len(), 1);
    // A prune begins removing `p` (it will find the link and keep `p`);
    // meanwhile the same link is made again, and refused.
    let manifest = store.get("s/p/run.json")?.ok_or("a manifest")?;
    let home_of =
        crate::lifecycle::home::Home::of(Path::new(home), Some(t.path()))?.ok_or("a home")?;
    assert!(home_of.begin_removal(p.address(), &manifest.bytes)?);
    let err = child.link(&p).expect_err("p is being removed");
    assert!(matches!(err, Error::RunBeingRemoved { .. }), "{err}");
    // The link made before stands whole: its back-link and its ancestor.
    assert_eq!(keys_below(home, "s/p/descendants/"), back_links);
    let link = store.get("c/child/ancestor")?.ok_or("the link")?;
    assert!(String::from_utf8(link.bytes)?.contains("s/p"));
    assert!(home_of.undo_removal(p.address(), &manifest.bytes)?);
    assert_eq!(p.descendants()?.len(), 1);
    Ok(())
}

#[test]
fn links_racing_a_prune_never_leave_a_link_to_a_removed_run() -> TestResult {
    let mut lost = Vec::new();
    for i in 0..60 {
        let home: &'static str =
            Box::leak(format!("memory://mirror-attack-link-race-{i}/runs").into_boxed_str());
        let t = tempfile::tempdir()?;
        failed_runs(home, &t.path().join("n1"), &["p", "q"])?;
        let plan = Prune::new(home).status([RunStatus::Failed]).plan()?;
        let node = t.path().join("n2");
        let p = on(home, &node).stage("s").run_id("p").open()?;
        let child = on(home, &node).stage("c").run_id("child").create()?;
        let (tx, rx) = std::sync::mpsc::channel();
        crate::catalog::prune::before_tombstone(home, move || {
            let link = std::thread::spawn(move || child.link(&p).is_ok());
            // The link gets a head start of a varying few microseconds.
            for _ in 0..(i % 30) * 40 {
                std::hint::spin_loop();
            }
            tx.send(link).expect("sent");
        });
        plan.execute()?;
        let linked = rx.recv()?.join().map_err(|_| "the link panicked")?;
        let store = Store::open(home)?;
        let p_gone = store.get("s/p/run.json")?.is_none();
        let points_at_p = store
            .get("c/child/ancestor")?
            .is_some_and(|l| String::from_utf8_lossy(&l.bytes).contains("s/p"));
        if p_gone && (linked || points_at_p) {
            lost.push(i);
        }
    }
    assert!(
        lost.is_empty(),
        "a link to a removed run in rounds {lost:?}"
    );
    Ok(())
}

#[test]
fn a_link_made_while_a_prune_tombstones_its_ancestor_keeps_the_ancestor() -> TestResult {
    let home = "memory://mirror-attack-link-race/runs";
    let t = tempfile::tempdir()?;
    failed_runs(home, &t.path().join("n1"), &["p", "q"])?;
    let plan = Prune::new(home).status([RunStatus::Failed]).plan()?;
    assert_eq!(plan.remove.len(), 1, "{:?}", plan.remove);
    // After the prune's last look at `p` and before its tombstone, a node
    // links a run to `p`: the link is whole before the tombstone stands.
    let node = t.path().join("n2");
    let p = on(home, &node).stage("s").run_id("p").open()?;
    let child = on(home, &node).stage("c").run_id("child").create()?;
    crate::catalog::prune::before_tombstone(home, move || {
        child.link(&p).expect("p is not being removed yet");
    });
    let done = plan.execute()?;
    assert!(
        done.skipped
            .iter()
            .any(|(_, reason)| matches!(reason, KeepReason::AncestorOf(_))),
        "{done:?}"
    );
    let manifest = Store::open(home)?
        .get("s/p/run.json")?
        .ok_or("p's manifest")?;
    assert!(
        !crate::lifecycle::home::is_tombstone(&manifest.bytes),
        "p stays a run"
    );
    assert!(!keys_below(home, "s/p/descendants").is_empty());
    Ok(())
}

#[test]
fn a_run_resumed_while_a_prune_tombstones_it_gets_its_manifest_back() -> TestResult {
    let home = "memory://mirror-attack-resume-race/runs";
    let t = tempfile::tempdir()?;
    failed_runs(home, &t.path().join("n1"), &["p", "q"])?;
    let plan = Prune::new(home).status([RunStatus::Failed]).plan()?;
    assert_eq!(plan.remove.len(), 1, "{:?}", plan.remove);
    let manifest = Store::open(home)?
        .get("s/p/run.json")?
        .ok_or("p's manifest")?;
    // After the prune's last look at `p` and before its tombstone, a node
    // resumes it: its guard marks it running in the home.
    let node = t.path().join("n2");
    let (tx, rx) = std::sync::mpsc::channel();
    crate::catalog::prune::before_tombstone(home, move || {
        let p = on(home, &node)
            .stage("s")
            .run_id("p")
            .open()
            .expect("p opens");
        tx.send(p.guard()).expect("the guard is kept");
    });
    let done = plan.execute()?;
    let _guard = rx.try_recv()?;
    assert!(
        done.skipped
            .iter()
            .any(|(_, reason)| matches!(reason, KeepReason::Running)),
        "{done:?}"
    );
    let now = Store::open(home)?
        .get("s/p/run.json")?
        .ok_or("p's manifest")?;
    assert_eq!(now.bytes, manifest.bytes, "the manifest is back, as it was");
    assert!(keys_below(home, "s/p/").len() > 1, "nothing of p went");
    Ok(())
}
