//! `--bless`: writing the alerts a case actually raised back into its test file as its new
//! `expect`, with the smallest edit: the case's `expect` entry is replaced (or added after the
//! case's last entry), everything else in the file, comments and layout included, stays byte
//! for byte. This module computes the new text; the CLI decides when blessing is allowed and
//! writes the file.

use rulec_compiler::Location;
use rulec_compiler::items::Priority;

use super::run::upper;

/// The new expectation of one written case.
#[derive(Clone, Debug)]
pub struct BlessEdit {
    /// The case map as written.
    pub case_loc: Location,
    /// Its `expect` key and value, when present.
    pub expect_loc: Option<(Location, Location)>,
    /// The alerts to expect: rule and priority, in order.
    pub alerts: Vec<(String, Priority)>,
}

/// `text` with every edit applied. Edits must be of distinct cases of this text.
pub fn apply(text: &str, edits: &[BlessEdit]) -> String {
    // Replacements as (start, end, new text), applied from the end so offsets stay valid.
    let mut reps: Vec<(usize, usize, String)> = edits.iter().filter_map(|e| replacement(text, e)).collect();
    reps.sort_by_key(|r| std::cmp::Reverse(r.0));
    let mut out = text.to_owned();
    for (start, end, new) in reps {
        if start <= end && end <= out.len() && out.is_char_boundary(start) && out.is_char_boundary(end) {
            out.replace_range(start..end, &new);
        }
    }
    out
}

fn replacement(text: &str, e: &BlessEdit) -> Option<(usize, usize, String)> {
    let start = e.case_loc.start as usize;
    let end = (e.case_loc.end as usize).min(text.len());
    let flow = text.get(start..)?.starts_with('{');
    if flow {
        let value = flow_list(&e.alerts);
        return match e.expect_loc {
            Some((_, v)) => Some((v.start as usize, v.end as usize, value)),
            None => {
                let close = text.get(start..end)?.rfind('}')? + start;
                Some((close, close, format!(", expect: {value}")))
            }
        };
    }
    let line_start = text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
    let indent = text.get(line_start..start)?.chars().count();
    let pad = " ".repeat(indent);
    let block = if e.alerts.is_empty() {
        " []".to_owned()
    } else {
        let mut s = String::new();
        for (rule, p) in &e.alerts {
            s.push_str(&format!("\n{pad}  - rule: {}\n{pad}    priority: {}", yaml_str(rule), upper(*p)));
        }
        s
    };
    match e.expect_loc {
        Some((k, v)) => {
            let vend = (v.end as usize).max(k.end as usize);
            Some((k.start as usize, vend, format!("expect:{block}")))
        }
        None => Some((end, end, format!("\n{pad}expect:{block}"))),
    }
}

fn flow_list(alerts: &[(String, Priority)]) -> String {
    let items: Vec<String> =
        alerts.iter().map(|(r, p)| format!("{{rule: {}, priority: {}}}", yaml_str(r), upper(*p))).collect();
    format!("[{}]", items.join(", "))
}

/// A string as a YAML scalar: plain when that reads back the same, else double-quoted.
pub fn yaml_str(s: &str) -> String {
    let plain = !s.is_empty()
        && s.trim() == s
        && s.chars().all(|c| c.is_ascii_alphanumeric() || " _./()-+".contains(c))
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if plain && !matches!(s, "true" | "false" | "null" | "yes" | "no" | "on" | "off") {
        return s.to_owned();
    }
    let mut q = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\t' => q.push_str("\\t"),
            c if c.is_control() => q.push_str(&format!("\\u{:04x}", c as u32)),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}
