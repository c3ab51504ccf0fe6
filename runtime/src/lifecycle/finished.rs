//! `latest-finished`: the newest run of a stage whose status is finished,
//! found by reading the stage's runs (no pointer holds it: a status
//! changes long after the run was made, and by other processes).

use std::time::SystemTime;

use runlayout_grammar::names;

use crate::error::{Error, Result};
use crate::io::fs as folders;
use crate::lifecycle::builder::RunBuilder;
use crate::lifecycle::home::Home;
use crate::lifecycle::open::{self, Found};
use crate::record::manifest::Manifest;
use crate::record::status::{KnownManifest, RunStatus};
use crate::run::Run;
use crate::run::address::Address;
use crate::run::id::RunId;

impl RunBuilder {
    /// Opens the newest run of this stage (and debug flag, and nesting)
    /// whose status is [`RunStatus::Finished`], by the creation time its
    /// manifest records: what `stage/latest-finished` names, so that
    /// `--init-from pretrain/latest-finished` never starts from a failed
    /// or running run. Runs without a manifest, or whose records cannot be
    /// read, are passed over. The builder's own run id and seed are not
    /// used.
    ///
    /// It reads the stage's folder and the records of each of its runs
    /// (the status record, and `run.json` for its creation time). For a
    /// root in object storage these are read in the home (one listing,
    /// two reads per run), and only the run found gets a working copy.
    ///
    /// # Errors
    ///
    /// [`Error::NoFinishedRun`] naming the stage's folder if no run there
    /// finished, [`Error::RootNotFound`] if the output root is missing,
    /// and those of [`open`](RunBuilder::open).
    ///
    /// ```
    /// # #[cfg(feature = "manifest")] {
    /// use runlayout::Run;
    ///
    /// let root = tempfile::tempdir()?;
    /// let good = Run::builder(root.path()).stage("pretrain").create()?;
    /// good.finish()?;
    /// let bad = Run::builder(root.path()).stage("pretrain").create()?;
    /// bad.fail("diverged")?;
    /// let init = Run::builder(root.path()).stage("pretrain").open_latest_finished()?;
    /// assert_eq!(init.path(), good.path());
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_latest_finished(self) -> Result<Run> {
        let stage = self.checked_stage()?;
        self.checked_params()?;
        let group = self.group(stage.as_deref());
        if let Some(home) = Home::of(&self.root, self.cache.as_deref())? {
            #[cfg(feature = "object-store")]
            return self.open_latest_finished_in(&home, group);
            #[cfg(not(feature = "object-store"))]
            match home {}
        }
        let folder = group.folder(&self.root);
        let Some(entries) = folders::read_dir_if_there(&folder)? else {
            return Err(if folders::metadata_if_there(&self.root)?.is_none() {
                Error::RootNotFound {
                    root: self.root.clone(),
                }
            } else {
                Error::NoFinishedRun { path: folder }
            });
        };
        let mut newest: Option<(SystemTime, Address)> = None;
        for entry in entries.flatten() {
            let name = entry.file_name();
            // Run ids only: not `latest`, `debug`, temporaries or files.
            let Some(id) = name.to_str().filter(|n| names::check(n).is_ok()) else {
                continue;
            };
            let address = group.address(RunId::from_valid(id.to_owned()));
            let Some(created) = finished_at(&self.run(address.clone(), false)) else {
                continue;
            };
            if newest.as_ref().is_none_or(|(at, _)| created > *at) {
                newest = Some((created, address));
            }
        }
        let Some((_, address)) = newest else {
            return Err(Error::NoFinishedRun { path: folder });
        };
        let run = self.run(address, false);
        let claim = open::verify(&run, &self)?;
        let run = run.claimed(claim);
        open::record_restart(&run, &self, Found::Open)?;
        Ok(run)
    }
}

impl RunBuilder {
    /// [`open_latest_finished`](RunBuilder::open_latest_finished) in a
    /// home in object storage: the stage's runs, their manifests and
    /// statuses read there (no working copy is made but the one opened).
    #[cfg(feature = "object-store")]
    fn open_latest_finished_in(
        self,
        home: &Home,
        group: crate::run::address::Group<'_>,
    ) -> Result<Run> {
        let mut newest: Option<(SystemTime, Address)> = None;
        for (run, bytes) in home.runs_of(group)? {
            let Ok(manifest) = serde_json::from_slice::<Manifest>(&bytes) else {
                continue;
            };
            let Some(created) = finished_with(&run, &manifest) else {
                continue;
            };
            if newest.as_ref().is_none_or(|(at, _)| created > *at) {
                newest = Some((created, run.address().clone()));
            }
        }
        let Some((_, address)) = newest else {
            let folder = group.folder(std::path::Path::new(""));
            let path = format!("{}/{}", home.root_url(), folder.display()).into();
            return Err(Error::NoFinishedRun { path });
        };
        self.open_in(home, &address)
    }
}

/// When `run` was created, if it is a run with a readable manifest whose
/// status is finished.
fn finished_at(run: &Run) -> Option<SystemTime> {
    let manifest = Manifest::read(run.path()).ok()??;
    finished_with(run, &manifest)
}

/// When `run`, whose manifest is `manifest`, was created, if its status
/// is finished.
fn finished_with(run: &Run, manifest: &Manifest) -> Option<SystemTime> {
    let state = run.state_with(KnownManifest::Read(Some(manifest))).ok()?;
    (state.status == RunStatus::Finished).then(|| manifest.created_at())?
}
