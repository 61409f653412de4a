//! What a rule carries besides its condition, as the runtime needs it: where it was written
//! ([`Location`] in a loaded file), its [`Priority`], and the [`EventTypes`] it can match.
//!
//! These types are defined here, not in the compiler, so that the runtime reads them from the IR
//! alone; the compiler re-exports them under their old paths (`rulec_compiler::Location`,
//! `items::Priority`, `check::hir::EventTypes`). This module holds plain data and the names Falco
//! gives priorities; it must not grow checker logic.

use std::collections::BTreeSet;

use serde::Serialize;

/// Which loaded file a location is in: an index into the files given to the compiler.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, PartialOrd, Ord, Serialize)]
pub struct FileId(pub u32);

/// A byte range in a loaded file.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Location {
    pub fn new(file: FileId, start: usize, end: usize) -> Location {
        Location { file, start: start as u32, end: end.max(start) as u32 }
    }
}

/// A rule's priority, Falco's eight levels from the most to the least severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    Emergency,
    Alert,
    Critical,
    Error,
    Warning,
    Notice,
    Informational,
    Debug,
}

impl Priority {
    /// Falco's names, any case; `Info` is accepted for Informational.
    pub fn parse(s: &str) -> Option<Priority> {
        let p = match s.to_ascii_lowercase().as_str() {
            "emergency" => Priority::Emergency,
            "alert" => Priority::Alert,
            "critical" => Priority::Critical,
            "error" => Priority::Error,
            "warning" => Priority::Warning,
            "notice" => Priority::Notice,
            "informational" | "info" => Priority::Informational,
            "debug" => Priority::Debug,
            _ => return None,
        };
        Some(p)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Alert => "Alert",
            Priority::Critical => "Critical",
            Priority::Error => "Error",
            Priority::Warning => "Warning",
            Priority::Notice => "Notice",
            Priority::Informational => "Informational",
            Priority::Debug => "Debug",
        }
    }
}

/// The event types a rule can match.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum EventTypes {
    /// Every event type: the condition does not restrict `evt.type`.
    All,
    /// Only these event names.
    Some(BTreeSet<String>),
}

impl EventTypes {
    pub fn len(&self, universe: usize) -> usize {
        match self {
            EventTypes::All => universe,
            EventTypes::Some(s) => s.len(),
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        match self {
            EventTypes::All => true,
            EventTypes::Some(s) => s.contains(name),
        }
    }
}
