//! `rulec.yaml`: `rulec run`'s configuration file, in the spirit of `falco.yaml`. [`parse`] reads
//! its text (no IO here) into a [`Config`] for `rulec run` and the language server (which takes
//! its load order from it); every problem is a [`Diagnostic`] at its line and
//! column (E0701 the file's shape, E0702 an unknown key with the closest known one, E0703 a value
//! of the wrong kind), rendered as `rulec check` renders a rules file's. Command-line flags
//! override the file (`src/cli/run.rs` merges them).
//!
//! Every key is in [`KEYS`] and in `docs/rulec-config.schema.json` (a test keeps the two equal);
//! `docs/config.md` documents each.

use std::path::PathBuf;

use crate::yaml::{self, Node};
use crate::{Code, Diagnostic, FileId};

/// Everything the file can say; `None`/empty where it says nothing.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Config {
    pub rules_files: Vec<PathBuf>,
    pub json_output: Option<bool>,
    pub stdout: Option<bool>,
    pub file_output: Option<PathBuf>,
    pub webhook: Option<WebhookConfig>,
    pub syslog: Option<PathBuf>,
    pub program: Option<String>,
    pub output_queue: Option<usize>,
    /// Falco's `rules:` list: enable/disable items in order.
    pub rules: Vec<(bool, Selector)>,
    pub min_priority: Option<String>,
    pub rate_limit: Option<(f64, f64)>,
    pub metrics_address: Option<String>,
    pub ring_bytes: Option<u32>,
    pub stats_interval: Option<f64>,
    pub all_matches: Option<bool>,
}

/// A rule name pattern or a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Rule(String),
    Tag(String),
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct WebhookConfig {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub timeout: Option<f64>,
    pub attempts: Option<u32>,
    pub ca_cert: Option<PathBuf>,
    pub insecure: bool,
}

/// Top-level keys, with the keys each map value allows.
pub const KEYS: &[(&str, &[&str])] = &[
    ("rules_files", &[]),
    ("json_output", &[]),
    ("stdout", &[]),
    ("file_output", &["path"]),
    ("webhook", &["url", "headers", "timeout", "attempts", "ca_cert", "insecure"]),
    ("syslog", &["socket"]),
    ("program", &["command"]),
    ("output_queue", &[]),
    ("rules", &[]),
    ("min_priority", &[]),
    ("rate_limit", &["rate", "burst"]),
    ("metrics", &["address"]),
    ("ring_bytes", &[]),
    ("stats_interval", &[]),
    ("all_matches", &[]),
];

struct Reader {
    diags: Vec<Diagnostic>,
}

impl Reader {
    fn err(&mut self, code: Code, node: &Node, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(code, node.loc, msg));
    }

    /// Checks `map`'s keys against `allowed`; returns the known (key, value) pairs.
    fn keys<'n>(&mut self, map: &'n Node, allowed: &[&str], what: &str) -> Vec<(&'n str, &'n Node)> {
        let Some(entries) = map.as_map() else {
            self.err(Code::BadConfigValue, map, format!("{what} must be a map, not {}", map.describe()));
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in entries {
            let Some(key) = k.as_scalar().map(|s| s.value.as_str()) else {
                self.err(Code::ConfigShape, k, "keys must be plain words");
                continue;
            };
            if allowed.contains(&key) {
                out.push((key, v));
                continue;
            }
            let mut d = Diagnostic::new(Code::UnknownConfigKey, k.loc, format!("{what} has no key `{key}`"));
            if let Some(best) = crate::schema::closest(key, allowed.iter().copied()) {
                d = d.with_suggestion(k.loc, best);
            }
            self.diags.push(d.with_hint(format!("known keys: {}", allowed.join(", "))));
        }
        out
    }

    fn string(&mut self, v: &Node, key: &str) -> Option<String> {
        match v.as_scalar() {
            Some(s) => Some(s.value.clone()),
            None => {
                self.err(Code::BadConfigValue, v, format!("`{key}` must be a string, not {}", v.describe()));
                None
            }
        }
    }

    fn boolean(&mut self, v: &Node, key: &str) -> Option<bool> {
        match v.as_scalar().map(|s| s.value.as_str()) {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => {
                self.err(Code::BadConfigValue, v, format!("`{key}` must be true or false"));
                None
            }
        }
    }

    fn number<T: std::str::FromStr>(&mut self, v: &Node, key: &str, what: &str) -> Option<T> {
        match v.as_scalar().and_then(|s| s.value.parse::<T>().ok()) {
            Some(n) => Some(n),
            None => {
                self.err(Code::BadConfigValue, v, format!("`{key}` must be {what}"));
                None
            }
        }
    }

    fn strings(&mut self, v: &Node, key: &str) -> Vec<String> {
        let Some(items) = v.as_seq() else {
            self.err(Code::BadConfigValue, v, format!("`{key}` must be a sequence of strings, not {}", v.describe()));
            return Vec::new();
        };
        items.iter().filter_map(|i| self.string(i, key)).collect()
    }

    fn selector_list(&mut self, v: &Node) -> Vec<(bool, Selector)> {
        let Some(items) = v.as_seq() else {
            self.err(Code::BadConfigValue, v, "`rules` must be a sequence of `enable:`/`disable:` items");
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            for (action, body) in self.keys(item, &["enable", "disable"], "a `rules` item") {
                for (kind, value) in self.keys(body, &["rule", "tag"], &format!("`{action}`")) {
                    let Some(text) = self.string(value, kind) else { continue };
                    let sel = if kind == "rule" { Selector::Rule(text) } else { Selector::Tag(text) };
                    out.push((action == "enable", sel));
                }
            }
        }
        out
    }
}

fn allowed(key: &str) -> &'static [&'static str] {
    KEYS.iter().find(|(k, _)| *k == key).map_or(&[], |(_, sub)| sub)
}

/// Reads a configuration file's text.
pub fn parse(file: FileId, text: &str) -> (Config, Vec<Diagnostic>) {
    let (docs, mut diags) = yaml::parse(file, text);
    let mut cfg = Config::default();
    if !diags.is_empty() {
        return (cfg, diags);
    }
    let mut r = Reader { diags: Vec::new() };
    match docs.as_slice() {
        [] => {}
        [doc] if doc.is_null() => {}
        [doc] => {
            let top: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
            for (key, v) in r.keys(doc, &top, "the configuration") {
                read_key(&mut r, &mut cfg, key, v);
            }
        }
        [_, second, ..] => r.err(Code::ConfigShape, second, "a configuration file holds one YAML document"),
    }
    diags.append(&mut r.diags);
    diags.sort_by_key(|d| (d.primary.start, d.primary.end));
    (cfg, diags)
}

fn read_key(r: &mut Reader, cfg: &mut Config, key: &str, v: &Node) {
    match key {
        "rules_files" => cfg.rules_files = r.strings(v, key).into_iter().map(PathBuf::from).collect(),
        "json_output" => cfg.json_output = r.boolean(v, key),
        "stdout" => cfg.stdout = r.boolean(v, key),
        "all_matches" => cfg.all_matches = r.boolean(v, key),
        "min_priority" => cfg.min_priority = r.string(v, key),
        "output_queue" => cfg.output_queue = r.number(v, key, "a whole number of alerts"),
        "ring_bytes" => cfg.ring_bytes = r.number(v, key, "a whole number of bytes (a power of two)"),
        "stats_interval" => cfg.stats_interval = r.number(v, key, "a number of seconds"),
        "rules" => cfg.rules = r.selector_list(v),
        _ => read_map_key(r, cfg, key, v),
    }
}

/// The keys whose value is a map of settings.
fn read_map_key(r: &mut Reader, cfg: &mut Config, key: &str, v: &Node) {
    let entries = r.keys(v, allowed(key), &format!("`{key}`"));
    let get = |name: &str| entries.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
    let require = |r: &mut Reader, name: &str| {
        let found = get(name);
        if found.is_none() && v.as_map().is_some() {
            r.err(Code::BadConfigValue, v, format!("`{key}` needs `{name}`"));
        }
        found
    };
    match key {
        "file_output" => cfg.file_output = require(r, "path").and_then(|p| r.string(p, "path")).map(PathBuf::from),
        "syslog" => {
            cfg.syslog =
                Some(get("socket").and_then(|p| r.string(p, "socket")).map_or("/dev/log".into(), PathBuf::from));
        }
        "program" => cfg.program = require(r, "command").and_then(|c| r.string(c, "command")),
        "metrics" => cfg.metrics_address = require(r, "address").and_then(|a| r.string(a, "address")),
        "rate_limit" => {
            let rate = require(r, "rate").and_then(|n| r.number::<f64>(n, "rate", "a number of alerts per second"));
            let burst = get("burst").map_or(Some(10.0), |n| r.number::<f64>(n, "burst", "a number of alerts"));
            if let (Some(rate), Some(burst)) = (rate, burst) {
                cfg.rate_limit = Some((rate, burst));
            }
        }
        "webhook" => {
            let Some(url) = require(r, "url").and_then(|u| r.string(u, "url")) else { return };
            let mut w = WebhookConfig { url, ..WebhookConfig::default() };
            if let Some(h) = get("headers") {
                for (name, value) in r.keys_any(h) {
                    if let Some(value) = r.string(value, name) {
                        w.headers.push((name.to_string(), value));
                    }
                }
            }
            w.timeout = get("timeout").and_then(|n| r.number(n, "timeout", "a number of seconds"));
            w.attempts = get("attempts").and_then(|n| r.number(n, "attempts", "a whole number of tries"));
            w.ca_cert = get("ca_cert").and_then(|n| r.string(n, "ca_cert")).map(PathBuf::from);
            w.insecure = get("insecure").and_then(|n| r.boolean(n, "insecure")).unwrap_or(false);
            cfg.webhook = Some(w);
        }
        _ => {}
    }
}

impl Reader {
    /// A map whose keys are free (header names).
    fn keys_any<'n>(&mut self, map: &'n Node) -> Vec<(&'n str, &'n Node)> {
        let Some(entries) = map.as_map() else {
            self.err(Code::BadConfigValue, map, format!("`headers` must be a map, not {}", map.describe()));
            return Vec::new();
        };
        entries.iter().filter_map(|(k, v)| k.as_scalar().map(|s| (s.value.as_str(), v))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<(Code, String)> {
        let (_, diags) = parse(FileId(0), text);
        diags.iter().map(|d| (d.code, d.message.clone())).collect()
    }

    #[test]
    fn reads_every_key() {
        let text = r#"
rules_files: [a.yaml, b.yaml]
json_output: true
stdout: false
file_output: {path: /var/log/rulec.jsonl}
webhook:
  url: http://127.0.0.1:2801/
  headers: {Authorization: Bearer x}
  timeout: 2.5
  attempts: 3
  insecure: false
syslog: {}
program: {command: "jq -c ."}
output_queue: 500
rules:
  - disable: {rule: "*"}
  - enable: {tag: container}
min_priority: warning
rate_limit: {rate: 2, burst: 5}
metrics: {address: "127.0.0.1:8765"}
ring_bytes: 4194304
stats_interval: 30
all_matches: true
"#;
        let (cfg, diags) = parse(FileId(0), text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(cfg.rules_files, [PathBuf::from("a.yaml"), PathBuf::from("b.yaml")]);
        assert_eq!(cfg.syslog, Some(PathBuf::from("/dev/log")));
        assert_eq!(cfg.rules, [(false, Selector::Rule("*".into())), (true, Selector::Tag("container".into()))]);
        let w = cfg.webhook.expect("webhook");
        assert_eq!((w.timeout, w.attempts), (Some(2.5), Some(3)));
        assert_eq!(w.headers, [("Authorization".to_string(), "Bearer x".to_string())]);
        assert_eq!(cfg.rate_limit, Some((2.0, 5.0)));
        assert_eq!(cfg.ring_bytes, Some(4_194_304));
        assert_eq!(cfg.all_matches, Some(true));
    }

    #[test]
    fn problems_are_diagnostics_with_codes() {
        assert_eq!(codes("rule_files: [a]\n")[0].0, Code::UnknownConfigKey);
        assert_eq!(codes("json_output: maybe\n")[0].0, Code::BadConfigValue);
        assert_eq!(codes("- a\n- b\n")[0].0, Code::BadConfigValue);
        assert_eq!(codes("a: 1\n---\nb: 2\n")[0].0, Code::ConfigShape);
        assert_eq!(codes("webhook: {headers: {}}\n")[0].1, "`webhook` needs `url`");
        assert_eq!(codes("rules: [{enable: {name: x}}]\n")[0].0, Code::UnknownConfigKey);
        assert_eq!(codes("stats_interval: soon\n")[0].0, Code::BadConfigValue);
        assert_eq!(codes("json_output: [unclosed\n")[0].0, Code::YamlSyntax);
        assert!(codes("").is_empty());
    }
}
