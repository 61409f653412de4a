//! The protocol glue: documents the client opened, configuration, the debounced re-check and
//! diagnostics publishing, and one method per LSP request that takes a snapshot and calls the
//! feature's pure function.
//!
//! This is the only module that does IO (reading the configured rules files, and through
//! [`files`] the project's configuration and the workspace's rules files) and the only one that
//! talks to the client. It works out the load order with no setting at all (see
//! [`crate::analysis`]); `rulec.rulesFiles` overrides it. Every request runs under `catch_unwind`: a panic in a feature
//! becomes an internal-error response and the server goes on.

use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rulec_compiler::SourceFile;
use rulec_compiler::diagnostic::FileId;
use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::analysis::{Analysis, FileText, Inputs, LoadOrigin};
use crate::features;
use crate::file_kind::{self, FileKind};
use crate::workspace::WorkspaceIndex;

mod files;

/// How long typing must pause before the workspace is re-checked and diagnostics are sent.
pub const DEFAULT_DEBOUNCE_MS: u64 = 100;

#[derive(Clone, Debug, PartialEq)]
struct Config {
    /// `rulec.rulesFiles`, as written (absolute, or relative to the workspace root).
    rules_files: Vec<String>,
    debounce_ms: u64,
    /// `rulec.stdlib`: load the embedded stdlib before every file (default on).
    stdlib: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config { rules_files: Vec::new(), debounce_ms: DEFAULT_DEBOUNCE_MS, stdlib: true }
    }
}

impl Config {
    /// Reads `{"rulec": {...}}` or the inner object itself; unknown or ill-typed values keep the
    /// current setting.
    fn update(&mut self, value: &Value) {
        let v = value.get("rulec").unwrap_or(value);
        if let Some(files) = v.get("rulesFiles").and_then(Value::as_array) {
            self.rules_files = files.iter().filter_map(Value::as_str).map(str::to_owned).collect();
        }
        if let Some(ms) = v.get("debounceMs").and_then(Value::as_u64) {
            self.debounce_ms = ms.min(10_000);
        }
        if let Some(on) = v.get("stdlib").and_then(Value::as_bool) {
            self.stdlib = on;
        }
    }
}

#[derive(Debug)]
struct Doc {
    uri: Uri,
    text: Arc<str>,
    version: i32,
    /// What the document is, from its name and text (recomputed on every change).
    kind: FileKind,
}

#[derive(Debug, Default)]
struct State {
    /// Open documents, in opening order.
    docs: Vec<Doc>,
    config: Config,
    root: Option<PathBuf>,
    /// The configured load order (from the setting, `rulec.yaml` or `falco.yaml`), as paths.
    configured: Vec<PathBuf>,
    origin: LoadOrigin,
    /// The configuration file the load order comes from, with its text.
    config_file: Option<FileText>,
    /// Configured files as read from disk (used while they are not open).
    disk: HashMap<Uri, Arc<str>>,
    /// The workspace's rules files as read from disk, and their index.
    workspace_files: Vec<FileText>,
    workspace: Arc<WorkspaceIndex>,
    /// The stdlib's files as named and read when the configuration was read (see
    /// [`stdlib_files`]); empty when `rulec.stdlib` is off.
    stdlib: Vec<(Uri, Arc<str>)>,
    analysis: Arc<Analysis>,
    dirty: bool,
    generation: u64,
    /// Documents changed since diagnostics were last sent: they get diagnostics even when these
    /// did not change (a client waits for them).
    changed: HashSet<Uri>,
    published: HashMap<Uri, Vec<Diagnostic>>,
}

impl State {
    fn configured_uris(&self) -> Vec<Uri> {
        self.configured.iter().filter_map(|p| path_uri(None, &p.to_string_lossy())).collect()
    }

    /// The text of `uri`: its open buffer, else the workspace's copy from disk.
    fn text_of(&self, uri: &Uri) -> Option<Arc<str>> {
        match self.docs.iter().find(|d| &d.uri == uri) {
            Some(d) => Some(d.text.clone()),
            None => self.workspace_files.iter().find(|(u, _)| u == uri).map(|(_, t)| t.clone()),
        }
    }

    fn inputs(&self) -> Inputs {
        let rules_docs = self.docs.iter().filter(|d| d.kind == FileKind::Rules);
        let open: Vec<FileText> = rules_docs.map(|d| (d.uri.clone(), d.text.clone())).collect();
        let mut needs = HashMap::new();
        if self.origin == LoadOrigin::Workspace {
            for (uri, text) in &open {
                let order = self.workspace.load_order(uri, text);
                let with_texts: Vec<FileText> =
                    order.into_iter().filter_map(|u| Some((u.clone(), self.text_of(&u)?))).collect();
                needs.insert(uri.clone(), with_texts);
            }
        }
        let project_files = self
            .docs
            .iter()
            .filter(|d| matches!(d.kind, FileKind::Config | FileKind::Tests))
            .map(|d| (d.uri.clone(), d.kind, d.text.clone()))
            .collect();
        let config_file = self.config_file.as_ref().map(|(uri, text)| match self.docs.iter().find(|d| &d.uri == uri) {
            Some(d) => (uri.clone(), d.text.clone()),
            None => (uri.clone(), text.clone()),
        });
        let rules_files = self
            .configured_uris()
            .into_iter()
            .filter_map(|uri| {
                let text = match self.docs.iter().find(|d| d.uri == uri) {
                    Some(d) => d.text.clone(),
                    None => self.disk.get(&uri)?.clone(),
                };
                Some((uri, text))
            })
            .collect();
        let stdlib = self
            .stdlib
            .iter()
            .map(|(uri, text)| match self.docs.iter().find(|d| &d.uri == uri) {
                Some(d) => (uri.clone(), d.text.clone()),
                None => (uri.clone(), text.clone()),
            })
            .collect();
        Inputs {
            open,
            rules_files,
            stdlib,
            origin: self.origin.clone(),
            needs,
            project_files,
            config_file,
            workspace: self.workspace.clone(),
        }
    }

    /// The current snapshot, rebuilt first if documents changed since.
    fn snapshot(&mut self) -> Arc<Analysis> {
        if self.dirty {
            let inputs = self.inputs();
            let previous = self.analysis.clone();
            match catch_unwind(AssertUnwindSafe(|| Analysis::build(&inputs, Some(&previous)))) {
                Ok(a) => self.analysis = Arc::new(a),
                // The compiler promises not to panic; if it does, keep serving the last snapshot.
                Err(_) => eprintln!("rulec lsp: internal error while checking; keeping the previous results"),
            }
            self.dirty = false;
        }
        self.analysis.clone()
    }

    /// Works out the load order (most specific first: the setting, the project's `rulec.yaml`,
    /// its `falco.yaml`, else the workspace index), reads the configured files that are not
    /// open and the workspace's rules files from disk; returns the failures.
    fn read_configured(&mut self) -> Vec<String> {
        let mut errors = Vec::new();
        self.disk.clear();
        self.stdlib = if self.config.stdlib { stdlib_files(self.root.as_deref()) } else { Vec::new() };
        let root = self.root.clone();
        let (origin, configured) = if !self.config.rules_files.is_empty() {
            let mut paths = Vec::new();
            for p in &self.config.rules_files {
                match path_uri(root.as_deref(), p) {
                    Some(_) => paths.push(resolve(root.as_deref(), p)),
                    None => errors.push(format!("rulec.rulesFiles: cannot use `{p}` as a path")),
                }
            }
            (LoadOrigin::Setting, paths)
        } else {
            root.as_deref().and_then(files::project_load_order).unwrap_or((LoadOrigin::Workspace, Vec::new()))
        };
        self.config_file = match &origin {
            LoadOrigin::ProjectConfig(p) | LoadOrigin::FalcoConfig(p) => {
                let text = std::fs::read_to_string(p).unwrap_or_default();
                path_uri(None, &p.to_string_lossy()).map(|u| (u, Arc::from(text)))
            }
            LoadOrigin::Setting | LoadOrigin::Workspace => None,
        };
        let what = origin.describe();
        for path in &configured {
            let Some(uri) = path_uri(None, &path.to_string_lossy()) else { continue };
            match std::fs::read(path).map(String::from_utf8) {
                Ok(Ok(text)) => {
                    self.disk.insert(uri, Arc::from(text));
                }
                Ok(Err(_)) => errors.push(format!("{what}: {} is not UTF-8 text", path.display())),
                Err(e) => errors.push(format!("{what}: cannot read {}: {e}", path.display())),
            }
        }
        self.origin = origin;
        self.configured = configured;
        self.workspace_files = root.as_deref().map(files::scan_rules_files).unwrap_or_default();
        self.workspace = Arc::new(WorkspaceIndex::build(&self.workspace_files, &self.stdlib));
        self.dirty = true;
        errors
    }
}

/// The stdlib's files: each one the workspace holds at its path (`stdlib-rules/...`, as in
/// rulec's own repository) is that file, read from disk, so that navigation opens it; every other
/// one is the embedded text under a virtual URI.
fn stdlib_files(root: Option<&Path>) -> Vec<(Uri, Arc<str>)> {
    rulec_stdlib::FILES
        .iter()
        .filter_map(|f| {
            let on_disk = root.map(|r| r.join(f.path)).and_then(|path| {
                let text = String::from_utf8(std::fs::read(&path).ok()?).ok()?;
                Some((path_uri(None, &path.to_string_lossy())?, Arc::from(text)))
            });
            on_disk.or_else(|| crate::analysis::virtual_stdlib_file(f))
        })
        .collect()
}

fn resolve(root: Option<&Path>, p: &str) -> PathBuf {
    let path = PathBuf::from(p);
    match root {
        Some(r) if path.is_relative() => r.join(path),
        _ => path,
    }
}

fn path_uri(root: Option<&Path>, p: &str) -> Option<Uri> {
    let path = resolve(root, p);
    if !path.is_absolute() {
        return None;
    }
    // Normalise `a/../b` so the URI matches the one the editor sends for the open file.
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    Uri::from_file_path(path)
}

pub struct Server {
    client: Client,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").finish_non_exhaustive()
    }
}

/// Locks the state. A panic while it was held (caught by [`guard`]) leaves it usable: every
/// update to it is a plain assignment, so the data is not half-changed.
fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs a request's work, turning a panic into an internal-error response.
fn guard<T>(what: &str, f: impl FnOnce() -> T) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| {
        let detail = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let mut e = Error::internal_error();
        e.message = format!("rulec lsp: internal error in {what}: {detail}").into();
        e
    })
}

impl Server {
    pub fn new(client: Client) -> Server {
        Server { client, state: Arc::new(Mutex::new(State::default())) }
    }

    fn snapshot(&self) -> Arc<Analysis> {
        lock(&self.state).snapshot()
    }

    /// A test hook (`rulec/debugPanic`, registered only when `RULEC_LSP_DEBUG_PANIC` is set):
    /// a request whose handler panics, to show that the server survives it.
    pub async fn debug_panic(&self) -> Result<Value> {
        guard("rulec/debugPanic", || -> Value { panic!("deliberate panic for testing") })
    }

    /// Marks the workspace changed and sends diagnostics once typing pauses.
    fn schedule(&self, changed: Option<Uri>) {
        let (generation, delay) = {
            let mut s = lock(&self.state);
            s.dirty = true;
            s.generation += 1;
            if let Some(uri) = changed {
                s.changed.insert(uri);
            }
            (s.generation, s.config.debounce_ms)
        };
        let state = self.state.clone();
        let client = self.client.clone();
        tokio::spawn(async move {
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            let updates = {
                let mut s = lock(&state);
                if s.generation != generation {
                    return; // a later change will publish
                }
                collect_updates(&mut s)
            };
            for (uri, diags, version) in updates {
                client.publish_diagnostics(uri, diags, version).await;
            }
        });
    }
}

/// The diagnostics to send: every reported file whose diagnostics changed or which was edited,
/// and an empty list for files no longer reported.
fn collect_updates(s: &mut State) -> Vec<(Uri, Vec<Diagnostic>, Option<i32>)> {
    let analysis = s.snapshot();
    let all = catch_unwind(AssertUnwindSafe(|| features::diagnostics::all(&analysis))).unwrap_or_default();
    let mut out = Vec::new();
    let mut now: HashSet<Uri> = HashSet::new();
    for (uri, diags) in all {
        now.insert(uri.clone());
        let same = s.published.get(&uri) == Some(&diags);
        if same && !s.changed.contains(&uri) {
            continue;
        }
        let version = s.docs.iter().find(|d| d.uri == uri).map(|d| d.version);
        s.published.insert(uri.clone(), diags.clone());
        out.push((uri, diags, version));
    }
    let gone: Vec<Uri> = s.published.keys().filter(|u| !now.contains(*u)).cloned().collect();
    for uri in gone {
        s.published.remove(&uri);
        out.push((uri, Vec::new(), None));
    }
    s.changed.clear();
    out
}

/// Applies one content change to `text`; positions are clamped, so a bad range cannot panic.
fn apply_change(text: &str, change: &TextDocumentContentChangeEvent) -> String {
    let Some(range) = change.range else { return change.text.clone() };
    // Only line starts are needed; the file id is irrelevant here.
    let f = SourceFile::new(FileId(0), "", text.to_owned());
    let start = f.offset_of_utf16(range.start.line, range.start.character);
    let end = f.offset_of_utf16(range.end.line, range.end.character).max(start);
    let mut out = String::with_capacity(text.len() + change.text.len());
    out.push_str(&text[..start]);
    out.push_str(&change.text);
    out.push_str(&text[end..]);
    out
}

pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            save: Some(TextDocumentSyncSaveOptions::Supported(true)),
            ..Default::default()
        })),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), "%".into(), "[".into(), "(".into()]),
            ..Default::default()
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: features::semantic_tokens::legend(),
                full: Some(SemanticTokensFullOptions::Bool(true)),
                range: None,
                work_done_progress_options: Default::default(),
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..Default::default()
        })),
        document_formatting_provider: Some(OneOf::Left(true)),
        inlay_hint_provider: Some(OneOf::Left(true)),
        code_lens_provider: Some(CodeLensOptions { resolve_provider: Some(false) }),
        ..Default::default()
    }
}

impl LanguageServer for Server {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let errors = {
            let mut s = lock(&self.state);
            #[allow(deprecated)] // `root_uri` is what older clients send.
            let root = params
                .workspace_folders
                .as_ref()
                .and_then(|f| f.first())
                .map(|f| f.uri.clone())
                .or(params.root_uri.clone());
            s.root = root.and_then(|u| u.to_file_path().map(|p| p.into_owned()));
            if let Some(opts) = &params.initialization_options {
                s.config.update(opts);
            }
            s.read_configured()
        };
        for e in errors {
            self.client.log_message(MessageType::WARNING, e).await;
        }
        Ok(InitializeResult {
            capabilities: capabilities(),
            server_info: Some(ServerInfo { name: "rulec".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        if !lock(&self.state).configured.is_empty() {
            self.schedule(None);
        }
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        {
            let mut s = lock(&self.state);
            s.docs.retain(|d| d.uri != doc.uri);
            let kind = file_kind::kind_of(doc.uri.as_str(), &doc.text);
            s.docs.push(Doc { uri: doc.uri.clone(), text: Arc::from(doc.text), version: doc.version, kind });
        }
        self.schedule(Some(doc.uri));
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        {
            let mut s = lock(&self.state);
            let Some(d) = s.docs.iter_mut().find(|d| d.uri == uri) else { return };
            let mut text = d.text.to_string();
            for change in &params.content_changes {
                text = apply_change(&text, change);
            }
            d.kind = file_kind::kind_of(uri.as_str(), &text);
            d.text = Arc::from(text);
            d.version = params.text_document.version;
        }
        self.schedule(Some(uri));
    }

    /// A saved rules or configuration file may change what the workspace defines or the load
    /// order: both are read again.
    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        let relevant = {
            let s = lock(&self.state);
            s.docs.iter().any(|d| d.uri == params.text_document.uri && d.kind != FileKind::Other)
        };
        if relevant {
            let _ = lock(&self.state).read_configured();
            self.schedule(None);
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        {
            let mut s = lock(&self.state);
            s.docs.retain(|d| d.uri != uri);
            // A configured file falls back to its saved text.
            if s.configured_uris().contains(&uri) {
                let _ = s.read_configured();
            }
        }
        self.schedule(None);
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        let errors = {
            let mut s = lock(&self.state);
            let before = s.config.clone();
            s.config.update(&params.settings);
            if s.config == before {
                return;
            }
            s.read_configured()
        };
        for e in errors {
            self.client.log_message(MessageType::WARNING, e).await;
        }
        self.schedule(None);
    }

    async fn did_change_watched_files(&self, _: DidChangeWatchedFilesParams) {
        let _ = lock(&self.state).read_configured();
        self.schedule(None);
    }

    async fn completion(&self, p: CompletionParams) -> Result<Option<CompletionResponse>> {
        let a = self.snapshot();
        let pos = p.text_document_position;
        let items = guard("completion", || {
            let (uri, at) = (&pos.text_document.uri, pos.position);
            features::project_files::completion(&a, uri, at)
                .unwrap_or_else(|| features::completion::completion(&a, uri, at))
        })?;
        Ok(Some(CompletionResponse::Array(items)))
    }

    async fn hover(&self, p: HoverParams) -> Result<Option<Hover>> {
        let a = self.snapshot();
        let pos = p.text_document_position_params;
        guard("hover", || features::hover::hover(&a, &pos.text_document.uri, pos.position))
    }

    async fn goto_definition(&self, p: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        let a = self.snapshot();
        let pos = p.text_document_position_params;
        let loc = guard("definition", || {
            let (uri, at) = (&pos.text_document.uri, pos.position);
            match a.project_file(uri) {
                Some(_) => features::project_files::definition(&a, uri, at),
                None => features::navigation::definition(&a, uri, at),
            }
        })?;
        Ok(loc.map(GotoDefinitionResponse::Scalar))
    }

    async fn references(&self, p: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let a = self.snapshot();
        let pos = p.text_document_position;
        let with_decl = p.context.include_declaration;
        let refs = guard("references", || {
            features::navigation::references(&a, &pos.text_document.uri, pos.position, with_decl)
        })?;
        Ok(Some(refs))
    }

    async fn prepare_rename(&self, p: TextDocumentPositionParams) -> Result<Option<PrepareRenameResponse>> {
        let a = self.snapshot();
        guard("prepareRename", || features::navigation::prepare_rename(&a, &p.text_document.uri, p.position))
    }

    async fn rename(&self, p: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let a = self.snapshot();
        let pos = p.text_document_position;
        guard("rename", || features::navigation::rename(&a, &pos.text_document.uri, pos.position, &p.new_name))?
    }

    async fn document_symbol(&self, p: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        let a = self.snapshot();
        let symbols = guard("documentSymbol", || features::symbols::document_symbols(&a, &p.text_document.uri))?;
        Ok(Some(DocumentSymbolResponse::Nested(symbols)))
    }

    async fn symbol(&self, p: WorkspaceSymbolParams) -> Result<Option<WorkspaceSymbolResponse>> {
        let a = self.snapshot();
        let symbols = guard("workspaceSymbol", || features::symbols::workspace_symbols(&a, &p.query))?;
        Ok(Some(WorkspaceSymbolResponse::Nested(symbols)))
    }

    async fn folding_range(&self, p: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        let a = self.snapshot();
        Ok(Some(guard("foldingRange", || features::symbols::folding_ranges(&a, &p.text_document.uri))?))
    }

    async fn semantic_tokens_full(&self, p: SemanticTokensParams) -> Result<Option<SemanticTokensResult>> {
        let a = self.snapshot();
        let tokens = guard("semanticTokens", || features::semantic_tokens::semantic_tokens(&a, &p.text_document.uri))?;
        Ok(Some(SemanticTokensResult::Tokens(tokens)))
    }

    async fn code_action(&self, p: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let a = self.snapshot();
        Ok(Some(guard("codeAction", || features::code_actions::code_actions(&a, &p.text_document.uri, p.range))?))
    }

    async fn formatting(&self, p: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let a = self.snapshot();
        Ok(Some(guard("formatting", || features::formatting::format_document(&a, &p.text_document.uri))?))
    }

    async fn inlay_hint(&self, p: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let a = self.snapshot();
        Ok(Some(guard("inlayHint", || features::lenses::inlay_hints(&a, &p.text_document.uri, Some(p.range)))?))
    }

    async fn code_lens(&self, p: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let a = self.snapshot();
        Ok(Some(guard("codeLens", || features::lenses::code_lenses(&a, &p.text_document.uri))?))
    }
}
