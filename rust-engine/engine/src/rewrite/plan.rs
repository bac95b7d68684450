//! From a consumer's analysis and a change to the edits its code needs, and
//! the places a person must edit by hand.

mod columns;
mod outputs;
mod record;
mod stars;
mod tables;

use std::ops::Range;

use std::collections::{HashMap, HashSet};

use sqlparser::keywords::ALL_KEYWORDS;

use super::edit::{Edit, Fix};
use super::finding::{Finding, FindingKind};
use super::text::{self, find_words};
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
            return self.unparsed(statement);
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
        if reads_dataset {
            self.natural_join();
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
                    let Some(column) = r.column.as_deref().filter(|c| self.changes_column(c)) else {
                        continue;
                    };
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

    /// Every name of an unparsed statement is only a candidate. The token
    /// scan cannot tell a table from a column: any mention counts.
    fn unparsed(&mut self, statement: &StatementAnalysis) {
        let mentions = statement.references.iter().find(|r| {
            let dotted = r.table.iter().chain(&r.column).cloned().collect::<Vec<_>>().join(".");
            self.is_dataset(r.table.as_deref()) || self.is_dataset(Some(&dotted)) || r.kind != ReferenceKind::Table && r.column.as_deref().is_some_and(|c| self.changes_column(c))
        });
        if let Some(r) = mentions {
            let dotted = r.table.iter().chain(&r.column).cloned().collect::<Vec<_>>().join(".");
            let name = if r.kind == ReferenceKind::Table || self.is_dataset(Some(&dotted)) { dotted } else { r.column.clone().unwrap_or_default() };
            self.review(FindingKind::UnparsedStatement, r.span.clone(), format!("a statement Ripple could not parse mentions `{name}`; edit it by hand"));
        }
    }

    /// A NATURAL JOIN joins on every name its sides share, none written: a
    /// renamed or dropped column can change what it joins on.
    fn natural_join(&mut self) {
        let changed_column = self.spec.changes.iter().find_map(|c| match c {
            crate::Change::RenameColumn { column, .. } | crate::Change::DropColumn { column } => Some(column.clone()),
            _ => None,
        });
        if let Some(column) = changed_column {
            if let Some(&at) = find_words(self.text, self.statement.clone(), "natural").first() {
                let why = format!("a NATURAL JOIN joins on every name both sides share, and the change renames or drops `{column}`; write the join's condition by hand");
                self.review(FindingKind::NaturalJoin, at..at + "natural".len(), why);
            }
        }
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
            let Some(statement) = analysis.statements.iter().find(|s| s.start <= location && location <= s.end) else {
                continue;
            };
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

/// `name` between the quote `q` and its closing one, escaped as `dialect`
/// escapes inside them: the closing quote doubled, or backslashed inside a
/// BigQuery backquote. (A name holding its quote character was written
/// unescaped before, and then failed verification.)
fn quote(name: &str, q: char, dialect: Dialect) -> String {
    let close = if q == '[' { ']' } else { q };
    format!("{q}{}{close}", escaped(name, q, dialect))
}

/// `name` as it is written inside the quote `q`.
fn escaped(name: &str, q: char, dialect: Dialect) -> String {
    let close = if q == '[' { ']' } else { q };
    if dialect == Dialect::BigQuery && q == '`' {
        name.replace('\\', "\\\\").replace('`', "\\`")
    } else {
        name.replace(close, &format!("{close}{close}"))
    }
}

/// True for a word `sqlparser` reads as a keyword when unquoted.
fn is_keyword(word: &str) -> bool {
    ALL_KEYWORDS.binary_search(&word.to_ascii_uppercase().as_str()).is_ok()
}

/// Words that follow a table name without being its alias.
fn is_clause_keyword(word: &str) -> bool {
    const KEYWORDS: [&str; 24] = [
        "where",
        "join",
        "inner",
        "left",
        "right",
        "full",
        "cross",
        "on",
        "using",
        "group",
        "order",
        "limit",
        "union",
        "except",
        "intersect",
        "window",
        "qualify",
        "having",
        "natural",
        "lateral",
        "set",
        "values",
        "select",
        "tablesample",
    ];
    KEYWORDS.iter().any(|k| word.eq_ignore_ascii_case(k))
}
