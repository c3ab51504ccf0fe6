use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(a = file("notes/"))]
struct Paths {
    root: PathBuf,
}

fn main() {}
