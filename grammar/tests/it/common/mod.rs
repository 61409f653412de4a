//! Shared test helpers: renderings of parse results for snapshots (a compact tree with spans,
//! and each error with carets under the text it points at).

// Not every test file uses every helper; writes to a `String` cannot fail.
#![allow(dead_code, clippy::unwrap_used)]

use std::fmt::Write;

use rulec_grammar::ast::{Expr, ExprKind, FieldRef, Operand, OutputPart, Rhs, TransformArg};
use rulec_grammar::{ParsedCondition, ParsedOutput, Span, SyntaxError};

fn sp(s: Span) -> String {
    format!("@{}..{}", s.start, s.end)
}

fn field(f: &FieldRef) -> String {
    let mut out = format!("{}{}", f.name, sp(f.name_span));
    if let Some(a) = &f.arg {
        let q = if a.quoted { "quoted " } else { "" };
        write!(out, "[{q}{:?}{}]", a.value, sp(a.span)).unwrap();
    }
    out
}

fn operand(o: &Operand) -> String {
    match o {
        Operand::Field(f) => field(f),
        Operand::Transform(t) => {
            let args: Vec<String> = t
                .args
                .iter()
                .map(|a| match a {
                    TransformArg::Operand(o) => operand(o),
                    TransformArg::Literal(l) => format!("lit {:?}{}", l.value, sp(l.span)),
                })
                .collect();
            let mut out = format!("{}({}){}", t.func.node.as_str(), args.join(", "), sp(t.span));
            if let Some(i) = &t.index {
                write!(out, "[{:?}{}]", i.value, sp(i.span)).unwrap();
            }
            out
        }
    }
}

fn lit(l: &rulec_grammar::ast::Literal) -> String {
    match l.quote {
        Some(q) => format!("{:?}{} quote={q}", l.value, sp(l.span)),
        None => format!("{:?}{}", l.value, sp(l.span)),
    }
}

/// The tree, one node a line, indented.
pub fn tree(e: &Expr) -> String {
    let mut out = String::new();
    go(e, 0, &mut out);
    out
}

fn go(e: &Expr, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    match &e.kind {
        ExprKind::Or(xs) | ExprKind::And(xs) => {
            let name = if matches!(e.kind, ExprKind::Or(_)) { "Or" } else { "And" };
            writeln!(out, "{pad}{name} {}", sp(e.span)).unwrap();
            for x in xs {
                go(x, depth + 1, out);
            }
        }
        ExprKind::Not(x) => {
            writeln!(out, "{pad}Not {}", sp(e.span)).unwrap();
            go(x, depth + 1, out);
        }
        ExprKind::Paren(x) => {
            writeln!(out, "{pad}Paren {}", sp(e.span)).unwrap();
            go(x, depth + 1, out);
        }
        ExprKind::MacroRef(id) => writeln!(out, "{pad}Macro {}{}", id.name, sp(id.span)).unwrap(),
        ExprKind::Error => writeln!(out, "{pad}Error {}", sp(e.span)).unwrap(),
        ExprKind::Check(c) => {
            write!(out, "{pad}Check {} {} {}{}", sp(c.span), operand(&c.lhs), c.op.node.as_str(), sp(c.op.span))
                .unwrap();
            if let Some(m) = &c.modifier {
                write!(out, " {}{}", m.node.as_str(), sp(m.span)).unwrap();
            }
            match &c.rhs {
                None => {}
                Some(Rhs::Value(l)) => write!(out, " {}", lit(l)).unwrap(),
                Some(Rhs::Operand(o)) => write!(out, " {}", operand(o)).unwrap(),
                Some(Rhs::List(l)) => {
                    let items: Vec<String> = l.items.iter().map(lit).collect();
                    write!(out, " ({}){}", items.join(", "), sp(l.span)).unwrap();
                }
            }
            out.push('\n');
        }
    }
}

/// The text with control characters other than line feeds escaped, so snapshots stay readable.
pub fn visible(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\n' { c.escape_default().to_string() } else { c.to_string() })
        .collect()
}

/// Each error: kind, span, message, hint, and the line of `text` with carets under the span.
pub fn errors(text: &str, errs: &[SyntaxError]) -> String {
    let mut out = String::new();
    for e in errs {
        writeln!(out, "error[{:?}] {}: {}", e.kind, sp(e.span), e.message).unwrap();
        let start = e.span.start as usize;
        let end = e.span.end as usize;
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line = &text[line_start..line_end];
        let col = text[line_start..start].chars().count();
        let width = text[start..end.min(line_end).max(start)].chars().count().max(1);
        writeln!(out, "  | {}", line.replace(|c: char| c.is_control(), " ")).unwrap();
        writeln!(out, "  | {}{}", " ".repeat(col), "^".repeat(width)).unwrap();
        if let Some(h) = &e.hint {
            writeln!(out, "  = hint: {h}").unwrap();
        }
    }
    out
}

/// Input, tree and errors of a parsed condition.
pub fn show(text: &str, p: &ParsedCondition) -> String {
    let mut out = format!("input: {}\n", visible(text));
    match &p.expr {
        Some(e) => out.push_str(&tree(e)),
        None => out.push_str("(no tree)\n"),
    }
    if p.errors.is_empty() {
        out.push_str("no errors\n");
    } else {
        out.push_str(&errors(text, &p.errors));
    }
    out
}

/// Parses and renders several conditions, separated by blank lines.
pub fn show_all(inputs: &[&str]) -> String {
    inputs.iter().map(|t| show(t, &rulec_grammar::parse_condition(t))).collect::<Vec<_>>().join("\n")
}

/// Input, parts and errors of a parsed output string.
pub fn show_output(text: &str, p: &ParsedOutput) -> String {
    let mut out = format!("input: {}\n", visible(text));
    for part in &p.parts {
        match part {
            OutputPart::Text { text, span } => writeln!(out, "  text {:?}{}", text, sp(*span)).unwrap(),
            OutputPart::Field { operand: o, span } => writeln!(out, "  field {}{}", operand(o), sp(*span)).unwrap(),
        }
    }
    out.push_str(&errors(text, &p.errors));
    out
}

/// One string value found in a rules file under a given key.
pub struct Found {
    pub file: String,
    pub key: String,
    pub value: String,
    /// 1-based line of the key, to find it again.
    pub line: usize,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Decodes a one-piece YAML quoted scalar (the text between the quotes), enough for rules files.
fn unquote(q: char, body: &str) -> String {
    if q == '\'' {
        return body.replace("''", "'");
    }
    let mut out = String::new();
    let mut cs = body.chars();
    while let Some(c) = cs.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match cs.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Every value of the keys `keys` in the conformance rules files, by a line-based reading that
/// knows the forms those files use: plain scalars (possibly continued on more indented lines),
/// `>`/`|` block scalars, and quoted scalars. (A real YAML reader is not used here on purpose:
/// saphyr-parser 0.3.4 rejects falco-sandbox_rules.yaml, whose flow lists close with a `]`
/// indented like their key, which yaml-cpp and libyaml accept.) Returns `None` (after saying so)
/// when the shared directory is absent.
pub fn conformance_values(keys: &[&str]) -> Option<Vec<Found>> {
    let dir = rulec_test_support::shared("conformance/falco")?;
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("conformance file readable");
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start_matches([' ', '-']);
            let Some((key, rest)) = trimmed.split_once(':') else { continue };
            if !keys.contains(&key) || line.trim_start().starts_with('#') {
                continue;
            }
            let rest = rest.trim();
            let key_indent = indent_of(line) + (line.trim_start().len() - trimmed.len());
            // The lines that continue the value: more indented than the key, or blank.
            let cont: Vec<&str> = lines[i + 1..]
                .iter()
                .take_while(|l| l.trim().is_empty() || indent_of(l) > key_indent)
                .copied()
                .collect();
            let cont_trimmed: Vec<&str> = cont.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
            let value = if rest.starts_with('|') {
                cont_trimmed.join("\n")
            } else if rest.starts_with('>') || rest.is_empty() {
                cont_trimmed.join(" ")
            } else if let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
                let mut all = rest.to_string();
                for l in &cont_trimmed {
                    all.push(' ');
                    all.push_str(l);
                }
                let body = all[1..].trim_end();
                let body = body.strip_suffix(q).unwrap_or(body);
                unquote(q, body)
            } else {
                let mut all = rest.to_string();
                for l in &cont_trimmed {
                    all.push(' ');
                    all.push_str(l);
                }
                all
            };
            out.push(Found { file: file.clone(), key: key.to_string(), value, line: i + 1 });
        }
    }
    Some(out)
}

/// Prints `e` and parses it back; panics with both texts unless the trees match modulo spans.
pub fn assert_round_trip(original: &str, e: &Expr) {
    let printed = e.to_string();
    let back = rulec_grammar::parse_condition(&printed);
    assert!(back.errors.is_empty(), "printed form of {original:?} does not parse: {printed:?}: {:?}", back.errors);
    let mut a = e.clone();
    let mut b = back.expr.expect("a tree");
    a.clear_spans();
    b.clear_spans();
    assert_eq!(a, b, "round trip changed the tree\noriginal: {original}\nprinted:  {printed}");
}
