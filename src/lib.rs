// README.md is the front page here as on the repository's web pages and on
// crates.io. Its links name files of the repository by label; the labels'
// definitions below come first, and in Markdown the first definition of a
// label wins, so here the same links lead to the guide's pages (checked by
// rustdoc) and to the repository. `guide::tests` checks both sets of labels.
// (rustdoc names README.md's doctests after labels.md, the first file, and
// counts their lines from its start.)
#![doc = include_str!("guide/labels.md")]
#![cfg_attr(feature = "clap", doc = "[run_args]: crate::guide::run_args")]
#![doc = ""]
#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod guide;
mod path_provider;
#[cfg(feature = "clap")]
mod run_args;

// The public names, chosen: the few a program starts from at the root, the
// rest in modules by topic. Nothing is re-exported by glob.
pub use path_provider::PathProvider;
#[cfg(feature = "clap")]
#[cfg_attr(docsrs, doc(cfg(feature = "clap")))]
pub use run_args::RunArgs;
pub use runlayout_runtime::{
    AtomicFile, DirPath, Error, Family, FilePath, FromRoot, Goal, HEARTBEAT_INTERVAL, Launcher,
    Layout, LinkStyle, Nesting, Ranks, Result, Run, RunBuilder, RunGuard, RunId, RunSpec,
    RunStatus,
};

/// The names runlayout keeps on disk: in a run folder (`run.json`, the
/// status, layout, summary and restarts records, the record lock,
/// `ancestor`, `descendants/`), in a stage folder (`latest`), below the
/// root (`debug/`), and `latest-finished` in a run's name. No placeholder
/// value can be one of them where it would clash.
///
/// ```
/// assert_eq!(runlayout::names::MANIFEST, "run.json");
/// ```
pub mod names {
    #[cfg(feature = "serde")]
    #[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
    pub use runlayout_runtime::SUMMARY;
    pub use runlayout_runtime::{
        ANCESTOR, DEBUG_DIR, DESCENDANTS, LATEST, LATEST_FINISHED, LAYOUT_RECORD, LOCK, MANIFEST,
        RESTARTS, STATUS,
    };
}

/// Settings from the environment: the variables `RunBuilder::from_env` and
/// `RunArgs` read, the default output root, and this machine's name.
///
/// ```
/// assert_eq!(runlayout::env::ENV_ROOT, "RUNLAYOUT_ROOT");
/// ```
pub mod env {
    /// The one reading of environment variables, shared by `RunArgs` and
    /// the runtime. Not a public API: it may change in any release.
    #[doc(hidden)]
    pub use runlayout_runtime::Vars;
    pub use runlayout_runtime::{
        CLOCK_SKEW, DEFAULT_ROOT, ENV_CLOCK_SKEW, ENV_DEBUG, ENV_RESUME, ENV_ROOT, ENV_RUN_ID,
        ENV_SEED, ENV_STAGE, ENV_SWEEP, ENV_TRIAL, host_name, parse_flag,
    };
}

/// The parts of [`Error`]: what was being done, which naming rule a name
/// broke, which record could not be read, and why a folder is not a run.
///
/// ```
/// use runlayout::error::Operation;
/// assert_eq!(Operation::CreateDir.to_string(), "create folder");
/// ```
pub mod error {
    pub use runlayout_runtime::{
        NameKind, NameRule, NotARunReason, Operation, RecordKind, TrialReason,
    };
}

/// What a layout is made of, for code that walks one: its entries and
/// their kinds ([`Layout`] itself is at the root).
///
/// ```
/// use runlayout::layout::EntryKind;
/// assert_ne!(EntryKind::File, EntryKind::Dir);
/// ```
pub mod layout {
    pub use runlayout_runtime::{Entry, EntryKind};
}

/// The members of a parameterized entry ([`Family`]): their
/// keys, their kinds, and templates known only when the program runs.
///
/// ```
/// use runlayout::family::FamilyTemplate;
/// static EPOCHS: FamilyTemplate = FamilyTemplate::new("ckpt/{epoch:u32}.pt");
/// assert_eq!(EPOCHS.as_str(), "ckpt/{epoch:u32}.pt");
/// ```
pub mod family {
    pub use runlayout_runtime::{
        FamilyKey, FamilyMember, FamilyTemplate, LeftMember, LeftReason, Removal,
    };
}

/// What runlayout records of a run and reads back: the manifest
/// (`run.json`) with its provenance and parameters, the status, the
/// restarts, the summary (results, tags, note), and the recorded layout.
///
/// ```
/// # let root = tempfile::tempdir()?;
/// let run = runlayout::Run::builder(root.path()).create()?;
/// let state: runlayout::record::RunState = run.state()?;
/// assert!(state.ended.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub mod record {
    #[cfg(feature = "serde")]
    #[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
    pub use runlayout_runtime::Summary;
    pub use runlayout_runtime::{
        Ended, GitRecord, LauncherRecord, LayoutRecord, Manifest, ProcessRecord, RecordedEntry,
        Restart, RunState,
    };
}

/// Finding the runs below an output root: what `runlayout ls` lists.
///
/// ```
/// # let root = tempfile::tempdir()?;
/// use runlayout::scan::Runs;
/// runlayout::Run::builder(root.path()).stage("s").create()?;
/// assert_eq!(Runs::scan(root.path()).list()?.runs.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub mod scan {
    pub use runlayout_runtime::{DebugRuns, FoundRun, Listing, Runs};
}

/// Removing runs safely: a selection, the runs it never takes, a plan to
/// look at, and a removal a crash cannot leave half done.
///
/// ```
/// # let root = tempfile::tempdir()?;
/// use runlayout::prune::Prune;
/// let plan = Prune::new(root.path()).keep_last(5).plan()?;
/// assert!(plan.remove.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub mod prune {
    pub use runlayout_runtime::{Candidate, KeepReason, Kept, Prune, PrunePlan, Pruned};
}

/// Sweeps: a grid or list of trials, each an ordinary run of one stage,
/// that many workers claim exactly once, resume after any crash, and
/// compare in one table. See [the guide's page](crate::guide::sweeps).
///
/// ```
/// # let root = tempfile::tempdir()?;
/// use runlayout::sweep::Sweep;
/// let sweep = Sweep::builder(root.path()).stage("lr-sweep").grid("lr", [0.1, 0.01]).create()?;
/// while let Some(trial) = sweep.claim_next()? {
///     trial.guard().finish()?;
/// }
/// assert!(sweep.is_done()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "manifest")]
#[cfg_attr(docsrs, doc(cfg(feature = "manifest")))]
pub mod sweep {
    pub use runlayout_runtime::{
        SWEEP_PREFIX, SWEEP_RECORD, Sweep, SweepBuilder, SweepSpec, Trial, TrialState,
    };
}

/// Runs whose home is object storage: a root given as a URL (`s3://bucket/runs`,
/// `gs://…`, `az://…`, `memory://name/…` for tests) makes each run in the
/// bucket, with a local working copy that training code writes as usual
/// ([`RunBuilder::cache_dir`](crate::RunBuilder::cache_dir)), uploaded by
/// [`Run::sync`](crate::Run::sync) and brought down by
/// [`Run::fetch`](crate::Run::fetch). The guide's "Runs in a bucket" tells
/// the whole story.
///
/// ```
/// # let cache = tempfile::tempdir()?;
/// use runlayout::Run;
/// let run = Run::builder("memory://doc-remote-mod/runs")
///     .cache_dir(cache.path())
///     .stage("pretrain")
///     .create()?;
/// std::fs::write(run.path().join("log.txt"), "epoch 1\n")?;
/// let report: runlayout::remote::SyncReport = run.sync()?;
/// assert_eq!(report.uploaded.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "object-store")]
#[cfg_attr(docsrs, doc(cfg(feature = "object-store")))]
pub mod remote {
    pub use runlayout_runtime::SyncReport;
}

/// What only the `runlayout` command uses. Not a public API: it may change
/// in any release.
#[doc(hidden)]
pub mod __cli {
    #[cfg(feature = "object-store")]
    pub use runlayout_runtime::{Filled, Mirror, laid_out_text, laid_out_url};
    pub use runlayout_runtime::{Foreign, Survey, foreign, survey};
}

/// Derives [`Layout`](trait@Layout) and one accessor per declared entry;
/// the grammar is on the [front page](crate#the-grammar), its rules and the
/// mistakes it catches on the guide's [layouts](crate::guide::layouts) page.
///
/// ```
/// use runlayout::{DirPath, FilePath, Layout, Run};
///
/// #[derive(Layout)]
/// #[layout(checkpoint = "checkpoints", logfile = "log.txt")]
/// #[layout(epoch_ckpt = "checkpoints/epoch_{epoch:04}.ckpt")]
/// struct TrainPaths {
///     run: Run,
/// }
///
/// let root = tempfile::tempdir()?;
/// let paths = TrainPaths { run: Run::builder(root.path()).create()? };
/// paths.create_all()?;
/// let ckpt: DirPath = paths.checkpoint();
/// let log: FilePath = paths.logfile();
/// assert!(ckpt.is_dir() && !log.exists());
/// assert!(paths.epoch_ckpt(3).ends_with("checkpoints/epoch_0003.ckpt"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Nested layouts of a generic type
///
/// A nested layout is checked against its parent while the crate compiles:
/// two names for one path, or a file of one used as a folder by the other,
/// is an error at the `nest(..)`. When the nested type is a generic
/// parameter (`tracker = nest("tracker", T)`), it is unknown until the
/// struct is used with a concrete type, so the check is made then: for each
/// `Paths<Tracker>` the program uses, when that code is built. The error
/// names both entries, points at the `nest(..)`, and says which
/// instantiation failed. As with every error found in instantiated generic
/// code, `cargo build` and `cargo test` report it, `cargo check` does not,
/// and a `Paths<T>` the program never uses with a concrete type is never
/// checked.
///
/// ```
/// use std::marker::PhantomData;
/// use std::path::PathBuf;
/// use runlayout::{DirPath, FromRoot, Layout};
///
/// #[derive(Layout)]
/// #[layout(config = "config.yaml")]
/// struct Tracker {
///     dir: DirPath,
/// }
///
/// #[derive(Layout)]
/// #[layout(tracker = nest("tracker", T), notes = "tracker/notes.md")]
/// struct Paths<T: Layout + FromRoot> {
///     #[layout(root)]
///     root: PathBuf,
///     tracker: PhantomData<T>,
/// }
///
/// // Checked here: `notes` lies beside `Tracker`'s `config`, no clash.
/// // (`notes = "tracker/config.yaml"` would fail this build.)
/// let paths = Paths::<Tracker> { root: "runs/r1".into(), tracker: PhantomData };
/// assert!(paths.tracker().config().ends_with("tracker/config.yaml"));
/// ```
pub use runlayout_macros::Layout;

/// What code generated by `#[derive(Layout)]` names, by absolute path, so
/// that it compiles whatever the user's scope holds. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use core::convert::{AsRef, Into};
    pub use core::fmt::Display;
    pub use core::primitive;
    pub use core::result::Result::{Err, Ok};
    pub use std::format;
    pub use std::path::Path;
    pub use std::string::String;

    pub use runlayout_runtime::__private::{
        Conflict, IsRunRoot, NotRunRoot, RootProbe, component, join, nested_conflict, render_float,
        text,
    };
    pub use runlayout_runtime::{
        DirPath, Entry, Error, Family, FamilyTemplate, FilePath, FromRoot, Layout, Result, Run,
    };
}
