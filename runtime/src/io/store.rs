//! A home in object storage: the store a root URL names (S3, GCS, Azure,
//! or a process-wide in-memory store for tests), the keys below the
//! root's prefix, and the few calls runlayout makes into it, blocking.
//!
//! The calls are those a run's records need and no more: read an object
//! with its version, create one only if none is there, replace one only if
//! it is still the version read, write one, upload a file (in parts above
//! [`MULTIPART_THRESHOLD`]), list, delete. Each error names the operation
//! and the object's URL, attached here once. Every call is counted, so
//! the requests an operation makes can be checked.

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use futures_util::TryStreamExt;
use object_store::memory::InMemory;
pub(crate) use object_store::path::Path as Key;
use object_store::{
    ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion, WriteMultipart,
};

use crate::error::{Error, Operation, Result};

/// Files larger than this are uploaded in parts (each this size), so that
/// no upload holds a whole checkpoint in memory; an object uploaded in
/// parts is visible only once complete.
pub(crate) const MULTIPART_THRESHOLD: u64 = 16 * 1024 * 1024;

/// One store and the prefix of a root in it.
pub(crate) struct Store {
    /// The root's URL, without a trailing `/`, its prefix decoded.
    url: String,
    /// The store. A panic never leaves it half changed for a later
    /// caller to see (each request runs on runlayout's runtime, its state
    /// the store's own), so a `Run` holding it stays unwind safe.
    inner: AssertUnwindSafe<Arc<dyn ObjectStore>>,
    /// The root's prefix in the store (no leading or trailing `/`), as
    /// keys below the root are written: decoded.
    prefix: String,
    /// The prefix as the store spells it in the locations it lists (some
    /// characters percent-encoded).
    listed_prefix: String,
    /// Requests made through this store and its clones.
    requests: Arc<AtomicU64>,
    /// Said with every error when the environment names no credentials
    /// for the store (it then asks the machine's metadata service, which
    /// a laptop or a node outside the cloud has not).
    no_credentials: Option<&'static str>,
}

impl Clone for Store {
    fn clone(&self) -> Store {
        Store {
            url: self.url.clone(),
            inner: AssertUnwindSafe(Arc::clone(&self.inner)),
            prefix: self.prefix.clone(),
            listed_prefix: self.listed_prefix.clone(),
            requests: Arc::clone(&self.requests),
            no_credentials: self.no_credentials,
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("url", &self.url).finish()
    }
}

/// An object read, with the version a conditional replace names.
pub(crate) struct Object {
    pub(crate) bytes: Vec<u8>,
    pub(crate) version: UpdateVersion,
}

/// An object being read, its bytes not yet fetched.
pub(crate) struct Download {
    got: object_store::GetResult,
    key: String,
}

/// Why a transfer between a file and the store failed: the file (read
/// or written), or the store.
enum Transfer {
    File(std::io::Error),
    Store(object_store::Error),
}

/// What to say when the environment (`set` tells which variables are set)
/// names no credentials of any kind the store of `scheme` reads: `None`
/// when it names some, or the store needs none.
fn missing_credentials(scheme: &str, set: impl Fn(&str) -> bool) -> Option<&'static str> {
    let (vars, hint): (&[&str], &'static str) = match scheme {
        "s3" | "s3a" => (
            &[
                "AWS_ACCESS_KEY_ID",
                "AWS_WEB_IDENTITY_TOKEN_FILE",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_SKIP_SIGNATURE",
            ],
            "no credentials in the environment: set AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY (or a web identity); without them the \
             instance's metadata service was asked",
        ),
        "gs" => (
            &[
                "GOOGLE_SERVICE_ACCOUNT",
                "GOOGLE_SERVICE_ACCOUNT_PATH",
                "GOOGLE_SERVICE_ACCOUNT_KEY",
                "GOOGLE_APPLICATION_CREDENTIALS",
                "GOOGLE_SKIP_SIGNATURE",
            ],
            "no credentials in the environment: set GOOGLE_SERVICE_ACCOUNT (a key \
             file) or GOOGLE_APPLICATION_CREDENTIALS; without them the instance's \
             metadata service was asked",
        ),
        "az" | "azure" | "abfs" | "abfss" => (
            &[
                "AZURE_STORAGE_ACCOUNT_KEY",
                "AZURE_STORAGE_ACCESS_KEY",
                "AZURE_STORAGE_SAS_KEY",
                "AZURE_STORAGE_TOKEN",
                "AZURE_CLIENT_SECRET",
                "AZURE_FEDERATED_TOKEN_FILE",
                "AZURE_USE_AZURE_CLI",
                "AZURE_STORAGE_USE_EMULATOR",
                "AZURE_SKIP_SIGNATURE",
            ],
            "no credentials in the environment: set AZURE_STORAGE_ACCOUNT_KEY, a SAS \
             key or a client secret; without them the instance's metadata service \
             was asked",
        ),
        _ => return None,
    };
    (!vars.iter().any(|var| set(var))).then_some(hint)
}

/// How many reads [`Store::get_many`] keeps in flight: a listing of many
/// runs waits on the store's latency, not on its bandwidth.
const IN_FLIGHT: usize = 32;

/// No record runlayout keeps in a home (a manifest, a status, a `latest`
/// object) comes near this size: a larger object at a record's key is not
/// one of them, and is not read.
pub(crate) const RECORD_MAX: u64 = 1 << 20;

/// An object a listing found: its key below the root, its size, and its
/// location as the store spelled it (what deletes it: decoding a key and
/// encoding it again need not give back the same location).
pub(crate) struct Listed {
    pub(crate) key: String,
    pub(crate) size: u64,
    pub(crate) location: Key,
    /// The object's entity tag: what a read of it gives too, and changes
    /// when its content does.
    pub(crate) e_tag: Option<String>,
}

/// A record read with its entity tag, or `None` where there is none.
pub(crate) type Tagged = Option<(Vec<u8>, Option<String>)>;

impl Store {
    /// The store `url` names. Credentials, endpoints and options come from
    /// the environment as `object_store` reads them (`AWS_*`,
    /// `GOOGLE_*`, `AZURE_*`); `memory://name/prefix` is a store shared
    /// by everything in this process that names `name`.
    pub(crate) fn open(url: &str) -> Result<Store> {
        let unsupported = |reason: String| Error::UnsupportedRoot {
            root: url.to_owned(),
            reason,
        };
        let parsed = url::Url::parse(url).map_err(|e| unsupported(e.to_string()))?;
        let inner: Arc<dyn ObjectStore> = match parsed.scheme() {
            "memory" => memory(parsed.host_str().unwrap_or_default()),
            "s3" | "s3a" => Arc::new(
                object_store::aws::AmazonS3Builder::from_env()
                    .with_url(url)
                    .build()
                    .map_err(|e| unsupported(e.to_string()))?,
            ),
            "gs" => Arc::new(
                object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_url(url)
                    .build()
                    .map_err(|e| unsupported(e.to_string()))?,
            ),
            "az" | "azure" | "abfs" | "abfss" => Arc::new(
                object_store::azure::MicrosoftAzureBuilder::from_env()
                    .with_url(url)
                    .build()
                    .map_err(|e| unsupported(e.to_string()))?,
            ),
            other => {
                return Err(unsupported(format!(
                    "the scheme `{other}` names no object store runlayout knows: \
                     use s3://, gs://, az:// or memory://"
                )));
            }
        };
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(unsupported(
                "a root URL names a bucket and a prefix: `?` and `#` have no place in it \
                 (write them as %3F and %23 if the prefix holds them)"
                    .to_owned(),
            ));
        }
        let prefix = prefix_of(parsed.path()).map_err(unsupported)?;
        // One spelling per root (`my%20runs` and `my runs` alike), so that
        // a working copy knows its home however the root was written; it
        // opens as the same root again, and holds no password (it is shown
        // in errors and kept in working copies).
        let mut shown = parsed.clone();
        let _ = shown.set_password(None);
        let base = &shown[..url::Position::BeforePath];
        let url = if prefix.is_empty() {
            base.to_owned()
        } else {
            format!("{base}/{}", escaped(&prefix))
        };
        Ok(Store {
            url,
            inner: AssertUnwindSafe(inner),
            listed_prefix: Key::from(prefix.as_str()).as_ref().to_owned(),
            prefix,
            requests: Arc::new(AtomicU64::new(0)),
            no_credentials: missing_credentials(parsed.scheme(), |var| {
                std::env::var_os(var).is_some_and(|v| !v.is_empty())
            }),
        })
    }

    /// The root's URL.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The URL of the object at `key` (below the root).
    pub(crate) fn url_of(&self, key: &str) -> String {
        if key.is_empty() {
            self.url.clone()
        } else {
            format!("{}/{key}", self.url)
        }
    }

    /// How many requests this store and its clones have made.
    #[cfg(test)]
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The record at `key` (a manifest, a status, a `latest` object), or
    /// `None` if there is none. One larger than [`RECORD_MAX`] is refused
    /// unread: no record runlayout writes is near that size.
    pub(crate) fn get(&self, key: &str) -> Result<Option<Object>> {
        #[cfg(test)]
        hooks::fire("get", &self.url_of(key));
        let (inner, at) = self.request(key);
        let answer = block(async move {
            let got = inner.get(&at).await?;
            let version = UpdateVersion {
                e_tag: got.meta.e_tag.clone(),
                version: got.meta.version.clone(),
            };
            if got.meta.size > RECORD_MAX {
                return Ok(Err(got.meta.size));
            }
            let bytes = got.bytes().await?;
            Ok::<_, object_store::Error>(Ok((bytes.to_vec(), version)))
        })?;
        match answer {
            Ok(Ok((bytes, version))) => Ok(Some(Object { bytes, version })),
            Ok(Err(size)) => Err(self.too_large(key, size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error("read", key, &e)),
        }
    }

    /// Starts reading the object at `key`, to be written to a file by
    /// [`save`](Store::save); `None` if there is no object there (and
    /// nothing need be made for it).
    pub(crate) fn download(&self, key: &str) -> Result<Option<Download>> {
        let (inner, at) = self.request(key);
        match block(async move { inner.get(&at).await })? {
            Ok(got) => Ok(Some(Download {
                got,
                key: key.to_owned(),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error("read", key, &e)),
        }
    }

    /// Writes what `download` reads into `file` as it arrives, a chunk at
    /// a time (a checkpoint is never held whole in memory), and returns
    /// the bytes written. `path` names `file` in errors.
    pub(crate) fn save(&self, download: Download, file: std::fs::File, path: &Path) -> Result<u64> {
        let Download { got, key } = download;
        let answer = block(async move {
            let mut chunks = got.into_stream();
            let mut file = file;
            let mut written = 0u64;
            while let Some(chunk) = chunks.try_next().await.map_err(Transfer::Store)? {
                std::io::Write::write_all(&mut file, &chunk).map_err(Transfer::File)?;
                written += chunk.len() as u64;
            }
            Ok(written)
        })?;
        answer.map_err(|e| match e {
            Transfer::Store(e) => self.error("read", &key, &e),
            Transfer::File(e) => Error::io(Operation::WriteFile, path, e),
        })
    }

    /// The records at `keys`, in their order (`None` where there is
    /// none), read up to 32 at a time. A record too large to be one is an
    /// error of its own key, so that one hostile object spoils no more
    /// than its own entry; a failed request fails the whole.
    pub(crate) fn get_many(&self, keys: &[String]) -> Result<Vec<Result<Option<Vec<u8>>>>> {
        Ok(self
            .get_many_tagged(keys)?
            .into_iter()
            .map(|read| read.map(|found| found.map(|(bytes, _)| bytes)))
            .collect())
    }

    /// [`get_many`](Store::get_many), each record with its entity tag.
    pub(crate) fn get_many_tagged(&self, keys: &[String]) -> Result<Vec<Result<Tagged>>> {
        let requests: Vec<(Arc<dyn ObjectStore>, Key)> =
            keys.iter().map(|key| self.request(key)).collect();
        let reads: Vec<_> = requests
            .into_iter()
            .map(|(inner, at)| read_whole(inner, at))
            .collect();
        let answers = in_flight(reads)?;
        answers
            .into_iter()
            .zip(keys)
            .map(|(answer, key)| match answer {
                Ok(Some(Ok(found))) => Ok(Ok(Some(found))),
                Ok(Some(Err(size))) => Ok(Err(self.too_large(key, size))),
                Ok(None) => Ok(Ok(None)),
                Err(e) => Err(self.error("read", key, &e)),
            })
            .collect()
    }

    /// The names of the folders directly below `key` (one level of a
    /// listing by `/`).
    pub(crate) fn folders(&self, key: &str) -> Result<Vec<String>> {
        let (inner, at) = self.request(key);
        let at = (!key.is_empty() || !self.prefix.is_empty()).then_some(at);
        let listed = block(async move { inner.list_with_delimiter(at.as_ref()).await })?
            .map_err(|e| self.list_error(key, &e))?;
        Ok(listed
            .common_prefixes
            .iter()
            .filter_map(|p| decoded(p.filename()?))
            .collect())
    }

    /// Writes `bytes` at `key` only if no object is there: `false` if one
    /// is.
    pub(crate) fn create(&self, key: &str, bytes: Vec<u8>) -> Result<bool> {
        match self.put_opts(key, bytes, PutMode::Create)? {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. })
            | Err(object_store::Error::Precondition { .. }) => Ok(false),
            Err(e) => Err(self.conditional_error("create", key, &e)),
        }
    }

    /// Replaces the object at `key` with `bytes` only if it is still the
    /// `version` read: `false` if another writer changed it (or removed
    /// it) meanwhile.
    pub(crate) fn replace(
        &self,
        key: &str,
        bytes: Vec<u8>,
        version: UpdateVersion,
    ) -> Result<bool> {
        match self.put_opts(key, bytes, PutMode::Update(version))? {
            Ok(_) => Ok(true),
            Err(object_store::Error::Precondition { .. })
            | Err(object_store::Error::NotFound { .. })
            | Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(self.conditional_error("replace", key, &e)),
        }
    }

    /// Writes `bytes` at `key`, over whatever is there.
    pub(crate) fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        self.put_tagged(key, bytes).map(drop)
    }

    /// [`put`](Store::put), giving the entity tag the store gave what was
    /// written (`None` if it gave none).
    pub(crate) fn put_tagged(&self, key: &str, bytes: Vec<u8>) -> Result<Option<String>> {
        self.put_opts(key, bytes, PutMode::Overwrite)?
            .map_err(|e| self.error("write", key, &e))
    }

    fn put_opts(
        &self,
        key: &str,
        bytes: Vec<u8>,
        mode: PutMode,
    ) -> Result<std::result::Result<Option<String>, object_store::Error>> {
        #[cfg(test)]
        hooks::fire("put", &self.url_of(key));
        let (inner, at) = self.request(key);
        let options = PutOptions::from(mode);
        block(async move {
            inner
                .put_opts(&at, PutPayload::from(bytes), options)
                .await
                .map(|put| put.e_tag)
        })
    }

    /// Uploads the file at `path` to `key`: one request up to
    /// [`MULTIPART_THRESHOLD`], in parts of that size above it, one in
    /// flight at a time (the object appears whole, when the last part is
    /// in). Returns the bytes uploaded.
    pub(crate) fn put_file(&self, key: &str, path: &Path) -> Result<u64> {
        let read = |e: std::io::Error| Error::io(Operation::ReadFile, path, e);
        let size = std::fs::metadata(path).map_err(read)?.len();
        if size <= MULTIPART_THRESHOLD {
            let bytes = std::fs::read(path).map_err(read)?;
            let len = bytes.len() as u64;
            self.put(key, bytes)?;
            return Ok(len);
        }
        let (inner, at) = self.request(key);
        // The parts and the completion, besides the request that starts it.
        let parts = size.div_ceil(MULTIPART_THRESHOLD);
        self.requests.fetch_add(parts + 1, Ordering::Relaxed);
        let file = path.to_path_buf();
        let uploaded = block(async move {
            let upload = inner.put_multipart(&at).await.map_err(Transfer::Store)?;
            let chunk = MULTIPART_THRESHOLD as usize;
            let mut writer = WriteMultipart::new_with_chunk_size(upload, chunk);
            // A failed upload is aborted: no parts are left behind.
            match copy(&mut writer, &file, chunk).await {
                Ok(sent) => {
                    writer.finish().await.map_err(Transfer::Store)?;
                    Ok(sent)
                }
                Err(e) => {
                    let _ = writer.abort().await;
                    Err(e)
                }
            }
        })?;
        uploaded.map_err(|e| match e {
            Transfer::File(e) => read(e),
            Transfer::Store(e) => self.error("upload", key, &e),
        })
    }

    /// Every object below `key` (a folder's key), with its key below the
    /// root.
    pub(crate) fn list(&self, key: &str) -> Result<Vec<Listed>> {
        #[cfg(test)]
        hooks::fire("list", &self.url_of(key));
        #[cfg(test)]
        if hooks::failing("list", &self.url_of(key)) {
            return Err(Error::Store {
                op: "list",
                url: self.url_of(key),
                message: "a listing made to fail by a test".to_owned(),
            });
        }
        let (inner, at) = self.request(key);
        let found = block(list_at_most(inner, at, usize::MAX, usize::MAX))?
            .map_err(|e| self.list_error(key, &e))?;
        self.count_pages(found.seen);
        Ok(self.listed(found.kept))
    }

    /// The objects at most `depth` parts below each folder of `folders` (a
    /// key, and how many objects of the folder to go through at most), in
    /// their order, listed up to 32 folders at a time; `None` for a folder
    /// holding more than its most (whose listing stopped there), or a key
    /// no path can be made of (whose listing is not all).
    pub(crate) fn list_each(
        &self,
        folders: &[(String, usize)],
        depth: usize,
    ) -> Result<Vec<Option<Vec<Listed>>>> {
        let listings: Vec<_> = folders
            .iter()
            .map(|(key, most)| {
                let (inner, at) = self.request(key);
                list_at_most(inner, at, *most, depth)
            })
            .collect();
        let answers = in_flight(listings)?;
        answers
            .into_iter()
            .zip(folders)
            .map(|(answer, (key, _))| match answer {
                Ok(found) => {
                    self.count_pages(found.seen + usize::from(!found.whole));
                    Ok(found.whole.then(|| self.listed(found.kept)))
                }
                Err(object_store::Error::InvalidPath { .. }) => Ok(None),
                Err(e) => Err(self.error("list", key, &e)),
            })
            .collect()
    }

    /// The location a request for `key` names (what a listing gives for
    /// the object at `key`).
    pub(crate) fn location_of(&self, key: &str) -> Key {
        match (self.prefix.is_empty(), key.is_empty()) {
            (true, _) => Key::from(key),
            (false, true) => Key::from(self.prefix.as_str()),
            (false, false) => Key::from(format!("{}/{key}", self.prefix)),
        }
    }

    /// A failed listing of the folder at `key`.
    fn list_error(&self, key: &str, e: &object_store::Error) -> Error {
        match e {
            object_store::Error::InvalidPath { .. } => Error::Store {
                op: "list",
                url: self.url_of(key),
                message: format!(
                    "{e}: an object whose key no path can be made of (an empty or `.` \
                     part, written by another tool) ends the store's listing, so the \
                     folder cannot be listed whole; rename or remove that object"
                ),
            },
            other => self.error("list", key, other),
        }
    }

    /// Counts the pages past the first of a listing that went through
    /// `objects` objects: a page holds 1,000 (S3's, GCS's and Azure's
    /// most).
    fn count_pages(&self, objects: usize) {
        let more = objects.saturating_sub(1) / 1_000;
        self.requests.fetch_add(more as u64, Ordering::Relaxed);
    }

    /// What a listing found, each with its key below the root.
    fn listed(&self, found: Vec<object_store::ObjectMeta>) -> Vec<Listed> {
        found
            .into_iter()
            .filter_map(|meta| {
                let key = self.below_root(meta.location.as_ref())?;
                Some(Listed {
                    key,
                    size: meta.size,
                    location: meta.location,
                    e_tag: meta.e_tag,
                })
            })
            .collect()
    }

    /// Deletes the object a listing found at `location`; one that is no
    /// longer there is no error.
    pub(crate) fn delete_listed(&self, location: &Key) -> Result<()> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let key = self.below_root(location.as_ref()).unwrap_or_default();
        #[cfg(test)]
        hooks::fire("delete", &self.url_of(&key));
        self.delete_location(location.clone(), &key)
    }

    /// Deletes the object at `key`; one that is not there is no error.
    pub(crate) fn delete(&self, key: &str) -> Result<()> {
        #[cfg(test)]
        hooks::fire("delete", &self.url_of(key));
        let (_, at) = self.request(key);
        self.delete_location(at, key)
    }

    /// Deletes the object at `at` (whose key below the root is `key`, for
    /// errors); one that is not there is no error.
    fn delete_location(&self, at: Key, key: &str) -> Result<()> {
        let inner = Arc::clone(&*self.inner);
        match block(async move { inner.delete(&at).await })? {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.error("delete", key, &e)),
        }
    }

    /// The store and the object's location for one request, counted.
    fn request(&self, key: &str) -> (Arc<dyn ObjectStore>, Key) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        (Arc::clone(&*self.inner), self.location_of(key))
    }

    /// A listed location's key below the root, as it was written (the
    /// store percent-encodes some characters of names in locations).
    fn below_root(&self, location: &str) -> Option<String> {
        let below = if self.listed_prefix.is_empty() {
            location
        } else {
            location
                .strip_prefix(&self.listed_prefix)?
                .strip_prefix('/')?
        };
        decoded(below)
    }

    /// A record's object too large to be one.
    fn too_large(&self, key: &str, size: u64) -> Error {
        Error::Store {
            op: "read",
            url: self.url_of(key),
            message: format!(
                "an object of {size} bytes, larger than any record runlayout writes \
                 ({RECORD_MAX} bytes): not read"
            ),
        }
    }

    fn error(&self, op: &'static str, key: &str, e: &object_store::Error) -> Error {
        let message = match self.no_credentials {
            Some(hint) => format!("{e} ({hint})"),
            None => e.to_string(),
        };
        Error::Store {
            op,
            url: self.url_of(key),
            message,
        }
    }

    /// A failed conditional write: a store that cannot make one says so.
    fn conditional_error(&self, op: &'static str, key: &str, e: &object_store::Error) -> Error {
        match e {
            object_store::Error::NotImplemented { .. }
            | object_store::Error::NotSupported { .. } => Error::Store {
                op,
                url: self.url_of(key),
                message: format!(
                    "the store makes no conditional writes, which runs in it need \
                     (S3: leave AWS_CONDITIONAL_PUT unset or `etag`): {e}"
                ),
            },
            other => self.error(op, key, other),
        }
    }
}

/// The answers of `requests`, in their order, [`IN_FLIGHT`] of them in
/// flight at once: a new request starts as soon as any ends (a batch would
/// wait for its slowest).
fn in_flight<F>(requests: Vec<F>) -> Result<Vec<F::Output>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    block(async move {
        use futures_util::StreamExt as _;
        futures_util::stream::iter(requests)
            .buffered(IN_FLIGHT)
            .collect::<Vec<_>>()
            .await
    })
}

/// The record at `at`, whole (or its size, unread, if it is larger than
/// [`RECORD_MAX`]); `None` if there is none.
async fn read_whole(
    inner: Arc<dyn ObjectStore>,
    at: Key,
) -> std::result::Result<
    Option<std::result::Result<(Vec<u8>, Option<String>), u64>>,
    object_store::Error,
> {
    match inner.get(&at).await {
        Ok(got) if got.meta.size > RECORD_MAX => Ok(Some(Err(got.meta.size))),
        Ok(got) => {
            let e_tag = got.meta.e_tag.clone();
            got.bytes()
                .await
                .map(|bytes| Some(Ok((bytes.to_vec(), e_tag))))
        }
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// What a listing of a folder found.
struct Found {
    /// The objects kept (those at most `depth` parts below the folder).
    kept: Vec<object_store::ObjectMeta>,
    /// How many objects it went through, kept or not (what its pages held).
    seen: usize,
    /// `false` if it stopped past its most.
    whole: bool,
}

/// The objects at most `depth` parts below `at` (every object: `usize::MAX`),
/// going through at most `most` objects of the folder: past that, the
/// listing stops and no further page is asked for.
///
/// A key no path can be made of (`a//b`, `./x`, written by another tool)
/// is an error: S3's, GCS's and Azure's clients then fail the whole page
/// that holds it and end the listing, so what came before it is not all.
async fn list_at_most(
    inner: Arc<dyn ObjectStore>,
    at: Key,
    most: usize,
    depth: usize,
) -> std::result::Result<Found, object_store::Error> {
    use futures_util::StreamExt as _;
    let below = at.parts().count();
    let mut stream = inner.list(Some(&at));
    let mut found = Found {
        kept: Vec::new(),
        seen: 0,
        whole: true,
    };
    while let Some(meta) = stream.next().await {
        let meta = meta?;
        if found.seen == most {
            found.whole = false;
            break;
        }
        found.seen += 1;
        if meta.location.parts().count().saturating_sub(below) <= depth {
            found.kept.push(meta);
        }
    }
    Ok(found)
}

/// Copies the file at `path` into `writer`, a part in flight at a time.
async fn copy(
    writer: &mut WriteMultipart,
    path: &Path,
    chunk: usize,
) -> std::result::Result<u64, Transfer> {
    let mut source = std::fs::File::open(path).map_err(Transfer::File)?;
    let mut buffer = vec![0; chunk];
    let mut sent = 0u64;
    loop {
        let n = std::io::Read::read(&mut source, &mut buffer).map_err(Transfer::File)?;
        if n == 0 {
            return Ok(sent);
        }
        writer.wait_for_capacity(1).await.map_err(Transfer::Store)?;
        writer.write(&buffer[..n]);
        sent += n as u64;
    }
}

/// The prefix a root URL's `path` names, decoded (`my%20runs` is the
/// prefix `my runs`, as keys below it are written): an empty part, `.`
/// or `..` is refused, since no key the store writes could hold it.
fn prefix_of(path: &str) -> std::result::Result<String, String> {
    let trimmed = path.trim_matches('/');
    let prefix = decoded(trimmed)
        .ok_or_else(|| format!("the prefix `{trimmed}` decodes to no UTF-8 text"))?;
    if !prefix.is_empty()
        && let Some(part) = prefix
            .split('/')
            .find(|part| matches!(*part, "" | "." | ".."))
    {
        return Err(format!(
            "the prefix `{prefix}` holds the part `{part}`, which no key can"
        ));
    }
    Ok(prefix)
}

/// `prefix` as a URL's path shows it: the characters that would not read
/// back as themselves (`%`, `?`, `#`) escaped, the rest as they are.
fn escaped(prefix: &str) -> String {
    prefix
        .replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23")
}

/// `text` with its `%XY` escapes decoded; `None` if that is no UTF-8.
fn decoded(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The in-memory store called `name`, shared by this process.
fn memory(name: &str) -> Arc<dyn ObjectStore> {
    static STORES: OnceLock<Mutex<HashMap<String, Arc<InMemory>>>> = OnceLock::new();
    let mut stores = STORES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let store = stores
        .entry(name.to_owned())
        .or_insert_with(|| Arc::new(InMemory::new()));
    Arc::clone(store) as Arc<dyn ObjectStore>
}

/// Runs `request` to its end on runlayout's own runtime (one worker
/// thread, started on first use) and waits for it. It works from any
/// thread, inside another async runtime too, since the request never runs
/// on the caller's.
fn block<T: Send + 'static>(request: impl Future<Output = T> + Send + 'static) -> Result<T> {
    static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> =
        OnceLock::new();
    let runtime = RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("runlayout-store")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::Store {
            op: "start",
            url: String::new(),
            message: format!("cannot start the runtime for object-store requests: {e}"),
        })?;
    let (answer, answered) = std::sync::mpsc::sync_channel(1);
    runtime.spawn(async move {
        let _ = answer.send(request.await);
    });
    answered.recv().map_err(|_| Error::Store {
        op: "wait",
        url: String::new(),
        message: "a request to the object store ended without an answer".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn missing_credentials_are_named_per_store() {
        let none = |_: &str| false;
        let keys = |var: &str| var == "AWS_ACCESS_KEY_ID";
        assert!(missing_credentials("s3", none).is_some_and(|h| h.contains("AWS_ACCESS_KEY_ID")));
        assert_eq!(missing_credentials("s3", keys), None);
        assert!(missing_credentials("gs", keys).is_some_and(|h| h.contains("GOOGLE_")));
        assert!(missing_credentials("az", none).is_some_and(|h| h.contains("AZURE_")));
        assert_eq!(missing_credentials("memory", none), None);
    }

    #[test]
    fn keys_with_escaped_characters_list_as_written() -> TestResult {
        let store = Store::open("memory://store-escapes/root")?;
        for name in ["a b.bin", "x%41y", "t[1]#2.ckpt", "plain"] {
            store.put(&format!("dir/{name}"), name.as_bytes().to_vec())?;
        }
        let mut keys: Vec<String> = store.list("dir")?.into_iter().map(|l| l.key).collect();
        keys.sort();
        assert_eq!(
            keys,
            ["dir/a b.bin", "dir/plain", "dir/t[1]#2.ckpt", "dir/x%41y"]
        );
        for key in &keys {
            let object = store.get(key)?.ok_or("listed, so there")?;
            assert_eq!(format!("dir/{}", String::from_utf8(object.bytes)?), *key);
        }
        Ok(())
    }

    #[test]
    fn a_replace_of_a_stale_version_loses_and_changes_nothing() -> TestResult {
        let store = Store::open("memory://store-replace/")?;
        assert!(store.create("latest", b"a".to_vec())?);
        assert!(!store.create("latest", b"b".to_vec())?, "created once");
        let read = store.get("latest")?.ok_or("there")?;
        assert!(store.replace("latest", b"c".to_vec(), read.version.clone())?);
        assert!(
            !store.replace("latest", b"d".to_vec(), read.version)?,
            "stale"
        );
        assert_eq!(store.get("latest")?.ok_or("there")?.bytes, b"c");
        assert_eq!(store.requests(), 6);
        Ok(())
    }

    #[test]
    fn a_prefix_is_the_urls_path_decoded_and_never_leaves_the_root() {
        assert_eq!(
            prefix_of("/my%20runs/t~[1]/").as_deref(),
            Ok("my runs/t~[1]")
        );
        assert_eq!(prefix_of("/").as_deref(), Ok(""));
        for bad in ["/a//b", "/a/../b", "/./a", "/a/%2E%2E"] {
            let err = prefix_of(bad).unwrap_err();
            assert!(err.contains("which no key can"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_roots_url_opens_as_the_same_root_and_shows_no_password() -> TestResult {
        for (url, shown) in [
            ("memory://spell/a%2541", "memory://spell/a%2541"),
            ("memory://spell/q%3Fx", "memory://spell/q%3Fx"),
            ("memory://spell/h%23x", "memory://spell/h%23x"),
            ("memory://spell/my%20runs/", "memory://spell/my runs"),
            ("s3://KEY:secret@bucket/runs", "s3://KEY@bucket/runs"),
        ] {
            let store = Store::open(url)?;
            assert_eq!(store.url(), shown, "{url}");
            let again = Store::open(store.url())?;
            assert_eq!(
                (again.url(), &again.prefix),
                (shown, &store.prefix),
                "{url}"
            );
        }
        Ok(())
    }

    #[test]
    fn a_record_larger_than_any_runlayout_writes_is_not_read() -> TestResult {
        let store = Store::open("memory://store-cap/root")?;
        store.put("big", vec![b' '; RECORD_MAX as usize + 1])?;
        let err = store.get("big").err().ok_or("refused")?;
        assert!(
            err.to_string().contains("memory://store-cap/root/big"),
            "{err}"
        );
        let read = store.get_many(&["big".to_owned()])?;
        let err = read[0].as_ref().err().ok_or("refused")?;
        assert!(err.to_string().contains("larger than any record"), "{err}");
        Ok(())
    }

    #[test]
    fn unknown_schemes_are_refused_naming_the_root() {
        let err = Store::open("ftp://host/runs").unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::UnsupportedRoot { .. }), "{err:?}");
        assert!(
            text.contains("ftp://host/runs") && text.contains("`ftp`"),
            "{text}"
        );
    }
}

/// Test-only: closures run once each, just before a request of an
/// operation (`get`, `put`, `list`, `delete`) on a URL, so that tests
/// interleave writers at exact points.
#[cfg(test)]
pub(crate) mod hooks {
    use std::sync::Mutex;

    type Hook = Box<dyn FnOnce() + Send>;

    static HOOKS: Mutex<Vec<(String, String, Hook)>> = Mutex::new(Vec::new());

    static FAILING: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

    /// Makes the next `op` on `url` fail, as a store's failure would (only
    /// listings ask).
    pub(crate) fn fail_next(op: &str, url: &str) {
        let mut failing = FAILING.lock().unwrap_or_else(|e| e.into_inner());
        failing.push((op.to_owned(), url.to_owned()));
    }

    /// Whether this `op` on `url` is to fail (once).
    pub(super) fn failing(op: &str, url: &str) -> bool {
        let mut failing = FAILING.lock().unwrap_or_else(|e| e.into_inner());
        let at = failing.iter().position(|(o, u)| o == op && u == url);
        at.map(|at| failing.remove(at)).is_some()
    }

    /// Runs `hook` just before the next `op` on `url`.
    pub(crate) fn set(op: &str, url: &str, hook: impl FnOnce() + Send + 'static) {
        let mut hooks = HOOKS.lock().unwrap_or_else(|e| e.into_inner());
        hooks.push((op.to_owned(), url.to_owned(), Box::new(hook)));
    }

    pub(super) fn fire(op: &str, url: &str) {
        let hook = {
            let mut hooks = HOOKS.lock().unwrap_or_else(|e| e.into_inner());
            let at = hooks.iter().position(|(o, u, _)| o == op && u == url);
            at.map(|at| hooks.remove(at).2)
        };
        if let Some(hook) = hook {
            hook();
        }
    }
}
