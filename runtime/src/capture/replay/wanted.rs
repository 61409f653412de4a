//! [`WantedTypes`]: which events a replay decodes. An event whose type no rule is indexed
//! under and whose table row the state machine has no handler for is not decoded at all: the
//! reader reads its header (type, thread, time), the state counts it and sees its thread as
//! it would for a decoded one ([`crate::state::State::apply_unread`]), and the consumer never
//! gets it. That is the interest set live capture asks the probe for, applied to a capture:
//! what the rules and the state cannot see costs a header read instead of a decode, a merge,
//! the state's dispatch and the engine's look-up.
//!
//! Decoded whatever the consumer says: events with a handler, and the other direction of such
//! a syscall (an exit takes its enter's parameters). A generic event is named by its
//! syscall's `ppm_sc` code, its first parameter: the reader reads that too, and asks about the
//! name (an unnamed code is decoded). Shared between the loop and whoever changes the rules (a
//! reload), so every entry is an atomic flag read with a plain load.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rulec_schema::syscalls::{PPM_SC_NAMES, ppm_sc_name};
use rulec_schema::{Dir, EventDef, ParamType, event_table};

/// Which event types (by table id) a replay decodes, and which generic events (by the
/// `ppm_sc` code that names them); cloning shares the tables.
#[derive(Clone, Debug)]
pub struct WantedTypes {
    rows: Arc<[AtomicBool]>,
    syscalls: Arc<[AtomicBool]>,
}

impl WantedTypes {
    /// Every type decoded (what a replay does without a table).
    pub fn all() -> WantedTypes {
        WantedTypes {
            rows: event_table().iter().map(|_| AtomicBool::new(true)).collect(),
            syscalls: PPM_SC_NAMES.iter().map(|_| AtomicBool::new(true)).collect(),
        }
    }

    /// The types a consumer that looks at events named as `wants` says needs decoded, plus
    /// what the state and the merge need (see the module doc).
    pub fn for_consumer(wants: impl Fn(&str) -> bool) -> WantedTypes {
        let w = WantedTypes::all();
        w.update(wants);
        w
    }

    /// Recomputes the table for a consumer that now looks at events named as `wants` says
    /// (the rules were reloaded).
    pub fn update(&self, wants: impl Fn(&str) -> bool) {
        let table = event_table();
        for (code, flag) in self.syscalls.iter().enumerate() {
            let name = u16::try_from(code).ok().and_then(ppm_sc_name);
            flag.store(name.is_none_or(&wants), Ordering::Relaxed);
        }
        for (def, flag) in table.iter().zip(self.rows.iter()) {
            let partner = match def.dir {
                Dir::Enter => def.id.checked_add(1),
                Dir::Exit => def.id.checked_sub(1),
            }
            .and_then(|id| table.get(usize::from(id)))
            .filter(|p| p.name == def.name);
            let needed = needs_decoding(def) || partner.is_some_and(needs_decoding) || wants(def.name);
            flag.store(needed, Ordering::Relaxed);
        }
    }

    /// Whether an event of table id `id` is decoded; a generic event's (`PPME_GENERIC_E/X`)
    /// is asked about by the syscall `code` gives (its first parameter, read only for a
    /// generic event), and decoded when that gives none.
    #[inline]
    pub fn wants_event(&self, id: u16, code: impl FnOnce() -> Option<u16>) -> bool {
        if rulec_schema::is_generic_id(id) { code().is_none_or(|c| self.wants_syscall(c)) } else { self.wants(id) }
    }

    /// Whether events of table id `id` are decoded, by their row alone (ids beyond the table
    /// are: the reader settles them); a generic event goes by its syscall
    /// ([`WantedTypes::wants_event`]).
    #[inline]
    pub fn wants(&self, id: u16) -> bool {
        self.rows.get(usize::from(id)).is_none_or(|f| f.load(Ordering::Relaxed))
    }

    /// Whether generic events of the syscall whose `ppm_sc` code is `code` are decoded (code 0
    /// and codes without a name are: the event's name then takes its other parameters).
    #[inline]
    pub fn wants_syscall(&self, code: u16) -> bool {
        self.syscalls.get(usize::from(code)).is_none_or(|f| f.load(Ordering::Relaxed))
    }

    /// How many types and syscalls are decoded (for reports and tests).
    pub fn count(&self) -> usize {
        self.rows.iter().chain(self.syscalls.iter()).filter(|f| f.load(Ordering::Relaxed)).count()
    }
}

/// Whether events of row `def` are decoded whatever the consumer wants: the state machine
/// has a handler for them, or they are named by a parameter (a row other than the generic
/// events' own whose first parameter is a syscall id; the generic rows are asked about by
/// their syscall's code).
fn needs_decoding(def: &EventDef) -> bool {
    crate::state::changes_on(def.id)
        || (!rulec_schema::is_generic_id(def.id) && def.params.first().is_some_and(|p| p.1 == ParamType::SyscallId))
}

#[cfg(test)]
mod tests;
