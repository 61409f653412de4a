//! The file's top level and its cases: `rules`, `match`, each case's keys, parameterised cases
//! (`each` with `${name}` substitution, expanded before reading), and the expected alerts.

use rulec_compiler::items::Priority;
use rulec_compiler::text::MappedText;
use rulec_compiler::yaml::{Node, NodeKind, Scalar};
use rulec_compiler::{Code, Diagnostic, Location};
use rulec_runtime::engine::MatchMode;

use super::super::model::{Case, Expect, Input, TestFile, World};
use super::world::with_default_process;
use super::{CASE_KEYS, EXPECT_KEYS, FILE_KEYS, MAX_CASES, Parser, R};

impl Parser {
    pub(super) fn file(&mut self, root: &Node) -> Option<TestFile> {
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
}
