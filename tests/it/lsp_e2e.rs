//! End-to-end tests of `rulec lsp`: the real binary driven over stdio with JSON-RPC, as an editor
//! would, on inline files and on the upstream Falco rules (`../shared/conformance/falco`,
//! skipped with a message where absent). Answers are snapshotted as JSON.

use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use rulec_test_support::http::{content_length, read_headers};
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(60);

/// A client speaking LSP to a `rulec lsp` child process.
struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    /// Notifications received while waiting for something else.
    pending: Vec<Value>,
    next_id: i64,
}

impl Client {
    fn start() -> Client {
        Client::start_with_env(&[])
    }

    fn start_with_env(env: &[(&str, &str)]) -> Client {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rulec"));
        cmd.arg("lsp").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("rulec lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let Some(headers) = read_headers(&mut reader) else { return };
                let mut body = vec![0; content_length(&headers).expect("a Content-Length header")];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let msg: Value = serde_json::from_slice(&body).expect("the server sends JSON");
                if tx.send(msg).is_err() {
                    return;
                }
            }
        });
        Client { child, stdin, incoming: rx, pending: Vec::new(), next_id: 1 }
    }

    fn send_bytes(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn send_raw(&mut self, body: &str) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn send(&mut self, msg: Value) {
        self.send_raw(&msg.to_string());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn recv(&mut self, deadline: Instant) -> Value {
        match self.incoming.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(v) => v,
            Err(RecvTimeoutError::Timeout) => panic!("no message from the server in time"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
        }
    }

    /// Sends a request and returns the whole response (with `result` or `error`).
    fn request_raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.response(json!(id))
    }

    fn response(&mut self, id: Value) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let msg = self.recv(deadline);
            if msg.get("id") == Some(&id) && msg.get("method").is_none() {
                return msg;
            }
            if msg.get("method").is_some() && msg.get("id").is_some() {
                // A request from the server (none expected); answer so it does not wait.
                let reply = json!({"jsonrpc": "2.0", "id": msg["id"], "result": null});
                self.send(reply);
                continue;
            }
            self.pending.push(msg);
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let r = self.request_raw(method, params);
        assert!(r.get("error").is_none(), "{method} failed: {r}");
        r["result"].clone()
    }

    /// The next `publishDiagnostics` for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let deadline = Instant::now() + TIMEOUT;
        let is_it = |m: &Value| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri;
        if let Some(i) = self.pending.iter().position(is_it) {
            let m = self.pending.remove(i);
            return m["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
        }
        loop {
            let m = self.recv(deadline);
            if is_it(&m) {
                return m["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
            }
            self.pending.push(m);
        }
    }

    fn initialize(&mut self, options: Value) -> Value {
        self.initialize_at(Value::Null, options)
    }

    /// `initialize` with a workspace root (a `file://` URI, or null).
    fn initialize_at(&mut self, root: Value, options: Value) -> Value {
        let caps = self.request(
            "initialize",
            json!({"processId": null, "rootUri": root, "capabilities": {}, "initializationOptions": options}),
        );
        self.notify("initialized", json!({}));
        caps
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
        );
    }

    /// `shutdown`, `exit`, and the exit status.
    fn stop(mut self) -> i32 {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pos(line: u32, character: u32) -> Value {
    json!({"line": line, "character": character})
}

fn at(uri: &str, line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": uri}, "position": pos(line, character)})
}

/// Diagnostics as `line:col code message` lines.
fn render_diags(diags: &[Value]) -> String {
    diags
        .iter()
        .map(|d| {
            format!(
                "{}:{} {} {}",
                d["range"]["start"]["line"],
                d["range"]["start"]["character"],
                d["code"].as_str().unwrap_or(""),
                d["message"].as_str().unwrap_or("").replace('\n', " / ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const URI: &str = "file:///e2e/rules.yaml";
const TEXT: &str = r#"- list: shell_binaries
  items: [bash, sh, zsh]

- macro: spawned_process
  condition: evt.type in (execve, execveat) and evt.dir = <

- macro: shell_procs
  condition: spawned_process and proc.name in (shell_binaries)

- rule: Shell in container
  desc: a shell was spawned
  condition: shell_procs and container.id != host and proc.nmae != init
  output: "Shell (user=%user.name command=%proc.cmdline)"
  priority: WARNING

- rule: Long condition
  desc: formatting target
  condition: (evt.type in (open, openat, openat2) and evt.is_open_write = true and fd.typechar = f and fd.num >= 0) or (spawned_process and not proc.pname in (sshd, login))
  output: "%proc.name"
  priority: INFO
"#;

#[test]
fn diagnostics_as_you_type() {
    let mut c = Client::start();
    let caps = c.initialize(json!({"debounceMs": 10}));
    assert_eq!(caps["serverInfo"]["name"], "rulec");
    assert!(caps["capabilities"]["semanticTokensProvider"]["legend"]["tokenTypes"].is_array());
    c.open(URI, TEXT);
    let diags = c.diagnostics(URI);
    insta::assert_snapshot!(render_diags(&diags), @"11:54 E0401 unknown field `proc.nmae` / help: did you mean `proc.name`?");
    // Related locations and the code travel too.
    assert_eq!(diags[0]["source"], "rulec");
    // An incremental edit fixes the typo: `nmae` → `name` (line 11, UTF-16 columns).
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2},
               "contentChanges": [{"range": {"start": pos(11, 59), "end": pos(11, 63)}, "text": "name"}]}),
    );
    assert_eq!(render_diags(&c.diagnostics(URI)), "");
    // Typing an unknown macro brings an error with a related location-free hint.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 3},
               "contentChanges": [{"range": {"start": pos(7, 13), "end": pos(7, 28)}, "text": "spawned_proces"}]}),
    );
    insta::assert_snapshot!(render_diags(&c.diagnostics(URI)), @"7:13 E0301 undefined macro `spawned_proces` / help: did you mean `spawned_process`?");
    assert_eq!(c.stop(), 0);
}

#[test]
fn every_request_over_stdio() {
    let mut c = Client::start();
    c.initialize(json!({}));
    c.open(URI, TEXT);
    let _ = c.diagnostics(URI);

    // Completion: fields after `and `, with type details.
    let items = c.request("textDocument/completion", at(URI, 7, 33));
    let items = items.as_array().expect("an array of items");
    let name = items.iter().find(|i| i["label"] == "proc.name").expect("proc.name offered");
    assert_eq!(name["detail"], "string");

    // Hover on a macro: its condition and expansion.
    let hover = c.request("textDocument/hover", at(URI, 11, 15));
    insta::assert_snapshot!(hover["contents"]["value"].as_str().unwrap_or(""), @r"
    **macro** `shell_procs`

    ```
    spawned_process and proc.name in (shell_binaries)
    ```

    expands to:

    ```
    (evt.type in (execve, execveat) and evt.dir = <) and proc.name in (shell_binaries)
    ```
    ");

    // Definition and references of `spawned_process`.
    let def = c.request("textDocument/definition", at(URI, 7, 16));
    assert_eq!(def["range"]["start"], pos(3, 9));
    let refs = c.request(
        "textDocument/references",
        json!({"textDocument": {"uri": URI}, "position": pos(7, 16), "context": {"includeDeclaration": true}}),
    );
    let lines: Vec<u64> =
        refs.as_array().expect("locations").iter().filter_map(|l| l["range"]["start"]["line"].as_u64()).collect();
    assert_eq!(lines, vec![3, 7, 17]);

    // Rename edits every place.
    let edit = c.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": URI}, "position": pos(3, 12), "newName": "proc_spawned"}),
    );
    assert_eq!(edit["changes"][URI].as_array().map(Vec::len), Some(3));
    let bad = c.request_raw(
        "textDocument/rename",
        json!({"textDocument": {"uri": URI}, "position": pos(3, 12), "newName": "a b"}),
    );
    assert_eq!(bad["error"]["code"], -32602);

    // Semantic tokens: five integers per token.
    let tokens = c.request("textDocument/semanticTokens/full", json!({"textDocument": {"uri": URI}}));
    let data = tokens["data"].as_array().expect("data");
    assert!(data.len().is_multiple_of(5) && data.len() > 100, "{}", data.len());

    // Code action: the did-you-mean for `proc.nmae`.
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": URI}, "range": {"start": pos(11, 56), "end": pos(11, 56)}, "context": {"diagnostics": []}}),
    );
    insta::assert_snapshot!(serde_json::to_string_pretty(&actions[0]["edit"]).unwrap_or_default(), @r#"
    {
      "changes": {
        "file:///e2e/rules.yaml": [
          {
            "newText": "proc.name",
            "range": {
              "end": {
                "character": 63,
                "line": 11
              },
              "start": {
                "character": 54,
                "line": 11
              }
            }
          }
        ]
      }
    }
    "#);

    // Formatting lays out the long condition.
    let edits = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": URI}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    insta::assert_snapshot!(edits[0]["newText"].as_str().unwrap_or(""), @r"
    >
        (evt.type in (open, openat, openat2)
         and evt.is_open_write = true
         and fd.typechar = f
         and fd.num >= 0)
        or (spawned_process and not proc.pname in (sshd, login))
    ");

    // Inlay hints, code lenses, symbols, folding.
    let hints = c.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": URI}, "range": {"start": pos(0, 0), "end": pos(100, 0)}}),
    );
    // The first rule has an error (no hint); the second matches these types.
    assert_eq!(hints.as_array().map(Vec::len), Some(1));
    assert_eq!(hints[0]["label"], "evt.type: execve, execveat, open, openat, openat2");
    let lenses = c.request("textDocument/codeLens", json!({"textDocument": {"uri": URI}}));
    assert_eq!(lenses[0]["command"]["command"], "rulec.runTests");
    let symbols = c.request("textDocument/documentSymbol", json!({"textDocument": {"uri": URI}}));
    assert_eq!(symbols.as_array().map(Vec::len), Some(5));
    let folds = c.request("textDocument/foldingRange", json!({"textDocument": {"uri": URI}}));
    assert!(folds.as_array().is_some_and(|f| !f.is_empty()));
    let ws = c.request("workspace/symbol", json!({"query": "shell"}));
    assert_eq!(ws.as_array().map(Vec::len), Some(3));
    assert_eq!(c.stop(), 0);
}

#[test]
fn bad_messages_get_errors_not_a_crash() {
    let mut c = Client::start_with_env(&[("RULEC_LSP_DEBUG_PANIC", "1")]);
    c.initialize(json!({}));
    c.open(URI, TEXT);
    // Unknown method.
    let r = c.request_raw("rulec/noSuchMethod", json!({}));
    assert_eq!(r["error"]["code"], -32601);
    // Params of the wrong shape.
    let r = c.request_raw("textDocument/hover", json!({"textDocument": 42}));
    assert_eq!(r["error"]["code"], -32602);
    // Not JSON at all: a parse error, and the server goes on.
    c.send_raw("{this is not json");
    // Broken frames: a length too large (the body runs into the next header), no length, a
    // length that is no number, and a long line of junk. After each, requests are answered.
    let junk = vec![b'x'; 100_000];
    for bad in [&b"Content-Length: 3\r\n\r\n{}"[..], b"X-Nope: 1\r\n\r\n{}", b"Content-Length: many\r\n\r\n{}", &junk] {
        c.send_bytes(bad);
        assert_eq!(
            c.request("textDocument/hover", at(URI, 9999, 9999)),
            Value::Null,
            "{}",
            String::from_utf8_lossy(&bad[..20])
        );
    }
    // A request to a `$/` method gets an answer too.
    let r = c.request_raw("$/rulec.unknown", json!({}));
    assert_eq!(r["error"]["code"], -32601, "{r}");
    // A position far outside the document, and an unknown document: empty answers.
    assert_eq!(c.request("textDocument/hover", at(URI, 9999, 9999)), Value::Null);
    assert_eq!(c.request("textDocument/completion", at("file:///nope.yaml", 0, 0)), json!([]));
    // A handler that panics answers an internal error; the next request is served.
    let r = c.request_raw("rulec/debugPanic", Value::Null);
    assert_eq!(r["error"]["code"], -32603, "{r}");
    let hover = c.request("textDocument/hover", at(URI, 11, 15));
    assert!(hover["contents"]["value"].as_str().is_some_and(|v| v.contains("shell_procs")));
    assert_eq!(c.stop(), 0);
}

fn falco_dir() -> Option<PathBuf> {
    rulec_test_support::shared("conformance/falco/falco_rules.yaml")?;
    rulec_test_support::shared("conformance/falco")
}

fn file_uri(path: &Path) -> String {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    format!("file://{}", path.display())
}

#[test]
fn upstream_falco_rules() {
    let Some(dir) = falco_dir() else { return };
    let stable = dir.join("falco_rules.yaml");
    let sandbox = dir.join("falco-sandbox_rules.yaml");
    let mut c = Client::start();
    // The stable rules are configured first; the sandbox file, opened, is loaded after them.
    c.initialize(json!({"rulec": {"rulesFiles": [stable.display().to_string()]}, "debounceMs": 0}));
    let sandbox_uri = file_uri(&sandbox);
    let stable_uri = file_uri(&stable);
    let text = std::fs::read_to_string(&sandbox).expect("readable");
    c.open(&sandbox_uri, &text);
    let diags = c.diagnostics(&sandbox_uri);
    let errors: Vec<&Value> = diags.iter().filter(|d| d["severity"] == 1).collect();
    assert!(errors.is_empty(), "{}", render_diags(&diags));
    let stable_diags = c.diagnostics(&stable_uri);
    assert!(stable_diags.iter().all(|d| d["severity"] != 1), "{}", render_diags(&stable_diags));

    // Local rules on top of the upstream ones: a macro of the stable file is used in a file of
    // one's own, and hover, definition and references cross files.
    let local_uri = "file:///e2e/local_rules.yaml";
    c.open(
        local_uri,
        "- rule: Local shell\n  desc: d\n  condition: spawned_process and proc.name = bash\n  output: \"%proc.cmdline\"\n  priority: INFO\n",
    );
    let local = c.diagnostics(local_uri);
    assert!(local.is_empty(), "{}", render_diags(&local));
    let def = c.request("textDocument/definition", at(local_uri, 2, 16));
    assert_eq!(def["uri"], stable_uri.as_str());
    let hover = c.request("textDocument/hover", at(local_uri, 2, 16));
    assert!(hover["contents"]["value"].as_str().is_some_and(|v| v.contains("**macro** `spawned_process`")));
    let refs = c.request(
        "textDocument/references",
        json!({"textDocument": {"uri": local_uri}, "position": pos(2, 16), "context": {"includeDeclaration": false}}),
    );
    let files: std::collections::BTreeSet<&str> =
        refs.as_array().expect("locations").iter().filter_map(|l| l["uri"].as_str()).collect();
    assert_eq!(files, [local_uri, stable_uri.as_str()].into_iter().collect(), "used in both files");
    let (line, col) = text
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find("(spawned_process and").map(|c| (i as u32, c as u32 + 3)))
        .expect("the sandbox rules use spawned_process");

    // Completion of fields and semantic tokens work on the big file.
    let items = c.request("textDocument/completion", at(&sandbox_uri, line, col));
    assert!(items.as_array().is_some_and(|i| i.iter().any(|i| i["label"] == "proc.name")));
    let tokens = c.request("textDocument/semanticTokens/full", json!({"textDocument": {"uri": sandbox_uri}}));
    assert!(tokens["data"].as_array().is_some_and(|d| d.len() > 5 * 1000));
    // Formatting the upstream file proposes only edits that keep every rule's meaning (checked
    // by the server); whatever it proposes, the edited file must still load without errors.
    let edits = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": sandbox_uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let n = edits.as_array().map_or(0, Vec::len);
    eprintln!("formatting proposes {n} edits on the sandbox rules");
    assert_eq!(c.stop(), 0);
}

#[test]
fn upstream_files_alone_have_no_errors() {
    let Some(dir) = falco_dir() else { return };
    let mut c = Client::start();
    c.initialize(json!({"debounceMs": 0}));
    let stable = dir.join("falco_rules.yaml");
    let uri = file_uri(&stable);
    c.open(&uri, &std::fs::read_to_string(&stable).expect("readable"));
    let diags = c.diagnostics(&uri);
    assert!(diags.is_empty(), "{}", render_diags(&diags));
    assert_eq!(c.stop(), 0);
}

/// The stdlib is loaded before an open file by default: its macros and lists resolve, and go to
/// definition opens the workspace's own `stdlib-rules/` file when the workspace has it (this
/// repository), and gives nothing for the embedded copy otherwise; `rulec.stdlib: false` turns it
/// off.
#[test]
fn the_stdlib_is_known_by_default() {
    let text = "- rule: r\n  desc: d\n  condition: spawned_process and proc.name in (shell_binaries)\n  output: o\n  priority: INFO\n";
    let uri = "file:///tmp/rulec-lsp-stdlib-e2e/user.yaml";
    let repo = file_uri(Path::new(env!("CARGO_MANIFEST_DIR")));
    for (root, options, expect_def) in [
        (Value::String(repo.clone()), json!({"debounceMs": 0}), Some(format!("{repo}/stdlib-rules/"))),
        (Value::Null, json!({"debounceMs": 0}), None),
    ] {
        let mut c = Client::start();
        c.initialize_at(root, options);
        c.open(uri, text);
        assert_eq!(render_diags(&c.diagnostics(uri)), "", "a file using stdlib names");
        let def = c.request("textDocument/definition", at(uri, 2, 15));
        match &expect_def {
            Some(prefix) => {
                let target = def["uri"].as_str().unwrap_or_default();
                assert!(target.starts_with(prefix.as_str()), "{def}");
            }
            None => assert_eq!(def, Value::Null),
        }
        assert_eq!(c.stop(), 0);
    }
    let mut c = Client::start();
    c.initialize(json!({"rulec": {"stdlib": false, "debounceMs": 0}}));
    c.open(uri, text);
    let diags = render_diags(&c.diagnostics(uri));
    assert!(diags.contains("spawned_process"), "{diags}");
    assert_eq!(c.stop(), 0);
}

/// A new user's workspace with no setting at all: a `falco.yaml` naming Falco's installed rules
/// (which the workspace holds beside it) and a `rules.d` folder, and a user file named like
/// nothing in particular there. The load order comes from `falco.yaml`; the user's misspelt
/// field is reported next to the macro the workspace defines; other YAML gets nothing; the first
/// line's hover names the order.
#[test]
fn zero_configuration_workspace() {
    let root = std::env::temp_dir().join(format!("rulec-lsp-zero-config-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("rules.d")).expect("temp dir");
    let write = |name: &str, text: &str| std::fs::write(root.join(name), text).expect("write");
    write("falco.yaml", "rules_files:\n  - /etc/falco/falco_rules.yaml\n  - /etc/falco/rules.d\njson_output: false\n");
    write("falco_rules.yaml", "- macro: team_process\n  condition: evt.type = execve\n");
    let custom =
        "- rule: Team shell\n  desc: d\n  condition: team_process and proc.nme = bash\n  output: o\n  priority: INFO\n";
    write("rules.d/custom.yaml", custom);
    write("deploy.yaml", "- name: not rules\n  image: x\n");
    let mut c = Client::start();
    c.initialize_at(json!(file_uri(&root)), json!({"debounceMs": 0}));
    let deploy = file_uri(&root.join("deploy.yaml"));
    c.open(&deploy, "- name: not rules\n  image: x\n");
    let uri = file_uri(&root.join("rules.d/custom.yaml"));
    c.open(&uri, custom);
    insta::assert_snapshot!(render_diags(&c.diagnostics(&uri)), @"2:30 E0401 unknown field `proc.nme` / help: did you mean `proc.name`?");
    let hover = c.request("textDocument/hover", at(&uri, 0, 3));
    let text = hover["contents"]["value"].as_str().unwrap_or_default().to_owned();
    assert!(text.contains("**rulec load order**: `rules_files` of") && text.contains("falco.yaml"), "{text}");
    assert!(text.contains("/falco_rules.yaml`\n") && text.contains(". this file"), "{text}");
    // Nothing was published for the other YAML file.
    assert!(!c.pending.iter().any(|m| m["params"]["uri"] == deploy.as_str()), "{:?}", c.pending);
    assert_eq!(c.stop(), 0);
    let _ = std::fs::remove_dir_all(&root);
}
