//! Checkpoints as Lightning's `ModelCheckpoint` names and keeps them: a
//! family keyed by a float read back from the name, the best members by a
//! metric (`keep_best`, against a writer process adding members), and a
//! `last.ckpt` link that always names the newest (`link_last`, read by a
//! reader process while it is replaced).

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::{TestResult, child_lines, is_child, spawn_child};
use runlayout::{Error, Family, FilePath, Goal, Layout};

#[derive(Layout)]
#[layout(
    top = "top/epoch={epoch:u32}-val_loss={val_loss:.4}.ckpt",
    last = "top/last.ckpt",
    by_loss = "loss/l{val_loss:.2}"
)]
struct Ckpts {
    root: PathBuf,
}

fn ckpts(root: &Path) -> Ckpts {
    Ckpts {
        root: root.to_path_buf(),
    }
}

/// The validation loss of `epoch` in the writer's run: quarters (exact in
/// binary, so the name reads back to the very value), negative ones too,
/// and many ties.
fn loss(epoch: u32) -> f64 {
    f64::from((epoch * 37) % 23) * 0.25 - 2.0
}

#[test]
fn a_float_placeholder_keys_its_family_by_f64() -> TestResult {
    let dir = tempfile::tempdir()?;
    let c = ckpts(dir.path());
    let _: Family<(u32, f64), FilePath> = c.top_family();
    let _: Family<f64, runlayout::DirPath> = c.by_loss_family();
    for (epoch, val_loss) in [(3, 0.41549), (1, -1.25), (2, 0.0), (10, 12.5)] {
        c.top(epoch, val_loss)?
            .write_atomic(format!("epoch {epoch}"))?;
    }
    for name in ["epoch=4-val_loss=0.5.ckpt", "epoch=5-val_loss=-0.0000.ckpt"] {
        fs::write(dir.path().join("top").join(name), "not a member")?;
    }
    let listed = c.top_family().list()?;
    let keys: Vec<(u32, f64)> = listed.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, [(1, -1.25), (2, 0.0), (3, 0.4155), (10, 12.5)]);
    for ((epoch, val_loss), path) in &listed {
        assert_eq!(*path, c.top(*epoch, *val_loss)?);
    }
    assert_eq!(c.top_family().last()?, Some(((10, 12.5), c.top(10, 12.5)?)));
    // Ordered by total_cmp: negative, zero, positive.
    for value in [0.5, -3.25, 0.0, -0.5, 7.0] {
        fs::create_dir_all(c.by_loss(value)?)?;
    }
    let losses: Vec<f64> = c
        .by_loss_family()
        .list()?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(losses, [-3.25, -0.5, 0.0, 0.5, 7.0]);
    Ok(())
}

#[test]
fn best_and_keep_best_rank_by_the_metric_then_by_key() -> TestResult {
    let dir = tempfile::tempdir()?;
    let c = ckpts(dir.path());
    let family = c.top_family();
    assert_eq!(family.best(|&(_, l)| l, Goal::Minimize)?, None);
    assert!(family.keep_best(3, |&(_, l)| l, Goal::Minimize)?.is_empty());
    for (epoch, val_loss) in [
        (1, 0.5),
        (2, 0.25),
        (3, 0.5),
        (4, 0.75),
        (5, 0.25),
        (6, 0.9),
    ] {
        c.top(epoch, val_loss)?.write_atomic("w")?;
    }
    fs::write(dir.path().join("top/notes.txt"), "mine")?;
    // Equal metrics: the greater key (the newer checkpoint) wins.
    let best = family.best(|&(_, l)| l, Goal::Minimize)?;
    assert_eq!(best, Some(((5, 0.25), c.top(5, 0.25)?)));
    let best = family.best(|&(_, l)| l, Goal::Maximize)?;
    assert_eq!(best.map(|(k, _)| k), Some((6, 0.9)));
    // NaN is never best, whatever the goal.
    let nan_but_3 = |&(e, l): &(u32, f64)| if e == 3 { l } else { f64::NAN };
    assert_eq!(
        family.best(nan_but_3, Goal::Maximize)?.map(|(k, _)| k),
        Some((3, 0.5))
    );
    assert_eq!(family.best(|_| f64::NAN, Goal::Minimize)?, None);

    let removed = family.keep_best(3, |&(_, l)| l, Goal::Minimize)?;
    assert_eq!(removed, [c.top(1, 0.5)?, c.top(4, 0.75)?]);
    let left: Vec<u32> = family.list()?.into_iter().map(|((e, _), _)| e).collect();
    assert_eq!(
        left,
        [2, 3, 5, 6],
        "the best three (3 over 1 on the tie), and the newest"
    );
    // NaN metrics are never kept as best: only the newest stays.
    let removed = family.keep_best(2, |_| f64::NAN, Goal::Maximize)?;
    assert_eq!(removed.len(), 3);
    assert_eq!(family.list()?, [((6, 0.9), c.top(6, 0.9)?)]);
    assert_eq!(
        fs::read_to_string(dir.path().join("top/notes.txt"))?,
        "mine"
    );
    Ok(())
}

#[cfg(unix)]
#[test]
fn keep_best_removes_linked_members_as_links_never_their_targets() -> TestResult {
    let dir = tempfile::tempdir()?;
    let outside = dir.path().join("outside");
    fs::create_dir_all(outside.join("0.50"))?;
    fs::write(outside.join("0.50/weights"), "outside")?;
    fs::write(outside.join("far.ckpt"), "far")?;
    let c = ckpts(&dir.path().join("run"));
    for value in [0.25, 0.75] {
        fs::create_dir_all(c.by_loss(value)?)?;
    }
    std::os::unix::fs::symlink(outside.join("0.50"), c.by_loss(0.5)?)?;
    c.top(1, 0.1)?.write_atomic("w")?;
    std::os::unix::fs::symlink(outside.join("far.ckpt"), c.top(2, 0.9)?)?;
    c.top(3, 0.2)?.write_atomic("w")?;
    // A linked member is removed as a link, its target stays.
    let removed = c.top_family().keep_best(1, |&(_, l)| l, Goal::Minimize)?;
    assert_eq!(removed, [c.top(2, 0.9)?]);
    assert_eq!(fs::read_to_string(outside.join("far.ckpt"))?, "far");
    // The folder member `0.50` is a link: removed as a link, never emptied.
    let removed = c.by_loss_family().keep_best(0, |&l| l, Goal::Maximize)?;
    assert_eq!(removed.len(), 2);
    assert_eq!(fs::read_to_string(outside.join("0.50/weights"))?, "outside");
    Ok(())
}

/// The last epoch the writer finished, as its progress file says.
fn finished(dir: &Path) -> Option<u32> {
    fs::read_to_string(dir.join("finished"))
        .ok()
        .and_then(|t| t.parse().ok())
}

/// `Less` when epoch `a` ranks before `b`: lower loss, then newer.
fn ranks_before(a: u32, b: u32) -> bool {
    (loss(a), std::cmp::Reverse(a)) < (loss(b), std::cmp::Reverse(b))
}

/// The epochs of the best `n` of `0..epochs` and the newest.
fn best_of(epochs: u32, n: usize) -> Vec<u32> {
    let mut all: Vec<u32> = (0..epochs).collect();
    all.sort_by(|&a, &b| loss(a).total_cmp(&loss(b)).then_with(|| b.cmp(&a)));
    let mut kept: Vec<u32> = all.into_iter().take(n).collect();
    if let Some(newest) = epochs.checked_sub(1)
        && !kept.contains(&newest)
    {
        kept.push(newest);
    }
    kept.sort_unstable();
    kept
}

const KEEP: usize = 3;
const WRITTEN: u32 = 150;
const WRITER: &str = "best-writer";
const RACE: &str = "best::keep_best_against_a_writer_keeps_exactly_the_best";

#[test]
fn keep_best_against_a_writer_keeps_exactly_the_best() -> TestResult {
    if is_child(WRITER) {
        let dir = PathBuf::from(std::env::var("RUNLAYOUT_TEST_ROOT")?);
        let c = ckpts(&dir.join("run"));
        for epoch in 0..WRITTEN {
            c.top(epoch, loss(epoch))?
                .write_atomic(format!("epoch {epoch}"))?;
            fs::write(dir.join("finished.new"), epoch.to_string())?;
            fs::rename(dir.join("finished.new"), dir.join("finished"))?;
        }
        println!("WROTE {WRITTEN}");
        return Ok(());
    }
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path();
    let c = ckpts(&dir.join("run"));
    let env = [("RUNLAYOUT_TEST_ROOT", dir.as_os_str())];
    let mut writer = spawn_child(RACE, WRITER, &env);
    let mut rounds = 0;
    let mut removed_any = 0;
    let watched = (|| -> TestResult {
        while writer.try_wait()?.is_none() {
            rounds += 1;
            let removed = c
                .top_family()
                .keep_best_report(KEEP, |&(_, l)| l, Goal::Minimize)?;
            let after = finished(dir).map_or(0, |f| f + 1);
            removed_any += removed.removed.len();
            for ((epoch, val_loss), _) in &removed.removed {
                assert_eq!(*val_loss, loss(*epoch));
                // It was no newest, and KEEP better ones had been written.
                let better = (0..=after).filter(|&e| ranks_before(e, *epoch)).count();
                assert!(
                    *epoch < after && better >= KEEP,
                    "epoch {epoch} removed with {better} better and {after} written"
                );
            }
            for ((epoch, _), member) in c.top_family().list()? {
                match fs::read_to_string(&member) {
                    Ok(text) => assert_eq!(text, format!("epoch {epoch}")),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(())
    })();
    let wrote = child_lines(writer, "WROTE ");
    watched?;
    assert_eq!(wrote, [WRITTEN.to_string()]);
    assert!(
        removed_any > 0,
        "removals overlapped the writer ({rounds} rounds)"
    );
    // A member wrongly removed meanwhile could not come back: the best of
    // all, and the newest, are exactly what stays.
    c.top_family()
        .keep_best(KEEP, |&(_, l)| l, Goal::Minimize)?;
    let left: Vec<u32> = c
        .top_family()
        .list()?
        .into_iter()
        .map(|((e, _), _)| e)
        .collect();
    assert_eq!(left, best_of(WRITTEN, KEEP));
    assert_eq!(
        crate::support::temporaries(&dir.join("run/top")),
        Vec::<String>::new()
    );
    Ok(())
}

#[test]
fn link_last_names_the_newest_and_is_never_a_member() -> TestResult {
    let dir = tempfile::tempdir()?;
    let c = ckpts(dir.path());
    let family = c.top_family();
    // No member: nothing to link, nothing made.
    family.link_last(&c.last())?;
    assert!(fs::symlink_metadata(c.last()).is_err());
    for (epoch, val_loss) in [(1, 0.9), (2, 0.4155), (3, 0.5)] {
        c.top(epoch, val_loss)?
            .write_atomic(format!("epoch {epoch}"))?;
        family.link_last(&c.last())?;
        assert_eq!(fs::read_to_string(c.last())?, format!("epoch {epoch}"));
    }
    #[cfg(unix)]
    assert_eq!(
        fs::read_link(c.last())?,
        Path::new("epoch=3-val_loss=0.5000.ckpt"),
        "relative, so the run folder can move"
    );
    assert_eq!(family.list()?.len(), 3, "the link is no member");
    assert_eq!(family.keep_last(1)?.len(), 2);
    assert!(c.last().exists());
    // Every member gone: the link goes too, never left dangling.
    family.keep_last(0)?;
    family.link_last(&c.last())?;
    assert!(fs::symlink_metadata(c.last()).is_err());

    // A name the template reads is refused: the link would be a member.
    c.top(4, 0.1)?.write_atomic("epoch 4")?;
    let member_name = FilePath::new(dir.path().join("top/epoch=9-val_loss=0.0000.ckpt"));
    let err = family.link_last(&member_name).unwrap_err();
    assert!(matches!(err, Error::LinkIsMember { .. }), "{err}");
    assert_eq!(err.path(), Some(member_name.as_path()));
    assert!(!member_name.exists());
    // Spelled another way than the family's root: refused all the same.
    let spelled = FilePath::new(dir.path().join("top/../top/epoch=9-val_loss=0.0000.ckpt"));
    let err = family.link_last(&spelled).unwrap_err();
    assert!(matches!(err, Error::LinkIsMember { .. }), "{err}");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.path().join("top"), dir.path().join("alias"))?;
        let linked = FilePath::new(dir.path().join("alias/epoch=9-val_loss=0.0000.ckpt"));
        let err = family.link_last(&linked).unwrap_err();
        assert!(matches!(err, Error::LinkIsMember { .. }), "{err}");
        assert!(!member_name.exists());
    }
    // A real file at the link's name is data: left untouched.
    fs::write(c.last(), "copied by hand")?;
    let err = family.link_last(&c.last()).unwrap_err();
    assert!(matches!(err, Error::NotALink { .. }), "{err}");
    assert_eq!(fs::read_to_string(c.last())?, "copied by hand");
    Ok(())
}

#[cfg(unix)]
#[test]
fn link_last_through_a_linked_checkpoint_folder_is_relative_to_where_it_leads() -> TestResult {
    #[derive(Layout)]
    #[layout(ckpt = "ckpt/e{epoch:u32}.pt", last = "last.pt")]
    struct Linked {
        root: PathBuf,
    }
    let dir = tempfile::tempdir()?;
    let scratch = dir.path().join("scratch/ckpt");
    fs::create_dir_all(&scratch)?;
    fs::create_dir(dir.path().join("run"))?;
    std::os::unix::fs::symlink(&scratch, dir.path().join("run/ckpt"))?;
    let l = Linked {
        root: dir.path().join("run"),
    };
    l.ckpt(7).write_atomic("seven")?;
    l.ckpt_family().link_last(&l.last())?;
    assert_eq!(fs::read_to_string(l.last())?, "seven");
    assert_eq!(fs::read_link(l.last())?, Path::new("../scratch/ckpt/e7.pt"));
    Ok(())
}

/// The bytes of the member of `epoch` in the reader test: large enough to
/// be written in more than one piece, and telling which epoch they are.
fn payload(epoch: u32) -> Vec<u8> {
    let mut bytes = format!("epoch {epoch}\n").into_bytes();
    bytes.resize(32 * 1024, b'a' + (epoch % 26) as u8);
    bytes
}

/// The epoch whose whole payload `bytes` is, if they are one.
fn whole_payload(bytes: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(bytes.get(..bytes.iter().position(|&b| b == b'\n')?)?).ok()?;
    let epoch = text.strip_prefix("epoch ")?.parse().ok()?;
    (bytes == payload(epoch)).then_some(epoch)
}

const REPLACEMENTS: u32 = 1_000;
const READER: &str = "last-reader";
const READ_RACE: &str = "best::link_last_is_never_missing_nor_partial_for_a_reader";

#[test]
fn link_last_is_never_missing_nor_partial_for_a_reader() -> TestResult {
    if is_child(READER) {
        let dir = PathBuf::from(std::env::var("RUNLAYOUT_TEST_ROOT")?);
        let c = ckpts(&dir.join("run"));
        let (mut reads, mut seen) = (0u64, 0u32);
        fs::write(dir.join("ready"), "")?;
        while !dir.join("stop").exists() {
            let bytes =
                fs::read(c.last()).map_err(|e| format!("read {reads}: last.ckpt missing: {e}"))?;
            let epoch = whole_payload(&bytes)
                .ok_or_else(|| format!("read {reads}: a partial file ({} bytes)", bytes.len()))?;
            // The link only ever moves forward.
            assert!(epoch >= seen, "epoch {epoch} after {seen}");
            seen = epoch;
            reads += 1;
        }
        println!("READS {reads} LAST {seen}");
        return Ok(());
    }
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path();
    let c = ckpts(&dir.join("run"));
    let family = c.top_family();
    c.top(0, loss(0))?.write_atomic(payload(0))?;
    family.link_last(&c.last())?;
    let env = [("RUNLAYOUT_TEST_ROOT", dir.as_os_str())];
    let reader = spawn_child(READ_RACE, READER, &env);
    let replaced = (|| -> TestResult {
        let started = std::time::Instant::now();
        while !dir.join("ready").exists() {
            assert!(started.elapsed().as_secs() < 60, "the reader never started");
            std::thread::yield_now();
        }
        for epoch in 1..=REPLACEMENTS {
            c.top(epoch, loss(epoch))?.write_atomic(payload(epoch))?;
            family.link_last(&c.last())?;
        }
        Ok(())
    })();
    // Whatever happened, the reader is stopped and waited for.
    let stopped = fs::write(dir.join("stop"), "");
    let lines = child_lines(reader, "READS ");
    stopped?;
    replaced?;
    let (reads, last) = lines[0].split_once(" LAST ").expect("a count");
    assert!(
        reads.parse::<u64>()? > 0,
        "the reader read while links were replaced"
    );
    assert!(last.parse::<u32>()? <= REPLACEMENTS);
    assert_eq!(fs::read(c.last())?, payload(REPLACEMENTS));
    assert_eq!(
        crate::support::temporaries(&dir.join("run/top")),
        Vec::<String>::new()
    );
    assert_eq!(family.list()?.len(), REPLACEMENTS as usize + 1);
    Ok(())
}
