//! The readers of a run folder's JSON records on arbitrary bytes: the bytes
//! become the run's `run.json` and its `run.status.json`, and are read
//! through the public API.
//!
//! Properties:
//!
//! - Nothing panics (`Manifest::read`, `created_at`, `Run::state`,
//!   `Run::status`, `Run::ended`).
//! - `Manifest::read` is serde_json's reading of the bytes into a
//!   `Manifest`, exactly: the same manifest, or `Error::InvalidRecord`
//!   naming the file where serde_json refuses them.
//! - A manifest read writes back (compact and pretty, as runlayout writes
//!   it) to JSON that reads into the same manifest, unknown fields and all.
//! - `Run::state` and `Run::ended` agree on how the run ended.

#![no_main]

use std::fs;
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use runlayout_runtime::{Error, Manifest, Run};

struct Scratch {
    run: Run,
    manifest: PathBuf,
    status: PathBuf,
    /// Kept for the life of the process, removed when `scripts/fuzz`
    /// removes the scratch folder it points `TMPDIR` at.
    _dir: tempfile::TempDir,
}

fn scratch() -> &'static Scratch {
    static SCRATCH: OnceLock<Scratch> = OnceLock::new();
    SCRATCH.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let run = Run::builder(dir.path())
            .stage("fuzz")
            .latest_pointer(false)
            .create()
            .expect("a run folder");
        Scratch {
            manifest: run.path().join("run.json"),
            status: run.path().join("run.status.json"),
            run,
            _dir: dir,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let s = scratch();
    fs::write(&s.manifest, data).expect("writing run.json");
    let direct = serde_json::from_slice::<Manifest>(data);
    match (direct, Manifest::read(s.run.path())) {
        (Ok(expected), Ok(Some(read))) => {
            assert_eq!(read, expected);
            round_trips(&read);
        }
        (Err(_), Err(Error::InvalidRecord { path, .. })) => assert_eq!(path, s.manifest),
        (direct, read) => panic!("{data:?}: serde_json gives {direct:?}, Manifest::read {read:?}"),
    }

    fs::write(&s.status, data).expect("writing run.status.json");
    let state = s.run.state();
    let ended = s.run.ended();
    let _ = s.run.status();
    match (state, ended) {
        (Ok(state), Ok(ended)) => assert_eq!(state.ended, ended, "{data:?}"),
        (Err(_), Err(_)) => {}
        // `state` also reads run.json, to ask after the run's creator.
        (Err(Error::InvalidRecord { path, .. }), Ok(_)) => assert_eq!(path, s.manifest),
        (state, ended) => panic!("{data:?}: state() gives {state:?}, ended() {ended:?}"),
    }
});

fn round_trips(manifest: &Manifest) {
    let _ = manifest.created_at();
    for json in [
        serde_json::to_vec(manifest),
        serde_json::to_vec_pretty(manifest),
    ] {
        let json = json.unwrap_or_else(|e| panic!("{manifest:?} cannot be written: {e}"));
        let again: Manifest = serde_json::from_slice(&json).unwrap_or_else(|e| {
            panic!(
                "{manifest:?} was written as {:?}, which cannot be read: {e}",
                String::from_utf8_lossy(&json)
            )
        });
        assert_eq!(&again, manifest, "{:?}", String::from_utf8_lossy(&json));
    }
}
