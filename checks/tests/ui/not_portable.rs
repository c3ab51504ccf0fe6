use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(a = "time:12", b = "trailing.", c = "nul", d = "aux.txt")]
#[layout(e = "ports/com{port:u8}.log")]
struct Paths {
    root: PathBuf,
}

fn main() {}
