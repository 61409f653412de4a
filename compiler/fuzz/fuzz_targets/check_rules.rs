//! Fuzzes the whole front end on arbitrary rules-file text: YAML loading, items, merging,
//! parsing, resolution and type checking. No input may panic, and every diagnostic must point
//! inside the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rulec_compiler::{FileId, SourceFile};

fuzz_target!(|text: &str| {
    let files = [SourceFile::new(FileId(0), "fuzz.yaml", text)];
    let result = rulec_compiler::check::check(&files);
    for d in &result.diagnostics {
        assert!(d.primary.start as usize <= text.len() && d.primary.end as usize <= text.len(), "{d:?}");
        assert!(d.primary.start <= d.primary.end, "{d:?}");
    }
});
