//! A hand-written Rust predicate for a subset of the upstream `falco_rules.yaml` (Falco rules
//! 5.x), macros and lists expanded by hand: the "practical limit" the rule engine is benchmarked
//! against. It reads the state directly, as a person writing a detector in Rust would (no field
//! table, no `Value`s), and must agree with the real rules event for event (a test checks that
//! on generated streams).
//!
//! The semantics it reproduces: a check on a value the state does not have is false (so
//! `not check` is true); `proc.aname` without index means "some ancestor"; `never_true`
//! (`evt.num=0`) never holds; `container.image.repository` and `k8s.*` are unknown (no
//! container metadata), so checks on them are false; `fd.sip.name` is unknown.
//!
//! Rules left out: ones whose verdict depends on metadata the state lacks (`Contact K8S API
//! Server From Container` needs `fd.sip.name`) and `PTRACE attached to process` /
//! `PTRACE anti-debug attempt` (`evt.arg.request` needs ptrace request names the flag tables
//! do not have yet).

use rulec_runtime::event::{Direction, Event, ParamValue};
use rulec_runtime::flags;
use rulec_runtime::params::any;
use rulec_runtime::state::{FdInfo, FdKind, State, Thread};

/// The rules [`matches`] decides, by their upstream names.
pub const SUBSET: &[&str] = &[
    "Read sensitive file untrusted",
    "Run shell untrusted",
    "Terminal shell in container",
    "Search Private Keys or Passwords",
    "Clear Log Activities",
    "Packet socket created in container",
    "Execution from /dev/shm",
    "Fileless execution via memfd_create",
    "Disallowed SSH Connection Non Standard Port",
];

/// Pushes onto `out` the names (from [`SUBSET`]) of the rules that match `ev`, `state` being
/// the state after applying it. Rules are tried in `SUBSET` order.
pub fn matches(ev: &Event, state: &State, out: &mut Vec<&'static str>) {
    // The thread is looked up where a rule needs it, not for every event (most events are of
    // types no rule of the subset sees, and the engine does not look it up for those either).
    match ev.name {
        "open" | "openat" | "openat2" => {
            let Some(fd) = open_fd(ev, state) else { return };
            let flags = ev.get_any(any::FLAGS).unwrap_or(0) as u32;
            if flags & flags::PPM_O_RDONLY != 0 && read_sensitive_untrusted(fd, ev, state) {
                out.push("Read sensitive file untrusted");
            }
            if flags & flags::PPM_O_WRONLY != 0 && clear_log(ev, fd, state) {
                out.push("Clear Log Activities");
            }
        }
        "execve" | "execveat" => {
            let Some(t) = state.thread(ev.tid) else {
                // Without the process every proc.* check is false: none of these rules match.
                return;
            };
            let parent = rulec_runtime::fields::process::parent_of(state, t);
            let is_shell = SHELL_BINARIES.contains(&t.comm.as_str());
            if is_shell && run_shell_untrusted(t, parent, state) {
                out.push("Run shell untrusted");
            }
            if is_shell && in_container(t) && t.tty != 0 && container_entrypoint(parent) {
                out.push("Terminal shell in container");
            }
            if search_private_keys(t) {
                out.push("Search Private Keys or Passwords");
            }
            if exec_from_dev_shm(t, is_shell) {
                out.push("Execution from /dev/shm");
            }
            if t.exe_from_memfd && !known_memfd(t, parent) {
                out.push("Fileless execution via memfd_create");
            }
        }
        "socket" => {
            // evt.arg.domain contains AF_PACKET; container.
            let domain = ev.get_any(any::DOMAIN).unwrap_or(-1);
            if domain == i64::from(PPM_AF_PACKET) && state.thread(ev.tid).is_some_and(in_container) {
                out.push("Packet socket created in container");
            }
        }
        "connect" | "sendto" | "sendmsg" => {
            if let Some(t) = state.thread(ev.tid)
                && t.exe.ends_with("ssh")
                && let Some(fd) = state.event_fd_info(ev)
                && outbound(ev, fd)
                && let Some(s) = &fd.sock
                && s.l4proto == rulec_runtime::state::L4Proto::Tcp
                && SSH_NON_STANDARD_PORTS.contains(&s.sport)
            {
                out.push("Disallowed SSH Connection Non Standard Port");
            }
        }
        _ => {}
    }
}

const PPM_AF_PACKET: u8 = 17;

const SHELL_BINARIES: &[&str] = &["ash", "bash", "csh", "ksh", "sh", "tcsh", "zsh", "dash"];

/// `proc.name in (...)` of "Read sensitive file untrusted", lists expanded.
const READ_SENSITIVE_TRUSTED_NAMES: &[&str] = &[
    // user_mgmt_binaries: login_binaries
    "login",
    "systemd",
    "(systemd)",
    "systemd-logind",
    "su",
    "nologin",
    "faillog",
    "lastlog",
    "newgrp",
    "sg",
    // passwd_binaries
    "shadowconfig",
    "grpck",
    "pwunconv",
    "grpconv",
    "pwck",
    "groupmod",
    "vipw",
    "pwconv",
    "useradd",
    "newusers",
    "cppw",
    "chpasswd",
    "usermod",
    "groupadd",
    "groupdel",
    "grpunconv",
    "chgpasswd",
    "userdel",
    "chage",
    "chsh",
    "gpasswd",
    "chfn",
    "expiry",
    "passwd",
    "vigr",
    "cpgr",
    "adduser",
    "addgroup",
    "deluser",
    "delgroup",
    // shadowutils_binaries
    "groupmems",
    "unix_chkpwd",
    // userexec_binaries
    "sudo",
    "suexec",
    "critical-stack",
    "dzdo",
    // package_mgmt_binaries: rpm_binaries
    "dnf",
    "dnf-automatic",
    "rpm",
    "rpmkey",
    "yum",
    "75-system-updat",
    "rhsmcertd-worke",
    "rhsmcertd",
    "subscription-ma",
    "repoquery",
    "rpmkeys",
    "rpmq",
    "yum-cron",
    "yum-config-mana",
    "yum-debug-dump",
    "abrt-action-sav",
    "rpmdb_stat",
    "microdnf",
    "rhn_check",
    "yumdb",
    // deb_binaries
    "dpkg",
    "dpkg-preconfigu",
    "dpkg-reconfigur",
    "dpkg-divert",
    "apt",
    "apt-get",
    "aptitude",
    "frontend",
    "preinst",
    "add-apt-reposit",
    "apt-auto-remova",
    "apt-key",
    "apt-listchanges",
    "unattended-upgr",
    "apt-add-reposit",
    "apt-cache",
    "apt.systemd.dai",
    // the rest of package_mgmt_binaries
    "update-alternat",
    "gem",
    "npm",
    "pip",
    "pip3",
    "conda",
    "uv",
    "sane-utils.post",
    "alternatives",
    "chef-client",
    "apk",
    "snapd",
    // cron_binaries
    "anacron",
    "cron",
    "crond",
    "crontab",
    // read_sensitive_file_binaries
    "iptables",
    "ps",
    "lsb_release",
    "check-new-relea",
    "dumpe2fs",
    "accounts-daemon",
    "sshd",
    "vsftpd",
    "mysql_install_d",
    "psql",
    "screen",
    "debconf-show",
    "sa-update",
    "pam-auth-update",
    "pam-config",
    "/usr/sbin/spamd",
    "polkit-agent-he",
    "lsattr",
    "file",
    "sosreport",
    "scxcimservera",
    "adclient",
    "rtvscand",
    "cockpit-session",
    "userhelper",
    "ossec-syscheckd",
    "sshd-session",
    "rkhunter",
    // shell_binaries
    "ash",
    "bash",
    "csh",
    "ksh",
    "sh",
    "tcsh",
    "zsh",
    "dash",
    // hids_binaries
    "aide",
    "aide.wrapper",
    "update-aide.con",
    "logcheck",
    "syslog-summary",
    "osqueryd",
    // vpn, mail config, nomachine, sshkit
    "openvpn",
    "update_conf",
    "parse_mc",
    "makemap_hash",
    "newaliases",
    "update_mk",
    "update_tlsm4",
    "update_db",
    "update_mc",
    "ssmtp.postinst",
    "mailq",
    "postalias",
    "postfix.config.",
    "postfix.config",
    "postfix-script",
    "postconf",
    "nxexec",
    "nxnode.bin",
    "nxserver.bin",
    "nxclient.bin",
    "10_etc_sudoers.",
    "10_passwd_group",
    // literal names, postgres_mgmt_binaries
    "in.proftpd",
    "mandb",
    "salt-call",
    "salt-minion",
    "pg_dumpall",
    "pg_ctl",
    "pg_lsclusters",
    "pg_ctlcluster",
    "google_oslogin_",
];

const SENSITIVE_FILE_NAMES: &[&str] = &["/etc/shadow", "/etc/sudoers", "/etc/pam.conf", "/etc/security/pwquality.conf"];

/// protected_shell_spawning_binaries, expanded.
const PROTECTED_SHELL_SPAWNERS: &[&str] = &[
    "nginx",
    "httpd",
    "httpd-foregroun",
    "lighttpd",
    "apache",
    "apache2",
    "mysqld",
    "postgres",
    "sqlplus",
    "couchdb",
    "memcached",
    "redis-server",
    "rabbitmq-server",
    "mongod",
    "sendmail",
    "sendmail-msp",
    "postfix",
    "procmail",
    "exim4",
    "pickup",
    "showq",
    "mailq",
    "dovecot",
    "imap-login",
    "imap",
    "mailmng-core",
    "pop3-login",
    "dovecot-lda",
    "pop3",
    "fluentd",
    "flanneld",
    "splunkd",
    "consul",
    "smbd",
    "runsv",
    "PM2",
];

/// `proc.pname in (...)` exclusions of "Run shell untrusted", expanded.
const RUN_SHELL_PARENT_EXCLUSIONS: &[&str] = &[
    "ash",
    "bash",
    "csh",
    "ksh",
    "sh",
    "tcsh",
    "zsh",
    "dash",
    "gitlab-shell",
    "gitlab-mon",
    "gitlab-runner-b",
    "git",
    "anacron",
    "cron",
    "crond",
    "crontab",
    "needrestart",
    "10-dpkg",
    "20-rpm",
    "30-pacman",
    "mesos-docker-ex",
    "mesos-slave",
    "mesos-health-ch",
    "erl_child_setup",
    "exechealthz",
    "PM2",
    "PassengerWatchd",
    "c_rehash",
    "svlogd",
    "logrotate",
    "hhvm",
    "serf",
    "lb-controller",
    "nvidia-installe",
    "runsv",
    "statsite",
    "erlexec",
    "calico-node",
    "puma reactor",
];

const KNOWN_SHELL_SPAWN_CMDLINES: &[&str] = &[
    "sh -c uname -p 2> /dev/null",
    "sh -c uname -s 2>&1",
    "sh -c uname -r 2>&1",
    "sh -c uname -v 2>&1",
    "sh -c uname -a 2>&1",
    "sh -c ruby -v 2>&1",
    "sh -c getconf CLK_TCK",
    "sh -c getconf PAGESIZE",
    "sh -c LC_ALL=C LANG=C /sbin/ldconfig -p 2>/dev/null",
    "sh -c LANG=C /sbin/ldconfig -p 2>/dev/null",
    "sh -c /sbin/ldconfig -p 2>/dev/null",
    "sh -c stty -a 2>/dev/null",
    "sh -c stty -a < /dev/tty",
    "sh -c stty -g < /dev/tty",
    "sh -c node index.js",
    "sh -c node index",
    "sh -c node ./src/start.js",
    "sh -c node app.js",
    "sh -c node -e \"require('nan')\"",
    "sh -c node -e \"require('nan')\")",
    "sh -c node $NODE_DEBUG_OPTION index.js ",
    "sh -c crontab -l 2",
    "sh -c lsb_release -a",
    "sh -c lsb_release -is 2>/dev/null",
    "sh -c whoami",
    "sh -c node_modules/.bin/bower-installer",
    "sh -c /bin/hostname -f 2> /dev/null",
    "sh -c locale -a",
    "sh -c  -t -i",
    "sh -c openssl version",
    "bash -c id -Gn kafadmin",
    "sh -c /bin/sh -c 'date +%%s'",
    "sh -c /usr/share/lighttpd/create-mime.conf.pl",
];

/// package_mgmt_binaries + needrestart (run_by_package_mgmt_binaries).
const PACKAGE_MGMT_AND_NEEDRESTART: &[&str] = &[
    "dnf",
    "dnf-automatic",
    "rpm",
    "rpmkey",
    "yum",
    "75-system-updat",
    "rhsmcertd-worke",
    "rhsmcertd",
    "subscription-ma",
    "repoquery",
    "rpmkeys",
    "rpmq",
    "yum-cron",
    "yum-config-mana",
    "yum-debug-dump",
    "abrt-action-sav",
    "rpmdb_stat",
    "microdnf",
    "rhn_check",
    "yumdb",
    "dpkg",
    "dpkg-preconfigu",
    "dpkg-reconfigur",
    "dpkg-divert",
    "apt",
    "apt-get",
    "aptitude",
    "frontend",
    "preinst",
    "add-apt-reposit",
    "apt-auto-remova",
    "apt-key",
    "apt-listchanges",
    "unattended-upgr",
    "apt-add-reposit",
    "apt-cache",
    "apt.systemd.dai",
    "update-alternat",
    "gem",
    "npm",
    "pip",
    "pip3",
    "conda",
    "uv",
    "sane-utils.post",
    "alternatives",
    "chef-client",
    "apk",
    "snapd",
    "needrestart",
];

const CONTAINER_ENTRYPOINT_PARENTS: &[&str] = &[
    "runc:[0:PARENT]",
    "runc:[1:CHILD]",
    "runc",
    "docker-runc",
    "exe",
    "docker-runc-cur",
    "containerd-shim",
    "systemd",
    "crio",
    "conmon",
];

const LOG_FILES: &[&str] = &[
    "syslog",
    "auth.log",
    "secure",
    "kern.log",
    "cron",
    "user.log",
    "dpkg.log",
    "last.log",
    "yum.log",
    "access_log",
    "mysql.log",
    "mysqld.log",
];

const SSH_NON_STANDARD_PORTS: &[u16] = &[80, 8080, 88, 443, 8443, 53, 4444];

fn name(t: Option<&Thread>) -> Option<&str> {
    t.map(|t| t.comm.as_str()).filter(|s| !s.is_empty())
}

/// The file fd of a successful open: `fd.typechar='f' and fd.num>=0`.
fn open_fd<'a>(ev: &Event, state: &'a State) -> Option<&'a FdInfo> {
    if ev.dir != Direction::Exit {
        // Enter events have no fd: fd.num is absent and open_read is false.
        return None;
    }
    let fd = match ev.param_any(any::FD).map(|p| p.value) {
        Some(ParamValue::Fd(fd)) if *fd >= 0 => *fd,
        _ => return None,
    };
    state.fd(ev.tid, fd).filter(|f| f.kind == FdKind::File)
}

fn in_container(t: &Thread) -> bool {
    !t.container_id.is_empty()
}

/// Ancestor `n` (1 = parent) of `t`.
fn aname<'a>(state: &'a State, t: &'a Thread, n: usize) -> Option<&'a str> {
    state.ancestors(t).nth(n - 1).map(|a| a.comm.as_str()).filter(|s| !s.is_empty())
}

fn read_sensitive_untrusted(fd: &FdInfo, ev: &Event, state: &State) -> bool {
    let dir = fd.directory();
    let sensitive =
        SENSITIVE_FILE_NAMES.contains(&fd.name.as_str()) || matches!(dir, Some("/etc/sudoers.d" | "/etc/pam.d"));
    if !sensitive {
        return false;
    }
    let t = state.thread(ev.tid);
    let parent = t.and_then(|t| rulec_runtime::fields::process::parent_of(state, t));
    let pname = parent.map(|p| p.comm.as_str()).filter(|s| !s.is_empty());
    let pcmdline = parent.map(Thread::cmdline);
    let cmdline = t.map(Thread::cmdline);
    let args = t.map(Thread::args_line);
    let proc_name = name(t);
    if let Some(n) = proc_name
        && (n == "<NA>" || n == "N/A" || READ_SENSITIVE_TRUSTED_NAMES.contains(&n))
    {
        return false;
    }
    let an = |n: usize| t.and_then(|t| aname(state, t, n));
    let cmd_starts = |p: &str| cmdline.as_deref().is_some_and(|c| c.starts_with(p));
    // cmp_cp_by_passwd (also user_read_sensitive_file_conditions)
    if matches!(proc_name, Some("cmp" | "cp")) && matches!(pname, Some("passwd" | "run-parts")) {
        return false;
    }
    // ansible_running_python
    if matches!(proc_name, Some("python" | "pypy" | "python3"))
        && cmdline.as_deref().is_some_and(|c| c.contains("ansible"))
    {
        return false;
    }
    // run_by_qualys
    if pname == Some("qualys-cloud-ag") || (2..=4).any(|n| an(n) == Some("qualys-cloud-ag")) {
        return false;
    }
    // run_by_chef
    if (2..=3).any(|n| matches!(an(n), Some("chef_command_wr" | "chef-client"))) || proc_name == Some("chef-client") {
        return false;
    }
    // run_by_google_accounts_daemon
    if (1..=3).any(|n| an(n).is_some_and(|a| a.starts_with("google_accounts"))) {
        return false;
    }
    // mandb_postinst
    if proc_name == Some("perl")
        && args.as_deref().is_some_and(|a| {
            a.starts_with("-e") && a.contains("@pwd = getpwnam(") && a.contains("exec ") && a.contains("/usr/bin/mandb")
        })
    {
        return false;
    }
    // perl_running_plesk, perl_running_updmap, veritas_driver_script, perl_running_centrifydc
    if cmd_starts("perl /opt/psa/admin/bin/plesk_agent_manager")
        || pcmdline.as_deref().is_some_and(|c| c.starts_with("perl /opt/psa/admin/bin/plesk_agent_manager"))
        || cmd_starts("perl /usr/bin/updmap")
        || cmd_starts("perl /opt/VRTSsfmh/bin/mh_driver.pl")
        || cmd_starts("perl /usr/share/centrifydc")
    {
        return false;
    }
    // runuser_reading_pam
    if proc_name == Some("runuser") && dir == Some("/etc/pam.d") {
        return false;
    }
    // linux_bench_reading_etc_shadow
    if an(2) == Some("linux-bench")
        && matches!(proc_name, Some("awk" | "cut" | "grep"))
        && (fd.name == "/etc/shadow" || dir == Some("/etc/pam.d"))
    {
        return false;
    }
    // user_known_read_sensitive_files_activities is never_true; user_read_sensitive_file_containers
    // needs container.image.repository, which is unknown: false.
    true
}

fn clear_log(ev: &Event, fd: &FdInfo, state: &State) -> bool {
    let flags = ev.get_any(any::FLAGS).unwrap_or(0) as u32;
    if flags & (1 << 8) == 0 {
        // evt.arg.flags contains "O_TRUNC"
        return false;
    }
    let access_log = matches!(fd.directory(), Some("/var/log" | "/dev/log"))
        || fd.filename().is_some_and(|f| LOG_FILES.contains(&f));
    if !access_log {
        return false;
    }
    // containerd_activities
    if name(state.thread(ev.tid)) == Some("containerd")
        && [
            "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/",
            "/var/lib/rancher/k3s/agent/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots",
            "/var/lib/containerd/tmpmounts/",
            "/var/lib/rancher/k3s/agent/containerd/tmpmounts/",
        ]
        .iter()
        .any(|p| fd.name.starts_with(p))
    {
        return false;
    }
    // trusted_logging_images (container.image.repository unknown) and allowed_clear_log_files
    // (never_true) exclude nothing.
    true
}

fn run_shell_untrusted(t: &Thread, parent: Option<&Thread>, state: &State) -> bool {
    let Some(pname) = parent.map(|p| p.comm.as_str()).filter(|s| !s.is_empty()) else {
        return false; // proc.pname exists
    };
    let pexe_java = parent.is_some_and(|p| p.exe.ends_with("java"));
    let pcmdline = parent.map(Thread::cmdline).unwrap_or_default();
    let any_ancestor = |set: &[&str]| state.ancestors(t).any(|a| !a.comm.is_empty() && set.contains(&a.comm.as_str()));
    let protected = any_ancestor(PROTECTED_SHELL_SPAWNERS)
        || (pexe_java
            && [
                "org.apache.zookeeper.server",
                "kafka.Kafka",
                "org.elasticsearch.bootstrap.Elasticsearch",
                "activemq.jar",
                "-Dcassandra.config.loader",
                "org.apache.cassandra.service.CassandraDaemon",
                "org.jboss",
                "com.sun.enterprise.glassfish",
                "org.apache.hadoop",
                "com.datastax",
            ]
            .iter()
            .any(|s| pcmdline.contains(s)));
    if !protected || RUN_SHELL_PARENT_EXCLUSIONS.contains(&pname) {
        return false;
    }
    let cmdline = t.cmdline();
    if KNOWN_SHELL_SPAWN_CMDLINES.contains(&cmdline) || any_ancestor(&["unicorn_launche"]) {
        return false;
    }
    let starts = |p: &str| cmdline.starts_with(p);
    let excluded = (pname == "consul"
        && (starts("sh -c curl") || starts("sh -c nc") || starts("sh -c /bin/consul-alerts")))
        || (pname == "nginx"
            && (cmdline.contains("/usr/sbin/nginx -c /etc/nginx/nginx.conf")
                || starts("sh -c /usr/local/bin/aws s3 cp")))
        || any_ancestor(PACKAGE_MGMT_AND_NEEDRESTART)
        || starts("sh -c serf")
        || starts("sh -c kill -0 ")
        || run_by_foreman(t, parent, state)
        || pcmdline.starts_with("python3 /marathon-lb/marathon_lb.py")
        || (pname == "splunkd" && starts("sh -c /opt/splunkforwarder"))
        || (pname == "postgres"
            && (starts("sh -c envdir /etc/wal-e.d/env /usr/local/bin/wal-e")
                || starts("sh -c envdir \"/run/etc/wal-e.d/env\" wal-g wal-push")
                || starts("sh -c /controller/manager wal-archive")))
        || (aname(state, t, 2) == Some("redis-server")
            && (cmdline.contains("redis-server.post-up.d") || cmdline.contains("redis-server.pre-up.d")))
        || (pname == "beam.smp"
            && (starts("sh -c exec ps")
                || starts("sh -c exec inet_gethost")
                || cmdline == "sh -s unix:cmd"
                || cmdline == "sh -c exec /bin/sh -s unix:cmd 2>&1"))
        || (aname(state, t, 2) == Some("rabbitmqctl") && starts("sh -c "))
        || (pexe_java && pcmdline.contains(" -jar -Dappdynamics"));
    !excluded
}

fn run_by_foreman(t: &Thread, parent: Option<&Thread>, state: &State) -> bool {
    let user = t.user_name(state);
    if user != Some("foreman") {
        return false;
    }
    let pname = parent.map(|p| p.comm.as_str());
    (matches!(pname, Some("rake" | "ruby" | "scl")) && matches!(aname(state, t, 5), Some("tfm-rake" | "tfm-ruby")))
        || (pname == Some("scl") && matches!(aname(state, t, 2), Some("tfm-rake" | "tfm-ruby")))
}

fn container_entrypoint(parent: Option<&Thread>) -> bool {
    match parent.map(|p| p.comm.as_str()).filter(|s| !s.is_empty()) {
        None => true,
        Some(p) => CONTAINER_ENTRYPOINT_PARENTS.contains(&p),
    }
}

fn search_private_keys(t: &Thread) -> bool {
    let args = t.args_line();
    let lower = args.to_lowercase();
    let grep = matches!(t.comm.as_str(), "grep" | "egrep" | "fgrep")
        && ["begin private", "begin openssh private", "begin rsa private", "begin dsa private", "begin ec private"]
            .iter()
            .any(|p| lower.contains(p));
    let find = t.comm == "find" && ["id_rsa", "id_dsa", "id_ed25519", "id_ecdsa"].iter().any(|k| args.contains(k));
    grep || find
}

fn exec_from_dev_shm(t: &Thread, is_shell: bool) -> bool {
    let args = t.args_line();
    let cwd_shm = t.cwd.starts_with("/dev/shm/");
    t.exe.starts_with("/dev/shm/")
        || (cwd_shm && t.exe.starts_with("./"))
        || (is_shell
            && (args.starts_with("-c /dev/shm") || args.starts_with("-i /dev/shm") || args.starts_with("/dev/shm")))
        || (cwd_shm && args.starts_with("./"))
}

fn known_memfd(t: &Thread, parent: Option<&Thread>) -> bool {
    t.comm == "runc"
        || parent.is_some_and(|p| p.comm == "runc")
        || t.exepath == "memfd:runc_cloned:/proc/self/exe"
        || t.exe == "memfd:runc_cloned:/proc/self/exe"
}

/// The `outbound` macro for the event's socket fd.
fn outbound(ev: &Event, fd: &FdInfo) -> bool {
    use std::net::IpAddr;
    let Some(s) = &fd.sock else { return false };
    let kind_ok = matches!(fd.kind, FdKind::Ipv4Sock | FdKind::Ipv6Sock);
    if !kind_ok {
        return false;
    }
    let type_ok = ev.name == "connect"
        || (s.l4proto != rulec_runtime::state::L4Proto::Tcp
            && s.l4proto != rulec_runtime::state::L4Proto::Unknown
            && !s.connected
            && ev.get_any(any::TUPLE).is_some_and(|tu| rulec_runtime::event::render_tuple(tu) != fd.name)
            && res(ev).is_some_and(|r| r >= 0 || r == -115));
    if !type_ok {
        return false;
    }
    let ips: Vec<IpAddr> = [s.cip, s.sip].into_iter().flatten().collect();
    let unspecified = "0.0.0.0".parse::<IpAddr>().ok();
    // fd.ip != "0.0.0.0": some end differs; fd.net != 127.0.0.0/8: some end outside loopback.
    let ip_ok = ips.iter().any(|ip| Some(*ip) != unspecified);
    let not_loopback = ips.iter().any(|ip| !matches!(ip, IpAddr::V4(v) if v.octets()[0] == 127));
    let server_private = match s.sip {
        Some(IpAddr::V4(v)) => v.is_private(),
        _ => false,
    };
    if !(ip_ok && not_loopback && !server_private) {
        return false;
    }
    res(ev).is_some_and(|r| r >= 0 || r == -115)
}

fn res(ev: &Event) -> Option<i64> {
    ev.res()
}
