use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(a::b = "x")]
struct Paths {
    root: PathBuf,
}

fn main() {}
