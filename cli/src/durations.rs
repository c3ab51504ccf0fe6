//! Durations as people read them in a table: `45s`, `12m03s`, `3h07m`, `2d04h`.

use std::time::{Duration, SystemTime};

/// How long from `start` to `end` (now when `None`), rounded to the two
/// largest units; `-` when the start is unknown or after the end.
pub fn between(start: Option<SystemTime>, end: Option<SystemTime>) -> String {
    let end = end.unwrap_or_else(SystemTime::now);
    match start.and_then(|s| end.duration_since(s).ok()) {
        Some(d) => short(d),
        None => "-".to_owned(),
    }
}

/// `d` in its two largest units.
pub fn short(d: Duration) -> String {
    let s = d.as_secs();
    let (days, hours, mins, secs) = (s / 86_400, s / 3_600 % 24, s / 60 % 60, s % 60);
    if days > 0 {
        format!("{days}d{hours:02}h")
    } else if hours > 0 {
        format!("{hours}h{mins:02}m")
    } else if mins > 0 {
        format!("{mins}m{secs:02}s")
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_units_at_most() {
        assert_eq!(short(Duration::from_secs(45)), "45s");
        assert_eq!(short(Duration::from_secs(12 * 60 + 3)), "12m03s");
        assert_eq!(short(Duration::from_secs(3 * 3600 + 7 * 60 + 59)), "3h07m");
        assert_eq!(short(Duration::from_secs(2 * 86_400 + 4 * 3600)), "2d04h");
        let now = SystemTime::now();
        assert_eq!(between(Some(now + Duration::from_secs(9)), Some(now)), "-");
        assert_eq!(between(None, None), "-");
    }
}
