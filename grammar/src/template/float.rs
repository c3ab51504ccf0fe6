//! Float placeholders, `{val_loss:.4}`: how an `f64` is written in a name,
//! and read back from one.
//!
//! A value is written as Rust's `format!("{:.4}")` writes it: in plain
//! decimal, never with an exponent, with exactly that many decimals (none
//! and no `.` for `.0`), rounded to the nearest on the double's exact value,
//! ties to even (`0.125` at `.2` is `0.12`, and `0.135`, a little more
//! than 0.135 as a double, is `0.14`). A value that rounds to zero is
//! written without a sign (`-0.00001` and `-0.0` at `.4` are `0.0000`), so
//! zero has one name. NaN and the infinities have no digits to show and
//! are refused ([`NameRule::NotFinite`]). A large value writes all its
//! digits (`1e300` takes 301), so a name can grow past 255 bytes: the
//! accessor checks the name it made.
//!
//! Reading takes back exactly what writing gives: `-`, digits, and, for a
//! precision above 0, `.` and that many digits; the text is parsed as
//! Rust's `str::parse::<f64>` does, and it is the value's only if the value
//! writes that very text again. So `0.5` is no value of `{x:.4}`, nor are
//! `+0.5000`, `00.5000`, `-0.0000` or `1e-3`, and every name the accessor
//! writes reads back into a value that writes it again.
//!
//! ```
//! use runlayout_grammar::template::{read_float, render_float};
//!
//! assert_eq!(render_float(0.41549, 4).unwrap(), "0.4155");
//! assert_eq!(render_float(-1.25, 4).unwrap(), "-1.2500");
//! assert_eq!(read_float("0.4155", 4), Some(0.4155));
//! assert_eq!(read_float("0.4155", 2), None);
//! ```

use crate::names::NameRule;

/// The most decimals a float placeholder may ask for: a double carries at
/// most 17 significant digits, so more would only lengthen its names.
pub const MAX_PRECISION: usize = 17;

/// Writes `value` with `precision` decimals, as a name shows it (see the
/// module's rules); the accessor of a `{name:.N}` placeholder calls this.
///
/// # Errors
///
/// [`NameRule::NotFinite`] for NaN and the infinities.
///
/// ```
/// use runlayout_grammar::{names::NameRule, template::render_float};
///
/// assert_eq!(render_float(3.0, 0).unwrap(), "3");
/// assert_eq!(render_float(-0.00001, 2).unwrap(), "0.00");
/// assert_eq!(render_float(1e-7, 4).unwrap(), "0.0000");
/// assert_eq!(render_float(f64::NAN, 4), Err(NameRule::NotFinite));
/// ```
pub fn render_float(value: f64, precision: usize) -> Result<String, NameRule> {
    if !value.is_finite() {
        return Err(NameRule::NotFinite);
    }
    let mut text = format!("{value:.precision$}");
    // `-0.0000`: a value rounded to zero keeps no sign, so zero has one name.
    if text.starts_with('-') && text[1..].bytes().all(|b| b == b'0' || b == b'.') {
        text.remove(0);
    }
    Ok(text)
}

/// The value whose name, at `precision` decimals, is exactly `text`, if
/// there is one (see the module's rules).
///
/// ```
/// use runlayout_grammar::template::read_float;
///
/// assert_eq!(read_float("-1.2500", 4), Some(-1.25));
/// assert_eq!(read_float("3", 0), Some(3.0));
/// for not in ["1.25", "+1.2500", "01.2500", "-0.0000", "1e3", "inf", "NaN", "1.2500 "] {
///     assert_eq!(read_float(not, 4), None, "{not}");
/// }
/// ```
#[must_use]
pub fn read_float(text: &str, precision: usize) -> Option<f64> {
    if !is_float_shaped(text, precision) {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    let again = render_float(value, precision).ok()?;
    (again == text).then_some(value)
}

/// `-`, digits, and for a precision above 0, `.` and that many digits:
/// nothing `str::parse` would read otherwise (`1e3`, `inf`, `+1`, `.5`).
fn is_float_shaped(text: &str, precision: usize) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole)
        && match fraction {
            None => precision == 0,
            Some(fraction) => precision > 0 && fraction.len() == precision && digits(fraction),
        }
}

/// How many bytes at the start of `bytes` a float of `precision` written
/// there takes, when what follows it starts with no digit: `-`, the run of
/// digits, and for a precision above 0, `.` and the run of digits after it.
pub(super) fn front_len(bytes: &[u8], precision: usize) -> usize {
    let mut end = usize::from(bytes.first() == Some(&b'-'));
    end += digit_run(&bytes[end..]);
    if precision > 0 && bytes.get(end) == Some(&b'.') {
        end += 1;
        end += digit_run(&bytes[end..]);
    }
    end
}

/// How many bytes at the end of `bytes` a float of `precision` written
/// there takes, when what precedes it ends with neither a digit nor `-`:
/// for a precision above 0, the run of digits and `.` before it, then the
/// run of digits, then `-`.
pub(super) fn back_len(bytes: &[u8], precision: usize) -> usize {
    let mut begin = bytes.len() - digit_run_back(bytes);
    if precision > 0 && begin > 0 && bytes[begin - 1] == b'.' {
        begin -= 1;
        begin -= digit_run_back(&bytes[..begin]);
    }
    if begin > 0 && bytes[begin - 1] == b'-' {
        begin -= 1;
    }
    bytes.len() - begin
}

fn digit_run(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_digit()).count()
}

fn digit_run_back(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count()
}

/// The fewest bytes a float of `precision` is written in: `0`, or `0.` and
/// `precision` zeros.
pub(super) fn shortest(precision: usize) -> usize {
    if precision == 0 { 1 } else { precision + 2 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_written_as_rust_writes_them_with_one_zero() {
        assert_eq!(render_float(0.4155, 4).unwrap(), "0.4155");
        assert_eq!(render_float(-1.25, 4).unwrap(), "-1.2500");
        assert_eq!(render_float(0.125, 2).unwrap(), "0.12");
        assert_eq!(render_float(2.5, 0).unwrap(), "2");
        assert_eq!(render_float(-2.5, 0).unwrap(), "-2");
        assert_eq!(render_float(-0.0, 4).unwrap(), "0.0000");
        assert_eq!(render_float(-0.4, 0).unwrap(), "0");
        assert_eq!(render_float(-0.6, 0).unwrap(), "-1");
        assert_eq!(render_float(1e21, 1).unwrap(), "1000000000000000000000.0");
        assert_eq!(render_float(f64::MAX, 0).unwrap().len(), 309);
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(render_float(bad, 2), Err(NameRule::NotFinite));
        }
    }

    #[test]
    fn names_read_back_only_in_their_written_form() {
        assert_eq!(read_float("0.0000", 4), Some(0.0));
        assert!(read_float("0.0000", 4).unwrap().is_sign_positive());
        assert_eq!(read_float("-0", 0), None);
        assert_eq!(read_float("12", 0), Some(12.0));
        for not in [
            "", "-", ".", "1.", ".5", "1.0", "12", "1.000", "1,00", "١.٠٠",
        ] {
            assert_eq!(read_float(not, 2), None, "{not}");
        }
        // Digits no double writes: 0.1 is written 0.10000000000000001.
        assert_eq!(read_float("0.10000000000000000", 17), None);
        assert_eq!(read_float("0.10000000000000001", 17), Some(0.1));
        // Too large for a double: parsed as an infinity, refused.
        assert_eq!(read_float(&"9".repeat(400), 0), None);
    }

    #[test]
    fn extents_stop_where_the_neighbours_start() {
        assert_eq!(front_len(b"-0.50_x", 2), 5);
        assert_eq!(front_len(b"0.50.ckpt", 2), 4);
        assert_eq!(front_len(b"3.ckpt", 0), 1);
        assert_eq!(front_len(b"x", 2), 0);
        assert_eq!(back_len(b"x_-0.50", 2), 5);
        assert_eq!(back_len(b"x.1.50", 2), 4);
        assert_eq!(back_len(b"a.-3", 0), 2);
        assert_eq!(back_len(b"", 3), 0);
        assert_eq!(back_len(b".", 3), 1);
    }
}
