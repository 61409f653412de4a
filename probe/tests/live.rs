//! The probe on the real kernel: loaded, attached, and seeing what a child process does.
//!
//! Needs root (or CAP_BPF + CAP_PERFMON) and kernel BTF. Elsewhere the tests skip with a
//! message; with `RULEC_REQUIRE_KERNEL=1` (set by CI, which runs as root on a real kernel) a
//! missing requirement fails them instead.

use std::process::Command;
use std::time::{Duration, Instant};

use rulec_probe::{Config, Probe, ProbeError, Record};

const NR_OPENAT: u32 = 257;
const NR_CLOSE: u32 = 3;
const NR_GETPPID: u32 = 110;
const NR_EXECVE: u32 = 59;
const PPME_GENERIC_X: u16 = 1;
const PPME_SYSCALL_CLOSE_X: u16 = 5;
const PPME_PROCEXIT_1_E: u16 = 186;
const PPME_SYSCALL_EXECVE_19_X: u16 = 293;
const PPME_SYSCALL_OPENAT_2_X: u16 = 307;

/// The probe, or `None` (test skipped) when the host cannot run it and CI did not ask for it.
fn open(cfg: &Config) -> Option<Probe> {
    match Probe::open(cfg) {
        Ok(p) => Some(p),
        Err(ProbeError::Missing(m)) if std::env::var_os("RULEC_REQUIRE_KERNEL").is_none() => {
            eprintln!("skipped: {}", ProbeError::Missing(m));
            None
        }
        Err(e) => panic!("{e}"),
    }
}

/// Reads records until `done` says so or five seconds pass, returning every record's bytes.
fn collect(probe: &mut Probe, mut done: impl FnMut(&[Vec<u8>]) -> bool) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        let n = probe.read(4096, |_, b| out.push(b.to_vec()));
        if done(&out) {
            break;
        }
        if n == 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    out
}

#[test]
fn sees_a_child_open_a_file_exec_and_exit() {
    let Some(mut probe) = open(&Config { ring_bytes: 1 << 22, skip_self: true }) else { return };
    probe.set_syscalls(&[NR_OPENAT, NR_CLOSE, NR_EXECVE, NR_GETPPID]).expect("syscall table");
    probe.attach().expect("attach");

    let dir = std::env::temp_dir().join(format!("rulec-probe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("marker.txt");
    std::fs::write(&file, "x").expect("write marker");
    let child = Command::new("/bin/cat").arg(&file).output().expect("run cat");
    assert!(child.status.success());
    let path = file.to_str().expect("utf-8 temp path").to_string();

    let records = collect(&mut probe, |rs| {
        rs.iter()
            .filter_map(|b| Record::parse(b).ok())
            .any(|r| r.event_type() == PPME_PROCEXIT_1_E && r.param_u64(0) == Some(0))
            && rs
                .iter()
                .filter_map(|b| Record::parse(b).ok())
                .any(|r| r.event_type() == PPME_SYSCALL_OPENAT_2_X && r.param_str(2) == Some(path.as_str()))
    });
    let parsed: Vec<Record> = records.iter().map(|b| Record::parse(b).expect("every record parses")).collect();
    assert!(!parsed.iter().any(|r| r.tid() == u64::from(std::process::id())), "own syscalls must be skipped");

    let open = parsed
        .iter()
        .find(|r| r.event_type() == PPME_SYSCALL_OPENAT_2_X && r.param_str(2) == Some(path.as_str()))
        .unwrap_or_else(|| panic!("no openat of {path} among {} records", parsed.len()));
    let fd = open.param_u64(0).expect("fd") as i64;
    assert!(fd >= 0, "cat opened the file: fd {fd}");
    assert_eq!(open.param_u64(1).map(|d| d as i64), Some(-100), "dirfd AT_FDCWD");
    assert_eq!(open.param_u64(3).map(|f| f & 3), Some(1), "O_RDONLY in the PPM encoding");
    let cat_tid = open.tid();

    let exec = parsed
        .iter()
        .find(|r| r.event_type() == PPME_SYSCALL_EXECVE_19_X && r.tid() == cat_tid)
        .expect("the execve of cat");
    assert_eq!(exec.param_u64(0), Some(0), "execve succeeded");
    assert_eq!(exec.param_str(1), Some("/bin/cat"), "exe is argv[0]");
    assert_eq!(exec.param_str(2), Some(path.as_str()), "args");
    assert_eq!(exec.param_u64(5), Some(u64::from(std::process::id())), "ptid is the test");
    assert_eq!(exec.param_str(13), Some("cat"), "comm after exec");
    assert_eq!(exec.nparams(), 31);
    assert_eq!(exec.param_str(30), Some("/bin/cat"), "filename: the path exec ran");

    assert!(
        parsed
            .iter()
            .any(|r| r.event_type() == PPME_SYSCALL_CLOSE_X && r.tid() == cat_tid && r.param_u64(1) == Some(fd as u64)),
        "cat closes the file it opened"
    );
    assert!(parsed.iter().any(|r| r.event_type() == PPME_PROCEXIT_1_E && r.tid() == cat_tid), "cat's exit");
    // getppid is not called by cat; an uninteresting syscall never appears as a generic event.
    assert!(!parsed.iter().any(|r| r.event_type() == PPME_GENERIC_X && r.tid() == cat_tid));

    let total = probe.total().expect("counters");
    assert!(total.events >= parsed.len() as u64, "{total:?} vs {} read", parsed.len());
    assert_eq!(total.drops(), 0, "{total:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn counts_drops_when_the_ring_buffer_overruns() {
    // A 4 KiB ring buffer that nobody reads: a burst of getppid calls from a child fills it.
    let Some(mut probe) = open(&Config { ring_bytes: 4096, skip_self: true }) else { return };
    probe.set_syscalls(&[NR_GETPPID]).expect("syscall table");
    probe.attach().expect("attach");
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg("i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; python3 -c 'import os\nfor _ in range(5000): os.getppid()' 2>/dev/null || perl -e 'getppid() for 1..5000'")
        .output()
        .expect("run the burst");
    assert!(out.status.success(), "{out:?}");
    let total = probe.total().expect("counters");
    assert!(total.drops_buffer > 0, "a full buffer must count drops: {total:?}");
    assert!(total.events > 0, "{total:?}");
    // The process stays up and the buffer still reads.
    let mut n = 0;
    probe.read(100_000, |_, b| {
        Record::parse(b).expect("records stay valid after an overrun");
        n += 1;
    });
    assert!(n > 0 && n as u64 <= total.events, "{n} records read, {total:?}");
}

const NR_CONNECT: u32 = 42;
const NR_UNLINKAT: u32 = 263;
const NR_FCHMODAT: u32 = 268;
const NR_SEMGET: u32 = 64;
const PPME_SOCKET_CONNECT_X: u16 = 23;
const PPME_SYSCALL_UNLINKAT_2_X: u16 = 303;
const PPME_SYSCALL_FCHMODAT_X: u16 = 313;

#[test]
fn sees_connect_tuples_and_paths_copied_at_entry() {
    let Some(mut probe) = open(&Config { ring_bytes: 1 << 22, skip_self: true }) else { return };
    probe.set_syscalls(&[NR_CONNECT, NR_UNLINKAT, NR_FCHMODAT]).expect("syscall table");
    probe.attach().expect("attach");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let port = listener.local_addr().expect("address").port();
    let dir = std::env::temp_dir().join(format!("rulec-probe-net-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("victim");
    std::fs::write(&file, "x").expect("file");
    let path = file.to_str().expect("utf-8 path").to_string();
    let script = format!(
        "python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port})).close()\" && chmod u+s {path} && rm {path}"
    );
    let out = Command::new("/bin/sh").arg("-c").arg(&script).output().expect("run the actions");
    assert!(out.status.success(), "{out:?}");
    let records = collect(&mut probe, |rs| {
        rs.iter().filter_map(|b| Record::parse(b).ok()).any(|r| r.event_type() == PPME_SYSCALL_UNLINKAT_2_X)
    });
    let parsed: Vec<Record> = records.iter().map(|b| Record::parse(b).expect("every record parses")).collect();

    let connect = parsed
        .iter()
        .find(|r| {
            r.event_type() == PPME_SOCKET_CONNECT_X
                && r.param(1).is_some_and(|t| t.len() == 13 && u16::from_le_bytes([t[11], t[12]]) == port)
        })
        .unwrap_or_else(|| panic!("no connect to port {port} among {} records", parsed.len()));
    assert_eq!(connect.param_u64(0), Some(0), "connected");
    let tuple = connect.param(1).expect("tuple");
    assert_eq!(tuple[0], 2, "AF_INET");
    assert_eq!(&tuple[1..5], &[127, 0, 0, 1], "source address");
    assert_ne!(u16::from_le_bytes([tuple[5], tuple[6]]), 0, "source port");
    assert_eq!(&tuple[7..11], &[127, 0, 0, 1], "destination address");
    let addr = connect.param(3).expect("addr");
    assert_eq!(addr, &[2, 127, 0, 0, 1, port.to_le_bytes()[0], port.to_le_bytes()[1]], "sockaddr from entry");

    let chmod = parsed
        .iter()
        .find(|r| r.event_type() == PPME_SYSCALL_FCHMODAT_X && r.param_str(2) == Some(path.as_str()))
        .expect("the fchmodat of chmod u+s");
    assert_eq!(chmod.param_u64(3).map(|m| m & 0o4000), Some(0o4000), "setuid bit in the mode");
    let unlink = parsed
        .iter()
        .find(|r| r.event_type() == PPME_SYSCALL_UNLINKAT_2_X && r.param_str(2) == Some(path.as_str()))
        .expect("the unlinkat of rm");
    assert_eq!(unlink.param_u64(0), Some(0));
    assert_eq!(unlink.param_u64(1).map(|d| d as i64), Some(-100), "dirfd AT_FDCWD");
    drop(listener);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn skips_and_counts_32_bit_syscalls() {
    // x86_64's semget (64) is ia32's getppid: a 32-bit getppid (`int $0x80` from machine code
    // a python3 child maps) must not appear as a semget, and is counted instead.
    let Some(mut probe) = open(&Config { ring_bytes: 1 << 20, skip_self: true }) else { return };
    probe.set_syscalls(&[NR_SEMGET]).expect("syscall table");
    probe.attach().expect("attach");
    let code = "import ctypes, mmap\n\
                m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)\n\
                m.write(bytes([0xb8, 0x40, 0, 0, 0, 0xcd, 0x80, 0xc3]))\n\
                f = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(m)))\n\
                for _ in range(10): f()\n";
    let child = Command::new("python3")
        .arg("-c")
        .arg(code)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run python3");
    let pid = u64::from(child.id());
    let out = child.wait_with_output().expect("python3 ends");
    if !out.status.success() {
        // A kernel without ia32 emulation kills the int $0x80: nothing to count there.
        eprintln!("skipped: no 32-bit syscalls on this kernel ({:?})", out.status);
        return;
    }
    // Records are in the ring before the syscall returns: one read sees them all.
    let mut records = Vec::new();
    probe.read(100_000, |_, b| records.push(b.to_vec()));
    let total = probe.total().expect("counters");
    assert!(total.compat_skipped >= 10, "{total:?}");
    for b in &records {
        let r = Record::parse(b).expect("record");
        assert!(
            !(r.tid() == pid && r.event_type() == PPME_GENERIC_X),
            "an ia32 syscall of the child was taken for an x86_64 one"
        );
    }
}

const PPME_SYSCALL_EXECVE_19_X_CWD: usize = 6;
const PPME_SYSCALL_EXECVE_19_X_EXEPATH: usize = 27;

/// The execve record of the child with process id `pid`, read until it arrives.
fn exec_of(probe: &mut Probe, pid: u32) -> Vec<u8> {
    let records = collect(probe, |rs| {
        rs.iter()
            .filter_map(|b| Record::parse(b).ok())
            .any(|r| r.event_type() == PPME_SYSCALL_EXECVE_19_X && r.tid() == u64::from(pid))
    });
    records
        .into_iter()
        .find(|b| {
            Record::parse(b).is_ok_and(|r| r.event_type() == PPME_SYSCALL_EXECVE_19_X && r.tid() == u64::from(pid))
        })
        .unwrap_or_else(|| panic!("no execve record of pid {pid}"))
}

#[test]
fn writes_paths_as_the_process_sees_them() {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let Some(mut probe) = open(&Config { ring_bytes: 1 << 22, skip_self: true }) else { return };
    probe.set_syscalls(&[NR_EXECVE]).expect("syscall table");
    probe.attach().expect("attach");
    // ldconfig is statically linked on Debian: it runs inside a root holding nothing else.
    let dir = std::env::temp_dir().join(format!("rulec-probe-root-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("bin")).expect("temp root");
    std::fs::create_dir_all(dir.join("work")).expect("temp root");
    std::fs::copy("/usr/sbin/ldconfig", dir.join("bin/ldconfig")).expect("copy ldconfig");

    // A chroot: cwd and executable are written up to the process's root, as d_path() does.
    let root = std::ffi::CString::new(dir.to_str().expect("utf-8 temp path")).expect("no NUL");
    let mut cmd = Command::new("/bin/ldconfig");
    cmd.arg("--version").stdout(std::process::Stdio::null());
    // SAFETY: between fork and exec the closure only makes two async-signal-safe syscalls on
    // memory allocated before the fork.
    unsafe {
        cmd.pre_exec(move || {
            if libc::chroot(root.as_ptr()) != 0 || libc::chdir(c"/work".as_ptr()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn().expect("run ldconfig in the chroot");
    let pid = child.id();
    assert!(child.wait_with_output().expect("ldconfig ends").status.success());
    let bytes = exec_of(&mut probe, pid);
    let exec = Record::parse(&bytes).expect("record");
    assert_eq!(exec.param_str(PPME_SYSCALL_EXECVE_19_X_CWD), Some("/work"), "cwd inside the chroot");
    assert_eq!(exec.param_str(PPME_SYSCALL_EXECVE_19_X_EXEPATH), Some("/bin/ldconfig"), "exe inside the chroot");

    // An executable unlinked before it runs (exec through /proc/self/fd): " (deleted)".
    let gone = dir.join("gone");
    std::fs::copy("/usr/sbin/ldconfig", &gone).expect("copy ldconfig");
    let held = std::fs::File::open(&gone).expect("open the copy");
    std::fs::remove_file(&gone).expect("unlink the copy");
    let child = Command::new(format!("/proc/self/fd/{}", held.as_raw_fd()))
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run the unlinked copy");
    let pid = child.id();
    assert!(child.wait_with_output().expect("the copy ends").status.success());
    let bytes = exec_of(&mut probe, pid);
    let exec = Record::parse(&bytes).expect("record");
    let want = format!("{} (deleted)", gone.display());
    assert_eq!(exec.param_str(PPME_SYSCALL_EXECVE_19_X_EXEPATH), Some(want.as_str()), "unlinked executable");
    let cwd = std::env::current_dir().expect("cwd");
    assert_eq!(exec.param_str(PPME_SYSCALL_EXECVE_19_X_CWD), cwd.to_str(), "cwd outside any chroot");
    drop(held);
    let _ = std::fs::remove_dir_all(&dir);
}
