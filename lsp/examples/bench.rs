//! Latency benchmark of the language server on the upstream Falco sandbox rules (94 KB): the
//! time from `didChange` to the `publishDiagnostics` it causes, and of `completion`,
//! `hover` and `semanticTokens/full`, each over many iterations, with p50/p99.
//!
//! Run in release: `cargo run --release -p rulec-lsp --example bench [ITERATIONS]`. The server
//! runs in-process over an in-memory pipe, through the same transport as `rulec lsp`. The
//! debounce is set to 0 to measure the work itself; editors see the 100 ms debounce on top.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};

struct Client {
    write: DuplexStream,
    read: BufReader<DuplexStream>,
    next_id: i64,
}

impl Client {
    async fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        let frame = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.write.write_all(frame.as_bytes()).await.expect("write");
    }

    async fn recv(&mut self) -> Value {
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            self.read.read_line(&mut line).await.expect("read");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                len = v.parse().expect("length");
            }
        }
        let mut body = vec![0; len];
        self.read.read_exact(&mut body).await.expect("body");
        serde_json::from_slice(&body).expect("json")
    }

    async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await;
        loop {
            let m = self.recv().await;
            if m["id"] == json!(id) && m.get("method").is_none() {
                return m;
            }
        }
    }

    async fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params})).await;
    }

    async fn diagnostics_for_version(&mut self, uri: &str, version: i64) -> usize {
        loop {
            let m = self.recv().await;
            if m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
            {
                return m["params"]["diagnostics"].as_array().map_or(0, Vec::len);
            }
        }
    }
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<40} n={:<4} p50={:>7.2} ms  p99={:>7.2} ms  max={:>7.2} ms",
        samples.len(),
        ms(pct(0.5)),
        ms(pct(0.99)),
        ms(pct(1.0))
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let iterations: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200);
    let Some(sandbox) = rulec_test_support::shared("conformance/falco/falco-sandbox_rules.yaml") else { return };
    let text = std::fs::read_to_string(&sandbox).expect("the upstream sandbox rules are readable");
    let (client_write, server_read) = tokio::io::duplex(1 << 20);
    let (server_write, client_read) = tokio::io::duplex(1 << 20);
    tokio::spawn(rulec_lsp::transport::serve(server_read, server_write, false));
    let mut c = Client { write: client_write, read: BufReader::new(client_read), next_id: 1 };
    c.request("initialize", json!({"capabilities": {}, "initializationOptions": {"debounceMs": 0}})).await;
    c.notify("initialized", json!({})).await;
    let uri = "file:///bench/falco-sandbox_rules.yaml";
    println!("file: falco-sandbox_rules.yaml, {} bytes, {} lines", text.len(), text.lines().count());
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
    )
    .await;
    let n = c.diagnostics_for_version(uri, 1).await;
    println!("initial diagnostics: {n}");

    // An edit inside a condition: type a character, then delete it, as a user would.
    let (line, col) = text
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find("condition: (not proc.name").map(|c| (i as u64, c as u64 + 16)))
        .expect("the file has conditions");
    let mut change = Vec::new();
    for i in 0..iterations {
        let version = i as i64 + 2;
        let edit = if i % 2 == 0 {
            json!({"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col}}, "text": " "})
        } else {
            json!({"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col + 1}}, "text": ""})
        };
        let t = Instant::now();
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [edit]}),
        )
        .await;
        c.diagnostics_for_version(uri, version).await;
        change.push(t.elapsed());
    }
    report("didChange -> publishDiagnostics", change);

    // Completion right after an edit includes the re-check; on an unchanged file it does not.
    let at = json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": col + 7}});
    let mut completion = Vec::new();
    for _ in 0..iterations {
        let t = Instant::now();
        let r = c.request("textDocument/completion", at.clone()).await;
        completion.push(t.elapsed());
        assert!(r["result"].as_array().is_some_and(|a| !a.is_empty()), "completion answered: {r}");
    }
    report("completion", completion);

    let mut hover = Vec::new();
    for _ in 0..iterations {
        let t = Instant::now();
        c.request("textDocument/hover", at.clone()).await;
        hover.push(t.elapsed());
    }
    report("hover", hover);

    let mut tokens = Vec::new();
    for _ in 0..iterations.min(100) {
        let t = Instant::now();
        c.request("textDocument/semanticTokens/full", json!({"textDocument": {"uri": uri}})).await;
        tokens.push(t.elapsed());
    }
    report("semanticTokens/full", tokens);

    let mut fmt = Vec::new();
    for _ in 0..iterations.min(20) {
        let t = Instant::now();
        c.request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
        )
        .await;
        fmt.push(t.elapsed());
    }
    report("formatting (with its proof)", fmt);
    c.request("shutdown", Value::Null).await;
    c.notify("exit", Value::Null).await;
}
