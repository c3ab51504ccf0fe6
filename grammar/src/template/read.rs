//! Reading a name back into the values that render it: the inverse of an
//! accessor, which families use to find their members.
//!
//! A name belongs to a component only if it **round-trips**: the values read
//! from it render to exactly that name, and the accessor would accept them.
//! So `epoch_1.ckpt` is not epoch 1 of `epoch_{epoch:04}.ckpt` (epoch 1 is
//! `epoch_0001.ckpt`), `a b` is no value of a text placeholder, and
//! `loss=0.5.ckpt` is no name of `loss={loss:.4}.ckpt` (0.5 is `0.5000`).
//!
//! # How a name is split
//!
//! Fixed text is matched literally at either end of what is left of the name.
//! A placeholder's extent is then fixed by its neighbour, from the left or
//! from the right:
//!
//! - an integer followed (preceded) by text that starts (ends) with a
//!   non-digit takes the longest run of digits there;
//! - a float followed by text that starts with a non-digit takes an optional
//!   `-`, the run of digits, and (for a precision above 0) `.` and the run of
//!   digits after it; preceded by text that ends with neither a digit nor
//!   `-`, it takes the same from the end;
//! - the one placeholder left takes what remains.
//!
//! A component whose placeholders cannot all be placed this way is
//! ambiguous: two sets of values render the same name (`{a}{b}`, `{n:u32}{m:u32}`,
//! `{a:.2}{b:.2}`, a float after text ending with `-` (`{s}-{x:.2}`: is
//! `a--0.50` `a` and -0.5 or `a-` and 0.5?), and any two text values,
//! `{a}_{b}`: a text value may hold every character the text between them
//! could, since the accessor checks the component whole). A `.` beside a
//! float is no trouble (`loss={loss:.4}.ckpt`): a float's own `.` is
//! followed by exactly its precision's digits.
//! [`Template::check_readable`] rejects an ambiguous component, and the
//! derive reports it at compile time.
//!
//! # Why reading is exact
//!
//! Each step above, applied to a name rendered from accepted values, takes
//! exactly the piece the value rendered to: a number's digits end where the
//! next text's non-digit starts (or start where the previous text's
//! non-digit ends), and a float's `-` is its own where the text before it
//! cannot end with one. So every rendered name is read back into its own
//! values. The other way round, each piece read is checked to render to
//! itself (no leading zero beyond the padding, no `+`, within its type's
//! range; a float written by `render_float` at its precision; a text value
//! passes the naming rules the accessor checks), so the values read always
//! render to the name. The checks mirror the accessor's:
//! `names::check_component` for a text value (`check_first_component` in the
//! first component of the path), and the same rule for the whole component
//! when it mixes a text value or a float with other parts.
//!
//! ```
//! use runlayout_grammar::template::{Template, Value};
//!
//! let t = Template::parse("checkpoints/epoch_{epoch:04}.ckpt").unwrap();
//! assert_eq!(t.read("checkpoints/epoch_0017.ckpt"), Some(vec![Value::Uint(17)]));
//! assert_eq!(t.read("checkpoints/epoch_17.ckpt"), None); // renders as epoch_0017
//! assert_eq!(t.read("checkpoints/epoch_0017.ckpt.tmp"), None);
//!
//! let t = Template::parse("top/e{epoch:u32}_{val_loss:.4}.ckpt").unwrap();
//! assert_eq!(
//!     t.read("top/e3_-0.4155.ckpt"),
//!     Some(vec![Value::Uint(3), Value::Float(-0.4155)])
//! );
//! assert_eq!(t.read("top/e3_0.416.ckpt"), None);
//! ```

use std::ops::Range;

use super::{Component, Param, ParamKind, Segment, Template, float};

use crate::names;

/// A placeholder's value, read back from a name by [`Component::read`] or
/// [`Template::read`].
///
/// ```
/// use runlayout_grammar::template::{Template, Value};
///
/// let t = Template::parse("eval/{split}_{step:u32}.json").unwrap();
/// let path = "eval/val_120.json";
/// let values = t.read(path).unwrap();
/// assert_eq!(values, [Value::Text(5..8), Value::Uint(120)]);
/// assert_eq!(&path[5..8], "val");
/// ```
///
/// Two values are equal when they are the same: floats by their bits (a
/// float read back is never NaN, and zero is read as `0.0`, never `-0.0`).
#[derive(Debug, Clone)]
pub enum Value {
    /// An integer placeholder's value, within the range of its type.
    Uint(u128),
    /// A text placeholder's value: where it lies in the name, in bytes.
    Text(Range<usize>),
    /// A float placeholder's value: finite, and written by
    /// [`render_float`](super::render_float) at its precision as it was
    /// read.
    Float(f64),
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Uint(a), Value::Uint(b)) => a == b,
            (Value::Text(a), Value::Text(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
            _ => false,
        }
    }
}

/// Equality by bits is reflexive, NaN included.
impl Eq for Value {}

/// One step of splitting a component, decided by its shape alone.
#[derive(Debug, Clone, Copy)]
enum Step<'t> {
    /// Fixed text at the start.
    Prefix(&'t str),
    /// Fixed text at the end.
    Suffix(&'t str),
    /// The last placeholder takes what is left.
    Lone(&'t Param),
    /// A number followed by text that starts with a non-digit.
    FrontNumber(&'t Param),
    /// A number preceded by text that ends with a non-digit (and, for a
    /// float, with no `-`).
    BackNumber(&'t Param),
}

/// The next step for the segments `lo..hi`, or `None` if what is left
/// cannot be split unambiguously.
fn step(segments: &[Segment], lo: usize, hi: usize) -> Option<Step<'_>> {
    if let Segment::Text(text) = &segments[lo] {
        return Some(Step::Prefix(text));
    }
    if let Segment::Text(text) = &segments[hi - 1] {
        return Some(Step::Suffix(text));
    }
    let (Segment::Param(front), Segment::Param(back)) = (&segments[lo], &segments[hi - 1]) else {
        unreachable!("both ends are placeholders")
    };
    if hi - lo == 1 {
        return Some(Step::Lone(front));
    }
    let is_number = |p: &Param| p.kind != ParamKind::Text;
    if let Segment::Text(next) = &segments[lo + 1]
        && is_number(front)
        && !next.starts_with(|c: char| c.is_ascii_digit())
    {
        return Some(Step::FrontNumber(front));
    }
    // A float's `-` is its own only if the text before it cannot end with one.
    let sign = |p: &Param| matches!(p.kind, ParamKind::Float { .. });
    if let Segment::Text(previous) = &segments[hi - 2]
        && is_number(back)
        && !previous.ends_with(|c: char| c.is_ascii_digit() || (sign(back) && c == '-'))
    {
        return Some(Step::BackNumber(back));
    }
    None
}

/// A component compiled for reading many names: the steps of splitting a
/// name, decided once from the component's shape. Made by
/// [`Component::reader`]; families keep one per level.
///
/// ```
/// use runlayout_grammar::template::{Template, Value};
///
/// let t = Template::parse("checkpoints/epoch_{epoch:04}.ckpt").unwrap();
/// let reader = t.components[1].reader().expect("unambiguous");
/// let mut values = Vec::new();
/// assert!(reader.read("epoch_0042.ckpt", false, &mut values));
/// assert_eq!(values, [Value::Uint(42)]);
/// assert!(!reader.read("epoch_42.ckpt", false, &mut values));
/// ```
#[derive(Debug, Clone)]
pub struct Reader {
    ops: Vec<Op>,
    slots: usize,
    /// The component mixes a text value or a float with other parts: the
    /// accessor checks it whole, and so does reading.
    checked_whole: bool,
}

/// One step of a [`Reader`], with the slot its value goes to.
#[derive(Debug, Clone)]
enum Op {
    Prefix(String),
    Suffix(String),
    Lone(usize, Take),
    FrontNumber(usize, Number),
    BackNumber(usize, Number),
}

/// What a placeholder's piece of the name must be.
#[derive(Debug, Clone, Copy)]
enum Take {
    Text,
    Number(Number),
}

/// A number placeholder's piece: how far it reaches, and what it must be.
#[derive(Debug, Clone, Copy)]
enum Number {
    Uint { max: u128, width: usize },
    Float { precision: usize },
}

impl Take {
    fn of(param: &Param) -> Take {
        match param.kind {
            ParamKind::Text => Take::Text,
            ParamKind::Uint { ty, width } => Take::Number(Number::Uint {
                max: uint_max(ty),
                width,
            }),
            ParamKind::Float { precision } => Take::Number(Number::Float { precision }),
        }
    }

    /// The value `name[range]` renders, if it renders to exactly that text
    /// and the accessor would accept it.
    fn value(self, name: &str, range: Range<usize>, first: bool) -> Option<Value> {
        match self {
            Take::Text => check(&name[range.clone()], first).then_some(Value::Text(range)),
            Take::Number(number) => number.value(&name[range]),
        }
    }
}

impl Number {
    /// `param`'s, if it takes numbers.
    fn of(param: &Param) -> Option<Number> {
        match Take::of(param) {
            Take::Number(number) => Some(number),
            Take::Text => None,
        }
    }

    /// The value `text` renders, if it renders to exactly that text.
    fn value(self, text: &str) -> Option<Value> {
        match self {
            Number::Uint { max, width } => uint(text.as_bytes(), max, width).map(Value::Uint),
            Number::Float { precision } => float::read_float(text, precision).map(Value::Float),
        }
    }

    /// How many bytes at the start of `bytes` the number takes, when the
    /// text after it starts with a non-digit.
    fn front_len(self, bytes: &[u8]) -> usize {
        match self {
            Number::Uint { .. } => bytes.iter().take_while(|c| c.is_ascii_digit()).count(),
            Number::Float { precision } => float::front_len(bytes, precision),
        }
    }

    /// How many bytes at the end of `bytes` the number takes, when the text
    /// before it ends with a non-digit (and, for a float, no `-`).
    fn back_len(self, bytes: &[u8]) -> usize {
        match self {
            Number::Uint { .. } => bytes
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .count(),
            Number::Float { precision } => float::back_len(bytes, precision),
        }
    }
}

impl Reader {
    /// Reads `name` back into the values of the component's placeholders,
    /// in the order they appear, replacing what `values` held; returns
    /// whether `name` round-trips (see the module's rules). `first` says the
    /// component is the first of its path, where text values follow
    /// `names::check_first_component`, as the accessor checks.
    ///
    /// ```
    /// use runlayout_grammar::template::{Template, Value};
    ///
    /// let t = Template::parse("{split}/metrics.json").unwrap();
    /// let reader = t.components[0].reader().unwrap();
    /// let mut values = Vec::new();
    /// assert!(reader.read("val", true, &mut values));
    /// assert_eq!(values, [Value::Text(0..3)]);
    /// // Right inside a run folder, runlayout's own names are no values.
    /// assert!(!reader.read("ancestor", true, &mut values));
    /// assert!(reader.read("ancestor", false, &mut values));
    /// ```
    pub fn read(&self, name: &str, first: bool, values: &mut Vec<Value>) -> bool {
        values.clear();
        values.resize(self.slots, Value::Uint(0));
        // What is left of the name is name[a..b].
        let (mut a, mut b) = (0, name.len());
        let bytes = name.as_bytes();
        for op in &self.ops {
            let rest = &name[a..b];
            let (slot, take, range) = match *op {
                Op::Prefix(ref text) => {
                    if !rest.starts_with(text.as_str()) {
                        return false;
                    }
                    a += text.len();
                    continue;
                }
                Op::Suffix(ref text) => {
                    if !rest.ends_with(text.as_str()) {
                        return false;
                    }
                    b -= text.len();
                    continue;
                }
                Op::Lone(slot, take) => {
                    let range = a..b;
                    a = b;
                    (slot, take, range)
                }
                Op::FrontNumber(slot, number) => {
                    let end = a + number.front_len(&bytes[a..b]);
                    let range = a..end;
                    a = end;
                    (slot, Take::Number(number), range)
                }
                Op::BackNumber(slot, number) => {
                    let begin = b - number.back_len(&bytes[a..b]);
                    let range = begin..b;
                    b = begin;
                    (slot, Take::Number(number), range)
                }
            };
            match take.value(name, range, first) {
                Some(value) => values[slot] = value,
                None => return false,
            }
        }
        a == b && (!self.checked_whole || check(name, first))
    }

    /// How many placeholders the component has: the number of values
    /// [`read`](Reader::read) gives.
    ///
    /// ```
    /// let t = runlayout_grammar::template::Template::parse("a/{x:u8}_{y}").unwrap();
    /// assert_eq!(t.components[1].reader().unwrap().len(), 2);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.slots
    }

    /// Whether the component has no placeholder (then only its own fixed
    /// text reads back, into no values).
    ///
    /// ```
    /// let t = runlayout_grammar::template::Template::parse("a/b").unwrap();
    /// assert!(t.components[1].reader().unwrap().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.slots == 0
    }
}

impl Component {
    /// The component compiled for reading names back, or `None` if its
    /// names are ambiguous (see [`Template::check_readable`]).
    ///
    /// ```
    /// use runlayout_grammar::template::Template;
    ///
    /// let t = Template::parse("{a}_{n:u32}/{a2}_{b}").unwrap();
    /// assert!(t.components[0].reader().is_some());
    /// assert!(t.components[1].reader().is_none());
    /// ```
    #[must_use]
    pub fn reader(&self) -> Option<Reader> {
        let segments = &self.segments;
        let slots = self.params().count();
        let (mut lo, mut hi) = (0, segments.len());
        let (mut front, mut back) = (0, slots);
        let mut ops = Vec::with_capacity(segments.len());
        while lo < hi {
            let op = match step(segments, lo, hi)? {
                Step::Prefix(text) => {
                    lo += 1;
                    Op::Prefix(text.to_owned())
                }
                Step::Suffix(text) => {
                    hi -= 1;
                    Op::Suffix(text.to_owned())
                }
                Step::Lone(param) => {
                    lo += 1;
                    front += 1;
                    Op::Lone(front - 1, Take::of(param))
                }
                Step::FrontNumber(param) => {
                    lo += 1;
                    front += 1;
                    Op::FrontNumber(front - 1, Number::of(param)?)
                }
                Step::BackNumber(param) => {
                    hi -= 1;
                    back -= 1;
                    Op::BackNumber(back, Number::of(param)?)
                }
            };
            ops.push(op);
        }
        Some(Reader {
            ops,
            slots,
            checked_whole: segments.len() > 1 && self.params().any(|p| p.kind.is_checked()),
        })
    }

    /// Reads `name` back into the values of this component's placeholders,
    /// appended to `values` in the order the placeholders appear; returns
    /// whether `name` round-trips (on `false`, `values` is left as it was).
    /// `first` says the component is the first of its path, where text
    /// values follow `names::check_first_component`, as the accessor checks.
    /// An ambiguous component reads no name. To read many names, compile
    /// the component once with [`reader`](Component::reader).
    ///
    /// ```
    /// use runlayout_grammar::template::{Template, Value};
    ///
    /// let t = Template::parse("samples/{split}_{step:u32}.png").unwrap();
    /// let component = &t.components[1];
    /// let mut values = Vec::new();
    /// assert!(component.read("val_7.png", false, &mut values));
    /// assert_eq!(values, [Value::Text(0..3), Value::Uint(7)]);
    /// for not_a_member in ["val_07.png", "val_+7.png", "val_7.png.tmp", ".val_7.png", "a/b_7.png"] {
    ///     assert!(!component.read(not_a_member, false, &mut values), "{not_a_member}");
    /// }
    /// assert_eq!(values.len(), 2);
    /// ```
    pub fn read(&self, name: &str, first: bool, values: &mut Vec<Value>) -> bool {
        let Some(reader) = self.reader() else {
            return false;
        };
        let mut read = Vec::new();
        if !reader.read(name, first, &mut read) {
            return false;
        }
        values.append(&mut read);
        true
    }

    /// Whether names can be read back into this component's values
    /// unambiguously; else the two placeholders that cannot be told apart.
    fn ambiguous_pair(&self) -> Option<(&Param, &Param)> {
        let segments = &self.segments;
        let (mut lo, mut hi) = (0, segments.len());
        while lo < hi {
            let Some(step) = step(segments, lo, hi) else {
                let mut stuck = segments[lo..hi].iter().filter_map(|s| match s {
                    Segment::Param(p) => Some(p),
                    Segment::Text(_) => None,
                });
                return stuck.next().zip(stuck.next());
            };
            match step {
                Step::Prefix(_) | Step::Lone(_) | Step::FrontNumber(_) => lo += 1,
                Step::Suffix(_) | Step::BackNumber(_) => hi -= 1,
            }
        }
        None
    }
}

/// The naming rules a text value (and a component holding one) follows,
/// exactly as the accessor applies them.
fn check(text: &str, first: bool) -> bool {
    if first {
        names::check_first_component(text).is_ok()
    } else {
        names::check_component(text).is_ok()
    }
}

/// `bytes` as a number up to `max`, if it is exactly how such a number is
/// rendered at `width`: decimal digits only, padded to `width`, no zero
/// ahead of the padding, within the type's range.
fn uint(bytes: &[u8], max: u128, width: usize) -> Option<u128> {
    let least = width.max(1);
    if bytes.len() < least || (bytes.len() > least && bytes[0] == b'0') {
        return None;
    }
    let mut n: u128 = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u128::from(b - b'0'))?;
    }
    (n <= max).then_some(n)
}

/// The greatest value of the unsigned type `ty`.
fn uint_max(ty: &str) -> u128 {
    match ty {
        "u8" => u8::MAX.into(),
        "u16" => u16::MAX.into(),
        "u32" => u32::MAX.into(),
        "u64" => u64::MAX.into(),
        "usize" => usize::MAX as u128,
        _ => u128::MAX,
    }
}

impl Template {
    /// Reads a path relative to the layout's root (`/`-separated, as an
    /// accessor renders it below the root) back into the values of every
    /// placeholder, in order; `None` unless the path round-trips. Text
    /// values are byte ranges in `path`.
    ///
    /// ```
    /// use runlayout_grammar::template::{Template, Value};
    ///
    /// let t = Template::parse("samples/{epoch:u32}/{step:u16}.png").unwrap();
    /// assert_eq!(t.read("samples/3/250.png"), Some(vec![Value::Uint(3), Value::Uint(250)]));
    /// assert_eq!(t.read("samples/3/70000.png"), None); // no u16
    /// assert_eq!(t.read("samples/03/250.png"), None);
    /// assert_eq!(t.read("other/3/250.png"), None);
    /// ```
    pub fn read(&self, path: &str) -> Option<Vec<Value>> {
        let mut values = Vec::new();
        let mut parts = path.split('/');
        let mut offset = 0;
        for (i, component) in self.components.iter().enumerate() {
            let part = parts.next()?;
            if let Some(text) = component.as_static() {
                if part != text {
                    return None;
                }
            } else {
                let start = values.len();
                if !component.read(part, i == 0, &mut values) {
                    return None;
                }
                for value in &mut values[start..] {
                    if let Value::Text(range) = value {
                        *range = range.start + offset..range.end + offset;
                    }
                }
            }
            offset += part.len() + 1;
        }
        parts.next().is_none().then_some(values)
    }

    /// Whether every name a family of this template may hold can be read
    /// back into exactly one set of values ([`Template::read`]); otherwise
    /// why not, naming the placeholders at fault.
    ///
    /// Two placeholders with nothing between them (`{a}{b}`), two text
    /// values in one component (`{a}_{b}`: either may hold a `_`), a number
    /// next to text that starts (or ends) with a digit on its side, or a
    /// float after text that ends with `-` cannot be told apart. (No
    /// component with a placeholder starts with `.`: [`Template::parse`]
    /// refuses it, so no name a family reads is hidden.)
    ///
    /// ```
    /// use runlayout_grammar::template::Template;
    ///
    /// let readable = |path: &str| Template::parse(path).unwrap().check_readable();
    /// assert!(readable("eval/{split}_{step:u32}.json").is_ok());
    /// assert!(readable("{a}/{b}").is_ok());
    /// assert!(readable("{a}_{b}").unwrap_err().contains("`{a}` and `{b}`"));
    /// assert!(readable("{n:u32}{m:u32}").is_err());
    /// assert!(readable("e{epoch:u32}-loss={loss:.4}.ckpt").is_ok());
    /// assert!(readable("x{a:.2}{b:.2}").unwrap_err().contains("`{a}` and `{b}`"));
    /// ```
    pub fn check_readable(&self) -> Result<(), String> {
        let path = self.to_string();
        for component in &self.components {
            if component.as_static().is_some() {
                continue;
            }
            if let Some((a, b)) = component.ambiguous_pair() {
                let is_float = |p: &Param| matches!(p.kind, ParamKind::Float { .. });
                let advice = if a.kind == ParamKind::Text && b.kind == ParamKind::Text {
                    format!("two text values need folders of their own (`{a}/{b}`)")
                } else if is_float(a) || is_float(b) {
                    format!(
                        "a number needs a non-digit beside it, and a float no `-` before it \
                         (`{a}_{b}`)"
                    )
                } else {
                    format!("a number needs a non-digit beside it (`{a}_{b}`)")
                };
                return Err(format!(
                    "placeholders `{{{}}}` and `{{{}}}` in `{path}` cannot be told apart in a \
                     name: {advice}",
                    a.name, b.name
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(template: &str, path: &str) -> Option<Vec<Value>> {
        Template::parse(template).unwrap().read(path)
    }

    fn texts(template: &str, path: &str) -> Option<Vec<String>> {
        read(template, path).map(|values| {
            values
                .into_iter()
                .map(|v| match v {
                    Value::Uint(n) => n.to_string(),
                    Value::Text(r) => path[r].to_owned(),
                    Value::Float(x) => x.to_string(),
                })
                .collect()
        })
    }

    #[test]
    fn zero_padded_numbers_read_back_only_in_their_rendered_form() {
        let t = "epoch_{epoch:04}.ckpt";
        assert_eq!(read(t, "epoch_0001.ckpt"), Some(vec![Value::Uint(1)]));
        assert_eq!(read(t, "epoch_0000.ckpt"), Some(vec![Value::Uint(0)]));
        assert_eq!(read(t, "epoch_12345.ckpt"), Some(vec![Value::Uint(12345)]));
        for not in [
            "epoch_1.ckpt",
            "epoch_001.ckpt",
            "epoch_00001.ckpt",
            "epoch_01234.ckpt",
            "epoch_+001.ckpt",
            "epoch_-001.ckpt",
            "epoch_ 001.ckpt",
            "epoch_.ckpt",
            "epoch_0001.ckpt.tmp",
            "epoch_0001.CKPT",
            "Epoch_0001.ckpt",
            "epoch_0001",
            "epoch_١٢٣٤.ckpt",
            "epoch_18446744073709551616.ckpt",
        ] {
            assert_eq!(read(t, not), None, "{not}");
        }
        assert_eq!(
            read(t, "epoch_18446744073709551615.ckpt"),
            Some(vec![Value::Uint(u64::MAX.into())])
        );
    }

    #[test]
    fn plain_numbers_have_no_leading_zero_and_fit_their_type() {
        assert_eq!(read("{n:u8}", "0"), Some(vec![Value::Uint(0)]));
        assert_eq!(read("{n:u8}", "255"), Some(vec![Value::Uint(255)]));
        for not in ["256", "00", "01", "", "1e2", "0x1"] {
            assert_eq!(read("{n:u8}", not), None, "{not}");
        }
        let max = u128::MAX.to_string();
        assert_eq!(read("{n:u128}", &max), Some(vec![Value::Uint(u128::MAX)]));
        assert_eq!(read("{n:u128}", &(max + "0")), None);
        assert_eq!(read("{n:u16}", "65536"), None);
        assert_eq!(read("{n:u32}", "4294967296"), None);
        assert_eq!(read("{n:u64}", "18446744073709551616"), None);
        // A huge padding: the value is small, the name long.
        let padded = format!("{:0200}", 7);
        assert_eq!(read("{n:0200}", &padded), Some(vec![Value::Uint(7)]));
        assert_eq!(read("{n:0200}", "7"), None);
    }

    #[test]
    fn text_values_follow_the_accessors_rules() {
        assert_eq!(texts("eval/{split}", "eval/val"), Some(vec!["val".into()]));
        for not in [
            "eval/",
            "eval/.hidden",
            "eval/a.",
            "eval/nul",
            "eval/a b",
            "eval/é",
        ] {
            assert_eq!(read("eval/{split}", not), None, "{not}");
        }
        // In the first component, runlayout's own names are no values.
        assert_eq!(read("{split}/m.json", "ancestor/m.json"), None);
        assert_eq!(
            read("{split}/m.json", "latest/m.json").map(|v| v.len()),
            Some(1)
        );
        assert_eq!(read("x/{split}", "ancestor").map(|v| v.len()), None);
        assert_eq!(read("x/{split}", "x/ancestor").map(|v| v.len()), Some(1));
        // The whole component is checked too: `a` + `ux` is a device name.
        assert_eq!(
            read("notes/a{x}.md", "notes/abc.md").map(|v| v.len()),
            Some(1)
        );
        assert_eq!(read("notes/a{x}.md", "notes/aux.md"), None);
        assert_eq!(read("{name}.json", "run.json"), None);
    }

    #[test]
    fn several_placeholders_in_one_component() {
        let t = "{split}_{epoch:04}-{step:u32}.pt";
        assert_eq!(
            texts(t, "a_b_0003-17.pt"),
            Some(vec!["a_b".into(), "3".into(), "17".into()])
        );
        assert_eq!(texts(t, "a_0003-017.pt"), None);
        assert_eq!(texts(t, "a_3-17.pt"), None);
        assert_eq!(
            texts("{n:u32}x{m:u32}", "12x34"),
            Some(vec!["12".into(), "34".into()])
        );
        assert_eq!(
            texts("{n:u8}_ab{s}", "7_abab"),
            Some(vec!["7".into(), "ab".into()])
        );
        assert_eq!(
            texts("{s}ab_{n:u8}", "abab_7"),
            Some(vec!["ab".into(), "7".into()])
        );
        // Digits on the far side of the text belong to the text value.
        assert_eq!(
            texts("{s}_{n:u8}", "a_1_2"),
            Some(vec!["a_1".into(), "2".into()])
        );
        // The whole component is checked, as the accessor does.
        assert_eq!(
            texts("{s}+{n:u8}", "a+2"),
            Some(vec!["a".into(), "2".into()])
        );
        assert_eq!(texts("{s}+{n:u8}", "a b+2"), None);
    }

    #[test]
    fn paths_read_back_level_by_level() {
        let t = "samples/{epoch:u32}/{split}/{step:u16}.png";
        assert_eq!(
            texts(t, "samples/3/val/250.png"),
            Some(vec!["3".into(), "val".into(), "250".into()])
        );
        for not in [
            "samples/3/val",
            "samples/3/val/250.png/x",
            "samples//val/250.png",
            "samples/3/v/a/250.png",
            "Samples/3/val/250.png",
        ] {
            assert_eq!(read(t, not), None, "{not}");
        }
    }

    #[test]
    fn ambiguous_components_are_named() {
        let check = |path: &str| Template::parse(path).unwrap().check_readable();
        for ok in [
            "epoch_{epoch:04}.ckpt",
            "{split}/{step:u32}",
            "{a}_{n:u32}",
            "{n:u32}_{a}",
            "{n:u32}_{a}_{m:u32}",
            "{n:u32}_{a}_{m:u32}.{k:04}",
            "{n:u32}x{m:u32}",
            "a{s}b",
            ".cache/{s}",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        for (bad, pair) in [
            ("{a}{b}", "`{a}` and `{b}`"),
            ("{a}_{b}", "`{a}` and `{b}`"),
            ("{a}+{b}", "`{a}` and `{b}`"),
            ("{a}_{n:u32}_{b}", "`{a}` and `{n}`"),
            ("{n:u32}{m:u32}", "`{n}` and `{m}`"),
            ("{n:u32}1{m:u32}", "`{n}` and `{m}`"),
            ("x/{a}.{b}.{c}", "`{a}` and `{b}`"),
            ("{n:04}{s}", "`{n}` and `{s}`"),
            ("x{a:.2}{b:.2}", "`{a}` and `{b}`"),
            ("x{a:.2}1{b:u8}", "`{a}` and `{b}`"),
            ("x{a:u8}1{b:.2}", "`{a}` and `{b}`"),
            ("{s}-{x:.2}", "`{s}` and `{x}`"),
            ("{s}1{x:.2}", "`{s}` and `{x}`"),
            ("x{x:.2}1{s}", "`{x}` and `{s}`"),
            ("x{a:.0}{s}", "`{a}` and `{s}`"),
        ] {
            let err = check(bad).unwrap_err();
            assert!(err.contains(pair), "{bad}: {err}");
        }
        assert!(
            check("x{a:.2}{b:.2}")
                .unwrap_err()
                .contains("a float no `-` before it")
        );
    }

    #[test]
    fn floats_read_back_beside_any_neighbour_the_grammar_allows() {
        let ok = [
            "loss={loss:.4}.ckpt",
            "e{epoch:u32}-loss={loss:.4}.ckpt",
            "e{epoch:u32}_{loss:.4}",
            "x{a:.2}-{b:.2}",
            "x{a:.2}.{b:.0}",
            "x{a:.0}.{b:u8}",
            "x{a:.3}_{s}",
            "{s}_{x:.2}",
            "{s}.{x:.0}",
            "{n:u32}-{x:.1}",
            "v{x:.2}={y:.2}+",
        ];
        for template in ok {
            assert_eq!(
                Template::parse(template).unwrap().check_readable(),
                Ok(()),
                "{template}"
            );
        }
        assert_eq!(
            read("x{a:.2}-{b:.2}", "x-0.50--1.25"),
            Some(vec![Value::Float(-0.5), Value::Float(-1.25)])
        );
        assert_eq!(
            read("x{a:.0}.{b:u8}", "x-3.4"),
            Some(vec![Value::Float(-3.0), Value::Uint(4)])
        );
        assert_eq!(
            texts("{s}_{x:.2}", "a_-1_-0.25"),
            Some(vec!["a_-1".into(), "-0.25".into()])
        );
        assert_eq!(
            texts("{s}.{x:.0}", "a.3.-7"),
            Some(vec!["a.3".into(), "-7".into()])
        );
        for not in [
            "x0.5-1.25",
            "x0.50-+1.25",
            "x0.50--0.00",
            "x00.50-1.25",
            "x0.50-1.2",
            "x0.50-1.250",
            "x0.50-1e2",
            "x0.50-inf",
            "x-0.50-NaN",
        ] {
            assert_eq!(read("x{a:.2}-{b:.2}", not), None, "{not}");
        }
    }

    #[test]
    fn float_values_compare_by_their_bits() {
        assert_eq!(Value::Float(0.5), Value::Float(0.5));
        assert_ne!(Value::Float(0.0), Value::Float(-0.0));
        assert_eq!(Value::Float(f64::NAN), Value::Float(f64::NAN));
        assert_ne!(Value::Float(1.0), Value::Uint(1));
    }
}
