//! The program output: alerts on a command's standard input; a command that exits is started again
//! and later alerts reach the new one.

use std::time::Duration;

use rulec_outputs::config::Target;
use rulec_outputs::{OutputConfig, OutputFormat, Outputs};

use crate::support::{alert, eventually, temp_dir};

#[test]
fn alerts_reach_the_program_and_a_dead_program_is_restarted() {
    let dir = temp_dir("program");
    let out = dir.join("got.txt");
    // Reads one line, appends it to the file, and exits: every alert after the first finds the
    // program gone and must restart it.
    let command = format!("head -n 1 >> '{}'", out.display());
    let outs = Outputs::start(&[OutputConfig::new(Target::Program { command }, OutputFormat::Text)]).expect("starts");
    for n in 0..3 {
        outs.send(alert(n));
        let want = n as usize + 1;
        assert!(
            eventually(10, || std::fs::read_to_string(&out).unwrap_or_default().lines().count() == want),
            "alert {n} reached the program: {:?}",
            std::fs::read_to_string(&out)
        );
        // Let `head` exit before the next alert: a line written into the pipe of a program that
        // is about to exit without reading it is lost with the pipe (as with any pipe reader).
        std::thread::sleep(Duration::from_millis(300));
    }
    let stats = outs.shutdown(Duration::from_secs(5));
    assert_eq!((stats[0].delivered, stats[0].lost()), (3, 0), "{stats:?}");
    assert!(stats[0].retries >= 2, "two restarts at least: {stats:?}");
    let got = std::fs::read_to_string(&out).expect("file");
    assert_eq!(
        got.lines().collect::<Vec<_>>(),
        ["12:00:00.000000000: Warning n=0", "12:00:00.000000000: Warning n=1", "12:00:00.000000000: Warning n=2"]
    );
}
