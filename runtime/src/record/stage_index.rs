//! The index of a stage's ended runs in object storage: each run's
//! records as stored, with the entity tag the store gave each, kept in [`SHARDS`] objects in the stage's folder
//! (`[debug/]<stage>/index+<h>`, `h` a hex digit of the run id's hash,
//! so that runs ending at once seldom change the same object).
//!
//! A run's end adds its records to its id's object (a read and a
//! conditional put, besides reading the records' tags): its manifest and
//! status, and its summary and `ancestor` link where it has them. A
//! listing of every run (`runlayout ls`, `Runs::scan` of a URL) then reads
//! a stage's index objects rather than those records run by run: a record the listing
//! gives the tag it was indexed with is the record indexed, byte for byte,
//! as a store gives an object a new tag whenever its content changes.
//!
//! The index is a cache the writers keep, nothing more. An entry whose
//! tag the listing does not give is passed over (the run was resumed,
//! beat, or removed since); an object that cannot be read or parsed is
//! passed over; an end that cannot add to it (a request fails, other ends
//! came first [`TRIES`] times) leaves it as it is. None of it is ever an
//! error, and removing the objects costs reads, nothing else. Only runs of
//! a stage nested stage first are indexed: the folder of a stageless or
//! run-first run holds one run's folders only.

use serde::{Deserialize, Serialize};

use crate::io::store::{RECORD_MAX, Store};
use crate::io::working_copy::RunHome;
use crate::run::Run;
use crate::run::nesting::Nesting;
use runlayout_grammar::hash::fnv1a;
use runlayout_grammar::names::{ANCESTOR, MANIFEST, SUMMARY};

/// How many objects a stage's index is kept in.
pub(crate) const SHARDS: u64 = 16;

/// How many times an end tries to add to the index before it leaves it.
const TRIES: usize = 8;

/// What an index object begins its name with (a run id or stage has no
/// `+`).
const PREFIX: &str = "index+";

/// A record, as stored, with its key below the root and the entity tag
/// it was stored or read with. (The format of the index objects' entries,
/// and of the records the `runlayout` command remembers.)
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct TaggedText {
    pub(crate) key: String,
    pub(crate) e_tag: String,
    /// A record that is not text is not kept (none of runlayout's is).
    pub(crate) text: String,
}

/// An index object's content.
#[derive(Default, Serialize, Deserialize)]
struct Shard {
    format: u32,
    /// Oldest first: past [`RECORD_MAX`] the oldest are let go.
    records: Vec<TaggedText>,
}

/// The name of the index object that holds the records of the run `id`.
pub(crate) fn shard_name(id: &str) -> String {
    format!("{PREFIX}{:x}", fnv1a(id.as_bytes()) % SHARDS)
}

/// The entries of an index object (none if it is not one).
pub(crate) fn entries(bytes: &[u8]) -> Vec<TaggedText> {
    parse(bytes).map(|shard| shard.records).unwrap_or_default()
}

/// An index object of this format, if `bytes` are one.
fn parse(bytes: &[u8]) -> Option<Shard> {
    serde_json::from_slice::<Shard>(bytes)
        .ok()
        .filter(|shard| shard.format == 1)
}

/// Adds what a listing reads of `run`, which just ended, to its stage's
/// index, if it is indexed: `status` (its status record as just stored),
/// and its manifest, and its summary and `ancestor` link if its working
/// copy has them, as the home holds them (one read each).
pub(crate) fn add_end(run: &Run, home: &RunHome, status: TaggedText) {
    if run.nesting() != Nesting::StageFirst || run.stage().is_none() {
        return;
    }
    let Some((folder, id)) = home.key.rsplit_once('/') else {
        return;
    };
    let mut names = vec![MANIFEST];
    for name in [SUMMARY, ANCESTOR] {
        if std::fs::symlink_metadata(run.path().join(name)).is_ok() {
            names.push(name);
        }
    }
    let keys: Vec<String> = names.iter().map(|name| home.key_of(name)).collect();
    let Ok(read) = home.store.get_many_tagged(&keys) else {
        return;
    };
    let mut records = vec![status];
    for (key, read) in keys.into_iter().zip(read) {
        if let Ok(Some((bytes, Some(e_tag)))) = read
            && let Ok(text) = String::from_utf8(bytes)
        {
            records.push(TaggedText { key, e_tag, text });
        }
    }
    add(&home.store, folder, id, &records);
}

/// Adds `records` (the records of the run `id`, keys below the root) to
/// the index of the stage folder `folder`, in place of what it held for
/// them; leaves the index as it is if that cannot be done.
pub(crate) fn add(store: &Store, folder: &str, id: &str, records: &[TaggedText]) {
    change(store, &format!("{folder}/{}", shard_name(id)), |held| {
        held.retain(|old| records.iter().all(|new| new.key != old.key));
        held.extend(records.iter().cloned());
        true
    });
}

/// Takes the records of the run folder `run_key` (`<folder>/<id>`, below
/// the root) out of its stage's index, as its removal ends: a removed
/// run's records (its command line, its host) are gone from the home.
pub(crate) fn forget(store: &Store, run_key: &str) {
    let Some((folder, id)) = run_key.rsplit_once('/') else {
        return;
    };
    let below = format!("{run_key}/");
    change(store, &format!("{folder}/{}", shard_name(id)), |held| {
        let before = held.len();
        held.retain(|entry| !entry.key.starts_with(&below));
        held.len() != before
    });
}

/// Changes the index object at `key` by `edit` (which says whether it
/// changed anything), put only if the object is still as read (or still
/// absent), else read and changed again, up to [`TRIES`] times. An object
/// there that is no index (a file another tool or a run of the stage's
/// name put there) is never replaced; nor is one that cannot be read.
fn change(store: &Store, key: &str, edit: impl Fn(&mut Vec<TaggedText>) -> bool) {
    for _ in 0..TRIES {
        let Ok(stored) = store.get(key) else {
            return;
        };
        let mut held = match &stored {
            Some(object) => match parse(&object.bytes) {
                Some(shard) => shard.records,
                None => return,
            },
            None => Vec::new(),
        };
        if !edit(&mut held) {
            return;
        }
        let Some(bytes) = within_bounds(held) else {
            return;
        };
        let put = match stored {
            Some(object) => store.replace(key, bytes, object.version),
            None => store.create(key, bytes),
        };
        match put {
            Ok(true) | Err(_) => return,
            Ok(false) => continue,
        }
    }
}

/// `records` as an index object no larger than [`RECORD_MAX`], the oldest
/// let go as needed.
fn within_bounds(mut records: Vec<TaggedText>) -> Option<Vec<u8>> {
    let size = |r: &TaggedText| serde_json::to_vec(r).map_or(0, |v| v.len() as u64 + 1);
    let mut total: u64 = 64 + records.iter().map(size).sum::<u64>();
    let mut first = 0;
    while total > RECORD_MAX && first < records.len() {
        total -= size(&records[first]);
        first += 1;
    }
    records.drain(..first);
    serde_json::to_vec(&Shard { format: 1, records }).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, text: &str) -> TaggedText {
        TaggedText {
            key: key.to_owned(),
            e_tag: "t".to_owned(),
            text: text.to_owned(),
        }
    }

    #[test]
    fn an_index_past_its_bound_lets_its_oldest_entries_go() {
        let big = "x".repeat(100_000);
        let records: Vec<TaggedText> = (0..12).map(|n| entry(&n.to_string(), &big)).collect();
        let bytes = within_bounds(records).unwrap();
        assert!(bytes.len() as u64 <= RECORD_MAX);
        let kept = entries(&bytes);
        assert_eq!(kept.len(), 10);
        assert_eq!(kept[0].key, "2", "the two oldest let go");
    }

    #[test]
    fn names_are_spread_over_the_shards_and_never_a_run_id() {
        let names: std::collections::HashSet<String> =
            (0..200).map(|n| shard_name(&format!("run-{n}"))).collect();
        assert_eq!(names.len() as u64, SHARDS);
        assert!(
            names
                .iter()
                .all(|name| runlayout_grammar::names::check(name).is_err())
        );
        assert!(entries(b"{\"format\": 1, \"records\": 3}").is_empty());
    }
}
