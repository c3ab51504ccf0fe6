//! A sweep as a person names it, `[debug/]<stage>/<sweep-id>`, and where
//! it sits below a root: its stage folder and its record folder.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use runlayout_grammar::names::{self, DEBUG_DIR};

use crate::error::{Error, Result};

/// The prefix of a sweep's record folder in its stage folder:
/// `<stage>/sweep+<sweep-id>/`. No run id holds `+`, so a record folder is
/// never taken for a run, and no run for a record.
pub const SWEEP_PREFIX: &str = "sweep+";

/// The record of a sweep's spec, in its record folder.
pub const SWEEP_RECORD: &str = "sweep.json";

/// A sweep as a person names it: `[debug/]<stage>/<sweep-id>`, as
/// `runlayout sweep new` prints it.
///
/// ```
/// use runlayout::sweep::SweepSpec;
///
/// let spec: SweepSpec = "debug/lr-sweep/2026-12-06_k3x9a".parse()?;
/// assert!(spec.debug);
/// assert_eq!(spec.stage, "lr-sweep");
/// assert_eq!(spec.id, "2026-12-06_k3x9a");
/// assert_eq!(spec.to_string(), "debug/lr-sweep/2026-12-06_k3x9a");
/// assert!("lr-sweep".parse::<SweepSpec>().is_err());
/// # Ok::<(), runlayout::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SweepSpec {
    /// Whether the sweep sits below `debug/`.
    pub debug: bool,
    /// Its stage.
    pub stage: String,
    /// Its id.
    pub id: String,
}

impl FromStr for SweepSpec {
    type Err = Error;

    fn from_str(text: &str) -> Result<SweepSpec> {
        let invalid = || Error::InvalidSweepSpec {
            value: text.to_owned(),
        };
        let trimmed = text.trim_end_matches('/');
        let parts: Vec<&str> = trimmed.split('/').collect();
        let (debug, stage, id) = match parts.as_slice() {
            [debug, stage, id] if *debug == DEBUG_DIR => (true, *stage, *id),
            [stage, id] => (false, *stage, *id),
            _ => return Err(invalid()),
        };
        if names::check(stage).is_err() || names::check(id).is_err() {
            return Err(invalid());
        }
        Ok(SweepSpec {
            debug,
            stage: stage.to_owned(),
            id: id.to_owned(),
        })
    }
}

impl std::fmt::Display for SweepSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.debug {
            write!(f, "{DEBUG_DIR}/")?;
        }
        write!(f, "{}/{}", self.stage, self.id)
    }
}

impl SweepSpec {
    /// The folder that holds the sweep's trials, below `root`.
    pub(crate) fn stage_folder(&self, root: &Path) -> PathBuf {
        let base = if self.debug {
            root.join(DEBUG_DIR)
        } else {
            root.to_path_buf()
        };
        base.join(&self.stage)
    }

    /// The sweep's record folder below `root`.
    pub(crate) fn record_folder(&self, root: &Path) -> PathBuf {
        self.stage_folder(root)
            .join(format!("{SWEEP_PREFIX}{}", self.id))
    }
}
