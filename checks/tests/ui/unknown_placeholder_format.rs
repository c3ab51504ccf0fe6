use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(a = "epoch_{epoch:x}", b = "epoch_{epoch:i32}")]
struct Paths {
    root: PathBuf,
}

fn main() {}
