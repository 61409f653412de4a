//! Generates the typed parameter keys ([`params`](src/params.rs)) from the scap event table:
//! one module per event name and direction (`execve_x`), one constant per parameter name of
//! any of its versions (`execve_x::EXE`), carrying the parameter's index in every table row of
//! that event that has it. A parameter renamed or removed in the table is then a compile error
//! where the runtime reads it, not a lookup that silently finds nothing.

use std::collections::BTreeMap;
use std::fmt::Write as _;

#[path = "src/param_family.rs"]
mod param_family;
#[path = "src/table_row.rs"]
#[allow(dead_code)]
mod table_row;

const TABLE: &str = "data/event_table_libs_master.tsv";

/// One parameter of one event half: its family and (row id, index) for each row having it.
struct Key {
    family: &'static str,
    rows: Vec<(u16, usize)>,
}

fn main() {
    println!("cargo:rerun-if-changed={TABLE}");
    println!("cargo:rerun-if-changed=src/param_family.rs");
    println!("cargo:rerun-if-changed=src/table_row.rs");
    let tsv = std::fs::read_to_string(TABLE).expect("read the event table");
    // (event name, direction) → parameter name → key, in name order for a stable output.
    let mut events: BTreeMap<(String, String), BTreeMap<String, Key>> = BTreeMap::new();
    for (i, line) in tsv.lines().enumerate().skip(1) {
        let row = table_row::split_row(line).unwrap_or_else(|e| panic!("{TABLE}:{}: {e}", i + 1));
        if row.params.is_empty() {
            continue;
        }
        let ev = events.entry((row.name.to_string(), row.dir.to_ascii_lowercase())).or_default();
        for (idx, (name, ty)) in row.params.iter().enumerate() {
            let family = param_family::family_of(ty).unwrap_or_else(|| panic!("{TABLE}:{}: type `{ty}`", i + 1));
            let key = ev.entry(name.to_string()).or_insert(Key { family, rows: Vec::new() });
            assert_eq!(key.family, family, "{TABLE}:{}: `{name}` changes family across versions", i + 1);
            key.rows.push((row.id, idx));
        }
    }
    let mut out = String::new();
    write_any_keys(&mut out, &events);
    for ((event, dir), params) in &events {
        if !event.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            continue;
        }
        let (dir_name, dir_sign) = if dir == "e" { ("Enter", ">") } else { ("Exit", "<") };
        let _ = writeln!(out, "/// Parameters of `{event}` {dir_sign} events, every version of the table.");
        let _ = writeln!(out, "pub mod {event}_{dir} {{");
        let _ = writeln!(out, "    use super::{{Dir, ParamKey, kind}};");
        for (name, key) in params {
            let rows: Vec<String> = key.rows.iter().map(|(id, idx)| format!("({id}, {idx})")).collect();
            let _ = writeln!(out, "    /// `{name}`.");
            let _ = writeln!(
                out,
                "    pub const {}: ParamKey<kind::{}> = ParamKey::new(\"{event}\", Dir::{dir_name}, \"{name}\", &[{}]);",
                name.to_ascii_uppercase(),
                key.family,
                rows.join(", ")
            );
        }
        let _ = writeln!(out, "}}");
    }
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("params.rs");
    std::fs::write(dest, out).expect("write params.rs");
}

/// The `any` module: one key per parameter name over every event that has it, with the
/// parameter's index by event id in a dense table (255: the row has no such parameter), for
/// the readers that ask any event for its `fd` or `res`. A name whose families differ across
/// events is read as its decoded value (`kind::Other`), except fds and integers, which read
/// alike (`res` is an fd for some).
fn write_any_keys(out: &mut String, events: &BTreeMap<(String, String), BTreeMap<String, Key>>) {
    let max_id = events.values().flat_map(|ps| ps.values()).flat_map(|k| k.rows.iter().map(|r| r.0)).max().unwrap_or(0);
    let mut names: BTreeMap<&str, (Option<&'static str>, Vec<u8>)> = BTreeMap::new();
    for params in events.values() {
        for (name, key) in params {
            let entry =
                names.entry(name.as_str()).or_insert_with(|| (Some(key.family), vec![255; usize::from(max_id) + 1]));
            entry.0 = match entry.0 {
                Some(f) if f == key.family => Some(f),
                Some("Int" | "Fd") if matches!(key.family, "Int" | "Fd") => Some("Int"),
                _ => Some("Other"),
            };
            for (id, idx) in &key.rows {
                entry.1[usize::from(*id)] = u8::try_from(*idx).expect("parameter index fits a byte");
            }
        }
    }
    let _ = writeln!(out, "/// Parameters by name over every event that has one (`any::FD`: the `fd` of any event).");
    let _ = writeln!(out, "pub mod any {{");
    let _ = writeln!(out, "    use super::{{AnyKey, kind}};");
    for (name, (family, by_id)) in &names {
        // Two spellings of one name (`id` and `ID`) would make one constant: neither gets one.
        if names.keys().filter(|n| n.eq_ignore_ascii_case(name)).count() > 1 {
            continue;
        }
        let family = family.unwrap_or("Other");
        let table: Vec<String> = by_id.iter().map(u8::to_string).collect();
        let _ = writeln!(out, "    /// `{name}`, in every event that has it.");
        let _ = writeln!(
            out,
            "    pub const {}: AnyKey<kind::{family}> = AnyKey::new(\"{name}\", &[{}]);",
            name.to_ascii_uppercase(),
            table.join(",")
        );
    }
    let _ = writeln!(out, "}}");
}
