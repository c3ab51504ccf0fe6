//! `runlayout show <RUN>`: a run's manifest, ancestor and descendants, and
//! every problem with them. What can be read is shown; what cannot is listed
//! as a problem, and then the command ends with status 1.

use std::path::Path;

use serde_json::Value;

use super::{CliResult, ProblemsReported, Standing, or_dash, run_json};
use crate::output::Output;
use crate::{paths, resolve};

pub fn show(root: &Path, spec: &str, out: &mut Output) -> CliResult<()> {
    let (found, scanned) = resolve::find_with_problems(root, spec)?;
    let run = &found.run;
    let mut problems: Vec<String> = scanned.iter().map(ToString::to_string).collect();
    let ancestor = run.ancestor().unwrap_or_else(|e| {
        problems.push(e.to_string());
        None
    });
    let descendants = run.descendants().unwrap_or_else(|e| {
        problems.push(e.to_string());
        Vec::new()
    });
    let standing = Standing::of(&found, &mut problems);
    let mut value = run_json(&found, ancestor.as_deref(), &standing);
    value["descendants"] = descendants.iter().map(paths::json).collect();
    value["problems"] = problems.iter().map(|p| Value::from(p.as_str())).collect();
    out.emit(value, |w| {
        let manifest = found.manifest.as_ref();
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        writeln!(w, "id:          {}", run.id())?;
        writeln!(w, "stage:       {}", or_dash(run.stage()))?;
        writeln!(w, "debug:       {}", yes_no(run.is_debug()))?;
        writeln!(w, "path:        {}", run.path().display())?;
        let status = standing.status.map_or("?".into(), |s| s.to_string());
        writeln!(w, "status:      {status}")?;
        if let Some(ended) = &standing.ended {
            writeln!(w, "ended:       {}", ended.at)?;
            if let Some(reason) = &ended.reason {
                writeln!(w, "reason:      {reason}")?;
            }
        }
        writeln!(w, "duration:    {}", standing.duration(&found))?;
        match manifest {
            Some(m) => {
                writeln!(w, "created:     {}", m.created)?;
                writeln!(w, "host:        {}", or_dash(m.host.as_deref()))?;
                writeln!(
                    w,
                    "pid:         {}",
                    m.pid.map_or("-".into(), |p| p.to_string())
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
        match &ancestor {
            Some(a) => writeln!(w, "ancestor:    {}", a.display())?,
            None => writeln!(w, "ancestor:    -")?,
        }
        if descendants.is_empty() {
            writeln!(w, "descendants: -")?;
        }
        for (i, d) in descendants.iter().enumerate() {
            let label = if i == 0 { "descendants:" } else { "" };
            writeln!(w, "{label:<12} {}", d.display())?;
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
