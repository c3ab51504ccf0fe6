//! `runlayout show <RUN>`: a run's manifest, ancestor and descendants, and
//! every problem with them. What can be read is shown; what cannot is listed
//! as a problem, and then the command ends with status 1.

use std::path::{Path, PathBuf};

use serde_json::Value;

use runlayout::{record::Restart, scan::FoundRun};
use serde_json::Map;

use super::{CliResult, ProblemsReported, Standing, diff, or_dash, run_json};
use crate::output::Output;
use crate::resolve::Names;
use crate::{paths, query, resolve, times};

pub fn show(root: &Path, spec: &str, out: &mut Output) -> CliResult<()> {
    let (found, scanned) = resolve::find_with_problems(root, spec)?;
    let run = &found.run;
    let mut problems: Vec<String> = scanned.iter().map(ToString::to_string).collect();
    // Collected as text, told as the person knows the paths.
    let told = |problems: &mut Vec<String>| {
        for problem in problems.iter_mut() {
            *problem = crate::bucket::in_text(problem).into_owned();
        }
    };
    let ancestor = run.ancestor().unwrap_or_else(|e| {
        problems.push(e.to_string());
        None
    });
    let descendants = run.descendants().unwrap_or_else(|e| {
        problems.push(e.to_string());
        Vec::new()
    });
    let standing = Standing::of(&found, &mut problems);
    let entries = recorded_entries(run, &mut problems);
    let foreign = foreign_files(run, &entries, &mut problems);
    let facts = Recorded::of(&found, &mut problems);
    // Ancestor and descendants named as `ls` and `<RUN>` name runs.
    let names = Names::new(root, [&found]);
    let ancestor_name = ancestor.as_deref().map(|a| names.of(a));
    let descendant_names: Vec<String> = descendants.iter().map(|d| names.of(d)).collect();
    let mut value = run_json(&found, ancestor.as_deref(), &standing, &names);
    value["entries"] = entries.iter().map(EntryView::json).collect();
    value["foreign_files"] = serde_json::json!({
        "count": foreign.count,
        "examples": foreign.examples.iter().map(paths::json).collect::<Vec<_>>(),
    });
    value["descendants"] = descendants.iter().map(paths::json).collect();
    value["descendant_runs"] = descendant_names
        .iter()
        .map(|n| Value::from(n.as_str()))
        .collect();
    value["summary"] = Value::Object(facts.summary.clone());
    value["tags"] = facts.tags.iter().map(|t| Value::from(t.as_str())).collect();
    value["note"] = facts.note.as_deref().map_or(Value::Null, Value::from);
    value["restarts"] = serde_json::to_value(&facts.restarts).unwrap_or(Value::Null);
    told(&mut problems);
    value["problems"] = problems.iter().map(|p| Value::from(p.as_str())).collect();
    out.emit(value, |w| {
        let manifest = found.manifest.as_ref();
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        writeln!(w, "run:         {}", resolve::name(&found))?;
        writeln!(w, "id:          {}", run.id())?;
        writeln!(w, "stage:       {}", or_dash(run.stage()))?;
        writeln!(w, "debug:       {}", yes_no(run.is_debug()))?;
        writeln!(w, "path:        {}", paths::of_run(run).display())?;
        let status = standing.status.map_or("?".into(), |s| s.to_string());
        writeln!(w, "status:      {status}")?;
        if let Some(ended) = &standing.ended {
            writeln!(w, "ended:       {}", times::local(ended.at_time()))?;
            if let Some(reason) = &ended.reason {
                writeln!(w, "reason:      {reason}")?;
            }
        }
        writeln!(w, "duration:    {}", standing.duration(&found))?;
        match manifest {
            Some(m) => {
                writeln!(w, "created:     {}", times::local(found.created))?;
                writeln!(w, "host:        {}", or_dash(m.process.host.as_deref()))?;
                writeln!(
                    w,
                    "pid:         {}",
                    m.process.pid.map_or("-".into(), |p| p.to_string())
                )?;
                writeln!(w, "command:     {}", m.command.join(" "))?;
                writeln!(w, "runlayout:   {}", m.runlayout)?;
                if let Some(git) = &m.git {
                    let dirty = if git.dirty { " (dirty)" } else { "" };
                    let branch = git.branch.as_deref().unwrap_or("detached");
                    writeln!(w, "git:         {} on {branch}{dirty}", git.commit)?;
                }
            }
            None => writeln!(w, "manifest:    none")?,
        }
        writeln!(w, "ancestor:    {}", or_dash(ancestor_name.as_deref()))?;
        if descendant_names.is_empty() {
            writeln!(w, "descendants: -")?;
        }
        for (i, d) in descendant_names.iter().enumerate() {
            let label = if i == 0 { "descendants:" } else { "" };
            writeln!(w, "{label:<12} {d}")?;
        }
        facts.write(w)?;
        if !entries.is_empty() {
            writeln!(w, "entries:")?;
            let rows: Vec<Vec<String>> = entries.iter().map(EntryView::row).collect();
            let mut table = Vec::new();
            crate::table::write(&mut table, &["NAME", "KIND", "PATH", "ON DISK"], &rows)?;
            for line in String::from_utf8_lossy(&table).lines() {
                writeln!(w, "  {line}")?;
            }
        }
        if foreign.count > 0 {
            writeln!(w, "foreign:     {}", foreign_line(run.path(), &foreign))?;
        }
        for (i, p) in problems.iter().enumerate() {
            let label = if i == 0 { "problems:" } else { "" };
            writeln!(w, "{label:<12} {p}")?;
        }
        Ok(())
    })?;
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ProblemsReported(problems.len()).into())
    }
}

/// What the run records of itself besides its manifest: parameters,
/// summary, tags, note and restarts. What cannot be read is a problem.
struct Recorded {
    params: Option<Map<String, Value>>,
    summary: Map<String, Value>,
    tags: Vec<String>,
    note: Option<String>,
    restarts: Vec<Restart>,
}

impl Recorded {
    fn of(found: &FoundRun, problems: &mut Vec<String>) -> Recorded {
        let run = &found.run;
        let mut problem = |e: runlayout::Error| {
            let e = e.to_string();
            if !problems.contains(&e) {
                problems.push(e);
            }
        };
        Recorded {
            params: found.manifest.as_ref().and_then(|m| m.params.clone()),
            summary: run.summary().read().unwrap_or_else(|e| {
                problem(e);
                Map::new()
            }),
            tags: run.tags().unwrap_or_else(|e| {
                problem(e);
                Vec::new()
            }),
            note: run.note().unwrap_or_else(|e| {
                problem(e);
                None
            }),
            restarts: run.restarts().unwrap_or_else(|e| {
                problem(e);
                Vec::new()
            }),
        }
    }

    fn write(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let pairs = |object: &Map<String, Value>| -> String {
            let flat = diff::flatten(object);
            if flat.is_empty() {
                return "-".to_owned();
            }
            flat.iter()
                .map(|(k, v)| format!("{k}={}", query::text(v)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let params = self.params.as_ref().map_or("-".to_owned(), pairs);
        writeln!(w, "params:      {params}")?;
        writeln!(w, "summary:     {}", pairs(&self.summary))?;
        let tags = if self.tags.is_empty() {
            "-".to_owned()
        } else {
            self.tags.join(" ")
        };
        writeln!(w, "tags:        {tags}")?;
        writeln!(w, "note:        {}", self.note.as_deref().unwrap_or("-"))?;
        if self.restarts.is_empty() {
            writeln!(w, "restarts:    -")?;
        }
        for (i, restart) in self.restarts.iter().enumerate() {
            let label = if i == 0 { "restarts:" } else { "" };
            let launcher = restart.launcher.as_ref().map_or(String::new(), |l| {
                let count = l
                    .restart_count
                    .map_or(String::new(), |n| format!(", restart {n}"));
                match &l.job {
                    Some(job) => format!(" ({} {job}{count})", l.kind),
                    None if l.kind != "none" => format!(" ({}{count})", l.kind),
                    None => String::new(),
                }
            });
            writeln!(
                w,
                "{label:<12} {} {} on {} pid {}{launcher}: {}",
                times::local(times::parse(&restart.at)),
                restart.by,
                restart.process.host.as_deref().unwrap_or("?"),
                restart.process.pid.map_or("?".into(), |p| p.to_string()),
                restart.command.join(" "),
            )?;
            if let Some(given) = &restart.params {
                let recorded = self.params.clone().unwrap_or_default();
                let changed = diff::changed(&recorded, given);
                let text: Vec<String> = changed
                    .iter()
                    .map(|(k, a, b)| format!("{k} {} -> {}", shown(a), shown(b)))
                    .collect();
                writeln!(w, "{:<12}   other params: {}", "", text.join(", "))?;
            }
        }
        Ok(())
    }
}

/// A value for a line of text; `-` for none.
fn shown(value: &Option<Value>) -> String {
    value.as_ref().map_or("-".to_owned(), query::text)
}

/// One recorded entry, as found on disk.
struct EntryView {
    entry: runlayout::record::RecordedEntry,
    place: Place,
}

enum Place {
    /// A fixed path: whether something is there, and a file's size.
    Fixed { exists: bool, bytes: Option<u64> },
    /// A family: how many members, and the greatest.
    Family {
        members: usize,
        last: Option<PathBuf>,
    },
}

impl EntryView {
    fn json(&self) -> Value {
        let e = &self.entry;
        let mut value = serde_json::json!({
            "name": e.name,
            "path": e.path,
            "kind": format!("{:?}", e.kind).to_lowercase(),
        });
        match &self.place {
            Place::Fixed { exists, bytes } => {
                value["exists"] = (*exists).into();
                value["bytes"] = (*bytes).into();
            }
            Place::Family { members, last } => {
                value["members"] = (*members).into();
                value["last"] = last.as_deref().map_or(Value::Null, paths::json);
            }
        }
        value
    }

    fn row(&self) -> Vec<String> {
        let e = &self.entry;
        let on_disk = match &self.place {
            Place::Fixed { exists: false, .. } => "-".to_owned(),
            Place::Fixed { bytes: Some(n), .. } => format!("{n} B"),
            Place::Fixed { .. } => "yes".to_owned(),
            Place::Family { members, last } => {
                let last = last
                    .as_deref()
                    .and_then(Path::file_name)
                    .map_or(String::new(), |n| format!(", last {}", n.to_string_lossy()));
                format!(
                    "{members} member{}{last}",
                    if *members == 1 { "" } else { "s" }
                )
            }
        };
        vec![
            e.name.clone(),
            format!("{:?}", e.kind).to_lowercase(),
            e.path.clone(),
            on_disk,
        ]
    }
}

/// The entries the run's layout record holds, looked up on disk.
fn recorded_entries(run: &runlayout::Run, problems: &mut Vec<String>) -> Vec<EntryView> {
    let record = match run.layout_record() {
        Ok(Some(record)) => record,
        Ok(None) => return Vec::new(),
        Err(e) => {
            problems.push(e.to_string());
            return Vec::new();
        }
    };
    record
        .entries()
        .map(|entry| {
            let place = if entry.path.contains('{') {
                match runlayout::__cli::survey(run.path(), &entry.path, entry.kind) {
                    Ok(found) => Place::Family {
                        members: found.members,
                        last: found.last,
                    },
                    Err(e) => {
                        problems.push(e.to_string());
                        Place::Family {
                            members: 0,
                            last: None,
                        }
                    }
                }
            } else {
                let meta = std::fs::symlink_metadata(run.path().join(&entry.path)).ok();
                Place::Fixed {
                    exists: meta.is_some(),
                    bytes: meta.filter(|m| m.is_file()).map(|m| m.len()),
                }
            };
            EntryView {
                entry: entry.clone(),
                place,
            }
        })
        .collect()
}

/// What stands in the run's family folders and is neither a member nor
/// runlayout's own temporary (a killed saver's `.tmpXXXXXX`, a checkpoint
/// named by hand), by the entries the run's layout record holds.
fn foreign_files(
    run: &runlayout::Run,
    entries: &[EntryView],
    problems: &mut Vec<String>,
) -> runlayout::__cli::Foreign {
    let recorded: Vec<(&str, runlayout::layout::EntryKind)> = entries
        .iter()
        .map(|e| (e.entry.path.as_str(), e.entry.kind))
        .collect();
    runlayout::__cli::foreign(run.path(), &recorded).unwrap_or_else(|e| {
        problems.push(e.to_string());
        runlayout::__cli::Foreign::default()
    })
}

/// `3 foreign files in family folders: checkpoints/.tmpX4b9Qz, ...`, the
/// examples relative to the run.
fn foreign_line(run: &Path, foreign: &runlayout::__cli::Foreign) -> String {
    let names: Vec<String> = foreign
        .examples
        .iter()
        .map(|p| p.strip_prefix(run).unwrap_or(p).display().to_string())
        .collect();
    let more = foreign.count - foreign.examples.len();
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!(
        "{} foreign file{} in family folders: {}{more}",
        foreign.count,
        if foreign.count == 1 { "" } else { "s" },
        names.join(", ")
    )
}
