//! The best members of a family by a metric of their keys: [`Goal`],
//! [`Family::best`] and [`Family::keep_best`], Lightning's `save_top_k`
//! with `monitor` and `mode`.

use std::cmp::Ordering;

use crate::error::Result;
use crate::layout::family::key::{self, FamilyKey, FamilyMember};
use crate::layout::family::{Family, Removal};

/// Whether a metric is better smaller or greater: the `mode` of
/// Lightning's `ModelCheckpoint` (`"min"`, `"max"`), for
/// [`Family::best`] and [`Family::keep_best`].
///
/// ```
/// use runlayout::Goal;
///
/// assert!(Goal::Minimize.prefers(0.25, 0.5));
/// assert!(Goal::Maximize.prefers(0.5, 0.25));
/// assert!(!Goal::Minimize.prefers(f64::NAN, 0.5)); // NaN is never better
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Goal {
    /// Smaller is better: a loss, an error rate (`mode="min"`).
    Minimize,
    /// Greater is better: an accuracy, a score (`mode="max"`).
    Maximize,
}

impl Goal {
    /// Whether the metric `a` is strictly better than `b` for this goal. A
    /// NaN is never better than anything, and anything that is not NaN is
    /// better than a NaN; `-0.0` and `0.0` are equal.
    ///
    /// ```
    /// use runlayout::Goal;
    ///
    /// assert!(Goal::Maximize.prefers(1.0, f64::NAN));
    /// assert!(!Goal::Maximize.prefers(0.0, -0.0));
    /// ```
    #[must_use]
    pub fn prefers(self, a: f64, b: f64) -> bool {
        self.compare(a, b) == Ordering::Less
    }

    /// `Less` when `a` is better than `b`: NaN last, then by the goal.
    fn compare(self, a: f64, b: f64) -> Ordering {
        match (a.is_nan(), b.is_nan()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            // Neither is NaN: `partial_cmp` answers, and -0.0 equals 0.0.
            (false, false) => {
                let order = a.partial_cmp(&b).unwrap_or(Ordering::Equal);
                match self {
                    Goal::Minimize => order,
                    Goal::Maximize => order.reverse(),
                }
            }
        }
    }
}

/// `Less` when the member with key `a` and metric `ma` ranks before the
/// one with `b` and `mb`: the better metric first, and between equal
/// metrics the greater key (the newer checkpoint).
fn rank<K: FamilyKey>(goal: Goal, (a, ma): (&K, f64), (b, mb): (&K, f64)) -> Ordering {
    goal.compare(ma, mb)
        .then_with(|| key::order(a, b).reverse())
}

impl<K: FamilyKey, P: FamilyMember> Family<K, P> {
    /// The member whose key has the best `metric` for `goal`, with its
    /// path: the checkpoint to evaluate or export. `metric` is called once
    /// per member, with its key (`|&(_, val_loss)| val_loss` for a
    /// `Family<(u32, f64), _>`).
    ///
    /// A member whose metric is NaN is never best: with only such members
    /// (or none), `Ok(None)`. Between equal metrics the greater key wins (the
    /// newer checkpoint), so the answer does not depend on the order
    /// folders are read in.
    ///
    /// # Errors
    ///
    /// Those of [`list`](Family::list).
    ///
    /// ```
    /// use runlayout::{Family, FilePath, Goal, family::FamilyTemplate};
    ///
    /// static TOP: FamilyTemplate = FamilyTemplate::new("top/e{epoch:u32}_{val_loss:.4}.ckpt");
    /// let run = tempfile::tempdir()?;
    /// std::fs::create_dir(run.path().join("top"))?;
    /// for name in ["e1_0.9000.ckpt", "e2_0.4155.ckpt", "e3_0.5000.ckpt"] {
    ///     std::fs::write(run.path().join("top").join(name), b"weights")?;
    /// }
    /// let top: Family<(u32, f64), FilePath> = Family::new(run.path(), &TOP);
    /// let (key, path) = top.best(|&(_, val_loss)| val_loss, Goal::Minimize)?.expect("members");
    /// assert_eq!(key, (2, 0.4155));
    /// assert!(path.ends_with("top/e2_0.4155.ckpt"));
    /// let (key, _) = top.best(|&(epoch, _)| f64::from(epoch), Goal::Maximize)?.expect("members");
    /// assert_eq!(key.0, 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn best(&self, mut metric: impl FnMut(&K) -> f64, goal: Goal) -> Result<Option<(K, P)>> {
        let parsed = self.template.parsed::<K>()?;
        let mut best: Option<(K, f64)> = None;
        parsed.walk(&self.root, P::KIND, &mut |values, _| {
            let Some(key) = K::take(values) else {
                return Ok(());
            };
            let value = metric(&key);
            if value.is_nan() {
                return Ok(());
            }
            let better = best
                .as_ref()
                .is_none_or(|(b, bv)| rank(goal, (&key, value), (b, *bv)) == Ordering::Less);
            if better {
                best = Some((key, value));
            }
            Ok(())
        })?;
        Ok(best.map(|(key, _)| {
            let path = self.path_of(parsed, &key);
            (key, path)
        }))
    }

    /// Removes every member but the `n` whose keys have the best `metric`
    /// for `goal`, and the newest (the greatest key: the checkpoint a job
    /// resumes from), and returns the paths it removed, ascending by key:
    /// Lightning's `save_top_k=n` with `save_last`. It keeps at most
    /// `n + 1` members, `n` when the newest is among the best.
    ///
    /// `metric` is called once per member, with its key, in ascending key
    /// order. A member whose metric is NaN is never among the best (it
    /// goes, unless it is the newest). Between equal metrics the greater
    /// key ranks first, so which members stay does not depend on the order
    /// folders are read in. Removal is [`keep_last`](Family::keep_last)'s:
    /// members only, never through a linked folder, each renamed aside
    /// before it is deleted (see [Removal](Family#removal)); a member a
    /// writer adds while it runs is not listed, so not touched.
    ///
    /// # Errors
    ///
    /// Those of [`keep_last`](Family::keep_last).
    ///
    /// ```
    /// use runlayout::{Family, FilePath, Goal, family::FamilyTemplate};
    ///
    /// static TOP: FamilyTemplate = FamilyTemplate::new("top/e{epoch:u32}_{val_loss:.4}.ckpt");
    /// let run = tempfile::tempdir()?;
    /// std::fs::create_dir(run.path().join("top"))?;
    /// for (epoch, val_loss) in [(1, 0.9), (2, 0.3), (3, 0.5), (4, 0.2), (5, 0.7)] {
    ///     let name = format!("top/e{epoch}_{val_loss:.4}.ckpt");
    ///     std::fs::write(run.path().join(name), b"weights")?;
    /// }
    /// let top: Family<(u32, f64), FilePath> = Family::new(run.path(), &TOP);
    /// let removed = top.keep_best(2, |&(_, val_loss)| val_loss, Goal::Minimize)?;
    /// assert_eq!(removed.len(), 2); // epochs 1 and 3
    /// let left: Vec<u32> = top.list()?.into_iter().map(|((epoch, _), _)| epoch).collect();
    /// assert_eq!(left, [2, 4, 5]); // the best two, and the newest
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keep_best(&self, n: usize, metric: impl FnMut(&K) -> f64, goal: Goal) -> Result<Vec<P>> {
        Ok(self.keep_best_report(n, metric, goal)?.removed_paths())
    }

    /// [`keep_best`](Family::keep_best), reporting what it removed and what
    /// it left, as [`keep_last_report`](Family::keep_last_report) does.
    ///
    /// # Errors
    ///
    /// Those of [`keep_last`](Family::keep_last).
    ///
    /// ```
    /// use runlayout::{Family, FilePath, Goal, family::FamilyTemplate};
    ///
    /// static ACC: FamilyTemplate = FamilyTemplate::new("ckpt/{step:u32}-acc={acc:.2}.pt");
    /// let run = tempfile::tempdir()?;
    /// std::fs::create_dir(run.path().join("ckpt"))?;
    /// for name in ["10-acc=0.50.pt", "20-acc=0.80.pt", "30-acc=0.70.pt"] {
    ///     std::fs::write(run.path().join("ckpt").join(name), b"w")?;
    /// }
    /// let ckpts: Family<(u32, f64), FilePath> = Family::new(run.path(), &ACC);
    /// let report = ckpts.keep_best_report(1, |&(_, acc)| acc, Goal::Maximize)?;
    /// assert_eq!(report.removed[0].0, (10, 0.5));
    /// assert!(report.left.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keep_best_report(
        &self,
        n: usize,
        mut metric: impl FnMut(&K) -> f64,
        goal: Goal,
    ) -> Result<Removal<K, P>> {
        let members = self.members(true)?;
        let metrics: Vec<f64> = members.iter().map(|(key, _)| metric(key)).collect();
        let keep = kept(&members, &metrics, n, goal);
        let doomed = members
            .into_iter()
            .zip(keep)
            .filter_map(|(member, keep)| (!keep).then_some(member));
        self.remove(doomed)
    }
}

/// Which of `members` (ascending by key, with their `metrics`) stay: the
/// `n` best that are not NaN, and the last.
fn kept<K: FamilyKey, P>(members: &[(K, P)], metrics: &[f64], n: usize, goal: Goal) -> Vec<bool> {
    let mut keep = vec![false; members.len()];
    let mut ranked: Vec<usize> = (0..members.len())
        .filter(|&i| !metrics[i].is_nan())
        .collect();
    let by_rank = |&a: &usize, &b: &usize| {
        rank(
            goal,
            (&members[a].0, metrics[a]),
            (&members[b].0, metrics[b]),
        )
    };
    if n < ranked.len() {
        // Only the best n need be in order: a partition, not a sort.
        if n > 0 {
            ranked.select_nth_unstable_by(n - 1, by_rank);
        }
        ranked.truncate(n);
    }
    for i in ranked {
        keep[i] = true;
    }
    if let Some(newest) = keep.last_mut() {
        *newest = true;
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_n_and_the_newest_stay_ties_to_the_newer() {
        let members: Vec<(u32, ())> = (0..6).map(|k| (k, ())).collect();
        let metrics = [0.5, 0.1, 0.5, f64::NAN, 0.5, f64::NAN];
        let stay = |n, goal| -> Vec<u32> {
            let keep = kept(&members, &metrics, n, goal);
            (0..6u32).filter(|&k| keep[k as usize]).collect()
        };
        assert_eq!(stay(1, Goal::Minimize), [1, 5]);
        // 0.5 three times: the greater keys first.
        assert_eq!(stay(2, Goal::Minimize), [1, 4, 5]);
        assert_eq!(stay(3, Goal::Minimize), [1, 2, 4, 5]);
        assert_eq!(stay(1, Goal::Maximize), [4, 5]);
        assert_eq!(stay(0, Goal::Maximize), [5]);
        // NaN is never among the best, however many are asked for.
        assert_eq!(stay(10, Goal::Maximize), [0, 1, 2, 4, 5]);
        assert!(kept::<u32, ()>(&[], &[], 3, Goal::Minimize).is_empty());
    }

    #[test]
    fn nan_is_never_better_and_zeros_are_equal() {
        for goal in [Goal::Minimize, Goal::Maximize] {
            assert!(goal.prefers(0.0, f64::NAN));
            assert!(!goal.prefers(f64::NAN, 0.0));
            assert!(!goal.prefers(f64::NAN, f64::NAN));
            assert!(!goal.prefers(-0.0, 0.0) && !goal.prefers(0.0, -0.0));
            assert!(goal.prefers(f64::NEG_INFINITY, f64::NAN));
        }
        assert!(Goal::Minimize.prefers(f64::NEG_INFINITY, -1e308));
        assert!(Goal::Maximize.prefers(f64::INFINITY, 1e308));
    }
}
