//! `Run`: one run's folder and the settings that placed it there.

use std::path::{Path, PathBuf};

use crate::builder::RunBuilder;
use crate::links::LinkStyle;
use crate::nesting::Nesting;
use crate::run_id::RunId;

/// A run folder that exists (it was created or opened), with the id, stage
/// and settings that placed it.
///
/// Reading any of its accessors does no I/O: the folder was made once, when
/// the run was created.
///
/// ```
/// use runlayout_runtime::Run;
///
/// let root = tempfile::tempdir()?;
/// let run = Run::builder(root.path()).stage("pretrain").create()?;
/// assert!(run.path().is_dir());
/// assert_eq!(run.stage(), Some("pretrain"));
/// assert_eq!(run.path(), root.path().join("pretrain").join(run.id().as_str()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Run {
    pub(crate) root: PathBuf,
    pub(crate) path: PathBuf,
    pub(crate) id: RunId,
    pub(crate) stage: Option<String>,
    pub(crate) debug: bool,
    pub(crate) nesting: Nesting,
    pub(crate) link_style: LinkStyle,
    pub(crate) is_new: bool,
}

impl Run {
    /// Starts the settings of a run below the output root `root`.
    ///
    /// ```
    /// use runlayout_runtime::Run;
    ///
    /// let root = tempfile::tempdir()?;
    /// let run = Run::builder(root.path()).create()?;
    /// assert_eq!(run.path(), root.path().join(run.id().as_str()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(root: impl Into<PathBuf>) -> RunBuilder {
        RunBuilder::new(root.into())
    }

    /// The run's folder.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout_runtime::Run::builder(root.path()).run_id("r1").create()?;
    /// assert!(run.path().ends_with("r1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The run id.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout_runtime::Run::builder(root.path()).run_id("r1").create()?;
    /// assert_eq!(run.id(), "r1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn id(&self) -> &RunId {
        &self.id
    }

    /// The stage, if the run has one.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout_runtime::Run::builder(root.path()).create()?;
    /// assert_eq!(run.stage(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stage(&self) -> Option<&str> {
        self.stage.as_deref()
    }

    /// Whether the run sits below the root's `debug/` folder.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout_runtime::Run::builder(root.path()).debug(true).create()?;
    /// assert!(run.is_debug());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_debug(&self) -> bool {
        self.debug
    }

    /// The output root the run was placed under, as it was given.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout_runtime::Run::builder(root.path()).create()?;
    /// assert_eq!(run.root(), root.path());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The order of stage and run id folders the run was placed with.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// use runlayout_runtime::{Nesting, Run};
    /// let run = Run::builder(root.path()).create()?;
    /// assert_eq!(run.nesting(), Nesting::StageFirst);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn nesting(&self) -> Nesting {
        self.nesting
    }

    /// How [`Run::link`] records ancestors for this run.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// use runlayout_runtime::{LinkStyle, Run};
    /// let run = Run::builder(root.path()).link_style(LinkStyle::PointerFile).create()?;
    /// assert_eq!(run.link_style(), LinkStyle::PointerFile);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn link_style(&self) -> LinkStyle {
        self.link_style
    }

    /// Whether this call made the folder (`create`, or the winner of
    /// `create_or_open`) rather than finding it (`open`, or a `create_or_open`
    /// that another caller won).
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout_runtime::Run::builder(root.path()).create()?;
    /// assert!(run.is_new());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_new(&self) -> bool {
        self.is_new
    }

    /// Settings for another run on the same root, with the same debug flag,
    /// nesting and link style; the run id and stage left out are this run's.
    ///
    /// This is ksuit's `with_run`, without its bugs: neither the debug flag
    /// nor the stage is ever forgotten. Finish it like any builder; call
    /// [`RunBuilder::generated_id`] on it for a fresh id.
    ///
    /// ```
    /// use runlayout_runtime::Run;
    ///
    /// let root = tempfile::tempdir()?;
    /// let pretrain = Run::builder(root.path()).stage("pretrain").debug(true).create()?;
    /// let finetune = pretrain.with_run(None, Some("finetune")).create()?;
    /// assert_eq!(finetune.id(), pretrain.id());
    /// assert!(finetune.is_debug());
    /// assert_eq!(finetune.stage(), Some("finetune"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_run(&self, run_id: Option<&str>, stage: Option<&str>) -> RunBuilder {
        let mut builder = Run::builder(self.root.clone())
            .debug(self.debug)
            .nesting(self.nesting)
            .link_style(self.link_style)
            .run_id(run_id.unwrap_or(self.id.as_str()));
        if let Some(stage) = stage.or(self.stage.as_deref()) {
            builder = builder.stage(stage);
        }
        builder
    }
}

impl AsRef<Path> for Run {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}
