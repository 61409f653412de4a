//! The field schema and the event tables, as data: Falco's field table (`data/fields.tsv`, 294
//! fields including the container plugin's `container.*`/`k8s.*`) and event listing
//! (`data/events.tsv`) are embedded in the binary and parsed once into a [`Schema`]; the scap
//! event table by id (`data/event_table_libs_master.tsv`, [`event_table`]), the PPM flag and
//! enum sets, errno and capability names ([`flags`]) and syscall names and numbers
//! ([`syscalls`]) are the rest of the vocabulary the runtime and the capture readers share;
//! [`record`] is the byte layout of one event record, shared by the capture reader and the probe.
//! [`params`] holds the typed parameter keys generated from the event table (`build.rs`), and
//! `data/fd_events.tsv` which calls create which kind of fd ([`fd_creation`]); [`SetBy`] which
//! events can give a field a value (the field table's `set_by` column).
//!
//! This module owns: looking a field up as written in a condition (longest-prefix matching and
//! dot-suffix arguments, [`Schema::resolve_field`]), did-you-mean suggestions, event names
//! (what `evt.type` accepts, [`Schema::is_event_name`]), event parameters (`evt.arg.NAME`), and
//! port service names ([`service_port`]), and the operator table ([`OPERATORS`]: what each
//! operator applies to, what its right side is, what it costs). It knows nothing of conditions or diagnostics.

mod event_table;
mod events;
mod fd_kind;
mod fields;
pub mod flags;
mod operators;
mod param_family;
pub mod params;
pub mod record;
mod services;
mod set_by;
mod suggest;
pub mod syscalls;
mod table_row;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

pub use event_table::{
    EventCategory, EventClass, EventDef, EventFlags, EventSource, MAX_PARAMS, PathParam, SyscallPaths, event_def,
    event_table, event_table_load_errors, is_generic_id, newest_event_def, syscall_paths,
};
pub use events::{Dir, EXTRA_EVENT_TYPE_NAMES, EventInfo, Param, ParamType, Section};
pub use fd_kind::{FdCreation, FdKind, FdSource, creates_fd_from_res, fd_creation, fd_events_load_errors};
pub use fields::{ArgKind, ArgSpec, FieldFlags, FieldInfo, FieldType, Multi, OpSet, class_id};
pub use operators::{OPERATORS, Operands, OperatorDef, Rhs, operator};
pub use services::{service_names, service_port};
pub use set_by::SetBy;
pub use suggest::{closest, edit_distance, suggestion_distance, suggestion_limit};

const FIELDS_TSV: &str = include_str!("../data/fields.tsv");
const EVENTS_TSV: &str = include_str!("../data/events.tsv");

/// Fields whose argument may be written as a dot suffix (`evt.arg.flags`), and which suffixes
/// they take. Everything else takes its argument in brackets only (`proc.aname[2]`), so
/// `proc.name.x` is not a field.
///
/// Why this list: libsinsp's generic field parser matches the longest field name that prefixes
/// the text and then only reads a `[...]` argument; the filter compiler rejects a field whose
/// parsed length is shorter than the word (`proc.namex`). Only a few fields have their own
/// parser that reads a `.ARG` suffix: `evt.arg`/`evt.rawarg` (a parameter name), `evt.type.is`
/// (an event name), `thread.cgroup` (a cgroup subsystem) and `evt.abspath` (`.src`/`.dst`
/// only). Plugin fields (the container plugin's) take brackets only.
const DOT_ARG_FIELDS: &[(&str, Option<&[&str]>)] = &[
    ("evt.arg", None),
    ("evt.rawarg", None),
    ("evt.type.is", None),
    ("thread.cgroup", None),
    ("evt.abspath", Some(&["src", "dst"])),
];

/// The parsed tables. Obtain it with [`schema()`].
#[derive(Debug)]
pub struct Schema {
    fields: Vec<FieldInfo>,
    field_index: HashMap<&'static str, usize>,
    classes: Vec<&'static str>,
    events: Vec<EventInfo>,
    event_index: HashMap<&'static str, usize>,
    evt_type_names: HashSet<&'static str>,
    /// Sorted, deduplicated.
    param_names: Vec<&'static str>,
    load_errors: Vec<String>,
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema::parse(FIELDS_TSV, EVENTS_TSV));

/// The schema of the embedded tables, parsed on first use.
pub fn schema() -> &'static Schema {
    &SCHEMA
}

impl Schema {
    /// Parses the two tables. A row that does not parse is skipped and recorded in
    /// [`Schema::load_errors`] (for the embedded tables that is our bug, and a test keeps the
    /// list empty); this never panics.
    fn parse(fields_tsv: &'static str, events_tsv: &'static str) -> Schema {
        let mut load_errors = Vec::new();

        let mut fields = Vec::new();
        let mut field_index = HashMap::new();
        let mut classes: Vec<&'static str> = Vec::new();
        for (lineno, line) in data_lines(fields_tsv) {
            match fields::parse_row(line) {
                Ok(f) => {
                    if field_index.contains_key(f.name) {
                        load_errors.push(format!("fields.tsv:{lineno}: duplicate field `{}`", f.name));
                        continue;
                    }
                    if !classes.contains(&f.class) {
                        classes.push(f.class);
                    }
                    field_index.insert(f.name, fields.len());
                    fields.push(f);
                }
                Err(e) => load_errors.push(format!("fields.tsv:{lineno}: {e}")),
            }
        }

        let mut events: Vec<EventInfo> = Vec::new();
        let mut event_index: HashMap<&'static str, usize> = HashMap::new();
        for (lineno, line) in data_lines(events_tsv) {
            let row = match events::parse_row(line) {
                Ok(r) => r,
                Err(e) => {
                    load_errors.push(format!("events.tsv:{lineno}: {e}"));
                    continue;
                }
            };
            let idx = *event_index.entry(row.name).or_insert_with(|| {
                events.push(EventInfo {
                    name: row.name,
                    section: row.section,
                    default: row.default,
                    enter: None,
                    exit: None,
                });
                events.len() - 1
            });
            let ev = &mut events[idx];
            if ev.section != row.section || ev.default != row.default {
                load_errors.push(format!("events.tsv:{lineno}: `{}` disagrees with its other half", row.name));
                continue;
            }
            let half = match row.dir {
                Dir::Enter => &mut ev.enter,
                Dir::Exit => &mut ev.exit,
            };
            if half.is_some() {
                load_errors.push(format!("events.tsv:{lineno}: duplicate {:?} half of `{}`", row.dir, row.name));
                continue;
            }
            *half = Some(row.params);
        }

        let mut evt_type_names: HashSet<&'static str> = events.iter().map(|e| e.name).collect();
        evt_type_names.extend(EXTRA_EVENT_TYPE_NAMES.iter().copied());
        let mut param_names: Vec<&'static str> = events.iter().flat_map(|e| e.params().map(|(_, p)| p.name)).collect();
        param_names.sort_unstable();
        param_names.dedup();

        Schema { fields, field_index, classes, events, event_index, evt_type_names, param_names, load_errors }
    }

    /// Problems found while parsing the embedded tables (empty unless the data is broken).
    pub fn load_errors(&self) -> &[String] {
        &self.load_errors
    }

    // ---------------------------------------------------------------- fields

    /// Every field, in table order (grouped by class).
    pub fn fields(&self) -> &[FieldInfo] {
        &self.fields
    }

    /// The field with exactly this name (no argument handling).
    pub fn field(&self, name: &str) -> Option<&FieldInfo> {
        self.field_index.get(name).map(|&i| &self.fields[i])
    }

    /// The class names as the table spells them, in table order (`evt [All event types]`,
    /// `process`, ..., `container plugin`).
    pub fn classes(&self) -> &[&'static str] {
        &self.classes
    }

    /// Looks up a field by the name written in a condition or output, without its `[...]`
    /// argument (the parser keeps that apart). Returns the field and the dot-suffix argument,
    /// if the name carried one:
    /// `proc.name` → (proc.name, None); `evt.arg.flags` → (evt.arg, Some("flags"));
    /// `evt.type.is.open` → (evt.type.is, Some("open")); `thread.cgroup.cpuset` →
    /// (thread.cgroup, Some("cpuset")); `proc.namex` → None.
    ///
    /// An exact field name wins over a dot-suffix reading (`evt.type` is `evt.type`, not
    /// `evt.type.is` with something). Only the fields of [`DOT_ARG_FIELDS`] take a dot suffix;
    /// among them the longest matching prefix wins. The suffix is returned as written: whether
    /// `evt.arg.NAME` names a real parameter ([`Schema::is_param_name`]) or `evt.type.is.TYPE`
    /// a real event is for the caller to check and report.
    pub fn resolve_field(&self, written: &str) -> Option<(&FieldInfo, Option<String>)> {
        if let Some(f) = self.field(written) {
            return Some((f, None));
        }
        let (prefix, allowed) = DOT_ARG_FIELDS
            .iter()
            .filter(|(name, _)| {
                written.len() > name.len() + 1
                    && written.starts_with(name)
                    && written.as_bytes().get(name.len()) == Some(&b'.')
            })
            .max_by_key(|(name, _)| name.len())?;
        let suffix = &written[prefix.len() + 1..];
        if let Some(allowed) = allowed
            && !allowed.contains(&suffix)
        {
            return None;
        }
        let field = self.field(prefix)?;
        Some((field, Some(suffix.to_string())))
    }

    /// A did-you-mean for a name that did not resolve: the closest field name by edit distance
    /// (adjacent transpositions count as one edit; case is ignored), if it is close enough to
    /// be a likely typo: at most one edit per four characters, between one and three.
    pub fn suggest_field(&self, written: &str) -> Option<&'static str> {
        if written.is_empty() || self.resolve_field(written).is_some() {
            return None;
        }
        let target = written.to_ascii_lowercase();
        // On a tie, prefer a field the text is the start of (a cut-off name), then visible,
        // current fields, then table order.
        let mut best: Option<((usize, bool, bool), &'static str)> = None;
        for f in &self.fields {
            let Some(d) = suggestion_distance(written, f.name) else { continue };
            let rank = (d, !f.name.starts_with(target.as_str()), f.is_hidden() || f.flags.deprecated);
            if best.is_none_or(|(r, _)| rank < r) {
                best = Some((rank, f.name));
            }
        }
        best.map(|(_, name)| name)
    }

    // ---------------------------------------------------------------- events

    /// The event with this name, as listed in the table.
    pub fn event(&self, name: &str) -> Option<&EventInfo> {
        self.event_index.get(name).map(|&i| &self.events[i])
    }

    /// Every listed event, in table order.
    pub fn events(&self) -> impl Iterator<Item = &EventInfo> {
        self.events.iter()
    }

    /// Whether Falco accepts `name` as an `evt.type` value: every listed event, plus the names
    /// of [`EXTRA_EVENT_TYPE_NAMES`] (see there for why). Case-sensitive, as in Falco.
    pub fn is_event_name(&self, name: &str) -> bool {
        self.evt_type_names.contains(name)
    }

    /// Every name [`Schema::is_event_name`] accepts: the listed events in table order, then the
    /// extras (for suggestions and completion).
    pub fn event_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.events.iter().map(|e| e.name).chain(EXTRA_EVENT_TYPE_NAMES.iter().copied())
    }

    /// The closest accepted event name, for an unknown `evt.type` value.
    pub fn suggest_event(&self, name: &str) -> Option<&'static str> {
        if name.is_empty() || self.is_event_name(name) {
            return None;
        }
        closest(name, self.events.iter().map(|e| e.name))
    }

    /// The names of every event the syscall source can deliver (syscalls, tracepoints and
    /// metaevents; not `pluginevent`), in table order: the universe a rule's event-type set is
    /// computed in (`evt.type != switch` is every one of these but `switch`).
    pub fn syscall_event_names(&self) -> Vec<&'static str> {
        self.events.iter().filter(|e| e.section != Section::Plugin).map(|e| e.name).collect()
    }

    /// Whether some event has a parameter called `name` (what `evt.arg.NAME` and
    /// `evt.rawarg.NAME` need: libsinsp rejects an unknown parameter name).
    pub fn is_param_name(&self, name: &str) -> bool {
        self.param_names.binary_search(&name).is_ok()
    }

    /// Every parameter name of every event, sorted (for suggestions and completion).
    pub fn param_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.param_names.iter().copied()
    }

    /// Every event having a parameter called `param`, with that parameter (exit half first).
    pub fn events_with_param(&self, param: &str) -> Vec<(&EventInfo, &Param)> {
        self.events.iter().filter_map(|e| e.param(param).map(|p| (e, p))).collect()
    }

    /// Among the named events, those having a parameter called `param`, with that parameter:
    /// lets the checker say whether `evt.arg.NAME` exists for any of a rule's event types, and
    /// with which types. Unknown event names are ignored.
    pub fn param_in_events(&self, event_names: &[&str], param: &str) -> Vec<(&EventInfo, &Param)> {
        event_names.iter().filter_map(|n| self.event(n)).filter_map(|e| e.param(param).map(|p| (e, p))).collect()
    }
}

/// The operators a value of this type accepts: what a transformer's result allows (the same
/// rule the field table follows: by type, and `in`/`intersects`/`exists` only for lists).
pub fn ops_for_type(ty: FieldType, is_list: bool) -> OpSet {
    use rulec_grammar::ast::Op;
    if is_list { OpSet::of(&[Op::In, Op::Intersects, Op::Exists]) } else { ty.default_ops() }
}

/// Yields (1-based line number, line) for the data rows of a TSV: the header and blank lines
/// are skipped; a trailing `\r` is dropped.
fn data_lines(tsv: &'static str) -> impl Iterator<Item = (usize, &'static str)> {
    tsv.lines()
        .enumerate()
        .skip(1)
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.trim().is_empty())
}
