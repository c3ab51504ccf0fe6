use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(ckpt = "checkpoints")]
struct Paths(PathBuf);

fn main() {}
