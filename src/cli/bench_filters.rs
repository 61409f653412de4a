//! The filters `rulec bench --capture --filter @NAME` names, so that the README's figures can be
//! reproduced with the same text: each uses only fields sysdig 0.29.3 knows, so rulec's two
//! backends and libsinsp all run it. A filter that does not start with `@` is used as written.

/// The filter measured when neither `--filter` nor `--rules` is given (`@default`): the shape of
/// a typical Falco rule (event types, an open-flag test, fd and process fields, a list
/// exclusion).
pub const DEFAULT: &str = "(evt.type in (open, openat, openat2) and evt.dir = < and evt.is_open_read = true \
and fd.typechar = f and (fd.name startswith /etc or fd.directory in (/usr/lib, /lib/x86_64-linux-gnu)) \
and not proc.name in (sshd, systemd, dpkg)) or (evt.type in (connect, sendto) and evt.dir = < \
and fd.sport in (53, 80, 443)) or (evt.type = execve and evt.dir = < and proc.pname in (bash, sh, zsh))";

/// Issue 15's heavy filter (`@heavy`): an `or` of 41 string tests (`startswith`, `contains`,
/// `in`) on file and process fields with no event-type guard, so every test can run on every
/// event: the case a compiler with multi-pattern matching should win by the most.
pub const HEAVY: &str = "fd.name startswith /etc/shadow or fd.name startswith /etc/sudoers \
or fd.name startswith /root/.ssh or fd.name contains id_rsa or fd.name contains .aws/credentials \
or fd.name contains kube/config or fd.name startswith /proc/self/mem or fd.name startswith /dev/mem \
or fd.name startswith /boot/ or fd.name contains .bash_history or fd.name in (/etc/passwd-, /etc/group-, /etc/gshadow) \
or fd.directory in (/var/run/secrets/kubernetes.io, /etc/kubernetes/pki, /root/.docker) \
or fd.directory startswith /sys/kernel/debug or fd.directory contains /cron or fd.name contains ld.so.preload \
or fd.name startswith /usr/lib/systemd/system/ or fd.name contains authorized_keys \
or fd.name startswith /var/lib/docker/ or fd.name contains .kube/ or fd.name startswith /dev/shm/ \
or proc.name in (nc, ncat, netcat, socat, nmap, masscan) or proc.name in (xmrig, minerd, cpuminer, kdevtmpfsi) \
or proc.name contains miner or proc.name in (tcpdump, tshark, strace, ltrace, gdb) \
or proc.name in (useradd, userdel, usermod, chpasswd) or proc.pname in (nginx, httpd, apache2, php-fpm, java) \
or proc.pname contains tomcat or proc.pname startswith runc: or proc.cmdline contains \"base64 -d\" \
or proc.cmdline contains /dev/tcp/ or proc.cmdline contains wget or proc.cmdline contains \"chmod +x\" \
or proc.cmdline contains \"rm -rf /\" or proc.cmdline contains .onion or proc.cmdline contains stratum+tcp \
or proc.cmdline contains LD_PRELOAD or proc.cmdline contains \"iptables -F\" or proc.cmdline contains \"history -c\" \
or proc.cmdline contains \"nc -e\" \
or proc.exe startswith /tmp/ or proc.exe startswith /dev/shm/";

/// The named filters, as `--filter @NAME` spells them.
pub const PRESETS: [(&str, &str); 2] = [("default", DEFAULT), ("heavy", HEAVY)];

/// The filter text `arg` stands for: a preset for `@NAME`, else `arg` itself.
pub fn resolve(arg: &str) -> Result<&str, String> {
    let Some(name) = arg.strip_prefix('@') else { return Ok(arg) };
    PRESETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f).ok_or_else(|| {
        let names: Vec<String> = PRESETS.iter().map(|(n, _)| format!("@{n}")).collect();
        format!("--filter {arg}: no such preset (the presets are {})", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The heavy filter is what its doc says: 41 tests joined by `or`, with no event-type guard.
    #[test]
    fn heavy_is_41_unguarded_clauses() {
        assert_eq!(HEAVY.split(" or ").count(), 41);
        assert!(!HEAVY.contains("evt."), "no event-type guard");
        assert!(super::super::filter::one_rule("--filter", "heavy", HEAVY, "%evt.num").is_ok());
    }

    #[test]
    fn presets_resolve_and_unknown_ones_are_named() {
        assert_eq!(resolve("@heavy"), Ok(HEAVY));
        assert_eq!(resolve("proc.name = x"), Ok("proc.name = x"));
        let e = resolve("@hevy").expect_err("unknown preset");
        assert!(e.contains("@default, @heavy"), "{e}");
    }
}
