//! Syscall naming for generic events. Syscalls without a dedicated event pair reach the
//! capture as `PPME_GENERIC_E`/`PPME_GENERIC_X` (event-table name `syscall`), whose params are
//! `ID` (a `ppm_sc` code: the drivers' architecture-independent syscall number) and, on the
//! enter event only, `nativeID` (the raw syscall number of the traced architecture). libsinsp
//! never shows the name `syscall`: `evt.type`, and so every rule's event-type filter, is the
//! name of the syscall behind the `ID`. This module owns the tables that naming needs, written
//! as data, and the rule itself ([`generic_name`]):
//!
//! * [`PPM_SC_NAMES`]: `ppm_sc` code → name (libs `PPM_SC_FIELDS`, lowercased). The codes are
//!   append-only, so captures recorded by 2018 drivers and current libs agree (checked against
//!   sysdig 0.29.3 on the captures in the differential tests).
//! * [`x86_64_name`]: x86_64 native syscall number → name (Linux UAPI `asm/unistd_64.h`),
//!   used as libs master does when an enter event carries `ID` 0 (a syscall its driver had no
//!   code for): the native number is looked up instead, which is only right for x86_64
//!   captures, the only architecture rulec replays.

use crate::event::{Param, ParamValue};

/// The name libsinsp gives a code it cannot name (`PPM_SC_UNKNOWN`).
pub const UNKNOWN: &str = "unknown";

/// `ppm_sc` names indexed by code. An empty string marks an unassigned code (382).
pub const PPM_SC_NAMES: &[&str] = &[
    "unknown", "restart_syscall", "exit", "read", "write", "open", "close", "creat", "link",
    "unlink", "chdir", "time", "mknod", "chmod", "stat", "lseek", "getpid", "mount", "ptrace",
    "alarm", "fstat", "pause", "utime", "access", "sync", "kill", "rename", "mkdir", "rmdir",
    "dup", "pipe", "times", "brk", "acct", "ioctl", "fcntl", "setpgid", "umask", "chroot", "ustat",
    "dup2", "getppid", "getpgrp", "setsid", "sethostname", "setrlimit", "getrusage",
    "gettimeofday", "settimeofday", "symlink", "lstat", "readlink", "uselib", "swapon", "reboot",
    "mmap", "munmap", "truncate", "ftruncate", "fchmod", "getpriority", "setpriority", "statfs",
    "fstatfs", "syslog", "setitimer", "getitimer", "uname", "vhangup", "wait4", "swapoff",
    "sysinfo", "fsync", "setdomainname", "adjtimex", "mprotect", "init_module", "delete_module",
    "quotactl", "getpgid", "fchdir", "sysfs", "personality", "getdents", "select", "flock",
    "msync", "readv", "writev", "getsid", "fdatasync", "mlock", "munlock", "mlockall",
    "munlockall", "sched_setparam", "sched_getparam", "sched_setscheduler", "sched_getscheduler",
    "sched_yield", "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval",
    "nanosleep", "mremap", "poll", "prctl", "rt_sigaction", "rt_sigprocmask", "rt_sigpending",
    "rt_sigtimedwait", "rt_sigqueueinfo", "rt_sigsuspend", "getcwd", "capget", "capset",
    "sendfile", "getrlimit", "lchown", "getuid", "getgid", "geteuid", "getegid", "setreuid",
    "setregid", "getgroups", "setgroups", "fchown", "setresuid", "getresuid", "setresgid",
    "getresgid", "chown", "setuid", "setgid", "setfsuid", "setfsgid", "pivot_root", "mincore",
    "madvise", "gettid", "setxattr", "lsetxattr", "fsetxattr", "getxattr", "lgetxattr",
    "fgetxattr", "listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr",
    "fremovexattr", "tkill", "futex", "sched_setaffinity", "sched_getaffinity", "set_thread_area",
    "get_thread_area", "io_setup", "io_destroy", "io_getevents", "io_submit", "io_cancel",
    "exit_group", "epoll_create", "epoll_ctl", "epoll_wait", "remap_file_pages", "set_tid_address",
    "timer_create", "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete",
    "clock_settime", "clock_gettime", "clock_getres", "clock_nanosleep", "tgkill", "utimes",
    "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
    "kexec_load", "waitid", "add_key", "request_key", "keyctl", "ioprio_set", "ioprio_get",
    "inotify_init", "inotify_add_watch", "inotify_rm_watch", "openat", "mkdirat", "mknodat",
    "fchownat", "futimesat", "unlinkat", "renameat", "linkat", "symlinkat", "readlinkat",
    "fchmodat", "faccessat", "pselect6", "ppoll", "unshare", "set_robust_list", "get_robust_list",
    "splice", "tee", "vmsplice", "getcpu", "epoll_pwait", "utimensat", "signalfd",
    "timerfd_create", "eventfd", "timerfd_settime", "timerfd_gettime", "signalfd4", "eventfd2",
    "epoll_create1", "dup3", "pipe2", "inotify_init1", "preadv", "pwritev", "rt_tgsigqueueinfo",
    "perf_event_open", "fanotify_init", "prlimit64", "clock_adjtime", "syncfs", "setns",
    "getdents64", "socket", "bind", "connect", "listen", "accept", "getsockname", "getpeername",
    "socketpair", "sendto", "recvfrom", "shutdown", "setsockopt", "getsockopt", "sendmsg",
    "sendmmsg", "recvmsg", "recvmmsg", "accept4", "semop", "semget", "semctl", "msgsnd", "msgrcv",
    "msgget", "msgctl", "shmdt", "shmget", "shmctl", "statfs64", "fstatfs64", "fstatat64",
    "sendfile64", "ugetrlimit", "bdflush", "sigprocmask", "ipc", "socketcall", "stat64", "lstat64",
    "fstat64", "fcntl64", "mmap2", "_newselect", "sgetmask", "ssetmask", "sigpending", "olduname",
    "umount", "signal", "nice", "stime", "_llseek", "waitpid", "pread64", "pwrite64", "arch_prctl",
    "shmat", "rt_sigreturn", "fallocate", "newfstatat", "process_vm_readv", "process_vm_writev",
    "fork", "vfork", "setuid32", "getuid32", "setgid32", "geteuid32", "getgid32", "setresuid32",
    "setresgid32", "getresuid32", "getresgid32", "finit_module", "bpf", "seccomp", "sigaltstack",
    "getrandom", "fadvise64", "renameat2", "userfaultfd", "openat2", "umount2", "execve",
    "execveat", "copy_file_range", "clone", "clone3", "open_by_handle_at", "io_uring_setup",
    "io_uring_enter", "io_uring_register", "mlock2", "getegid32", "fsconfig", "fspick", "fsmount",
    "fsopen", "open_tree", "move_mount", "mount_setattr", "memfd_create", "memfd_secret", "ioperm",
    "kexec_file_load", "pidfd_getfd", "pidfd_open", "pidfd_send_signal", "pkey_alloc",
    "pkey_mprotect", "pkey_free", "landlock_create_ruleset", "quotactl_fd",
    "landlock_restrict_self", "landlock_add_rule", "epoll_pwait2", "migrate_pages", "move_pages",
    "preadv2", "pwritev2", "kcmp", "sched_setattr", "mbind", "epoll_ctl_old", "lookup_dcookie",
    "modify_ldt", "statx", "set_mempolicy", "io_pgetevents", "set_mempolicy_home_node",
    "semtimedop", "get_kernel_syms", "readahead", "futex_waitv", "getpmsg", "name_to_handle_at",
    "process_mrelease", "nfsservctl", "epoll_wait_old", "rseq", "create_module", "",
    "sched_getattr", "faccessat2", "_sysctl", "query_module", "get_mempolicy", "sync_file_range",
    "process_madvise", "membarrier", "iopl", "close_range", "fanotify_mark", "recv", "send",
    "sched_process_exit", "sched_switch", "page_fault_user", "page_fault_kernel", "signal_deliver",
];

/// x86_64 syscall names indexed by native number, 0 (`read`) to 334 (`rseq`).
const X86_64_LOW: &[&str] = &[
    "read", "write", "open", "close", "stat", "fstat", "lstat", "poll", "lseek", "mmap",
    "mprotect", "munmap", "brk", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "ioctl",
    "pread64", "pwrite64", "readv", "writev", "access", "pipe", "select", "sched_yield", "mremap",
    "msync", "mincore", "madvise", "shmget", "shmat", "shmctl", "dup", "dup2", "pause",
    "nanosleep", "getitimer", "alarm", "setitimer", "getpid", "sendfile", "socket", "connect",
    "accept", "sendto", "recvfrom", "sendmsg", "recvmsg", "shutdown", "bind", "listen",
    "getsockname", "getpeername", "socketpair", "setsockopt", "getsockopt", "clone", "fork",
    "vfork", "execve", "exit", "wait4", "kill", "uname", "semget", "semop", "semctl", "shmdt",
    "msgget", "msgsnd", "msgrcv", "msgctl", "fcntl", "flock", "fsync", "fdatasync", "truncate",
    "ftruncate", "getdents", "getcwd", "chdir", "fchdir", "rename", "mkdir", "rmdir", "creat",
    "link", "unlink", "symlink", "readlink", "chmod", "fchmod", "chown", "fchown", "lchown",
    "umask", "gettimeofday", "getrlimit", "getrusage", "sysinfo", "times", "ptrace", "getuid",
    "syslog", "getgid", "setuid", "setgid", "geteuid", "getegid", "setpgid", "getppid", "getpgrp",
    "setsid", "setreuid", "setregid", "getgroups", "setgroups", "setresuid", "getresuid",
    "setresgid", "getresgid", "getpgid", "setfsuid", "setfsgid", "getsid", "capget", "capset",
    "rt_sigpending", "rt_sigtimedwait", "rt_sigqueueinfo", "rt_sigsuspend", "sigaltstack", "utime",
    "mknod", "uselib", "personality", "ustat", "statfs", "fstatfs", "sysfs", "getpriority",
    "setpriority", "sched_setparam", "sched_getparam", "sched_setscheduler", "sched_getscheduler",
    "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval", "mlock",
    "munlock", "mlockall", "munlockall", "vhangup", "modify_ldt", "pivot_root", "_sysctl", "prctl",
    "arch_prctl", "adjtimex", "setrlimit", "chroot", "sync", "acct", "settimeofday", "mount",
    "umount2", "swapon", "swapoff", "reboot", "sethostname", "setdomainname", "iopl", "ioperm",
    "create_module", "init_module", "delete_module", "get_kernel_syms", "query_module", "quotactl",
    "nfsservctl", "getpmsg", "putpmsg", "afs_syscall", "tuxcall", "security", "gettid",
    "readahead", "setxattr", "lsetxattr", "fsetxattr", "getxattr", "lgetxattr", "fgetxattr",
    "listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr", "fremovexattr",
    "tkill", "time", "futex", "sched_setaffinity", "sched_getaffinity", "set_thread_area",
    "io_setup", "io_destroy", "io_getevents", "io_submit", "io_cancel", "get_thread_area",
    "lookup_dcookie", "epoll_create", "epoll_ctl_old", "epoll_wait_old", "remap_file_pages",
    "getdents64", "set_tid_address", "restart_syscall", "semtimedop", "fadvise64", "timer_create",
    "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete", "clock_settime",
    "clock_gettime", "clock_getres", "clock_nanosleep", "exit_group", "epoll_wait", "epoll_ctl",
    "tgkill", "utimes", "vserver", "mbind", "set_mempolicy", "get_mempolicy", "mq_open",
    "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr", "kexec_load",
    "waitid", "add_key", "request_key", "keyctl", "ioprio_set", "ioprio_get", "inotify_init",
    "inotify_add_watch", "inotify_rm_watch", "migrate_pages", "openat", "mkdirat", "mknodat",
    "fchownat", "futimesat", "newfstatat", "unlinkat", "renameat", "linkat", "symlinkat",
    "readlinkat", "fchmodat", "faccessat", "pselect6", "ppoll", "unshare", "set_robust_list",
    "get_robust_list", "splice", "tee", "sync_file_range", "vmsplice", "move_pages", "utimensat",
    "epoll_pwait", "signalfd", "timerfd_create", "eventfd", "fallocate", "timerfd_settime",
    "timerfd_gettime", "accept4", "signalfd4", "eventfd2", "epoll_create1", "dup3", "pipe2",
    "inotify_init1", "preadv", "pwritev", "rt_tgsigqueueinfo", "perf_event_open", "recvmmsg",
    "fanotify_init", "fanotify_mark", "prlimit64", "name_to_handle_at", "open_by_handle_at",
    "clock_adjtime", "syncfs", "sendmmsg", "setns", "getcpu", "process_vm_readv",
    "process_vm_writev", "kcmp", "finit_module", "sched_setattr", "sched_getattr", "renameat2",
    "seccomp", "getrandom", "memfd_create", "kexec_file_load", "bpf", "execveat", "userfaultfd",
    "membarrier", "mlock2", "copy_file_range", "preadv2", "pwritev2", "pkey_mprotect",
    "pkey_alloc", "pkey_free", "statx", "io_pgetevents", "rseq",
];

/// First native number of [`X86_64_HIGH`]: 335..=423 are unassigned on x86_64 (the gap aligns
/// syscalls added since 5.1 to the same number on every architecture).
const X86_64_HIGH_BASE: u16 = 424;

/// x86_64 syscall names from 424 (`pidfd_send_signal`) on.
const X86_64_HIGH: &[&str] = &[
    "pidfd_send_signal", "io_uring_setup", "io_uring_enter", "io_uring_register", "open_tree",
    "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "pidfd_open", "clone3", "close_range",
    "openat2", "pidfd_getfd", "faccessat2", "process_madvise", "epoll_pwait2", "mount_setattr",
    "quotactl_fd", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
    "memfd_secret", "process_mrelease", "futex_waitv", "set_mempolicy_home_node", "cachestat",
    "fchmodat2", "map_shadow_stack", "futex_wake", "futex_wait", "futex_requeue", "statmount",
    "listmount", "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules", "mseal",
];

/// The name of `ppm_sc` code `code`; `None` for code 0 (`PPM_SC_UNKNOWN`), unassigned codes and
/// codes beyond the table (a newer driver than this table).
pub fn ppm_sc_name(code: u16) -> Option<&'static str> {
    match PPM_SC_NAMES.get(usize::from(code)) {
        Some(&n) if code != 0 && !n.is_empty() => Some(n),
        _ => None,
    }
}

/// The `ppm_sc` code named `name` (the reverse of [`ppm_sc_name`]).
pub fn ppm_sc_code(name: &str) -> Option<u16> {
    PPM_SC_NAMES.iter().position(|&n| n == name && !n.is_empty()).and_then(|i| u16::try_from(i).ok()).filter(|&c| c != 0)
}

/// The x86_64 syscall with native number `nr`, if assigned.
pub fn x86_64_name(nr: u16) -> Option<&'static str> {
    if nr >= X86_64_HIGH_BASE {
        X86_64_HIGH.get(usize::from(nr - X86_64_HIGH_BASE)).copied()
    } else {
        X86_64_LOW.get(usize::from(nr)).copied()
    }
}

/// The `evt.type` of a generic event with these params, as libsinsp computes it: the name of
/// the `ppm_sc` code in the first param (`ID`); when that is 0 and a second param (`nativeID`,
/// enter events only) is present, the native syscall's name if it has a `ppm_sc` code (libs
/// master maps native → `ppm_sc` → name, so a syscall without a code stays `unknown`).
/// Anything unnamed (code 0 without a usable native id, a code beyond the table, a missing
/// param) is [`UNKNOWN`].
pub fn generic_name(params: &[Param]) -> &'static str {
    let code = match params.first().map(|p| &p.value) {
        Some(ParamValue::SyscallId(c) | ParamValue::U16(c)) => *c,
        _ => return UNKNOWN,
    };
    if let Some(n) = ppm_sc_name(code) {
        return n;
    }
    if code != 0 {
        return UNKNOWN;
    }
    let native = match params.get(1).map(|p| &p.value) {
        Some(ParamValue::U16(n) | ParamValue::SyscallId(n)) => *n,
        _ => return UNKNOWN,
    };
    x86_64_name(native).and_then(ppm_sc_code).and_then(ppm_sc_name).unwrap_or(UNKNOWN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::ParamType;

    fn p(name: &'static str, value: ParamValue) -> Param {
        Param { name, ty: ParamType::Uint16, value }
    }

    #[test]
    fn table_shapes() {
        // The last codes of PPM_SC_FIELDS are the five tracepoints, 396..=400.
        assert_eq!(PPM_SC_NAMES.len(), 401);
        assert_eq!(ppm_sc_name(400), Some("signal_deliver"));
        assert_eq!(ppm_sc_name(382), None);
        assert_eq!(ppm_sc_name(0), None);
        assert_eq!(ppm_sc_name(u16::MAX), None);
        assert_eq!(X86_64_LOW.len(), 335);
        assert_eq!(x86_64_name(334), Some("rseq"));
        assert_eq!(x86_64_name(335), None);
        assert_eq!(x86_64_name(435), Some("clone3"));
        assert_eq!(x86_64_name(u16::MAX), None);
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
            assert_eq!(generic_name(&[p("ID", ParamValue::SyscallId(id))]), name);
            assert_eq!(generic_name(&[p("ID", ParamValue::SyscallId(0)), p("nativeID", ParamValue::U16(native))]), name);
        }
    }

    #[test]
    fn every_name_is_an_accepted_event_type() {
        // Generic events carry these names as `evt.type`; rules must be able to name them.
        let schema = rulec_compiler::schema::schema();
        let rejected: Vec<&str> =
            PPM_SC_NAMES.iter().copied().filter(|n| !n.is_empty() && !schema.is_event_name(n)).collect();
        assert!(rejected.is_empty(), "evt.type names the compiler rejects: {rejected:?}");
    }

    #[test]
    fn unnamed_codes_are_unknown() {
        assert_eq!(generic_name(&[]), UNKNOWN);
        assert_eq!(generic_name(&[p("ID", ParamValue::Absent)]), UNKNOWN);
        assert_eq!(generic_name(&[p("ID", ParamValue::SyscallId(0))]), UNKNOWN);
        assert_eq!(generic_name(&[p("ID", ParamValue::SyscallId(9999))]), UNKNOWN);
        // tuxcall (184) has no ppm_sc code.
        assert_eq!(generic_name(&[p("ID", ParamValue::SyscallId(0)), p("nativeID", ParamValue::U16(184))]), UNKNOWN);
    }
}
