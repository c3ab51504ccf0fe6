//! Rendering a template with values given as text: what an accessor does
//! with typed arguments, for a program that knows the template only when it
//! runs (`runlayout path <RUN> <ENTRY> <VALUE>...`). The rules are the
//! accessor's: an integer placeholder takes the decimal form of a value of
//! its type, zero-padded to its width; a float placeholder any number
//! `str::parse::<f64>` reads (`0.42`, `-1.5e-3`), written by
//! [`render_float`](super::render_float); a text value must be one portable
//! name (in the first component, none of the names runlayout keeps in a run
//! folder), and so must each component a text value or a float is part of.

use std::fmt;

use super::{Component, Param, ParamKind, Segment, Template, float};
use crate::names::{self, NameRule};

/// Why a template could not be rendered with the values given.
///
/// ```
/// use runlayout_grammar::template::{RenderError, Template};
///
/// let t = Template::parse("eval/{split}/metrics.json").unwrap();
/// let err = t.render(&["../x"]).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "value \"../x\" for {split} in `eval/{split}/metrics.json` is invalid: \
///      character '/' at byte 2 is not allowed; use letters, digits, '.', '_' or '-'"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RenderError {
    /// The number of values is not the number of placeholders.
    Count {
        /// The template's placeholders, in order.
        expected: Vec<String>,
        /// How many values were given.
        given: usize,
    },
    /// A value for a number placeholder is no value of its type.
    NotANumber {
        /// The placeholder.
        placeholder: String,
        /// Its type.
        ty: &'static str,
        /// The value given.
        value: String,
    },
    /// A value breaks a naming rule, alone or with the text around it.
    Invalid {
        /// The placeholder.
        placeholder: String,
        /// The template, as written.
        template: String,
        /// The value given.
        value: String,
        /// The rule.
        rule: NameRule,
    },
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::Count { expected, given } => {
                let names: Vec<String> = expected.iter().map(|p| format!("{{{p}}}")).collect();
                write!(
                    f,
                    "{} value{} needed ({}), {given} given",
                    expected.len(),
                    if expected.len() == 1 { "" } else { "s" },
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                )
            }
            RenderError::NotANumber {
                placeholder,
                ty,
                value,
            } => {
                let how = if *ty == "f64" {
                    "a decimal number, such as 0.42"
                } else {
                    "decimal digits"
                };
                write!(
                    f,
                    "value {value:?} for {{{placeholder}}} is no {ty}: write it in {how}"
                )
            }
            RenderError::Invalid {
                placeholder,
                template,
                value,
                rule,
            } => invalid_value(f, value, placeholder, template, rule),
        }
    }
}

impl std::error::Error for RenderError {}

/// The message of a value an accessor refuses: one wording for the
/// accessor's error and for every renderer.
///
/// ```
/// use std::fmt;
/// use runlayout_grammar::{names::NameRule, template::invalid_value};
///
/// struct Shown;
/// impl fmt::Display for Shown {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
///         invalid_value(f, "nul", "x", "{x}.txt", &NameRule::DeviceName)
///     }
/// }
/// assert!(Shown.to_string().starts_with("value \"nul\" for {x} in `{x}.txt` is invalid"));
/// ```
pub fn invalid_value(
    f: &mut fmt::Formatter<'_>,
    value: &str,
    placeholder: &str,
    template: &str,
    rule: &NameRule,
) -> fmt::Result {
    write!(
        f,
        "value {value:?} for {{{placeholder}}} in `{template}` is invalid: {rule}"
    )
}

impl Template {
    /// The components the template renders to with `values`, one per
    /// placeholder in order, as text: integers in decimal, floats as
    /// `str::parse::<f64>` reads them. The checks are the accessor's, so
    /// what renders here is what the accessor would return.
    ///
    /// # Errors
    ///
    /// A [`RenderError`] naming the placeholder and the value at fault.
    ///
    /// ```
    /// use runlayout_grammar::template::Template;
    ///
    /// let t = Template::parse("checkpoints/epoch_{epoch:04}.ckpt").unwrap();
    /// assert_eq!(t.render(&["12"]).unwrap(), ["checkpoints", "epoch_0012.ckpt"]);
    /// assert!(t.render(&["-1"]).is_err());
    /// assert!(Template::parse("{name}.json").unwrap().render(&["run"]).is_err());
    /// let t = Template::parse("val_loss={loss:.4}.ckpt").unwrap();
    /// assert_eq!(t.render(&["0.41549"]).unwrap(), ["val_loss=0.4155.ckpt"]);
    /// assert!(t.render(&["NaN"]).is_err());
    /// ```
    pub fn render(&self, values: &[&str]) -> Result<Vec<String>, RenderError> {
        let expected: Vec<String> = self.params().map(|p| p.name.clone()).collect();
        if values.len() != expected.len() {
            return Err(RenderError::Count {
                expected,
                given: values.len(),
            });
        }
        let template = self.to_string();
        let mut values = values.iter().copied();
        self.components
            .iter()
            .enumerate()
            .map(|(index, component)| {
                let own: Vec<&str> = values.by_ref().take(component.params().count()).collect();
                render_component(component, &own, index == 0, &template)
            })
            .collect()
    }
}

/// One component with its own values, checked as the accessor checks it.
fn render_component(
    component: &Component,
    values: &[&str],
    first: bool,
    template: &str,
) -> Result<String, RenderError> {
    let params: Vec<&Param> = component.params().collect();
    let mut rendered = String::new();
    let mut own = values.iter();
    for segment in &component.segments {
        match segment {
            Segment::Text(text) => rendered.push_str(text),
            Segment::Param(param) => {
                let value = own.next().copied().unwrap_or_default();
                rendered.push_str(&render_value(param, value, first, template)?);
            }
        }
    }
    // Valid values can still combine into a name no folder may have (a
    // device name, too long): the first text value takes the blame, else
    // the first float.
    let blamed = (params.iter().position(|p| p.kind == ParamKind::Text))
        .or_else(|| params.iter().position(|p| p.kind.is_checked()));
    if let Some(i) = blamed
        && !component.is_lone_text()
    {
        let value = values.get(i).copied().unwrap_or_default();
        check(&rendered, first).map_err(|rule| invalid(params[i], value, template, rule))?;
    }
    Ok(rendered)
}

/// One placeholder's value, given as text, as the accessor renders it.
fn render_value(
    param: &Param,
    value: &str,
    first: bool,
    template: &str,
) -> Result<String, RenderError> {
    let not_a_number = |ty| RenderError::NotANumber {
        placeholder: param.name.clone(),
        ty,
        value: value.to_owned(),
    };
    match param.kind {
        ParamKind::Uint { ty, width } => {
            let n = parse_uint(value, ty).ok_or_else(|| not_a_number(ty))?;
            Ok(format!("{n:0width$}"))
        }
        ParamKind::Float { precision } => {
            let number: f64 = value.parse().map_err(|_| not_a_number("f64"))?;
            float::render_float(number, precision)
                .map_err(|rule| invalid(param, value, template, rule))
        }
        ParamKind::Text => {
            check(value, first).map_err(|rule| invalid(param, value, template, rule))?;
            Ok(value.to_owned())
        }
    }
}

fn invalid(param: &Param, value: &str, template: &str, rule: NameRule) -> RenderError {
    RenderError::Invalid {
        placeholder: param.name.clone(),
        template: template.to_owned(),
        value: value.to_owned(),
        rule,
    }
}

/// The accessor's rule for a component's text: see [`names::check_first_component`].
fn check(text: &str, first: bool) -> Result<(), NameRule> {
    if first {
        names::check_first_component(text)
    } else {
        names::check_component(text)
    }
}

/// `value` as an unsigned integer of type `ty`, written in plain decimal.
fn parse_uint(value: &str, ty: &str) -> Option<u128> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u128 = value.parse().ok()?;
    let max = match ty {
        "u8" => u128::from(u8::MAX),
        "u16" => u128::from(u16::MAX),
        "u32" => u128::from(u32::MAX),
        // A zero-padded placeholder is a u64; usize is taken as 64 bits wide.
        "u64" | "usize" => u128::from(u64::MAX),
        _ => u128::MAX,
    };
    (n <= max).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str, values: &[&str]) -> Result<Vec<String>, RenderError> {
        Template::parse(template).expect("template").render(values)
    }

    #[test]
    fn every_placeholder_form_renders_as_the_accessor_does() {
        assert_eq!(render("a/{n:u8}", &["255"]).unwrap(), ["a", "255"]);
        assert!(matches!(
            render("a/{n:u8}", &["256"]),
            Err(RenderError::NotANumber { ty: "u8", .. })
        ));
        assert_eq!(render("{e:04}.ckpt", &["7"]).unwrap(), ["0007.ckpt"]);
        assert_eq!(render("{e:02}.ckpt", &["12345"]).unwrap(), ["12345.ckpt"]);
        assert_eq!(
            render("s/{split}/{step:u32}_{tag}.png", &["val", "3", "best"]).unwrap(),
            ["s", "val", "3_best.png"]
        );
        assert!(render("x/{n:u32}", &["+1"]).is_err());
        assert!(render("x/{n:u32}", &[" 1"]).is_err());
    }

    #[test]
    fn bad_values_are_refused_with_the_accessors_message() {
        let err = render("eval/{split}", &["../x"]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("value \"../x\" for {split} in `eval/{split}` is invalid")
        );
        // Valid alone, a device name together.
        let err = render("x/a{s}", &["ux"]).unwrap_err();
        assert!(
            matches!(
                err,
                RenderError::Invalid {
                    rule: NameRule::DeviceName,
                    ..
                }
            ),
            "{err}"
        );
        // Right inside the run folder, not a name runlayout keeps there.
        assert!(matches!(
            render("{name}.json", &["run"]),
            Err(RenderError::Invalid {
                rule: NameRule::ReservedInRun,
                ..
            })
        ));
        assert!(render("deep/{name}.json", &["run"]).is_ok());
    }

    #[test]
    fn floats_render_as_the_accessor_renders_them() {
        assert_eq!(
            render("ckpt/e{e:u32}_{loss:.4}.ckpt", &["3", "0.41549"]).unwrap(),
            ["ckpt", "e3_0.4155.ckpt"]
        );
        assert_eq!(render("x/l{v:.2}", &["-1.25e0"]).unwrap(), ["x", "l-1.25"]);
        assert_eq!(render("x/l{v:.2}", &["-0"]).unwrap(), ["x", "l0.00"]);
        let err = render("x/l{v:.2}", &["0,5"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "value \"0,5\" for {v} is no f64: write it in a decimal number, such as 0.42"
        );
        for not_finite in ["NaN", "inf", "-infinity", "1e999"] {
            assert!(
                matches!(
                    render("x/l{v:.2}", &[not_finite]),
                    Err(RenderError::Invalid {
                        rule: NameRule::NotFinite,
                        ..
                    })
                ),
                "{not_finite}"
            );
        }
        // Too long a name: the float is blamed, the whole name checked.
        let err = render("x/l{v:.2}", &["1e300"]).unwrap_err();
        assert!(
            matches!(
                &err,
                RenderError::Invalid {
                    rule: NameRule::TooLong { len: 305 },
                    placeholder,
                    ..
                } if placeholder == "v"
            ),
            "{err}"
        );
    }

    #[test]
    fn the_number_of_values_must_match() {
        let err = render("a/{x}/{y:u8}", &["1"]).unwrap_err();
        assert_eq!(err.to_string(), "2 values needed ({x}, {y}), 1 given");
        assert!(render("plain/path.txt", &[]).is_ok());
    }
}
