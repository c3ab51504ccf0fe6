//! Where a run came from, recorded once when it is created: the git commit
//! of the code that made it, and the launcher that started the process.
//! Reading either must never make creation fail or hang: `git` runs with a
//! short timeout, and no git, no repository, a slow one or odd launcher
//! variables all mean "not recorded".

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Read as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::launch::env::{ENV_RUN_ID, Vars};
use crate::launch::launcher::Launcher;
use crate::launch::ranks::Ranks;

/// How long `git` may take before its answer is given up.
const GIT_TIMEOUT: Duration = Duration::from_secs(2);

/// The git state of the work tree a run was created from.
///
/// ```
/// # #[cfg(feature = "manifest")] {
/// # let root = tempfile::tempdir()?;
/// let run = runlayout::Run::builder(root.path()).create()?;
/// if let Some(git) = run.manifest()?.and_then(|m| m.git) {
///     assert_eq!(git.commit.len(), 40);
/// }
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct GitRecord {
    /// The commit checked out (`HEAD`), in hex; empty before the first commit.
    pub commit: String,
    /// Whether tracked files differ from that commit.
    pub dirty: bool,
    /// The branch checked out; `None` for a detached `HEAD`.
    pub branch: Option<String>,
}

/// The launcher that started the process that created a run.
///
/// ```
/// # #[cfg(feature = "manifest")] {
/// # let root = tempfile::tempdir()?;
/// let run = runlayout::Run::builder(root.path()).create()?;
/// let launcher = run.manifest()?.unwrap().launcher.unwrap();
/// // Under `cargo test`: no launcher (unless CI itself runs under Slurm).
/// assert!(["none", "slurm", "slurm_array", "torchrun", "environment"].contains(&launcher.kind.as_str()));
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct LauncherRecord {
    /// `slurm`, `slurm_array`, `torchrun`, `environment` (the run id came
    /// from `RUNLAYOUT_RUN_ID`, set by a launcher script) or `none`.
    pub kind: String,
    /// The job: `SLURM_JOB_ID`, `SLURM_ARRAY_JOB_ID` or `TORCHELASTIC_RUN_ID`
    /// (lossily made UTF-8).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub job: Option<String>,
    /// The Slurm step (`SLURM_STEP_ID`).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub step: Option<String>,
    /// The array task (`SLURM_ARRAY_TASK_ID`).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub array_task: Option<String>,
    /// How many processes the job has (`WORLD_SIZE`, `SLURM_NTASKS`).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub world_size: Option<usize>,
    /// How many times the launcher restarted the job before this process
    /// (`SLURM_RESTART_COUNT` after a requeue, `TORCHELASTIC_RESTART_COUNT`
    /// under torchrun); left out when the launcher does not say.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub restart_count: Option<u32>,
}

/// The launcher of this process, read once.
pub(crate) fn launcher() -> LauncherRecord {
    static SEEN: OnceLock<LauncherRecord> = OnceLock::new();
    SEEN.get_or_init(|| launcher_in(&Vars::process())).clone()
}

/// The launcher `vars` describe.
pub(crate) fn launcher_in(vars: &Vars<impl Fn(&str) -> Option<OsString>>) -> LauncherRecord {
    let text = |v: &OsString| v.to_string_lossy().into_owned();
    let world_size = Ranks::detect_in(vars)
        .ok()
        .map(|r| r.world_size())
        .filter(|&n| n > 1);
    let mut record = LauncherRecord {
        kind: "none".into(),
        job: None,
        step: None,
        array_task: None,
        world_size,
        restart_count: None,
    };
    match Launcher::detect_in(vars) {
        Some(Launcher::Torchrun { run_id, .. }) => {
            record.kind = "torchrun".into();
            record.job = Some(text(&run_id));
            record.restart_count = count(vars, TORCHELASTIC_RESTART_COUNT);
        }
        Some(Launcher::SlurmArray {
            job, task, step, ..
        }) => {
            record.kind = "slurm_array".into();
            record.job = Some(text(&job));
            record.array_task = Some(text(&task));
            record.step = step.as_ref().map(text);
            record.restart_count = count(vars, SLURM_RESTART_COUNT);
        }
        Some(Launcher::Slurm { job, step, .. }) => {
            record.kind = "slurm".into();
            record.job = Some(text(&job));
            record.step = step.as_ref().map(text);
            record.restart_count = count(vars, SLURM_RESTART_COUNT);
        }
        None => {
            if vars.value(ENV_RUN_ID).is_some() {
                record.kind = "environment".into();
            }
        }
    }
    record
}

/// Slurm's count of the job's restarts (requeues).
const SLURM_RESTART_COUNT: &str = "SLURM_RESTART_COUNT";

/// torchrun's count of the worker group's restarts.
const TORCHELASTIC_RESTART_COUNT: &str = "TORCHELASTIC_RESTART_COUNT";

/// The count `var` holds, if it holds one.
fn count(vars: &Vars<impl Fn(&str) -> Option<OsString>>, var: &str) -> Option<u32> {
    vars.non_blank(var)?.to_str()?.trim().parse().ok()
}

/// The git state of the current directory's work tree, if it is in one:
/// asked once per process and directory.
pub(crate) fn git() -> Option<GitRecord> {
    static SEEN: OnceLock<Mutex<HashMap<PathBuf, Option<GitRecord>>>> = OnceLock::new();
    // The directory asked last, compared as bytes: a process mostly stays
    // in one, and hashing a path is dearer than comparing it.
    static LAST: Mutex<Option<(PathBuf, Option<GitRecord>)>> = Mutex::new(None);
    let dir = std::env::current_dir().ok()?;
    if let Ok(last) = LAST.lock()
        && let Some((last_dir, known)) = last.as_ref()
        && last_dir.as_os_str() == dir.as_os_str()
    {
        return known.clone();
    }
    let seen = SEEN.get_or_init(Mutex::default);
    let known = seen.lock().ok()?.get(&dir).cloned();
    let found = known.unwrap_or_else(|| {
        let found = ask_git();
        if let Ok(mut seen) = seen.lock() {
            seen.insert(dir.clone(), found.clone());
        }
        found
    });
    if let Ok(mut last) = LAST.lock() {
        *last = Some((dir, found.clone()));
    }
    found
}

/// Runs `git status` in the current directory, bounded by [`GIT_TIMEOUT`]:
/// nothing waits past it, not even for the output of a `git` that ended.
fn ask_git() -> Option<GitRecord> {
    let mut child = Command::new("git")
        .args([
            "status",
            "--porcelain=v2",
            "--branch",
            "--untracked-files=no",
        ])
        // A status must never take the index lock another git holds.
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    // Read while waiting: a large status must not block git on a full pipe.
    // The reader hands its text over a channel and is never joined: a `git`
    // (or a wrapper, a hook) may leave a process behind that holds the pipe
    // open long after `git` itself ended or was killed, and creation must
    // not wait for it. Such a reader ends, detached, when the pipe closes.
    let mut stdout = child.stdout.take()?;
    let (send, receive) = std::sync::mpsc::sync_channel(1);
    let reader = std::thread::Builder::new()
        .name("runlayout-git".into())
        .spawn(move || {
            let mut text = String::new();
            let read = stdout.read_to_string(&mut text).map(|_| text);
            let _ = send.send(read);
        });
    if reader.is_err() {
        let _ = child.kill();
        let _ = child.wait();
        return None;
    }
    let deadline = Instant::now() + GIT_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(2));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    };
    if !status.success() {
        return None; // not a work tree
    }
    // `git` ended in time; its output is complete once the pipe closes,
    // which must happen by the same deadline.
    let left = deadline.saturating_duration_since(Instant::now());
    let text = receive.recv_timeout(left).ok()?.ok()?;
    parse_status(&text)
}

/// The record in `git status --porcelain=v2 --branch` output.
fn parse_status(text: &str) -> Option<GitRecord> {
    let mut commit = None;
    let mut branch = None;
    let mut dirty = false;
    for line in text.lines() {
        if let Some(oid) = line.strip_prefix("# branch.oid ") {
            commit = Some(if oid == "(initial)" {
                String::new()
            } else {
                oid.to_owned()
            });
        } else if let Some(head) = line.strip_prefix("# branch.head ") {
            branch = (head != "(detached)").then(|| head.to_owned());
        } else if !line.starts_with('#') && !line.is_empty() {
            dirty = true;
        }
    }
    Some(GitRecord {
        commit: commit?,
        dirty,
        branch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::launch::test_env::env;

    fn recorded(get: impl Fn(&str) -> Option<OsString>) -> LauncherRecord {
        launcher_in(&Vars::new(get))
    }

    #[test]
    fn launchers_are_recorded_with_their_ids_and_size() {
        let slurm = recorded(env(&[
            ("SLURM_JOB_ID", "4242"),
            ("SLURM_STEP_ID", "1"),
            ("SLURM_PROCID", "0"),
            ("SLURM_NTASKS", "8"),
            ("SLURM_LOCALID", "0"),
        ]));
        assert_eq!(slurm.kind, "slurm");
        assert_eq!(
            (slurm.job.as_deref(), slurm.step.as_deref()),
            (Some("4242"), Some("1"))
        );
        assert_eq!(slurm.world_size, Some(8));
        assert_eq!(slurm.restart_count, None);
        let requeued = recorded(env(&[
            ("SLURM_JOB_ID", "4242"),
            ("SLURM_RESTART_COUNT", "3"),
        ]));
        assert_eq!(requeued.restart_count, Some(3));
        let restarted = recorded(env(&[
            ("TORCHELASTIC_RUN_ID", "exp1"),
            ("TORCHELASTIC_RESTART_COUNT", "2"),
        ]));
        assert_eq!(restarted.restart_count, Some(2));
        let array = recorded(env(&[
            ("SLURM_JOB_ID", "9"),
            ("SLURM_ARRAY_JOB_ID", "7"),
            ("SLURM_ARRAY_TASK_ID", "3"),
        ]));
        assert_eq!(
            (
                array.kind.as_str(),
                array.job.as_deref(),
                array.array_task.as_deref()
            ),
            ("slurm_array", Some("7"), Some("3"))
        );
        let torch = recorded(env(&[
            ("TORCHELASTIC_RUN_ID", "exp1"),
            ("RANK", "0"),
            ("LOCAL_RANK", "0"),
            ("WORLD_SIZE", "4"),
        ]));
        assert_eq!(
            (torch.kind.as_str(), torch.world_size),
            ("torchrun", Some(4))
        );
        let scripted = recorded(env(&[("RUNLAYOUT_RUN_ID", "sweep-3")]));
        assert_eq!(scripted.kind, "environment");
        let alone = recorded(env(&[]));
        assert_eq!((alone.kind.as_str(), alone.world_size), ("none", None));
    }

    #[test]
    fn porcelain_v2_is_read() {
        let clean = "# branch.oid 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n# branch.head main\n";
        assert_eq!(
            parse_status(clean),
            Some(GitRecord {
                commit: "4b825dc642cb6eb9a060e54bf8d69288fbee4904".into(),
                dirty: false,
                branch: Some("main".into()),
            })
        );
        let dirty = "# branch.oid abc\n# branch.head (detached)\n1 .M N... 100644 100644 100644 a b src/x.rs\n";
        let got = parse_status(dirty).expect("record");
        assert!(got.dirty && got.branch.is_none());
        assert_eq!(parse_status("").map(|g| g.commit), None);
        assert_eq!(
            parse_status("# branch.oid (initial)\n# branch.head main\n").map(|g| g.commit),
            Some(String::new())
        );
    }
}
