//! A program: a command run by `/bin/sh -c` with one alert per line on its standard input (as
//! Falco's `program_output` with `keep_alive`). When it has exited, or a write fails, it is started
//! again (at most once a second, so a command that dies at once does not spin) and the alert is
//! written to the new one; [`Sink::reopen`] restarts it on request.

use std::io::Write;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Control, Sink, line};
use crate::{Delivery, OutputFormat};

/// The least time between two starts of the program.
const RESTART_GAP: Duration = Duration::from_secs(1);

pub(super) struct Program {
    command: String,
    format: OutputFormat,
    child: Child,
    stdin: Option<ChildStdin>,
    started: Instant,
}

fn spawn(command: &str) -> Result<(Child, Option<ChildStdin>), String> {
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start `{command}`: {e}"))?;
    let stdin = child.stdin.take();
    Ok((child, stdin))
}

impl Program {
    pub(super) fn start(command: &str, format: OutputFormat) -> Result<Program, String> {
        let (child, stdin) = spawn(command)?;
        Ok(Program { command: command.to_string(), format, child, stdin, started: Instant::now() })
    }

    fn restart(&mut self, control: &Control) -> Result<(), String> {
        control.retried();
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
        let since = self.started.elapsed();
        if since < RESTART_GAP && !control.wait(RESTART_GAP - since) {
            return Err("shutting down".into());
        }
        let (child, stdin) = spawn(&self.command)?;
        self.child = child;
        self.stdin = stdin;
        self.started = Instant::now();
        Ok(())
    }

    fn write(&mut self, text: &str) -> std::io::Result<()> {
        let stdin = self.stdin.as_mut().ok_or_else(|| std::io::Error::other("no standard input"))?;
        let mut buf = Vec::with_capacity(text.len() + 1);
        buf.extend_from_slice(text.as_bytes());
        buf.push(b'\n');
        stdin.write_all(&buf)?;
        stdin.flush()
    }
}

impl Sink for Program {
    fn deliver(&mut self, alert: &Delivery, control: &Control) -> Result<(), String> {
        let text = line(alert, self.format);
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            self.restart(control)?;
        }
        if self.write(text).is_ok() {
            return Ok(());
        }
        self.restart(control)?;
        self.write(text).map_err(|e| format!("cannot write to `{}`: {e}", self.command))
    }

    fn reopen(&mut self) -> Result<(), String> {
        self.stop();
        let (child, stdin) = spawn(&self.command)?;
        self.child = child;
        self.stdin = stdin;
        self.started = Instant::now();
        Ok(())
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Program {
    /// Closes the program's input, which lets it finish what it read, and reaps it; one that is
    /// still running after 2 s is killed.
    fn stop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
