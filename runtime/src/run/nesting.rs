//! `Nesting`: where a run's folder sits below the output root.

/// The folder right below the output root that holds debug runs.
///
/// ```
/// assert_eq!(runlayout::names::DEBUG_DIR, "debug");
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
/// use runlayout::{Nesting, Run};
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
