//! The webhook over HTTPS against a TLS receiver on 127.0.0.1 whose certificate is made here:
//! trusted through `ca_cert`, the alert is delivered; with the system's roots (which do not know
//! it), every try fails verification and the alert is counted as failed; `insecure` accepts it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rulec_outputs::config::{Target, Webhook};
use rulec_outputs::{OutputConfig, OutputFormat, Outputs, Retry};

use crate::support::{alert, temp_dir};

/// An HTTPS receiver for `localhost`/127.0.0.1 answering 200; returns (port, CA PEM path, bodies).
fn tls_receiver(dir: &std::path::Path) -> (u16, std::path::PathBuf, Arc<Mutex<Vec<String>>>) {
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("certificate");
    let pem = dir.join("ca.pem");
    std::fs::write(&pem, cert.cert.pem()).expect("pem");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    // ring, the provider ureq's rustls uses here (deprecated only for lacking post-quantum key
    // exchange, which this loopback test does not need).
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .expect("server config");
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&bodies);
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let config = Arc::clone(&config);
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || {
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
                let Ok(conn) = rustls::ServerConnection::new(config) else { return };
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let mut reader = BufReader::new(&mut tls);
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end().to_ascii_lowercase();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; len];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                if let Ok(mut s) = seen.lock() {
                    s.push(String::from_utf8_lossy(&body).into_owned());
                }
                let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                let _ = tls.flush();
            });
        }
    });
    (port, pem, bodies)
}

fn https(port: u16, ca: Option<std::path::PathBuf>, insecure: bool) -> OutputConfig {
    OutputConfig::new(
        Target::Webhook(Webhook {
            url: format!("https://127.0.0.1:{port}/"),
            headers: Vec::new(),
            timeout: Duration::from_secs(3),
            retry: Retry {
                attempts: 2,
                initial_backoff: Duration::from_millis(10),
                max_backoff: Duration::from_millis(20),
            },
            ca_cert: ca,
            insecure,
        }),
        OutputFormat::Json,
    )
}

#[test]
fn https_with_a_trusted_ca_delivers_and_an_unknown_issuer_fails() {
    let dir = temp_dir("tls");
    let (port, pem, bodies) = tls_receiver(&dir);
    let outs = Outputs::start(&[https(port, Some(pem.clone()), false)]).expect("starts");
    outs.send(alert(1));
    let stats = outs.shutdown(Duration::from_secs(10));
    assert_eq!((stats[0].delivered, stats[0].lost()), (1, 0), "{stats:?}");
    assert_eq!(bodies.lock().map(|b| b.len()).unwrap_or(0), 1);
    let body: serde_json::Value = serde_json::from_str(&bodies.lock().expect("lock")[0]).expect("JSON body");
    assert_eq!(body["rule"], "Test rule");

    let outs = Outputs::start(&[https(port, None, false)]).expect("starts");
    outs.send(alert(2));
    let stats = outs.shutdown(Duration::from_secs(10));
    assert_eq!(
        (stats[0].delivered, stats[0].failed),
        (0, 1),
        "the system's roots do not know the certificate: {stats:?}"
    );
    assert_eq!(bodies.lock().map(|b| b.len()).unwrap_or(0), 1, "nothing reached the receiver");

    let outs = Outputs::start(&[https(port, None, true)]).expect("starts");
    outs.send(alert(3));
    let stats = outs.shutdown(Duration::from_secs(10));
    assert_eq!(stats[0].delivered, 1, "insecure accepts any certificate: {stats:?}");
}

#[test]
fn a_ca_file_that_is_not_pem_stops_the_start() {
    let dir = temp_dir("tls-bad");
    let bad = dir.join("ca.pem");
    std::fs::write(&bad, "not a certificate").expect("file");
    let err = Outputs::start(&[https(1, Some(bad), false)]).expect_err("refused");
    assert!(err.to_string().contains("no certificate") || err.to_string().contains("PEM"), "{err}");
}
