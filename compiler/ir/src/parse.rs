//! The parser of the IR's text form ([`super::text`]): the inverse of `Display for Program`, so
//! that programs can be written by hand (the `.ir` case files) and printed programs read back.
//!
//! It reads exactly what the printer writes: four sections (`slots:`, `checks:`, `nodes:`,
//! `rules:`), one item per line, ids in order from zero; a rule's `output:`, `tags:` and
//! `source:` lines follow it. Blank lines and lines starting with `;` are skipped. What the text
//! does not hold gets a default: checks have no location (`Location::default()`), a transformer's
//! type follows from its function and inputs (as the checker computes it).
//!
//! Errors say `line:col` (1-based, columns in chars) and what was expected; the parser never
//! panics, whatever the input. It checks syntax and ids, not meaning: run the verifier on the
//! result (`verify::verify`) for that.

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;

use rulec_schema::{FieldType, schema};

use super::{
    Check, CheckId, Cmp, Const, DEFAULT_SOURCE, EventTypes, FieldArgValue, Location, Modifier, Node, NodeId,
    OutputPiece, Priority, Program, Rule, Slot, SlotId, SlotInput, SlotOp, StrOp, Test, Transformer,
};

/// Where and why the text is not a program.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in chars.
    pub col: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Reads a program from its text form.
pub fn parse(text: &str) -> Result<Program, ParseError> {
    let mut p = Program::default();
    let mut section: Option<Section> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with(';') {
            continue;
        }
        let mut c = Cursor::new(raw, line_no);
        c.skip_ws();
        if let Some(s) = Section::header(trimmed) {
            section = Some(s);
            continue;
        }
        match section {
            None => return Err(c.error("expected a section header (`slots:`, `checks:`, `nodes:` or `rules:`)")),
            Some(Section::Slots) => {
                c.item_id('s', p.slots.len())?;
                let slot = slot(&mut c, &p)?;
                c.end()?;
                p.slots.push(slot);
            }
            Some(Section::Checks) => {
                c.item_id('c', p.checks.len())?;
                let check = check(&mut c)?;
                c.end()?;
                p.checks.push(check);
            }
            Some(Section::Nodes) => {
                c.item_id('n', p.nodes.len())?;
                let node = node(&mut c)?;
                c.end()?;
                p.nodes.push(node);
            }
            Some(Section::Rules) => {
                if c.peek() == Some('r') {
                    c.item_id_no_eq('r', p.rules.len())?;
                    let rule = rule_header(&mut c)?;
                    c.end()?;
                    p.rules.push(rule);
                } else {
                    let Program { slots, rules, .. } = &mut p;
                    let Some(rule) = rules.last_mut() else {
                        return Err(c.error("expected a rule (`r0 \"name\" ...`)"));
                    };
                    rule_detail(&mut c, rule, slots)?;
                    c.end()?;
                }
            }
        }
    }
    Ok(p)
}

/// Reads one constant at the start of `text` (spaces before it allowed), as the text form writes
/// it; returns it with the number of bytes read. For tools that write values next to programs
/// (the `.ir` case files' events).
pub fn constant(text: &str) -> Result<(Const, usize), ParseError> {
    let mut c = Cursor::new(text, 1);
    let k = konst(&mut c)?;
    let bytes = c.chars[..c.pos].iter().map(|ch| ch.len_utf8()).sum();
    Ok((k, bytes))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Section {
    Slots,
    Checks,
    Nodes,
    Rules,
}

impl Section {
    fn header(line: &str) -> Option<Section> {
        Some(match line {
            "slots:" => Section::Slots,
            "checks:" => Section::Checks,
            "nodes:" => Section::Nodes,
            "rules:" => Section::Rules,
            _ => return None,
        })
    }
}

/// A position in one line.
struct Cursor {
    chars: Vec<char>,
    pos: usize,
    line: usize,
}

impl Cursor {
    fn new(text: &str, line: usize) -> Cursor {
        Cursor { chars: text.chars().collect(), pos: 0, line }
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError { line: self.line, col: self.pos + 1, message: message.into() }
    }

    fn error_at(&self, pos: usize, message: impl Into<String>) -> ParseError {
        ParseError { line: self.line, col: pos + 1, message: message.into() }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn rest_starts_with(&self, s: &str) -> bool {
        (self.pos..).zip(s.chars()).all(|(i, ch)| self.chars.get(i) == Some(&ch))
    }

    /// Skips spaces, then eats `s` if it is next.
    fn eat(&mut self, s: &str) -> bool {
        self.skip_ws();
        if self.rest_starts_with(s) {
            self.pos += s.chars().count();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, s: &str) -> Result<(), ParseError> {
        if self.eat(s) { Ok(()) } else { Err(self.error(format!("expected `{s}`"))) }
    }

    /// The end of the line (spaces allowed).
    fn end(&mut self) -> Result<(), ParseError> {
        self.skip_ws();
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("unexpected text at the end of the line")),
        }
    }

    /// A word of letters, digits and `_ . - : /` (field names, event names, numbers, addresses).
    fn word(&mut self) -> String {
        self.skip_ws();
        let start = self.pos;
        while self.peek().is_some_and(|ch| ch.is_alphanumeric() || matches!(ch, '_' | '.' | '-' | ':' | '/')) {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    /// `<prefix><n>`, an id of the given kind; returns `n`.
    fn id(&mut self, prefix: char) -> Result<u32, ParseError> {
        self.skip_ws();
        let start = self.pos;
        if self.peek() != Some(prefix) {
            return Err(self.error(format!("expected an id `{prefix}N`")));
        }
        self.pos += 1;
        let digits_start = self.pos;
        while self.peek().is_some_and(|ch| ch.is_ascii_digit()) {
            self.pos += 1;
        }
        let digits: String = self.chars[digits_start..self.pos].iter().collect();
        digits.parse::<u32>().map_err(|_| self.error_at(start, format!("expected an id `{prefix}N`")))
    }

    /// `<prefix><n> =` at the start of an item, where `n` must be `want` (ids are in order).
    fn item_id(&mut self, prefix: char, want: usize) -> Result<(), ParseError> {
        self.item_id_no_eq(prefix, want)?;
        self.expect("=")
    }

    fn item_id_no_eq(&mut self, prefix: char, want: usize) -> Result<(), ParseError> {
        self.skip_ws();
        let start = self.pos;
        let n = self.id(prefix)?;
        if n as usize != want {
            return Err(self.error_at(start, format!("expected `{prefix}{want}` (ids are numbered in order from 0)")));
        }
        Ok(())
    }

    /// A string literal with Rust's escapes, as `{:?}` prints it.
    fn string(&mut self) -> Result<String, ParseError> {
        self.skip_ws();
        let start = self.pos;
        if self.peek() != Some('"') {
            return Err(self.error("expected a string in double quotes"));
        }
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(ch) = self.peek() else {
                return Err(self.error_at(start, "unterminated string"));
            };
            self.pos += 1;
            match ch {
                '"' => return Ok(out),
                '\\' => {
                    let esc_at = self.pos - 1;
                    let Some(e) = self.peek() else {
                        return Err(self.error_at(start, "unterminated string"));
                    };
                    self.pos += 1;
                    match e {
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        '0' => out.push('\0'),
                        '\\' | '"' | '\'' => out.push(e),
                        'u' => {
                            if self.peek() != Some('{') {
                                return Err(self.error_at(esc_at, "expected `\\u{HEX}`"));
                            }
                            self.pos += 1;
                            let hex_start = self.pos;
                            while self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                                self.pos += 1;
                            }
                            let hex: String = self.chars[hex_start..self.pos].iter().collect();
                            if self.peek() != Some('}') {
                                return Err(self.error_at(esc_at, "expected `\\u{HEX}`"));
                            }
                            self.pos += 1;
                            match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                                Some(c) => out.push(c),
                                None => return Err(self.error_at(esc_at, format!("`\\u{{{hex}}}` is not a char"))),
                            }
                        }
                        other => return Err(self.error_at(esc_at, format!("unknown escape `\\{other}`"))),
                    }
                }
                c => out.push(c),
            }
        }
    }

    /// `(item, item, ...)`, possibly empty.
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Result<T, ParseError>) -> Result<Vec<T>, ParseError> {
        self.expect("(")?;
        let mut out = Vec::new();
        if self.eat(")") {
            return Ok(out);
        }
        loop {
            out.push(item(self)?);
            if self.eat(")") {
                return Ok(out);
            }
            self.expect(",")?;
        }
    }
}

/// A slot: `proc.name`, `proc.aname[2]`, `evt.arg[flags]`, `tolower(s0)`, `getopt(s3, "c:")[c]`.
fn slot(c: &mut Cursor, p: &Program) -> Result<Slot, ParseError> {
    c.skip_ws();
    let start = c.pos;
    let name = c.word();
    if name.is_empty() {
        return Err(c.error("expected a field or a transformer"));
    }
    if c.peek() == Some('(') {
        let Some(func) = Transformer::from_str(&name) else {
            return Err(c.error_at(start, format!("unknown transformer `{name}`")));
        };
        let inputs = c.list(|c| {
            c.skip_ws();
            if c.peek() == Some('"') {
                c.string().map(SlotInput::Literal)
            } else {
                c.id('s').map(|n| SlotInput::Slot(SlotId(n)))
            }
        })?;
        let index = if c.peek() == Some('[') { Some(bracket(c)?) } else { None };
        let (ty, is_list) = transform_type(func, &inputs, p);
        return Ok(Slot::Transform { func, inputs, index, ty, is_list });
    }
    let Some(field) = schema().field(&name) else {
        return Err(c.error_at(start, format!("unknown field `{name}`")));
    };
    let arg = if c.peek() == Some('[') {
        let quoted = c.chars.get(c.pos + 1) == Some(&'"');
        let text = bracket(c)?;
        match text.parse::<i64>() {
            Ok(i) if !quoted => Some(FieldArgValue::Index(i)),
            _ => Some(FieldArgValue::Key(text)),
        }
    } else {
        None
    };
    Ok(Slot::Field { field, arg })
}

/// `[text]` or `["text"]` (quoted when the text would otherwise read as a number or hold `]`).
fn bracket(c: &mut Cursor) -> Result<String, ParseError> {
    c.expect("[")?;
    if c.peek() == Some('"') {
        let s = c.string()?;
        c.expect("]")?;
        return Ok(s);
    }
    let start = c.pos;
    while c.peek().is_some_and(|ch| ch != ']') {
        c.pos += 1;
    }
    if c.peek() != Some(']') {
        return Err(c.error_at(start, "expected `]`"));
    }
    let text: String = c.chars[start..c.pos].iter().collect();
    c.pos += 1;
    Ok(text)
}

/// A transformer's value type and whether it is a list, from its inputs: the checker's rules
/// (`len` counts, `val` is its field, every other transformer makes a string).
fn transform_type(func: Transformer, inputs: &[SlotInput], p: &Program) -> (FieldType, bool) {
    match func {
        Transformer::Len => (FieldType::Uint64, false),
        Transformer::Val => match inputs.first() {
            Some(SlotInput::Slot(s)) => {
                p.slots.get(s.0 as usize).map_or((FieldType::CharBuf, false), |s| (s.ty(), s.is_list()))
            }
            _ => (FieldType::CharBuf, false),
        },
        _ => (FieldType::CharBuf, false),
    }
}

/// The operator after a check's slot: a symbol (`=`, `!=`, `<`, ...) or a word.
fn operator(c: &mut Cursor) -> Result<(usize, String), ParseError> {
    c.skip_ws();
    let start = c.pos;
    while c.peek().is_some_and(|ch| matches!(ch, '=' | '!' | '<' | '>')) {
        c.pos += 1;
    }
    if c.pos > start {
        return Ok((start, c.chars[start..c.pos].iter().collect()));
    }
    let w = c.word();
    if w.is_empty() {
        return Err(c.error("expected an operator"));
    }
    Ok((start, w))
}

/// A check: `s0 = "bash"`, `s2 exists`, `s1 contains anyof ("a", "b")`, `s0 = val(s4)`.
fn check(c: &mut Cursor) -> Result<Check, ParseError> {
    let slot = SlotId(c.id('s')?);
    let (op_at, op) = operator(c)?;
    let cmp = Cmp::from_symbol(&op);
    let str_op = StrOp::from_word(&op);
    let test = match op.as_str() {
        "exists" => Test::Exists,
        "in" => Test::In(c.list(konst)?),
        "intersects" => Test::Intersects(c.list(konst)?),
        "pmatch" if c.eat("val(") => {
            let other = SlotId(c.id('s')?);
            c.expect(")")?;
            return Ok(Check {
                slot,
                test: Test::CompareSlot { op: SlotOp::PMatch, other },
                location: Location::default(),
            });
        }
        "pmatch" => Test::PMatch(c.list(Cursor::string)?),
        _ if cmp.is_none() && str_op.is_none() => {
            return Err(c.error_at(op_at, format!("unknown operator `{op}`")));
        }
        _ => {
            if c.eat("val(") {
                let other = SlotId(c.id('s')?);
                c.expect(")")?;
                // `=` and `!=` between slots are comparisons (lowering never makes the string form).
                let op = match (cmp, str_op) {
                    (Some(cmp), _) => SlotOp::Cmp(cmp),
                    (None, Some(s)) => SlotOp::Str(s),
                    (None, None) => return Err(c.error_at(op_at, format!("unknown operator `{op}`"))),
                };
                return Ok(Check { slot, test: Test::CompareSlot { op, other }, location: Location::default() });
            }
            c.skip_ws();
            let save = c.pos;
            let m = c.word();
            if let Some(m) = Modifier::from_str(&m) {
                // `=` and `!=` take modifiers as string operators.
                let Some(op) = str_op.or_else(|| cmp.and_then(|cmp| StrOp::from_op(cmp.op()))) else {
                    return Err(c.error_at(op_at, format!("`{op}` takes no modifier")));
                };
                Test::StrMulti { op, modifier: m, patterns: c.list(konst)? }
            } else {
                c.pos = save;
                let value = konst(c)?;
                match (cmp, str_op) {
                    (Some(cmp), _) => Test::Compare { cmp, value },
                    (None, Some(op)) => Test::Str { op, pattern: value },
                    (None, None) => return Err(c.error_at(op_at, format!("unknown operator `{op}`"))),
                }
            }
        }
    };
    Ok(Check { slot, test, location: Location::default() })
}

/// A constant (see [`super::text::ConstText`]): `"text"`, `-3`, `80u`, `1.5`, `true`,
/// `hex:00ff`, `10.0.0.1`, `10.0.0.0/8`, `::1`.
fn konst(c: &mut Cursor) -> Result<Const, ParseError> {
    c.skip_ws();
    if c.peek() == Some('"') {
        return c.string().map(Const::Str);
    }
    let start = c.pos;
    let w = c.word();
    if w.is_empty() {
        return Err(c.error("expected a constant"));
    }
    let bad = |c: &Cursor| c.error_at(start, format!("`{w}` is not a constant"));
    if let Some(hex) = w.strip_prefix("hex:") {
        if hex.len() % 2 != 0 || !hex.chars().all(|ch| ch.is_ascii_hexdigit()) {
            return Err(bad(c));
        }
        let bytes = (0..hex.len()).step_by(2).filter_map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect();
        return Ok(Const::Bytes(bytes));
    }
    match w.as_str() {
        "true" => return Ok(Const::Bool(true)),
        "false" => return Ok(Const::Bool(false)),
        _ => {}
    }
    let (addr, prefix) = match w.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (w.as_str(), None),
    };
    if let Ok(addr) = addr.parse::<IpAddr>() {
        let full = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => full,
            Some(p) => match p.parse::<u8>() {
                Ok(p) if p <= full => p,
                _ => return Err(c.error_at(start, format!("bad network prefix in `{w}`"))),
            },
        };
        return Ok(Const::Net { addr, prefix });
    }
    if let Some(u) = w.strip_suffix('u')
        && let Ok(u) = u.parse::<u64>()
    {
        return Ok(Const::Uint(u));
    }
    if let Ok(i) = w.parse::<i64>() {
        return Ok(Const::Int(i));
    }
    let is_double = w.contains(['.', 'e', 'E']) || matches!(w.as_str(), "inf" | "-inf" | "NaN");
    if is_double && let Ok(d) = w.parse::<f64>() {
        return Ok(Const::Double(d));
    }
    Err(bad(c))
}

/// A node: `c0`, `not n1`, `and(n0, n1)`, `or(n2, n3)`, `true`, `false`.
fn node(c: &mut Cursor) -> Result<Node, ParseError> {
    c.skip_ws();
    if c.peek() == Some('c') && c.chars.get(c.pos + 1).is_some_and(char::is_ascii_digit) {
        return Ok(Node::Check(CheckId(c.id('c')?)));
    }
    let start = c.pos;
    let w = c.word();
    match w.as_str() {
        "true" => Ok(Node::Const(true)),
        "false" => Ok(Node::Const(false)),
        "not" => Ok(Node::Not(NodeId(c.id('n')?))),
        "and" => Ok(Node::And(c.list(|c| c.id('n').map(NodeId))?)),
        "or" => Ok(Node::Or(c.list(|c| c.id('n').map(NodeId))?)),
        _ => Err(c.error_at(start, "expected a node: `cN`, `not nN`, `and(...)`, `or(...)`, `true` or `false`")),
    }
}

/// `"name" Priority enabled|disabled root=nN types=all|(a, b)` (after `rN`).
fn rule_header(c: &mut Cursor) -> Result<Rule, ParseError> {
    let name = c.string()?;
    c.skip_ws();
    let at = c.pos;
    let prio = c.word();
    let Some(priority) = Priority::parse(&prio) else {
        return Err(c.error_at(at, format!("unknown priority `{prio}`")));
    };
    c.skip_ws();
    let at = c.pos;
    let enabled = match c.word().as_str() {
        "enabled" => true,
        "disabled" => false,
        _ => return Err(c.error_at(at, "expected `enabled` or `disabled`")),
    };
    c.expect("root=")?;
    let root = NodeId(c.id('n')?);
    c.expect("types=")?;
    let event_types = if c.eat("all") {
        EventTypes::All
    } else {
        let names = c.list(|c| {
            let at = c.pos;
            let w = c.word();
            if w.is_empty() { Err(c.error_at(at, "expected an event name")) } else { Ok(w) }
        })?;
        EventTypes::Some(names.into_iter().collect::<BTreeSet<_>>())
    };
    Ok(Rule {
        name,
        priority,
        enabled,
        root,
        event_types,
        output: Vec::new(),
        source: DEFAULT_SOURCE.to_owned(),
        tags: Vec::new(),
    })
}

/// A line under a rule: `output: "text " + s0 + s1 as "%evt.arg.flags"`, `tags: ("a", "b")` or
/// `source: "k8s_audit"`.
fn rule_detail(c: &mut Cursor, rule: &mut Rule, slots: &[Slot]) -> Result<(), ParseError> {
    if c.eat("output:") {
        c.skip_ws();
        if c.peek().is_none() {
            return Ok(());
        }
        loop {
            c.skip_ws();
            if c.peek() == Some('"') {
                rule.output.push(OutputPiece::Text(c.string()?));
            } else {
                let slot = SlotId(c.id('s')?);
                // The name as written defaults to the slot's own text; `as` says otherwise.
                let written = if c.eat("as ") { c.string()? } else { super::text::default_written(slots, slot) };
                rule.output.push(OutputPiece::Slot { slot, written });
            }
            if !c.eat("+") {
                return Ok(());
            }
        }
    }
    if c.eat("tags:") {
        rule.tags = c.list(Cursor::string)?;
        return Ok(());
    }
    if c.eat("source:") {
        rule.source = c.string()?;
        return Ok(());
    }
    Err(c.error("expected `rN`, `output:`, `tags:` or `source:`"))
}
