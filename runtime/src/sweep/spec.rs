//! What a sweep is made of: its grid and its explicit trials, the count,
//! the parameters of trial `n`, the hash that names the whole, and the
//! first difference between two of them.

use runlayout_grammar::hash::short_hex;
use serde_json::{Map, Value};

/// One parameter of a grid and its values, in the order given.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Axis {
    pub(crate) name: String,
    pub(crate) values: Vec<Value>,
}

/// A sweep's spec as `sweep.json` records it under `spec`: the grid
/// (first parameter outermost, as Hydra numbers its jobs), then the
/// explicit trials, and their count.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Plan {
    #[serde(default)]
    pub(crate) grid: Vec<Axis>,
    #[serde(default)]
    pub(crate) trials: Vec<Map<String, Value>>,
    pub(crate) count: usize,
}

impl Plan {
    /// The plan of `grid` and `trials`, counted; `Err` names what cannot be
    /// swept (a parameter twice, a parameter without values).
    pub(crate) fn new(grid: Vec<Axis>, trials: Vec<Map<String, Value>>) -> Result<Plan, String> {
        for (i, axis) in grid.iter().enumerate() {
            if axis.name.is_empty() {
                return Err("a grid parameter has an empty name".to_owned());
            }
            if grid[..i].iter().any(|a| a.name == axis.name) {
                return Err(format!("grid parameter `{}` is given twice", axis.name));
            }
            if axis.values.is_empty() {
                return Err(format!("grid parameter `{}` has no values", axis.name));
            }
        }
        let points = if grid.is_empty() {
            0
        } else {
            grid.iter()
                .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
                .ok_or("the grid has more points than can be counted")?
        };
        let count = points + trials.len();
        if count == 0 {
            return Err("a sweep needs a grid or a list of trials".to_owned());
        }
        Ok(Plan {
            grid,
            trials,
            count,
        })
    }

    /// How many points the grid has (0 without a grid).
    fn grid_points(&self) -> usize {
        if self.grid.is_empty() {
            return 0;
        }
        self.grid.iter().map(|a| a.values.len()).product()
    }

    /// The parameters of trial `n` (below `count`): a grid point, the last
    /// parameter changing fastest, or an explicit trial after the grid.
    pub(crate) fn params(&self, n: usize) -> Map<String, Value> {
        let points = self.grid_points();
        if n >= points {
            return self.trials.get(n - points).cloned().unwrap_or_default();
        }
        let mut rest = n;
        let mut picked = vec![Value::Null; self.grid.len()];
        for (i, axis) in self.grid.iter().enumerate().rev() {
            let len = axis.values.len();
            picked[i] = axis.values[rest % len].clone();
            rest /= len;
        }
        self.grid
            .iter()
            .zip(picked)
            .map(|(axis, value)| (axis.name.clone(), value))
            .collect()
    }

    /// The parameter names, grid first, then those only explicit trials
    /// name, in order of first appearance.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.grid.iter().map(|a| a.name.clone()).collect();
        for trial in &self.trials {
            for key in trial.keys() {
                if !names.contains(key) {
                    names.push(key.clone());
                }
            }
        }
        names
    }

    /// 16 hex digits of the FNV-1a hash of the spec's compact JSON (keys of
    /// each object sorted): equal specs, equal hashes.
    pub(crate) fn hash(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        String::from_utf8_lossy(&short_hex::<16>(&json)).into_owned()
    }

    /// The first way `given` differs from this recorded plan, in words;
    /// `None` when they are the same.
    pub(crate) fn difference(&self, given: &Plan) -> Option<String> {
        let names = |p: &Plan| p.grid.iter().map(|a| a.name.clone()).collect::<Vec<_>>();
        if names(self) != names(given) {
            return Some(format!(
                "grid parameters {:?} recorded, {:?} given",
                names(self),
                names(given)
            ));
        }
        for (old, new) in self.grid.iter().zip(&given.grid) {
            if old.values != new.values {
                return Some(format!(
                    "grid parameter `{}`: values {} recorded, {} given",
                    old.name,
                    Value::from(old.values.clone()),
                    Value::from(new.values.clone())
                ));
            }
        }
        if self.trials.len() != given.trials.len() {
            return Some(format!(
                "{} explicit trials recorded, {} given",
                self.trials.len(),
                given.trials.len()
            ));
        }
        let points = self.grid_points();
        for (i, (old, new)) in self.trials.iter().zip(&given.trials).enumerate() {
            if old != new {
                return Some(format!(
                    "trial {}: {} recorded, {} given",
                    points + i,
                    Value::from(old.clone()),
                    Value::from(new.clone())
                ));
            }
        }
        (self.count != given.count)
            .then(|| format!("{} trials recorded, {} given", self.count, given.count))
    }
}

/// The number of digits a trial number takes in its run id: the same for
/// every trial of a sweep, at least 3, so that the ids sort by number.
pub(crate) fn width(count: usize) -> usize {
    count.saturating_sub(1).to_string().len().max(3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn axis(name: &str, values: Value) -> Axis {
        let Value::Array(values) = values else {
            unreachable!("an array")
        };
        Axis {
            name: name.to_owned(),
            values,
        }
    }

    #[test]
    fn grid_points_follow_hydras_order_then_the_explicit_trials() {
        let extra = json!({"lr": 1.0, "seed": 9});
        let Value::Object(extra) = extra else {
            unreachable!()
        };
        let plan = Plan::new(
            vec![
                axis("lr", json!([0.1, 0.01, 0.001])),
                axis("seed", json!([1, 2])),
            ],
            vec![extra.clone()],
        )
        .unwrap_or_default();
        assert_eq!(plan.count, 7);
        let got: Vec<Value> = (0..7).map(|n| Value::Object(plan.params(n))).collect();
        assert_eq!(
            got,
            [
                json!({"lr": 0.1, "seed": 1}),
                json!({"lr": 0.1, "seed": 2}),
                json!({"lr": 0.01, "seed": 1}),
                json!({"lr": 0.01, "seed": 2}),
                json!({"lr": 0.001, "seed": 1}),
                json!({"lr": 0.001, "seed": 2}),
                Value::Object(extra),
            ]
        );
    }

    #[test]
    fn a_difference_is_named_and_the_hash_follows_it() {
        let a = Plan::new(vec![axis("lr", json!([0.1, 0.01]))], vec![]).unwrap_or_default();
        let b = Plan::new(vec![axis("lr", json!([0.1, 0.02]))], vec![]).unwrap_or_default();
        assert_eq!(a.difference(&a), None);
        assert_eq!(a.hash(), a.clone().hash());
        assert_ne!(a.hash(), b.hash());
        assert_eq!(
            a.difference(&b).as_deref(),
            Some("grid parameter `lr`: values [0.1,0.01] recorded, [0.1,0.02] given")
        );
        assert!(Plan::new(vec![axis("lr", json!([]))], vec![]).is_err());
        assert!(Plan::new(vec![], vec![]).is_err());
        assert!(Plan::new(vec![axis("lr", json!([1])), axis("lr", json!([2]))], vec![]).is_err());
        assert_eq!(width(6), 3);
        assert_eq!(width(10_000), 4);
        assert_eq!(width(10_001), 5);
    }
}
