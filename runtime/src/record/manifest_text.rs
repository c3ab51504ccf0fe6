//! The text of a new run's manifest, made at the cost of what differs from
//! one run to the next.
//!
//! A manifest is mostly about the process that made the run: its host and
//! pid, its command line, runlayout's version, the git state of its
//! directory and its launcher. These are the same for every run a process
//! makes from one directory, so their JSON is made once and kept; each new
//! manifest writes its own fields (id, stage, time, job) around it. The
//! text is byte for byte what serializing the whole
//! [`Manifest`](crate::record::manifest::Manifest) gives
//! (the tests compare the two), so readers never see the difference.

use std::sync::Mutex;

use crate::launch::provenance::{GitRecord, LauncherRecord};
use crate::record::process_record::ProcessRecord;
use crate::run::nesting::Nesting;

/// The fields of a manifest that differ from run to run and come first.
#[derive(serde::Serialize)]
pub(crate) struct Head<'a> {
    pub(crate) format: u32,
    pub(crate) id: &'a str,
    pub(crate) stage: Option<&'a str>,
    pub(crate) debug: bool,
    pub(crate) nesting: Nesting,
    pub(crate) created: &'a str,
}

/// The fields about the process that made the run.
#[derive(serde::Serialize)]
pub(crate) struct Maker<'a> {
    #[serde(flatten)]
    pub(crate) process: &'a ProcessRecord,
    pub(crate) command: &'a [String],
    pub(crate) runlayout: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) git: Option<&'a GitRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) launcher: Option<&'a LauncherRecord>,
}

/// The field that comes last, when there is one.
#[derive(serde::Serialize)]
struct Tail<'a> {
    job: &'a str,
}

/// The maker's JSON this process made last, and the git state it was made
/// with: the rest of a maker never changes within a process.
static MAKER: Mutex<Option<(Option<GitRecord>, Vec<u8>)>> = Mutex::new(None);

/// The manifest `head`, `maker` and `job` make, as pretty JSON with a
/// final newline; `make_maker` says who the maker is, asked only when the
/// git state differs from the one seen last.
pub(crate) fn render(
    head: &Head<'_>,
    git: Option<&GitRecord>,
    make_maker: impl FnOnce() -> serde_json::Result<Vec<u8>>,
    job: Option<&str>,
) -> serde_json::Result<Vec<u8>> {
    let mut text = Vec::with_capacity(1024);
    serde_json::to_writer_pretty(&mut text, head)?;
    // `{ head }` loses its closing `\n}` to be continued.
    text.truncate(text.len() - 2);
    text.push(b',');
    {
        let mut kept = MAKER
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match kept.as_ref() {
            Some((seen, json)) if seen.as_ref() == git => text.extend_from_slice(inner(json)),
            _ => {
                let json = make_maker()?;
                text.extend_from_slice(inner(&json));
                *kept = Some((git.cloned(), json));
            }
        }
    }
    if let Some(job) = job {
        text.push(b',');
        text.extend_from_slice(inner(&serde_json::to_vec_pretty(&Tail { job })?));
    }
    text.extend_from_slice(b"\n}\n");
    Ok(text)
}

/// The pretty JSON of `maker`.
pub(crate) fn maker_json(maker: &Maker<'_>) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec_pretty(maker)
}

/// A pretty JSON object's fields as they stand inside it: without the
/// opening `{` and the closing `\n}`, so starting with a newline.
fn inner(object: &[u8]) -> &[u8] {
    &object[1..object.len() - 2]
}

/// What a whole manifest serializes as, for the tests' comparison.
#[cfg(test)]
fn whole(manifest: &crate::record::manifest::Manifest) -> Vec<u8> {
    let mut text = serde_json::to_vec_pretty(manifest).expect("serializes");
    text.push(b'\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::manifest::Manifest;

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
        render(
            &head,
            manifest.git.as_ref(),
            || maker_json(&maker),
            manifest.job.as_deref(),
        )
        .expect("renders")
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
                for job in [None, Some("slurm-17.0")] {
                    let manifest = manifest(stage, git.clone(), job);
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
}
