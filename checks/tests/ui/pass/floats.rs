//! Floats and the one naming rule: Lightning's `key=value` names, a float
//! beside any neighbour that reads back (`.`, `-` after it, `_`, `=`), and
//! `+` in fixed text and values. The accessors return `runlayout::Result`.

use std::path::{Path, PathBuf};

use runlayout::{FilePath, Layout};

#[derive(Layout)]
#[layout(ckpt = "checkpoints/epoch={epoch:u32}-val_loss={val_loss:.4}.ckpt")]
#[layout(pair = "pairs/a={a:.2}-b={b:.0}+{tag}.json", whole = "w{w:.0}/")]
struct Paths {
    root: PathBuf,
}

fn main() -> runlayout::Result<()> {
    let paths = Paths {
        root: PathBuf::from("r"),
    };
    let ckpt: FilePath = paths.ckpt(3, 0.41549)?;
    assert_eq!(
        ckpt,
        Path::new("r/checkpoints/epoch=3-val_loss=0.4155.ckpt")
    );
    assert_eq!(
        paths.pair(-1.0, 2.5, "x+y")?,
        Path::new("r/pairs/a=-1.00-b=2+x+y.json")
    );
    assert!(paths.whole(f64::INFINITY).is_err());
    Ok(())
}
