//! YAML with positions: one file's text to a tree of nodes per document, every node with its byte
//! range in the file and every scalar with its decoded text mapped back to the file
//! ([`MappedText`]).
//!
//! Built on saphyr-parser's event API. Syntax errors become [`Code::YamlSyntax`] diagnostics at
//! the exact position; aliases are resolved by copying the anchored node (counted against the node
//! limit, so "billion laughs" inputs stop with [`Code::ResourceLimit`]); nesting depth is capped.
//! Nothing here panics on any input.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle as SaphyrStyle};

use crate::diagnostic::{Code, Diagnostic, FileId, Location};
use crate::text::{MappedText, decode_scalar};

pub use crate::text::ScalarStyle;

/// The deepest nesting of sequences and maps accepted (rules files need about 8).
pub const MAX_DEPTH: usize = 64;
/// The most nodes one file may have, aliases expanded.
pub const MAX_NODES: usize = 2_000_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    /// Where the node is written (for a scalar: its text, quotes included).
    pub loc: Location,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// Every scalar, null included (an empty value, `~` or `null` written plainly).
    Scalar(Scalar),
    Seq(Vec<Node>),
    /// Entries in file order; duplicate keys are kept (the reader decides).
    Map(Vec<(Node, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    /// The decoded value (the same string as `text.as_str()`).
    pub value: String,
    pub style: ScalarStyle,
    pub text: MappedText,
}

impl Node {
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) if !self.is_null() => Some(s),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(v) => Some(v),
            _ => None,
        }
    }

    /// A plain empty, `~` or `null` scalar (YAML's null).
    pub fn is_null(&self) -> bool {
        match &self.kind {
            NodeKind::Scalar(s) => {
                s.style == ScalarStyle::Plain && matches!(s.value.as_str(), "" | "~" | "null" | "Null" | "NULL")
            }
            _ => false,
        }
    }

    /// What kind of value this is, for messages ("a map", "a sequence"...).
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            _ if self.is_null() => "empty",
            NodeKind::Scalar(_) => "a scalar",
            NodeKind::Seq(_) => "a sequence",
            NodeKind::Map(_) => "a map",
        }
    }

    /// The value of the first entry whose key is the scalar `key`, with that key node.
    pub fn get(&self, key: &str) -> Option<(&Node, &Node)> {
        self.as_map()?.iter().find(|(k, _)| k.as_scalar().is_some_and(|s| s.value == key)).map(|(k, v)| (k, v))
    }

    /// The number of nodes in this tree.
    pub fn count(&self) -> usize {
        match &self.kind {
            NodeKind::Scalar(_) => 1,
            NodeKind::Seq(v) => 1 + v.iter().map(Node::count).sum::<usize>(),
            NodeKind::Map(v) => 1 + v.iter().map(|(k, v)| k.count() + v.count()).sum::<usize>(),
        }
    }
}

/// Maps saphyr's char indices to byte offsets.
struct CharIndex {
    /// Byte offset of each char index; empty for ASCII texts (identity).
    offsets: Vec<u32>,
    len: usize,
}

impl CharIndex {
    fn new(text: &str) -> CharIndex {
        let offsets = if text.is_ascii() { Vec::new() } else { text.char_indices().map(|(i, _)| i as u32).collect() };
        CharIndex { offsets, len: text.len() }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.offsets.is_empty() {
            char_index.min(self.len)
        } else {
            self.offsets.get(char_index).map_or(self.len, |&o| o as usize)
        }
    }
}

enum Frame {
    Seq { start: usize, anchor: usize, nodes_before: usize, items: Vec<Node> },
    Map { start: usize, anchor: usize, nodes_before: usize, entries: Vec<(Node, Node)>, key: Option<Node> },
}

struct Builder<'a> {
    file: FileId,
    text: &'a str,
    chars: CharIndex,
    stack: Vec<Frame>,
    docs: Vec<Node>,
    /// Anchored nodes by saphyr's anchor id, with their size in nodes.
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    /// Where the last node read ends in the file (an alias: where the alias is written).
    last_end: usize,
}

/// Why building stopped early.
struct Stop(Diagnostic);

impl Builder<'_> {
    fn loc(&self, start: usize, end: usize) -> Location {
        Location::new(self.file, start, end)
    }

    fn add_nodes(&mut self, n: usize, at: usize) -> Result<(), Stop> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err(Stop(Diagnostic::new(
                Code::ResourceLimit,
                self.loc(at, at),
                format!("the file has more than {MAX_NODES} YAML nodes (aliases expanded)"),
            )));
        }
        Ok(())
    }

    /// Adds a finished node to the open container (or makes it a document).
    fn push(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }

    fn open(&mut self, frame: Frame, at: usize) -> Result<(), Stop> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(Stop(Diagnostic::new(
                Code::ResourceLimit,
                self.loc(at, at + 1),
                format!("YAML nested deeper than {MAX_DEPTH} levels"),
            )));
        }
        self.add_nodes(1, at)?;
        self.stack.push(frame);
        Ok(())
    }

    fn remember(&mut self, anchor: usize, node: &Node, size: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
    }

    fn scalar(&mut self, value: &str, style: SaphyrStyle, anchor: usize, start: usize, end: usize) -> Result<(), Stop> {
        self.add_nodes(1, start)?;
        let style = match style {
            SaphyrStyle::Plain => ScalarStyle::Plain,
            SaphyrStyle::SingleQuoted => ScalarStyle::SingleQuoted,
            SaphyrStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
            SaphyrStyle::Literal => ScalarStyle::Literal,
            SaphyrStyle::Folded => ScalarStyle::Folded,
        };
        let (text, loc) = if value.is_empty() && style == ScalarStyle::Plain {
            // An absent value: it has no text of its own.
            let at = self.loc(start, start);
            (MappedText::synthetic("", at), at)
        } else {
            match decode_scalar(self.file, self.text, style, value, start, end) {
                Some(d) => {
                    let loc = self.loc(d.start, d.end);
                    (d.text, loc)
                }
                None => {
                    // The decoder disagrees with the parser (an exotic construct): map the whole
                    // value to where the scalar is rather than risk a wrong position.
                    let loc = self.loc(start, end);
                    (MappedText::synthetic(value, loc), loc)
                }
            }
        };
        let node = Node { kind: NodeKind::Scalar(Scalar { value: value.to_string(), style, text }), loc };
        self.remember(anchor, &node, 1);
        if !(value.is_empty() && style == ScalarStyle::Plain) {
            self.last_end = node.loc.end as usize;
        }
        self.push(node);
        Ok(())
    }

    /// A flow collection ends at its closing bracket (the end event); a block one at its last
    /// child (its end event is wherever the next token is).
    fn collection_end(&self, start: usize, end_event: usize, has_children: bool) -> usize {
        let b = self.text.as_bytes();
        let mut at = start;
        // Skip an anchor or a tag before the collection.
        while matches!(b.get(at), Some(b'&' | b'!')) {
            while at < b.len() && !matches!(b[at], b' ' | b'\t' | b'\n' | b'\r') {
                at += 1;
            }
            while at < b.len() && matches!(b[at], b' ' | b'\t' | b'\n' | b'\r') {
                at += 1;
            }
        }
        let flow = matches!(b.get(at), Some(b'[' | b'{'));
        match (has_children, flow) {
            (true, false) => self.last_end.max(start),
            (true, true) => self.last_end.max(end_event),
            (false, _) => end_event.max(start),
        }
    }

    fn close(&mut self, end: usize) -> Result<(), Stop> {
        let Some(frame) = self.stack.pop() else { return Ok(()) };
        let (node, anchor, nodes_before) = match frame {
            Frame::Seq { start, anchor, nodes_before, items } => {
                let end = self.collection_end(start, end, !items.is_empty());
                (Node { kind: NodeKind::Seq(items), loc: self.loc(start, end) }, anchor, nodes_before)
            }
            Frame::Map { start, anchor, nodes_before, mut entries, key } => {
                if let Some(k) = key {
                    // A key without value cannot be produced by the parser; keep it as null.
                    let at = Location::new(self.file, k.loc.end as usize, k.loc.end as usize);
                    let null = Node {
                        kind: NodeKind::Scalar(Scalar {
                            value: String::new(),
                            style: ScalarStyle::Plain,
                            text: MappedText::synthetic("", at),
                        }),
                        loc: at,
                    };
                    entries.push((k, null));
                }
                let end = self.collection_end(start, end, !entries.is_empty());
                (Node { kind: NodeKind::Map(entries), loc: self.loc(start, end) }, anchor, nodes_before)
            }
        };
        let size = self.nodes - nodes_before;
        self.remember(anchor, &node, size);
        self.last_end = node.loc.end as usize;
        self.push(node);
        Ok(())
    }

    fn alias(&mut self, id: usize, start: usize) -> Result<(), Stop> {
        let Some((node, size)) = self.anchors.get(&id) else {
            return Err(Stop(Diagnostic::new(
                Code::YamlSyntax,
                self.loc(start, start + 1),
                "alias of an unknown anchor",
            )));
        };
        let (node, size) = (node.clone(), *size);
        self.add_nodes(size, start)?;
        let b = self.text.as_bytes();
        let mut end = start + 1;
        while end < b.len() && !matches!(b[end], b' ' | b'\t' | b'\n' | b'\r' | b',' | b']' | b'}') {
            end += 1;
        }
        self.last_end = end;
        self.push(node);
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, start: usize, end: usize) -> Result<(), Stop> {
        match event {
            Event::Scalar(value, style, anchor, _tag) => self.scalar(&value, style, anchor, start, end),
            Event::SequenceStart(anchor, _tag) => {
                let nodes_before = self.nodes;
                self.open(Frame::Seq { start, anchor, nodes_before, items: Vec::new() }, start)
            }
            Event::MappingStart(anchor, _tag) => {
                let nodes_before = self.nodes;
                self.open(Frame::Map { start, anchor, nodes_before, entries: Vec::new(), key: None }, start)
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(end),
            Event::Alias(id) => self.alias(id, start),
            Event::DocumentStart(_) | Event::DocumentEnd | Event::StreamStart | Event::StreamEnd | Event::Nothing => {
                Ok(())
            }
        }
    }

    /// After an error: keep the complete items of the open document's top sequence, so one bad
    /// item does not hide every definition before it.
    fn salvage(&mut self) {
        if let Some(Frame::Seq { start, items, .. }) = self.stack.drain(..).next()
            && !items.is_empty()
        {
            {
                let end = items.last().map_or(start, |n| n.loc.end as usize);
                self.docs.push(Node { kind: NodeKind::Seq(items), loc: Location::new(self.file, start, end) });
            }
        }
    }
}

/// How many times a file is re-parsed after moving a misplaced flow indicator (see [`relax`]).
const MAX_RELAXATIONS: usize = 200;

/// Parses every YAML document of a file. On a syntax error, returns the documents before it and
/// the complete top-level items of the document it is in, with the error.
pub fn parse(file: FileId, text: &str) -> (Vec<Node>, Vec<Diagnostic>) {
    // First with every misplaced flow indicator moved beforehand (see [`relax`]), so the file is
    // parsed once; if a move landed inside a scalar, again moving only those the parser stops at.
    let mut bytes = text.as_bytes().to_vec();
    let mut moved = Vec::new();
    relax_all(&mut bytes, &mut moved);
    if moved.is_empty() {
        let (docs, diags, _) = parse_relaxed(file, text, Vec::new());
        return (docs, diags);
    }
    if let Ok(pre) = String::from_utf8(bytes) {
        let (docs, diags, moved) = parse_relaxed(file, &pre, moved);
        if !docs.iter().any(|d| touches_scalar(d, &moved)) {
            return (docs, diags);
        }
    }
    let (docs, diags, _) = parse_relaxed(file, text, Vec::new());
    (docs, diags)
}

/// Whether a scalar of the tree covers one of the (sorted) byte offsets.
fn touches_scalar(node: &Node, offsets: &[usize]) -> bool {
    match &node.kind {
        NodeKind::Scalar(_) => {
            let i = offsets.partition_point(|&o| o < node.loc.start as usize);
            offsets.get(i).is_some_and(|&o| o < node.loc.end as usize)
        }
        NodeKind::Seq(v) => v.iter().any(|n| touches_scalar(n, offsets)),
        NodeKind::Map(v) => v.iter().any(|(k, v)| touches_scalar(k, offsets) || touches_scalar(v, offsets)),
    }
}

/// Parses, moving misplaced flow indicators where the parser stops at them; `moved` holds the
/// offsets already changed in `text`, and is returned with the new ones, sorted.
fn parse_relaxed(file: FileId, text: &str, mut moved: Vec<usize>) -> (Vec<Node>, Vec<Diagnostic>, Vec<usize>) {
    moved.sort_unstable();
    let mut patched: Option<Vec<u8>> = None;
    let mut tries = 0;
    loop {
        let cur = patched.as_deref().and_then(|b| std::str::from_utf8(b).ok()).unwrap_or(text);
        let (mut b, stop) = parse_once(file, cur);
        let mut diags = Vec::new();
        match stop {
            None => {}
            Some(Failure::Stop(Stop(d), indent_error)) => {
                if indent_error && tries < MAX_RELAXATIONS {
                    let mut bytes = cur.as_bytes().to_vec();
                    if relax(&mut bytes, d.primary.start as usize, &mut moved) {
                        moved.sort_unstable();
                        patched = Some(bytes);
                        tries += 1;
                        continue;
                    }
                }
                diags.push(d);
                b.salvage();
            }
            Some(Failure::Panic) => {
                diags.push(Diagnostic::new(
                    Code::YamlSyntax,
                    Location::new(file, 0, 0),
                    "the YAML parser failed on this file",
                ));
                b.stack.clear();
            }
        }
        return (b.docs, diags, moved);
    }
}

enum Failure {
    /// Building stopped; `true` when it is saphyr's "invalid indentation".
    Stop(Stop, bool),
    Panic,
}

fn parse_once(file: FileId, text: &str) -> (Builder<'_>, Option<Failure>) {
    let mut b = Builder {
        file,
        text,
        chars: CharIndex::new(text),
        stack: Vec::new(),
        docs: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        last_end: 0,
    };
    // saphyr is not expected to panic, but the compiler promises never to: contain it.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> Result<(), Failure> {
        let mut parser = Parser::new_from_str(text);
        while let Some(next) = parser.next_event() {
            match next {
                Ok((event, span)) => {
                    let start = b.chars.byte(span.start.index());
                    let end = b.chars.byte(span.end.index()).max(start);
                    b.event(event, start, end).map_err(|s| Failure::Stop(s, false))?;
                }
                Err(e) => {
                    let at = b.chars.byte(e.marker().index());
                    let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                    let d = Diagnostic::new(
                        Code::YamlSyntax,
                        Location::new(file, at, end),
                        format!("invalid YAML: {}", e.info()),
                    );
                    return Err(Failure::Stop(Stop(d), e.info() == "invalid indentation"));
                }
            }
        }
        Ok(())
    }));
    match outcome {
        Ok(Ok(())) => (b, None),
        Ok(Err(f)) => (b, Some(f)),
        Err(_) => (b, Some(Failure::Panic)),
    }
}

/// libyaml (and so Falco) accepts a flow sequence or map closed, or continued with `,`, on a line
/// indented like its key:
///
/// ```yaml
/// - list: l
///   items: [
///     "a"
///   ]
/// ```
///
/// saphyr rejects the `]` after a quoted scalar ("invalid indentation"). To read such files the
/// same way, the indicator is moved onto the blank right after the previous token (and its own
/// place blanked): same length, same byte offsets for every node, one indicator moved. Returns
/// false when the error is anything else, or the move would not be safe (a comment in the way).
/// The two changed offsets are added to `moved`.
fn relax(b: &mut [u8], at: usize, moved: &mut Vec<usize>) -> bool {
    let Some(&c) = b.get(at) else { return false };
    if !matches!(c, b']' | b'}' | b',') {
        return false;
    }
    // The indicator must be the first thing on its line.
    let line_start = b[..at].iter().rposition(|&x| x == b'\n').map_or(0, |i| i + 1);
    if !b[line_start..at].iter().all(|&x| x == b' ') {
        return false;
    }
    let mut t = line_start;
    while t > 0 && matches!(b[t - 1], b' ' | b'\t' | b'\n' | b'\r') {
        t -= 1;
    }
    if t == 0 {
        return false;
    }
    // No comment on the previous token's line (the indicator would land inside it).
    let prev_line = b[..t].iter().rposition(|&x| x == b'\n').map_or(0, |i| i + 1);
    if b[prev_line..t].contains(&b'#') || b.get(t + 1) == Some(&b'#') {
        return false;
    }
    b[t] = c;
    b[at] = b' ';
    moved.extend([t, at]);
    true
}

/// Moves, the same way, every indicator that starts a line right after a quoted scalar (where
/// saphyr would stop next). The caller checks that no move landed inside a scalar.
fn relax_all(b: &mut [u8], moved: &mut Vec<usize>) {
    let mut line_start = 0;
    while line_start < b.len() {
        let line_end = b[line_start..].iter().position(|&x| x == b'\n').map_or(b.len(), |i| line_start + i);
        let first = b[line_start..line_end].iter().position(|&x| x != b' ').map(|i| line_start + i);
        if let Some(at) = first
            && matches!(b[at], b']' | b'}')
        {
            {
                let mut t = line_start;
                while t > 0 && matches!(b[t - 1], b' ' | b'\t' | b'\n' | b'\r') {
                    t -= 1;
                }
                if t > 0 && matches!(b[t - 1], b'"' | b'\'') {
                    relax(b, at, moved);
                }
            }
        }
        line_start = line_end + 1;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test inputs are fixed
mod tests {
    use super::*;

    fn p(text: &str) -> (Vec<Node>, Vec<Diagnostic>) {
        parse(FileId(0), text)
    }

    #[test]
    fn tree_and_locations() {
        let src = "- rule: a\n  condition: evt.type = open\n  tags: [x, 'y']\n";
        let (docs, d) = p(src);
        assert!(d.is_empty(), "{d:?}");
        let item = &docs[0].as_seq().unwrap()[0];
        let (k, v) = item.get("condition").unwrap();
        assert_eq!(&src[k.loc.start as usize..k.loc.end as usize], "condition");
        assert_eq!(&src[v.loc.start as usize..v.loc.end as usize], "evt.type = open");
        let (_, tags) = item.get("tags").unwrap();
        let y = &tags.as_seq().unwrap()[1];
        assert_eq!(&src[y.loc.start as usize..y.loc.end as usize], "'y'");
    }

    #[test]
    fn syntax_error_position() {
        let src = "- rule: a\n  condition: \"abc\n";
        let (_, d) = p(src);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, Code::YamlSyntax);
    }

    #[test]
    fn aliases_resolve_and_are_capped() {
        let (docs, d) = p("- &a {x: 1}\n- *a\n");
        assert!(d.is_empty());
        let s = docs[0].as_seq().unwrap();
        assert_eq!(s[0].kind, s[1].kind);
        let mut lol = String::from("a: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = format!("*a{}", i - 1);
            lol.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        let (_, d) = p(&lol);
        assert!(d.iter().any(|d| d.code == Code::ResourceLimit), "{d:?}");
    }

    #[test]
    fn depth_is_capped() {
        let src = "[".repeat(10_000);
        let (_, d) = p(&src);
        assert!(d.iter().any(|d| d.code == Code::ResourceLimit || d.code == Code::YamlSyntax));
        let src = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let (_, d) = p(&src);
        assert!(d.iter().any(|d| d.code == Code::ResourceLimit));
    }

    #[test]
    fn unknown_alias_is_an_error() {
        let (_, d) = p("- *nope\n");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, Code::YamlSyntax);
    }

    #[test]
    fn flow_end_at_key_indentation_is_accepted() {
        let src = "- list: l\n  items: [\n    \"a\",\n    \"b\"\n  ]\n- list: m\n  items: [x]\n";
        let (docs, d) = p(src);
        assert!(d.is_empty(), "{d:?}");
        let l = &docs[0].as_seq().unwrap()[0];
        let (_, items) = l.get("items").unwrap();
        let b = &items.as_seq().unwrap()[1];
        assert_eq!(&src[b.loc.start as usize..b.loc.end as usize], "\"b\"");
        assert_eq!(docs[0].as_seq().unwrap().len(), 2);
    }

    #[test]
    fn moving_flow_indicators_never_touches_scalars() {
        // The `]` line is block scalar content: it must stay as written.
        let src = "- macro: m\n  condition: |\n    \"a\"\n    ]\n- list: l\n  items: [\n    'x'\n  ]\n";
        let (docs, d) = p(src);
        assert!(d.is_empty(), "{d:?}");
        let m = &docs[0].as_seq().unwrap()[0];
        let (_, c) = m.get("condition").unwrap();
        assert_eq!(c.as_scalar().unwrap().value, "\"a\"\n]\n");
        let (_, items) = docs[0].as_seq().unwrap()[1].get("items").unwrap();
        assert_eq!(items.as_seq().unwrap().len(), 1);
    }
}
