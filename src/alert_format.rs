//! How an alert is written for people and tools, in Falco's shapes so that what reads Falco's
//! output (log pipelines, Falcosidekick) reads rulec's:
//!
//! * text: `HH:MM:SS.nnnnnnnnn: Priority message`, one line; control characters from event data
//!   are escaped (`\n` -> `\\n`, others `\\xNN`) so an alert can never forge a second line or
//!   drive the terminal;
//! * JSON: one compact object per line with the keys in alphabetical order (as Falco writes
//!   them): `hostname`, `output`, `output_fields`, `priority`, `rule`, `source`, `tags` (sorted,
//!   without duplicates), `time` (UTC, nine fractional digits, `Z`). `output_fields` values are
//!   typed as Falco types them: numbers for numeric fields, `null` for a value that could not be
//!   extracted, strings otherwise; `evt.time` is always there, as integer nanoseconds; a
//!   transformed field (`toupper(proc.name)`) is left out, as Falco does.

use std::collections::BTreeSet;

use rulec_compiler::schema::{FieldType, schema};
use rulec_runtime::engine::Alert;
use serde_json::{Map, Value, json};

/// Settings for [`render`].
#[derive(Debug, Clone)]
pub struct AlertFormat {
    /// JSON instead of text.
    pub json: bool,
    /// The `hostname` key of JSON alerts.
    pub hostname: String,
}

/// `$FALCO_HOSTNAME` when set (Falco's convention, kept so deployments carry over), else the
/// kernel's host name.
pub fn hostname() -> String {
    if let Ok(h) = std::env::var("FALCO_HOSTNAME")
        && !h.is_empty()
    {
        return h;
    }
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|s| s.trim().to_string()).unwrap_or_default()
}

/// One alert as one line (no trailing newline).
pub fn render(a: &Alert, f: &AlertFormat) -> String {
    if f.json { json_line(a, &f.hostname) } else { escape_controls(&a.output) }
}

/// The alert in every shape an output may want: the text line and the JSON document (each one
/// line), its syslog severity (Falco's priority number) and time.
pub fn delivery(a: &Alert, hostname: &str) -> rulec_outputs::Delivery {
    rulec_outputs::Delivery {
        text: escape_controls(&a.output),
        json: json_line(a, hostname),
        severity: a.priority as u8,
        time: iso_time(a.time),
        hostname: hostname.to_string(),
    }
}

/// Escapes control characters so that the text stays on one line and inert on a terminal.
pub fn escape_controls(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` of nanoseconds since the epoch.
pub fn iso_time(ns: u64) -> String {
    let (date, time) = rulec_runtime::fields::evt::civil(ns);
    format!("{date}T{time}.{:09}Z", ns % 1_000_000_000)
}

/// A field's printed value typed as Falco's JSON output types it.
fn typed_value(field: &str, printed: &str) -> Value {
    if printed == "<NA>" {
        return Value::Null;
    }
    // Integers (times and ports included) are JSON numbers, as in Falco's output.
    let numeric =
        schema().resolve_field(field).is_some_and(|(info, _)| info.ty.int_signedness().is_some() && !info.is_list);
    if numeric {
        if let Ok(i) = printed.parse::<i64>() {
            return json!(i);
        }
        if let Ok(u) = printed.parse::<u64>() {
            return json!(u);
        }
    }
    if printed == "true" || printed == "false" {
        let boolean = schema().resolve_field(field).is_some_and(|(info, _)| info.ty == FieldType::Bool);
        if boolean {
            return Value::Bool(printed == "true");
        }
    }
    Value::String(printed.to_string())
}

fn json_line(a: &Alert, hostname: &str) -> String {
    let mut fields = Map::new();
    for (name, value) in &a.output_fields {
        if name.contains('(') {
            continue;
        }
        fields.insert(name.clone(), typed_value(name, value));
    }
    fields.insert("evt.time".to_string(), json!(a.time));
    let tags: BTreeSet<&str> = a.tags.iter().map(String::as_str).collect();
    // serde_json's default map is ordered by key: the keys come out alphabetically, as Falco's.
    let doc = json!({
        "hostname": hostname,
        "output": a.output,
        "output_fields": Value::Object(fields),
        "priority": a.priority.as_str(),
        "rule": a.rule,
        "source": a.source,
        "tags": tags,
        "time": iso_time(a.time),
    });
    doc.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times() {
        assert_eq!(iso_time(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(iso_time(1_717_250_531_004_512_330), "2024-06-01T14:02:11.004512330Z");
        assert_eq!(iso_time(951_782_400_000_000_001), "2000-02-29T00:00:00.000000001Z");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("plain"), "plain");
        assert_eq!(escape_controls("a\nb\x1b[31m\tc"), "a\\nb\\x1b[31m\\tc");
    }

    #[test]
    fn values_are_typed_like_falco() {
        assert_eq!(typed_value("proc.pid", "31337"), json!(31337));
        assert_eq!(typed_value("proc.name", "31337"), json!("31337"));
        assert_eq!(typed_value("proc.pname", "<NA>"), Value::Null);
        assert_eq!(typed_value("fd.num", "-1"), json!(-1));
        assert_eq!(typed_value("proc.aname[2]", "bash"), json!("bash"));
    }
}
