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
        Location { line: l.line, column: l.column }
    }
}

/// Converts between byte offsets and [`Location`]s in one text. Lines end at
/// `\n` only, as `sqlparser`'s tokenizer counts them (a `\r` is a column).
///
/// Both directions take constant time on ASCII lines and at most one block's
/// scan on others, however long the line: references are converted by the
/// thousand, and a generated statement can be one line of megabytes.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    ascii_lines: Vec<bool>,
    /// `chars_before[k]`: characters in the first `k * BLOCK` bytes.
    chars_before: Vec<usize>,
}

const BLOCK: usize = 4096;

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(memchr_newlines(text).map(|i| i + 1));
        let bytes = text.as_bytes();
        let ascii_lines = (0..line_starts.len())
            .map(|i| {
                let end = line_starts.get(i + 1).copied().unwrap_or(bytes.len());
                bytes[line_starts[i]..end].is_ascii()
            })
            .collect();
        let mut chars_before = Vec::with_capacity(bytes.len() / BLOCK + 1);
        let mut count = 0;
        for block in bytes.chunks(BLOCK) {
            chars_before.push(count);
            count += chars_in(block);
        }
        chars_before.push(count);
        LineIndex { line_starts, ascii_lines, chars_before }
    }

    /// Characters in `text[..offset]`.
    fn chars_until(&self, text: &str, offset: usize) -> usize {
        let block = offset / BLOCK;
        self.chars_before[block] + chars_in(&text.as_bytes()[block * BLOCK..offset])
    }

    /// The location of the character at byte `offset` (clamped to the text).
    pub fn location(&self, text: &str, offset: usize) -> Location {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let column = if self.ascii_lines[line] { offset - start } else { self.chars_until(text, offset) - self.chars_until(text, start) } + 1;
        Location { line: line as u64 + 1, column: column as u64 }
    }

    /// The byte offset of `location` (clamped to its line and to the text).
    pub fn offset(&self, text: &str, location: Location) -> usize {
        let line = (location.line.max(1) as usize - 1).min(self.line_starts.len() - 1);
        let start = self.line_starts[line];
        let end = self.line_starts.get(line + 1).map_or(text.len(), |next| next - 1);
        let wanted = location.column.max(1) as usize - 1;
        if self.ascii_lines[line] {
            return start + wanted.min(end - start);
        }
        // The block holding the wanted character, then a scan within it.
        let target = self.chars_until(text, start) + wanted;
        let block = self.chars_before.partition_point(|&c| c <= target).saturating_sub(1);
        let mut chars = self.chars_before[block];
        let bytes = text.as_bytes();
        let mut i = (block * BLOCK).max(start);
        if i > block * BLOCK {
            chars = self.chars_until(text, i);
        }
        while i < end {
            if bytes[i] & 0xC0 != 0x80 {
                if chars == target {
                    return i;
                }
                chars += 1;
            }
            i += 1;
        }
        end
    }
}

/// Characters starting in `bytes` (UTF-8 bytes that are not continuations).
fn chars_in(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes().enumerate().filter_map(|(i, b)| (b == b'\n').then_some(i))
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

    #[test]
    fn long_non_ascii_lines_convert_both_ways() {
        let text = "é".repeat(3 * BLOCK) + "x";
        let index = LineIndex::new(&text);
        let x = text.len() - 1;
        let loc = index.location(&text, x);
        assert_eq!(loc, Location { line: 1, column: 3 * BLOCK as u64 + 1 });
        assert_eq!(index.offset(&text, loc), x);
        assert_eq!(index.offset(&text, Location { line: 1, column: 5000 }), 2 * 4999);
    }
}
