//! `runlayout show <RUN>`: a run's manifest, ancestor and descendants.

use std::path::Path;

use serde_json::Value;

use super::{CliResult, Output, or_dash, run_json};
use crate::resolve;

pub fn show(root: &Path, spec: &str, out: Output) -> CliResult<()> {
    let found = resolve::find(root, spec)?;
    let run = &found.run;
    let ancestor = run.ancestor()?;
    let descendants = run.descendants()?;
    let mut value = run_json(&found);
    value["ancestor_path"] = serde_json::json!(ancestor);
    value["descendants"] = Value::from(
        descendants
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>(),
    );
    out.emit(value, || {
        let manifest = found.manifest.as_ref();
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        println!("id:          {}", run.id());
        println!("stage:       {}", or_dash(run.stage()));
        println!("debug:       {}", yes_no(run.is_debug()));
        println!("path:        {}", run.path().display());
        match manifest {
            Some(m) => {
                println!("created:     {}", m.created);
                println!("host:        {}", or_dash(m.host.as_deref()));
                println!(
                    "pid:         {}",
                    m.pid.map_or("-".into(), |p| p.to_string())
                );
                println!("command:     {}", m.command.join(" "));
                println!("runlayout:   {}", m.runlayout);
            }
            None => println!("manifest:    none"),
        }
        match &ancestor {
            Some(a) => println!("ancestor:    {}", a.display()),
            None => println!("ancestor:    -"),
        }
        if descendants.is_empty() {
            println!("descendants: -");
        }
        for (i, d) in descendants.iter().enumerate() {
            let label = if i == 0 { "descendants:" } else { "" };
            println!("{label:<12} {}", d.display());
        }
    })
}
