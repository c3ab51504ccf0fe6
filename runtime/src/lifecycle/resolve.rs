//! Opening the run a [`RunSpec`] names: `Run::resolve` and
//! `RunBuilder::resolve`.

use std::path::Path;

use crate::error::Result;
use crate::lifecycle::builder::RunBuilder;
use crate::run::Run;
use crate::run::spec::RunSpec;

impl RunBuilder {
    /// Opens the run `spec` names, with this builder's settings where the
    /// spec names nothing: the spec's stage and `debug/` go over the
    /// builder's, and its id or `latest` over the builder's run id or
    /// seed. An id is the run of that id ([`open`](RunBuilder::open)),
    /// `latest` the run the stage's `latest` pointer names
    /// ([`open_latest`](RunBuilder::open_latest)), `latest-finished` the
    /// newest run of the stage that finished
    /// ([`open_latest_finished`](RunBuilder::open_latest_finished)). This is how `RunArgs`'
    /// `--run-resume` opens its run: `latest` alone is the newest run of
    /// the program's stage.
    ///
    /// # Errors
    ///
    /// Those of [`open`](RunBuilder::open) and
    /// [`open_latest`](RunBuilder::open_latest).
    ///
    /// ```
    /// use runlayout::{Run, RunSpec};
    ///
    /// let root = tempfile::tempdir()?;
    /// let made = Run::builder(root.path()).stage("pretrain").create()?;
    /// let spec: RunSpec = "latest".parse()?;
    /// let resumed = Run::builder(root.path()).stage("pretrain").resolve(&spec)?;
    /// assert_eq!(resumed.path(), made.path());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resolve(mut self, spec: &RunSpec) -> Result<Run> {
        if spec.is_debug() {
            self = self.debug(true);
        }
        if let Some(stage) = spec.stage() {
            self = self.stage(stage);
        }
        match spec.id() {
            Some(id) => self.run_id(id).open(),
            None if spec.is_latest_finished() => self.open_latest_finished(),
            None => self.open_latest(),
        }
    }
}

impl Run {
    /// Opens the run `spec` names below the output root `root`: `id`,
    /// `stage/id`, `latest`, `stage/latest`, `latest-finished` or
    /// `stage/latest-finished`, with `debug/` in front for a debug run (see
    /// [`RunSpec`]). What a program's own flag naming another run takes,
    /// such as a trainer's `--init-from pretrain/latest-finished`. The run
    /// is read, not resumed: no restart is recorded in it.
    /// Runs are looked for where [`Run::builder`] puts them by default
    /// (stage first); [`RunBuilder::resolve`] takes other settings.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRunSpec`](crate::Error::InvalidRunSpec) if `spec`
    /// has no shape of a run's name, and those of
    /// [`RunBuilder::resolve`].
    ///
    /// ```
    /// use runlayout::Run;
    ///
    /// let root = tempfile::tempdir()?;
    /// let pretrain = Run::builder(root.path()).stage("pretrain").create()?;
    /// // A finetuning run that starts from the newest pretraining run.
    /// let init_from = Run::resolve(root.path(), "pretrain/latest")?;
    /// assert_eq!(init_from.path(), pretrain.path());
    /// let finetune = Run::builder(root.path()).stage("finetune").create()?;
    /// finetune.link(&init_from)?;
    /// let by_id = Run::resolve(root.path(), &format!("pretrain/{}", pretrain.id()))?;
    /// assert_eq!(by_id.path(), pretrain.path());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resolve(root: impl AsRef<Path>, spec: &str) -> Result<Run> {
        let spec: RunSpec = spec.parse()?;
        Run::builder(root.as_ref())
            .record_restart(false)
            .resolve(&spec)
    }
}
