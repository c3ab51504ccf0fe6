//! Where a run is: `Run`, one run's folder and the settings that placed it
//! there; its address below the root, both ways; its run id and the id
//! generator; the nesting of stage and run id folders; `RunSpec`, a run as
//! a person names it.
//!
//! Uses `io` and `error`.

pub(crate) mod address;
pub(crate) mod id;
pub(crate) mod nesting;
pub(crate) mod spec;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::io::claim::UseClaim;
use crate::io::pointer::LinkStyle;
use crate::run::address::Address;
use crate::run::id::RunId;
use crate::run::nesting::Nesting;

/// How often a [`RunGuard`](crate::RunGuard) records a heartbeat unless
/// [`RunBuilder::heartbeat_interval`](crate::RunBuilder::heartbeat_interval)
/// says otherwise.
///
/// ```
/// assert_eq!(runlayout::HEARTBEAT_INTERVAL.as_secs(), 30);
/// ```
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(30);

/// A run folder that exists (it was created or opened), with the id, stage
/// and settings that placed it.
///
/// Reading any of its accessors does no I/O: the folder was made once, when
/// the run was created.
///
/// A run that was created, opened or joined is *in use* for as long as this
/// value (or a clone of it) lives: no prune removes it meanwhile, in this
/// process or any other (see the format document on claims). Runs listed by
/// a scan are not.
///
/// ```
/// use runlayout::Run;
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
    root: PathBuf,
    path: PathBuf,
    address: Address,
    link_style: LinkStyle,
    is_new: bool,
    /// How often its guards record a heartbeat.
    heartbeat: Duration,
    /// This process's use claim on the run, shared by the clones.
    claim: Option<Arc<UseClaim>>,
    /// A lock this process holds for as long as the run (or a clone)
    /// lives: a sweep trial's claim, which its worker holds while it works.
    #[cfg_attr(not(feature = "manifest"), allow(dead_code))]
    held: Option<Arc<dyn Held>>,
    /// Where the run lives in object storage, if it does: this folder is
    /// then its local working copy.
    #[cfg(feature = "object-store")]
    home: Option<Arc<RunHome>>,
}

#[cfg(feature = "object-store")]
pub(crate) use crate::io::working_copy::RunHome;

/// What a run holds for as long as it lives (a sweep trial's claim): it
/// may be shared between threads and across a caught panic, as the run is.
pub(crate) trait Held: std::fmt::Debug + Send + Sync + std::panic::RefUnwindSafe {}

impl<T: std::fmt::Debug + Send + Sync + std::panic::RefUnwindSafe> Held for T {}

impl Run {
    /// The one constructor: the path follows from the root and the address.
    pub(crate) fn new(root: PathBuf, address: Address, link_style: LinkStyle, is_new: bool) -> Run {
        let path = address.folder(&root);
        Run {
            root,
            path,
            address,
            link_style,
            is_new,
            heartbeat: HEARTBEAT_INTERVAL,
            claim: None,
            held: None,
            #[cfg(feature = "object-store")]
            home: None,
        }
    }

    /// The run, living in `home`: this folder is its working copy, where
    /// a file written atomically is stored in the home before the write
    /// returns.
    #[cfg(feature = "object-store")]
    pub(crate) fn at_home(mut self, home: RunHome) -> Run {
        self.home = Some(crate::io::working_copy::register(home));
        self
    }

    /// Where the run lives in object storage, if it does.
    #[cfg(feature = "object-store")]
    pub(crate) fn home(&self) -> Option<&RunHome> {
        self.home.as_deref()
    }

    /// The run, found made by another: joined, not new.
    #[cfg_attr(not(feature = "object-store"), allow(dead_code))]
    pub(crate) fn joined(mut self) -> Run {
        self.is_new = false;
        self
    }

    /// The run, its guards recording a heartbeat every `interval`.
    pub(crate) fn with_heartbeat_interval(mut self, interval: Duration) -> Run {
        self.heartbeat = interval;
        self
    }

    /// How often the run's guards record a heartbeat.
    pub(crate) fn heartbeat_interval(&self) -> Duration {
        self.heartbeat
    }

    /// The manifest this run's use claim holds (the one this process made
    /// or opened), if it holds one.
    #[cfg_attr(not(feature = "object-store"), allow(dead_code))]
    pub(crate) fn claimed_manifest(&self) -> Option<&std::fs::File> {
        self.claim.as_deref().map(UseClaim::file)
    }

    /// The run, holding `claim` (the use claim this process took on it) for
    /// as long as it or a clone lives.
    pub(crate) fn claimed(mut self, claim: Option<UseClaim>) -> Run {
        self.claim = claim.map(Arc::new);
        self
    }

    /// The run, holding `held` (a locked file, a lease) for as long as it
    /// or a clone lives.
    // Only sweeps, which need the `manifest` feature, call it.
    #[cfg_attr(not(feature = "manifest"), allow(dead_code))]
    pub(crate) fn holding(mut self, held: impl Held + 'static) -> Run {
        self.held = Some(Arc::new(held));
        self
    }

    pub(crate) fn address(&self) -> &Address {
        &self.address
    }

    /// The run's folder.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).run_id("r1").create()?;
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
    /// let run = runlayout::Run::builder(root.path()).run_id("r1").create()?;
    /// assert_eq!(run.id(), "r1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn id(&self) -> &RunId {
        &self.address.id
    }

    /// The stage, if the run has one.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
    /// assert_eq!(run.stage(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stage(&self) -> Option<&str> {
        self.address.stage.as_deref()
    }

    /// Whether the run sits below the root's `debug/` folder.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).debug(true).create()?;
    /// assert!(run.is_debug());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_debug(&self) -> bool {
        self.address.debug
    }

    /// The output root the run was placed under, as it was given.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
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
    /// use runlayout::{Nesting, Run};
    /// let run = Run::builder(root.path()).create()?;
    /// assert_eq!(run.nesting(), Nesting::StageFirst);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn nesting(&self) -> Nesting {
        self.address.nesting
    }

    /// How [`Run::link`] records ancestors for this run.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// use runlayout::{LinkStyle, Run};
    /// let run = Run::builder(root.path()).link_style(LinkStyle::PointerFile).create()?;
    /// assert_eq!(run.link_style(), LinkStyle::PointerFile);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn link_style(&self) -> LinkStyle {
        self.link_style
    }

    /// Whether this process created the folder: `create`, or the one caller
    /// of `create_or_open` (or [`create_for`](crate::RunBuilder::create_for))
    /// that won the race, rather than finding it (`open`, or a
    /// `create_or_open` that another process won).
    ///
    /// It says nothing about ranks: among the ranks of one job, whichever
    /// arrives first creates the folder, rank 0 or not. For "only rank 0
    /// does it", ask [`Ranks::is_primary`](crate::Ranks::is_primary).
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
    /// assert!(run.is_new());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_new(&self) -> bool {
        self.is_new
    }
}

impl AsRef<Path> for Run {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}
