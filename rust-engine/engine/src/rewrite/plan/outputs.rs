//! Output names a dialect takes from an unaliased item's text, kept with an alias.

use super::{is_keyword, Planner};
use crate::analysis::StatementAnalysis;
use crate::rewrite::edit::{Edit, Fix};
use crate::rewrite::finding::FindingKind;
use crate::rewrite::text;

impl Planner<'_> {
    /// Keeps the output name an unaliased item takes from its text
    /// (`sum(amount)` in DuckDB) when an edit lands inside it: the item gets
    /// its old name as an alias, or is left for a person when Ripple cannot
    /// reproduce the dialect's name.
    pub(super) fn expression_outputs(&mut self, statement: &StatementAnalysis) {
        if !self.spec.preserve_output_names {
            return;
        }
        for output in &statement.expression_outputs {
            let inside = |at: usize| output.span.as_ref().map_or(at == output.at, |s| s.contains(&at));
            // The statement's fixes so far: the edits of this item, if any.
            let column_fix = self.fixes.iter().position(|f| f.column.is_some() && inside(f.start));
            let edited = column_fix.is_some() || self.fixes.iter().flat_map(Fix::edits).any(|e| inside(e.range().start));
            if !edited {
                continue;
            }
            let reference = column_fix.and_then(|i| statement.references.iter().find(|r| r.span.start == self.fixes[i].start));
            match (&output.span, &output.name) {
                (Some(span), Some(name)) => {
                    let alias = Edit::insertion(span.end, format!(" AS {}", self.output_alias(name)));
                    match column_fix {
                        // Part of the column's fix: withdrawn with its rename.
                        Some(i) => self.fixes[i].push(alias),
                        None => {
                            let mut fix = Fix::at(span.end);
                            fix.push(alias);
                            self.add(fix);
                        }
                    }
                    let name = name.to_ascii_lowercase();
                    if !self.plan.aliased.contains(&name) {
                        self.plan.aliased.push(name);
                    }
                }
                _ => {
                    let why = format!("this item's output column is named after its text in {}, and the change renames it; give the item an alias by hand", self.dialect);
                    match reference {
                        Some(r) => self.review_column(r, FindingKind::UnaliasedOutput, why),
                        None => self.review(FindingKind::UnaliasedOutput, output.at..output.at, why),
                    }
                }
            }
        }
    }

    /// An output name written as an alias: quoted when it is not a plain
    /// name, or when the dialect would fold its case.
    pub(super) fn output_alias(&self, name: &str) -> String {
        if text::is_plain(name) && !is_keyword(name) && self.dialect.fold(name) == name {
            return name.to_string();
        }
        self.dialect.quote(name)
    }
}
