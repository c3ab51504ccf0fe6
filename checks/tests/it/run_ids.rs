//! Generated and seeded run ids: format, local date, pinned seeds, round trips.

use std::collections::HashSet;

use crate::support::{TestResult, child_lines, is_child, spawn_child, today};
use runlayout::RunId;

fn assert_ksuit_format(id: &str) {
    let (date, suffix) = id.split_once('_').expect("date_suffix");
    assert_eq!(date.len(), 10, "{id}");
    assert!(
        jiff::civil::Date::strptime("%Y-%m-%d", date).is_ok(),
        "{id}"
    );
    assert_eq!(suffix.len(), 5, "{id}");
    assert!(
        suffix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
        "{id}"
    );
}

#[test]
fn generated_ids_have_ksuits_format_and_todays_local_date() {
    let before = today();
    let id = RunId::generate();
    let after = today();
    assert_ksuit_format(id.as_str());
    let date = &id.as_str()[..10];
    assert!(
        date == before || date == after,
        "{id} is not dated {before}"
    );
}

#[test]
fn generated_ids_use_the_local_time_zone() {
    // UTC+14 and UTC-12 are 26 hours apart: their dates always differ.
    if is_child("print-id") {
        println!("ID={}", RunId::generate());
        println!("TODAY={}", today());
        return;
    }
    let mut dates = Vec::new();
    for tz in ["XXX-14", "YYY12"] {
        let child = spawn_child(
            "run_ids::generated_ids_use_the_local_time_zone",
            "print-id",
            &[("TZ", tz)],
        );
        let out = child_lines(child, "=");
        let [id, local] = &out[..] else {
            panic!("unexpected child output {out:?}")
        };
        assert_ksuit_format(id);
        assert_eq!(&id[..10], local.as_str(), "TZ={tz}");
        dates.push(local.clone());
    }
    assert_ne!(dates[0], dates[1]);
}

#[test]
fn generated_ids_differ() {
    let ids: HashSet<RunId> = (0..1000).map(|_| RunId::generate()).collect();
    // 1000 draws from 36^5 collide with probability below 1e-2; all equal
    // would mean no randomness at all.
    assert!(ids.len() >= 990, "{}", ids.len());
}

#[test]
fn seeded_suffixes_are_pinned() {
    // These values are part of the public contract: the same seed gives the
    // same suffix on every platform and with every version.
    let pinned = [
        (0, "a9brs"),
        (1, "imd5g"),
        (42, "i73qd"),
        (u64::MAX, "ymw2n"),
    ];
    for (seed, suffix) in pinned {
        assert_eq!(RunId::seed_suffix(seed), suffix, "seed {seed}");
        let id = RunId::from_seed(seed);
        assert_eq!(id.as_str(), format!("{}_{suffix}", today()), "seed {seed}");
    }
}

#[test]
fn seeded_ids_repeat_and_spread() {
    assert_eq!(RunId::from_seed(7), RunId::from_seed(7));
    let suffixes: HashSet<String> = (0..1000).map(RunId::seed_suffix).collect();
    assert!(suffixes.len() >= 990);
}

#[test]
fn run_ids_round_trip_and_compare() -> TestResult {
    let id = RunId::generate();
    let back: RunId = id.to_string().parse()?;
    assert_eq!(back, id);
    assert_eq!(RunId::try_from(id.as_str())?, id);
    assert_eq!(RunId::try_from(id.to_string())?, id);
    let as_str: &str = id.as_ref();
    assert_eq!(as_str, id.as_str());
    assert_eq!(String::from(id.clone()), id.as_str());
    assert!(RunId::new("a")? < RunId::new("b")?);
    let set: HashSet<RunId> = [id.clone()].into();
    assert!(set.contains(id.as_str()));
    Ok(())
}
