//! Message framing in front of tower-lsp-server, so that malformed input gets an error response
//! and the session goes on.
//!
//! tower-lsp-server stops reading at the first message it cannot decode (its framed reader ends
//! after an error). This layer reads the client's stream itself: every frame whose body is a JSON
//! object shaped like a JSON-RPC message is passed on unchanged; a frame that is not JSON gets a
//! parse error (-32700), one that is JSON but not a message an invalid-request error (-32600), a
//! request to a `$/` method method-not-found (-32601), and bytes that are not a frame are skipped
//! up to the next `Content-Length` header, wherever it starts (after a frame with no length, a
//! length that is no number, or a length too large that ran into the next header). Header lines
//! and bodies are capped, so junk costs bounded memory. Responses
//! from the server and these errors are written whole, one frame at a time, so they never
//! interleave.

use serde::de::IgnoredAny;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

/// The largest message body accepted; a larger one is skipped with an error.
pub const MAX_BODY: usize = 64 << 20;
/// The longest header line kept; longer runs of bytes without a newline are junk, skipped.
pub const MAX_HEADER_LINE: usize = 8 << 10;

/// The header every frame starts with, matched without regard to case.
const CONTENT_LENGTH: &[u8] = b"content-length:";

/// What reading one frame gave.
#[derive(Debug, PartialEq)]
enum Frame {
    /// A well-formed message body.
    Message(Vec<u8>),
    /// A frame to answer with this error (code, message) and the request's id, if known.
    Reject(i64, &'static str, Value),
    End,
}

/// Where `needle` (lowercase ASCII) starts in `hay`, without regard to case.
fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle))
}

/// Where a `Content-Length` header may start at the end of `bytes`: the first position from which
/// the rest is a prefix of it (the header cut by the end of a too-short body), if any.
fn partial_header_at_end(bytes: &[u8]) -> Option<usize> {
    let from = bytes.len().saturating_sub(CONTENT_LENGTH.len() - 1);
    (from..bytes.len()).find(|&i| CONTENT_LENGTH[..bytes.len() - i].eq_ignore_ascii_case(&bytes[i..]))
}

/// The client's byte stream with its own buffer, so that bytes read too far (a body whose
/// `Content-Length` was wrong and swallowed the next header) can be put back and read again.
struct Input<R> {
    inner: R,
    buf: Vec<u8>,
    /// Where the unread bytes of `buf` start.
    start: usize,
}

impl<R: AsyncRead + Unpin> Input<R> {
    fn new(inner: R) -> Self {
        Input { inner, buf: Vec::new(), start: 0 }
    }

    fn unread(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }

    /// Reads more bytes; false at the end of the stream.
    async fn fill(&mut self) -> bool {
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let mut chunk = [0u8; 16 << 10];
        match self.inner.read(&mut chunk).await {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// Puts `bytes` back in front of the unread ones.
    fn put_back(&mut self, bytes: &[u8]) {
        let mut rest = bytes.to_vec();
        rest.extend_from_slice(self.unread());
        self.buf = rest;
        self.start = 0;
    }

    /// The next header line without its line ending, or `None` at the end of the stream. A line
    /// longer than [`MAX_HEADER_LINE`] is junk: it is dropped (up to a `Content-Length` header
    /// inside it, which starts the line returned), so memory stays bounded.
    async fn line(&mut self) -> Option<Vec<u8>> {
        loop {
            if let Some(nl) = self.unread().iter().position(|&b| b == b'\n') {
                let mut line = self.unread()[..nl].to_vec();
                self.consume(nl + 1);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Some(line);
            }
            if self.unread().len() > MAX_HEADER_LINE {
                let junk = self.unread();
                let keep = match find_ci(junk, CONTENT_LENGTH) {
                    Some(0) => MAX_HEADER_LINE, // a header with a huge value: junk too
                    Some(i) => i,
                    None => partial_header_at_end(junk).unwrap_or(junk.len()),
                };
                self.consume(keep.min(junk.len()));
            }
            if !self.fill().await {
                return None;
            }
        }
    }

    /// Drops `n` bytes (a body too large to keep); false at the end of the stream.
    async fn skip(&mut self, mut n: usize) -> bool {
        loop {
            let here = n.min(self.unread().len());
            self.consume(here);
            n -= here;
            if n == 0 {
                return true;
            }
            if !self.fill().await {
                return false;
            }
        }
    }

    /// The next `n` bytes, a body. If, while it waits for them, what came so far is a whole JSON
    /// value followed by a `Content-Length` header, the length was wrong and the client is
    /// already sending its next frame: that value is returned at once with `true` (the header is
    /// left unread), rather than waiting for bytes that may never come.
    async fn body(&mut self, n: usize) -> Option<(Vec<u8>, bool)> {
        let mut scanned: usize = 0;
        while self.unread().len() < n {
            let have = self.unread();
            let from = scanned.saturating_sub(CONTENT_LENGTH.len());
            if let Some(i) = find_ci(&have[from..], CONTENT_LENGTH).map(|i| i + from)
                && i > 0
                && serde_json::from_slice::<IgnoredAny>(&have[..i]).is_ok()
            {
                let body = have[..i].to_vec();
                self.consume(i);
                return Some((body, true));
            }
            scanned = have.len();
            if !self.fill().await {
                return None;
            }
        }
        let body = self.unread()[..n].to_vec();
        self.consume(n);
        Some((body, false))
    }
}

/// Reads the next frame. Header lines other than `Content-Length` are ignored, and a
/// `Content-Length` header is found wherever it starts in a line (after the junk of a broken
/// frame); a header block without a usable length is rejected. A body that is not JSON and holds
/// the start of the next header (its length was too large) gives that header back to be read.
async fn read_frame<R: AsyncRead + Unpin>(r: &mut Input<R>) -> Frame {
    let mut len: Option<usize> = None;
    let mut saw_header = false;
    loop {
        let Some(line) = r.line().await else { return Frame::End };
        if line.iter().all(u8::is_ascii_whitespace) {
            if !saw_header {
                continue; // stray blank lines between frames
            }
            break;
        }
        saw_header = true;
        if let Some(i) = find_ci(&line, CONTENT_LENGTH) {
            let value = String::from_utf8_lossy(&line[i + CONTENT_LENGTH.len()..]).trim().to_string();
            len = value.parse().ok();
        }
    }
    let Some(len) = len else {
        return Frame::Reject(-32700, "Parse error: no usable Content-Length header", Value::Null);
    };
    if len > MAX_BODY {
        return if r.skip(len).await {
            Frame::Reject(-32600, "Invalid request: message too large", Value::Null)
        } else {
            Frame::End
        };
    }
    let Some((body, cut_short)) = r.body(len).await else { return Frame::End };
    if cut_short {
        return Frame::Reject(-32700, "Parse error: Content-Length is larger than the message", Value::Null);
    }
    if let Some(i) = find_ci(&body, CONTENT_LENGTH).or_else(|| partial_header_at_end(&body))
        && serde_json::from_slice::<IgnoredAny>(&body).is_err()
    {
        // The length was too large: the body ran into the next frame's header. Read it again.
        r.put_back(&body[i..]);
        return Frame::Reject(-32700, "Parse error: Content-Length is larger than the message", Value::Null);
    }
    classify(body)
}

/// Whether a body is a JSON-RPC message tower-lsp-server can take.
fn classify(body: Vec<u8>) -> Frame {
    let Ok(value) = serde_json::from_slice::<Value>(&body) else {
        return Frame::Reject(-32700, "Parse error", Value::Null);
    };
    let id = value.get("id").cloned().filter(|id| id.is_string() || id.is_number()).unwrap_or(Value::Null);
    let Some(obj) = value.as_object() else { return Frame::Reject(-32600, "Invalid request", Value::Null) };
    let method_ok = obj.get("method").is_some_and(Value::is_string);
    let response_ok = obj.contains_key("id") && (obj.contains_key("result") || obj.contains_key("error"));
    let params_ok = obj.get("params").is_none_or(|p| p.is_object() || p.is_array() || p.is_null());
    let id_ok = obj.get("id").is_none_or(|i| i.is_string() || i.is_number() || i.is_null());
    if (method_ok || response_ok) && params_ok && id_ok && obj.get("jsonrpc") == Some(&json!("2.0")) {
        // Requests to `$/` methods are protocol extensions; the server implements none that
        // answers, and JSON-RPC requires every request to be answered.
        let dollar = obj.get("method").and_then(Value::as_str).is_some_and(|m| m.starts_with("$/"));
        if dollar && !id.is_null() {
            return Frame::Reject(-32601, "Method not found", id);
        }
        Frame::Message(body)
    } else {
        Frame::Reject(-32600, "Invalid request", id)
    }
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// Runs the language server over `input`/`output` until the client exits or closes the stream.
pub async fn serve<I, O>(input: I, output: O, debug_panic: bool)
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin + Send + 'static,
{
    let (frames_tx, mut frames_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let (server_in, mut to_server) = tokio::io::duplex(1 << 16);
    let (mut from_server, server_out) = tokio::io::duplex(1 << 16);

    // Client → checks → server.
    let errors = frames_tx.clone();
    let reader = tokio::spawn(async move {
        let mut input = Input::new(input);
        loop {
            match read_frame(&mut input).await {
                Frame::End => break,
                Frame::Message(body) => {
                    if to_server.write_all(&frame(&body)).await.is_err() {
                        break;
                    }
                }
                Frame::Reject(code, message, id) => {
                    let reply = json!({"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": id});
                    let _ = errors.send(frame(reply.to_string().as_bytes()));
                }
            }
        }
        // Dropping `to_server` ends the server's input.
    });

    // Server → whole frames → writer.
    let server_frames = frames_tx;
    let splitter = tokio::spawn(async move {
        let mut r = Input::new(&mut from_server);
        loop {
            match read_frame(&mut r).await {
                Frame::Message(body) => {
                    let _ = server_frames.send(frame(&body));
                }
                // The server writes only well-formed messages; nothing else is expected.
                Frame::Reject(..) => {}
                Frame::End => break,
            }
        }
    });

    let writer = tokio::spawn(async move {
        let mut output = output;
        while let Some(bytes) = frames_rx.recv().await {
            if output.write_all(&bytes).await.is_err() || output.flush().await.is_err() {
                break;
            }
        }
    });

    let mut builder = tower_lsp_server::LspService::build(crate::server::Server::new);
    if debug_panic {
        builder = builder.custom_method("rulec/debugPanic", crate::server::Server::debug_panic);
    }
    let (service, socket) = builder.finish();
    // Requests are answered one at a time, in order: each takes a few milliseconds, and in-order
    // handling guarantees a request sees every edit sent before it.
    tower_lsp_server::Server::new(server_in, server_out, socket).concurrency_level(1).serve(service).await;

    // The server has exited: stop reading the client, send what is left, finish.
    reader.abort();
    let _ = reader.await;
    let _ = splitter.await;
    let _ = writer.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_bodies() {
        assert!(matches!(classify(br#"{"jsonrpc":"2.0","id":1,"method":"x"}"#.to_vec()), Frame::Message(_)));
        assert!(matches!(classify(br#"{"jsonrpc":"2.0","id":1,"result":null}"#.to_vec()), Frame::Message(_)));
        assert_eq!(classify(b"{not json".to_vec()), Frame::Reject(-32700, "Parse error", Value::Null));
        assert_eq!(classify(b"[1,2]".to_vec()), Frame::Reject(-32600, "Invalid request", Value::Null));
        assert_eq!(
            classify(br#"{"jsonrpc":"2.0","id":7}"#.to_vec()),
            Frame::Reject(-32600, "Invalid request", json!(7))
        );
        assert_eq!(
            classify(br#"{"jsonrpc":"2.0","id":7,"method":"x","params":3}"#.to_vec()),
            Frame::Reject(-32600, "Invalid request", json!(7))
        );
    }

    fn msg(id: u32) -> Vec<u8> {
        format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"shutdown"}}"#).into_bytes()
    }

    /// The frames read from `bytes`, with the writer kept open (a client waiting for answers)
    /// after them: reading stops when nothing more comes within a second.
    fn frames(bytes: Vec<u8>) -> Vec<Frame> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let (mut client, server) = tokio::io::duplex(1 << 16);
            // The client writes everything, then keeps its end open until the reading is done.
            let (done, finished) = tokio::sync::oneshot::channel::<()>();
            let writer = tokio::spawn(async move {
                client.write_all(&bytes).await.unwrap();
                let _ = finished.await;
            });
            let mut input = Input::new(server);
            let mut out = Vec::new();
            while let Ok(f) = tokio::time::timeout(std::time::Duration::from_secs(1), read_frame(&mut input)).await {
                if f == Frame::End {
                    break;
                }
                out.push(f);
            }
            assert!(input.buf.len() <= 2 * MAX_HEADER_LINE + (16 << 10), "bounded buffer: {}", input.buf.len());
            let _ = done.send(());
            writer.await.unwrap();
            out
        })
    }

    fn with(prefix: &[u8], ids: &[u32]) -> Vec<u8> {
        let mut bytes = prefix.to_vec();
        for &id in ids {
            bytes.extend_from_slice(&frame(&msg(id)));
        }
        bytes
    }

    fn is_reject(f: &Frame, code: i64) -> bool {
        matches!(f, Frame::Reject(c, ..) if *c == code)
    }

    /// After each kind of broken frame, the next valid ones are read.
    #[test]
    fn resynchronises_after_a_bad_frame() {
        let cases: [&[u8]; 6] = [
            b"Content-Length: 3\r\n\r\n{}",
            b"Content-Length: 1000\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"x\"}",
            b"Content-Length: 25\r\n\r\n{}",
            b"X-Other: 1\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"x\"}",
            b"Content-Length: lots\r\n\r\n{}",
            b"Content-Length: 2\r\n\r\nnot json at all",
        ];
        for prefix in cases {
            let got = frames(with(prefix, &[1, 2]));
            let text = String::from_utf8_lossy(prefix);
            assert!(is_reject(&got[0], -32700), "{text}: {got:?}");
            assert_eq!(got[got.len() - 2..], [Frame::Message(msg(1)), Frame::Message(msg(2))], "{text}: {got:?}");
        }
    }

    /// A megabyte without a newline is skipped in bounded memory, up to the header inside it.
    #[test]
    fn junk_without_newlines_is_skipped_in_bounded_memory() {
        let mut junk = vec![b'x'; 1 << 20];
        junk.extend_from_slice(b"garbage");
        let got = frames(with(&junk, &[3]));
        assert_eq!(got, [Frame::Message(msg(3))]);
    }

    #[test]
    fn dollar_requests_get_method_not_found_and_notifications_pass() {
        let request = br#"{"jsonrpc":"2.0","id":5,"method":"$/unknown"}"#.to_vec();
        assert_eq!(classify(request), Frame::Reject(-32601, "Method not found", json!(5)));
        let note = br#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}"#.to_vec();
        assert!(matches!(classify(note), Frame::Message(_)));
    }
}
