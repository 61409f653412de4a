//! What the parser accepts, and the tree it builds: operators, modifiers, transformers, field
//! arguments, values, lists, spacing rules and precedence. Every input here must parse cleanly
//! (checked before the snapshot, so a snapshot can never bless an error by accident).

use crate::common;

use rulec_grammar::ast::Op;
use rulec_grammar::parse_condition;

/// Renders the inputs after checking that none has an error, and that each round-trips
/// through `Display`.
fn clean(inputs: &[&str]) -> String {
    for t in inputs {
        let p = parse_condition(t);
        assert!(p.errors.is_empty(), "{}", common::show(t, &p));
        common::assert_round_trip(t, p.expr.as_ref().expect("a tree"));
    }
    common::show_all(inputs)
}

#[test]
fn every_operator() {
    // Each of the 19 operators once; `==` is `=`.
    let inputs = [
        "proc.name exists",
        "proc.name = bash",
        "proc.name == bash",
        "proc.name != bash",
        "fd.num < 3",
        "fd.num <= 3",
        "fd.num > 3",
        "fd.num >= 0x10",
        "proc.cmdline contains -e",
        "proc.cmdline icontains PASSWD",
        "evt.buffer bcontains cafebabe",
        "fd.name startswith /etc/",
        "evt.buffer bstartswith 7f454c46",
        "fd.name endswith .log",
        "fd.name glob /home/*/.ssh/*",
        "fd.name iglob *.PEM",
        "proc.name regex '[a-z]+sh'",
        "evt.type in (open, openat)",
        "proc.args intersects (-V, -l)",
        "fd.name pmatch (/tmp, /var/tmp)",
    ];
    let covered: std::collections::BTreeSet<Op> = inputs
        .iter()
        .flat_map(|t| parse_condition(t).expr.into_iter())
        .flat_map(|e| e.checks().into_iter().map(|c| c.op.node).collect::<Vec<_>>())
        .collect();
    assert_eq!(covered.len(), Op::ALL.len(), "every operator is covered");
    insta::assert_snapshot!(clean(&inputs));
}

#[test]
fn operators_glued_to_operands() {
    // Symbolic operators and `in intersects pmatch exists` need no blanks.
    insta::assert_snapshot!(clean(&[
        "fd.num<3",
        "fd.num>=0",
        "proc.name!=bash",
        "fd.name=*.log",
        "proc.name==bash",
        "evt.type in(open,close)",
        "proc.args intersects(-V)",
        "fd.name pmatch(/tmp)",
        "(proc.name exists)",
        "proc.aname[2]=sshd",
        "fd.name=/etc/passwd",
    ]));
}

#[test]
fn modifiers_take_a_list() {
    insta::assert_snapshot!(clean(&[
        "proc.name startswith anyof (ba, zs)",
        "proc.name = oneof (bash, sh)",
        "proc.name == allof(a)",
        "proc.name != anyof ()",
        "fd.name glob allof ('/tmp/*', \"*.sh\")",
        "proc.cmdline contains oneof (-e, -c)",
        "proc.name regex anyof ('a.*', 'b.*')",
        // Without a list after it, a modifier word is a plain value, as in Falco.
        "proc.name = anyof",
        "proc.name = oneof and proc.pname = allof",
    ]));
}

#[test]
fn transformers_on_both_sides() {
    insta::assert_snapshot!(clean(&[
        "tolower(proc.name) = bash",
        "toupper(proc.name) startswith BA",
        "b64(evt.buffer) contains secret",
        "basename(proc.exepath) = bash",
        "len(proc.args) > 3",
        "proc.name = val(proc.pname)",
        "tolower(proc.name) = tolower(val(proc.pname))",
        "join(\",\", proc.args) contains -e",
        "concat(proc.name, \"-\", proc.pname) = a-b",
        "getopt(proc.args, \"c:\")[c] contains curl",
        "getopt(proc.args, 'c:')[\"c\"] exists",
        "toupper(tolower(basename(proc.exepath))) in (BASH, SH)",
        "len( proc.args ) >= 1",
    ]));
}

#[test]
fn field_argument_forms() {
    insta::assert_snapshot!(clean(&[
        "proc.aname[2] = sshd",
        "proc.env[HOME] = /root",
        "proc.env[\"HOME\"] = /root",
        "proc.env['HOME'] exists",
        "container.mount.dest[/proc*] != \"\"",
        "evt.arg.flags contains O_TRUNC",
        "evt.arg[1] = 3",
        "evt.rawarg.res < 0",
        "k8s.pod.label[app.kubernetes.io/name] = nginx",
        "proc.aexe[1] endswith /sh",
    ]));
}

#[test]
fn values_bare_and_quoted() {
    insta::assert_snapshot!(clean(&[
        // Bare strings hold `/ * . - : < > ! [ ]` and stop at blanks, `(`, `)`, `,`, `=` and quotes.
        "fd.name = /etc/[a-z]*.conf",
        "fd.name = <NA>",
        "proc.cmdline = a:b!c>d<e",
        "fd.sip = 10.0.0.0/8",
        "proc.pid = -1",
        "(proc.name=bash)",
        // A field-looking value is the string, not the field.
        "proc.name = proc.pname",
        // Keywords are values after an operator.
        "proc.name = and",
        "proc.name = not or proc.name = or",
        // Quotes and escapes.
        "proc.cmdline = \"sh -c 'ls'\"",
        "proc.cmdline = 'say \"hi\"'",
        r#"proc.cmdline = "a\"b\\c\/d\te\nf\rg\bh\fi""#,
        r"proc.cmdline = 'it\'s'",
        // Falco's legacy `\ ` stands for a backslash.
        r#"proc.args contains "\ ""#,
        "proc.name = \"\"",
        "proc.name = 'name with (parens), commas = and blanks'",
        "proc.name = \"naïve 名前\"",
    ]));
}

#[test]
fn list_literals() {
    insta::assert_snapshot!(clean(&[
        "proc.name in (a, \"b c\", 'd', 1)",
        "proc.name in ()",
        "proc.name in ( )",
        "proc.name in (\"a,b\", 'c)d')",
        "proc.name in (shell_binaries)",
        "proc.name in (a,b,c)",
        "fd.name in (\n  /etc/passwd,\n  /etc/shadow\n)",
    ]));
}

#[test]
fn macros_and_fields() {
    insta::assert_snapshot!(clean(
        &["spawned_process", "open_write and not proc_is_new", "(never_true)", "a_1 or _b",]
    ));
}

#[test]
fn spacing_rules() {
    insta::assert_snapshot!(clean(&[
        "not(a)",
        "not (a)",
        "a and(b)",
        "(a)and(b)",
        "(a)or(b)",
        "not not a",
        "a\tand\nb\rand\x08c",
        "  a  ",
        // Glued letters make one word: a field named `notproc.name`, not `not proc.name`.
        "notproc.name = x",
        "anda",
    ]));
}

#[test]
fn precedence_not_and_or() {
    insta::assert_snapshot!(clean(&[
        "a or b and c",
        "a and b or c",
        "not a and b",
        "not a or not b and c",
        "a or b or c and d and e or f",
        "(a or b) and c",
        "a and (b or c) and d",
        "not (a and b)",
        "a and b and (c and d)",
    ]));
}

#[test]
fn and_or_runs_are_flat() {
    let p = parse_condition("a and b and c and d or e or f");
    let e = p.expr.expect("tree");
    let rulec_grammar::ast::ExprKind::Or(xs) = &e.kind else { panic!("an Or at the top") };
    assert_eq!(xs.len(), 3);
    let rulec_grammar::ast::ExprKind::And(ys) = &xs[0].kind else { panic!("an And first") };
    assert_eq!(ys.len(), 4);
}

#[test]
fn deep_nesting_within_the_limit() {
    let depth = rulec_grammar::MAX_DEPTH;
    let parens = format!("{}a{}", "(".repeat(depth), ")".repeat(depth));
    let nots = format!("{}a", "not ".repeat(depth));
    let calls = format!("{}proc.name{} = x", "tolower(".repeat(depth - 1), ")".repeat(depth - 1));
    let mixed = format!("{}a{}", "not (".repeat(depth / 2), ")".repeat(depth / 2));
    for t in [&parens, &nots, &calls, &mixed] {
        let p = parse_condition(t);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let e = p.expr.expect("tree");
        common::assert_round_trip(t, &e);
    }
}

#[test]
fn long_flat_conditions_are_fine() {
    // Long runs are flat vectors, not deep trees: no depth limit applies.
    let t = (0..20_000).map(|i| format!("m{i}")).collect::<Vec<_>>().join(" and ");
    let p = parse_condition(&t);
    assert!(p.errors.is_empty());
    let list = format!("evt.type in ({})", (0..20_000).map(|i| format!("e{i}")).collect::<Vec<_>>().join(", "));
    assert!(parse_condition(&list).errors.is_empty());
}
