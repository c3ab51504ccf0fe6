//! [`Family::link_last`]: a link that always names the newest member,
//! Lightning's `save_last` (`last.ckpt`), replaced atomically.

use crate::error::{Error, Result};
use crate::io::fs;
use crate::io::pointer::{self, LinkStyle};
use crate::io::relpath;
use crate::layout::entry::EntryKind;
use crate::layout::family::Family;
use crate::layout::family::key::{FamilyKey, FamilyMember};
use crate::layout::typed_path::FilePath;

impl<K: FamilyKey, P: FamilyMember> Family<K, P> {
    /// Points `at` (an ordinary entry, `last = "checkpoints/last.ckpt"`)
    /// at the newest member, the one [`last`](Family::last) gives:
    /// Lightning's `save_last`. Reading through `at` gives that member's
    /// bytes.
    ///
    /// The link is relative (`last.ckpt` → `epoch=3-val_loss=0.4155.ckpt`),
    /// so it survives moving or copying the run folder, and is replaced
    /// atomically: it is made under a temporary name beside `at`, then
    /// renamed over it, so a reader finds the old link or the new one,
    /// never no file and never half of one. Where the system refuses
    /// symlinks (Windows without the privilege, some shares), it is a
    /// runlayout pointer file instead, as the run's `latest` and
    /// `ancestor` links are ([`LinkStyle::Auto`]); reading it gives the
    /// relative path, not the member's bytes. Folders missing on the way
    /// to `at` are made. With no member, a link at `at` is removed, so it
    /// never names a checkpoint that is gone.
    ///
    /// The family never lists the link: a symlink counts as what it leads
    /// to, so a link whose name the template reads would be a member, and
    /// such an `at` is refused. Call it after the new member is written
    /// and before older ones are removed, and the link never dangles.
    ///
    /// # Errors
    ///
    /// [`Error::LinkIsMember`] when the template reads `at` as a member's
    /// name; [`Error::NotALink`] when a real file or folder stands at
    /// `at` (it is left untouched: a `last.ckpt` copied there by hand is
    /// data); [`Error::Io`] naming the path that could not be read,
    /// made or replaced; and those of [`list`](Family::list).
    ///
    /// ```
    /// use runlayout::{Family, FilePath, family::FamilyTemplate};
    ///
    /// static CKPTS: FamilyTemplate =
    ///     FamilyTemplate::new("checkpoints/epoch={epoch:u32}-val_loss={val_loss:.4}.ckpt");
    /// let run = tempfile::tempdir()?;
    /// let ckpts: Family<(u32, f64), FilePath> = Family::new(run.path(), &CKPTS);
    /// let last = FilePath::new(run.path().join("checkpoints/last.ckpt"));
    /// std::fs::create_dir(run.path().join("checkpoints"))?;
    /// for (epoch, val_loss) in [(1, 0.9), (2, 0.4155)] {
    ///     let name = format!("checkpoints/epoch={epoch}-val_loss={val_loss:.4}.ckpt");
    ///     std::fs::write(run.path().join(name), format!("weights {epoch}"))?;
    ///     ckpts.link_last(&last)?;
    /// }
    /// assert_eq!(std::fs::read_to_string(&last)?, "weights 2");
    /// assert_eq!(ckpts.list()?.len(), 2); // the link is no member
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn link_last(&self, at: &FilePath) -> Result<()> {
        let parsed = self.template.parsed::<K>()?;
        let is_member = |resolved: bool| {
            let reads = if resolved {
                parsed.reads_resolved(&self.root, at.as_path())
            } else {
                parsed.reads(&self.root, at.as_path())
            };
            if reads {
                return Err(Error::LinkIsMember {
                    path: at.as_path().to_path_buf(),
                    template: self.template.as_str().to_owned(),
                });
            }
            Ok(())
        };
        // As spelled, before anything is made; then resolved, once `at`'s
        // folder exists.
        is_member(false)?;
        let Some((_, newest)) = self.last()? else {
            is_member(true)?;
            if pointer::read(at.as_path())?.is_some() {
                fs::remove_file(at.as_path())?;
            }
            return Ok(());
        };
        at.create_parent()?;
        is_member(true)?;
        let target = target_from(at, newest.path())?;
        match P::KIND {
            EntryKind::File => pointer::write_to_file(at.as_path(), &target, LinkStyle::Auto),
            EntryKind::Dir => pointer::write(at.as_path(), &target, LinkStyle::Auto),
        }
    }
}

/// The relative path from `at`'s folder to `member`, both resolved first,
/// so that a linked folder on the way (`checkpoints/` on a scratch disk)
/// is counted as the kernel follows it.
fn target_from(at: &FilePath, member: &std::path::Path) -> Result<std::path::PathBuf> {
    let from = fs::canonicalize(at.parent().unwrap_or(std::path::Path::new(".")))?;
    let folder = fs::canonicalize(member.parent().unwrap_or(std::path::Path::new(".")))?;
    let name = member.file_name().unwrap_or_default();
    Ok(relpath::relative(&from, &folder.join(name)))
}
