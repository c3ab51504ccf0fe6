//! Checking a layout against the layouts it nests, at compile time.
//!
//! The derive checks one layout's own entries while it expands, but cannot
//! see the entries of a layout it mounts with `nest(..)`: those are another
//! type's `ENTRIES`. So for each nested layout it emits a constant that
//! calls [`nested_conflict`]; a conflict makes that constant panic, which
//! rustc reports as a compile error at the `nest(..)` with the message
//! built here, naming both entries.
//!
//! Hidden from the docs: generated code is the only intended caller.

use crate::layout::entry::{Entry, EntryKind};

/// The longest message kept; what goes beyond is cut at a character.
const CAPACITY: usize = 1024;

/// How deep layouts nest before the check stops descending.
const DEPTH: usize = 16;

/// A conflict between two entries, described in words, or nothing. Built at
/// compile time, so it holds its text in a fixed buffer.
///
/// ```
/// use runlayout::layout::Entry;
/// use runlayout::__private::nested_conflict;
///
/// const TRACKER: &[Entry] = &[Entry::file("config", "config.yaml")];
/// const PARENT: &[Entry] = &[
///     Entry::nested("tracker", "tracker", TRACKER),
///     Entry::file("tracker_cfg", "tracker/config.yaml"),
/// ];
/// const CONFLICT: runlayout::__private::Conflict = nested_conflict(PARENT, 0);
/// assert_eq!(
///     CONFLICT.as_str(),
///     "entry `tracker_cfg` and nested entry `tracker.config` both name \
///      `tracker/config.yaml`: one path, one name"
/// );
/// ```
pub struct Conflict {
    bytes: [u8; CAPACITY],
    len: usize,
}

impl Conflict {
    const fn none() -> Conflict {
        Conflict {
            bytes: [0; CAPACITY],
            len: 0,
        }
    }

    /// Whether there is no conflict.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The description; empty if there is no conflict.
    #[must_use]
    pub const fn as_str(&self) -> &str {
        match core::str::from_utf8(self.bytes.split_at(self.len).0) {
            Ok(text) => text,
            Err(_) => "conflicting entries",
        }
    }

    /// Appends `text`, or as much of it as fits, cut at a character.
    const fn push(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let mut end = bytes.len();
        if self.len + end > CAPACITY {
            end = CAPACITY - self.len;
            // Back off to the start of a character.
            while end > 0 && bytes[end] & 0xC0 == 0x80 {
                end -= 1;
            }
        }
        let mut i = 0;
        while i < end {
            self.bytes[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
    }

    /// "entry `a`" or "nested entry `t.a`".
    const fn push_entry(&mut self, place: &Chain) {
        self.push(if place.len > 1 {
            "nested entry `"
        } else {
            "entry `"
        });
        let mut i = 0;
        while i < place.len {
            if i > 0 {
                self.push(".");
            }
            self.push(place.names[i]);
            i += 1;
        }
        self.push("`");
    }

    /// The path of `place`, its parts joined by `/`.
    const fn push_path(&mut self, place: &Chain) {
        self.push("`");
        let mut i = 0;
        while i < place.len {
            if i > 0 {
                self.push("/");
            }
            self.push(trim_slash(place.parts[i]));
            i += 1;
        }
        self.push("`");
    }
}

/// `path` without a trailing `/`.
const fn trim_slash(path: &str) -> &str {
    let bytes = path.as_bytes();
    if !bytes.is_empty() && bytes[bytes.len() - 1] == b'/' {
        match core::str::from_utf8(bytes.split_at(bytes.len() - 1).0) {
            Ok(trimmed) => trimmed,
            Err(_) => path,
        }
    } else {
        path
    }
}

/// Where an entry sits below the top layout's root, as the chain of the
/// paths of the `nest(..)` entries above it and its own, and their names.
#[derive(Clone, Copy)]
struct Chain {
    parts: [&'static str; DEPTH],
    names: [&'static str; DEPTH],
    len: usize,
}

impl Chain {
    /// The place of `entry`, which sits right inside `self` (or, for
    /// `None`, right inside the top layout).
    const fn child(parent: Option<&Chain>, entry: &Entry) -> Chain {
        let mut place = match parent {
            Some(parent) => *parent,
            None => Chain {
                parts: [""; DEPTH],
                names: [""; DEPTH],
                len: 0,
            },
        };
        place.parts[place.len] = entry.path();
        place.names[place.len] = entry.name();
        place.len += 1;
        place
    }
}

/// A position in a place's path: the part, and the byte in it.
#[derive(Clone, Copy)]
struct Cursor {
    part: usize,
    byte: usize,
}

/// The next component of `place`'s path from `at`, and the position after it.
const fn next_component(place: &Chain, mut at: Cursor) -> Option<(&'static [u8], Cursor)> {
    while at.part < place.len {
        let bytes = place.parts[at.part].as_bytes();
        while at.byte < bytes.len() && bytes[at.byte] == b'/' {
            at.byte += 1;
        }
        if at.byte == bytes.len() {
            at.part += 1;
            at.byte = 0;
            continue;
        }
        let start = at.byte;
        while at.byte < bytes.len() && bytes[at.byte] != b'/' {
            at.byte += 1;
        }
        let (head, _) = bytes.split_at(at.byte);
        let (_, component) = head.split_at(start);
        return Some((component, at));
    }
    None
}

/// Whether two components have one shape: equal, with any placeholder
/// (`{..}`) equal to any other, as the derive compares paths.
const fn same_component(a: &[u8], b: &[u8]) -> bool {
    let (mut i, mut j) = (0, 0);
    loop {
        if i == a.len() || j == b.len() {
            return i == a.len() && j == b.len();
        }
        if a[i] == b'{' && b[j] == b'{' {
            while i < a.len() && a[i] != b'}' {
                i += 1;
            }
            while j < b.len() && b[j] != b'}' {
                j += 1;
            }
        } else if a[i] != b[j] {
            return false;
        }
        i += 1;
        j += 1;
    }
}

/// How the path of `a` relates to the path of `b`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Relation {
    Same,
    /// `a` is a folder above `b`.
    Above,
    /// `b` is a folder above `a`.
    Below,
    Apart,
}

const fn relation(a: &Chain, b: &Chain) -> Relation {
    let start = Cursor { part: 0, byte: 0 };
    let (mut x, mut y) = (start, start);
    loop {
        match (next_component(a, x), next_component(b, y)) {
            (None, None) => return Relation::Same,
            (None, Some(_)) => return Relation::Above,
            (Some(_), None) => return Relation::Below,
            (Some((ca, nx)), Some((cb, ny))) => {
                if !same_component(ca, cb) {
                    return Relation::Apart;
                }
                x = nx;
                y = ny;
            }
        }
    }
}

/// The conflict between two entries at their places, if any.
const fn pair(a: &Entry, at: &Chain, b: &Entry, bt: &Chain) -> Conflict {
    let mut out = Conflict::none();
    let a_file = matches!(a.kind(), EntryKind::File);
    let b_file = matches!(b.kind(), EntryKind::File);
    match relation(at, bt) {
        Relation::Same if a_file == b_file => {
            // `b` first: it is the entry of the layout being derived, or of
            // the nested layout declared earlier.
            out.push_entry(bt);
            out.push(" and ");
            out.push_entry(at);
            out.push(" both name ");
            out.push_path(at);
            out.push(": one path, one name");
        }
        Relation::Same => {
            let (fat, folder, dat) = if a_file { (at, b, bt) } else { (bt, a, at) };
            if folder.children().is_empty() {
                out.push_path(fat);
                out.push(" is a file for ");
                out.push_entry(fat);
                out.push(" and a folder for ");
                out.push_entry(dat);
            } else {
                out.push("the layout nested by ");
                out.push_entry(dat);
                out.push(" is mounted at ");
                out.push_path(dat);
                out.push(", which ");
                out.push_entry(fat);
                out.push(" declares a file");
            }
        }
        Relation::Above if a_file => inside_file(&mut out, at, bt),
        Relation::Below if b_file => inside_file(&mut out, bt, at),
        _ => {}
    }
    out
}

/// "`file` is a file (entry), so `inner` (entry) cannot be inside it".
const fn inside_file(out: &mut Conflict, file: &Chain, inner: &Chain) {
    out.push_path(file);
    out.push(" is a file (");
    out.push_entry(file);
    out.push("), so ");
    out.push_path(inner);
    out.push(" (");
    out.push_entry(inner);
    out.push(") cannot be inside it");
}

/// The first conflict between an entry inside the layout mounted by
/// `top[nest]` (at any depth) and the other entries of `top`: those of
/// `top` itself and, for nested layouts declared after `nest`, theirs.
/// (Entries of one nested layout were checked when it was derived; pairs
/// with an earlier nested layout are that one's to report.)
///
/// # Panics
///
/// Never at compile time for an index the derive passes; a `nest` out of
/// bounds panics.
#[must_use]
pub const fn nested_conflict(top: &'static [Entry], nest: usize) -> Conflict {
    let mount = Chain::child(None, &top[nest]);
    in_subtree(top, nest, top[nest].children(), &mount)
}

/// Checks each entry of `entries` (at `at`), and those below, against the
/// others.
const fn in_subtree(top: &'static [Entry], nest: usize, entries: &[Entry], at: &Chain) -> Conflict {
    let mut i = 0;
    while i < entries.len() {
        let entry = &entries[i];
        let place = Chain::child(Some(at), entry);
        let found = against_others(top, nest, entry, &place);
        if !found.is_empty() {
            return found;
        }
        if !entry.children().is_empty() && place.len < DEPTH {
            let found = in_subtree(top, nest, entry.children(), &place);
            if !found.is_empty() {
                return found;
            }
        }
        i += 1;
    }
    Conflict::none()
}

/// Checks `entry` (at `at`) against the entries of `top` other than `nest`
/// and the nested layouts declared after it.
const fn against_others(top: &'static [Entry], nest: usize, entry: &Entry, at: &Chain) -> Conflict {
    let mut j = 0;
    while j < top.len() {
        if j != nest {
            let other = &top[j];
            let place = Chain::child(None, other);
            let found = pair(entry, at, other, &place);
            if !found.is_empty() {
                return found;
            }
            if j > nest && !other.children().is_empty() {
                let found = against_all(entry, at, other.children(), &place);
                if !found.is_empty() {
                    return found;
                }
            }
        }
        j += 1;
    }
    Conflict::none()
}

/// Checks `entry` (at `at`) against every entry of `others` (inside
/// `their`) and below.
const fn against_all(entry: &Entry, at: &Chain, others: &[Entry], their: &Chain) -> Conflict {
    let mut k = 0;
    while k < others.len() {
        let other = &others[k];
        let place = Chain::child(Some(their), other);
        let found = pair(entry, at, other, &place);
        if !found.is_empty() {
            return found;
        }
        if !other.children().is_empty() && place.len < DEPTH {
            let found = against_all(entry, at, other.children(), &place);
            if !found.is_empty() {
                return found;
            }
        }
        k += 1;
    }
    Conflict::none()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACKER: &[Entry] = &[
        Entry::file("config", "config.yaml"),
        Entry::dir("plots", "plots/"),
    ];
    const DEEP: &[Entry] = &[Entry::nested("tracker", "t", TRACKER)];

    fn conflict(top: &'static [Entry], nest: usize) -> String {
        nested_conflict(top, nest).as_str().to_owned()
    }

    #[test]
    fn disjoint_layouts_do_not_conflict() {
        const TOP: &[Entry] = &[
            Entry::nested("tracker", "tracker", TRACKER),
            Entry::file("log", "log.txt"),
            Entry::file("tracker_log", "tracker/log.txt"),
            Entry::file("plot", "tracker/plots/{n}.png"),
            Entry::nested("other", "other", TRACKER),
        ];
        assert_eq!(conflict(TOP, 0), "");
        assert_eq!(conflict(TOP, 4), "");
    }

    #[test]
    fn two_names_for_one_path_across_a_nest() {
        const TOP: &[Entry] = &[
            Entry::file("cfg", "a/t/config.yaml"),
            Entry::nested("deep", "a", DEEP),
        ];
        assert_eq!(
            conflict(TOP, 1),
            "entry `cfg` and nested entry `deep.tracker.config` both name \
             `a/t/config.yaml`: one path, one name"
        );
        const PLACEHOLDERS: &[Entry] = &[
            Entry::nested("tracker", "tracker/", TRACKER),
            Entry::dir("plots", "tracker/{x}/"),
        ];
        assert_eq!(conflict(PLACEHOLDERS, 0), "");
    }

    #[test]
    fn files_used_as_folders_across_a_nest() {
        const INTO_CHILD: &[Entry] = &[
            Entry::nested("tracker", "tracker", TRACKER),
            Entry::file("old", "tracker/config.yaml/old.yaml"),
        ];
        assert_eq!(
            conflict(INTO_CHILD, 0),
            "`tracker/config.yaml` is a file (nested entry `tracker.config`), so \
             `tracker/config.yaml/old.yaml` (entry `old`) cannot be inside it"
        );
        const FILES: &[Entry] = &[Entry::file("data", "data")];
        const INTO_PARENT: &[Entry] = &[
            Entry::file("summary", "t/summary"),
            Entry::nested("t", "t/summary/x", FILES),
        ];
        // The mount itself is the macro's to check; its entries are ours.
        assert_eq!(
            conflict(INTO_PARENT, 1),
            "`t/summary` is a file (entry `summary`), so `t/summary/x/data` \
             (nested entry `t.data`) cannot be inside it"
        );
    }

    #[test]
    fn a_layout_mounted_where_a_nested_file_is() {
        const FILES: &[Entry] = &[Entry::file("sub", "sub")];
        const TOP: &[Entry] = &[
            Entry::nested("first", "t", FILES),
            Entry::nested("second", "t/sub", TRACKER),
        ];
        assert_eq!(
            conflict(TOP, 0),
            "the layout nested by entry `second` is mounted at `t/sub`, which \
             nested entry `first.sub` declares a file"
        );
        assert_eq!(conflict(TOP, 1), "", "reported once, at the first nest");
    }

    #[test]
    fn long_messages_are_cut_at_a_character() {
        let mut c = Conflict::none();
        for _ in 0..CAPACITY {
            c.push("é");
        }
        assert_eq!(c.as_str().chars().count(), CAPACITY / 2);
        assert!(!c.is_empty());
    }
}
