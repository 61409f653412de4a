//! `rulec check`: reads rules files, runs the compiler's checker over them in load order, and
//! reports the diagnostics as text (ariadne snippets and a summary line per file) or as one JSON
//! document. Reading files and choosing the exit status happen here; checking does not.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use rulec_compiler::{Diagnostic, FileId, Severity, SourceFile};
use serde::Serialize;

use super::{EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK};
use crate::render::{JsonDiagnostic, Renderer};

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Output format: snippets and a summary for people, or one JSON document for tools.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Report errors only: warnings are neither shown nor counted.
    #[arg(long)]
    pub no_warnings: bool,

    /// Also print the rules' intermediate representation after the report (lowered and optimised,
    /// as both backends run it), when the files have no errors; with --format json, as the
    /// document's `ir`.
    #[arg(long)]
    pub emit_ir: bool,

    /// Apply the fixes that are safe to apply automatically (deprecated forms, unambiguous
    /// spellings) to the files, then report what remains. Did-you-mean guesses are not applied.
    #[arg(long)]
    pub fix: bool,

    /// Draw at most N diagnostics per file in the text report, then say how many more (0: all).
    /// The JSON report always has all of them.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub max_diagnostics: usize,

    /// With --fix: print the changes as a unified diff instead of writing the files.
    #[arg(long, requires = "fix")]
    pub diff: bool,

    /// Load the embedded stdlib ruleset first, then FILE...: the files may use, append to and
    /// override its macros, lists and rules. Diagnostics in the stdlib name its files
    /// (`stdlib-rules/...`).
    #[arg(long)]
    pub with_stdlib: bool,

    /// Rules files, loaded in this order: later files replace and append to earlier ones, as in
    /// Falco.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// The whole JSON output of `rulec check --format json`.
#[derive(Serialize, Debug)]
pub struct JsonReport {
    pub files: Vec<JsonFileSummary>,
    pub diagnostics: Vec<JsonDiagnostic>,
    /// With `--emit-ir`: the IR text, inside the document so that stdout stays one JSON document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ir: Option<String>,
}

/// Counts for one file in the JSON output.
#[derive(Serialize, Debug)]
pub struct JsonFileSummary {
    pub file: String,
    pub errors: usize,
    pub warnings: usize,
}

pub fn run(args: &CheckArgs) -> i32 {
    let read = if args.with_stdlib {
        let stdlib = std::iter::once(PathBuf::from(rulec_stdlib::NAME));
        super::stdlib::read_rules(&stdlib.chain(args.files.iter().cloned()).collect::<Vec<_>>())
    } else {
        read_files(&args.files)
    };
    let mut files = match read {
        Ok(files) => files,
        Err(message) => {
            eprintln!("rulec: {message}");
            return EXIT_CANNOT_RUN;
        }
    };
    let mut fixed = String::new();
    if args.fix && args.with_stdlib {
        eprintln!("rulec: --fix does not apply to --with-stdlib (the stdlib is embedded, not a file to write)");
        return EXIT_CANNOT_RUN;
    }
    if args.fix {
        match fix(args, &mut files) {
            Ok(report) => fixed = report,
            Err(status) => return status,
        }
    }
    let result = rulec_compiler::check::check(&files);
    let diagnostics: Vec<&Diagnostic> =
        result.diagnostics.iter().filter(|d| !(args.no_warnings && d.severity == Severity::Warning)).collect();

    // The optimised program the checker built for its analyses.
    let ir = (args.emit_ir && !result.has_errors()).then(|| result.program.to_string());
    let renderer = Renderer::new(&files);
    let output = match args.format {
        Format::Text => {
            let report = text_report(&files, &diagnostics, &renderer, super::stdout_color(), args.max_diagnostics);
            let ir = ir.map(|ir| format!("\n{ir}")).unwrap_or_default();
            fixed + &report + &ir
        }
        Format::Json => {
            // The JSON document stays one document; what was fixed goes to stderr.
            eprint!("{fixed}");
            json_report(&files, &diagnostics, &renderer, ir)
        }
    };
    if let Err(status) = super::print_stdout(&output) {
        return status;
    }
    if diagnostics.iter().any(|d| d.is_error()) { EXIT_FINDINGS } else { EXIT_OK }
}

/// `--fix`: applies the safe fixes to `files` (which then hold the fixed texts) and writes the
/// changed files, or with `--diff` returns their diff instead; returns the report of what was
/// fixed, to print before the diagnostics that remain.
fn fix(args: &CheckArgs, files: &mut [SourceFile]) -> Result<String, i32> {
    let original: Vec<String> = files.iter().map(|f| f.text.clone()).collect();
    let applied = super::check_fix::fix_files(files);
    let mut out = String::new();
    for ((file, path), old) in files.iter().zip(&args.files).zip(&original) {
        if file.text == *old {
            continue;
        }
        if args.diff {
            out.push_str(&super::check_fix::unified_diff(&file.name, old, &file.text));
        } else if let Err(e) = std::fs::write(path, &file.text) {
            eprintln!("rulec: cannot write {}: {}", file.name, io_reason(&e));
            return Err(EXIT_CANNOT_RUN);
        }
    }
    if args.diff && !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&super::check_fix::report(files, &applied, !args.diff));
    Ok(out)
}

/// Reads every file, named as the user wrote it; the first failure stops the run, since checking a
/// partial ruleset would report errors that are not there. A file that is not UTF-8 is read (its
/// bad bytes replaced) and reported by the compiler at the first bad byte (E0213).
pub(super) fn read_files(paths: &[PathBuf]) -> Result<Vec<SourceFile>, String> {
    let mut files = Vec::with_capacity(paths.len());
    for (index, path) in paths.iter().enumerate() {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read {name}: {}", io_reason(&e)))?;
        let id = FileId(u32::try_from(index).map_err(|_| "too many files".to_owned())?);
        files.push(SourceFile::from_bytes(id, name, bytes));
    }
    Ok(files)
}

/// An IO error's message without the trailing ` (os error N)`, which says nothing to a user.
fn io_reason(error: &std::io::Error) -> String {
    let message = error.to_string();
    match message.rfind(" (os error ") {
        Some(at) if message.ends_with(')') => message[..at].to_owned(),
        _ => message,
    }
}

/// Errors and warnings per file, attributed by primary location, in file order.
fn counts(files: &[SourceFile], diagnostics: &[&Diagnostic]) -> Vec<(usize, usize)> {
    files
        .iter()
        .map(|file| {
            let mine = diagnostics.iter().filter(|d| d.primary.file == file.id);
            let errors = mine.clone().filter(|d| d.is_error()).count();
            let warnings = mine.filter(|d| !d.is_error()).count();
            (errors, warnings)
        })
        .collect()
}

/// For each file, its diagnostics and then its summary line. Diagnostics that point into no
/// loaded file (a compiler bug, but not a reason to hide them) come last.
/// The text report: each file's diagnostics (at most `max_per_file` of them drawn, 0 for all,
/// then a note of how many more) and its summary line.
fn text_report(
    files: &[SourceFile],
    diagnostics: &[&Diagnostic],
    renderer: &Renderer<'_>,
    color: bool,
    max_per_file: usize,
) -> String {
    let mut out = String::new();
    for (file, (errors, warnings)) in files.iter().zip(counts(files, diagnostics)) {
        let mine: Vec<&&Diagnostic> = diagnostics.iter().filter(|d| d.primary.file == file.id).collect();
        let drawn = if max_per_file == 0 { mine.len() } else { mine.len().min(max_per_file) };
        for diagnostic in &mine[..drawn] {
            out.push_str(&renderer.text(diagnostic, color));
            out.push('\n');
        }
        if drawn < mine.len() {
            out.push_str(&format!(
                "note: {} in {} not shown (--max-diagnostics 0 shows all)\n\n",
                plural(mine.len() - drawn, "more diagnostic"),
                file.name
            ));
        }
        out.push_str(&format!("{}: {}\n", file.name, summary(errors, warnings)));
    }
    for diagnostic in diagnostics.iter().filter(|d| !files.iter().any(|f| f.id == d.primary.file)) {
        out.push_str(&renderer.text(diagnostic, color));
        out.push('\n');
    }
    out
}

/// `ok`, `ok, with 1 warning`, `2 errors, 0 warnings`.
pub fn summary(errors: usize, warnings: usize) -> String {
    match (errors, warnings) {
        (0, 0) => "ok".to_owned(),
        (0, w) => format!("ok, with {}", plural(w, "warning")),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

fn json_report(
    files: &[SourceFile],
    diagnostics: &[&Diagnostic],
    renderer: &Renderer<'_>,
    ir: Option<String>,
) -> String {
    let report = JsonReport {
        files: files
            .iter()
            .zip(counts(files, diagnostics))
            .map(|(file, (errors, warnings))| JsonFileSummary { file: file.name.clone(), errors, warnings })
            .collect(),
        diagnostics: diagnostics.iter().map(|d| renderer.json(d)).collect(),
        ir,
    };
    match serde_json::to_string_pretty(&report) {
        Ok(mut json) => {
            json.push('\n');
            json
        }
        // Serialising plain structs of strings and numbers cannot fail; should it ever, say so
        // in a form a JSON reader still accepts rather than panic.
        Err(e) => format!("{{\"error\": {}}}\n", serde_json::Value::String(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_are_grammatical() {
        assert_eq!(summary(0, 0), "ok");
        assert_eq!(summary(0, 1), "ok, with 1 warning");
        assert_eq!(summary(0, 3), "ok, with 3 warnings");
        assert_eq!(summary(1, 0), "1 error, 0 warnings");
        assert_eq!(summary(2, 1), "2 errors, 1 warning");
    }

    #[test]
    fn io_reasons_drop_the_os_error_number() {
        let e = std::io::Error::from_raw_os_error(2);
        assert!(!io_reason(&e).contains("os error"), "{}", io_reason(&e));
    }
}
