use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(file = "f.txt")]
struct Inner {
    run: runlayout::Run,
}

#[derive(Layout)]
#[layout(inner = nest("inner", Inner))]
struct Paths {
    root: PathBuf,
}

fn main() {}
