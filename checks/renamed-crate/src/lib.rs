//! A crate that depends on runlayout under another name: generated code must
//! reach it through `#[layout(crate = "rl")]`, since `::runlayout` does not
//! resolve here.

#![deny(warnings)]
#![forbid(unsafe_code)]

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
#[layout(crate = "::rl", plots = "plots/", plot = "plots/{step:u32}.png")]
pub struct Tracker {
    pub dir: rl::DirPath,
}

/// A nested layout: its entries are checked against the parent's through
/// the renamed crate too.
#[derive(rl::Layout)]
#[layout(crate = "rl", tracker = nest("tracker", Tracker), log = "log.txt")]
pub struct Nesting {
    pub root: PathBuf,
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
        let epochs: rl::Family<u64, rl::FilePath> = paths.epoch_family();
        assert_eq!(epochs.template(), "checkpoints/{epoch:04}.ckpt");
        let splits: rl::Family<String, rl::DirPath> = paths.eval_family();
        assert!(splits.list()?.is_empty());
        let nesting = Nesting {
            root: PathBuf::from("n"),
        };
        let plots: rl::Family<u32, rl::FilePath> = nesting.tracker().plot_family();
        assert_eq!(plots.root(), std::path::Path::new("n/tracker"));
        Ok(())
    }
}
