//! Sweeps whose root is object storage (the `object-store` feature). The
//! record folder is a prefix in the home, `<stage>/sweep+<id>/`:
//! `sweep.json` put only if absent (two creators never share a sweep id),
//! `cursor` (`{"handed": n}`, moved on by conditional replaces, so each
//! fresh number goes to one worker) and `claims/<n>`, each trial's lease.
//!
//! A lease is an object naming the worker that holds the trial, taken
//! with a conditional put: made if absent, or put over one that is
//! released or stale only if it is still the one read. So two workers
//! never both take a trial. A lease is stale when its worker is known to
//! be gone (a process of this host that is no more), or, for a worker
//! elsewhere, when the trial's run is not running by its heartbeats in
//! the home and the lease is older than twice the sweep's heartbeat
//! interval. The worker lets go of the lease when its trial's run (and
//! every clone, its guard) is dropped.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use runlayout_grammar::names::{self, DEBUG_DIR};

use crate::error::{Error, Result};
use crate::io::store::Store;
use crate::lifecycle::home::Home;
use crate::record::json;
use crate::record::process_record::ProcessRecord;
use crate::record::time;
use crate::sweep::name::{SWEEP_PREFIX, SWEEP_RECORD, SweepSpec};
use crate::sweep::record::{CLAIMS, CURSOR, SweepRecord};

/// How often a lost conditional write is tried again before giving up.
const TRIES: usize = 64;

/// The home of a sweep whose root is a URL, and the working copies'
/// folder its trials' runs use.
pub(crate) struct SweepHome {
    store: Store,
    home: Home,
}

impl std::fmt::Debug for SweepHome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SweepHome")
            .field("url", &self.store.url())
            .finish()
    }
}

/// A trial's lease, `claims/<n>`.
#[derive(Serialize, Deserialize)]
struct Lease {
    by: ProcessRecord,
    since: String,
    /// Tells this worker's lease from another's of the same process.
    token: String,
    /// Whether a worker made the trial's run under a lease of this trial
    /// (so a run that is not there was removed, not never made).
    made: bool,
    released: bool,
}

/// A lease this worker holds, let go when dropped.
#[derive(Debug)]
pub(crate) struct Claim {
    store: Store,
    key: String,
    token: String,
    /// Whether the trial's run was made under an earlier lease.
    pub(crate) made_before: bool,
}

impl SweepHome {
    /// The home `root` names, if it is a URL (`None` for a folder), its
    /// trials' working copies in `cache` (else the default cache folder).
    pub(crate) fn of(root: &Path, cache: Option<&Path>) -> Result<Option<SweepHome>> {
        let Some(url) = crate::io::url_root::url_of_root(root) else {
            return Ok(None);
        };
        let Some(home) = Home::of(root, cache)? else {
            return Ok(None);
        };
        Ok(Some(SweepHome {
            store: Store::open(url)?,
            home,
        }))
    }

    /// The home the trials' runs live in.
    pub(crate) fn runs(&self) -> &Home {
        &self.home
    }

    /// The key of the sweep's record folder.
    fn folder(spec: &SweepSpec) -> String {
        key_of(&spec.record_folder(Path::new("")))
    }

    fn url_of(&self, key: &str) -> PathBuf {
        PathBuf::from(self.store.url_of(key))
    }

    /// Puts the record of a new sweep: `false` if a sweep of that id is
    /// there already.
    pub(crate) fn create(&self, spec: &SweepSpec, record: &SweepRecord) -> Result<bool> {
        let key = format!("{}/{SWEEP_RECORD}", Self::folder(spec));
        let bytes = serde_json::to_vec_pretty(record)
            .map_err(|e| json::invalid::<SweepRecord>(&self.url_of(&key), e.to_string()))?;
        self.store.create(&key, bytes)
    }

    /// The record of the sweep at `spec`'s place, if there is one.
    pub(crate) fn read(&self, spec: &SweepSpec) -> Result<Option<SweepRecord>> {
        let key = format!("{}/{SWEEP_RECORD}", Self::folder(spec));
        match self.store.get(&key)? {
            Some(object) => {
                crate::sweep::record::parse(&self.url_of(&key), &object.bytes).map(Some)
            }
            None => Ok(None),
        }
    }

    /// The sweeps recorded in the home: each `sweep+<id>` folder of a
    /// stage folder, below the root and below `debug/`.
    pub(crate) fn find(&self) -> Result<Vec<SweepSpec>> {
        let mut found = Vec::new();
        for (base, debug) in [("", false), (DEBUG_DIR, true)] {
            for stage in self.store.folders(base)? {
                if names::check(&stage).is_err() || (!debug && stage == DEBUG_DIR) {
                    continue;
                }
                let stage_key = if debug {
                    format!("{DEBUG_DIR}/{stage}")
                } else {
                    stage.clone()
                };
                for name in self.store.folders(&stage_key)? {
                    let Some(id) = name.strip_prefix(SWEEP_PREFIX) else {
                        continue;
                    };
                    if names::check(id).is_ok() {
                        found.push(SweepSpec {
                            debug,
                            stage: stage.clone(),
                            id: id.to_owned(),
                        });
                    }
                }
            }
        }
        Ok(found)
    }

    /// The next trial number never handed out, moving the cursor on by
    /// one with a conditional write (tried again when another worker
    /// came first); `None` once `count` were.
    pub(crate) fn next_fresh(&self, spec: &SweepSpec, count: usize) -> Result<Option<usize>> {
        #[derive(Serialize, Deserialize)]
        struct Cursor {
            handed: usize,
        }
        let key = format!("{}/{CURSOR}", Self::folder(spec));
        for _ in 0..TRIES {
            let current = self.store.get(&key)?;
            let handed = match &current {
                Some(object) => {
                    serde_json::from_slice::<Cursor>(&object.bytes)
                        .map_err(|e| {
                            json::invalid::<SweepRecord>(&self.url_of(&key), e.to_string())
                        })?
                        .handed
                }
                None => {
                    self.require(spec)?;
                    0
                }
            };
            if handed >= count {
                return Ok(None);
            }
            let next = serde_json::to_vec(&Cursor { handed: handed + 1 }).unwrap_or_default();
            let moved = match current {
                Some(object) => self.store.replace(&key, next, object.version)?,
                None => self.store.create(&key, next)?,
            };
            if moved {
                return Ok(Some(handed));
            }
        }
        Err(busy(&self.url_of(&key)))
    }

    /// Takes trial `n`'s lease, unless a live worker holds it: `None`
    /// then. `running` tells whether the trial's run is running by its
    /// heartbeats in the home (asked only of a lease of another host).
    pub(crate) fn claim(
        &self,
        spec: &SweepSpec,
        n: usize,
        heartbeat: Duration,
        running: impl FnOnce() -> bool,
    ) -> Result<Option<Claim>> {
        let key = format!("{}/{CLAIMS}/{n}", Self::folder(spec));
        let token = String::from_utf8_lossy(&crate::io::random::fresh_chars::<16>()).into_owned();
        let lease = |made: bool| {
            let lease = Lease {
                by: ProcessRecord::this_process(),
                since: time::now(),
                token: token.clone(),
                made,
                released: false,
            };
            serde_json::to_vec(&lease).unwrap_or_default()
        };
        let claim = |made_before: bool| Claim {
            store: self.store.clone(),
            key: key.clone(),
            token: token.clone(),
            made_before,
        };
        let Some(current) = self.store.get(&key)? else {
            let taken = self.store.create(&key, lease(false))?;
            return self.still_there(spec, taken.then(|| claim(false)));
        };
        // A lease that cannot be read is taken over as a stale one.
        let old = serde_json::from_slice::<Lease>(&current.bytes).ok();
        let made = old.as_ref().is_none_or(|old| old.made);
        if let Some(old) = &old
            && !old.released
            && is_live(old, heartbeat, running)
        {
            return Ok(None);
        }
        let taken = self.store.replace(&key, lease(made), current.version)?;
        self.still_there(spec, taken.then(|| claim(made)))
    }

    /// `taken`, if the sweep's record is still there once the lease is
    /// held: a sweep removed meanwhile ([`remove`](SweepHome::remove)
    /// deletes its record first) hands out nothing, and the lease is let
    /// go.
    fn still_there(&self, spec: &SweepSpec, taken: Option<Claim>) -> Result<Option<Claim>> {
        if taken.is_some() {
            self.require(spec)?;
        }
        Ok(taken)
    }

    /// [`Error::SweepNotFound`] unless the sweep's record is there: a
    /// sweep removed while a handle of it lives hands out nothing more.
    fn require(&self, spec: &SweepSpec) -> Result<()> {
        let key = format!("{}/{SWEEP_RECORD}", Self::folder(spec));
        match self.store.get(&key)? {
            Some(_) => Ok(()),
            None => Err(Error::SweepNotFound {
                path: self.url_of(&Self::folder(spec)),
            }),
        }
    }

    /// Deletes the sweep's record first (from then on the sweep is gone:
    /// no handle claims a trial of it, no listing shows it), then every
    /// other object of its record folder.
    pub(crate) fn remove(&self, spec: &SweepSpec) -> Result<()> {
        let folder = Self::folder(spec);
        self.store.delete(&format!("{folder}/{SWEEP_RECORD}"))?;
        for listed in self.store.list(&folder)? {
            self.store.delete_listed(&listed.location)?;
        }
        Ok(())
    }
}

impl Claim {
    /// Records in the lease that the trial's run was made under it:
    /// `false` if the lease is no longer this worker's (it was taken over
    /// as stale meanwhile: the trial is another worker's now).
    pub(crate) fn mark_made(&self) -> Result<bool> {
        self.change(|lease| lease.made = true)
    }

    /// Changes the lease, if it is still this worker's: `false` if not.
    fn change(&self, change: impl Fn(&mut Lease)) -> Result<bool> {
        for _ in 0..TRIES {
            let Some(current) = self.store.get(&self.key)? else {
                return Ok(false);
            };
            let Ok(mut lease) = serde_json::from_slice::<Lease>(&current.bytes) else {
                return Ok(false);
            };
            if lease.token != self.token || lease.released {
                return Ok(false);
            }
            change(&mut lease);
            let bytes = serde_json::to_vec(&lease).unwrap_or_default();
            if self.store.replace(&self.key, bytes, current.version)? {
                return Ok(true);
            }
        }
        Err(busy(&PathBuf::from(self.store.url_of(&self.key))))
    }
}

impl Drop for Claim {
    /// Lets go of the lease: the trial is free for the next worker (who
    /// goes by its run's status).
    fn drop(&mut self) {
        let _ = self.change(|lease| lease.released = true);
    }
}

/// Whether the worker holding `lease` may still be at work.
fn is_live(lease: &Lease, heartbeat: Duration, running: impl FnOnce() -> bool) -> bool {
    use crate::io::process::{Fate, fate};
    if lease.by.is_this_process() {
        return true;
    }
    match lease.by.writer().map(fate) {
        Some(Fate::Running) => return true,
        Some(Fate::Gone) => return false,
        _ => {}
    }
    if running() {
        return true;
    }
    // A lease taken "later" than now comes from a host whose clock runs
    // ahead: as fresh as can be (a trial is never given to two workers
    // for a clock's sake; at worst it waits).
    let Some(since) = time::parse(&lease.since) else {
        return false;
    };
    let age = SystemTime::now()
        .duration_since(since)
        .unwrap_or(Duration::ZERO);
    age < heartbeat * 2
}

/// A key of the parts of a relative path.
fn key_of(path: &Path) -> String {
    path.components()
        .filter_map(|part| part.as_os_str().to_str())
        .collect::<Vec<_>>()
        .join("/")
}

/// Too many other workers came first, every time.
fn busy(at: &Path) -> Error {
    Error::Store {
        op: "update",
        url: at.display().to_string(),
        message: format!("other writers changed it {TRIES} times in a row; try again"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use crate::error::{Error, TrialReason};
    use crate::io::store::Store;
    use crate::record::status::RunStatus;
    use crate::sweep::{Sweep, SweepSpec};

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn trials_in_a_home_go_to_exactly_one_worker_across_nodes() -> TestResult {
        let home = "memory://sweep-home-nodes/runs";
        let nodes = tempfile::tempdir()?;
        let made = Sweep::builder(home)
            .stage("s")
            .grid("x", 0..24)
            .create()?
            .cache_dir(nodes.path().join("maker"))?;
        let spec: SweepSpec = made.to_string().parse()?;
        let claimed: Mutex<BTreeMap<usize, Vec<usize>>> = Mutex::new(BTreeMap::new());
        std::thread::scope(|s| {
            for node in 0..4 {
                let (claimed, spec, nodes) = (&claimed, &spec, nodes.path());
                s.spawn(move || -> crate::Result<()> {
                    let sweep =
                        Sweep::open(home, spec)?.cache_dir(nodes.join(format!("n{node}")))?;
                    while let Some(trial) = sweep.claim_next()? {
                        let x: usize = trial.param("x")?;
                        assert_eq!(x, trial.number());
                        trial.run().summary().set("x", x)?;
                        claimed
                            .lock()
                            .expect("lock")
                            .entry(trial.number())
                            .or_default()
                            .push(node);
                        trial.guard().finish()?;
                    }
                    Ok(())
                });
            }
        });
        let claimed = claimed.into_inner()?;
        assert_eq!(claimed.len(), 24, "{claimed:?}");
        assert!(claimed.values().all(|by| by.len() == 1), "{claimed:?}");
        assert!(made.is_done()?);
        let states = made.trials()?;
        assert!(states.iter().all(|t| t.status == Some(RunStatus::Finished)));
        assert_eq!(states[5].summary["x"], 5);
        let url = format!("{home}/s/{}", made.trial_id(5));
        assert_eq!(states[5].run.as_deref(), Some(std::path::Path::new(&url)));
        // Listed, opened and named as on disk.
        assert_eq!(Sweep::list(home)?.len(), 1);
        assert!(made.claim_next()?.is_none());
        let again = made.claim(3).expect_err("finished");
        assert!(matches!(
            again,
            Error::TrialUnavailable {
                reason: TrialReason::Finished,
                ..
            }
        ));
        // The sweep's prune takes its trials from the home (the stage's
        // latest stays); its record goes once no trial is left.
        let plan = made.prune().plan()?;
        assert_eq!((plan.remove.len(), plan.kept.len()), (23, 1), "{plan:?}");
        plan.execute()?;
        assert!(!made.remove()?, "a trial is left: the record stays");
        let store = Store::open(home)?;
        let left: Vec<String> = store.list("s")?.into_iter().map(|l| l.key).collect();
        assert!(left.iter().any(|k| k.ends_with("sweep.json")), "{left:?}");
        assert!(
            !left
                .iter()
                .any(|k| k.starts_with(&format!("s/{}/", made.trial_id(5)))),
            "{left:?}"
        );
        Ok(())
    }

    /// A lease `elsewhere` holds, taken at `since`.
    fn foreign_lease(since: &str) -> Vec<u8> {
        format!(
            r#"{{"by":{{"host":"elsewhere","pid":7}},"since":"{since}","token":"t","made":false,"released":false}}"#
        )
        .into_bytes()
    }

    #[test]
    fn a_lease_of_another_host_is_kept_while_fresh_and_taken_over_once_stale() -> TestResult {
        let home = "memory://sweep-home-stale/runs";
        let node = tempfile::tempdir()?;
        let sweep = Sweep::builder(home)
            .stage("s")
            .sweep_id("w")
            .grid("x", [1, 2])
            .create()?
            .cache_dir(node.path())?;
        let store = Store::open(home)?;
        store.put(
            "s/sweep+w/claims/0",
            foreign_lease(&crate::record::time::now()),
        )?;
        let held = sweep.claim(0).expect_err("a fresh lease of another host");
        assert!(
            matches!(
                held,
                Error::TrialUnavailable {
                    reason: TrialReason::Held,
                    ..
                }
            ),
            "{held}"
        );
        // A worker that died two days ago on another host.
        store.put("s/sweep+w/claims/0", foreign_lease("2020-01-01T00:00:00Z"))?;
        let trial = sweep.claim(0)?;
        assert_eq!(trial.number(), 0);
        // While this worker holds it, nobody else gets it.
        let other = Sweep::resolve(home, "s/w")?.cache_dir(node.path().join("b"))?;
        assert!(other.claim(0).is_err());
        trial.guard().fail("diverged")?;
        drop(trial);
        // Let go: a failed trial is offered again only with retry_failed.
        assert!(other.claim(0).is_err());
        assert_eq!(other.retry_failed(true).claim(0)?.number(), 0);
        Ok(())
    }

    #[test]
    fn a_lease_from_a_host_whose_clock_runs_ahead_is_fresh() -> TestResult {
        let home = "memory://sweep-home-skew/runs";
        let node = tempfile::tempdir()?;
        let sweep = Sweep::builder(home)
            .stage("s")
            .sweep_id("w")
            .grid("x", [1, 2])
            .create()?
            .cache_dir(node.path())?;
        let ahead = std::time::SystemTime::now() + std::time::Duration::from_secs(120);
        let since = jiff::Timestamp::try_from(ahead)?.to_string();
        Store::open(home)?.put("s/sweep+w/claims/0", foreign_lease(&since))?;
        let held = sweep
            .claim(0)
            .expect_err("just taken by a worker elsewhere");
        assert!(
            matches!(
                held,
                Error::TrialUnavailable {
                    reason: TrialReason::Held,
                    ..
                }
            ),
            "{held}"
        );
        Ok(())
    }

    #[test]
    fn a_removed_sweep_hands_out_nothing_and_is_listed_no_more() -> TestResult {
        let home = "memory://sweep-home-removed/runs";
        let node = tempfile::tempdir()?;
        let made = Sweep::builder(home)
            .stage("s")
            .sweep_id("w")
            .grid("x", [1, 2])
            .create()?
            .cache_dir(node.path().join("a"))?;
        Sweep::builder(home)
            .stage("s")
            .sweep_id("other")
            .grid("x", [1])
            .create()?;
        // A worker elsewhere opened it before; then it is removed.
        let worker = Sweep::resolve(home, "s/w")?.cache_dir(node.path().join("b"))?;
        assert!(made.remove()?);
        let got = worker.claim_next();
        assert!(
            matches!(got, Err(Error::SweepNotFound { .. })),
            "{:?}",
            got.map(|t| t.map(|t| t.number()))
        );
        assert!(matches!(worker.claim(1), Err(Error::SweepNotFound { .. })));
        // What a removal that was cut short leaves does not hide the rest.
        Store::open(home)?.put("s/sweep+w/cursor", br#"{"handed":1}"#.to_vec())?;
        let listed: Vec<String> = Sweep::list(home)?.iter().map(ToString::to_string).collect();
        assert_eq!(listed, ["s/other"]);
        Ok(())
    }

    #[test]
    fn a_sweep_in_a_home_is_made_once_and_its_record_checked() -> TestResult {
        let home = "memory://sweep-home-record/runs";
        let a = Sweep::builder(home)
            .stage("s")
            .sweep_id("same")
            .grid("x", [1, 2])
            .create()?;
        let b = Sweep::builder(home)
            .stage("s")
            .sweep_id("same")
            .grid("x", [1, 2])
            .create()?;
        assert_eq!(a.created(), b.created(), "the second reuses the first");
        let changed = Sweep::builder(home)
            .stage("s")
            .sweep_id("same")
            .grid("x", [1, 3])
            .create()
            .expect_err("another spec");
        assert!(matches!(changed, Error::SweepChanged { .. }), "{changed}");
        let store = Store::open(home)?;
        let record = store.get("s/sweep+same/sweep.json")?.ok_or("a record")?;
        let edited = String::from_utf8(record.bytes)?.replace("\"x\"", "\"y\"");
        store.put("s/sweep+same/sweep.json", edited.into_bytes())?;
        let bad = Sweep::resolve(home, "s/same").expect_err("edited by hand");
        assert!(bad.to_string().contains("memory://"), "{bad}");
        assert!(matches!(
            Sweep::resolve(home, "s/none"),
            Err(Error::SweepNotFound { .. })
        ));
        Ok(())
    }
}
