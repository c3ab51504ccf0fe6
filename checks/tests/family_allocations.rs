//! `last()` makes no path for the members it passes over: per member it
//! allocates no more than reading the folder does (std's `DirEntry` and its
//! `file_name()`), while `list()` makes one path per member. Counted with an
//! allocator that counts the allocations of the calling thread.

use std::alloc::{GlobalAlloc, Layout as AllocLayout, System};
use std::cell::Cell;
use std::fs;
use std::path::PathBuf;

use runlayout::Layout;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is passed on to the system allocator unchanged; the
// count is a thread-local `Cell` with a const initializer, which neither
// allocates nor runs a destructor.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: AllocLayout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: AllocLayout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: AllocLayout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// How many allocations `f` makes on this thread.
fn allocations<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (ALLOCATIONS.with(Cell::get) - before, out)
}

#[derive(Layout)]
#[layout(
    checkpoint = "checkpoints",
    epoch_ckpt = "checkpoints/epoch_{epoch:04}.ckpt"
)]
struct Paths {
    root: PathBuf,
}

#[test]
fn last_allocates_no_path_for_the_members_it_passes_over() -> Result<(), Box<dyn std::error::Error>>
{
    const MEMBERS: usize = 2_000;
    let dir = tempfile::tempdir()?;
    let paths = Paths {
        root: dir.path().to_path_buf(),
    };
    fs::create_dir(paths.checkpoint())?;
    for epoch in 1..=MEMBERS as u64 {
        fs::write(paths.epoch_ckpt(epoch), b"")?;
    }
    let family = paths.epoch_ckpt_family();
    family.last()?; // the template is parsed at first use
    let folder = paths.checkpoint();

    let (reading, count) = allocations(|| {
        fs::read_dir(&folder).map(|entries| {
            entries
                .map(|entry| entry.map(|e| e.file_name().len()))
                .collect::<Result<Vec<_>, _>>()
        })
    });
    assert_eq!(count??.len(), MEMBERS);
    let (last, found) = allocations(|| family.last());
    assert_eq!(
        found?,
        Some((MEMBERS as u64, paths.epoch_ckpt(MEMBERS as u64)))
    );
    let (list, listed) = allocations(|| family.list());
    assert_eq!(listed?.len(), MEMBERS);

    // A few allocations per call (the walk's buffers, the one path made),
    // none per member beyond what reading the folder costs.
    assert!(
        last <= reading + 16,
        "last() made {last} allocations, reading the folder {reading}"
    );
    assert!(
        list >= last + MEMBERS,
        "list() made {list} allocations, last() {last}: one path per member"
    );
    Ok(())
}
