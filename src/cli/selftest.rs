//! `rulec selftest`: proves that detection works on this host. It starts `rulec run` (the
//! embedded stdlib ruleset, every matching rule alerting, JSON alerts), performs harmless actions
//! that stdlib rules detect (in a scratch folder it removes afterwards: a history file deleted, a
//! setuid bit set on an empty file, a program copied to /tmp and run, a memfd executed, a ptrace
//! attach to its own child, ...), waits for each expected alert, and prints a table of detected and
//! missed rules with the time each took. With `--alerts-file`, it checks a `rulec run` that is
//! already running (a deployment) through the alerts it appends to its output file instead. Exit 0 when every rule was detected, 1 otherwise, 2 when
//! it cannot run (no root, no BTF). Needs the same privileges as `rulec run`.

use std::ffi::CString;
use std::io::{BufRead, BufReader};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::Args;

use super::{EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK};

#[derive(Args, Debug)]
pub struct SelftestArgs {
    /// Seconds to wait for each expected alert.
    #[arg(long, default_value_t = 5.0, value_name = "S")]
    pub timeout: f64,
    /// Passed to `rulec run`: turn a rule off (to see selftest fail), repeatable.
    #[arg(long, value_name = "RULE|tag:TAG", conflicts_with = "alerts_file")]
    pub disable: Vec<String>,
    /// Check a `rulec run` that is already running instead of starting one: read the alerts it
    /// appends to this file (its `--output-file`). It must run the stdlib rules.
    #[arg(long, value_name = "PATH")]
    pub alerts_file: Option<PathBuf>,
}

/// One check: the rule, what is done, and how to recognise its alert among others.
struct Check {
    rule: &'static str,
    action: &'static str,
    run: fn(&Scratch) -> Result<Marker, String>,
}

/// What identifies the alert of an action: a field and a value it must contain.
struct Marker {
    field: &'static str,
    contains: String,
}

/// The scratch folder the actions work in.
struct Scratch {
    dir: PathBuf,
}

const CHECKS: &[Check] = &[
    Check { rule: "Shadow file read by an unexpected program", action: "read /etc/shadow", run: read_shadow },
    Check {
        rule: "Environment of another process read",
        action: "read a child's /proc/PID/environ",
        run: read_environ,
    },
    Check { rule: "Shell history deleted", action: "delete a .bash_history", run: delete_history },
    Check { rule: "Setuid or setgid bit set", action: "chmod 4755 an empty file", run: set_setuid },
    Check { rule: "Execution from a temporary directory", action: "run a copy of true from /tmp", run: exec_from_tmp },
    Check { rule: "Netcat remote code execution", action: "run a program named nc with -e", run: netcat_exec },
    Check { rule: "Fileless execution from memory", action: "execute true from a memfd", run: memfd_exec },
    Check { rule: "Process attached with ptrace", action: "PTRACE_ATTACH to own child", run: ptrace_child },
    Check { rule: "Kernel module loaded by an unexpected program", action: "finit_module(-1) (fails)", run: kmod_load },
    Check {
        rule: "Write below a binary directory",
        action: "create and remove a file in /usr/local/bin",
        run: write_bin_dir,
    },
];

pub fn run(args: &SelftestArgs) -> i32 {
    let missing = rulec_probe::preflight::check();
    if !missing.is_empty() {
        eprintln!("rulec selftest: {}", rulec_probe::ProbeError::Missing(missing));
        return EXIT_CANNOT_RUN;
    }
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        eprintln!("rulec selftest: --timeout must be a positive number of seconds");
        return EXIT_CANNOT_RUN;
    }
    let dir = std::env::temp_dir().join(format!("rulec-selftest-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("rulec selftest: cannot create {}: {e}", dir.display());
        return EXIT_CANNOT_RUN;
    }
    let scratch = Scratch { dir };
    let pipeline = match &args.alerts_file {
        Some(path) => Pipeline::follow(path),
        None => Pipeline::start(&args.disable),
    };
    let code = match pipeline {
        Ok(mut p) => {
            let code = checks(&scratch, &mut p, Duration::from_secs_f64(args.timeout));
            p.stop();
            code
        }
        Err(e) => {
            eprintln!("rulec selftest: {e}");
            EXIT_CANNOT_RUN
        }
    };
    let _ = std::fs::remove_dir_all(&scratch.dir);
    code
}

fn checks(scratch: &Scratch, p: &mut Pipeline, timeout: Duration) -> i32 {
    println!("{:<48} {:<44} {:>9} {:>8}", "rule", "action", "result", "ms");
    let mut missed = 0;
    for c in CHECKS {
        let started = Instant::now();
        let outcome = (c.run)(scratch).and_then(|m| p.wait_for(c.rule, &m, timeout).map(|_| started.elapsed()));
        let (result, ms) = match &outcome {
            Ok(t) => ("detected", format!("{}", t.as_millis())),
            Err(_) => ("MISSED", "-".to_string()),
        };
        if outcome.is_err() {
            missed += 1;
        }
        println!("{:<48} {:<44} {:>9} {:>8}", c.rule, c.action, result, ms);
        if let Err(why) = outcome {
            println!("  {why}");
        }
    }
    println!("\n{} of {} rules detected", CHECKS.len() - missed, CHECKS.len());
    if missed == 0 { EXIT_OK } else { EXIT_FINDINGS }
}

/// The `rulec run` under test (ours, or one already running whose output file is followed) and
/// the alerts it wrote so far.
struct Pipeline {
    child: Option<Child>,
    alerts: mpsc::Receiver<serde_json::Value>,
    seen: Vec<serde_json::Value>,
}

impl Pipeline {
    fn start(disable: &[String]) -> Result<Pipeline, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find the rulec executable: {e}"))?;
        let mut cmd = Process::new(exe);
        cmd.args(["run", "-o", "json", "--all-matches"]);
        for d in disable {
            cmd.arg("--disable").arg(d);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start rulec run: {e}"))?;
        let stdout = child.stdout.take().ok_or("rulec run has no stdout")?;
        let stderr = child.stderr.take().ok_or("rulec run has no stderr")?;
        let (tx, alerts) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str(&line)
                    && tx.send(v).is_err()
                {
                    break;
                }
            }
        });
        let (ready_tx, ready) = mpsc::channel();
        std::thread::spawn(move || {
            let mut log = Vec::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("watching the host") {
                    let _ = ready_tx.send(Ok(()));
                }
                log.push(line);
            }
            let _ = ready_tx.send(Err(log.join("\n")));
        });
        match ready.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(())) => Ok(Pipeline { child: Some(child), alerts, seen: Vec::new() }),
            Ok(Err(log)) => Err(format!("rulec run did not start:\n{log}")),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                Err("rulec run did not start watching within 60 s".into())
            }
        }
    }

    /// Follows the alerts a running `rulec run` appends to `path` from now on.
    fn follow(path: &Path) -> Result<Pipeline, String> {
        use std::io::{Seek, SeekFrom};
        let mut file = std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        file.seek(SeekFrom::End(0)).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let (tx, alerts) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(file);
            // A line still being written stays in `line` until its newline arrives.
            let mut line = String::new();
            loop {
                match reader.read_line(&mut line) {
                    Ok(0) => std::thread::sleep(Duration::from_millis(50)),
                    Ok(_) if line.ends_with('\n') => {
                        let parsed = serde_json::from_str(line.trim_end());
                        line.clear();
                        if let Ok(v) = parsed
                            && tx.send(v).is_err()
                        {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        });
        Ok(Pipeline { child: None, alerts, seen: Vec::new() })
    }

    /// Waits for an alert of `rule` whose `marker.field` contains the marker's text.
    fn wait_for(&mut self, rule: &str, m: &Marker, timeout: Duration) -> Result<(), String> {
        let matches = |a: &serde_json::Value| {
            a["rule"] == rule
                && a["output_fields"][m.field]
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| a["output_fields"][m.field].as_i64().map(|n| n.to_string()))
                    .is_some_and(|v| v.contains(&m.contains))
        };
        if self.seen.iter().any(matches) {
            return Ok(());
        }
        let end = Instant::now() + timeout;
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.alerts.recv_timeout(left) {
                Ok(a) => {
                    let hit = matches(&a);
                    self.seen.push(a);
                    if hit {
                        return Ok(());
                    }
                }
                Err(_) => break,
            }
        }
        Err(format!("no `{rule}` alert with {} containing {:?} within {timeout:?}", m.field, m.contains))
    }

    fn stop(self) {
        if let Some(mut child) = self.child {
            // SAFETY: signalling our own child, not yet reaped.
            unsafe {
                libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
            }
            let _ = child.wait();
        }
    }
}

fn read_shadow(_: &Scratch) -> Result<Marker, String> {
    std::fs::read("/etc/shadow").map_err(|e| format!("cannot read /etc/shadow: {e}"))?;
    Ok(Marker { field: "proc.cmdline", contains: "selftest".into() })
}

fn read_environ(_: &Scratch) -> Result<Marker, String> {
    let mut child = Process::new("/bin/sleep").arg("5").spawn().map_err(|e| format!("cannot start sleep: {e}"))?;
    let path = format!("/proc/{}/environ", child.id());
    let read = std::fs::read(&path).map_err(|e| format!("cannot read {path}: {e}"));
    let _ = child.kill();
    let _ = child.wait();
    read?;
    Ok(Marker { field: "fd.name", contains: path })
}

fn delete_history(s: &Scratch) -> Result<Marker, String> {
    let f = s.dir.join(".bash_history");
    std::fs::write(&f, "ls\n").map_err(|e| e.to_string())?;
    std::fs::remove_file(&f).map_err(|e| e.to_string())?;
    Ok(Marker { field: "fs.path.name", contains: f.display().to_string() })
}

fn set_setuid(s: &Scratch) -> Result<Marker, String> {
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

fn exec_from_tmp(s: &Scratch) -> Result<Marker, String> {
    run_copy(&s.dir, "selftest-true", &[])?;
    Ok(Marker { field: "proc.exepath", contains: s.dir.join("selftest-true").display().to_string() })
}

fn netcat_exec(s: &Scratch) -> Result<Marker, String> {
    run_copy(&s.dir, "nc", &["-e", "/bin/true", "127.0.0.1", "9"])?;
    Ok(Marker { field: "proc.cmdline", contains: "nc -e /bin/true".into() })
}

fn memfd_exec(_: &Scratch) -> Result<Marker, String> {
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

fn ptrace_child(_: &Scratch) -> Result<Marker, String> {
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

fn kmod_load(_: &Scratch) -> Result<Marker, String> {
    let empty = CString::new("").map_err(|e| e.to_string())?;
    // SAFETY: finit_module with an invalid fd fails (EBADF or EPERM) without loading anything.
    unsafe {
        libc::syscall(libc::SYS_finit_module, -1i32, empty.as_ptr(), 0i32);
    }
    Ok(Marker { field: "proc.cmdline", contains: "selftest".into() })
}

fn write_bin_dir(_: &Scratch) -> Result<Marker, String> {
    let f = Path::new("/usr/local/bin").join(format!(".rulec-selftest-{}", std::process::id()));
    std::fs::write(&f, "").map_err(|e| format!("cannot write {}: {e}", f.display()))?;
    let _ = std::fs::remove_file(&f);
    Ok(Marker { field: "fd.name", contains: f.as_os_str().as_bytes().escape_ascii().to_string() })
}
