//! A root in object storage (`s3://bucket/runs`) for the commands that
//! read runs as folders: `ls`, `show`, `tree`, `path`, `diff`, `latest`,
//! and `tag`, `note` and `link`, which then change the runs in the bucket.
//!
//! Their runs are laid out in a temporary folder, removed when the command
//! ends (see `runlayout::__cli::Mirror`): every run's manifest and each
//! stage's `latest` pointer, and for a run a command names, its records,
//! links, and each other object as a sparse file of its size (nothing is
//! downloaded). The records read are remembered in the cache folder
//! (`RUNLAYOUT_CACHE`, else the platform's), each with its entity tag, and
//! the next command reads again only those a listing shows changed. The
//! commands then read that folder with the code that
//! reads any root, so they answer for a bucket as for a folder, and every
//! path they print below it is printed as the URL it stands for.

use std::borrow::Cow;
use std::path::Path;

use runlayout::Run;

/// What a command returns (as `output::CliResult`, which prints through
/// this module: it cannot be used here).
type CliResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Whether `root` is a URL (`s3://bucket/runs`), not a folder.
pub fn is_url(root: &Path) -> bool {
    root.to_str().is_some_and(|text| text.contains("://"))
}

#[cfg(feature = "object-store")]
mod laid_out {
    use std::sync::OnceLock;

    use runlayout::__cli::Mirror;

    /// The bucket this command reads, laid out.
    pub struct LaidOut {
        pub mirror: Mirror,
        /// Removed with the process's end (as `LaidOut` lives in a
        /// static, its folder is removed by [`clean_up`]).
        pub dir: tempfile::TempDir,
    }

    pub static ACTIVE: OnceLock<LaidOut> = OnceLock::new();

    pub fn active() -> Option<&'static LaidOut> {
        ACTIVE.get()
    }
}

/// The records of every run a command reads: `ls` shows ancestors (and
/// filters by summaries), the others may name `latest-finished`.
#[cfg_attr(not(feature = "object-store"), allow(dead_code))]
pub enum Reading {
    /// `ls`: statuses and ancestors, and summaries if asked.
    Listing { summaries: bool },
    /// `show`, `tree`, `path`, `diff`, `latest`: statuses.
    Runs,
}

/// The folder the commands read for `root`: `root` itself, or for a URL
/// the folder its runs are laid out in (made on the first call), with
/// what `reading` needs of every run. What could not be read is told to
/// `warn`.
pub fn local_root(
    root: &Path,
    reading: Reading,
    warn: impl Fn(&dyn std::fmt::Display),
) -> CliResult<Cow<'_, Path>> {
    #[cfg(feature = "object-store")]
    if is_url(root) {
        use runlayout::__cli::Mirror;
        if let Some(laid_out) = laid_out::active() {
            return Ok(Cow::Owned(laid_out.mirror.dir().to_path_buf()));
        }
        let dir = Mirror::scratch()
            .map_err(|e| format!("cannot make a folder to read `{}` in: {e}", root.display()))?;
        let mirror = Mirror::of(root, dir.path())?.ok_or_else(|| {
            format!(
                "output root `{}` is no URL of object storage",
                root.display()
            )
        })?;
        // The records read are kept in the cache folder: the next command
        // reads again only those that changed.
        let mirror = mirror.remembering();
        use runlayout::names::{ANCESTOR, STATUS, SUMMARY};
        let records: &[&str] = match reading {
            Reading::Listing { summaries: true } => &[STATUS, ANCESTOR, SUMMARY],
            Reading::Listing { summaries: false } => &[STATUS, ANCESTOR],
            Reading::Runs => &[STATUS],
        };
        for problem in mirror.runs(records)? {
            warn(&format_args!("problem: {problem}"));
        }
        let local = mirror.dir().to_path_buf();
        let _ = laid_out::ACTIVE.set(laid_out::LaidOut { mirror, dir });
        return Ok(Cow::Owned(local));
    }
    let _ = (reading, warn);
    Ok(Cow::Borrowed(root))
}

/// `run`, found in the laid-out folder, whole: its records, links and
/// objects laid out, and living in the bucket (its `remote()` is its
/// URL), with what could not be laid out. Any other run is returned as
/// it is.
pub fn complete(run: Run) -> CliResult<(Run, Vec<runlayout::Error>)> {
    #[cfg(feature = "object-store")]
    if let Some(laid_out) = laid_out::active()
        && run.path().starts_with(laid_out.mirror.dir())
    {
        let filled = laid_out.mirror.fill(&run)?;
        return Ok((laid_out.mirror.attach(run), filled.problems));
    }
    Ok((run, Vec::new()))
}

/// `path` as the person reading should see it: the URL it stands for if
/// it is in a folder a bucket is laid out in (this module's, or a prune's),
/// else itself.
pub fn shown(path: &Path) -> Cow<'_, Path> {
    #[cfg(feature = "object-store")]
    if let Some(url) = runlayout::__cli::laid_out_url(path) {
        return Cow::Owned(url.into());
    }
    Cow::Borrowed(path)
}

/// `text` (a message, a problem) with the laid-out folder written as the
/// URL it stands for.
pub fn in_text(text: &str) -> Cow<'_, str> {
    #[cfg(feature = "object-store")]
    {
        let told = runlayout::__cli::laid_out_text(text);
        if told != text {
            return Cow::Owned(told);
        }
    }
    Cow::Borrowed(text)
}

/// Removes the laid-out folder, if there is one: statics are never
/// dropped, so `main` calls this before it returns.
pub fn clean_up() {
    #[cfg(feature = "object-store")]
    if let Some(laid_out) = laid_out::active() {
        let _ = std::fs::remove_dir_all(laid_out.dir.path());
    }
}
