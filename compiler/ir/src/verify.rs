//! The IR verifier: the invariants both backends rely on. A failure is a bug in rulec (in
//! lowering or in an optimisation pass), never a user error, so messages name ids rather than
//! source positions.
//!
//! Invariants:
//! * every slot, check and node id is in range;
//! * a transformer's input slots, and a node's children, have smaller ids than their user (so
//!   slots compute bottom-up and the node arena is acyclic);
//! * constants have the shape of their slot's type (integers for integer slots, `Net` for IP
//!   slots, `Bytes` for byte buffers and `bcontains`/`bstartswith`, ...), regexes compile and
//!   operators fit the type (no ordering on IPs, no string operator on numbers, only
//!   `in`/`intersects`/`exists` on list slots);
//! * `val()` comparisons relate compatible types;
//! * every rule's root and output slots exist.

use super::{Check, Cmp, Const, Node, Program, Slot, SlotId, SlotInput, SlotOp, StrOp, Test};
use rulec_schema::{FieldType, Rhs};

/// Checks the invariants of `p`; `Err` lists every violation found.
pub fn verify(p: &Program) -> Result<(), Vec<String>> {
    let mut errs = Vec::new();
    let nslots = p.slots.len();
    for (i, s) in p.slots.iter().enumerate() {
        if let Slot::Transform { inputs, .. } = s {
            for input in inputs {
                if let SlotInput::Slot(id) = input
                    && id.0 as usize >= i
                {
                    errs.push(format!("slot s{i}: input s{} is not an earlier slot", id.0));
                }
            }
        }
    }
    for (i, c) in p.checks.iter().enumerate() {
        verify_check(p, i, c, &mut errs);
    }
    for (i, n) in p.nodes.iter().enumerate() {
        let kids: &[super::NodeId] = match n {
            Node::And(xs) | Node::Or(xs) => xs,
            Node::Not(x) => std::slice::from_ref(x),
            Node::Check(c) => {
                if c.0 as usize >= p.checks.len() {
                    errs.push(format!("node n{i}: check c{} out of range", c.0));
                }
                &[]
            }
            Node::Const(_) => &[],
        };
        for k in kids {
            if k.0 as usize >= i {
                errs.push(format!("node n{i}: child n{} is not an earlier node", k.0));
            }
        }
    }
    for (i, r) in p.rules.iter().enumerate() {
        if r.root.0 as usize >= p.nodes.len() {
            errs.push(format!("rule r{i} ({}): root n{} out of range", r.name, r.root.0));
        }
        for piece in &r.output {
            if let super::OutputPiece::Slot { slot, .. } = piece
                && slot.0 as usize >= nslots
            {
                errs.push(format!("rule r{i} ({}): output slot s{} out of range", r.name, slot.0));
            }
        }
    }
    if errs.is_empty() { Ok(()) } else { Err(errs) }
}

/// The value domain of a slot type, as far as constants are concerned.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Domain {
    Signed,
    Unsigned,
    Double,
    Bool,
    Str,
    Bytes,
    Ip,
    /// `evt.rawarg`: the parameter's type is only known per event.
    Dyn,
}

fn domain(ty: FieldType) -> Domain {
    match ty.int_signedness() {
        Some(true) => return Domain::Signed,
        Some(false) => return Domain::Unsigned,
        None => {}
    }
    match ty {
        FieldType::Double => Domain::Double,
        FieldType::Bool => Domain::Bool,
        FieldType::CharBuf => Domain::Str,
        FieldType::ByteBuf => Domain::Bytes,
        FieldType::IpAddr | FieldType::IpNet => Domain::Ip,
        FieldType::Dyn => Domain::Dyn,
        // The integer types were answered above by the schema's one signedness table.
        _ => Domain::Unsigned,
    }
}

fn is_numeric(d: Domain) -> bool {
    matches!(d, Domain::Signed | Domain::Unsigned | Domain::Double)
}

/// Whether a constant fits a domain (for `=`, `in` and friends).
fn const_fits(d: Domain, k: &Const) -> bool {
    matches!(
        (d, k),
        (Domain::Signed, Const::Int(_))
            | (Domain::Unsigned, Const::Uint(_))
            | (Domain::Double, Const::Double(_))
            | (Domain::Bool, Const::Bool(_))
            | (Domain::Str, Const::Str(_))
            | (Domain::Bytes, Const::Bytes(_))
            | (Domain::Ip, Const::Net { .. })
            | (Domain::Dyn, Const::Int(_) | Const::Str(_))
    ) && net_ok(k)
}

fn net_ok(k: &Const) -> bool {
    match k {
        Const::Net { addr, prefix } => *prefix <= if addr.is_ipv4() { 32 } else { 128 },
        _ => true,
    }
}

/// Whether a pattern fits a string operator on a slot of domain `d`.
fn pattern_fits(d: Domain, op: StrOp, k: &Const) -> Result<(), String> {
    let ok = match op.def().rhs {
        Rhs::Hex => matches!(d, Domain::Bytes | Domain::Dyn) && matches!(k, Const::Bytes(_)),
        Rhs::Glob | Rhs::Regex => matches!(d, Domain::Str | Domain::Dyn) && matches!(k, Const::Str(_)),
        Rhs::Typed | Rhs::Text | Rhs::Nothing => match d {
            Domain::Str | Domain::Dyn => matches!(k, Const::Str(_)),
            Domain::Bytes => matches!(k, Const::Bytes(_)),
            _ => false,
        },
    };
    if !ok {
        return Err(format!("{op:?} with {k:?} on a {d:?} slot"));
    }
    if let (Rhs::Regex, Const::Str(re)) = (op.def().rhs, k)
        && let Err(e) = regex::Regex::new(&format!("^(?:{re})$"))
    {
        return Err(format!("regex {re:?} does not compile: {e}"));
    }
    Ok(())
}

fn slot_ok(p: &Program, id: SlotId) -> Option<&Slot> {
    p.slots.get(id.0 as usize)
}

fn verify_check(p: &Program, i: usize, c: &Check, errs: &mut Vec<String>) {
    let Some(slot) = slot_ok(p, c.slot) else {
        errs.push(format!("check c{i}: slot s{} out of range", c.slot.0));
        return;
    };
    let d = domain(slot.ty());
    let list = slot.is_list();
    let mut err = |m: String| errs.push(format!("check c{i}: {m}"));
    if list && !matches!(c.test, Test::Exists | Test::In(_) | Test::Intersects(_)) {
        err("a list slot takes only in, intersects and exists".to_owned());
        return;
    }
    match &c.test {
        Test::Exists => {}
        Test::Compare { cmp, value } => {
            if !const_fits(d, value) {
                err(format!("constant {value:?} does not fit a {d:?} slot"));
            }
            let ordered = !matches!(cmp, Cmp::Eq | Cmp::Ne);
            if ordered && matches!(d, Domain::Ip | Domain::Bool | Domain::Bytes) {
                err(format!("ordering {cmp:?} on a {d:?} slot"));
            }
        }
        Test::Str { op, pattern } => {
            if let Err(m) = pattern_fits(d, *op, pattern) {
                err(m);
            }
        }
        Test::StrMulti { op, patterns, .. } => {
            for k in patterns {
                if let Err(m) = pattern_fits(d, *op, k) {
                    err(m);
                }
            }
        }
        Test::In(xs) | Test::Intersects(xs) => {
            for k in xs {
                if !const_fits(d, k) {
                    err(format!("set constant {k:?} does not fit a {d:?} slot"));
                }
            }
        }
        Test::PMatch(_) => {
            if !matches!(d, Domain::Str | Domain::Dyn) {
                err(format!("pmatch on a {d:?} slot"));
            }
        }
        Test::CompareSlot { op, other } => {
            let Some(o) = slot_ok(p, *other) else {
                err(format!("val() slot s{} out of range", other.0));
                return;
            };
            let od = domain(o.ty());
            let compatible = match op {
                SlotOp::Cmp(cmp) => {
                    let same = d == od
                        || (is_numeric(d) && is_numeric(od))
                        || (matches!(d, Domain::Str | Domain::Bytes) && matches!(od, Domain::Str | Domain::Bytes))
                        || d == Domain::Dyn
                        || od == Domain::Dyn;
                    let ordered = !matches!(cmp, Cmp::Eq | Cmp::Ne);
                    same && !(ordered && matches!(d, Domain::Ip | Domain::Bool))
                }
                SlotOp::Str(_) | SlotOp::PMatch => {
                    matches!(d, Domain::Str | Domain::Bytes | Domain::Dyn)
                        && matches!(od, Domain::Str | Domain::Bytes | Domain::Dyn)
                }
            };
            if !compatible {
                err(format!("{op:?} between a {d:?} slot and a {od:?} slot"));
            }
        }
    }
}
