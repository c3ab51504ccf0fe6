//! Times as people read them in a table: local time, to the second
//! (`2026-11-30 14:03:12`). `--json` keeps the records' own text, to the
//! nanosecond and with its offset.

use std::sync::OnceLock;
use std::time::SystemTime;

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// `at` in the local time zone (`TZ`, else the system's), to the second;
/// `-` when unknown or out of range.
pub fn local(at: Option<SystemTime>) -> String {
    // Looked up once: a listing of ten thousand runs asks for each.
    static ZONE: OnceLock<TimeZone> = OnceLock::new();
    let zone = ZONE.get_or_init(TimeZone::system);
    at.and_then(|at| Timestamp::try_from(at).ok())
        .map_or_else(|| "-".to_owned(), |at| in_zone(at, zone))
}

/// `at` in `zone`, to the second.
fn in_zone(at: Timestamp, zone: &TimeZone) -> String {
    zone.to_datetime(at)
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// The time an RFC 3339 text of a record names, if it parses.
pub fn parse(text: &str) -> Option<SystemTime> {
    let at: Timestamp = text.parse().ok()?;
    SystemTime::try_from(at).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_the_second_in_the_zone() {
        let at: Timestamp = "2026-11-30T23:59:58.987654321Z".parse().expect("a time");
        assert_eq!(in_zone(at, &TimeZone::UTC), "2026-11-30 23:59:58");
        let east = TimeZone::fixed(jiff::tz::offset(3));
        assert_eq!(in_zone(at, &east), "2026-12-01 02:59:58");
        assert_eq!(local(None), "-");
    }
}
