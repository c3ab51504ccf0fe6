//! `run.json`: what a run is, who made it and when, written atomically when
//! the run is created and updated when it is linked to an ancestor.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::atomic;
use crate::error::{Error, Operation, Result};
use crate::nesting::Nesting;
use crate::run::Run;

/// The manifest's file name inside a run folder.
///
/// ```
/// # let root = tempfile::tempdir()?;
/// let run = runlayout_runtime::Run::builder(root.path()).create()?;
/// assert!(run.path().join(runlayout_runtime::MANIFEST).is_file());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const MANIFEST: &str = "run.json";

/// The manifest format this version writes.
const FORMAT: u32 = 1;

/// The contents of a run's `run.json`.
///
/// Written when a run folder is created (by `create()`, or by the caller of
/// `create_or_open()` that made the folder), through a temporary file and a
/// rename, so it is never seen half written. Readers ignore fields they do
/// not know, so newer versions can add some. A run folder without a manifest
/// (made by hand, or with [`RunBuilder::write_manifest(false)`](crate::RunBuilder::write_manifest))
/// is still a run for every API.
///
/// ```
/// use runlayout_runtime::Run;
///
/// let root = tempfile::tempdir()?;
/// let run = Run::builder(root.path()).stage("pretrain").create()?;
/// let manifest = run.manifest()?.expect("written at creation");
/// assert_eq!(manifest.id, run.id().as_str());
/// assert_eq!(manifest.stage.as_deref(), Some("pretrain"));
/// assert_eq!(manifest.pid, Some(std::process::id()));
/// assert!(manifest.created_at().is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Manifest {
    /// The manifest format, 1 for now.
    pub format: u32,
    /// The run id.
    pub id: String,
    /// The stage, if the run has one.
    #[serde(default)]
    pub stage: Option<String>,
    /// Whether the run sits below the root's `debug/` folder.
    #[serde(default)]
    pub debug: bool,
    /// The order of stage and run id folders.
    #[serde(default)]
    pub nesting: Nesting,
    /// When the folder was created: RFC 3339 with the local offset.
    pub created: String,
    /// The host that created it.
    #[serde(default)]
    pub host: Option<String>,
    /// The process that created it.
    #[serde(default)]
    pub pid: Option<u32>,
    /// That process's command line.
    #[serde(default)]
    pub command: Vec<String>,
    /// The runlayout version that wrote the manifest.
    #[serde(default)]
    pub runlayout: String,
    /// The run this one was linked to, set by [`Run::link`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ancestor: Option<AncestorRecord>,
}

/// The ancestor a manifest records.
///
/// ```
/// use runlayout_runtime::Run;
///
/// let root = tempfile::tempdir()?;
/// let pre = Run::builder(root.path()).stage("pretrain").create()?;
/// let fine = pre.with_run(None, Some("finetune")).create()?;
/// fine.link(&pre)?;
/// let record = fine.manifest()?.unwrap().ancestor.unwrap();
/// assert_eq!(record.id, pre.id().as_str());
/// assert_eq!(record.stage.as_deref(), Some("pretrain"));
/// assert_eq!(record.path, format!("../../pretrain/{}", pre.id()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AncestorRecord {
    /// The ancestor's run id.
    pub id: String,
    /// The ancestor's stage.
    #[serde(default)]
    pub stage: Option<String>,
    /// The ancestor's folder relative to this run's folder, `/`-separated.
    pub path: String,
}

impl Manifest {
    /// The manifest of the run folder `run_dir`; `None` if it has none.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidManifest`] if `run.json` is not a manifest,
    /// [`Error::Io`] if it cannot be read.
    ///
    /// ```
    /// use runlayout_runtime::{Manifest, Run};
    ///
    /// let root = tempfile::tempdir()?;
    /// let run = Run::builder(root.path()).create()?;
    /// assert!(Manifest::read(run.path())?.is_some());
    /// assert!(Manifest::read(root.path())?.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read(run_dir: &Path) -> Result<Option<Manifest>> {
        let path = run_dir.join(MANIFEST);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(Operation::ReadFile, path, e)),
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::InvalidManifest {
                path,
                message: e.to_string(),
            })
    }

    /// When the run was created, if `created` parses as RFC 3339.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout_runtime::Run::builder(root.path()).create()?;
    /// let created = run.manifest()?.unwrap().created_at().unwrap();
    /// assert!(created <= std::time::SystemTime::now());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn created_at(&self) -> Option<SystemTime> {
        let stamp: jiff::Timestamp = self.created.parse().ok()?;
        SystemTime::try_from(stamp).ok()
    }

    /// The manifest of a run this process has just created.
    pub(crate) fn for_new_run(run: &Run) -> Manifest {
        Manifest {
            format: FORMAT,
            id: run.id().as_str().to_owned(),
            stage: run.stage().map(str::to_owned),
            debug: run.is_debug(),
            nesting: run.nesting(),
            created: now_rfc3339(),
            host: process().host.clone(),
            pid: Some(process().pid),
            command: process().command.clone(),
            runlayout: env!("CARGO_PKG_VERSION").to_owned(),
            ancestor: None,
        }
    }

    /// Writes the manifest into `run_dir` atomically.
    pub(crate) fn write(&self, run_dir: &Path) -> Result<()> {
        let path: PathBuf = run_dir.join(MANIFEST);
        let mut json = serde_json::to_vec_pretty(self).map_err(|e| Error::InvalidManifest {
            path: path.clone(),
            message: e.to_string(),
        })?;
        json.push(b'\n');
        atomic::write_file(&path, &json)
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "manifest")))]
impl Run {
    /// This run's manifest, `run.json`; `None` if the folder has none.
    ///
    /// # Errors
    ///
    /// Those of [`Manifest::read`].
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout_runtime::Run::builder(root.path()).debug(true).create()?;
    /// assert!(run.manifest()?.unwrap().debug);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn manifest(&self) -> Result<Option<Manifest>> {
        Manifest::read(self.path())
    }
}

impl Manifest {
    /// This manifest with `ancestor`, reached by `relative` from the run's
    /// folder, recorded.
    pub(crate) fn with_ancestor(mut self, ancestor: &Run, relative: &Path) -> Manifest {
        let parts: Vec<_> = relative.iter().map(|p| p.to_string_lossy()).collect();
        self.ancestor = Some(AncestorRecord {
            id: ancestor.id().as_str().to_owned(),
            stage: ancestor.stage().map(str::to_owned),
            path: parts.join("/"),
        });
        self
    }
}

/// Now, in the local time zone, as RFC 3339 with the offset. Full precision,
/// so that runs created in one millisecond still sort in creation order.
fn now_rfc3339() -> String {
    let now = jiff::Timestamp::now();
    let offset = jiff::tz::TimeZone::system().to_offset(now);
    now.display_with_offset(offset).to_string()
}

/// What every manifest of this process records the same way.
struct Process {
    host: Option<String>,
    pid: u32,
    command: Vec<String>,
}

/// Read once per process: a run-creating loop should not reread `/proc`.
fn process() -> &'static Process {
    static PROCESS: OnceLock<Process> = OnceLock::new();
    PROCESS.get_or_init(|| Process {
        host: host_name(),
        pid: std::process::id(),
        command: std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
    })
}

/// The machine's name: the kernel's on Linux, else what the environment says.
fn host_name() -> Option<String> {
    let from_kernel = std::fs::read_to_string("/proc/sys/kernel/hostname").ok();
    from_kernel
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_ignored_and_missing_optionals_default() {
        let json =
            r#"{"format": 2, "id": "r", "created": "2026-11-30T01:00:00+01:00", "future": [1, 2]}"#;
        let m: Manifest = serde_json::from_str(json).unwrap();
        assert_eq!(
            (m.format, m.id.as_str(), m.stage.as_deref(), m.debug),
            (2, "r", None, false)
        );
        assert_eq!(m.nesting, Nesting::StageFirst);
        let at = m.created_at().unwrap();
        let expected = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_996_800);
        assert_eq!(at, expected);
    }

    #[test]
    fn the_manifest_name_is_reserved() {
        assert!(crate::name::RESERVED.contains(&MANIFEST));
    }

    #[test]
    fn created_is_rfc3339_with_an_offset() {
        let now = now_rfc3339();
        assert!(now.parse::<jiff::Timestamp>().is_ok(), "{now}");
        assert!(
            now.contains('T') && (now.contains('+') || now.contains('-')),
            "{now}"
        );
    }
}
