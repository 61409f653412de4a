//! What a condition expects at the cursor, read from the text before it: an operand (field,
//! macro, `not`), an operator for a field, a value, a list item, `and`/`or`, or a field argument.
//!
//! Completion runs on half-typed conditions that do not parse, so this is a small tolerant
//! scanner with a state machine over the tokens, not the grammar's parser.

use rulec_compiler::schema::schema;
use rulec_grammar::ast::{Op, Transformer};

/// What may come at the cursor.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Expect {
    /// A field, macro, `not`, `(` or transformer.
    Operand,
    /// After a word in operand position: an operator if the word is a field, `and`/`or` if it is a
    /// macro. `None`: after a transformer call.
    AfterOperand(Option<String>),
    /// A value compared with `field` by `op`.
    Value { field: Option<String>, op: Op },
    /// An item of a parenthesised list compared with `field`.
    ListItem { field: Option<String> },
    /// `and`, `or`.
    Conjunction,
    /// The argument of `field[`.
    FieldArg { field: String },
    /// Inside a quoted string: nothing to offer.
    InString,
}

/// The expectation at the end of `prefix`, and where the word being typed starts.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CondContext {
    pub expect: Expect,
    /// Byte offset in the prefix where the word under the cursor starts.
    pub typed_start: usize,
}

fn is_word_char(c: char) -> bool {
    !(c.is_whitespace() || matches!(c, '(' | ')' | ',' | '"' | '\'' | '=' | '<' | '>' | '!' | '[' | ']'))
}

#[derive(Debug)]
enum Tok {
    Word(String),
    Str,
    LParen,
    RParen,
    Comma,
    Sym(String),
}

#[derive(Debug)]
enum Frame {
    Group,
    List,
    /// A transformer call; `rhs`: on the right side of a comparison.
    Transform {
        rhs: bool,
    },
}

/// Scans `prefix` (the condition up to the cursor).
pub fn context(prefix: &str) -> CondContext {
    let mut toks = Vec::new();
    let chars: Vec<(usize, char)> = prefix.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '"' | '\'' => {
                let mut j = i + 1;
                let mut closed = false;
                while j < chars.len() {
                    match chars[j].1 {
                        '\\' => j += 2,
                        q if q == c => {
                            closed = true;
                            j += 1;
                            break;
                        }
                        _ => j += 1,
                    }
                }
                if !closed {
                    return CondContext { expect: Expect::InString, typed_start: prefix.len() };
                }
                toks.push((at, Tok::Str));
                i = j;
            }
            '(' => {
                toks.push((at, Tok::LParen));
                i += 1;
            }
            ')' => {
                toks.push((at, Tok::RParen));
                i += 1;
            }
            ',' => {
                toks.push((at, Tok::Comma));
                i += 1;
            }
            '=' | '<' | '>' | '!' => {
                let two = chars.get(i + 1).is_some_and(|&(_, n)| n == '=');
                let end = if two { i + 2 } else { i + 1 };
                let s: String = chars[i..end.min(chars.len())].iter().map(|&(_, c)| c).collect();
                toks.push((at, Tok::Sym(s)));
                i = end;
            }
            ']' => i += 1,
            '[' => {
                // A bracket argument belongs to the word before it.
                let mut j = i + 1;
                while j < chars.len() && chars[j].1 != ']' {
                    j += 1;
                }
                if j >= chars.len() {
                    let field = match toks.last() {
                        Some((_, Tok::Word(w))) => w.clone(),
                        _ => String::new(),
                    };
                    return CondContext { expect: Expect::FieldArg { field }, typed_start: at + 1 };
                }
                i = j + 1;
            }
            _ => {
                let mut j = i;
                while j < chars.len() && is_word_char(chars[j].1) {
                    j += 1;
                }
                let end = chars.get(j).map_or(prefix.len(), |&(o, _)| o);
                toks.push((at, Tok::Word(prefix[at..end].to_owned())));
                i = j.max(i + 1);
            }
        }
    }
    // The word touching the cursor is being typed: it is what completion replaces.
    let mut typed_start = prefix.len();
    if prefix.chars().next_back().is_some_and(is_word_char)
        && let Some((at, Tok::Word(_))) = toks.last()
    {
        typed_start = *at;
        toks.pop();
    }
    CondContext { expect: run(&toks), typed_start }
}

fn run(toks: &[(usize, Tok)]) -> Expect {
    let mut stack: Vec<Frame> = Vec::new();
    let mut st = Expect::Operand;
    // After a transformer name: whether it is on the right side of a comparison.
    let mut callable: Option<bool> = None;
    for (_, t) in toks {
        let was_callable = callable.take();
        st = match (st, t) {
            (_, Tok::LParen) if was_callable.is_some() => {
                stack.push(Frame::Transform { rhs: was_callable == Some(true) });
                Expect::Operand
            }
            (Expect::Operand, Tok::Word(w)) if w == "not" => Expect::Operand,
            (Expect::Operand, Tok::Word(w)) => {
                let inner_rhs = matches!(stack.last(), Some(Frame::Transform { rhs: true }));
                callable = Transformer::from_str(w).is_some().then_some(inner_rhs);
                Expect::AfterOperand(Some(w.clone()))
            }
            (Expect::Operand, Tok::LParen) => {
                stack.push(Frame::Group);
                Expect::Operand
            }
            (Expect::AfterOperand(_) | Expect::Conjunction, Tok::Word(w)) if w == "and" || w == "or" => Expect::Operand,
            (Expect::AfterOperand(f), Tok::Word(w)) if Op::from_str(w).is_some() => {
                op_state(f, Op::from_str(w).unwrap_or(Op::Eq))
            }
            (Expect::AfterOperand(f), Tok::Sym(s)) => op_state(f, Op::from_str(s).unwrap_or(Op::Eq)),
            (Expect::Value { field, op }, Tok::Word(w)) if matches!(w.as_str(), "oneof" | "anyof" | "allof") => {
                Expect::Value { field, op }
            }
            (Expect::Value { field, .. }, Tok::LParen) => {
                stack.push(Frame::List);
                Expect::ListItem { field }
            }
            (Expect::Value { .. }, Tok::Word(w)) => {
                // `val(` or `tolower(` on the right side: the call is the value.
                callable = Transformer::from_str(w).is_some().then_some(true);
                Expect::Conjunction
            }
            (Expect::Value { .. }, Tok::Str) => Expect::Conjunction,
            (s @ Expect::ListItem { .. }, Tok::Word(_) | Tok::Str | Tok::Comma) => s,
            (_, Tok::Comma) if matches!(stack.last(), Some(Frame::Transform { .. })) => Expect::Operand,
            (_, Tok::RParen) => match stack.pop() {
                Some(Frame::Transform { rhs: false }) => Expect::AfterOperand(None),
                Some(Frame::Transform { rhs: true })
                    if matches!(stack.last(), Some(Frame::Transform { rhs: true })) =>
                {
                    Expect::Operand
                }
                _ => Expect::Conjunction,
            },
            // Anything else is an error the checker reports; restart at an operand.
            (_, _) => Expect::Operand,
        };
    }
    st
}

fn op_state(field: Option<String>, op: Op) -> Expect {
    if op == Op::Exists { Expect::Conjunction } else { Expect::Value { field, op } }
}

/// The field a written word names, without any bracket argument.
pub fn field_of(word: &str) -> Option<&'static rulec_compiler::schema::FieldInfo> {
    let name = word.split('[').next().unwrap_or(word);
    schema().resolve_field(name).map(|(f, _)| f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(s: &str) -> (Expect, usize) {
        let c = context(s);
        (c.expect, c.typed_start)
    }

    #[test]
    fn states() {
        assert_eq!(ctx(""), (Expect::Operand, 0));
        assert_eq!(ctx("proc.na"), (Expect::Operand, 0));
        assert_eq!(ctx("a and not pro"), (Expect::Operand, 10));
        assert_eq!(ctx("proc.name "), (Expect::AfterOperand(Some("proc.name".into())), 10));
        assert_eq!(ctx("proc.name sta"), (Expect::AfterOperand(Some("proc.name".into())), 10));
        assert_eq!(ctx("evt.type = op"), (Expect::Value { field: Some("evt.type".into()), op: Op::Eq }, 11));
        assert_eq!(ctx("evt.type in (open, op"), (Expect::ListItem { field: Some("evt.type".into()) }, 19));
        assert_eq!(ctx("evt.type in (open) "), (Expect::Conjunction, 19));
        assert_eq!(ctx("(a or b) an"), (Expect::Conjunction, 9));
        assert_eq!(ctx("proc.name = \"x"), (Expect::InString, 14));
        assert_eq!(ctx("proc.aname["), (Expect::FieldArg { field: "proc.aname".into() }, 11));
        assert_eq!(ctx("tolower(proc.name) "), (Expect::AfterOperand(None), 19));
        assert_eq!(ctx("proc.name exists "), (Expect::Conjunction, 17));
        assert_eq!(ctx("proc.name = val(proc.pname) "), (Expect::Conjunction, 28));
        assert_eq!(ctx("proc.name contains x and "), (Expect::Operand, 25));
    }
}
