//! The embedded stdlib on the real kernel (needs root and BTF: skipped elsewhere with a message,
//! a failure under `RULEC_REQUIRE_KERNEL=1`, which CI sets). `rulec run` with no `--rules` first
//! watches a benign workload (a small C program compiled and run, ordinary file and process
//! activity, a loopback HTTP request) that must raise no alert, then harmless actions that each
//! trigger one stdlib rule; at least [`AT_LEAST`] distinct rules must fire.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::live::Live;

/// The issue's bar: stdlib rules that fire on the real kernel from harmless actions.
const AT_LEAST: usize = 15;

/// A harmless action and the stdlib rule it triggers. `$D` is a scratch folder under /tmp, `$H` a
/// scratch home folder under /home, `$O` a scratch folder under /opt (programs run from there are
/// not run from a temporary directory); all are removed afterwards.
struct Action {
    rule: &'static str,
    script: &'static str,
}

const ACTIONS: &[Action] = &[
    Action { rule: "Shadow file read by an unexpected program", script: "python3 -c 'open(\"/etc/shadow\").read()'" },
    Action {
        rule: "SSH private key read by an unexpected program",
        script: "mkdir -p $H/.ssh && echo k > $H/.ssh/id_ed25519 && python3 -c 'import sys; open(sys.argv[1]).read()' $H/.ssh/id_ed25519",
    },
    Action {
        rule: "Cloud or cluster credentials read",
        script: "mkdir -p $H/.aws && echo k > $H/.aws/credentials && python3 -c 'import sys; open(sys.argv[1]).read()' $H/.aws/credentials",
    },
    Action {
        rule: "Environment of another process read",
        script: "sleep 3 & cat /proc/$!/environ > /dev/null; kill $!",
    },
    Action {
        rule: "Write below a binary directory",
        script: "touch /usr/local/bin/.rulec-stdlib-live-$$ && rm -f /usr/local/bin/.rulec-stdlib-live-$$",
    },
    Action {
        rule: "Cron job written",
        script: "touch /etc/cron.d/rulec-stdlib-live-$$ && rm -f /etc/cron.d/rulec-stdlib-live-$$",
    },
    Action {
        rule: "Systemd unit written",
        script: "touch /etc/systemd/system/rulec-stdlib-live-$$.service && rm -f /etc/systemd/system/rulec-stdlib-live-$$.service",
    },
    Action {
        rule: "Sudoers changed",
        script: "mkdir -p /etc/sudoers.d && touch /etc/sudoers.d/rulec-stdlib-live-$$ && rm -f /etc/sudoers.d/rulec-stdlib-live-$$",
    },
    Action {
        rule: "Log file truncated",
        script: "echo x > /var/log/rulec-stdlib-live-$$.log && : > /var/log/rulec-stdlib-live-$$.log && rm -f /var/log/rulec-stdlib-live-$$.log",
    },
    Action { rule: "Shell history deleted", script: "echo ls > $D/.bash_history && rm $D/.bash_history" },
    Action { rule: "Setuid or setgid bit set", script: "touch $D/suid && chmod u+s $D/suid" },
    Action { rule: "Execution from a temporary directory", script: "cp /bin/true $D/true && $D/true" },
    Action { rule: "Netcat remote code execution", script: "cp /bin/true $D/nc && $D/nc -e /bin/true 127.0.0.1 9" },
    Action { rule: "Crypto miner started", script: "/bin/true -o stratum+tcp://127.0.0.1:3333 --threads 1" },
    Action { rule: "Fileless execution from memory", script: "python3 $D/memfd.py" },
    Action { rule: "Process attached with ptrace", script: "python3 $D/ptrace.py" },
    Action {
        rule: "Kernel module loaded by an unexpected program",
        script: "python3 -c 'import ctypes; ctypes.CDLL(None).syscall(313, -1, b\"\", 0)'",
    },
    Action {
        rule: "Socat remote code execution",
        script: "cp /bin/true $O/socat && $O/socat TCP:127.0.0.1:9 EXEC:/bin/true",
    },
    Action {
        rule: "Reverse shell redirects a standard stream to a network connection",
        script: "python3 -c 'import socket,os;l=socket.socket();l.bind((\"127.0.0.1\",0));l.listen(1);s=socket.create_connection(l.getsockname());os.dup2(s.fileno(),2)'",
    },
    Action {
        rule: "Shell started with a network connection as its input or output",
        script: "python3 -c 'import socket,os;l=socket.socket();l.bind((\"127.0.0.1\",0));l.listen(1);s=socket.create_connection(l.getsockname());os.dup2(s.fileno(),0);os.execv(\"/bin/sh\",[\"sh\",\"-c\",\"true\"])'",
    },
    Action {
        rule: "Reverse shell through /dev/tcp in a command line",
        script: "bash -c 'echo > /dev/tcp/127.0.0.1/9; true' 2>/dev/null; true",
    },
    Action {
        rule: "Shell or interpreter started by a web server",
        script: "cp /bin/bash $O/nginx && $O/nginx -c 'sh -c true; true'",
    },
    Action { rule: "Network scanner started", script: "cp /bin/true $O/nmap && $O/nmap -p 22 127.0.0.1" },
    Action { rule: "Known crypto miner started", script: "cp /bin/true $O/xmrig && $O/xmrig --version" },
    Action {
        rule: "Privileged port bound by an unexpected program",
        script: "python3 -c 'import socket;s=socket.socket();s.bind((\"127.0.0.1\",981))'",
    },
    Action { rule: "Tor or proxy chaining client started", script: "cp /bin/true $O/tor && $O/tor --version" },
    Action { rule: "DNS tunnelling tool started", script: "cp /bin/true $O/iodine && $O/iodine -v" },
    Action { rule: "Reverse tunnelling tool started", script: "cp /bin/true $O/chisel && $O/chisel --version" },
    Action {
        rule: "File uploaded with curl or wget",
        script: "curl -s -m 1 -T /etc/hostname http://127.0.0.1:9/; true",
    },
    Action {
        rule: "Cgroup release_agent written",
        script: "mkdir -p $O/cg && python3 -c 'open(\"'$O'/cg/release_agent\",\"w\").close()'",
    },
    Action {
        rule: "Group shadow file read by an unexpected program",
        script: "python3 -c 'open(\"/etc/gshadow\").read()'",
    },
    Action {
        rule: "Process memory read through /proc",
        script: "sleep 5 & python3 -c 'import sys; open(\"/proc/%s/mem\" % sys.argv[1], \"rb\").close()' $!; kill $!",
    },
    Action {
        rule: "Process memory written through /proc",
        script: "sleep 5 & python3 -c 'import sys; open(\"/proc/%s/mem\" % sys.argv[1], \"r+b\").close()' $!; kill $!",
    },
    Action {
        rule: "Write below a library directory",
        script: "touch /usr/lib/.rulec-stdlib-live-$$.so && rm -f /usr/lib/.rulec-stdlib-live-$$.so",
    },
    Action {
        rule: "SSH authorized keys changed",
        script: "mkdir -p $H/.ssh && echo 'ssh-ed25519 AAAAC3Nza rulec-test' >> $H/.ssh/authorized_keys",
    },
    Action { rule: "Shell startup file changed", script: "echo '# rulec' >> $H/.bashrc" },
    Action {
        rule: "PAM configuration changed",
        script: "mkdir -p /etc/pam.d && touch /etc/pam.d/rulec-stdlib-live-$$ && rm -f /etc/pam.d/rulec-stdlib-live-$$",
    },
    Action {
        rule: "Udev rule written",
        script: "mkdir -p /etc/udev/rules.d && touch /etc/udev/rules.d/99-rulec-stdlib-live-$$.rules && rm -f /etc/udev/rules.d/99-rulec-stdlib-live-$$.rules",
    },
    Action { rule: "Write below /etc", script: "touch /etc/.rulec-stdlib-live-$$ && rm -f /etc/.rulec-stdlib-live-$$" },
    Action { rule: "Shell history truncated", script: "echo ls > $D/.zsh_history && : > $D/.zsh_history" },
    Action {
        rule: "Log file deleted",
        script: "touch /var/log/rulec-stdlib-live-del-$$.log && rm -f /var/log/rulec-stdlib-live-del-$$.log",
    },
    Action { rule: "File timestamps set by hand", script: "touch $D/stamp && touch -r /bin/ls $D/stamp" },
    Action {
        rule: "Hidden file made executable in a temporary directory",
        script: "touch /tmp/.rulec-stdlib-live-$$ && chmod +x /tmp/.rulec-stdlib-live-$$ && rm -f /tmp/.rulec-stdlib-live-$$",
    },
    Action {
        rule: "Regular file created below /dev",
        script: "touch /dev/.rulec-stdlib-live-$$ && rm -f /dev/.rulec-stdlib-live-$$",
    },
    Action {
        rule: "Kernel symbol addresses read by an unexpected program",
        script: "python3 -c 'open(\"/proc/kallsyms\").readline()'",
    },
    Action {
        rule: "BPF program loaded by an unexpected program",
        script: "python3 -c 'import ctypes; ctypes.CDLL(None).syscall(321, 5, None, 0)'",
    },
];

/// Executes a memfd copy of /bin/true.
const MEMFD_PY: &str = "import os\nfd = os.memfd_create('payload', 0)\nos.write(fd, open('/bin/true', 'rb').read())\npid = os.fork()\nif pid == 0:\n    os.execve(fd, ['payload'], {})\nos.waitpid(pid, 0)\n";
/// Attaches to its own child with PTRACE_ATTACH, then detaches and kills it.
const PTRACE_PY: &str = "import ctypes, os, signal, time\nlibc = ctypes.CDLL(None)\nlibc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]\nchild = os.fork()\nif child == 0:\n    time.sleep(10)\n    os._exit(0)\nassert libc.ptrace(16, child, None, None) == 0\nos.waitpid(child, 0)\nlibc.ptrace(17, child, None, None)\nos.kill(child, signal.SIGKILL)\nos.waitpid(child, 0)\n";

/// The benign workload: what a developer's or a server's day looks like. Run in a folder that is
/// not a temporary directory (programs built and run from /tmp are what a stdlib rule flags).
fn benign_workload(dir: &Path) -> String {
    format!(
        r#"set -e
cd {dir}
printf '#include <stdio.h>\nint main(void) {{ puts("hello"); return 0; }}\n' > hello.c
cc -O1 -o hello hello.c
./hello > /dev/null
mkdir -p tree/a/b && cp hello.c tree/a/b/ && mv tree/a/b/hello.c tree/a/b/renamed.c
ls -la tree > /dev/null && find tree -name '*.c' > /dev/null && grep -r hello tree > /dev/null
tar -cf tree.tar tree && rm -rf tree tree.tar
cat /etc/hostname /etc/os-release > /dev/null
ps -e > /dev/null
python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)'
echo "some notes" > notes.txt && chmod 0644 notes.txt && rm notes.txt
python3 -m http.server 0 --bind 127.0.0.1 --directory {dir} > server.log 2>&1 &
server=$!
for i in $(seq 50); do port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' server.log); [ -n "$port" ] && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$port/hello.c" > /dev/null
kill $server
"#,
        dir = dir.display()
    )
}

fn sh(script: &str, env: &[(&str, &Path)]) {
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c").arg(script);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("sh runs");
    assert!(
        out.status.success(),
        "{script}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn alerts(json_lines: &str) -> Vec<Value> {
    json_lines.lines().map(|l| serde_json::from_str(l).expect("one JSON alert per line")).collect()
}

#[test]
fn stdlib_rules_fire_on_harmless_actions_and_stay_silent_on_a_benign_workload() {
    if !rulec_test_support::kernel("the stdlib on the live kernel") {
        return;
    }
    for tool in ["python3", "cc", "curl"] {
        let found =
            Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().is_ok_and(|o| o.status.success());
        assert!(found, "{tool} is needed (CI installs it)");
    }
    let _kernel = crate::KERNEL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let pid = std::process::id();
    let scratch = PathBuf::from(format!("/tmp/rulec-stdlib-live-{pid}"));
    let home = PathBuf::from(format!("/home/rulec-stdlib-live-{pid}"));
    let opt = PathBuf::from(format!("/opt/rulec-stdlib-live-{pid}"));
    // Not below the target directory: a checkout may itself live in /tmp.
    let benign = PathBuf::from(format!("/opt/rulec-stdlib-benign-{pid}"));
    for d in [&scratch, &home, &opt, &benign] {
        let _ = std::fs::remove_dir_all(d);
        std::fs::create_dir_all(d).expect("scratch folder");
    }
    std::fs::write(scratch.join("memfd.py"), MEMFD_PY).expect("script");
    std::fs::write(scratch.join("ptrace.py"), PTRACE_PY).expect("script");

    let live = Live::start(["run", "-o", "json", "--all-matches"], "watching the host");
    sh(&benign_workload(&benign), &[]);
    std::thread::sleep(Duration::from_millis(1500));
    let during_benign = live.stdout_so_far();
    for a in ACTIONS {
        sh(a.script, &[("D", &scratch), ("H", &home), ("O", &opt)]);
    }
    // Until every action's alert is out, or a deadline on a loaded machine.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        let so_far = live.stdout_so_far();
        if ACTIONS.iter().all(|a| so_far.contains(&format!("\"rule\":\"{}\"", a.rule))) {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let stopped = live.stop();
    for d in [&scratch, &home, &opt, &benign] {
        let _ = std::fs::remove_dir_all(d);
    }
    assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);

    // The benign workload's programs raised nothing. (Other processes of the host may alert in
    // that time; only alerts of the workload's own programs count.)
    let workload =
        ["sh", "cc", "cc1", "as", "ld", "collect2", "hello", "mkdir", "cp", "mv", "ls", "find", "grep", "tar"];
    let workload_more = ["rm", "cat", "ps", "chmod", "python3", "curl", "sed", "seq", "sleep", "clang", "gcc"];
    let during = alerts(&during_benign);
    let noisy: Vec<&Value> = during
        .iter()
        .filter(|a| {
            let name = a["output_fields"]["proc.name"].as_str().unwrap_or("");
            workload.contains(&name) || workload_more.contains(&name)
        })
        .collect();
    assert!(noisy.is_empty(), "the benign workload raised alerts:\n{noisy:#?}");

    let after: Vec<Value> = alerts(&stopped.stdout);
    let fired: std::collections::BTreeSet<&str> = after.iter().filter_map(|a| a["rule"].as_str()).collect();
    let missed: Vec<&str> = ACTIONS.iter().map(|a| a.rule).filter(|r| !fired.contains(r)).collect();
    eprintln!(
        "stdlib on the live kernel: {} of {} actions detected ({} distinct rules fired in all)",
        ACTIONS.len() - missed.len(),
        ACTIONS.len(),
        fired.len()
    );
    assert!(missed.is_empty(), "actions not detected: {missed:#?}\nfired: {fired:#?}\n{}", stopped.stderr);
    assert!(ACTIONS.len() >= AT_LEAST, "at least {AT_LEAST} rules are exercised");
}
