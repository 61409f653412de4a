//! One way for the live-kernel tests to start `rulec run` or `rulec capture`: the child's stdout
//! and stderr are drained by threads (a chatty child never blocks on a full pipe), readiness and
//! later messages are awaited with a deadline (a silent child cannot hang the test), and the
//! child is killed when the handle is dropped, so a test that panics leaves no `rulec` running to
//! disturb the next one.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long `rulec` may take to attach the probe and say it is ready.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// A running `rulec` child.
pub struct Live {
    child: Child,
    lines: Receiver<String>,
    /// Every stderr line received so far, for messages.
    pub log: Vec<String>,
    stdout: Option<JoinHandle<()>>,
    out: Arc<Mutex<Vec<u8>>>,
}

/// What a stopped child left: exit code, stdout (as text, and as bytes for tests of what rulec
/// escapes), and its whole stderr.
pub struct Stopped {
    pub code: Option<i32>,
    pub stdout: String,
    pub stdout_bytes: Vec<u8>,
    pub stderr: String,
}

impl Live {
    /// Starts `rulec ARGS` and waits until a stderr line contains `ready` (e.g. `watching the
    /// host`); panics with what it printed if it ends or stays silent first.
    pub fn start<I, S>(args: I, ready: &str) -> Live
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rulec"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start rulec");
        let (tx, lines) = mpsc::channel();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for l in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let mut stdout = child.stdout.take().expect("stdout");
        let out = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&out);
        let stdout = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(&buf[..n]);
            }
        });
        let mut live = Live { child, lines, log: Vec::new(), stdout: Some(stdout), out };
        live.wait_for(ready, READY_WITHIN);
        live
    }

    /// The child's pid.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether the child is still running.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// Waits for the next stderr line containing `want` and returns it; panics with the log after
    /// `within`.
    pub fn wait_for(&mut self, want: &str, within: Duration) -> String {
        let end = Instant::now() + within;
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left.min(Duration::from_millis(200))) {
                Ok(l) => {
                    self.log.push(l.clone());
                    if l.contains(want) {
                        return l;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("rulec ended before `{want}` on stderr:\n{}", self.log.join("\n"))
                }
            }
        }
        panic!("no `{want}` on stderr within {within:?}:\n{}", self.log.join("\n"))
    }

    /// The whole lines the child has written to stdout so far.
    pub fn stdout_so_far(&self) -> String {
        let out = self.out.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let whole = out.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        String::from_utf8_lossy(&out[..whole]).into_owned()
    }

    /// Sends `signal` to the child.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) with a child's pid and a signal number has no memory effects.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }

    /// SIGTERM, then waits for the exit, stdout and the rest of stderr.
    pub fn stop(mut self) -> Stopped {
        self.signal(libc::SIGTERM);
        let status = self.child.wait().expect("rulec exits");
        let _ = self.stdout.take().expect("stdout thread").join();
        let out = std::mem::take(&mut *self.out.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        // The stderr thread ends at the child's exit; what it still holds is the summary.
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.log.push(l);
        }
        Stopped {
            code: status.code(),
            stdout: String::from_utf8_lossy(&out).into_owned(),
            stdout_bytes: out,
            stderr: self.log.join("\n"),
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
