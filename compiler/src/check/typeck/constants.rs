//! Right-hand constants parsed for the type of what they are compared with (numbers, booleans,
//! addresses, ports, event types, hex, regexes, globs), and the warnings about them: a value that
//! looks like a field, a regex a simpler operator could express.

use super::*;

impl Lowering<'_, '_> {
    /// Parses a constant for comparison with `lhs` by `op`.
    pub(super) fn parse_const(&mut self, value: &str, span: Span, lhs: &Value, op: Op) -> Option<Const> {
        let ty = lhs.ty();
        let bad = |this: &mut Self, code: Code, msg: String, hint: Option<String>| {
            let mut d = this.error(code, span, msg);
            if let Some(h) = hint {
                d = d.with_hint(h);
            }
            this.push(d);
            None
        };
        match schema::operator(op).rhs {
            schema::Rhs::Hex => {
                return match decode_hex(value) {
                    Some(b) => Some(Const::Bytes(b)),
                    None => bad(
                        self,
                        Code::InvalidHex,
                        format!("`{}` needs hex bytes, found `{value}`", op.as_str()),
                        Some("write an even number of hex digits, e.g. `7f454c46`".into()),
                    ),
                };
            }
            schema::Rhs::Regex => {
                return match regex::Regex::new(&format!("^(?:{value})$")) {
                    Ok(_) => Some(Const::Str(value.to_owned())),
                    Err(e) => {
                        bad(self, Code::InvalidRegex, format!("invalid regex: {}", first_line(&e.to_string())), None)
                    }
                };
            }
            schema::Rhs::Glob => {
                return match glob_error(value) {
                    None => Some(Const::Str(value.to_owned())),
                    Some(msg) => bad(self, Code::InvalidGlob, format!("invalid pattern `{value}`: {msg}"), None),
                };
            }
            schema::Rhs::Text => {
                return Some(if ty == FieldType::ByteBuf {
                    Const::Bytes(value.as_bytes().to_vec())
                } else {
                    Const::Str(value.to_owned())
                });
            }
            schema::Rhs::Typed | schema::Rhs::Nothing => {}
        }
        let field_name = match lhs {
            Value::Field(f) => f.field.name,
            Value::Transform { .. } => "",
        };
        match ty {
            FieldType::CharBuf => {
                if field_name == "evt.type" && matches!(op, Op::Eq | Op::Ne | Op::In | Op::Intersects) {
                    let schema = schema::schema();
                    if !schema.is_event_name(value) {
                        // `skip-if-unknown-filter` skips the rule for this too (W0113).
                        if self.skip_unknown_fields {
                            self.unknown_field = true;
                            return None;
                        }
                        let mut d = self.error(Code::UnknownEventType, span, format!("unknown event type `{value}`"));
                        if let Some(s) = crate::check::suggest(value, schema.event_names()) {
                            d = self.with_suggestion(d, span, s);
                        }
                        self.push(d);
                        return None;
                    }
                }
                Some(Const::Str(value.to_owned()))
            }
            FieldType::ByteBuf => Some(Const::Bytes(value.as_bytes().to_vec())),
            FieldType::Bool => match value {
                "true" => Some(Const::Bool(true)),
                "false" => Some(Const::Bool(false)),
                _ => bad(
                    self,
                    Code::InvalidValue,
                    format!("`{value}` is not a bool"),
                    Some("write `true` or `false`".into()),
                ),
            },
            FieldType::Double => match value.parse::<f64>() {
                Ok(x) if x.is_finite() => Some(Const::Double(x)),
                _ => bad(self, Code::InvalidValue, format!("`{value}` is not a number"), None),
            },
            FieldType::Port => match parse_uint(value) {
                Some(n) if n <= u64::from(u16::MAX) => Some(Const::Uint(n)),
                Some(_) => bad(self, Code::InvalidValue, format!("`{value}` is not a port (0-65535)"), None),
                None => match schema::service_port(value) {
                    Some(p) => Some(Const::Uint(u64::from(p))),
                    None => bad(
                        self,
                        Code::InvalidValue,
                        format!("`{value}` is neither a port number nor a known service name"),
                        Some("write a number, or a service name such as `ssh`, `http`, `https`".into()),
                    ),
                },
            },
            FieldType::IpAddr | FieldType::IpNet => match parse_net(value) {
                Some((addr, None)) if ty == FieldType::IpAddr => Some(Const::Ip(addr)),
                Some((addr, prefix)) => {
                    Some(Const::Net { addr, prefix: prefix.unwrap_or(if addr.is_ipv4() { 32 } else { 128 }) })
                }
                None => bad(
                    self,
                    Code::InvalidValue,
                    format!("`{value}` is not an IP address or network"),
                    Some("write an address (`10.0.0.1`, `::1`) or a CIDR network (`10.0.0.0/8`)".into()),
                ),
            },
            FieldType::Dyn => Some(match parse_int(value) {
                Some(n) => Const::Int(n),
                None => Const::Str(value.to_owned()),
            }),
            t if t.is_signed() => match parse_int(value) {
                Some(n) => Some(Const::Int(n)),
                None => bad(self, Code::InvalidValue, format!("`{value}` is not an integer"), None),
            },
            _ => match parse_uint(value) {
                Some(n) => Some(Const::Uint(n)),
                None => bad(
                    self,
                    Code::InvalidValue,
                    format!("`{value}` is not a non-negative integer ({})", ty.name()),
                    None,
                ),
            },
        }
    }

    /// W0107: `proc.name = proc.pname` compares with the string "proc.pname".
    pub(super) fn warn_field_as_string(&mut self, lit: &Literal) {
        if lit.quote.is_some() || !lit.value.contains('.') {
            return;
        }
        if schema::schema().resolve_field(&lit.value).is_some() {
            let d = self.error(
                Code::FieldAsString,
                lit.span,
                format!("`{}` is compared as a string, not as the field of that name", lit.value),
            );
            let mut d = d.with_hint(format!(
                "to compare with the field's value, write `val({})`; to mean the text, quote it",
                lit.value
            ));
            // Quoting is the other reading, but which quote fits depends on the YAML scalar
            // around the condition, which only the file's reader knows (the language server
            // offers it).
            if let Some(at) = self.exact_loc(lit.span) {
                let title = format!("Write `val({})` (compare with the field's value)", lit.value);
                d = d.with_fix(Fix::replace(title, at, format!("val({})", lit.value)));
            }
            self.push(d);
        }
    }

    /// W0108: a regex that a simpler operator can express.
    pub(super) fn warn_simple_regex(&mut self, pattern: &str, span: Span) {
        let is_lit = |s: &str| !s.is_empty() && !s.chars().any(|c| "\\.^$*+?()[]{}|".contains(c));
        let better = if is_lit(pattern) {
            Some(format!("= {pattern}"))
        } else if let Some(p) = pattern.strip_suffix(".*").filter(|p| is_lit(p)) {
            Some(format!("startswith {p}"))
        } else if let Some(p) = pattern.strip_prefix(".*").and_then(|p| p.strip_suffix(".*")).filter(|p| is_lit(p)) {
            Some(format!("contains {p}"))
        } else {
            pattern.strip_prefix(".*").filter(|p| is_lit(p)).map(|p| format!("endswith {p}"))
        };
        if let Some(b) = better {
            let d = self.error(Code::RegexCouldBeSimpler, span, format!("this regex can be written `{b}`"));
            self.push(d.with_hint("simpler operators are faster and easier to read"));
        }
    }
}

/// The regex crate's message is a multi-line drawing; keep its last line, the explanation.
pub(super) fn first_line(s: &str) -> &str {
    let last = s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(s).trim();
    last.strip_prefix("error: ").unwrap_or(last)
}

pub(super) fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() || s.len() % 2 != 0 || !s.is_ascii() {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

pub(super) fn parse_uint(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

pub(super) fn parse_int(s: &str) -> Option<i64> {
    match s.strip_prefix('-') {
        Some(rest) => parse_uint(rest).and_then(|n| i64::try_from(n).ok()).map(|n| -n),
        None => parse_uint(s).and_then(|n| i64::try_from(n).ok()),
    }
}

/// An address, or a network `addr/prefix`.
pub(super) fn parse_net(s: &str) -> Option<(IpAddr, Option<u8>)> {
    match s.split_once('/') {
        None => Some((s.parse().ok()?, None)),
        Some((a, p)) => {
            let addr: IpAddr = a.parse().ok()?;
            let prefix: u8 = p.parse().ok()?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            (prefix <= max).then_some((addr, Some(prefix)))
        }
    }
}

/// Why a glob pattern is malformed (an unclosed `[`, or a trailing backslash), if it is.
pub(super) fn glob_error(p: &str) -> Option<&'static str> {
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if chars.next().is_none() {
                    return Some("it ends with a lone backslash");
                }
            }
            '[' => {
                // A `]` right after `[` (or after `[!` / `[^`) is a member, not the end.
                let mut first = true;
                loop {
                    match chars.next() {
                        None => return Some("a `[` is not closed"),
                        Some(']') if !first => break,
                        Some('!' | '^') if first => continue,
                        _ => {}
                    }
                    first = false;
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::glob_error;

    #[test]
    fn glob_brackets() {
        assert_eq!(glob_error("/tmp/[ab]*"), None);
        assert_eq!(glob_error("[]]"), None);
        assert_eq!(glob_error("[!]x]"), None);
        assert!(glob_error("/tmp/[ab").is_some());
        assert!(glob_error("[!]").is_some());
        assert!(glob_error("abc\\").is_some());
    }
}
