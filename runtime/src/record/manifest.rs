//! `run.json`, the run's manifest: what the run is, who made it and when.
//!
//! Written once, by whoever created the run folder, before the creating call
//! returns: it appears whole or not at all (made unnamed and linked into
//! place on Linux, a temporary file renamed elsewhere); never rewritten. It holds
//! only what never changes after creation: ancestry lives in the `ancestor`
//! link alone. Without the `manifest` feature none is written, and
//! [`Manifest::read`] finds none.

use std::path::Path;
use std::time::SystemTime;

pub use runlayout_grammar::names::MANIFEST;

use crate::error::RecordKind;
use crate::error::{Error, Result};
use crate::io::claim::UseClaim;
#[cfg(feature = "manifest")]
use crate::io::process;
use crate::launch::provenance::{self, GitRecord, LauncherRecord};
use crate::record::json::{self, Extra, Record};
use crate::record::process_record::ProcessRecord;
use crate::record::time;
use crate::run::Run;
use crate::run::nesting::Nesting;

/// The manifest format this version writes.
#[cfg(feature = "manifest")]
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

/// What writing a new manifest leaves its writer.
pub(crate) struct Written {
    /// This process's use claim on the run, taken on the new manifest
    /// before it appears at `run.json`, so the run is claimed from the
    /// moment it is one.
    pub(crate) claim: Option<UseClaim>,
    /// The creation time the manifest records, as [`created_at`] reads it
    /// back: the `latest` pointer compares it without reading the manifest
    /// again.
    pub(crate) created: Option<SystemTime>,
}

/// Writes the manifest of a run this process has just created, for the
/// launched `job` if one shares it, with the git state of the current
/// directory if `git` asks for it, with the run's parameters if the creator
/// gave any and `fields` of a caller's own (a sweep's trial records
/// `sweep`). `None` if a manifest appeared there first: another process
/// completed the folder as abandoned (a joiner), and the run is its;
/// nothing was written.
pub(crate) fn write_new(
    run: &Run,
    job: Option<&str>,
    git: bool,
    params: Option<&Extra>,
    fields: &Extra,
) -> Result<Option<Written>> {
    if !json::ENABLED {
        return Ok(Some(Written {
            claim: None,
            created: None,
        }));
    }
    let (created, text) = time::now_recorded();
    let git = if git { provenance::git() } else { None };
    let path = run.path().join(MANIFEST);
    let text = new_text(run, &text, git.as_ref(), job, params, fields)
        .map_err(|e| json::invalid::<Manifest>(&path, e.to_string()))?;
    let mut locked = false;
    let made = json::create::<Manifest>(&path, &text, |file| {
        locked = UseClaim::lock_new(file)?;
        Ok(())
    });
    let file = match made {
        Err(e)
            if e.io_error().map(std::io::Error::kind)
                == Some(std::io::ErrorKind::AlreadyExists) =>
        {
            return Ok(None);
        }
        made => made?,
    };
    Ok(Some(Written {
        claim: file.filter(|_| locked).map(UseClaim::held),
        created,
    }))
}

/// The text of the manifest of `run`, made now (`created`) by this process.
#[cfg(feature = "manifest")]
fn new_text(
    run: &Run,
    created: &str,
    git: Option<&GitRecord>,
    job: Option<&str>,
    params: Option<&Extra>,
    fields: &Extra,
) -> serde_json::Result<Vec<u8>> {
    use crate::record::manifest_text::{self, Head, Maker, Tail};
    let head = Head {
        format: FORMAT,
        id: run.id().as_str(),
        stage: run.stage(),
        debug: run.is_debug(),
        nesting: run.nesting(),
        created,
    };
    let maker = || {
        let launcher = provenance::launcher();
        manifest_text::maker_json(&Maker {
            process: &ProcessRecord::this_process(),
            command: &process::current().command,
            runlayout: env!("CARGO_PKG_VERSION"),
            git,
            launcher: Some(&launcher),
        })
    };
    let tail = Tail {
        job,
        params,
        fields,
    };
    manifest_text::render(&head, git, maker, tail)
}

/// Never called: without records no manifest is written.
#[cfg(not(feature = "manifest"))]
fn new_text(
    _: &Run,
    _: &str,
    _: Option<&GitRecord>,
    _: Option<&str>,
    _: Option<&Extra>,
    _: &Extra,
) -> std::result::Result<Vec<u8>, std::convert::Infallible> {
    Ok(Vec::new())
}

/// When the run in `run_dir` was created, as its manifest records it;
/// `None` without a manifest, or one that does not read as one or whose
/// `created` is no time.
///
/// Only the fields every manifest must have are read (`format`, `id`,
/// `created`), the rest skipped unparsed: moving a stage's `latest`
/// pointer asks this of the run it names at every creation, and a whole
/// [`Manifest`] (which keeps every field it does not know) costs several
/// times more to read than the folder took to make.
pub(crate) fn created_at(run_dir: &Path) -> Option<SystemTime> {
    #[cfg(feature = "manifest")]
    {
        #[derive(serde::Deserialize)]
        struct Needed<'a> {
            #[allow(dead_code)]
            format: u32,
            #[allow(dead_code)]
            #[serde(borrow)]
            id: std::borrow::Cow<'a, str>,
            #[serde(borrow)]
            created: std::borrow::Cow<'a, str>,
        }
        let path = run_dir.join(MANIFEST);
        let read = json::read_as(&path, |bytes| {
            serde_json::from_slice::<Needed<'_>>(bytes)
                .map(|needed| time::parse(&needed.created))
                .map_err(|e| json::invalid::<Manifest>(&path, e.to_string()))
        });
        read.ok().flatten().flatten()
    }
    #[cfg(not(feature = "manifest"))]
    {
        let _ = run_dir;
        None
    }
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

    /// Numbers in parameters and unknown fields are read to the nearest
    /// float, so a manifest rewritten keeps them exactly (serde_json's
    /// fast reading was off by one bit on this one, which the rewrite then
    /// moved again).
    #[test]
    fn numbers_survive_a_rewrite_exactly() {
        for number in [
            "118446744073709551615",
            "0.30000000000000004",
            "2.2250738585072014e-308",
        ] {
            let json = format!(
                r#"{{"format": 1, "id": "r", "created": "x", "params": {{"lr": {number}}}, "n": {number}}}"#
            );
            let read: Manifest = serde_json::from_str(&json).unwrap();
            let written = serde_json::to_string(&read).unwrap();
            let again: Manifest = serde_json::from_str(&written).unwrap();
            assert_eq!(again, read, "{number} became {written}");
            let exact: f64 = number.parse().unwrap();
            assert_eq!(
                read.other("n").and_then(serde_json::Value::as_f64),
                Some(exact)
            );
        }
    }

    #[test]
    fn a_manifest_missing_a_needed_field_is_invalid() {
        let json = r#"{"format": 9, "created": "2026-11-30T01:00:00+01:00"}"#;
        assert!(serde_json::from_str::<Manifest>(json).is_err());
    }
}

/// A new manifest's text, made from kept parts, is what serializing the
/// whole manifest gives.
#[cfg(all(test, feature = "manifest"))]
mod text_tests {
    use super::*;
    use crate::record::manifest_text::{Head, Kept, Maker, Tail, maker_json, render_with};

    /// What a whole manifest serializes as, for the tests' comparison.
    fn whole(manifest: &Manifest) -> Vec<u8> {
        let mut text = serde_json::to_vec_pretty(manifest).expect("serializes");
        text.push(b'\n');
        text
    }

    fn manifest(stage: Option<&str>, git: Option<GitRecord>, job: Option<&str>) -> Manifest {
        let json = serde_json::json!({
            "format": 1,
            "id": "2026-12-06_abcde",
            "stage": stage,
            "debug": stage.is_some(),
            "nesting": if stage.is_some() { "run_first" } else { "stage_first" },
            "created": "2026-12-06T07:00:00.123456789+01:00",
            "host": "node-7",
            "pid": 4242,
            "process_started": 99,
            "boot": "b00t",
            "command": ["train", "--lr", "0.1 \"quoted\"\n"],
            "runlayout": "0.2.0",
            "git": git,
            "launcher": {"kind": "slurm", "job": "17", "world_size": 4},
            "job": job,
        });
        serde_json::from_value(json).expect("a manifest")
    }

    fn rendered(manifest: &Manifest) -> Vec<u8> {
        let head = Head {
            format: manifest.format,
            id: &manifest.id,
            stage: manifest.stage.as_deref(),
            debug: manifest.debug,
            nesting: manifest.nesting,
            created: &manifest.created,
        };
        let maker = Maker {
            process: &manifest.process,
            command: &manifest.command,
            runlayout: &manifest.runlayout,
            git: manifest.git.as_ref(),
            launcher: manifest.launcher.as_ref(),
        };
        // A maker of the tests' own, kept apart from this process's.
        static KEPT: Kept = std::sync::Mutex::new(None);
        let text = render_with(
            &KEPT,
            &head,
            manifest.git.as_ref(),
            || maker_json(&maker),
            Tail {
                job: manifest.job.as_deref(),
                params: manifest.params.as_ref(),
                fields: &manifest.extra,
            },
        );
        text.expect("renders")
    }

    #[test]
    fn the_text_is_the_whole_manifest_serialized() {
        let git: GitRecord = serde_json::from_value(serde_json::json!({
            "commit": "0123456789abcdef0123456789abcdef01234567",
            "dirty": true,
            "branch": "main"
        }))
        .expect("a git record");
        for stage in [None, Some("pretrain")] {
            for git in [None, Some(git.clone())] {
                for (job, params) in [
                    (None, None),
                    (Some("slurm-17.0"), None),
                    (
                        None,
                        Some(serde_json::json!({"lr": 0.01, "optim": {"name": "adam"}})),
                    ),
                    (Some("slurm-17.0"), Some(serde_json::json!({"seed": 3}))),
                ] {
                    let mut manifest = manifest(stage, git.clone(), job);
                    manifest.params = params.and_then(|p| p.as_object().cloned());
                    if job.is_some() {
                        let sweep = serde_json::json!({"id": "lr-grid", "trial": 3});
                        manifest.extra.insert("sweep".into(), sweep);
                    }
                    // Twice: the second time from the kept maker.
                    for _ in 0..2 {
                        let text = rendered(&manifest);
                        assert_eq!(
                            String::from_utf8_lossy(&text),
                            String::from_utf8_lossy(&whole(&manifest)),
                        );
                        let read: Manifest = serde_json::from_slice(&text).expect("reads back");
                        assert_eq!(read, manifest);
                    }
                }
            }
        }
    }

    /// The head is written by hand: strings that need escapes (no name
    /// runlayout makes has one, a record made elsewhere may) come out as
    /// serde_json writes them.
    #[test]
    fn a_head_with_strings_to_escape_is_the_whole_manifest_serialized() {
        let mut odd = manifest(Some("pre\"train\\x"), None, None);
        odd.id = "id\nwith\u{1}controls é".to_owned();
        odd.created = "2026-12-06T07:00:00\"Z".to_owned();
        assert_eq!(
            String::from_utf8_lossy(&rendered(&odd)),
            String::from_utf8_lossy(&whole(&odd)),
        );
    }

    /// A text rendered with another maker (as the test above renders its
    /// made-up one, on a thread beside the other tests) is never what a
    /// real run of this process gets: its manifest names this process.
    #[test]
    fn a_real_run_never_gets_a_maker_it_was_not_made_by() -> crate::error::Result<()> {
        let made_up = manifest(None, None, None);
        rendered(&made_up);
        let root = tempfile::tempdir().expect("a temporary folder");
        let run = Run::builder(root.path()).record_git(false).create()?;
        let read = run.manifest()?.expect("written");
        assert_eq!(read.process.pid, Some(std::process::id()));
        assert_ne!(read.process.host.as_deref(), Some("node-7"));
        Ok(())
    }
}
