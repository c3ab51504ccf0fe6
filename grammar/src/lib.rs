//! The rules that [runlayout](https://docs.rs/runlayout)'s derive checks at
//! compile time and its runtime checks when a program runs, written once so
//! the two can never disagree:
//!
//! | module | holds |
//! | --- | --- |
//! | [`names`] | what a run id, stage or placeholder value may be, and the names runlayout keeps for itself |
//! | [`template`] | the grammar of a layout entry's path (`checkpoints/epoch_{epoch:04}.ckpt`), rendering it and reading it back |
//! | [`hash`] | the stable hash behind names made from foreign text |
//!
//! Most users never name this crate: `runlayout` re-exports what they need.
//!
//! ```
//! use runlayout_grammar::names::{self, NameRule};
//!
//! assert_eq!(names::check("2026-11-30_k3x9a"), Ok(()));
//! assert_eq!(names::check("latest"), Err(NameRule::Reserved));
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod hash;
pub mod names;
pub mod template;
