//! The rulec compiler: from rules files (names and texts) to checked, typed rules.
//!
//! Pipeline: YAML with positions ([`yaml`]) → items with every key and location ([`items`]) →
//! several files merged in load order with Falco's replace/append/override semantics ([`load`]) →
//! conditions parsed (rulec-grammar), macros and lists resolved, types checked against the field
//! schema ([`schema`]) and event types computed ([`check`]), then the analyses Falco lacks
//! ([`analyze`]) → lowered to the IR ([`lower`];
//! [`compile`] also optimises and verifies), the program the runtime runs.
//!
//! This crate does no IO and never panics on user input: it is given file names and texts, and it
//! returns its result together with every diagnostic.

pub mod analyze;
pub mod check;
pub mod config;
pub mod diagnostic;
pub mod fix;
pub mod items;
pub mod load;
pub mod lower;
pub mod source;
pub mod text;
pub mod yaml;

/// The field and event tables (the `rulec-schema` crate), under the name the compiler has always
/// used for them.
pub use rulec_schema as schema;

/// The IR (the `rulec-ir` crate), what checked rules are lowered to.
pub use rulec_ir as ir;

pub use lower::compile;

pub use diagnostic::{Applicability, Code, Diagnostic, Edit, FileId, Fix, Label, Location, Severity};
pub use source::SourceFile;
