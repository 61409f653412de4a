//! Test files from YAML: [`parse`] reads one `*.tests.yaml` (parsed with positions by
//! [`rulec_compiler::yaml`]) into the [`model`](super::model), reporting every problem as a
//! [`Diagnostic`] with an `E06xx` code at the exact place, like rules files.
//!
//! It owns the *vocabulary* of the format: which keys exist where, how event arguments are
//! written for each parameter type of the event table (flags by name, errno names, addresses,
//! argument lists), durations, capabilities, and parameterised cases (`each` with `${name}`
//! substitution). Reading never stops at the first error: a bad case is reported and skipped,
//! and the other cases are still checked, so one run shows every mistake.
//!
//! This file holds the entry point, the key tables and the typed readers of YAML nodes (maps
//! with their allowed keys, scalars, integers, booleans, durations, string lists) that report
//! their own diagnostics; each part of the file has its reader: [`cases`] (the file, cases,
//! expectations), [`world`] (processes, users, fds), [`events`] (events and their arguments),
//! and [`values`] holds the scalar vocabulary that needs no YAML.

mod cases;
mod events;
mod values;
mod world;

use rulec_compiler::yaml::{self, Node, Scalar};
use rulec_compiler::{Code, Diagnostic, Location, SourceFile};

use super::model::TestFile;

pub use values::{comm_of, errno_number, parse_duration, parse_int, parse_sockaddr, parse_socktuple};

/// The most cases one file may expand to (parameterised cases included).
pub const MAX_CASES: usize = 10_000;
/// The most events one case may have.
pub const MAX_EVENTS: usize = 100_000;

/// The keys allowed at each place of a test file (`docs/rulec-test.schema.json` lists the same;
/// a test keeps them equal).
pub const FILE_KEYS: &[&str] = &["rules", "match", "cases"];
pub const CASE_KEYS: &[&str] = &[
    "name",
    "desc",
    "rule",
    "skip",
    "enable",
    "disable",
    "each",
    "world",
    "events",
    "capture",
    "expect",
    "allow_other_alerts",
];
pub const WORLD_KEYS: &[&str] = &["processes", "users", "dns"];
pub const PROCESS_KEYS: &[&str] = &[
    "pid",
    "ppid",
    "threads",
    "name",
    "exe",
    "exepath",
    "args",
    "user",
    "uid",
    "gid",
    "loginuid",
    "cwd",
    "env",
    "tty",
    "vpid",
    "container",
    "caps",
    "age",
    "exe_flags",
    "fds",
];
pub const CONTAINER_KEYS: &[&str] = &["id", "name", "image", "privileged"];
pub const USER_KEYS: &[&str] = &["uid", "gid", "name", "home", "shell", "container"];
pub const FD_KEYS: &[&str] = &["fd", "file", "dir", "socket", "unix", "pipe", "flags", "local", "remote", "role"];
pub const EVENT_KEYS: &[&str] = &["pid", "tid", "after", "dir", "res"];
pub const EXPECT_KEYS: &[&str] = &["rule", "priority", "output", "output_contains", "fields", "event"];

/// Parses a test file. The result is `None` only when the file's shape is unusable; otherwise
/// it holds every case that parsed, and the diagnostics say what did not.
pub fn parse(file: &SourceFile) -> (Option<TestFile>, Vec<Diagnostic>) {
    let (docs, mut diags) = yaml::parse(file.id, &file.text);
    if !diags.is_empty() {
        return (None, diags);
    }
    let whole = Location::new(file.id, 0, file.text.len());
    let root = match docs.as_slice() {
        [root] => root,
        [] => {
            diags.push(
                Diagnostic::new(Code::TestFileShape, Location::new(file.id, 0, 0), "the test file is empty")
                    .with_hint("a test file is a map with `cases:` (and optionally `rules:`)"),
            );
            return (None, diags);
        }
        [_, second, ..] => {
            diags.push(Diagnostic::new(Code::TestFileShape, second.loc, "a test file is one YAML document"));
            return (None, diags);
        }
    };
    let mut p = Parser { diags, whole, users: Vec::new() };
    let file = p.file(root);
    (file, p.diags)
}

struct Parser {
    diags: Vec<Diagnostic>,
    whole: Location,
    /// The users of the world being read (`user: NAME` may name them).
    users: Vec<(String, u32)>,
}

/// `Err(())`: the problem was reported.
type R<T> = Result<T, ()>;

impl Parser {
    fn err(&mut self, code: Code, at: Location, message: impl Into<String>) {
        self.diags.push(Diagnostic::new(code, at, message));
    }

    fn err_hint(&mut self, code: Code, at: Location, message: impl Into<String>, hint: impl Into<String>) {
        self.diags.push(Diagnostic::new(code, at, message).with_hint(hint));
    }

    /// A map's entries by key name, unknown and duplicate keys reported (and left out).
    fn entries<'n>(&mut self, node: &'n Node, allowed: &[&str], what: &str) -> R<Vec<(&'n str, &'n Node, &'n Node)>> {
        let Some(map) = node.as_map() else {
            self.err(Code::BadTestValue, node.loc, format!("{what} must be a map, not {}", node.describe()));
            return Err(());
        };
        let mut out: Vec<(&str, &Node, &Node)> = Vec::new();
        for (k, v) in map {
            let Some(key) = k.as_scalar() else {
                self.err(Code::BadTestValue, k.loc, format!("a key of {what} must be a plain word"));
                continue;
            };
            let key = key.value.as_str();
            if !allowed.contains(&key) {
                let hint = match closest(key, allowed) {
                    Some(s) => format!("did you mean `{s}`? allowed here: {}", allowed.join(", ")),
                    None => format!("allowed here: {}", allowed.join(", ")),
                };
                self.err_hint(Code::UnknownTestKey, k.loc, format!("unknown key `{key}` in {what}"), hint);
                continue;
            }
            if out.iter().any(|(seen, _, _)| *seen == key) {
                self.err(Code::BadTestValue, k.loc, format!("`{key}` is given twice in {what}"));
                continue;
            }
            out.push((key, k, v));
        }
        Ok(out)
    }

    fn scalar<'n>(&mut self, node: &'n Node, what: &str) -> R<&'n Scalar> {
        match node.as_scalar() {
            Some(s) => Ok(s),
            None => {
                self.err(
                    Code::BadTestValue,
                    node.loc,
                    format!("{what} must be a single value, not {}", node.describe()),
                );
                Err(())
            }
        }
    }

    fn string(&mut self, node: &Node, what: &str) -> R<String> {
        Ok(self.scalar(node, what)?.value.clone())
    }

    fn int(&mut self, node: &Node, what: &str) -> R<i64> {
        let s = self.scalar(node, what)?;
        match parse_int(&s.value) {
            Some(v) => Ok(v),
            None => {
                self.err(Code::BadTestValue, node.loc, format!("{what} must be an integer, not `{}`", s.value));
                Err(())
            }
        }
    }

    fn int_in<T: TryFrom<i64>>(&mut self, node: &Node, what: &str) -> R<T> {
        let v = self.int(node, what)?;
        T::try_from(v).map_err(|_| {
            self.err(Code::BadTestValue, node.loc, format!("{what} `{v}` is out of range"));
        })
    }

    fn boolean(&mut self, node: &Node, what: &str) -> R<bool> {
        let s = self.scalar(node, what)?;
        match s.value.as_str() {
            "true" | "True" | "TRUE" => Ok(true),
            "false" | "False" | "FALSE" => Ok(false),
            other => {
                self.err(Code::BadTestValue, node.loc, format!("{what} must be true or false, not `{other}`"));
                Err(())
            }
        }
    }

    fn duration(&mut self, node: &Node, what: &str) -> R<u64> {
        let s = self.scalar(node, what)?;
        match parse_duration(&s.value) {
            Some(v) => Ok(v),
            None => {
                self.err_hint(
                    Code::BadTestValue,
                    node.loc,
                    format!("{what} `{}` is not a duration", s.value),
                    "write a number with a unit: ns, us, ms, s, m or h (`250ms`, `5s`)",
                );
                Err(())
            }
        }
    }

    /// One string or a sequence of strings, each with its location.
    fn strings(&mut self, node: &Node, what: &str) -> R<Vec<(String, Location)>> {
        if let Some(seq) = node.as_seq() {
            let mut out = Vec::new();
            for item in seq {
                out.push((self.string(item, what)?, item.loc));
            }
            return Ok(out);
        }
        if node.is_null() {
            return Ok(Vec::new());
        }
        Ok(vec![(self.string(node, what)?, node.loc)])
    }
}

/// The closest of `options` to `word`, under rulec's one suggestion policy.
pub(crate) fn closest<'a>(word: &str, options: &[&'a str]) -> Option<&'a str> {
    rulec_compiler::schema::closest(word, options.iter().copied())
}
