//! Reading the records of every run of a home at once, as a listing of all
//! runs does (`runlayout ls`, `Runs::scan` of a URL).
//!
//! Each folder that holds runs is listed whole first, with each object's
//! entity tag: a record the listing does not hold is not asked for (most
//! runs have no `ancestor`), and one whose tag is that of a record
//! remembered from an earlier reading ([`Remembered`]) or indexed when its
//! run ended ([`stage_index`]) is not read again.
//! A listing costs a request per 1,000 objects, so a folder is listed only
//! up to 1,000 objects and [`LISTED_PER_RUN`] more per run it may hold:
//! past that (runs of many files each) the listing stops and its records
//! are read one by one, as they would be without it. So is a folder whose
//! listing meets a key no path can be made of (which ends a listing).

use std::collections::{HashMap, HashSet};

use super::remembered::{Remembered, TaggedRecord};
use crate::error::Result;
use crate::io::store::Store;
use crate::record::stage_index;
use runlayout_grammar::names::{ANCESTOR, DEBUG_DIR, MANIFEST, STATUS, SUMMARY};

/// How many objects per run a folder's listing may go through before it
/// is given up: at 100, the listing costs at most a tenth of the reads it
/// saves.
pub(crate) const LISTED_PER_RUN: usize = 100;

/// How deep below a folder of the first level its runs' records are:
/// `<stage>/<id>/<record>` (and `<id>/run.json` of a run without a stage).
const RECORD_DEPTH: usize = 2;

/// The listing of every folder of a home that holds runs, and the records
/// read with it.
#[derive(Default)]
pub(crate) struct Bulk {
    /// The folders listed whole, by key.
    folders: HashSet<String>,
    /// The entity tag of each object at a record's depth below them
    /// (`None`: the store gave no strong one).
    tags: HashMap<String, Option<String>>,
    remembered: Remembered,
    /// Whether the stages' indexes are read (see [`stage_index`]).
    indexed: bool,
    /// Each record read or used, with its tag, to be remembered.
    read: HashMap<String, TaggedRecord>,
}

impl Bulk {
    /// A reading that uses what `remembered` holds, and the stages'
    /// indexes.
    pub(crate) fn remembering(remembered: Remembered) -> Bulk {
        Bulk {
            remembered,
            indexed: true,
            ..Bulk::default()
        }
    }

    /// A reading that uses the stages' indexes.
    pub(crate) fn indexed() -> Bulk {
        Bulk::remembering(Remembered::default())
    }

    /// Lists each folder of `folders` (a key, and how many runs it may
    /// hold) whole, up to 32 at a time; one that holds more than 1,000
    /// objects and [`LISTED_PER_RUN`] per run, or a key no path can be
    /// made of, is left unlisted.
    pub(crate) fn list(&mut self, store: &Store, folders: &[(String, usize)]) -> Result<()> {
        let asked: Vec<(String, usize)> = folders
            .iter()
            .map(|(key, runs)| {
                let most = runs.saturating_mul(LISTED_PER_RUN).saturating_add(1_000);
                (key.clone(), most)
            })
            .collect();
        for ((key, _), listed) in folders.iter().zip(store.list_each(&asked, RECORD_DEPTH)?) {
            let Some(listed) = listed else {
                continue;
            };
            self.folders.insert(key.clone());
            for object in listed {
                // A key that names the object only once decoded (`ancest%6Fr`)
                // is another object than the one at that key.
                if store.location_of(&object.key) != object.location {
                    continue;
                }
                self.tags
                    .insert(object.key, object.e_tag.as_deref().and_then(strong));
            }
        }
        if self.indexed {
            self.read_indexes(store);
        }
        Ok(())
    }

    /// Reads each index object listed that holds at least two records to
    /// be read (a read of it saves one at least), and remembers each of
    /// its entries the listing gives the tag it was indexed with. An index
    /// that cannot be read is passed over: it is a cache.
    fn read_indexes(&mut self, store: &Store) {
        let mut wanted: HashMap<String, usize> = HashMap::new();
        for (key, tag) in &self.tags {
            let Some(tag) = tag else {
                continue;
            };
            let mut parts = key.rsplitn(3, '/');
            let (Some(name), Some(id), Some(folder)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let indexed = [MANIFEST, STATUS, SUMMARY, ANCESTOR].contains(&name);
            if !indexed || !self.folders.contains(folder) || self.remembered.get(key, tag).is_some()
            {
                continue;
            }
            let shard = format!("{folder}/{}", stage_index::shard_name(id));
            if matches!(self.tags.get(&shard), Some(Some(_))) {
                *wanted.entry(shard).or_default() += 1;
            }
        }
        // One read at its listed tag before needs no second: what it held
        // as listed then is remembered record by record (a stage whose
        // runs beat keeps its index objects wanted).
        let shards: Vec<String> = wanted
            .into_iter()
            .filter(|(shard, records)| {
                let read = match self.tags.get(shard) {
                    Some(Some(tag)) => self.remembered.get(shard, tag).is_some(),
                    _ => true,
                };
                *records >= 2 && !read
            })
            .map(|(shard, _)| shard)
            .collect();
        let Ok(read) = store.get_many_tagged(&shards) else {
            return;
        };
        for (shard, read) in shards.into_iter().zip(read) {
            let Ok(Some((bytes, Some(shard_tag)))) = read else {
                continue;
            };
            let folder = shard.rsplit_once('/').map_or("", |(folder, _)| folder);
            for entry in stage_index::entries(&bytes) {
                // Only a record of the folder indexed, as listed now.
                let inside = entry
                    .key
                    .strip_prefix(folder)
                    .is_some_and(|k| k.starts_with('/'));
                let listed = self.tags.get(&entry.key).and_then(Option::as_ref);
                match (inside, listed, strong(&entry.e_tag)) {
                    (true, Some(now), Some(tag)) if *now == tag => {
                        let text = entry.text.into_bytes();
                        self.remembered
                            .insert(entry.key.clone(), tag.clone(), text.clone());
                        self.read.insert(entry.key, (tag, text));
                    }
                    _ => {}
                }
            }
            // Remembered as read at its tag, without its bytes.
            if let Some(tag) = strong(&shard_tag) {
                self.read.insert(shard, (tag, Vec::new()));
            }
        }
    }

    /// The records at `keys`, in their order (`None` where there is none),
    /// as [`Store::get_many`] reads them: a key of a folder listed that
    /// the listing does not hold is none, a record remembered with the
    /// tag listed is that record, and only the others are read.
    pub(crate) fn read(
        &mut self,
        store: &Store,
        keys: &[String],
    ) -> Result<Vec<Result<Option<Vec<u8>>>>> {
        let mut out: Vec<Option<Result<Option<Vec<u8>>>>> = Vec::with_capacity(keys.len());
        let mut asked = Vec::new();
        for key in keys {
            let known = match self.listed(key) {
                Some(None) => Some(Ok(None)),
                Some(Some(Some(tag))) => {
                    let tag = tag.clone();
                    let bytes = self.remembered.get(key, &tag).map(<[u8]>::to_vec);
                    bytes.map(|bytes| {
                        self.read.insert(key.clone(), (tag, bytes.clone()));
                        Ok(Some(bytes))
                    })
                }
                Some(Some(None)) | None => None,
            };
            if known.is_none() {
                asked.push(key.clone());
            }
            out.push(known);
        }
        let mut answers = store.get_many_tagged(&asked)?.into_iter().zip(asked);
        let mut records = Vec::with_capacity(out.len());
        for known in out {
            let record = match known {
                Some(known) => known,
                // One answer per key asked, in their order.
                None => match answers.next() {
                    Some((answer, key)) => answer.map(|found| {
                        found.map(|(bytes, tag)| {
                            if let Some(tag) = tag.as_deref().and_then(strong) {
                                self.read.insert(key, (tag, bytes.clone()));
                            }
                            bytes
                        })
                    }),
                    None => Ok(None),
                },
            };
            records.push(record);
        }
        Ok(records)
    }

    /// Remembers what this reading read, for the next, with what was
    /// remembered and is still as listed (a record another command reads,
    /// this one did not).
    pub(crate) fn keep(mut self) {
        for (key, (tag, bytes)) in self.remembered.take() {
            let listed = matches!(self.tags.get(&key), Some(Some(now)) if *now == tag);
            if listed {
                self.read.entry(key).or_insert((tag, bytes));
            }
        }
        self.remembered.keep(&self.read);
    }

    /// What the listing says of `key`: `None` if no folder listed holds
    /// it, else its tag if the listing holds it.
    fn listed(&self, key: &str) -> Option<Option<&Option<String>>> {
        let mut parts = key.splitn(3, '/');
        let first = parts.next()?;
        let folder = match first == DEBUG_DIR {
            true => &key[..first.len() + 1 + parts.next()?.len()],
            false => first,
        };
        self.folders.contains(folder).then(|| self.tags.get(key))
    }
}

/// An entity tag as a strong one is compared: its quotes taken off (a
/// store may quote it in one answer and not in another, as Azure's
/// listings do not), `None` for a weak one (`W/"…"`), which two different
/// contents may share.
fn strong(tag: &str) -> Option<String> {
    let tag = tag.trim_matches('"');
    (!tag.starts_with("W/") && !tag.is_empty()).then(|| tag.to_owned())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::lifecycle::home::Home;
    use crate::record::status::STATUS;
    use crate::run::Run;
    use runlayout_grammar::names::ANCESTOR;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    /// Every run's manifest, status, `ancestor` and summary as `bulk`
    /// reads them,
    /// and the requests that took.
    fn read_all(home: &Home, bulk: &mut Bulk) -> Result<(Vec<Option<Vec<u8>>>, u64)> {
        let before = home.store.requests();
        let mut read = Vec::new();
        let mut addresses = Vec::new();
        for found in home.manifests(true, true, bulk)? {
            read.push(found.manifest?.into());
            let parts: Vec<&str> = found.parts.iter().map(String::as_str).collect();
            addresses.push(crate::run::address::Address::at(
                &parts,
                found.debug,
                Default::default(),
            ));
        }
        let addresses: Vec<_> = addresses.into_iter().flatten().collect();
        for record in [STATUS, ANCESTOR, SUMMARY] {
            for stored in home.stored_of_each(&addresses, record, bulk)? {
                read.push(stored?);
            }
        }
        Ok((read, home.store.requests() - before))
    }

    #[test]
    fn a_reading_asks_only_for_records_listed_and_changed() -> TestResult {
        let (cache, kept) = (tempfile::tempdir()?, tempfile::tempdir()?);
        let url = "memory://bulk-changed/runs";
        let builder = Run::builder(url).cache_dir(cache.path()).stage("s");
        let runs: Vec<Run> = (0..5)
            .map(|_| builder.clone().create())
            .collect::<Result<_>>()?;
        let home = Home::of(Path::new(url), Some(cache.path()))?.ok_or("a home")?;
        let key = |run: &Run, name: &str| format!("s/{}/{name}", run.id());
        for run in &runs {
            home.store
                .put(&key(run, STATUS), b"{\"state\": 1}".to_vec())?;
        }
        // Three listings by `/` (the root, `debug/`, `s`) and one of `s` whole.
        let listings = 4;

        // Every record read, as without a listing: none asked for twice.
        let (plain, _) = read_all(&home, &mut Bulk::default())?;
        let mut bulk = Bulk::remembering(Remembered::load(kept.path(), url));
        let (first, requests) = read_all(&home, &mut bulk)?;
        bulk.keep();
        assert_eq!(first, plain);
        // Five manifests and five statuses; no `ancestor` (none listed),
        // no manifest of the stage's folder.
        assert_eq!(requests, listings + 10);

        // Nothing changed: nothing read.
        let mut bulk = Bulk::remembering(Remembered::load(kept.path(), url));
        let (second, requests) = read_all(&home, &mut bulk)?;
        bulk.keep();
        assert_eq!((second, requests), (plain, listings));

        // One status changed, one run linked: those two read, and what
        // they now hold is what is given.
        home.store
            .put(&key(&runs[1], STATUS), b"{\"changed\": 1}".to_vec())?;
        home.store
            .put(&key(&runs[2], ANCESTOR), b"../other".to_vec())?;
        let (now, _) = read_all(&home, &mut Bulk::default())?;
        let mut bulk = Bulk::remembering(Remembered::load(kept.path(), url));
        let (third, requests) = read_all(&home, &mut bulk)?;
        assert_eq!((third, requests), (now.clone(), listings + 2));

        // A run's files deeper down are gone through, never held: what is
        // held is the records' tags.
        for n in 0..500 {
            home.store
                .put(&key(&runs[0], &format!("ckpt/{n}")), vec![1])?;
        }
        let mut bulk = Bulk::default();
        let (fourth, _) = read_all(&home, &mut bulk)?;
        assert_eq!(fourth, now);
        assert_eq!(
            bulk.tags.len(),
            12,
            "five manifests, five statuses, one link, the stage's latest"
        );
        Ok(())
    }

    #[test]
    fn the_records_of_ended_runs_are_read_from_their_stages_index() -> TestResult {
        let cache = tempfile::tempdir()?;
        let url = "memory://bulk-index/runs";
        let builder = Run::builder(url).cache_dir(cache.path()).stage("s");
        let runs: Vec<Run> = (0..40)
            .map(|_| builder.clone().create())
            .collect::<Result<_>>()?;
        for (n, run) in runs.iter().enumerate() {
            // Some runs with a summary, some linked to the first.
            if n % 3 == 1 {
                run.summary().set("n", n)?;
            }
            if n % 4 == 1 {
                run.link(&runs[0])?;
            }
            run.finish()?;
        }
        let home = Home::of(Path::new(url), Some(cache.path()))?.ok_or("a home")?;
        let listings = 4;
        let records = 80 + 13 + 10;

        // Forty manifests and statuses, thirteen summaries and ten links,
        // as read one by one, from at most one read of each of the
        // sixteen index objects.
        let (plain, requests) = read_all(&home, &mut Bulk::default())?;
        assert_eq!(requests, listings + records);
        let (indexed, requests) = read_all(&home, &mut Bulk::indexed())?;
        assert_eq!(indexed, plain);
        assert!(
            requests <= listings + stage_index::SHARDS,
            "{requests} requests"
        );

        // A run resumed since, one removed, one's index entry forged with
        // a tag its record does not have and one with a key of another
        // folder: what is given is what the home holds now.
        runs[0].heartbeat(std::time::Duration::from_secs(30))?;
        home.store
            .delete(&format!("s/{}/run.status.json", runs[1].id()))?;
        let shard = format!("s/{}", stage_index::shard_name(runs[2].id().as_str()));
        let mut forged = stage_index::entries(&home.store.get(&shard)?.ok_or("an index")?.bytes);
        for entry in &mut forged {
            if entry.key.starts_with(&format!("s/{}/", runs[2].id())) {
                entry.e_tag = "forged".to_owned();
                entry.text = "{}".to_owned();
            }
        }
        let mut other = forged[0].clone();
        other.key = format!("t/{}", other.key);
        forged.push(other);
        let body = serde_json::json!({ "format": 1, "records": forged });
        home.store.put(&shard, serde_json::to_vec(&body)?)?;
        let (now, _) = read_all(&home, &mut Bulk::default())?;
        assert_ne!(now, plain);
        let (indexed, requests) = read_all(&home, &mut Bulk::indexed())?;
        assert_eq!(indexed, now);
        // The resumed run's status and the forged run's two records read
        // one by one, unless their index objects are read for others.
        assert!(requests <= listings + stage_index::SHARDS + 3);

        // An index object that is not one is passed over.
        home.store.put(&shard, b"not an index".to_vec())?;
        assert_eq!(read_all(&home, &mut Bulk::indexed())?.0, now);
        Ok(())
    }

    #[test]
    fn an_index_object_unchanged_since_it_was_remembered_is_not_read_again() -> TestResult {
        let (cache, kept) = (tempfile::tempdir()?, tempfile::tempdir()?);
        let url = "memory://bulk-index-beats/runs";
        let builder = Run::builder(url).cache_dir(cache.path()).stage("s");
        let runs: Vec<Run> = (0..40)
            .map(|_| builder.clone().create())
            .collect::<Result<_>>()?;
        for run in &runs {
            run.finish()?;
        }
        // Two runs of one index object resumed: they beat.
        let shard = |run: &Run| stage_index::shard_name(run.id().as_str());
        let (a, b) = (0..runs.len())
            .flat_map(|a| (a + 1..runs.len()).map(move |b| (a, b)))
            .find(|&(a, b)| shard(&runs[a]) == shard(&runs[b]))
            .ok_or("two runs of one index object")?;
        let _guards: Vec<_> = [&runs[a], &runs[b]].map(Run::guard).into();
        let home = Home::of(Path::new(url), Some(cache.path()))?.ok_or("a home")?;
        let (plain, _) = read_all(&home, &mut Bulk::default())?;
        let mut bulk = Bulk::remembering(Remembered::load(kept.path(), url));
        assert_eq!(read_all(&home, &mut bulk)?.0, plain);
        bulk.keep();
        // They beat again: their statuses are read, their index object
        // (which does not hold them as listed) is not.
        for run in [&runs[a], &runs[b]] {
            run.heartbeat(std::time::Duration::from_secs(30))?;
        }
        let (now, _) = read_all(&home, &mut Bulk::default())?;
        let mut bulk = Bulk::remembering(Remembered::load(kept.path(), url));
        let (second, requests) = read_all(&home, &mut bulk)?;
        assert_eq!(second, now);
        assert_eq!(requests, 4 + 2);
        Ok(())
    }

    #[test]
    fn tags_are_compared_as_strong_tags_without_their_quotes() {
        assert_eq!(strong("\"0x8D\"").as_deref(), Some("0x8D"));
        assert_eq!(strong("0x8D").as_deref(), Some("0x8D"));
        assert_eq!(strong("W/\"a\""), None);
        assert_eq!(strong("\"W/a\""), None);
        assert_eq!(strong("\"\""), None);
    }

    #[test]
    fn a_folder_of_many_objects_per_run_is_read_record_by_record() -> TestResult {
        let (cache, kept) = (tempfile::tempdir()?, tempfile::tempdir()?);
        let url = "memory://bulk-many/runs";
        let run = Run::builder(url)
            .cache_dir(cache.path())
            .stage("s")
            .create()?;
        let home = Home::of(Path::new(url), Some(cache.path()))?.ok_or("a home")?;
        // Two runs the folder may hold (the stage's folder itself, and the
        // run): listed up to 1,200 objects.
        for n in 0..1_300 {
            home.store
                .put(&format!("s/{}/ckpt/{n}", run.id()), vec![1])?;
        }
        let (plain, _) = read_all(&home, &mut Bulk::default())?;
        let mut bulk = Bulk::remembering(Remembered::load(kept.path(), url));
        let (first, requests) = read_all(&home, &mut bulk)?;
        bulk.keep();
        assert_eq!(first, plain);
        // Three listings by `/`, two pages of `s` (given up), then the
        // stage folder's manifest, the run's, its status, `ancestor` and
        // summary.
        assert_eq!(requests, 3 + 2 + 5);
        // Nothing is known without the listing: all read again.
        let mut bulk = Bulk::remembering(Remembered::load(kept.path(), url));
        assert_eq!(read_all(&home, &mut bulk)?, (plain, 3 + 2 + 5));
        Ok(())
    }

    /// The index object markers a remembering listing keeps
    /// are never given as a record, and a listing follows the index as it
    /// is rewritten (ends, a resume, a summary changed after an end, a
    /// prune), with a stageless run named as the stage holding a file
    /// where one of its index objects goes.
    #[test]
    fn remembered_index_markers_follow_the_home() -> TestResult {
        use crate::RunStatus;
        let (cache, kept) = (tempfile::tempdir()?, tempfile::tempdir()?);
        let url = "memory://attack-bulk-markers/runs";
        let outer = Run::builder(url)
            .cache_dir(cache.path().join("o"))
            .run_id("s")
            .create()?;
        std::fs::write(outer.path().join(stage_index::shard_name("x")), b"{}")?;
        outer.sync()?;
        let builder = Run::builder(url).cache_dir(cache.path()).stage("s");
        let runs: Vec<Run> = (0..40)
            .map(|_| builder.clone().create())
            .collect::<Result<_>>()?;
        for (n, run) in runs.iter().enumerate() {
            if n % 3 == 0 {
                run.summary().set("n", n)?;
            }
            run.finish()?;
        }
        let home = Home::of(Path::new(url), Some(cache.path()))?.ok_or("a home")?;
        let check = |step: &str| -> TestResult {
            let (plain, _) = read_all(&home, &mut Bulk::default())?;
            let mut bulk = Bulk::remembering(Remembered::load(kept.path(), url));
            let (got, _) = read_all(&home, &mut bulk)?;
            bulk.keep();
            assert!(
                got.iter().all(|r| r.as_ref().is_none_or(|b| !b.is_empty())),
                "{step}: an empty record"
            );
            assert_eq!(got, plain, "{step}");
            Ok(())
        };
        check("cold")?;
        check("remembered")?;
        // More ends, a resume and its end, a summary changed after an end.
        for _ in 0..5 {
            builder.clone().create()?.finish()?;
        }
        runs[1].heartbeat(std::time::Duration::from_secs(30))?;
        check("resumed")?;
        runs[1].finish()?;
        runs[3].summary().set("later", 1)?;
        check("rewritten")?;
        check("rewritten, remembered")?;
        builder.clone().create()?.guard().fail("x")?;
        check("failed")?;
        let done = crate::catalog::prune::Prune::new(url)
            .status([RunStatus::Failed])
            .include_latest(true)
            .plan()?
            .execute()?;
        assert_eq!(done.removed.len(), 1);
        check("pruned")?;
        check("pruned, remembered")?;
        Ok(())
    }
}
