//! Float placeholders' own mistakes: no precision, too many decimals, a
//! precision not written plainly, a float that starts a name (a negative
//! value would start it with `-`), and one that completes a device name.

use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(none = "loss={x:.}.ckpt", many = "loss={x:.99}.ckpt", padded = "loss={x:.04}")]
#[layout(first = "top/{val_loss:.4}.ckpt", device = "ports/com{x:.0}.log")]
struct Paths {
    root: PathBuf,
}

fn main() {}
