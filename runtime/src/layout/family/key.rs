//! What a family is keyed by ([`FamilyKey`]: integers, floats, text and
//! tuples of them) and what its members are ([`FamilyMember`]: `FilePath`,
//! `DirPath`), sealed so that only this crate implements them. Keys are
//! ordered by the sealed trait's `order`, not by `Ord`: a float key is a
//! plain `f64`, ordered by `f64::total_cmp`.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use runlayout_grammar::template::ParamKind;

use crate::layout::entry::EntryKind;
use crate::layout::typed_path::{DirPath, FilePath};

/// The traits behind [`FamilyKey`] and [`FamilyMember`]: implemented here
/// only, so that their methods can change without breaking anyone.
pub(super) mod sealed {
    use std::cmp::Ordering;
    use std::path::{Path, PathBuf};

    use runlayout_grammar::template::ParamKind;

    use crate::layout::entry::EntryKind;

    /// A value read from a name, owned; ordered as keys are (one template's
    /// values have the same kind at each place), a float by `total_cmp`.
    #[derive(Debug, Clone)]
    pub enum Raw {
        Uint(u128),
        Float(f64),
        Text(String),
    }

    impl Raw {
        fn rank(&self) -> u8 {
            match self {
                Raw::Uint(_) => 0,
                Raw::Float(_) => 1,
                Raw::Text(_) => 2,
            }
        }
    }

    impl Ord for Raw {
        fn cmp(&self, other: &Raw) -> Ordering {
            match (self, other) {
                (Raw::Uint(a), Raw::Uint(b)) => a.cmp(b),
                (Raw::Float(a), Raw::Float(b)) => a.total_cmp(b),
                (Raw::Text(a), Raw::Text(b)) => a.cmp(b),
                _ => self.rank().cmp(&other.rank()),
            }
        }
    }

    impl PartialOrd for Raw {
        fn partial_cmp(&self, other: &Raw) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }

    impl PartialEq for Raw {
        fn eq(&self, other: &Raw) -> bool {
            self.cmp(other) == Ordering::Equal
        }
    }

    impl Eq for Raw {}

    /// One placeholder's value: an unsigned integer, a float or text.
    pub trait Part: Sized {
        /// Whether a placeholder of `kind` takes values of this type.
        fn fits(kind: &ParamKind) -> bool;
        /// The type's name, for messages.
        fn describe() -> &'static str;
        /// Takes the value out of `raw`.
        fn take(raw: &mut Raw) -> Option<Self>;
        /// The value, to be rendered.
        fn raw(&self) -> Raw;
        /// The order of keys: `Ord`'s, and `total_cmp` for a float.
        fn order(&self, other: &Self) -> Ordering;
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
        /// The order of keys: part by part, each as [`Part::order`].
        fn order(&self, other: &Self) -> Ordering;
    }

    /// A typed path a family member is.
    pub trait Member: Sized {
        /// What a member must be on disk.
        const KIND: EntryKind;
        fn from_path(path: PathBuf) -> Self;
        fn path(&self) -> &Path;
    }
}

pub(super) use sealed::Raw;

/// What a [`Family`](crate::Family) is keyed by: the values of its template's placeholders.
///
/// Implemented for `u8`, `u16`, `u32`, `u64`, `u128` and `usize` (an
/// integer placeholder of that type; `{epoch:04}` takes a `u64`), `f64` (a
/// float placeholder, `{val_loss:.4}`), `String` (a text placeholder), and
/// tuples of 2 to 12 of them, one per placeholder in the order they appear.
/// It is sealed: the derive picks the key for each entry, and no other type
/// can read names back.
///
/// A family orders its members by key, part by part: integers and text as
/// `Ord` does, floats by [`f64::total_cmp`]. So a key needs no `Ord` (an
/// `f64` has none) and no wrapper type: `top/e{epoch:u32}_{val_loss:.4}.ckpt`
/// gives a `Family<(u32, f64), FilePath>`. A float read from a name is
/// never NaN, infinite or `-0.0` (no name holds one).
///
/// ```
/// use runlayout::{Family, FilePath, family::FamilyTemplate};
///
/// static SAMPLES: FamilyTemplate = FamilyTemplate::new("samples/{split}/{step:u32}.png");
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("samples/val"))?;
/// std::fs::write(dir.path().join("samples/val/20.png"), b"png")?;
/// let samples: Family<(String, u32), FilePath> = Family::new(dir.path(), &SAMPLES);
/// assert_eq!(samples.list()?[0].0, ("val".to_owned(), 20));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait FamilyKey: sealed::Key {}

/// The order of keys in a family (see [`FamilyKey`]).
pub(super) fn order<K: FamilyKey>(a: &K, b: &K) -> Ordering {
    sealed::Key::order(a, b)
}

/// What a [`Family`](crate::Family)'s members are: [`FilePath`] for a file entry,
/// [`DirPath`] for a folder entry. Sealed.
///
/// ```
/// use runlayout::{DirPath, Family, family::FamilyTemplate};
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
                    Raw::Float(_) | Raw::Text(_) => None,
                }
            }
            fn raw(&self) -> Raw {
                Raw::Uint(*self as u128)
            }
            fn order(&self, other: &$ty) -> Ordering {
                self.cmp(other)
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
            fn order(&self, other: &$ty) -> Ordering {
                self.cmp(other)
            }
        }

        impl FamilyKey for $ty {}
    )*};
}

uint_keys!(u8 u16 u32 u64 u128 usize);

impl sealed::Part for f64 {
    fn fits(kind: &ParamKind) -> bool {
        matches!(kind, ParamKind::Float { .. })
    }
    fn describe() -> &'static str {
        "f64"
    }
    fn take(raw: &mut Raw) -> Option<f64> {
        match raw {
            Raw::Float(x) => Some(*x),
            Raw::Uint(_) | Raw::Text(_) => None,
        }
    }
    fn raw(&self) -> Raw {
        Raw::Float(*self)
    }
    fn order(&self, other: &f64) -> Ordering {
        self.total_cmp(other)
    }
}

impl sealed::Key for f64 {
    fn fits(kinds: &[ParamKind]) -> bool {
        matches!(kinds, [kind] if <f64 as sealed::Part>::fits(kind))
    }
    fn describe() -> String {
        "f64".to_owned()
    }
    fn take(raw: &mut [Raw]) -> Option<f64> {
        match raw {
            [one] => <f64 as sealed::Part>::take(one),
            _ => None,
        }
    }
    fn raw(&self, out: &mut Vec<Raw>) {
        out.push(sealed::Part::raw(self));
    }
    fn order(&self, other: &f64) -> Ordering {
        self.total_cmp(other)
    }
}

impl FamilyKey for f64 {}

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
            Raw::Uint(_) | Raw::Float(_) => None,
        }
    }
    fn raw(&self) -> Raw {
        Raw::Text(self.clone())
    }
    fn order(&self, other: &String) -> Ordering {
        self.cmp(other)
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
    fn order(&self, other: &String) -> Ordering {
        self.cmp(other)
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
            fn order(&self, other: &Self) -> Ordering {
                Ordering::Equal
                    $(.then_with(|| sealed::Part::order(&self.$index, &other.$index)))+
            }
        }

        impl<$($part: sealed::Part),+> FamilyKey for ($($part,)+) {}
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
