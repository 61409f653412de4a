//! Test fixtures: rules files written inline, with a `$0` cursor marker, turned into an
//! [`Analysis`] and an LSP position, so that each feature's tests are data plus one call.
//!
//! A fixture is one file (`/main.yaml`), or several, each introduced by a line `//- /NAME`; a
//! file marked `//- /NAME rulesFile` is part of the configured load order (`rulec.rulesFiles`),
//! in the order written. A file marked `workspace` is on disk but not open; every other file is
//! an open document, treated by its kind ([`crate::file_kind`]) as the server treats it. A file
//! marked `config` is the configuration the load order comes from (with its `rulesFile`s). With
//! neither, each open rules file is checked after the workspace files it needs, as the server
//! does with no configuration. A header line `//- stdlib` (no file) loads the embedded stdlib
//! first, under its virtual URIs, as the server does by default.

use std::path::PathBuf;
use std::sync::Arc;

use rulec_compiler::SourceFile;
use rulec_compiler::diagnostic::FileId;
use tower_lsp_server::ls_types::{Position, Uri};

use crate::analysis::{Analysis, FileText, Inputs, LoadOrigin};
use crate::file_kind::{FileKind, kind_of};
use crate::workspace::WorkspaceIndex;

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
        let mut parts: Vec<(String, Vec<String>, String)> = Vec::new();
        let mut stdlib = false;
        if text.trim_start().starts_with("//- ") {
            for line in text.trim_start().split_inclusive('\n') {
                if line.trim_end() == "//- stdlib" {
                    stdlib = true;
                } else if let Some(header) = line.strip_prefix("//- ") {
                    let mut words = header.split_whitespace();
                    let name = words.next().unwrap_or("/main.yaml").to_owned();
                    parts.push((name, words.map(str::to_owned).collect(), String::new()));
                } else if let Some(last) = parts.last_mut() {
                    last.2.push_str(line);
                }
            }
        } else {
            parts.push(("/main.yaml".to_owned(), Vec::new(), text.to_owned()));
        }
        let mut inputs = Inputs::default();
        if stdlib {
            inputs.stdlib = crate::analysis::virtual_stdlib();
        }
        let mut files = Vec::new();
        let mut cursor = None;
        let mut rules_texts: Vec<FileText> = Vec::new();
        for (name, flags, mut body) in parts {
            let flag = |f: &str| flags.iter().any(|w| w == f);
            let u = uri(&name);
            if let Some(at) = body.find(CURSOR) {
                body.replace_range(at..at + CURSOR.len(), "");
                let (line, character) = SourceFile::new(FileId(0), "", body.clone()).line_col_utf16(at);
                cursor = Some((u.clone(), Position { line, character }));
            }
            let text: Arc<str> = Arc::from(body.as_str());
            let kind = kind_of(&name, &body);
            if kind == FileKind::Rules {
                rules_texts.push((u.clone(), text.clone()));
            }
            if flag("rulesFile") {
                inputs.rules_files.push((u.clone(), text.clone()));
                if inputs.origin == LoadOrigin::Workspace {
                    inputs.origin = LoadOrigin::Setting;
                }
            }
            if flag("config") {
                inputs.config_file = Some((u.clone(), text.clone()));
                inputs.origin = LoadOrigin::ProjectConfig(PathBuf::from(&name));
            } else if !flag("workspace") {
                match kind {
                    FileKind::Rules => inputs.open.push((u.clone(), text)),
                    FileKind::Config | FileKind::Tests => inputs.project_files.push((u.clone(), kind, text)),
                    FileKind::Other => {}
                }
            }
            files.push((u, body));
        }
        let workspace = WorkspaceIndex::build(&rules_texts, &inputs.stdlib);
        if inputs.origin == LoadOrigin::Workspace {
            for (uri, text) in &inputs.open {
                let order = workspace.load_order(uri, text);
                let texts = order.iter().filter_map(|o| rules_texts.iter().find(|(u, _)| u == o).cloned()).collect();
                inputs.needs.insert(uri.clone(), texts);
            }
        }
        inputs.workspace = Arc::new(workspace);
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
