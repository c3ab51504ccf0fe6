//! Code generation: the `Layout` impl, one accessor per entry (and a
//! `<name>_family` accessor per entry with placeholders), `FromRoot` for
//! layouts that are their root alone, and a compile-time check of each
//! nested layout against this one.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, Ident, LitStr, Type};

use crate::ast::{Input, Root};
use crate::attr::{Entry, Kind};
use crate::ctxt::Ctxt;
use crate::generics::mentions_type_param;
use crate::signature::{Signature, entry_const, family_ident, family_type, param_ident, signature};
use crate::{doc, fallback, nested, valid};
use runlayout_grammar::template::{Component, ParamKind, Segment};

pub fn derive(node: &DeriveInput) -> TokenStream {
    let cx = Ctxt::default();
    let input = Input::from_syn(node, &cx);
    valid::check(&input, &cx);
    match (cx.check(), &input.root) {
        (Ok(()), Some(root)) => expand(&input, root),
        (Err(errors), _) => {
            let fallback = fallback::expand(&input);
            let errors = errors.into_compile_error();
            quote!(#errors #fallback)
        }
        // A missing root is always reported; this arm is never taken.
        (Ok(()), None) => fallback::expand(&input),
    }
}

fn expand(input: &Input<'_>, root: &Root<'_>) -> TokenStream {
    let p = input.private();
    let ident = input.ident;
    let root_ty = root.ty;
    let member = root.member;
    let mut generics = input.generics.clone();
    // A generic root needs the bound; a concrete one is checked in `root()`,
    // where the error points at the field's type.
    if mentions_type_param(root_ty, input.generics) {
        generics
            .make_where_clause()
            .predicates
            .push(syn::parse_quote!(#root_ty: #p::AsRef<#p::Path>));
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let root_ref = quote_spanned!(root_ty.span()=> #p::AsRef::<#p::Path>::as_ref(&self.#member));
    let entries = input.entries.iter().map(|e| entry_const(e, &p));
    let accessors = input.entries.iter().map(|e| accessor(e, input, &p));
    let families = input.entries.iter().map(|e| family(e, input, &p));
    let nested_checks = nested::checks(input, &p);
    let nested::Deferred {
        item: deferred,
        use_it: use_deferred,
    } = nested::deferred(input, &p);
    let from_root = input
        .root_is_only_field
        .then(|| from_root(input, root, &p))
        .flatten();
    quote! {
        #[automatically_derived]
        impl #impl_generics #p::Layout for #ident #ty_generics #where_clause {
            const ENTRIES: &'static [#p::Entry] = &[#(#entries),*];

            #[inline]
            fn root(&self) -> &#p::Path {
                #use_deferred
                #root_ref
            }

            #[inline]
            fn root_run(&self) -> ::core::option::Option<&#p::Run> {
                #[allow(unused_imports)]
                use #p::{IsRunRoot as _, NotRunRoot as _};
                (&#p::RootProbe(&self.#member)).root_run()
            }
        }

        // An accessor left uncalled is no dead code: its entry still shapes
        // `ENTRIES` and `create_all`.
        #[automatically_derived]
        #[allow(dead_code)]
        impl #impl_generics #ident #ty_generics #where_clause {
            #deferred
            #(#accessors)*
            #(#families)*
        }

        #from_root
        #nested_checks
    }
}

/// The `<name>_family` accessor of an entry with placeholders: the entry's
/// `Family`, keyed by its placeholders' values. Its template is parsed once,
/// at first use, into a `static` of the accessor's own.
fn family(entry: &Entry, input: &Input<'_>, p: &TokenStream) -> TokenStream {
    let (Some(template), Some(ret)) = (&entry.template, family_type(entry, p)) else {
        return TokenStream::new();
    };
    let vis = input.vis;
    let name = family_ident(entry);
    let lit = &entry.lit;
    let doc = doc::family(entry, template);
    let fixed = Ident::new("TEMPLATE", Span::mixed_site());
    quote_spanned! {entry.name.span()=>
        #[doc = #doc]
        #[must_use]
        #[inline]
        #vis fn #name(&self) -> #ret {
            static #fixed: #p::FamilyTemplate = #p::FamilyTemplate::new(#lit);
            #p::Family::new(#p::Layout::root(self), &#fixed)
        }
    }
}

fn accessor(entry: &Entry, input: &Input<'_>, p: &TokenStream) -> TokenStream {
    let Some(template) = &entry.template else {
        return TokenStream::new();
    };
    let vis = input.vis;
    let name = &entry.name;
    let Signature { params, ret } = signature(entry, p);
    let doc = doc::accessor(entry, template);
    let lit = &entry.lit;
    let mut checks = Vec::new();
    let mut parts = Vec::new();
    for (i, component) in template.components.iter().enumerate() {
        // Right inside the root, a value must not take a name runlayout keeps there.
        let first = i == 0;
        for param in component.params().filter(|p| p.kind == ParamKind::Text) {
            let arg = param_ident(&param.name, lit);
            let name = &param.name;
            checks.push(quote!(let #arg = #p::text(&#arg, #name, #lit, #first)?;));
        }
    }
    for (i, component) in template.components.iter().enumerate() {
        let (check, part) = component_part(component, i, lit, p);
        checks.extend(check);
        parts.push(part);
    }
    let path = quote!(#p::join(#p::Layout::root(self), &[#(#parts),*]));
    let value = match &entry.kind {
        Kind::Dir => quote!(#p::DirPath::new(#path)),
        Kind::File => quote!(#p::FilePath::new(#path)),
        Kind::Nest(ty) => {
            quote!(<#ty as #p::FromRoot>::from_root(#p::DirPath::new(#path)))
        }
    };
    let body = if template.has_text() {
        quote!(#(#checks)* #p::Ok(#value))
    } else {
        quote!(#(#checks)* #value)
    };
    let must_use = (!template.has_text()).then(|| quote!(#[must_use]));
    quote_spanned! {entry.name.span()=>
        #[doc = #doc]
        #must_use
        #[inline]
        #vis fn #name(&self #(, #params)*) -> #ret {
            #body
        }
    }
}

/// How one component enters the path: a string literal when fixed, else a
/// local rendered with `format!` (and checked if it holds a text value).
fn component_part(
    component: &Component,
    index: usize,
    lit: &LitStr,
    p: &TokenStream,
) -> (Option<TokenStream>, TokenStream) {
    if let Some(text) = component.as_static() {
        return (None, quote!(#text));
    }
    if component.is_lone_text() {
        let param = component.params().next().map(|p| param_ident(&p.name, lit));
        return (None, quote!(#param.as_str()));
    }
    let mut fmt = String::new();
    let mut args = Vec::new();
    for segment in &component.segments {
        match segment {
            Segment::Text(text) => fmt.push_str(text),
            Segment::Param(param) => {
                match param.kind {
                    ParamKind::Uint { width, .. } if width > 0 => {
                        fmt.push_str(&format!("{{:0{width}}}"));
                    }
                    _ => fmt.push_str("{}"),
                }
                args.push(param_ident(&param.name, lit));
            }
        }
    }
    let fmt = LitStr::new(&fmt, lit.span());
    let local = format_ident!("__component_{}", index, span = Span::mixed_site());
    let first = index == 0;
    let first_text = component.params().find(|p| p.kind == ParamKind::Text);
    let check = match first_text {
        Some(text) => {
            let arg = param_ident(&text.name, lit);
            let name = &text.name;
            quote! {
                let #local = #p::component(#p::format!(#fmt #(, #args)*), #name, &#arg, #lit, #first)?;
            }
        }
        None => quote!(let #local = #p::format!(#fmt #(, #args)*);),
    };
    (Some(check), quote!(#local.as_str()))
}

/// `FromRoot`, so that another layout can mount this one at a sub-folder:
/// for a root of type `DirPath`, `PathBuf` or a type parameter. Other root
/// types (a `Run`, say) cannot be made from a folder path, and the missing
/// impl is reported where such a layout is nested.
fn from_root(input: &Input<'_>, root: &Root<'_>, p: &TokenStream) -> Option<TokenStream> {
    let ident = input.ident;
    let member = root.member;
    let root_ty = root.ty;
    let generic = mentions_type_param(root_ty, input.generics);
    if !generic && !is_named(root_ty, &["DirPath", "PathBuf"]) {
        return None;
    }
    let mut generics = input.generics.clone();
    if generic {
        generics
            .make_where_clause()
            .predicates
            .push(syn::parse_quote!(#p::DirPath: #p::Into<#root_ty>));
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    Some(quote! {
        #[automatically_derived]
        impl #impl_generics #p::FromRoot for #ident #ty_generics #where_clause {
            #[inline]
            fn from_root(root: #p::DirPath) -> Self {
                Self {
                    #member: #p::Into::into(root),
                }
            }
        }
    })
}

/// Whether `ty` is a path whose last segment is one of `names`.
fn is_named(ty: &Type, names: &[&str]) -> bool {
    match ty {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .is_some_and(|s| s.arguments.is_none() && names.iter().any(|n| s.ident == n)),
        _ => false,
    }
}
