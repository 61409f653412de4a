//! Building `rulec run`'s engine from its arguments ([`build`]: configuration file, rules files,
//! check, compile, rule selection; the engine compiles its JIT in the background, off the event
//! loop: [`Compiles::Background`]), once at start and again on a reload: SIGHUP, or with
//! `--watch` a change to the configuration or a rules file ([`Reloader`]). A reload builds on a
//! thread of its own, off the event loop; the loop swaps the finished engine in before its next
//! event, so the state and the stream go on and no event is lost. A ruleset with errors is refused with
//! its diagnostics rendered as `rulec check` renders them, and the old one keeps running.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use rulec_compiler::Diagnostic;
use rulec_runtime::engine::{Backend, Compiles, Engine, MatchMode};

use super::run::RunArgs;
use super::{EXIT_CANNOT_RUN, EXIT_FINDINGS};
use crate::render::Renderer;

/// A ruleset ready to run.
pub struct Built {
    pub engine: Engine,
    /// The arguments with the configuration file merged in.
    pub args: RunArgs,
    /// Lines to print: warnings about the selection. (Whether the JIT compiles is known later:
    /// the event loop says so, see `run.rs`.)
    pub notes: Vec<String>,
}

/// Why no engine could be built: what to print, and the exit status of a first start.
#[derive(Debug)]
pub struct BuildError {
    pub text: String,
    pub code: i32,
}

/// Builds the engine the arguments (and their configuration file) describe.
pub fn build(cli: &RunArgs) -> Result<Built, BuildError> {
    let args = match &cli.config {
        None => cli.clone(),
        Some(path) => super::run_config::apply(cli, path).map_err(|text| BuildError { text, code: EXIT_CANNOT_RUN })?,
    };
    let files = super::run::load_rules(&args.rules).map_err(|text| BuildError { text, code: EXIT_CANNOT_RUN })?;
    let result = rulec_compiler::check::check(&files);
    let errors: Vec<&Diagnostic> = result.diagnostics.iter().filter(|d| d.is_error()).collect();
    if !errors.is_empty() {
        let renderer = Renderer::new(&files);
        let mut text: Vec<String> = errors.iter().map(|d| renderer.text(d, false)).collect();
        text.push(format!("the rules have {} error(s)", errors.len()));
        return Err(BuildError { text: text.join("\n"), code: EXIT_FINDINGS });
    }
    let mut program = rulec_compiler::compile(&result);
    let selection = args.ops.selection().map_err(|text| BuildError { text, code: EXIT_CANNOT_RUN })?;
    let chosen = rulec_compiler::ir::select::apply(&mut program, &selection);
    let notes: Vec<String> = args
        .ops
        .selection_flags()
        .iter()
        .zip(&chosen.matched)
        .filter(|(_, n)| **n == 0)
        .map(|(flag, _)| format!("warning: {flag} matches no rule"))
        .collect();
    let mut engine = Engine::with_compiles(program, Backend::Jit, Compiles::Background);
    engine.set_mode(if args.all_matches { MatchMode::All } else { MatchMode::First });
    Ok(Built { engine, args, notes })
}

/// How long a reload waits for file events to settle before reading the files.
const SETTLE: Duration = Duration::from_millis(150);

/// What a finished reload gives the loop.
pub type Outcome = Result<Built, String>;

/// Watches for reload requests and builds in the background: a thread of its own waits for a
/// request (SIGHUP, or a watched file's change), lets file events settle, builds, says the
/// outcome on stderr at once (a refusal with its diagnostics, or how many rules are enabled), and
/// hands a built engine to the loop, which swaps it in before its next event. Nothing of this
/// waits for events to flow.
pub struct Reloader {
    built: Receiver<Outcome>,
    /// Set by the reload thread after each send.
    ready: Arc<AtomicBool>,
    /// Keeps the file watcher alive.
    _watcher: Option<notify::RecommendedWatcher>,
}

impl std::fmt::Debug for Reloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reloader").finish_non_exhaustive()
    }
}

/// How often the reload thread looks for a request.
const REQUEST_POLL: Duration = Duration::from_millis(50);

impl Reloader {
    /// Listens for SIGHUP, and with `watch` for changes to `files` (the configuration and the
    /// rules files; their folders are watched, so editors that replace files are seen).
    pub fn new(cli: &RunArgs, files: &[PathBuf], watch: bool) -> Result<Reloader, String> {
        let requested = Arc::new(AtomicBool::new(false));
        signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&requested))
            .map_err(|e| format!("cannot handle SIGHUP: {e}"))?;
        let watcher = if watch { Some(watch_files(files, Arc::clone(&requested))?) } else { None };
        let (tx, built) = channel();
        let ready = Arc::new(AtomicBool::new(false));
        let sent = Arc::clone(&ready);
        let cli = cli.clone();
        std::thread::Builder::new()
            .name("rulec-reload".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(REQUEST_POLL);
                    if !requested.swap(false, Ordering::Relaxed) {
                        continue;
                    }
                    // Let a burst of file events settle (an editor's save is several).
                    std::thread::sleep(SETTLE);
                    requested.store(false, Ordering::Relaxed);
                    let outcome = build(&cli).map_err(|e| e.text);
                    match &outcome {
                        Ok(b) => {
                            for note in &b.notes {
                                eprintln!("rulec run: {note}");
                            }
                            let n = b.engine.program().rules.iter().filter(|r| r.enabled).count();
                            eprintln!("rulec run: reloaded: {n} rules enabled");
                        }
                        Err(text) => {
                            eprintln!("{text}");
                            eprintln!("rulec run: reload refused; the previous rules keep running");
                        }
                    }
                    if tx.send(outcome).is_err() {
                        return;
                    }
                    sent.store(true, Ordering::Release);
                }
            })
            .map_err(|e| format!("cannot start the reload thread: {e}"))?;
        Ok(Reloader { built, ready, _watcher: watcher })
    }

    /// Called between events: a finished reload, if any. One flag read per event; the
    /// channel is looked at only when the flag says something was sent.
    #[inline]
    pub fn poll(&mut self) -> Option<Outcome> {
        // Asked on every event: a plain load is enough to see that nothing is ready (no locked
        // read-modify-write on the common path).
        if !self.ready.load(Ordering::Relaxed) || !self.ready.swap(false, Ordering::Acquire) {
            return None;
        }
        let got = self.built.try_recv().ok();
        if got.is_some() {
            // Another may have been sent before the flag was cleared: look once more.
            self.ready.store(true, Ordering::Relaxed);
        }
        got
    }
}

fn watch_files(files: &[PathBuf], flag: Arc<AtomicBool>) -> Result<notify::RecommendedWatcher, String> {
    use notify::{EventKind, RecursiveMode, Watcher};
    let names: Vec<PathBuf> = files.iter().map(|f| std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())).collect();
    let wanted = names.clone();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let Ok(ev) = res else { return };
        let relevant = matches!(ev.kind, EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_))
            && ev.paths.iter().any(|p| wanted.iter().any(|w| w == p || w.file_name() == p.file_name()));
        if relevant {
            flag.store(true, Ordering::Relaxed);
        }
    })
    .map_err(|e| format!("cannot watch files: {e}"))?;
    let mut dirs: Vec<PathBuf> = names.iter().filter_map(|f| f.parent().map(PathBuf::from)).collect();
    dirs.sort();
    dirs.dedup();
    for d in dirs {
        watcher.watch(&d, RecursiveMode::NonRecursive).map_err(|e| format!("cannot watch {}: {e}", d.display()))?;
    }
    Ok(watcher)
}
