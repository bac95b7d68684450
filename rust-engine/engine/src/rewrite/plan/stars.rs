//! `*` over the dataset: expanded to keep a renamed column's output name, or left for a person.

use std::ops::Range;

use super::Planner;
use crate::analysis::Reference;
use crate::rewrite::edit::{Edit, Fix};
use crate::rewrite::finding::FindingKind;
use crate::rewrite::text::{self, find_words};
use crate::ColumnFate;

impl<'a> Planner<'a> {
    /// True when the PIVOT or UNPIVOT at `at` reads a table, not a
    /// subquery (whose select list keeps the names): the token before it,
    /// past an alias, is not `)`.
    pub(super) fn pivots_a_table(&self, at: usize) -> bool {
        let mut before = at;
        for _ in 0..2 {
            let token = text::previous_token(self.text, before);
            if token == ")" {
                return false;
            }
            let is_word = token.chars().all(|c| c.is_alphanumeric() || c == '_') && !token.is_empty();
            if !is_word {
                return true;
            }
            // An alias (`AS s` or `s`): look before it.
            before = self.text[..before].trim_end().len() - token.len();
            if text::previous_token(self.text, before).eq_ignore_ascii_case("as") {
                before = self.text[..before].trim_end().len() - 2;
            }
        }
        true
    }

    /// `SELECT *` over the dataset: with a schema, the star is expanded when
    /// a renamed column's output name must be kept.
    pub(super) fn star(&mut self, refs: &[&Reference], all_at_span: &[&Reference], aliases: &[String]) {
        let span = refs[0].span.clone();
        // `orders.*`: the qualifier follows the table, whether or not the star is expanded.
        let (qualifier, qualifier_fix) = self.qualifier_fix(refs[0], aliases);
        let qualifier_range = qualifier.map(|(range, _)| range);
        self.add(qualifier_fix.clone());
        // The qualifier as it reads after its own edits, for the expanded items.
        let qualifier = qualifier_range.clone().map(|range| self.written(range, &qualifier_fix));
        let preserve = self.spec.preserve_output_names;
        let known = refs.iter().all(|r| r.column.is_some());
        let changed = self.star_changes(refs, known);
        let renamed = |c: &str| matches!(self.spec.column_fate(c), ColumnFate::Renamed(_) | ColumnFate::Path(_) | ColumnFate::Expression(_));
        self.star_notes(&span, &changed);
        if preserve && refs.iter().any(|r| r.via.is_some()) {
            // Through a CTE or subquery, the names are kept where it selects
            // them; a PIVOT or UNPIVOT selects nothing and passes the table's
            // columns on under their new names.
            let through = ["pivot", "unpivot"].iter().flat_map(|w| find_words(self.text, self.statement.clone(), w)).any(|at| self.pivots_a_table(at));
            if let Some(column) = changed.iter().find(|c| renamed(c)).filter(|_| through) {
                return self.review(FindingKind::StarThroughPivot, span, format!("`*` outputs `{column}` through a PIVOT or UNPIVOT under its new name; select it by hand"));
            }
        }
        if !preserve || !changed.iter().any(|c| renamed(c)) || refs.iter().any(|r| r.via.is_some()) {
            return;
        }
        let after = text::next_token(self.text, span.end);
        let modified = ["except", "exclude", "replace", "rename"].iter().any(|k| after.eq_ignore_ascii_case(k));
        if !known || modified || all_at_span.len() != refs.len() {
            let column = changed.iter().find(|c| renamed(c)).copied().unwrap_or_default();
            let (kind, why) = if !known {
                (FindingKind::StarWithoutSchema, "the dataset's columns are not known (give a schema)")
            } else if modified {
                (FindingKind::StarWithModifiers, "the `*` has modifiers")
            } else {
                (FindingKind::StarOverTables, "the `*` covers other tables too")
            };
            return self.review(kind, span, format!("`*` outputs `{column}` under its new name and cannot be expanded here: {why}"));
        }
        // The first item follows the qualifier as written (edited above if the table moves).
        let prefix = qualifier.as_ref().map(|q| format!("{q}.")).unwrap_or_default();
        let items = self.star_items(refs, &prefix, qualifier.as_deref());
        // Never the mapping as given: only its parsed form is written.
        let Some(items) = items else {
            return self.review(FindingKind::UnreadableMapping, span, "`*` outputs a column mapped to an expression that does not read as SQL".to_string());
        };
        let items = items.join(", ");
        match (items.strip_prefix(prefix.as_str()), qualifier_range) {
            (Some(rest), _) => self.edit(span, rest.to_string()),
            // The first item is an expression: it replaces the qualifier too,
            // so this fix takes the place of the qualifier's.
            (None, Some(range)) => {
                self.withdraw(&qualifier_fix);
                let mut fix = Fix::at(range.start);
                fix.push(Edit::replacement(range.start..span.end, items));
                fix.displace(qualifier_fix);
                self.add(fix);
            }
            (None, None) => self.edit(span, items),
        }
    }

    /// The changed columns a `*` outputs: those it names, or with its
    /// columns unknown, every column the change renames or drops.
    fn star_changes<'r>(&self, refs: &[&'r Reference], known: bool) -> Vec<&'r str>
    where
        'a: 'r,
    {
        if known {
            return refs.iter().filter_map(|r| r.column.as_deref()).filter(|c| self.changes_column(c)).collect();
        }
        let spec: &'a crate::ChangeSpec = self.spec;
        spec.changes
            .iter()
            .filter_map(|c| match c {
                crate::Change::RenameColumn { column, .. } | crate::Change::DropColumn { column } => Some(column.as_str()),
                _ => None,
            })
            .collect()
    }

    /// What a `*` outputs that the change drops or retypes.
    fn star_notes(&mut self, span: &Range<usize>, changed: &[&str]) {
        let preserve = self.spec.preserve_output_names;
        for &column in changed {
            match self.spec.column_fate(column) {
                ColumnFate::Dropped if preserve => self.review(FindingKind::DroppedColumnUsed, span.clone(), format!("`*` outputs `{column}`, which the change drops")),
                ColumnFate::Dropped => self.note(FindingKind::DroppedColumnUsed, span.clone(), format!("`*` no longer outputs `{column}`")),
                ColumnFate::Retyped(to) => self.note(FindingKind::RetypedColumnUsed, span.clone(), format!("`*` outputs `{column}`, whose type changes to {to}")),
                _ => {}
            }
        }
    }

    /// The items a `*` expands to, renamed columns aliased to their old
    /// names; `None` when a mapping does not read as SQL.
    fn star_items(&self, refs: &[&Reference], prefix: &str, qualifier: Option<&str>) -> Option<Vec<String>> {
        refs.iter()
            .filter_map(|r| r.column.as_deref())
            .filter(|c| self.spec.column_fate(c) != ColumnFate::Dropped)
            .map(|c| match self.spec.column_fate(c) {
                ColumnFate::Renamed(to) | ColumnFate::Path(to) => Some(format!("{prefix}{} AS {c}", self.path_text(to, None))),
                ColumnFate::Expression(e) => {
                    let q = qualifier.map(|q| q.trim_end_matches('.'));
                    Some(format!("{} AS {c}", self.qualified_expression(e, q)?))
                }
                _ => Some(format!("{prefix}{}", self.quoted_if_needed(c, None))),
            })
            .collect()
    }
}
