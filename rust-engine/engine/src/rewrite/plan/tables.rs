//! The dataset's table names: renamed where written, qualifiers with them, dbt's `ref` and `source`.

use std::ops::Range;

use super::{escaped, in_case_of, quote, Planner};
use crate::analysis::Reference;
use crate::rewrite::edit::{Edit, Fix};
use crate::rewrite::finding::FindingKind;
use crate::rewrite::text::{self, qualifier_before, read_name, WrittenName};
use crate::schema::names_match;
use crate::source::Language;

impl Planner<'_> {
    /// A table name in FROM, JOIN, INTO, ...: renamed when the table moves.
    pub(super) fn table(&mut self, r: &Reference) {
        let Some(to) = self.spec.new_table() else {
            return;
        };
        if self.language == Language::Dbt {
            if let Some(done) = self.dbt_table(r, to) {
                return done;
            }
        }
        match read_name(self.text, r.span.clone()) {
            Some(written) => {
                let fix = self.rename_name(r.span.clone(), &written, to);
                self.add(fix);
            }
            None => self.review(FindingKind::UneditableName, r.span.clone(), format!("the table name `{}` is written in a way Ripple cannot edit", &self.text[r.span.clone()])),
        }
    }

    /// `{{ ref('orders') }}` names a dbt model: only the model name changes.
    /// `{{ source('shop', 'orders') }}`: the table name changes; a source
    /// name is a label dbt maps to a schema, so a move to another schema is
    /// for a person to declare.
    pub(super) fn dbt_table(&mut self, r: &Reference, to: &str) -> Option<()> {
        let before = self.text[..r.span.start].trim_end_matches(['\'', '"']).trim_end();
        let new_parts: Vec<&str> = to.split('.').collect();
        let new_last = new_parts[new_parts.len() - 1];
        if before.ends_with('(') && before[..before.len() - 1].trim_end().ends_with("ref") || before.ends_with(',') && self.in_call(r.span.start, "ref(") {
            self.edit(r.span.clone(), new_last.to_string());
            return Some(());
        }
        // A name written in the SQL itself (`"PREP".ds.orders`) is edited as SQL.
        if !self.in_call(r.span.start, "source(") {
            return None;
        }
        let written = &self.text[r.span.clone()];
        let quote = written.find(['\'', '"'])?;
        let table_start = r.span.start + written.rfind(['\'', '"'])? + 1;
        let source = written[..quote].trim();
        self.edit(table_start..r.span.end, new_last.to_string());
        let old_parts: Vec<&str> = self.spec.dataset.split('.').collect();
        let old_schema = old_parts.len().checked_sub(2).map(|i| old_parts[i]);
        let new_schema = new_parts.len().checked_sub(2).map(|i| new_parts[i]);
        if !old_schema.zip(new_schema).is_some_and(|(a, b)| a.eq_ignore_ascii_case(b)) {
            self.review(FindingKind::DbtSourceMove, r.span.clone(), format!("the table moves to `{to}`: check that dbt source `{source}` declares `{new_last}` in that schema"));
        }
        Some(())
    }

    /// True when `at` is inside a `{{ ... }}` expression that calls `call`.
    pub(super) fn in_call(&self, at: usize, call: &str) -> bool {
        let from = self.statement.start.min(at);
        let Some(open) = self.text[from..at].rfind("{{").map(|i| from + i) else {
            return false;
        };
        let inside = &self.text[open..at];
        !inside.contains("}}") && inside.contains(call)
    }

    /// Rewrites the written name of the dataset's table to `to`, writing as
    /// many parts as the SQL did when that still names the new table, and
    /// editing only the parts that differ.
    pub(super) fn rename_name(&self, range: Range<usize>, written: &WrittenName, to: &str) -> Fix {
        let mut fix = Fix::at(range.start);
        let old: Vec<&str> = self.spec.dataset.split('.').collect();
        let new: Vec<&str> = to.split('.').collect();
        let k = written.parts.len();
        let same_prefix = k <= old.len() && k <= new.len() && old.len() - k == new.len() - k && old[..old.len() - k].iter().zip(&new[..new.len() - k]).all(|(a, b)| a.eq_ignore_ascii_case(b));
        if same_prefix {
            for ((part, target), was) in written.parts.iter().zip(&new[new.len() - k..]).zip(&old[old.len() - k..]) {
                let current = &self.text[part.inner.clone()];
                // Unquoted names ignore case: `DS` already names `ds`. A part
                // the change keeps stays as written (`"PROJ"` is not `"proj"`).
                if (part.quote.is_none() || was.eq_ignore_ascii_case(target)) && current.eq_ignore_ascii_case(target) {
                    continue;
                }
                let content = self.quoted_if_needed(&in_case_of(current, target, part.quote), part.quote);
                fix.push(Edit::replacement(part.inner.clone(), content));
            }
            return fix;
        }
        let first = &self.text[written.parts[0].inner.clone()];
        let to = &in_case_of(first, to, written.parts[0].quote);
        let new: Vec<&str> = to.split('.').collect();
        // The new name needs more (or fewer) parts: write it whole, quoted the way this name was.
        let content = match (written.grouped, written.parts[0].quote) {
            (true, _) => quote(to, '`', self.dialect),
            (false, Some(q)) => new.iter().map(|p| quote(p, q, self.dialect)).collect::<Vec<_>>().join("."),
            (false, None) if new.iter().all(|p| text::is_plain(p)) => to.to_string(),
            (false, None) => new.iter().map(|p| self.quoted_if_needed(p, None)).collect::<Vec<_>>().join("."),
        };
        fix.push(Edit::replacement(range, content));
        fix
    }

    /// `name` for a part written with `quote` (inside the quotes), or quoted
    /// in the dialect's style when it was bare and needs quotes now.
    pub(super) fn quoted_if_needed(&self, name: &str, quote_style: Option<char>) -> String {
        match quote_style {
            Some(q) => escaped(name, q, self.dialect),
            None if text::is_plain(name) => name.to_string(),
            None => quote(name, self.dialect.identifier_quote(), self.dialect),
        }
    }

    /// A column name or a struct field path (`customer.id`), each part quoted as needed.
    pub(super) fn path_text(&self, path: &str, quote_style: Option<char>) -> String {
        path.split('.').map(|part| self.quoted_if_needed(part, quote_style)).collect::<Vec<_>>().join(".")
    }

    /// `orders.amount` or `orders.*` where `orders` is the table's own name,
    /// not an alias: the qualifier is renamed with the table. Returns the
    /// qualifier written before `r`, if any.
    pub(super) fn rename_qualifier(&mut self, r: &Reference, aliases: &[String]) -> Option<(Range<usize>, WrittenName)> {
        let (qualifier, fix) = self.qualifier_fix(r, aliases);
        self.add(fix);
        qualifier
    }

    /// The qualifier written before `r`, if any, and the fix renaming it
    /// with the table (empty when it does not name the table).
    pub(super) fn qualifier_fix(&self, r: &Reference, aliases: &[String]) -> (Option<(Range<usize>, WrittenName)>, Fix) {
        let qualifier = qualifier_before(self.text, r.span.start);
        let mut fix = Fix::at(qualifier.as_ref().map_or(r.span.start, |(range, _)| range.start));
        if let (Some(to), Some((range, name))) = (self.spec.new_table(), &qualifier) {
            let single = (name.parts.len() == 1).then(|| self.text[name.parts[0].inner.clone()].to_ascii_lowercase());
            let names_table = names_match(&self.spec.dataset, &self.name_text(name));
            if names_table && !single.as_ref().is_some_and(|s| aliases.contains(s)) && r.via.is_none() {
                match single {
                    // A table's implicit alias is its name's last part.
                    Some(_) => {
                        let last = to.rsplit('.').next().unwrap_or(to);
                        let content = self.quoted_if_needed(last, name.parts[0].quote);
                        fix.push(Edit::replacement(name.parts[0].inner.clone(), content));
                    }
                    None => fix = self.rename_name(range.clone(), name, to),
                }
            }
        }
        (qualifier, fix.without_noops(self.text))
    }

    pub(super) fn name_text(&self, name: &WrittenName) -> String {
        name.parts.iter().map(|p| &self.text[p.inner.clone()]).collect::<Vec<_>>().join(".")
    }
}
