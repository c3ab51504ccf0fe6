//! What the records of a home held when this machine last read them all
//! (the `runlayout` command's listings of a bucket), each with its entity
//! tag, kept in a file of the local cache folder: reading every run again
//! then reads only the records a listing shows changed (see
//! [`Bulk`](super::bulk::Bulk)).
//!
//! A remembered record is used only when a listing made now gives its
//! object the same entity tag, and a store gives an object a new tag
//! whenever its content changes: what is used is what a read would give.
//! The file is a cache and nothing more. One that cannot be read, is too
//! large, or was kept for another root is passed over; one that cannot be
//! written is not kept. Neither is ever an error.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::Operation;
use crate::io::owned_file;
use crate::record::stage_index::TaggedText;

/// The folder below the cache folder the files are kept in (a name no
/// stage can have: stage names begin with a letter or a digit).
const FOLDER: &str = ".records";

/// The largest file kept or read: the records of some 50,000 runs.
const FILE_MAX: u64 = 64 << 20;

/// A record read, with the entity tag it was read with.
pub(crate) type TaggedRecord = (String, Vec<u8>);

/// The records this machine read of one home, by key below the root.
#[derive(Default)]
pub(crate) struct Remembered {
    /// The file they are kept in; `None`: nothing is kept.
    file: Option<PathBuf>,
    url: String,
    records: HashMap<String, TaggedRecord>,
}

/// The file's content.
#[derive(Serialize, Deserialize)]
struct Kept {
    url: String,
    /// Which store answered: a `memory://` store lives as long as its
    /// process, and a new one gives its first tags again.
    instance: String,
    records: Vec<TaggedText>,
}

impl Remembered {
    /// What is kept in the cache folder `cache` for the home at `url`
    /// (nothing if no file is kept there, or one that is no use).
    pub(crate) fn load(cache: &Path, url: &str) -> Remembered {
        let file = cache.join(FOLDER).join(file_name(url));
        let kept = match owned_file::read(&file, FILE_MAX) {
            Ok(owned_file::Read::Bytes(bytes)) => serde_json::from_slice::<Kept>(&bytes).ok(),
            _ => None,
        };
        let records = kept
            .filter(|kept| kept.url == url && kept.instance == instance(url))
            .map(|kept| {
                kept.records
                    .into_iter()
                    .map(|r| (r.key, (r.e_tag, r.text.into_bytes())))
                    .collect()
            })
            .unwrap_or_default();
        Remembered {
            file: Some(file),
            url: url.to_owned(),
            records,
        }
    }

    /// The record at `key` if it was read with the entity tag `e_tag`.
    pub(crate) fn get(&self, key: &str, e_tag: &str) -> Option<&[u8]> {
        let (tag, bytes) = self.records.get(key)?;
        (tag == e_tag).then_some(bytes.as_slice())
    }

    /// Remembers `bytes` as the record at `key` with the entity tag
    /// `e_tag`, in place of what was remembered of it.
    pub(crate) fn insert(&mut self, key: String, e_tag: String, bytes: Vec<u8>) {
        self.records.insert(key, (e_tag, bytes));
    }

    /// Every record remembered, taken out.
    pub(crate) fn take(&mut self) -> HashMap<String, TaggedRecord> {
        std::mem::take(&mut self.records)
    }

    /// Keeps `records` in place of what was kept.
    pub(crate) fn keep(&self, records: &HashMap<String, TaggedRecord>) {
        let Some(file) = &self.file else {
            return;
        };
        let mut kept = Kept {
            url: self.url.clone(),
            instance: instance(&self.url),
            records: records
                .iter()
                .filter_map(|(key, (e_tag, bytes))| {
                    Some(TaggedText {
                        key: key.clone(),
                        e_tag: e_tag.clone(),
                        text: String::from_utf8(bytes.clone()).ok()?,
                    })
                })
                .collect(),
        };
        kept.records.sort_by(|a, b| a.key.cmp(&b.key));
        let Ok(text) = serde_json::to_vec(&kept) else {
            return;
        };
        if text.len() as u64 > FILE_MAX {
            return;
        }
        let Some(folder) = file.parent() else {
            return;
        };
        if std::fs::create_dir_all(folder).is_err() {
            return;
        }
        let _ = crate::io::temporary::replace(file, Operation::WriteFile, |tmp| {
            use std::io::Write as _;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            // Readable by its owner only: the manifests hold command lines.
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            options.open(tmp)?.write_all(&text)
        });
    }
}

/// The file's name for the home at `url`: the URL with every character
/// but letters, digits, `.`, `_` and `-` made `_`. Two URLs that come to
/// one name share a file, and each passes over what the other kept.
fn file_name(url: &str) -> String {
    let mut name: String = url
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '_' | '-' => c,
            _ => '_',
        })
        .take(200)
        .collect();
    name.push_str(".json");
    name
}

/// Which store answers for `url`: a `memory://` store is this process's
/// own (told by a name drawn once per process), any other is the same
/// for every process.
fn instance(url: &str) -> String {
    static PROCESS: OnceLock<String> = OnceLock::new();
    if !url.starts_with("memory://") {
        return String::new();
    }
    PROCESS
        .get_or_init(crate::io::temporary::fresh_name)
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_record_is_given_only_for_its_own_tag() {
        let cache = tempfile::tempdir().unwrap();
        let url = "s3://bucket/runs";
        let mut read = HashMap::new();
        read.insert(
            "a/b/run.json".to_owned(),
            ("\"1\"".to_owned(), b"{}".to_vec()),
        );
        read.insert("a/b/bin".to_owned(), ("\"2\"".to_owned(), vec![0xff, 0xfe]));
        Remembered::load(cache.path(), url).keep(&read);
        let again = Remembered::load(cache.path(), url);
        assert_eq!(again.get("a/b/run.json", "\"1\""), Some(&b"{}"[..]));
        assert_eq!(again.get("a/b/run.json", "\"3\""), None);
        // Not text: not kept.
        assert_eq!(again.get("a/b/bin", "\"2\""), None);
        // Another root that comes to the same file name is not given them.
        let other = Remembered::load(cache.path(), "s3://bucket_runs");
        assert_eq!(other.get("a/b/run.json", "\"1\""), None);
    }

    #[test]
    fn a_broken_or_hostile_file_is_passed_over() {
        let cache = tempfile::tempdir().unwrap();
        let url = "s3://bucket/runs";
        let file = cache.path().join(FOLDER).join(file_name(url));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, b"{\"url\": 3").unwrap();
        assert!(Remembered::load(cache.path(), url).records.is_empty());
        std::fs::remove_file(&file).unwrap();
        #[cfg(unix)]
        {
            // A FIFO where the file goes: no reader waits on it.
            let made = std::process::Command::new("mkfifo").arg(&file).status();
            if made.is_ok_and(|s| s.success()) {
                assert!(Remembered::load(cache.path(), url).records.is_empty());
                let mut read = HashMap::new();
                read.insert("k".to_owned(), ("t".to_owned(), b"x".to_vec()));
                // Kept by a rename over it: the FIFO is replaced.
                Remembered::load(cache.path(), url).keep(&read);
                assert_eq!(
                    Remembered::load(cache.path(), url).get("k", "t"),
                    Some(&b"x"[..])
                );
            }
        }
    }

    #[test]
    fn a_memory_stores_records_are_this_processs_own() {
        assert_eq!(instance("s3://b/r"), "");
        assert!(!instance("memory://b/r").is_empty());
        assert_eq!(instance("memory://b/r"), instance("memory://c"));
    }
}
