//! `runlayout prune`: removes the runs a selection picks, never a running
//! run, one a `latest` pointer names (unless `--include-latest`), or an
//! ancestor of a run that stays.
//! A dry run unless `--yes`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use runlayout::{
    Goal, Run, RunStatus,
    prune::{KeepReason, Prune},
    sweep::Sweep,
};
use serde_json::{Value, json};

use super::{CliResult, parse_status};
use crate::output::{self, Output};
use crate::resolve::{self, Names};
use crate::{paths, table};

/// What `prune` is asked to select.
#[derive(clap::Args)]
pub struct PruneArgs {
    /// Only runs of this stage
    #[arg(long)]
    stage: Option<String>,
    /// Select the runs below `debug/`
    #[arg(long)]
    debug: bool,
    /// Select runs of these statuses, comma-separated: finished, failed,
    /// crashed, untracked
    #[arg(long, value_name = "STATUS,..", value_delimiter = ',', value_parser = parse_status)]
    status: Vec<RunStatus>,
    /// Select runs created longer ago than this (`7d`, `12h`, `1w 2d`)
    #[arg(long, value_name = "DURATION", value_parser = parse_age)]
    older_than: Option<Duration>,
    /// Select all but the N newest runs of each stage, by the creation time
    /// recorded in their manifests
    #[arg(long, value_name = "N")]
    keep_last: Option<usize>,
    /// Select all but the N best runs of each stage by the summary value
    /// --by names; runs without that value are kept
    #[arg(long, value_name = "N", requires = "by")]
    keep_best: Option<usize>,
    /// The summary value --keep-best ranks by: summary.KEY (a dotted path,
    /// as summary.val_loss); smaller is better unless --max
    #[arg(long, value_name = "summary.KEY", requires = "keep_best", value_parser = parse_by)]
    by: Option<String>,
    /// Greater is better for --keep-best (an accuracy, a score)
    #[arg(long, requires = "keep_best")]
    max: bool,
    /// Let the selection take the run a `latest` pointer names too; the
    /// pointer then moves to the newest run left, or goes with the last
    #[arg(long)]
    include_latest: bool,
    /// Select the trials of this sweep (STAGE/SWEEP-ID), and remove its
    /// record once none of them is left
    #[arg(long, value_name = "SWEEP")]
    sweep: Option<String>,
    /// Remove them (without it, only print what would be removed)
    #[arg(long)]
    yes: bool,
}

/// `7d`, `12h`, `1 week`: jiff's friendly durations, days of 24 hours.
fn parse_age(text: &str) -> Result<Duration, String> {
    let span: jiff::Span = text
        .parse()
        .map_err(|e| format!("`{text}` is no duration (write 7d, 12h, 30m): {e}"))?;
    let signed = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|e| format!("`{text}`: {e}"))?;
    Duration::try_from(signed).map_err(|_| format!("`{text}` is negative"))
}

pub fn prune(root: &Path, args: &PruneArgs, out: &mut Output) -> CliResult<()> {
    // A bucket's runs are pruned by the library's prune of a URL root.
    resolve::require_root_or_bucket(root)?;
    let sweep = match &args.sweep {
        Some(text) => Some(Sweep::resolve(root, text)?),
        None => None,
    };
    let mut prune = sweep
        .as_ref()
        .map_or_else(|| Prune::new(root), Sweep::prune)
        .debug_only(args.debug)
        .include_latest(args.include_latest)
        .status(args.status.iter().copied());
    if let Some(stage) = &args.stage {
        prune = prune.stage(stage.as_str());
    }
    if let Some(age) = args.older_than {
        prune = prune.older_than(age);
    }
    if let Some(n) = args.keep_last {
        prune = prune.keep_last(n);
    }
    if let (Some(n), Some(key)) = (args.keep_best, &args.by) {
        let goal = if args.max {
            Goal::Maximize
        } else {
            Goal::Minimize
        };
        prune = prune.keep_best(n, key.as_str(), goal);
    }
    let plan = prune.plan()?;
    let names = Names::new(root, []);
    // Read before `--yes` removes them.
    let planned: Vec<Planned> = plan
        .remove
        .iter()
        .map(|c| Planned {
            link_to: c.link_to.clone(),
            ..Planned::of(&c.run, Some(c.status), Some(c.bytes))
        })
        .collect();
    let kept: Vec<(Planned, Reason)> = plan
        .kept
        .iter()
        .map(|k| {
            let status = k.run.status().ok();
            (
                Planned::of(&k.run, status, None),
                Reason::of(&k.reason, &names),
            )
        })
        .collect();
    let done = if args.yes {
        Some(plan.execute()?)
    } else {
        None
    };
    // The sweep's record goes with its last trial, with `--yes`.
    let record_removed = match (&sweep, &done) {
        (Some(sweep), Some(_)) => Some(sweep.remove()?),
        _ => None,
    };
    // A planned run `execute` left, and why: what changed since the plan.
    let skipped: Vec<(Planned, Reason)> = done
        .iter()
        .flat_map(|d| &d.skipped)
        .map(|(path, reason)| {
            let entry = planned
                .iter()
                .find(|p| p.path == *path)
                .cloned()
                .unwrap_or_else(|| Planned::at(path, &names));
            (entry, Reason::of(reason, &names))
        })
        .collect();
    let value = json!({
        "dry_run": !args.yes,
        "remove": planned.iter().map(Planned::json).collect::<Vec<_>>(),
        "kept": kept.iter().map(|(p, r)| r.json(p)).collect::<Vec<_>>(),
        "trash": plan.trash.iter().map(paths::json).collect::<Vec<_>>(),
        "stale_backlinks": plan.stale_backlinks.iter().map(paths::json).collect::<Vec<_>>(),
        "bytes": plan.bytes(),
        "removed": done.as_ref().map(|d| d.removed.iter().map(paths::json).collect::<Vec<_>>()),
        "skipped": done.as_ref().map(|_| skipped.iter().map(|(p, r)| r.json(p)).collect::<Vec<_>>()),
        "removed_bytes": done.as_ref().map(|d| d.bytes),
        "unlinked": done.as_ref().map(|d| d.unlinked.iter().map(|(path, left)| json!({
            "path": paths::json(path),
            "left": paths::json(left),
        })).collect::<Vec<_>>()),
        "latest": done.as_ref().map(|d| d.latest.iter().map(|(pointer, now)| json!({
            "pointer": paths::json(pointer),
            "names": now.as_ref().map_or(Value::Null, paths::json),
        })).collect::<Vec<_>>()),
        "problems": plan.problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "sweep": sweep.as_ref().map(|s| json!({
            "sweep": s.to_string(),
            "record": paths::json(s.path()),
            "record_removed": record_removed,
        })),
    });
    if !out.is_json() {
        // Beside the table, as `ls` reports them; `--json` has them in
        // `problems`.
        for problem in &plan.problems {
            output::warn(format_args!("problem: {problem}"));
        }
    }
    out.emit(value, |w| {
        // With --yes, what was removed; a planned run that changed since the
        // plan is reported as skipped, never as removed.
        let removed: HashSet<&Path> = done
            .as_ref()
            .map(|d| d.removed.iter().map(PathBuf::as_path).collect())
            .unwrap_or_default();
        let verb = if args.yes { "removed" } else { "would remove" };
        let rows: Vec<Vec<String>> = planned
            .iter()
            .filter(|p| !args.yes || removed.contains(p.path.as_path()))
            .map(|p| p.row(verb, ""))
            .chain(kept.iter().map(|(p, r)| p.row("kept", &r.text)))
            .chain(skipped.iter().map(|(p, r)| p.row("skipped", &r.text)))
            .collect();
        if !rows.is_empty() {
            table::write(w, &["ACTION", "RUN", "STATUS", "SIZE", "REASON"], &rows)?;
        }
        for trash in &plan.trash {
            writeln!(
                w,
                "{verb} trash of an interrupted prune: {}",
                trash.display()
            )?;
        }
        for link in &plan.stale_backlinks {
            writeln!(
                w,
                "{verb} back-link to a run that is gone: {}",
                link.display()
            )?;
        }
        for (pointer, now) in done.iter().flat_map(|d| &d.latest) {
            match now {
                Some(run) => writeln!(w, "moved {} to {}", pointer.display(), run.display())?,
                None => writeln!(
                    w,
                    "removed {}: no run of its stage is left",
                    pointer.display()
                )?,
            }
        }
        if let Some(sweep) = &sweep {
            let record = sweep.path();
            match record_removed {
                Some(true) => writeln!(
                    w,
                    "removed the record of sweep {sweep}: {}",
                    record.display()
                )?,
                Some(false) => {
                    writeln!(w, "kept the record of sweep {sweep}: trials of it are left")?
                }
                None => writeln!(
                    w,
                    "would remove the record of sweep {sweep} once none of its trials is left"
                )?,
            }
        }
        let (runs, total) = match &done {
            Some(done) => (done.removed.len(), done.bytes),
            None => (plan.remove.len(), plan.bytes()),
        };
        let s = if runs == 1 { "" } else { "s" };
        let tail = if args.yes {
            ""
        } else {
            " (dry run: add --yes to remove)"
        };
        writeln!(w, "{verb} {runs} run{s}, {}{tail}", bytes(total))
    })?;
    Ok(())
}

/// A run the plan picked, as `--json` and the table give every one of
/// them (removed, kept or skipped): the same fields, read once.
#[derive(Clone)]
struct Planned {
    path: PathBuf,
    /// As `<RUN>` takes it: `stage/id`, `debug/stage/id`.
    name: String,
    id: String,
    stage: Option<String>,
    debug: bool,
    status: Option<RunStatus>,
    /// As the manifest records it, to the nanosecond.
    created: Option<String>,
    /// Known for the runs to remove.
    bytes: Option<u64>,
    /// Where a run folder that is a symlink leads: the link goes, that
    /// folder stays.
    link_to: Option<PathBuf>,
}

impl Planned {
    fn of(run: &Run, status: Option<RunStatus>, bytes: Option<u64>) -> Planned {
        Planned {
            path: run.path().to_path_buf(),
            name: resolve::name_of(run),
            id: run.id().to_string(),
            stage: run.stage().map(str::to_owned),
            debug: run.is_debug(),
            status,
            created: run.manifest().ok().flatten().map(|m| m.created),
            bytes,
            link_to: None,
        }
    }

    /// A run known only by its path (reported by `execute` alone).
    fn at(path: &Path, names: &Names) -> Planned {
        let name = names.of(path);
        Planned {
            path: path.to_path_buf(),
            id: path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            name,
            stage: None,
            debug: false,
            status: None,
            created: None,
            bytes: None,
            link_to: None,
        }
    }

    fn json(&self) -> Value {
        json!({
            "path": paths::json(&self.path),
            "run": self.name,
            "id": self.id,
            "stage": self.stage,
            "debug": self.debug,
            "status": self.status.map(|s| s.to_string()),
            "created": self.created,
            "bytes": self.bytes,
            "link_to": self.link_to.as_deref().map(paths::json),
        })
    }

    fn row(&self, action: &str, reason: &str) -> Vec<String> {
        vec![
            action.to_owned(),
            self.name.clone(),
            self.status.map_or("?".to_owned(), |s| s.to_string()),
            self.bytes.map_or("-".to_owned(), bytes),
            reason.to_owned(),
        ]
    }
}

/// Why a run stays: a code for scripts, words for people (runs named as
/// `<RUN>` takes them, not by absolute paths), and what it names.
struct Reason {
    code: String,
    text: String,
    /// The field and value the reason names, if any (`descendant`,
    /// `pointer`, `mount`).
    detail: Option<(&'static str, Value)>,
}

impl Reason {
    fn of(reason: &KeepReason, names: &Names) -> Reason {
        let (code, text, detail) = match reason {
            KeepReason::Running => ("running", reason.to_string(), None),
            KeepReason::Latest(pointer) => (
                "latest",
                format!("the `latest` pointer `{}` names it", names.place(pointer)),
                Some(("pointer", paths::json(pointer))),
            ),
            KeepReason::AncestorOf(run) => {
                let name = names.of(run);
                let text = format!("`{name}`, which stays, grew out of it");
                ("ancestor_of", text, Some(("descendant", Value::from(name))))
            }
            KeepReason::Unreadable(_) => ("unreadable", reason.to_string(), None),
            KeepReason::MountInside(at) => (
                "mount_inside",
                reason.to_string(),
                Some(("mount", paths::json(at))),
            ),
            KeepReason::Gone => ("gone", reason.to_string(), None),
            KeepReason::InUse => ("in_use", reason.to_string(), None),
            KeepReason::Unclaimable(_) => ("unclaimable", reason.to_string(), None),
            KeepReason::NoValue(key) => (
                "no_value",
                reason.to_string(),
                Some(("key", Value::from(key.as_str()))),
            ),
            // A reason this version does not know by name: its variant's
            // name as the code, its own words as the text.
            other => return Reason::unknown(other),
        };
        Reason {
            code: code.to_owned(),
            text,
            detail,
        }
    }

    fn unknown(reason: &KeepReason) -> Reason {
        let debug = format!("{reason:?}");
        let variant = debug
            .split(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or_default();
        Reason {
            code: snake_case(variant),
            text: reason.to_string(),
            detail: None,
        }
    }

    /// The run's fields, with the reason's.
    fn json(&self, run: &Planned) -> Value {
        let mut value = run.json();
        value["reason"] = Value::from(self.code.as_str());
        value["reason_text"] = Value::from(self.text.as_str());
        if let Some((key, detail)) = &self.detail {
            value[*key] = detail.clone();
        }
        value
    }
}

/// `AncestorOf` as `ancestor_of`.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A size as people read it: `512 B`, `1.5 KiB`, `3.2 GiB`.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `--by`'s value: `summary.KEY`, the key (a dotted path) in the summary.
fn parse_by(text: &str) -> Result<String, String> {
    match text.strip_prefix("summary.") {
        Some(key) if !key.is_empty() && key.split('.').all(|part| !part.is_empty()) => {
            Ok(key.to_owned())
        }
        _ => Err(format!(
            "`{text}` names no summary value: expected summary.KEY, as summary.val_loss"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_read_as_people_write_them() {
        let hours = |h: u64| Duration::from_secs(h * 3600);
        assert_eq!(parse_age("7d"), Ok(hours(7 * 24)));
        assert_eq!(parse_age("12h"), Ok(hours(12)));
        assert_eq!(parse_age("1w 2d"), Ok(hours(9 * 24)));
        assert_eq!(parse_age("30m"), Ok(Duration::from_secs(30 * 60)));
        for bad in ["", "soon", "7 parsecs", "12"] {
            let err = parse_age(bad).expect_err(bad);
            assert!(
                err.contains(&format!("`{bad}`")),
                "the error names the value: {err}"
            );
        }
        let err = parse_age("-3d").expect_err("negative");
        assert!(err.contains("`-3d`"), "{err}");
    }

    #[test]
    fn by_names_a_summary_value() {
        assert_eq!(parse_by("summary.val_loss"), Ok("val_loss".to_owned()));
        assert_eq!(parse_by("summary.eval.acc"), Ok("eval.acc".to_owned()));
        for bad in ["val_loss", "summary.", "summary.a..b", "params.lr"] {
            let err = parse_by(bad).expect_err(bad);
            assert!(err.contains(&format!("`{bad}`")), "names the value: {err}");
        }
    }

    #[test]
    fn reason_codes_are_snake_case() {
        assert_eq!(snake_case("AncestorOf"), "ancestor_of");
        assert_eq!(snake_case("Gone"), "gone");
        assert_eq!(snake_case("MountInside"), "mount_inside");
    }
}
