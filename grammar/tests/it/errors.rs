//! Every kind of syntax error, with its exact span (shown by carets), message and hint, and the
//! tree that error recovery leaves. Where one input has several problems, each is reported.

use crate::common;

use rulec_grammar::{MAX_DEPTH, SyntaxErrorKind, parse_condition};

/// Renders the inputs after checking that each one has at least one error of `kind`.
fn failing(kind: SyntaxErrorKind, inputs: &[&str]) -> String {
    for t in inputs {
        let p = parse_condition(t);
        assert!(p.errors.iter().any(|e| e.kind == kind), "no {kind:?} in\n{}", common::show(t, &p));
    }
    common::show_all(inputs)
}

#[test]
fn unexpected_token() {
    insta::assert_snapshot!(failing(
        SyntaxErrorKind::UnexpectedToken,
        &[
            "proc.name = bash bash",
            "a b",
            "proc.name = bash)",
            "(a) b",
            "a and and b",
            "and a",
            "()",
            "proc.name exists foo",
            "proc.name = (a, b)",
            "evt.type in open",
            "evt.type in proc.name",
            "proc.name startswith anyof bash",
            "proc.name in (a, b c, d) and x",
            "proc.name in (a, (b), c)",
            "proc.name = , x",
            "tolower() = x",
            "concat(proc.name,,proc.pname) = x",
            "tolower((a)) = x",
            "\"quoted\" = x",
            "proc.name = bash AND proc.pname = sh",
            "proc.name = and proc.pname = sh",
            "proc.env[] = x",
        ]
    ));
}

#[test]
fn unexpected_end() {
    insta::assert_snapshot!(failing(
        SyntaxErrorKind::UnexpectedEnd,
        &[
            "a and",
            "not",
            "(a or b",
            "proc.name =",
            "proc.name in",
            "proc.name in (a, b",
            "proc.name startswith anyof (a",
            "tolower(proc.name",
            "proc.aname[2",
        ]
    ));
}

#[test]
fn unterminated_string() {
    insta::assert_snapshot!(failing(
        SyntaxErrorKind::UnterminatedString,
        &[
            "proc.name = \"bash",
            "proc.name = 'bash and x",
            "proc.name in (a, \"b)",
            "proc.env[\"HOME] = x",
            "proc.name = \"ends with escape\\",
        ]
    ));
}

#[test]
fn invalid_escape() {
    insta::assert_snapshot!(failing(
        SyntaxErrorKind::InvalidEscape,
        &[
            r#"proc.name = "a\qb""#,
            r#"proc.name = "\x41""#,
            // The other quote needs no escape, and Falco refuses one.
            r#"proc.name = "it\'s""#,
            r#"proc.name = 'say \"hi\"'"#,
            r#"proc.name in ("\d", '\e')"#,
        ]
    ));
}

#[test]
fn invalid_character() {
    insta::assert_snapshot!(failing(
        SyntaxErrorKind::InvalidCharacter,
        &["proc.name = x & proc.pname = y", "a | b", "a; b", "!a", "名前 = x", "a and é",]
    ));
}

#[test]
fn missing_blank() {
    insta::assert_snapshot!(failing(
        SyntaxErrorKind::MissingBlank,
        &[
            "proc.name contains\"x\"",
            "fd.name startswith/tmp",
            "fd.name glob*.log",
            "proc.name icontains'x'",
            "not\"x\"",
            "a and'x' = y",
        ]
    ));
}

#[test]
fn missing_operator() {
    insta::assert_snapshot!(failing(
        SyntaxErrorKind::MissingOperator,
        &[
            "proc.name",
            "proc.name bash",
            "proc.aname[2]",
            "(proc.name)",
            "proc.name and x",
            "spawned_process and proc.name or fd.name",
        ]
    ));
}

#[test]
fn unknown_transformer() {
    insta::assert_snapshot!(failing(
        SyntaxErrorKind::UnknownTransformer,
        &[
            "foo(proc.name) = x",
            "proc.name = foo(x)",
            "toLower(proc.name) = x",
            "proc.name(x) = y",
            "tolower(lower(proc.name)) = x",
        ]
    ));
}

#[test]
fn empty_list_item() {
    insta::assert_snapshot!(failing(
        SyntaxErrorKind::EmptyListItem,
        &[
            "proc.name in (a,,b)",
            "proc.name in (a,)",
            "proc.name in (,a)",
            "proc.name in (,)",
            "proc.name in (a, , ,b)",
            "proc.name startswith anyof (a,)",
        ]
    ));
}

#[test]
fn too_deep() {
    let parens = format!("{}a{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
    let nots = format!("{}a", "not ".repeat(MAX_DEPTH + 1));
    let calls = format!("{}proc.name{} = x", "tolower(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
    let mixed = format!("{}a", "not (".repeat(MAX_DEPTH));
    let mut out = String::new();
    for (name, t) in [("parens", &parens), ("nots", &nots), ("calls", &calls), ("mixed", &mixed)] {
        let p = parse_condition(t);
        assert!(p.expr.is_none());
        assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
        let e = &p.errors[0];
        assert_eq!(e.kind, SyntaxErrorKind::TooDeep);
        let at = &t[e.span.range()];
        out.push_str(&format!("{name}: {:?} at {}..{} `{at}`: {}\n", e.kind, e.span.start, e.span.end, e.message));
    }
    // Far past the limit, it is still one error and no stack overflow.
    let huge = "(".repeat(1_000_000);
    let p = parse_condition(&huge);
    assert_eq!(p.errors.len(), 1);
    let huge = "not ".repeat(1_000_000);
    assert_eq!(parse_condition(&huge).errors.len(), 1);
    insta::assert_snapshot!(out);
}

#[test]
fn empty() {
    insta::assert_snapshot!(failing(SyntaxErrorKind::Empty, &["", "   ", " \t\r\n\x08"]));
}

#[test]
fn every_error_in_one_pass() {
    // Independent mistakes in one condition are all reported, in source order.
    let t = "proc.name bash and fd.name in (a,,b) and proc.cmdline contains\"x\" and foo(x) = 1 \
             and evt.type = 'open and x";
    let p = parse_condition(t);
    let kinds: Vec<SyntaxErrorKind> = p.errors.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            SyntaxErrorKind::MissingOperator,
            SyntaxErrorKind::EmptyListItem,
            SyntaxErrorKind::MissingBlank,
            SyntaxErrorKind::UnknownTransformer,
            SyntaxErrorKind::UnterminatedString,
        ]
    );
    insta::assert_snapshot!(common::show(t, &p));
}

#[test]
fn spans_are_on_char_boundaries() {
    for t in ["é", "proc.name = é", "名前", "a and 名", "proc.name in (é,,ü)", "proc.env[é", "\"é"] {
        let p = parse_condition(t);
        for e in &p.errors {
            assert!(
                t.is_char_boundary(e.span.start as usize) && t.is_char_boundary(e.span.end as usize),
                "{t:?}: {e:?}"
            );
            assert!(t.get(e.span.range()).is_some());
        }
    }
}
