//! The grammar of an entry's path: `/`-separated components, each made of
//! plain text and `{placeholders}`.
//!
//! ```text
//! path        = component ("/" component)* ["/"]
//! placeholder = "{" name "}"                text: any Display value, checked at run time
//!             | "{" name ":" uint "}"       u8 u16 u32 u64 u128 usize, written in decimal
//!             | "{" name ":0" width "}"     u64, zero-padded to `width` digits
//!             | "{" name ":." precision "}" f64, written with `precision` decimals (0 to 17)
//! ```
//!
//! Fixed text follows the one naming rule of [`names::check_component`]:
//! it holds the characters a value may hold ([`names::is_allowed`]), and a
//! component with a placeholder starts with a letter or a digit, as the
//! name it renders must (a fixed name may start otherwise: `.cache`). So
//! every template that parses renders for some values, and a name is
//! refused at run time only for what its values bring to it. A float
//! placeholder never starts a component (a negative value would start the
//! name with `-`).
//!
//! The derive parses every entry's path with [`Template::parse`] at compile
//! time, so each mistake is reported at the literal; the runtime parses the
//! same text with the same code when it reads a layout back. Names on disk
//! are read back into values with [`Template::read`] and [`Component::read`],
//! the inverse of rendering (see [`Value`] and the `read` module's rules);
//! floats are written by [`render_float`] and read by [`read_float`].
//!
//! ```
//! use runlayout_grammar::template::Template;
//!
//! let t = Template::parse("checkpoints/epoch_{epoch:04}.ckpt").unwrap();
//! assert_eq!(t.shape(), ["checkpoints", "epoch_{}.ckpt"]);
//! assert!(Template::parse("../up").is_err());
//! ```

use std::collections::BTreeSet;
use std::fmt;

use crate::names::{self, MAX_LEN};

mod float;
mod read;
mod render;

pub use float::{MAX_PRECISION, read_float, render_float};
pub use read::{Reader, Value};
pub use render::{RenderError, invalid_value};

/// Rust's strict and reserved keywords (2024 edition): a placeholder becomes
/// an accessor's argument and an entry's name its method, so neither may be one.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Whether `name` is a Rust keyword.
///
/// ```
/// assert!(runlayout_grammar::template::is_keyword("type"));
/// assert!(!runlayout_grammar::template::is_keyword("epoch"));
/// ```
#[must_use]
pub fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

/// Unsigned integer types a placeholder may take; their decimal form never
/// holds a separator, so such placeholders need no check at run time.
pub const UINTS: &[(&str, usize)] = &[
    ("u8", 3),
    ("u16", 5),
    ("u32", 10),
    ("u64", 20),
    ("u128", 39),
    ("usize", 20),
];

/// A parsed entry path.
#[derive(Debug, Clone)]
pub struct Template {
    /// The `/`-separated parts, in order.
    pub components: Vec<Component>,
    /// The path ended with `/`: a folder, whatever its name looks like.
    pub trailing_slash: bool,
}

/// One path component: text and placeholders, in order.
#[derive(Debug, Clone)]
pub struct Component {
    /// What the component is made of.
    pub segments: Vec<Segment>,
}

/// A piece of a component.
#[derive(Debug, Clone)]
pub enum Segment {
    /// Fixed text.
    Text(String),
    /// A `{placeholder}`.
    Param(Param),
}

/// A `{placeholder}`.
#[derive(Debug, Clone)]
pub struct Param {
    /// Its name, which becomes the accessor's argument.
    pub name: String,
    /// What values it takes.
    pub kind: ParamKind,
}

/// What values a placeholder takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamKind {
    /// Any `Display` value, checked when the accessor runs.
    Text,
    /// An unsigned integer of the named type, zero-padded to `width` digits.
    Uint {
        /// The Rust type: `u8` ... `u128`, `usize`.
        ty: &'static str,
        /// The least number of digits; 0 for no padding.
        width: usize,
    },
    /// An `f64`, written with `precision` decimals by [`render_float`];
    /// NaN and the infinities are refused when the accessor runs.
    Float {
        /// How many decimals, 0 to [`MAX_PRECISION`].
        precision: usize,
    },
}

impl Template {
    /// Parses `path`, returning every problem found in it.
    pub fn parse(path: &str) -> Result<Template, Vec<String>> {
        let mut errors = Vec::new();
        if path.is_empty() {
            return Err(vec![
                "empty path: name a file or folder below the layout's root".into(),
            ]);
        }
        if path.starts_with('/') {
            errors.push(format!(
                "absolute path `{path}`: entry paths are relative to the layout's root"
            ));
        }
        if path.contains('\\') {
            errors.push(format!(
                "backslash in `{path}`: separate folders with `/`, which works everywhere"
            ));
        }
        let trailing_slash = path.len() > 1 && path.ends_with('/');
        let body = path.strip_prefix('/').unwrap_or(path);
        let body = body.strip_suffix('/').unwrap_or(body);
        let mut components = Vec::new();
        let mut names = BTreeSet::new();
        for text in body.split('/') {
            match parse_component(text) {
                Ok(component) => {
                    for param in component.params() {
                        if !names.insert(param.name.clone()) {
                            errors.push(format!(
                                "placeholder `{{{}}}` appears twice in `{path}`: each becomes one argument",
                                param.name
                            ));
                        }
                    }
                    components.push(component);
                }
                Err(mut found) => errors.append(&mut found),
            }
        }
        if errors.is_empty() {
            Ok(Template {
                components,
                trailing_slash,
            })
        } else {
            Err(errors)
        }
    }

    /// Every placeholder, in the order they appear.
    pub fn params(&self) -> impl Iterator<Item = &Param> {
        self.components.iter().flat_map(Component::params)
    }

    /// Whether the template has a text placeholder.
    pub fn has_text(&self) -> bool {
        self.params().any(|p| p.kind == ParamKind::Text)
    }

    /// Whether the accessor can refuse a value, and so returns a `Result`:
    /// a text value breaking the naming rule, a float that is NaN or
    /// infinite, or a name either makes too long. Integers never fail.
    ///
    /// ```
    /// use runlayout_grammar::template::Template;
    ///
    /// let fallible = |path: &str| Template::parse(path).unwrap().is_fallible();
    /// assert!(fallible("eval/{split}") && fallible("loss={loss:.4}.ckpt"));
    /// assert!(!fallible("epoch_{epoch:04}.ckpt"));
    /// ```
    pub fn is_fallible(&self) -> bool {
        self.params().any(|p| p.kind.is_checked())
    }

    /// Whether the path has no placeholder.
    pub fn is_static(&self) -> bool {
        self.params().next().is_none()
    }

    /// The path with every placeholder written `{}`: two entries of one shape
    /// can name the same file.
    pub fn shape(&self) -> Vec<String> {
        self.components.iter().map(Component::shape).collect()
    }

    /// A last component with an extension (`log.txt`, `epoch_{n}.ckpt`)
    /// names a file, unless the path ends with `/`.
    pub fn looks_like_file(&self) -> bool {
        if self.trailing_slash {
            return false;
        }
        let last = self
            .components
            .last()
            .map(Component::shape)
            .unwrap_or_default();
        last.rfind('.').is_some_and(|dot| dot > 0)
    }
}

impl ParamKind {
    /// Whether the accessor checks the name a value of this kind is part of
    /// when it runs: text and floats, not integers.
    ///
    /// ```
    /// use runlayout_grammar::template::ParamKind;
    ///
    /// assert!(ParamKind::Float { precision: 4 }.is_checked());
    /// assert!(!ParamKind::Uint { ty: "u32", width: 0 }.is_checked());
    /// ```
    #[must_use]
    pub fn is_checked(&self) -> bool {
        matches!(self, ParamKind::Text | ParamKind::Float { .. })
    }
}

impl Component {
    /// The component's placeholders, in order.
    pub fn params(&self) -> impl Iterator<Item = &Param> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Param(p) => Some(p),
            Segment::Text(_) => None,
        })
    }

    fn shape(&self) -> String {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Text(t) => t.as_str(),
                Segment::Param(_) => "{}",
            })
            .collect()
    }

    /// The fixed text, if the component has no placeholder.
    pub fn as_static(&self) -> Option<&str> {
        match self.segments.as_slice() {
            [Segment::Text(t)] => Some(t),
            _ => None,
        }
    }

    /// The component is exactly one text placeholder: its value's own check
    /// covers the component.
    pub fn is_lone_text(&self) -> bool {
        matches!(
            self.segments.as_slice(),
            [Segment::Param(Param {
                kind: ParamKind::Text,
                ..
            })]
        )
    }
}

/// The template as it would be declared: `{name}`, `{name:u32}`,
/// `{name:04}` and `{name:.4}` for placeholders.
///
/// ```
/// use runlayout_grammar::template::Template;
///
/// let path = "ckpt/{split}/epoch_{epoch:04}-{step:u32}.pt";
/// assert_eq!(Template::parse(path).unwrap().to_string(), path);
/// ```
impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, component) in self.components.iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            fmt::Display::fmt(component, f)?;
        }
        if self.trailing_slash {
            f.write_str("/")?;
        }
        Ok(())
    }
}

/// The component as it would be declared.
///
/// ```
/// use runlayout_grammar::template::Template;
///
/// let t = Template::parse("ckpt/epoch_{epoch:04}.pt").unwrap();
/// assert_eq!(t.components[1].to_string(), "epoch_{epoch:04}.pt");
/// ```
impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => f.write_str(text)?,
                Segment::Param(param) => fmt::Display::fmt(param, f)?,
            }
        }
        Ok(())
    }
}

/// The placeholder as it would be declared.
///
/// ```
/// use runlayout_grammar::template::Template;
///
/// let t = Template::parse("{split}/{epoch:04}_{step:u32}_{loss:.4}").unwrap();
/// let params: Vec<String> = t.params().map(ToString::to_string).collect();
/// assert_eq!(params, ["{split}", "{epoch:04}", "{step:u32}", "{loss:.4}"]);
/// ```
impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = &self.name;
        match self.kind {
            ParamKind::Text => write!(f, "{{{name}}}"),
            ParamKind::Uint { ty, width: 0 } => write!(f, "{{{name}:{ty}}}"),
            ParamKind::Uint { width, .. } => write!(f, "{{{name}:0{width}}}"),
            ParamKind::Float { precision } => write!(f, "{{{name}:.{precision}}}"),
        }
    }
}

fn parse_component(text: &str) -> Result<Component, Vec<String>> {
    if text.is_empty() {
        return Err(vec![
            "empty folder name (`//`): remove the extra `/`".into(),
        ]);
    }
    if text == "." || text == ".." {
        return Err(vec![format!(
            "`{text}` component: entries stay below the layout's root, name folders directly"
        )]);
    }
    let segments = parse_segments(text).map_err(|e| vec![e])?;
    let component = Component { segments };
    let mut errors = Vec::new();
    check_portable(text, &component, &mut errors);
    if errors.is_empty() {
        Ok(component)
    } else {
        Err(errors)
    }
}

/// Splits a component into text and placeholders.
fn parse_segments(text: &str) -> Result<Vec<Segment>, String> {
    let mut segments = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let open = rest.find('{');
        let close = rest.find('}');
        match (open, close) {
            (_, Some(c)) if open.is_none_or(|o| c < o) => {
                return Err(format!(
                    "unmatched `}}` in `{text}`: placeholders are written `{{name}}`, and braces are not allowed in names"
                ));
            }
            (None, _) => {
                segments.push(Segment::Text(rest.to_owned()));
                rest = "";
            }
            (Some(o), close) => {
                if o > 0 {
                    segments.push(Segment::Text(rest[..o].to_owned()));
                }
                let Some(c) = close else {
                    return Err(format!(
                        "unclosed `{{` in `{text}`: placeholders are written `{{name}}`"
                    ));
                };
                let body = &rest[o + 1..c];
                if body.contains('{') {
                    return Err(format!("`{{` inside a placeholder in `{text}`"));
                }
                segments.push(Segment::Param(parse_param(body)?));
                rest = &rest[c + 1..];
            }
        }
    }
    Ok(segments)
}

fn parse_param(body: &str) -> Result<Param, String> {
    let (name, spec) = match body.split_once(':') {
        Some((name, spec)) => (name, Some(spec)),
        None => (body, None),
    };
    if name.is_empty() {
        return Err(format!(
            "placeholder `{{{body}}}` has no name: write `{{name}}`"
        ));
    }
    if !is_identifier(name) {
        return Err(format!(
            "placeholder name `{name}` is not an identifier: it becomes the accessor's argument"
        ));
    }
    if is_keyword(name) {
        return Err(format!(
            "placeholder name `{name}` is a Rust keyword: it becomes the accessor's argument"
        ));
    }
    let kind = match spec {
        None => ParamKind::Text,
        Some(spec) => parse_spec(name, spec)?,
    };
    Ok(Param {
        name: name.to_owned(),
        kind,
    })
}

fn parse_spec(name: &str, spec: &str) -> Result<ParamKind, String> {
    if let Some(&(ty, _)) = UINTS.iter().find(|(ty, _)| *ty == spec) {
        return Ok(ParamKind::Uint { ty, width: 0 });
    }
    if let Some(digits) = spec.strip_prefix('.') {
        return parse_precision(name, digits);
    }
    let width = spec
        .strip_prefix('0')
        .filter(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|w| w.parse::<usize>().ok())
        .filter(|w| (1..=MAX_LEN).contains(w));
    match width {
        Some(width) => Ok(ParamKind::Uint { ty: "u64", width }),
        None => Err(unknown_format(name, spec)),
    }
}

fn unknown_format(name: &str, spec: &str) -> String {
    format!(
        "unknown placeholder format `{{{name}:{spec}}}`: use `{{{name}}}` for text, \
         `{{{name}:u64}}` (or u8, u16, u32, u128, usize) for a number, \
         `{{{name}:04}}` for a number zero-padded to 4 digits, \
         or `{{{name}:.4}}` for a float with 4 decimals"
    )
}

/// The decimals of `{name:.N}`: `N` in plain decimal, at most
/// [`MAX_PRECISION`].
fn parse_precision(name: &str, digits: &str) -> Result<ParamKind, String> {
    if digits.is_empty() {
        return Err(format!(
            "placeholder `{{{name}:.}}` says no precision: write `{{{name}:.4}}` for a float \
             with 4 decimals"
        ));
    }
    let plain =
        digits.bytes().all(|b| b.is_ascii_digit()) && (digits == "0" || !digits.starts_with('0'));
    if !plain {
        return Err(unknown_format(name, &format!(".{digits}")));
    }
    match digits.parse::<usize>() {
        Ok(precision) if precision <= MAX_PRECISION => Ok(ParamKind::Float { precision }),
        _ => Err(format!(
            "`{{{name}:.{digits}}}` asks for {digits} decimals: at most {MAX_PRECISION}, \
             the most digits a double carries"
        )),
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok && s != "_" && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Keeps every name the component renders one name the naming rule
/// accepts ([`names::check_component`]), whatever the values, where its
/// fixed text alone decides: the characters of the fixed text are those a
/// value may hold; a component with a placeholder starts with a letter or a
/// digit (or a placeholder whose values do), never with a float; no
/// trailing dot; no Windows device name; no name longer than 255 bytes.
/// What values bring (a text value's characters, a float's length) is
/// checked when the accessor runs.
fn check_portable(text: &str, component: &Component, errors: &mut Vec<String>) {
    for segment in &component.segments {
        // A backslash is reported once, for the whole path.
        if let Segment::Text(t) = segment
            && let Some(c) = t.chars().find(|&c| !names::is_allowed(c) && c != '\\')
        {
            errors.push(format!(
                "character {c:?} in `{text}` is not allowed in a name: use letters, digits, \
                 '.', '_', '-', '=' or '+', the characters a placeholder's value may hold"
            ));
        }
    }
    if component.as_static().is_none() {
        check_start(text, component, errors);
    }
    if let Some(Segment::Text(last)) = component.segments.last()
        && last.ends_with('.')
    {
        errors.push(format!(
            "`{text}` ends with \".\", which Windows drops from file names"
        ));
    }
    if let Some(name) = component.as_static()
        && names::is_device_name(name)
    {
        errors.push(format!(
            "`{name}` is a Windows device name, which no file or folder may be called"
        ));
    }
    if let Some(stem) = device_stem_for_every_value(component) {
        errors.push(format!(
            "`{text}` is the Windows device name `{stem}` before its first '.', whatever the \
             values, which no file or folder may be called"
        ));
    }
    if let Some(name) = device_name_of_numbers(component) {
        errors.push(format!(
            "`{text}` renders the Windows device name `{name}` for some values, which no file \
             or folder may be called"
        ));
    }
    // Integers are never checked when the accessor runs: count their
    // longest form. Text and floats are: count their shortest.
    let longest: usize = component
        .segments
        .iter()
        .map(|s| match s {
            Segment::Text(t) => t.len(),
            Segment::Param(param) => match param.kind {
                ParamKind::Uint { ty, width } => {
                    let digits = UINTS.iter().find(|(t, _)| *t == ty).map_or(39, |(_, d)| *d);
                    digits.max(width)
                }
                ParamKind::Float { precision } => float::shortest(precision),
                ParamKind::Text => 1,
            },
        })
        .sum();
    if longest > MAX_LEN {
        errors.push(format!(
            "`{text}` can be {longest} bytes long; file names may have at most {MAX_LEN}"
        ));
    }
}

/// A name rendered from values starts as a value does, with a letter or a
/// digit: fixed text first must too, and a float, which may be negative,
/// cannot come first. (A character no name holds is reported already.)
fn check_start(text: &str, component: &Component, errors: &mut Vec<String>) {
    match component.segments.first() {
        Some(Segment::Text(fixed)) => {
            if let Some(c) = fixed.chars().next()
                && names::is_allowed(c)
                && !c.is_ascii_alphanumeric()
            {
                errors.push(format!(
                    "`{text}` starts with {c:?}, and a name with placeholders must start with a \
                     letter or a digit, as their values do (only a fixed name, such as \
                     `.cache`, may start otherwise)"
                ));
            }
        }
        Some(Segment::Param(param)) if matches!(param.kind, ParamKind::Float { .. }) => {
            errors.push(format!(
                "`{text}` starts with the float `{param}`, and a negative value would start the \
                 name with '-': put text before it, as in `{name}={param}`",
                name = param.name
            ));
        }
        _ => {}
    }
}

/// The device name a component with a text value is, whatever the values:
/// its fixed text reaches its first `.` and is a device name's stem
/// (`nul.{ext}`). Other device names such a component renders depend on
/// the values, and the accessor refuses them when it runs.
fn device_stem_for_every_value(component: &Component) -> Option<&str> {
    if component.params().all(|p| p.kind != ParamKind::Text) {
        return None;
    }
    match component.segments.first() {
        Some(Segment::Text(fixed)) if fixed.contains('.') && names::is_device_name(fixed) => {
            fixed.split('.').next()
        }
        _ => None,
    }
}

/// The Windows device name that a component of fixed text and numbers (no
/// text value) renders for some values, if any: `com{n:u8}` renders `com1`,
/// `con.{n:u32}` renders `con.5` and `lpt{x:.1}` renders `lpt1.0`. The
/// accessor checks a component that holds a text value when it runs, but
/// never checks integers, so this is the one check such a component gets.
///
/// A device name's stem (what comes before the first `.`) is `CON`, `PRN`,
/// `AUX` or `NUL`, which hold no digit, or `COM` or `LPT` and one digit. So
/// a number inside the stem can only be its one last digit (a float's
/// `.` ending the stem, a `-` never being in one), and rendering every
/// number as one digit at its least width, for each digit, gives every
/// device name the component can render.
fn device_name_of_numbers(component: &Component) -> Option<String> {
    let numbers_only = component.params().all(|p| p.kind != ParamKind::Text);
    if component.as_static().is_some() || !numbers_only {
        return None;
    }
    // 1 first: `com1` is the device name a reader knows.
    (1..=9).chain([0]).find_map(|digit: u8| {
        let mut name = String::new();
        for segment in &component.segments {
            match segment {
                Segment::Text(text) => name.push_str(text),
                Segment::Param(param) => match param.kind {
                    ParamKind::Uint { width, .. } => {
                        let width = width.max(1);
                        name.push_str(&format!("{digit:0width$}"));
                    }
                    ParamKind::Float { precision } => {
                        name.push_str(&format!("{:.precision$}", f64::from(digit)));
                    }
                    ParamKind::Text => return None,
                },
            }
        }
        names::is_device_name(&name).then_some(name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(path: &str) -> Vec<String> {
        Template::parse(path).err().unwrap_or_default()
    }

    #[test]
    fn plain_paths_and_kinds() {
        let t = Template::parse("basetracker/config.yaml").unwrap();
        assert_eq!(t.shape(), ["basetracker", "config.yaml"]);
        assert!(t.looks_like_file() && t.is_static());
        assert!(!Template::parse("checkpoints").unwrap().looks_like_file());
        assert!(!Template::parse("v1.0/").unwrap().looks_like_file());
        assert!(!Template::parse(".cache").unwrap().looks_like_file());
        assert!(Template::parse("epoch_{n}.ckpt").unwrap().looks_like_file());
        assert!(Template::parse("{name}.json").unwrap().looks_like_file());
    }

    #[test]
    fn placeholders() {
        let t = Template::parse("ckpt/epoch_{epoch:04}/{split}_{step:u32}.pt").unwrap();
        let params: Vec<_> = t
            .params()
            .map(|p| (p.name.as_str(), p.kind.clone()))
            .collect();
        assert_eq!(
            params,
            [
                (
                    "epoch",
                    ParamKind::Uint {
                        ty: "u64",
                        width: 4
                    }
                ),
                ("split", ParamKind::Text),
                (
                    "step",
                    ParamKind::Uint {
                        ty: "u32",
                        width: 0
                    }
                ),
            ]
        );
        assert!(t.has_text());
        assert_eq!(t.shape(), ["ckpt", "epoch_{}", "{}_{}.pt"]);
    }

    #[test]
    fn each_mistake_is_named() {
        let cases = [
            ("", "empty path"),
            ("/abs", "absolute path"),
            ("a\\b", "backslash"),
            ("a//b", "empty folder name"),
            ("a/../b", "`..` component"),
            ("./a", "`.` component"),
            ("a{", "unclosed `{`"),
            ("a}", "unmatched `}`"),
            ("{}", "has no name"),
            ("{1x}", "not an identifier"),
            ("{type}", "Rust keyword"),
            ("{a:x}", "unknown placeholder format"),
            ("{a:00}", "unknown placeholder format"),
            ("{a}/{a}", "appears twice"),
            ("a:b", "character ':' in `a:b` is not allowed in a name"),
            ("my notes.txt", "character ' '"),
            ("résumé.md", "character 'é'"),
            ("x/{s}\u{7}", "character '\\u{7}'"),
            ("x/.{s}", "starts with '.'"),
            ("x/_e{n:u32}", "starts with '_'"),
            ("x/={s}", "starts with '='"),
            ("x/{x:.2}.ckpt", "starts with the float `{x:.2}`"),
            ("x/{x:.}", "says no precision"),
            ("x/{x:.18}", "asks for 18 decimals: at most 17"),
            ("x/{x:.99}", "asks for 99 decimals"),
            (
                "x/{x:.99999999999999999999999}",
                "asks for 99999999999999999999999 decimals",
            ),
            ("x/{x:.04}", "unknown placeholder format `{x:.04}`"),
            ("x/{x:.4f}", "unknown placeholder format `{x:.4f}`"),
            ("x/{x:.-1}", "unknown placeholder format"),
            (
                "x/nul.{ext}",
                "the Windows device name `nul` before its first '.'",
            ),
            ("x/lpt{x:.1}", "renders the Windows device name `lpt1.0`"),
            (
                "x/com{x:.0}.log",
                "renders the Windows device name `com1.log`",
            ),
            ("a.", "which Windows drops"),
            ("nul.txt", "device name"),
            ("com{n:u8}", "renders the Windows device name `com1`"),
            ("logs/LPT{n:01}.txt", "device name `LPT1.txt`"),
            ("x/con.{n:u32}", "device name `con.1`"),
            ("Aux.{a:u8}.{b:04}", "device name `Aux.1.0001`"),
        ];
        for (path, expected) in cases {
            let found = errors(path);
            assert!(
                found.iter().any(|e| e.contains(expected)),
                "{path:?}: expected {expected:?} in {found:?}"
            );
        }
        let long = "a".repeat(250) + "{n:u64}";
        assert!(errors(&long)[0].contains("at most 255"));
        // A float counts its shortest form: the accessor checks the rest.
        assert!(Template::parse(&("a".repeat(249) + "{x:.4}")).is_ok());
        assert!(errors(&("a".repeat(250) + "{x:.4}"))[0].contains("256 bytes"));
    }

    #[test]
    fn one_naming_rule_for_fixed_text_and_values() {
        // The characters fixed text may hold are those a value may hold.
        for c in (0..=0x7f_u8).map(char::from).chain(['é', '日', '\u{a0}']) {
            if matches!(c, '/' | '{' | '}') {
                continue; // the grammar's own
            }
            let path = format!("a{c}b/x{c}{{s}}");
            assert_eq!(
                Template::parse(&path).is_ok(),
                names::is_allowed(c),
                "{c:?}"
            );
        }
        for ok in [
            "checkpoints/epoch={epoch:u32}-val_loss={v}.ckpt",
            "a+b=c/{s}+{n:u8}",
            ".cache/_tmp/-x/=y/+z",
            "x/{s}.tar.gz",
            "x/con{s}",
        ] {
            assert!(Template::parse(ok).is_ok(), "{ok}: {:?}", errors(ok));
        }
    }

    #[test]
    fn float_placeholders() {
        let t = Template::parse("top/e{epoch:u32}_{val_loss:.4}.ckpt").unwrap();
        let kinds: Vec<ParamKind> = t.params().map(|p| p.kind.clone()).collect();
        assert_eq!(
            kinds,
            [
                ParamKind::Uint {
                    ty: "u32",
                    width: 0
                },
                ParamKind::Float { precision: 4 }
            ]
        );
        assert!(t.is_fallible() && !t.has_text());
        assert_eq!(t.to_string(), "top/e{epoch:u32}_{val_loss:.4}.ckpt");
        for ok in ["x{a:.0}", "x{a:.17}", "loss={l:.4}.ckpt", "x{a:.1}_{b:.2}"] {
            assert!(Template::parse(ok).is_ok(), "{ok}: {:?}", errors(ok));
        }
    }

    #[test]
    fn numbers_that_cannot_complete_a_device_name_are_fine() {
        // Caught by the `template` fuzz target (a component without a text
        // value must render a literal the grammar accepts): `com{n:u8}` was
        // accepted, and its accessor rendered `com1`, no name on Windows.
        for ok in [
            "com{n:02}",
            "com{n:u8}{m:u8}",
            "com{n:u8}x",
            "co{n:u8}",
            "xcom{n:u8}",
            "con{n:u8}.txt",
            "{n:u8}.con",
            "com/{n:u8}",
            "com{s}",
        ] {
            assert!(Template::parse(ok).is_ok(), "{ok}: {:?}", errors(ok));
        }
    }

    #[test]
    fn several_mistakes_in_one_path_are_all_reported() {
        assert_eq!(errors("/a\\b//c").len(), 3);
    }
}
