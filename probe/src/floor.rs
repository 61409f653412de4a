//! The cost floor: programs with the probe's names on the probe's hooks ([`crate::HOOKS`]) that
//! return at once (`bpf/floor.bpf.c`). `rulec bench --live` attaches it to measure what any
//! probe on these hooks costs a syscall, so that the probe's own cost is stated against it.

use std::fmt;

use aya::{Ebpf, EbpfLoader};

use crate::{ProbeError, attach_hooks, kernel, object, preflight};

/// The attached floor programs; dropping it detaches them.
pub struct Floor {
    _ebpf: Ebpf,
}

impl fmt::Debug for Floor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Floor").finish_non_exhaustive()
    }
}

impl Floor {
    /// Checks the host as [`crate::Probe::open`] does, loads the floor object and attaches it.
    pub fn attach() -> Result<Floor, ProbeError> {
        let missing = preflight::check();
        if !missing.is_empty() {
            return Err(ProbeError::Missing(missing));
        }
        let mut ebpf = EbpfLoader::new().load(object::FLOOR).map_err(|e| kernel("loading the floor object")(&e))?;
        attach_hooks(&mut ebpf)?;
        Ok(Floor { _ebpf: ebpf })
    }
}

#[cfg(test)]
mod tests {
    /// Every hook of the probe has a floor program of the same name, so the floor measures the
    /// same attachments. (Parsing the object needs no kernel.)
    #[test]
    fn the_floor_has_a_program_for_every_hook() {
        let floor = aya_obj::Object::parse(crate::object::FLOOR).expect("the floor object parses");
        let probe = aya_obj::Object::parse(crate::object::OBJECT).expect("the probe object parses");
        for (prog, hook) in crate::HOOKS {
            assert!(probe.programs.contains_key(*prog), "the probe lacks {prog}");
            assert!(floor.programs.contains_key(*prog), "floor.bpf.c lacks a program {prog} for {hook}");
        }
    }
}
