use serde::{Deserialize, Serialize};

/// A position in source text: 1-based line and column, the column counted in
/// characters (not bytes), as editors and `sqlparser` count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Location {
    pub line: u64,
    pub column: u64,
}

impl From<sqlparser::tokenizer::Location> for Location {
    fn from(l: sqlparser::tokenizer::Location) -> Self {
        Location {
            line: l.line,
            column: l.column,
        }
    }
}

/// Converts between byte offsets and [`Location`]s in one text. Lines end at
/// `\n` only, as `sqlparser`'s tokenizer counts them (a `\r` is a column).
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(memchr_newlines(text).map(|i| i + 1));
        LineIndex { line_starts }
    }

    /// The location of the character at byte `offset` (clamped to the text).
    pub fn location(&self, text: &str, offset: usize) -> Location {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let column = text[start..offset].chars().count() + 1;
        Location {
            line: line as u64 + 1,
            column: column as u64,
        }
    }

    /// The byte offset of `location` (clamped to its line and to the text).
    pub fn offset(&self, text: &str, location: Location) -> usize {
        let line = (location.line.max(1) as usize - 1).min(self.line_starts.len() - 1);
        let start = self.line_starts[line];
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(text.len(), |next| next - 1);
        let wanted = location.column.max(1) as usize - 1;
        let line_text = &text[start..end];
        if line_text.is_ascii() {
            return start + wanted.min(line_text.len());
        }
        line_text
            .char_indices()
            .nth(wanted)
            .map_or(end, |(i, _)| start + i)
    }
}

fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter_map(|(i, b)| (b == b'\n').then_some(i))
}

pub(crate) fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_locations_round_trip_with_multibyte_characters() {
        let text = "ab\nçé x\n\nlast";
        let index = LineIndex::new(text);
        for (offset, _) in text.char_indices() {
            let loc = index.location(text, offset);
            assert_eq!(index.offset(text, loc), offset, "{loc:?}");
        }
        assert_eq!(index.location(text, 7), Location { line: 2, column: 3 });
        assert_eq!(index.location(text, text.len()), Location { line: 4, column: 5 });
    }
}
