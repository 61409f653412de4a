//! `Display`: canonical text that parses back to the same tree (spans aside).

use crate::common;

use rulec_grammar::ast::{Expr, ExprKind, FieldArg, FieldRef, Ident, Literal};
use rulec_grammar::{Span, parse_condition};

fn canonical(t: &str) -> String {
    let p = parse_condition(t);
    assert!(p.errors.is_empty(), "{}", common::show(t, &p));
    let e = p.expr.expect("tree");
    common::assert_round_trip(t, &e);
    e.to_string()
}

#[test]
fn canonical_text() {
    let inputs = [
        "proc.name=bash",
        "proc.name==bash",
        "fd.num<3",
        "evt.type in(open,openat)",
        "not(a)and(b)",
        "a   and\n  b",
        "proc.name startswith anyof(a,b)",
        "proc.env['HOME']=x",
        "getopt(proc.args,'c:')[c]=x",
        "proc.name in ( )",
        r#"proc.cmdline = "a\"b\\c\/d\te\nf""#,
        r"proc.cmdline = 'it\'s'",
        r#"proc.args contains "\ ""#,
        "x = 'plain'",
        "concat(proc.name,'-',proc.pid)=a",
    ];
    let out: Vec<String> = inputs.iter().map(|t| format!("{t}\n=> {}", canonical(t))).collect();
    insta::assert_snapshot!(out.join("\n"));
}

fn lit(value: &str, quote: Option<char>) -> Literal {
    Literal { value: value.to_string(), quote, span: Span::default() }
}

fn expr(kind: ExprKind) -> Expr {
    Expr { kind, span: Span::default() }
}

fn mac(name: &str) -> Expr {
    expr(ExprKind::MacroRef(Ident { name: name.to_string(), span: Span::default() }))
}

#[test]
fn literals_are_quoted_when_they_must_be() {
    // Bare literals that could not be read back bare get quotes (and escapes).
    assert_eq!(lit("bash", None).to_string(), "bash");
    assert_eq!(lit("a b", None).to_string(), "\"a b\"");
    assert_eq!(lit("", None).to_string(), "\"\"");
    assert_eq!(lit("x=y", None).to_string(), "\"x=y\"");
    assert_eq!(lit("f(x)", None).to_string(), "\"f(x)\"");
    assert_eq!(lit("a,b", None).to_string(), "\"a,b\"");
    assert_eq!(lit("say \"hi\"", None).to_string(), r#""say \"hi\"""#);
    assert_eq!(lit("it's", Some('\'')).to_string(), r"'it\'s'");
    assert_eq!(lit("tab\there\\", Some('"')).to_string(), r#""tab\there\\""#);
    assert_eq!(lit("\u{8}\u{c}\r\n", Some('"')).to_string(), r#""\b\f\r\n""#);
    let arg = |v: &str, quoted| FieldArg { value: v.to_string(), span: Span::default(), quoted };
    let field =
        |a| FieldRef { name: "proc.env".into(), name_span: Span::default(), arg: Some(a), span: Span::default() };
    assert_eq!(field(arg("HOME", false)).to_string(), "proc.env[HOME]");
    assert_eq!(field(arg("HOME", true)).to_string(), "proc.env[\"HOME\"]");
    assert_eq!(field(arg("a b", false)).to_string(), "proc.env[\"a b\"]");
    assert_eq!(field(arg("a]", false)).to_string(), "proc.env[\"a]\"]");
}

#[test]
fn hand_built_trees_get_the_parentheses_they_need() {
    let or = expr(ExprKind::Or(vec![mac("a"), mac("b")]));
    let and = expr(ExprKind::And(vec![or.clone(), mac("c")]));
    assert_eq!(and.to_string(), "(a or b) and c");
    let not = expr(ExprKind::Not(Box::new(expr(ExprKind::And(vec![mac("a"), mac("b")])))));
    assert_eq!(not.to_string(), "not (a and b)");
    let nested_or = expr(ExprKind::Or(vec![mac("x"), or]));
    assert_eq!(nested_or.to_string(), "x or (a or b)");
    assert_eq!(expr(ExprKind::Not(Box::new(mac("a")))).to_string(), "not a");
    // An error node prints as something that cannot be mistaken for valid syntax.
    assert_eq!(expr(ExprKind::Error).to_string(), "<error>");
    assert!(!parse_condition(&expr(ExprKind::Error).to_string()).errors.is_empty());
}
