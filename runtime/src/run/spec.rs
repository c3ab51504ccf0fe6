//! `RunSpec`: a run as a person names it,
//! `[debug/][stage/](id|latest|latest-finished)`:
//! `<RUN>` of `RunArgs`' `--run-resume` and of every `runlayout` command.

use std::fmt;
use std::path::{Component, Path};
use std::str::FromStr;

use runlayout_grammar::names::{DEBUG_DIR, LATEST, LATEST_FINISHED};

use crate::error::{Error, RUN_SPELLINGS, Result};
use crate::run::Run;
use crate::run::address::Address;
use crate::run::nesting::Nesting;

/// A run as a person names it: `[debug/][stage/](id|latest|latest-finished)`.
///
/// | spelling | names |
/// | --- | --- |
/// | `id` | the run of that id without a stage |
/// | `stage/id` | the run of that id in that stage |
/// | `latest` | the run the root's `latest` pointer names (runs without a stage) |
/// | `stage/latest` | the run the stage's `latest` pointer names |
/// | `latest-finished`, `stage/latest-finished` | the newest run (by creation) of those without a stage, or of the stage, whose status is finished |
/// | `debug/...` | the same, below the root's `debug/` folder |
///
/// `latest` and `latest-finished` are read in any case (neither can be a
/// run id); `debug/` is read only in front of more
/// (`debug` alone is a run id, which the naming rules refuse). Reading a
/// spec checks its shape; the names in it are checked when the run is
/// opened ([`Run::resolve`], [`RunBuilder::resolve`](crate::RunBuilder::resolve)).
/// It is written back in the same form, `latest` and `latest-finished` in
/// lower case.
///
/// ```
/// use runlayout::RunSpec;
///
/// let spec: RunSpec = "debug/pretrain/LATEST".parse()?;
/// assert!(spec.is_debug() && spec.is_latest());
/// assert_eq!(spec.stage(), Some("pretrain"));
/// assert_eq!(spec.to_string(), "debug/pretrain/latest");
///
/// let spec: RunSpec = "pretrain/latest-finished".parse()?;
/// assert!(spec.is_latest_finished() && !spec.is_latest());
///
/// let spec: RunSpec = "finetune/r1".parse()?;
/// assert_eq!((spec.stage(), spec.id()), (Some("finetune"), Some("r1")));
/// assert!("a/b/c/d".parse::<RunSpec>().is_err());
/// # Ok::<(), runlayout::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RunSpec {
    debug: bool,
    stage: Option<String>,
    /// The run id, or which of the stage's runs.
    which: Which,
}

/// Which run of its stage a spec names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Which {
    /// The run of this id.
    Id(String),
    /// The run the `latest` pointer names.
    Latest,
    /// The newest run whose status is finished.
    LatestFinished,
}

impl RunSpec {
    /// What a spec may be, in words, for messages.
    ///
    /// ```
    /// assert!(runlayout::RunSpec::SPELLINGS.starts_with("a run id"));
    /// ```
    pub const SPELLINGS: &'static str = RUN_SPELLINGS;

    /// How a person names `run`: `stage/id`, `id` for a run without a
    /// stage, `debug/` in front of a debug run.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// use runlayout::{Run, RunSpec};
    ///
    /// let run = Run::builder(root.path()).stage("eval").run_id("r1").debug(true).create()?;
    /// assert_eq!(RunSpec::of(&run).to_string(), "debug/eval/r1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn of(run: &Run) -> RunSpec {
        RunSpec {
            debug: run.is_debug(),
            stage: run.stage().map(str::to_owned),
            which: Which::Id(run.id().as_str().to_owned()),
        }
    }

    /// Whether the spec names a debug run (`debug/` in front).
    ///
    /// ```
    /// let spec: runlayout::RunSpec = "debug/r1".parse()?;
    /// assert!(spec.is_debug());
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    #[must_use]
    pub fn is_debug(&self) -> bool {
        self.debug
    }

    /// The stage the spec names, if it names one.
    ///
    /// ```
    /// let spec: runlayout::RunSpec = "latest".parse()?;
    /// assert_eq!(spec.stage(), None);
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    #[must_use]
    pub fn stage(&self) -> Option<&str> {
        self.stage.as_deref()
    }

    /// The run id the spec names; `None` for `latest` and
    /// `latest-finished`.
    ///
    /// ```
    /// let spec: runlayout::RunSpec = "pretrain/r1".parse()?;
    /// assert_eq!(spec.id(), Some("r1"));
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        match &self.which {
            Which::Id(id) => Some(id),
            Which::Latest | Which::LatestFinished => None,
        }
    }

    /// Whether the spec names the run a `latest` pointer names.
    ///
    /// ```
    /// let spec: runlayout::RunSpec = "pretrain/latest".parse()?;
    /// assert!(spec.is_latest());
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    #[must_use]
    pub fn is_latest(&self) -> bool {
        self.which == Which::Latest
    }

    /// Whether the spec names the newest finished run of its stage
    /// (`latest-finished`).
    ///
    /// ```
    /// let spec: runlayout::RunSpec = "debug/latest-finished".parse()?;
    /// assert!(spec.is_latest_finished() && spec.is_debug());
    /// assert_eq!(spec.id(), None);
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    #[must_use]
    pub fn is_latest_finished(&self) -> bool {
        self.which == Which::LatestFinished
    }

    /// The spec of the folder at `below` (a path relative to the output
    /// root) for runs placed in `nesting` order; `None` where no run can
    /// be. For the `runlayout` command, which names the runs a link leads
    /// to. Not a public API: it may change in any release.
    #[doc(hidden)]
    #[must_use]
    pub fn at(below: &Path, nesting: Nesting) -> Option<RunSpec> {
        let mut parts = Vec::new();
        for part in below.components() {
            match part {
                Component::Normal(part) => parts.push(part.to_str()?),
                _ => return None,
            }
        }
        let debug = is_debug_prefix(&parts);
        let parts = if debug { &parts[1..] } else { &parts[..] };
        let address = Address::at(parts, debug, nesting)?;
        Some(RunSpec {
            debug,
            stage: address.stage,
            which: Which::Id(address.id.into_string()),
        })
    }
}

/// Whether the first of `parts` is `debug/` in front of more.
fn is_debug_prefix(parts: &[&str]) -> bool {
    parts.len() > 1 && parts[0] == DEBUG_DIR
}

impl FromStr for RunSpec {
    type Err = Error;

    /// Reads a spec's shape: one to three parts, none empty, `debug` only
    /// first and in front of more.
    fn from_str(text: &str) -> Result<RunSpec> {
        let invalid = || Error::InvalidRunSpec {
            value: text.to_owned(),
        };
        let parts: Vec<&str> = text.split('/').collect();
        let debug = is_debug_prefix(&parts);
        let parts = if debug { &parts[1..] } else { &parts[..] };
        let (stage, last) = match parts {
            [id] => (None, *id),
            [stage, id] => (Some(*stage), *id),
            _ => return Err(invalid()),
        };
        if last.is_empty() || stage == Some("") {
            return Err(invalid());
        }
        let which = if last.eq_ignore_ascii_case(LATEST) {
            Which::Latest
        } else if last.eq_ignore_ascii_case(LATEST_FINISHED) {
            Which::LatestFinished
        } else {
            Which::Id(last.to_owned())
        };
        Ok(RunSpec {
            debug,
            stage: stage.map(str::to_owned),
            which,
        })
    }
}

impl fmt::Display for RunSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.debug {
            write!(f, "{DEBUG_DIR}/")?;
        }
        if let Some(stage) = &self.stage {
            write!(f, "{stage}/")?;
        }
        f.write_str(match &self.which {
            Which::Id(id) => id,
            Which::Latest => LATEST,
            Which::LatestFinished => LATEST_FINISHED,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Option<(bool, Option<String>, Option<String>)> {
        let spec: RunSpec = text.parse().ok()?;
        let id = spec.id().map(str::to_owned);
        Some((spec.debug, spec.stage, id))
    }

    fn some(
        debug: bool,
        stage: Option<&str>,
        id: Option<&str>,
    ) -> Option<(bool, Option<String>, Option<String>)> {
        Some((debug, stage.map(str::to_owned), id.map(str::to_owned)))
    }

    #[test]
    fn every_spelling() {
        assert_eq!(read("r1"), some(false, None, Some("r1")));
        assert_eq!(read("latest"), some(false, None, None));
        assert_eq!(read("LATEST"), some(false, None, None));
        assert_eq!(
            read("pretrain/r1"),
            some(false, Some("pretrain"), Some("r1"))
        );
        assert_eq!(read("pretrain/latest"), some(false, Some("pretrain"), None));
        assert_eq!(read("debug/r1"), some(true, None, Some("r1")));
        assert_eq!(
            read("debug/pretrain/Latest"),
            some(true, Some("pretrain"), None)
        );
        let finished: RunSpec = "s/Latest-Finished".parse().expect("a spec");
        assert!(finished.is_latest_finished() && !finished.is_latest());
        assert_eq!((finished.stage(), finished.id()), (Some("s"), None));
        // `debug` alone is an id (which the naming rules then refuse).
        assert_eq!(read("debug"), some(false, None, Some("debug")));
        for bad in ["", "a/", "/a", "a/b/c", "debug/a/b/c", "a//b", "debug//a"] {
            assert_eq!(read(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn specs_are_written_as_read() {
        for text in [
            "r1",
            "latest",
            "s/r1",
            "s/latest",
            "debug/r1",
            "debug/s/latest",
            "latest-finished",
            "s/latest-finished",
            "debug/s/latest-finished",
        ] {
            let spec: RunSpec = text.parse().expect("a spec");
            assert_eq!(spec.to_string(), text);
        }
        let err = "a/b/c".parse::<RunSpec>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "`a/b/c` names no run: expected a run id, stage/id, latest, stage/latest, \
             latest-finished or stage/latest-finished (debug/ in front for a debug run)"
        );
    }

    #[test]
    fn places_below_the_root_are_named() {
        let at =
            |below: &str, nesting| RunSpec::at(Path::new(below), nesting).map(|s| s.to_string());
        assert_eq!(at("s/r1", Nesting::StageFirst).as_deref(), Some("s/r1"));
        assert_eq!(at("r1/s", Nesting::RunFirst).as_deref(), Some("s/r1"));
        assert_eq!(
            at("debug/r1", Nesting::StageFirst).as_deref(),
            Some("debug/r1")
        );
        assert_eq!(at("a/b/c", Nesting::StageFirst), None);
    }
}
