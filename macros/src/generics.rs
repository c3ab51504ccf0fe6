//! Which of the struct's generic parameters a type names: a generic root
//! needs bounds a concrete one does not, and a nested layout of a generic
//! type can only be checked once the struct is used with concrete types.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Generics, Ident, Type};

/// Whether `ty` names any of the struct's generic parameters (types,
/// lifetimes, constants) anywhere in it.
pub fn mentions_generic(ty: &Type, generics: &Generics) -> bool {
    let params: Vec<&Ident> = generics
        .params
        .iter()
        .map(|param| match param {
            syn::GenericParam::Type(t) => &t.ident,
            syn::GenericParam::Lifetime(l) => &l.lifetime.ident,
            syn::GenericParam::Const(c) => &c.ident,
        })
        .collect();
    !params.is_empty() && mentions(ty.to_token_stream(), &params)
}

fn mentions(tokens: TokenStream, params: &[&Ident]) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Ident(ident) => params.iter().any(|p| **p == ident),
        TokenTree::Group(group) => mentions(group.stream(), params),
        _ => false,
    })
}

/// Whether `ty` names one of the struct's type parameters anywhere in it.
pub fn mentions_type_param(ty: &Type, generics: &Generics) -> bool {
    let params: Vec<&Ident> = generics.type_params().map(|p| &p.ident).collect();
    !params.is_empty() && mentions(ty.to_token_stream(), &params)
}
