//! A YAML file as a tree whose every scalar knows its exact bytes in the
//! file, so a property file can be edited in place like SQL: an edit is a
//! byte range and its replacement, and comments, indentation and quoting
//! stay as they were.
//!
//! Built from `saphyr-parser`'s events, whose spans are exact (a quoted
//! scalar's span covers its quotes), with an explicit stack: nesting is
//! capped at [`MAX_DEPTH`], so neither building nor dropping the tree can
//! overflow the stack on hostile input.

use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle};

/// Deeper nesting is refused. dbt property files nest about ten levels
/// (`models` > entry > `columns` > entry > `data_tests` > test > arguments).
pub(crate) const MAX_DEPTH: usize = 128;

/// Invalid YAML (or YAML nested deeper than [`MAX_DEPTH`]), with the
/// 1-based line and column where the parser stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlError {
    pub message: String,
    pub line: u64,
    pub column: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    Single,
    Double,
    /// `|` and `>` blocks.
    Block,
}

#[derive(Debug)]
pub(crate) struct Scalar {
    /// Pre-order number of the node in its file, for verification.
    pub id: usize,
    /// The value as YAML reads it (quotes and escapes decoded, lines folded).
    pub value: String,
    pub style: Style,
    /// The bytes of the file the scalar is written in (quotes included; a
    /// block scalar's content lines, without their `|` header).
    pub span: Range<usize>,
}

#[derive(Debug)]
pub(crate) enum Node {
    Scalar(Scalar),
    Seq {
        id: usize,
        items: Vec<Node>,
    },
    Map(Map),
    /// `*anchor`: what it stands for is edited where the anchor is defined.
    Alias {
        id: usize,
    },
}

#[derive(Debug)]
pub(crate) struct Map {
    pub id: usize,
    pub entries: Vec<(Node, Node)>,
    /// Written `{ ... }` rather than one key per line.
    pub flow: bool,
}

impl Node {
    pub fn id(&self) -> usize {
        match self {
            Node::Scalar(s) => s.id,
            Node::Seq { id, .. } | Node::Alias { id } => *id,
            Node::Map(m) => m.id,
        }
    }

    pub fn scalar(&self) -> Option<&Scalar> {
        match self {
            Node::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar's value; `None` for other nodes.
    pub fn str(&self) -> Option<&str> {
        self.scalar().map(|s| s.value.as_str())
    }

    pub fn map(&self) -> Option<&Map> {
        match self {
            Node::Map(m) => Some(m),
            _ => None,
        }
    }

    /// A sequence's items; nothing for other nodes.
    pub fn items(&self) -> &[Node] {
        match self {
            Node::Seq { items, .. } => items,
            _ => &[],
        }
    }
}

impl Map {
    /// The value of the entry whose key is `key` (case-insensitive, as dbt
    /// reads its own keys).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    pub fn entry(&self, key: &str) -> Option<&(Node, Node)> {
        self.entries.iter().find(|(k, _)| k.str().is_some_and(|k| k.eq_ignore_ascii_case(key)))
    }

    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Node::str)
    }
}

/// Reads `text`: one root per YAML document (an empty document has none).
pub(crate) fn parse(text: &str) -> Result<Vec<Node>, YamlError> {
    let offsets = CharOffsets::new(text);
    let mut parser = Parser::new_from_str(text);
    let mut roots = Vec::new();
    // Open collections: a sequence's items, or a map's entries and a key
    // waiting for its value.
    enum Open {
        Seq(usize, Vec<Node>),
        Map(Map, Option<Node>),
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut next_id = 0;
    let error = |message: String, index: usize| {
        let location = crate::LineIndex::new(text).location(text, offsets.byte(index));
        YamlError { message, line: location.line, column: location.column }
    };
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| error(e.info().to_string(), e.marker().index()))?;
        let id = next_id;
        let node = match event {
            Event::Scalar(value, style, _, _) => {
                next_id += 1;
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted => Style::Single,
                    ScalarStyle::DoubleQuoted => Style::Double,
                    ScalarStyle::Literal | ScalarStyle::Folded => Style::Block,
                };
                let mut span = offsets.byte(span.start.index())..offsets.byte(span.end.index());
                // A quoted scalar's span runs on over the spaces and comment
                // after its closing quote.
                if let Some(end) = quoted_end(text, span.start, style) {
                    span.end = end.min(span.end);
                }
                Node::Scalar(Scalar { id, value: value.into_owned(), style, span })
            }
            Event::Alias(_) => {
                next_id += 1;
                Node::Alias { id }
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                next_id += 1;
                if stack.len() >= MAX_DEPTH {
                    return Err(error(format!("nested more than {MAX_DEPTH} levels deep; not read"), span.start.index()));
                }
                let flow = text[offsets.byte(span.start.index())..].starts_with(['{', '[']);
                stack.push(match event {
                    Event::SequenceStart(..) => Open::Seq(id, Vec::new()),
                    _ => Open::Map(Map { id, entries: Vec::new(), flow }, None),
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Open::Seq(id, items)) => Node::Seq { id, items },
                Some(Open::Map(map, _)) => Node::Map(map),
                None => return Err(error("unbalanced collection end".into(), span.start.index())),
            },
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) | Event::DocumentEnd | Event::Nothing => continue,
        };
        match stack.last_mut() {
            Some(Open::Seq(_, items)) => items.push(node),
            Some(Open::Map(map, key)) => match key.take() {
                Some(k) => map.entries.push((k, node)),
                None => *key = Some(node),
            },
            None => roots.push(node),
        }
    }
    Ok(roots)
}

/// Just past the closing quote of the quoted scalar starting at `start`.
fn quoted_end(text: &str, start: usize, style: Style) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = start + 1;
    match style {
        Style::Single => loop {
            let close = i + text.get(i..)?.find('\'')?;
            if bytes.get(close + 1) == Some(&b'\'') {
                i = close + 2;
                continue;
            }
            return Some(close + 1);
        },
        Style::Double => loop {
            let at = i + text.get(i..)?.find(['"', '\\'])?;
            if bytes[at] == b'\\' {
                i = at + 2;
                continue;
            }
            return Some(at + 1);
        },
        Style::Plain | Style::Block => None,
    }
}

/// Byte offsets of the parser's character indices: the identity on ASCII
/// text, else a checkpoint every [`STRIDE`] characters and a short scan.
struct CharOffsets<'a> {
    text: &'a str,
    checkpoints: Option<Vec<usize>>,
}

const STRIDE: usize = 256;

impl<'a> CharOffsets<'a> {
    fn new(text: &'a str) -> Self {
        let checkpoints = (!text.is_ascii()).then(|| text.char_indices().step_by(STRIDE).map(|(b, _)| b).collect());
        CharOffsets { text, checkpoints }
    }

    fn byte(&self, index: usize) -> usize {
        let Some(checkpoints) = &self.checkpoints else {
            return index.min(self.text.len());
        };
        let Some(&from) = checkpoints.get(index / STRIDE) else {
            return self.text.len();
        };
        self.text[from..].char_indices().nth(index % STRIDE).map_or(self.text.len(), |(b, _)| from + b)
    }
}

/// The bytes of the file that `range` of the scalar's value is written as,
/// when they are written exactly as the value reads (no escape, quote or
/// line fold inside): only there can part of a value be edited in place.
pub(crate) fn raw_range(text: &str, scalar: &Scalar, range: Range<usize>) -> Option<Range<usize>> {
    let raw = &text[scalar.span.clone()];
    let value = scalar.value.as_str();
    if range.is_empty() || range.end > value.len() {
        return None;
    }
    // The value's characters appear in the raw text in order; what lies
    // between them can only be layout (indentation, folded line breaks) or
    // quoting. Anything else (an escape) stops the alignment.
    let skippable = |c: char| {
        c.is_whitespace()
            || match scalar.style {
                Style::Single => c == '\'',
                Style::Double => c == '"',
                Style::Plain | Style::Block => false,
            }
    };
    let mut at = 0;
    let mut start = None;
    for (i, c) in value.char_indices() {
        if i >= range.end {
            break;
        }
        loop {
            let r = raw[at..].chars().next()?;
            if r == c {
                break;
            }
            if !skippable(r) {
                return None;
            }
            at += r.len_utf8();
        }
        if i == range.start {
            start = Some(at);
        }
        at += c.len_utf8();
    }
    let start = start?;
    (raw.get(start..at) == Some(&value[range])).then(|| scalar.span.start + start..scalar.span.start + at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalars(node: &Node, out: &mut Vec<(String, Style, String)>, text: &str) {
        match node {
            Node::Scalar(s) => out.push((s.value.clone(), s.style, text[s.span.clone()].to_string())),
            Node::Seq { items, .. } => items.iter().for_each(|n| scalars(n, out, text)),
            Node::Map(m) => m.entries.iter().for_each(|(k, v)| {
                scalars(k, out, text);
                scalars(v, out, text);
            }),
            Node::Alias { .. } => {}
        }
    }

    #[test]
    fn scalars_know_their_bytes_with_quotes_and_non_ascii_text() {
        let text = "a: \"é x\"  # note\nb: ['q''s', plain]\nc: |\n  line one\n  two\n";
        let roots = parse(text).unwrap();
        let mut out = Vec::new();
        scalars(&roots[0], &mut out, text);
        assert_eq!(out[1], ("é x".into(), Style::Double, "\"é x\"".into()));
        assert_eq!(out[3], ("q's".into(), Style::Single, "'q''s'".into()));
        assert_eq!(out[4], ("plain".into(), Style::Plain, "plain".into()));
        assert_eq!(out[6].0, "line one\ntwo\n");
        assert!(roots[0].map().unwrap().get("b").unwrap().items().len() == 2);
    }

    #[test]
    fn part_of_a_value_maps_to_the_file_only_where_it_is_written_as_read() {
        let text = "a: 'ref(''orders'')'\nb: \"x\\ty orders\"\nc: |\n  id,orders\n  1,2\n";
        let roots = parse(text).unwrap();
        let map = roots[0].map().unwrap();
        let a = map.get("a").unwrap().scalar().unwrap();
        let at = a.value.find("orders").unwrap();
        assert_eq!(&text[raw_range(text, a, at..at + 6).unwrap()], "orders");
        // The quote doubled inside the range is not written as read.
        assert_eq!(raw_range(text, a, at - 1..at + 6), None);
        // An escape before the range stops the alignment.
        let b = map.get("b").unwrap().scalar().unwrap();
        assert_eq!(raw_range(text, b, 4..10), None);
        let c = map.get("c").unwrap().scalar().unwrap();
        let at = c.value.find("orders").unwrap();
        assert_eq!(&text[raw_range(text, c, at..at + 6).unwrap()], "orders");
    }

    #[test]
    fn invalid_and_too_deep_yaml_are_errors_with_a_position() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.line >= 1 && e.column >= 1, "{e:?}");
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let e = parse(&deep).unwrap_err();
        assert_eq!((e.line, e.column), (1, MAX_DEPTH as u64 + 1), "{e:?}");
        let deep_block: String = (0..300).map(|i| format!("{}k{i}:\n", "  ".repeat(i))).collect();
        assert!(parse(&deep_block).unwrap_err().message.contains("nested"));
    }
}
