//! `#[derive(Layout)]`, re-exported by the `runlayout` crate: see its docs
//! for the attribute grammar.
//!
//! The pipeline, one file per step, each using only files of the steps
//! before it: `attr.rs` parses the `#[layout(...)]` attributes into entries
//! (their paths with `runlayout-grammar`'s template parser), `ast.rs` reads
//! the input model around them, `valid.rs` checks it, `expand.rs` generates
//! the code, and `fallback.rs` stands in when there are errors. What both
//! generators emit for an entry (its line in `ENTRIES`, its accessors'
//! names and signatures) is in `signature.rs`; `doc.rs` writes the
//! accessors' docs, `nested.rs` the check of nested layouts against their
//! parent, and `generics.rs` tells which generic parameters a type names.
//! Every error is collected in `ctxt.rs` and all are reported together.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod ast;
mod attr;
mod ctxt;
mod doc;
mod expand;
mod fallback;
mod generics;
mod nested;
mod signature;
mod valid;

use proc_macro::TokenStream;

/// Derives `runlayout::Layout` and one accessor per declared entry. Use it
/// through the `runlayout` crate, whose documentation holds the attribute
/// grammar and an example:
///
/// ```text
/// #[derive(runlayout::Layout)]
/// #[layout(checkpoint = "checkpoints", logfile = "log.txt")]
/// struct TrainPaths { run: runlayout::Run }
/// ```
#[proc_macro_derive(Layout, attributes(layout))]
pub fn derive_layout(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}
