//! `rulec stdlib list|show|doc`: the embedded default ruleset (`rulec_stdlib::FILES`) described
//! from the rules themselves. The [`Catalog`] checks and compiles the embedded files once and
//! answers per rule what `list`, `show`, the generated `docs/stdlib.md` (`stdlib_doc.rs`) and the
//! tests read: name, priority, file and line, description, tags (ATT&CK tactic and technique ids
//! among them), the event types the engine indexes the rule under, its output, and how many
//! golden cases of the embedded `*.tests.yaml` show it firing and staying quiet. Nothing here is
//! written per rule: new files and rules appear by being added to `FILES` and `TESTS`.
//!
//! Also the one conversion of the embedded files into `SourceFile`s ([`sources`], and
//! [`read_rules`] where `stdlib` may name them among rules files), which `rulec run`, `rulec
//! check --with-stdlib`, `rulec bench --rules stdlib` and `rulec test` share.

use clap::{Args, Subcommand, ValueEnum};
use rulec_compiler::check::{CheckResult, expand::expand_macros};
use rulec_compiler::ir::{EventTypes, Program};
use rulec_compiler::{FileId, Location, SourceFile};
use rulec_testing::TestFile;
use serde::Serialize;

use super::{EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK};

#[derive(Args, Debug)]
pub struct StdlibArgs {
    #[command(subcommand)]
    pub command: StdlibCommand,
}

#[derive(Subcommand, Debug)]
pub enum StdlibCommand {
    /// A table of the stdlib's rules: name, priority, file, ATT&CK tactic ids.
    List {
        /// A table for people, or one JSON document (every fact `doc` prints) for tools.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// A rule, macro or list of the stdlib by name: its YAML as written, with file and line (for
    /// a rule or macro, also its condition with every macro expanded).
    Show {
        /// The rule, macro or list name, as written after `rule:`, `macro:` or `list:`.
        name: String,
    },
    /// The reference page of every rule, in Markdown (the text of docs/stdlib.md).
    Doc,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

pub fn run(args: &StdlibArgs) -> i32 {
    let catalog = Catalog::load();
    if catalog.result.has_errors() {
        // The embedded files are tested to check clean; should that ever break, say so rather
        // than describe a ruleset that does not run.
        eprintln!("rulec stdlib: the embedded stdlib has errors; `rulec check --with-stdlib` shows them");
        return EXIT_FINDINGS;
    }
    let out = match &args.command {
        StdlibCommand::List { format: ListFormat::Text } => list_text(&catalog),
        StdlibCommand::List { format: ListFormat::Json } => list_json(&catalog),
        StdlibCommand::Show { name } => match show(&catalog, name) {
            Ok(text) => text,
            Err(message) => {
                eprintln!("rulec stdlib show: {message}");
                return EXIT_CANNOT_RUN;
            }
        },
        StdlibCommand::Doc => super::stdlib_doc::markdown(&catalog),
    };
    match super::print_stdout(&out) {
        Ok(()) => EXIT_OK,
        Err(status) => status,
    }
}

/// The embedded stdlib files as source files, numbered from `first` (so a caller can load them
/// before or after its own files).
pub fn sources(first: u32) -> Vec<SourceFile> {
    rulec_stdlib::FILES
        .iter()
        .enumerate()
        .map(|(i, f)| SourceFile::new(FileId(first + i as u32), f.path, f.text.to_string()))
        .collect()
}

/// Whether a path given as a rules file names the embedded stdlib (`stdlib`; `./stdlib` is a
/// file of that name).
pub fn is_stdlib(path: &std::path::Path) -> bool {
    path.as_os_str() == rulec_stdlib::NAME
}

/// Reads rules files in order as `rulec check` does, `stdlib` standing for the embedded files
/// (`rulec run --rules`, `rulec bench --rules`, `rulec check --with-stdlib`).
pub fn read_rules(paths: &[std::path::PathBuf]) -> Result<Vec<SourceFile>, String> {
    let mut files: Vec<SourceFile> = Vec::new();
    for path in paths {
        if is_stdlib(path) {
            files.extend(sources(files.len() as u32));
            continue;
        }
        for mut file in super::check::read_files(std::slice::from_ref(path))? {
            file.id = FileId(files.len() as u32);
            files.push(file);
        }
    }
    Ok(files)
}

/// The stdlib checked and compiled, with its golden tests parsed.
pub struct Catalog {
    pub files: Vec<SourceFile>,
    pub result: CheckResult,
    /// The compiled program (absent when the files have errors).
    program: Option<Program>,
    tests: Vec<TestFile>,
}

/// What the catalog knows of one rule.
#[derive(Serialize, Debug)]
pub struct RuleInfo {
    pub name: String,
    pub priority: &'static str,
    pub enabled: bool,
    pub file: String,
    pub line: u32,
    pub desc: String,
    pub tags: Vec<String>,
    /// The `TA00NN` tags: ATT&CK tactics.
    pub tactics: Vec<String>,
    /// The `TNNNN` and `TNNNN.NNN` tags: ATT&CK techniques and sub-techniques.
    pub techniques: Vec<String>,
    /// The event types the rule can match, as the engine indexes it; `None` for every type.
    pub event_types: Option<Vec<String>>,
    /// The output format as written (trimmed).
    pub output: String,
    /// Golden cases of the stdlib's test files that expect the rule to fire.
    pub positive: usize,
    /// Golden cases that name the rule and expect it to stay quiet.
    pub negative: usize,
}

/// An ATT&CK tactic id: `TA` and four digits.
pub fn is_tactic(tag: &str) -> bool {
    tag.strip_prefix("TA").is_some_and(|d| d.len() == 4 && d.bytes().all(|b| b.is_ascii_digit()))
}

/// An ATT&CK technique id: `T` and four digits, with an optional `.NNN` sub-technique.
pub fn is_technique(tag: &str) -> bool {
    let Some(rest) = tag.strip_prefix('T') else { return false };
    let (main, sub) = rest.split_once('.').map_or((rest, None), |(m, s)| (m, Some(s)));
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    digits(main, 4) && sub.is_none_or(|s| digits(s, 3))
}

impl Catalog {
    pub fn load() -> Catalog {
        let files = sources(0);
        let result = rulec_compiler::check::check(&files);
        let program = (!result.has_errors()).then(|| rulec_compiler::compile(&result));
        let tests = rulec_stdlib::TESTS
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let source = SourceFile::new(FileId(1_000_000 + i as u32), f.path, f.text.to_string());
                rulec_testing::parse(&source).0
            })
            .collect();
        Catalog { files, result, program, tests }
    }

    /// Every rule of the stdlib, in load order.
    pub fn rules(&self) -> Vec<RuleInfo> {
        let ruleset = &self.result.ruleset;
        ruleset
            .rules
            .iter()
            .filter_map(|r| {
                let def = ruleset.loaded.rules.get(r.index)?;
                let (file, line) = self.place(def.loc);
                let tags: Vec<String> = def.tags.iter().map(|(t, _)| t.clone()).collect();
                let types = match self.program.as_ref().and_then(|p| p.rules.iter().find(|ir| ir.name == r.name)) {
                    Some(ir) => &ir.event_types,
                    None => &r.event_types,
                };
                let (positive, negative) = self.tests.iter().fold((0, 0), |(p, n), t| {
                    let (dp, dn) = rulec_testing::case_counts(t, &r.name);
                    (p + dp, n + dn)
                });
                Some(RuleInfo {
                    name: r.name.clone(),
                    priority: def.priority.as_str(),
                    enabled: r.enabled,
                    file,
                    line,
                    desc: one_paragraph(def.desc.as_str()),
                    tactics: tags.iter().filter(|t| is_tactic(t)).cloned().collect(),
                    techniques: tags.iter().filter(|t| is_technique(t)).cloned().collect(),
                    tags,
                    event_types: match types {
                        EventTypes::All => None,
                        EventTypes::Some(set) => Some(set.iter().cloned().collect()),
                    },
                    output: one_paragraph(def.output.as_str()),
                    positive,
                    negative,
                })
            })
            .collect()
    }

    /// The file name and 1-based line of a location.
    fn place(&self, loc: Location) -> (String, u32) {
        match self.files.get(loc.file.0 as usize) {
            Some(f) => (f.name.clone(), f.line_col(loc.start as usize).line),
            None => (String::new(), 0),
        }
    }

    /// The lines of the file that hold `loc`, whole, as written.
    fn source_lines(&self, loc: Location) -> String {
        let Some(f) = self.files.get(loc.file.0 as usize) else { return String::new() };
        let text = f.text.as_str();
        let start = text[..(loc.start as usize).min(text.len())].rfind('\n').map_or(0, |i| i + 1);
        let end = (loc.end as usize).min(text.len());
        let end = text[end..].find('\n').map_or(text.len(), |i| end + i);
        text[start..end].trim_end().to_owned()
    }
}

/// A YAML scalar's text with its line breaks folded into spaces.
fn one_paragraph(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn list_text(catalog: &Catalog) -> String {
    let rules = catalog.rules();
    let rows: Vec<[String; 4]> = rules
        .iter()
        .map(|r| [r.name.clone(), r.priority.to_owned(), format!("{}:{}", r.file, r.line), r.tactics.join(",")])
        .collect();
    let header = ["RULE", "PRIORITY", "FILE", "TACTICS"].map(str::to_owned);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str(&format!("{} rules\n", rules.len()));
    out
}

fn list_json(catalog: &Catalog) -> String {
    match serde_json::to_string_pretty(&catalog.rules()) {
        Ok(json) => json + "\n",
        Err(e) => format!("{{\"error\": {}}}\n", serde_json::Value::String(e.to_string())),
    }
}

/// The rule, macro or list `name` as written, with where; or why not.
fn show(catalog: &Catalog, name: &str) -> Result<String, String> {
    let ruleset = &catalog.result.ruleset;
    let loaded = &ruleset.loaded;
    let mut out = String::new();
    let mut parts = |kind: &str, loc: Location, updates: &[Location]| {
        for (i, l) in std::iter::once(&loc).chain(updates).enumerate() {
            let (file, line) = catalog.place(*l);
            let what = if i == 0 { format!("{kind} `{name}`") } else { "updated by".to_owned() };
            out.push_str(&format!("# {what} at {file}:{line}\n{}\n", catalog.source_lines(*l)));
        }
    };
    if let Some(rule) = ruleset.rules.iter().find(|r| r.name == name) {
        let Some(def) = loaded.rules.get(rule.index) else { return Err(format!("rule `{name}` has no definition")) };
        parts("rule", def.loc, &def.updated_by);
        if let Some(expr) = &rule.expr {
            out.push_str(&format!("\n# condition with macros expanded\n{}\n", expand_macros(ruleset, expr)));
        }
        if let EventTypes::Some(types) = &rule.event_types {
            let names: Vec<&str> = types.iter().map(String::as_str).collect();
            out.push_str(&format!("\n# event types: {}\n", names.join(", ")));
        }
        return Ok(out);
    }
    if let Some(i) = loaded.macros.iter().position(|m| m.name == name) {
        let def = &loaded.macros[i];
        parts("macro", def.loc, &def.updated_by);
        if let Some(Some(expr)) = ruleset.macro_exprs.get(i) {
            let expanded = expand_macros(ruleset, expr);
            if expanded.to_string() != expr.to_string() {
                out.push_str(&format!("\n# condition with macros expanded\n{expanded}\n"));
            }
        }
        return Ok(out);
    }
    if let Some(def) = loaded.lists.iter().find(|l| l.name == name) {
        parts("list", def.loc, &def.updated_by);
        return Ok(out);
    }
    let names = loaded
        .rules
        .iter()
        .map(|r| r.name.as_str())
        .chain(loaded.macros.iter().map(|m| m.name.as_str()))
        .chain(loaded.lists.iter().map(|l| l.name.as_str()));
    let hint = match rulec_compiler::schema::closest(name, names) {
        Some(near) => format!("; did you mean `{near}`?"),
        None => "; `rulec stdlib list` lists the rules".to_owned(),
    };
    Err(format!("no rule, macro or list named `{name}` in the stdlib{hint}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_ids_are_recognised_by_shape() {
        assert!(is_tactic("TA0006"));
        assert!(!is_tactic("TA006") && !is_tactic("T1552") && !is_tactic("mitre_persistence"));
        assert!(is_technique("T1552") && is_technique("T1552.004"));
        assert!(!is_technique("TA0006") && !is_technique("T1552.04") && !is_technique("T155"));
    }

    #[test]
    fn show_suggests_a_near_name() {
        let catalog = Catalog::load();
        let err = show(&catalog, "spawned_proces").unwrap_err();
        assert!(err.contains("did you mean `spawned_process`"), "{err}");
        let shown = show(&catalog, "shell_binaries").unwrap();
        assert!(shown.starts_with("# list `shell_binaries` at stdlib-rules/"), "{shown}");
        assert!(shown.contains("- list: shell_binaries\n  items: ["), "{shown}");
    }
}
