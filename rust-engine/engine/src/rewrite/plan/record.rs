//! The planner's record: the findings it makes, once each, and the fixes of
//! the statement it plans, kept or withdrawn whole when the statement ends.

use std::ops::Range;

use super::Planner;
use crate::analysis::Reference;
use crate::rewrite::edit::{Edit, Fix};
use crate::rewrite::finding::{Finding, FindingKind, FindingSeverity};

impl Planner<'_> {
    /// A finding about `range` of the file, said once.
    pub(super) fn find(&mut self, kind: FindingKind, severity: FindingSeverity, range: Range<usize>, message: String) {
        let (start, end) = (self.lines.location(self.text, range.start), self.lines.location(self.text, range.end));
        let finding = Finding::at(kind, severity, start, end, message);
        if self.said.insert(finding.clone()) {
            self.plan.findings.push(finding);
        }
    }

    /// What a person must edit by hand at `range`; the reference there stays as it is.
    pub(super) fn review(&mut self, kind: FindingKind, range: Range<usize>, why: String) {
        self.plan.left.push(range.start);
        self.find(kind, FindingSeverity::NeedsEdit, range, why);
    }

    pub(super) fn note(&mut self, kind: FindingKind, range: Range<usize>, what: String) {
        self.find(kind, FindingSeverity::Note, range, what);
    }

    /// Adds a fix to the statement's, without the edits that change nothing.
    pub(super) fn add(&mut self, fix: Fix) {
        let fix = fix.without_noops(self.text);
        if !fix.is_empty() {
            self.fixes.push(fix);
        }
    }

    /// One replacement, a fix of its own (a table's name, a `*`).
    pub(super) fn edit(&mut self, range: Range<usize>, content: String) {
        let mut fix = Fix::at(range.start);
        fix.push(Edit::replacement(range, content));
        self.add(fix);
    }

    /// An edit of the use of the changed column `r` names, in that use's
    /// fix: withdrawn with it if the column is edited by hand elsewhere in
    /// the statement.
    pub(super) fn column_edit(&mut self, r: &Reference, edit: Edit) {
        if edit.is_noop(self.text) {
            return;
        }
        let mut fix = Fix::of_column(r.span.start, r.column.as_deref().unwrap_or_default());
        match self.fixes.last_mut() {
            Some(last) if last.same_reference(&fix) => last.push(edit),
            _ => {
                fix.push(edit);
                self.fixes.push(fix);
            }
        }
    }

    /// A use of a changed column left for a person: the statement's other
    /// uses of it stay as they are too, since a partial rename breaks what
    /// ties them (a `USING` join, a CTE's column and its readers).
    pub(super) fn review_column(&mut self, r: &Reference, kind: FindingKind, why: String) {
        let column = r.column.clone().unwrap_or_default().to_ascii_lowercase();
        if !self.blocked.contains(&column) {
            self.blocked.push(column);
        }
        self.review(kind, r.span.clone(), why);
    }

    /// Takes back a fix of the statement, whole.
    pub(super) fn withdraw(&mut self, fix: &Fix) {
        if let Some(i) = self.fixes.iter().rposition(|f| f == fix) {
            self.fixes.remove(i);
        }
    }

    /// Ends a statement: its fixes are kept, except those of columns left
    /// for a person, withdrawn whole.
    pub(super) fn withdraw_blocked(&mut self) {
        let blocked = std::mem::take(&mut self.blocked);
        for fix in std::mem::take(&mut self.fixes) {
            match &fix.column {
                Some(column) if blocked.contains(column) => {
                    self.plan.left.push(fix.start);
                    // What it took the place of (a qualifier's new name) stands again.
                    self.plan.fixes.extend(fix.displaced);
                }
                _ => self.plan.fixes.push(fix),
            }
        }
    }

    /// `range` of the text as it reads with `fix`'s edits inside it.
    pub(super) fn written(&self, range: Range<usize>, fix: &Fix) -> String {
        let mut edits: Vec<&Edit> = fix.edits().iter().filter(|e| range.start <= e.range().start && e.range().end <= range.end).collect();
        edits.sort();
        let (mut written, mut at) = (String::new(), range.start);
        for e in edits {
            written.push_str(&self.text[at..e.range().start]);
            written.push_str(e.content());
            at = e.range().end;
        }
        written.push_str(&self.text[at..range.end]);
        written
    }
}
