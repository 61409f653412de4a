//! `rulec codes`: the reference of every diagnostic code, from the compiler's own table, so the
//! printed reference, `docs/diagnostics.md` and the checker can never disagree.

use clap::{Args, ValueEnum};
use rulec_compiler::diagnostic::{Code, Severity, reference_markdown};

use super::{EXIT_CANNOT_RUN, EXIT_OK};

#[derive(Args, Debug)]
pub struct CodesArgs {
    /// Markdown is the text of docs/diagnostics.md; text reads better on a terminal.
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    pub format: Format,

    /// Show one code only, by code (E0401) or by name (unknown-field).
    #[arg(value_name = "CODE")]
    pub code: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum Format {
    Markdown,
    Text,
}

pub fn run(args: &CodesArgs) -> i32 {
    let output = match &args.code {
        None => match args.format {
            Format::Markdown => reference_markdown(),
            Format::Text => Code::ALL.iter().map(|&c| text_entry(c)).collect::<Vec<_>>().join("\n"),
        },
        Some(wanted) => {
            // Codes are printed upper-case and names lower-case; accept either in any case.
            let Some(code) = Code::from_str(&wanted.to_uppercase()).or_else(|| Code::from_str(&wanted.to_lowercase()))
            else {
                eprintln!("rulec: no diagnostic code or name `{wanted}` (`rulec codes` lists them all)");
                return EXIT_CANNOT_RUN;
            };
            match args.format {
                Format::Markdown => format!(
                    "## {} `{}` ({})\n\n{}\n",
                    code.as_str(),
                    code.slug(),
                    severity_word(code.severity()),
                    code.doc()
                ),
                Format::Text => text_entry(code),
            }
        }
    };
    match super::print_stdout(&output) {
        Ok(()) => EXIT_OK,
        Err(status) => status,
    }
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// `E0401  error    unknown-field`, then the meaning wrapped and indented below it.
fn text_entry(code: Code) -> String {
    let mut out = format!("{}  {:<8} {}\n", code.as_str(), severity_word(code.severity()), code.slug());
    for line in wrap(code.doc(), 84) {
        out.push_str("       ");
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Greedy word wrap; a word longer than `width` gets a line of its own.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_word_boundaries() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(wrap("", 5), Vec::<String>::new());
        assert_eq!(wrap("longword x", 3), vec!["longword", "x"]);
    }
}
