use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(type = "kind.txt")]
struct Paths {
    root: PathBuf,
}

fn main() {}
