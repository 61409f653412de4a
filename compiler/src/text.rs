//! Decoded text that remembers where every byte came from.
//!
//! A condition, output or description is written in a YAML scalar of some style (plain, quoted,
//! block); the parser of conditions sees the *decoded* string. [`MappedText`] is that decoded
//! string plus a mapping from each decoded byte offset back to the file location that produced
//! it, so that a span inside a condition becomes an exact file line and column, even through
//! escapes, folded line breaks, stripped indentation, and texts appended from other items or
//! files.
//!
//! This module also owns the scalar decoders that compute the mapping ([`decode_scalar`]): they
//! re-read the scalar's source and must agree with the YAML parser's value; when they do not (an
//! exotic construct), the caller falls back to a coarse mapping rather than a wrong one.

use crate::diagnostic::{FileId, Location};
use rulec_grammar::Span;

/// One run of decoded bytes and where it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Segment {
    /// First decoded byte of the run.
    start: u32,
    file: FileId,
    /// File offset of the run's first byte.
    file_start: u32,
    /// `Some(len)`: the run was *produced* by `len` file bytes at `file_start` (an escape, a folded
    /// line break, a separator), so every byte of it maps to `file_start`. `None`: the run is a
    /// verbatim copy of the file, byte for byte.
    produced: Option<u32>,
}

/// A decoded string and the file location of each of its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappedText {
    text: String,
    segments: Vec<Segment>,
    /// Where the text as a whole was written (the first part, for appended texts).
    whole: Location,
}

impl MappedText {
    /// A text that does not appear in any file as such (a default, a generated string): every
    /// byte maps to the start of `at`, and the whole text to `at`.
    pub fn synthetic(text: impl Into<String>, at: Location) -> MappedText {
        let text = text.into();
        let segments = if text.is_empty() {
            Vec::new()
        } else {
            vec![Segment { start: 0, file: at.file, file_start: at.start, produced: Some(at.end - at.start) }]
        };
        MappedText { text, segments, whole: at }
    }

    /// A text that is written verbatim in `file` at byte `start` (a plain one-line scalar, a test).
    pub fn verbatim(text: impl Into<String>, file: FileId, start: usize) -> MappedText {
        let text = text.into();
        let whole = Location::new(file, start, start + text.len());
        let segments = if text.is_empty() {
            Vec::new()
        } else {
            vec![Segment { start: 0, file, file_start: start as u32, produced: None }]
        };
        MappedText { text, segments, whole }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Where the text was written as a whole (for appended texts: the first part).
    pub fn whole(&self) -> Location {
        self.whole
    }

    /// The file the text (its first part) comes from.
    pub fn file(&self) -> FileId {
        self.whole.file
    }

    /// Index of the segment holding decoded byte `decoded` (which must be < len).
    fn segment_at(&self, decoded: usize) -> Option<usize> {
        if self.segments.is_empty() {
            return None;
        }
        let i = self.segments.partition_point(|s| s.start as usize <= decoded);
        Some(i.saturating_sub(1))
    }

    fn segment_end(&self, i: usize) -> usize {
        self.segments.get(i + 1).map_or(self.text.len(), |s| s.start as usize)
    }

    /// The file and file offset of the decoded byte `decoded`. Offsets at or past the end map
    /// just after the last byte of the text; an empty text maps to where it was written.
    pub fn offset(&self, decoded: usize) -> (FileId, usize) {
        if decoded >= self.text.len() {
            return self.end_offset();
        }
        let Some(i) = self.segment_at(decoded) else {
            return (self.whole.file, self.whole.start as usize);
        };
        let s = self.segments[i];
        match s.produced {
            Some(_) => (s.file, s.file_start as usize),
            None => (s.file, s.file_start as usize + (decoded - s.start as usize)),
        }
    }

    /// The file position just after the last decoded byte.
    fn end_offset(&self) -> (FileId, usize) {
        match self.segments.last() {
            None => (self.whole.file, self.whole.start as usize),
            Some(s) => match s.produced {
                Some(len) => (s.file, (s.file_start + len) as usize),
                None => (s.file, s.file_start as usize + (self.text.len() - s.start as usize)),
            },
        }
    }

    /// File range covering the decoded byte range `[at, at + char_len)` of a single char.
    fn char_range(&self, at: usize) -> (FileId, usize, usize) {
        let Some(i) = self.segment_at(at) else {
            let (f, o) = self.offset(at);
            return (f, o, o);
        };
        let s = self.segments[i];
        let clen = self.text[at..].chars().next().map_or(0, char::len_utf8);
        match s.produced {
            Some(len) => (s.file, s.file_start as usize, (s.file_start + len) as usize),
            None => {
                let o = s.file_start as usize + (at - s.start as usize);
                (s.file, o, o + clen)
            }
        }
    }

    /// The file location of a span of the decoded text. The start lands exactly on the file
    /// position of the span's first char; the end just after the file bytes of its last char. A
    /// span that runs from one appended part into another file is cut at the end of its first
    /// file's part.
    pub fn location(&self, span: Span) -> Location {
        let len = self.text.len();
        let mut start = (span.start as usize).min(len);
        let mut end = (span.end as usize).min(len).max(start);
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        if start == end {
            let (f, o) = self.offset(start);
            return Location::new(f, o, o);
        }
        let (file, fstart, mut fend) = self.char_range(start);
        // The last char of the span.
        let last = self.text[..end].char_indices().next_back().map_or(start, |(i, _)| i);
        let (lf, _, lend) = self.char_range(last);
        if lf == file && lend >= fstart {
            fend = fend.max(lend);
        } else {
            // Extend through the segments of the same file, in order, as far as they go forward.
            let mut i = self.segment_at(start).unwrap_or(0);
            while i < self.segments.len() && self.segments[i].start as usize <= last {
                let s = self.segments[i];
                if s.file != file || (s.file_start as usize) < fstart {
                    break;
                }
                let seg_last = self.segment_end(i).min(end);
                let e = match s.produced {
                    Some(l) => (s.file_start + l) as usize,
                    None => s.file_start as usize + (seg_last - s.start as usize),
                };
                fend = fend.max(e);
                i += 1;
            }
        }
        Location::new(file, fstart, fend)
    }

    /// Appends `sep` and then `other`: each part keeps mapping to its own file; the separator maps
    /// to the end of the text before it.
    pub fn append(&mut self, sep: &str, other: &MappedText) {
        if !sep.is_empty() {
            let (file, at) = self.end_offset();
            self.push_segment(Segment {
                start: self.text.len() as u32,
                file,
                file_start: at as u32,
                produced: Some(0),
            });
            self.text.push_str(sep);
        }
        let base = self.text.len() as u32;
        if other.segments.is_empty() && !other.text.is_empty() {
            // Defensive: a text without segments maps to where it was written.
            self.push_segment(Segment {
                start: base,
                file: other.whole.file,
                file_start: other.whole.start,
                produced: Some(0),
            });
        }
        for s in &other.segments {
            self.push_segment(Segment { start: base + s.start, ..*s });
        }
        self.text.push_str(&other.text);
    }

    /// The decoded bytes `range` as a text of their own, still mapped to the file.
    pub fn slice(&self, range: std::ops::Range<usize>) -> MappedText {
        let len = self.text.len();
        let mut start = range.start.min(len);
        let mut end = range.end.min(len).max(start);
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        let mut out = MappedText { text: self.text[start..end].to_string(), segments: Vec::new(), whole: self.whole };
        if let Some(first) = self.segment_at(start).filter(|_| start < end) {
            for i in first..self.segments.len() {
                let s = self.segments[i];
                if s.start as usize >= end {
                    break;
                }
                let from = (s.start as usize).max(start);
                let file_start = match s.produced {
                    Some(_) => s.file_start,
                    None => s.file_start + (from - s.start as usize) as u32,
                };
                out.push_segment(Segment { start: (from - start) as u32, file_start, ..s });
            }
        }
        out
    }

    /// The text without leading and trailing white space (Falco trims outputs).
    pub fn trim(&self) -> MappedText {
        let t = self.text.trim_start();
        let start = self.text.len() - t.len();
        let end = start + t.trim_end().len();
        self.slice(start..end)
    }

    fn push_segment(&mut self, seg: Segment) {
        if let Some(last) = self.segments.last_mut() {
            if last.start == seg.start {
                // An empty previous run: replace it.
                *last = seg;
                return;
            }
            // Merge verbatim runs that continue each other in the file.
            if last.produced.is_none()
                && seg.produced.is_none()
                && last.file == seg.file
                && last.file_start + (seg.start - last.start) == seg.file_start
            {
                return;
            }
        }
        self.segments.push(seg);
    }
}

/// Builds a [`MappedText`] while decoding a scalar of one file.
#[derive(Debug)]
pub(crate) struct Builder {
    out: MappedText,
}

impl Builder {
    pub(crate) fn new(file: FileId) -> Builder {
        Builder { out: MappedText { text: String::new(), segments: Vec::new(), whole: Location::new(file, 0, 0) } }
    }

    /// Text copied verbatim from the file at `at`.
    pub(crate) fn verbatim(&mut self, s: &str, at: usize) {
        if s.is_empty() {
            return;
        }
        let seg = Segment {
            start: self.out.text.len() as u32,
            file: self.out.whole.file,
            file_start: at as u32,
            produced: None,
        };
        self.out.push_segment(seg);
        self.out.text.push_str(s);
    }

    /// Text produced by the `len` file bytes at `at` (an escape, a folded line break).
    pub(crate) fn produced(&mut self, s: &str, at: usize, len: usize) {
        if s.is_empty() {
            return;
        }
        let seg = Segment {
            start: self.out.text.len() as u32,
            file: self.out.whole.file,
            file_start: at as u32,
            produced: Some(len as u32),
        };
        self.out.push_segment(seg);
        self.out.text.push_str(s);
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.out.text
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        self.out.text.truncate(len);
        while self.out.segments.last().is_some_and(|s| s.start as usize >= len) {
            self.out.segments.pop();
        }
    }

    pub(crate) fn finish(mut self, whole: Location) -> MappedText {
        self.out.whole = whole;
        self.out
    }
}

/// The style a scalar was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    /// `|`
    Literal,
    /// `>`
    Folded,
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn is_break(c: u8) -> bool {
    c == b'\n' || c == b'\r'
}

/// Length of the line break at `pos` (2 for `\r\n`), 0 if none.
fn break_len(b: &[u8], pos: usize) -> usize {
    match b.get(pos) {
        Some(b'\r') if b.get(pos + 1) == Some(&b'\n') => 2,
        Some(b'\r' | b'\n') => 1,
        _ => 0,
    }
}

/// Skips anchors (`&a`) and tags (`!t`, `!!str`) written before a node, with the blanks, line
/// breaks and comments after them.
fn skip_properties(b: &[u8], mut pos: usize) -> usize {
    if !matches!(b.get(pos), Some(b'&' | b'!')) {
        // No properties: the span starts at the scalar itself (blanks there are content).
        return pos;
    }
    loop {
        match b.get(pos) {
            Some(b'&' | b'!') => {
                while pos < b.len() && !is_blank(b[pos]) && !is_break(b[pos]) {
                    pos += 1;
                }
            }
            Some(c) if is_blank(*c) || is_break(*c) => pos += 1,
            Some(b'#') if pos > 0 && (is_blank(b[pos - 1]) || is_break(b[pos - 1])) => {
                while pos < b.len() && !is_break(b[pos]) {
                    pos += 1;
                }
            }
            _ => return pos,
        }
    }
}

/// A decoded scalar: its mapped text and the end of its source (after the closing quote, after
/// the last content char).
pub(crate) struct Decoded {
    pub(crate) text: MappedText,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Decodes the scalar of `style` whose event starts at byte `start` (`end` is the parser's end of
/// the token) and checks the result against the parser's `value`. Returns `None` when the
/// decoding disagrees with the parser (then the caller maps the value coarsely).
pub(crate) fn decode_scalar(
    file: FileId,
    src: &str,
    style: ScalarStyle,
    value: &str,
    start: usize,
    end: usize,
) -> Option<Decoded> {
    let b = src.as_bytes();
    let start = skip_properties(b, start.min(b.len()));
    let end = end.min(b.len()).max(start);
    let mut out = Builder::new(file);
    let (from, to) = match style {
        ScalarStyle::Plain => {
            decode_plain(src, start, end, &mut out)?;
            (start, end)
        }
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
            let to = decode_quoted(src, start, style == ScalarStyle::SingleQuoted, &mut out)?;
            (start, to)
        }
        ScalarStyle::Literal | ScalarStyle::Folded => {
            let to = decode_block(src, start, style == ScalarStyle::Folded, value, &mut out)?;
            (start, to)
        }
    };
    if out.as_str() != value {
        return None;
    }
    let (from, to) = trim_range(b, from, to);
    Some(Decoded { text: out.finish(Location::new(file, from, to)), start: from, end: to })
}

/// The range without trailing blanks and line breaks (block scalars end on the next line).
fn trim_range(b: &[u8], from: usize, mut to: usize) -> (usize, usize) {
    while to > from && (is_blank(b[to - 1]) || is_break(b[to - 1])) {
        to -= 1;
    }
    (from, to)
}

/// Plain scalars: runs of blanks inside a line are kept; a line break between content folds to a
/// space (mapped to the break), and each further empty line gives a `\n` (mapped to its break);
/// blanks around line breaks are dropped.
fn decode_plain(src: &str, start: usize, end: usize, out: &mut Builder) -> Option<()> {
    let b = src.as_bytes();
    let mut pos = start;
    while pos < end {
        if is_blank(b[pos]) || is_break(b[pos]) {
            let ws_start = pos;
            let mut breaks: Vec<(usize, usize)> = Vec::new();
            while pos < end && (is_blank(b[pos]) || is_break(b[pos])) {
                let bl = break_len(b, pos);
                if bl > 0 {
                    breaks.push((pos, bl));
                    pos += bl;
                } else {
                    pos += 1;
                }
            }
            fold_breaks(src, ws_start, pos, &breaks, out);
        } else {
            let run = pos;
            while pos < end && !is_blank(b[pos]) && !is_break(b[pos]) {
                pos += 1;
            }
            out.verbatim(src.get(run..pos)?, run);
        }
    }
    Some(())
}

/// The white space `[from, to)` between two pieces of content of a plain or quoted scalar.
fn fold_breaks(src: &str, from: usize, to: usize, breaks: &[(usize, usize)], out: &mut Builder) {
    match breaks {
        [] => out.verbatim(&src[from..to], from),
        [(at, len)] => out.produced(" ", *at, *len),
        [_, rest @ ..] => {
            for &(at, len) in rest {
                out.produced("\n", at, len);
            }
        }
    }
}

/// Quoted scalars starting at the opening quote; returns the offset after the closing quote.
fn decode_quoted(src: &str, start: usize, single: bool, out: &mut Builder) -> Option<usize> {
    let b = src.as_bytes();
    let quote = if single { b'\'' } else { b'"' };
    if b.get(start) != Some(&quote) {
        return None;
    }
    let mut pos = start + 1;
    loop {
        // Content up to white space or the closing quote.
        let mut escaped_break = false;
        loop {
            let c = *b.get(pos)?;
            if is_blank(c) || is_break(c) {
                break;
            }
            if single && c == b'\'' {
                if b.get(pos + 1) == Some(&b'\'') {
                    out.produced("'", pos, 2);
                    pos += 2;
                    continue;
                }
                break;
            }
            if !single && c == b'"' {
                break;
            }
            if !single && c == b'\\' {
                let bl = break_len(b, pos + 1);
                if bl > 0 {
                    pos += 1 + bl;
                    escaped_break = true;
                    break;
                }
                let (ch, len) = unescape(src, pos)?;
                let mut buf = [0u8; 4];
                out.produced(ch.encode_utf8(&mut buf), pos, len);
                pos += len;
                continue;
            }
            let run = pos;
            while pos < b.len() && !matches!(b[pos], b' ' | b'\t' | b'\n' | b'\r' | b'\\' | b'\'' | b'"') {
                pos += 1;
            }
            if pos == run {
                // A quote char of the other kind.
                pos += 1;
            }
            out.verbatim(src.get(run..pos)?, run);
        }
        if b.get(pos) == Some(&quote) {
            return Some(pos + 1);
        }
        // White space: blanks, line breaks.
        let ws_start = pos;
        let mut leading_blanks = escaped_break;
        let mut blanks_from: Option<usize> = None;
        let mut leading_break: Option<(usize, usize)> = None;
        let mut trailing: Vec<(usize, usize)> = Vec::new();
        while pos < b.len() && (is_blank(b[pos]) || is_break(b[pos])) {
            let bl = break_len(b, pos);
            if bl == 0 {
                if !leading_blanks && blanks_from.is_none() {
                    blanks_from = Some(pos);
                }
                pos += 1;
            } else {
                if leading_blanks {
                    trailing.push((pos, bl));
                } else {
                    blanks_from = None;
                    leading_break = Some((pos, bl));
                    leading_blanks = true;
                }
                pos += bl;
            }
        }
        let _ = ws_start;
        if leading_blanks {
            match leading_break {
                None => {
                    for &(at, len) in &trailing {
                        out.produced("\n", at, len);
                    }
                }
                Some((at, len)) if trailing.is_empty() => out.produced(" ", at, len),
                Some(_) => {
                    for &(at, len) in &trailing {
                        out.produced("\n", at, len);
                    }
                }
            }
        } else if let Some(from) = blanks_from {
            out.verbatim(src.get(from..pos)?, from);
        }
    }
}

/// A double-quoted escape at `pos` (the backslash): the char and the escape's length in bytes.
fn unescape(src: &str, pos: usize) -> Option<(char, usize)> {
    let b = src.as_bytes();
    let c = *b.get(pos + 1)?;
    let simple = match c {
        b'0' => Some('\0'),
        b'a' => Some('\x07'),
        b'b' => Some('\x08'),
        b't' | b'\t' => Some('\t'),
        b'n' => Some('\n'),
        b'v' => Some('\x0b'),
        b'f' => Some('\x0c'),
        b'r' => Some('\r'),
        b'e' => Some('\x1b'),
        b' ' => Some(' '),
        b'"' => Some('"'),
        b'/' => Some('/'),
        b'\\' => Some('\\'),
        b'N' => Some('\u{85}'),
        b'_' => Some('\u{a0}'),
        b'L' => Some('\u{2028}'),
        b'P' => Some('\u{2029}'),
        _ => None,
    };
    if let Some(ch) = simple {
        return Some((ch, 2));
    }
    let digits = match c {
        b'x' => 2,
        b'u' => 4,
        b'U' => 8,
        _ => return None,
    };
    let hex = src.get(pos + 2..pos + 2 + digits)?;
    let v = u32::from_str_radix(hex, 16).ok()?;
    Some((char::from_u32(v)?, 2 + digits))
}

/// Block scalars (`|`, `>`). The parser's span starts at the first content char (or, with an
/// anchor or tag, at the properties); `value` is used to map the leading empty lines and the
/// chomped tail. Returns the offset after the last content char.
fn decode_block(src: &str, start: usize, folded: bool, value: &str, out: &mut Builder) -> Option<usize> {
    let b = src.as_bytes();
    let mut pos = start;
    if matches!(b.get(pos), Some(b'|' | b'>')) {
        // Header (after properties): the content starts at the first non-empty line after it.
        while pos < b.len() && !is_break(b[pos]) {
            pos += 1;
        }
        loop {
            pos += break_len(b, pos);
            let line = pos;
            while pos < b.len() && b[pos] == b' ' {
                pos += 1;
            }
            if pos >= b.len() {
                return None;
            }
            if !is_break(b[pos]) {
                let _ = line;
                break;
            }
        }
    }
    let line_start = src[..pos].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    if !b[line_start..pos].iter().all(|&c| c == b' ') {
        return None;
    }
    let indent = pos - line_start;

    // Leading empty lines: the value starts with one `\n` per line between the header and the
    // first content line; they map to the breaks just before the first content line.
    let k = value.bytes().take_while(|&c| c == b'\n').count();
    let mut lead: Vec<(usize, usize)> = Vec::with_capacity(k);
    let mut at = line_start;
    for _ in 0..k {
        if at == 0 {
            return None;
        }
        let (bpos, blen) = if at >= 2 && &b[at - 2..at] == b"\r\n" { (at - 2, 2) } else { (at - 1, 1) };
        lead.push((bpos, blen));
        at = bpos;
        // Move to the start of that line.
        at = src[..at].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    }
    for &(bpos, blen) in lead.iter().rev() {
        out.produced("\n", bpos, blen);
    }

    let mut leading_break: Option<(usize, usize)> = None;
    let mut trailing: Vec<(usize, usize)> = Vec::new();
    let mut leading_blank = false;
    let mut content_end = pos;
    let mut col = indent;
    while col == indent && pos < b.len() && !is_break(b[pos]) {
        if indent == 0 && is_document_marker(b, pos) {
            break;
        }
        let trailing_blank = is_blank(b[pos]);
        if folded && leading_break.is_some() && !leading_blank && !trailing_blank {
            if trailing.is_empty()
                && let Some((at, len)) = leading_break
            {
                out.produced(" ", at, len);
            }
            for &(at, len) in &trailing {
                out.produced("\n", at, len);
            }
        } else {
            if let Some((at, len)) = leading_break {
                out.produced("\n", at, len);
            }
            for &(at, len) in &trailing {
                out.produced("\n", at, len);
            }
        }
        leading_break = None;
        trailing.clear();
        leading_blank = trailing_blank;
        let line = pos;
        while pos < b.len() && !is_break(b[pos]) {
            pos += 1;
        }
        out.verbatim(src.get(line..pos)?, line);
        content_end = pos;
        let bl = break_len(b, pos);
        if bl == 0 {
            break;
        }
        leading_break = Some((pos, bl));
        pos += bl;
        // Indentation and empty lines.
        loop {
            let ls = pos;
            while pos < b.len() && pos - ls < indent && b[pos] == b' ' {
                pos += 1;
            }
            col = pos - ls;
            let bl = break_len(b, pos);
            if bl > 0 {
                trailing.push((pos, bl));
                pos += bl;
            } else {
                break;
            }
        }
    }
    // The tail, as if kept (`+`); the chomping indicator decides how much of it the value has.
    let body = out.as_str().len();
    if let Some((at, len)) = leading_break {
        out.produced("\n", at, len);
    }
    for &(at, len) in &trailing {
        out.produced("\n", at, len);
    }
    let full = out.as_str();
    if value.len() <= full.len() {
        if !full.is_char_boundary(value.len()) || full[..value.len()] != *value {
            return None;
        }
        out.truncate(value.len().max(body.min(value.len())));
    } else {
        // The parser adds a final line break when the file ends without one.
        let extra = &value[full.len()..];
        if !value.starts_with(full) || !extra.bytes().all(|c| c == b'\n') {
            return None;
        }
        for _ in 0..extra.len() {
            out.produced("\n", content_end, 0);
        }
    }
    Some(content_end)
}

fn is_document_marker(b: &[u8], pos: usize) -> bool {
    let m = b.get(pos..pos + 3);
    (m == Some(b"---") || m == Some(b"...")) && b.get(pos + 3).is_none_or(|&c| is_blank(c) || is_break(c))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test inputs are fixed
mod tests {
    use super::*;

    const F: FileId = FileId(0);

    #[test]
    fn verbatim_and_location() {
        let t = MappedText::verbatim("abc def", F, 10);
        assert_eq!(t.offset(4), (F, 14));
        assert_eq!(t.location(Span::new(4, 7)), Location::new(F, 14, 17));
        assert_eq!(t.offset(7), (F, 17));
        assert_eq!(t.whole(), Location::new(F, 10, 17));
    }

    #[test]
    fn append_maps_each_part_to_its_file() {
        let mut a = MappedText::verbatim("proc.name=a", F, 100);
        let b = MappedText::verbatim("or proc.name=b", FileId(1), 5);
        a.append(" ", &b);
        assert_eq!(a.as_str(), "proc.name=a or proc.name=b");
        // The separator maps to the end of the first part.
        assert_eq!(a.offset(11), (F, 111));
        assert_eq!(a.offset(12), (FileId(1), 5));
        assert_eq!(a.location(Span::new(15, 24)), Location::new(FileId(1), 8, 17));
        // A span across both parts is cut at the end of the first.
        assert_eq!(a.location(Span::new(0, 20)), Location::new(F, 100, 111));
        assert_eq!(a.whole(), Location::new(F, 100, 111));
    }

    #[test]
    fn slice_and_trim() {
        let t = MappedText::verbatim("  ab c \n", F, 3);
        let s = t.trim();
        assert_eq!(s.as_str(), "ab c");
        assert_eq!(s.offset(0), (F, 5));
        assert_eq!(s.location(Span::new(3, 4)), Location::new(F, 8, 9));
    }

    #[test]
    fn synthetic_maps_to_its_place() {
        let t = MappedText::synthetic("xyz", Location::new(F, 4, 9));
        assert_eq!(t.offset(2), (F, 4));
        assert_eq!(t.location(Span::new(0, 3)), Location::new(F, 4, 9));
    }

    // ---- Mapping through the YAML parser, for every scalar style. ----

    use crate::yaml::{NodeKind, parse};

    /// Parses `doc` (a map with the key `k`) and returns the source and the scalar's text.
    fn scalar_of(src: &str) -> MappedText {
        let (docs, d) = parse(F, src);
        assert!(d.is_empty(), "{src:?}: {d:?}");
        let map = docs[0].as_map().expect("a map");
        match &map[0].1.kind {
            NodeKind::Scalar(s) => {
                assert_eq!(s.text.as_str(), s.value);
                s.text.clone()
            }
            other => panic!("not a scalar: {other:?}"),
        }
    }

    /// Every decoded char maps to a file position holding that same char, or to the start of
    /// what produced it (an escape, a doubled quote, a folded line break).
    fn check_mapping(src: &str, t: &MappedText) {
        for (i, ch) in t.as_str().char_indices() {
            let (file, off) = t.offset(i);
            assert_eq!(file, F);
            let here = &src[off..];
            let ok = here.starts_with(ch)
                || (matches!(ch, ' ' | '\n') && (here.starts_with('\n') || here.starts_with('\r')))
                || here.starts_with('\\')
                || (ch == '\'' && here.starts_with("''"))
                // The parser adds a final line break to a block scalar at the end of the file.
                || (ch == '\n' && here.is_empty());
            assert!(
                ok,
                "decoded {ch:?} at {i} of {:?} maps to offset {off} holding {:?}\nsource: {src:?}",
                t.as_str(),
                here.chars().next()
            );
            let loc = t.location(Span::new(i, i + ch.len_utf8()));
            assert_eq!(loc.start as usize, off);
            assert!(loc.end as usize > off || here.is_empty(), "{loc:?}");
        }
    }

    #[test]
    fn styles_map_exactly() {
        let cases = [
            "k: evt.type = open and   proc.name=é𝄞x\n",
            "k: a b\n  c  d\n\n  e\n",
            "k: 'it''s  a\n  folded\n\n  text'\n",
            "k: \"tab\\there \\\"q\\\" \\u00e9 \\x41\\\\ end\"\n",
            "k: \"line one \\\n   continued\n  folded\n\n  para\"\n",
            "k: |\n  literal\n    indented\n\n  last\n",
            "k: |-\n  strip\n  me\n\n",
            "k: |+\n  keep\n\n\n",
            "k: >\n  folded\n  text\n\n  para\n    more indented\n  back\n",
            "k: >-\n\n\n  leading empty lines\n  x\n",
            "k: |2\n    two extra spaces\n  base\n",
            "k: &anchor |\n  anchored block\n  two\n",
            "k: !!str plain with tag\n",
            "k: >\r\n  crlf\r\n  folded\r\n",
            "k: |\n  no final newline",
        ];
        for src in cases {
            let t = scalar_of(src);
            check_mapping(src, &t);
        }
    }

    #[test]
    fn block_scalar_positions() {
        let src = "- rule: x\n  condition: >\n    evt.type = open\n    and proc.name = bash\n";
        let (docs, _) = parse(F, src);
        let item = &docs[0].as_seq().unwrap()[0];
        let (_, v) = item.get("condition").unwrap();
        let NodeKind::Scalar(s) = &v.kind else { panic!() };
        let t = &s.text;
        assert_eq!(t.as_str(), "evt.type = open and proc.name = bash\n");
        let i = t.as_str().find("proc").unwrap();
        let loc = t.location(Span::new(i, i + 9));
        assert_eq!(&src[loc.start as usize..loc.end as usize], "proc.name");
        // The folded line break maps to the break.
        assert_eq!(&src[t.offset(15).1..t.offset(15).1 + 1], "\n");
    }

    /// A small deterministic generator (no external crates): xorshift.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
            xs[self.below(xs.len())]
        }
    }

    /// Words without blanks; `quotes` adds quote and escape characters.
    fn word(r: &mut Rng, quotes: bool) -> String {
        let plain = ["a", "b", "proc.name", "=", "(", ")", ",", "é", "𝄞", "x1", "/tmp/*", "-", "."];
        let special = ["'", "\"", "\\", "#", ":", "%", "[", "]", "{", "}"];
        let n = 1 + r.below(4);
        (0..n).map(|_| if quotes && r.below(4) == 0 { r.pick(&special) } else { r.pick(&plain) }).collect()
    }

    fn words(r: &mut Rng, quotes: bool) -> Vec<String> {
        (0..1 + r.below(6)).map(|_| word(r, quotes)).collect()
    }

    /// Joins words with one or more spaces, or folds at a space (a line break and indentation).
    fn join_folding(r: &mut Rng, ws: &[String], indent: &str) -> String {
        let mut out = String::new();
        for (i, w) in ws.iter().enumerate() {
            if i > 0 {
                match r.below(4) {
                    0 => {
                        out.push('\n');
                        out.push_str(indent);
                    }
                    1 => out.push_str("  "),
                    _ => out.push(' '),
                }
            }
            out.push_str(w);
        }
        out
    }

    #[test]
    fn random_scalars_map_exactly() {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..600 {
            let style = r.below(5);
            let src = match style {
                0 => {
                    // Plain: words that cannot start an indicator, folded at spaces.
                    let mut ws = words(&mut r, false);
                    ws[0] = format!("v{}", ws[0]);
                    format!("k: {}\n", join_folding(&mut r, &ws, "  "))
                }
                1 => {
                    let ws: Vec<String> = words(&mut r, true).iter().map(|w| w.replace('\'', "''")).collect();
                    format!("k: '{}'\n", join_folding(&mut r, &ws, "   "))
                }
                2 => {
                    let ws: Vec<String> = words(&mut r, true)
                        .iter()
                        .map(|w| {
                            let mut e = w.replace('\\', "\\\\").replace('"', "\\\"");
                            if r.below(3) == 0 {
                                e.push_str(r.pick(&["\\t", "\\n", "\\u00e9", "\\x41", "\\/", "\\ "]));
                            }
                            e
                        })
                        .collect();
                    let mut body = join_folding(&mut r, &ws, "  ");
                    if r.below(3) == 0 {
                        body.push_str("\\\n   tail");
                    }
                    format!("k: \"{body}\"\n")
                }
                _ => {
                    let folded = style == 4;
                    let chomp = r.pick(&["", "-", "+"]);
                    let indent = r.pick(&["  ", "    "]);
                    let mut body = String::new();
                    for i in 0..1 + r.below(5) {
                        let ws = words(&mut r, true);
                        let extra = if i > 0 && r.below(4) == 0 { "  " } else { "" };
                        if i > 0 && r.below(4) == 0 {
                            body.push('\n');
                        }
                        body.push_str(&format!("{indent}{extra}{}\n", ws.join(" ")));
                    }
                    format!("k: {}{chomp}\n{body}", if folded { ">" } else { "|" })
                }
            };
            let t = scalar_of(&src);
            check_mapping(&src, &t);
        }
    }
}
