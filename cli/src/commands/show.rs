//! `runlayout show <RUN>`: a run's manifest, ancestor and descendants.

use std::path::Path;

use serde_json::Value;

use super::{CliResult, or_dash, run_json};
use crate::output::Output;
use crate::{paths, resolve};

pub fn show(root: &Path, spec: &str, out: &mut Output) -> CliResult<()> {
    let found = resolve::find(root, spec)?;
    let run = &found.run;
    let ancestor = run.ancestor()?;
    let descendants = run.descendants()?;
    let mut value = run_json(&found);
    value["ancestor_path"] = ancestor.as_deref().map_or(Value::Null, paths::json);
    value["descendants"] = descendants.iter().map(paths::json).collect();
    out.emit(value, |w| {
        let manifest = found.manifest.as_ref();
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        writeln!(w, "id:          {}", run.id())?;
        writeln!(w, "stage:       {}", or_dash(run.stage()))?;
        writeln!(w, "debug:       {}", yes_no(run.is_debug()))?;
        writeln!(w, "path:        {}", run.path().display())?;
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
        Ok(())
    })?;
    Ok(())
}
