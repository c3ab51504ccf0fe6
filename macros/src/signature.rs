//! What each entry declares in generated code, whatever the bodies: its line
//! in `ENTRIES`, its accessor's name, arguments and return type, and its
//! family accessor's name and type. The expansion, the fallback (which
//! stands in with the same signatures when there are errors) and the checks
//! of nested layouts all emit these, so they take them from here and agree.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::{Ident, LitStr};

use crate::attr::{Entry, Kind};
use runlayout_grammar::template::{ParamKind, Template};

/// The entry's line in `ENTRIES`.
pub fn entry_const(entry: &Entry, p: &TokenStream) -> TokenStream {
    let name = entry.name.unraw().to_string();
    let path = &entry.lit;
    match &entry.kind {
        Kind::Dir => quote!(#p::Entry::dir(#name, #path)),
        Kind::File => quote!(#p::Entry::file(#name, #path)),
        Kind::Nest(ty) => {
            quote!(#p::Entry::nested(#name, #path, <#ty as #p::Layout>::ENTRIES))
        }
    }
}

/// The `<name>_family` accessor an entry with placeholders gets (a float's
/// among them: its key is an `f64`).
pub fn family_name(entry: &Entry) -> Option<String> {
    let template = entry.template.as_ref()?;
    let has_family = !template.is_static() && !matches!(entry.kind, Kind::Nest(_));
    has_family.then(|| format!("{}_family", entry.name.unraw()))
}

/// Whether a placeholder of `template` is a float.
pub fn has_float(template: &Template) -> bool {
    template
        .params()
        .any(|p| matches!(p.kind, ParamKind::Float { .. }))
}

/// The family accessor's name, spanned at the entry's name.
pub fn family_ident(entry: &Entry) -> Ident {
    format_ident!("{}_family", entry.name.unraw(), span = entry.name.span())
}

/// `Family<K, P>` for an entry with placeholders (none for others): `K` is
/// the placeholder's type (`u64` for `{n:04}`, `String` for text), or a
/// tuple of them in the order they appear; `P` the entry's typed path.
pub fn family_type(entry: &Entry, p: &TokenStream) -> Option<TokenStream> {
    family_name(entry)?;
    let template = entry.template.as_ref()?;
    let parts: Vec<TokenStream> = template
        .params()
        .map(|param| match param.kind {
            ParamKind::Text => quote!(#p::String),
            ParamKind::Uint { ty, .. } => {
                let ty = Ident::new(ty, Span::call_site());
                quote!(#p::primitive::#ty)
            }
            ParamKind::Float { .. } => quote!(#p::primitive::f64),
        })
        .collect();
    let key = match parts.as_slice() {
        [one] => one.clone(),
        _ => quote!((#(#parts),*)),
    };
    let member = match entry.kind {
        Kind::File => quote!(#p::FilePath),
        _ => quote!(#p::DirPath),
    };
    Some(quote!(#p::Family<#key, #member>))
}

/// An accessor's arguments and return type.
pub struct Signature {
    pub params: Vec<TokenStream>,
    pub ret: TokenStream,
}

pub fn signature(entry: &Entry, p: &TokenStream) -> Signature {
    let params = entry
        .template
        .iter()
        .flat_map(Template::params)
        .map(|param| {
            let arg = param_ident(&param.name, &entry.lit);
            match param.kind {
                ParamKind::Text => quote!(#arg: impl #p::Display),
                ParamKind::Uint { ty, .. } => {
                    let ty = Ident::new(ty, Span::call_site());
                    quote!(#arg: #p::primitive::#ty)
                }
                ParamKind::Float { .. } => quote!(#arg: #p::primitive::f64),
            }
        })
        .collect();
    let plain = match &entry.kind {
        Kind::Dir => quote!(#p::DirPath),
        Kind::File => quote!(#p::FilePath),
        Kind::Nest(ty) => quote!(#ty),
    };
    let fallible = entry.template.as_ref().is_some_and(Template::is_fallible);
    let ret = if fallible {
        quote!(#p::Result<#plain>)
    } else {
        plain
    };
    Signature { params, ret }
}

/// The argument a placeholder becomes, spanned at the path literal.
/// The template parser has checked that `name` is an identifier.
pub fn param_ident(name: &str, lit: &LitStr) -> Ident {
    Ident::new(name, lit.span())
}
