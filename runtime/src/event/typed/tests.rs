//! A key's read of a parameter the replay joined from the enter event ([`Params::past_row`])
//! finds what the search by name finds, for every parameter of every row of the events of
//! the shared captures.

use super::super::Event;

/// Checks every parameter name of `ev`'s row (by its index) and of the rows of the event
/// before it (the enter's, by name alone where `ev`'s row lacks the name) against
/// [`crate::event::Params::position`]; counts the reads settled past the row.
fn check(ev: &Event, file: &str, past: &mut usize) {
    let Some(def) = rulec_schema::event_def(ev.type_id) else { return };
    for (i, &(name, _)) in def.params.iter().enumerate() {
        let want = ev.params.position(name);
        assert_eq!(ev.resolve(Some(i), name), want, "{file}: {} (id {}) `{name}`", ev.name, ev.type_id);
        if !ev.params.in_row(ev.type_id, i) && ev.params.past_row(ev.type_id, i).is_some() {
            *past += usize::from(want.is_some());
        }
    }
    let Some(enter) = ev.type_id.checked_sub(1).and_then(rulec_schema::event_def) else { return };
    for &(name, _) in enter.params.iter().filter(|p| !def.params.iter().any(|q| q.0 == p.0)) {
        assert_eq!(ev.resolve(None, name), ev.params.position(name), "{file}: {} `{name}` of the enter", ev.name);
    }
}

#[test]
fn joined_parameters_resolve_as_names_do() {
    let files = rulec_test_support::shared_files("captures", "scap");
    let mut past = 0;
    for path in &files {
        let file = path.display().to_string();
        let replay = crate::capture::replay::replay(path).unwrap_or_else(|e| panic!("{file}: {e}"));
        replay.for_each(|ev, _| check(ev, &file, &mut past)).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    // The v1 captures' exits lack the parameters their enters had (open's path, close's fd).
    assert!(files.is_empty() || past > 1000, "parameters found past the row: {past}");
}

/// The table names each parameter of a row once (so the first parameter of a name is the
/// only one), and none like the parameters past a row (`p<N>`).
#[test]
fn rows_name_each_parameter_once() {
    let mut rows = 0;
    for id in 0..=u16::MAX {
        let Some(def) = rulec_schema::event_def(id) else { continue };
        rows += 1;
        for (i, p) in def.params.iter().enumerate() {
            assert!(!def.params[..i].iter().any(|q| q.0 == p.0), "{} (id {id}): `{}` twice", def.name, p.0);
            assert!(!crate::event::EXTRA_NAMES.contains(&p.0), "{} (id {id}): `{}`", def.name, p.0);
        }
    }
    assert!(rows > 300, "rows: {rows}");
}
