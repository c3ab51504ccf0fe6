//! `runlayout tag <RUN> +TAG -TAG` and `runlayout note <RUN> [TEXT]`: how
//! people mark a run, kept in its summary record.

use std::path::Path;

use serde_json::json;

use super::CliResult;
use crate::output::Output;
use crate::resolve;

/// Adds the tags written `+TAG` and removes those written `-TAG`, in the
/// order given, then prints the run's tags. Every change is checked before
/// the first is made: a bad one changes nothing.
pub fn tag(root: &Path, spec: &str, changes: &[String], out: &mut Output) -> CliResult<()> {
    let found = resolve::find(root, spec)?;
    let mut planned = Vec::with_capacity(changes.len());
    for change in changes {
        let (add, tag) = if let Some(tag) = change.strip_prefix('+') {
            (true, tag)
        } else if let Some(tag) = change.strip_prefix('-') {
            (false, tag)
        } else {
            return Err(format!(
                "`{change}`: write +{change} to add the tag or -{change} to remove it"
            )
            .into());
        };
        runlayout_grammar::names::check_component(tag)
            .map_err(|rule| format!("tag {tag:?} is invalid: {rule}"))?;
        planned.push((add, tag));
    }
    for (add, tag) in planned {
        if add {
            found.run.add_tag(tag)?;
        } else {
            found.run.remove_tag(tag)?;
        }
    }
    let tags = found.run.tags()?;
    out.emit(json!({ "run": resolve::name(&found), "tags": tags }), |w| {
        writeln!(
            w,
            "{}",
            if tags.is_empty() {
                "-".to_owned()
            } else {
                tags.join(" ")
            }
        )
    })?;
    Ok(())
}

/// Prints the run's note, or replaces it with `text` (an empty one removes
/// it).
pub fn note(root: &Path, spec: &str, text: Option<&str>, out: &mut Output) -> CliResult<()> {
    let found = resolve::find(root, spec)?;
    if let Some(text) = text {
        found.run.set_note(text)?;
    }
    let note = found.run.note()?;
    out.emit(
        json!({ "run": resolve::name(&found), "note": note }),
        |w| match &note {
            Some(note) => writeln!(w, "{note}"),
            None => Ok(()),
        },
    )?;
    Ok(())
}
