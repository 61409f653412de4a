//! Test files from YAML: [`parse`] reads one `*.tests.yaml` (parsed with positions by
//! [`rulec_compiler::yaml`]) into the [`model`](super::model), reporting every problem as a
//! [`Diagnostic`] with an `E06xx` code at the exact place, like rules files.
//!
//! It owns the *vocabulary* of the format: which keys exist where, how event arguments are
//! written for each parameter type of the event table (flags by name, errno names, addresses,
//! argument lists), durations, capabilities, and parameterised cases (`each` with `${name}`
//! substitution). Reading never stops at the first error: a bad case is reported and skipped,
//! and the other cases are still checked, so one run shows every mistake.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rulec_compiler::items::Priority;
use rulec_compiler::text::MappedText;
use rulec_compiler::yaml::{self, Node, NodeKind, Scalar};
use rulec_compiler::{Code, Diagnostic, Location, SourceFile};

use super::model::{
    BASE_TIME, Case, ContainerSpec, DEFAULT_AGE, DEFAULT_PID, DEFAULT_STEP, EventSpec, Expect, FdSpec, Input,
    ProcessSpec, TestFile, UserSpec, World,
};
use rulec_runtime::engine::MatchMode;
use rulec_runtime::event::{Direction, ParamType, ParamValue, SockAddr, SockTuple};
use rulec_runtime::fields::process::CAP_NAMES;
use rulec_runtime::flags;

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

/// Linux capabilities a default (non-privileged) Docker container gets.
pub const CAPS_CONTAINER: u64 = 0x0000_0000_a80c_25fb;
/// Every capability (root on the host, a privileged container).
pub const CAPS_ALL: u64 = 0x0000_01ff_ffff_ffff;

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

    // ---- file and cases ---------------------------------------------------------------------

    fn file(&mut self, root: &Node) -> Option<TestFile> {
        if root.as_map().is_none() {
            self.err_hint(
                Code::TestFileShape,
                if root.is_null() { self.whole } else { root.loc },
                format!("a test file must be a map, not {}", root.describe()),
                "write `rules: FILE` (optional) and `cases:` with a sequence of cases",
            );
            return None;
        }
        let entries = self.entries(root, FILE_KEYS, "the test file").ok()?;
        let mut file = TestFile { rules: Vec::new(), match_mode: MatchMode::First, cases: Vec::new() };
        let mut cases_node = None;
        for (key, _, v) in entries {
            match key {
                "rules" => file.rules = self.strings(v, "`rules`").unwrap_or_default(),
                "match" => match v.as_scalar().map(|s| s.value.as_str()) {
                    Some("first") => file.match_mode = MatchMode::First,
                    Some("all") => file.match_mode = MatchMode::All,
                    _ => self.err_hint(
                        Code::BadTestValue,
                        v.loc,
                        "`match` must be `first` or `all`",
                        "as Falco's `rule_matching`; the default is `first`",
                    ),
                },
                _ => cases_node = Some(v),
            }
        }
        let Some(cases) = cases_node else {
            self.err_hint(
                Code::TestFileShape,
                root.loc,
                "the test file has no `cases`",
                "add `cases:` with a sequence of cases",
            );
            return Some(file);
        };
        let Some(seq) = cases.as_seq() else {
            self.err(
                Code::TestFileShape,
                cases.loc,
                format!("`cases` must be a sequence of cases, not {}", cases.describe()),
            );
            return Some(file);
        };
        let mut names: Vec<(String, Location)> = Vec::new();
        for (i, c) in seq.iter().enumerate() {
            for case in self.case_instances(c, i) {
                if let Some((_, first)) = names.iter().find(|(n, _)| *n == case.name) {
                    let first = *first;
                    self.diags.push(
                        Diagnostic::new(Code::DuplicateTestCase, c.loc, format!("two cases are named `{}`", case.name))
                            .with_label(first, "first case with this name"),
                    );
                    continue;
                }
                if file.cases.len() >= MAX_CASES {
                    self.err(Code::ResourceLimit, c.loc, format!("more than {MAX_CASES} cases in one file"));
                    return Some(file);
                }
                names.push((case.name.clone(), c.loc));
                file.cases.push(case);
            }
        }
        Some(file)
    }

    /// A written case: one case, or one per parameter set of its `each`.
    fn case_instances(&mut self, node: &Node, index: usize) -> Vec<Case> {
        let Some(map) = node.as_map() else {
            self.err(Code::TestFileShape, node.loc, format!("a case must be a map, not {}", node.describe()));
            return Vec::new();
        };
        let each = map.iter().find(|(k, _)| k.as_scalar().is_some_and(|s| s.value == "each"));
        let Some((_, each)) = each else {
            return self.case(node, node, index, None).into_iter().collect();
        };
        let Some(sets) = each.as_seq().filter(|s| !s.is_empty()) else {
            self.err(Code::TestParameter, each.loc, "`each` must be a non-empty sequence of maps (one per instance)");
            return Vec::new();
        };
        let mut out = Vec::new();
        for set in sets {
            let Some(vars) = set.as_map() else {
                self.err(Code::TestParameter, set.loc, "each parameter set must be a map of `name: value`");
                continue;
            };
            let mut bound: Vec<(String, Node)> = Vec::new();
            let mut bad = false;
            for (k, v) in vars {
                match k.as_scalar() {
                    Some(k) => bound.push((k.value.clone(), v.clone())),
                    None => bad = true,
                }
            }
            if bad {
                self.err(Code::TestParameter, set.loc, "parameter names must be plain words");
                continue;
            }
            let before = self.diags.len();
            let mut expanded = Vec::new();
            for (k, v) in map {
                if k.as_scalar().is_some_and(|s| s.value == "each") {
                    continue;
                }
                expanded.push((k.clone(), self.substitute(v, &bound)));
            }
            if self.diags.len() > before {
                continue;
            }
            let instance = bound
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_scalar().map_or_else(|| "…".to_owned(), |s| s.value.clone())))
                .collect::<Vec<_>>()
                .join(", ");
            let case_node = Node { kind: NodeKind::Map(expanded), loc: node.loc };
            if let Some(mut case) = self.case(&case_node, node, index, Some(instance.clone())) {
                let written = map
                    .iter()
                    .find(|(k, _)| k.as_scalar().is_some_and(|s| s.value == "name"))
                    .and_then(|(_, v)| v.as_scalar())
                    .map(|s| s.value.clone())
                    .unwrap_or_default();
                if !written.contains("${") {
                    case.name = format!("{} [{instance}]", case.name);
                }
                out.push(case);
            }
        }
        out
    }

    /// `${name}` replaced by parameter values in every scalar of `node`; a scalar that is only
    /// `${name}` becomes the parameter's value whatever its kind (a list, a map).
    fn substitute(&mut self, node: &Node, vars: &[(String, Node)]) -> Node {
        match &node.kind {
            NodeKind::Scalar(s) => {
                if !s.value.contains("${") {
                    return node.clone();
                }
                if let Some(name) = s.value.strip_prefix("${").and_then(|r| r.strip_suffix('}'))
                    && let Some((_, v)) = vars.iter().find(|(k, _)| k == name)
                {
                    return Node { kind: v.kind.clone(), loc: node.loc };
                }
                let mut out = String::new();
                let mut rest = s.value.as_str();
                while let Some(at) = rest.find("${") {
                    out.push_str(&rest[..at]);
                    let after = &rest[at + 2..];
                    let Some(end) = after.find('}') else {
                        out.push_str(&rest[at..]);
                        rest = "";
                        break;
                    };
                    let name = &after[..end];
                    match vars.iter().find(|(k, _)| k == name) {
                        Some((_, v)) if v.as_scalar().is_some() => {
                            out.push_str(v.as_scalar().map_or("", |s| s.value.as_str()));
                        }
                        Some(_) => {
                            self.err(
                                Code::TestParameter,
                                node.loc,
                                format!("parameter `{name}` is not a single value, so it cannot be part of a string"),
                            );
                        }
                        None => {
                            let known: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
                            self.err_hint(
                                Code::TestParameter,
                                node.loc,
                                format!("`${{{name}}}` is not a parameter of this case"),
                                format!("the parameters of `each` are: {}", known.join(", ")),
                            );
                        }
                    }
                    rest = &after[end + 1..];
                }
                out.push_str(rest);
                let text = MappedText::synthetic(out.clone(), node.loc);
                Node { kind: NodeKind::Scalar(Scalar { value: out, style: s.style, text }), loc: node.loc }
            }
            NodeKind::Seq(items) => {
                Node { kind: NodeKind::Seq(items.iter().map(|n| self.substitute(n, vars)).collect()), loc: node.loc }
            }
            NodeKind::Map(entries) => Node {
                kind: NodeKind::Map(entries.iter().map(|(k, v)| (k.clone(), self.substitute(v, vars))).collect()),
                loc: node.loc,
            },
        }
    }

    /// One case. `written` is the case as written (for the locations `--bless` edits).
    fn case(&mut self, node: &Node, written: &Node, index: usize, instance: Option<String>) -> Option<Case> {
        let allowed: Vec<&str> = CASE_KEYS.to_vec();
        let entries = self.entries(node, &allowed, "a case").ok()?;
        let before = self.diags.len();
        let mut case = Case {
            name: String::new(),
            loc: written.loc,
            template: index,
            instance,
            about: Vec::new(),
            skip: None,
            enable: Vec::new(),
            disable: Vec::new(),
            input: Input::Events { world: World::default(), events: Vec::new() },
            expect: Vec::new(),
            expect_loc: None,
            allow_other_alerts: false,
        };
        let mut name = None;
        let mut world_node = None;
        let mut events_node = None;
        let mut capture = None;
        for (key, k, v) in &entries {
            match *key {
                "name" => name = self.string(v, "`name`").ok(),
                "desc" => {}
                "rule" => case.about = self.strings(v, "`rule`").unwrap_or_default(),
                "skip" => case.skip = self.string(v, "`skip` (the reason)").ok(),
                "enable" => case.enable = self.strings(v, "`enable`").unwrap_or_default(),
                "disable" => case.disable = self.strings(v, "`disable`").unwrap_or_default(),
                "allow_other_alerts" => {
                    case.allow_other_alerts = self.boolean(v, "`allow_other_alerts`").unwrap_or(false)
                }
                "world" => world_node = Some(*v),
                "events" => events_node = Some(*v),
                "capture" => capture = Some((self.string(v, "`capture` (a path)").ok(), v.loc, k.loc)),
                "expect" => {
                    case.expect = self.expectations(v);
                    // The written node, for `--bless` (an instance's value may be substituted).
                    let wv = written.get("expect").map_or((k.loc, v.loc), |(wk, wv)| (wk.loc, wv.loc));
                    case.expect_loc = Some(wv);
                }
                _ => {}
            }
        }
        let Some(name) = name else {
            if !entries.iter().any(|(k, _, _)| *k == "name") {
                self.err(Code::TestFileShape, node.loc, "a case needs a `name`");
            }
            return None;
        };
        case.name = name;
        match (capture, events_node) {
            (Some(_), Some(ev)) => {
                self.err_hint(
                    Code::TestFileShape,
                    ev.loc,
                    "a case has either `events` or `capture`, not both",
                    "a capture brings its own world and events",
                );
            }
            (Some((Some(path), loc, _)), None) => {
                if let Some(w) = world_node {
                    self.err(
                        Code::TestFileShape,
                        w.loc,
                        "a case with a `capture` takes its world from the capture; remove `world`",
                    );
                }
                case.input = Input::Capture { path, loc };
            }
            (Some((None, _, _)), None) => {}
            (None, ev) => {
                let world = match world_node {
                    Some(w) => self.world(w).unwrap_or_default(),
                    None => World::default(),
                };
                let world = with_default_process(world);
                let events = match ev {
                    Some(ev) => self.events(ev, &world),
                    None => {
                        self.err_hint(
                            Code::TestFileShape,
                            node.loc,
                            "a case needs `events` (or a `capture`)",
                            "for example `events: [{execve: {exe: /bin/sh}}]`",
                        );
                        Vec::new()
                    }
                };
                case.input = Input::Events { world, events };
            }
        }
        if self.diags.len() > before { None } else { Some(case) }
    }

    // ---- expectations -----------------------------------------------------------------------

    fn expectations(&mut self, node: &Node) -> Vec<Expect> {
        if node.is_null() {
            return Vec::new();
        }
        let Some(seq) = node.as_seq() else {
            self.err_hint(
                Code::BadTestValue,
                node.loc,
                format!("`expect` must be a sequence of alerts, not {}", node.describe()),
                "`expect: []` means no alert at all",
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in seq {
            if let Some(s) = item.as_scalar() {
                out.push(Expect {
                    rule: s.value.clone(),
                    rule_loc: item.loc,
                    priority: None,
                    output: None,
                    output_contains: Vec::new(),
                    fields: Vec::new(),
                    event: None,
                    loc: item.loc,
                });
                continue;
            }
            let Ok(entries) = self.entries(item, EXPECT_KEYS, "an expected alert") else {
                continue;
            };
            let mut e = Expect {
                rule: String::new(),
                rule_loc: item.loc,
                priority: None,
                output: None,
                output_contains: Vec::new(),
                fields: Vec::new(),
                event: None,
                loc: item.loc,
            };
            let mut has_rule = false;
            for (key, _, v) in entries {
                match key {
                    "rule" => {
                        if let Ok(r) = self.string(v, "`rule`") {
                            e.rule = r;
                            e.rule_loc = v.loc;
                            has_rule = true;
                        }
                    }
                    "priority" => {
                        if let Ok(p) = self.string(v, "`priority`") {
                            match Priority::parse(&p) {
                                Some(p) => e.priority = Some(p),
                                None => self.err_hint(
                                    Code::BadTestValue,
                                    v.loc,
                                    format!("`{p}` is not a priority"),
                                    "one of EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL (INFO), DEBUG",
                                ),
                            }
                        }
                    }
                    "output" => e.output = self.string(v, "`output`").ok(),
                    "output_contains" => {
                        e.output_contains = self
                            .strings(v, "`output_contains`")
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(s, _)| s)
                            .collect();
                    }
                    "fields" => {
                        if let Ok(fields) = self.field_map(v) {
                            e.fields = fields;
                        }
                    }
                    _ => {
                        if let Ok(n) = self.int_in::<usize>(v, "`event` (a 1-based event number)") {
                            if n == 0 {
                                self.err(Code::BadTestValue, v.loc, "events are numbered from 1");
                            } else {
                                e.event = Some(n);
                            }
                        }
                    }
                }
            }
            if !has_rule {
                self.err(Code::TestFileShape, item.loc, "an expected alert needs a `rule`");
                continue;
            }
            out.push(e);
        }
        out
    }

    fn field_map(&mut self, node: &Node) -> R<Vec<(String, String)>> {
        let Some(map) = node.as_map() else {
            self.err(
                Code::BadTestValue,
                node.loc,
                "`fields` must be a map of output field to value (`proc.name: bash`)",
            );
            return Err(());
        };
        let mut out = Vec::new();
        for (k, v) in map {
            let key = self.string(k, "an output field")?;
            let value = if v.is_null() { String::new() } else { self.string(v, "an output field's value")? };
            out.push((key.trim_start_matches('%').to_owned(), value));
        }
        Ok(out)
    }

    // ---- world ------------------------------------------------------------------------------

    fn world(&mut self, node: &Node) -> R<World> {
        let mut world = World::default();
        self.users.clear();
        if node.is_null() {
            return Ok(world);
        }
        let mut entries = self.entries(node, WORLD_KEYS, "`world`")?;
        // Users first: processes may name them.
        entries.sort_by_key(|(k, _, _)| *k != "users");
        for (key, _, v) in entries {
            match key {
                "processes" => {
                    let Some(seq) = v.as_seq() else {
                        self.err(Code::BadTestValue, v.loc, "`processes` must be a sequence of processes");
                        continue;
                    };
                    for p in seq {
                        if let Ok(p) = self.process(p) {
                            if world.processes.iter().any(|q| q.pid == p.pid || q.threads.contains(&p.pid)) {
                                self.err(Code::BadTestValue, p.loc, format!("pid {} is declared twice", p.pid));
                                continue;
                            }
                            world.processes.push(p);
                        }
                    }
                }
                "users" => {
                    let Some(seq) = v.as_seq() else {
                        self.err(Code::BadTestValue, v.loc, "`users` must be a sequence of users");
                        continue;
                    };
                    for u in seq {
                        if let Ok(u) = self.user(u) {
                            self.users.push((u.name.clone(), u.uid));
                            world.users.push(u);
                        }
                    }
                }
                _ => {
                    let Some(map) = v.as_map() else {
                        self.err(Code::BadTestValue, v.loc, "`dns` must be a map of address to name (`10.96.0.1: kubernetes.default.svc.cluster.local`)");
                        continue;
                    };
                    for (k, name) in map {
                        let Ok(addr) = self.string(k, "an address") else {
                            continue;
                        };
                        let Ok(ip) = addr.parse::<IpAddr>() else {
                            self.err(Code::BadTestValue, k.loc, format!("`{addr}` is not an IP address"));
                            continue;
                        };
                        if let Ok(name) = self.string(name, "a host name") {
                            world.dns.push((ip, name));
                        }
                    }
                }
            }
        }
        Ok(world)
    }

    fn process(&mut self, node: &Node) -> R<ProcessSpec> {
        let entries = self.entries(node, PROCESS_KEYS, "a process")?;
        let before = self.diags.len();
        let get = |k: &str| entries.iter().find(|(key, _, _)| *key == k).map(|(_, _, v)| *v);
        let Some(pid_node) = get("pid") else {
            self.err(Code::TestFileShape, node.loc, "a process needs a `pid`");
            return Err(());
        };
        let pid: i64 = self.int(pid_node, "`pid`")?;
        if pid <= 0 {
            self.err(Code::BadTestValue, pid_node.loc, "a pid must be positive");
        }
        let name = get("name").map(|v| self.string(v, "`name`")).transpose()?;
        let exe = get("exe").map(|v| self.string(v, "`exe`")).transpose()?;
        let (name, exe) = match (name, exe) {
            (Some(n), Some(e)) => (n, e),
            (Some(n), None) => (n.clone(), format!("/usr/bin/{n}")),
            (None, Some(e)) => (comm_of(&e), e),
            (None, None) => {
                self.err_hint(
                    Code::TestFileShape,
                    node.loc,
                    "a process needs an `exe` or a `name`",
                    "for example `{pid: 200, exe: /bin/bash}`",
                );
                return Err(());
            }
        };
        let exepath = match get("exepath") {
            Some(v) => self.string(v, "`exepath`")?,
            None => exe.clone(),
        };
        // Defaults as for the processes a world gets without asking; the file's keys follow.
        let mut p = default_process(pid, &name, 1, node.loc);
        p.exe = exe;
        p.exepath = exepath;
        let mut gid_given = false;
        for (key, _, v) in &entries {
            let v = *v;
            match *key {
                "ppid" => p.ppid = self.int(v, "`ppid`").unwrap_or(1),
                "threads" => {
                    if let Some(seq) = v.as_seq() {
                        for t in seq {
                            if let Ok(t) = self.int(t, "a thread id") {
                                p.threads.push(t);
                            }
                        }
                    } else {
                        self.err(Code::BadTestValue, v.loc, "`threads` must be a sequence of thread ids");
                    }
                }
                "args" => p.args = self.args(v).unwrap_or_default(),
                "user" => {
                    if let Ok((uid, name)) = self.user_ref(v) {
                        p.uid = uid;
                        p.user_name = name;
                        if !gid_given {
                            p.gid = uid;
                        }
                    }
                }
                "uid" => {
                    if let Ok(uid) = self.int_in::<u32>(v, "`uid`") {
                        p.uid = uid;
                        if !gid_given {
                            p.gid = uid;
                        }
                    }
                }
                "gid" => {
                    if let Ok(g) = self.int_in::<u32>(v, "`gid`") {
                        p.gid = g;
                        gid_given = true;
                    }
                }
                "loginuid" => p.loginuid = self.int_in::<u32>(v, "`loginuid`").unwrap_or(u32::MAX),
                "cwd" => p.cwd = self.string(v, "`cwd`").unwrap_or_else(|()| "/".into()),
                "env" => p.env = self.env(v).unwrap_or_default(),
                "tty" => p.tty = self.int_in::<u32>(v, "`tty`").unwrap_or(0),
                "vpid" => p.vpid = self.int(v, "`vpid`").ok(),
                "container" => p.container = self.container(v).ok(),
                "caps" => p.caps = self.caps(v).ok(),
                "age" => p.age = self.duration(v, "`age`").unwrap_or(DEFAULT_AGE),
                "exe_flags" => p.exe_flags = self.flag_names(v, &flags::EXE_FLAGS, "`exe_flags`").unwrap_or(0) as u32,
                "fds" => {
                    let Some(seq) = v.as_seq() else {
                        self.err(Code::BadTestValue, v.loc, "`fds` must be a sequence of fds");
                        continue;
                    };
                    for f in seq {
                        if let Ok(f) = self.fd(f) {
                            p.fds.push(f);
                        }
                    }
                }
                _ => {}
            }
        }
        if self.diags.len() > before { Err(()) } else { Ok(p) }
    }

    /// `user: alice` (a well-known name), `user: 1000`, or `user: {uid: 1000, name: alice}`.
    fn user_ref(&mut self, node: &Node) -> R<(u32, Option<String>)> {
        if let Some(s) = node.as_scalar() {
            if let Some(uid) = parse_int(&s.value) {
                let uid = u32::try_from(uid)
                    .map_err(|_| self.err(Code::BadTestValue, node.loc, "a uid must fit in 32 bits"))?;
                return Ok((uid, None));
            }
            let declared = self.users.iter().find(|(n, _)| *n == s.value).map(|(_, u)| *u);
            return match declared.or_else(|| well_known_uid(&s.value)) {
                Some(uid) => Ok((uid, Some(s.value.clone()))),
                None => {
                    self.err_hint(
                        Code::BadTestValue,
                        node.loc,
                        format!("`{}` is not a user rulec knows the uid of", s.value),
                        format!("write `user: {{uid: 1000, name: {}}}`, or declare it under `world: users:`; known names: root, daemon, bin, sys, mail, www-data, nobody", s.value),
                    );
                    Err(())
                }
            };
        }
        let mut uid = None;
        let mut name = None;
        for (key, _, v) in self.entries(node, &["uid", "name"], "`user`")? {
            match key {
                "uid" => uid = self.int_in::<u32>(v, "`uid`").ok(),
                _ => name = self.string(v, "`name`").ok(),
            }
        }
        match (uid, name) {
            (Some(u), n) => Ok((u, n)),
            (None, Some(n)) => {
                match self.users.iter().find(|(u, _)| *u == n).map(|(_, u)| *u).or_else(|| well_known_uid(&n)) {
                    Some(u) => Ok((u, Some(n))),
                    None => {
                        self.err(Code::BadTestValue, node.loc, format!("give the `uid` of user `{n}`"));
                        Err(())
                    }
                }
            }
            (None, None) => {
                self.err(Code::BadTestValue, node.loc, "`user` needs a `uid` or a `name`");
                Err(())
            }
        }
    }

    fn user(&mut self, node: &Node) -> R<UserSpec> {
        let entries = self.entries(node, USER_KEYS, "a user")?;
        let mut u = UserSpec {
            uid: 0,
            gid: 0,
            name: String::new(),
            home: String::new(),
            shell: "/bin/sh".into(),
            container: None,
        };
        let mut has_uid = false;
        let mut gid = None;
        for (key, _, v) in entries {
            match key {
                "uid" => {
                    u.uid = self.int_in::<u32>(v, "`uid`")?;
                    has_uid = true;
                }
                "gid" => gid = Some(self.int_in::<u32>(v, "`gid`")?),
                "name" => u.name = self.string(v, "`name`")?,
                "home" => u.home = self.string(v, "`home`")?,
                "shell" => u.shell = self.string(v, "`shell`")?,
                _ => u.container = Some(self.string(v, "`container` (an id)")?),
            }
        }
        if !has_uid || u.name.is_empty() {
            self.err(Code::TestFileShape, node.loc, "a user needs a `uid` and a `name`");
            return Err(());
        }
        u.gid = gid.unwrap_or(u.uid);
        if u.home.is_empty() {
            u.home = if u.uid == 0 { "/root".into() } else { format!("/home/{}", u.name) };
        }
        Ok(u)
    }

    fn container(&mut self, node: &Node) -> R<ContainerSpec> {
        let mut c = ContainerSpec { id: String::new(), name: None, image: None, privileged: false };
        let mut id_loc = node.loc;
        if let Some(s) = node.as_scalar() {
            c.id = s.value.clone();
        } else {
            for (key, _, v) in self.entries(node, CONTAINER_KEYS, "`container`")? {
                match key {
                    "id" => {
                        c.id = self.string(v, "`id`")?;
                        id_loc = v.loc;
                    }
                    "name" => c.name = Some(self.string(v, "`name`")?),
                    "image" => c.image = Some(self.string(v, "`image`")?),
                    _ => c.privileged = self.boolean(v, "`privileged`")?,
                }
            }
            if c.id.is_empty() {
                // A stable id from what identifies the container, so two processes declaring
                // the same container agree.
                let key = format!("{}|{}", c.name.as_deref().unwrap_or(""), c.image.as_deref().unwrap_or(""));
                c.id = format!("{:012x}", fnv1a(key.as_bytes()) & 0xffff_ffff_ffff);
            }
        }
        if !(12..=64).contains(&c.id.len()) || !c.id.bytes().all(|b| b.is_ascii_hexdigit()) {
            self.err_hint(
                Code::BadTestValue,
                id_loc,
                format!("container id `{}` is not 12 to 64 hex digits", c.id),
                "Falco shows the first 12 hex digits of the runtime's id, e.g. `abc123def456`",
            );
            return Err(());
        }
        c.id = c.id.to_ascii_lowercase();
        Ok(c)
    }

    fn caps(&mut self, node: &Node) -> R<u64> {
        if let Some(s) = node.as_scalar() {
            match s.value.to_ascii_lowercase().as_str() {
                "all" => return Ok(CAPS_ALL),
                "none" | "" => return Ok(0),
                _ => {}
            }
        }
        let names = self.name_list(node, "`caps`")?;
        let mut bits = 0u64;
        for (name, loc) in names {
            let upper = name.to_ascii_uppercase();
            let full = if upper.starts_with("CAP_") { upper } else { format!("CAP_{upper}") };
            match CAP_NAMES.iter().position(|c| *c == full) {
                Some(i) => bits |= 1 << i,
                None => self.err_hint(
                    Code::BadTestValue,
                    loc,
                    format!("`{name}` is not a capability"),
                    "write names like CAP_SYS_ADMIN, or `all`, or `none`",
                ),
            }
        }
        Ok(bits)
    }

    /// Names as a sequence or as one `A|B` string.
    fn name_list(&mut self, node: &Node, what: &str) -> R<Vec<(String, Location)>> {
        let items = self.strings(node, what)?;
        let mut out = Vec::new();
        for (s, loc) in items {
            for part in s.split(['|', ',']).map(str::trim).filter(|p| !p.is_empty()) {
                out.push((part.to_owned(), loc));
            }
        }
        Ok(out)
    }

    fn flag_names(&mut self, node: &Node, set: &flags::FlagSet, what: &str) -> R<u64> {
        if let Some(s) = node.as_scalar()
            && let Some(v) = parse_int(&s.value)
        {
            return Ok(v as u64);
        }
        let mut bits = 0;
        for (name, loc) in self.name_list(node, what)? {
            match flag_value(set, &name) {
                Some(v) => bits |= v,
                None => {
                    let names: Vec<&str> = set.entries.iter().map(|(n, _)| *n).collect();
                    self.err_hint(
                        Code::BadParamValue,
                        loc,
                        format!("`{name}` is not one of the names of {what}"),
                        format!("known: {}", names.join(", ")),
                    );
                    return Err(());
                }
            }
        }
        Ok(bits)
    }

    fn args(&mut self, node: &Node) -> R<Vec<String>> {
        if let Some(s) = node.as_scalar() {
            return Ok(s.value.split_whitespace().map(str::to_owned).collect());
        }
        Ok(self.strings(node, "`args`")?.into_iter().map(|(s, _)| s).collect())
    }

    fn env(&mut self, node: &Node) -> R<Vec<String>> {
        if let Some(map) = node.as_map() {
            let mut out = Vec::new();
            for (k, v) in map {
                let k = self.string(k, "an environment variable")?;
                let v = if v.is_null() { String::new() } else { self.string(v, "an environment value")? };
                out.push(format!("{k}={v}"));
            }
            return Ok(out);
        }
        Ok(self.strings(node, "`env`")?.into_iter().map(|(s, _)| s).collect())
    }

    fn fd(&mut self, node: &Node) -> R<FdSpec> {
        let entries = self.entries(node, FD_KEYS, "an fd")?;
        let get = |k: &str| entries.iter().find(|(key, _, _)| *key == k).map(|(_, _, v)| *v);
        let Some(fd_node) = get("fd") else {
            self.err(Code::TestFileShape, node.loc, "an fd needs its number, `fd`");
            return Err(());
        };
        let fd = self.int(fd_node, "`fd`")?;
        let kinds: Vec<&str> =
            ["file", "dir", "socket", "unix", "pipe"].into_iter().filter(|k| get(k).is_some()).collect();
        if kinds.len() != 1 {
            self.err_hint(
                Code::TestFileShape,
                node.loc,
                "an fd needs exactly one of `file`, `dir`, `socket`, `unix`, `pipe`",
                "for example `{fd: 3, file: /etc/passwd}`",
            );
            return Err(());
        }
        let kind_node = get(kinds[0]).ok_or(())?;
        let spec = match kinds[0] {
            "file" => {
                let flags = match get("flags") {
                    Some(v) => self.flag_names(v, &flags::FILE_FLAGS, "`flags`")? as u32,
                    None => flags::PPM_O_RDONLY,
                };
                FdSpec::File { fd, path: self.string(kind_node, "`file` (a path)")?, flags }
            }
            "dir" => FdSpec::Dir { fd, path: self.string(kind_node, "`dir` (a path)")? },
            "unix" => FdSpec::Unix { fd, path: self.string(kind_node, "`unix` (a path)")? },
            "pipe" => FdSpec::Pipe { fd },
            _ => {
                let proto = self.string(kind_node, "`socket`")?;
                let udp = match proto.as_str() {
                    "tcp" => false,
                    "udp" => true,
                    _ => {
                        self.err(Code::BadTestValue, kind_node.loc, "`socket` must be `tcp` or `udp`");
                        return Err(());
                    }
                };
                let addr = |p: &mut Parser, k: &str| -> R<Option<SockAddr>> {
                    match get(k) {
                        None => Ok(None),
                        Some(v) => {
                            let s = p.string(v, k)?;
                            match parse_sockaddr(&s) {
                                Some(a @ (SockAddr::V4(..) | SockAddr::V6(..))) => Ok(Some(a)),
                                _ => {
                                    p.err(
                                        Code::BadTestValue,
                                        v.loc,
                                        format!("`{s}` is not an address with a port (`10.0.0.1:443`, `[::1]:80`)"),
                                    );
                                    Err(())
                                }
                            }
                        }
                    }
                };
                let local = addr(self, "local")?;
                let remote = addr(self, "remote")?;
                let server = match get("role").map(|v| self.string(v, "`role`")).transpose()?.as_deref() {
                    Some("server") => true,
                    Some("client") => false,
                    Some(other) => {
                        self.err(
                            Code::BadTestValue,
                            get("role").map_or(node.loc, |v| v.loc),
                            format!("`role` must be `client` or `server`, not `{other}`"),
                        );
                        return Err(());
                    }
                    None => remote.is_none(),
                };
                FdSpec::Socket { fd, udp, local, remote, server }
            }
        };
        Ok(spec)
    }

    // ---- events -----------------------------------------------------------------------------

    fn events(&mut self, node: &Node, world: &World) -> Vec<EventSpec> {
        let Some(seq) = node.as_seq() else {
            self.err(
                Code::BadTestValue,
                node.loc,
                format!("`events` must be a sequence of events, not {}", node.describe()),
            );
            return Vec::new();
        };
        if seq.len() > MAX_EVENTS {
            self.err(Code::ResourceLimit, node.loc, format!("more than {MAX_EVENTS} events in one case"));
            return Vec::new();
        }
        // Threads that exist when each event runs: the world's, and those clone/fork create.
        let mut known: HashSet<i64> = HashSet::new();
        for p in &world.processes {
            known.insert(p.pid);
            known.extend(p.threads.iter().copied());
        }
        let default_tid = world.processes.last().map_or(DEFAULT_PID, |p| p.pid);
        let mut ts = BASE_TIME;
        let mut out = Vec::new();
        for (i, e) in seq.iter().enumerate() {
            if let Some(ev) = self.event(e, i == 0, &mut ts) {
                let tid = ev.tid.unwrap_or(default_tid);
                if !known.contains(&tid) {
                    let mut pids: Vec<i64> = known.iter().copied().collect();
                    pids.sort_unstable();
                    let list: Vec<String> = pids.iter().map(ToString::to_string).collect();
                    self.err_hint(
                        Code::UnknownTestProcess,
                        ev.loc,
                        format!("no process or thread {tid} exists at this event"),
                        format!(
                            "declare it under `world: processes:`, or create it with an earlier clone/fork; known: {}",
                            list.join(", ")
                        ),
                    );
                    continue;
                }
                if matches!(ev.name, "clone" | "clone3" | "fork" | "vfork")
                    && ev.dir == Direction::Exit
                    && let Some((_, v)) = ev.params.first()
                    && let Some(child) = v.as_i64()
                    && child > 0
                {
                    known.insert(child);
                }
                out.push(ev);
            }
        }
        out
    }

    fn event(&mut self, node: &Node, first: bool, ts: &mut u64) -> Option<EventSpec> {
        let Some(map) = node.as_map() else {
            self.err_hint(
                Code::BadTestValue,
                node.loc,
                format!("an event must be a map, not {}", node.describe()),
                "for example `{openat: {name: /etc/shadow, flags: O_RDONLY}, res: 3}`",
            );
            return None;
        };
        let mut tid = None;
        let mut pid = None;
        let mut after = None;
        let mut dir = None;
        let mut res = None;
        let mut name: Option<(&'static str, &Node, &Node)> = None;
        let before = self.diags.len();
        for (k, v) in map {
            let Some(key) = k.as_scalar().map(|s| s.value.as_str()) else {
                self.err(Code::BadTestValue, k.loc, "a key of an event must be a plain word");
                continue;
            };
            match key {
                "pid" => pid = self.int(v, "`pid`").ok(),
                "tid" => tid = self.int(v, "`tid`").ok(),
                "after" => after = self.duration(v, "`after`").ok(),
                "dir" => match v.as_scalar().map(|s| s.value.as_str()) {
                    Some("enter" | ">") => dir = Some(Direction::Enter),
                    Some("exit" | "<") => dir = Some(Direction::Exit),
                    _ => self.err(Code::BadTestValue, v.loc, "`dir` must be `enter` or `exit`"),
                },
                "res" => res = Some(v),
                _ => {
                    let schema = rulec_compiler::schema::schema();
                    let known = rulec_runtime::scap::event_table().iter().find(|e| e.name == key).map(|e| e.name);
                    match known {
                        Some(n) if name.is_none() => name = Some((n, k, v)),
                        Some(_) => {
                            self.err(Code::TestFileShape, k.loc, "an event has one event name; this is a second one")
                        }
                        None => {
                            let hint = match schema.suggest_event(key) {
                                Some(s) => format!(
                                    "did you mean `{s}`? an event is written `{{EVENT: {{ARG: VALUE}}}}` with {}",
                                    EVENT_KEYS.join(", ")
                                ),
                                None => format!(
                                    "an event is written `{{EVENT: {{ARG: VALUE}}}}` with optional {}",
                                    EVENT_KEYS.join(", ")
                                ),
                            };
                            self.err_hint(
                                Code::UnknownTestEvent,
                                k.loc,
                                format!("`{key}` is not an event of the event table"),
                                hint,
                            );
                        }
                    }
                }
            }
        }
        let Some((name, name_node, args)) = name else {
            if self.diags.len() == before {
                self.err_hint(
                    Code::TestFileShape,
                    node.loc,
                    "this event does not say which event it is",
                    "add the event name as a key, e.g. `execve: {exe: /bin/sh}`",
                );
            }
            return None;
        };
        // With both, the tid decides (a thread of the process): `pid` is documentation then.
        let tid = tid.or(pid);
        // Enter-only events (procexit...) default to enter; everything else to exit, as
        // current drivers send syscalls.
        let dir = dir.unwrap_or_else(|| {
            if rulec_runtime::fields::newest_event_info(name, Direction::Exit).is_some() {
                Direction::Exit
            } else {
                Direction::Enter
            }
        });
        let Some(info) = rulec_runtime::fields::newest_event_info(name, dir) else {
            self.err(
                Code::UnknownTestEvent,
                name_node.loc,
                format!("`{name}` has no {} event", if dir == Direction::Enter { "enter" } else { "exit" }),
            );
            return None;
        };
        let mut params: Vec<(&'static str, ParamValue)> = Vec::new();
        if !args.is_null() {
            let Some(amap) = args.as_map() else {
                self.err_hint(
                    Code::BadTestValue,
                    args.loc,
                    format!("the arguments of `{name}` must be a map, not {}", args.describe()),
                    "for example `openat: {name: /etc/shadow, flags: O_RDONLY}`",
                );
                return None;
            };
            for (k, v) in amap {
                let Some(pname) = k.as_scalar().map(|s| s.value.clone()) else {
                    self.err(Code::BadTestValue, k.loc, "an argument name must be a plain word");
                    continue;
                };
                let Some(&(pname, ty)) = info.params.iter().find(|(n, _)| *n == pname) else {
                    let names: Vec<&str> = info.params.iter().map(|(n, _)| *n).collect();
                    let hint = match closest(&pname, &names) {
                        Some(s) => format!("did you mean `{s}`? `{name}` has: {}", names.join(", ")),
                        None => format!("`{name}` has: {}", names.join(", ")),
                    };
                    self.err_hint(Code::UnknownEventParam, k.loc, format!("`{name}` has no argument `{pname}`"), hint);
                    continue;
                };
                if params.iter().any(|(n, _)| *n == pname) {
                    self.err(Code::BadTestValue, k.loc, format!("argument `{pname}` is given twice"));
                    continue;
                }
                match param_value(name, pname, ty, v) {
                    Ok(value) => params.push((pname, value)),
                    Err(msg) => self.err(
                        Code::BadParamValue,
                        v.loc,
                        format!("`{name}` argument `{pname}` ({}): {msg}", type_name(ty)),
                    ),
                }
            }
        }
        if let Some(res) = res {
            match (dir, info.params.first()) {
                (Direction::Exit, Some(&(pname, ty))) => {
                    if params.iter().any(|(n, _)| *n == pname) {
                        self.err(
                            Code::BadTestValue,
                            res.loc,
                            format!("`res` is `{name}`'s `{pname}`, which is also given"),
                        );
                    } else {
                        match param_value(name, pname, ty, res) {
                            Ok(value) => params.push((pname, value)),
                            Err(msg) => self.err(
                                Code::BadParamValue,
                                res.loc,
                                format!("`res` of `{name}` ({}): {msg}", type_name(ty)),
                            ),
                        }
                    }
                }
                _ => self.err(Code::BadTestValue, res.loc, format!("this `{name}` event has no return value")),
            }
        }
        if self.diags.len() > before {
            return None;
        }
        let step = after.unwrap_or(if first { 0 } else { DEFAULT_STEP });
        *ts = ts.saturating_add(step);
        Some(EventSpec { tid, name, dir, params, ts: *ts, loc: node.loc })
    }
}

/// Adds `init` (pid 1) unless declared, and the default process when the world has none.
fn with_default_process(mut world: World) -> World {
    let has = |w: &World, pid: i64| w.processes.iter().any(|p| p.pid == pid || p.threads.contains(&pid));
    if world.processes.iter().all(|p| p.pid == 1) && !has(&world, DEFAULT_PID) {
        world.processes.push(default_process(
            DEFAULT_PID,
            "test-process",
            1,
            world.processes.first().map_or(Location::new(rulec_compiler::FileId(0), 0, 0), |p| p.loc),
        ));
    }
    if !has(&world, 1) {
        let loc = world.processes.first().map_or(Location::new(rulec_compiler::FileId(0), 0, 0), |p| p.loc);
        let mut init = default_process(1, "init", 0, loc);
        init.exe = "/sbin/init".into();
        init.exepath = "/sbin/init".into();
        world.processes.insert(0, init);
    }
    world
}

fn default_process(pid: i64, name: &str, ppid: i64, loc: Location) -> ProcessSpec {
    ProcessSpec {
        pid,
        ppid,
        threads: Vec::new(),
        name: name.into(),
        exe: format!("/usr/bin/{name}"),
        exepath: format!("/usr/bin/{name}"),
        args: Vec::new(),
        uid: 0,
        gid: 0,
        user_name: None,
        loginuid: u32::MAX,
        cwd: "/".into(),
        env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()],
        tty: 0,
        vpid: None,
        container: None,
        caps: None,
        age: DEFAULT_AGE,
        exe_flags: 0,
        fds: Vec::new(),
        loc,
    }
}

// ---- values ---------------------------------------------------------------------------------

/// The uid of a user every test world has.
pub fn well_known_uid(name: &str) -> Option<u32> {
    WELL_KNOWN_USERS.iter().find(|(n, _)| *n == name).map(|(_, u)| *u)
}

/// The users of every host and container user table.
pub const WELL_KNOWN_USERS: &[(&str, u32)] =
    &[("root", 0), ("daemon", 1), ("bin", 2), ("sys", 3), ("mail", 8), ("www-data", 33), ("nobody", 65534)];

/// `comm` of an executable path: its base name, at most 15 bytes (the kernel's limit).
pub fn comm_of(exe: &str) -> String {
    exe.rsplit('/').next().unwrap_or(exe).chars().take(15).collect()
}

fn fnv1a(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &c in b {
        h ^= u64::from(c);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// An integer in decimal, `0x` hex, or (with a leading `0`) octal, with an optional sign.
pub fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let v = if let Some(h) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        i64::try_from(u64::from_str_radix(h, 16).ok()?).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit()) {
        i64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<i64>().ok()?
    };
    Some(if neg { v.checked_neg()? } else { v })
}

/// `250ms`, `5s`, `1.5s`, `2m`, `1h`, `100us`, `10ns` → nanoseconds.
pub fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = s.split_at(split);
    let mult: f64 = match unit.trim() {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        _ => return None,
    };
    let n: f64 = num.parse().ok()?;
    let v = n * mult;
    if !v.is_finite() || !(0.0..=1.8e19).contains(&v) {
        return None;
    }
    Some(v as u64)
}

fn flag_value(set: &flags::FlagSet, name: &str) -> Option<u64> {
    set.entries.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
}

/// The errno number of a name (`ENOENT` → 2).
pub fn errno_number(name: &str) -> Option<i64> {
    (1..600u64).find(|&e| flags::errno_name(e) == Some(name)).map(|e| e as i64)
}

fn type_name(ty: ParamType) -> String {
    format!("{ty:?}").to_ascii_uppercase()
}

const SIGNALS: &[(&str, u8)] = &[
    ("SIGHUP", 1),
    ("SIGINT", 2),
    ("SIGQUIT", 3),
    ("SIGILL", 4),
    ("SIGTRAP", 5),
    ("SIGABRT", 6),
    ("SIGBUS", 7),
    ("SIGFPE", 8),
    ("SIGKILL", 9),
    ("SIGUSR1", 10),
    ("SIGSEGV", 11),
    ("SIGUSR2", 12),
    ("SIGPIPE", 13),
    ("SIGALRM", 14),
    ("SIGTERM", 15),
    ("SIGCHLD", 17),
    ("SIGCONT", 18),
    ("SIGSTOP", 19),
];

/// A socket address: `10.0.0.1:443`, `[::1]:80`, or a unix path (`/run/x.sock`, `unix:NAME`).
pub fn parse_sockaddr(s: &str) -> Option<SockAddr> {
    let s = s.trim();
    if let Some(p) = s.strip_prefix("unix:") {
        return Some(SockAddr::Unix(p.to_owned()));
    }
    if s.starts_with('/') || s.starts_with('@') {
        return Some(SockAddr::Unix(s.to_owned()));
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (ip, port) = rest.split_once("]:")?;
        return Some(SockAddr::V6(ip.parse().ok()?, port.parse().ok()?));
    }
    let (ip, port) = s.rsplit_once(':')?;
    Some(SockAddr::V4(ip.parse().ok()?, port.parse().ok()?))
}

/// `10.0.0.2:40000->10.0.0.1:443` (client → server).
pub fn parse_socktuple(s: &str) -> Option<SockTuple> {
    let (a, b) = s.split_once("->")?;
    match (parse_sockaddr(a)?, parse_sockaddr(b)?) {
        (SockAddr::V4(sip, sport), SockAddr::V4(dip, dport)) => Some(SockTuple::V4 { sip, sport, dip, dport }),
        (SockAddr::V6(sip, sport), SockAddr::V6(dip, dport)) => Some(SockTuple::V6 { sip, sport, dip, dport }),
        (SockAddr::Unix(_), SockAddr::Unix(path)) => Some(SockTuple::Unix { src: 0, dst: 0, path }),
        _ => None,
    }
}

/// NUL-terminated strings one after the other (execve `args`, `env`, `cgroups`).
pub fn nul_join<S: AsRef<str>>(items: &[S]) -> Vec<u8> {
    let mut b = Vec::new();
    for i in items {
        b.extend_from_slice(i.as_ref().as_bytes());
        b.push(0);
    }
    b
}

/// The value of an event argument written in YAML, for a parameter of type `ty`.
fn param_value(event: &str, param: &str, ty: ParamType, node: &Node) -> Result<ParamValue, String> {
    use ParamType as T;
    let scalar = node.as_scalar().map(|s| s.value.as_str());
    let text = || scalar.ok_or_else(|| format!("expected a single value, not {}", node.describe()));
    let int = || -> Result<i64, String> {
        let s = text()?;
        parse_int(s).ok_or_else(|| format!("`{s}` is not an integer"))
    };
    fn fit<T: TryFrom<i64>>(v: i64) -> Result<T, String> {
        T::try_from(v).map_err(|_| format!("{v} is out of range"))
    }
    Ok(match ty {
        T::Int8 => ParamValue::I8(fit(int()?)?),
        T::Int16 => ParamValue::I16(fit(int()?)?),
        T::Int32 => ParamValue::I32(fit(int()?)?),
        T::Int64 => ParamValue::I64(int()?),
        T::Uint8 => ParamValue::U8(fit(int()?)?),
        T::Uint16 => ParamValue::U16(fit(int()?)?),
        T::Uint32 => ParamValue::U32(fit(int()?)?),
        T::Uint64 => ParamValue::U64(fit(int()?)?),
        T::Uid => ParamValue::Uid(fit(int()?)?),
        T::Gid => ParamValue::Gid(fit(int()?)?),
        T::Pid | T::Pid32 => ParamValue::Pid(int()?),
        T::Port => ParamValue::Port(fit(int()?)?),
        T::SigSet => ParamValue::SigSet(fit(int()?)?),
        T::SyscallId => ParamValue::SyscallId(fit(int()?)?),
        T::AbsTime => ParamValue::AbsTime(fit(int()?)?),
        T::RelTime => {
            let s = text()?;
            match parse_int(s) {
                Some(v) => ParamValue::RelTime(fit(v)?),
                None => ParamValue::RelTime(
                    parse_duration(s).ok_or_else(|| format!("`{s}` is neither nanoseconds nor a duration"))?,
                ),
            }
        }
        T::Errno => {
            let s = text()?;
            match parse_int(s) {
                Some(v) => ParamValue::Errno(v),
                None => {
                    let name = s.strip_prefix('-').unwrap_or(s);
                    let e = errno_number(name)
                        .ok_or_else(|| format!("`{s}` is neither a number nor an errno name (ENOENT, EACCES...)"))?;
                    ParamValue::Errno(-e)
                }
            }
        }
        T::Fd | T::Fd32 => {
            let s = text()?;
            match s {
                "AT_FDCWD" => ParamValue::Fd(-100),
                _ => match parse_int(s) {
                    Some(v) => ParamValue::Fd(v),
                    // A failed call returns `-errno` where the fd would be.
                    None => ParamValue::Fd(
                        -errno_number(s.strip_prefix('-').unwrap_or(s))
                            .ok_or_else(|| format!("`{s}` is neither an fd number nor an errno name (ENOENT...)"))?,
                    ),
                },
            }
        }
        T::Mode => {
            let s = text()?;
            // Modes are octal whether or not the leading 0 is written.
            let digits = s.strip_prefix("0o").unwrap_or(s);
            ParamValue::Mode(
                u32::from_str_radix(digits, 8).map_err(|_| format!("`{s}` is not an octal mode (`0644`)"))?,
            )
        }
        T::Flags8 | T::Flags16 | T::Flags32 | T::EnumFlags8 | T::EnumFlags16 | T::EnumFlags32 => {
            let set = flags::flag_set_for(event, param);
            let words: Vec<String> = match (scalar, node.as_seq()) {
                (Some(s), _) => s.split('|').map(|w| w.trim().to_owned()).filter(|w| !w.is_empty()).collect(),
                (None, Some(seq)) => seq.iter().filter_map(|n| n.as_scalar().map(|s| s.value.clone())).collect(),
                _ => return Err(format!("expected flag names or a number, not {}", node.describe())),
            };
            let mut bits = 0u64;
            for w in &words {
                if let Some(v) = parse_int(w) {
                    bits |= v as u64;
                    continue;
                }
                let Some(set) = set else {
                    return Err(format!("rulec has no names for these flags; write the number instead of `{w}`"));
                };
                match flag_value(set, w) {
                    Some(v) => bits |= v,
                    None => {
                        let names: Vec<&str> = set.entries.iter().map(|(n, _)| *n).collect();
                        return Err(format!("`{w}` is not one of {}", names.join(", ")));
                    }
                }
            }
            if words.is_empty() && set.is_none() {
                return Err("expected flag names or a number".into());
            }
            if set.is_some_and(|s| s.is_enum) && words.len() > 1 {
                return Err("this parameter takes one name, not several".into());
            }
            ParamValue::Flags { ty, bits }
        }
        T::SigType => {
            let s = text()?;
            match parse_int(s) {
                Some(v) => ParamValue::SigType(fit(v)?),
                None => ParamValue::SigType(
                    SIGNALS
                        .iter()
                        .find(|(n, _)| *n == s)
                        .map(|(_, v)| *v)
                        .ok_or_else(|| format!("`{s}` is not a signal name (SIGKILL...) or number"))?,
                ),
            }
        }
        T::L4Proto => {
            let s = text()?;
            ParamValue::L4Proto(match s {
                "tcp" => 2,
                "udp" => 3,
                "icmp" => 4,
                "raw" => 5,
                _ => fit(parse_int(s).ok_or_else(|| format!("`{s}` is not tcp, udp, icmp, raw or a number"))?)?,
            })
        }
        T::SockFamily => {
            let s = text()?;
            match parse_int(s) {
                Some(v) => ParamValue::SockFamily(fit(v)?),
                None => ParamValue::SockFamily(
                    flag_value(&flags::SOCKET_FAMILIES, s)
                        .and_then(|v| u8::try_from(v).ok())
                        .ok_or_else(|| format!("`{s}` is not a socket family (AF_INET...)"))?,
                ),
            }
        }
        T::Bool => {
            let s = text()?;
            ParamValue::Bool(match s {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return Err(format!("`{s}` is not true or false")),
            })
        }
        T::Double => {
            let s = text()?;
            ParamValue::Double(s.parse().map_err(|_| format!("`{s}` is not a number"))?)
        }
        T::Ipv4Addr => {
            let s = text()?;
            ParamValue::Ipv4(s.parse::<Ipv4Addr>().map_err(|_| format!("`{s}` is not an IPv4 address"))?)
        }
        T::Ipv6Addr => {
            let s = text()?;
            ParamValue::Ipv6(s.parse::<Ipv6Addr>().map_err(|_| format!("`{s}` is not an IPv6 address"))?)
        }
        T::CharBuf => ParamValue::Str(text()?.to_owned()),
        T::FsPath => ParamValue::Path(text()?.to_owned()),
        T::FsRelPath => ParamValue::RelPath(text()?.to_owned()),
        T::ByteBuf => match node.as_seq() {
            Some(seq) => {
                let mut items = Vec::new();
                for n in seq {
                    items.push(n.as_scalar().map(|s| s.value.clone()).ok_or("a list of strings is expected")?);
                }
                ParamValue::Bytes(nul_join(&items))
            }
            None if node.is_null() => ParamValue::Bytes(Vec::new()),
            None => ParamValue::Bytes(text()?.as_bytes().to_vec()),
        },
        T::CharBufArray | T::CharBufPairArray => match node.as_seq() {
            Some(seq) => {
                ParamValue::StrArray(seq.iter().filter_map(|n| n.as_scalar().map(|s| s.value.clone())).collect())
            }
            None => ParamValue::StrArray(vec![text()?.to_owned()]),
        },
        T::SockAddr => {
            let s = text()?;
            ParamValue::SockAddr(
                parse_sockaddr(s)
                    .ok_or_else(|| format!("`{s}` is not an address (`10.0.0.1:443`, `[::1]:80`, `/run/x.sock`)"))?,
            )
        }
        T::SockTuple => {
            let s = text()?;
            ParamValue::SockTuple(
                parse_socktuple(s).ok_or_else(|| format!("`{s}` is not a tuple (`10.0.0.2:40000->10.0.0.1:443`)"))?,
            )
        }
        T::FdList => {
            let seq = node.as_seq().ok_or("expected a list of fds")?;
            let mut v = Vec::new();
            for n in seq {
                let s = n.as_scalar().map(|s| s.value.as_str()).ok_or("expected a list of fds")?;
                v.push((parse_int(s).ok_or_else(|| format!("`{s}` is not an fd"))?, 1u16));
            }
            ParamValue::FdList(v)
        }
        T::Dyn => return Err("dynamic parameters cannot be written in a test; leave it out".into()),
        _ => ParamValue::Bytes(text()?.as_bytes().to_vec()),
    })
}

/// The closest of `options` to `word`, under rulec's one suggestion policy.
pub(crate) fn closest<'a>(word: &str, options: &[&'a str]) -> Option<&'a str> {
    rulec_compiler::schema::closest(word, options.iter().copied())
}
