//! The scalar decoders: plain, single- and double-quoted, literal and folded block scalars read
//! again from the file's source, producing the decoded text with its mapping through a
//! [`Builder`]. They must agree with the YAML parser's value; [`decode_scalar`] checks that and
//! returns `None` otherwise, so a caller never gets a wrong mapping.

use super::{Builder, MappedText};
use crate::diagnostic::{FileId, Location};

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
