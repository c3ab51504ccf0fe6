//! What listings of a home read: the runs' manifests, their records and
//! links, the objects below a run.

use std::path::Path;

use super::bulk::Bulk;
use super::remembered::Remembered;
use super::*;
use crate::error::Result;
use crate::io::pointer::LinkStyle;
use crate::record::manifest::MANIFEST;
use crate::record::status::STATUS;
use crate::run::Run;
use crate::run::address::{Address, Group};
use crate::run::id::RunId;
use runlayout_grammar::names::{self, DEBUG_DIR};

/// An object below a folder of a home: its key below the folder, its
/// size, and its location as the store spelled it (what deletes it).
pub(crate) struct HomeObject {
    pub(crate) relative: String,
    pub(crate) size: u64,
    location: crate::io::store::Key,
}

/// A run folder a listing of a home found: below `debug/` or not, the
/// folder names below that, its manifest's bytes and their URL.
pub(crate) struct HomeRun {
    pub(crate) debug: bool,
    pub(crate) parts: Vec<String>,
    /// Its manifest's bytes, or why they were not read.
    pub(crate) manifest: Result<Vec<u8>>,
    pub(crate) url: String,
    /// A tombstone stands at its `run.json` (in `manifest`): the run is
    /// being removed, and is no run any more.
    pub(crate) removing: bool,
}

impl Home {
    /// The manifests of the runs in the home, as a scan of a root on
    /// disk finds runs: one or two folders below the root (`plain`)
    /// and below its `debug/` folder (`debug`), each with the folder
    /// names that lead to it and whether it is below `debug/`. One
    /// listing per folder of the first level by `/`, then each such folder
    /// listed whole into `bulk` (see [`Bulk`]); one read per run whose
    /// manifest `bulk` does not know, 32 at a time.
    pub(crate) fn manifests(
        &self,
        plain: bool,
        debug: bool,
        bulk: &mut Bulk,
    ) -> Result<Vec<HomeRun>> {
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
        let mut folders: Vec<(String, usize)> = Vec::new();
        for (is_debug, parts) in &candidates {
            let base = if *is_debug { DEBUG_DIR } else { "" };
            let folder = join(base, &parts[0]);
            match folders.last_mut() {
                Some((last, runs)) if *last == folder => *runs += 1,
                _ => folders.push((folder, 1)),
            }
        }
        bulk.list(&self.store, &folders)?;
        let keys: Vec<String> = candidates
            .iter()
            .map(|(is_debug, parts)| {
                let base = if *is_debug { DEBUG_DIR } else { "" };
                join(&join(base, &parts.join("/")), MANIFEST)
            })
            .collect();
        let objects = bulk.read(&self.store, &keys)?;
        Ok(candidates
            .into_iter()
            .zip(objects)
            .zip(keys)
            .filter_map(|(((debug, parts), manifest), key)| {
                let manifest = manifest.transpose()?;
                // A run being removed is no run any more.
                let removing = manifest
                    .as_ref()
                    .is_ok_and(|bytes| super::is_tombstone(bytes));
                Some(HomeRun {
                    debug,
                    parts,
                    manifest,
                    url: self.store.url_of(&key),
                    removing,
                })
            })
            .collect())
    }

    /// The runs of `group` in the home, each living in this home with its
    /// manifest's bytes and its status record read with them: one listing
    /// of the group's folder, then two reads per run, 32 at a time. Runs
    /// being removed, and folders without a manifest, are left out.
    pub(crate) fn runs_of(&self, group: Group<'_>) -> Result<Vec<(Run, Vec<u8>)>> {
        let folder = key_of(&group.folder(Path::new("")));
        let addresses: Vec<Address> = self
            .store
            .folders(&folder)?
            .into_iter()
            .filter(|id| names::check(id).is_ok())
            .map(|id| group.address(RunId::from_valid(id)))
            .collect();
        let keys: Vec<String> = addresses
            .iter()
            .map(|address| join(&self.run_key(address), MANIFEST))
            .collect();
        let manifests = self.store.get_many(&keys)?;
        let statuses = self.statuses(&addresses)?;
        let mut runs = Vec::new();
        for ((address, manifest), status) in addresses.into_iter().zip(manifests).zip(statuses) {
            let Ok(Some(manifest)) = manifest else {
                continue;
            };
            if super::is_tombstone(&manifest) {
                continue;
            }
            let run = Run::new(self.cache.clone(), address, LinkStyle::default(), false);
            runs.push((self.attach_listed(run, status), manifest));
        }
        Ok(runs)
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

    /// The status records of the runs at `addresses`, read 32 at a
    /// time.
    pub(crate) fn statuses(&self, addresses: &[Address]) -> Result<Vec<Result<Option<Vec<u8>>>>> {
        self.stored_of_each(addresses, STATUS, &mut Bulk::default())
    }

    /// The record (or link) at `relative` of each run at `addresses`,
    /// as stored, read 32 at a time, those `bulk` knows not read.
    pub(crate) fn stored_of_each(
        &self,
        addresses: &[Address],
        relative: &str,
        bulk: &mut Bulk,
    ) -> Result<Vec<Result<Option<Vec<u8>>>>> {
        let keys: Vec<String> = addresses
            .iter()
            .map(|address| join(&self.run_key(address), relative))
            .collect();
        bulk.read(&self.store, &keys)
    }

    /// A reading of many runs' records that remembers them in the cache
    /// folder of working copies, for the next (see [`Remembered`]).
    pub(crate) fn remembering(&self) -> Bulk {
        let url = self.root_url();
        match default_cache(&url) {
            Ok(cache) => Bulk::remembering(Remembered::load(&cache, &url)),
            Err(_) => Bulk::default(),
        }
    }

    /// The run's own objects below the run at `address` (those of another
    /// run below it left out): each key below the run, size and location.
    /// One listing per 1,000 keys.
    pub(crate) fn objects(&self, address: &Address) -> Result<Vec<HomeObject>> {
        let mut listed = self.objects_below(&self.run_key(address))?;
        // A folder right below the run, named as a stage is, that holds a
        // manifest is another run (a run-first run below a stageless one
        // of the same name): its objects are its own. A `run.json` deeper
        // down is one of the run's own files.
        let nested: Vec<String> = listed
            .iter()
            .filter_map(|o| o.relative.strip_suffix(MANIFEST)?.strip_suffix('/'))
            .filter(|folder| names::check(folder).is_ok())
            .map(|folder| format!("{folder}/"))
            .collect();
        listed.retain(|o| !nested.iter().any(|n| o.relative.starts_with(n.as_str())));
        Ok(listed)
    }

    /// Every object below the folder at `key` (below the root): its
    /// key below that folder, its size and its location.
    pub(crate) fn objects_below(&self, key: &str) -> Result<Vec<HomeObject>> {
        Ok(self
            .store
            .list(key)?
            .into_iter()
            .filter_map(|listed| {
                let below = listed.key.strip_prefix(key)?.strip_prefix('/')?;
                Some(HomeObject {
                    relative: below.to_owned(),
                    size: listed.size,
                    location: listed.location,
                })
            })
            .collect())
    }

    /// Deletes the object a listing found.
    pub(crate) fn delete_object(&self, object: &HomeObject) -> Result<()> {
        self.store.delete_listed(&object.location)
    }

    /// The record at `relative` below the run at `address`, as stored
    /// (never more than a record holds).
    pub(crate) fn stored(&self, address: &Address, relative: &str) -> Result<Option<Vec<u8>>> {
        self.stored_at(&join(&self.run_key(address), relative))
    }

    /// The record at `key` (below the root), as stored.
    pub(crate) fn stored_at(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.store.get(key)?.map(|object| object.bytes))
    }
}

/// The keys of the runs whose `ancestor` in `store` leads to the run
/// folder `key`, found by the back-links in its `descendants/`: a
/// back-link counts only while its run is there (its manifest, or the
/// tombstone of a removal not yet done) and that run's `ancestor` leads
/// back. One listing, then three reads
/// per back-link. Keys are folded as paths from the root (a `..` never
/// climbs above it).
pub(crate) fn descendant_keys(store: &crate::io::store::Store, key: &str) -> Result<Vec<String>> {
    use crate::io::pointer::parse_pointer;
    use crate::io::relpath::normalize;
    use runlayout_grammar::names::{ANCESTOR, DESCENDANTS};
    let at = |key: &str| Path::new("/").join(key);
    let me = at(key);
    let below = join(key, DESCENDANTS);
    let mut found = Vec::new();
    for listed in store.list(&below)? {
        let Some(back) = store.get(&listed.key)? else {
            continue;
        };
        let Some(target) = parse_pointer(&back.bytes) else {
            continue;
        };
        let child = normalize(&at(&below).join(target));
        let Some(child) = child.strip_prefix("/").ok().and_then(Path::to_str) else {
            continue;
        };
        if child.is_empty() {
            continue;
        }
        // A run being removed (a tombstone in place of its manifest)
        // still counts: its removal may yet be undone, and it must then
        // find its ancestor there.
        if store.get(&join(child, MANIFEST))?.is_none() {
            continue;
        }
        let Some(link) = store.get(&join(child, ANCESTOR))? else {
            continue;
        };
        let leads_back =
            parse_pointer(&link.bytes).is_some_and(|back| normalize(&at(child).join(back)) == me);
        if leads_back {
            found.push(child.to_owned());
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}
