//! A moto server, the S3-compatible server the object-store tests run
//! against: started on a free port of 127.0.0.1, stopped when dropped.
//! Shared with the `runlayout` command's tests.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A moto server on a free port of 127.0.0.1, stopped when dropped.
pub struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    /// Starts moto, or `None` (said loudly) when `moto_server` is not
    /// installed, unless `RUNLAYOUT_REQUIRE_MOTO` is set (as `.ci/run`
    /// sets it), which makes a missing moto a failure.
    pub fn start(test: &str) -> Result<Option<Moto>, Box<dyn std::error::Error>> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let spawned = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) if std::env::var_os("RUNLAYOUT_REQUIRE_MOTO").is_none() => {
                eprintln!(
                    "SKIPPED {test}: moto_server cannot be started ({e}); \
                     pip install 'moto[server]' to run it"
                );
                return Ok(None);
            }
            Err(e) => return Err(format!("moto_server cannot be started: {e}").into()),
        };
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("moto_server did not listen within 30 s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(Some(moto))
    }

    /// Makes a bucket (moto takes unsigned requests).
    pub fn bucket(&self, name: &str) -> Result<(), Box<dyn std::error::Error>> {
        self.raw("PUT", name, b"")?;
        Ok(())
    }

    /// Sends `method` for `path` (`bucket/key`, as written: another tool's
    /// request, which no client escapes) with `body`; returns the answer's
    /// body, and fails unless moto answers 2xx. The request names the
    /// test's keys without a true signature, which moto does not check
    /// (an unsigned read of an object is refused as anonymous).
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        use std::io::Read as _;
        let address = self.endpoint.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address)?;
        write!(
            stream,
            "{method} /{path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, \
             SignedHeaders=host, Signature=0\r\nConnection: close\r\n\r\n",
            body.len()
        )?;
        stream.write_all(body)?;
        let mut reader = BufReader::new(stream);
        let mut status = String::new();
        reader.read_line(&mut status)?;
        if !status.contains(" 20") {
            return Err(format!("{method} /{path}: {status}").into());
        }
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest)?;
        let at = rest
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(rest.len(), |at| at + 4);
        Ok(rest[at..].to_vec())
    }

    /// The variables a process reaches this server with (any keys).
    pub fn vars(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "us-east-1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }
}
