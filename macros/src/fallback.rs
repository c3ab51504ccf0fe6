//! What is generated when the input has mistakes: next to the errors, an
//! impl with the right shape and unreachable bodies, so that code using the
//! type does not drown in follow-on errors (as thiserror does).

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;

use crate::ast::Input;
use crate::signature::{Signature, family_ident, family_name, family_type, signature};
use crate::valid::is_method_name;

pub fn expand(input: &Input<'_>) -> TokenStream {
    let p = input.private();
    let ident = input.ident;
    let vis = input.vis;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let mut seen = BTreeSet::new();
    let accessors: Vec<_> = input
        .entries
        .iter()
        .filter_map(|entry| {
            if !is_method_name(&entry.name) || !seen.insert(entry.name.unraw().to_string()) {
                return None;
            }
            let name = &entry.name;
            let Signature { params, ret } = signature(entry, &p);
            Some(quote! {
                #[allow(unused_variables, clippy::all)]
                #vis fn #name(&self #(, #params)*) -> #ret {
                    ::core::unreachable!()
                }
            })
        })
        .collect();
    // A family accessor whose name an entry took already is left out: the
    // clash is reported, and one method of that name is enough.
    let families = input.entries.iter().filter_map(|entry| {
        let family = family_name(entry)?;
        if !seen.insert(family) {
            return None;
        }
        let name = family_ident(entry);
        let ret = family_type(entry, &p)?;
        Some(quote! {
            #[allow(clippy::all)]
            #vis fn #name(&self) -> #ret {
                ::core::unreachable!()
            }
        })
    });
    quote! {
        #[automatically_derived]
        impl #impl_generics #p::Layout for #ident #ty_generics #where_clause {
            const ENTRIES: &'static [#p::Entry] = &[];

            fn root(&self) -> &#p::Path {
                ::core::unreachable!()
            }
        }

        #[automatically_derived]
        impl #impl_generics #ident #ty_generics #where_clause {
            #(#accessors)*
            #(#families)*
        }
    }
}
