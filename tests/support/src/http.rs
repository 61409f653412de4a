//! A small HTTP/1.1 receiver on 127.0.0.1 for tests of alert outputs: it records every request
//! (method, path, headers, body) and answers each with a fixed status after a fixed delay, so a
//! test can play a healthy collector, a failing one (500), a slow one, or, by never starting one,
//! one that is down. Only loopback; one thread per connection; bodies by `Content-Length`.
//! [`read_headers`] also reads the language server protocol's framing, which uses the same headers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// An HTTP/1.1 receiver on loopback answering each request with `status` after `delay`.
pub struct Receiver {
    /// `http://127.0.0.1:PORT/alerts`.
    pub url: String,
    got: Arc<Mutex<Vec<Request>>>,
}

impl Receiver {
    /// Starts a receiver answering `status` after `delay`.
    pub fn start(status: u16, delay: Duration) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/alerts", listener.local_addr().expect("addr"));
        let got = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&got);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let seen = Arc::clone(&seen);
                std::thread::spawn(move || serve(stream, status, delay, &seen));
            }
        });
        Receiver { url, got }
    }

    /// The requests so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.got.lock().map(|g| g.clone()).unwrap_or_default()
    }
}

fn serve(stream: TcpStream, status: u16, delay: Duration, seen: &Mutex<Vec<Request>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut out = stream;
    loop {
        let mut first = String::new();
        if reader.read_line(&mut first).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = first.split_whitespace();
        let (method, path) = (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("").to_string());
        let Some(headers) = read_headers(&mut reader) else { return };
        let mut body = vec![0; content_length(&headers).unwrap_or(0)];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        if let Ok(mut s) = seen.lock() {
            s.push(Request { method, path, headers, body: String::from_utf8_lossy(&body).into_owned() });
        }
        std::thread::sleep(delay);
        let reply = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n");
        if out.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// Reads header lines up to the blank line that ends them (HTTP/1.1, and the language server
/// protocol's base framing): names in lower case, values trimmed. `None` at the end of input.
pub fn read_headers(reader: &mut impl BufRead) -> Option<Vec<(String, String)>> {
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            return Some(headers);
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
}

/// The `content-length` of headers from [`read_headers`], if it is there and a number.
pub fn content_length(headers: &[(String, String)]) -> Option<usize> {
    headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok())
}

/// A loopback URL where nothing listens (a port that was just free).
pub fn dead_url() -> String {
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(9);
    format!("http://127.0.0.1:{port}/")
}
