//! The selection: which runs a prune's criteria pick (before any is kept).

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::SystemTime;

use crate::catalog::prune::Prune;
use crate::catalog::scan::FoundRun;
use crate::io::fs;
use crate::layout::family::Goal;

/// A stage's runs (debug or not, which stage): each run's creation time,
/// its canonical folder and, for `keep_best`, its value.
type Stage<'a> = (bool, Option<&'a str>);

impl Prune {
    /// The canonical folders of the runs the criteria pick, and those that
    /// `keep_best` could not rank (no number at its key) and so leaves out.
    pub(super) fn select(&self, runs: &[FoundRun]) -> (HashSet<PathBuf>, HashSet<PathBuf>) {
        let now = SystemTime::now();
        let picked: Vec<(&FoundRun, PathBuf)> = runs
            .iter()
            .filter(|f| self.stage.is_none() || f.run.stage() == self.stage.as_deref())
            .filter(|f| !self.debug_only || f.run.is_debug())
            .filter(|f| {
                self.statuses.is_empty() || f.status().is_ok_and(|s| self.statuses.contains(&s))
            })
            .filter(|f| {
                self.older_than.is_none_or(|age| {
                    f.created
                        .and_then(|c| now.duration_since(c).ok())
                        .is_some_and(|d| d > age)
                })
            })
            .map(|f| (f, fs::canonical_or_same(f.run.path())))
            .filter(|(_, p)| self.only.as_ref().is_none_or(|only| only.contains(p)))
            .collect();
        let beyond_last = self.keep_last.map(|n| beyond_last(runs, n));
        let (beyond_best, no_value) = match &self.keep_best {
            Some((n, key, goal)) => {
                let (beyond, unranked) = beyond_best(runs, *n, key, *goal);
                (Some(beyond), unranked)
            }
            None => (None, HashSet::new()),
        };
        let no_value: HashSet<PathBuf> = picked
            .iter()
            .map(|(_, p)| p)
            .filter(|p| no_value.contains(*p))
            .cloned()
            .collect();
        let selected = picked
            .into_iter()
            .map(|(_, p)| p)
            .filter(|p| beyond_last.as_ref().is_none_or(|b| b.contains(p)))
            .filter(|p| beyond_best.as_ref().is_none_or(|b| b.contains(p)))
            .collect();
        (selected, no_value)
    }
}

/// The runs of each stage beyond its `n` newest by recorded creation time.
fn beyond_last(runs: &[FoundRun], n: usize) -> HashSet<PathBuf> {
    let mut stages: BTreeMap<Stage<'_>, Vec<(Option<SystemTime>, PathBuf)>> = BTreeMap::new();
    for found in runs {
        stages
            .entry((found.run.is_debug(), found.run.stage()))
            .or_default()
            .push((found.created, fs::canonical_or_same(found.run.path())));
    }
    let mut beyond = HashSet::new();
    for group in stages.values_mut() {
        group.sort_by(|a, b| b.cmp(a));
        beyond.extend(group.iter().skip(n).map(|(_, p)| p.clone()));
    }
    beyond
}

/// The runs of each stage beyond its `n` best by the summary value at
/// `key` (ties to the newer), and the runs without a number there.
fn beyond_best(
    runs: &[FoundRun],
    n: usize,
    key: &str,
    goal: Goal,
) -> (HashSet<PathBuf>, HashSet<PathBuf>) {
    type Ranked = (f64, Option<SystemTime>, PathBuf);
    let mut stages: BTreeMap<Stage<'_>, Vec<Ranked>> = BTreeMap::new();
    let mut unranked = HashSet::new();
    for found in runs {
        let path = fs::canonical_or_same(found.run.path());
        match summary_value(found, key) {
            Some(value) => stages
                .entry((found.run.is_debug(), found.run.stage()))
                .or_default()
                .push((value, found.created, path)),
            None => {
                unranked.insert(path);
            }
        }
    }
    let mut beyond = HashSet::new();
    for group in stages.values_mut() {
        // Best first; between equals, the newer first.
        group.sort_by(|a, b| {
            let by_value = if goal.prefers(a.0, b.0) {
                Ordering::Less
            } else if goal.prefers(b.0, a.0) {
                Ordering::Greater
            } else {
                Ordering::Equal
            };
            by_value
                .then_with(|| b.1.cmp(&a.1))
                .then_with(|| a.2.cmp(&b.2))
        });
        beyond.extend(group.iter().skip(n).map(|(_, _, p)| p.clone()));
    }
    (beyond, unranked)
}

/// The number at the dotted `key` of `found`'s summary; `None` without a
/// summary, a value there, or one that is not a finite number.
fn summary_value(found: &FoundRun, key: &str) -> Option<f64> {
    #[cfg(feature = "serde")]
    {
        let summary = found.run.summary().read().ok()?;
        let mut parts = key.split('.');
        let mut value = summary.get(parts.next()?)?;
        for part in parts {
            value = value.get(part)?;
        }
        value.as_f64().filter(|v| v.is_finite())
    }
    #[cfg(not(feature = "serde"))]
    {
        let _ = (found, key);
        None
    }
}
