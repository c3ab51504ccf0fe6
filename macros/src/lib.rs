//! `#[derive(Layout)]`, re-exported by the `runlayout` crate: see its docs
//! for the attribute grammar.
//!
//! The pipeline, one file per step: `ast.rs` reads the input model (with
//! `attr.rs` for the attributes and `runlayout-grammar`'s template parser for
//! entry paths),
//! `valid.rs` checks it, `expand.rs` generates the code (with `doc.rs` for
//! the accessors' docs and `nested.rs` for the check of nested layouts
//! against their parent), and `fallback.rs` stands in when there are errors.
//! Every error is collected in `ctxt.rs` and all are reported together.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod ast;
mod attr;
mod ctxt;
mod doc;
mod expand;
mod fallback;
mod nested;
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
