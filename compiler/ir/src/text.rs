//! The IR's text form: `impl Display for Program`, one item per line, in four sections (slots,
//! checks, nodes, rules). It is stable (no addresses, no locations, no hash-map order), so it is
//! what snapshot tests and `--emit-ir` show, and [`super::parse`] reads it back: everything but
//! check locations is printed (a rule's tags and source when it has any, an output value's text
//! as written when it is not `%` and the slot's own text).
//!
//! ```text
//! slots:
//!   s0 = proc.name
//!   s1 = tolower(s0)
//! checks:
//!   c0 = s0 in ("bash", "sh")
//!   c1 = s1 startswith anyof ("/tmp", "/var")
//! nodes:
//!   n0 = c0
//!   n1 = not n0
//!   n2 = and(n0, n1)
//! rules:
//!   r0 "Shell" Warning enabled root=n2 types=(execve, open)
//!      output: "shell " + s0 + " flags=" + s2 as "%evt.arg.flags"
//!      tags: ("shell", "mitre_execution")
//! ```

use std::fmt::{self, Display, Formatter, Write as _};

use super::Modifier;

use super::{Check, Const, DEFAULT_SOURCE, Node, OutputPiece, Program, Rule, Slot, SlotId, SlotInput, SlotOp, Test};
use super::{EventTypes, FieldArgValue};

impl Display for Program {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(f, "slots:")?;
        for (i, s) in self.slots.iter().enumerate() {
            writeln!(f, "  s{i} = {}", SlotText(s))?;
        }
        writeln!(f, "checks:")?;
        for (i, c) in self.checks.iter().enumerate() {
            writeln!(f, "  c{i} = {}", CheckText(c))?;
        }
        writeln!(f, "nodes:")?;
        for (i, n) in self.nodes.iter().enumerate() {
            writeln!(f, "  n{i} = {}", NodeText(n))?;
        }
        writeln!(f, "rules:")?;
        for (i, r) in self.rules.iter().enumerate() {
            write_rule(f, i, r, &self.slots)?;
        }
        Ok(())
    }
}

/// A slot: `proc.name`, `proc.aname[2]`, `evt.arg[flags]`, `tolower(s0)`, `getopt(s3, "c:")[c]`.
pub struct SlotText<'a>(pub &'a Slot);

impl Display for SlotText<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            Slot::Field { field, arg } => {
                f.write_str(field.name)?;
                match arg {
                    None => Ok(()),
                    Some(FieldArgValue::Index(i)) => write!(f, "[{i}]"),
                    Some(FieldArgValue::Key(k)) => write!(f, "[{}]", BracketText(k)),
                }
            }
            Slot::Transform { func, inputs, index, .. } => {
                write!(f, "{}(", func.as_str())?;
                for (i, input) in inputs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match input {
                        SlotInput::Slot(s) => write!(f, "s{}", s.0)?,
                        SlotInput::Literal(l) => write!(f, "{l:?}")?,
                    }
                }
                f.write_str(")")?;
                if let Some(ix) = index {
                    write!(f, "[{}]", BracketText(ix))?;
                }
                Ok(())
            }
        }
    }
}

/// A key in brackets: as it is, or quoted when it would read back as an index (`["2"]`) or
/// could not be read back at all.
struct BracketText<'a>(&'a str);

impl Display for BracketText<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let k = self.0;
        if k.parse::<i64>().is_ok() || k.starts_with('"') || k.contains(']') || k.trim() != k || k.is_empty() {
            write!(f, "{k:?}")
        } else {
            f.write_str(k)
        }
    }
}

/// How an output value is written by default: `%` and the slot with fields by name
/// (`%proc.name`, `%tolower(proc.cmdline)`). The text form prints `as "..."` only for other
/// spellings.
pub fn default_written(slots: &[Slot], id: SlotId) -> String {
    let mut out = String::from("%");
    name_form(slots, id, &mut out, 0);
    out
}

/// A slot with its inputs spelled out; bounded so that a malformed (cyclic) program cannot
/// recurse forever.
fn name_form(slots: &[Slot], id: SlotId, out: &mut String, depth: u32) {
    let Some(slot) = slots.get(id.0 as usize).filter(|_| depth < 32) else {
        let _ = write!(out, "s{}", id.0);
        return;
    };
    match slot {
        Slot::Field { .. } => {
            let _ = write!(out, "{}", SlotText(slot));
        }
        Slot::Transform { func, inputs, index, .. } => {
            out.push_str(func.as_str());
            out.push('(');
            for (i, input) in inputs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match input {
                    SlotInput::Slot(s) => name_form(slots, *s, out, depth + 1),
                    SlotInput::Literal(l) => {
                        let _ = write!(out, "{l:?}");
                    }
                }
            }
            out.push(')');
            if let Some(ix) = index {
                let _ = write!(out, "[{ix}]");
            }
        }
    }
}

/// A check: `s0 = "bash"`, `s2 exists`, `s1 contains anyof ("a", "b")`, `s0 = val(s4)`.
pub struct CheckText<'a>(pub &'a Check);

impl Display for CheckText<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let c = self.0;
        write!(f, "s{} ", c.slot.0)?;
        match &c.test {
            Test::Exists => f.write_str("exists"),
            Test::Compare { cmp, value } => write!(f, "{} {}", cmp.as_str(), ConstText(value)),
            Test::Str { op, pattern } => write!(f, "{} {}", op.as_str(), ConstText(pattern)),
            Test::StrMulti { op, modifier, patterns } => {
                write!(f, "{} {} ", op.as_str(), modifier_str(*modifier))?;
                write_list(f, patterns.iter().map(ConstText))
            }
            Test::In(xs) => {
                f.write_str("in ")?;
                write_list(f, xs.iter().map(ConstText))
            }
            Test::Intersects(xs) => {
                f.write_str("intersects ")?;
                write_list(f, xs.iter().map(ConstText))
            }
            Test::PMatch(xs) => {
                f.write_str("pmatch ")?;
                write_list(f, xs.iter().map(|s| format!("{s:?}")))
            }
            Test::CompareSlot { op, other } => {
                let op = match op {
                    SlotOp::Cmp(c) => c.as_str(),
                    SlotOp::Str(s) => s.as_str(),
                    SlotOp::PMatch => "pmatch",
                };
                write!(f, "{op} val(s{})", other.0)
            }
        }
    }
}

/// A constant: strings quoted with Rust escapes, signed integers plain, unsigned ones with a
/// `u` suffix (`80u`), doubles with a decimal point, bytes as `hex:…`, networks in CIDR form (an
/// address alone when the prefix is full).
pub struct ConstText<'a>(pub &'a Const);

impl Display for ConstText<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            Const::Int(i) => write!(f, "{i}"),
            Const::Uint(u) => write!(f, "{u}u"),
            Const::Double(d) => write!(f, "{d:?}"),
            Const::Bool(b) => write!(f, "{b}"),
            Const::Str(s) => write!(f, "{s:?}"),
            Const::Bytes(b) => {
                f.write_str("hex:")?;
                for byte in b {
                    write!(f, "{byte:02x}")?;
                }
                Ok(())
            }
            Const::Net { addr, prefix } => {
                let full = if addr.is_ipv4() { 32 } else { 128 };
                if *prefix == full { write!(f, "{addr}") } else { write!(f, "{addr}/{prefix}") }
            }
        }
    }
}

struct NodeText<'a>(&'a Node);

impl Display for NodeText<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let kids = |f: &mut Formatter<'_>, name: &str, xs: &[super::NodeId]| {
            write!(f, "{name}(")?;
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "n{}", x.0)?;
            }
            f.write_str(")")
        };
        match self.0 {
            Node::And(xs) => kids(f, "and", xs),
            Node::Or(xs) => kids(f, "or", xs),
            Node::Not(x) => write!(f, "not n{}", x.0),
            Node::Const(b) => write!(f, "{b}"),
            Node::Check(c) => write!(f, "c{}", c.0),
        }
    }
}

fn write_rule(f: &mut Formatter<'_>, i: usize, r: &Rule, slots: &[Slot]) -> fmt::Result {
    write!(
        f,
        "  r{i} {:?} {} {} root=n{} types=",
        r.name,
        r.priority.as_str(),
        if r.enabled { "enabled" } else { "disabled" },
        r.root.0
    )?;
    match &r.event_types {
        EventTypes::All => f.write_str("all")?,
        EventTypes::Some(names) => {
            f.write_str("(")?;
            f.write_str(&names.iter().map(String::as_str).collect::<Vec<_>>().join(", "))?;
            f.write_str(")")?;
        }
    }
    writeln!(f)?;
    let mut out = String::new();
    for (k, piece) in r.output.iter().enumerate() {
        if k > 0 {
            out.push_str(" + ");
        }
        match piece {
            OutputPiece::Text(t) => {
                let _ = write!(out, "{t:?}");
            }
            OutputPiece::Slot { slot, written } => {
                let _ = write!(out, "s{}", slot.0);
                if *written != default_written(slots, *slot) {
                    let _ = write!(out, " as {written:?}");
                }
            }
        }
    }
    writeln!(f, "     output: {out}")?;
    if !r.tags.is_empty() {
        f.write_str("     tags: ")?;
        write_list(f, r.tags.iter().map(|t| format!("{t:?}")))?;
        writeln!(f)?;
    }
    if r.source != DEFAULT_SOURCE {
        writeln!(f, "     source: {:?}", r.source)?;
    }
    Ok(())
}

fn write_list<T: Display>(f: &mut Formatter<'_>, items: impl Iterator<Item = T>) -> fmt::Result {
    f.write_str("(")?;
    for (i, x) in items.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{x}")?;
    }
    f.write_str(")")
}

fn modifier_str(m: Modifier) -> &'static str {
    m.as_str()
}
