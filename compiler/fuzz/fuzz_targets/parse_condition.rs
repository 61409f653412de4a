//! Fuzzes the condition and output parsers: no input may panic, spans must lie on char
//! boundaries inside the text, and a condition that parses cleanly must print back to text that
//! parses cleanly to the same tree shape.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let parsed = rulec_grammar::parse_condition(text);
    for e in &parsed.errors {
        assert!(text.get(e.span.range()).is_some(), "error span off a char boundary: {e:?}");
    }
    if let (Some(expr), true) = (&parsed.expr, parsed.errors.is_empty()) {
        let printed = expr.to_string();
        let again = rulec_grammar::parse_condition(&printed);
        assert!(again.errors.is_empty(), "printed form does not parse: {printed:?} from {text:?}");
    }
    let out = rulec_grammar::parse_output(text);
    for e in &out.errors {
        assert!(text.get(e.span.range()).is_some(), "output error span off a char boundary: {e:?}");
    }
});
