//! Message framing in front of tower-lsp-server, so that malformed input gets an error response
//! and the session goes on.
//!
//! tower-lsp-server stops reading at the first message it cannot decode (its framed reader ends
//! after an error). This layer reads the client's stream itself: every frame whose body is a JSON
//! object shaped like a JSON-RPC message is passed on unchanged; a frame that is not JSON gets a
//! parse error (-32700), one that is JSON but not a message an invalid-request error (-32600),
//! and bytes that are not a frame are skipped up to the next `Content-Length` header. Responses
//! from the server and these errors are written whole, one frame at a time, so they never
//! interleave.

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// The largest message body accepted; a larger one is skipped with an error.
pub const MAX_BODY: usize = 64 << 20;

/// What reading one frame gave.
#[derive(Debug, PartialEq)]
enum Frame {
    /// A well-formed message body.
    Message(Vec<u8>),
    /// A frame to answer with this error (code, message) and the request's id, if known.
    Reject(i64, &'static str, Value),
    End,
}

/// Reads the next frame. Header lines other than `Content-Length` are ignored; a header block
/// without a usable length is rejected.
async fn read_frame<R: AsyncRead + Unpin>(r: &mut BufReader<R>) -> Frame {
    let mut len: Option<usize> = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        match r.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return Frame::End,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if !saw_header {
                continue; // stray blank lines between frames
            }
            break;
        }
        saw_header = true;
        if let Some((name, value)) = text.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            len = value.trim().parse().ok();
        }
    }
    let Some(len) = len else { return Frame::Reject(-32700, "Parse error: no Content-Length header", Value::Null) };
    if len > MAX_BODY {
        // Skip the body without keeping it.
        let mut rest = (&mut *r).take(len as u64);
        let _ = tokio::io::copy(&mut rest, &mut tokio::io::sink()).await;
        return Frame::Reject(-32600, "Invalid request: message too large", Value::Null);
    }
    let mut body = vec![0; len];
    if r.read_exact(&mut body).await.is_err() {
        return Frame::End;
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
        let mut input = BufReader::new(input);
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
        let mut r = BufReader::new(&mut from_server);
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
}
