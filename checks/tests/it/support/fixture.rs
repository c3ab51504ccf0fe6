//! Runs as programs and their records leave them, made for a test: where a
//! run sits (any `RunBuilder`), the files it holds, how it ended, and fields
//! of its records as another process or another time wrote them; and the
//! temporaries a killed writer leaves. Shared with the `runlayout`
//! command's tests, which include this file.

use std::fs;
use std::path::{Path, PathBuf};

use runlayout::names::{MANIFEST, STATUS};
use runlayout::{Run, RunBuilder, RunStatus};
use serde_json::Value;

/// What a fixture's steps fail with.
type Failure = Box<dyn std::error::Error>;

/// The heartbeat interval of the fixture's runs that beat: an hour, so
/// that no test outlives their last beat.
const HOUR: std::time::Duration = std::time::Duration::from_secs(3600);

/// The host a run made [`Fate::Elsewhere`] names.
pub const OTHER_HOST: &str = "gpu-node-7";

/// How a run ended, as its records say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// This process made it and lives: no end recorded.
    Running,
    /// Ended by `Run::finish`.
    Finished,
    /// Ended by `Run::fail`, for this reason.
    Failed(&'static str),
    /// The process running it, of this host, is gone: its status record
    /// (a guard's heartbeat) names a pid no process has (`u32::MAX`), and
    /// no end is recorded.
    Crashed,
    /// Run by a process of another host, [`OTHER_HOST`] (pid 1), which no
    /// one here can ask, with a heartbeat of a moment ago (every hour):
    /// running, as far as this host can tell.
    Elsewhere,
    /// Its creator, a process of this host, is gone (its `run.json` names
    /// pid `u32::MAX`) and nothing ever recorded its status.
    Untracked,
}

impl Fate {
    /// The status the runtime gives a run of this fate.
    pub fn status(self) -> RunStatus {
        match self {
            Fate::Running | Fate::Elsewhere => RunStatus::Running,
            Fate::Finished => RunStatus::Finished,
            Fate::Failed(_) => RunStatus::Failed,
            Fate::Crashed => RunStatus::Crashed,
            Fate::Untracked => RunStatus::Untracked,
        }
    }

    /// Records this fate in `run`, made by this process a moment ago.
    fn record(self, run: &Run) -> Result<(), Failure> {
        match self {
            Fate::Running => {}
            Fate::Finished => run.finish()?,
            Fate::Failed(reason) => run.fail(reason)?,
            Fate::Crashed => {
                run.heartbeat(HOUR)?;
                forge(run, STATUS, &[("pid", u32::MAX.into())])?;
            }
            Fate::Elsewhere => {
                run.heartbeat(HOUR)?;
                forge(
                    run,
                    STATUS,
                    &[
                        ("host", OTHER_HOST.into()),
                        ("pid", 1.into()),
                        ("boot", "00000000-0000-0000-0000-000000000000".into()),
                    ],
                )?;
            }
            Fate::Untracked => forge(run, MANIFEST, &[("pid", u32::MAX.into())])?,
        }
        Ok(())
    }
}

/// A run to make: the one a `RunBuilder` creates, with files in it, an end,
/// and `run.json` fields as another process or time wrote them.
///
/// ```text
/// let run = RunFixture::new(Run::builder(root).stage("s").run_id("a"))
///     .file("checkpoints/e1.ckpt", [7; 64])
///     .manifest("created", "2026-01-02T03:04:05+00:00")
///     .fate(Fate::Crashed)
///     .create()?;
/// ```
#[must_use]
pub struct RunFixture {
    builder: RunBuilder,
    files: Vec<(PathBuf, Vec<u8>)>,
    fate: Fate,
    manifest: Vec<(&'static str, Value)>,
}

impl RunFixture {
    /// The run `builder` creates, running and empty until told otherwise.
    pub fn new(builder: RunBuilder) -> Self {
        RunFixture {
            builder,
            files: Vec::new(),
            fate: Fate::Running,
            manifest: Vec::new(),
        }
    }

    /// `bytes` at `path` below the run folder, its folders made.
    pub fn file(mut self, path: impl AsRef<Path>, bytes: impl Into<Vec<u8>>) -> Self {
        self.files.push((path.as_ref().to_owned(), bytes.into()));
        self
    }

    /// How the run ended.
    pub fn fate(mut self, fate: Fate) -> Self {
        self.fate = fate;
        self
    }

    /// The field `key` of its `run.json` holds `value` (written after its
    /// fate, so it wins over what the fate forged).
    pub fn manifest(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.manifest.push((key, value.into()));
        self
    }

    /// Creates the run, then writes its files, its fate and its fields.
    /// The run comes back claimed by this process, as every run it makes:
    /// drop it to let go, as the process that ran it did on exit.
    pub fn create(self) -> Result<Run, Failure> {
        let run = self.builder.create()?;
        for (path, bytes) in &self.files {
            let path = run.path().join(path);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(path, bytes)?;
        }
        self.fate.record(&run)?;
        if !self.manifest.is_empty() {
            forge(&run, MANIFEST, &self.manifest)?;
        }
        Ok(run)
    }
}

/// Rewrites fields of the JSON record `record` of a run (`run.json`,
/// `run.status.json`), as another process, or another time, wrote them.
pub fn forge(run: &Run, record: &str, fields: &[(&str, Value)]) -> Result<(), Failure> {
    let path = run.path().join(record);
    let mut json: Value = serde_json::from_slice(&fs::read(&path)?)?;
    for (key, value) in fields {
        json[*key] = value.clone();
    }
    fs::write(path, serde_json::to_vec(&json)?)?;
    Ok(())
}

/// The tag this host's processes put in runlayout's temporary names
/// (`.runlayout-<pid>-<start>-<tag>-<random>.tmp`), read off a temporary
/// this process opens in `dir` and removes.
pub fn host_tag(dir: &Path) -> Result<String, Failure> {
    let probe = runlayout::FilePath::new(dir.join("probe.bin"));
    let open = probe.create_atomic()?;
    let name = fs::read_dir(dir)?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with(".runlayout-"))
        .ok_or("the open atomic write has no temporary")?;
    // Dropped uncommitted: its temporary goes.
    drop(open);
    let tag = name.split('-').nth(3).ok_or("no tag in the name")?;
    Ok(tag.to_owned())
}

/// A temporary in `dir` as a writer of this host left it when it was
/// killed mid-write, of a process that no longer exists (no process has
/// pid `u32::MAX`): what runlayout sweeps.
pub fn dead_writers_temporary(dir: &Path) -> Result<PathBuf, Failure> {
    let tag = host_tag(dir)?;
    let path = dir.join(format!(".runlayout-{}-1-{tag}-deadbeef.tmp", u32::MAX));
    fs::write(&path, "half")?;
    Ok(path)
}
