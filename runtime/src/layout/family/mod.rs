//! Families: the files (or folders) of one parameterized entry that exist
//! on disk, found by reading names back through the entry's template.
//!
//! `#[derive(Layout)]` gives every entry with a placeholder a
//! `<name>_family()` accessor returning a [`Family`]; the family of
//! `checkpoints/epoch_{epoch:04}.ckpt` lists, resumes from and prunes the
//! epochs there are. A name is a member only if it round-trips: the values
//! read from it render to exactly that name, and the accessor would accept
//! them (see `runlayout_grammar::template::Template::read`).
//!
//! Removal (`keep_last`, `retain`) stays inside the family's own folders:
//! it never goes through a folder below the template's fixed base that is
//! a symlink, and renames each member aside before deleting it, so that it
//! leaves listings at once and a kill leaves only a hidden temporary (see
//! [`Family`]'s "Removal").

use std::ffi::OsStr;
use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use runlayout_grammar::template::{Component, ParamKind, Reader, Segment, Template, Value};

use crate::error::{Error, Result};
use crate::io::fs;
use crate::io::temporary;
use crate::layout::entry::EntryKind;
use crate::layout::typed_path::{DirPath, FilePath};

/// The traits behind [`FamilyKey`] and [`FamilyMember`]: implemented here
/// only, so that their methods can change without breaking anyone.
mod sealed {
    use std::path::{Path, PathBuf};

    use runlayout_grammar::template::ParamKind;

    use crate::layout::entry::EntryKind;

    /// A value read from a name, owned; ordered as keys are (one template's
    /// values have the same kind at each place).
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    pub enum Raw {
        Uint(u128),
        Text(String),
    }

    /// One placeholder's value: an unsigned integer or text.
    pub trait Part: Sized {
        /// Whether a placeholder of `kind` takes values of this type.
        fn fits(kind: &ParamKind) -> bool;
        /// The type's name, for messages.
        fn describe() -> &'static str;
        /// Takes the value out of `raw`.
        fn take(raw: &mut Raw) -> Option<Self>;
        /// The value, to be rendered.
        fn raw(&self) -> Raw;
    }

    /// A whole key: one part, or a tuple of parts.
    pub trait Key: Sized {
        /// Whether the key's parts fit the placeholders `kinds`, in order.
        fn fits(kinds: &[ParamKind]) -> bool;
        /// The key's type, for messages.
        fn describe() -> String;
        /// Builds the key from one value per placeholder.
        fn take(raw: &mut [Raw]) -> Option<Self>;
        /// The key's values, in order.
        fn raw(&self, out: &mut Vec<Raw>);
    }

    /// A typed path a family member is.
    pub trait Member: Sized {
        /// What a member must be on disk.
        const KIND: EntryKind;
        fn from_path(path: PathBuf) -> Self;
        fn path(&self) -> &Path;
    }
}

use sealed::Raw;

/// What a [`Family`] is keyed by: the values of its template's placeholders.
///
/// Implemented for `u8`, `u16`, `u32`, `u64`, `u128` and `usize` (an
/// integer placeholder of that type; `{epoch:04}` takes a `u64`), `String`
/// (a text placeholder), and tuples of 2 to 12 of them, one per placeholder
/// in the order they appear. It is sealed: the derive picks the key for each
/// entry, and no other type can read names back.
///
/// ```
/// use runlayout_runtime::{Family, FamilyTemplate, FilePath};
///
/// static SAMPLES: FamilyTemplate = FamilyTemplate::new("samples/{split}/{step:u32}.png");
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("samples/val"))?;
/// std::fs::write(dir.path().join("samples/val/20.png"), b"png")?;
/// let samples: Family<(String, u32), FilePath> = Family::new(dir.path(), &SAMPLES);
/// assert_eq!(samples.list()?[0].0, ("val".to_owned(), 20));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait FamilyKey: sealed::Key + Ord {}

/// What a [`Family`]'s members are: [`FilePath`] for a file entry,
/// [`DirPath`] for a folder entry. Sealed.
///
/// ```
/// use runlayout_runtime::{DirPath, Family, FamilyTemplate};
///
/// static STEPS: FamilyTemplate = FamilyTemplate::new("steps/{step:u32}");
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("steps/100"))?;
/// let steps: Family<u32, DirPath> = Family::new(dir.path(), &STEPS);
/// assert_eq!(steps.list()?, [(100, DirPath::new(dir.path().join("steps/100")))]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait FamilyMember: sealed::Member {}

macro_rules! uint_keys {
    ($($ty:ident)*) => {$(
        impl sealed::Part for $ty {
            fn fits(kind: &ParamKind) -> bool {
                matches!(kind, ParamKind::Uint { ty, .. } if *ty == stringify!($ty))
            }
            fn describe() -> &'static str {
                stringify!($ty)
            }
            fn take(raw: &mut Raw) -> Option<$ty> {
                match raw {
                    Raw::Uint(n) => $ty::try_from(*n).ok(),
                    Raw::Text(_) => None,
                }
            }
            fn raw(&self) -> Raw {
                Raw::Uint(*self as u128)
            }
        }

        impl sealed::Key for $ty {
            fn fits(kinds: &[ParamKind]) -> bool {
                matches!(kinds, [kind] if <$ty as sealed::Part>::fits(kind))
            }
            fn describe() -> String {
                stringify!($ty).to_owned()
            }
            fn take(raw: &mut [Raw]) -> Option<$ty> {
                match raw {
                    [one] => <$ty as sealed::Part>::take(one),
                    _ => None,
                }
            }
            fn raw(&self, out: &mut Vec<Raw>) {
                out.push(sealed::Part::raw(self));
            }
        }

        impl FamilyKey for $ty {}
    )*};
}

uint_keys!(u8 u16 u32 u64 u128 usize);

impl sealed::Part for String {
    fn fits(kind: &ParamKind) -> bool {
        *kind == ParamKind::Text
    }
    fn describe() -> &'static str {
        "String"
    }
    fn take(raw: &mut Raw) -> Option<String> {
        match raw {
            Raw::Text(text) => Some(std::mem::take(text)),
            Raw::Uint(_) => None,
        }
    }
    fn raw(&self) -> Raw {
        Raw::Text(self.clone())
    }
}

impl sealed::Key for String {
    fn fits(kinds: &[ParamKind]) -> bool {
        matches!(kinds, [ParamKind::Text])
    }
    fn describe() -> String {
        "String".to_owned()
    }
    fn take(raw: &mut [Raw]) -> Option<String> {
        match raw {
            [one] => <String as sealed::Part>::take(one),
            _ => None,
        }
    }
    fn raw(&self, out: &mut Vec<Raw>) {
        out.push(sealed::Part::raw(self));
    }
}

impl FamilyKey for String {}

macro_rules! tuple_keys {
    ($(($($part:ident $value:ident $index:tt),+))*) => {$(
        impl<$($part: sealed::Part),+> sealed::Key for ($($part,)+) {
            fn fits(kinds: &[ParamKind]) -> bool {
                matches!(kinds, [$($value),+] if $(<$part as sealed::Part>::fits($value))&&+)
            }
            fn describe() -> String {
                let parts = [$(<$part as sealed::Part>::describe()),+];
                format!("({})", parts.join(", "))
            }
            fn take(raw: &mut [Raw]) -> Option<Self> {
                match raw {
                    [$($value),+] => Some(($(<$part as sealed::Part>::take($value)?,)+)),
                    _ => None,
                }
            }
            fn raw(&self, out: &mut Vec<Raw>) {
                $(out.push(sealed::Part::raw(&self.$index));)+
            }
        }

        impl<$($part: sealed::Part + Ord),+> FamilyKey for ($($part,)+) {}
    )*};
}

tuple_keys! {
    (A a 0, B b 1)
    (A a 0, B b 1, C c 2)
    (A a 0, B b 1, C c 2, D d 3)
    (A a 0, B b 1, C c 2, D d 3, E e 4)
    (A a 0, B b 1, C c 2, D d 3, E e 4, F f 5)
    (A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6)
    (A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7)
    (A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8)
    (A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8, J j 9)
    (A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8, J j 9, K k 10)
    (A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8, J j 9, K k 10, L l 11)
}

impl sealed::Member for FilePath {
    const KIND: EntryKind = EntryKind::File;
    fn from_path(path: PathBuf) -> FilePath {
        FilePath::new(path)
    }
    fn path(&self) -> &Path {
        self.as_path()
    }
}

impl FamilyMember for FilePath {}

impl sealed::Member for DirPath {
    const KIND: EntryKind = EntryKind::Dir;
    fn from_path(path: PathBuf) -> DirPath {
        DirPath::new(path)
    }
    fn path(&self) -> &Path {
        self.as_path()
    }
}

impl FamilyMember for DirPath {}

/// A family's template: an entry's path with its placeholders, parsed once,
/// at first use. Made in a `static`, so every [`Family`] of the entry shares
/// the parse; the derive makes one per parameterized entry.
///
/// ```
/// use runlayout_runtime::FamilyTemplate;
///
/// static EPOCHS: FamilyTemplate = FamilyTemplate::new("checkpoints/epoch_{epoch:04}.ckpt");
/// assert_eq!(EPOCHS.as_str(), "checkpoints/epoch_{epoch:04}.ckpt");
/// ```
pub struct FamilyTemplate {
    text: &'static str,
    parsed: OnceLock<std::result::Result<Parsed, String>>,
}

/// What a family walks: the fixed folder the template starts in, then one
/// level per remaining component.
#[derive(Debug)]
struct Parsed {
    /// The fixed components before the first placeholder, joined.
    base: PathBuf,
    levels: Vec<Level>,
    /// Every placeholder's kind, in order.
    kinds: Vec<ParamKind>,
}

#[derive(Debug)]
enum Level {
    /// A fixed name: joined, never read from disk.
    Fixed(String),
    /// A name with placeholders: the folder is read, each name read back.
    Named {
        /// For rendering the path of the member `last()` returns.
        component: Component,
        /// For reading names back, compiled once.
        reader: Reader,
        /// The path's first component, where text values follow
        /// `names::check_first_component`.
        first: bool,
    },
}

impl FamilyTemplate {
    /// A template, parsed when a family first uses it. Nothing is checked
    /// here, so that it can be made in a `static`; a template that cannot
    /// name a family makes the family's calls fail with
    /// [`Error::InvalidTemplate`].
    ///
    /// ```
    /// use runlayout_runtime::{Error, Family, FamilyTemplate, FilePath};
    ///
    /// static TWO_TEXTS: FamilyTemplate = FamilyTemplate::new("eval/{split}_{name}.json");
    /// let family: Family<(String, String), FilePath> = Family::new("run", &TWO_TEXTS);
    /// assert!(matches!(family.list(), Err(Error::InvalidTemplate { .. })));
    /// ```
    #[must_use]
    pub const fn new(template: &'static str) -> FamilyTemplate {
        FamilyTemplate {
            text: template,
            parsed: OnceLock::new(),
        }
    }

    /// The template as written.
    ///
    /// ```
    /// static STEPS: runlayout_runtime::FamilyTemplate =
    ///     runlayout_runtime::FamilyTemplate::new("steps/{step:u32}");
    /// assert_eq!(STEPS.as_str(), "steps/{step:u32}");
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        self.text
    }

    /// The parsed template, checked for a key of type `K`.
    fn parsed<K: FamilyKey>(&self) -> Result<&Parsed> {
        let parsed = self
            .parsed
            .get_or_init(|| parse(self.text))
            .as_ref()
            .map_err(|problem| self.invalid(problem.clone()))?;
        if !K::fits(&parsed.kinds) {
            return Err(self.invalid(format!(
                "its placeholders take {}, not {}",
                describe(&parsed.kinds),
                K::describe()
            )));
        }
        Ok(parsed)
    }

    fn invalid(&self, problem: String) -> Error {
        Error::InvalidTemplate {
            template: self.text.to_owned(),
            problem,
        }
    }
}

impl fmt::Debug for FamilyTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FamilyTemplate").field(&self.text).finish()
    }
}

/// The key type a template's placeholders take, for messages.
fn describe(kinds: &[ParamKind]) -> String {
    let parts: Vec<&str> = kinds
        .iter()
        .map(|kind| match kind {
            ParamKind::Text => "String",
            ParamKind::Uint { ty, .. } => ty,
        })
        .collect();
    match parts.as_slice() {
        [one] => format!("`{one}`"),
        _ => format!("`({})`", parts.join(", ")),
    }
}

fn parse(text: &str) -> std::result::Result<Parsed, String> {
    let template = Template::parse(text).map_err(|errors| errors.join("; "))?;
    if template.is_static() {
        return Err("it has no placeholder, so it names one path, not a family".into());
    }
    template.check_readable()?;
    let kinds = template.params().map(|p| p.kind.clone()).collect();
    let fixed = template
        .components
        .iter()
        .take_while(|c| c.as_static().is_some())
        .count();
    let mut base = PathBuf::new();
    let mut levels = Vec::new();
    for (i, component) in template.components.into_iter().enumerate() {
        match component.as_static() {
            Some(name) if i < fixed => base.push(name),
            Some(name) => levels.push(Level::Fixed(name.to_owned())),
            None => {
                // `check_readable` passed, so every component has a reader.
                let reader = component
                    .reader()
                    .ok_or_else(|| format!("`{component}` cannot be read back"))?;
                levels.push(Level::Named {
                    component,
                    reader,
                    first: i == 0,
                });
            }
        }
    }
    Ok(Parsed {
        base,
        levels,
        kinds,
    })
}

/// How many members a template has below a root, and which has the
/// greatest values: [`survey`].
///
/// ```
/// # let run = tempfile::tempdir()?;
/// use runlayout_runtime::{EntryKind, survey};
/// std::fs::create_dir(run.path().join("checkpoints"))?;
/// for name in ["epoch_0002.ckpt", "epoch_0010.ckpt", "notes.txt"] {
///     std::fs::write(run.path().join("checkpoints").join(name), b"")?;
/// }
/// let found = survey(run.path(), "checkpoints/epoch_{epoch:04}.ckpt", EntryKind::File)?;
/// assert_eq!(found.members, 2);
/// assert_eq!(found.last, Some(run.path().join("checkpoints/epoch_0010.ckpt")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Survey {
    /// How many members there are.
    pub members: usize,
    /// The member with the greatest values.
    pub last: Option<PathBuf>,
}

/// The members of `template` (an entry's path with its placeholders, of
/// `kind`) below `root`, counted, and the greatest: [`Family::list`] and
/// [`Family::last`] for a template known only when the program runs (a
/// layout read back from a run's record). Members are what a family of
/// that entry would list.
///
/// # Errors
///
/// [`Error::InvalidTemplate`] for a template that cannot name a family,
/// and those of [`Family::list`].
///
/// ```
/// # let run = tempfile::tempdir()?;
/// let none = runlayout_runtime::survey(run.path(), "steps/{step:u32}", runlayout_runtime::EntryKind::Dir)?;
/// assert_eq!((none.members, none.last), (0, None));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn survey(root: &Path, template: &str, kind: EntryKind) -> Result<Survey> {
    let parsed = parse(template).map_err(|problem| Error::InvalidTemplate {
        template: template.to_owned(),
        problem,
    })?;
    let mut members = 0;
    let mut best: Option<Vec<Raw>> = None;
    parsed.walk(root, kind, &mut |values, _| {
        members += 1;
        if best.as_deref().is_none_or(|b| &*values > b) {
            best = Some(values.to_vec());
        }
        Ok(())
    })?;
    Ok(Survey {
        members,
        last: best.map(|values| parsed.render(root, &values)),
    })
}

impl Parsed {
    /// Calls `visit` with the values and the place of every member below
    /// `root`, in no particular order.
    fn walk(
        &self,
        root: &Path,
        kind: EntryKind,
        visit: &mut dyn FnMut(&mut [Raw], Found<'_>) -> Result<()>,
    ) -> Result<()> {
        self.walk_sweeping(root, kind, false, visit)
    }

    /// [`walk`](Parsed::walk), removing on the way, when `sweep` is set,
    /// the temporaries dead processes left in the folders it reads (a
    /// writer's half-written member, a removal's member renamed aside).
    fn walk_sweeping(
        &self,
        root: &Path,
        kind: EntryKind,
        sweep: bool,
        visit: &mut dyn FnMut(&mut [Raw], Found<'_>) -> Result<()>,
    ) -> Result<()> {
        let mut path = root.join(&self.base);
        let mut walk = Walk {
            levels: &self.levels,
            kind,
            sweep,
            values: Vec::with_capacity(self.kinds.len()),
            read: Vec::with_capacity(self.kinds.len()),
            visit,
        };
        walk.level(0, &mut path)
    }

    /// The path of the member whose values are `values`: the same path the
    /// walk found it at, since members round-trip.
    fn render(&self, root: &Path, values: &[Raw]) -> PathBuf {
        use std::fmt::Write as _;
        let mut path = root.join(&self.base);
        let mut values = values.iter();
        let mut name = String::new();
        for level in &self.levels {
            match level {
                Level::Fixed(fixed) => path.push(fixed),
                Level::Named { component, .. } => {
                    name.clear();
                    for segment in &component.segments {
                        let Segment::Param(param) = segment else {
                            if let Segment::Text(text) = segment {
                                name.push_str(text);
                            }
                            continue;
                        };
                        match (&param.kind, values.next()) {
                            (ParamKind::Uint { width, .. }, Some(Raw::Uint(n))) => {
                                let _ = write!(name, "{n:0width$}");
                            }
                            (_, Some(Raw::Text(text))) => name.push_str(text),
                            _ => {}
                        }
                    }
                    path.push(&name);
                }
            }
        }
        path
    }
}

/// Where the walk found a member: its folder and, unless the member's own
/// name is fixed (and already in `dir`), its name. The path is made only
/// when asked for, so `last()` makes none for the members it passes over.
#[derive(Clone, Copy)]
struct Found<'a> {
    dir: &'a Path,
    name: Option<&'a OsStr>,
}

impl Found<'_> {
    fn path(&self) -> PathBuf {
        match self.name {
            Some(name) => self.dir.join(name),
            None => self.dir.to_path_buf(),
        }
    }
}

/// The state of one walk through a family's folders.
struct Walk<'a> {
    levels: &'a [Level],
    kind: EntryKind,
    /// Whether stale temporaries in the folders read are removed.
    sweep: bool,
    /// The values of the levels above, then of the current name.
    values: Vec<Raw>,
    /// Scratch space for one name's values.
    read: Vec<Value>,
    visit: &'a mut dyn FnMut(&mut [Raw], Found<'_>) -> Result<()>,
}

impl Walk<'_> {
    /// Hands a member to the visitor, which may take its values: those from
    /// index `own` on belong to this member alone, those before it to the
    /// folders above, which later members share, so they are copied.
    fn member(&mut self, own: usize, found: Found<'_>) -> Result<()> {
        if own == 0 {
            (self.visit)(&mut self.values, found)
        } else {
            let mut values = self.values.clone();
            (self.visit)(&mut values, found)
        }
    }

    /// Walks the levels from `index` on, below the folder `path`.
    fn level(&mut self, index: usize, path: &mut PathBuf) -> Result<()> {
        let last = index + 1 == self.levels.len();
        let want = if last { self.kind } else { EntryKind::Dir };
        match &self.levels[index] {
            Level::Fixed(name) => {
                path.push(name);
                let result = if last {
                    let found = Found {
                        dir: path,
                        name: None,
                    };
                    match is_kind_at(path, want) {
                        Ok(true) => self.member(self.values.len(), found),
                        Ok(false) => Ok(()),
                        Err(e) => Err(e),
                    }
                } else {
                    self.level(index + 1, path)
                };
                path.pop();
                result
            }
            Level::Named { reader, first, .. } => {
                // No folder (or a file where it should be), no members.
                let Some(entries) = fs::read_dir_if_reachable(path)? else {
                    return Ok(());
                };
                for entry in entries {
                    let entry = entry?;
                    let name = entry.file_name();
                    let Some(text) = name.to_str() else {
                        continue;
                    };
                    // Hidden names (runlayout's temporaries among them) are
                    // never members; no placeholder value starts with `.`.
                    if text.starts_with('.') {
                        if self.sweep {
                            temporary::remove_if_stale(path, &name);
                        }
                        continue;
                    }
                    if !reader.read(text, *first, &mut self.read) {
                        continue;
                    }
                    let mark = self.values.len();
                    for value in &self.read {
                        self.values.push(match value {
                            Value::Uint(n) => Raw::Uint(*n),
                            Value::Text(range) => Raw::Text(text[range.clone()].to_owned()),
                        });
                    }
                    let found = Found {
                        dir: path,
                        name: Some(&name),
                    };
                    let result = match is_kind(&entry, found, want) {
                        Ok(true) if last => self.member(mark, found),
                        Ok(true) => {
                            path.push(&name);
                            let result = self.level(index + 1, path);
                            path.pop();
                            result
                        }
                        Ok(false) => Ok(()),
                        Err(e) => Err(e),
                    };
                    self.values.truncate(mark);
                    result?;
                }
                Ok(())
            }
        }
    }
}

/// Whether the folder entry `found` is a `want`: by the type the folder
/// listing gives, and for a symlink by what it leads to (a dangling link is
/// nothing). Nothing there (any more: removed while it was walked) is none.
fn is_kind(entry: &std::fs::DirEntry, found: Found<'_>, want: EntryKind) -> Result<bool> {
    match fs::entry_type(entry)? {
        Some(t) if t.is_symlink() => is_kind_at(&found.path(), want),
        Some(t) => Ok(matches_kind(t, want)),
        None => Ok(false),
    }
}

/// Whether a `want` stands at `path`, following symlinks.
fn is_kind_at(path: &Path, want: EntryKind) -> Result<bool> {
    let meta = fs::metadata_if_reachable(path)?;
    Ok(meta.is_some_and(|meta| matches_kind(meta.file_type(), want)))
}

fn matches_kind(t: std::fs::FileType, want: EntryKind) -> bool {
    match want {
        EntryKind::File => t.is_file(),
        EntryKind::Dir => t.is_dir(),
    }
}

/// The files or folders of one parameterized entry that exist on disk, keyed
/// by their placeholders' values: `K` is `u64` for
/// `checkpoints/epoch_{epoch:04}.ckpt`, `(u32, u32)` for
/// `samples/{epoch:u32}/{step:u32}.png`, `String` for `eval/{split}`; `P` is
/// the entry's [`FilePath`] or [`DirPath`].
///
/// `#[derive(Layout)]` generates a `<name>_family()` accessor for each entry
/// with a placeholder. Making a family does no I/O; each call reads the
/// folders the template spans afresh: one `read_dir` of each folder that
/// holds names with placeholders, none for fixed names.
///
/// A name is a **member** only if it round-trips: the values read from it
/// render to exactly that name, and the accessor would accept them. So
/// `epoch_1.ckpt` is not epoch 1 (that is `epoch_0001.ckpt`), and neither are
/// `epoch_0001.ckpt.tmp`, hidden names (runlayout's temporaries start with
/// `.`), names that are not UTF-8, nor anything of the wrong kind: a folder
/// where the entry declares a file, a file where it declares a folder, a
/// FIFO, a dangling symlink. A symlink counts as what it leads to (a
/// checkpoint may live on another disk, a split's folder may be linked from
/// elsewhere), and members are read through linked folders too. A missing
/// folder, or a file where a folder should be, holds no members.
///
/// # Removal
///
/// [`keep_last`](Family::keep_last) and [`retain`](Family::retain) (and
/// their `_report` forms) remove members only inside the family's own
/// folders:
///
/// - The fixed folders the template starts with (`checkpoints/` of
///   `checkpoints/epoch_{epoch:04}.ckpt`), and the layout's root, are the
///   family's own even when they are links: `checkpoints/` linked to a
///   scratch disk is a usual setup on clusters, and its members are removed.
/// - Below them, a folder that is a link (`eval/ext` of
///   `eval/{split}/metrics.json`, or `trials/1/logs` of
///   `trials/{trial}/logs/{step}.txt`) leads out of the family's tree: the
///   members behind it are listed, but a removal leaves them, and says so
///   in [`Removal::left`] with the link ([`LeftReason::LinkedFolder`]).
///   On Unix each folder is opened relative to its parent without following
///   a link, so a folder swapped for a link while a removal runs is not
///   followed either.
/// - A member that is itself a link is removed as a link, never what it
///   points to; links inside a folder member are removed as links.
/// - A member is first renamed to a hidden temporary name in its own folder
///   (`.runlayout-<pid>-...-<random>.tmp`, never a member), then deleted: it leaves
///   every listing at once, a process listing meanwhile never finds half of
///   it, and a removal killed halfway leaves only that temporary. Removals
///   sweep the folders they read of temporaries whose process is gone (as
///   atomic writes do), so the next one removes it.
/// - A member another process removed meanwhile is skipped.
///
/// ```
/// use runlayout_runtime::{Family, FamilyTemplate, FilePath};
///
/// static EPOCHS: FamilyTemplate = FamilyTemplate::new("checkpoints/epoch_{epoch:04}.ckpt");
///
/// let run = tempfile::tempdir()?;
/// let epochs: Family<u64, FilePath> = Family::new(run.path(), &EPOCHS);
/// assert_eq!(epochs.last()?, None); // no checkpoints/ yet: no members
///
/// std::fs::create_dir(run.path().join("checkpoints"))?;
/// for epoch in [1, 2, 3, 10] {
///     let name = format!("checkpoints/epoch_{epoch:04}.ckpt");
///     std::fs::write(run.path().join(name), b"weights")?;
/// }
/// std::fs::write(run.path().join("checkpoints/epoch_7.ckpt"), b"not a member")?;
///
/// let (epoch, path) = epochs.last()?.expect("four members");
/// assert_eq!(epoch, 10);
/// assert!(path.ends_with("checkpoints/epoch_0010.ckpt"));
///
/// let removed = epochs.keep_last(2)?;
/// assert_eq!(removed.len(), 2); // epochs 1 and 2
/// let left: Vec<u64> = epochs.list()?.into_iter().map(|(e, _)| e).collect();
/// assert_eq!(left, [3, 10]);
/// assert!(run.path().join("checkpoints/epoch_7.ckpt").exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Family<K, P> {
    root: PathBuf,
    template: &'static FamilyTemplate,
    members: PhantomData<fn() -> (K, P)>,
}

impl<K: FamilyKey, P: FamilyMember> Family<K, P> {
    /// The family of `template` below the layout root `root`. No I/O.
    ///
    /// ```
    /// use runlayout_runtime::{DirPath, Family, FamilyTemplate};
    ///
    /// static EVALS: FamilyTemplate = FamilyTemplate::new("eval/{split}");
    /// let evals: Family<String, DirPath> = Family::new("runs/r1", &EVALS);
    /// assert_eq!(evals.root(), std::path::Path::new("runs/r1"));
    /// ```
    pub fn new(root: impl AsRef<Path>, template: &'static FamilyTemplate) -> Family<K, P> {
        Family {
            root: root.as_ref().to_path_buf(),
            template,
            members: PhantomData,
        }
    }

    /// The layout's root, which the template is relative to.
    ///
    /// ```
    /// use runlayout_runtime::{Family, FamilyTemplate, FilePath};
    ///
    /// static LOGS: FamilyTemplate = FamilyTemplate::new("logs/{rank:u32}.txt");
    /// let logs: Family<u32, FilePath> = Family::new("run", &LOGS);
    /// assert_eq!(logs.root(), std::path::Path::new("run"));
    /// ```
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The template, as declared.
    ///
    /// ```
    /// use runlayout_runtime::{Family, FamilyTemplate, FilePath};
    ///
    /// static LOGS: FamilyTemplate = FamilyTemplate::new("logs/{rank:u32}.txt");
    /// let logs: Family<u32, FilePath> = Family::new("run", &LOGS);
    /// assert_eq!(logs.template(), "logs/{rank:u32}.txt");
    /// ```
    #[must_use]
    pub fn template(&self) -> &'static str {
        self.template.as_str()
    }

    /// Every member, ascending by key.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming a folder that exists but cannot be read
    /// (`read folder`) or an entry whose kind cannot be told (`read metadata
    /// of`); [`Error::InvalidTemplate`] for a hand-made template that cannot
    /// name a family of `K`. A missing folder is no error: it holds no
    /// members.
    ///
    /// ```
    /// use runlayout_runtime::{Family, FamilyTemplate, FilePath};
    ///
    /// static PLOTS: FamilyTemplate = FamilyTemplate::new("plots/{split}_{step:u32}.png");
    /// let run = tempfile::tempdir()?;
    /// std::fs::create_dir(run.path().join("plots"))?;
    /// for name in ["val_20.png", "train_3.png", "val_3.png", "val_03.png", "notes.txt"] {
    ///     std::fs::write(run.path().join("plots").join(name), b"")?;
    /// }
    /// let plots: Family<(String, u32), FilePath> = Family::new(run.path(), &PLOTS);
    /// let keys: Vec<_> = plots.list()?.into_iter().map(|(key, _)| key).collect();
    /// assert_eq!(
    ///     keys,
    ///     [("train".into(), 3), ("val".into(), 3), ("val".into(), 20)]
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn list(&self) -> Result<Vec<(K, P)>> {
        self.members(false)
    }

    /// Every member, ascending by key; with `sweep`, the folders read are
    /// swept of what dead processes left.
    fn members(&self, sweep: bool) -> Result<Vec<(K, P)>> {
        let parsed = self.template.parsed::<K>()?;
        let mut members = Vec::new();
        parsed.walk_sweeping(&self.root, P::KIND, sweep, &mut |values, found| {
            if let Some(key) = K::take(values) {
                members.push((key, P::from_path(found.path())));
            }
            Ok(())
        })?;
        members.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(members)
    }

    /// The member with the greatest key: the checkpoint to resume from.
    /// Only its path is made; the other members are compared by key alone.
    ///
    /// # Errors
    ///
    /// Those of [`list`](Family::list).
    ///
    /// ```
    /// use runlayout_runtime::{Family, FamilyTemplate, FilePath};
    ///
    /// static EPOCHS: FamilyTemplate = FamilyTemplate::new("checkpoints/epoch_{epoch:04}.ckpt");
    /// let run = tempfile::tempdir()?;
    /// let epochs: Family<u64, FilePath> = Family::new(run.path(), &EPOCHS);
    /// let first = epochs.last()?.map_or(1, |(epoch, _)| epoch + 1);
    /// assert_eq!(first, 1); // nothing to resume from
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn last(&self) -> Result<Option<(K, P)>> {
        let parsed = self.template.parsed::<K>()?;
        let mut best: Option<K> = None;
        parsed.walk(&self.root, P::KIND, &mut |values, _| {
            if let Some(key) = K::take(values)
                && best.as_ref().is_none_or(|b| key > *b)
            {
                best = Some(key);
            }
            Ok(())
        })?;
        Ok(best.map(|key| {
            let mut values = Vec::new();
            key.raw(&mut values);
            let path = parsed.render(&self.root, &values);
            (key, P::from_path(path))
        }))
    }

    /// Removes every member but the `n` with the greatest keys, and returns
    /// the paths it removed, ascending by key. `keep_last(0)` removes them
    /// all. Nothing that is not a member is touched, and nothing outside
    /// the family's own folders: see [Removal](Family#removal).
    ///
    /// A member it leaves (one reached through a linked folder) is not in
    /// the list returned; [`keep_last_report`](Family::keep_last_report)
    /// says which it left and why. So does a member that vanished
    /// meanwhile (another process removed it): it is in neither list.
    ///
    /// # Errors
    ///
    /// Those of [`list`](Family::list), and [`Error::Io`] (`remove`) naming
    /// the first member that could not be removed (or, if it was moved
    /// aside and could not be deleted, the hidden name it was moved to);
    /// the members before it are gone.
    ///
    /// ```
    /// use runlayout_runtime::{DirPath, Family, FamilyTemplate};
    ///
    /// static STEPS: FamilyTemplate = FamilyTemplate::new("steps/{step:u32}");
    /// let run = tempfile::tempdir()?;
    /// for step in [100, 200, 300] {
    ///     std::fs::create_dir_all(run.path().join(format!("steps/{step}/shards")))?;
    /// }
    /// let steps: Family<u32, DirPath> = Family::new(run.path(), &STEPS);
    /// let removed = steps.keep_last(1)?;
    /// assert_eq!(removed, [DirPath::new(run.path().join("steps/100")), DirPath::new(run.path().join("steps/200"))]);
    /// assert!(run.path().join("steps/300/shards").is_dir());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keep_last(&self, n: usize) -> Result<Vec<P>> {
        Ok(self.keep_last_report(n)?.removed_paths())
    }

    /// [`keep_last`](Family::keep_last), reporting the members it removed
    /// with their keys, and those it was to remove but left, with the
    /// reason: a [`Removal`].
    ///
    /// # Errors
    ///
    /// Those of [`keep_last`](Family::keep_last).
    ///
    /// ```
    /// use runlayout_runtime::{Family, FamilyTemplate, FilePath, LeftReason};
    ///
    /// static EVALS: FamilyTemplate = FamilyTemplate::new("eval/{split}/metrics.json");
    /// let dir = tempfile::tempdir()?;
    /// let (run, elsewhere) = (dir.path().join("run"), dir.path().join("elsewhere"));
    /// for folder in [run.join("eval/val"), elsewhere.clone()] {
    ///     std::fs::create_dir_all(&folder)?;
    ///     std::fs::write(folder.join("metrics.json"), b"{}")?;
    /// }
    /// # #[cfg(unix)] {
    /// std::os::unix::fs::symlink(&elsewhere, run.join("eval/ext"))?;
    /// let evals: Family<String, FilePath> = Family::new(&run, &EVALS);
    /// let report = evals.keep_last_report(0)?;
    /// assert_eq!(report.removed[0].0, "val");
    /// let left = &report.left[0];
    /// assert_eq!(left.key, "ext");
    /// assert_eq!(left.reason, LeftReason::LinkedFolder { link: run.join("eval/ext") });
    /// assert!(elsewhere.join("metrics.json").exists());
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keep_last_report(&self, n: usize) -> Result<Removal<K, P>> {
        let members = self.members(true)?;
        let cut = members.len().saturating_sub(n);
        self.remove(members.into_iter().take(cut))
    }

    /// Removes every member whose key `keep` refuses, and returns the paths
    /// it removed, ascending by key: the general form of
    /// [`keep_last`](Family::keep_last), for the best k by a metric the
    /// program tracks, every 10th epoch, and the like. Removal works as
    /// there; `keep` is asked about each member after the listing, just
    /// before that member is removed or kept.
    ///
    /// # Errors
    ///
    /// Those of [`keep_last`](Family::keep_last).
    ///
    /// ```
    /// use runlayout_runtime::{Family, FamilyTemplate, FilePath};
    ///
    /// static EPOCHS: FamilyTemplate = FamilyTemplate::new("ckpt/{epoch:u32}.pt");
    /// let run = tempfile::tempdir()?;
    /// std::fs::create_dir(run.path().join("ckpt"))?;
    /// for epoch in 1..=25 {
    ///     std::fs::write(run.path().join(format!("ckpt/{epoch}.pt")), b"w")?;
    /// }
    /// let epochs: Family<u32, FilePath> = Family::new(run.path(), &EPOCHS);
    /// // Every 10th epoch, and the last.
    /// epochs.retain(|&epoch| epoch % 10 == 0 || epoch == 25)?;
    /// let left: Vec<u32> = epochs.list()?.into_iter().map(|(e, _)| e).collect();
    /// assert_eq!(left, [10, 20, 25]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retain(&self, keep: impl FnMut(&K) -> bool) -> Result<Vec<P>> {
        Ok(self.retain_report(keep)?.removed_paths())
    }

    /// [`retain`](Family::retain), reporting what it removed and what it
    /// left, as [`keep_last_report`](Family::keep_last_report) does.
    ///
    /// # Errors
    ///
    /// Those of [`keep_last`](Family::keep_last).
    ///
    /// ```
    /// use runlayout_runtime::{Family, FamilyTemplate, FilePath};
    ///
    /// static EPOCHS: FamilyTemplate = FamilyTemplate::new("ckpt/{epoch:u32}.pt");
    /// let run = tempfile::tempdir()?;
    /// std::fs::create_dir(run.path().join("ckpt"))?;
    /// for epoch in 1..=3 {
    ///     std::fs::write(run.path().join(format!("ckpt/{epoch}.pt")), b"w")?;
    /// }
    /// let epochs: Family<u32, FilePath> = Family::new(run.path(), &EPOCHS);
    /// let report = epochs.retain_report(|&epoch| epoch != 2)?;
    /// assert_eq!(report.removed, [(2, FilePath::new(run.path().join("ckpt/2.pt")))]);
    /// assert!(report.left.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retain_report(&self, mut keep: impl FnMut(&K) -> bool) -> Result<Removal<K, P>> {
        let members = self.members(true)?;
        self.remove(members.into_iter().filter(|(key, _)| !keep(key)))
    }

    /// Removes `members`, each as [Removal](Family#removal) says.
    fn remove(&self, members: impl Iterator<Item = (K, P)>) -> Result<Removal<K, P>> {
        let parsed = self.template.parsed::<K>()?;
        let base = self.root.join(&parsed.base);
        let mut report = Removal {
            removed: Vec::new(),
            left: Vec::new(),
        };
        for (key, member) in members {
            match removal::remove(&base, member.path(), P::KIND)? {
                Outcome::Removed => report.removed.push((key, member)),
                Outcome::Gone => {}
                Outcome::Left(reason) => report.left.push(LeftMember {
                    key,
                    member,
                    reason,
                }),
            }
        }
        Ok(report)
    }
}

/// What a removal of a family's members did: [`Family::keep_last_report`],
/// [`Family::retain_report`]. Members that vanished meanwhile (another
/// process removed them) are in neither list.
///
/// ```
/// use runlayout_runtime::{Family, FamilyTemplate, FilePath};
///
/// static EPOCHS: FamilyTemplate = FamilyTemplate::new("ckpt/{epoch:u32}.pt");
/// let run = tempfile::tempdir()?;
/// let epochs: Family<u32, FilePath> = Family::new(run.path(), &EPOCHS);
/// let report = epochs.keep_last_report(3)?;
/// assert!(report.removed.is_empty() && report.left.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Removal<K, P> {
    /// The members removed, ascending by key.
    pub removed: Vec<(K, P)>,
    /// The members it was to remove and left, ascending by key.
    pub left: Vec<LeftMember<K, P>>,
}

impl<K, P> Removal<K, P> {
    fn removed_paths(self) -> Vec<P> {
        self.removed.into_iter().map(|(_, path)| path).collect()
    }
}

/// A member a removal was to remove and left: its key, its path, and why.
///
/// ```
/// use runlayout_runtime::{Family, FamilyTemplate, FilePath};
///
/// static EVALS: FamilyTemplate = FamilyTemplate::new("eval/{split}/metrics.json");
/// let dir = tempfile::tempdir()?;
/// let elsewhere = dir.path().join("elsewhere");
/// std::fs::create_dir_all(&elsewhere)?;
/// std::fs::write(elsewhere.join("metrics.json"), b"{}")?;
/// std::fs::create_dir_all(dir.path().join("run/eval"))?;
/// # #[cfg(unix)] {
/// std::os::unix::fs::symlink(&elsewhere, dir.path().join("run/eval/test"))?;
/// let evals: Family<String, FilePath> = Family::new(dir.path().join("run"), &EVALS);
/// let left = evals.keep_last_report(0)?.left.remove(0);
/// assert_eq!(left.member, dir.path().join("run/eval/test/metrics.json"));
/// assert!(left.reason.to_string().starts_with("reached through the linked folder `"));
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeftMember<K, P> {
    /// Its key.
    pub key: K,
    /// Its path, as listed.
    pub member: P,
    /// Why it was left.
    pub reason: LeftReason,
}

/// Why a removal left a member: [`LeftMember::reason`].
///
/// ```
/// use runlayout_runtime::LeftReason;
///
/// let reason = LeftReason::LinkedFolder { link: "run/eval/ext".into() };
/// assert_eq!(reason.to_string(), "reached through the linked folder `run/eval/ext`");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeftReason {
    /// A folder between the family's fixed base and the member is a
    /// symlink (`eval/ext` in `eval/{split}/metrics.json`): the member
    /// lives outside the family's own folders, which removal never leaves.
    LinkedFolder {
        /// The link, as the family's root spells it.
        link: PathBuf,
    },
}

impl fmt::Display for LeftReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LeftReason::LinkedFolder { link } => {
                write!(f, "reached through the linked folder `{}`", link.display())
            }
        }
    }
}

/// What became of one member a removal was asked to remove.
enum Outcome {
    Removed,
    /// Nothing stands at its name any more, or no member does: another
    /// process removed or replaced it.
    Gone,
    Left(LeftReason),
}

/// Removing one member: never through a linked folder below the family's
/// base, and first renamed aside to a temporary name in its own folder, so
/// that it leaves every listing at once and a kill halfway leaves only a
/// hidden temporary, which the next removal (or atomic write) there sweeps
/// once this process is gone.
mod removal {
    use std::path::Path;

    use super::{EntryKind, Outcome};
    use crate::error::Result;

    /// Removes the member at `member`, below the family's fixed folder
    /// `base` (followed if it is a link: a base on another disk is the
    /// family's own), as a link if it is one.
    pub(super) fn remove(base: &Path, member: &Path, kind: EntryKind) -> Result<Outcome> {
        let Ok(below) = member.strip_prefix(base) else {
            // Members are found below the base; nothing else is removed.
            return Ok(Outcome::Gone);
        };
        let mut parts: Vec<&std::ffi::OsStr> = below.iter().collect();
        let Some(name) = parts.pop() else {
            return Ok(Outcome::Gone);
        };
        imp::remove(base, &parts, name, kind)
    }

    /// Through folder descriptors: each folder below the base is opened
    /// relative to its parent without following a link (`O_NOFOLLOW`), and
    /// the member is renamed and removed relative to the folder it is in,
    /// so a folder swapped for a link at any moment is never followed.
    #[cfg(unix)]
    mod imp {
        use std::ffi::{OsStr, OsString};
        use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
        use std::os::unix::ffi::OsStrExt as _;
        use std::path::Path;

        use rustix::fs::{self as rfs, AtFlags, Dir, FileType, Mode, OFlags};
        use rustix::io::Errno;

        use super::super::{EntryKind, LeftReason, Outcome};
        use crate::error::{Error, Operation, Result};
        use crate::io::temporary;

        const DIR: OFlags = OFlags::RDONLY
            .union(OFlags::DIRECTORY)
            .union(OFlags::CLOEXEC);

        /// How often a folder renamed aside is emptied again when a process
        /// still writing into it added entries meanwhile.
        const EMPTYING_ROUNDS: u32 = 8;

        pub(super) fn remove(
            base: &Path,
            folders: &[&OsStr],
            name: &OsStr,
            kind: EntryKind,
        ) -> Result<Outcome> {
            let fail = |path: &Path, e: Errno| Error::io(Operation::Remove, path, e.into());
            let mut at = base.to_path_buf();
            let mut dir = match rfs::open(base, DIR, Mode::empty()) {
                Ok(fd) => fd,
                Err(e) if is_gone(e) => return Ok(Outcome::Gone),
                Err(e) => return Err(fail(base, e)),
            };
            for &folder in folders {
                at.push(folder);
                dir = match open_folder(dir.as_fd(), folder) {
                    Ok(Some(fd)) => fd,
                    Ok(None) if is_link(dir.as_fd(), folder) => {
                        return Ok(Outcome::Left(LeftReason::LinkedFolder { link: at }));
                    }
                    Ok(None) => return Ok(Outcome::Gone),
                    Err(e) => return Err(fail(&at, e)),
                };
            }
            let path = at.join(name);
            // What stands at the name, a link not followed: still a member?
            let found = match rfs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(stat) => FileType::from_raw_mode(stat.st_mode),
                Err(e) if is_gone(e) => return Ok(Outcome::Gone),
                Err(e) => return Err(fail(&path, e)),
            };
            let fits = match kind {
                EntryKind::File => found == FileType::RegularFile,
                EntryKind::Dir => found == FileType::Directory,
            };
            if !fits && found != FileType::Symlink {
                return Ok(Outcome::Gone);
            }
            // The name is this process's alone: the rename replaces nothing.
            let aside = temporary::fresh_name();
            match rfs::renameat(&dir, name, &dir, aside.as_str()) {
                Ok(()) => {}
                Err(e) if e == Errno::NOENT => return Ok(Outcome::Gone),
                Err(e) => return Err(fail(&path, e)),
            }
            // Out of every listing now; what follows only frees the space.
            remove_any(dir.as_fd(), OsStr::new(&aside)).map_err(|e| fail(&at.join(&aside), e))?;
            Ok(Outcome::Removed)
        }

        /// The folder `name` in `dir`, opened without following a link;
        /// `None` if no folder stands there (a link, a file, nothing).
        fn open_folder(dir: BorrowedFd<'_>, name: &OsStr) -> rustix::io::Result<Option<OwnedFd>> {
            match rfs::openat(dir, name, DIR | OFlags::NOFOLLOW, Mode::empty()) {
                Ok(fd) => Ok(Some(fd)),
                // A link is ELOOP on Linux, ENOTDIR on some systems.
                Err(e) if e == Errno::LOOP || e == Errno::NOTDIR || is_gone(e) => Ok(None),
                Err(e) => Err(e),
            }
        }

        fn is_link(dir: BorrowedFd<'_>, name: &OsStr) -> bool {
            rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
                .is_ok_and(|stat| FileType::from_raw_mode(stat.st_mode) == FileType::Symlink)
        }

        fn is_gone(e: Errno) -> bool {
            e == Errno::NOENT || e == Errno::NOTDIR
        }

        /// Removes `name` in `dir`: a folder with all it holds, anything
        /// else (a link included) as itself. Nothing there is no error.
        fn remove_any(dir: BorrowedFd<'_>, name: &OsStr) -> rustix::io::Result<()> {
            match open_folder(dir, name)? {
                Some(folder) => remove_folder(dir, name, folder),
                None => match rfs::unlinkat(dir, name, AtFlags::empty()) {
                    Err(e) if e == Errno::NOENT => Ok(()),
                    other => other,
                },
            }
        }

        /// The names in the open `folder`, read to the end (the reading's
        /// own descriptor closed before any child is opened: a deep tree
        /// holds one descriptor per level).
        fn names_in(folder: &OwnedFd) -> rustix::io::Result<Vec<OsString>> {
            let mut names = Vec::new();
            let mut entries = Dir::read_from(folder)?;
            while let Some(entry) = entries.read() {
                let entry = entry?;
                let bytes = entry.file_name().to_bytes();
                if bytes != b"." && bytes != b".." {
                    names.push(OsStr::from_bytes(bytes).to_owned());
                }
            }
            Ok(names)
        }

        /// Empties the open `folder` (named `name` in `dir`) and removes it.
        /// Names are read before any is removed (removing while reading may
        /// skip some), and read again if a writer added some meanwhile.
        fn remove_folder(
            dir: BorrowedFd<'_>,
            name: &OsStr,
            folder: OwnedFd,
        ) -> rustix::io::Result<()> {
            let mut rounds = 0;
            loop {
                let names = names_in(&folder)?;
                for child in &names {
                    remove_any(folder.as_fd(), child)?;
                }
                match rfs::unlinkat(dir, name, AtFlags::REMOVEDIR) {
                    Err(e) if e == Errno::NOTEMPTY && rounds < EMPTYING_ROUNDS => rounds += 1,
                    Err(e) if e == Errno::NOENT => return Ok(()),
                    other => return other,
                }
            }
        }
    }

    /// Through paths, where folder descriptors are not used: each folder
    /// below the base is looked at without following a link just before
    /// the member is renamed aside.
    #[cfg(not(unix))]
    mod imp {
        use std::ffi::OsStr;
        use std::fs;
        use std::io;
        use std::path::Path;

        use super::super::{EntryKind, LeftReason, Outcome};
        use crate::error::{Error, Operation, Result};
        use crate::io::temporary;

        pub(super) fn remove(
            base: &Path,
            folders: &[&OsStr],
            name: &OsStr,
            kind: EntryKind,
        ) -> Result<Outcome> {
            let mut at = base.to_path_buf();
            for &folder in folders {
                at.push(folder);
                match fs::symlink_metadata(&at) {
                    Ok(meta) if meta.file_type().is_symlink() => {
                        return Ok(Outcome::Left(LeftReason::LinkedFolder { link: at }));
                    }
                    Ok(meta) if meta.is_dir() => {}
                    Ok(_) => return Ok(Outcome::Gone),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Outcome::Gone),
                    Err(e) => return Err(Error::io(Operation::Remove, &at, e)),
                }
            }
            let path = at.join(name);
            let found = match fs::symlink_metadata(&path) {
                Ok(meta) => meta.file_type(),
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Outcome::Gone),
                Err(e) => return Err(Error::io(Operation::Remove, &path, e)),
            };
            let fits = match kind {
                EntryKind::File => found.is_file(),
                EntryKind::Dir => found.is_dir(),
            };
            if !fits && !found.is_symlink() {
                return Ok(Outcome::Gone);
            }
            let aside = at.join(temporary::fresh_name());
            match fs::rename(&path, &aside) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Outcome::Gone),
                Err(e) => return Err(Error::io(Operation::Remove, &path, e)),
            }
            let removed = match fs::symlink_metadata(&aside) {
                Ok(meta) if meta.is_dir() => fs::remove_dir_all(&aside),
                // A link to a folder is removed as a folder on some systems.
                Ok(_) => fs::remove_file(&aside).or_else(|_| fs::remove_dir(&aside)),
                Err(e) => Err(e),
            };
            match removed {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    Err(Error::io(Operation::Remove, &aside, e))
                }
                _ => Ok(Outcome::Removed),
            }
        }
    }
}

impl<K, P> Clone for Family<K, P> {
    fn clone(&self) -> Family<K, P> {
        Family {
            root: self.root.clone(),
            template: self.template,
            members: PhantomData,
        }
    }
}

impl<K, P> fmt::Debug for Family<K, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family")
            .field("template", &self.template.as_str())
            .field("root", &self.root)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Operation;
    use std::{fs, io};

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    static EPOCHS: FamilyTemplate = FamilyTemplate::new("checkpoints/epoch_{epoch:04}.ckpt");
    static SAMPLES: FamilyTemplate =
        FamilyTemplate::new("samples/{epoch:u32}/{split}/{step:u16}.png");
    static FIRST: FamilyTemplate = FamilyTemplate::new("{split}/metrics.json");

    fn touch(root: &Path, rel: &str) -> io::Result<()> {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().expect("a parent"))?;
        fs::write(path, rel)
    }

    #[test]
    fn members_round_trip_and_nothing_else_is_one() -> TestResult {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        for rel in [
            "checkpoints/epoch_0002.ckpt",
            "checkpoints/epoch_0010.ckpt",
            "checkpoints/epoch_12345.ckpt",
            "checkpoints/epoch_1.ckpt",
            "checkpoints/epoch_00003.ckpt",
            "checkpoints/epoch_0004.ckpt.tmp",
            "checkpoints/.epoch_0005.ckpt",
            "checkpoints/.runlayout-1-00000000-abcdefgh.tmp",
            "checkpoints/epoch_+006.ckpt",
            "checkpoints/best.ckpt",
        ] {
            touch(root, rel)?;
        }
        fs::create_dir(root.join("checkpoints/epoch_0007.ckpt"))?;
        let epochs: Family<u64, FilePath> = Family::new(root, &EPOCHS);
        let listed: Vec<(u64, PathBuf)> = epochs
            .list()?
            .into_iter()
            .map(|(k, p)| (k, p.into_path_buf()))
            .collect();
        assert_eq!(
            listed,
            [
                (2, root.join("checkpoints/epoch_0002.ckpt")),
                (10, root.join("checkpoints/epoch_0010.ckpt")),
                (12345, root.join("checkpoints/epoch_12345.ckpt")),
            ]
        );
        let (last, path) = epochs.last()?.expect("members");
        assert_eq!((last, path.as_path()), (12345, listed[2].1.as_path()));
        Ok(())
    }

    #[test]
    fn levels_are_walked_and_the_last_path_is_rendered_as_found() -> TestResult {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        for rel in [
            "samples/1/val/5.png",
            "samples/1/val/6.png",
            "samples/1/train/7.png",
            "samples/12/val/0.png",
            "samples/12/val/65536.png",
            "samples/012/val/1.png",
            "samples/3/nul/1.png",
            "samples/3.txt",
        ] {
            touch(root, rel)?;
        }
        let samples: Family<(u32, String, u16), FilePath> = Family::new(root, &SAMPLES);
        let keys: Vec<_> = samples.list()?.into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                (1, "train".to_owned(), 7),
                (1, "val".to_owned(), 5),
                (1, "val".to_owned(), 6),
                (12, "val".to_owned(), 0)
            ]
        );
        let (key, path) = samples.last()?.expect("members");
        assert_eq!(key, (12, "val".to_owned(), 0));
        assert_eq!(path, root.join("samples/12/val/0.png"));
        Ok(())
    }

    #[test]
    fn text_in_the_first_component_follows_the_run_folder_rule() -> TestResult {
        let dir = tempfile::tempdir()?;
        for rel in [
            "val/metrics.json",
            "ancestor/metrics.json",
            "run.json/metrics.json",
        ] {
            touch(dir.path(), rel)?;
        }
        let family: Family<String, FilePath> = Family::new(dir.path(), &FIRST);
        let keys: Vec<_> = family.list()?.into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["val"]);
        Ok(())
    }

    #[test]
    fn missing_folders_hold_no_members() -> TestResult {
        let dir = tempfile::tempdir()?;
        let epochs: Family<u64, FilePath> = Family::new(dir.path().join("absent"), &EPOCHS);
        assert!(epochs.list()?.is_empty());
        assert_eq!(epochs.last()?, None);
        assert!(epochs.keep_last(0)?.is_empty());
        fs::write(dir.path().join("checkpoints"), "a file, not a folder")?;
        let epochs: Family<u64, FilePath> = Family::new(dir.path(), &EPOCHS);
        assert!(epochs.list()?.is_empty());
        Ok(())
    }

    #[test]
    fn hand_made_templates_that_cannot_name_a_family_are_errors() {
        static TWO_TEXTS: FamilyTemplate = FamilyTemplate::new("a/{x}_{y}");
        static FIXED: FamilyTemplate = FamilyTemplate::new("a/b.txt");
        static BROKEN: FamilyTemplate = FamilyTemplate::new("a/{x");
        let message = |result: Result<Vec<(String, FilePath)>>| result.unwrap_err().to_string();
        let two: Family<(String, String), FilePath> = Family::new("r", &TWO_TEXTS);
        assert!(
            two.list()
                .unwrap_err()
                .to_string()
                .contains("cannot be told apart"),
            "{:?}",
            two.list()
        );
        assert!(message(Family::new("r", &FIXED).list()).contains("no placeholder"));
        assert!(message(Family::new("r", &BROKEN).list()).contains("unclosed"));
        let wrong: Family<u32, FilePath> = Family::new("r", &EPOCHS);
        assert_eq!(
            wrong.list().unwrap_err().to_string(),
            "template `checkpoints/epoch_{epoch:04}.ckpt` cannot name a family: \
             its placeholders take `u64`, not u32"
        );
        let wrong: Family<(u32, u32, u16), FilePath> = Family::new("r", &SAMPLES);
        assert!(
            wrong
                .last()
                .unwrap_err()
                .to_string()
                .ends_with("its placeholders take `(u32, String, u16)`, not (u32, u32, u16)")
        );
    }

    #[cfg(unix)]
    #[test]
    fn unreadable_folders_are_errors_naming_the_folder() -> TestResult {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir()?;
        let checkpoints = dir.path().join("checkpoints");
        fs::create_dir(&checkpoints)?;
        fs::set_permissions(&checkpoints, fs::Permissions::from_mode(0o000))?;
        let readable = fs::read_dir(&checkpoints).is_ok(); // root reads anything
        let epochs: Family<u64, FilePath> = Family::new(dir.path(), &EPOCHS);
        let listed = epochs.list();
        fs::set_permissions(&checkpoints, fs::Permissions::from_mode(0o755))?;
        if !readable {
            let err = listed.unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Io {
                        op: Operation::ReadDir,
                        ..
                    }
                ),
                "{err}"
            );
            assert_eq!(err.path(), Some(checkpoints.as_path()));
            assert!(err.to_string().starts_with("cannot read folder `"), "{err}");
        }
        Ok(())
    }

    #[test]
    fn families_are_cheap_to_clone_and_say_what_they_are() {
        let epochs: Family<u64, FilePath> = Family::new("run", &EPOCHS);
        let copy = epochs.clone();
        assert_eq!(copy.root(), Path::new("run"));
        assert_eq!(
            format!("{epochs:?}"),
            "Family { template: \"checkpoints/epoch_{epoch:04}.ckpt\", root: \"run\" }"
        );
    }
}
