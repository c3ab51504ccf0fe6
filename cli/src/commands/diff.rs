//! `runlayout diff <RUN> <RUN>`: what differs between two runs: their
//! parameters (the keys that changed; every key with `--all`), summaries,
//! tags, git state, launcher, command line and status.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::{CliResult, Standing};
use crate::output::{self, Output};
use crate::{query, resolve, table};

/// `runlayout diff`'s arguments.
#[derive(clap::Args)]
pub struct DiffArgs {
    /// The first run
    #[arg(help = crate::resolve::RUN_HELP)]
    a: String,
    /// The second run
    #[arg(help = crate::resolve::RUN_HELP)]
    b: String,
    /// Every parameter and summary key, not only those that differ
    #[arg(long)]
    all: bool,
}

/// The keys and values of `object`, nested objects flattened into dotted
/// keys (`optim.lr`), in key order.
pub fn flatten(object: &Map<String, Value>) -> Vec<(String, Value)> {
    let mut flat = Vec::new();
    flatten_into(object, "", &mut flat);
    flat.sort_by(|x, y| x.0.cmp(&y.0));
    flat
}

fn flatten_into(object: &Map<String, Value>, prefix: &str, flat: &mut Vec<(String, Value)>) {
    for (key, value) in object {
        let key = format!("{prefix}{key}");
        match value {
            Value::Object(inner) if !inner.is_empty() => {
                flatten_into(inner, &format!("{key}."), flat);
            }
            _ => flat.push((key, value.clone())),
        }
    }
}

/// Each flattened key of `a` or `b` with its two values (`None` where a
/// run has no such key), in key order; with `all`, the keys of equal
/// values too.
fn pairs(
    a: &Map<String, Value>,
    b: &Map<String, Value>,
    all: bool,
) -> Vec<(String, Option<Value>, Option<Value>)> {
    let (a, b) = (flatten(a), flatten(b));
    let mut keys: Vec<&String> = a.iter().chain(&b).map(|(k, _)| k).collect();
    keys.sort();
    keys.dedup();
    let get = |flat: &[(String, Value)], key: &str| {
        flat.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    };
    keys.into_iter()
        .map(|k| (k.clone(), get(&a, k), get(&b, k)))
        .filter(|(_, x, y)| all || !same(x.as_ref(), y.as_ref()))
        .collect()
}

/// The keys whose values differ between `a` and `b`.
pub fn changed(
    a: &Map<String, Value>,
    b: &Map<String, Value>,
) -> Vec<(String, Option<Value>, Option<Value>)> {
    pairs(a, b, false)
}

/// Whether two values are the same: numbers by value (`0.1` and `0.10`).
fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

pub fn diff(root: &Path, args: &DiffArgs, out: &mut Output) -> CliResult<()> {
    let a = resolve::find(root, &args.a)?;
    let b = resolve::find(root, &args.b)?;
    let mut problems = Vec::new();
    let side = |found: &runlayout::scan::FoundRun, problems: &mut Vec<String>| {
        let standing = Standing::of(found, problems);
        let manifest = found.manifest.as_ref();
        let summary = found.run.summary().read().unwrap_or_else(|e| {
            problems.push(e.to_string());
            Map::new()
        });
        let tags = found.run.tags().unwrap_or_else(|e| {
            problems.push(e.to_string());
            Vec::new()
        });
        let git = manifest.and_then(|m| m.git.as_ref());
        json!({
            "run": resolve::name(found),
            "params": manifest.and_then(|m| m.params.clone()).unwrap_or_default(),
            "summary": summary,
            "tags": tags,
            "git": {
                "commit": git.map(|g| g.commit.clone()),
                "dirty": git.map(|g| g.dirty),
                "branch": git.and_then(|g| g.branch.clone()),
            },
            "launcher": manifest.and_then(|m| m.launcher.as_ref()).map(|l| serde_json::to_value(l).unwrap_or(Value::Null)),
            "command": manifest.map(|m| m.command.clone()),
            "status": standing.status.map(|s| s.to_string()),
        })
    };
    let (x, y) = (side(&a, &mut problems), side(&b, &mut problems));
    for problem in &problems {
        output::warn(format_args!("problem: {problem}"));
    }
    let object = |v: &Value, key: &str| v[key].as_object().cloned().unwrap_or_default();
    let params = pairs(&object(&x, "params"), &object(&y, "params"), args.all);
    let summary = pairs(&object(&x, "summary"), &object(&y, "summary"), true);
    let both = |key: &str| json!([x[key], y[key]]);
    let keyed = |rows: &[(String, Option<Value>, Option<Value>)]| -> Map<String, Value> {
        rows.iter()
            .map(|(k, a, b)| {
                let v = |v: &Option<Value>| v.clone().unwrap_or(Value::Null);
                (k.clone(), json!([v(a), v(b)]))
            })
            .collect()
    };
    let value = json!({
        "runs": [x["run"], y["run"]],
        "params": keyed(&params),
        "summary": keyed(&summary),
        "tags": both("tags"),
        "git": {
            "commit": [x["git"]["commit"], y["git"]["commit"]],
            "dirty": [x["git"]["dirty"], y["git"]["dirty"]],
            "branch": [x["git"]["branch"], y["git"]["branch"]],
        },
        "launcher": both("launcher"),
        "command": both("command"),
        "status": both("status"),
    });
    out.emit(value.clone(), |w| {
        let cell = |v: &Value| match v {
            Value::Null => "-".to_owned(),
            other => query::text(other),
        };
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut add = |key: String, a: &Value, b: &Value| {
            let mark = if same(Some(a), Some(b)) { "" } else { "*" };
            rows.push(vec![key, cell(a), cell(b), mark.to_owned()]);
        };
        for (section, pairs) in [("params", &params), ("summary", &summary)] {
            for (k, a, b) in pairs {
                let v = |v: &Option<Value>| v.clone().unwrap_or(Value::Null);
                add(format!("{section}.{k}"), &v(a), &v(b));
            }
        }
        add("tags".into(), &x["tags"], &y["tags"]);
        for key in ["commit", "dirty", "branch"] {
            add(format!("git.{key}"), &x["git"][key], &y["git"][key]);
        }
        let launcher = |v: &Value| {
            if v.is_null() {
                return Value::Null;
            }
            let mut text = v["kind"].as_str().unwrap_or("?").to_owned();
            if let Some(job) = v["job"].as_str() {
                text = format!("{text} {job}");
            }
            if let Some(n) = v["restart_count"].as_u64() {
                text = format!("{text} restart {n}");
            }
            Value::String(text)
        };
        add(
            "launcher".into(),
            &launcher(&x["launcher"]),
            &launcher(&y["launcher"]),
        );
        let command = |v: &Value| match v.as_array() {
            Some(args) => Value::String(args.iter().map(query::text).collect::<Vec<_>>().join(" ")),
            None => Value::Null,
        };
        add(
            "command".into(),
            &command(&x["command"]),
            &command(&y["command"]),
        );
        add("status".into(), &x["status"], &y["status"]);
        let names = [cell(&x["run"]), cell(&y["run"])];
        table::write(w, &["KEY", &names[0], &names[1], ""], &rows)
    })?;
    Ok(())
}
