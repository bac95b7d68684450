//! From a consumer's analysis and a change to the edits its code needs, and
//! the places a person must edit by hand.

mod record;

use std::ops::Range;

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;

use sqlparser::ast::{visit_expressions_mut, Expr, Ident};
use sqlparser::keywords::ALL_KEYWORDS;

use super::edit::{Edit, Fix};
use super::finding::{Finding, FindingKind};
use super::text::{self, find_words, qualifier_before, read_name, WrittenName};
use crate::analysis::{FileAnalysis, Reference, ReferenceKind, StatementAnalysis};
use crate::schema::names_match;
use crate::source::{self, Language, PLACEHOLDER_PREFIX};
use crate::{ChangeSpec, ColumnFate, Dialect, LineIndex};

#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// The edits, one fix per reference, kept statement by statement.
    pub fixes: Vec<Fix>,
    /// What a person must edit by hand (`needs_edit`), and what the change
    /// does to the consumer that needs no edit (`note`), in the file's order.
    pub findings: Vec<Finding>,
    /// Where the references left for a person start: verification expects
    /// them unchanged.
    pub left: Vec<usize>,
    /// Output names kept by an added alias (`amount_usd AS amount`), lowercase.
    pub aliased: Vec<String>,
}

impl Plan {
    pub fn edits(&self) -> impl Iterator<Item = &Edit> {
        self.fixes.iter().flat_map(Fix::edits)
    }
}

pub(crate) struct Planner<'a> {
    pub text: &'a str,
    pub language: Language,
    pub spec: &'a ChangeSpec,
    pub dialect: Dialect,
    lines: LineIndex,
    plan: Plan,
    /// The current statement's fixes, kept in `plan.fixes` when it ends
    /// unless their column is `blocked`.
    fixes: Vec<Fix>,
    /// Changed columns of the current statement that a person must edit
    /// somewhere: none of its other uses in the statement is edited either.
    blocked: Vec<String>,
    /// What `plan.findings` holds, against duplicates: a file can have
    /// hundreds of thousands of them, and scanning the list was quadratic.
    said: HashSet<Finding>,
    /// Where the current statement is in the text.
    statement: Range<usize>,
    /// Retyped columns whose new type only widens the old (`widening.rs`), lowercase.
    widened: Vec<String>,
}

impl<'a> Planner<'a> {
    pub fn new(text: &'a str, language: Language, spec: &'a ChangeSpec, dialect: Dialect) -> Self {
        Planner {
            text,
            language,
            spec,
            dialect,
            lines: LineIndex::new(text),
            plan: Plan::default(),
            fixes: Vec::new(),
            blocked: Vec::new(),
            said: HashSet::new(),
            statement: 0..0,
            widened: Vec::new(),
        }
    }

    /// The retyped columns that only widen: no use of them needs an edit.
    pub fn with_widened(mut self, widened: Vec<String>) -> Self {
        self.widened = widened;
        self
    }

    pub fn plan(mut self, analysis: &FileAnalysis) -> Plan {
        for statement in &analysis.statements {
            self.statement(statement);
            self.withdraw_blocked();
        }
        self.dynamic_sql(analysis);
        self.plan
    }

    fn is_dataset(&self, table: Option<&str>) -> bool {
        table.is_some_and(|t| names_match(&self.spec.dataset, t))
    }

    /// True when the change does something to `column` of the dataset.
    fn changes_column(&self, column: &str) -> bool {
        self.spec.column_fate(column) != ColumnFate::Kept
    }

    fn statement(&mut self, statement: &StatementAnalysis) {
        self.statement = self.lines.offset(self.text, statement.start)..self.lines.offset(self.text, statement.end);
        self.statement_edits(statement);
        self.expression_outputs(statement);
    }

    fn statement_edits(&mut self, statement: &StatementAnalysis) {
        let reads_dataset = statement.references.iter().any(|r| r.kind == ReferenceKind::Table && self.is_dataset(r.table.as_deref()));
        if !statement.parsed {
            // Every name of an unparsed statement is only a candidate.
            // The token scan cannot tell a table from a column: any mention counts.
            let mentions = statement.references.iter().find(|r| {
                let dotted = r.table.iter().chain(&r.column).cloned().collect::<Vec<_>>().join(".");
                self.is_dataset(r.table.as_deref())
                    || self.is_dataset(Some(&dotted))
                    || r.kind != ReferenceKind::Table && r.column.as_deref().is_some_and(|c| self.changes_column(c))
            });
            if let Some(r) = mentions {
                let dotted = r.table.iter().chain(&r.column).cloned().collect::<Vec<_>>().join(".");
                let name = if r.kind == ReferenceKind::Table || self.is_dataset(Some(&dotted)) { dotted } else { r.column.clone().unwrap_or_default() };
                self.review(FindingKind::UnparsedStatement, r.span.clone(), format!("a statement Ripple could not parse mentions `{name}`; edit it by hand"));
            }
            return;
        }
        // Columns of the dataset's table whose name the analysis did not find
        // (`"PREP".ds.orders` read as BigQuery, where `"PREP"` is a string):
        // the table cannot be renamed, so neither can anything else here.
        let unnamed_table = statement.references.iter().find(|r| r.resolved && r.kind != ReferenceKind::Table && r.via.is_none() && self.is_dataset(r.table.as_deref()));
        if let (Some(_), false, Some(r)) = (self.spec.new_table(), reads_dataset, unnamed_table) {
            let left: Vec<usize> = statement.references.iter().filter(|o| self.is_dataset(o.table.as_deref())).map(|o| o.span.start).collect();
            self.plan.left.extend(left);
            return self.review(FindingKind::UnnamedTable, r.span.clone(), format!("reads `{}`, whose name Ripple cannot find in the statement; rename the table by hand", self.spec.dataset));
        }
        // A NATURAL JOIN joins on every name its sides share, none written:
        // a renamed or dropped column can change what it joins on.
        let changed_column = self.spec.changes.iter().find_map(|c| match c {
            crate::Change::RenameColumn { column, .. } | crate::Change::DropColumn { column } => Some(column.clone()),
            _ => None,
        });
        if let (true, Some(column)) = (reads_dataset, changed_column) {
            if let Some(&at) = find_words(self.text, self.statement.clone(), "natural").first() {
                let why = format!("a NATURAL JOIN joins on every name both sides share, and the change renames or drops `{column}`; write the join's condition by hand");
                self.review(FindingKind::NaturalJoin, at..at + "natural".len(), why);
            }
        }
        let aliases = self.aliases(statement);
        // The references at each place (a name can be a column of two
        // tables), looked up by place: a statement can name a column
        // thousands of times, and searching them all for each was quadratic.
        let mut by_span: HashMap<Range<usize>, Vec<&Reference>> = HashMap::new();
        for r in &statement.references {
            by_span.entry(r.span.clone()).or_default().push(r);
        }
        let at_span = |span: &Range<usize>| by_span.get(span).map_or(&[][..], Vec::as_slice);
        let mut stars: Vec<&Reference> = Vec::new();
        for r in &statement.references {
            match r.kind {
                ReferenceKind::Table if self.is_dataset(r.table.as_deref()) => {
                    if r.resolved {
                        self.table(r);
                    } else {
                        self.review(FindingKind::TemplateBranch, r.span.clone(), format!("`{}` appears in a template branch Ripple did not render", r.table.as_deref().unwrap_or_default()));
                    }
                }
                ReferenceKind::Column if r.resolved && self.is_dataset(r.table.as_deref()) => {
                    // A column named once for two tables (`USING (id)`, or `id` after it).
                    let shared = at_span(&r.span)
                        .iter()
                        .find(|o| {
                            // A CTE's column keeps its old name when output names are kept.
                            let other_side = !self.is_dataset(o.table.as_deref()) || (o.via.is_some() && self.spec.preserve_output_names);
                            o.kind == ReferenceKind::Column && other_side && (o.table != r.table || o.via != r.via)
                        })
                        .and_then(|o| o.via.clone().or(o.table.clone()));
                    // `USING (id)` whose other side's columns are unknown names only the dataset's.
                    let one_sided_using = shared.is_none() && self.in_using(r) && at_span(&r.span).len() == 1;
                    self.column(r, &aliases, shared, one_sided_using)
                }
                ReferenceKind::Column if !r.resolved && reads_dataset => {
                    let Some(column) = r.column.as_deref().filter(|c| self.changes_column(c)) else { continue };
                    let (kind, why) = if r.candidates.is_empty() {
                        (FindingKind::UnresolvedName, format!("`{column}` could not be traced to a table"))
                    } else {
                        (FindingKind::AmbiguousName, format!("`{column}` could come from any of {}", r.candidates.join(", ")))
                    };
                    self.review(kind, r.span.clone(), why);
                }
                ReferenceKind::Wildcard if self.is_dataset(r.table.as_deref()) => stars.push(r),
                _ => {}
            }
        }
        let mut i = 0;
        while i < stars.len() {
            let span = stars[i].span.clone();
            let len = stars[i..].iter().take_while(|r| r.span == span).count();
            self.star(&stars[i..i + len], at_span(&span), &aliases);
            i += len;
        }
    }

    /// Keeps the output name an unaliased item takes from its text
    /// (`sum(amount)` in DuckDB) when an edit lands inside it: the item gets
    /// its old name as an alias, or is left for a person when Ripple cannot
    /// reproduce the dialect's name.
    fn expression_outputs(&mut self, statement: &StatementAnalysis) {
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
    fn output_alias(&self, name: &str) -> String {
        let folds = matches!(self.dialect, Dialect::Postgres | Dialect::Redshift) && name.to_lowercase() != name;
        if text::is_plain(name) && !folds && !is_keyword(name) {
            return name.to_string();
        }
        let q = self.dialect.identifier_quote();
        quote(&name.replace(q, &format!("{q}{q}")), q)
    }

    /// Lowercase aliases given to the dataset's table in this statement
    /// (`FROM proj.ds.orders o`): qualifiers that must not be renamed.
    fn aliases(&self, statement: &StatementAnalysis) -> Vec<String> {
        let mut aliases = Vec::new();
        for r in statement.references.iter().filter(|r| r.kind == ReferenceKind::Table && self.is_dataset(r.table.as_deref())) {
            // `{{ source('shop', 'orders') }} AS o`: the alias follows the template expression.
            let end = match self.language == Language::Dbt && self.in_call(r.span.start, "(") {
                true => self.text[r.span.end..].find("}}").map_or(r.span.end, |i| r.span.end + i + 2),
                false => r.span.end,
            };
            let mut next = text::next_token(self.text, end);
            if next.eq_ignore_ascii_case("as") {
                let at = self.text[end..].find(next).map_or(end, |i| end + i + 2);
                next = text::next_token(self.text, at);
            }
            if text::is_plain(next) && !is_clause_keyword(next) {
                aliases.push(next.to_ascii_lowercase());
            }
        }
        aliases
    }

    /// A table name in FROM, JOIN, INTO, ...: renamed when the table moves.
    fn table(&mut self, r: &Reference) {
        let Some(to) = self.spec.new_table() else { return };
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
    fn dbt_table(&mut self, r: &Reference, to: &str) -> Option<()> {
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
            self.review(
                FindingKind::DbtSourceMove,
                r.span.clone(),
                format!("the table moves to `{to}`: check that dbt source `{source}` declares `{new_last}` in that schema"),
            );
        }
        Some(())
    }

    /// True when `at` is inside a `{{ ... }}` expression that calls `call`.
    fn in_call(&self, at: usize, call: &str) -> bool {
        let from = self.statement.start.min(at);
        let Some(open) = self.text[from..at].rfind("{{").map(|i| from + i) else { return false };
        let inside = &self.text[open..at];
        !inside.contains("}}") && inside.contains(call)
    }

    /// Rewrites the written name of the dataset's table to `to`, writing as
    /// many parts as the SQL did when that still names the new table, and
    /// editing only the parts that differ.
    fn rename_name(&self, range: Range<usize>, written: &WrittenName, to: &str) -> Fix {
        let mut fix = Fix::at(range.start);
        let old: Vec<&str> = self.spec.dataset.split('.').collect();
        let new: Vec<&str> = to.split('.').collect();
        let k = written.parts.len();
        let same_prefix = k <= old.len()
            && k <= new.len()
            && old.len() - k == new.len() - k
            && old[..old.len() - k].iter().zip(&new[..new.len() - k]).all(|(a, b)| a.eq_ignore_ascii_case(b));
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
            (true, _) => format!("`{to}`"),
            (false, Some(q)) => new.iter().map(|p| quote(p, q)).collect::<Vec<_>>().join("."),
            (false, None) if new.iter().all(|p| text::is_plain(p)) => to.to_string(),
            (false, None) => new.iter().map(|p| self.quoted_if_needed(p, None)).collect::<Vec<_>>().join("."),
        };
        fix.push(Edit::replacement(range, content));
        fix
    }

    /// `name` for a part written with `quote` (inside the quotes), or quoted
    /// in the dialect's style when it was bare and needs quotes now.
    fn quoted_if_needed(&self, name: &str, quote_style: Option<char>) -> String {
        match quote_style {
            Some(_) => name.to_string(),
            None if text::is_plain(name) => name.to_string(),
            None => quote(name, self.dialect.identifier_quote()),
        }
    }

    /// A column name or a struct field path (`customer.id`), each part quoted as needed.
    fn path_text(&self, path: &str, quote_style: Option<char>) -> String {
        path.split('.').map(|part| self.quoted_if_needed(part, quote_style)).collect::<Vec<_>>().join(".")
    }

    fn column(&mut self, r: &Reference, aliases: &[String], shared: Option<String>, one_sided_using: bool) {
        let Some(column) = r.column.as_deref() else { return };
        let fate = self.spec.column_fate(column);
        let preserve = self.spec.preserve_output_names;
        let written = &self.text[r.span.clone()];
        let name_in_text = read_name(self.text, r.span.clone()).filter(|n| n.parts.len() == 1).map(|n| n.parts[0].clone());

        if written.starts_with('$') {
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
                if matches!(fate, ColumnFate::Path(_)) && matches!(self.dialect, Dialect::Postgres | Dialect::Redshift) {
                    // `a.b.c` names a schema, a table and a column there; a field is `(a.b).c`.
                    return self.review_column(r, FindingKind::FieldPath, format!("`{column}` becomes the field `{to}`; write it as a composite field access by hand"));
                }
                let Some(part) = name_in_text else {
                    return self.review_column(r, FindingKind::UneditableName, format!("`{column}` is written in a way Ripple cannot edit"));
                };
                let content = match (part.quote, matches!(fate, ColumnFate::Path(_))) {
                    (Some(_), true) => return self.review_column(r, FindingKind::FieldPath, format!("`{column}` is quoted; write the field path `{to}` by hand")),
                    (q, _) => self.path_text(&column_in_case_of(&self.text[part.inner.clone()], column, to, q), q),
                };
                self.column_edit(r, Edit::replacement(part.inner.clone(), content));
                let renamed = r.path.is_empty() && matches!(fate, ColumnFate::Renamed(_));
                if let Some(alias) = self.alias_naming(r.span.end, to).filter(|_| renamed) {
                    // `amount_usd AS amount` renamed back to `amount`: the alias says nothing now.
                    let end = alias.inner.end + alias.quote.map_or(0, |_| 1);
                    self.column_edit(r, Edit::deletion(r.span.end..end));
                } else if (r.output || self.pipe_group_key(r)) && (preserve || matches!(fate, ColumnFate::Path(_))) && r.path.is_empty() {
                    self.alias(r, written);
                } else if !preserve && r.path.is_empty() && matches!(fate, ColumnFate::Renamed(_)) {
                    // `t.amount AS amount` passes the column through under its
                    // own name: with new output names, the name follows it.
                    if let Some(alias) = self.alias_naming(r.span.end, column) {
                        let name = self.path_text(&column_in_case_of(&self.text[alias.inner.clone()], column, to, alias.quote), alias.quote);
                        self.column_edit(r, Edit::replacement(alias.inner.clone(), name));
                    }
                }
            }
            ColumnFate::Expression(expression) => {
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
        }
    }

    /// True when the PIVOT or UNPIVOT at `at` reads a table, not a
    /// subquery (whose select list keeps the names): the token before it,
    /// past an alias, is not `)`.
    fn pivots_a_table(&self, at: usize) -> bool {
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

    /// Snowflake's `$2` reads a column by its position: a rename leaves it
    /// (and its output name, `$2`) as it is, but a dropped column moves the
    /// columns after it.
    fn positional(&mut self, r: &Reference, column: &str, fate: ColumnFate) {
        let written = &self.text[r.span.clone()];
        let drops = self.spec.changes.iter().any(|c| matches!(c, crate::Change::DropColumn { .. }));
        match fate {
            ColumnFate::Dropped => self.review_column(r, FindingKind::DroppedColumnUsed, format!("`{written}` reads `{column}`, which the change drops")),
            ColumnFate::Expression(e) => self.review_column(r, FindingKind::MappedColumnUse, format!("`{written}` reads `{column}`, which becomes the expression `{e}`")),
            _ if drops => self.review(
                FindingKind::PositionalColumn,
                r.span.clone(),
                format!("`{written}` reads a column by its position, and the change drops a column of the table"),
            ),
            ColumnFate::Retyped(to) => self.note(FindingKind::RetypedColumnUsed, r.span.clone(), format!("`{written}` reads `{column}`, whose type changes to {to}; no edit needed")),
            ColumnFate::Kept | ColumnFate::Renamed(_) | ColumnFate::Path(_) => {}
        }
    }

    /// `orders.amount` or `orders.*` where `orders` is the table's own name,
    /// not an alias: the qualifier is renamed with the table. Returns the
    /// qualifier written before `r`, if any.
    fn rename_qualifier(&mut self, r: &Reference, aliases: &[String]) -> Option<(Range<usize>, WrittenName)> {
        let (qualifier, fix) = self.qualifier_fix(r, aliases);
        self.add(fix);
        qualifier
    }

    /// The qualifier written before `r`, if any, and the fix renaming it
    /// with the table (empty when it does not name the table).
    fn qualifier_fix(&self, r: &Reference, aliases: &[String]) -> (Option<(Range<usize>, WrittenName)>, Fix) {
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

    fn name_text(&self, name: &WrittenName) -> String {
        name.parts.iter().map(|p| &self.text[p.inner.clone()]).collect::<Vec<_>>().join(".")
    }

    /// Keeps an output column's name: `amount_usd` selected bare becomes `amount_usd AS amount`.
    fn alias(&mut self, r: &Reference, name: &str) {
        self.column_edit(r, Edit::insertion(r.span.end, format!(" AS {name}")));
        let name = name.to_ascii_lowercase();
        if !self.plan.aliased.contains(&name) {
            self.plan.aliased.push(name);
        }
    }

    /// True for a bare grouping key of BigQuery's pipe `|> AGGREGATE ...
    /// GROUP BY item`, which is an output column too (and may take an alias).
    fn pipe_group_key(&self, r: &Reference) -> bool {
        if self.dialect != Dialect::BigQuery || qualifier_before(self.text, r.span.start).is_some() {
            return false;
        }
        let from = self.statement.start.min(r.span.start);
        let Some(pipe) = self.text[from..r.span.start].rfind("|>").map(|i| from + i) else { return false };
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
    fn alias_naming(&self, at: usize, column: &str) -> Option<text::NamePart> {
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
    fn in_using(&self, r: &Reference) -> bool {
        // Within the statement: searching back to the file's start for each
        // reference made a file of many statements quadratic.
        let from = self.statement.start.min(r.span.start);
        let Some(open) = self.text[from..r.span.start].rfind('(').map(|i| from + i) else { return false };
        let before = &self.text[..r.span.start];
        let names_only = before[open + 1..].bytes().all(|b| b.is_ascii_alphanumeric() || b.is_ascii_whitespace() || matches!(b, b'_' | b',' | b'"' | b'`'));
        names_only && text::previous_token(self.text, open).eq_ignore_ascii_case("using")
    }

    /// True when the column is an operand of a comparison, a join condition
    /// or arithmetic, where a new type changes the meaning or fails.
    fn in_comparison(&self, r: &Reference, qualifier_start: Option<usize>) -> bool {
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
        operator(next) || operator(previous) || keyword(next) || keyword(previous) || previous == "(" && {
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
    fn qualified_expression(&self, expression: &str, qualifier: Option<&str>) -> Option<String> {
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

    /// `SELECT *` over the dataset: with a schema, the star is expanded when
    /// a renamed column's output name must be kept.
    fn star(&mut self, refs: &[&Reference], all_at_span: &[&Reference], aliases: &[String]) {
        let span = refs[0].span.clone();
        // `orders.*`: the qualifier follows the table, whether or not the star is expanded.
        let (qualifier, qualifier_fix) = self.qualifier_fix(refs[0], aliases);
        let qualifier_range = qualifier.map(|(range, _)| range);
        self.add(qualifier_fix.clone());
        // The qualifier as it reads after its own edits, for the expanded items.
        let qualifier = qualifier_range.clone().map(|range| self.written(range, &qualifier_fix));
        let preserve = self.spec.preserve_output_names;
        let known = refs.iter().all(|r| r.column.is_some());
        let changed: Vec<&str> = if known {
            refs.iter().filter_map(|r| r.column.as_deref()).filter(|c| self.changes_column(c)).collect()
        } else {
            self.spec
                .changes
                .iter()
                .filter_map(|c| match c {
                    crate::Change::RenameColumn { column, .. } | crate::Change::DropColumn { column } => Some(column.as_str()),
                    _ => None,
                })
                .collect()
        };
        let renamed = |c: &str| matches!(self.spec.column_fate(c), ColumnFate::Renamed(_) | ColumnFate::Path(_) | ColumnFate::Expression(_));
        for &column in &changed {
            match self.spec.column_fate(column) {
                ColumnFate::Dropped if preserve => self.review(FindingKind::DroppedColumnUsed, span.clone(), format!("`*` outputs `{column}`, which the change drops")),
                ColumnFate::Dropped => self.note(FindingKind::DroppedColumnUsed, span.clone(), format!("`*` no longer outputs `{column}`")),
                ColumnFate::Retyped(to) => self.note(FindingKind::RetypedColumnUsed, span.clone(), format!("`*` outputs `{column}`, whose type changes to {to}")),
                _ => {}
            }
        }
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
        let items: Option<Vec<String>> = refs
            .iter()
            .filter_map(|r| r.column.as_deref())
            .filter(|c| self.spec.column_fate(c) != ColumnFate::Dropped)
            .map(|c| match self.spec.column_fate(c) {
                ColumnFate::Renamed(to) | ColumnFate::Path(to) => Some(format!("{prefix}{} AS {c}", self.path_text(to, None))),
                ColumnFate::Expression(e) => {
                    let q = qualifier.as_deref().map(|q| q.trim_end_matches('.'));
                    Some(format!("{} AS {c}", self.qualified_expression(e, q)?))
                }
                _ => Some(format!("{prefix}{}", self.quoted_if_needed(c, None))),
            })
            .collect();
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

    /// SQL built at run time (`f"SELECT amount FROM {table}"`): the table is
    /// unknown, so any changed column or the dataset's name in it is for a
    /// person to check.
    fn dynamic_sql(&mut self, analysis: &FileAnalysis) {
        if matches!(self.language, Language::Sql) {
            return;
        }
        let mut words: Vec<String> = self.spec.changed_columns().map(str::to_string).collect();
        words.extend(self.spec.dataset.rsplit('.').next().map(str::to_string));
        for at in self.dynamic_tables() {
            let lines = &self.lines;
            let location = lines.location(self.text, at);
            let Some(statement) = analysis.statements.iter().find(|s| s.start <= location && location <= s.end) else { continue };
            let range = lines.offset(self.text, statement.start)..lines.offset(self.text, statement.end);
            for word in &words {
                for found in find_words(self.text, range.clone(), word) {
                    if !statement.references.iter().any(|r| r.span.contains(&found)) {
                        self.review(FindingKind::PlaceholderTable, found..found + word.len(), format!("`{word}` is in SQL whose table is computed at run time; check it by hand"));
                    }
                }
            }
        }
    }

    /// File offsets of placeholders that stand where a table name goes.
    fn dynamic_tables(&self) -> Vec<usize> {
        let mut found = Vec::new();
        for fragment in source::fragments(self.language, self.text) {
            let sql = &fragment.sql;
            let mut from = 0;
            while let Some(i) = sql[from..].find(PLACEHOLDER_PREFIX) {
                let at = from + i;
                from = at + PLACEHOLDER_PREFIX.len();
                let before = text::previous_token(sql, at);
                let table_position = ["from", "join", "into", "update", "table"].iter().any(|k| before.eq_ignore_ascii_case(k));
                let host = fragment.map.host_offset(at);
                // dbt's `{{ this }}` is the model's own table.
                let this = self.language == Language::Dbt && self.text[host..].trim_start_matches(['{', '-', ' ']).starts_with("this");
                if table_position && !this {
                    found.push(host);
                }
            }
        }
        found
    }
}

/// `name` in the case an unquoted `written` name uses: a consumer that
/// writes `ORDERS` gets `ORDERS_V2`, not `orders_v2`.
fn in_case_of(written: &str, name: &str, quote_style: Option<char>) -> String {
    let letters = || written.chars().filter(|c| c.is_ascii_alphabetic());
    let upper = quote_style.is_none() && letters().next().is_some() && letters().all(|c| c.is_ascii_uppercase());
    if upper && name.chars().all(|c| !c.is_ascii_uppercase()) {
        name.to_ascii_uppercase()
    } else {
        name.to_string()
    }
}

/// A renamed column's new name as `written` would write it: in its case
/// (`in_case_of`), or else keeping the characters the old and new names
/// share as written, so that `day_dt` renamed `DAY_DT_new` reads
/// `day_dt_new`, and renaming it back gives `day_dt` again.
fn column_in_case_of(written: &str, old: &str, new: &str, quote_style: Option<char>) -> String {
    let cased = in_case_of(written, new, quote_style);
    if quote_style.is_some() || cased != new || !written.eq_ignore_ascii_case(old) {
        return cased;
    }
    let common = old.bytes().zip(new.bytes()).take_while(|(a, b)| a.eq_ignore_ascii_case(b)).count();
    if !written.is_char_boundary(common) || !new.is_char_boundary(common) {
        return cased;
    }
    format!("{}{}", &written[..common], &new[common..])
}

fn quote(name: &str, q: char) -> String {
    let close = if q == '[' { ']' } else { q };
    format!("{q}{name}{close}")
}

/// True for a word `sqlparser` reads as a keyword when unquoted.
fn is_keyword(word: &str) -> bool {
    ALL_KEYWORDS.binary_search(&word.to_ascii_uppercase().as_str()).is_ok()
}

/// Words that follow a table name without being its alias.
fn is_clause_keyword(word: &str) -> bool {
    const KEYWORDS: [&str; 24] = [
        "where", "join", "inner", "left", "right", "full", "cross", "on", "using", "group", "order", "limit", "union", "except",
        "intersect", "window", "qualify", "having", "natural", "lateral", "set", "values", "select", "tablesample",
    ];
    KEYWORDS.iter().any(|k| word.eq_ignore_ascii_case(k))
}
