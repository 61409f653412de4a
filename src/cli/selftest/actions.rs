//! The harmless actions of `rulec selftest`, one function per check: each does what its rule
//! detects, in the scratch folder or on its own children, undoes what it changed, and says how to
//! recognise its alert ([`Marker`]).

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

/// What identifies the alert of an action: a field and a value it must contain.
pub(super) struct Marker {
    pub field: &'static str,
    pub contains: String,
}

/// The scratch folder the actions work in.
pub(super) struct Scratch {
    pub dir: PathBuf,
}

pub(super) fn read_shadow(_: &Scratch) -> Result<Marker, String> {
    std::fs::read("/etc/shadow").map_err(|e| format!("cannot read /etc/shadow: {e}"))?;
    Ok(Marker { field: "proc.cmdline", contains: "selftest".into() })
}

pub(super) fn read_environ(_: &Scratch) -> Result<Marker, String> {
    let mut child = Process::new("/bin/sleep").arg("5").spawn().map_err(|e| format!("cannot start sleep: {e}"))?;
    let path = format!("/proc/{}/environ", child.id());
    let read = std::fs::read(&path).map_err(|e| format!("cannot read {path}: {e}"));
    let _ = child.kill();
    let _ = child.wait();
    read?;
    Ok(Marker { field: "fd.name", contains: path })
}

pub(super) fn delete_history(s: &Scratch) -> Result<Marker, String> {
    let f = s.dir.join(".bash_history");
    std::fs::write(&f, "ls\n").map_err(|e| e.to_string())?;
    std::fs::remove_file(&f).map_err(|e| e.to_string())?;
    Ok(Marker { field: "fs.path.name", contains: f.display().to_string() })
}

pub(super) fn set_setuid(s: &Scratch) -> Result<Marker, String> {
    use std::os::unix::fs::PermissionsExt;
    let f = s.dir.join("setuid-file");
    std::fs::write(&f, "").map_err(|e| e.to_string())?;
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o4755)).map_err(|e| e.to_string())?;
    std::fs::remove_file(&f).map_err(|e| e.to_string())?;
    Ok(Marker { field: "proc.cmdline", contains: "selftest".into() })
}

/// Copies /bin/true to `dir/name` and runs it with `args`; returns its pid.
fn run_copy(dir: &Path, name: &str, args: &[&str]) -> Result<u32, String> {
    let exe = dir.join(name);
    std::fs::copy("/bin/true", &exe).map_err(|e| format!("cannot copy /bin/true: {e}"))?;
    let mut child = Process::new(&exe).args(args).spawn().map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    let pid = child.id();
    let _ = child.wait();
    let _ = std::fs::remove_file(&exe);
    Ok(pid)
}

pub(super) fn exec_from_tmp(s: &Scratch) -> Result<Marker, String> {
    run_copy(&s.dir, "selftest-true", &[])?;
    Ok(Marker { field: "proc.exepath", contains: s.dir.join("selftest-true").display().to_string() })
}

pub(super) fn netcat_exec(s: &Scratch) -> Result<Marker, String> {
    run_copy(&s.dir, "nc", &["-e", "/bin/true", "127.0.0.1", "9"])?;
    Ok(Marker { field: "proc.cmdline", contains: "nc -e /bin/true".into() })
}

pub(super) fn memfd_exec(_: &Scratch) -> Result<Marker, String> {
    let program = std::fs::read("/bin/true").map_err(|e| format!("cannot read /bin/true: {e}"))?;
    let name = CString::new("rulec-selftest").map_err(|e| e.to_string())?;
    // SAFETY: a NUL-terminated name and plain flags.
    let fd = unsafe { libc::memfd_create(name.as_ptr(), 0) };
    if fd < 0 {
        return Err(format!("memfd_create: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: writing a buffer we own to the fd we created.
    let n = unsafe { libc::write(fd, program.as_ptr().cast(), program.len()) };
    if n != program.len() as isize {
        // SAFETY: closing our own fd.
        unsafe { libc::close(fd) };
        return Err("cannot fill the memfd".into());
    }
    let path = format!("/proc/self/fd/{fd}");
    let status = Process::new(&path).status();
    // SAFETY: closing our own fd.
    unsafe { libc::close(fd) };
    status.map_err(|e| format!("cannot execute the memfd: {e}"))?;
    Ok(Marker { field: "proc.exepath", contains: "memfd".into() })
}

pub(super) fn ptrace_child(_: &Scratch) -> Result<Marker, String> {
    let mut child = Process::new("/bin/sleep").arg("5").spawn().map_err(|e| format!("cannot start sleep: {e}"))?;
    let pid = child.id() as libc::pid_t;
    // SAFETY: attaching to our own child; the null pointers are what PTRACE_ATTACH takes.
    let r = unsafe {
        libc::ptrace(
            libc::PTRACE_ATTACH,
            pid,
            std::ptr::null_mut::<libc::c_void>(),
            std::ptr::null_mut::<libc::c_void>(),
        )
    };
    let attached = r == 0;
    if attached {
        let mut status = 0;
        // SAFETY: waiting for the stop of our own tracee, then detaching from it.
        unsafe {
            libc::waitpid(pid, &mut status, 0);
            libc::ptrace(
                libc::PTRACE_DETACH,
                pid,
                std::ptr::null_mut::<libc::c_void>(),
                std::ptr::null_mut::<libc::c_void>(),
            );
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    if !attached {
        return Err(format!("PTRACE_ATTACH failed: {}", std::io::Error::last_os_error()));
    }
    Ok(Marker { field: "proc.cmdline", contains: "selftest".into() })
}

pub(super) fn kmod_load(_: &Scratch) -> Result<Marker, String> {
    let empty = CString::new("").map_err(|e| e.to_string())?;
    // SAFETY: finit_module with an invalid fd fails (EBADF or EPERM) without loading anything.
    unsafe {
        libc::syscall(libc::SYS_finit_module, -1i32, empty.as_ptr(), 0i32);
    }
    Ok(Marker { field: "proc.cmdline", contains: "selftest".into() })
}

pub(super) fn write_bin_dir(_: &Scratch) -> Result<Marker, String> {
    let f = Path::new("/usr/local/bin").join(format!(".rulec-selftest-{}", std::process::id()));
    std::fs::write(&f, "").map_err(|e| format!("cannot write {}: {e}", f.display()))?;
    let _ = std::fs::remove_file(&f);
    Ok(Marker { field: "fd.name", contains: f.as_os_str().as_bytes().escape_ascii().to_string() })
}
