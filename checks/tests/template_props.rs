//! Property tests of the one naming rule, over generated templates: fixed
//! text of any characters, placeholders of every form (text, integers,
//! zero-padded, floats), several to a component, over several components.
//! 10,000 cases per property.
//!
//! - Every template the derive accepts (`Template::parse` and the checks of
//!   `macros/src/valid.rs`) renders, as its accessor renders it (the
//!   facade's hidden functions the generated code calls, in its order), for
//!   some values of its placeholders; every name it renders passes the
//!   naming rule (but a fixed name, which may be hidden: `.cache`), the
//!   grammar's own renderer (`Template::render`, as `runlayout path` uses
//!   it) gives the same names, and the path reads back into values that
//!   render it again.
//! - A character is accepted in fixed text at compile time exactly when it
//!   is accepted in a value at run time.
//! - A float's name reads back into a value that writes the same name, for
//!   any finite `f64` and precision; and whatever text reads as a float
//!   writes that very text again.

use std::fmt::Write as _;

use proptest::prelude::*;
use runlayout::__private as generated;
use runlayout_grammar::names;
use runlayout_grammar::template::{
    Component, MAX_PRECISION, ParamKind, Segment, Template, Value, read_float, render_float,
};

const CASES: u32 = 10_000;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Fixed text: mostly what a name holds, with characters no name holds
/// (space, `:`, non-ASCII, a backslash), leading dots and dashes, digits
/// that touch numbers, and the names runlayout and Windows keep.
fn fixed_text() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => "[a-z][a-z0-9._=+-]{0,5}",
        4 => "[._=+-][a-z0-9._=+-]{0,3}",
        2 => "[ :é\\\\*a.]{1,3}",
        2 => "(ancestor|run\\.json|con|nul\\.|aux\\.|com|lpt|latest|\\.cache|_x|-|=|\\+|\\.)",
        1 => "[a-z]{240,256}",
    ]
}

/// A placeholder's form, without its name.
fn placeholder_form() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(String::new()),
        1 => Just(":u8".to_owned()),
        1 => Just(":u32".to_owned()),
        1 => Just(":u128".to_owned()),
        1 => (1usize..6).prop_map(|w| format!(":0{w}")),
        3 => (0usize..=17).prop_map(|p| format!(":.{p}")),
    ]
}

/// A segment: fixed text or a placeholder form (named later, in order).
#[derive(Clone, Debug)]
enum Piece {
    Text(String),
    Param(String),
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        fixed_text().prop_map(Piece::Text),
        placeholder_form().prop_map(Piece::Param),
    ]
}

/// A component's pieces: mostly fixed text first, as names made from values
/// start (a placeholder first is tried too).
fn component_pieces() -> impl Strategy<Value = Vec<Piece>> {
    (
        prop::option::weighted(0.8, fixed_text().prop_map(Piece::Text)),
        prop::collection::vec(piece(), 0..4),
    )
        .prop_map(|(head, tail)| head.into_iter().chain(tail).collect::<Vec<_>>())
        .prop_filter("a component", |pieces| !pieces.is_empty())
}

/// A template's text: up to 3 components of up to 4 pieces, placeholders
/// named `p0`, `p1`, ... in order, and maybe a trailing `/`.
fn template_text() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(component_pieces(), 1..4),
        any::<bool>(),
    )
        .prop_map(|(components, trailing)| {
            let mut n = 0;
            let mut parts = Vec::new();
            for pieces in components {
                let mut part = String::new();
                for piece in pieces {
                    match piece {
                        Piece::Text(text) => part.push_str(&text),
                        Piece::Param(form) => {
                            let _ = write!(part, "{{p{n}{form}}}");
                            n += 1;
                        }
                    }
                }
                parts.push(part);
            }
            let mut text = parts.join("/");
            if trailing {
                text.push('/');
            }
            text
        })
}

/// Whether the derive accepts an entry at `template`, beyond parsing it
/// (macros/src/valid.rs): no name runlayout keeps in a run as a literal
/// first component; at most 12 placeholders; names read back into values
/// (checked for every entry with a family, and every entry with a float).
fn derive_accepts(template: &Template) -> bool {
    let first_is_kept = template
        .components
        .first()
        .and_then(Component::as_static)
        .is_some_and(names::is_run_name);
    !first_is_kept
        && template.params().count() <= 12
        && (template.is_static() || template.check_readable().is_ok())
}

/// A placeholder's value, as the accessor takes it.
#[derive(Clone, Debug)]
enum Arg {
    Text(&'static str),
    Uint(u128),
    Float(f64),
}

impl Arg {
    /// The value as `runlayout path` takes it, on the command line.
    fn as_text(&self) -> String {
        match self {
            Arg::Text(text) => (*text).to_owned(),
            Arg::Uint(n) => n.to_string(),
            Arg::Float(x) => x.to_string(),
        }
    }
}

/// Values to try for a placeholder of `kind`: a few, so that a template
/// that renders for some values renders for one of these.
fn candidates(kind: &ParamKind) -> Vec<Arg> {
    match kind {
        ParamKind::Text => ["a", "b1", "k=v+w"].map(Arg::Text).to_vec(),
        ParamKind::Uint { .. } => vec![Arg::Uint(1), Arg::Uint(10), Arg::Uint(0)],
        ParamKind::Float { .. } => vec![Arg::Float(0.5), Arg::Float(-2.25), Arg::Float(1e6)],
    }
}

/// Every combination of `candidates`, one per placeholder, in order, made
/// as it is asked for: the first that renders ends the search.
fn combinations(template: &Template) -> impl Iterator<Item = Vec<Arg>> + '_ {
    const EACH: usize = 3;
    let count = template.params().count();
    (0..EACH.pow(u32::try_from(count).expect("a few"))).map(move |mut k| {
        template
            .params()
            .map(|param| {
                let arg = candidates(&param.kind).swap_remove(k % EACH);
                k /= EACH;
                arg
            })
            .collect()
    })
}

/// The template rendered as the accessor the derive generates renders it
/// (macros/src/expand.rs: `accessor`, `float_value` and `component_part`),
/// one string per component.
fn render(template: &Template, args: &[Arg]) -> runlayout::Result<Vec<String>> {
    let mut args = args.iter();
    let mut parts = Vec::with_capacity(template.components.len());
    for (i, component) in template.components.iter().enumerate() {
        let own: Vec<&Arg> = args.by_ref().take(component.params().count()).collect();
        parts.push(render_component(component, i == 0, &own)?);
    }
    Ok(parts)
}

fn render_component(
    component: &Component,
    first: bool,
    args: &[&Arg],
) -> runlayout::Result<String> {
    // Text values and floats are checked, or rendered, on their own first.
    let mut rendered_args = Vec::with_capacity(args.len());
    for (param, arg) in component.params().zip(args) {
        rendered_args.push(match (&param.kind, arg) {
            (ParamKind::Text, Arg::Text(text)) => generated::text(text, "p", "t", first)?,
            (ParamKind::Float { precision }, Arg::Float(x)) => {
                generated::render_float(*x, *precision).map_err(|rule| {
                    runlayout::Error::InvalidValue {
                        placeholder: "p",
                        template: "t",
                        value: x.to_string(),
                        rule,
                    }
                })?
            }
            (ParamKind::Uint { width, .. }, Arg::Uint(n)) => format!("{n:0width$}"),
            (kind, arg) => panic!("{arg:?} for a {kind:?}"),
        });
    }
    if let Some(text) = component.as_static() {
        return Ok(text.to_owned());
    }
    if component.is_lone_text() {
        return Ok(rendered_args.swap_remove(0));
    }
    let mut rendered = String::new();
    let mut own = rendered_args.iter();
    for segment in &component.segments {
        match segment {
            Segment::Text(text) => rendered.push_str(text),
            Segment::Param(_) => rendered.push_str(own.next().expect("one value each")),
        }
    }
    // The first text value is blamed for the whole name, else the first float.
    let kinds: Vec<&ParamKind> = component.params().map(|p| &p.kind).collect();
    let blamed = (kinds.iter().position(|k| **k == ParamKind::Text))
        .or_else(|| kinds.iter().position(|k| k.is_checked()));
    match blamed {
        Some(i) => generated::component(rendered, "p", &rendered_args[i], "t", first),
        None => Ok(rendered),
    }
}

/// What every rendered name is: one name the naming rule accepts, or a
/// fixed name of the rule's characters.
fn follows_the_rule(template: &Template, parts: &[String]) -> Result<(), TestCaseError> {
    for (i, (component, part)) in template.components.iter().zip(parts).enumerate() {
        if component.as_static().is_some() {
            prop_assert!(part.chars().all(names::is_allowed), "{part:?}");
            continue;
        }
        let rule = if i == 0 {
            names::check_first_component(part)
        } else {
            names::check_component(part)
        };
        prop_assert_eq!(rule, Ok(()), "`{}` rendered {:?}", template, part);
    }
    Ok(())
}

/// The rendered path reads back into values that render it again.
fn reads_back(template: &Template, parts: &[String]) -> Result<(), TestCaseError> {
    let path = parts.join("/");
    let values = template.read(&path);
    prop_assert!(
        values.is_some(),
        "`{}` cannot read {:?} back",
        template,
        path
    );
    let values = values.unwrap_or_default();
    let args: Vec<String> = values
        .iter()
        .map(|value| match value {
            Value::Uint(n) => n.to_string(),
            Value::Text(range) => path[range.clone()].to_owned(),
            Value::Float(x) => x.to_string(),
        })
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let again = template.render(&args);
    prop_assert_eq!(
        again.as_deref().ok(),
        Some(parts),
        "`{}` read {:?} into {:?}",
        template,
        path,
        args
    );
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_accepted_template_renders_for_some_values(text in template_text()) {
        let Ok(template) = Template::parse(&text) else {
            return Ok(());
        };
        if !derive_accepts(&template) {
            return Ok(());
        }
        let mut rendered = None;
        for args in combinations(&template) {
            if let Ok(parts) = render(&template, &args) {
                rendered = Some((args, parts));
                break;
            }
        }
        let Some((args, parts)) = rendered else {
            return Err(TestCaseError::fail(format!(
                "`{text}` is accepted, and renders for none of the values tried"
            )));
        };
        follows_the_rule(&template, &parts)?;
        let as_text: Vec<String> = args.iter().map(Arg::as_text).collect();
        let as_text: Vec<&str> = as_text.iter().map(String::as_str).collect();
        prop_assert_eq!(template.render(&as_text).ok(), Some(parts.clone()), "`{}`", text);
        reads_back(&template, &parts)?;
    }

    #[test]
    fn fixed_text_takes_the_characters_a_value_takes(c in any::<char>(), at in 0usize..3) {
        // `/` separates components: it is the grammar's own.
        prop_assume!(c != '/');
        let fixed = ["{c}x", "x{c}", "x{c}y"][at].replace("{c}", &c.to_string());
        let in_template = Template::parse(&format!("d/{fixed}_{{p}}/{fixed}"));
        let in_value = generated::text(&fixed, "p", "t", false);
        prop_assert_eq!(
            in_template.is_ok(),
            in_value.is_ok(),
            "{:?}: compile time says {:?}, run time {:?}",
            fixed,
            in_template.err(),
            in_value.err()
        );
        // Accepted at compile time: the name renders at run time.
        if let Ok(template) = Template::parse(&format!("d/x{fixed}_{{p}}.{fixed}")) {
            prop_assert!(
                render(&template, &[Arg::Text("v")]).is_ok(),
                "`{}` renders nothing",
                template
            );
        }
    }

    #[test]
    fn float_names_read_back_into_values_that_write_them(
        value in prop_oneof![
            any::<f64>(),
            -1e3..1e3f64,
            (-40i32..40).prop_map(|e| 10f64.powi(e)),
            (0u32..400).prop_map(|n| f64::from(n) / 8.0 - 25.0),
        ],
        precision in 0..=MAX_PRECISION,
    ) {
        match render_float(value, precision) {
            Err(rule) => {
                prop_assert!(!value.is_finite());
                prop_assert_eq!(rule, runlayout::error::NameRule::NotFinite);
            }
            Ok(name) => {
                let back = read_float(&name, precision);
                prop_assert!(back.is_some(), "{} at .{} wrote {:?}, unread", value, precision, name);
                let back = back.unwrap_or_default();
                prop_assert_eq!(render_float(back, precision).ok(), Some(name.clone()));
                // One name for zero.
                let negative_zero = format!("-{}", render_float(0.0, precision).unwrap_or_default());
                prop_assert_ne!(&name, &negative_zero);
                // The value read is the value written, rounded to the
                // precision (and to a double).
                let unit = 10f64.powi(-i32::try_from(precision).unwrap_or(0));
                let off = (back - value).abs();
                prop_assert!(off <= unit / 2.0 + back.abs() * f64::EPSILON, "{} read as {}", value, back);
            }
        }
    }

    #[test]
    fn what_reads_as_a_float_writes_itself(text in "-?[0-9]{1,4}(\\.[0-9]{0,4})?|[-+0-9.einfa]{1,6}", precision in 0usize..5) {
        if let Some(value) = read_float(&text, precision) {
            prop_assert!(value.is_finite());
            prop_assert_eq!(render_float(value, precision).ok(), Some(text));
        }
    }
}
