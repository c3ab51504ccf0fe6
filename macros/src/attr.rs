//! Parsing `#[layout(...)]` attributes: on the struct, entries (the
//! [`Entry`] each `name = ...` becomes) and options; on a field, the `root`
//! mark.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::parse::ParseStream;
use syn::{Attribute, Ident, LitStr, Token, Type};

use crate::ctxt::Ctxt;
use runlayout_grammar::template::Template;

/// One `name = ...` of a `#[layout(...)]` attribute.
pub struct Entry {
    /// The accessor's name, as written (possibly raw, `r#type`).
    pub name: Ident,
    /// The path literal, kept for its span and its text.
    pub lit: LitStr,
    pub kind: Kind,
    /// `dir(..)`, `file(..)` or `nest(..)`: the kind was stated, not inferred.
    pub explicit: bool,
    /// `None` if the path did not parse (the errors are reported already).
    pub template: Option<Template>,
}

pub enum Kind {
    Dir,
    File,
    /// A folder holding another layout.
    Nest(Box<Type>),
}

const FORMS: &str = "write `name = \"path\"`, `name = dir(\"path\")`, `name = file(\"path\")` \
                     or `name = nest(\"path\", Type)`";

/// What the struct's `#[layout(...)]` attributes declare.
#[derive(Default)]
pub struct StructAttrs {
    pub entries: Vec<Entry>,
    pub krate: Option<syn::Path>,
}

pub fn struct_attrs(attrs: &[Attribute], cx: &Ctxt) -> StructAttrs {
    let mut out = StructAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("layout")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                return crate_option(&meta, &mut out.krate, cx);
            }
            let Some(name) = meta.path.get_ident().cloned() else {
                cx.error_at(
                    &meta.path,
                    "entry names are single identifiers, the accessor's name",
                );
                return skip_value(meta.input);
            };
            if !meta.input.peek(Token![=]) {
                let hint = if name == "root" {
                    "`root` marks a field: put `#[layout(root)]` on the root field".to_owned()
                } else {
                    format!("`{name}` needs a path: {FORMS}")
                };
                cx.error_at(&name, hint);
                return skip_value(meta.input);
            }
            let value = meta.value()?;
            if let Some(entry) = entry_value(name, value, cx)? {
                out.entries.push(entry);
            }
            Ok(())
        });
        if let Err(err) = parsed {
            cx.push(err);
        }
    }
    out
}

/// `crate = "path"`: where generated code finds the facade when it was renamed.
fn crate_option(
    meta: &ParseNestedMeta<'_>,
    slot: &mut Option<syn::Path>,
    cx: &Ctxt,
) -> syn::Result<()> {
    let value = meta.value()?;
    if !value.peek(LitStr) {
        let tokens = skip_tokens(value)?;
        cx.error_at(
            tokens,
            "`crate` takes the path as a string: `crate = \"my_runlayout\"`",
        );
        return Ok(());
    }
    let lit: LitStr = value.parse()?;
    match lit.parse::<syn::Path>() {
        Ok(path) if slot.is_none() => *slot = Some(path),
        Ok(_) => cx.error_at(&lit, "`crate` is given twice"),
        Err(_) => cx.error_at(&lit, format!("`{}` is not a path to a crate", lit.value())),
    }
    Ok(())
}

/// The value after `name =`.
fn entry_value(name: Ident, input: ParseStream<'_>, cx: &Ctxt) -> syn::Result<Option<Entry>> {
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        return Ok(Some(entry(name, lit, None, false, cx)));
    }
    let is_form = input.peek(Ident::peek_any) && input.peek2(syn::token::Paren);
    if !is_form {
        let tokens = skip_tokens(input)?;
        cx.error_at(
            tokens,
            format!("expected a path string for `{name}`: {FORMS}"),
        );
        return Ok(None);
    }
    let form: Ident = input.call(Ident::parse_any)?;
    let content;
    syn::parenthesized!(content in input);
    let kind = match form.to_string().as_str() {
        "dir" => Kind::Dir,
        "file" => Kind::File,
        "nest" => return nest_value(name, &content, cx),
        other => {
            cx.error_at(&form, format!("unknown entry form `{other}(..)`: {FORMS}"));
            skip_rest(&content)?;
            return Ok(None);
        }
    };
    if !content.peek(LitStr) {
        let tokens = skip_rest(&content)?;
        cx.error_at(
            tokens,
            format!("`{form}(..)` takes a path string: `{form}(\"path\")`"),
        );
        return Ok(None);
    }
    let lit: LitStr = content.parse()?;
    if !content.is_empty() {
        let tokens = skip_rest(&content)?;
        cx.error_at(tokens, format!("`{form}(..)` takes only the path"));
    }
    Ok(Some(entry(name, lit, Some(kind), true, cx)))
}

/// `nest("path", Type)`.
fn nest_value(name: Ident, content: ParseStream<'_>, cx: &Ctxt) -> syn::Result<Option<Entry>> {
    if !content.peek(LitStr) {
        let tokens = skip_rest(content)?;
        cx.error_at(
            tokens,
            "`nest(..)` takes a path string and a layout type: `nest(\"path\", Type)`",
        );
        return Ok(None);
    }
    let lit: LitStr = content.parse()?;
    if !content.peek(Token![,]) {
        cx.error_at(
            &lit,
            "`nest(..)` also needs the layout type: `nest(\"path\", Type)`",
        );
        skip_rest(content)?;
        return Ok(None);
    }
    content.parse::<Token![,]>()?;
    let ty: Type = content.parse()?;
    content.parse::<Option<Token![,]>>()?;
    Ok(Some(entry(
        name,
        lit,
        Some(Kind::Nest(Box::new(ty))),
        true,
        cx,
    )))
}

fn entry(name: Ident, lit: LitStr, kind: Option<Kind>, explicit: bool, cx: &Ctxt) -> Entry {
    let template = match Template::parse(&lit.value()) {
        Ok(template) => Some(template),
        Err(errors) => {
            for error in errors {
                cx.error_at(&lit, error);
            }
            None
        }
    };
    let kind = kind.unwrap_or_else(|| match &template {
        Some(t) if t.looks_like_file() => Kind::File,
        _ => Kind::Dir,
    });
    Entry {
        name,
        lit,
        kind,
        explicit,
        template,
    }
}

/// The `#[layout(root)]` mark of a field, if it has one; any other key is an
/// error at that key.
pub fn field_root_mark(attrs: &[Attribute], cx: &Ctxt) -> Option<TokenStream> {
    let mut mark = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("layout")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("root") && !meta.input.peek(Token![=]) {
                mark = Some(attr.to_token_stream());
                return Ok(());
            }
            let key = meta.path.to_token_stream().to_string().replace(' ', "");
            cx.error_at(
                &meta.path,
                format!("unknown key `{key}` on a field: the only one is `#[layout(root)]`"),
            );
            skip_value(meta.input)
        });
        if let Err(err) = parsed {
            cx.push(err);
        }
    }
    mark
}

/// Skips `= value` or `(..)` after a rejected key, so the next key is read.
fn skip_value(input: ParseStream<'_>) -> syn::Result<()> {
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
    }
    skip_tokens(input).map(drop)
}

/// Takes every token up to the next top-level comma.
fn skip_tokens(input: ParseStream<'_>) -> syn::Result<TokenStream> {
    let mut tokens = TokenStream::new();
    while !input.is_empty() && !input.peek(Token![,]) {
        tokens.extend([input.parse::<TokenTree>()?]);
    }
    Ok(tokens)
}

/// Takes every token left inside a parenthesized form.
fn skip_rest(input: ParseStream<'_>) -> syn::Result<TokenStream> {
    let mut tokens = TokenStream::new();
    while !input.is_empty() {
        tokens.extend([input.parse::<TokenTree>()?]);
    }
    Ok(tokens)
}
