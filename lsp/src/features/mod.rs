//! The language features, one module each: pure functions from an [`crate::analysis::Analysis`]
//! and a request's parameters to the response, so that unit tests call them directly.

pub mod add_rules_file;
pub mod code_actions;
pub mod completion;
pub mod diagnostics;
pub mod formatting;
pub mod hover;
pub mod lenses;
pub mod navigation;
pub mod project_files;
pub mod semantic_tokens;
pub mod symbols;
