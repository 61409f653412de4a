//! The server's view of the workspace at one moment: which files are checked together (check
//! units), each unit's check result, and each file's own items and YAML tree.
//!
//! A snapshot is immutable and built from texts only (the server reads files; this module does
//! no IO), so every feature is a pure function of an [`Analysis`] and a request, testable without
//! a client. Rebuilding reuses every unit whose input texts did not change.
//!
//! Load order: the embedded stdlib first (setting `rulec.stdlib`, on by default), then the
//! configured `rulec.rulesFiles`, in that order, as one unit; every open file that is not among
//! them is checked as those files followed by itself (Falco's `-r a -r b`), which is a unit of
//! its own. With no configured files, each open file is checked after the stdlib alone (or
//! alone). The stdlib's files are never reported on unless open: an open stdlib file is checked
//! in its place in the stdlib, with its buffer's text.
//!
//! The stdlib's files are named by the server: the workspace's own `stdlib-rules/...` file when
//! it exists (go to definition opens it), else a [`STDLIB_SCHEME`] URI over the embedded text,
//! which no client can open: navigation leaves such locations out, and hover shows the
//! definition instead.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use rulec_compiler::check::{CheckResult, check};
use rulec_compiler::items::{Item, read_items};
use rulec_compiler::yaml::{self, Node};
use rulec_compiler::{FileId, SourceFile};
use tower_lsp_server::ls_types::Uri;

use crate::index::{self, Occurrence};

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
        Analysis { units, home }
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
