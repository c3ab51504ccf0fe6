//! Floats whose names cannot be read back into their values: two floats
//! that touch, a float beside a digit, and a float after text ending with
//! `-` (`a--0.50`: `a` and -0.5, or `a-` and 0.5?).

use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(touching = "top/x{a:.2}{b:.2}.pt", digit = "top/e{epoch:u32}1{loss:.4}")]
#[layout(dash = "eval/{split}-{loss:.2}.json")]
struct Paths {
    root: PathBuf,
}

fn main() {}
