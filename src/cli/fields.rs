//! `rulec fields`: lists the field schema (the fields a condition or output may use) as text
//! grouped by class like `falco --list`, as JSON for tools, or as Markdown tables for docs.
//! All the data comes from `rulec_compiler::schema`; this module only filters and prints.

use rulec_compiler::schema::{self, ArgKind, ArgSpec, FieldInfo};

/// Width the text listing wraps descriptions to.
const TEXT_WIDTH: usize = 100;
/// The name column of the text listing; longer names push the description to the next line.
const NAME_COLUMN: usize = 34;
const TYPE_COLUMN: usize = 9;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FieldsFormat {
    /// Grouped by class, one field per entry, descriptions wrapped (like `falco --list`).
    #[default]
    Text,
    /// An array of objects: name, class, type, list, arg, flags, operators, description.
    Json,
    /// A Markdown table per class.
    Markdown,
}

/// Arguments of `rulec fields`.
#[derive(Clone, Debug, clap::Args)]
pub struct FieldsArgs {
    /// Only fields whose class or name starts with this (e.g. `proc`, `fd`, `container`, `k8s`).
    #[arg(value_name = "CLASS")]
    pub filter: Option<String>,

    /// Same as the positional CLASS.
    #[arg(long = "class", value_name = "CLASS", conflicts_with = "filter")]
    pub class: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = FieldsFormat::Text)]
    pub format: FieldsFormat,

    /// Also list hidden fields (the `util` class and fields only meant for sysdig tables).
    #[arg(long)]
    pub all: bool,
}

/// Runs `rulec fields`: 0 on success, 2 for an unknown class filter (or an output error).
pub fn run(args: &FieldsArgs) -> i32 {
    let filter = args.filter.as_deref().or(args.class.as_deref()).map(str::trim).filter(|f| !f.is_empty());
    let fields = match select(filter, args.all) {
        Ok(f) => f,
        Err(msg) => {
            eprintln!("rulec fields: {msg}");
            return super::EXIT_CANNOT_RUN;
        }
    };
    let out = match args.format {
        FieldsFormat::Text => render_text(&fields),
        FieldsFormat::Json => render_json(&fields),
        FieldsFormat::Markdown => render_markdown(&fields),
    };
    match super::print_stdout(&out) {
        Ok(()) => super::EXIT_OK,
        Err(status) => status,
    }
}

/// The fields to list, in table order. A filter matches a class (`proc` → `process`, `evt` →
/// both `evt` classes) or a field-name prefix (`k8s` → `k8s.*`, `proc` → also the container
/// plugin's `proc.is_container_*`). Hidden fields are left out unless `all`, or unless the
/// filter names nothing else (`rulec fields util`).
fn select(filter: Option<&str>, all: bool) -> Result<Vec<&'static FieldInfo>, String> {
    let s = schema::schema();
    let matching: Vec<&'static FieldInfo> = match filter {
        None => s.fields().iter().collect(),
        Some(f) => {
            let f = f.to_ascii_lowercase();
            s.fields()
                .iter()
                .filter(|fi| fi.class.to_ascii_lowercase().starts_with(&f) || fi.name.starts_with(&f))
                .collect()
        }
    };
    if matching.is_empty() {
        let known: Vec<&str> = distinct_class_ids();
        return Err(format!("unknown class `{}`; known classes: {}", filter.unwrap_or_default(), known.join(", ")));
    }
    if all {
        return Ok(matching);
    }
    let visible: Vec<&'static FieldInfo> = matching.iter().copied().filter(|f| !f.is_hidden()).collect();
    Ok(if visible.is_empty() { matching } else { visible })
}

/// `evt`, `process`, `user`, ... in table order, without repeats.
fn distinct_class_ids() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for c in schema::schema().classes() {
        let id = schema::class_id(c);
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// Consecutive runs of fields of the same class.
fn by_class<'a>(fields: &'a [&'static FieldInfo]) -> Vec<(&'static str, &'a [&'static FieldInfo])> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=fields.len() {
        if i == fields.len() || fields[i].class != fields[start].class {
            out.push((fields[start].class, &fields[start..i]));
            start = i;
        }
    }
    out
}

/// The name as it is written with its argument: `proc.aname[N]`, `evt.arg.NAME, evt.arg[N]`.
fn written_name(f: &FieldInfo) -> String {
    f.arg_hint().unwrap_or_else(|| f.name.to_string())
}

/// Short remarks shown after the description in text and Markdown.
fn remarks(f: &FieldInfo) -> Vec<&'static str> {
    let mut r = Vec::new();
    match f.arg {
        ArgSpec::Required => r.push("argument required"),
        ArgSpec::Optional => r.push("argument optional"),
        ArgSpec::None => {}
    }
    if f.is_list {
        r.push("list");
    }
    if f.flags.filter_only {
        r.push("conditions only");
    }
    if f.flags.print_only {
        r.push("outputs only");
    }
    if f.is_deprecated() {
        r.push("deprecated");
    }
    if f.is_hidden() {
        r.push("hidden");
    }
    r
}

fn render_text(fields: &[&'static FieldInfo]) -> String {
    let rule = "-".repeat(TEXT_WIDTH);
    let mut out = String::new();
    for (i, (class, group)) in by_class(fields).into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("Field class: {class}\n{rule}\n"));
        for f in group {
            let name = written_name(f);
            let mut desc = f.description.to_string();
            let r = remarks(f);
            if !r.is_empty() {
                desc.push_str(&format!(" [{}]", r.join(", ")));
            }
            let indent = NAME_COLUMN + TYPE_COLUMN + 2;
            let lines = wrap(&desc, TEXT_WIDTH.saturating_sub(indent).max(30));
            let ty = f.ty.display_name();
            if name.chars().count() < NAME_COLUMN {
                out.push_str(&format!("{name:<NAME_COLUMN$} {ty:<TYPE_COLUMN$} "));
            } else {
                out.push_str(&format!("{name}\n{:NAME_COLUMN$} {ty:<TYPE_COLUMN$} ", ""));
            }
            for (j, line) in lines.iter().enumerate() {
                if j > 0 {
                    out.push_str(&" ".repeat(indent));
                }
                out.push_str(line);
                out.push('\n');
            }
            if lines.is_empty() {
                out.push('\n');
            }
        }
    }
    out
}

/// Greedy word wrap; a word longer than the width gets a line of its own.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// One field in the JSON listing (keys in this order).
#[derive(serde::Serialize)]
struct JsonField {
    name: &'static str,
    class: &'static str,
    #[serde(rename = "type")]
    ty: &'static str,
    pt_type: &'static str,
    list: bool,
    arg: &'static str,
    arg_kind: Option<&'static str>,
    arg_hint: Option<String>,
    flags: Vec<&'static str>,
    hidden: bool,
    operators: Vec<&'static str>,
    operators_depend_on_param: bool,
    description: &'static str,
}

fn render_json(fields: &[&'static FieldInfo]) -> String {
    let arr: Vec<JsonField> = fields
        .iter()
        .map(|f| JsonField {
            name: f.name,
            class: f.class,
            ty: f.ty.display_name(),
            pt_type: f.ty.pt_name(),
            list: f.is_list,
            arg: match f.arg {
                ArgSpec::None => "none",
                ArgSpec::Optional => "optional",
                ArgSpec::Required => "required",
            },
            arg_kind: match f.arg_kind {
                ArgKind::Unstated => None,
                ArgKind::Index => Some("index"),
                ArgKind::Key => Some("key"),
                ArgKind::IndexOrKey => Some("index,key"),
            },
            arg_hint: f.arg_hint(),
            flags: f.flags.names(),
            hidden: f.is_hidden(),
            operators: f.ops.iter().map(|op| op.as_str()).collect(),
            operators_depend_on_param: f.ops_depend_on_param,
            description: f.description,
        })
        .collect();
    // Serialising plain strings, bools and vectors cannot fail; an empty array is a safe fallback.
    let mut s = serde_json::to_string_pretty(&arr).unwrap_or_else(|_| "[]".to_string());
    s.push('\n');
    s
}

fn render_markdown(fields: &[&'static FieldInfo]) -> String {
    let mut out = String::new();
    for (i, (class, group)) in by_class(fields).into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("## {}\n\n", md_escape(class)));
        out.push_str("| Field | Type | Description |\n|---|---|---|\n");
        for f in group {
            let mut desc = md_escape(f.description);
            let r = remarks(f);
            if !r.is_empty() {
                desc.push_str(&format!(" *({})*", r.join(", ")));
            }
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                written_name(f).replace('|', "\\|"),
                f.ty.display_name(),
                desc
            ));
        }
    }
    out
}

/// Escapes what would break a table cell or start Markdown formatting.
fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_by_class_or_name_prefix() {
        let proc = select(Some("proc"), false).expect("proc");
        assert!(proc.iter().any(|f| f.name == "proc.name"));
        assert!(proc.iter().any(|f| f.name == "thread.tid"), "the process class");
        let container = select(Some("container"), false).expect("container");
        assert!(container.iter().all(|f| f.class == "container plugin"));
        let k8s = select(Some("k8s"), false).expect("k8s");
        assert!(!k8s.is_empty() && k8s.iter().all(|f| f.name.starts_with("k8s.")));
        assert!(select(Some("nosuchclass"), false).is_err());
        let util = select(Some("util"), false).expect("util");
        assert_eq!(util.len(), 1, "a filter naming only hidden fields shows them");
        let all = select(None, true).expect("all");
        let visible = select(None, false).expect("visible");
        assert_eq!(all.len(), 294);
        assert!(visible.len() < all.len());
    }

    #[test]
    fn renders_every_format() {
        let fields = select(Some("fd"), false).expect("fd");
        let text = render_text(&fields);
        assert!(text.starts_with("Field class: fd\n"));
        assert!(text.contains("fd.name "));
        assert!(text.lines().all(|l| l.chars().count() <= TEXT_WIDTH + 40));
        let json: serde_json::Value = serde_json::from_str(&render_json(&fields)).expect("json");
        let first = &json[0];
        assert_eq!(first["name"], "fd.num");
        assert!(first["operators"].as_array().is_some_and(|a| a.iter().any(|o| o == "in")));
        let md = render_markdown(&fields);
        assert!(md.contains("## fd\n") && md.contains("| `fd.name` | string |"));
    }

    #[test]
    fn wraps_words() {
        assert_eq!(wrap("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert!(wrap("", 10).is_empty());
    }
}
