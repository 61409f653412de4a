//! The server's view of the workspace at one moment: which files are checked together (check
//! units), each unit's check result, and each file's own items and YAML tree.
//!
//! A snapshot is immutable and built from texts only (the server reads files; this module does
//! no IO), so every feature is a pure function of an [`Analysis`] and a request, testable without
//! a client. Rebuilding reuses every unit whose input texts did not change.
//!
//! Load order: the embedded stdlib first (setting `rulec.stdlib`, on by default), then the
//! configured files, in that order, as one unit; every open file that is not among them is
//! checked as those files followed by itself (Falco's `-r a -r b`), which is a unit of its own.
//! The configured files are, most specific first ([`LoadOrigin`]): the `rulec.rulesFiles`
//! setting, the project's `rulec.yaml`, its `falco.yaml`. With none of them, each open file is
//! checked after the workspace files that define what it uses ([`crate::workspace`]). The
//! stdlib's files are never reported on unless open: an open stdlib file is checked in its
//! place in the stdlib, with its buffer's text.
//!
//! Only rules files are checked ([`crate::file_kind`]); open `rulec.yaml` and `*.tests.yaml`
//! documents are read by their own readers into [`ProjectFile`]s.
//!
//! The stdlib's files are named by the server: the workspace's own `stdlib-rules/...` file when
//! it exists (go to definition opens it), else a [`STDLIB_SCHEME`] URI over the embedded text,
//! which no client can open: navigation leaves such locations out, and hover shows the
//! definition instead.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use rulec_compiler::check::{CheckResult, check};
use rulec_compiler::items::{Item, read_items};
use rulec_compiler::yaml::{self, Node};
use rulec_compiler::{FileId, SourceFile};
use tower_lsp_server::ls_types::Uri;

use crate::file_kind::FileKind;
use crate::index::{self, Occurrence};
use crate::workspace::WorkspaceIndex;

/// A file and its text.
pub type FileText = (Uri, Arc<str>);

/// The URI scheme of an embedded stdlib file that is not on disk in the workspace.
pub const STDLIB_SCHEME: &str = "rulec-stdlib";

/// Whether `uri` names an embedded stdlib file that only the server can read.
pub fn is_virtual_stdlib(uri: &Uri) -> bool {
    uri.as_str().strip_prefix(STDLIB_SCHEME).is_some_and(|rest| rest.starts_with(':'))
}

/// An embedded stdlib file under its [`STDLIB_SCHEME`] URI (`rulec-stdlib:///stdlib-rules/x.yaml`).
pub fn virtual_stdlib_file(f: &rulec_stdlib::StdlibFile) -> Option<FileText> {
    Some((format!("{STDLIB_SCHEME}:///{}", f.path).parse().ok()?, Arc::from(f.text)))
}

/// Every embedded stdlib file under its virtual URI, in load order.
pub fn virtual_stdlib() -> Vec<FileText> {
    rulec_stdlib::FILES.iter().filter_map(virtual_stdlib_file).collect()
}

/// The texts a snapshot is built from.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// Open documents, in the order they were opened.
    pub open: Vec<FileText>,
    /// The configured load order, each with its text (the open buffer if it is open, else the
    /// file as read from disk).
    pub rules_files: Vec<FileText>,
    /// The stdlib's files, loaded before everything (empty when `rulec.stdlib` is off), each with
    /// its text (the open buffer if it is open).
    pub stdlib: Vec<FileText>,
    /// Where `rules_files` comes from.
    pub origin: LoadOrigin,
    /// With no configured files: per open rules file, the workspace files to load before it, in
    /// order, each with its text (see [`crate::workspace::WorkspaceIndex::load_order`]).
    pub needs: HashMap<Uri, Vec<FileText>>,
    /// Open `rulec.yaml` and `*.tests.yaml` documents.
    pub project_files: Vec<(Uri, FileKind, Arc<str>)>,
    /// The configuration file the load order comes from, with its text, when there is one (the
    /// code action that adds a file to it edits this text).
    pub config_file: Option<FileText>,
    /// The workspace's rules files by what they define (go to a rule from a test file, files
    /// to add to the configuration).
    pub workspace: Arc<WorkspaceIndex>,
}

/// Where the configured load order comes from, most specific first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum LoadOrigin {
    /// The editor's `rulec.rulesFiles` setting (an override).
    Setting,
    /// The project's `rulec.yaml` (`rules_files`).
    ProjectConfig(PathBuf),
    /// A `falco.yaml` at the workspace root (`rules_files`).
    FalcoConfig(PathBuf),
    /// No configuration: each file after the workspace files that define what it uses.
    #[default]
    Workspace,
}

impl LoadOrigin {
    /// How a person would say where the load order comes from.
    pub fn describe(&self) -> String {
        match self {
            LoadOrigin::Setting => "the `rulec.rulesFiles` setting".to_owned(),
            LoadOrigin::ProjectConfig(p) => format!("`rules_files` of `{}`", p.display()),
            LoadOrigin::FalcoConfig(p) => format!("`rules_files` of `{}`", p.display()),
            LoadOrigin::Workspace => {
                "no configuration: the workspace's files that define the names this file uses".to_owned()
            }
        }
    }
}

/// An open `rulec.yaml` or `*.tests.yaml`, read by its own reader.
#[derive(Debug)]
pub struct ProjectFile {
    pub uri: Uri,
    pub kind: FileKind,
    pub source: SourceFile,
    /// What its reader reported (E07xx for a configuration, E06xx for tests).
    pub diagnostics: Vec<rulec_compiler::Diagnostic>,
    /// For a test file: every rule name it writes (`rule:` of a case or an expected alert,
    /// `enable`/`disable`), with where.
    pub rule_refs: Vec<(String, rulec_compiler::Location)>,
}

impl ProjectFile {
    pub fn build(uri: &Uri, kind: FileKind, text: &str) -> ProjectFile {
        let source = SourceFile::new(FileId(0), uri.as_str(), text.to_owned());
        let mut rule_refs = Vec::new();
        let diagnostics = match kind {
            FileKind::Config => rulec_compiler::config::parse(source.id, &source.text).1,
            FileKind::Tests => {
                let (file, diags) = rulec_testing::parse::parse(&source);
                for case in file.iter().flat_map(|f| f.cases.iter()) {
                    rule_refs.extend(case.about.iter().chain(&case.enable).chain(&case.disable).cloned());
                    rule_refs.extend(case.expect.iter().map(|e| (e.rule.clone(), e.rule_loc)));
                }
                rule_refs.sort_by_key(|(_, l)| (l.start, l.end));
                rule_refs.dedup_by_key(|(_, l)| (l.start, l.end));
                diags
            }
            FileKind::Rules | FileKind::Other => Vec::new(),
        };
        ProjectFile { uri: uri.clone(), kind, source, diagnostics, rule_refs }
    }
}

/// One file of a unit: its text and what it holds on its own.
#[derive(Debug)]
pub struct UnitFile {
    pub uri: Uri,
    pub source: SourceFile,
    text: Arc<str>,
    /// The YAML documents of the file.
    pub docs: Vec<Node>,
    /// The file's items as written (before merging), in order.
    pub items: Vec<Item>,
}

/// Files checked together, in load order, with the result.
#[derive(Debug)]
pub struct Unit {
    pub files: Vec<UnitFile>,
    pub result: CheckResult,
    /// The files whose diagnostics this unit reports (indices into `files`).
    pub reports: Vec<usize>,
    occurrences: OnceLock<Vec<Vec<Occurrence>>>,
}

impl Unit {
    /// Checks `files` (uri and text) in order.
    pub fn build(files: &[FileText], reports: Vec<usize>) -> Unit {
        let sources: Vec<SourceFile> = files
            .iter()
            .enumerate()
            .map(|(i, (uri, text))| SourceFile::new(FileId(i as u32), uri.as_str(), text.to_string()))
            .collect();
        let result = check(&sources);
        let files = files
            .iter()
            .zip(sources)
            .map(|((uri, text), source)| {
                let (docs, mut diags) = yaml::parse(source.id, &source.text);
                let items = read_items(&source.text, &docs, &mut diags);
                UnitFile { uri: uri.clone(), source, text: text.clone(), docs, items }
            })
            .collect();
        Unit { files, result, reports, occurrences: OnceLock::new() }
    }

    pub fn file(&self, id: FileId) -> Option<&UnitFile> {
        self.files.get(id.0 as usize)
    }

    pub fn file_by_uri(&self, uri: &Uri) -> Option<&UnitFile> {
        self.files.iter().find(|f| &f.uri == uri)
    }

    /// Every name, operator and literal written in each file's conditions, outputs, item names
    /// and list items (index = file index); computed once per unit.
    pub fn occurrences(&self) -> &[Vec<Occurrence>] {
        self.occurrences.get_or_init(|| self.files.iter().map(|f| index::occurrences(self, f)).collect())
    }

    /// Whether this unit was built from exactly these texts (the same buffers, not just equal).
    fn same_inputs(&self, files: &[FileText]) -> bool {
        self.files.len() == files.len()
            && self.files.iter().zip(files).all(|(f, (uri, text))| &f.uri == uri && Arc::ptr_eq(&f.text, text))
    }
}

/// A snapshot of the workspace.
#[derive(Debug, Default)]
pub struct Analysis {
    pub units: Vec<Arc<Unit>>,
    /// For each file: the unit that serves its requests and reports its diagnostics.
    home: HashMap<Uri, usize>,
    pub origin: LoadOrigin,
    /// The stdlib's files (loaded first in every unit).
    pub stdlib: Vec<Uri>,
    pub project_files: Vec<ProjectFile>,
    pub config_file: Option<FileText>,
    pub workspace: Arc<WorkspaceIndex>,
}

impl Analysis {
    /// Builds the snapshot for `inputs`, reusing the units of `previous` whose texts are the same.
    pub fn build(inputs: &Inputs, previous: Option<&Analysis>) -> Analysis {
        let mut plans: Vec<(Vec<FileText>, Vec<usize>)> = Vec::new();
        let mut base = inputs.stdlib.clone();
        base.extend(inputs.rules_files.iter().filter(|(u, _)| !inputs.stdlib.iter().any(|(s, _)| s == u)).cloned());
        let configured: Vec<usize> = (inputs.stdlib.len()..base.len()).collect();
        if !configured.is_empty() {
            plans.push((base.clone(), configured.clone()));
        }
        for (uri, text) in &inputs.open {
            if let Some(i) = base.iter().position(|(u, _)| u == uri) {
                // A configured file is reported by the configured unit; an open stdlib file by
                // a unit of its own.
                if !configured.contains(&i) {
                    plans.push((base.clone(), vec![i]));
                }
                continue;
            }
            let mut files = base.clone();
            for need in inputs.needs.get(uri).into_iter().flatten() {
                if need.0 != *uri && !files.iter().any(|(u, _)| *u == need.0) {
                    files.push(need.clone());
                }
            }
            files.push((uri.clone(), text.clone()));
            let me = files.len() - 1;
            plans.push((files, vec![me]));
        }
        let mut units = Vec::with_capacity(plans.len());
        let mut home = HashMap::new();
        for (files, reports) in plans {
            for &i in &reports {
                home.insert(files[i].0.clone(), units.len());
            }
            let reused = previous.and_then(|p| p.units.iter().find(|u| u.same_inputs(&files) && u.reports == reports));
            units.push(match reused {
                Some(u) => u.clone(),
                None => Arc::new(Unit::build(&files, reports)),
            });
        }
        let project_files = inputs.project_files.iter().map(|(u, k, t)| ProjectFile::build(u, *k, t)).collect();
        Analysis {
            units,
            home,
            origin: inputs.origin.clone(),
            stdlib: inputs.stdlib.iter().map(|(u, _)| u.clone()).collect(),
            project_files,
            config_file: inputs.config_file.clone(),
            workspace: inputs.workspace.clone(),
        }
    }

    /// The open configuration or test file `uri`.
    pub fn project_file(&self, uri: &Uri) -> Option<&ProjectFile> {
        self.project_files.iter().find(|f| &f.uri == uri)
    }

    /// The unit that serves requests on `uri`, and the file's index in it.
    pub fn unit_of(&self, uri: &Uri) -> Option<(&Unit, &UnitFile)> {
        let unit = self.units.get(*self.home.get(uri)?)?;
        let file = unit.file_by_uri(uri)?;
        Some((unit, file))
    }

    /// Every file some unit reports diagnostics for.
    pub fn reported_files(&self) -> impl Iterator<Item = (&Unit, &UnitFile)> {
        self.units.iter().flat_map(|u| u.reports.iter().filter_map(move |&i| Some((&**u, u.files.get(i)?))))
    }
}
