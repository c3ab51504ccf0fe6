//! The times records hold: RFC 3339 with the local offset, written at full
//! precision and read back.

use std::time::SystemTime;

/// Now, in the local time zone, as RFC 3339 with the offset. Full precision,
/// so that runs created in one millisecond still sort in creation order.
pub(crate) fn now() -> String {
    now_recorded().1
}

/// Now, as a time and as the text [`now`] writes, which [`parse`] reads
/// back to exactly that time: a writer that keeps both need not read its
/// own record again to know when it wrote it.
pub(crate) fn now_recorded() -> (Option<SystemTime>, String) {
    let now = jiff::Timestamp::now();
    let offset = jiff::tz::TimeZone::system().to_offset(now);
    let text = now.display_with_offset(offset).to_string();
    (SystemTime::try_from(now).ok(), text)
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
        for _ in 0..100 {
            let (at, text) = now_recorded();
            assert_eq!(parse(&text), at, "{text}");
            assert!(at.is_some());
        }
    }
}
