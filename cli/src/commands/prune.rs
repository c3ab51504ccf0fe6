//! `runlayout prune`: removes the runs a selection picks, never a running
//! run, one a `latest` pointer names, or an ancestor of a run that stays.
//! A dry run unless `--yes`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use runlayout::{Prune, RunStatus};
use serde_json::json;

use super::{CliResult, parse_status};
use crate::output::{self, Output};
use crate::{paths, resolve, table};

/// What `prune` is asked to select.
#[derive(clap::Args)]
pub struct PruneArgs {
    /// Only runs of this stage
    #[arg(long)]
    stage: Option<String>,
    /// Select the runs below `debug/`
    #[arg(long)]
    debug: bool,
    /// Select runs of these statuses (finished, failed, crashed)
    #[arg(long, value_delimiter = ',', value_parser = parse_status)]
    status: Vec<RunStatus>,
    /// Select runs created longer ago than this (`7d`, `12h`, `1w 2d`)
    #[arg(long, value_name = "DURATION", value_parser = parse_age)]
    older_than: Option<Duration>,
    /// Select all but the N newest runs of each stage
    #[arg(long, value_name = "N")]
    keep_last: Option<usize>,
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
    resolve::require_root(root)?;
    let mut prune = Prune::new(root)
        .debug_only(args.debug)
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
    let plan = prune.plan()?;
    let done = if args.yes {
        Some(plan.execute()?)
    } else {
        None
    };
    let name = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
    let value = json!({
        "dry_run": !args.yes,
        "remove": plan.remove.iter().map(|c| json!({
            "path": paths::json(c.run.path()),
            "id": c.run.id().as_str(),
            "stage": c.run.stage(),
            "debug": c.run.is_debug(),
            "status": c.status.to_string(),
            "bytes": c.bytes,
        })).collect::<Vec<_>>(),
        "kept": plan.kept.iter().map(|k| json!({
            "path": paths::json(k.run.path()),
            "id": k.run.id().as_str(),
            "reason": k.reason.to_string(),
        })).collect::<Vec<_>>(),
        "trash": plan.trash.iter().map(paths::json).collect::<Vec<_>>(),
        "stale_backlinks": plan.stale_backlinks.iter().map(paths::json).collect::<Vec<_>>(),
        "bytes": plan.bytes(),
        "removed": done.as_ref().map(|d| d.removed.iter().map(paths::json).collect::<Vec<_>>()),
        "skipped": done.as_ref().map(|d| d.skipped.iter().map(|(path, reason)| json!({
            "path": paths::json(path),
            "reason": reason.to_string(),
        })).collect::<Vec<_>>()),
        "removed_bytes": done.as_ref().map(|d| d.bytes),
        "unlinked": done.as_ref().map(|d| d.unlinked.iter().map(|(path, left)| json!({
            "path": paths::json(path),
            "left": paths::json(left),
        })).collect::<Vec<_>>()),
        "problems": plan.problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
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
        let rows: Vec<Vec<String>> = plan
            .remove
            .iter()
            .filter(|c| !args.yes || removed.contains(c.run.path()))
            .map(|c| {
                vec![
                    verb.to_owned(),
                    name(c.run.path()),
                    c.status.to_string(),
                    bytes(c.bytes),
                ]
            })
            .chain(plan.kept.iter().map(|k| {
                vec![
                    "kept".to_owned(),
                    name(k.run.path()),
                    String::new(),
                    k.reason.to_string(),
                ]
            }))
            .chain(done.iter().flat_map(|d| &d.skipped).map(|(path, reason)| {
                vec![
                    "skipped".to_owned(),
                    name(path),
                    String::new(),
                    reason.to_string(),
                ]
            }))
            .collect();
        if !rows.is_empty() {
            table::write(w, &["ACTION", "RUN", "STATUS", "SIZE"], &rows)?;
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
}
