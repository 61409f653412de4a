//! Interpreter vs JIT on real fields: random conditions over the schema's fields, with literals
//! taken from the values those fields have on the generated stream (so that checks hold as
//! often as they fail), run on `rulec_bench`'s generated events with the real extractors and the
//! real state machine. The reference engine is the interpreter reading every value through the
//! slot cache; the interpreter with in-place reads and the JIT must raise exactly the same
//! alerts on every event. Conditions the checker rejects (a literal of the wrong form for an
//! operator) are dropped before the comparison.

use std::sync::LazyLock;

use rulec_bench::Generator;
use rulec_compiler::ir::FieldArgValue;
use rulec_compiler::schema::{ArgSpec, FieldInfo, FieldType, Multi, schema};
use rulec_compiler::{FileId, SourceFile};
use rulec_runtime::Value;
use rulec_runtime::engine::{Alert, Backend, Engine, MatchMode};
use rulec_runtime::fields::extract;

use crate::choices::Choices;

/// A field as a condition names it: the schema entry and its argument, if any.
#[derive(Clone, Copy)]
struct Operand {
    field: &'static FieldInfo,
    /// An ancestor level (`proc.aname[2]`); other arguments are not generated.
    level: Option<i64>,
}

impl Operand {
    fn written(&self) -> String {
        match self.level {
            Some(n) => format!("{}[{n}]", self.field.name),
            None => self.field.name.to_owned(),
        }
    }
}

/// The fields a condition may use without an argument, and the ancestor fields.
static FIELDS: LazyLock<Vec<&'static FieldInfo>> = LazyLock::new(|| {
    schema()
        .fields()
        .iter()
        .filter(|f| f.arg != ArgSpec::Required || f.multi == Multi::Ancestors)
        .filter(|f| !f.flags.print_only && !f.flags.table_only && !f.ops.is_empty())
        .filter(|f| f.ty != FieldType::Dyn)
        .collect()
});

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A piece of `s` that `op` may match: all of it, a prefix or a suffix (at character bounds).
fn part(c: &mut Choices<'_>, s: &str, op: &str) -> String {
    let cut = |n: usize| (0..=n.min(s.len())).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
    match op {
        "startswith" => s[..cut(1 + c.below(s.len().max(1)))].to_owned(),
        "endswith" => s[cut(c.below(s.len().max(1)))..].to_owned(),
        "contains" | "icontains" => {
            let from = cut(c.below(s.len().max(1)));
            let to = cut(from + 1 + c.below(4)).max(from);
            s[from..to].to_owned()
        }
        _ => s.to_owned(),
    }
}

/// A literal for `op` on a field of type `ty`, from `value` (a value the field had).
fn literal(c: &mut Choices<'_>, value: Option<&Value>, ty: FieldType, op: &str) -> String {
    let value = match value {
        Some(Value::List(vs)) if !vs.is_empty() => Some(&vs[c.below(vs.len())]),
        v => v,
    };
    match value {
        Some(Value::Int(i)) => (i + c.below(3) as i64 - 1).to_string(),
        Some(Value::Uint(u)) => (u + c.below(2) as u64).to_string(),
        Some(Value::Double(d)) => d.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Str(s)) => quote(&part(c, s, op)),
        Some(Value::Bytes(b)) if op.starts_with('b') => {
            let n = 1 + c.below(b.len().clamp(1, 4));
            b.iter().take(n).map(|x| format!("{x:02x}")).collect::<String>()
        }
        Some(Value::Bytes(b)) => quote(&part(c, &String::from_utf8_lossy(b), op)),
        Some(Value::Ip(ip)) if ty == FieldType::IpNet || c.chance(30) => {
            let bits = if ip.is_ipv4() { *c.pick(&[8, 16, 24, 32]) } else { *c.pick(&[16, 64, 128]) };
            format!("\"{ip}/{bits}\"")
        }
        Some(Value::Ip(ip)) => format!("\"{ip}\""),
        Some(Value::List(_)) | None => match ty {
            FieldType::CharBuf | FieldType::ByteBuf => quote(*c.pick(&["", "/", "a", "sh", "/tmp"])),
            FieldType::IpAddr | FieldType::IpNet => "\"10.0.0.0/8\"".to_owned(),
            FieldType::Bool => "true".to_owned(),
            _ => c.below(70_000).to_string(),
        },
    }
}

/// One check on `operands[k]`, with literals from `pool[k]`.
fn atom(c: &mut Choices<'_>, operands: &[Operand], pool: &[Vec<Value>]) -> String {
    let k = c.below(operands.len());
    let o = operands[k];
    let ops: Vec<&str> = o.field.ops.iter().map(|op| op.as_str()).collect();
    let op = *c.pick(&ops);
    let mut lhs = o.written();
    if o.field.ty == FieldType::CharBuf && !o.field.flags.no_transformer && c.chance(15) {
        lhs = format!("{}({lhs})", c.pick(&["tolower", "toupper", "basename"]));
    }
    let value = |c: &mut Choices<'_>| {
        let vs = &pool[k];
        if vs.is_empty() { None } else { Some(vs[c.below(vs.len())].clone()) }
    };
    match op {
        "exists" => format!("{lhs} exists"),
        "in" | "intersects" | "pmatch" => {
            let n = 1 + c.below(3);
            let items: Vec<String> = (0..n)
                .map(|_| {
                    let v = value(c);
                    literal(c, v.as_ref(), o.field.ty, op)
                })
                .collect();
            format!("{lhs} {op} ({})", items.join(", "))
        }
        _ => {
            // Sometimes another field of the same type on the right (`val(...)`).
            let other = operands.iter().find(|p| p.field.ty == o.field.ty && p.field.name != o.field.name);
            if let Some(p) = other.filter(|p| !p.field.flags.no_rhs && c.chance(15)) {
                return format!("{lhs} {op} val({})", p.written());
            }
            let v = value(c);
            format!("{lhs} {op} {}", literal(c, v.as_ref(), o.field.ty, op))
        }
    }
}

fn condition(c: &mut Choices<'_>, depth: usize, operands: &[Operand], pool: &[Vec<Value>]) -> String {
    let not = if c.chance(20) { "not " } else { "" };
    if depth == 0 || c.chance(35) {
        return format!("{not}{}", atom(c, operands, pool));
    }
    let join = if c.chance(50) { " and " } else { " or " };
    let kids: Vec<String> = (0..2 + c.below(3)).map(|_| condition(c, depth - 1, operands, pool)).collect();
    format!("{not}({})", kids.join(join))
}

fn rules_file(conditions: &[String]) -> String {
    let mut yaml = String::new();
    for (i, cond) in conditions.iter().enumerate() {
        let cond = serde_json::to_string(cond).unwrap_or_default();
        yaml.push_str(&format!(
            "- rule: r{i}\n  desc: d\n  condition: {cond}\n  output: \"%evt.num %proc.name\"\n  priority: INFO\n  warn_evttypes: false\n"
        ));
    }
    yaml
}

fn check(yaml: String) -> rulec_compiler::check::CheckResult {
    rulec_compiler::check::check(&[SourceFile::new(FileId(0), "fuzz.yaml", yaml)])
}

pub fn run(data: &[u8]) {
    compared(data);
}

/// [`run`], returning how many rules the engines compared (0 when the checker rejected every
/// generated condition), so that a test can tell that the seeds compare something.
pub fn compared(data: &[u8]) -> usize {
    let mut c = Choices::new(data);
    let seed = c.u64();
    let events = 20 + c.below(300);
    let operands: Vec<Operand> = (0..1 + c.below(5))
        .map(|_| {
            let field = *c.pick(&FIELDS);
            let level = (field.multi == Multi::Ancestors && (field.arg == ArgSpec::Required || c.chance(50)))
                .then(|| c.below(5) as i64);
            Operand { field, level }
        })
        .collect();

    // The values the operands take on this stream, for literals.
    let mut pool: Vec<Vec<Value>> = vec![Vec::new(); operands.len()];
    let mut generator = Generator::new(seed);
    let mut state = generator.state();
    for i in 0..events {
        let ev = generator.next_event();
        state.apply(&ev);
        for (k, o) in operands.iter().enumerate() {
            if pool[k].len() < 24 && (i + k) % 3 == 0 {
                let arg = o.level.map(FieldArgValue::Index);
                pool[k].extend(extract(o.field, arg.as_ref(), &ev, &state));
            }
        }
    }

    let conditions: Vec<String> = (0..1 + c.below(6))
        .map(|_| condition(&mut c, 3, &operands, &pool))
        .filter(|cond| !check(rules_file(std::slice::from_ref(cond))).has_errors())
        .collect();
    if !conditions.is_empty() {
        compare(seed, events, &conditions);
    }
    conditions.len()
}

/// Runs the rules of `conditions` on `events` generated events of `seed` in the three engines.
fn compare(seed: u64, events: usize, conditions: &[String]) {
    let result = check(rules_file(conditions));
    assert!(!result.has_errors(), "each condition checks alone but not together: {conditions:?}");
    let engine = |backend| {
        let mut e = Engine::new(rulec_compiler::compile(&result), backend);
        e.set_mode(MatchMode::All);
        e
    };
    let (mut reference, mut interp, mut jit) = (engine(Backend::Interp), engine(Backend::Interp), engine(Backend::Jit));
    reference.disable_direct_reads();
    assert_eq!(jit.backend(), Backend::Jit, "the JIT cannot compile {conditions:?}: {:?}", jit.jit_error());
    let mut generator = Generator::new(seed);
    let mut state = generator.state();
    let (mut a, mut b, mut j): (Vec<Alert>, Vec<Alert>, Vec<Alert>) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..events {
        let ev = generator.next_event();
        state.apply(&ev);
        reference.process(&ev, &state, &mut a);
        interp.process(&ev, &state, &mut b);
        jit.process(&ev, &state, &mut j);
        assert_eq!(a, b, "event {i} ({}): cached and in-place reads disagree on {conditions:#?}", ev.name);
        assert_eq!(a, j, "event {i} ({}): interpreter and JIT disagree on {conditions:#?}", ev.name);
        a.clear();
        b.clear();
        j.clear();
    }
    let panics = reference.panics() + interp.panics() + jit.panics();
    assert_eq!(panics, 0, "an extractor panicked on {conditions:#?}");
}
