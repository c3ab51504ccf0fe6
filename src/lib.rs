//! Declarative folder layouts for the runs of training jobs, simulations and
//! benchmark harnesses.
//!
//! Each run gets its own folder, `root/[debug/]<stage>/<run_id>`, made with
//! one exclusive `mkdir` so that two runs never share one, named by a
//! readable id (`2026-11-30_k3x9a`), resumable, and linked to the run it grew
//! out of.
//!
//! ```
//! use runlayout::Run;
//!
//! let root = tempfile::tempdir()?;
//! let run = Run::builder(root.path()).stage("pretrain").create()?;
//! std::fs::write(run.path().join("log.txt"), "epoch 1\n")?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use runlayout_runtime::*;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
