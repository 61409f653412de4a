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
//! exotic construct), the caller falls back to a coarse mapping rather than a wrong one.//!
//! Split by job: this file is the mapped text itself; [`builder`] builds one while a scalar is
//! decoded; [`decode`] holds the decoders of each scalar style.

mod builder;
mod decode;
#[cfg(test)]
mod tests;

pub(crate) use builder::Builder;
pub use decode::ScalarStyle;
pub(crate) use decode::decode_scalar;

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
