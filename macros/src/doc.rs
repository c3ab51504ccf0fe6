//! The doc comment of each generated accessor: the path, the kind, and what
//! each argument becomes; for a family accessor, its key and members.

use syn::ext::IdentExt;

use crate::attr::{Entry, Kind};
use crate::signature::has_float;
use runlayout_grammar::template::{ParamKind, Template};

pub fn accessor(entry: &Entry, template: &Template) -> String {
    let path = entry.lit.value();
    let mut doc = match &entry.kind {
        Kind::Dir => format!("The folder `{path}` below the layout's root."),
        Kind::File => format!("The file `{path}` below the layout's root."),
        Kind::Nest(ty) => format!(
            "The `{}` layout, mounted at the folder `{path}` below this layout's root.",
            quote::quote!(#ty).to_string().replace(' ', "")
        ),
    };
    let declared = match (&entry.kind, entry.explicit) {
        (_, false) => format!("{path:?}"),
        (Kind::Dir, true) => format!("dir({path:?})"),
        (Kind::File, true) => format!("file({path:?})"),
        (Kind::Nest(ty), true) => format!("nest({path:?}, {})", quote::quote!(#ty)),
    };
    doc.push_str(&format!(
        "\n\nDeclared as `{} = {declared}`. Touches nothing on disk; \
         `create_all()` makes the layout's folders.",
        entry.name.unraw()
    ));
    let params: Vec<String> = template
        .params()
        .map(|param| match param.kind {
            ParamKind::Text => format!(
                "- `{}`: any `Display` value, which must render to a plain name \
                 (letters, digits, `.`, `_`, `-`, `=`, `+`, starting with a letter or digit)",
                param.name
            ),
            ParamKind::Uint { ty, width: 0 } => {
                format!("- `{}`: a `{ty}`, written in decimal", param.name)
            }
            ParamKind::Uint { width, .. } => format!(
                "- `{}`: a number, written in decimal, zero-padded to {width} digits",
                param.name
            ),
            ParamKind::Float { precision } => format!(
                "- `{}`: an `f64`, written in decimal with {precision} decimals, as \
                 `format!(\"{{:.{precision}}}\")` writes it (no exponent; a value rounded to \
                 zero has no sign)",
                param.name
            ),
        })
        .collect();
    if !params.is_empty() {
        doc.push_str("\n\n# Arguments\n\n");
        doc.push_str(&params.join("\n"));
    }
    if template.is_fallible() {
        doc.push_str(
            "\n\n# Errors\n\n`Error::InvalidValue`, naming the placeholder and the value, \
             if a value would not render to exactly one plain path component",
        );
        doc.push_str(if has_float(template) {
            " (a float that is NaN or infinite, or so large that the name passes 255 bytes, \
             among them)."
        } else {
            "."
        });
    }
    doc
}

/// The doc comment of `<name>_family()`. Plain text, no intra-doc links:
/// they would have to resolve in the user's crate.
pub fn family(entry: &Entry, template: &Template) -> String {
    let path = entry.lit.value();
    let name = entry.name.unraw();
    let kind = match entry.kind {
        Kind::File => "files",
        _ => "folders",
    };
    let params: Vec<&str> = template.params().map(|p| p.name.as_str()).collect();
    let types: Vec<&str> = template
        .params()
        .map(|p| match p.kind {
            ParamKind::Text => "String",
            ParamKind::Uint { ty, .. } => ty,
            ParamKind::Float { .. } => "f64",
        })
        .collect();
    let key = match (params.as_slice(), types.as_slice()) {
        ([param], [ty]) => format!("`{param}`, a `{ty}`"),
        _ => format!("`({})`, a `({})`", params.join(", "), types.join(", ")),
    };
    format!(
        "The {kind} of entry `{name}` (`{path}`) that exist below the layout's root, \
         keyed by {key}: a `runlayout::Family`.\n\n\
         Touches nothing until called. `list()` gives every member in ascending order, \
         `last()` the one with the greatest key; `keep_last(n)` removes all but the last \
         `n`, `retain(..)` those whose key a closure refuses, `keep_best(n, metric, goal)` \
         all but the `n` best by a metric of the key and the newest; `link_last(at)` points \
         a link at the newest. A name is a member only if `{name}(..)` renders exactly that name \
         from the values read back from it, so foreign, hidden and temporary files are \
         never members."
    )
}
