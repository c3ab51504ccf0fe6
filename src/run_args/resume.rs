//! What `--run-resume <RUN>` (or `RUNLAYOUT_RESUME`) names: `id`, `stage/id`,
//! `latest` or `stage/latest`, with `debug/` in front for a debug run.

use crate::names::{DEBUG_DIR, LATEST};

/// The spellings of `<RUN>`, for messages.
pub(crate) const SPELLINGS: &str =
    "a run id, stage/id, latest or stage/latest (debug/ in front for a debug run)";

/// A run to resume, as written.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Resume<'a> {
    /// `debug/` was written in front: the run is a debug run.
    pub(crate) debug: bool,
    /// The stage written before the id, which wins over `--run-stage`.
    pub(crate) stage: Option<&'a str>,
    pub(crate) target: Target<'a>,
}

/// Which run of the stage.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Target<'a> {
    /// The one the stage's `latest` pointer names.
    Latest,
    /// The run of this id.
    Id(&'a str),
}

impl Resume<'_> {
    /// Reads `text`; `None` when it has no such shape (too many parts, an
    /// empty one). The names themselves are checked when the run is opened.
    pub(crate) fn parse(text: &str) -> Option<Resume<'_>> {
        let mut parts: Vec<&str> = text.split('/').collect();
        let debug = parts.len() > 1 && parts[0] == DEBUG_DIR;
        if debug {
            parts.remove(0);
        }
        let (stage, last) = match parts.as_slice() {
            [id] => (None, *id),
            [stage, id] => (Some(*stage), *id),
            _ => return None,
        };
        if last.is_empty() || stage == Some("") {
            return None;
        }
        let target = if last.eq_ignore_ascii_case(LATEST) {
            Target::Latest
        } else {
            Target::Id(last)
        };
        Some(Resume {
            debug,
            stage,
            target,
        })
    }
}

/// clap's check of `--run-resume`: the value as typed, if it has a shape
/// [`Resume::parse`] reads.
pub(crate) fn value_parser(text: &str) -> Result<String, String> {
    match Resume::parse(text) {
        Some(_) => Ok(text.to_owned()),
        None => Err(format!("expected {SPELLINGS}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Option<(bool, Option<&str>, Target<'_>)> {
        Resume::parse(text).map(|r| (r.debug, r.stage, r.target))
    }

    #[test]
    fn every_spelling() {
        assert_eq!(parsed("r1"), Some((false, None, Target::Id("r1"))));
        assert_eq!(parsed("latest"), Some((false, None, Target::Latest)));
        assert_eq!(parsed("LATEST"), Some((false, None, Target::Latest)));
        assert_eq!(
            parsed("pretrain/r1"),
            Some((false, Some("pretrain"), Target::Id("r1")))
        );
        assert_eq!(
            parsed("pretrain/latest"),
            Some((false, Some("pretrain"), Target::Latest))
        );
        assert_eq!(parsed("debug/r1"), Some((true, None, Target::Id("r1"))));
        assert_eq!(
            parsed("debug/pretrain/latest"),
            Some((true, Some("pretrain"), Target::Latest))
        );
        // `debug` alone is an id (which the naming rules then refuse).
        assert_eq!(parsed("debug"), Some((false, None, Target::Id("debug"))));
        for bad in ["", "a/", "/a", "a/b/c", "debug/a/b/c", "a//b"] {
            assert_eq!(parsed(bad), None, "{bad:?}");
        }
    }
}
