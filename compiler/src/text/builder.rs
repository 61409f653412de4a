//! [`Builder`]: a [`MappedText`] under construction, fed verbatim runs and produced runs (escapes,
//! folded breaks) while a scalar is decoded. It records where text came from; it does not decode.

use super::{MappedText, Segment};
use crate::diagnostic::{FileId, Location};

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
