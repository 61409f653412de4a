//! Presentation of compiler diagnostics for people (ariadne snippets on a terminal) and for
//! tools (JSON with 1-based lines and character columns).
//!
//! The compiler reports byte ranges; this module is the edge where they become characters,
//! lines and columns. It must never panic on a diagnostic, whatever its span: offsets past the
//! end of a file or inside a multi-byte character are clamped, and a location in a file that was
//! not loaded is shown without a snippet.

use std::borrow::Cow;
use std::ops::Range;

use ariadne::{Color, Fmt as _};
use rulec_compiler::{Applicability, Diagnostic, FileId, Fix, Location, Severity, SourceFile};
use serde::Serialize;

/// A start and an end position, 1-based, with columns counted in characters. The end is
/// exclusive: it is the position just after the last character of the range.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

/// One diagnostic in the JSON output of `rulec check --format json`.
#[derive(Clone, Debug, Serialize)]
pub struct JsonDiagnostic {
    /// The stable code, e.g. `E0401`.
    pub code: &'static str,
    /// The stable kebab-case name of the code, e.g. `unknown-field`.
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    pub file: String,
    #[serde(flatten)]
    pub position: Position,
    pub hint: Option<String>,
    pub labels: Vec<JsonLabel>,
    /// The changes that resolve it, as `rulec check --fix` and the language server's code
    /// actions apply them; absent when it has none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<JsonFix>,
}

/// A secondary location of a [`JsonDiagnostic`].
#[derive(Clone, Debug, Serialize)]
pub struct JsonLabel {
    pub file: String,
    #[serde(flatten)]
    pub position: Position,
    pub message: String,
}

/// A fix of a [`JsonDiagnostic`]: a title for people and edits applied all together.
#[derive(Clone, Debug, Serialize)]
pub struct JsonFix {
    pub title: String,
    /// `safe` (`rulec check --fix` applies it) or `suggestion` (a guess, for a person to choose).
    pub applicability: &'static str,
    pub edits: Vec<JsonEdit>,
}

/// One edit of a [`JsonFix`]: the range to replace, as lines and character columns and as byte
/// offsets into the file (end exclusive), and its replacement.
#[derive(Clone, Debug, Serialize)]
pub struct JsonEdit {
    pub file: String,
    #[serde(flatten)]
    pub position: Position,
    pub start_byte: u32,
    pub end_byte: u32,
    pub replacement: String,
}

/// Renders diagnostics that point into a fixed set of loaded files.
pub struct Renderer<'a> {
    files: &'a [SourceFile],
    /// Per file, the character offset at which each line (as `SourceFile` counts lines) starts;
    /// with `SourceFile::line_col` this turns a byte offset into ariadne's character offset.
    line_char_starts: Vec<Vec<usize>>,
    /// Per file, ariadne's line index of the text it is given (see [`ariadne_text`]), built once
    /// for all the diagnostics of a run.
    sources: Vec<ariadne::Source<Cow<'a, str>>>,
}

impl<'a> Renderer<'a> {
    pub fn new(files: &'a [SourceFile]) -> Renderer<'a> {
        let line_char_starts = files.iter().map(|f| line_char_starts(&f.text)).collect();
        let sources = files.iter().map(|f| ariadne::Source::from(ariadne_text(&f.text))).collect();
        Renderer { files, line_char_starts, sources }
    }

    /// The index in `files` of the file with this id, if it was loaded.
    fn index(&self, id: FileId) -> Option<usize> {
        let guess = id.0 as usize;
        if self.files.get(guess).is_some_and(|f| f.id == id) {
            return Some(guess);
        }
        self.files.iter().position(|f| f.id == id)
    }

    /// The name of a file as the user gave it, or `<unknown>` for an id that was not loaded.
    pub fn file_name(&self, id: FileId) -> &str {
        self.index(id).map_or("<unknown>", |i| self.files[i].name.as_str())
    }

    /// The character offset of a byte offset. Offsets past the end are clamped to the end; an
    /// offset inside a multi-byte character counts as that character's start, or as its end when
    /// `round_up` (so that a range never loses a character it partly covers).
    fn char_offset(&self, index: usize, byte: usize, round_up: bool) -> usize {
        let file = &self.files[index];
        let byte = if round_up { ceil_char_boundary(&file.text, byte) } else { byte };
        let lc = file.line_col(byte);
        let line_start = self.line_char_starts[index].get(lc.line as usize - 1).copied().unwrap_or(0);
        line_start + lc.col as usize - 1
    }

    /// The character range of a location, with the index of its file.
    fn char_range(&self, location: Location) -> Option<(usize, Range<usize>)> {
        let index = self.index(location.file)?;
        let start = self.char_offset(index, location.start as usize, false);
        let end = self.char_offset(index, location.end as usize, true).max(start);
        Some((index, start..end))
    }

    /// 1-based lines and character columns of a location; line 1 column 1 for a file that was
    /// not loaded (tools still get a well-formed record).
    pub fn position(&self, location: Location) -> Position {
        let Some(index) = self.index(location.file) else {
            return Position { line: 1, column: 1, end_line: 1, end_column: 1 };
        };
        let file = &self.files[index];
        let start = file.line_col(location.start as usize);
        let end = file.line_col(ceil_char_boundary(&file.text, location.end as usize));
        Position { line: start.line, column: start.col, end_line: end.line, end_column: end.col }
    }

    /// The JSON record of a diagnostic.
    pub fn json(&self, diagnostic: &Diagnostic) -> JsonDiagnostic {
        JsonDiagnostic {
            code: diagnostic.code.as_str(),
            name: diagnostic.code.slug(),
            severity: diagnostic.severity,
            message: diagnostic.message.clone(),
            file: self.file_name(diagnostic.primary.file).to_owned(),
            position: self.position(diagnostic.primary),
            hint: diagnostic.hint.clone(),
            labels: diagnostic
                .labels
                .iter()
                .map(|label| JsonLabel {
                    file: self.file_name(label.location.file).to_owned(),
                    position: self.position(label.location),
                    message: label.message.clone(),
                })
                .collect(),
            fixes: diagnostic.fixes.iter().map(|fix| self.json_fix(fix)).collect(),
        }
    }

    fn json_fix(&self, fix: &Fix) -> JsonFix {
        JsonFix {
            title: fix.title.clone(),
            applicability: match fix.applicability {
                Applicability::Safe => "safe",
                Applicability::Suggestion => "suggestion",
            },
            edits: fix
                .edits
                .iter()
                .map(|edit| JsonEdit {
                    file: self.file_name(edit.location.file).to_owned(),
                    position: self.position(edit.location),
                    start_byte: edit.location.start,
                    end_byte: edit.location.end,
                    replacement: edit.replacement.clone(),
                })
                .collect(),
        }
    }

    /// A diagnostic as text: `error[E0401]: message`, then the source snippet with the primary
    /// span and the labels, `path:line:col`, and the hint as a help note. Ends with a newline.
    pub fn text(&self, diagnostic: &Diagnostic, color: bool) -> String {
        let mut out = header(diagnostic, color);
        // A snippet draws whole lines: on a very long line (a generated or minified file) that
        // is the whole file once per diagnostic, so such lines get a window around the column.
        if self.touches_long_line(diagnostic) {
            out.push_str(&self.windowed_body(diagnostic));
            return out;
        }
        // ariadne is large and says of itself that it has bugs; a failure to draw one snippet
        // must not take the whole report down, so fall back to the plain form.
        let snippet = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.snippet(diagnostic, color)));
        match snippet {
            Ok(Some(snippet)) => out.push_str(&snippet),
            Ok(None) | Err(_) => out.push_str(&self.plain_body(diagnostic)),
        }
        out
    }

    /// A diagnostic as plain text that does not depend on a drawing library, for snapshots of
    /// the checker's cases (`tests/diagnostics.rs`): the code, slug and message, the range
    /// `name:line:col-line:col`, the line it starts on with carets under the span (clipped to
    /// that line), each label's `line:col` and message, and the hint. Ends with a newline.
    pub fn plain(&self, diagnostic: &Diagnostic) -> String {
        let d = diagnostic;
        let sev = if d.is_error() { "error" } else { "warning" };
        let mut out = format!("{sev}[{}] {}: {}\n", d.code, d.code.slug(), d.message);
        let p = self.position(d.primary);
        let name = self.file_name(d.primary.file);
        out.push_str(&format!("  --> {name}:{}:{}-{}:{}\n", p.line, p.column, p.end_line, p.end_column));
        let line = self.index(d.primary.file).map_or("", |i| self.files[i].line_text(p.line as usize - 1));
        let width = if p.end_line == p.line { p.end_column.saturating_sub(p.column).max(1) } else { 1 };
        out.push_str(&format!("   | {line}\n"));
        out.push_str(&format!("   | {}{}\n", " ".repeat(p.column as usize - 1), "^".repeat(width as usize)));
        for label in &d.labels {
            let lp = self.position(label.location);
            out.push_str(&format!("   = note: {}:{}: {}\n", lp.line, lp.column, label.message));
        }
        if let Some(h) = &d.hint {
            out.push_str(&format!("   = hint: {h}\n"));
        }
        out
    }

    /// A diagnostic in one line per location, for snapshots of the loader's cases
    /// (`tests/load_diagnostics.rs`): `name:line:col: CODE slug: message `written text``, then
    /// `    label name:line:col: message` per label and `    hint: ...`. Ends with a newline.
    pub fn compact(&self, diagnostic: &Diagnostic) -> String {
        let d = diagnostic;
        let at = |location: Location| {
            let p = self.position(location);
            format!("{}:{}:{}", self.file_name(location.file), p.line, p.column)
        };
        let written = self.index(d.primary.file).map_or("", |i| {
            let text = &self.files[i].text;
            let start = ceil_char_boundary(text, d.primary.start as usize);
            let end = ceil_char_boundary(text, d.primary.end as usize).max(start);
            &text[start..end]
        });
        let mut out =
            format!("{}: {} {}: {} `{}`\n", at(d.primary), d.code, d.code.slug(), d.message, written.escape_debug());
        for l in &d.labels {
            out.push_str(&format!("    label {}: {}\n", at(l.location), l.message));
        }
        if let Some(h) = &d.hint {
            out.push_str(&format!("    hint: {h}\n"));
        }
        out
    }

    /// Whether the primary location or a label is on a line longer than [`MAX_DRAWN_LINE`].
    fn touches_long_line(&self, diagnostic: &Diagnostic) -> bool {
        std::iter::once(diagnostic.primary).chain(diagnostic.labels.iter().map(|l| l.location)).any(|location| {
            self.index(location.file).is_some_and(|i| {
                let line = self.position(location).line as usize - 1;
                self.files[i].line_text(line).len() > MAX_DRAWN_LINE
            })
        })
    }

    /// The body for a diagnostic on a long line: where, the primary line cut to a window of
    /// [`WINDOW`] characters each side of the span (`…` where it is cut) with carets under the
    /// span, then the labels and the hint.
    fn windowed_body(&self, diagnostic: &Diagnostic) -> String {
        let p = self.position(diagnostic.primary);
        let mut out = String::new();
        out.push_str(&format!("  --> {}:{}:{}\n", self.file_name(diagnostic.primary.file), p.line, p.column));
        if let Some(i) = self.index(diagnostic.primary.file) {
            let file = &self.files[i];
            let line = file.line_text(p.line as usize - 1);
            // Byte offsets within the line, so that the cost is the window's, not the line's.
            let line_start = line.as_ptr() as usize - file.text.as_ptr() as usize;
            let at = ceil_char_boundary(line, (diagnostic.primary.start as usize).saturating_sub(line_start));
            let before: Vec<(usize, char)> = line[..at].char_indices().rev().take(WINDOW).collect();
            let from = before.last().map_or(at, |&(b, _)| b);
            let width =
                if p.end_line == p.line { (p.end_column as usize).saturating_sub(p.column as usize).max(1) } else { 1 };
            let after_len: usize = line[at..].chars().take(width.min(WINDOW) + WINDOW).map(char::len_utf8).sum();
            let to = at + after_len;
            let (cut_start, cut_end) = (from > 0, to < line.len());
            let number = p.line.to_string();
            let gutter = " ".repeat(number.len());
            out.push_str(&format!(
                "{number} | {}{}{}\n",
                if cut_start { "…" } else { "" },
                &line[from..to],
                if cut_end { "…" } else { "" }
            ));
            let pad = before.len() + usize::from(cut_start);
            out.push_str(&format!("{gutter} | {}{}\n", " ".repeat(pad), "^".repeat(width.min(WINDOW))));
        }
        for label in &diagnostic.labels {
            let lp = self.position(label.location);
            out.push_str(&format!(
                "  --> {}:{}:{}: {}\n",
                self.file_name(label.location.file),
                lp.line,
                lp.column,
                label.message
            ));
        }
        if let Some(hint) = &diagnostic.hint {
            out.push_str(&format!("  help: {hint}\n"));
        }
        out
    }

    /// The body without a snippet: where, the labels, the hint.
    fn plain_body(&self, diagnostic: &Diagnostic) -> String {
        let mut out = String::new();
        let at = |location: Location| {
            let p = self.position(location);
            format!("{}:{}:{}", self.file_name(location.file), p.line, p.column)
        };
        out.push_str(&format!("  --> {}\n", at(diagnostic.primary)));
        for label in &diagnostic.labels {
            out.push_str(&format!("  --> {}: {}\n", at(label.location), label.message));
        }
        if let Some(hint) = &diagnostic.hint {
            out.push_str(&format!("  help: {hint}\n"));
        }
        out
    }

    /// ariadne's drawing of the diagnostic without its header line, or `None` when the primary
    /// location is not in a loaded file.
    fn snippet(&self, diagnostic: &Diagnostic, color: bool) -> Option<String> {
        let (primary_index, primary_range) = self.char_range(diagnostic.primary)?;
        let kind = match diagnostic.severity {
            Severity::Error => ariadne::ReportKind::Error,
            Severity::Warning => ariadne::ReportKind::Warning,
        };
        let config = ariadne::Config::default()
            .with_color(color)
            .with_index_type(ariadne::IndexType::Char)
            .with_label_attach(ariadne::LabelAttach::Start);

        // ariadne draws one section per run of labels in the same file at non-decreasing lines;
        // ordering them by file (the primary's first) and position gives one section per file.
        let mut labels: Vec<(usize, Range<usize>, Option<&str>, bool)> =
            vec![(primary_index, primary_range.clone(), None, true)];
        for label in &diagnostic.labels {
            if let Some((index, range)) = self.char_range(label.location) {
                labels.push((index, range, Some(label.message.as_str()), false));
            }
        }
        labels.sort_by_key(|(index, range, _, is_primary)| (*index != primary_index, *index, range.start, !is_primary));

        let primary_color = severity_color(diagnostic.severity);
        let mut report = ariadne::Report::build(kind, (SourceId(primary_index), primary_range)).with_config(config);
        for (index, range, message, is_primary) in labels {
            let color = if is_primary { primary_color } else { Color::Blue };
            // ariadne draws an underline only under a label with a message, so the primary span
            // carries the diagnostic's own message (the compiler has no shorter one for it).
            let message = message.unwrap_or(diagnostic.message.as_str());
            let label = ariadne::Label::new((SourceId(index), range)).with_color(color).with_message(message);
            report = report.with_label(label);
        }
        if let Some(hint) = &diagnostic.hint {
            report = report.with_help(hint);
        }

        let mut bytes = Vec::new();
        report.finish().write(Cache(self), &mut bytes).ok()?;
        let drawn = String::from_utf8_lossy(&bytes);
        // The header is ours (ariadne writes `[code] Error: message`; we want rustc's form), so
        // drop ariadne's: with no message set it is exactly the first line.
        let body = drawn.split_once('\n').map_or("", |(_, rest)| rest);
        // ariadne pads some lines with blanks; trailing blanks only get in the way of diffs and
        // of snapshot files that editors trim.
        let mut trimmed = String::with_capacity(body.len());
        for line in body.lines() {
            trimmed.push_str(line.trim_end());
            trimmed.push('\n');
        }
        Some(trimmed)
    }
}

/// Lines longer than this (in bytes) are not drawn whole in a snippet.
const MAX_DRAWN_LINE: usize = 240;
/// Characters shown each side of a span on a long line.
const WINDOW: usize = 60;

/// `error[E0401]: message` (or `warning[...]`), coloured when asked, with a newline.
fn header(diagnostic: &Diagnostic, color: bool) -> String {
    let word = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let tag = format!("{word}[{}]", diagnostic.code.as_str());
    if color {
        format!("{}: {}\n", tag.fg(severity_color(diagnostic.severity)), diagnostic.message)
    } else {
        format!("{tag}: {}\n", diagnostic.message)
    }
}

fn severity_color(severity: Severity) -> Color {
    match severity {
        Severity::Error => Color::Red,
        Severity::Warning => Color::Yellow,
    }
}

/// The character offset of the start of every line, splitting at `\n` exactly as `SourceFile`
/// does.
fn line_char_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    for (chars, ch) in text.chars().enumerate() {
        if ch == '\n' {
            starts.push(chars + 1);
        }
    }
    starts
}

/// The smallest char boundary at or after `offset`, clamped to the text.
fn ceil_char_boundary(text: &str, offset: usize) -> usize {
    let mut o = offset.min(text.len());
    while !text.is_char_boundary(o) {
        o += 1;
    }
    o
}

/// The text as ariadne should see it. ariadne also breaks lines at a lone `\r`, vertical tab,
/// form feed, U+0085, U+2028 and U+2029, where `SourceFile` (and so the line numbers in JSON
/// and in the LSP) only breaks at `\n`. Each such character becomes a space: one character for
/// one, so character offsets are unchanged and both agree on line numbers.
fn ariadne_text(text: &str) -> Cow<'_, str> {
    let is_extra_break = |c: char| matches!(c, '\x0B' | '\x0C' | '\u{85}' | '\u{2028}' | '\u{2029}');
    let lone_cr = |i: usize| text.as_bytes()[i] == b'\r' && text.as_bytes().get(i + 1) != Some(&b'\n');
    if !text.char_indices().any(|(i, c)| is_extra_break(c) || (c == '\r' && lone_cr(i))) {
        return Cow::Borrowed(text);
    }
    let replaced: String = text
        .char_indices()
        .map(|(i, c)| if is_extra_break(c) || (c == '\r' && lone_cr(i)) { ' ' } else { c })
        .collect();
    Cow::Owned(replaced)
}

/// How ariadne names a loaded file: its index in the renderer's files.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct SourceId(usize);

/// ariadne's view of the renderer's files.
struct Cache<'r, 'a>(&'r Renderer<'a>);

impl<'a> ariadne::Cache<SourceId> for Cache<'_, 'a> {
    type Storage = Cow<'a, str>;

    fn fetch(&mut self, id: &SourceId) -> Result<&ariadne::Source<Cow<'a, str>>, impl std::fmt::Debug> {
        self.0.sources.get(id.0).ok_or_else(|| format!("no loaded file with index {}", id.0))
    }

    fn display<'b>(&self, id: &'b SourceId) -> Option<impl std::fmt::Display + 'b> {
        self.0.files.get(id.0).map(|f| f.name.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rulec_compiler::Code;

    fn file(text: &str) -> Vec<SourceFile> {
        vec![SourceFile::new(FileId(0), "t.yaml", text)]
    }

    #[test]
    fn char_offsets_count_characters() {
        let files = file("é𝄞x\nab");
        let r = Renderer::new(&files);
        let x = files[0].text.find('x').unwrap_or(0);
        assert_eq!(r.char_offset(0, x, false), 2);
        // Inside 𝄞 (4 bytes at 2..6): start rounds down, end rounds up.
        assert_eq!(r.char_offset(0, 3, false), 1);
        assert_eq!(r.char_offset(0, 3, true), 2);
        let b = files[0].text.rfind('b').unwrap_or(0);
        assert_eq!(r.char_offset(0, b, false), 5);
        assert_eq!(r.char_offset(0, 10_000, false), 6);
    }

    #[test]
    fn odd_line_breaks_become_spaces() {
        assert_eq!(ariadne_text("a\r\nb"), "a\r\nb");
        assert_eq!(ariadne_text("a\rb\u{2028}c\r"), "a b c ");
    }

    #[test]
    fn any_span_renders_without_panicking() {
        let texts = ["", "\n", "a", "é\r\n𝄞\n\n", "x\ty\u{2028}z\r", "- rule: r\n  condition: a\n"];
        for text in texts {
            let files = file(text);
            let r = Renderer::new(&files);
            let len = text.len() as u32 + 3;
            for start in 0..len {
                for end in [start, start + 1, len] {
                    let loc = Location { file: FileId(0), start, end };
                    let d = Diagnostic::new(Code::Syntax, loc, "m")
                        .with_label(Location { file: FileId(0), start: end, end: start }, "l")
                        .with_label(Location { file: FileId(7), start, end }, "elsewhere")
                        .with_hint("h");
                    // Straight to ariadne, past the catch_unwind of `text`, to see its panics.
                    assert!(r.snippet(&d, false).is_some());
                    let text = r.text(&d, true);
                    assert!(text.contains("[E0101]"), "{text}");
                    let _ = r.json(&d);
                }
            }
        }
    }
}
