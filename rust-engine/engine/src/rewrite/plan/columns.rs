//! The dataset's columns: renamed, mapped or left for a person, and their output names kept.

use std::ops::{ControlFlow, Range};

use sqlparser::ast::{visit_expressions_mut, Expr, Ident};

use super::{column_in_case_of, is_keyword, Planner};
use crate::analysis::Reference;
use crate::rewrite::edit::{Edit, Fix};
use crate::rewrite::finding::FindingKind;
use crate::rewrite::text::{self, qualifier_before, read_name, WrittenName};
use crate::ColumnFate;

impl Planner<'_> {
    pub(super) fn column(&mut self, r: &Reference, aliases: &[String], shared: Option<String>, one_sided_using: bool) {
        let Some(column) = r.column.as_deref() else {
            return;
        };
        let fate = self.spec.column_fate(column);
        if self.text[r.span.clone()].starts_with('$') {
            return self.positional(r, column, fate);
        }
        let qualifier = self.rename_qualifier(r, aliases);

        match fate {
            ColumnFate::Kept => {}
            ColumnFate::Dropped => {
                let what = if r.write { "writes" } else { "reads" };
                self.review(FindingKind::DroppedColumnUsed, r.span.clone(), format!("{what} `{column}`, which the change drops"));
            }
            ColumnFate::Retyped(to) => {
                if self.widened.contains(&column.to_ascii_lowercase()) {
                    self.note(FindingKind::RetypedColumnUsed, r.span.clone(), format!("reads `{column}`, whose type widens to {to}; no edit needed"));
                } else if self.in_comparison(r, qualifier.as_ref().map(|(q, _)| q.start)) {
                    self.review(FindingKind::RetypedColumnUsed, r.span.clone(), format!("`{column}` is compared, joined or computed with, and its type changes to {to}"));
                } else {
                    self.note(FindingKind::RetypedColumnUsed, r.span.clone(), format!("reads `{column}`, whose type changes to {to}; no edit needed"));
                }
            }
            ColumnFate::Renamed(to) | ColumnFate::Path(to) => {
                let path = matches!(fate, ColumnFate::Path(_));
                self.renamed(r, column, to, path, shared, one_sided_using);
            }
            ColumnFate::Expression(expression) => self.mapped(r, column, expression, aliases, qualifier, shared, one_sided_using),
        }
    }

    /// A use of a column the change renames (`path`: to a struct field).
    fn renamed(&mut self, r: &Reference, column: &str, to: &str, path: bool, shared: Option<String>, one_sided_using: bool) {
        let preserve = self.spec.preserve_output_names;
        let written = &self.text[r.span.clone()];
        let name_in_text = read_name(self.text, r.span.clone()).filter(|n| n.parts.len() == 1).map(|n| n.parts[0].clone());
        // The name as written, without its quotes (`` `date` `` names `date`).
        let unquoted = name_in_text.as_ref().map_or(written, |p| &self.text[p.inner.clone()]);
        if r.via.is_some() && (preserve || !unquoted.eq_ignore_ascii_case(column)) {
            // The name of a CTE's column, kept by the alias given where it is selected.
            return;
        }
        if let Some(other) = shared {
            return self.review_column(r, FindingKind::UsingJoin, format!("`{column}` joins the dataset with `{other}` by name (USING); rename it on both sides by hand"));
        }
        if one_sided_using {
            return self.review_column(r, FindingKind::UsingJoin, format!("`{column}` joins the dataset with another table by name (USING); rename it on both sides by hand"));
        }
        if path && !self.dialect.dotted_field_path() {
            // `a.b.c` names a schema, a table and a column there; a field is `(a.b).c`.
            return self.review_column(r, FindingKind::FieldPath, format!("`{column}` becomes the field `{to}`; write it as a composite field access by hand"));
        }
        let Some(part) = name_in_text else {
            return self.review_column(r, FindingKind::UneditableName, format!("`{column}` is written in a way Ripple cannot edit"));
        };
        let content = match (part.quote, path) {
            (Some(_), true) => return self.review_column(r, FindingKind::FieldPath, format!("`{column}` is quoted; write the field path `{to}` by hand")),
            (q, _) => self.path_text(&column_in_case_of(&self.text[part.inner.clone()], column, to, q), q),
        };
        self.column_edit(r, Edit::replacement(part.inner.clone(), content));
        let renamed = r.path.is_empty() && !path;
        if let Some(alias) = self.alias_naming(r.span.end, to).filter(|_| renamed) {
            // `amount_usd AS amount` renamed back to `amount`: the alias says nothing now.
            let end = alias.inner.end + alias.quote.map_or(0, |_| 1);
            self.column_edit(r, Edit::deletion(r.span.end..end));
        } else if (r.output || self.pipe_group_key(r)) && (preserve || path) && r.path.is_empty() {
            self.alias(r, written);
        } else if !preserve && r.path.is_empty() && !path {
            // `t.amount AS amount` passes the column through under its
            // own name: with new output names, the name follows it.
            if let Some(alias) = self.alias_naming(r.span.end, column) {
                let name = self.path_text(&column_in_case_of(&self.text[alias.inner.clone()], column, to, alias.quote), alias.quote);
                self.column_edit(r, Edit::replacement(alias.inner.clone(), name));
            }
        }
    }

    /// A use of a column the change maps to an expression.
    #[allow(clippy::too_many_arguments)]
    fn mapped(&mut self, r: &Reference, column: &str, expression: &str, aliases: &[String], qualifier: Option<(Range<usize>, WrittenName)>, shared: Option<String>, one_sided_using: bool) {
        let preserve = self.spec.preserve_output_names;
        let written = &self.text[r.span.clone()];
        if r.via.is_some() {
            if !preserve {
                self.review_column(r, FindingKind::MappedColumnUse, format!("`{column}` of a CTE or subquery becomes an expression; rename its uses by hand"));
            }
            return;
        }
        if let Some(other) = shared {
            return self.review_column(r, FindingKind::UsingJoin, format!("`{column}` joins the dataset with `{other}` by name (USING) and becomes an expression; rewrite the join by hand"));
        }
        if one_sided_using {
            return self.review_column(r, FindingKind::UsingJoin, format!("`{column}` joins the dataset with another table by name (USING) and becomes an expression; rewrite the join by hand"));
        }
        if r.write || !r.path.is_empty() {
            return self.review_column(r, FindingKind::MappedColumnUse, format!("`{column}` becomes the expression `{expression}` and cannot be written or have fields taken here"));
        }
        // The expression replaces the qualifier too, as the qualifier's
        // own fix (the table's new name) would write it.
        let (_, qualifier_fix) = self.qualifier_fix(r, aliases);
        let (start, prefix) = match &qualifier {
            Some((range, _)) => (range.start, Some(self.written(range.clone(), &qualifier_fix))),
            None => (r.span.start, None),
        };
        match self.qualified_expression(expression, prefix.as_deref()) {
            Some(content) => {
                let mut fix = Fix::of_column(r.span.start, column);
                fix.push(Edit::replacement(start..r.span.end, content));
                self.withdraw(&qualifier_fix);
                fix.displace(qualifier_fix);
                self.add(fix);
                if r.output {
                    self.alias(r, written);
                }
            }
            None => self.review_column(r, FindingKind::UnreadableMapping, format!("the expression `{expression}` for `{column}` does not read as SQL")),
        }
    }

    /// Snowflake's `$2` reads a column by its position: a rename leaves it
    /// (and its output name, `$2`) as it is, but a dropped column moves the
    /// columns after it.
    pub(super) fn positional(&mut self, r: &Reference, column: &str, fate: ColumnFate) {
        let written = &self.text[r.span.clone()];
        let drops = self.spec.changes.iter().any(|c| matches!(c, crate::Change::DropColumn { .. }));
        match fate {
            ColumnFate::Dropped => self.review_column(r, FindingKind::DroppedColumnUsed, format!("`{written}` reads `{column}`, which the change drops")),
            ColumnFate::Expression(e) => self.review_column(r, FindingKind::MappedColumnUse, format!("`{written}` reads `{column}`, which becomes the expression `{e}`")),
            _ if drops => self.review(FindingKind::PositionalColumn, r.span.clone(), format!("`{written}` reads a column by its position, and the change drops a column of the table")),
            ColumnFate::Retyped(to) => self.note(FindingKind::RetypedColumnUsed, r.span.clone(), format!("`{written}` reads `{column}`, whose type changes to {to}; no edit needed")),
            ColumnFate::Kept | ColumnFate::Renamed(_) | ColumnFate::Path(_) => {}
        }
    }

    /// Keeps an output column's name: `amount_usd` selected bare becomes `amount_usd AS amount`.
    pub(super) fn alias(&mut self, r: &Reference, name: &str) {
        // The `canary` test build rewrites this one construct differently
        // (the kept name quoted), so the engine canary's tests run two real
        // builds that differ on purpose (docs/backend.md, "Engine versions").
        let kept = if cfg!(feature = "canary") { self.dialect.quote(name) } else { name.to_string() };
        self.column_edit(r, Edit::insertion(r.span.end, format!(" AS {kept}")));
        let name = name.to_ascii_lowercase();
        if !self.plan.aliased.contains(&name) {
            self.plan.aliased.push(name);
        }
    }

    /// True for a bare grouping key of BigQuery's pipe `|> AGGREGATE ...
    /// GROUP BY item`, which is an output column too (and may take an alias).
    pub(super) fn pipe_group_key(&self, r: &Reference) -> bool {
        if !self.dialect.pipe_syntax() || qualifier_before(self.text, r.span.start).is_some() {
            return false;
        }
        let from = self.statement.start.min(r.span.start);
        let Some(pipe) = self.text[from..r.span.start].rfind("|>").map(|i| from + i) else {
            return false;
        };
        let operator = self.text[pipe + 2..r.span.start].to_ascii_lowercase();
        let words: Vec<&str> = operator.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).collect();
        let previous = text::previous_token(self.text, r.span.start);
        let next = text::next_token(self.text, r.span.end);
        words.first() == Some(&"aggregate")
            && words.windows(2).any(|w| w == ["group", "by"] || w == ["order", "by"] && operator.contains("group and order"))
            && (previous == "," || previous.eq_ignore_ascii_case("by"))
            && (next.is_empty() || [",", ";", "|>", "asc", "desc"].iter().any(|t| next.eq_ignore_ascii_case(t)))
    }

    /// The alias written right after `at` (`AS amount`), when it is `column`.
    pub(super) fn alias_naming(&self, at: usize, column: &str) -> Option<text::NamePart> {
        let token = text::next_token(self.text, at);
        if !token.eq_ignore_ascii_case("as") {
            return None;
        }
        // `token` is a slice of `self.text`, past spaces and comments.
        let after_as = token.as_ptr() as usize - self.text.as_ptr() as usize + 2;
        let start = after_as + (self.text[after_as..].len() - self.text[after_as..].trim_start().len());
        let end = start + self.text[start..].find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '`' | '"'))).unwrap_or(self.text.len() - start);
        let name = read_name(self.text, start..end).filter(|n| n.parts.len() == 1)?;
        let part = name.parts.into_iter().next()?;
        self.text[part.inner.clone()].eq_ignore_ascii_case(column).then_some(part)
    }

    /// True when `r` is one of the names of a `USING (...)` join, whose
    /// other side the analysis may not have resolved (its columns unknown).
    pub(super) fn in_using(&self, r: &Reference) -> bool {
        // Within the statement: searching back to the file's start for each
        // reference made a file of many statements quadratic.
        let from = self.statement.start.min(r.span.start);
        let Some(open) = self.text[from..r.span.start].rfind('(').map(|i| from + i) else {
            return false;
        };
        let before = &self.text[..r.span.start];
        let names_only = before[open + 1..].bytes().all(|b| b.is_ascii_alphanumeric() || b.is_ascii_whitespace() || matches!(b, b'_' | b',' | b'"' | b'`'));
        names_only && text::previous_token(self.text, open).eq_ignore_ascii_case("using")
    }

    /// True when the column is an operand of a comparison, a join condition
    /// or arithmetic, where a new type changes the meaning or fails.
    pub(super) fn in_comparison(&self, r: &Reference, qualifier_start: Option<usize>) -> bool {
        let mut end = r.span.end;
        for field in &r.path {
            // Skip `.field` parts after the column.
            if let Some(i) = self.text[end..].find(field.as_str()) {
                end += i + field.len();
            }
        }
        let next = text::next_token(self.text, end);
        let previous = text::previous_token(self.text, qualifier_start.unwrap_or(r.span.start));
        let operator = |t: &str| matches!(t, "=" | "<" | ">" | "<=" | ">=" | "<>" | "!=" | "+" | "-" | "*" | "/" | "||" | "%");
        let keyword = |t: &str| ["in", "between", "like", "on", "using"].iter().any(|k| t.eq_ignore_ascii_case(k));
        operator(next)
            || operator(previous)
            || keyword(next)
            || keyword(previous)
            || previous == "(" && {
                let at = qualifier_start.unwrap_or(r.span.start);
                let from = self.statement.start.min(at);
                let before = text::previous_token(self.text, self.text[from..at].rfind('(').map_or(from, |i| from + i));
                before.eq_ignore_ascii_case("using")
            }
    }

    /// `expression` written from its parsed form (`spec_sql.rs`), with its
    /// column names qualified by `qualifier` (as the consumer wrote it),
    /// wrapped in parentheses unless it is one call or one name. `None` when
    /// it is not one expression of the dialect.
    pub(super) fn qualified_expression(&self, expression: &str, qualifier: Option<&str>) -> Option<String> {
        let mut expr = crate::spec_sql::expression(expression, self.dialect).ok()?;
        if let Some(q) = qualifier {
            // The consumer's own text for its qualifier, as one unquoted part:
            // `Display` writes it back as it is.
            let q = Ident::new(q);
            let _ = visit_expressions_mut(&mut expr, |e| {
                match e {
                    // An unquoted keyword is a date part or the like (`DATE_TRUNC(d, MONTH)`).
                    Expr::Identifier(id) if id.quote_style.is_some() || !is_keyword(&id.value) => {
                        *e = Expr::CompoundIdentifier(vec![q.clone(), id.clone()]);
                    }
                    Expr::CompoundIdentifier(parts) => parts.insert(0, q.clone()),
                    _ => {}
                }
                ControlFlow::<()>::Continue(())
            });
        }
        Some(crate::spec_sql::spelled(&expr))
    }
}
