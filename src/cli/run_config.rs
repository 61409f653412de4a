//! `rulec run --config FILE`: reads the configuration file ([`crate::config`]), reports its
//! problems as `rulec check` reports a rules file's (file:line:col, code, the line, a caret), and
//! fills every setting the command line left unset. Flags win; paths in the file are relative to
//! the file's folder.

use std::path::Path;

use rulec_compiler::{FileId, SourceFile};

use super::run::{Output, RunArgs};
use crate::config::{Config, Selector};
use crate::render::Renderer;

/// The arguments with the file's settings filled in, or why the file cannot be used (its
/// diagnostics rendered, one per paragraph, then a summary line).
pub fn apply(args: &RunArgs, path: &Path) -> Result<RunArgs, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read the configuration {}: {e}", path.display()))?;
    let file = SourceFile::new(FileId(0), path.display().to_string(), text);
    let (cfg, diags) = crate::config::parse(file.id, &file.text);
    if !diags.is_empty() {
        let files = [file];
        let renderer = Renderer::new(&files);
        let mut text: Vec<String> = diags.iter().map(|d| renderer.text(d, false)).collect();
        text.push(format!("the configuration has {} error(s)", diags.len()));
        return Err(text.join("\n"));
    }
    Ok(merge(args.clone(), cfg, path.parent().unwrap_or(Path::new("."))))
}

/// `args` with every unset setting taken from `cfg`.
fn merge(mut a: RunArgs, cfg: Config, base: &Path) -> RunArgs {
    let rel = |p: std::path::PathBuf| if p.is_absolute() { p } else { base.join(p) };
    if a.rules.is_empty() {
        a.rules = cfg.rules_files.into_iter().map(rel).collect();
    }
    if a.output.is_none() {
        a.output = cfg.json_output.map(|j| if j { Output::Json } else { Output::Text });
    }
    a.ring_bytes = a.ring_bytes.or(cfg.ring_bytes);
    a.stats_interval = a.stats_interval.or(cfg.stats_interval);
    a.all_matches |= cfg.all_matches.unwrap_or(false);
    let o = &mut a.ops;
    o.no_stdout |= cfg.stdout == Some(false);
    o.output_file = o.output_file.take().or(cfg.file_output.map(rel));
    if o.webhook.is_none()
        && let Some(w) = cfg.webhook
    {
        o.webhook = Some(w.url);
        o.webhook_header = w.headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        o.webhook_timeout = o.webhook_timeout.or(w.timeout);
        o.webhook_attempts = o.webhook_attempts.or(w.attempts);
        o.webhook_ca_cert = o.webhook_ca_cert.take().or(w.ca_cert.map(rel));
        o.webhook_insecure |= w.insecure;
    }
    o.syslog = o.syslog.take().or(cfg.syslog);
    o.program = o.program.take().or(cfg.program);
    o.output_queue = o.output_queue.or(cfg.output_queue);
    o.metrics_address = o.metrics_address.take().or(cfg.metrics_address);
    o.min_priority = o.min_priority.take().or(cfg.min_priority);
    if o.rate_limit.is_none()
        && let Some((rate, burst)) = cfg.rate_limit
    {
        o.rate_limit = Some(rate);
        o.rate_burst = o.rate_burst.or(Some(burst));
    }
    // The file's `rules:` items come first, in order; the flags' items after them.
    let spell = |s: Selector| match s {
        Selector::Rule(r) => r,
        Selector::Tag(t) => format!("tag:{t}"),
    };
    if !cfg.rules.is_empty() {
        o.ordered = cfg.rules.into_iter().map(|(on, s)| (on, spell(s))).collect();
    }
    a
}
