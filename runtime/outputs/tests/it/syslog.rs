//! The syslog output: RFC 5424 datagrams to a local socket (bound here in a temporary folder, as
//! /dev/log would be), one per alert; a missing socket is refused at start.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use rulec_outputs::config::Target;
use rulec_outputs::{OutputConfig, OutputFormat, Outputs};

use crate::support::{alert, temp_dir};

#[test]
fn sends_one_rfc_5424_datagram_per_alert() {
    let dir = temp_dir("syslog");
    let socket = dir.join("log.sock");
    let server = UnixDatagram::bind(&socket).expect("bind");
    server.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let outs = Outputs::start(&[OutputConfig::new(Target::Syslog { socket: socket.clone() }, OutputFormat::Text)])
        .expect("starts");
    outs.send(alert(7));
    outs.send(alert(8));
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    for _ in 0..2 {
        let n = server.recv(&mut buf).expect("a datagram");
        got.push(String::from_utf8(buf[..n].to_vec()).expect("UTF-8"));
    }
    let stats = outs.shutdown(Duration::from_secs(5));
    assert_eq!((stats[0].delivered, stats[0].lost()), (2, 0));
    let pid = std::process::id();
    assert_eq!(
        got[0],
        format!("<12>1 2026-12-06T12:00:00.000000000Z node-1 rulec {pid} - - 12:00:00.000000000: Warning n=7")
    );
    assert!(got[1].ends_with("n=8"));
}

#[test]
fn a_missing_socket_is_refused_at_start() {
    let dir = temp_dir("syslog-missing");
    let err = Outputs::start(&[OutputConfig::new(Target::Syslog { socket: dir.join("none") }, OutputFormat::Text)])
        .expect_err("refused");
    assert!(err.to_string().contains("no syslog socket"), "{err}");
}
