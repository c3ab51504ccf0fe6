use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(log = "log.txt", rotated = "log.txt/1")]
struct Paths {
    root: PathBuf,
}

fn main() {}
