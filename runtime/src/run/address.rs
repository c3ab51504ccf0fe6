//! Where a run sits below its output root, both ways: from an [`Address`]
//! to its folders (the run's own, its run id folder, the folder of runs
//! that holds its stage's `latest` pointer), and from a place below the
//! root (a scan's folders, a pointer's target) back to an `Address`.
//!
//! | nesting | run folder | `latest` pointer | what it holds |
//! | --- | --- | --- | --- |
//! | stage first, or no stage | `root/[debug/][<stage>/]<id>` | `root/[debug/][<stage>/]latest` | `<id>` |
//! | run first, with a stage | `root/[debug/]<id>/<stage>` | `root/[debug/]latest+<stage>` | `<id>/<stage>` |
//!
//! In run-first order the id folders of all stages share one folder, so
//! each stage has its own pointer there; `+` is never part of a run id, so
//! the pointer can never take a run's name.

use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

use runlayout_grammar::names::{DEBUG_DIR, LATEST};

use crate::run::id::RunId;
use crate::run::nesting::Nesting;

/// Where a run sits below its output root: everything its folder's path is
/// made of. A run's path is always derived from it, never stored apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Address {
    pub(crate) debug: bool,
    pub(crate) nesting: Nesting,
    pub(crate) stage: Option<String>,
    pub(crate) id: RunId,
}

/// The runs of one stage below a root, placed alike (debug or not, in one
/// nesting): they share the folder that holds their run id folders, and
/// one `latest` pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Group<'a> {
    pub(crate) debug: bool,
    pub(crate) nesting: Nesting,
    pub(crate) stage: Option<&'a str>,
}

/// The folders one run involves, all below the root.
#[derive(Debug)]
pub(crate) struct Place {
    /// The folder named by the run id; the one a generated id must make anew.
    pub(crate) id_dir: PathBuf,
    /// The run's own folder: `id_dir`, or the stage folder inside it.
    pub(crate) run: PathBuf,
}

impl Place {
    /// Whether the run id folder is a folder of its own above the run's
    /// (run first, with a stage), which other stages of the id may share.
    pub(crate) fn has_own_id_folder(&self) -> bool {
        self.id_dir != self.run
    }
}

impl Group<'_> {
    /// The folder that holds the group's run id folders (and its `latest`
    /// pointer).
    pub(crate) fn folder(&self, root: &Path) -> PathBuf {
        // Room for what callers add (a run id, a pointer's name, a file of
        // the run), so that pushing them reallocates nothing.
        let stage = self.stage.map_or(0, str::len);
        let mut folder = PathBuf::with_capacity(root.as_os_str().len() + stage + 96);
        folder.push(root);
        if self.debug {
            folder.push(DEBUG_DIR);
        }
        if let (Nesting::StageFirst, Some(stage)) = (self.nesting, self.stage) {
            folder.push(stage);
        }
        folder
    }

    /// Where the group's `latest` pointer is.
    pub(crate) fn pointer(&self, root: &Path) -> PathBuf {
        let mut folder = self.folder(root);
        match (self.nesting, self.stage) {
            (Nesting::RunFirst, Some(stage)) => folder.push(format!("{LATEST}+{stage}")),
            _ => folder.push(LATEST),
        }
        folder
    }

    /// The run of the group whose id is `id`.
    pub(crate) fn address(&self, id: RunId) -> Address {
        Address {
            debug: self.debug,
            nesting: self.nesting,
            stage: self.stage.map(str::to_owned),
            id,
        }
    }

    /// The run of the group a pointer's `target` (relative to the pointer's
    /// folder) names; `None` if it names no run of the group.
    pub(crate) fn address_of_target(&self, target: &Path) -> Option<Address> {
        let mut parts: Vec<&str> = Vec::new();
        if let (Nesting::StageFirst, Some(stage)) = (self.nesting, self.stage) {
            parts.push(stage);
        }
        for part in target.components() {
            match part {
                Component::Normal(part) => parts.push(part.to_str()?),
                _ => return None,
            }
        }
        let address = Address::at(&parts, self.debug, self.nesting)?;
        (address.stage.as_deref() == self.stage).then_some(address)
    }
}

impl Address {
    /// The group the run belongs to.
    pub(crate) fn group(&self) -> Group<'_> {
        Group {
            debug: self.debug,
            nesting: self.nesting,
            stage: self.stage.as_deref(),
        }
    }

    /// The folders of the run below `root`.
    pub(crate) fn place(&self, root: &Path) -> Place {
        let mut id_dir = self.group().folder(root);
        id_dir.push(self.id.as_str());
        let run = match (self.nesting, &self.stage) {
            (Nesting::RunFirst, Some(stage)) => id_dir.join(stage),
            _ => id_dir.clone(),
        };
        Place { id_dir, run }
    }

    /// The run's folder below `root`.
    pub(crate) fn folder(&self, root: &Path) -> PathBuf {
        self.place(root).run
    }

    /// What the group's `latest` pointer holds when it names this run: the
    /// run's folder relative to the pointer's.
    pub(crate) fn pointer_target(&self) -> PathBuf {
        let mut target = PathBuf::from(self.id.as_str());
        if let (Nesting::RunFirst, Some(stage)) = (self.nesting, &self.stage) {
            target.push(stage);
        }
        target
    }

    /// What a folder at `parts` below the root (or below its `debug/`
    /// folder, for `debug`) is, for runs placed in `nesting` order: one
    /// part is a run without a stage, two are a stage and a run id in the
    /// nesting's order. `None` where no run can be (a part that is no valid
    /// run id where the id goes). The stage is not checked: a place names
    /// it as it is.
    pub(crate) fn at(parts: &[&str], debug: bool, nesting: Nesting) -> Option<Address> {
        let (id, stage) = match (nesting, parts) {
            (_, [id]) => (*id, None),
            (Nesting::StageFirst, [stage, id]) | (Nesting::RunFirst, [id, stage]) => {
                (*id, Some((*stage).to_owned()))
            }
            _ => return None,
        };
        Some(Address {
            debug,
            nesting,
            stage,
            id: RunId::new(id).ok()?,
        })
    }
}

/// Whether `name`, next to run id folders, is a `latest` pointer.
pub(crate) fn is_pointer_name(name: &OsStr) -> bool {
    let name = name.as_encoded_bytes();
    name.eq_ignore_ascii_case(LATEST.as_bytes())
        || (name.len() > LATEST.len() + 1
            && name[..LATEST.len()].eq_ignore_ascii_case(LATEST.as_bytes())
            && name[LATEST.len()] == b'+')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(debug: bool, nesting: Nesting, stage: Option<&str>, id: &str) -> Address {
        let group = Group {
            debug,
            nesting,
            stage,
        };
        group.address(RunId::new(id).expect("a valid id"))
    }

    #[test]
    fn both_orders_with_and_without_debug() {
        let r = Path::new("r");
        let a = address(false, Nesting::StageFirst, Some("s"), "i");
        let p = a.place(r);
        assert_eq!((p.id_dir, p.run), ("r/s/i".into(), "r/s/i".into()));
        assert_eq!(a.group().folder(r), Path::new("r/s"));
        let a = address(true, Nesting::RunFirst, Some("s"), "i");
        let p = a.place(r);
        assert!(p.has_own_id_folder());
        assert_eq!(
            (p.id_dir, p.run),
            ("r/debug/i".into(), "r/debug/i/s".into())
        );
        assert_eq!(a.group().folder(r), Path::new("r/debug"));
        let p = address(false, Nesting::RunFirst, None, "i").place(r);
        assert!(!p.has_own_id_folder());
        assert_eq!((p.id_dir, p.run), ("r/i".into(), "r/i".into()));
    }

    #[test]
    fn pointers_and_their_targets() {
        let r = Path::new("r");
        let run_first = address(true, Nesting::RunFirst, Some("s"), "i");
        assert_eq!(run_first.group().pointer(r), Path::new("r/debug/latest+s"));
        assert_eq!(run_first.pointer_target(), Path::new("i/s"));
        let stage_first = address(false, Nesting::StageFirst, Some("s"), "i");
        assert_eq!(stage_first.group().pointer(r), Path::new("r/s/latest"));
        assert_eq!(stage_first.pointer_target(), Path::new("i"));
        for a in [run_first, stage_first] {
            let back = a.group().address_of_target(&a.pointer_target());
            assert_eq!(back, Some(a.clone()));
            // No run id, a run of another stage, a place out of the folder.
            assert_eq!(a.group().address_of_target(Path::new("debug")), None);
            assert_eq!(a.group().address_of_target(Path::new("i/t")), None);
            assert_eq!(a.group().address_of_target(Path::new("../i")), None);
        }
    }

    #[test]
    fn places_read_back() {
        let at = |parts: &[&str], nesting| Address::at(parts, false, nesting);
        let run_first = at(&["i", "s"], Nesting::RunFirst).expect("a run");
        assert_eq!(
            (run_first.id.as_str(), run_first.stage.as_deref()),
            ("i", Some("s"))
        );
        let stage_first = at(&["s", "i"], Nesting::StageFirst).expect("a run");
        assert_eq!(
            (stage_first.id.as_str(), stage_first.stage.as_deref()),
            ("i", Some("s"))
        );
        assert_eq!(at(&["i"], Nesting::RunFirst).map(|a| a.stage), Some(None));
        assert_eq!(at(&["a", "b", "c"], Nesting::StageFirst), None);
        assert_eq!(at(&["s", ".."], Nesting::StageFirst), None);
    }

    #[test]
    fn pointer_names() {
        assert!(is_pointer_name(OsStr::new("latest")));
        assert!(is_pointer_name(OsStr::new("latest+eval")));
        assert!(!is_pointer_name(OsStr::new("latest+")));
        assert!(!is_pointer_name(OsStr::new("latest-eval")));
    }
}
