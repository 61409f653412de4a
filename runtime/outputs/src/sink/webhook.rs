//! An HTTP(S) webhook: one POST per alert, its body the alert alone (Falco's alert JSON in JSON
//! format, which Falcosidekick's main handler accepts, or the text line), with the configured
//! headers, a whole-request timeout, TLS by rustls (the system's roots, a given CA file, or, only
//! when asked, none). A 2xx answer is delivery. A connection error, a timeout, 408, 429 or a 5xx
//! is tried again after a growing pause, up to the retry policy; any other answer is final.

use std::path::Path;

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

use super::{Control, Sink, line};
use crate::config::{Retry, Webhook as Config};
use crate::{Delivery, OutputFormat};

pub(super) struct Webhook {
    agent: ureq::Agent,
    url: String,
    headers: Vec<(String, String)>,
    retry: Retry,
    format: OutputFormat,
}

fn roots(ca: Option<&Path>) -> Result<RootCerts, String> {
    let Some(path) = ca else { return Ok(RootCerts::PlatformVerifier) };
    let pem = std::fs::read(path).map_err(|e| format!("cannot read the CA file {}: {e}", path.display()))?;
    let mut certs: Vec<Certificate<'static>> = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(c)) => certs.push(c.to_owned()),
            Ok(_) => {}
            Err(e) => return Err(format!("{}: not a PEM file: {e}", path.display())),
        }
    }
    if certs.is_empty() {
        return Err(format!("{} holds no certificate", path.display()));
    }
    Ok(RootCerts::new_with_certs(&certs))
}

impl Webhook {
    pub(super) fn open(c: &Config, format: OutputFormat) -> Result<Webhook, String> {
        let uri: ureq::http::Uri = c.url.parse().map_err(|e| format!("`{}` is not a URL: {e}", c.url))?;
        match uri.scheme_str() {
            Some("http" | "https") => {}
            _ => return Err(format!("`{}`: the URL must start with http:// or https://", c.url)),
        }
        if c.retry.attempts == 0 {
            return Err("retry attempts must be at least 1".into());
        }
        let tls =
            TlsConfig::builder().root_certs(roots(c.ca_cert.as_deref())?).disable_verification(c.insecure).build();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(c.timeout))
            .http_status_as_error(false)
            .user_agent("rulec")
            .tls_config(tls)
            .build()
            .into();
        Ok(Webhook { agent, url: c.url.clone(), headers: c.headers.clone(), retry: c.retry, format })
    }

    /// One try: `Ok` on 2xx; `Err((retry?, why))` otherwise.
    fn post(&self, body: &str) -> Result<(), (bool, String)> {
        let content_type = match self.format {
            OutputFormat::Json => "application/json",
            OutputFormat::Text => "text/plain; charset=utf-8",
        };
        let mut req = self.agent.post(&self.url).header("Content-Type", content_type);
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        match req.send(body) {
            Ok(resp) => {
                let status = resp.status().as_u16();
                if (200..300).contains(&status) {
                    Ok(())
                } else {
                    let again = status == 408 || status == 429 || status >= 500;
                    Err((again, format!("{} answered HTTP {status}", self.url)))
                }
            }
            Err(e) => Err((true, format!("cannot POST to {}: {e}", self.url))),
        }
    }
}

impl Sink for Webhook {
    fn deliver(&mut self, alert: &Delivery, control: &Control) -> Result<(), String> {
        let body = line(alert, self.format);
        let mut attempt = 1;
        loop {
            match self.post(body) {
                Ok(()) => return Ok(()),
                Err((again, why)) => {
                    if !again || attempt >= self.retry.attempts {
                        return Err(format!("{why} (after {attempt} tries)"));
                    }
                    if !control.wait(self.retry.backoff(attempt)) {
                        return Err(format!("{why} (shutting down)"));
                    }
                    control.retried();
                    attempt += 1;
                }
            }
        }
    }
}
