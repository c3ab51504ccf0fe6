use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(ckpt = "checkpoints//last")]
struct Paths {
    root: PathBuf,
}

fn main() {}
