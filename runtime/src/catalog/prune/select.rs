//! The selection: which runs a prune's criteria pick (before any is kept).

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::SystemTime;

use crate::catalog::prune::Prune;
use crate::catalog::scan::FoundRun;
use crate::io::fs;

impl Prune {
    /// The canonical folders of the runs the criteria pick.
    pub(super) fn select(&self, runs: &[FoundRun]) -> HashSet<PathBuf> {
        let now = SystemTime::now();
        // Per stage (debug or not): when each run was created, and where.
        type Stage<'a> = (bool, Option<&'a str>);
        let mut newest: BTreeMap<Stage<'_>, Vec<(Option<SystemTime>, PathBuf)>> = BTreeMap::new();
        for found in runs {
            newest
                .entry((found.run.is_debug(), found.run.stage()))
                .or_default()
                .push((found.created, fs::canonical_or_same(found.run.path())));
        }
        let mut beyond_last = HashSet::new();
        if let Some(n) = self.keep_last {
            for group in newest.values_mut() {
                group.sort_by(|a, b| b.cmp(a));
                beyond_last.extend(group.iter().skip(n).map(|(_, p)| p.clone()));
            }
        }
        runs.iter()
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
            .map(|f| fs::canonical_or_same(f.run.path()))
            .filter(|p| self.keep_last.is_none() || beyond_last.contains(p))
            .filter(|p| self.only.as_ref().is_none_or(|only| only.contains(p)))
            .collect()
    }
}
