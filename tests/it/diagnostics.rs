//! Snapshot tests of the checker's diagnostics: each file in `compiler/tests/cases/` is checked,
//! and its snapshot holds the source and every diagnostic in the plain form of the one renderer
//! (`rulec::render::Renderer::plain`), drawn under the line it points at, so a reviewer sees the
//! input, the message and the exact position together.

use rulec::render::Renderer;
use rulec_compiler::check::check;
use rulec_compiler::{FileId, SourceFile};

#[test]
fn cases() {
    insta::glob!("../../compiler/tests/cases", "*.yaml", |path| {
        let text = std::fs::read_to_string(path).expect("case readable");
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("case").to_owned();
        let files = vec![SourceFile::new(FileId(0), name, text.clone())];
        let result = check(&files);
        let renderer = Renderer::new(&files);
        let mut out = String::new();
        for d in &result.diagnostics {
            out.push_str(&renderer.plain(d));
        }
        if result.diagnostics.is_empty() {
            out.push_str("(no diagnostics)\n");
        }
        insta::assert_snapshot!(format!("{text}\n---\n{out}"));
    });
}
