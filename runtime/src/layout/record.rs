//! `run.layout.json`: the layouts a program used on a run, so that tools
//! that never saw the program (`runlayout path`, `runlayout show`) know its
//! entries. Recorded by `Layout::create_all` on a run folder and by
//! `Layout::record`; each layout under its type's name, so a run used with
//! two layouts records both. Replaced atomically, keeping every field it
//! does not know, and only when it changes. Read back, it is checked by the
//! derive's rules before anything is made of its paths
//! ([`Run::layout_record`]).

use std::collections::BTreeMap;
use std::path::Path;

pub use runlayout_grammar::names::LAYOUT_RECORD;

use runlayout_grammar::names;
use runlayout_grammar::template::Template;

use crate::error::{RecordKind, Result};
use crate::layout::entry::{Entry, EntryKind};
use crate::record::json::{self, Extra, Record};
use crate::record::probe;
use crate::run::Run;

/// One entry of a recorded layout: its accessor's name, its path below the
/// run folder (placeholders included) and its kind. A nested layout's
/// entries are recorded flattened, `tracker.config` at `tracker/config.yaml`.
///
/// ```
/// use runlayout::{layout::EntryKind, record::RecordedEntry};
/// let entry = RecordedEntry::new("checkpoint", "checkpoints", EntryKind::Dir);
/// assert_eq!(entry.name, "checkpoint");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct RecordedEntry {
    /// The accessor's name; `outer.inner` for a nested layout's entry.
    pub name: String,
    /// The path below the run folder, `{placeholders}` included.
    pub path: String,
    /// Folder or file.
    pub kind: EntryKind,
}

impl RecordedEntry {
    /// An entry.
    ///
    /// ```
    /// use runlayout::{layout::EntryKind, record::RecordedEntry};
    /// let log = RecordedEntry::new("logfile", "log.txt", EntryKind::File);
    /// assert_eq!(log.path, "log.txt");
    /// ```
    pub fn new(name: impl Into<String>, path: impl Into<String>, kind: EntryKind) -> RecordedEntry {
        RecordedEntry {
            name: name.into(),
            path: path.into(),
            kind,
        }
    }
}

/// The layouts recorded in a run: [`Run::layout_record`].
///
/// ```
/// use runlayout::{Layout, Run, record::LayoutRecord};
/// # use runlayout::layout::Entry;
/// # struct Paths { run: Run }
/// # impl Layout for Paths {
/// #     const ENTRIES: &'static [Entry] = &[Entry::dir("checkpoint", "checkpoints")];
/// #     fn root(&self) -> &std::path::Path { self.run.path() }
/// # }
/// let root = tempfile::tempdir()?;
/// let paths = Paths { run: Run::builder(root.path()).create()? };
/// paths.create_all()?;
/// # #[cfg(feature = "manifest")] {
/// let record = paths.run.layout_record()?.expect("recorded by create_all");
/// assert_eq!(record.entry("checkpoint").unwrap().path, "checkpoints");
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct LayoutRecord {
    /// Each layout's entries, under the layout type's name.
    #[cfg_attr(feature = "serde", serde(default))]
    pub layouts: BTreeMap<String, Vec<RecordedEntry>>,
    #[cfg_attr(feature = "serde", serde(flatten))]
    extra: Extra,
}

impl Record for LayoutRecord {
    const KIND: RecordKind = RecordKind::Layout;
}

impl LayoutRecord {
    /// The entries named `name` in every recorded layout, with the layout's
    /// name; entries of one name and path in two layouts count once.
    ///
    /// ```
    /// let record = runlayout::record::LayoutRecord::default();
    /// assert!(record.find("logfile").is_empty());
    /// ```
    pub fn find(&self, name: &str) -> Vec<(&str, &RecordedEntry)> {
        let mut found: Vec<(&str, &RecordedEntry)> = Vec::new();
        for (layout, entries) in &self.layouts {
            for entry in entries.iter().filter(|e| e.name == name) {
                if !found.iter().any(|(_, e)| *e == entry) {
                    found.push((layout, entry));
                }
            }
        }
        found
    }

    /// The one entry named `name`, if exactly one is.
    ///
    /// ```
    /// let record = runlayout::record::LayoutRecord::default();
    /// assert!(record.entry("logfile").is_none());
    /// ```
    pub fn entry(&self, name: &str) -> Option<&RecordedEntry> {
        match self.find(name).as_slice() {
            [(_, entry)] => Some(entry),
            _ => None,
        }
    }

    /// `entry` of `layout` split where the nested layout it belongs to is
    /// mounted: the mount (`tracker/`, empty for an entry of the recorded
    /// layout itself) and the path inside the nested layout's root. That
    /// inner path is what the nested layout's accessor renders: its first
    /// component is checked as the first component of a root, so a value
    /// there may not be `run.json`, `ancestor` or another name kept in a
    /// run folder, exactly as the accessor refuses it.
    ///
    /// ```
    /// use runlayout::{layout::EntryKind, record::{LayoutRecord, RecordedEntry}};
    ///
    /// let mut record = LayoutRecord::default();
    /// record.layouts.insert(
    ///     "Paths".into(),
    ///     vec![
    ///         RecordedEntry::new("tracker", "tracker/", EntryKind::Dir),
    ///         RecordedEntry::new("tracker.cfg", "tracker/{name}.yaml", EntryKind::File),
    ///     ],
    /// );
    /// let (layout, cfg) = record.find("tracker.cfg")[0];
    /// assert_eq!(record.split_mount(layout, cfg), ("tracker/", "{name}.yaml"));
    /// let (layout, tracker) = record.find("tracker")[0];
    /// assert_eq!(record.split_mount(layout, tracker), ("", "tracker/"));
    /// ```
    pub fn split_mount<'a>(&self, layout: &str, entry: &'a RecordedEntry) -> (&'a str, &'a str) {
        let whole = ("", entry.path.as_str());
        let Some((outer, _)) = entry.name.rsplit_once('.') else {
            return whole;
        };
        let Some(mount) = self
            .layouts
            .get(layout)
            .and_then(|entries| entries.iter().find(|e| e.name == outer))
        else {
            return whole; // not as flattening records it: check it all
        };
        let mount = mount.path.trim_end_matches('/');
        match entry.path.strip_prefix(mount) {
            Some(inner) if inner.starts_with('/') && inner.len() > 1 => {
                entry.path.split_at(mount.len() + 1)
            }
            _ => whole,
        }
    }

    /// Every entry of every layout, once each, sorted by name.
    ///
    /// ```
    /// let record = runlayout::record::LayoutRecord::default();
    /// assert_eq!(record.entries().count(), 0);
    /// ```
    pub fn entries(&self) -> impl Iterator<Item = &RecordedEntry> {
        let mut all: Vec<&RecordedEntry> = self.layouts.values().flatten().collect();
        all.sort_by(|a, b| (&a.name, &a.path).cmp(&(&b.name, &b.path)));
        all.dedup();
        all.into_iter()
    }
}

impl Run {
    /// The layouts recorded in this run; `None` if none was.
    ///
    /// The record is checked as it is read, by the rules the derive applies
    /// to a layout's entries: every path relative, without `.`, `..` or an
    /// empty component, portable; no first component (of the run, or of a
    /// nested layout's root) that is a name runlayout keeps in a run folder
    /// (`run.json`, `run.status.json`, `run.layout.json`, `ancestor`,
    /// `descendants`); nested layouts mounted at fixed folders. So a record
    /// edited by hand can never lead `runlayout path` out of the run, or
    /// onto runlayout's own files.
    ///
    /// # Errors
    ///
    /// As [`Manifest::read`](crate::Manifest::read), for `run.layout.json`;
    /// [`Error::InvalidRecord`](crate::Error::InvalidRecord) naming it,
    /// the first entry that breaks a rule, its path and the rule.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
    /// assert!(run.layout_record()?.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn layout_record(&self) -> Result<Option<LayoutRecord>> {
        let path = self.path().join(LAYOUT_RECORD);
        let Some(record) = json::read::<LayoutRecord>(&path)? else {
            return Ok(None);
        };
        record
            .check()
            .map_err(|message| json::invalid::<LayoutRecord>(&path, message))?;
        Ok(Some(record))
    }
}

impl LayoutRecord {
    /// `Err` describing the first entry no layout could declare: the
    /// record was written by hand, or by something else than runlayout.
    fn check(&self) -> std::result::Result<(), String> {
        for (layout, entries) in &self.layouts {
            for entry in entries {
                self.check_entry(layout, entry).map_err(|problem| {
                    format!(
                        "entry `{}` of layout `{layout}` has the path `{}`, which no layout \
                         can declare: {problem}",
                        entry.name, entry.path
                    )
                })?;
            }
        }
        Ok(())
    }

    /// The derive's rules for one entry's path (`runlayout_grammar`'s, so
    /// both read a path alike): it parses as a template (relative, no `.`
    /// or `..`, no empty or non-portable component), its first component is
    /// none of the names kept in a run folder, nor is the first component
    /// inside the nested layout it belongs to (that layout's own root); a
    /// nested layout is mounted at a fixed folder; a file has no trailing
    /// `/`.
    fn check_entry(&self, layout: &str, entry: &RecordedEntry) -> std::result::Result<(), String> {
        let template = Template::parse(&entry.path).map_err(|mut problems| {
            // `a/../../b` breaks one rule twice: say it once.
            problems.dedup();
            problems.join("; ")
        })?;
        if entry.kind == EntryKind::File && template.trailing_slash {
            return Err("a file's path cannot end with `/`".to_owned());
        }
        let (mount, inner) = self.split_mount(layout, entry);
        for root_relative in [entry.path.as_str(), inner] {
            let first = root_relative.split('/').next().unwrap_or_default();
            if names::is_run_name(first) {
                return Err(format!("`{first}`: {}", names::NameRule::ReservedInRun));
            }
        }
        if self.is_mount(layout, entry) && !template.is_static() {
            return Err("a nested layout mounts at a fixed folder, without placeholders".into());
        }
        if mount.contains('{') {
            return Err(format!(
                "it is mounted at `{mount}`, which has placeholders; a nested layout \
                 mounts at a fixed folder"
            ));
        }
        Ok(())
    }

    /// Whether `entry` of `layout` is where a nested layout is mounted:
    /// entries named below it are recorded.
    fn is_mount(&self, layout: &str, entry: &RecordedEntry) -> bool {
        let below = format!("{}.", entry.name);
        self.layouts
            .get(layout)
            .is_some_and(|entries| entries.iter().any(|e| e.name.starts_with(&below)))
    }
}

/// Records the layout `name` with `entries` in the folder `root`, if it is
/// a run folder with a manifest.
pub(crate) fn record_if_run(root: &Path, name: &str, entries: &[Entry]) -> Result<()> {
    if probe::is_recorded_run(root) {
        record(root, name, entries)?;
    }
    Ok(())
}

/// Records the layout `name` with `entries` in the run folder `root`.
pub(crate) fn record(root: &Path, name: &str, entries: &[Entry]) -> Result<()> {
    let path = root.join(LAYOUT_RECORD);
    let mut record: LayoutRecord = json::read(&path)?.unwrap_or_default();
    let mut flat = Vec::new();
    flatten(entries, "", "", &mut flat);
    if record.layouts.get(name) == Some(&flat) {
        return Ok(()); // as recorded: nothing to write
    }
    record.layouts.insert(name.to_owned(), flat);
    json::write(&path, &record)
}

/// The entries with a nested layout's entries after it, named and placed
/// below it.
fn flatten(entries: &[Entry], name_prefix: &str, path_prefix: &str, out: &mut Vec<RecordedEntry>) {
    for entry in entries {
        let name = format!("{name_prefix}{}", entry.name());
        let path = format!("{path_prefix}{}", entry.path());
        out.push(RecordedEntry::new(name.clone(), path.clone(), entry.kind()));
        if !entry.children().is_empty() {
            let below = format!("{}/", path.trim_end_matches('/'));
            flatten(entry.children(), &format!("{name}."), &below, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_entries_are_flattened_below_their_mount() {
        const TRACKER: &[Entry] = &[
            Entry::file("config", "config.yaml"),
            Entry::dir("plots", "plots/"),
        ];
        let mut out = Vec::new();
        flatten(
            &[
                Entry::dir("checkpoint", "checkpoints"),
                Entry::nested("tracker", "basetracker/", TRACKER),
            ],
            "",
            "",
            &mut out,
        );
        let got: Vec<(&str, &str)> = out
            .iter()
            .map(|e| (e.name.as_str(), e.path.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("checkpoint", "checkpoints"),
                ("tracker", "basetracker/"),
                ("tracker.config", "basetracker/config.yaml"),
                ("tracker.plots", "basetracker/plots/"),
            ]
        );
    }

    /// A layout rooted at a folder path is recorded there only when the
    /// folder is a run: a `run.json` of another tool does not make it one.
    #[cfg(feature = "manifest")]
    #[test]
    fn a_layout_is_recorded_in_a_run_folder_only()
    -> std::result::Result<(), Box<dyn std::error::Error>> {
        use crate::layout::Layout;
        use std::path::PathBuf;

        struct Paths {
            root: PathBuf,
        }
        impl Layout for Paths {
            const ENTRIES: &'static [Entry] = &[Entry::dir("checkpoint", "checkpoints")];
            fn root(&self) -> &Path {
                &self.root
            }
        }
        let foreign = tempfile::tempdir()?;
        std::fs::write(foreign.path().join("run.json"), "{\"tool\": \"other\"}")?;
        Paths {
            root: foreign.path().into(),
        }
        .create_all()?;
        assert!(foreign.path().join("checkpoints").is_dir());
        assert!(!foreign.path().join(LAYOUT_RECORD).exists());

        let root = tempfile::tempdir()?;
        let run = crate::run::Run::builder(root.path()).create()?;
        Paths {
            root: run.path().into(),
        }
        .create_all()?;
        assert!(run.path().join(LAYOUT_RECORD).is_file());
        Ok(())
    }
}
