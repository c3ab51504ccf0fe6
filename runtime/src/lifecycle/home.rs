//! Runs whose home is object storage (the `object-store` feature): a root
//! given as a URL. The run is made as an ordinary run folder in a local
//! cache (its working copy, `cache/[debug/]<stage>/<id>`), then claimed in
//! the home by putting its manifest only if no object is at that key: two
//! creators never share a run. The stage's `latest` is a small object in
//! the home, moved forward by conditional replaces and never back.
//! Opening a run fetches its manifest into a working copy.
//!
//! Without the feature a URL root is refused with an error saying so.

#[cfg(not(feature = "object-store"))]
use std::path::Path;

#[cfg(not(feature = "object-store"))]
use crate::error::{Error, Result};
#[cfg(not(feature = "object-store"))]
use crate::io::url_root::url_of_root;
use crate::run::Run;
#[cfg(not(feature = "object-store"))]
use crate::run::address::{Address, Group};

#[cfg(feature = "object-store")]
pub(crate) use with_store::Home;

/// What claiming a working copy's run in its home came to.
#[cfg_attr(not(feature = "object-store"), allow(dead_code))]
pub(crate) enum Claimed {
    /// The run is this call's: its manifest is in the home.
    Mine(Run),
    /// A run of that address is in the home already; the working copy is
    /// given back untouched, to be joined or discarded, with the manifest
    /// this call offered (the run is this call's after all if the home's
    /// is that one: another rank of this node put it first).
    Taken(Run, Vec<u8>),
}

/// Without the feature there is no home: a URL root is an error.
#[cfg(not(feature = "object-store"))]
pub(crate) enum Home {}

#[cfg(not(feature = "object-store"))]
impl Home {
    pub(crate) fn of(root: &Path, _cache: Option<&Path>) -> Result<Option<Home>> {
        match url_of_root(root) {
            Some(url) => Err(Error::UnsupportedRoot {
                root: url.to_owned(),
                reason: "runs in object storage need runlayout's `object-store` feature".to_owned(),
            }),
            None => Ok(None),
        }
    }

    pub(crate) fn cache(&self) -> &Path {
        match *self {}
    }

    pub(crate) fn claim(&self, _local: Run, _latest: bool) -> Result<Claimed> {
        match *self {}
    }

    pub(crate) fn discard(&self, _local: Run) {
        match *self {}
    }

    pub(crate) fn join(&self, _local: Run, _latest: bool, _offered: &[u8]) -> Result<Run> {
        match *self {}
    }

    pub(crate) fn claimed(&self, _local: &Run) -> Result<bool> {
        match *self {}
    }

    pub(crate) fn has_run(&self, _address: &Address) -> Result<bool> {
        match *self {}
    }

    pub(crate) fn is_run_of_job(&self, _address: &Address, _job: &str) -> Result<bool> {
        match *self {}
    }

    pub(crate) fn fetch_run(&self, _address: &Address) -> Result<()> {
        match *self {}
    }

    pub(crate) fn latest(&self, _group: Group<'_>) -> Result<Option<Address>> {
        match *self {}
    }

    pub(crate) fn attach(&self, _run: Run) -> Run {
        match *self {}
    }

    pub(crate) fn run_url(&self, _address: &Address) -> String {
        match *self {}
    }

    pub(crate) fn root_url(&self) -> String {
        match *self {}
    }
}

#[cfg(feature = "object-store")]
mod with_store {
    use std::path::{Component, Path, PathBuf};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::SystemTime;

    use super::*;
    use crate::error::{Error, Operation, RecordKind, Result};
    use crate::io::atomic_file::AtomicFile;
    use crate::io::fs::At;
    use crate::io::store::Store;
    use crate::io::url_root::url_of_root;
    use crate::io::working_copy::{STATE, State, is_own};
    use crate::layout::record::LAYOUT_RECORD;
    use crate::lifecycle::ancestry::ANCESTOR;
    use crate::lifecycle::sync;
    use crate::record::manifest::MANIFEST;
    use crate::record::restarts::RESTARTS;
    use crate::record::status::STATUS;
    use crate::record::summary::SUMMARY;
    use crate::record::time;
    use crate::run::RunHome;
    use crate::run::address::{Address, Group};
    use runlayout_grammar::names::{self, DEBUG_DIR};

    /// How often the `latest` object is written before a race is let be.
    const MAX_MOVES: usize = 16;

    /// Conditional replaces of a `latest` object that another writer won,
    /// in this process (each was read again and retried).
    pub(crate) static LOST_RACES: AtomicU64 = AtomicU64::new(0);

    /// A root in object storage, and the local folder its working copies
    /// are kept in.
    pub(crate) struct Home {
        store: Store,
        cache: PathBuf,
    }

    impl Home {
        /// The home `root` names if it is a URL (`None` if it is a folder),
        /// its working copies kept in `cache` (or the default cache folder).
        pub(crate) fn of(root: &Path, cache: Option<&Path>) -> Result<Option<Home>> {
            let Some(url) = url_of_root(root) else {
                return Ok(None);
            };
            let store = Store::open(url)?;
            let cache = match cache {
                Some(cache) => cache.to_path_buf(),
                None => default_cache(url)?,
            };
            Ok(Some(Home { store, cache }))
        }

        /// The local folder the working copies are in.
        pub(crate) fn cache(&self) -> &Path {
            &self.cache
        }

        /// Claims in the home the run whose working copy is `local`: its
        /// manifest is put only if none is at its key, then the stage's
        /// `latest` moves to it (if `latest`). A working copy this call
        /// made is removed again if the put fails, unless another rank of
        /// this node uses it already ([`discard`](Home::discard)).
        ///
        /// Once the put is in, the run exists and stands: a rank of
        /// another node may have joined it at once. A failure after it
        /// (moving `latest`) is returned, the run left in the home and its
        /// working copy here, for `create_or_open` to join.
        pub(crate) fn claim(&self, local: Run, latest: bool) -> Result<Claimed> {
            let manifest_path = local.path().join(MANIFEST);
            let manifest = match offered_manifest(&local, &manifest_path) {
                Ok(Some(manifest)) => manifest,
                failed => {
                    if local.is_new() {
                        self.discard(local);
                    }
                    return Err(failed.err().unwrap_or_else(|| Error::RunNotFound {
                        path: manifest_path,
                        elsewhere: Vec::new(),
                    }));
                }
            };
            let created = created_text(&manifest);
            let key = format!("{}/{MANIFEST}", self.run_key(local.address()));
            match self.store.create(&key, manifest.clone()) {
                Ok(true) => {}
                Ok(false) => return Ok(Claimed::Taken(local, manifest)),
                Err(e) => {
                    if local.is_new() {
                        self.discard(local);
                    }
                    return Err(e);
                }
            }
            let run = self.attach(local);
            self.record(&run, latest, created)?;
            Ok(Claimed::Mine(run))
        }

        /// Whether the working copy `local` holds a manifest the home was
        /// given or gave (this node claimed or joined its run): no request
        /// is made.
        pub(crate) fn claimed(&self, local: &Run) -> Result<bool> {
            let home = self.run_home(local.address());
            Ok(State::read(local.path(), &home.url)?.holds(local.path(), MANIFEST))
        }

        /// Whether the home holds a run at `address` (one read).
        pub(crate) fn has_run(&self, address: &Address) -> Result<bool> {
            let key = join(&self.run_key(address), MANIFEST);
            Ok(self.store.get(&key)?.is_some())
        }

        /// Whether the home's run at `address` was made for the launched
        /// `job` (its manifest's `job`; one read). A manifest that cannot
        /// be read as one names no job.
        pub(crate) fn is_run_of_job(&self, address: &Address, job: &str) -> Result<bool> {
            let Some(bytes) = self.stored(address, MANIFEST)? else {
                return Ok(false);
            };
            let recorded = serde_json::from_slice::<crate::record::manifest::Manifest>(&bytes)
                .ok()
                .and_then(|m| m.job);
            Ok(recorded.as_deref() == Some(job))
        }

        /// What a run claimed in the home gets: its working copy's state,
        /// and the stage's `latest` (if `latest`).
        ///
        /// `latest` moves first: a working copy marked as claimed is one
        /// the ranks of this node use without asking the home, so a move
        /// that failed is left for the next rank, which joins and moves it.
        fn record(&self, run: &Run, latest: bool, created: Option<String>) -> Result<()> {
            if latest {
                self.move_latest(run.address(), created)?;
            }
            let dir = run.path();
            run.home()
                .ok_or_else(|| Error::UnsupportedRoot {
                    root: self.root_url(),
                    reason: "the run lost its home".to_owned(),
                })?
                .update(|state| {
                    let _ = state.mark(dir, MANIFEST);
                })
        }

        /// Removes a working copy whose claim in the home lost: its
        /// manifest, its state, its folder (left if anything else is in
        /// it), under the removal claim, as prune removes a run. A working
        /// copy another rank of this node uses (a `create_or_open` of that
        /// id met in it) stays: whoever uses it next takes the home's
        /// manifest.
        pub(crate) fn discard(&self, local: Run) {
            let dir = local.path().to_path_buf();
            drop(local);
            let Ok(_removing) = crate::io::claim::remove_run(&dir) else {
                return;
            };
            let _ = std::fs::remove_file(dir.join(MANIFEST));
            let _ = std::fs::remove_file(dir.join(STATE));
            let _ = std::fs::remove_dir(&dir);
        }

        /// Joins the run in the home whose address `local` (a working copy
        /// whose claim lost, offering the manifest `offered`) has: the
        /// working copy takes the home's manifest in place of its own, and
        /// the stage's `latest` moves to the run if it names an older one
        /// (if `latest`: the run's creator may have died before it moved
        /// it). A run whose manifest in the home is the one this call
        /// offered (another rank of this node put it first) stays new.
        pub(crate) fn join(&self, local: Run, latest: bool, offered: &[u8]) -> Result<Run> {
            let address = local.address().clone();
            let manifest = self.fetch_run(&address)?;
            if latest {
                self.move_latest(&address, created_text(&manifest))?;
            }
            if local.is_new() && offered == &manifest[..] {
                return Ok(self.attach(local));
            }
            Ok(self.attach(local.joined()))
        }

        /// Brings the run at `address` from the home into its working copy
        /// (made if missing), so that the working copy can be opened as a
        /// run, and returns its manifest. The home is the truth:
        ///
        /// - its manifest replaces one the working copy holds that differs
        ///   (a copy a creator killed before its claim left there, of a run
        ///   another node then made), and with it every record; a working
        ///   copy that holds other files of that other run is refused,
        ///   naming it, and left as it is;
        /// - a record (status, summary, restarts, layouts) or the
        ///   `ancestor` link the working copy lacks, or holds as it was
        ///   last stored or fetched, is brought (another node may have
        ///   stored a newer one); one changed here since is newer, and
        ///   stays.
        ///
        /// Ranks of one node fetching into one working copy take turns
        /// (a lock on its folder). [`Error::RunNotFound`] naming the run's URL
        /// if the home has no such run, and nothing is made here then.
        pub(crate) fn fetch_run(&self, address: &Address) -> Result<Vec<u8>> {
            let dir = address.folder(&self.cache);
            let home = self.run_home(address);
            // A working copy of another home's run of that name is refused.
            State::read(&dir, &home.url)?;
            let Some(manifest) = self.store.get(&home.key_of(MANIFEST))? else {
                return Err(Error::RunNotFound {
                    path: PathBuf::from(home.url),
                    elsewhere: Vec::new(),
                });
            };
            let manifest = manifest.bytes;
            std::fs::create_dir_all(&dir).at(Operation::CreateDirAll, &dir)?;
            let _turn = lock_folder(&dir)?;
            let mut state = State::read(&dir, &home.url)?;
            let replaced = match read_record(&dir.join(MANIFEST))? {
                Some(local) if local == manifest => false,
                Some(_) => {
                    refuse_foreign_files(&dir, &home.url)?;
                    // The marks were of the other run's files.
                    state.files.clear();
                    state.write(&dir)?;
                    true
                }
                None => false,
            };
            if replaced || !dir.join(MANIFEST).exists() {
                sync::place(&home, MANIFEST, &manifest)?;
            } else if !state.holds(&dir, MANIFEST) {
                // The home's manifest, as the working copy holds it: ranks
                // after this one need not ask.
                home.update(|state| {
                    let _ = state.mark(&dir, MANIFEST);
                })?;
            }
            for record in RECORDS {
                let local = dir.join(record);
                let there = std::fs::symlink_metadata(&local).is_ok();
                if !(replaced || !there || state.holds(&dir, record)) {
                    continue;
                }
                // Read as a record, never more than one holds.
                let theirs = self.store.get(&home.key_of(record))?.map(|o| o.bytes);
                // Lines this node's ranks appended, joining this id before
                // its manifest was the home's, are this run's restarts.
                let ours = match replaced && there && record == RESTARTS {
                    true => read_record(&local)?,
                    false => None,
                };
                match (theirs, ours) {
                    (Some(mut theirs), Some(ours)) => {
                        if !theirs.is_empty() && !theirs.ends_with(b"\n") {
                            theirs.push(b'\n');
                        }
                        theirs.extend_from_slice(&ours);
                        // Not marked: the home lacks the appended lines.
                        AtomicFile::write(&local, &theirs)?;
                    }
                    (Some(theirs), None) => sync::place(&home, record, &theirs)?,
                    (None, Some(_)) => {}
                    // Another run's record is not this run's.
                    (None, None) if replaced => crate::io::fs::remove_file(&local)?,
                    (None, None) => {}
                }
            }
            Ok(manifest)
        }

        /// The manifests of the runs in the home, as a scan of a root on
        /// disk finds runs: one or two folders below the root (`plain`)
        /// and below its `debug/` folder (`debug`), each with the folder
        /// names that lead to it and whether it is below `debug/`. One
        /// listing per folder of the first level, one read per folder that
        /// may hold a run, 16 at a time.
        pub(crate) fn manifests(&self, plain: bool, debug: bool) -> Result<Vec<HomeRun>> {
            let mut candidates = Vec::new();
            for (is_debug, base) in [(false, ""), (true, DEBUG_DIR)] {
                if (is_debug && !debug) || (!is_debug && !plain) {
                    continue;
                }
                for first in self.store.folders(base)? {
                    if !is_debug && first == DEBUG_DIR || names::check(&first).is_err() {
                        continue;
                    }
                    for second in self.store.folders(&join(base, &first))? {
                        if names::check(&second).is_ok() {
                            candidates.push((is_debug, vec![first.clone(), second]));
                        }
                    }
                    candidates.push((is_debug, vec![first]));
                }
            }
            let keys: Vec<String> = candidates
                .iter()
                .map(|(is_debug, parts)| {
                    let base = if *is_debug { DEBUG_DIR } else { "" };
                    join(&join(base, &parts.join("/")), MANIFEST)
                })
                .collect();
            let objects = self.store.get_many(&keys)?;
            Ok(candidates
                .into_iter()
                .zip(objects)
                .zip(keys)
                .filter_map(|(((debug, parts), manifest), key)| {
                    Some(HomeRun {
                        debug,
                        parts,
                        manifest: manifest.transpose()?,
                        url: self.store.url_of(&key),
                    })
                })
                .collect())
        }

        /// The run the `latest` object of `group` names in the home.
        pub(crate) fn latest(&self, group: Group<'_>) -> Result<Option<Address>> {
            let key = pointer_key(group);
            let Some(object) = self.store.get(&key)? else {
                return Ok(None);
            };
            let pointer = Pointer::parse(&object.bytes, &self.store.url_of(&key))?;
            match group.address_of_target(Path::new(&pointer.run)) {
                Some(address) => Ok(Some(address)),
                None => Err(Error::InvalidRecord {
                    kind: RecordKind::Latest,
                    path: PathBuf::from(self.store.url_of(&key)),
                    message: format!("`{}` names no run of the stage", pointer.run),
                }),
            }
        }

        /// `run`, as a listing found it: living in this home, its status
        /// record as read with its manifest.
        pub(crate) fn attach_listed(&self, run: Run, status: Result<Option<Vec<u8>>>) -> Run {
            let home = self.run_home(run.address());
            *home
                .listed_status
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(status);
            run.at_home(home)
        }

        /// The status records of the runs at `addresses`, read 16 at a
        /// time.
        pub(crate) fn statuses(
            &self,
            addresses: &[Address],
        ) -> Result<Vec<Result<Option<Vec<u8>>>>> {
            self.stored_of_each(addresses, STATUS)
        }

        /// The record (or link) at `relative` of each run at `addresses`,
        /// as stored, read 16 at a time.
        pub(crate) fn stored_of_each(
            &self,
            addresses: &[Address],
            relative: &str,
        ) -> Result<Vec<Result<Option<Vec<u8>>>>> {
            let keys: Vec<String> = addresses
                .iter()
                .map(|address| join(&self.run_key(address), relative))
                .collect();
            self.store.get_many(&keys)
        }

        /// Every object below the run at `address`: its key below the
        /// run, and its size. One listing per 1,000 keys.
        pub(crate) fn objects(&self, address: &Address) -> Result<Vec<(String, u64)>> {
            self.objects_below(&self.run_key(address))
        }

        /// Every object below the folder at `key` (below the root): its
        /// key below that folder, and its size.
        pub(crate) fn objects_below(&self, key: &str) -> Result<Vec<(String, u64)>> {
            Ok(self
                .store
                .list(key)?
                .into_iter()
                .filter_map(|listed| {
                    let below = listed.key.strip_prefix(key)?.strip_prefix('/')?;
                    Some((below.to_owned(), listed.size))
                })
                .collect())
        }

        /// The record at `relative` below the run at `address`, as stored
        /// (never more than a record holds).
        pub(crate) fn stored(&self, address: &Address, relative: &str) -> Result<Option<Vec<u8>>> {
            self.stored_at(&join(&self.run_key(address), relative))
        }

        /// Deletes the object at `key` (below the root); one that is not
        /// there is no error.
        pub(crate) fn delete_at(&self, key: &str) -> Result<()> {
            self.store.delete(key)
        }

        /// The record at `key` (below the root), as stored.
        pub(crate) fn stored_at(&self, key: &str) -> Result<Option<Vec<u8>>> {
            Ok(self.store.get(key)?.map(|object| object.bytes))
        }

        /// `run`, living in this home.
        pub(crate) fn attach(&self, run: Run) -> Run {
            let home = self.run_home(run.address());
            run.at_home(home)
        }

        /// Where the run at `address` lives in this home.
        fn run_home(&self, address: &Address) -> RunHome {
            let key = self.run_key(address);
            RunHome {
                store: self.store.clone(),
                url: self.store.url_of(&key),
                key,
                dir: address.folder(&self.cache),
                listed_status: std::sync::Mutex::new(None),
            }
        }

        /// The URL of the run at `address`.
        pub(crate) fn run_url(&self, address: &Address) -> String {
            self.store.url_of(&self.run_key(address))
        }

        /// The root's URL.
        pub(crate) fn root_url(&self) -> String {
            self.store.url().to_owned()
        }

        fn run_key(&self, address: &Address) -> String {
            key_of(&address.folder(Path::new("")))
        }

        /// Moves the `latest` object of the run's stage to the run at
        /// `address`, made at `created`, unless it names a run made later:
        /// read, compare, replace only if unchanged since the read; a lost
        /// race is read again (and counted in [`LOST_RACES`]).
        fn move_latest(&self, address: &Address, created: Option<String>) -> Result<()> {
            let key = pointer_key(address.group());
            let target = key_of(&address.pointer_target());
            let mine = created.as_deref().and_then(time::parse);
            let body = Pointer {
                run: target.clone(),
                created,
            }
            .to_bytes();
            for _ in 0..MAX_MOVES {
                let written = match self.store.get(&key)? {
                    None => self.store.create(&key, body.clone())?,
                    Some(current) => {
                        let pointer = Pointer::parse(&current.bytes, &self.store.url_of(&key));
                        if let Ok(pointer) = &pointer
                            && (pointer.run == target || is_newer(pointer, mine))
                        {
                            return Ok(());
                        }
                        self.store.replace(&key, body.clone(), current.version)?
                    }
                };
                if written {
                    return Ok(());
                }
                LOST_RACES.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        }
    }

    /// The records and link a working copy is brought, besides the
    /// manifest.
    const RECORDS: [&str; 5] = [STATUS, SUMMARY, RESTARTS, LAYOUT_RECORD, ANCESTOR];

    /// The working copy's own record at `path` (`None` if there is none),
    /// read as any record of a run folder is: never blocking on a FIFO,
    /// never more than a record holds.
    fn read_record(path: &Path) -> Result<Option<Vec<u8>>> {
        crate::record::json::read_as(path, |bytes| Ok(bytes.to_vec()))
    }

    /// The manifest `local` offers the home: the one its use claim holds
    /// (this call made or opened it; another rank of the node may have put
    /// the home's at its path since), else the one at `path`.
    fn offered_manifest(local: &Run, path: &Path) -> Result<Option<Vec<u8>>> {
        use std::io::{Read as _, Seek as _};
        let Some(held) = local.claimed_manifest() else {
            return read_record(path);
        };
        let mut bytes = Vec::new();
        let limit = crate::io::store::RECORD_MAX;
        let read = held.try_clone().and_then(|mut file| {
            file.rewind()?;
            file.take(limit + 1).read_to_end(&mut bytes)
        });
        read.at(Operation::ReadFile, path)?;
        if bytes.len() as u64 > limit {
            return Err(Error::FileTooLarge {
                path: path.to_path_buf(),
                limit,
            });
        }
        Ok(Some(bytes))
    }

    /// Takes the working copy `dir`'s turn: an exclusive lock on the folder
    /// itself, so that ranks of one node bring the home's run into it one
    /// at a time, and no file is made in it before its manifest (a folder
    /// with files and no manifest reads as a run kept without one).
    fn lock_folder(dir: &Path) -> Result<std::fs::File> {
        let folder = std::fs::File::open(dir).at(Operation::Lock, dir)?;
        match folder.lock() {
            Ok(()) => Ok(folder),
            // A file system without locks: the turns go unlocked, as the
            // updates of records do there.
            Err(e) if crate::io::claim::unsupported(&e) => Ok(folder),
            Err(e) => Err(e).at(Operation::Lock, dir),
        }
    }

    /// Refuses the working copy `dir`, of another run than its home's of
    /// that id, if it holds files besides runlayout's own: they are that
    /// run's, and neither belong in the home's run nor may be removed.
    fn refuse_foreign_files(dir: &Path, url: &str) -> Result<()> {
        let own = |name: &str| {
            is_own(name)
                || RECORDS.contains(&name)
                || crate::io::temporary::is_temporary(std::ffi::OsStr::new(name))
        };
        for entry in std::fs::read_dir(dir).at(Operation::ReadDir, dir)? {
            let entry = entry.at(Operation::ReadDir, dir)?;
            let name = entry.file_name();
            if !name.to_str().is_some_and(own) {
                return Err(Error::UnsupportedRoot {
                    root: url.to_owned(),
                    reason: format!(
                        "its working copy `{}` holds `{}` of another run of that id \
                         (its run.json is not the home's): move the folder away",
                        dir.display(),
                        name.to_string_lossy()
                    ),
                });
            }
        }
        Ok(())
    }

    /// `name` below the key `at`.
    fn join(at: &str, name: &str) -> String {
        if at.is_empty() {
            name.to_owned()
        } else {
            format!("{at}/{name}")
        }
    }

    /// A run folder a listing of a home found: below `debug/` or not, the
    /// folder names below that, its manifest's bytes and their URL.
    pub(crate) struct HomeRun {
        pub(crate) debug: bool,
        pub(crate) parts: Vec<String>,
        /// Its manifest's bytes, or why they were not read.
        pub(crate) manifest: Result<Vec<u8>>,
        pub(crate) url: String,
    }

    /// Whether the run `pointer` names was made after `created` (a run of
    /// unknown time is older than any other).
    fn is_newer(pointer: &Pointer, created: Option<SystemTime>) -> bool {
        let theirs = pointer.created.as_deref().and_then(time::parse);
        match (theirs, created) {
            (Some(theirs), Some(mine)) => theirs > mine,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    /// What a `latest` object holds: the run it names (relative to the
    /// stage, as a `latest` link's target) and when that run was made.
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Pointer {
        run: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        created: Option<String>,
    }

    impl Pointer {
        fn parse(bytes: &[u8], url: &str) -> Result<Pointer> {
            serde_json::from_slice(bytes).map_err(|e| Error::InvalidRecord {
                kind: RecordKind::Latest,
                path: PathBuf::from(url),
                message: e.to_string(),
            })
        }

        fn to_bytes(&self) -> Vec<u8> {
            serde_json::to_vec(self).unwrap_or_default()
        }
    }

    /// When the manifest `text` says its run was made, as it says it.
    fn created_text(text: &[u8]) -> Option<String> {
        let value: serde_json::Value = serde_json::from_slice(text).ok()?;
        Some(value.get("created")?.as_str()?.to_owned())
    }

    /// The key of the `latest` object of `group`.
    fn pointer_key(group: Group<'_>) -> String {
        key_of(&group.pointer(Path::new("")))
    }

    /// A relative path as a key: its parts joined by `/`.
    fn key_of(path: &Path) -> String {
        path.components()
            .filter_map(|part| match part {
                Component::Normal(part) => part.to_str(),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Where working copies go unless the builder says: `RUNLAYOUT_CACHE`,
    /// else the platform's cache folder (`$XDG_CACHE_HOME`, `~/.cache`,
    /// `~/Library/Caches` on macOS) under `runlayout`.
    fn default_cache(url: &str) -> Result<PathBuf> {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        if let Some(cache) = var("RUNLAYOUT_CACHE") {
            return Ok(PathBuf::from(cache));
        }
        let platform = if cfg!(target_os = "macos") {
            var("HOME").map(|home| PathBuf::from(home).join("Library/Caches"))
        } else {
            var("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".cache")))
        };
        platform
            .map(|cache| cache.join("runlayout"))
            .ok_or_else(|| Error::UnsupportedRoot {
                root: url.to_owned(),
                reason: "no folder for its working copies: set RUNLAYOUT_CACHE \
                         or RunBuilder::cache_dir"
                    .to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use crate::error::Error;
    use crate::run::Run;

    #[cfg(feature = "object-store")]
    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    #[cfg(feature = "object-store")]
    #[test]
    fn creating_a_run_in_a_home_makes_three_requests() -> TestResult {
        let cache = tempfile::tempdir()?;
        let home = "memory://home-requests/runs";
        let builder = Run::builder(home).cache_dir(cache.path()).stage("s");
        for _ in 0..3 {
            // The manifest put if absent, the latest read, its replace.
            let run = builder.clone().create()?;
            let requests = run.home().map(|home| home.store.requests());
            assert_eq!(requests, Some(3));
        }
        // Opening the latest: the pointer, the manifest and the five
        // records and links, one read each.
        let reader = tempfile::tempdir()?;
        let run = builder.cache_dir(reader.path()).open_latest()?;
        let requests = || run.home().map_or(0, |home| home.store.requests());
        assert_eq!(requests(), 7);
        // An atomic write: one put. A family's last member: one listing.
        // The status: one read.
        crate::FilePath::new(run.path().join("ckpt/1.bin")).write_atomic(b"1")?;
        assert_eq!(requests(), 8);
        static CKPTS: crate::FamilyTemplate = crate::FamilyTemplate::new("ckpt/{n:u32}.bin");
        let family: crate::Family<u32, crate::FilePath> = crate::Family::new(run.path(), &CKPTS);
        assert_eq!(family.last()?.map(|(n, _)| n), Some(1));
        assert_eq!(requests(), 9);
        run.status()?;
        assert_eq!(requests(), 10);
        Ok(())
    }

    #[cfg(feature = "object-store")]
    #[test]
    fn ranks_meeting_in_a_run_make_the_requests_the_guide_lists() -> TestResult {
        let nodes = tempfile::tempdir()?;
        let rank = |node: &str| {
            Run::builder("memory://home-ranks/runs")
                .cache_dir(nodes.path().join(node))
                .run_id("job")
                .create_or_open()
        };
        let requests = |run: &Run| run.home().map_or(0, |home| home.store.requests());
        let first = rank("a")?;
        assert!(first.is_new());
        assert_eq!(requests(&first), 3, "as create()");
        // A rank of the same node, after the first: the working copy's
        // state says the home holds its manifest.
        assert_eq!(requests(&rank("a")?), 0);
        // On another node: the put that fails, the manifest, the five
        // records and link its working copy lacks, latest.
        let other = rank("b")?;
        assert!(!other.is_new());
        assert_eq!(requests(&other), 8);
        Ok(())
    }

    #[cfg(feature = "object-store")]
    #[test]
    fn fetching_a_folder_never_writes_outside_the_working_copy() -> TestResult {
        let cache = tempfile::tempdir()?;
        let home = "memory://home-hostile-keys/runs";
        let run = Run::builder(home)
            .cache_dir(cache.path().join("node"))
            .run_id("r")
            .create()?;
        let store = &run.home().ok_or("a home")?.store;
        store.put("r/checkpoints/1.ckpt", b"ok".to_vec())?;
        // Keys another writer made, which name no path below the folder.
        for hostile in ["r/checkpoints/../../escape", "r/checkpoints/./../run.json"] {
            store.put(hostile, b"hostile".to_vec())?;
        }
        run.fetch("checkpoints")?;
        assert_eq!(std::fs::read(run.path().join("checkpoints/1.ckpt"))?, b"ok");
        assert!(!cache.path().join("escape").exists());
        assert!(!cache.path().join("node/escape").exists());
        assert_ne!(std::fs::read(run.path().join("run.json"))?, b"hostile");
        Ok(())
    }

    #[cfg(not(feature = "object-store"))]
    #[test]
    fn a_url_root_needs_the_feature_and_makes_nothing() {
        let err = Run::builder("s3://bucket/runs").create().unwrap_err();
        assert!(matches!(err, Error::UnsupportedRoot { .. }), "{err:?}");
        assert!(err.to_string().contains("object-store"), "{err}");
        assert!(!std::path::Path::new("s3:").exists());
    }

    #[cfg(feature = "object-store")]
    #[test]
    fn a_url_root_needs_the_feature_and_makes_nothing() {
        let err = Run::builder("nope://bucket/runs").create().unwrap_err();
        assert!(matches!(err, Error::UnsupportedRoot { .. }), "{err:?}");
        assert!(!std::path::Path::new("nope:").exists());
    }
}
