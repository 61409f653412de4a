//! The cost floor: programs with the probe's names on the probe's hooks ([`crate::HOOKS`]) that
//! return at once (`bpf/floor.bpf.c`). `rulec bench --live` attaches it to measure what any
//! probe on these hooks costs a syscall, so that the probe's own cost is stated against it.

use std::fmt;

use aya::{Ebpf, EbpfLoader};

use crate::{ProbeError, attach_hooks, kernel, load_hooks, object, preflight};

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
        load_hooks(&mut ebpf)?;
        attach_hooks(&mut ebpf)?;
        Ok(Floor { _ebpf: ebpf })
    }
}

#[cfg(test)]
mod tests {
    /// Every hook of the probe has a floor program of the same name and program type, so the
    /// floor measures the same attachments. (Parsing the objects needs no kernel.)
    #[test]
    fn the_floor_has_a_program_for_every_hook() {
        use aya_obj::ProgramSection;
        let floor = aya_obj::Object::parse(crate::object::FLOOR).expect("the floor object parses");
        let probe = aya_obj::Object::parse(crate::object::OBJECT).expect("the probe object parses");
        for (prog, tracepoint, hook) in crate::HOOKS {
            for (object, name) in [(&probe, "probe.bpf.c"), (&floor, "floor.bpf.c")] {
                let p = object.programs.get(*prog);
                let p = p.unwrap_or_else(|| panic!("{name} lacks a program {prog} for {tracepoint}"));
                let typed = match hook {
                    crate::Hook::Raw => matches!(p.section, ProgramSection::RawTracePoint),
                    crate::Hook::Btf => matches!(p.section, ProgramSection::BtfTracePoint),
                };
                assert!(typed, "{name}: {prog} is {:?}, HOOKS says {hook:?}", p.section);
            }
        }
    }
}
