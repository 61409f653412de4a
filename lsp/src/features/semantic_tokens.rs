//! Semantic tokens for the condition and output strings inside the YAML: fields, operators,
//! macros, lists, literals, keywords and transformers, plus the names of items where they are
//! defined.
//!
//! Tokens come from the index, whose locations are exact in every scalar style. LSP tokens are
//! single-line and measured in UTF-16 units, so a token that a YAML line break splits (a quoted
//! literal folded over two lines) becomes one token per line.

use tower_lsp_server::ls_types as lsp;

use crate::analysis::Analysis;
use crate::index::OccKind;

/// The token types, in legend order.
pub const TOKEN_TYPES: &[lsp::SemanticTokenType] = &[
    lsp::SemanticTokenType::PROPERTY,
    lsp::SemanticTokenType::OPERATOR,
    lsp::SemanticTokenType::MACRO,
    lsp::SemanticTokenType::VARIABLE,
    lsp::SemanticTokenType::STRING,
    lsp::SemanticTokenType::NUMBER,
    lsp::SemanticTokenType::KEYWORD,
    lsp::SemanticTokenType::FUNCTION,
    lsp::SemanticTokenType::CLASS,
];
/// The modifiers, in legend order.
pub const TOKEN_MODIFIERS: &[lsp::SemanticTokenModifier] = &[lsp::SemanticTokenModifier::DECLARATION];

pub fn legend() -> lsp::SemanticTokensLegend {
    lsp::SemanticTokensLegend { token_types: TOKEN_TYPES.to_vec(), token_modifiers: TOKEN_MODIFIERS.to_vec() }
}

fn type_index(kind: OccKind) -> u32 {
    match kind {
        OccKind::Field => 0,
        OccKind::Operator => 1,
        OccKind::Macro => 2,
        OccKind::List => 3,
        OccKind::String => 4,
        OccKind::Number => 5,
        OccKind::Keyword => 6,
        OccKind::Transformer => 7,
        OccKind::Rule => 8,
    }
}

/// One token before delta encoding: line, UTF-16 start column, UTF-16 length, type, modifiers.
#[derive(Clone, Copy, PartialEq, Eq, Debug, PartialOrd, Ord)]
pub struct Token {
    pub line: u32,
    pub col: u32,
    pub len: u32,
    pub ty: u32,
    pub mods: u32,
}

/// The tokens of a file, absolute and sorted.
pub fn tokens(analysis: &Analysis, uri: &lsp::Uri) -> Vec<Token> {
    let Some((unit, file)) = analysis.unit_of(uri) else { return Vec::new() };
    let Some(occs) = unit.occurrences().get(file.source.id.0 as usize) else { return Vec::new() };
    let src = &file.source;
    let mut out = Vec::new();
    for o in occs {
        // Exception comparison operators are written as YAML list items; item names are
        // highlighted only where they are defined (append items would look like definitions).
        if o.kind == OccKind::Rule && !o.def {
            continue;
        }
        let ty = type_index(o.kind);
        let mods = u32::from(o.def);
        let (start, end) = (o.loc.start as usize, o.loc.end as usize);
        if end <= start {
            continue;
        }
        let (l0, c0) = src.line_col_utf16(start);
        let (l1, c1) = src.line_col_utf16(end);
        if l0 == l1 {
            out.push(Token { line: l0, col: c0, len: c1 - c0, ty, mods });
            continue;
        }
        // Split at line breaks: the first line to its end, whole middle lines, the last line from
        // its indentation.
        for line in l0..=l1 {
            let text = src.line_text(line as usize);
            let width: u32 = text.chars().map(|c| c.len_utf16() as u32).sum();
            let indent: u32 = text.chars().take_while(|c| *c == ' ' || *c == '\t').count() as u32;
            let (from, to) = match line {
                l if l == l0 => (c0, width),
                l if l == l1 => (indent, c1),
                _ => (indent, width),
            };
            if to > from {
                out.push(Token { line, col: from, len: to - from, ty, mods });
            }
        }
    }
    out.sort();
    // Overlapping tokens are not allowed: keep the first of any overlap.
    let mut kept: Vec<Token> = Vec::with_capacity(out.len());
    for t in out {
        if let Some(last) = kept.last()
            && last.line == t.line
            && t.col < last.col + last.len
        {
            continue;
        }
        kept.push(t);
    }
    kept
}

/// The tokens of a file, delta-encoded as LSP wants.
pub fn semantic_tokens(analysis: &Analysis, uri: &lsp::Uri) -> lsp::SemanticTokens {
    let mut data = Vec::new();
    let (mut line, mut col) = (0u32, 0u32);
    for t in tokens(analysis, uri) {
        let delta_line = t.line - line;
        let delta_start = if delta_line == 0 { t.col - col } else { t.col };
        data.push(lsp::SemanticToken {
            delta_line,
            delta_start,
            length: t.len,
            token_type: t.ty,
            token_modifiers_bitset: t.mods,
        });
        line = t.line;
        col = t.col;
    }
    lsp::SemanticTokens { result_id: None, data }
}
