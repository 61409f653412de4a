//! The rulec compiler: from rules files (names and texts) to checked, typed rules.
//!
//! Pipeline: YAML with positions ([`yaml`]) → items with every key and location ([`items`]) →
//! several files merged in load order with Falco's replace/append/override semantics ([`load`]) →
//! conditions parsed (rulec-grammar), macros and lists resolved, types checked against the field
//! schema ([`schema`]) and event types computed ([`check`]).
//!
//! This crate does no IO and never panics on user input: it is given file names and texts, and it
//! returns its result together with every diagnostic.

pub mod check;
pub mod diagnostic;
pub mod fix;
pub mod ir;
pub mod items;
pub mod load;
pub mod source;
pub mod text;
pub mod yaml;

/// The field and event tables (the `rulec-schema` crate), under the name the compiler has always
/// used for them.
pub use rulec_schema as schema;

pub use diagnostic::{Applicability, Code, Diagnostic, Edit, FileId, Fix, Label, Location, Severity};
pub use source::SourceFile;
