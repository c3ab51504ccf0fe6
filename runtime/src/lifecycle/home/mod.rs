//! Runs whose home is object storage (the `object-store` feature): a root
//! given as a URL. The run is made as an ordinary run folder in a local
//! cache (its working copy, `cache/[debug/]<stage>/<id>`), then claimed in
//! the home by putting its manifest only if no object is at that key: two
//! creators never share a run. The stage's `latest` is a small object in
//! the home, moved forward by conditional replaces and never back.
//! Opening a run fetches its manifest into a working copy.
//!
//! Without the feature a URL root is refused with an error saying so.
//!
//! Its files: `mod.rs` the home, its runs' keys and URLs and the working
//! copies' folder (and, without the feature, the home that cannot be);
//! `claim.rs` claiming a working copy's run (claim, join, discard);
//! `fetch.rs` bringing a run into a working copy; `latest.rs` the `latest`
//! object; `listing.rs` what listings and mirrors read, `bulk.rs` reading
//! every run's records at once, `remembered.rs` those records kept in the
//! cache folder for the next such reading; `attacks.rs` and
//! `attacks2.rs` the attacks on all of it, as tests (racing ranks and
//! nodes, killed creators, hostile objects).

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

#[cfg(all(test, feature = "object-store"))]
mod attacks;
#[cfg(all(test, feature = "object-store"))]
mod attacks2;
#[cfg(all(test, feature = "object-store"))]
mod attacks_index;
#[cfg(feature = "object-store")]
mod bulk;
#[cfg(feature = "object-store")]
mod claim;
#[cfg(feature = "object-store")]
mod fetch;
#[cfg(feature = "object-store")]
mod latest;
#[cfg(feature = "object-store")]
mod listing;
#[cfg(feature = "object-store")]
mod remembered;
#[cfg(feature = "object-store")]
mod removal;
#[cfg(feature = "object-store")]
pub(crate) use bulk::Bulk;
#[cfg(feature = "object-store")]
pub(crate) use listing::{HomeObject, descendant_keys};
#[cfg(feature = "object-store")]
pub(crate) use removal::{is_left_behind, is_tombstone};

#[cfg(feature = "object-store")]
use with_store::*;

/// What every file of a home's code uses: the home, its runs' keys and
/// URLs, the working copies' folder.
#[cfg(feature = "object-store")]
mod with_store {
    use std::path::{Component, Path, PathBuf};

    use crate::error::{Error, Result};
    use crate::io::store::Store;
    use crate::io::url_root::url_of_root;
    use crate::run::address::Address;
    use crate::run::{Run, RunHome};

    /// A root in object storage, and the local folder its working copies
    /// are kept in.
    pub(crate) struct Home {
        pub(super) store: Store,
        pub(super) cache: PathBuf,
    }

    /// `name` below the key `at`.
    pub(super) fn join(at: &str, name: &str) -> String {
        if at.is_empty() {
            name.to_owned()
        } else {
            format!("{at}/{name}")
        }
    }

    /// A relative path as a key: its parts joined by `/`.
    pub(super) fn key_of(path: &Path) -> String {
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
    pub(super) fn default_cache(url: &str) -> Result<PathBuf> {
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

        /// `run`, living in this home.
        pub(crate) fn attach(&self, run: Run) -> Run {
            let home = self.run_home(run.address());
            run.at_home(home)
        }

        /// Where the run at `address` lives in this home.
        pub(super) fn run_home(&self, address: &Address) -> RunHome {
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

        pub(super) fn run_key(&self, address: &Address) -> String {
            key_of(&address.folder(Path::new("")))
        }
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
        // A heartbeat: its status put only.
        run.heartbeat(std::time::Duration::from_secs(30))?;
        assert_eq!(requests(), 11);
        // An end: its status put, then the manifest's tag read and the
        // stage's index read and created.
        run.finish()?;
        assert_eq!(requests(), 15);
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
