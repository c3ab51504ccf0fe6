use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(a = "epoch_{epoch", b = "epoch}", c = "epoch_{}")]
struct Paths {
    root: PathBuf,
}

fn main() {}
