//! Layouts: the `Layout` trait (the folders and files of a run, declared
//! once) and `FromRoot`, their entries, typed paths, what the derive's
//! generated code calls (rendering, conflict checks), the layout record
//! (`run.layout.json`) and families.
//!
//! Uses `record`, `run`, `io` and `error`.

pub(crate) mod conflict;
pub(crate) mod entry;
pub(crate) mod family;
pub(crate) mod record;
pub(crate) mod render;
pub(crate) mod typed_path;

use std::collections::BTreeSet;
use std::path::Path;

use crate::error::Result;
use crate::io::fs;
use crate::layout::entry::Entry;
use crate::layout::record as layout_record;
use crate::run::Run;

/// A set of folders and files below one root, usually derived with
/// `#[derive(Layout)]`: one accessor per entry, none of which touches the disk.
///
/// ```
/// use std::path::{Path, PathBuf};
/// use runlayout::{Layout, layout::Entry};
///
/// struct Paths { root: PathBuf }
///
/// impl Layout for Paths {
///     const ENTRIES: &'static [Entry] = &[
///         Entry::dir("checkpoint", "checkpoints"),
///         Entry::file("summary", "tracker/summary.yaml"),
///     ];
///     fn root(&self) -> &Path {
///         &self.root
///     }
/// }
///
/// let dir = tempfile::tempdir()?;
/// let paths = Paths { root: dir.path().to_path_buf() };
/// paths.create_all()?;
/// assert!(dir.path().join("checkpoints").is_dir());
/// assert!(dir.path().join("tracker").is_dir());
/// assert!(!dir.path().join("tracker/summary.yaml").exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Layout {
    /// Every entry, in declaration order.
    const ENTRIES: &'static [Entry];

    /// The folder every entry's path is relative to.
    fn root(&self) -> &Path;

    /// Makes every folder entry and every file entry's parent folder
    /// (nested layouts included), each folder once, parents first, and
    /// nothing else: no file is created. Folders that exist are fine; the
    /// root is made too if it is missing. Parts of a path that depend on a
    /// `{placeholder}` are left to the accessor's caller.
    ///
    /// When the root is a run folder, the layout is also recorded in it, as
    /// [`record`](Layout::record) does. The root is a run folder when the
    /// layout is rooted at a [`Run`] ([`root_run`](Layout::root_run), which
    /// `#[derive(Layout)]` implements for a `Run` field: a run without a
    /// manifest is a run all the same), or when it holds `run.json` (one
    /// look, for a layout rooted at a folder path). A folder that is neither
    /// gets no record.
    ///
    /// # Errors
    ///
    /// [`Error::NotADirectory`](crate::Error::NotADirectory) if a file stands where a folder should,
    /// [`Error::Io`](crate::Error::Io) naming the path, and those of
    /// [`record`](Layout::record).
    fn create_all(&self) -> Result<()> {
        create_entries(self.root(), Self::ENTRIES)?;
        let name = std::any::type_name::<Self>();
        if self.root_run().is_some() {
            layout_record::record(self.root(), name, Self::ENTRIES)
        } else {
            layout_record::record_if_run(self.root(), name, Self::ENTRIES)
        }
    }

    /// The run the layout is rooted at, when its root is a [`Run`]:
    /// [`create_all`](Layout::create_all) records the layout there without
    /// looking for a manifest. `#[derive(Layout)]` implements it (`Some`
    /// for a root field of type `Run`, `None` for a folder path); the
    /// default is `None`.
    ///
    /// ```
    /// use std::path::Path;
    /// use runlayout::{Layout, Run, layout::Entry};
    ///
    /// struct Paths { run: Run }
    ///
    /// impl Layout for Paths {
    ///     const ENTRIES: &'static [Entry] = &[Entry::dir("checkpoint", "checkpoints")];
    ///     fn root(&self) -> &Path {
    ///         self.run.path()
    ///     }
    ///     fn root_run(&self) -> Option<&Run> {
    ///         Some(&self.run)
    ///     }
    /// }
    ///
    /// let dir = tempfile::tempdir()?;
    /// let run = Run::builder(dir.path()).write_manifest(false).create()?;
    /// let paths = Paths { run };
    /// paths.create_all()?;
    /// # #[cfg(feature = "manifest")]
    /// assert!(paths.run.layout_record()?.is_some(), "recorded without run.json");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn root_run(&self) -> Option<&Run> {
        None
    }

    /// Records the layout's entries in `run.layout.json` in its root (a run
    /// folder), under the layout type's name, without making any folder:
    /// `runlayout path` and `runlayout show` read it. A second layout used
    /// on the same run is recorded next to the first. Written atomically,
    /// keeping what else the file holds, and only when it changes. Does
    /// nothing without the `manifest` feature.
    ///
    /// # Errors
    ///
    /// [`Error::Io`](crate::Error::Io) naming the record,
    /// [`Error::InvalidRecord`](crate::Error::InvalidRecord) if the
    /// record there cannot be read (it is not replaced then).
    fn record(&self) -> Result<()> {
        layout_record::record(self.root(), std::any::type_name::<Self>(), Self::ENTRIES)
    }
}

/// A layout that can be built from its root folder alone, so that another
/// layout can mount it at a sub-folder (`nest("tracker", TrackerPaths)`).
///
/// `#[derive(Layout)]` implements it for every struct whose only field is its
/// root, when that field's type is `DirPath`, `PathBuf` or a type parameter
/// that a `DirPath` converts into. Other layouts can implement it by hand.
///
/// ```
/// use runlayout::{DirPath, FromRoot};
///
/// struct Plots { dir: DirPath }
///
/// impl FromRoot for Plots {
///     fn from_root(root: DirPath) -> Plots {
///         Plots { dir: root }
///     }
/// }
///
/// let plots = Plots::from_root(DirPath::new("run/plots"));
/// assert_eq!(plots.dir, DirPath::new("run/plots"));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be mounted at a sub-folder of another layout",
    label = "`{Self}` does not implement `FromRoot`",
    note = "`#[derive(Layout)]` implements `FromRoot` for structs whose only field is a `DirPath`, a `PathBuf` or a type parameter; implement it by hand for others"
)]
pub trait FromRoot: Sized {
    /// Builds the layout rooted at `root`.
    fn from_root(root: crate::DirPath) -> Self;
}

/// Makes the folders `entries` need below `root`, each with one `mkdir` when
/// the root exists and is fresh.
fn create_entries(root: &Path, entries: &[Entry]) -> Result<()> {
    let mut needed = BTreeSet::new();
    for entry in entries {
        entry.folders(Path::new(""), &mut needed);
    }
    // `Path` orders by components, so every parent comes before its children
    // and a single `mkdir` per folder suffices.
    for folder in needed {
        fs::ensure_folder(&root.join(folder))?;
    }
    Ok(())
}

/// Which root types are runs, for `#[derive(Layout)]`'s
/// [`Layout::root_run`]: `(&RootProbe(&field)).root_run()` resolves to
/// [`IsRunRoot`] for a `Run` and to [`NotRunRoot`] for any other type (a
/// method found without auto-referencing wins over one found with it).
#[doc(hidden)]
pub struct RootProbe<'a, T: ?Sized>(pub &'a T);

/// See [`RootProbe`].
#[doc(hidden)]
pub trait IsRunRoot<'a> {
    fn root_run(&self) -> Option<&'a Run>;
}

impl<'a> IsRunRoot<'a> for RootProbe<'a, Run> {
    #[inline]
    fn root_run(&self) -> Option<&'a Run> {
        Some(self.0)
    }
}

/// See [`RootProbe`].
#[doc(hidden)]
pub trait NotRunRoot<'a> {
    fn root_run(&self) -> Option<&'a Run>;
}

impl<'a, T: ?Sized> NotRunRoot<'a> for &RootProbe<'a, T> {
    #[inline]
    fn root_run(&self) -> Option<&'a Run> {
        None
    }
}
