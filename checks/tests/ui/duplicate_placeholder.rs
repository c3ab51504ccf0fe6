use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(a = "{split}/{split}.png")]
struct Paths {
    root: PathBuf,
}

fn main() {}
