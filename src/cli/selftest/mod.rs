//! `rulec selftest`: proves that detection works on this host. It starts `rulec run` (the
//! embedded stdlib ruleset, every matching rule alerting, JSON alerts), performs harmless actions
//! that stdlib rules detect (in a scratch folder it removes afterwards: a history file deleted, a
//! setuid bit set on an empty file, a program copied to /tmp and run, a memfd executed, a ptrace
//! attach to its own child, ...), waits for each expected alert, and prints a table of detected and
//! missed rules with the time each took. With `--alerts-file` or `--metrics-url`, it checks a
//! `rulec run` that is already running (a deployment) instead: through the alerts it appends to
//! its output file, or through the alert counters of its /metrics endpoint. Exit 0 when every rule
//! was detected, 1 otherwise, 2 when it cannot run (no root, no BTF). Needs the same privileges as
//! `rulec run`. The actions are in `actions.rs`, the ways of seeing their alerts in `pipeline.rs`.

mod actions;
mod pipeline;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;

use super::{EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK};
use actions::*;
use pipeline::Pipeline;

#[derive(Args, Debug)]
pub struct SelftestArgs {
    /// Seconds to wait for each expected alert.
    #[arg(long, default_value_t = 5.0, value_name = "S")]
    pub timeout: f64,
    /// Passed to `rulec run`: turn a rule off (to see selftest fail), repeatable.
    #[arg(long, value_name = "RULE|tag:TAG", conflicts_with_all = ["alerts_file", "metrics_url"])]
    pub disable: Vec<String>,
    /// Check a `rulec run` that is already running instead of starting one: read the alerts it
    /// appends to this file (its `--output-file`). It must run the stdlib rules.
    #[arg(long, value_name = "PATH", conflicts_with = "metrics_url")]
    pub alerts_file: Option<PathBuf>,
    /// Check a `rulec run` that is already running through its metrics endpoint (its
    /// `--metrics-address`), e.g. `http://127.0.0.1:9376/metrics`: an action is detected when the
    /// alert counter of its rule goes up. It must run the stdlib rules.
    #[arg(long, value_name = "URL")]
    pub metrics_url: Option<String>,
}

/// One check: the rule, what is done, and how to recognise its alert among others.
struct Check {
    rule: &'static str,
    action: &'static str,
    run: fn(&Scratch) -> Result<Marker, String>,
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
    let pipeline = match (&args.alerts_file, &args.metrics_url) {
        (Some(path), _) => Pipeline::follow(path),
        (None, Some(url)) => Pipeline::scrape(url),
        (None, None) => Pipeline::start(&args.disable),
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
        let outcome = p
            .before(c.rule)
            .and_then(|()| (c.run)(scratch))
            .and_then(|m| p.wait_for(c.rule, &m, timeout).map(|_| started.elapsed()));
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
