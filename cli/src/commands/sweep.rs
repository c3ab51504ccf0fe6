//! `runlayout sweep new|ls|show`: record a sweep, list the sweeps below
//! the root, and compare a sweep's trials in one table.

use std::path::Path;

use runlayout::RunStatus;
use runlayout::sweep::{Sweep, TrialState};
use serde_json::{Map, Value, json};

use super::CliResult;
use crate::output::Output;
use crate::query::{self, Facts, Key, Sort};
use crate::{durations, paths, resolve, table, times};

/// `runlayout sweep`'s subcommands.
#[derive(clap::Subcommand)]
pub enum SweepCommand {
    /// Record a new sweep and print how to name it (STAGE/SWEEP-ID)
    New(NewArgs),
    /// List the sweeps below the root: id, stage, trials, counts by status
    Ls,
    /// One row per trial: number, parameters, status, duration, summary
    Show(ShowArgs),
}

/// `runlayout sweep new`'s arguments.
#[derive(clap::Args)]
pub struct NewArgs {
    /// The stage whose runs the trials are
    #[arg(long)]
    stage: String,
    /// A grid parameter and its values, NAME=V1,V2,...; repeat it, the
    /// first outermost. A value that reads as JSON (0.1, true, "a,b") is
    /// that value, anything else a string
    #[arg(long, value_name = "NAME=V1,V2,..", value_parser = parse_grid)]
    grid: Vec<(String, Vec<Value>)>,
    /// An explicit trial after the grid's, a JSON object; repeat it
    #[arg(long, value_name = "JSON", value_parser = parse_trial)]
    trial: Vec<Map<String, Value>>,
    /// The sweep's id (the naming rules of run ids) instead of a new one;
    /// an existing sweep of that id with this spec is reused
    #[arg(long, value_name = "ID")]
    id: Option<String>,
    /// Put the sweep below `debug/`
    #[arg(long)]
    debug: bool,
}

/// `runlayout sweep show`'s arguments.
#[derive(clap::Args)]
pub struct ShowArgs {
    /// The sweep: STAGE/SWEEP-ID or debug/STAGE/SWEEP-ID
    sweep: String,
    /// Order the trials by KEY (params.NAME, summary.NAME, status; -KEY:
    /// descending); trials without it come last
    #[arg(long, value_name = "KEY", allow_hyphen_values = true, value_parser = Sort::parse)]
    sort: Option<Sort>,
    /// Show these keys as columns, comma-separated, instead of every
    /// parameter and summary value
    #[arg(long, value_name = "KEY,..", value_delimiter = ',', value_parser = Key::parse)]
    columns: Vec<Key>,
}

/// `NAME=V1,V2`: values split at commas outside JSON strings and brackets.
fn parse_grid(text: &str) -> Result<(String, Vec<Value>), String> {
    let (name, values) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: expected NAME=V1,V2,.."))?;
    if name.is_empty() || values.is_empty() {
        return Err(format!("`{text}`: expected NAME=V1,V2,.."));
    }
    Ok((
        name.to_owned(),
        split_values(values).into_iter().map(value).collect(),
    ))
}

/// Splits at the commas that are not inside a quoted string or brackets.
fn split_values(text: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut quoted, mut escaped, mut start) =
        (Vec::new(), 0i32, false, false, 0);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '[' | '{' if !quoted => depth += 1,
            ']' | '}' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// A value as typed: JSON if it reads as JSON, else the text itself.
fn value(text: &str) -> Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|_| Value::String(text.to_owned()))
}

fn parse_trial(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str(text) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(format!("`{text}` is no JSON object")),
    }
}

pub fn sweep(root: &Path, command: &SweepCommand, out: &mut Output) -> CliResult<()> {
    match command {
        SweepCommand::New(args) => new(root, args, out),
        SweepCommand::Ls => ls(root, out),
        SweepCommand::Show(args) => show(root, args, out),
    }
}

fn new(root: &Path, args: &NewArgs, out: &mut Output) -> CliResult<()> {
    let mut builder = Sweep::builder(root).stage(&args.stage).debug(args.debug);
    for (name, values) in &args.grid {
        builder = builder.grid(name, values);
    }
    builder = builder.trials(&args.trial);
    if let Some(id) = &args.id {
        builder = builder.sweep_id(id);
    }
    let sweep = builder.create()?;
    let value = json!({
        "sweep": sweep.to_string(),
        "id": sweep.id(),
        "stage": sweep.stage(),
        "debug": sweep.is_debug(),
        "trials": sweep.count(),
        "hash": sweep.hash(),
        "path": paths::json(sweep.path()),
    });
    out.emit(value, |w| writeln!(w, "{sweep}"))?;
    Ok(())
}

/// For a sweep in a bucket: the folder its trials' records are read into,
/// removed when the command ends (nothing stays on the reader's machine).
struct Cache {
    #[cfg(feature = "object-store")]
    dir: Option<tempfile::TempDir>,
}

impl Cache {
    fn new(root: &Path) -> CliResult<Cache> {
        #[cfg(feature = "object-store")]
        if crate::bucket::is_url(root) {
            let dir = tempfile::Builder::new()
                .prefix(".runlayout-bucket-")
                .tempdir()
                .map_err(|e| {
                    format!("cannot make a folder to read `{}` in: {e}", root.display())
                })?;
            return Ok(Cache { dir: Some(dir) });
        }
        let _ = root;
        Ok(Cache {
            #[cfg(feature = "object-store")]
            dir: None,
        })
    }

    fn used_by(&self, sweep: Sweep) -> CliResult<Sweep> {
        #[cfg(feature = "object-store")]
        if let Some(dir) = &self.dir {
            return Ok(sweep.cache_dir(dir.path())?);
        }
        Ok(sweep)
    }
}

/// How many trials stand in each status, and how many were never claimed.
fn counts(states: &[TrialState]) -> (Map<String, Value>, usize) {
    let mut counts = Map::new();
    for status in RunStatus::ALL {
        let n = states.iter().filter(|t| t.status == Some(status)).count();
        counts.insert(status.to_string(), n.into());
    }
    let waiting = states.iter().filter(|t| t.status.is_none()).count();
    (counts, waiting)
}

fn ls(root: &Path, out: &mut Output) -> CliResult<()> {
    resolve::require_root_or_bucket(root)?;
    let sweeps = Sweep::list(root)?;
    let mut rows = Vec::new();
    let mut json_rows = Vec::new();
    let cache = Cache::new(root)?;
    for sweep in sweeps {
        let sweep = cache.used_by(sweep)?;
        let states = sweep.trials()?;
        let (counts, waiting) = counts(&states);
        let count = |s: &str| counts.get(s).and_then(Value::as_u64).unwrap_or(0);
        rows.push(vec![
            sweep.to_string(),
            sweep.stage().to_owned(),
            sweep.count().to_string(),
            count("finished").to_string(),
            count("running").to_string(),
            count("failed").to_string(),
            count("crashed").to_string(),
            waiting.to_string(),
            times::local(times::parse(sweep.created())),
        ]);
        json_rows.push(json!({
            "sweep": sweep.to_string(),
            "id": sweep.id(),
            "stage": sweep.stage(),
            "debug": sweep.is_debug(),
            "trials": sweep.count(),
            "counts": counts,
            "unclaimed": waiting,
            "created": sweep.created(),
            "hash": sweep.hash(),
        }));
    }
    out.emit(json!({ "sweeps": json_rows }), |w| {
        table::write(
            w,
            &[
                "SWEEP",
                "STAGE",
                "TRIALS",
                "FINISHED",
                "RUNNING",
                "FAILED",
                "CRASHED",
                "UNCLAIMED",
                "CREATED",
            ],
            &rows,
        )
    })?;
    Ok(())
}

/// A column of `sweep show`: its header and the key it reads.
type Column = (String, Key);

/// What the keys read of a trial.
fn facts(state: &TrialState) -> Facts<'_> {
    Facts {
        params: Some(&state.params),
        summary: Some(&state.summary),
        tags: &[],
        status: state.status.map(|s| s.to_string()),
        host: None,
        stage: None,
    }
}

/// How long the trial's run ran, as `ls` says it: a crash or a trial never
/// claimed has no duration.
fn duration(state: &TrialState) -> Option<std::time::Duration> {
    match state.status {
        None | Some(RunStatus::Crashed) => None,
        Some(RunStatus::Running) => state.duration(),
        Some(_) => state.ended.and(state.duration()),
    }
}

fn show(root: &Path, args: &ShowArgs, out: &mut Output) -> CliResult<()> {
    resolve::require_root_or_bucket(root)?;
    let cache = Cache::new(root)?;
    let sweep = cache.used_by(Sweep::resolve(root, &args.sweep)?)?;
    let mut states = sweep.trials()?;
    if let Some(sort) = &args.sort {
        // Stable: trials of equal value stay in number order.
        let values: Vec<Option<Value>> = states.iter().map(|t| facts(t).value(&sort.key)).collect();
        let mut order: Vec<usize> = (0..states.len()).collect();
        order.sort_by(|&a, &b| sort.order(values[a].as_ref(), values[b].as_ref()));
        let mut taken: Vec<Option<TrialState>> = states.into_iter().map(Some).collect();
        states = order.into_iter().filter_map(|i| taken[i].take()).collect();
    }
    let params = sweep.param_names();
    let mut summary_keys: Vec<String> = states
        .iter()
        .flat_map(|t| t.summary.keys().cloned())
        .collect();
    summary_keys.sort();
    summary_keys.dedup();
    // Before the status: the given keys, or every parameter; after the
    // duration: every summary value, unless keys were given.
    let (before, after): (Vec<Column>, Vec<Column>) = if args.columns.is_empty() {
        let named = |k: &String, key: Key| (k.clone(), key);
        (
            params
                .iter()
                .map(|p| named(p, Key::Param(vec![p.clone()])))
                .collect(),
            summary_keys
                .iter()
                .map(|k| {
                    let label = if params.contains(k) {
                        format!("summary.{k}")
                    } else {
                        k.clone()
                    };
                    (label, Key::Summary(vec![k.clone()]))
                })
                .collect(),
        )
    } else {
        (
            args.columns
                .iter()
                .map(|k| (k.to_string(), k.clone()))
                .collect(),
            Vec::new(),
        )
    };
    let stage_name = |id: &str| {
        let debug = if sweep.is_debug() { "debug/" } else { "" };
        format!("{debug}{}/{id}", sweep.stage())
    };
    let value = || {
        let trials: Vec<Value> = states
            .iter()
            .map(|t| {
                let mut row = json!({
                    "trial": t.number,
                    "params": t.params,
                    "status": t.status.map(|s| s.to_string()),
                    "duration_secs": duration(t).map(|d| d.as_secs_f64()),
                    "summary": t.summary,
                    "run": t.run.as_ref().map(|_| stage_name(&sweep.trial_id(t.number))),
                    "path": t.run.as_deref().map(paths::json),
                });
                if !args.columns.is_empty() {
                    let facts = facts(t);
                    let columns: Map<String, Value> = args
                        .columns
                        .iter()
                        .map(|k| (k.to_string(), facts.value(k).unwrap_or(Value::Null)))
                        .collect();
                    row["columns"] = Value::Object(columns);
                }
                row
            })
            .collect();
        json!({ "sweep": sweep.to_string(), "hash": sweep.hash(), "trials": trials })
    };
    out.emit_with(value, |w| {
        let cell = |facts: &Facts<'_>, key: &Key| {
            facts.value(key).as_ref().map_or("-".into(), query::text)
        };
        let rows: Vec<Vec<String>> = states
            .iter()
            .map(|t| {
                let facts = facts(t);
                let mut row = vec![t.number.to_string()];
                row.extend(before.iter().map(|(_, k)| cell(&facts, k)));
                row.push(t.status.map_or("-".into(), |s| s.to_string()));
                row.push(duration(t).map_or("-".into(), durations::short));
                row.extend(after.iter().map(|(_, k)| cell(&facts, k)));
                row.push(
                    t.run
                        .as_ref()
                        .map_or("-".into(), |_| stage_name(&sweep.trial_id(t.number))),
                );
                row
            })
            .collect();
        let mut header = vec!["TRIAL"];
        header.extend(before.iter().map(|(l, _)| l.as_str()));
        header.extend(["STATUS", "DURATION"]);
        header.extend(after.iter().map(|(l, _)| l.as_str()));
        header.push("RUN");
        table::write(w, &header, &rows)
    })?;
    Ok(())
}
