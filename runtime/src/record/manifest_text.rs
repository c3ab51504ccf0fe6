//! The text of a new run's manifest, made at the cost of what differs from
//! one run to the next.
//!
//! A manifest is mostly about the process that made the run: its host and
//! pid, its command line, runlayout's version, the git state of its
//! directory and its launcher. These are the same for every run a process
//! makes from one directory, so their JSON is made once and kept; each new
//! manifest writes its own fields (id, stage, time, job) around it. The
//! text is byte for byte what serializing the whole manifest gives
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

/// The fields that come last, each when there is one.
#[derive(serde::Serialize)]
pub(crate) struct Tail<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) job: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) params: Option<&'a serde_json::Map<String, serde_json::Value>>,
    /// Fields of a caller's own (a sweep's trial records `sweep`), last,
    /// as a manifest keeps the fields it does not know.
    #[serde(flatten)]
    pub(crate) fields: &'a serde_json::Map<String, serde_json::Value>,
}

/// The maker's JSON this process made last, and the git state it was made
/// with: the rest of a maker never changes within a process.
pub(crate) type Kept = Mutex<Option<(Option<GitRecord>, Vec<u8>)>>;

static MAKER: Kept = Mutex::new(None);

/// The manifest `head`, `maker` and `job` make, as pretty JSON with a
/// final newline; `make_maker` says who the maker is, asked only when the
/// git state differs from the one seen last.
pub(crate) fn render(
    head: &Head<'_>,
    git: Option<&GitRecord>,
    make_maker: impl FnOnce() -> serde_json::Result<Vec<u8>>,
    tail: Tail<'_>,
) -> serde_json::Result<Vec<u8>> {
    render_with(&MAKER, head, git, make_maker, tail)
}

/// [`render`], keeping the maker's JSON in `kept`: this process's own
/// maker in [`MAKER`]; any other (a test's made-up one) elsewhere, so no
/// run of this process is ever written with it.
pub(crate) fn render_with(
    kept: &Kept,
    head: &Head<'_>,
    git: Option<&GitRecord>,
    make_maker: impl FnOnce() -> serde_json::Result<Vec<u8>>,
    tail: Tail<'_>,
) -> serde_json::Result<Vec<u8>> {
    let mut text = Vec::with_capacity(1024);
    write_head(&mut text, head)?;
    text.push(b',');
    {
        let mut kept = kept
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
    if tail.job.is_some() || tail.params.is_some() || !tail.fields.is_empty() {
        text.push(b',');
        text.extend_from_slice(inner(&serde_json::to_vec_pretty(&tail)?));
    }
    text.extend_from_slice(b"\n}\n");
    Ok(text)
}

/// `head` as the start of a pretty JSON object, as serde_json writes it,
/// left open to be continued. Written directly: its fields are a number,
/// names, a flag and a time, which need no escapes (a string that would
/// need one is written by serde_json), and serializing them cost a third
/// of a creation's own work.
fn write_head(text: &mut Vec<u8>, head: &Head<'_>) -> serde_json::Result<()> {
    use std::io::Write as _;
    write!(text, "{{\n  \"format\": {},\n  \"id\": ", head.format)
        .map_err(serde_json::Error::io)?;
    string(text, head.id)?;
    text.extend_from_slice(b",\n  \"stage\": ");
    match head.stage {
        Some(stage) => string(text, stage)?,
        None => text.extend_from_slice(b"null"),
    }
    text.extend_from_slice(b",\n  \"debug\": ");
    text.extend_from_slice(if head.debug { b"true" } else { b"false" });
    text.extend_from_slice(b",\n  \"nesting\": ");
    text.extend_from_slice(match head.nesting {
        Nesting::StageFirst => b"\"stage_first\"",
        Nesting::RunFirst => b"\"run_first\"",
    });
    text.extend_from_slice(b",\n  \"created\": ");
    string(text, head.created)
}

/// `value` as a JSON string.
fn string(text: &mut Vec<u8>, value: &str) -> serde_json::Result<()> {
    let plain = value.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
    if !plain {
        return serde_json::to_writer(text, value);
    }
    text.push(b'"');
    text.extend_from_slice(value.as_bytes());
    text.push(b'"');
    Ok(())
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
