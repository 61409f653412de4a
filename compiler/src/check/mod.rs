//! Checking a whole ruleset: parse every condition and output, resolve macros and lists, check
//! types against the field schema, apply exceptions, compute each rule's event types, and report
//! Falco's warnings.
//!
//! The order of work follows Falco's loader: lists first (a list may name lists defined before
//! it), then macros in definition order (a macro may use macros defined before it), then rules
//! (which may use any macro and any list). Each macro is parsed and typed once; its diagnostics
//! point into the macro's own text and are reported once, however many rules use it.
//!
//! Unknown fields in a macro are held back, as Falco checks fields only when it compiles the
//! rules that use a macro: they are errors (labelled with the first such rule) once a rule that
//! is meant to run uses the macro; nothing for rules with `skip-if-unknown-filter: true` (they
//! are skipped with W0113) or of a source rulec does not check; W0115 in a macro no rule uses.

pub mod evttypes;
pub mod expand;
pub mod hir;
pub mod plugins;
mod splice;
mod typeck;

use std::collections::HashMap;

use rulec_grammar::ast::Expr;

use crate::diagnostic::{Applicability, Code, Diagnostic, Edit, Fix};
use crate::ir::Program;
use crate::load::{self, Loaded};
use crate::source::SourceFile;
use crate::text::MappedText;

pub use hir::{Cond, EventTypes, OutputSegment};

/// What checking produced: the loaded definitions, the checked rules, their optimised program
/// and every diagnostic.
#[derive(Debug, Default)]
pub struct CheckResult {
    pub diagnostics: Vec<Diagnostic>,
    pub ruleset: Ruleset,
    /// The runnable rules lowered and optimised ([`crate::lower::optimized`]), built once here:
    /// the analyses read it, and [`crate::compile`] continues from it instead of lowering the
    /// rules again. It describes `ruleset` as checked; a caller that changes the rules afterwards
    /// must check again.
    pub program: Program,
}

impl CheckResult {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// The checked rules, in load order, and what the editor and engine need to know about the
/// definitions they came from.
#[derive(Debug, Default)]
pub struct Ruleset {
    pub loaded: Loaded,
    pub rules: Vec<CheckedRule>,
    /// Per macro of `loaded.macros` (same index): its parsed condition, if it parsed.
    pub macro_exprs: Vec<Option<Expr>>,
    /// Per list of `loaded.lists`: its items with earlier lists substituted.
    pub list_values: Vec<Vec<String>>,
}

#[derive(Debug)]
pub struct CheckedRule {
    /// Index into `loaded.rules`.
    pub index: usize,
    pub name: String,
    pub enabled: bool,
    /// False when the rule cannot run: its condition or output has errors, or it was skipped
    /// (`skip-if-unknown-filter`), or its source is not one rulec evaluates.
    pub runnable: bool,
    /// The parsed condition as written (macros not expanded), if it parsed.
    pub expr: Option<Expr>,
    /// The condition with macros, lists and exceptions resolved and every check typed.
    pub cond: Cond,
    pub output: Vec<OutputSegment>,
    pub event_types: EventTypes,
}

/// Checks `files`, loaded in the given order (later files replace and append to earlier ones).
pub fn check(files: &[SourceFile]) -> CheckResult {
    let (loaded, mut diagnostics) = load::load(files);
    let (plugin_diags, plugins_unmet) = plugins::check_plugin_requirements(&loaded.plugin_versions);
    diagnostics.extend(plugin_diags);
    let mut checker = Checker::new(&loaded);
    checker.plugins_unmet = plugins_unmet;
    checker.check_all();
    let Checker { rules, macro_exprs, list_values, diags, .. } = checker;
    diagnostics.extend(diags);
    let mut result = CheckResult {
        diagnostics,
        ruleset: Ruleset { rules, macro_exprs, list_values, loaded },
        program: Program::default(),
    };
    result.program = crate::lower::optimized(&result);
    let found = crate::analyze::analyze(&result);
    result.diagnostics.extend(found);
    sort_diagnostics(&mut result.diagnostics);
    result
}

/// File order, then position, then errors before warnings; duplicates removed.
fn sort_diagnostics(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| {
        (a.primary.file, a.primary.start, a.severity, a.code).cmp(&(
            b.primary.file,
            b.primary.start,
            b.severity,
            b.code,
        ))
    });
    diags.dedup();
}

/// The working state of one check.
pub(crate) struct Checker<'a> {
    loaded: &'a Loaded,
    diags: Vec<Diagnostic>,
    list_index: HashMap<&'a str, usize>,
    macro_index: HashMap<&'a str, usize>,
    list_values: Vec<Vec<String>>,
    list_used: Vec<bool>,
    macro_used: Vec<bool>,
    macro_exprs: Vec<Option<Expr>>,
    /// Each macro's condition, typed once and shared by its uses, with its expanded size in
    /// nodes and depth in levels; computed in definition order.
    macro_conds: Vec<Option<(std::sync::Arc<Cond>, typeck::Expanded)>>,
    /// Whether a macro's condition used an unknown field (for `skip-if-unknown-filter`).
    macro_unknown_field: Vec<bool>,
    /// Per macro: the unknown-field diagnostics of its own condition, held back until a rule
    /// that runs uses the macro (Falco checks fields only when compiling rules).
    macro_unknown_diags: Vec<Vec<Diagnostic>>,
    /// Per macro: the macros (itself included) whose held-back diagnostics it reaches.
    macro_unknown_sources: Vec<Vec<usize>>,
    /// Per macro: whether its held-back diagnostics were reported.
    macro_unknown_reported: Vec<bool>,
    rules: Vec<CheckedRule>,
    /// What list and macro expansion may still produce, in list values and condition nodes, for
    /// the whole check: past it, E0212 rather than memory that grows with the square (a chain of
    /// lists or macros each using the one before) or exponentially (each using the one before
    /// twice) of the input.
    expansion_left: usize,
    /// Whether a plugin the files require is not provided: W0117 said so once, so rules of
    /// other sources are not warned about one by one (W0112).
    plugins_unmet: bool,
    /// Whether running out of `expansion_left` was reported: once is enough, every later
    /// expansion fails for the same reason.
    expansion_reported: bool,
}

/// The list values and condition nodes that expansion may produce for one check: far above the
/// upstream rules (the three upstream files together use 5,142), far below what would exhaust
/// memory (about 150 MB of expanded conditions).
pub(crate) const MAX_EXPANSION: usize = 1_000_000;

impl<'a> Checker<'a> {
    fn new(loaded: &'a Loaded) -> Self {
        let list_index = loaded.lists.iter().enumerate().map(|(i, l)| (l.name.as_str(), i)).collect();
        let macro_index = loaded.macros.iter().enumerate().map(|(i, m)| (m.name.as_str(), i)).collect();
        Checker {
            loaded,
            diags: Vec::new(),
            list_index,
            macro_index,
            list_values: Vec::new(),
            list_used: vec![false; loaded.lists.len()],
            macro_used: vec![false; loaded.macros.len()],
            macro_exprs: Vec::new(),
            macro_conds: Vec::new(),
            macro_unknown_field: Vec::new(),
            macro_unknown_diags: Vec::new(),
            macro_unknown_sources: Vec::new(),
            macro_unknown_reported: vec![false; loaded.macros.len()],
            rules: Vec::new(),
            expansion_left: MAX_EXPANSION,
            expansion_reported: false,
            plugins_unmet: false,
        }
    }

    /// Takes `n` units from the expansion budget. When they are not left, nothing is taken and
    /// the answer is `Some(first)`: `first` is true the first time, when the caller reports E0212
    /// (later failures have the same cause and stay quiet).
    pub(crate) fn charge_expansion(&mut self, n: usize) -> Option<bool> {
        match self.expansion_left.checked_sub(n) {
            Some(left) => {
                self.expansion_left = left;
                None
            }
            None => Some(!std::mem::replace(&mut self.expansion_reported, true)),
        }
    }

    fn check_all(&mut self) {
        self.expand_lists();
        self.check_macros();
        self.check_rules();
        self.report_unused();
    }

    /// Substitutes, in each list's items, the lists defined before it. A value is kept once (a
    /// set means the same with repeats), so a list that names another twice does not double.
    fn expand_lists(&mut self) {
        let loaded = self.loaded;
        for (i, list) in loaded.lists.iter().enumerate() {
            let mut values = Vec::new();
            let mut seen = std::collections::HashSet::new();
            let mut over = false;
            for item in &list.items {
                let from_list = match self.list_index.get(item.0.as_str()) {
                    Some(&j) if j < i => {
                        self.list_used[j] = true;
                        Some(j)
                    }
                    _ => None,
                };
                let added: Vec<String> = match from_list {
                    Some(j) => self.list_values[j].iter().filter(|v| !seen.contains(v.as_str())).cloned().collect(),
                    None => vec![unquote_list_item(&item.0)],
                };
                if let Some(first) = self.charge_expansion(added.len()) {
                    over = first;
                    values.clear();
                    break;
                }
                for v in added {
                    if seen.insert(v.clone()) {
                        values.push(v);
                    }
                }
            }
            if over {
                self.diags.push(
                    Diagnostic::new(
                        Code::ResourceLimit,
                        list.name_loc,
                        format!("expanding list `{}` makes the lists hold more than {MAX_EXPANSION} values", list.name),
                    )
                    .with_hint("lists that include each other grow with every level; flatten them"),
                );
            }
            self.list_values.push(values);
        }
    }

    /// Parses a condition, reporting syntax errors at their place in the file.
    fn parse(&mut self, text: &MappedText) -> Option<Expr> {
        let spliced = splice::splice_spaced_list_names(text.as_str(), self.list_index.keys().copied());
        let parsed = rulec_grammar::parse_condition(spliced.as_deref().unwrap_or(text.as_str()));
        for err in &parsed.errors {
            let code = typeck::syntax_code(err.kind);
            let mut d = Diagnostic::new(code, text.location(err.span), err.message.clone());
            if let Some(h) = &err.hint {
                d = d.with_hint(h.clone());
            }
            if let Some(fix) = syntax_fix(text, err) {
                d = d.with_fix(fix);
            }
            self.diags.push(d);
        }
        // Lists are marked used by name, whatever becomes of the typing: an error elsewhere in
        // the condition should not add "unused list" noise.
        if let Some(expr) = &parsed.expr {
            for check in expr.checks() {
                if let Some(rulec_grammar::ast::Rhs::List(l)) = &check.rhs {
                    for item in l.items.iter().filter(|i| i.quote.is_none()) {
                        if let Some(&i) = self.list_index.get(splice::list_name(&item.value).as_ref()) {
                            self.list_used[i] = true;
                        }
                    }
                }
            }
        }
        // A condition with syntax errors is not typed: its tree has holes, and typing it would
        // only add noise after the errors that matter.
        if parsed.errors.is_empty() { parsed.expr } else { None }
    }

    fn check_macros(&mut self) {
        let loaded = self.loaded;
        // Parse them all first: telling a cycle from a use of a later macro needs the later
        // macro's references.
        let exprs: Vec<Option<Expr>> = loaded.macros.iter().map(|m| self.parse(&m.condition)).collect();
        self.macro_exprs = exprs.clone();
        for (i, (mac, expr)) in loaded.macros.iter().zip(exprs).enumerate() {
            let mut cond = None;
            let mut unknown_field = false;
            let mut deferred = Vec::new();
            let mut sources = Vec::new();
            if let Some(expr) = &expr {
                // An undefined macro does not stop the typing: the rest of the condition is
                // still checked (the unknown macro stands for `false`), so that one missing
                // name never hides the other mistakes. The macro itself stays unusable.
                let ok = self.check_macro_refs(expr, &mac.condition, Some(i));
                {
                    let mut lower = typeck::Lowering::new(self, &mac.condition);
                    lower.defer_unknown_fields = true;
                    lower.in_macro = true;
                    let c = lower.lower_expr(expr, 0);
                    let size = lower.expanded();
                    unknown_field = lower.unknown_field || lower.macros_with_unknown_field;
                    deferred = std::mem::take(&mut lower.deferred);
                    let reached = std::mem::take(&mut lower.unknown_macros);
                    if !deferred.is_empty() {
                        sources.push(i);
                    }
                    for j in reached {
                        for &s in self.macro_unknown_sources.get(j).map_or(&[][..], Vec::as_slice) {
                            if !sources.contains(&s) {
                                sources.push(s);
                            }
                        }
                    }
                    cond = ok.then(|| (std::sync::Arc::new(c), size));
                }
            }
            self.macro_conds.push(cond);
            self.macro_unknown_field.push(unknown_field);
            self.macro_unknown_diags.push(deferred);
            self.macro_unknown_sources.push(sources);
        }
    }

    /// Checks that every macro an expression names is defined (and, for a macro's own
    /// condition, defined before it). Marks the macros used. Returns whether all resolved.
    fn check_macro_refs(&mut self, expr: &Expr, text: &MappedText, within: Option<usize>) -> bool {
        let mut ok = true;
        for id in expr.macro_refs() {
            match self.macro_index.get(id.name.as_str()).copied() {
                Some(j) if within.is_none_or(|i| j < i) => self.macro_used[j] = true,
                found => {
                    ok = false;
                    // Named, even if wrongly: not "unused" on top of the error.
                    if let Some(j) = found {
                        self.macro_used[j] = true;
                    }
                    let mut d = Diagnostic::new(
                        Code::UndefinedMacro,
                        text.location(id.span),
                        format!("undefined macro `{}`", id.name),
                    );
                    match (found, within) {
                        (Some(j), Some(i)) if j == i || self.macro_reaches(j, i) => {
                            d.code = Code::MacroCycle;
                            d.severity = Code::MacroCycle.severity();
                            d.message = if j == i {
                                format!("macro `{}` uses itself", id.name)
                            } else {
                                format!("macros `{}` and `{}` use each other", self.loaded.macros[i].name, id.name)
                            };
                            if j != i {
                                d = d.with_label(self.loaded.macros[j].name_loc, "the other macro of the cycle");
                            }
                            d = d.with_hint("a macro's expansion must end: break the cycle");
                        }
                        (Some(j), Some(_)) => {
                            let later = &self.loaded.macros[j];
                            d = d
                                .with_label(later.name_loc, "a macro of this name is defined later")
                                .with_hint("a macro may only use macros defined before it: move this definition up");
                        }
                        _ => {
                            if let Some(list) = self.list_index.get(id.name.as_str()) {
                                d = d
                                    .with_label(self.loaded.lists[*list].name_loc, "a list of this name exists")
                                    .with_hint(format!(
                                        "lists are used inside parentheses: `proc.name in ({})`",
                                        id.name
                                    ));
                            } else if let Some(s) = suggest(&id.name, self.macro_index.keys().copied()) {
                                let at = d.primary;
                                d = d.with_suggestion(at, s);
                            }
                        }
                    }
                    self.diags.push(d);
                }
            }
        }
        ok
    }

    /// Whether macro `from` uses macro `to`, directly or through other macros.
    fn macro_reaches(&self, from: usize, to: usize) -> bool {
        let mut seen = vec![false; self.macro_exprs.len()];
        let mut stack = vec![from];
        while let Some(m) = stack.pop() {
            if m == to {
                return true;
            }
            if std::mem::replace(&mut seen[m], true) {
                continue;
            }
            if let Some(Some(e)) = self.macro_exprs.get(m) {
                stack.extend(e.macro_refs().iter().filter_map(|id| self.macro_index.get(id.name.as_str()).copied()));
            }
        }
        false
    }

    fn check_rules(&mut self) {
        let loaded = self.loaded;
        for (index, rule) in loaded.rules.iter().enumerate() {
            let expr = self.parse(&rule.condition);
            let known_source = rule.source.as_deref().is_none_or(|s| s == "syscall");
            if let (false, false, Some(src), Some(loc)) =
                (known_source, self.plugins_unmet, rule.source.as_deref(), rule.source_loc)
            {
                self.diags.push(
                    Diagnostic::new(
                        Code::UnknownSource,
                        loc,
                        format!("unknown source `{src}`: rule `{}` is loaded but not checked or run", rule.name),
                    )
                    .with_hint("rulec evaluates `syscall` rules; rules for plugin sources need that plugin"),
                );
            }
            let mut runnable = expr.is_some() && known_source;
            let mut cond = Cond::Const(false);
            let mut unknown_field = false;
            if let Some(e) = &expr
                && known_source
                && !rule.skip_if_unknown_filter
            {
                // The rule is meant to run, so the unknown fields of the macros it uses are
                // errors, as Falco finds them when compiling it (even if the rule has other
                // errors: fixing those would not fix these).
                let reached: Vec<usize> =
                    e.macro_refs().iter().filter_map(|id| self.macro_index.get(id.name.as_str()).copied()).collect();
                if self.report_macro_unknowns(&reached, rule.name_loc, &rule.name) {
                    runnable = false;
                }
            }
            if let Some(e) = &expr {
                // As for macros: an undefined macro makes the rule unrunnable, and the rest of
                // its condition is still typed so that its other errors are reported too.
                if !self.check_macro_refs(e, &rule.condition, None) {
                    runnable = false;
                }
                if known_source {
                    let errors_before = self.error_count();
                    let mut lower = typeck::Lowering::new(self, &rule.condition);
                    lower.skip_unknown_fields = rule.skip_if_unknown_filter;
                    let c = lower.lower_expr(e, 0);
                    let exc = lower.lower_exceptions(&rule.exceptions);
                    unknown_field = lower.unknown_field || lower.macros_with_unknown_field;

                    cond = match exc {
                        Some(exc) => Cond::And(vec![c, Cond::Not(Box::new(exc))]),
                        None => c,
                    };
                    if self.error_count() > errors_before {
                        runnable = false;
                    }
                }
            }
            let output = if known_source {
                let errors_before = self.error_count();
                let mut lower = typeck::Lowering::new(self, &rule.output);
                lower.skip_unknown_fields = rule.skip_if_unknown_filter;
                let out = lower.lower_output();
                unknown_field |= lower.unknown_field;
                if self.error_count() > errors_before {
                    runnable = false;
                }
                out
            } else {
                Vec::new()
            };
            if unknown_field && rule.skip_if_unknown_filter {
                runnable = false;
                self.diags.push(
                    Diagnostic::new(
                        Code::SkippedUnknownField,
                        rule.name_loc,
                        format!(
                            "rule `{}` names a field or event type rulec does not know (in its condition or output); it is skipped",
                            rule.name
                        ),
                    )
                    .with_hint("`skip-if-unknown-filter: true` is set, so this is a warning, not an error"),
                );
            }
            let event_types = evttypes::event_types(&cond);
            if known_source && runnable && rule.warn_evttypes {
                let universe = crate::schema::schema().syscall_event_names().len();
                let n = event_types.len(universe);
                if n > evttypes::TOO_MANY_EVENT_TYPES {
                    self.diags.push(
                        Diagnostic::new(
                            Code::NoEventTypeRestriction,
                            rule.condition.whole(),
                            format!(
                                "rule `{}` matches {} event types: its condition does not restrict `evt.type`",
                                rule.name, n
                            ),
                        )
                        .with_label(rule.name_loc, "rule defined here")
                        .with_hint("add an `evt.type` check (e.g. `evt.type in (open, openat)`), or `warn_evttypes: false` if every event is meant"),
                    );
                }
            }
            self.rules.push(CheckedRule {
                index,
                name: rule.name.clone(),
                enabled: rule.enabled,
                runnable,
                expr,
                cond,
                output,
                event_types,
            });
        }
    }

    fn error_count(&self) -> usize {
        self.diags.iter().filter(|d| d.is_error()).count()
    }

    /// Reports, once each, the held-back unknown-field errors of the macros `reached` (and of
    /// the macros they use), labelled with the first rule that needs them.
    /// Returns whether any of those macros has an unknown field (reported now or before).
    fn report_macro_unknowns(&mut self, reached: &[usize], rule_loc: crate::Location, rule: &str) -> bool {
        let mut sources: Vec<usize> = Vec::new();
        for &j in reached {
            for &s in self.macro_unknown_sources.get(j).map_or(&[][..], Vec::as_slice) {
                if !sources.contains(&s) {
                    sources.push(s);
                }
            }
        }
        for &s in &sources {
            if self.macro_unknown_reported.get(s).copied().unwrap_or(true) {
                continue;
            }
            self.macro_unknown_reported[s] = true;
            let held = self.macro_unknown_diags.get(s).cloned().unwrap_or_default();
            for d in held {
                self.diags.push(d.with_label(rule_loc, format!("rule `{rule}` uses this macro")));
            }
        }
        !sources.is_empty()
    }

    fn report_unused(&mut self) {
        let loaded = self.loaded;
        for (i, m) in loaded.macros.iter().enumerate() {
            if !self.macro_used[i] {
                self.diags.push(
                    Diagnostic::new(Code::UnusedMacro, m.name_loc, format!("macro `{}` is not used", m.name))
                        .with_hint("remove it, or use it in a rule"),
                );
                // Falco checks a macro's fields only in the rules that use it: here, a warning.
                for d in self.macro_unknown_diags.get(i).cloned().unwrap_or_default() {
                    let code = match d.code {
                        Code::MissingFieldArgument | Code::InvalidFieldArgument => Code::FieldArgumentUnusedMacro,
                        _ => Code::UnknownFieldUnusedMacro,
                    };
                    let message = format!("{} (in macro `{}`, which no rule uses)", d.message, m.name);
                    self.diags.push(Diagnostic { code, severity: code.severity(), message, ..d });
                }
            }
        }
        for (i, l) in loaded.lists.iter().enumerate() {
            if !self.list_used[i] {
                self.diags.push(
                    Diagnostic::new(Code::UnusedList, l.name_loc, format!("list `{}` is not used", l.name))
                        .with_hint("remove it, or use it in a condition, e.g. `proc.name in (NAME)`"),
                );
            }
        }
    }

    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// The items of list `name` (with earlier lists substituted), marking it used.
    pub(crate) fn list_items(&mut self, name: &str) -> Option<Vec<String>> {
        let i = *self.list_index.get(splice::list_name(name).as_ref())?;
        self.list_used[i] = true;
        Some(self.list_values[i].clone())
    }

    /// Macro `name`'s index, typed condition, expanded size and depth and whether it names an
    /// unknown field.
    pub(crate) fn macro_cond(&self, name: &str) -> Option<(usize, &std::sync::Arc<Cond>, typeck::Expanded, bool)> {
        let i = *self.macro_index.get(name)?;
        let (cond, size) = self.macro_conds.get(i)?.as_ref()?;
        Some((i, cond, *size, self.macro_unknown_field.get(i).copied().unwrap_or(false)))
    }
}

/// A list item as the condition will see it. Falco substitutes lists into conditions as text, so
/// an item written with quotes inside the YAML string (`'"10.0.0.0/8"'`) is a quoted literal there.
fn unquote_list_item(item: &str) -> String {
    let bytes = item.as_bytes();
    let quoted = bytes.len() >= 2 && matches!(bytes[0], b'"' | b'\'') && bytes[bytes.len() - 1] == bytes[0];
    if !quoted {
        return item.to_owned();
    }
    let inner = &item[1..item.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// A syntax error's mechanical rewrite as a safe fix on the file, when every span it replaces is
/// written byte for byte in the file (no escape or line fold inside).
pub(crate) fn syntax_fix(text: &MappedText, err: &rulec_grammar::SyntaxError) -> Option<Fix> {
    let mut edits = Vec::new();
    for (span, replacement) in &err.fix {
        let at = text.location(*span);
        if at.end - at.start != span.end - span.start {
            return None;
        }
        edits.push(Edit { location: at, replacement: replacement.clone() });
    }
    let title = match err.fix.as_slice() {
        [] => return None,
        [(_, open), (_, close)] if open == "(" && close == ")" => "Add parentheses".to_owned(),
        [(span, new), ..] => {
            let old = text.as_str().get(span.start as usize..span.end as usize).unwrap_or("");
            format!("Replace `{old}` with `{new}`")
        }
    };
    Some(Fix { title, edits, applicability: Applicability::Safe })
}

/// The closest of `candidates` to `name` under rulec's one suggestion policy
/// ([`crate::schema::closest`]); equally close candidates are taken in name order, so the
/// suggestion does not depend on the order of a hash map.
pub(crate) fn suggest<'n>(name: &str, candidates: impl Iterator<Item = &'n str>) -> Option<&'n str> {
    let mut sorted: Vec<&'n str> = candidates.collect();
    sorted.sort_unstable();
    crate::schema::closest(name, sorted)
}
