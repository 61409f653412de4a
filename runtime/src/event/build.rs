//! Building events by name: the newest table layout of an event filled from named values
//! ([`build_event`]), for test worlds, generated streams and hand-written events.

use super::{Direction, Event, Param, ParamType, ParamValue, Params};

/// Builds an event with the newest table layout of `name`/`dir`: every table parameter in order,
/// taking its value from `values` by name (absent when not given). Unknown events keep `values`
/// as they are.
pub fn build_event(
    ts: u64,
    tid: i64,
    name: &'static str,
    dir: Direction,
    values: Vec<(&'static str, ParamValue)>,
) -> Event {
    let info = rulec_schema::newest_event_def(name, dir);
    let params = match info {
        // In row order and marked as the row, as a decoded record is: keys need no name check.
        Some(info) => Params::of_row(
            info.id,
            &info.params,
            info.params.iter().map(|(pname, _)| {
                values.iter().find(|(n, _)| n == pname).map_or(ParamValue::Absent, |(_, v)| v.clone())
            }),
        ),
        None => values.into_iter().map(|(name, value)| Param { name, ty: ParamType::None, value }).collect(),
    };
    Event { ts, tid, cpu: 0, type_id: info.map_or(0, |i| i.id), dir, name, params, dump_flags: 0 }
}
