//! The path template grammar on arbitrary text.
//!
//! The input is UTF-8 text. Its first line is a template, as a layout entry
//! declares it; each further line is the value of one placeholder, in order
//! (a number is read in decimal and reduced into its type's range; a float
//! as `str::parse` reads it), and is also read back as a name.
//!
//! Properties:
//!
//! - `Template::parse` never panics (on the whole input, newlines and all,
//!   too), and a refusal names at least one mistake.
//! - An accepted template displays as a template that parses back to it.
//! - `check_readable` accepts only templates whose every component has a
//!   reader (families rely on it).
//! - Rendered as the derive's accessors render it (through the runtime
//!   functions the generated code calls), with the input's values and with
//!   fixed samples, a template the derive accepts gives an error or one
//!   normal path component per component of the template, below the root:
//!   no `..`, nothing absolute, no separator inside a component. A
//!   component with a placeholder passes the naming rules
//!   (`check_first_component` in first place), whatever the values; a
//!   fixed one is a literal the grammar accepts as one (and, in first
//!   place, none of the names runlayout keeps in a run folder).
//! - A rendered path reads back (`Template::read`) into the values it was
//!   rendered from (a float into the value its digits show, which renders
//!   the same path), when every component has a reader; else it reads back
//!   into nothing.
//! - Whatever a name reads back into (`Template::read`, `Component::read`,
//!   `Reader::read`, which agree) is accepted by the accessor and renders
//!   that very name again.

#![no_main]

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Component as PathComponent, Path};

use libfuzzer_sys::fuzz_target;
use runlayout_grammar::names;
use runlayout_grammar::template::{Component, ParamKind, Segment, Template, Value};
use runlayout_runtime::__private as generated;

/// Lines read as values and names: enough for every case, and bounded.
const MAX_LINES: usize = 16;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.contains('\n')
        && let Err(errors) = Template::parse(text)
    {
        assert!(!errors.is_empty());
    }
    let mut lines = text.split('\n');
    let declared = lines.next().unwrap_or_default();
    let lines: Vec<&str> = lines.take(MAX_LINES).collect();
    let template = match Template::parse(declared) {
        Ok(template) => template,
        Err(errors) => {
            assert!(!errors.is_empty(), "{declared:?} refused without a reason");
            return;
        }
    };
    displays_as_itself(&template);
    let readable = template.check_readable().is_ok();
    if readable {
        for component in non_static(&template) {
            assert!(
                component.reader().is_some(),
                "`{template}` passes check_readable, but `{component}` has no reader"
            );
        }
    }
    if !derive_accepts(&template) {
        return;
    }
    for args in arguments(&template, &lines) {
        if let Ok(parts) = render(&template, &args) {
            stays_below_the_root(&template, &parts);
            reads_back(&template, &parts, &args);
        }
    }
    for name in &lines {
        names_read_render_again(&template, name);
    }
});

/// A placeholder's value, as an accessor takes it.
#[derive(Clone, Debug)]
enum Arg {
    Text(String),
    Uint(u128),
    Float(f64),
}

/// Floats are the same value when they are the same bits.
impl PartialEq for Arg {
    fn eq(&self, other: &Arg) -> bool {
        match (self, other) {
            (Arg::Text(a), Arg::Text(b)) => a == b,
            (Arg::Uint(a), Arg::Uint(b)) => a == b,
            (Arg::Float(a), Arg::Float(b)) => a.to_bits() == b.to_bits(),
            _ => false,
        }
    }
}

fn non_static(template: &Template) -> impl Iterator<Item = &Component> {
    template
        .components
        .iter()
        .filter(|c| c.as_static().is_none())
}

fn displays_as_itself(template: &Template) {
    let shown = template.to_string();
    let again = Template::parse(&shown).unwrap_or_else(|e| {
        panic!("`{shown}`, displayed by an accepted template, is refused: {e:?}")
    });
    assert_eq!(again.to_string(), shown);
    assert_eq!(again.shape(), template.shape());
    assert_eq!(again.trailing_slash, template.trailing_slash);
    let kinds = |t: &Template| -> Vec<(String, ParamKind)> {
        t.params()
            .map(|p| (p.name.clone(), p.kind.clone()))
            .collect()
    };
    assert_eq!(kinds(&again), kinds(template));
}

/// What the derive checks beyond the grammar (macros/src/valid.rs): a
/// literal first component is none of the names runlayout keeps in a run.
fn derive_accepts(template: &Template) -> bool {
    !template
        .components
        .first()
        .and_then(Component::as_static)
        .is_some_and(names::is_run_name)
}

fn uint_max(ty: &str) -> u128 {
    match ty {
        "u8" => u8::MAX.into(),
        "u16" => u16::MAX.into(),
        "u32" => u32::MAX.into(),
        "u64" => u64::MAX.into(),
        "usize" => usize::MAX as u128,
        "u128" => u128::MAX,
        other => panic!("unknown integer type {other}"),
    }
}

/// The sets of values to render with: the input's (a sample where a line
/// is missing or no number), then three fixed sets.
fn arguments(template: &Template, lines: &[&str]) -> Vec<Vec<Arg>> {
    const SAMPLES: [(&str, u128, f64); 3] = [
        ("x", 1, 0.5),
        ("v2.ckpt", 0, -0.0),
        ("ancestor", u128::MAX, f64::NAN),
    ];
    let sample = |kind: &ParamKind, (text, n, x): (&str, u128, f64)| match kind {
        ParamKind::Text => Arg::Text(text.to_owned()),
        ParamKind::Uint { ty, .. } => Arg::Uint(n.min(uint_max(ty))),
        ParamKind::Float { .. } => Arg::Float(x),
    };
    let mut sets = Vec::with_capacity(1 + SAMPLES.len());
    sets.push(
        template
            .params()
            .enumerate()
            .map(|(i, param)| match (&param.kind, lines.get(i)) {
                (ParamKind::Text, Some(line)) => Arg::Text((*line).to_owned()),
                (ParamKind::Uint { ty, .. }, Some(line)) => match line.parse::<u128>() {
                    Ok(n) => Arg::Uint(match uint_max(ty).checked_add(1) {
                        Some(modulus) => n % modulus,
                        None => n,
                    }),
                    Err(_) => sample(&param.kind, SAMPLES[0]),
                },
                (ParamKind::Float { .. }, Some(line)) => match line.parse::<f64>() {
                    Ok(x) => Arg::Float(x),
                    Err(_) => sample(&param.kind, SAMPLES[0]),
                },
                (kind, None) => sample(kind, SAMPLES[0]),
            })
            .collect(),
    );
    for set in SAMPLES {
        sets.push(template.params().map(|p| sample(&p.kind, set)).collect());
    }
    sets
}

/// The template rendered as the accessor the derive generates renders it
/// (macros/src/expand.rs: `accessor` and `component_part`), one string per
/// component.
fn render(template: &Template, args: &[Arg]) -> Result<Vec<String>, runlayout_runtime::Error> {
    let mut args = args.iter();
    let mut parts = Vec::with_capacity(template.components.len());
    for (i, component) in template.components.iter().enumerate() {
        let count = component.params().count();
        let own: Vec<Arg> = args.by_ref().take(count).cloned().collect();
        parts.push(render_component(component, i == 0, &own)?);
    }
    Ok(parts)
}

fn render_component(
    component: &Component,
    first: bool,
    args: &[Arg],
) -> Result<String, runlayout_runtime::Error> {
    // Every text value is checked, and every float written, on its own
    // first; the first text value is blamed for the whole name, else the
    // first float.
    let mut texts = Vec::new();
    let mut floats = Vec::new();
    for (param, arg) in component.params().zip(args) {
        match (&param.kind, arg) {
            (ParamKind::Text, Arg::Text(value)) => {
                texts.push(generated::text(value, "value", "fuzz", first)?);
            }
            (ParamKind::Float { precision }, Arg::Float(x)) => {
                let written = generated::render_float(*x, *precision).map_err(|rule| {
                    runlayout_runtime::Error::InvalidValue {
                        placeholder: "value",
                        template: "fuzz",
                        value: x.to_string(),
                        rule,
                    }
                })?;
                floats.push(written);
            }
            _ => {}
        }
    }
    if let Some(text) = component.as_static() {
        return Ok(text.to_owned());
    }
    if component.is_lone_text() {
        return Ok(texts.swap_remove(0));
    }
    let mut rendered = String::new();
    let mut args = args.iter();
    let mut written = floats.iter();
    for segment in &component.segments {
        match segment {
            Segment::Text(text) => rendered.push_str(text),
            Segment::Param(param) => match (&param.kind, args.next()) {
                (ParamKind::Uint { width, .. }, Some(Arg::Uint(n))) => {
                    write!(rendered, "{n:0width$}").expect("writing to a String");
                }
                (ParamKind::Text, Some(Arg::Text(value))) => rendered.push_str(value),
                (ParamKind::Float { .. }, Some(Arg::Float(_))) => {
                    rendered.push_str(written.next().expect("written above"));
                }
                (kind, arg) => panic!("no value of kind {kind:?}: {arg:?}"),
            },
        }
    }
    match texts.first().or(floats.first()) {
        Some(value) => generated::component(rendered, "value", value, "fuzz", first),
        None => Ok(rendered),
    }
}

/// One normal component per component of the template, each following the
/// rules its kind follows.
fn stays_below_the_root(template: &Template, parts: &[String]) {
    assert_eq!(parts.len(), template.components.len());
    let root = Path::new("/fuzz-root");
    let borrowed: Vec<&str> = parts.iter().map(String::as_str).collect();
    let path = generated::join(root, &borrowed);
    let below = path
        .strip_prefix(root)
        .unwrap_or_else(|_| panic!("`{template}` rendered {parts:?}, which escapes the root"));
    let found: Vec<PathComponent<'_>> = below.components().collect();
    let expected: Vec<PathComponent<'_>> = parts
        .iter()
        .map(|p| PathComponent::Normal(OsStr::new(p)))
        .collect();
    assert_eq!(found, expected, "`{template}` rendered {parts:?}");
    for (i, (component, part)) in template.components.iter().zip(parts).enumerate() {
        let first = i == 0;
        assert!(
            !part.contains(['/', '\\', '\0']),
            "`{template}`: separator in {part:?}"
        );
        if component.as_static().is_none() {
            let rule = if first {
                names::check_first_component(part)
            } else {
                names::check_component(part)
            };
            assert_eq!(
                rule,
                Ok(()),
                "`{template}` rendered {part:?} for `{component}`"
            );
        } else {
            match Template::parse(part) {
                Ok(literal) => assert_eq!(
                    literal
                        .components
                        .iter()
                        .map(Component::as_static)
                        .collect::<Vec<_>>(),
                    [Some(part.as_str())],
                    "`{template}` rendered {part:?} for `{component}`"
                ),
                Err(errors) => panic!(
                    "`{template}` rendered {part:?} for `{component}`, which the grammar refuses \
                     as a literal: {errors:?}"
                ),
            }
            if first {
                assert!(
                    !names::is_run_name(part),
                    "`{template}` rendered {part:?} right inside the run"
                );
            }
        }
    }
}

/// The values `values` read from `name`, as the accessor takes them: a
/// number within its type's range, a text value a slice of `name`.
fn as_args<'p>(
    params: impl Iterator<Item = &'p ParamKind>,
    name: &str,
    values: &[Value],
) -> Vec<Arg> {
    let kinds: Vec<&ParamKind> = params.collect();
    assert_eq!(kinds.len(), values.len(), "one value per placeholder");
    kinds
        .into_iter()
        .zip(values)
        .map(|(kind, value)| match (kind, value) {
            (ParamKind::Uint { ty, .. }, Value::Uint(n)) => {
                assert!(*n <= uint_max(ty), "{n} read from {name:?} is no {ty}");
                Arg::Uint(*n)
            }
            (ParamKind::Text, Value::Text(range)) => Arg::Text(
                name.get(range.clone())
                    .unwrap_or_else(|| panic!("{range:?} is not within {name:?}"))
                    .to_owned(),
            ),
            (ParamKind::Float { .. }, Value::Float(x)) => {
                assert!(x.is_finite(), "{x} read from {name:?}");
                Arg::Float(*x)
            }
            (kind, value) => panic!("{value:?} read from {name:?} for a {kind:?}"),
        })
        .collect()
}

/// A rendered path reads back into the values it was rendered from.
fn reads_back(template: &Template, parts: &[String], args: &[Arg]) {
    let path = parts.join("/");
    let read = template.read(&path);
    if non_static(template).all(|c| c.reader().is_some()) {
        let values = read
            .unwrap_or_else(|| panic!("`{template}` rendered {path:?} but cannot read it back"));
        let kinds = template.params().map(|p| &p.kind);
        let read = as_args(kinds, &path, &values);
        for (read, given) in read.iter().zip(args) {
            if !matches!(given, Arg::Float(_)) {
                assert_eq!(
                    read, given,
                    "`{template}` read {path:?} back into other values"
                );
            }
        }
        let again = render(template, &read).expect("what reads back renders");
        assert_eq!(again, parts, "`{template}` read {path:?} into {read:?}");
    } else {
        assert_eq!(read, None, "`{template}` is ambiguous, yet read {path:?}");
    }
}

/// Whatever `name` reads back into renders `name` again.
fn names_read_render_again(template: &Template, name: &str) {
    if let Some(values) = template.read(name) {
        let args = as_args(template.params().map(|p| &p.kind), name, &values);
        let parts = render(template, &args).unwrap_or_else(|e| {
            panic!("`{template}` read {name:?} into {args:?}, which the accessor refuses: {e}")
        });
        assert_eq!(
            parts.join("/"),
            name,
            "`{template}` read {name:?} into {args:?}"
        );
    }
    for (i, component) in template.components.iter().enumerate() {
        if component.as_static().is_some() {
            continue;
        }
        let first = i == 0;
        let mut through_component = vec![Value::Uint(u128::MAX)];
        let read = component.read(name, first, &mut through_component);
        let Some(reader) = component.reader() else {
            assert!(!read, "`{component}` has no reader, yet read {name:?}");
            assert_eq!(through_component.len(), 1, "values changed on a refusal");
            continue;
        };
        assert_eq!(reader.len(), component.params().count());
        let mut through_reader = Vec::new();
        assert_eq!(
            reader.read(name, first, &mut through_reader),
            read,
            "`{component}`: Reader::read and Component::read disagree on {name:?}"
        );
        if !read {
            assert_eq!(through_component.len(), 1, "values changed on a refusal");
            continue;
        }
        assert_eq!(through_component[1..], through_reader[..]);
        let args = as_args(component.params().map(|p| &p.kind), name, &through_reader);
        let again = render_component(component, first, &args).unwrap_or_else(|e| {
            panic!("`{component}` read {name:?} into {args:?}, which the accessor refuses: {e}")
        });
        assert_eq!(again, name, "`{component}` read {name:?} into {args:?}");
    }
}
