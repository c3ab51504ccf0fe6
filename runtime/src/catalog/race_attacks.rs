//! Attacks on links, prunes and sweeps in a home, as tests, at the exact
//! interleavings where they meet: a closure runs just before a chosen
//! request (`io::store::hooks`) or just before a prune's tombstone
//! (`catalog::prune::before_tombstone`).

use std::path::Path;

use crate::catalog::prune::{Prune, before_tombstone};
use crate::error::Error;
use crate::io::store::{Store, hooks};
use crate::record::status::RunStatus;
use crate::sweep::Sweep;

use crate::catalog::mirror_attacks::{TestResult, failed_runs, on, prune_failed};

/// Puts, in place of the manifest of the run folder `key`, the tombstone
/// a prune killed long ago left (its manifest in it); returns the
/// manifest.
fn leave_removal(store: &Store, key: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let at = format!("{key}/run.json");
    let manifest = store.get(&at)?.ok_or("a manifest")?;
    let tombstone = serde_json::json!({"runlayout_removing": {
        "host": "elsewhere", "pid": 1, "since": "2020-01-01T00:00:00Z",
        "manifest": String::from_utf8(manifest.bytes.clone())?,
    }});
    let replaced = store.replace(&at, serde_json::to_vec(&tombstone)?, manifest.version)?;
    assert!(replaced, "the tombstone is put");
    Ok(manifest.bytes)
}

fn text(store: &Store, key: &str) -> Option<String> {
    store
        .get(key)
        .expect("get")
        .map(|o| String::from_utf8_lossy(&o.bytes).into_owned())
}

/// A link whose ancestor a prune removes between the link's first look
/// and its write of `ancestor` is refused and leaves no link to a removed
/// run: it takes its own link back, and never puts back the earlier one
/// (whose run a prune may remove as well, once nothing names it).
#[test]
fn a_link_whose_ancestor_goes_meanwhile_leaves_no_link_to_it() -> TestResult {
    let home: &'static str = "memory://race-ancestor-goes/runs";
    let t = tempfile::tempdir()?;
    failed_runs(home, &t.path().join("n1"), &["y", "r", "last"])?;
    let node = t.path().join("n2");
    let y = on(home, &node).stage("s").run_id("y").open()?;
    let r = on(home, &node).stage("s").run_id("r").open()?;
    let child = on(home, &node).stage("c").run_id("child").create()?;
    child.guard().finish()?;
    child.link(&y)?;
    // After the link's first look at `r` and its back-link, before it
    // writes `ancestor`, a prune removes `r` (the child names `y` then).
    hooks::set("put", &format!("{home}/c/child/ancestor"), move || {
        let done = prune_failed(home).expect("a prune");
        assert_eq!(done.removed.len(), 1, "{done:?}");
    });
    let err = child.link(&r).expect_err("r is gone");
    assert!(matches!(err, Error::RunBeingRemoved { .. }), "{err}");
    let store = Store::open(home)?;
    assert!(store.get("s/r/run.json")?.is_none());
    assert!(store.list("s/r")?.is_empty(), "its back-link goes too");
    assert_eq!(
        text(&store, "c/child/ancestor"),
        None,
        "no link to a removed run"
    );
    // With nothing naming it now, `y` goes with the next prune.
    prune_failed(home)?;
    assert!(store.get("s/y/run.json")?.is_none());
    Ok(())
}

/// Two nodes link one run to one ancestor while a prune removes it: one
/// link's last read comes before the tombstone, the other's after. The
/// second waits for the prune, which sees the first link whole and keeps
/// the ancestor: both links stand.
#[test]
fn twin_links_racing_a_prune_both_stand_and_keep_the_ancestor() -> TestResult {
    let home: &'static str = "memory://race-twin-links/runs";
    let t = tempfile::tempdir()?;
    failed_runs(home, &t.path().join("n1"), &["r", "last"])?;
    let plan = Prune::new(home).status([RunStatus::Failed]).plan()?;
    assert_eq!(plan.remove.len(), 1);
    let (n2, n3) = (t.path().join("n2"), t.path().join("n3"));
    let r2 = on(home, &n2).stage("s").run_id("r").open()?;
    let child2 = on(home, &n2).stage("c").run_id("child").create()?;
    child2.guard().finish()?;
    let r3 = on(home, &n3).stage("s").run_id("r").open()?;
    let child3 = on(home, &n3).stage("c").run_id("child").open()?;
    let url = |k: &str| format!("{home}/{k}");
    let (get_r, list_back, put_link) = (
        url("s/r/run.json"),
        url("s/r/descendants"),
        url("c/child/ancestor"),
    );
    let (tx, rx) = std::sync::mpsc::channel();
    before_tombstone(home, move || {
        let (at_tx, at_rx) = std::sync::mpsc::sync_channel::<()>(0);
        let (go_tx, go_rx) = std::sync::mpsc::sync_channel::<()>(0);
        hooks::set("put", &put_link, move || {
            hooks::set("get", &get_r, move || {
                at_tx.send(()).expect("at");
                go_rx.recv().expect("go");
            });
        });
        // Node 2 links; it stops just before its last read of r.
        let first = std::thread::spawn(move || child2.link(&r2));
        at_rx.recv().expect("paused");
        // Node 3 makes the same link, whole, before the tombstone.
        let second = child3.link(&r3);
        // Node 2 goes on once the tombstone stands: it finds it.
        hooks::set("list", &list_back, move || go_tx.send(()).expect("go"));
        tx.send((first, second)).expect("sent");
    });
    let done = plan.execute()?;
    let (first, second) = rx.recv()?;
    let first = first.join().map_err(|_| "the link panicked")?;
    assert!(first.is_ok() && second.is_ok(), "{first:?} {second:?}");
    assert!(done.removed.is_empty(), "{done:?}");
    let store = Store::open(home)?;
    assert!(
        store
            .get("s/r/run.json")?
            .is_some_and(|m| !m.bytes.starts_with(b"{\"runlayout_removing"))
    );
    assert!(text(&store, "c/child/ancestor").is_some_and(|a| a.contains("s/r")));
    Ok(())
}

/// A link that gives up on an ancestor whose removal stays undecided
/// takes back its own link only: one another node committed meanwhile
/// stands.
#[test]
fn a_link_giving_up_takes_back_only_its_own() -> TestResult {
    let home: &'static str = "memory://race-lost-link/runs";
    let t = tempfile::tempdir()?;
    failed_runs(home, &t.path().join("n1"), &["y", "r", "x"])?;
    let node = t.path().join("n2");
    let y = on(home, &node).stage("s").run_id("y").open()?;
    let x = on(home, &node).stage("s").run_id("x").open()?;
    let child = on(home, &node).stage("c").run_id("child").create()?;
    child.link(&y)?;
    let store = Store::open(home)?;
    let manifest = store.get("s/x/run.json")?.ok_or("x")?;
    let home_of =
        crate::lifecycle::home::Home::of(Path::new(home), Some(t.path()))?.ok_or("home")?;
    // After node 2's link to `x` has written, a prune (which then stops)
    // tombstones `x`, and node 3 links the child to `r`.
    let n3 = t.path().join("n3");
    let (tx, rx) = std::sync::mpsc::channel();
    let address = x.address().clone();
    hooks::set("get", &format!("{home}/s/x/run.json"), move || {
        // The first read of x's manifest: the one before the writes.
        hooks::set("put", &format!("{home}/c/child/ancestor"), move || {
            hooks::set("get", &format!("{home}/s/x/run.json"), move || {
                assert!(
                    home_of
                        .begin_removal(&address, &manifest.bytes)
                        .expect("tombstone")
                );
                let r3 = on(home, &n3).stage("s").run_id("r").open().expect("r");
                let child3 = on(home, &n3)
                    .stage("c")
                    .run_id("child")
                    .open()
                    .expect("child");
                tx.send(child3.link(&r3)).expect("sent");
            });
        });
    });
    let refused = child.link(&x);
    let committed = rx.recv()?;
    assert!(
        matches!(refused, Err(Error::RunBeingRemoved { .. })),
        "{refused:?}"
    );
    assert!(committed.is_ok(), "{committed:?}");
    assert!(
        text(&store, "c/child/ancestor").is_some_and(|a| a.contains("s/r")),
        "the link that returned Ok stands"
    );
    assert!(
        store.list("s/x/descendants")?.is_empty(),
        "the back-link it made goes"
    );
    Ok(())
}

/// A run whose own removal has begun is not linked: the link is refused,
/// and nothing of it outlives the removal for a run made again under
/// that id to inherit.
#[test]
fn a_run_being_removed_is_not_linked() -> TestResult {
    let home: &'static str = "memory://race-link-removed-child/runs";
    let t = tempfile::tempdir()?;
    let n1 = t.path().join("n1");
    for id in ["child", "last"] {
        on(home, &n1)
            .stage("c")
            .run_id(id)
            .create()?
            .guard()
            .fail("x")?;
    }
    on(home, &n1)
        .stage("p")
        .run_id("r")
        .create()?
        .guard()
        .finish()?;
    let plan = Prune::new(home).status([RunStatus::Failed]).plan()?;
    assert_eq!(plan.remove.len(), 1);
    let n2 = t.path().join("n2");
    let child = on(home, &n2).stage("c").run_id("child").open()?;
    let r = on(home, &n2).stage("p").run_id("r").open()?;
    let (tx, rx) = std::sync::mpsc::channel();
    // Once the child's tombstone stands (the prune's next look at its
    // back-links), a node links it.
    hooks::set("put", &format!("{home}/c/child/run.json"), move || {
        hooks::set("list", &format!("{home}/c/child/descendants"), move || {
            tx.send(child.link(&r)).expect("sent");
        });
    });
    plan.execute()?;
    let linked = rx.recv()?;
    assert!(
        matches!(linked, Err(Error::RunBeingRemoved { .. })),
        "{linked:?}"
    );
    let store = Store::open(home)?;
    assert!(store.list("c/child")?.is_empty());
    let again = on(home, &t.path().join("n3"))
        .stage("c")
        .run_id("child")
        .create()?;
    assert_eq!(again.ancestor()?, None);
    let r3 = on(home, &t.path().join("n3"))
        .stage("p")
        .run_id("r")
        .open()?;
    assert!(r3.descendants()?.is_empty());
    Ok(())
}

/// A sweep being removed (its record already deleted) hands out no
/// trial, not even one whose released lease is still there.
#[test]
fn a_sweep_being_removed_hands_out_no_trial() -> TestResult {
    let home: &'static str = "memory://race-sweep-removed/runs";
    let t = tempfile::tempdir()?;
    let sweep = Sweep::builder(home)
        .stage("s")
        .sweep_id("w")
        .grid("x", [1, 2])
        .create()?
        .cache_dir(t.path().join("a"))?;
    let trial = sweep.claim(0)?;
    trial.guard().finish()?;
    drop(trial);
    sweep.prune().include_latest(true).plan()?.execute()?;
    let worker = Sweep::resolve(home, "s/w")?.cache_dir(t.path().join("b"))?;
    let (tx, rx) = std::sync::mpsc::channel();
    // Once the record is deleted (the removal lists the rest), a worker
    // asks for trial 0 again (a Slurm array task run again).
    hooks::set("list", &format!("{home}/s/sweep+w"), move || {
        tx.send(worker.claim(0)).expect("sent");
    });
    assert!(sweep.remove()?);
    let got = rx.recv()?;
    assert!(
        matches!(got, Err(Error::SweepNotFound { .. })),
        "{:?}",
        got.map(|t| t.number())
    );
    let store = Store::open(home)?;
    assert!(store.list("s/w-t000")?.is_empty(), "no run made again");
    Ok(())
}

/// A worker whose lease is taken over as stale between its claim and its
/// run's creation does not get the trial; the worker that took over has
/// it whole.
#[test]
fn a_lease_taken_over_before_the_run_is_made_goes_to_one_worker() -> TestResult {
    let home: &'static str = "memory://race-sweep-takeover/runs";
    let t = tempfile::tempdir()?;
    let a = Sweep::builder(home)
        .stage("s")
        .sweep_id("w")
        .grid("x", [1, 2])
        .create()?
        .cache_dir(t.path().join("a"))?;
    let b = Sweep::resolve(home, "s/w")?.cache_dir(t.path().join("b"))?;
    let (tx, rx) = std::sync::mpsc::channel();
    hooks::set("put", &format!("{home}/s/w-t000/run.json"), move || {
        // A's lease, as if A were a worker elsewhere gone quiet, goes
        // stale; B takes the trial over and runs it.
        let stale = br#"{"by":{"host":"elsewhere","pid":7},"since":"2020-01-01T00:00:00Z","token":"t","made":false,"released":false}"#;
        let store = Store::open(home).expect("store");
        store
            .put("s/sweep+w/claims/0", stale.to_vec())
            .expect("put");
        let trial = b.claim(0).expect("b takes over");
        let guard = trial.guard();
        tx.send((trial, guard)).expect("sent");
    });
    let got = a.claim(0);
    let (b_trial, _guard) = rx.recv()?;
    assert!(got.is_err(), "two workers hold trial 0");
    assert_eq!(b_trial.number(), 0);
    assert_eq!(b_trial.run().status()?, RunStatus::Running);
    Ok(())
}

/// A prune killed after its tombstone, with a run linked to the run it
/// was removing before the tombstone: the next prune puts the manifest
/// back rather than finish the removal.
#[test]
fn a_removal_left_behind_under_a_link_is_undone_not_finished() -> TestResult {
    let home: &'static str = "memory://race-left-linked/runs";
    let t = tempfile::tempdir()?;
    failed_runs(home, &t.path().join("n1"), &["p", "last"])?;
    let node = t.path().join("n2");
    let p = on(home, &node).stage("s").run_id("p").open()?;
    let child = on(home, &node).stage("c").run_id("child").create()?;
    child.link(&p)?;
    child.guard().finish()?;
    let store = Store::open(home)?;
    let manifest = leave_removal(&store, "s/p")?;
    let plan = Prune::new(home).plan()?;
    assert_eq!(plan.trash.len(), 1, "{:?}", plan.trash);
    let done = plan.execute()?;
    assert_eq!(done.trash, 0, "not finished");
    assert_eq!(store.get("s/p/run.json")?.ok_or("p")?.bytes, manifest);
    assert_eq!(p.descendants()?.len(), 1);
    Ok(())
}

/// A run whose removal is undone finds its ancestor there: while its
/// tombstone stands, a second prune keeps the ancestor it links to.
#[test]
fn an_ancestor_stays_while_its_descendants_removal_may_be_undone() -> TestResult {
    let home: &'static str = "memory://race-undone-child/runs";
    let t = tempfile::tempdir()?;
    let n1 = t.path().join("n1");
    failed_runs(home, &n1, &["a", "last"])?;
    for id in ["p", "last"] {
        on(home, &n1)
            .stage("c")
            .run_id(id)
            .create()?
            .guard()
            .finish()?;
    }
    let a = on(home, &n1).stage("s").run_id("a").open()?;
    let c = on(home, &n1).stage("c").run_id("p").open()?;
    c.link(&a)?;
    let d = on(home, &n1).stage("d").run_id("child").create()?;
    d.guard().finish()?;
    // The first prune plans to remove `c/p`; just before its tombstone a
    // run links to it; once the tombstone stands, a second prune runs.
    let first = Prune::new(home).status([RunStatus::Finished]).plan()?;
    let (tx, rx) = std::sync::mpsc::channel();
    before_tombstone(home, move || {
        d.link(&c).expect("c stands");
        hooks::set("list", &format!("{home}/c/p/descendants"), move || {
            tx.send(prune_failed(home).map(|done| done.removed))
                .expect("sent");
        });
    });
    let done = first.execute()?;
    assert!(done.removed.is_empty(), "{done:?}");
    let second = rx.recv()??;
    assert!(second.is_empty(), "the second prune removed {second:?}");
    let store = Store::open(home)?;
    assert!(
        store.get("s/a/run.json")?.is_some(),
        "c/p's ancestor stands"
    );
    Ok(())
}

/// A run that cannot be listed whole just after its tombstone (another
/// tool wrote a key no path can be made of below it, which ends a store's
/// listing) gets its manifest back and is kept, saying why: no tombstone
/// is left standing in the way of the next prune, and the other runs go.
#[test]
fn a_run_that_cannot_be_listed_after_its_tombstone_is_kept_whole() -> TestResult {
    let home: &'static str = "memory://race-unlisted/runs";
    let t = tempfile::tempdir()?;
    failed_runs(home, &t.path().join("n1"), &["p", "q", "last"])?;
    let store = Store::open(home)?;
    let manifest = store.get("s/p/run.json")?.ok_or("p")?.bytes;
    let plan = Prune::new(home).status([RunStatus::Failed]).plan()?;
    let listing = format!("{home}/s/p");
    before_tombstone(home, move || hooks::fail_next("list", &listing));
    let done = plan.execute()?;
    let kept: Vec<String> = done
        .skipped
        .iter()
        .map(|(p, r)| format!("{p:?}: {r}"))
        .collect();
    assert!(
        kept.len() == 1 && kept[0].contains("/s/p\"") && kept[0].contains("made to fail"),
        "{kept:?}"
    );
    assert_eq!(store.get("s/p/run.json")?.ok_or("p")?.bytes, manifest);
    assert!(store.get("s/q/run.json")?.is_none(), "q goes");
    on(home, &t.path().join("n2"))
        .stage("s")
        .run_id("p")
        .open()?;
    Ok(())
}

/// A removal a gone prune left over a run that cannot be listed whole is
/// undone, not left to stop every later prune: the run gets its manifest
/// back, and the other runs planned go.
#[test]
fn a_left_removal_that_cannot_be_listed_is_undone_and_stops_no_prune() -> TestResult {
    let home: &'static str = "memory://race-left-unlisted/runs";
    let t = tempfile::tempdir()?;
    failed_runs(home, &t.path().join("n1"), &["p", "q", "last"])?;
    let store = Store::open(home)?;
    let manifest = leave_removal(&store, "s/p")?;
    let plan = Prune::new(home).status([RunStatus::Failed]).plan()?;
    assert_eq!(plan.trash.len(), 1, "{:?}", plan.trash);
    hooks::fail_next("list", &format!("{home}/s/p"));
    let done = plan.execute()?;
    assert_eq!(done.trash, 0, "not finished");
    assert_eq!(store.get("s/p/run.json")?.ok_or("p")?.bytes, manifest);
    assert!(store.get("s/q/run.json")?.is_none(), "q goes");
    Ok(())
}
