//! Where the cursor is in the YAML structure of a rules file, read from the text around it.
//!
//! Completion of keys and values must work while the file is being typed, that is, while it is
//! not valid YAML (`  con` on a new line has no colon yet), so this reads lines and indentation
//! instead of the YAML tree: the enclosing item's kind, the chain of parent keys (`override`,
//! `exceptions`) and the keys already present in the map at the cursor.

/// One non-blank line, as far as keys go.
#[derive(Debug)]
struct Line<'a> {
    /// Column of the first `- ` of the line, if it starts a sequence entry.
    dash: Option<usize>,
    /// Column where the key (or value) starts, after indentation and `- `.
    key_col: usize,
    /// The key, when the line is `key:` or `key: value`.
    key: Option<&'a str>,
}

fn read_line(line: &str) -> Line<'_> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let mut rest = &line[indent..];
    let mut col = indent;
    let mut dash = None;
    while let Some(r) = rest.strip_prefix("- ").or_else(|| if rest == "-" { Some("") } else { None }) {
        dash.get_or_insert(col);
        let skipped = rest.len() - r.len();
        let r2 = r.trim_start_matches(' ');
        col += skipped + (r.len() - r2.len());
        rest = r2;
    }
    let key = rest.find(':').and_then(|i| {
        let after = &rest[i + 1..];
        let k = &rest[..i];
        let plain_key = !k.is_empty() && !k.contains(['"', '\'', ' ', '#']);
        (plain_key && (after.is_empty() || after.starts_with([' ', '\t']))).then_some(k)
    });
    Line { dash, key_col: col, key }
}

/// What the cursor's line and the lines above say.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct YamlContext {
    /// `rule`, `macro`, `list`, ... : the first key of the enclosing top-level item.
    pub item_kind: Option<String>,
    /// Parent keys from the innermost outwards (`["override"]`, `["exceptions"]`).
    pub parents: Vec<String>,
    /// Keys already written in the map at the cursor.
    pub siblings: Vec<String>,
    /// The cursor's line is a new top-level entry (`- ` at column 0).
    pub top_level_entry: bool,
    pub position: YamlPosition,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub enum YamlPosition {
    /// Typing a key; `typed_start` is the byte offset in the line where the key starts.
    Key { typed_start: usize },
    /// After `key:`; the value starts at `value_start` in the line, the word under the cursor
    /// at `typed_start`.
    Value { key: String, value_start: usize, typed_start: usize },
    #[default]
    Other,
}

/// Reads the context of byte `col` of line `line_index` in `lines`.
pub fn context(lines: &[&str], line_index: usize, col: usize) -> YamlContext {
    let mut ctx = YamlContext::default();
    let Some(line) = lines.get(line_index) else { return ctx };
    let mut col = col.min(line.len());
    while !line.is_char_boundary(col) {
        col -= 1;
    }
    let before = &line[..col];
    if before.trim_start().starts_with('#') {
        return ctx;
    }
    let cur = read_line(before);
    let typed_from =
        before.rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.')).map_or(0, |i| i + 1);
    // A `- ` at the start is not a typed key.
    let typed_from = typed_from.max(cur.key_col.min(before.len()));
    ctx.position = match cur.key {
        Some(k) => {
            let after_colon = before.find(':').map_or(before.len(), |i| i + 1);
            let value_start = after_colon + (before[after_colon..].len() - before[after_colon..].trim_start().len());
            let typed_start = value_start.max(typed_from.min(before.len()));
            YamlPosition::Value { key: k.to_owned(), value_start, typed_start }
        }
        None if !before[cur.key_col.min(before.len())..].contains([' ', '"', '\'', '[', '{']) => {
            YamlPosition::Key { typed_start: typed_from }
        }
        None => YamlPosition::Other,
    };
    ctx.top_level_entry = cur.dash == Some(0) && cur.key.is_none();
    if cur.dash == Some(0) {
        if let Some(k) = cur.key {
            ctx.item_kind = Some(k.to_owned());
        }
        return ctx;
    }
    let mut level = cur.key_col;
    let mut in_seq = cur.dash.is_some();
    if let Some(d) = cur.dash {
        level = d;
    }
    for l in lines[..line_index].iter().rev() {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let info = read_line(l);
        let key = info.key.unwrap_or("");
        if info.key_col > level {
            continue;
        }
        let parent = info.key_col < level || (in_seq && info.key_col == level && info.dash.is_none());
        if parent {
            ctx.parents.push(key.to_owned());
            level = info.key_col;
            in_seq = false;
            if info.dash == Some(0) {
                ctx.item_kind = Some(key.to_owned());
                return ctx;
            }
            if let Some(d) = info.dash {
                level = d;
                in_seq = true;
            }
            if info.key_col == 0 && info.dash.is_none() {
                return ctx;
            }
            continue;
        }
        // Same column: a sibling key of the map at the cursor, or the head of that map.
        if ctx.parents.is_empty() && !key.is_empty() {
            ctx.siblings.push(key.to_owned());
        }
        if let Some(d) = info.dash {
            if d == 0 {
                ctx.item_kind = Some(key.to_owned());
                return ctx;
            }
            level = d;
            in_seq = true;
        }
    }
    ctx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> YamlContext {
        let (line, col) =
            text.lines().enumerate().find_map(|(i, l)| l.find("$0").map(|c| (i, c))).expect("fixture has a cursor");
        let clean = text.replace("$0", "");
        let lines: Vec<&str> = clean.lines().collect();
        context(&lines, line, col)
    }

    #[test]
    fn rule_keys() {
        let c = at("- rule: a\n  desc: b\n  con$0\n");
        assert_eq!(c.item_kind.as_deref(), Some("rule"));
        assert_eq!(c.siblings, vec!["desc".to_owned(), "rule".to_owned()]);
        assert!(c.parents.is_empty());
        assert_eq!(c.position, YamlPosition::Key { typed_start: 2 });
    }

    #[test]
    fn override_and_exceptions() {
        let c = at("- rule: a\n  override:\n    condition: append\n    ou$0\n");
        assert_eq!(c.parents, vec!["override".to_owned()]);
        assert_eq!(c.item_kind.as_deref(), Some("rule"));
        let c = at("- rule: a\n  exceptions:\n    - name: x\n      fields: [a]\n      co$0\n");
        assert_eq!(c.parents, vec!["exceptions".to_owned()]);
        assert_eq!(c.siblings, vec!["fields".to_owned(), "name".to_owned()]);
        let c = at("- rule: a\n  exceptions:\n  - name: x\n    co$0\n");
        assert_eq!(c.parents, vec!["exceptions".to_owned()]);
        let c = at("- rule: a\n  override:\n    condition: $0\n");
        assert_eq!(c.position, YamlPosition::Value { key: "condition".into(), value_start: 15, typed_start: 15 });
        assert_eq!(c.parents, vec!["override".to_owned()]);
    }

    #[test]
    fn top_level() {
        let c = at("- rule: a\n\n- ma$0");
        assert!(c.top_level_entry);
        assert_eq!(c.position, YamlPosition::Key { typed_start: 2 });
        let c = at("- rule: a\n  priority: WAR$0");
        assert_eq!(c.position, YamlPosition::Value { key: "priority".into(), value_start: 12, typed_start: 12 });
        assert_eq!(c.item_kind.as_deref(), Some("rule"));
    }
}
