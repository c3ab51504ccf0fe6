//! The input model: the struct, its root field, its options and its entries
//! (as `attr.rs` parses them), read from the derive input. Shape mistakes
//! are reported here; mistakes across entries are left to `valid.rs`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, Generics, Ident, Type, Visibility};

use crate::attr::{self, Entry};
use crate::ctxt::Ctxt;

pub struct Input<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    pub generics: &'a Generics,
    /// `None` when the struct's shape has no usable root.
    pub root: Option<Root<'a>>,
    /// The root is the struct's only field, so the struct can be built from
    /// its root alone (and be nested in another layout).
    pub root_is_only_field: bool,
    pub entries: Vec<Entry>,
    /// The path generated code reaches the facade by: `::runlayout` unless
    /// `#[layout(crate = "...")]` says otherwise.
    pub krate: syn::Path,
}

pub struct Root<'a> {
    pub member: &'a Ident,
    pub ty: &'a Type,
}

impl<'a> Input<'a> {
    pub fn from_syn(node: &'a DeriveInput, cx: &Ctxt) -> Input<'a> {
        let options = attr::struct_attrs(&node.attrs, cx);
        let (root, root_is_only_field) = find_root(node, cx);
        Input {
            ident: &node.ident,
            vis: &node.vis,
            generics: &node.generics,
            root,
            root_is_only_field,
            entries: options.entries,
            krate: options
                .krate
                .unwrap_or_else(|| syn::parse_quote!(::runlayout)),
        }
    }

    /// The path of the facade's hidden module, through which all generated
    /// code names what it uses.
    pub fn private(&self) -> TokenStream {
        let krate = &self.krate;
        quote!(#krate::__private)
    }
}

/// The single field, or the one marked `#[layout(root)]`.
fn find_root<'a>(node: &'a DeriveInput, cx: &Ctxt) -> (Option<Root<'a>>, bool) {
    let fields = match &node.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(fields) => fields,
            Fields::Unnamed(fields) => {
                cx.error_at(
                    fields,
                    "`#[derive(Layout)]` needs named fields: write `struct Name { root: PathBuf }`",
                );
                return (None, false);
            }
            Fields::Unit => {
                cx.error_at(
                    &node.ident,
                    "a layout needs a root field: write `struct Name { root: PathBuf }`",
                );
                return (None, false);
            }
        },
        Data::Enum(data) => {
            cx.error_at(
                data.enum_token,
                "`#[derive(Layout)]` works on structs with named fields, not enums",
            );
            return (None, false);
        }
        Data::Union(data) => {
            cx.error_at(
                data.union_token,
                "`#[derive(Layout)]` works on structs with named fields, not unions",
            );
            return (None, false);
        }
    };
    let all: Vec<_> = fields.named.iter().collect();
    let mut marked = Vec::new();
    for field in &all {
        if let Some(mark) = attr::field_root_mark(&field.attrs, cx) {
            marked.push((field, mark));
        }
    }
    for (_, extra) in marked.iter().skip(1) {
        cx.error_at(
            extra,
            "a second field is marked `#[layout(root)]`: a layout has one root",
        );
    }
    let chosen = match (marked.first(), all.as_slice()) {
        (Some((field, _)), _) => Some(**field),
        (None, [only]) => Some(*only),
        (None, []) => {
            cx.error_at(
                &node.ident,
                "a layout needs a root field: add one whose type is a path (`PathBuf`, `Run`, `DirPath`, ...)",
            );
            None
        }
        (None, _) => {
            let names: Vec<String> = all
                .iter()
                .filter_map(|f| f.ident.as_ref().map(|i| format!("`{i}`")))
                .collect();
            cx.error_at(
                &node.ident,
                format!(
                    "which field is the root? {} could be: mark one with `#[layout(root)]`",
                    names.join(", ")
                ),
            );
            None
        }
    };
    let root = chosen.and_then(|field| {
        field.ident.as_ref().map(|member| Root {
            member,
            ty: &field.ty,
        })
    });
    (root, all.len() == 1)
}
