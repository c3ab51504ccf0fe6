//! [`FamilyTemplate`]: a family's template, parsed once into the fixed
//! folder it starts in and one level per remaining component, and the path
//! of a member rendered from its values.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use runlayout_grammar::template::{Component, ParamKind, Reader, Segment, Template, render_float};

use crate::error::{Error, Result};
use crate::layout::family::key::{FamilyKey, Raw};

/// A family's template: an entry's path with its placeholders, parsed once,
/// at first use. Made in a `static`, so every [`Family`](crate::Family) of the entry shares
/// the parse; the derive makes one per parameterized entry.
///
/// ```
/// use runlayout::family::FamilyTemplate;
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
pub(super) struct Parsed {
    /// The fixed components before the first placeholder, joined.
    pub(super) base: PathBuf,
    pub(super) levels: Vec<Level>,
    /// Every placeholder's kind, in order.
    pub(super) kinds: Vec<ParamKind>,
}

#[derive(Debug)]
pub(super) enum Level {
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
    /// use runlayout::{Error, Family, FilePath, family::FamilyTemplate};
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
    /// static STEPS: runlayout::family::FamilyTemplate =
    ///     runlayout::family::FamilyTemplate::new("steps/{step:u32}");
    /// assert_eq!(STEPS.as_str(), "steps/{step:u32}");
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        self.text
    }

    /// The parsed template, checked for a key of type `K`.
    pub(super) fn parsed<K: FamilyKey>(&self) -> Result<&Parsed> {
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
            ParamKind::Float { .. } => "f64",
        })
        .collect();
    match parts.as_slice() {
        [one] => format!("`{one}`"),
        _ => format!("`({})`", parts.join(", ")),
    }
}

pub(super) fn parse(text: &str) -> std::result::Result<Parsed, String> {
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

impl Parsed {
    /// The path of the member whose values are `values`: the same path the
    /// walk found it at, since members round-trip.
    pub(super) fn render(&self, root: &Path, values: &[Raw]) -> PathBuf {
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
                            // A float read from a name renders again (the
                            // reading checked it), and one made from a key
                            // the caller gave is finite or not a member.
                            (ParamKind::Float { precision }, Some(Raw::Float(x))) => {
                                if let Ok(text) = render_float(*x, *precision) {
                                    name.push_str(&text);
                                }
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

impl Parsed {
    /// Whether the walk would read `path` (below `root`) as a member's
    /// name, whatever stands there: the same levels, each fixed name equal,
    /// each other name read back into values.
    pub(super) fn reads(&self, root: &Path, path: &Path) -> bool {
        self.reads_below(&root.join(&self.base), path)
    }

    /// [`reads`](Parsed::reads), with the fixed base and `path`'s folder
    /// resolved first: a path spelled another way than the root (absolute
    /// against relative, through a link to the checkpoints' folder) that
    /// leads to a member's name is read as one too. A folder that does not
    /// exist resolves to nothing, and reads nothing.
    pub(super) fn reads_resolved(&self, root: &Path, path: &Path) -> bool {
        let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
            return false;
        };
        let folder = if folder.as_os_str().is_empty() {
            Path::new(".")
        } else {
            folder
        };
        match (
            std::fs::canonicalize(root.join(&self.base)),
            std::fs::canonicalize(folder),
        ) {
            (Ok(base), Ok(folder)) => self.reads_below(&base, &folder.join(name)),
            _ => false,
        }
    }

    fn reads_below(&self, base: &Path, path: &Path) -> bool {
        let Ok(below) = path.strip_prefix(base) else {
            return false;
        };
        let names: Vec<_> = below.components().collect();
        if names.len() != self.levels.len() {
            return false;
        }
        let first_level = self.base.as_os_str().is_empty();
        let mut values = Vec::new();
        names
            .iter()
            .zip(&self.levels)
            .enumerate()
            .all(|(i, (name, level))| {
                let std::path::Component::Normal(name) = name else {
                    return false;
                };
                match (level, name.to_str()) {
                    (Level::Fixed(fixed), _) => *name == fixed.as_str(),
                    (Level::Named { reader, .. }, Some(text)) => {
                        !text.starts_with('.')
                            && reader.read(text, first_level && i == 0, &mut values)
                    }
                    (Level::Named { .. }, None) => false,
                }
            })
    }
}
