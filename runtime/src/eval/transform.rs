//! Transformers computed from their input slots (`tolower`, `toupper`, `b64`, `basename`,
//! `len`, `join`, `concat`, `getopt`), with the semantics the module doc of `eval` gives.

use super::*;

pub(super) fn map_text(v: &Value, f: fn(&[u8]) -> Vec<u8>) -> Option<Value> {
    match v {
        Value::Str(s) => Some(Value::Str(String::from_utf8_lossy(&f(s.as_bytes())).into_owned())),
        Value::Bytes(b) => Some(Value::Bytes(f(b))),
        Value::List(xs) => Some(Value::List(xs.iter().filter_map(|x| map_text(x, f)).collect())),
        _ => None,
    }
}

pub(super) fn text_value(b: Vec<u8>) -> Value {
    match String::from_utf8(b) {
        Ok(s) => Value::Str(s),
        Err(e) => Value::Bytes(e.into_bytes()),
    }
}

/// Standard base64 (`+/`), padding optional; `None` when the text does not decode.
pub fn b64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let body = {
        let mut end = s.len();
        while end > 0 && s[end - 1] == b'=' {
            end -= 1;
        }
        if s.len() - end > 2 {
            return None;
        }
        &s[..end]
    };
    if body.len() % 4 == 1 {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    for chunk in body.chunks(4) {
        let mut acc = 0u32;
        for &c in chunk {
            acc = (acc << 6) | val(c)?;
        }
        match chunk.len() {
            4 => out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]),
            3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
            2 => out.push((acc >> 4) as u8),
            _ => return None,
        }
    }
    Some(out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum OptArg {
    None,
    Required,
    Optional,
}

/// POSIX getopt over `args` with `optstring`; the value of option `want` (see the module doc).
pub fn getopt(args: &[&str], optstring: &str, want: &str) -> Option<String> {
    let mut wc = want.chars();
    let (Some(want), None) = (wc.next(), wc.next()) else { return None };
    let spec: Vec<char> = optstring.trim_start_matches(['+', '-', ':']).chars().collect();
    let kind = |c: char| -> Option<OptArg> {
        let at = spec.iter().position(|&s| s == c && s != ':')?;
        Some(match (spec.get(at + 1), spec.get(at + 2)) {
            (Some(':'), Some(':')) => OptArg::Optional,
            (Some(':'), _) => OptArg::Required,
            _ => OptArg::None,
        })
    };
    let mut result = None;
    let mut i = 0;
    'args: while i < args.len() {
        let a = args[i];
        if a == "--" || !a.starts_with('-') || a == "-" {
            break;
        }
        let chars: Vec<char> = a.chars().skip(1).collect();
        for (j, &c) in chars.iter().enumerate() {
            match kind(c) {
                Some(OptArg::None) if c == want => result = Some(String::new()),
                Some(OptArg::None) => {}
                Some(k) => {
                    let rest: String = chars[j + 1..].iter().collect();
                    let val = if !rest.is_empty() || k == OptArg::Optional {
                        rest
                    } else {
                        i += 1;
                        match args.get(i) {
                            Some(v) => (*v).to_owned(),
                            // A missing argument ends the scan, as getopt's error does.
                            None => break 'args,
                        }
                    };
                    if c == want {
                        result = Some(val);
                    }
                    break;
                }
                None => {}
            }
        }
        i += 1;
    }
    result
}

pub(super) fn transform(
    func: Transformer,
    inputs: &[Option<&Value>],
    lits: &[Option<&str>],
    index: Option<&str>,
) -> Option<Value> {
    let first = inputs.first().copied().flatten();
    match func {
        Transformer::ToLower => map_text(first?, <[u8]>::to_ascii_lowercase),
        Transformer::ToUpper => map_text(first?, <[u8]>::to_ascii_uppercase),
        Transformer::B64 => b64_decode(value_bytes(first?)?).map(text_value),
        Transformer::Basename => {
            let b = value_bytes(first?)?;
            let start = b.iter().rposition(|&c| c == b'/').map_or(0, |p| p + 1);
            Some(text_value(b[start..].to_vec()))
        }
        Transformer::Len => match first? {
            Value::List(xs) => Some(Value::Uint(xs.len() as u64)),
            v => value_bytes(v).map(|b| Value::Uint(b.len() as u64)),
        },
        Transformer::Val => first.cloned(),
        Transformer::Join => {
            let sep = lits.first().copied().flatten().unwrap_or("");
            match inputs.get(1).copied().flatten()? {
                Value::List(xs) => Some(Value::Str(xs.iter().map(ToString::to_string).collect::<Vec<_>>().join(sep))),
                v => Some(Value::Str(v.to_string())),
            }
        }
        Transformer::Concat => {
            let mut s = String::new();
            for (v, l) in inputs.iter().zip(lits) {
                match (v, l) {
                    (_, Some(l)) => s.push_str(l),
                    (Some(v), None) => s.push_str(&v.to_string()),
                    (None, None) => return None,
                }
            }
            Some(Value::Str(s))
        }
        Transformer::GetOpt => {
            let optstring = lits.get(1).copied().flatten()?;
            let args: Vec<&str> = match first? {
                Value::List(xs) => xs.iter().filter_map(Value::as_str).collect(),
                Value::Str(s) => s.split_ascii_whitespace().collect(),
                _ => return None,
            };
            getopt(&args, optstring, index?).map(Value::Str)
        }
    }
}
