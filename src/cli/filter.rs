//! A filter expression given on the command line (`rulec bench --capture --filter`, `rulec
//! capture CONDITION`, `rulec capture print FILTER`), made into a one-rule ruleset so that the
//! normal compiler checks and compiles it and the engine evaluates it. Errors name the column in
//! the expression, which is one line.

use rulec_compiler::check::{CheckResult, check};
use rulec_compiler::{FileId, SourceFile};

/// The filter `expr` as a ruleset of one rule named `name` whose output is `output` (an output
/// format: `%field` substitutions). `what` names the expression in error messages (`--filter`).
pub fn one_rule(what: &str, name: &str, expr: &str, output: &str) -> Result<CheckResult, String> {
    let one_line = |s: &str| -> String { s.chars().map(|c| if c == '\n' || c == '\r' { ' ' } else { c }).collect() };
    let head = format!("- rule: {name}\n  desc: {name}\n  condition: |\n    ");
    let text = format!("{head}{}\n  output: |-\n    {}\n  priority: INFO\n", one_line(expr), one_line(output));
    let result = check(&[SourceFile::new(FileId(0), what, text)]);
    if result.has_errors() {
        let msgs: Vec<String> = result
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| {
                let col = (d.primary.start as usize).saturating_sub(head.len()) + 1;
                format!("{what}:1:{col}: {}: {}", d.code, d.message)
            })
            .collect();
        return Err(format!(
            "{what} has errors (fix the expression; `rulec check` explains each code): {}",
            msgs.join("; ")
        ));
    }
    Ok(result)
}
