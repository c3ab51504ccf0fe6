//! The runtime of [runlayout](https://docs.rs/runlayout): run folders made
//! exclusively, ksuit-style run ids, resuming, and links between a run and
//! the run it grew out of.
//!
//! Most users depend on the `runlayout` facade, which re-exports everything
//! here next to the `#[derive(Layout)]` macro.
//!
//! ```
//! use runlayout_runtime::Run;
//!
//! let root = tempfile::tempdir()?;
//! // root/pretrain/2026-11-30_k3x9a, made with one exclusive mkdir.
//! let pretrain = Run::builder(root.path()).stage("pretrain").create()?;
//! // root/finetune/<same id>, linked back to the pretraining run.
//! let finetune = pretrain.with_run(None, Some("finetune")).create()?;
//! finetune.link(&pretrain)?;
//! assert_eq!(finetune.ancestor()?, Some(pretrain.path().canonicalize()?));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! | module | holds |
//! | --- | --- |
//! | [`RunId`] | validated run ids and the `YYYY-MM-DD_xxxxx` generator |
//! | [`Run`], [`RunBuilder`], [`Nesting`] | where a run's folder is, and its creation or resumption |
//! | [`Run::link`], [`LinkStyle`] | ancestor links and back-links |
//! | [`DirPath`], [`FilePath`], [`Layout`], [`Entry`] | typed paths and the trait the derive implements |
//! | [`Error`] | the one error type |

#![warn(missing_docs)]

mod atomic_link;
mod builder;
mod error;
mod fsx;
mod layout;
mod links;
mod name;
mod nesting;
mod random;
mod relpath;
mod run;
mod run_id;
mod typed_path;

pub use builder::RunBuilder;
pub use error::{Error, NameKind, NameRule, Operation, Result};
pub use layout::{Entry, EntryKind, Layout};
pub use links::{ANCESTOR, DESCENDANTS, LinkStyle};
pub use nesting::Nesting;
pub use run::Run;
pub use run_id::RunId;
pub use typed_path::{DirPath, FilePath};
