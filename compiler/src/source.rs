//! Loaded files and position arithmetic: byte offset to line and column (in chars or in UTF-16
//! units), for the edges that show diagnostics. The compiler itself only deals in byte offsets.

use crate::diagnostic::FileId;

/// A file given to the compiler: its name (as the user wrote it) and its whole text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub id: FileId,
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
    /// Where the first byte that was not UTF-8 was (now U+FFFD in `text`), for a file made by
    /// [`SourceFile::from_bytes`]; such a file is reported (E0213) and not loaded.
    pub not_utf8_at: Option<usize>,
}

/// A 1-based line and a 1-based column, both counted as the consumer needs (chars for people,
/// UTF-16 units for LSP).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

impl SourceFile {
    pub fn new(id: FileId, name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile { id, name: name.into(), text, line_starts, not_utf8_at: None }
    }

    /// A file from the bytes read from disk. Bytes that are not UTF-8 are replaced by U+FFFD, so
    /// that positions (line and column) can still be given, and the first one is remembered.
    pub fn from_bytes(id: FileId, name: impl Into<String>, bytes: Vec<u8>) -> SourceFile {
        match String::from_utf8(bytes) {
            Ok(text) => SourceFile::new(id, name, text),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                SourceFile { not_utf8_at: Some(valid), ..SourceFile::new(id, name, text) }
            }
        }
    }

    /// Clamps `offset` into the text and back onto a char boundary.
    fn clamp(&self, offset: usize) -> usize {
        let mut o = offset.min(self.text.len());
        while !self.text.is_char_boundary(o) {
            o -= 1;
        }
        o
    }

    /// 0-based line index and the byte offset where that line starts.
    fn line_of(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        (line, self.line_starts[line])
    }

    /// 1-based line and 1-based column counted in chars.
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = self.clamp(offset);
        let (line, start) = self.line_of(offset);
        let col = self.text[start..offset].chars().count();
        LineCol { line: line as u32 + 1, col: col as u32 + 1 }
    }

    /// 0-based line and 0-based column counted in UTF-16 code units, as LSP wants.
    pub fn line_col_utf16(&self, offset: usize) -> (u32, u32) {
        let offset = self.clamp(offset);
        let (line, start) = self.line_of(offset);
        let col: usize = self.text[start..offset].chars().map(char::len_utf16).sum();
        (line as u32, col as u32)
    }

    /// The byte offset of a 0-based line and UTF-16 column (LSP positions), clamped into the text.
    pub fn offset_of_utf16(&self, line: u32, col: u32) -> usize {
        let Some(&start) = self.line_starts.get(line as usize) else {
            return self.text.len();
        };
        let end = self.line_starts.get(line as usize + 1).copied().unwrap_or(self.text.len());
        let mut units = 0usize;
        for (i, ch) in self.text[start..end].char_indices() {
            if units >= col as usize || ch == '\n' {
                return start + i;
            }
            units += ch.len_utf16();
        }
        end
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The text of a 0-based line, without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line) else { return "" };
        let end = self.line_starts.get(line + 1).copied().unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions() {
        let f = SourceFile::new(FileId(0), "a", "ab\ncé𝄞x\n");
        assert_eq!(f.line_col(0), LineCol { line: 1, col: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 2, col: 1 });
        let x = f.text.find('x').unwrap();
        assert_eq!(f.line_col(x), LineCol { line: 2, col: 4 });
        assert_eq!(f.line_col_utf16(x), (1, 4));
        assert_eq!(f.offset_of_utf16(1, 4), x);
        assert_eq!(f.offset_of_utf16(9, 0), f.text.len());
        assert_eq!(f.line_text(1), "cé𝄞x");
    }
}
