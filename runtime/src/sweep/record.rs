//! A sweep's record folder, `<stage>/sweep+<sweep-id>/`: `sweep.json` (the
//! spec and its hash, written once), `cursor` (how many trial numbers have
//! been handed out fresh: its length in bytes) and `claims/` (one lock
//! file per trial, made on its first claim). The folder is built at a
//! temporary name and renamed into place, so it appears whole.

use std::path::{Path, PathBuf};

use runlayout_grammar::names::{self, DEBUG_DIR};

use crate::error::{Error, Operation, RecordKind, Result};
use crate::io::fs::{self, At as _};
use crate::io::owned_file::{self, Read};
use crate::io::temporary;
use crate::record::json::{self, Extra, Record};
use crate::record::time;
use crate::sweep::name::{SWEEP_PREFIX, SWEEP_RECORD, SweepSpec};
use crate::sweep::spec::Plan;

/// The record's format.
const FORMAT: u32 = 1;

/// An explicit list of trials can be long: a record is read up to this
/// size, not the 1 MiB of a run's records.
const SWEEP_RECORD_MAX: u64 = 64 << 20;

/// The folder of trial locks in a record folder.
pub(crate) const CLAIMS: &str = "claims";

/// The cursor file in a record folder.
pub(crate) const CURSOR: &str = "cursor";

/// `sweep.json`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct SweepRecord {
    pub(crate) format: u32,
    pub(crate) id: String,
    pub(crate) stage: String,
    #[serde(default)]
    pub(crate) debug: bool,
    pub(crate) created: String,
    pub(crate) hash: String,
    pub(crate) spec: Plan,
    #[serde(flatten)]
    extra: Extra,
}

impl Record for SweepRecord {
    const KIND: RecordKind = RecordKind::Sweep;
}

impl SweepRecord {
    /// The record of a new sweep at `spec`'s place, made now.
    pub(crate) fn new(spec: &SweepSpec, plan: &Plan) -> SweepRecord {
        SweepRecord {
            format: FORMAT,
            id: spec.id.clone(),
            stage: spec.stage.clone(),
            debug: spec.debug,
            created: time::now(),
            hash: plan.hash(),
            spec: plan.clone(),
            extra: Extra::default(),
        }
    }
}

/// The record in the record folder `folder`; `None` if there is none.
pub(crate) fn read(folder: &Path) -> Result<Option<SweepRecord>> {
    let path = folder.join(SWEEP_RECORD);
    let bytes = match owned_file::read(&path, SWEEP_RECORD_MAX)? {
        Read::Bytes(bytes) => bytes,
        Read::Missing => return Ok(None),
        Read::TooLarge => {
            return Err(Error::FileTooLarge {
                path,
                limit: SWEEP_RECORD_MAX,
            });
        }
    };
    parse(&path, &bytes).map(Some)
}

/// The record in `bytes`, read from `path` (a file, or an object's URL):
/// its spec must hash to the hash recorded with it.
pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<SweepRecord> {
    let record: SweepRecord = serde_json::from_slice(bytes)
        .map_err(|e| json::invalid::<SweepRecord>(path, e.to_string()))?;
    if record.spec.hash() != record.hash {
        return Err(json::invalid::<SweepRecord>(
            path,
            format!(
                "its spec hashes to {}, not to the recorded {}: it was changed by hand",
                record.spec.hash(),
                record.hash
            ),
        ));
    }
    Ok(record)
}

/// Makes the record of a new sweep at `spec`'s place: `None` if a sweep of
/// that id is there already.
pub(crate) fn create(root: &Path, spec: &SweepSpec, plan: &Plan) -> Result<Option<SweepRecord>> {
    let record = SweepRecord::new(spec, plan);
    let stage_folder = spec.stage_folder(root);
    fs::create_dir_all(&stage_folder)?;
    let building = temporary::builder()
        .tempdir_in(&stage_folder)
        .at(Operation::CreateTemporary, &stage_folder)?
        .keep();
    let built = fill(&building, &record);
    let target = spec.record_folder(root);
    let placed = built.and_then(|()| place(&building, &target));
    if !matches!(placed, Ok(true)) {
        // Ours alone, never renamed into place: nobody else looks at it.
        let _ = fs::remove_any(&building);
    }
    Ok(placed?.then_some(record))
}

/// Writes the record, the cursor and the claims folder into `folder`.
fn fill(folder: &Path, record: &SweepRecord) -> Result<()> {
    json::write(&folder.join(SWEEP_RECORD), record)?;
    let cursor = folder.join(CURSOR);
    std::fs::File::create_new(&cursor).at(Operation::WriteFile, &cursor)?;
    fs::create_new(&folder.join(CLAIMS))?;
    Ok(())
}

/// Renames the built folder to `target`: `false` if a sweep is there.
fn place(built: &Path, target: &Path) -> Result<bool> {
    match std::fs::rename(built, target) {
        Ok(()) => Ok(true),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::AlreadyExists | std::io::ErrorKind::DirectoryNotEmpty
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(e).at(Operation::Rename, target),
    }
}

/// The sweeps recorded below `root`: every `sweep+<id>` folder in a stage
/// folder, below the root and below `debug/`.
pub(crate) fn find(root: &Path) -> Result<Vec<SweepSpec>> {
    let mut found = Vec::new();
    find_below(root, false, &mut found, fs::read_dir(root)?);
    if let Some(entries) = fs::read_dir_if_there(&root.join(DEBUG_DIR))? {
        find_below(&root.join(DEBUG_DIR), true, &mut found, entries);
    }
    Ok(found)
}

fn find_below(base: &Path, debug: bool, out: &mut Vec<SweepSpec>, entries: fs::ReadDir) {
    for entry in entries.flatten() {
        let Some(stage) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if names::check(&stage).is_err() || !fs::is_folder(&entry) {
            continue;
        }
        let Ok(Some(inner)) = fs::read_dir_if_there(&base.join(&stage)) else {
            continue;
        };
        for sweep in inner.flatten() {
            let name = sweep.file_name();
            let Some(id) = name.to_str().and_then(|n| n.strip_prefix(SWEEP_PREFIX)) else {
                continue;
            };
            if names::check(id).is_ok() && fs::is_folder(&sweep) {
                out.push(SweepSpec {
                    debug,
                    stage: stage.clone(),
                    id: id.to_owned(),
                });
            }
        }
    }
}

/// Takes the record folder out of sight with one rename, then deletes it.
pub(crate) fn remove(folder: &Path) -> Result<()> {
    let Some(aside): Option<PathBuf> = temporary::move_aside(folder)? else {
        return Ok(());
    };
    fs::remove_any(&aside)
}
