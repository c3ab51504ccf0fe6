use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(root = "root", create_all = "all", from_root = "from")]
struct Paths {
    root: PathBuf,
}

fn main() {}
