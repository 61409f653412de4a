//! The language server on a hostile stream, through its real transport and dispatch
//! (`rulec_lsp::transport::serve` over an in-memory pipe).
//!
//! The first input byte picks the shape. Even: the rest is the raw client stream, followed by
//! one valid request; when the junk holds no `Content-Length` header (which could announce a
//! body that swallows the request) the server must answer that request. Odd: the rest drives a
//! well-framed session (initialize, a document whose text comes from the input, edits and
//! requests at chosen positions, shutdown) and every request must get its response, none of
//! them an internal error (a panic the server caught). In both shapes every byte the server
//! writes must be a sequence of frames holding JSON-RPC messages.

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::choices::Choices;

/// The id of the request that follows the junk in the raw shape.
const PROBE_ID: &str = "fuzz-probe";

/// Requests on a position or a document, by method name.
const REQUESTS: &[&str] = &[
    "textDocument/completion",
    "textDocument/hover",
    "textDocument/definition",
    "textDocument/references",
    "textDocument/prepareRename",
    "textDocument/rename",
    "textDocument/documentSymbol",
    "workspace/symbol",
    "textDocument/foldingRange",
    "textDocument/semanticTokens/full",
    "textDocument/codeAction",
    "textDocument/formatting",
    "textDocument/inlayHint",
    "textDocument/codeLens",
];

const URI: &str = "file:///fuzz/rules.yaml";

pub fn run(data: &[u8]) {
    let mut c = Choices::new(data);
    if c.byte() % 2 == 0 {
        raw(c.rest());
    } else {
        session(&mut c);
    }
}

fn frame(body: &Value) -> Vec<u8> {
    let body = body.to_string();
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

/// Runs the server on `input` (the client then closes its end) and returns the messages it
/// wrote, checking that its output is well framed.
fn serve(input: Vec<u8>) -> Vec<Value> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let output = rt.block_on(async move {
        let (mut client_w, server_r) = tokio::io::duplex(1 << 16);
        let (server_w, mut client_r) = tokio::io::duplex(1 << 16);
        let writer = tokio::spawn(async move {
            let _ = client_w.write_all(&input).await;
            // Dropping the writer closes the stream: the server must then finish.
        });
        let reader = tokio::spawn(async move {
            let mut out = Vec::new();
            let _ = client_r.read_to_end(&mut out).await;
            out
        });
        rulec_lsp::transport::serve(server_r, server_w, false).await;
        let _ = writer.await;
        reader.await.unwrap_or_default()
    });
    parse_frames(&output)
}

/// The messages of the server's output; panics on anything that is not a frame of JSON.
fn parse_frames(mut out: &[u8]) -> Vec<Value> {
    let mut messages = Vec::new();
    while !out.is_empty() {
        let end = out.windows(4).position(|w| w == b"\r\n\r\n").expect("a header block ends with a blank line");
        let header = std::str::from_utf8(&out[..end]).expect("an ASCII header");
        let len: usize = header
            .strip_prefix("Content-Length: ")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("a header with only a Content-Length: {header:?}"));
        let body = &out[end + 4..end + 4 + len];
        let msg: Value = serde_json::from_slice(body).expect("a JSON body");
        assert_eq!(msg.get("jsonrpc"), Some(&json!("2.0")), "{msg}");
        messages.push(msg);
        out = &out[end + 4 + len..];
    }
    messages
}

fn response_to<'a>(messages: &'a [Value], id: &Value) -> Option<&'a Value> {
    messages.iter().find(|m| m.get("id") == Some(id) && m.get("method").is_none())
}

fn raw(junk: &[u8]) {
    let mut input = junk.to_vec();
    input.extend(frame(&json!({"jsonrpc": "2.0", "id": PROBE_ID, "method": "shutdown"})));
    let messages = serve(input);
    let header_in_junk = junk.windows(15).any(|w| w.eq_ignore_ascii_case(b"content-length:"));
    if !header_in_junk {
        assert!(response_to(&messages, &json!(PROBE_ID)).is_some(), "no answer to the request after the junk");
    }
}

/// A number for a line or a column: mostly small, sometimes past the end or huge.
fn coordinate(c: &mut Choices<'_>) -> u32 {
    match c.below(8) {
        0 => u32::MAX,
        1 => 1_000 + c.below(1_000_000) as u32,
        _ => c.below(40) as u32,
    }
}

fn position(c: &mut Choices<'_>) -> Value {
    json!({"line": coordinate(c), "character": coordinate(c)})
}

fn range(c: &mut Choices<'_>) -> Value {
    json!({"start": position(c), "end": position(c)})
}

fn text(c: &mut Choices<'_>, max: usize) -> String {
    String::from_utf8_lossy(c.bytes(max)).into_owned()
}

fn params(c: &mut Choices<'_>, method: &str) -> Value {
    let doc = json!({"uri": URI});
    match method {
        "workspace/symbol" => json!({"query": text(c, 8)}),
        "textDocument/rename" => json!({"textDocument": doc, "position": position(c), "newName": text(c, 12)}),
        "textDocument/references" => {
            json!({"textDocument": doc, "position": position(c), "context": {"includeDeclaration": c.chance(50)}})
        }
        "textDocument/codeAction" => {
            json!({"textDocument": doc, "range": range(c), "context": {"diagnostics": []}})
        }
        "textDocument/formatting" => {
            json!({"textDocument": doc, "options": {"tabSize": 2, "insertSpaces": true}})
        }
        "textDocument/inlayHint" => json!({"textDocument": doc, "range": range(c)}),
        "textDocument/documentSymbol"
        | "textDocument/foldingRange"
        | "textDocument/semanticTokens/full"
        | "textDocument/codeLens" => json!({"textDocument": doc}),
        _ => json!({"textDocument": doc, "position": position(c)}),
    }
}

fn session(c: &mut Choices<'_>) {
    let options = json!({"debounceMs": 0, "stdlib": c.chance(20)});
    let mut input = frame(&json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"capabilities": {}, "initializationOptions": options}}));
    input.extend(frame(&json!({"jsonrpc": "2.0", "method": "initialized", "params": {}})));
    let doc = text(c, 4096);
    input.extend(frame(&json!({"jsonrpc": "2.0", "method": "textDocument/didOpen",
        "params": {"textDocument": {"uri": URI, "languageId": "falco-rules", "version": 1, "text": doc}}})));
    let mut ids = vec![0];
    for step in 0..c.below(12) {
        if c.chance(25) {
            let change = if c.chance(50) {
                json!({"range": range(c), "text": text(c, 64)})
            } else {
                json!({"text": text(c, 1024)})
            };
            input.extend(frame(&json!({"jsonrpc": "2.0", "method": "textDocument/didChange",
                "params": {"textDocument": {"uri": URI, "version": step + 2}, "contentChanges": [change]}})));
        } else {
            let method = *c.pick(REQUESTS);
            let id = step as i64 + 1;
            input.extend(frame(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params(c, method)})));
            ids.push(id);
        }
    }
    input.extend(frame(&json!({"jsonrpc": "2.0", "id": 1000, "method": "shutdown"})));
    input.extend(frame(&json!({"jsonrpc": "2.0", "method": "exit"})));
    ids.push(1000);
    let messages = serve(input);
    for id in ids {
        let reply = response_to(&messages, &json!(id)).unwrap_or_else(|| panic!("no answer to request {id}"));
        let code = reply.pointer("/error/code").and_then(Value::as_i64);
        assert_ne!(code, Some(-32603), "internal error (a caught panic) for request {id}: {reply}");
    }
}
