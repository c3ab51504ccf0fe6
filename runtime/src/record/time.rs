//! The times records hold: RFC 3339 with the local offset, written at full
//! precision and read back.

use std::time::SystemTime;

/// Now, in the local time zone, as RFC 3339 with the offset. Full precision,
/// so that runs created in one millisecond still sort in creation order.
pub(crate) fn now() -> String {
    let now = jiff::Timestamp::now();
    let offset = jiff::tz::TimeZone::system().to_offset(now);
    now.display_with_offset(offset).to_string()
}

/// The time `text` (RFC 3339) names, if it parses.
pub(crate) fn parse(text: &str) -> Option<SystemTime> {
    let stamp: jiff::Timestamp = text.parse().ok()?;
    SystemTime::try_from(stamp).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_with_an_offset_and_read_back() {
        let now = now();
        assert!(
            now.contains('T') && (now.contains('+') || now.contains('-')),
            "{now}"
        );
        let read = parse(&now).expect("it parses");
        assert!(read <= SystemTime::now());
        let expected = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_996_800);
        assert_eq!(parse("2026-11-30T01:00:00+01:00"), Some(expected));
        assert_eq!(parse("yesterday"), None);
    }
}
