//! A crate that depends on runlayout under another name: generated code must
//! reach it through `#[layout(crate = "rl")]`, since `::runlayout` does not
//! resolve here.

#![deny(warnings)]

use std::path::PathBuf;

#[derive(rl::Layout)]
#[layout(crate = "rl")]
#[layout(
    checkpoint = "checkpoints",
    epoch = "checkpoints/{epoch:04}.ckpt",
    eval = "eval/{split}"
)]
pub struct Paths {
    pub root: PathBuf,
}

#[derive(rl::Layout)]
#[layout(crate = "::rl", plots = "plots/")]
pub struct Tracker {
    pub dir: rl::DirPath,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rl::Layout as _;

    #[test]
    fn a_renamed_crate_is_reached_through_the_crate_option() -> rl::Result<()> {
        let paths = Paths {
            root: PathBuf::from("r"),
        };
        assert_eq!(paths.checkpoint(), std::path::Path::new("r/checkpoints"));
        assert_eq!(
            paths.epoch(3),
            std::path::Path::new("r/checkpoints/0003.ckpt")
        );
        assert_eq!(paths.eval("val")?, std::path::Path::new("r/eval/val"));
        assert_eq!(Paths::ENTRIES.len(), 3);
        let tracker = Tracker {
            dir: rl::DirPath::new("t"),
        };
        assert_eq!(tracker.plots(), std::path::Path::new("t/plots"));
        Ok(())
    }
}
