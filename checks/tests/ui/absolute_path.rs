use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(logs = "/var/log/run")]
struct Paths {
    root: PathBuf,
}

fn main() {}
