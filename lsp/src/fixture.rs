//! Test fixtures: rules files written inline, with a `$0` cursor marker, turned into an
//! [`Analysis`] and an LSP position, so that each feature's tests are data plus one call.
//!
//! A fixture is one file (`/main.yaml`), or several, each introduced by a line `//- /NAME`; a
//! file marked `//- /NAME rulesFile` is part of the configured load order (`rulec.rulesFiles`),
//! in the order written. Every other file is an open document. A header line `//- stdlib` (no
//! file) loads the embedded stdlib first, under its virtual URIs, as the server does by default.

use std::sync::Arc;

use rulec_compiler::SourceFile;
use rulec_compiler::diagnostic::FileId;
use tower_lsp_server::ls_types::{Position, Uri};

use crate::analysis::{Analysis, Inputs};

pub const CURSOR: &str = "$0";

#[derive(Debug)]
pub struct Fixture {
    pub analysis: Analysis,
    /// Every file, cursor removed.
    pub files: Vec<(Uri, String)>,
    /// The file with the cursor and the cursor's position.
    pub cursor: Option<(Uri, Position)>,
}

/// The URI a fixture file name gets.
pub fn uri(name: &str) -> Uri {
    let name = name.trim_start_matches('/');
    format!("file:///fixture/{name}").parse().unwrap_or_else(|_| panic!("fixture name `{name}` makes no URI"))
}

impl Fixture {
    pub fn parse(text: &str) -> Fixture {
        let mut parts: Vec<(String, bool, String)> = Vec::new();
        let mut stdlib = false;
        if text.trim_start().starts_with("//- ") {
            for line in text.trim_start().split_inclusive('\n') {
                if line.trim_end() == "//- stdlib" {
                    stdlib = true;
                } else if let Some(header) = line.strip_prefix("//- ") {
                    let mut words = header.split_whitespace();
                    let name = words.next().unwrap_or("/main.yaml").to_owned();
                    let configured = words.any(|w| w == "rulesFile");
                    parts.push((name, configured, String::new()));
                } else if let Some(last) = parts.last_mut() {
                    last.2.push_str(line);
                }
            }
        } else {
            parts.push(("/main.yaml".to_owned(), false, text.to_owned()));
        }
        let mut inputs = Inputs::default();
        if stdlib {
            inputs.stdlib = crate::analysis::virtual_stdlib();
        }
        let mut files = Vec::new();
        let mut cursor = None;
        for (name, configured, mut body) in parts {
            let u = uri(&name);
            if let Some(at) = body.find(CURSOR) {
                body.replace_range(at..at + CURSOR.len(), "");
                let (line, character) = SourceFile::new(FileId(0), "", body.clone()).line_col_utf16(at);
                cursor = Some((u.clone(), Position { line, character }));
            }
            let text: Arc<str> = Arc::from(body.as_str());
            if configured {
                inputs.rules_files.push((u.clone(), text.clone()));
            }
            inputs.open.push((u.clone(), text));
            files.push((u, body));
        }
        Fixture { analysis: Analysis::build(&inputs, None), files, cursor }
    }

    /// The cursor; panics when the fixture has none (a broken test, not a server bug).
    pub fn at(&self) -> (&Uri, Position) {
        let (u, p) = self.cursor.as_ref().unwrap_or_else(|| panic!("fixture has no {CURSOR} cursor"));
        (u, *p)
    }

    pub fn text(&self, uri: &Uri) -> &str {
        self.files.iter().find(|(u, _)| u == uri).map_or("", |(_, t)| t.as_str())
    }
}
