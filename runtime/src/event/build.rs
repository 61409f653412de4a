//! Building events by name: the newest table layout of an event filled from named values
//! ([`build_event`]), for test worlds, generated streams and hand-written events.

use super::{Direction, Event, Param, ParamType, ParamValue};

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
        Some(info) => info
            .params
            .iter()
            .map(|(pname, ty)| Param {
                name: pname,
                ty: *ty,
                value: values.iter().find(|(n, _)| n == pname).map_or(ParamValue::Absent, |(_, v)| v.clone()),
            })
            .collect(),
        None => values.into_iter().map(|(name, value)| Param { name, ty: ParamType::None, value }).collect(),
    };
    Event { ts, tid, cpu: 0, type_id: info.map_or(0, |i| i.id), dir, name, params, dump_flags: 0 }
}
