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
        let address = self.endpoint.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address)?;
        write!(
            stream,
            "PUT /{name} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?;
        let mut status = String::new();
        BufReader::new(stream).read_line(&mut status)?;
        assert!(status.contains(" 200"), "making bucket {name}: {status}");
        Ok(())
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
