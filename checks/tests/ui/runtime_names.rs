use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(anc = "ancestor", desc = "descendants/list.txt", manifest = "run.json")]
#[layout(status = "run.status.json", layouts = "run.layout.json")]
#[layout(summary = "run.summary.json", restarts = "run.restarts.jsonl", lock = "run.lock")]
struct Paths {
    root: PathBuf,
}

fn main() {}
