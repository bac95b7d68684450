//! Edits and fixes, after ruff's `Edit` and `Fix`. An [`Edit`] replaces one
//! byte range of the file; a [`Fix`] is the edits for one reference, kept or
//! withdrawn as a whole. [`apply`] is the one place edits change text, and
//! it refuses edits that overlap: they are a defect of the planner, and
//! applying one of them would silently drop the other.

use std::ops::Range;

use crate::{EngineError, LineIndex};

/// One replacement in the file: the only way a rewrite changes code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Edit {
    // Ordered by place, then content: `apply` sorts on it.
    start: usize,
    end: usize,
    content: String,
}

impl Edit {
    /// `range` replaced by `content`.
    pub fn replacement(range: Range<usize>, content: impl Into<String>) -> Self {
        Edit { start: range.start, end: range.end, content: content.into() }
    }

    /// `content` inserted at `at`.
    pub fn insertion(at: usize, content: impl Into<String>) -> Self {
        Edit { start: at, end: at, content: content.into() }
    }

    /// `range` removed.
    pub fn deletion(range: Range<usize>) -> Self {
        Edit { start: range.start, end: range.end, content: String::new() }
    }

    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    pub fn content(&self) -> &str {
        &self.content
    }

    /// True when applying it to `text` changes nothing.
    pub fn is_noop(&self, text: &str) -> bool {
        text.get(self.range()) == Some(self.content.as_str())
    }

    /// The edit as a person reads it, for an error message.
    fn describe(&self, text: &str) -> String {
        match (self.start == self.end, self.content.is_empty()) {
            (true, _) => format!("`{}` inserted", self.content),
            (false, true) => format!("`{}` removed", &text[self.range()]),
            (false, false) => format!("`{}` replaced by `{}`", &text[self.range()], self.content),
        }
    }
}

/// The edits for one reference: a renamed column and the alias that keeps
/// its output name, or the parts of one table name. A fix is withdrawn as a
/// whole, never edit by edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fix {
    /// Where the reference it edits starts. A withdrawn fix leaves the
    /// reference as it was, which verification then expects.
    pub start: usize,
    /// The changed column whose use it edits, lowercase: the fix is withdrawn
    /// when a use of that column elsewhere in the statement is left for a
    /// person. `None` for the name of a table, which is never withdrawn so.
    pub column: Option<String>,
    edits: Vec<Edit>,
    /// Fixes this one took the place of (a qualifier's new name, when a
    /// column's expression replaces the qualifier too): withdrawn with them,
    /// it gives them back.
    pub displaced: Vec<Fix>,
}

impl Fix {
    /// The fix of the reference at `start` that no column's review withdraws:
    /// a table's name, a qualifier naming the table, a `*`.
    pub fn at(start: usize) -> Self {
        Fix { start, column: None, edits: Vec::new(), displaced: Vec::new() }
    }

    /// The fix of a use of the changed column `column` at `start`.
    pub fn of_column(start: usize, column: &str) -> Self {
        Fix { start, column: Some(column.to_ascii_lowercase()), edits: Vec::new(), displaced: Vec::new() }
    }

    pub fn push(&mut self, edit: Edit) {
        self.edits.push(edit);
    }

    pub fn edits(&self) -> &[Edit] {
        &self.edits
    }

    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// Records that this fix takes the place of `fix` (an empty one is nothing).
    pub fn displace(&mut self, fix: Fix) {
        if !fix.is_empty() {
            self.displaced.push(fix);
        }
    }

    /// The fix without the edits that change nothing in `text`.
    pub fn without_noops(mut self, text: &str) -> Fix {
        self.edits.retain(|e| !e.is_noop(text));
        self
    }

    /// True when it is the fix of the same reference as `other` would be.
    pub fn same_reference(&self, other: &Fix) -> bool {
        self.start == other.start && self.column == other.column
    }
}

/// The text with every edit applied at once, and how many distinct edits
/// that was. Identical edits are one (two references at one place, as
/// `USING (id)` names a column of both tables, ask for the same edit). Any
/// other overlap (a range edited two ways, two insertions at one place, in
/// an order nobody chose, or ranges that cross) is refused: it is a defect,
/// and choosing one edit would drop the other without a word.
pub(crate) fn apply<'e>(text: &str, edits: impl IntoIterator<Item = &'e Edit>) -> Result<(String, usize), EngineError> {
    let mut edits: Vec<&Edit> = edits.into_iter().collect();
    edits.sort();
    edits.dedup();
    for pair in edits.windows(2) {
        if pair[0].end > pair[1].start || pair[0].range() == pair[1].range() {
            return Err(overlap(text, pair[0], Some(pair[1])));
        }
    }
    // Ranges come from the same text's analysis; one that does not fit it
    // overlaps the text's end or cuts a character, and would panic below.
    if let Some(bad) = edits.iter().find(|e| text.get(e.range()).is_none()) {
        return Err(overlap(text, bad, None));
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for edit in &edits {
        out.push_str(&text[at..edit.start]);
        out.push_str(&edit.content);
        at = edit.end;
    }
    out.push_str(&text[at..]);
    Ok((out, edits.len()))
}

/// The error for `a` overlapping `b`, or the text's bounds when `b` is `None`.
fn overlap(text: &str, a: &Edit, b: Option<&Edit>) -> EngineError {
    let at = LineIndex::new(text).location(text, b.unwrap_or(a).start);
    let describe = |e: &Edit| match text.get(e.range()) {
        Some(_) => e.describe(text),
        None => format!("bytes {}..{} replaced by `{}`", e.start, e.end, e.content),
    };
    let second = b.map_or_else(|| format!("the text's {} bytes and characters", text.len()), describe);
    EngineError::OverlappingEdits { line: at.line, column: at.column, first: describe(a), second }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "SELECT amount FROM orders";

    fn applied(edits: &[Edit]) -> Result<(String, usize), EngineError> {
        apply(TEXT, edits)
    }

    #[test]
    fn edits_apply_at_once_in_any_order() {
        let edits = [Edit::replacement(19..25, "orders_v2"), Edit::insertion(13, " AS amount"), Edit::replacement(7..13, "amount_usd")];
        assert_eq!(applied(&edits).unwrap(), ("SELECT amount_usd AS amount FROM orders_v2".to_string(), 3));
        assert_eq!(applied(&[Edit::deletion(6..13)]).unwrap().0, "SELECT FROM orders");
    }

    #[test]
    fn the_same_edit_twice_is_one() {
        let edits = [Edit::replacement(7..13, "amount_usd"), Edit::replacement(7..13, "amount_usd")];
        assert_eq!(applied(&edits).unwrap(), ("SELECT amount_usd FROM orders".to_string(), 1));
    }

    #[test]
    fn an_insertion_before_a_replacement_at_its_start_is_no_overlap() {
        let edits = [Edit::replacement(7..13, "amount_usd"), Edit::insertion(7, "o."), Edit::insertion(13, " AS amount")];
        assert_eq!(applied(&edits).unwrap().0, "SELECT o.amount_usd AS amount FROM orders");
    }

    #[test]
    fn overlapping_edits_are_an_error_never_a_silent_choice() {
        let cases = [
            // One range edited two ways.
            (vec![Edit::replacement(7..13, "amount_usd"), Edit::replacement(7..13, "total")], "`amount` replaced by `amount_usd` and `amount` replaced by `total`"),
            // Two insertions at one place: nobody chose their order.
            (vec![Edit::insertion(13, " AS amount"), Edit::insertion(13, " AS total")], "` AS amount` inserted and ` AS total` inserted"),
            // Ranges that cross, and an insertion inside a replacement.
            (vec![Edit::replacement(0..10, "x"), Edit::replacement(7..13, "y")], "`SELECT amo` replaced by `x` and `amount` replaced by `y`"),
            (vec![Edit::replacement(7..13, "amount_usd"), Edit::insertion(9, "z")], "`amount` replaced by `amount_usd` and `z` inserted"),
        ];
        for (edits, described) in cases {
            match applied(&edits) {
                Err(EngineError::OverlappingEdits { line: 1, first, second, .. }) => assert_eq!(format!("{first} and {second}"), described),
                other => panic!("{edits:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_edit_outside_the_text_or_inside_a_character_is_an_error() {
        assert!(matches!(applied(&[Edit::replacement(20..40, "x")]), Err(EngineError::OverlappingEdits { .. })));
        assert!(matches!(apply("é", &[Edit::insertion(1, "x")]), Err(EngineError::OverlappingEdits { .. })));
    }
}
