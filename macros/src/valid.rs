//! Checks across the entries of one layout: names that clash (declared or
//! generated), paths that clash, files used as folders, reserved names, and
//! templates a family cannot read names back through. Conflicts with the
//! entries of nested layouts are found at compile time by constants the
//! expansion emits (`nested.rs`), since their entries are another type's.

use std::collections::BTreeMap;

use syn::Ident;
use syn::ext::IdentExt;

use runlayout_grammar::names;
use runlayout_grammar::template::is_keyword;

use crate::ast::Input;
use crate::attr::{Entry, Kind};
use crate::ctxt::Ctxt;
use crate::signature::family_name;

/// Methods every layout has already; an entry of that name would hide them.
const GENERATED: &[&str] = &["root", "create_all", "from_root"];

/// The most placeholders an entry may have: its family's key is a tuple of
/// their values, and `FamilyKey` is implemented for tuples of up to 12.
const MAX_PLACEHOLDERS: usize = 12;

/// Whether `ident` can name a method: not a keyword, unless written raw.
pub fn is_method_name(ident: &Ident) -> bool {
    ident.to_string().starts_with("r#") || !is_keyword(&ident.unraw().to_string())
}

pub fn check(input: &Input<'_>, cx: &Ctxt) {
    check_names(&input.entries, cx);
    check_paths(&input.entries, cx);
    for entry in &input.entries {
        check_entry(entry, cx);
    }
}

fn check_names(entries: &[Entry], cx: &Ctxt) {
    let mut seen = BTreeMap::new();
    for entry in entries {
        let name = entry.name.unraw().to_string();
        if !is_method_name(&entry.name) {
            cx.error_at(
                &entry.name,
                format!("`{name}` is a Rust keyword and cannot name an accessor: write `r#{name}` or choose another name"),
            );
        } else if GENERATED.contains(&name.as_str()) {
            cx.error_at(
                &entry.name,
                format!(
                    "`{name}` clashes with the `{name}()` every layout has: choose another name"
                ),
            );
        }
        if seen.insert(name.clone(), ()).is_some() {
            cx.error_at(
                &entry.name,
                format!("duplicate entry name `{name}`: each name becomes one accessor"),
            );
        }
    }
    for entry in entries {
        let Some(family) = family_name(entry) else {
            continue;
        };
        for clash in entries.iter().filter(|e| e.name.unraw() == family) {
            cx.error_at(
                &clash.name,
                format!(
                    "`{family}` clashes with the `{family}()` that entry `{}` gets for its \
                     placeholders (the family of its files): choose another name",
                    entry.name.unraw()
                ),
            );
        }
    }
}

/// Every path once; no file with anything below it.
fn check_paths(entries: &[Entry], cx: &Ctxt) {
    let mut by_shape: BTreeMap<Vec<String>, &Entry> = BTreeMap::new();
    for entry in entries {
        let Some(template) = &entry.template else {
            continue;
        };
        let shape = template.shape();
        if let Some(first) = by_shape.get(&shape) {
            let message = match (&first.kind, &entry.kind) {
                (Kind::File, Kind::Nest(_)) | (Kind::Nest(_), Kind::File) => {
                    let (file, nest): (&Entry, &Entry) = match first.kind {
                        Kind::File => (first, entry),
                        _ => (entry, first),
                    };
                    format!(
                        "the layout nested by entry `{}` cannot be mounted at `{}`, which \
                         entry `{}` declares a file",
                        nest.name.unraw(),
                        nest.lit.value(),
                        file.name.unraw()
                    )
                }
                _ => format!(
                    "`{}` names the same path as entry `{}`: one path, one name",
                    entry.lit.value(),
                    first.name.unraw()
                ),
            };
            cx.error_at(&entry.lit, message);
            continue;
        }
        by_shape.insert(shape, entry);
    }
    for file in entries.iter().filter(|e| matches!(e.kind, Kind::File)) {
        let Some(file_shape) = file.template.as_ref().map(|t| t.shape()) else {
            continue;
        };
        for other in entries {
            let Some(other_shape) = other.template.as_ref().map(|t| t.shape()) else {
                continue;
            };
            if other_shape.len() > file_shape.len() && other_shape.starts_with(&file_shape) {
                cx.error_at(
                    &other.lit,
                    format!(
                        "`{}` is a file (entry `{}`), so `{}` cannot be inside it",
                        file.lit.value(),
                        file.name.unraw(),
                        other.lit.value()
                    ),
                );
            }
        }
    }
}

fn check_entry(entry: &Entry, cx: &Ctxt) {
    let Some(template) = &entry.template else {
        return;
    };
    if let Some(first) = template.components.first().and_then(|c| c.as_static())
        && names::is_run_name(first)
    {
        cx.error_at(
            &entry.lit,
            format!(
                "`{first}` cannot name an entry: {}; choose another name",
                names::NameRule::ReservedInRun
            ),
        );
    }
    if let Some(family) = family_name(entry) {
        let count = template.params().count();
        if count > MAX_PLACEHOLDERS {
            cx.error_at(
                &entry.lit,
                format!(
                    "{count} placeholders: `{family}()` keys its files by a tuple of their values, \
                     which holds at most {MAX_PLACEHOLDERS}"
                ),
            );
        }
        if let Err(problem) = template.check_readable() {
            cx.error_at(
                &entry.lit,
                format!("`{family}()` cannot read this entry's names back: {problem}"),
            );
        }
    }
    match &entry.kind {
        Kind::File if template.trailing_slash => cx.error_at(
            &entry.lit,
            "a file path cannot end with `/`: drop the `/`, or use `dir(..)` for a folder",
        ),
        Kind::Nest(_) if !template.is_static() => cx.error_at(
            &entry.lit,
            "a nested layout mounts at a fixed folder: remove the placeholders from its path",
        ),
        _ => {}
    }
}
