//! The check of nested layouts against their parent: two names for one
//! path across a `nest(..)`, or a file of one used as a folder by the other.
//!
//! A nested type the crate can name is checked by a constant evaluated
//! while the crate compiles. A nested type that names the struct's generic
//! parameters (`nest("tracker", T)`) is unknown until the struct is used
//! with concrete types, so its check is an associated constant that `root()`
//! refers to: it is evaluated for each concrete `Paths<Tracker>` the
//! program uses, when that code is built.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::{Ident, Type};

use crate::ast::Input;
use crate::attr::Kind;
use crate::generics::mentions_generic;
use crate::signature::entry_const;

/// For each nested layout, a constant that checks its entries against this
/// layout's (and those of the layouts nested after it) while the crate
/// compiles, and fails compilation at the `nest(..)`'s path with a message
/// naming both entries: two names for one path, or a file used as a folder.
/// A nested type that names the struct's generic parameters cannot be named
/// outside the impl, so it stands in as a plain folder here, and
/// [`deferred`] checks it.
pub fn checks(input: &Input<'_>, p: &TokenStream) -> TokenStream {
    let nameable = |ty: &Type| !mentions_generic(ty, input.generics);
    let any = input
        .entries
        .iter()
        .any(|e| matches!(&e.kind, Kind::Nest(ty) if nameable(ty)));
    if !any {
        return TokenStream::new();
    }
    let entries: Vec<TokenStream> = input
        .entries
        .iter()
        .map(|entry| match &entry.kind {
            Kind::Nest(ty) if !nameable(ty) => {
                let name = entry.name.unraw().to_string();
                let path = &entry.lit;
                quote!(#p::Entry::dir(#name, #path))
            }
            _ => entry_const(entry, p),
        })
        .collect();
    let all = Ident::new("ENTRIES", Span::mixed_site());
    let found = Ident::new("CONFLICT", Span::mixed_site());
    let checks = input
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(&e.kind, Kind::Nest(ty) if nameable(ty)))
        .map(|(index, entry)| {
            let fail = quote_spanned! {entry.lit.span()=>
                ::core::panic!("{}", #found.as_str())
            };
            quote! {
                const _: () = {
                    const #found: #p::Conflict = #p::nested_conflict(#all, #index);
                    if !#found.is_empty() {
                        #fail
                    }
                };
            }
        });
    quote! {
        const _: () = {
            const #all: &[#p::Entry] = &[#(#entries),*];
            #(#checks)*
        };
    }
}

/// The check of nested layouts whose type names a generic parameter: an
/// associated constant of the struct, and the statement by which `root()`
/// refers to it. Both empty without such a nested layout.
pub struct Deferred {
    pub item: TokenStream,
    pub use_it: TokenStream,
}

/// The check [`checks`] cannot make: each nested layout whose type names a
/// generic parameter, and each nested layout declared before one (whose
/// pairs with it are its own to report), checked over the struct's
/// `Layout::ENTRIES` once the parameters are known. It fails the build of
/// the code that uses the struct with those types, at the `nest(..)`'s
/// path, with the message the other check gives.
pub fn deferred(input: &Input<'_>, p: &TokenStream) -> Deferred {
    let generic = |ty: &Type| mentions_generic(ty, input.generics);
    let Some(last_generic) = input
        .entries
        .iter()
        .rposition(|e| matches!(&e.kind, Kind::Nest(ty) if generic(ty)))
    else {
        return Deferred {
            item: TokenStream::new(),
            use_it: TokenStream::new(),
        };
    };
    let found = Ident::new("conflict", Span::mixed_site());
    let checks = input
        .entries
        .iter()
        .enumerate()
        .filter(
            |(index, e)| matches!(&e.kind, Kind::Nest(ty) if generic(ty) || *index < last_generic),
        )
        .map(|(index, entry)| {
            let fail = quote_spanned! {entry.lit.span()=>
                ::core::panic!("{}", #found.as_str())
            };
            quote! {
                let #found = #p::nested_conflict(<Self as #p::Layout>::ENTRIES, #index);
                if !#found.is_empty() {
                    #fail
                }
            }
        });
    let name = Ident::new("__RUNLAYOUT_NESTED_CHECK", Span::call_site());
    Deferred {
        item: quote! {
            #[doc(hidden)]
            const #name: () = {
                #(#checks)*
            };
        },
        use_it: quote!(let () = Self::#name;),
    }
}
