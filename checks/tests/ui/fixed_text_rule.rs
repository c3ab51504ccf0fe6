//! Fixed text follows the naming rule a placeholder's value follows: the
//! same characters (`=` and `+` among them, a space or `é` not), and a name
//! made from values starts with a letter or a digit, and is no device name
//! whatever the values.

use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(space = "my notes/{n:u32}.md", accent = "résumé.md", ok = "k=v+1/{s}.txt")]
#[layout(hidden = "cache/.{key}", underscore = "x/_{n:u32}", equals = "x/={s}")]
#[layout(device = "logs/nul.{ext}")]
struct Paths {
    root: PathBuf,
}

fn main() {}
