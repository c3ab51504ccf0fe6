//! Where a run came from: the git commit of the code that made it, read
//! once when the run is created. Reading it must never make creation fail
//! or hang: `git` runs with a short timeout, and no git, no repository or
//! a slow one all mean "not recorded".

use std::collections::HashMap;
use std::io::Read as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long `git` may take before its answer is given up.
const GIT_TIMEOUT: Duration = Duration::from_secs(2);

/// The git state of the work tree a run was created from.
///
/// ```
/// # #[cfg(feature = "manifest")] {
/// # let root = tempfile::tempdir()?;
/// let run = runlayout_runtime::Run::builder(root.path()).create()?;
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

/// The git state of the current directory's work tree, if it is in one:
/// asked once per process and directory.
pub(crate) fn git() -> Option<GitRecord> {
    static SEEN: OnceLock<Mutex<HashMap<PathBuf, Option<GitRecord>>>> = OnceLock::new();
    let dir = std::env::current_dir().ok()?;
    let seen = SEEN.get_or_init(Mutex::default);
    if let Some(known) = seen.lock().ok()?.get(&dir) {
        return known.clone();
    }
    let found = ask_git();
    if let Ok(mut seen) = seen.lock() {
        seen.insert(dir, found.clone());
    }
    found
}

/// Runs `git status` in the current directory, bounded by [`GIT_TIMEOUT`].
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
    let mut stdout = child.stdout.take()?;
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() < GIT_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(2));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let text = reader.join().ok()?.ok()?;
    if !status?.success() {
        return None; // not a work tree
    }
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
