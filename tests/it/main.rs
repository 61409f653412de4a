//! The integration tests of the `rulec` binary end to end (its commands, output and exit statuses), and the upstream Falco rules through it.
//!
//! They are modules of one test binary rather than one binary per file: each binary links the
//! whole dependency tree, so one per crate builds and links much faster. A module per subject,
//! named as its file was before (`cargo test --test it MODULE::` runs one); insta names the
//! snapshots `it__MODULE__NAME.snap`, in `snapshots/` here.

mod capture_cli;
mod cli_bench;
mod cli_capture_live;
mod cli_check;
mod cli_config;
mod cli_injection;
mod cli_metrics;
mod cli_misc;
mod cli_outputs;
mod cli_reload;
mod cli_run;
mod cli_run_admin;
mod cli_run_state;
mod cli_selftest;
mod cli_test;
mod diagnostics;
mod falco_conformance;
mod live;
mod load_diagnostics;
mod lsp_e2e;
mod render;
mod stdlib;
mod stdlib_live;
mod test_layout;

/// Tests that load the eBPF probe hold this while they run. The probe sees the whole host, so a
/// load test beside an alert test would fill the alert test's ring buffers: the drops are
/// counted, but the alerts are lost.
pub(crate) static KERNEL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs the `rulec` binary in the repository root with `args` and returns its exit status (-1
/// when a signal ended it), stdout and stderr. `NO_COLOR` keeps reports plain.
pub(crate) fn rulec(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rulec"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("the rulec binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
