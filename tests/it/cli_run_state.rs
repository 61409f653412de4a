//! `rulec run` on the live kernel, for what the probe carries into the state machine beyond the
//! syscalls of the main live test:
//! - datagrams on unconnected UDP sockets (`sendto`/`recvfrom`, `sendmsg`/`recvmsg` name the fd
//!   after their tuple);
//! - the exec of a new process: its cwd, the executable the kernel ran through a symbolic link,
//!   its cgroups (from which the container id comes), its overlayfs layer and its inode's times;
//! - the calls the state changes on that rules seldom name (`open`, `creat`, `socketpair`,
//!   `eventfd2`, `timerfd_create`, `setsid`), recorded whatever the rules ask;
//! - the parameters of calls upstream rules name (`link`, `linkat`, `rmdir`,
//!   `process_vm_readv`, `open_by_handle_at`) and `O_F_CREATED` on opens.
//!
//! Needs root and BTF (skipped elsewhere with a message; a failure under
//! `RULEC_REQUIRE_KERNEL=1`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::cli_run::{real, s};
use crate::live::Live;

/// A cgroup named like a Docker container's systemd scope, created for the test under the v2
/// tree or a v1 hierarchy (the `pids` one, else `memory`), removed on drop.
pub(super) struct Scope {
    pub(super) dir: PathBuf,
    /// `system.slice`, when the test created it.
    slice: Option<PathBuf>,
}

impl Scope {
    pub(super) fn create(id: &str) -> Scope {
        let root = Path::new("/sys/fs/cgroup");
        let base = if root.join("cgroup.controllers").exists() {
            root.to_path_buf()
        } else {
            ["pids", "memory"]
                .iter()
                .map(|h| root.join(h))
                .find(|p| p.join("cgroup.procs").exists())
                .expect("a cgroup v2 tree or a v1 pids/memory hierarchy under /sys/fs/cgroup")
        };
        let slice = base.join("system.slice");
        let made_slice = !slice.exists();
        let dir = slice.join(format!("docker-{id}.scope"));
        std::fs::create_dir_all(&dir).expect("create the test's cgroup");
        Scope { dir, slice: made_slice.then_some(slice) }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.dir);
        if let Some(s) = &self.slice {
            let _ = std::fs::remove_dir(s);
        }
    }
}

const UDP_PY: &str = "import socket\n\
srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
srv.bind(('127.0.0.1', 0))\n\
cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
cli.sendto(b'hello', srv.getsockname())\n\
data, addr = srv.recvfrom(64)\n\
assert data == b'hello'\n\
cli2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
cli2.sendmsg([b'hel', b'lo!'], [], 0, srv.getsockname())\n\
data, anc, flags, addr = srv.recvmsg(32)\n\
assert data == b'hello!'\n\
print(srv.getsockname()[1], cli.getsockname()[1], cli2.getsockname()[1])\n";

#[test]
fn new_processes_and_datagrams_carry_their_state() {
    let dir = std::env::temp_dir().join(format!("rulec-run-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("work")).expect("temp dir");
    let dir = PathBuf::from(real(s(&dir)));
    let d = s(&dir).to_string();
    std::fs::write(dir.join("udp.py"), UDP_PY).expect("udp.py");
    std::os::unix::fs::symlink("/usr/bin/true", dir.join("t")).expect("symlink to true");
    let rules = dir.join("rules.yaml");
    std::fs::write(
        &rules,
        format!(
            r#"
- rule: Datagram
  desc: the test's UDP client and server
  condition: evt.type in (sendto, recvfrom, sendmsg, recvmsg) and evt.dir = < and proc.cmdline = "python3 {d}/udp.py"
  output: dgram (type=%evt.type name=%fd.name sip=%fd.sip sport=%fd.sport cport=%fd.cport size=%evt.arg.size proto=%fd.l4proto)
  priority: NOTICE
- rule: Marked exec
  desc: the test's marked programs start
  condition: evt.type = execve and evt.dir = < and proc.args startswith "rulec-state-marker"
  output: exec (exe=%proc.exe exepath=%proc.exepath cwd=%proc.cwd container=%container.id args=%proc.args)
  priority: NOTICE
"#
        ),
    )
    .expect("rules");
    let _kernel = crate::KERNEL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !rulec_test_support::kernel("live `rulec run`") {
        return;
    }
    let live = Live::start(["run", "--rules", s(&rules), "-o", "json"], "watching the host");

    let udp = Command::new("python3").arg(dir.join("udp.py")).current_dir(&dir).output().expect("python3");
    assert!(udp.status.success(), "{}", String::from_utf8_lossy(&udp.stderr));
    let ports: Vec<String> = String::from_utf8_lossy(&udp.stdout).split_whitespace().map(str::to_owned).collect();
    let (port, cport, cport2) = (ports[0].clone(), ports[1].clone(), ports[2].clone());
    // Through a symbolic link, from a working directory of the test's own.
    let st = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("cd {d}/work && exec {d}/t rulec-state-marker-host"))
        .status()
        .expect("sh");
    assert!(st.success());
    // In a cgroup named like a container's: the shell moves itself there, then execs.
    let id: String = (0..64).map(|i| b"0123456789abcdef"[(i * 7 + 3) % 16] as char).collect();
    let scope = Scope::create(&id);
    let st = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("echo $$ > {}/cgroup.procs && exec /usr/bin/true rulec-state-marker-container", s(&scope.dir)))
        .status()
        .expect("sh");
    assert!(st.success());
    std::thread::sleep(Duration::from_millis(1000));
    let stopped = live.stop();
    drop(scope);
    let stdout = stopped.stdout;
    assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);

    let alerts: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("alert JSON")).collect();
    let fields = |rule: &str, key: &str, value: &str| -> Value {
        let found: Vec<&Value> =
            alerts.iter().filter(|a| a["rule"] == rule && a["output_fields"][key] == value).collect();
        assert_eq!(found.len(), 1, "one `{rule}` alert with {key}={value}:\n{stdout}");
        found[0]["output_fields"].clone()
    };
    let get = |v: &Value, k: &str| match &v[k] {
        Value::String(x) => x.clone(),
        other => other.to_string(),
    };

    let sent = fields("Datagram", "evt.type", "sendto");
    assert_eq!(get(&sent, "fd.name"), format!("0.0.0.0:{cport}->127.0.0.1:{port}"), "{sent}");
    assert_eq!((get(&sent, "fd.sip"), get(&sent, "fd.sport")), ("127.0.0.1".into(), port.clone()), "{sent}");
    assert_eq!((get(&sent, "evt.arg.size"), get(&sent, "fd.l4proto")), ("5".into(), "udp".into()), "{sent}");
    let received = fields("Datagram", "evt.type", "recvfrom");
    assert_eq!(get(&received, "fd.name"), format!("127.0.0.1:{cport}->127.0.0.1:{port}"), "{received}");
    assert_eq!(get(&received, "fd.cport"), cport, "{received}");
    assert_eq!(get(&received, "evt.arg.size"), "64", "{received}");
    let sent = fields("Datagram", "evt.type", "sendmsg");
    assert_eq!(get(&sent, "fd.name"), format!("0.0.0.0:{cport2}->127.0.0.1:{port}"), "{sent}");
    assert_eq!(get(&sent, "evt.arg.size"), "6", "the two buffers: {sent}");
    let received = fields("Datagram", "evt.type", "recvmsg");
    assert_eq!(get(&received, "fd.name"), format!("127.0.0.1:{cport2}->127.0.0.1:{port}"), "{received}");
    assert_eq!(get(&received, "evt.arg.size"), "32", "{received}");

    let host = fields("Marked exec", "proc.args", "rulec-state-marker-host");
    assert_eq!(get(&host, "proc.exepath"), real("/usr/bin/true"), "the executable, not the link: {host}");
    assert_eq!(get(&host, "proc.exe"), format!("{d}/t"), "argv[0]: {host}");
    assert_eq!(get(&host, "proc.cwd"), format!("{d}/work/"), "{host}");
    assert_ne!(get(&host, "container.id"), id[..12], "{host}");
    let contained = fields("Marked exec", "proc.args", "rulec-state-marker-container");
    assert_eq!(get(&contained, "container.id"), id[..12], "{contained}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh directory for a test, under its real path (the probe reports resolved paths).
fn test_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rulec-run-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    PathBuf::from(real(s(&dir)))
}

/// `rulec run` with `rules`, JSON output, watching the host while `act` runs (and a second
/// after): its alerts and its whole output. The caller holds the kernel lock.
fn watch(rules: &Path, act: impl FnOnce()) -> (Vec<Value>, String) {
    let live = Live::start(["run", "--rules", s(rules), "-o", "json"], "watching the host");
    act();
    std::thread::sleep(Duration::from_millis(1000));
    let stopped = live.stop();
    assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);
    let alerts = stopped.stdout.lines().map(|l| serde_json::from_str(l).expect("alert JSON")).collect();
    (alerts, stopped.stdout)
}

/// The output fields of the one alert whose fields hold every `(field, value)` of `want`;
/// fails, showing `stdout`, when there is not exactly one.
fn only<'a>(alerts: &'a [Value], want: &[(&str, Value)], stdout: &str) -> &'a Value {
    let found: Vec<&Value> =
        alerts.iter().map(|a| &a["output_fields"]).filter(|f| want.iter().all(|(k, v)| f[*k] == *v)).collect();
    assert_eq!(found.len(), 1, "one alert with {want:?}:\n{stdout}");
    found[0]
}

/// What a Python script did under `rulec run`: its directory (`d`), what it printed, and the
/// JSON alerts `rulec run` gave (with its whole output, for messages).
struct ScriptRun {
    dir: PathBuf,
    d: String,
    printed: Vec<String>,
    alerts: Vec<Value>,
    stdout: String,
}

/// Runs `script` (called `name`, given its directory as its argument, with `marker.txt` there
/// holding `hello`) while `rulec run` watches the host with one rule: `condition`, on the
/// script's own exits, and `output`. `None` where the kernel tests are skipped.
fn run_script(name: &str, script: &str, condition: &str, output: &str) -> Option<ScriptRun> {
    let dir = test_dir(name);
    let d = s(&dir).to_string();
    std::fs::write(dir.join(name), script).expect("script");
    std::fs::write(dir.join("marker.txt"), "hello").expect("marker");
    let rules = dir.join("rules.yaml");
    let condition = format!("{} and evt.dir = < and proc.cmdline startswith \"python3 {d}/{name}\"", condition);
    let rule =
        format!("- rule: Script calls\n  desc: d\n  condition: {condition}\n  output: {output}\n  priority: NOTICE\n");
    std::fs::write(&rules, rule).expect("rules");
    let _kernel = crate::KERNEL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !rulec_test_support::kernel("live `rulec run`") {
        return None;
    }
    let mut printed = Vec::new();
    let (alerts, stdout) = watch(&rules, || {
        let out = Command::new("python3").arg(dir.join(name)).arg(&dir).output().expect("python3");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        printed = String::from_utf8_lossy(&out.stdout).split_whitespace().map(str::to_owned).collect();
    });
    Some(ScriptRun { dir, d, printed, alerts, stdout })
}

/// The calls the state machine changes on that rules rarely name, made under a rule that names
/// only the data calls after them: `open(2)` (what musl's `open()` makes, so every Alpine
/// container's) and `creat(2)` as raw syscalls, a socket pair, an eventfd and a timerfd, and
/// `setsid`; then a read or write through each new fd.
const STATE_CALLS_PY: &str = "import ctypes, os, socket, sys\n\
libc = ctypes.CDLL(None, use_errno=True)\n\
libc.syscall.restype = ctypes.c_long\n\
d = sys.argv[1].encode()\n\
os.setsid()\n\
fd = libc.syscall(2, d + b'/marker.txt', os.O_RDONLY, 0)\n\
assert fd >= 0, ctypes.get_errno()\n\
assert os.read(fd, 5) == b'hello'\n\
cfd = libc.syscall(85, d + b'/created.txt', 0o600)\n\
assert cfd >= 0, ctypes.get_errno()\n\
assert os.write(cfd, b'made') == 4\n\
a, b = socket.socketpair()\n\
assert os.write(a.fileno(), b'x') == 1\n\
efd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)\n\
assert os.write(efd, (1).to_bytes(8, 'little')) == 8\n\
tfd = libc.timerfd_create(1, 0)\n\
assert tfd >= 0, ctypes.get_errno()\n\
os.close(os.dup2(tfd, 250))\n\
print(os.getpid(), fd, cfd, a.fileno(), efd)\n";

/// A rule that names only `read` and `write` still sees the fds and the session those calls
/// made: the probe records every call the state machine changes on whatever the rules ask, and
/// writes each as its own event, which the state applies (before, `open` and the others came
/// as generic events or not at all: the fds had no name and no kind).
#[test]
fn the_state_follows_calls_no_rule_names() {
    let Some(ScriptRun { dir, d, printed, alerts, stdout }) = run_script(
        "calls.py",
        STATE_CALLS_PY,
        "evt.type in (read, write, dup2, eventfd2)",
        "used (type=%evt.type fd=%fd.num name=%fd.name kind=%fd.type sid=%proc.sid flags=%evt.arg.flags)",
    ) else {
        return;
    };
    let (pid, fds) = (&printed[0], &printed[1..]);
    // Python uses the same fd numbers for its own files: each call is found by its fd's name.
    let used = |ty: &str, name: &str| only(&alerts, &[("evt.type", ty.into()), ("fd.name", name.into())], &stdout);
    let read = used("read", &format!("{d}/marker.txt"));
    assert_eq!((read["fd.num"].to_string(), &read["fd.type"]), (fds[0].clone(), &Value::from("file")), "{read}");
    assert_eq!(read["proc.sid"].to_string(), *pid, "setsid made the process its session's leader: {read}");
    let written = used("write", &format!("{d}/created.txt"));
    assert_eq!(written["fd.num"].to_string(), fds[1], "{written}");
    // The write into the socket pair.
    let pair_fd: i64 = fds[2].parse().expect("the pair's fd");
    only(&alerts, &[("evt.type", "write".into()), ("fd.num", pair_fd.into()), ("fd.type", "unix".into())], &stdout);
    let made = used("eventfd2", "anon_inode:[eventfd]");
    assert_eq!(made["evt.arg.flags"], "O_NONBLOCK|O_CLOEXEC", "{made}");
    let event = used("write", "anon_inode:[eventfd]");
    assert_eq!((event["fd.num"].to_string(), &event["fd.type"]), (fds[3].clone(), &Value::from("event")), "{event}");
    let timer = used("dup2", "anon_inode:[timerfd]");
    assert_eq!(timer["fd.type"], "timerfd", "{timer}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Calls that upstream rules name and whose parameters they read (`Create Hardlink Over
/// Sensitive Files` reads `evt.arg.oldpath` of `link`/`linkat`), as raw syscalls.
const PATH_CALLS_PY: &str = "import ctypes, os, sys\n\
libc = ctypes.CDLL(None, use_errno=True)\n\
libc.syscall.restype = ctypes.c_long\n\
d = sys.argv[1].encode()\n\
assert libc.syscall(86, d + b'/marker.txt', d + b'/hard1') == 0, ctypes.get_errno()\n\
assert libc.syscall(265, -100, d + b'/marker.txt', -100, d + b'/hard2', 0) == 0, ctypes.get_errno()\n\
os.mkdir(d + b'/empty')\n\
assert libc.syscall(84, d + b'/empty') == 0, ctypes.get_errno()\n\
L = ctypes.c_long\n\
libc.syscall(L(310), L(os.getpid()), None, L(0), None, L(0), L(0))\n\
fields = [('size', ctypes.c_uint), ('kind', ctypes.c_int), ('bytes', ctypes.c_ubyte * 128)]\n\
Handle = type('Handle', (ctypes.Structure,), {'_fields_': fields})\n\
h = Handle(128)\n\
mount_id = ctypes.c_int()\n\
os.close(os.open(d + b'/new.txt', os.O_RDONLY | os.O_CREAT, 0o600))\n\
os.close(os.open(d + b'/new.txt', os.O_RDONLY | os.O_CREAT, 0o600))\n\
open(d + b'/handle.txt', 'wb').write(b'hello')\n\
assert libc.name_to_handle_at(-100, d + b'/handle.txt', ctypes.byref(h), ctypes.byref(mount_id), 0) == 0, ctypes.get_errno()\n\
mfd = os.open(d, os.O_RDONLY)\n\
hfd = libc.open_by_handle_at(mfd, ctypes.byref(h), os.O_RDONLY)\n\
assert hfd >= 0, ctypes.get_errno()\n\
assert os.read(hfd, 5) == b'hello'\n\
print(os.getpid())\n";

/// `link`, `linkat`, `rmdir`, `process_vm_readv` and `open_by_handle_at` live carry the
/// parameters rules read (they came as generic events, without them, so a rule on
/// `evt.arg.oldpath` never fired live).
#[test]
fn link_rmdir_and_process_vm_carry_their_parameters() {
    let Some(ScriptRun { dir, d, printed, alerts, stdout }) = run_script(
        "paths.py",
        PATH_CALLS_PY,
        "evt.type in (link, linkat, rmdir, process_vm_readv, open_by_handle_at, openat)",
        "call (type=%evt.type old=%evt.arg.oldpath new=%evt.arg.newpath path=%evt.arg.path pid=%evt.rawarg.pid res=%evt.res name=%fd.name created=%evt.is_open_create)",
    ) else {
        return;
    };
    let pid = printed.first().cloned().unwrap_or_default();
    let of = |ty: &str| only(&alerts, &[("evt.type", ty.into())], &stdout);
    let link = of("link");
    assert_eq!(
        (&link["evt.arg.oldpath"], &link["evt.arg.newpath"]),
        (&Value::from(format!("{d}/marker.txt")), &Value::from(format!("{d}/hard1"))),
        "{link}"
    );
    let linkat = of("linkat");
    assert_eq!(
        (&linkat["evt.arg.oldpath"], &linkat["evt.arg.newpath"]),
        (&Value::from(format!("{d}/marker.txt")), &Value::from(format!("{d}/hard2"))),
        "{linkat}"
    );
    let rmdir = of("rmdir");
    assert_eq!(
        (&rmdir["evt.arg.path"], &rmdir["evt.res"]),
        (&Value::from(format!("{d}/empty")), &Value::from("SUCCESS")),
        "{rmdir}"
    );
    let vm = of("process_vm_readv");
    assert_eq!(vm["evt.rawarg.pid"], Value::from(pid), "{vm}");
    // The call names no path: the probe reads it from the new fd.
    let by_handle = of("open_by_handle_at");
    let file = Value::from(format!("{d}/handle.txt"));
    assert_eq!((&by_handle["evt.arg.path"], &by_handle["fd.name"]), (&file, &file), "{by_handle}");
    // O_CREAT on a file that is not there creates it (O_F_CREATED, read from the new file's
    // mode), on one that is does not.
    let new = Value::from(format!("{d}/new.txt"));
    let created: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["output_fields"]["evt.type"] == "openat" && a["output_fields"]["fd.name"] == new)
        .map(|a| &a["output_fields"]["evt.is_open_create"])
        .collect();
    assert_eq!(created, [&Value::from(true), &Value::from(false)], "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// An overlayfs mount made for a test (lower, upper and work directories under `root`, merged
/// at `root/m`), unmounted on drop.
struct Overlay {
    merged: PathBuf,
}

impl Overlay {
    fn mount(root: &Path) -> Overlay {
        for d in ["l", "u", "w", "m"] {
            std::fs::create_dir_all(root.join(d)).expect("overlay dirs");
        }
        let opts =
            format!("lowerdir={},upperdir={},workdir={}", s(&root.join("l")), s(&root.join("u")), s(&root.join("w")));
        let st = Command::new("mount").args(["-t", "overlay", "overlay", "-o", &opts, s(&root.join("m"))]).status();
        assert!(st.is_ok_and(|s| s.success()), "mount an overlayfs at {}", root.display());
        Overlay { merged: root.join("m") }
    }
}

impl Drop for Overlay {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.merged).status();
    }
}

/// A program run from an overlayfs mount carries its layer (`proc.is_exe_upper_layer`: a
/// binary added to a container after its image, what Falco's "Drop and execute new binary in
/// container" looks for; `proc.is_exe_lower_layer`: one of the image), and one run from
/// elsewhere neither; each carries its executable's inode times (`proc.exe_ino.ctime`, `.mtime`).
#[test]
fn executables_on_overlayfs_carry_their_layer() {
    let dir = test_dir("overlay");
    let rules = dir.join("rules.yaml");
    std::fs::write(
        &rules,
        "- rule: Marked exec\n  desc: d\n  condition: evt.type = execve and evt.dir = < and proc.args startswith \"rulec-layer-marker\"\n  output: exec (args=%proc.args upper=%proc.is_exe_upper_layer lower=%proc.is_exe_lower_layer ctime=%proc.exe_ino.ctime mtime=%proc.exe_ino.mtime)\n  priority: NOTICE\n",
    )
    .expect("rules");
    let _kernel = crate::KERNEL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !rulec_test_support::kernel("live `rulec run`") {
        return;
    }
    std::fs::create_dir_all(dir.join("l")).expect("lower dir");
    std::fs::copy("/usr/bin/true", dir.join("l/image-true")).expect("copy true into the lower layer");
    let overlay = Overlay::mount(&dir);
    std::fs::copy("/usr/bin/true", overlay.merged.join("added-true")).expect("copy true into the mount");
    let times = {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(overlay.merged.join("added-true")).expect("stat");
        let ns = |s: i64, n: i64| (s * 1_000_000_000 + n) as u64;
        (ns(m.ctime(), m.ctime_nsec()), ns(m.mtime(), m.mtime_nsec()))
    };
    let (alerts, stdout) = watch(&rules, || {
        for (exe, marker) in [
            (overlay.merged.join("image-true"), "rulec-layer-marker-image"),
            (overlay.merged.join("added-true"), "rulec-layer-marker-added"),
            (PathBuf::from("/usr/bin/true"), "rulec-layer-marker-host"),
        ] {
            assert!(Command::new(&exe).arg(marker).status().is_ok_and(|s| s.success()), "{}", exe.display());
        }
    });
    drop(overlay);
    let exec = |marker: &str| only(&alerts, &[("proc.args", marker.into())], &stdout);
    let layer = |marker: &str| {
        let f = exec(marker);
        (f["proc.is_exe_upper_layer"].clone(), f["proc.is_exe_lower_layer"].clone())
    };
    assert_eq!(layer("rulec-layer-marker-image"), (Value::from(false), Value::from(true)));
    assert_eq!(layer("rulec-layer-marker-added"), (Value::from(true), Value::from(false)));
    assert_eq!(layer("rulec-layer-marker-host"), (Value::from(false), Value::from(false)));
    // The executable's inode times, as `stat` gives them.
    let f = exec("rulec-layer-marker-added");
    assert_eq!(
        (&f["proc.exe_ino.ctime"], &f["proc.exe_ino.mtime"]),
        (&Value::from(times.0), &Value::from(times.1)),
        "{f}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
