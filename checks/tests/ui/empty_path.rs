use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(nothing = "")]
struct Paths {
    root: PathBuf,
}

fn main() {}
