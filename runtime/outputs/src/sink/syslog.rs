//! Syslog: one RFC 5424 message per alert (`<PRI>1 TIME HOST rulec PID - - MSG`, facility user)
//! sent to a local Unix datagram socket (`/dev/log`: journald or rsyslog). The message is the
//! alert's line, which the formatter keeps free of control characters. A failed send is tried
//! once more (the daemon may have restarted) before the alert is given up.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

use super::{Control, Sink, line};
use crate::{Delivery, OutputFormat};

/// `LOG_USER`, the facility Falco's alerts use (it never calls `openlog`).
const FACILITY_USER: u8 = 1;

pub(super) struct Syslog {
    socket: PathBuf,
    format: OutputFormat,
    sock: UnixDatagram,
    pid: u32,
}

impl Syslog {
    pub(super) fn open(socket: &Path, format: OutputFormat) -> Result<Syslog, String> {
        if !socket.exists() {
            return Err(format!("no syslog socket at {} (is a syslog daemon or journald running?)", socket.display()));
        }
        let sock = socket_with_timeout()?;
        Ok(Syslog { socket: socket.to_path_buf(), format, sock, pid: std::process::id() })
    }
}

/// An unbound datagram socket whose sends wait at most a second: a syslog daemon that stops
/// reading fills its queue, and the output must then fail and count, not hang.
fn socket_with_timeout() -> Result<UnixDatagram, String> {
    let sock = UnixDatagram::unbound().map_err(|e| format!("cannot create a socket: {e}"))?;
    sock.set_write_timeout(Some(std::time::Duration::from_secs(1)))
        .map_err(|e| format!("cannot set the socket's timeout: {e}"))?;
    Ok(sock)
}

/// The RFC 5424 message for `alert`.
pub(crate) fn message(alert: &Delivery, text: &str, pid: u32) -> String {
    let pri = u16::from(FACILITY_USER) * 8 + u16::from(alert.severity.min(7));
    let host = if alert.hostname.is_empty() { "-" } else { &alert.hostname };
    let time = if alert.time.is_empty() { "-" } else { &alert.time };
    format!("<{pri}>1 {time} {host} rulec {pid} - - {text}")
}

impl Sink for Syslog {
    fn deliver(&mut self, alert: &Delivery, control: &Control) -> Result<(), String> {
        let msg = message(alert, line(alert, self.format), self.pid);
        if self.sock.send_to(msg.as_bytes(), &self.socket).is_ok() {
            return Ok(());
        }
        control.retried();
        self.sock = socket_with_timeout()?;
        self.sock
            .send_to(msg.as_bytes(), &self.socket)
            .map(|_| ())
            .map_err(|e| format!("cannot send to {}: {e}", self.socket.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_follow_rfc_5424() {
        let alert = Delivery {
            text: "14:02:11.004512330: Warning Shell (cmd=sh)".into(),
            json: "{}".into(),
            severity: 4,
            time: "2024-06-01T14:02:11.004512330Z".into(),
            hostname: "worker-1".into(),
        };
        assert_eq!(
            message(&alert, &alert.text, 42),
            "<12>1 2024-06-01T14:02:11.004512330Z worker-1 rulec 42 - - 14:02:11.004512330: Warning Shell (cmd=sh)"
        );
    }
}
