use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(file = "f.txt")]
struct Inner {
    dir: runlayout::DirPath,
}

#[derive(Layout)]
#[layout(per_seed = nest("seeds/{seed}", Inner))]
struct Paths {
    root: PathBuf,
}

fn main() {}
