use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(root)]
struct Paths {
    root: PathBuf,
}

fn main() {}
