//! `rulec run` on the live kernel for the calls that change the system rather than a process's
//! files, whose arguments the probe writes as the event table defines them: mount and umount2,
//! unshare and setns, bpf, symlink and symlinkat; and a bind to port 0, whose event carries the
//! port the kernel picked. A test program does each call from a cgroup named like a container's
//! (in mount and UTS namespaces of its own, so the host's mounts are untouched); a ruleset of the
//! test prints the arguments, and the stdlib rules on these calls must fire with it. Needs root
//! and BTF (skipped elsewhere with a message; a failure under `RULEC_REQUIRE_KERNEL=1`).

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::cli_run::{real, s};
use super::cli_run_state::Scope;
use crate::live::Live;

/// The calls, by number through libc's `syscall` (x86_64), each checked to succeed except bpf's
/// program load without a program (it fails; the rule looks at the command only). Prints the port
/// a bind to port 0 got.
const ADMIN_PY: &str = r#"import ctypes, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
def sc(*args):
    r = libc.syscall(*args)
    return r if r >= 0 else -ctypes.get_errno()
d = sys.argv[1]
CLONE_NEWNS, CLONE_NEWUTS = 0x20000, 0x4000000
assert sc(272, CLONE_NEWNS | CLONE_NEWUTS) == 0, "unshare"
assert sc(165, None, b"/", None, ctypes.c_ulong(0x4000 | 0x40000), None) == 0, "mount --make-rprivate /"
mnt = os.path.join(d, "mnt").encode()
assert sc(165, b"rulec-admin-dev", mnt, b"tmpfs", ctypes.c_ulong(0xC0ED0000 | 1), None) == 0, "mount"
assert sc(166, mnt, 2) == 0, "umount2"
ns = os.open("/proc/self/ns/uts", os.O_RDONLY)
assert sc(308, ns, CLONE_NEWUTS) == 0, "setns"
assert sc(321, 5, None, 0) < 0, "bpf"
assert sc(266, b"/dev/null", -100, os.path.join(d, ".bash_history").encode()) == 0, "symlinkat"
dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
assert sc(266, b"/dev/null", dfd, b".zsh_history") == 0, "symlinkat from a dirfd"
assert sc(88, b"some/target", os.path.join(d, "link").encode()) == 0, "symlink"
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1])
"#;

/// clone3 with CLONE_INTO_CGROUP (the cgroup v2 folder in argv[1]): the child opens the marker
/// path in argv[2] from its new cgroup without exec'ing, then the parent from its own.
const CLONE3_PY: &str = r#"import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
cg = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
args = struct.pack("11Q", 0x200000000, 0, 0, 0, 17, 0, 0, 0, 0, 0, cg)
buf = ctypes.create_string_buffer(args, len(args))
pid = libc.syscall(435, buf, ctypes.c_size_t(len(args)))
if pid == 0:
    try:
        os.open(sys.argv[2], os.O_RDONLY)
    except OSError:
        pass
    os._exit(0)
assert pid > 0, ctypes.get_errno()
os.waitpid(pid, 0)
try:
    os.open(sys.argv[2], os.O_RDONLY)
except OSError:
    pass
"#;

/// The cgroup v2 tree: the whole of /sys/fs/cgroup, or its `unified` part on a hybrid host.
fn cgroup2_root() -> Option<PathBuf> {
    ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.join("cgroup.procs").exists() && p.join("cgroup.subtree_control").exists())
}

const RULES: &str = r#"
- rule: Admin call
  desc: the test program's mounts, namespaces, bpf and links
  condition: >
    evt.type in (mount, umount2, unshare, setns, bpf, symlink, symlinkat, bind, listen)
    and evt.dir = < and proc.cmdline contains "rulec-admin.py"
  output: >
    admin (type=%evt.type res=%evt.res args=%evt.args dev=%evt.arg.dev dir=%evt.arg.dir
    fstype=%evt.arg.type flags=%evt.arg.flags name=%evt.arg.name nstype=%evt.arg.nstype
    cmd=%evt.arg.cmd target=%evt.arg.target linkpath=%evt.arg.linkpath link=%fs.path.target
    linkdirfd=%evt.arg.linkdirfd
    fd=%evt.arg.fd fdname=%fd.name sport=%fd.sport lport=%fd.lport)
  priority: NOTICE
- rule: Clone3 marker
  desc: the clone3 test's child and parent open the marker
  condition: evt.type = openat and evt.dir = < and evt.arg.name contains "rulec-clone3-marker"
  output: marker (pid=%proc.pid container=%container.id)
  priority: NOTICE
"#;

#[test]
fn system_calls_carry_their_arguments_live() {
    let dir = std::env::temp_dir().join(format!("rulec-run-admin-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("mnt")).expect("temp dir");
    let dir = PathBuf::from(real(s(&dir)));
    let d = s(&dir).to_string();
    std::fs::write(dir.join("rulec-admin.py"), ADMIN_PY).expect("script");
    let rules = dir.join("rules.yaml");
    std::fs::write(&rules, RULES).expect("rules");
    let _kernel = crate::KERNEL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !rulec_test_support::kernel("live `rulec run`") {
        return;
    }
    let args = ["run", "--rules", "stdlib", "--rules", s(&rules), "-o", "json", "--all-matches"];
    let live = Live::start(args, "watching the host");
    let id: String = (0..64).map(|i| b"0123456789abcdef"[(i * 5 + 1) % 16] as char).collect();
    let scope = Scope::create(&id);
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("echo $$ > {}/cgroup.procs && exec python3 {d}/rulec-admin.py {d}", s(&scope.dir)))
        .output()
        .expect("sh");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let port = String::from_utf8_lossy(&out.stdout).trim().to_string();
    // clone3 into a cgroup named like another container's, in the cgroup v2 tree.
    let id3: String = (0..64).map(|i| b"0123456789abcdef"[(i * 3 + 2) % 16] as char).collect();
    let into = cgroup2_root().map(|root| root.join(format!("docker-{id3}.scope")));
    if let Some(into) = &into {
        std::fs::create_dir_all(into).expect("the clone3 cgroup");
        std::fs::write(dir.join("clone3.py"), CLONE3_PY).expect("script");
        let marker = format!("{d}/rulec-clone3-marker");
        let out = Command::new("python3").arg(dir.join("clone3.py")).arg(into).arg(&marker).output().expect("python3");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    } else {
        eprintln!("no cgroup v2 tree: the clone3 CLONE_INTO_CGROUP part is skipped");
    }
    std::thread::sleep(Duration::from_millis(1000));
    let stopped = live.stop();
    drop(scope);
    if let Some(into) = &into {
        let _ = std::fs::remove_dir(into);
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);
    let stdout = stopped.stdout;
    let alerts: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("alert JSON")).collect();
    let get = |v: &Value, k: &str| match &v[k] {
        Value::String(x) => x.clone(),
        other => other.to_string(),
    };
    // The test rule's alerts of one call, by its fields.
    let calls = |ty: &str| -> Vec<Value> {
        alerts
            .iter()
            .filter(|a| a["rule"] == "Admin call" && a["output_fields"]["evt.type"] == ty)
            .map(|a| a["output_fields"].clone())
            .collect()
    };
    let one = |ty: &str| -> Value {
        let found = calls(ty);
        assert_eq!(found.len(), 1, "one `{ty}`:\n{stdout}");
        found[0].clone()
    };

    let unshare = one("unshare");
    assert_eq!(get(&unshare, "evt.arg.flags"), "CLONE_NEWNS|CLONE_NEWUTS", "{unshare}");
    let mounts = calls("mount");
    assert_eq!(mounts.len(), 2, "{stdout}");
    let private = &mounts[0];
    assert_eq!(
        (get(private, "evt.arg.dev"), get(private, "evt.arg.dir")),
        (String::new(), "/".into()),
        "no device: {private}"
    );
    assert_eq!(get(private, "evt.arg.flags"), "REC|PRIVATE", "{private}");
    let tmpfs = &mounts[1];
    assert_eq!(get(tmpfs, "evt.arg.dev"), "rulec-admin-dev", "{tmpfs}");
    assert_eq!(get(tmpfs, "evt.arg.dir"), format!("{d}/mnt"), "{tmpfs}");
    assert_eq!(get(tmpfs, "evt.arg.type"), "tmpfs", "{tmpfs}");
    assert_eq!(get(tmpfs, "evt.arg.flags"), "RDONLY", "the magic stripped: {tmpfs}");
    let umount = one("umount2");
    assert_eq!((get(&umount, "evt.arg.name"), get(&umount, "evt.arg.flags")), (format!("{d}/mnt"), "DETACH".into()));
    let setns = one("setns");
    assert_eq!(get(&setns, "evt.arg.nstype"), "CLONE_NEWUTS", "{setns}");
    assert_eq!(get(&setns, "fd.name"), "/proc/self/ns/uts", "the fd's name from its open: {setns}");
    let bpf = one("bpf");
    assert_eq!(get(&bpf, "evt.arg.cmd"), "BPF_PROG_LOAD", "{bpf}");
    assert!(get(&bpf, "evt.res").starts_with('E'), "failed: {bpf}");
    let links = calls("symlinkat");
    assert_eq!(links.len(), 2, "{stdout}");
    for (l, name) in links.iter().zip([".bash_history", ".zsh_history"]) {
        assert_eq!(get(l, "evt.arg.target"), "/dev/null", "{l}");
        assert_eq!(get(l, "fs.path.target"), format!("{d}/{name}"), "resolved against the dirfd: {l}");
    }
    assert_eq!(get(&links[0], "evt.arg.linkdirfd"), "-100(AT_FDCWD)", "{}", links[0]);
    assert!(get(&links[1], "evt.arg.linkdirfd").ends_with(&format!("(<d>{d})")), "{}", links[1]);
    let link = one("symlink");
    assert_eq!(
        (get(&link, "evt.arg.target"), get(&link, "evt.arg.linkpath")),
        ("some/target".into(), format!("{d}/link"))
    );

    let bind = one("bind");
    assert_eq!(get(&bind, "fd.name"), format!("127.0.0.1:{port}"), "the port the kernel picked: {bind}");
    let listen = one("listen");
    assert_eq!((get(&listen, "fd.sport"), get(&listen, "fd.lport")), (port.clone(), port.clone()), "{listen}");

    // The stdlib rules these calls exist for, on the test program's calls.
    let fired = |rule: &str| {
        let ours =
            |a: &&Value| a["output_fields"]["proc.cmdline"].as_str().is_some_and(|c| c.contains("rulec-admin.py"));
        alerts.iter().filter(|a| a["rule"] == rule).filter(ours).count()
    };
    assert_eq!(fired("File system mounted from a container"), 2, "{stdout}");
    assert_eq!(fired("Namespace changed from a container"), 2, "unshare and setns: {stdout}");
    assert_eq!(fired("BPF program loaded by an unexpected program"), 1, "{stdout}");
    assert_eq!(fired("Shell history linked to /dev/null"), 2, "{stdout}");

    // The clone3 child is in its new cgroup (a container's, by its name) before it execs anything.
    if into.is_some() {
        let markers: Vec<&Value> = alerts.iter().filter(|a| a["rule"] == "Clone3 marker").collect();
        assert_eq!(markers.len(), 2, "{stdout}");
        assert_eq!(get(&markers[0]["output_fields"], "container.id"), id3[..12], "the child: {stdout}");
        assert_eq!(get(&markers[1]["output_fields"], "container.id"), "host", "the parent: {stdout}");
    }
}
