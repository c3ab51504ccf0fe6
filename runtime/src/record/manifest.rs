//! `run.json`, the run's manifest: what the run is, who made it and when.
//!
//! Written once, by whoever created the run folder, through a temporary file
//! and a rename, before the creating call returns; never rewritten. It holds
//! only what never changes after creation: ancestry lives in the `ancestor`
//! link alone. Without the `manifest` feature none is written, and
//! [`Manifest::read`] finds none.

use std::path::Path;
use std::time::SystemTime;

pub use runlayout_grammar::names::MANIFEST;

use crate::error::RecordKind;
use crate::error::{Error, Result};
use crate::io::claim::{self, UseClaim};
use crate::io::process;
use crate::launch::provenance::{self, GitRecord, LauncherRecord};
use crate::record::json::{self, Extra, Record};
use crate::record::process_record::ProcessRecord;
use crate::record::time;
use crate::run::Run;
use crate::run::nesting::Nesting;

/// The manifest format this version writes.
const FORMAT: u32 = 1;

/// Whether a run created with `write_manifest` asked for gets a manifest:
/// never in a build without the `manifest` feature.
pub(crate) fn is_written(requested: bool) -> bool {
    json::ENABLED && requested
}

/// The contents of a run's `run.json`.
///
/// Readers keep the fields they do not know (from a newer version, or added
/// by the user), and read a newer `format` as long as the fields this
/// version needs are there. A run folder without a manifest (made by hand,
/// with [`RunBuilder::write_manifest(false)`](crate::RunBuilder::write_manifest),
/// or by a build without the `manifest` feature) is still a run for every API.
///
/// The manifest records where the run was created; the folder's place is what
/// counts. A copied or moved run folder keeps its old manifest, and
/// [`Runs::scan`](crate::Runs::scan) reports the difference.
///
/// ```
/// # #[cfg(feature = "manifest")] {
/// use runlayout::Run;
///
/// let root = tempfile::tempdir()?;
/// let run = Run::builder(root.path()).stage("pretrain").create()?;
/// let manifest = run.manifest()?.expect("written at creation");
/// assert_eq!(manifest.id, run.id().as_str());
/// assert_eq!(manifest.stage.as_deref(), Some("pretrain"));
/// assert_eq!(manifest.process.pid, Some(std::process::id()));
/// assert!(manifest.created_at().is_some());
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Manifest {
    /// The manifest format, 1 for now.
    pub format: u32,
    /// The run id.
    pub id: String,
    /// The stage, if the run has one.
    #[cfg_attr(feature = "serde", serde(default))]
    pub stage: Option<String>,
    /// Whether the run sits below the root's `debug/` folder.
    #[cfg_attr(feature = "serde", serde(default))]
    pub debug: bool,
    /// The order of stage and run id folders.
    #[cfg_attr(feature = "serde", serde(default))]
    pub nesting: Nesting,
    /// When the folder was created: RFC 3339 with the local offset.
    pub created: String,
    /// The process that created it: its host, pid, start time and pid
    /// space (the fields `host`, `pid`, `process_started`, `boot`,
    /// `machine` and `pid_namespace` of `run.json`).
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub process: ProcessRecord,
    /// That process's command line.
    #[cfg_attr(feature = "serde", serde(default))]
    pub command: Vec<String>,
    /// The runlayout version that wrote the manifest.
    #[cfg_attr(feature = "serde", serde(default))]
    pub runlayout: String,
    /// The git commit the run was created from, when the current directory
    /// was in a git work tree (see [`RunBuilder::record_git`](crate::RunBuilder::record_git)).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub git: Option<GitRecord>,
    /// The launcher that started the creating process: Slurm, torchrun,
    /// `RUNLAYOUT_RUN_ID` set by a script, or none; its ids and world size.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub launcher: Option<LauncherRecord>,
    /// The launched job whose ranks share the run, as its
    /// [`Launcher::run_id`](crate::Launcher::run_id) names it
    /// (`slurm-4242.0`), when the run was made by
    /// [`RunBuilder::create_for`](crate::RunBuilder::create_for): the ranks
    /// of that job, and no others, join it. Left out otherwise.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub job: Option<String>,
    /// The run's parameters, as the creator gave them
    /// ([`RunBuilder::params`](crate::RunBuilder::params)): a JSON object,
    /// recorded once. Left out when none were given.
    #[cfg(feature = "serde")]
    #[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Map<String, serde_json::Value>>,
    /// Every field this version does not know, kept as it was.
    #[cfg_attr(feature = "serde", serde(flatten))]
    extra: Extra,
}

impl Record for Manifest {
    const KIND: RecordKind = RecordKind::Manifest;
}

impl Manifest {
    /// The manifest of the run folder `run_dir`; `None` if it has none (or
    /// the `manifest` feature is off).
    ///
    /// Only a regular file is read, and only up to 1 MiB: a FIFO, a device
    /// or a huge file named `run.json` is an error, never a hang.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRecord`](crate::Error::InvalidRecord) if `run.json`
    /// is not a manifest, [`Error::NotARegularFile`](crate::Error::NotARegularFile),
    /// [`Error::FileTooLarge`](crate::Error::FileTooLarge), or
    /// [`Error::Io`](crate::Error::Io) if it cannot be read.
    ///
    /// ```
    /// # #[cfg(feature = "manifest")] {
    /// use runlayout::{Run, record::Manifest};
    ///
    /// let root = tempfile::tempdir()?;
    /// let run = Run::builder(root.path()).create()?;
    /// assert!(Manifest::read(run.path())?.is_some());
    /// assert!(Manifest::read(root.path())?.is_none());
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read(run_dir: &Path) -> Result<Option<Manifest>> {
        json::read(&run_dir.join(MANIFEST))
    }

    /// When the run was created, if `created` parses as RFC 3339.
    ///
    /// ```
    /// # #[cfg(feature = "manifest")] {
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
    /// let created = run.manifest()?.unwrap().created_at().unwrap();
    /// assert!(created <= std::time::SystemTime::now());
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn created_at(&self) -> Option<SystemTime> {
        time::parse(&self.created)
    }

    /// A field this version of runlayout does not know, as the manifest holds it.
    ///
    /// ```
    /// # #[cfg(feature = "manifest")] {
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
    /// let path = run.path().join("run.json");
    /// let text = std::fs::read_to_string(&path)?.replacen('{', "{\"notes\": \"lr sweep\",", 1);
    /// std::fs::write(&path, text)?;
    /// let manifest = run.manifest()?.unwrap();
    /// assert_eq!(manifest.other("notes"), Some(&serde_json::json!("lr sweep")));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "serde")]
    #[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
    pub fn other(&self, field: &str) -> Option<&serde_json::Value> {
        self.extra.get(field)
    }

    /// Where the manifest says the run is, next to where its folder is:
    /// each disagreement, as an error naming the manifest.
    pub(crate) fn mismatches(&self, run: &Run) -> Vec<Error> {
        let quoted = |v: Option<&str>| v.map_or("no stage".to_owned(), |s| format!("{s:?}"));
        let mut found = Vec::new();
        // Compared first, described only when they differ: a scan of many
        // runs asks this of each.
        let mut differ =
            |field: &'static str, same: bool, describe: &dyn Fn() -> (String, String)| {
                if !same {
                    let (recorded, actual) = describe();
                    found.push(Error::ManifestMismatch {
                        path: run.path().join(MANIFEST),
                        field,
                        recorded,
                        actual,
                    });
                }
            };
        differ("run id", self.id == run.id().as_str(), &|| {
            (format!("{:?}", self.id), format!("{:?}", run.id().as_str()))
        });
        differ("stage", self.stage.as_deref() == run.stage(), &|| {
            (quoted(self.stage.as_deref()), quoted(run.stage()))
        });
        differ("debug flag", self.debug == run.is_debug(), &|| {
            (self.debug.to_string(), run.is_debug().to_string())
        });
        if run.stage().is_some() {
            differ("nesting", self.nesting == run.nesting(), &|| {
                (
                    format!("{:?}", self.nesting),
                    format!("{:?}", run.nesting()),
                )
            });
        }
        found
    }
}

/// Writes the manifest of a run this process has just created, for the
/// launched `job` if one shares it, with the git state of the current
/// directory if `git` asks for it; returns this process's use claim on the
/// run, taken on the new manifest before it is renamed into place, so the
/// run is claimed from the moment it is one.
///
/// `params` are the run's parameters, if the creator gave any; `fields`
/// are fields of a caller's own (a sweep's trial records `sweep`).
pub(crate) fn write_new(
    run: &Run,
    job: Option<&str>,
    git: bool,
    params: Option<&Extra>,
    fields: &Extra,
) -> Result<Option<UseClaim>> {
    if !json::ENABLED {
        return Ok(None);
    }
    let manifest = Manifest {
        format: FORMAT,
        id: run.id().as_str().to_owned(),
        stage: run.stage().map(str::to_owned),
        debug: run.is_debug(),
        nesting: run.nesting(),
        created: time::now(),
        process: ProcessRecord::this_process(),
        command: process::current().command.clone(),
        runlayout: env!("CARGO_PKG_VERSION").to_owned(),
        git: if git { provenance::git() } else { None },
        launcher: Some(provenance::launcher()),
        job: job.map(str::to_owned),
        #[cfg(feature = "serde")]
        params: params.cloned(),
        extra: fields.clone(),
    };
    #[cfg(not(feature = "serde"))]
    let _ = params;
    let path = run.path().join(MANIFEST);
    let claim = json::write_keeping(&path, &manifest, claim::UseClaim::on_new)?;
    Ok(claim.flatten())
}

impl Run {
    /// This run's manifest, `run.json`; `None` if the folder has none.
    ///
    /// # Errors
    ///
    /// Those of [`Manifest::read`].
    ///
    /// ```
    /// # #[cfg(feature = "manifest")] {
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).debug(true).create()?;
    /// assert!(run.manifest()?.unwrap().debug);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn manifest(&self) -> Result<Option<Manifest>> {
        Manifest::read(self.path())
    }

    /// The run's parameters, as its creator recorded them in `run.json`
    /// ([`RunBuilder::params`](crate::RunBuilder::params),
    /// `RunArgs::start_with_params`): a JSON object. `None` when none were
    /// given (or the run has no manifest). A process that opened or joined
    /// the run with other parameters is in [`Run::restarts`].
    ///
    /// # Errors
    ///
    /// Those of [`Manifest::read`].
    ///
    /// ```
    /// # #[cfg(feature = "manifest")] {
    /// use runlayout::Run;
    /// use serde_json::json;
    ///
    /// #[derive(serde::Serialize)]
    /// struct Config { lr: f64, seed: u32 }
    ///
    /// let root = tempfile::tempdir()?;
    /// let run = Run::builder(root.path()).params(&Config { lr: 0.01, seed: 3 }).create()?;
    /// assert_eq!(run.params()?, Some(json!({ "lr": 0.01, "seed": 3 })));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "serde")]
    #[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
    pub fn params(&self) -> Result<Option<serde_json::Value>> {
        Ok(self
            .manifest()?
            .and_then(|m| m.params)
            .map(serde_json::Value::Object))
    }
}

#[cfg(all(test, feature = "manifest"))]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_kept_and_missing_optionals_default() {
        let json =
            r#"{"format": 2, "id": "r", "created": "2026-11-30T01:00:00+01:00", "future": [1, 2]}"#;
        let m: Manifest = serde_json::from_str(json).unwrap();
        assert_eq!(
            (m.format, m.id.as_str(), m.stage.as_deref(), m.debug),
            (2, "r", None, false)
        );
        assert_eq!(m.nesting, Nesting::StageFirst);
        assert_eq!(m.other("future"), Some(&serde_json::json!([1, 2])));
        let written = serde_json::to_value(&m).unwrap();
        assert_eq!(written["future"], serde_json::json!([1, 2]));
        let at = m.created_at().unwrap();
        let expected = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_996_800);
        assert_eq!(at, expected);
    }

    #[test]
    fn a_manifest_missing_a_needed_field_is_invalid() {
        let json = r#"{"format": 9, "created": "2026-11-30T01:00:00+01:00"}"#;
        assert!(serde_json::from_str::<Manifest>(json).is_err());
    }
}
