//! `run.summary.json`: what a run found and how people mark it: its
//! results (`summary`, a JSON object of the program's keys), its `tags`
//! and its `note`.
//!
//! `run.json` is written once, at creation; this record changes while the
//! run works and after (a tag added a week later). Every change is read,
//! change, write to a temporary name, rename, all under the run's record
//! lock (`run.lock`): readers find the old record or the new one, never
//! half of one, and two writers setting different keys at once both find
//! their key there afterwards. Fields this version does not know are kept.

use std::path::PathBuf;

pub use runlayout_grammar::names::SUMMARY;

use crate::error::{Error, NameKind, RecordKind, Result};
use crate::record::json::{self, Extra, Record};
use crate::run::Run;

/// A JSON object: the summary's keys and values.
type Object = serde_json::Map<String, serde_json::Value>;

/// `run.summary.json`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct SummaryRecord {
    #[serde(default)]
    summary: Object,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    #[serde(flatten)]
    extra: Extra,
}

impl Record for SummaryRecord {
    const KIND: RecordKind = RecordKind::Summary;
}

/// A run's results: the keys and values its program sets (final or best
/// metrics), kept in `run.summary.json` next to `run.json`; made by
/// [`Run::summary`]. `runlayout ls` shows, filters and sorts by them.
///
/// Each [`set`](Summary::set) is atomic and keeps every other key, also
/// those other processes set at the same time.
///
/// ```
/// # #[cfg(feature = "manifest")] {
/// use runlayout::Run;
/// use serde_json::json;
///
/// let root = tempfile::tempdir()?;
/// let run = Run::builder(root.path()).create()?;
/// let summary = run.summary();
/// summary.set("val_loss", 0.231)?;
/// summary.set("best_epoch", 17)?;
/// assert_eq!(summary.get("val_loss")?, Some(json!(0.231)));
/// assert_eq!(summary.read()?.len(), 2);
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Summary {
    run: Run,
}

impl Summary {
    /// Sets `key` to `value`, keeping every other key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRecord`](crate::Error::InvalidRecord) naming
    /// `run.summary.json` if `value` cannot be written as JSON (a map with
    /// keys that are not strings) or the record there is not one (it is
    /// then left as it is), [`Error::NotARegularFile`](crate::Error::NotARegularFile)
    /// naming `run.lock` or the record, [`Error::Io`](crate::Error::Io).
    ///
    /// ```
    /// # #[cfg(feature = "manifest")] {
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
    /// run.summary().set("accuracy", 0.91)?;
    /// run.summary().set("accuracy", 0.93)?;
    /// assert_eq!(run.summary().get("accuracy")?, Some(serde_json::json!(0.93)));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set(&self, key: &str, value: impl serde::Serialize) -> Result<()> {
        let path = record_path(&self.run);
        let value = serde_json::to_value(value)
            .map_err(|e| json::invalid::<SummaryRecord>(&path, format!("key {key:?}: {e}")))?;
        update(&self.run, |record| {
            record.summary.insert(key.to_owned(), value.clone());
        })
    }

    /// The value of `key`, if it is set.
    ///
    /// # Errors
    ///
    /// As [`read`](Summary::read).
    ///
    /// ```
    /// # #[cfg(feature = "manifest")] {
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
    /// assert_eq!(run.summary().get("val_loss")?, None);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, key: &str) -> Result<Option<serde_json::Value>> {
        Ok(self.read()?.remove(key))
    }

    /// Every key and value, as one read of the record finds them; empty
    /// when none was set.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRecord`](crate::Error::InvalidRecord) naming
    /// `run.summary.json` if it is not a summary record,
    /// [`Error::NotARegularFile`](crate::Error::NotARegularFile),
    /// [`Error::FileTooLarge`](crate::Error::FileTooLarge),
    /// [`Error::Io`](crate::Error::Io).
    ///
    /// ```
    /// # #[cfg(feature = "manifest")] {
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
    /// run.summary().set("steps", 1200)?;
    /// let all = run.summary().read()?;
    /// assert_eq!(all["steps"], 1200);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read(&self) -> Result<serde_json::Map<String, serde_json::Value>> {
        Ok(read(&self.run)?.map(|r| r.summary).unwrap_or_default())
    }
}

fn record_path(run: &Run) -> PathBuf {
    run.path().join(SUMMARY)
}

fn read(run: &Run) -> Result<Option<SummaryRecord>> {
    json::read(&record_path(run))
}

/// Changes the record by `change`, under the record lock: read, change,
/// replace atomically. For a run whose home is object storage, the home's
/// record is the one changed (see [`update_in_home`]).
fn update(run: &Run, change: impl Fn(&mut SummaryRecord)) -> Result<()> {
    let _lock = json::lock(run.path())?;
    #[cfg(feature = "object-store")]
    if let Some(home) = run.home() {
        return update_in_home(run, home, &change);
    }
    let mut record = read(run)?.unwrap_or_default();
    change(&mut record);
    json::write(&record_path(run), &record)
}

/// [`update`] of a run in object storage: the change is made to the
/// home's record by a conditional replace, read again and made again when
/// another node's change came first, so that two nodes tagging a run (or
/// setting keys) at once both find their change there. The working copy
/// then holds what the home holds, and a sync leaves it. (A home without
/// the record yet starts from the working copy's.)
#[cfg(feature = "object-store")]
fn update_in_home(
    run: &Run,
    home: &crate::io::working_copy::RunHome,
    change: &dyn Fn(&mut SummaryRecord),
) -> Result<()> {
    let path = record_path(run);
    let url = PathBuf::from(home.store.url_of(&home.key_of(SUMMARY)));
    let stored = home.change_record(SUMMARY, |bytes| {
        let mut record = match bytes {
            Some(bytes) => serde_json::from_slice(bytes)
                .map_err(|e| json::invalid::<SummaryRecord>(&url, e.to_string()))?,
            None => read(run)?.unwrap_or_default(),
        };
        change(&mut record);
        json::to_json(&url, &record)
    })?;
    json::write_text(&path, &stored)?;
    home.mark_stored(SUMMARY)
}

/// Checks a tag against the naming rules of a path component: tags are
/// typed on command lines (`runlayout tag RUN +baseline`) and shown in
/// tables, so they follow the rules of run ids and stages.
fn check_tag(tag: &str) -> Result<()> {
    runlayout_grammar::names::check_component(tag).map_err(|rule| Error::InvalidName {
        subject: NameKind::Tag,
        value: tag.to_owned(),
        rule,
    })
}

impl Run {
    /// The run's results: see [`Summary`].
    ///
    /// ```
    /// # #[cfg(feature = "manifest")] {
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
    /// run.summary().set("val_loss", 0.25)?;
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn summary(&self) -> Summary {
        Summary { run: self.clone() }
    }

    /// The run's tags, sorted, each once.
    ///
    /// # Errors
    ///
    /// As [`Summary::read`].
    ///
    /// ```
    /// # #[cfg(feature = "manifest")] {
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
    /// run.add_tag("paper-fig-3")?;
    /// run.add_tag("baseline")?;
    /// run.add_tag("baseline")?;
    /// assert_eq!(run.tags()?, ["baseline", "paper-fig-3"]);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tags(&self) -> Result<Vec<String>> {
        let mut tags = read(self)?.map(|r| r.tags).unwrap_or_default();
        // A record edited by hand may hold them in any order.
        tags.sort();
        tags.dedup();
        Ok(tags)
    }

    /// Adds the tag `tag` (nothing changes if the run has it already).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidName`](crate::Error::InvalidName) if `tag` breaks
    /// the naming rules of run ids (1 to 255 bytes of `A-Z a-z 0-9 . _ -`,
    /// a letter or digit first), before anything is written; those of
    /// [`Summary::set`].
    ///
    /// ```
    /// # #[cfg(feature = "manifest")] {
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
    /// run.add_tag("baseline")?;
    /// assert!(run.add_tag("two words").is_err());
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_tag(&self, tag: &str) -> Result<()> {
        check_tag(tag)?;
        update(self, |record| {
            if !record.tags.iter().any(|t| t == tag) {
                record.tags.push(tag.to_owned());
            }
            record.tags.sort();
            record.tags.dedup();
        })
    }

    /// Removes the tag `tag` (nothing changes if the run does not have it).
    ///
    /// # Errors
    ///
    /// As [`add_tag`](Run::add_tag).
    ///
    /// ```
    /// # #[cfg(feature = "manifest")] {
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
    /// run.add_tag("draft")?;
    /// run.remove_tag("draft")?;
    /// assert!(run.tags()?.is_empty());
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remove_tag(&self, tag: &str) -> Result<()> {
        check_tag(tag)?;
        update(self, |record| record.tags.retain(|t| t != tag))
    }

    /// The run's note, if one was set.
    ///
    /// # Errors
    ///
    /// As [`Summary::read`].
    ///
    /// ```
    /// # #[cfg(feature = "manifest")] {
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
    /// assert_eq!(run.note()?, None);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn note(&self) -> Result<Option<String>> {
        Ok(read(self)?.and_then(|r| r.note))
    }

    /// Replaces the run's note with `note` (any text; an empty one removes
    /// it).
    ///
    /// # Errors
    ///
    /// As [`Summary::set`].
    ///
    /// ```
    /// # #[cfg(feature = "manifest")] {
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
    /// run.set_note("lr warmup was off: do not compare with the sweep")?;
    /// assert!(run.note()?.unwrap().starts_with("lr warmup"));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_note(&self, note: &str) -> Result<()> {
        update(self, |record| {
            record.note = (!note.is_empty()).then(|| note.to_owned());
        })
    }
}
