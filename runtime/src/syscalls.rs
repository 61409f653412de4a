//! The `evt.type` of a generic event ([`generic_name`]). Syscalls without a dedicated event
//! pair reach the capture as `PPME_GENERIC_E`/`PPME_GENERIC_X` (event-table name `syscall`),
//! whose params are `ID` (a `ppm_sc` code) and, on the enter event only, `nativeID` (the raw
//! syscall number). libsinsp never shows the name `syscall`: `evt.type` is the name of the
//! syscall behind the `ID`. The name tables are the schema's ([`rulec_schema::syscalls`],
//! re-exported here); this module only applies them to decoded parameters.

pub use rulec_schema::syscalls::*;

use crate::event::{ParamType, ParamValue, Params};

/// The `evt.type` of a generic event with these params, as libsinsp computes it: the name of
/// the `ppm_sc` code in the first param (`ID`); when that is 0 and a second param (`nativeID`,
/// enter events only) is present, the native syscall's name if it has a `ppm_sc` code (libs
/// master maps native → `ppm_sc` → name, so a syscall without a code stays `unknown`).
/// Anything unnamed (code 0 without a usable native id, a code beyond the table, a missing
/// param) is [`UNKNOWN`].
pub fn generic_name(params: &Params) -> &'static str {
    let Some(code) = u16_at(params, 0) else {
        return UNKNOWN;
    };
    if let Some(n) = ppm_sc_name(code) {
        return n;
    }
    if code != 0 {
        return UNKNOWN;
    }
    let Some(native) = u16_at(params, 1) else {
        return UNKNOWN;
    };
    x86_64_name(native).and_then(ppm_sc_code).and_then(ppm_sc_name).unwrap_or(UNKNOWN)
}

/// Parameter `i` when it is a present `SYSCALLID` or `UINT16`: read from the record's bytes
/// (what decoding them gives; the reader runs this on every generic event), else decoded.
fn u16_at(params: &Params, i: usize) -> Option<u16> {
    if let Some((ty, b)) = params.typed_raw_at(i) {
        return match ty {
            ParamType::SyscallId | ParamType::Uint16 => Some(u16::from_le_bytes(b.try_into().ok()?)),
            _ => None,
        };
    }
    match params.value_at(i)? {
        ParamValue::SyscallId(c) | ParamValue::U16(c) => Some(*c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Param;

    fn p(name: &'static str, value: ParamValue) -> Param {
        Param { name, ty: ParamType::Uint16, value }
    }

    #[test]
    fn codes_seen_in_the_captures() {
        // (ID, nativeID) pairs of the generic events in /work/shared/captures and the name
        // sysdig 0.29.3 prints for them.
        for (id, native, name) in [
            (75, 10, "mprotect"),
            (107, 13, "rt_sigaction"),
            (108, 14, "rt_sigprocmask"),
            (298, 15, "rt_sigreturn"),
            (21, 34, "pause"),
            (19, 37, "alarm"),
            (296, 158, "arch_prctl"),
            (176, 228, "clock_gettime"),
            (164, 231, "exit_group"),
            (209, 270, "pselect6"),
            (218, 281, "epoll_pwait"),
        ] {
            assert_eq!(ppm_sc_name(id), Some(name));
            assert_eq!(x86_64_name(native), Some(name));
            assert_eq!(generic_name(&vec![p("ID", ParamValue::SyscallId(id))].into()), name);
            assert_eq!(
                generic_name(&vec![p("ID", ParamValue::SyscallId(0)), p("nativeID", ParamValue::U16(native))].into()),
                name
            );
        }
    }

    #[test]
    fn unnamed_codes_are_unknown() {
        assert_eq!(generic_name(&Params::new()), UNKNOWN);
        assert_eq!(generic_name(&vec![p("ID", ParamValue::Absent)].into()), UNKNOWN);
        assert_eq!(generic_name(&vec![p("ID", ParamValue::SyscallId(0))].into()), UNKNOWN);
        assert_eq!(generic_name(&vec![p("ID", ParamValue::SyscallId(9999))].into()), UNKNOWN);
        // tuxcall (184) has no ppm_sc code.
        assert_eq!(
            generic_name(&vec![p("ID", ParamValue::SyscallId(0)), p("nativeID", ParamValue::U16(184))].into()),
            UNKNOWN
        );
    }
}
