//! `runlayout path <RUN> <ENTRY> [VALUE...]`: where an entry of the layout a
//! program recorded in the run is, with its placeholders filled in by the
//! same rules the accessor applies.

use std::path::Path;

use runlayout_grammar::template::Template;
use serde_json::json;

use super::CliResult;
use crate::output::Output;
use crate::{paths, resolve};

pub fn path(
    root: &Path,
    spec: &str,
    entry: &str,
    values: &[String],
    out: &mut Output,
) -> CliResult<()> {
    let found = resolve::find(root, spec)?;
    let run = &found.run;
    let Some(record) = run.layout_record()? else {
        return Err(format!(
            "run `{}` has no recorded layout (`{}`): a program records it when it calls \
             create_all() or record() on a layout rooted at the run",
            resolve::name(&found),
            run.path().join(runlayout::names::LAYOUT_RECORD).display()
        )
        .into());
    };
    let matches = record.find(entry);
    let (layout, chosen) = match matches.as_slice() {
        [(layout, chosen)] => (*layout, *chosen),
        [] => {
            let known: Vec<&str> = record.entries().map(|e| e.name.as_str()).collect();
            return Err(format!(
                "run `{}` records no entry `{entry}`; it records {}",
                resolve::name(&found),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            )
            .into());
        }
        several => {
            let which: Vec<String> = several
                .iter()
                .map(|(layout, e)| format!("`{}` in {layout}", e.path))
                .collect();
            return Err(format!("entry `{entry}` is recorded twice: {}", which.join(", ")).into());
        }
    };
    // A nested layout's entry is rendered as its own accessor renders it:
    // below the (static) mount, from the nested layout's root.
    let (mount, inner) = record.split_mount(layout, chosen);
    let template = Template::parse(inner).map_err(|problems| {
        format!(
            "the recorded path `{}` of `{entry}` is no template: {}",
            chosen.path,
            problems.join("; ")
        )
    })?;
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    let parts = template
        .render(&values)
        .map_err(|e| format!("{entry}: {e}"))?;
    let mut full = run.path().to_path_buf();
    for part in mount
        .split('/')
        .filter(|p| !p.is_empty())
        .chain(parts.iter().map(String::as_str))
    {
        full.push(part);
    }
    let kind = format!("{:?}", chosen.kind).to_lowercase();
    out.emit(
        json!({ "path": paths::json(&full), "entry": entry, "kind": kind, "template": chosen.path }),
        |w| writeln!(w, "{}", crate::bucket::shown(&full).display()),
    )?;
    Ok(())
}
