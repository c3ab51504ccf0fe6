//! `Nesting`: where a run's folder sits below the output root.

use std::path::{Path, PathBuf};

/// The folder right below the output root that holds debug runs.
///
/// ```
/// assert_eq!(runlayout_runtime::DEBUG_DIR, "debug");
/// ```
pub use runlayout_grammar::names::DEBUG_DIR;

/// The order of the stage and run id folders below the output root.
///
/// | nesting | with a stage | without a stage |
/// | --- | --- | --- |
/// | `StageFirst` (default) | `root/[debug/]<stage>/<run_id>` | `root/[debug/]<run_id>` |
/// | `RunFirst` | `root/[debug/]<run_id>/<stage>` | `root/[debug/]<run_id>` |
///
/// Stage first groups runs by stage, as ksuit's documentation describes;
/// run first keeps the stages of one run id (pretrain, then finetune) side by
/// side, as ksuit's implementation does.
///
/// ```
/// use runlayout_runtime::{Nesting, Run};
///
/// let root = tempfile::tempdir()?;
/// let run = Run::builder(root.path())
///     .nesting(Nesting::RunFirst)
///     .stage("finetune")
///     .run_id("r7")
///     .create()?;
/// assert_eq!(run.path(), root.path().join("r7").join("finetune"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum Nesting {
    /// `root/[debug/]<stage>/<run_id>`.
    #[default]
    StageFirst,
    /// `root/[debug/]<run_id>/<stage>`.
    RunFirst,
}

/// The folders one run involves, all below the root.
#[derive(Debug)]
pub(crate) struct Place {
    /// The folder named by the run id; the one a generated id must make anew.
    pub(crate) id_dir: PathBuf,
    /// The run's own folder: `id_dir`, or the stage folder inside it.
    pub(crate) run: PathBuf,
}

impl Nesting {
    pub(crate) fn place(self, root: &Path, debug: bool, stage: Option<&str>, id: &str) -> Place {
        let parent = self.parent(root, debug, stage);
        let id_dir = parent.join(id);
        let run = match (self, stage) {
            (Nesting::RunFirst, Some(stage)) => id_dir.join(stage),
            _ => id_dir.clone(),
        };
        Place { id_dir, run }
    }

    /// The folder that holds the run id folders (and the `latest` pointer).
    pub(crate) fn parent(self, root: &Path, debug: bool, stage: Option<&str>) -> PathBuf {
        let mut parent = root.to_path_buf();
        if debug {
            parent.push(DEBUG_DIR);
        }
        if let (Nesting::StageFirst, Some(stage)) = (self, stage) {
            parent.push(stage);
        }
        parent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_orders_with_and_without_debug() {
        let r = Path::new("r");
        let p = Nesting::StageFirst.place(r, false, Some("s"), "i");
        assert_eq!((p.id_dir, p.run), ("r/s/i".into(), "r/s/i".into()));
        assert_eq!(
            Nesting::StageFirst.parent(r, false, Some("s")),
            Path::new("r/s")
        );
        let p = Nesting::RunFirst.place(r, true, Some("s"), "i");
        assert_eq!(
            (p.id_dir, p.run),
            ("r/debug/i".into(), "r/debug/i/s".into())
        );
        assert_eq!(
            Nesting::RunFirst.parent(r, true, Some("s")),
            Path::new("r/debug")
        );
        let p = Nesting::RunFirst.place(r, false, None, "i");
        assert_eq!((p.id_dir, p.run), ("r/i".into(), "r/i".into()));
    }
}
