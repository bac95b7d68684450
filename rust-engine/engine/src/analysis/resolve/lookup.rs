//! Name lookup: which relation of a scope, or of an outer one, a name
//! belongs to, and the reference it makes.

use std::ops::Range;

use sqlparser::ast::Ident;

use crate::analysis::found::FoundRef;
use crate::analysis::ColumnSource;
use crate::dialect::AliasRule;
use crate::source::PLACEHOLDER_PREFIX;

use super::scope::{Clause, Relation, Scope};
use super::Resolver;

impl Resolver<'_> {
    /// Resolves a column reference written as `parts` (`col`, `t.col`,
    /// `ds.t.col`, `t.col.field`, ...), records it, and returns the source
    /// columns it reads.
    pub(super) fn resolve(&mut self, parts: &[&Ident], scope: &Scope, clause: Clause) -> Vec<ColumnSource> {
        let Some(first) = parts.first() else {
            return Vec::new();
        };
        // Names built at run time (placeholders), query parameters (`@day`)
        // and system variables are not columns.
        if first.value.starts_with('@') || parts.iter().any(|p| p.value.contains(PLACEHOLDER_PREFIX)) {
            return Vec::new();
        }
        // Qualified: the longest qualifier naming a relation in scope.
        if let Some(sources) = self.qualified(parts, scope) {
            return sources;
        }
        // A scripting variable (or its fields: `rec.amount` in a FOR loop),
        // unless a known table has a column of that name.
        if self.variables.contains(&first.value.to_ascii_lowercase()) && !matches!(lookup(scope, &first.value), Lookup::Found(r) if r.column(&first.value).is_some()) {
            return Vec::new();
        }
        // Unqualified, or a column followed by struct fields.
        let name = &first.value;
        if let (1, Clause::Select { clause, bare }) = (parts.len(), clause) {
            if let Some(sources) = self.output_alias(first, scope, self.dialect.alias_rule(clause, bare)) {
                return sources;
            }
        }
        if let Some((_, sides)) = scope.using.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            let mut sources = Vec::new();
            for &i in sides {
                let span = self.spans.parts(parts).swap_remove(0);
                sources.extend(self.column_of(&scope.relations[i], first, span, &parts[1..]));
            }
            if !sources.is_empty() {
                return sources;
            }
        }
        match lookup(scope, name) {
            Lookup::Found(relation) => {
                let span = self.spans.parts(parts).swap_remove(0);
                self.column_of(relation, first, span, &parts[1..])
            }
            Lookup::Ambiguous(candidates) => {
                let span = self.spans.parts(parts).swap_remove(0);
                self.unresolved(None, first, span, &parts[1..], candidates);
                Vec::new()
            }
            Lookup::NotFound => {
                if self.variables.contains(&name.to_ascii_lowercase()) {
                    return Vec::new();
                }
                if let Some(alias) = scope.alias(name) {
                    return alias.sources.clone();
                }
                let last = parts.len() - 1;
                let span = self.spans.parts(parts).swap_remove(last);
                let qualifier = (last > 0).then(|| parts[..last].iter().map(|i| i.value.as_str()).collect::<Vec<_>>().join("."));
                self.unresolved(qualifier, parts[last], span, &[], Vec::new());
                Vec::new()
            }
        }
    }

    /// A name whose first parts name a relation in scope (the longest such
    /// qualifier): that relation's column, then a path of fields.
    fn qualified(&mut self, parts: &[&Ident], scope: &Scope) -> Option<Vec<ColumnSource>> {
        // A qualifier has no more parts than the longest name in scope, which
        // keeps a name of thousands of parts (`(a).f.f.f...`) linear.
        let longest = scope.longest_name();
        for k in (1..parts.len().min(longest + 1)).rev() {
            let qualifier = parts[..k].iter().map(|i| i.value.as_str()).collect::<Vec<_>>().join(".");
            if let Some(relation) = scope.named(&qualifier) {
                let span = self.spans.parts(parts).swap_remove(k);
                return Some(self.column_of(relation, parts[k], span, &parts[k + 1..]));
            }
        }
        None
    }

    /// A name in a clause where an output alias of that name is visible:
    /// the alias's sources when the dialect's `rule` makes it the alias,
    /// none (the reference left unresolved) when it cannot tell, and `None`
    /// when it is the FROM's column, to be resolved as usual.
    fn output_alias(&mut self, name: &Ident, scope: &Scope, rule: AliasRule) -> Option<Vec<ColumnSource>> {
        let alias = scope.alias(&name.value)?;
        // `ORDER BY amount` after `SELECT amount`: the column itself either way.
        if scope.alias_passes_through(&name.value) {
            return None;
        }
        match (rule, local_column(scope, &name.value)) {
            (AliasRule::Hidden, _) | (AliasRule::ColumnFirst, LocalColumn::Known) => None,
            (AliasRule::AliasFirst, _) | (_, LocalColumn::None) => Some(alias.sources.clone()),
            // A column the FROM may have (its columns unknown), or a rule
            // the dialect's documentation leaves open: never guessed.
            (AliasRule::ColumnFirst | AliasRule::Unclear, column) => {
                let mut candidates = match column {
                    LocalColumn::Maybe(labels) => labels,
                    _ => scope.relations.iter().filter(|r| r.column(&name.value).is_some()).map(Relation::label).collect(),
                };
                candidates.push(format!("the output alias {}", name.value));
                let span = self.spans.ident(name);
                self.unresolved(None, name, span, &[], candidates);
                Some(Vec::new())
            }
        }
    }

    /// Snowflake's `$n`: the `n`th column of the FROM's only relation, when
    /// its columns are known.
    pub(super) fn positional(&mut self, n: usize, span: sqlparser::tokenizer::Span, scope: &Scope) -> Vec<ColumnSource> {
        let [relation] = scope.relations.as_slice() else {
            return Vec::new();
        };
        let name = match (relation.columns(), relation.table(), self.schema) {
            (Some(columns), _, _) => columns.get(n.wrapping_sub(1)).and_then(|c| c.name.clone()),
            (None, Some(table), Some(schema)) => schema.columns(table).and_then(|c| c.get(n.wrapping_sub(1))).map(|c| c.name.clone()),
            _ => None,
        };
        let Some(name) = name else { return Vec::new() };
        let start = self.spans.offset(span.start.into());
        let text = format!("${n}");
        let ident = Ident::new(name);
        self.column_of(relation, &ident, Some(start..start + text.len()), &[])
    }

    /// `column` (then `path`) of `relation`.
    fn column_of(&mut self, relation: &Relation, column: &Ident, span: Option<Range<usize>>, path: &[&Ident]) -> Vec<ColumnSource> {
        let Some(span) = span else { return Vec::new() };
        let path: Vec<String> = path.iter().map(|i| i.value.clone()).collect();
        match relation {
            Relation::Opaque { .. } => return Vec::new(),
            Relation::Table { name: table, .. } => {
                let known = relation.columns().is_none() || relation.column(&column.value).is_some();
                let reference =
                    if known { FoundRef::column(table.clone(), column.value.clone(), span) } else { FoundRef::unresolved(Some(table.clone()), column.value.clone(), span, vec![table.clone()]) };
                self.push(reference.with_path(path));
                return vec![ColumnSource { table: table.clone(), column: column.value.clone() }];
            }
            Relation::Derived { .. } | Relation::Element { .. } => {}
        }
        if let Some(found) = relation.column(&column.value) {
            if let Some(base) = &found.base {
                self.push(FoundRef::column(base.table.clone(), base.column.clone(), span).with_path(path).via(Some(relation.label())));
            }
            return found.sources.clone();
        }
        if let Relation::Element { sources, .. } = relation {
            return sources.clone();
        }
        if let Some(star) = relation.has_star().and_then(|c| c.star.clone()) {
            // A CTE selecting `*` from a table of unknown columns.
            self.push(FoundRef::column(star.clone(), column.value.clone(), span).with_path(path).via(Some(relation.label())));
            return vec![ColumnSource { table: star, column: column.value.clone() }];
        }
        if relation.columns().is_some() {
            self.unresolved(Some(relation.label()), column, Some(span), &[], vec![relation.label()]);
        }
        Vec::new()
    }

    fn unresolved(&mut self, table: Option<String>, column: &Ident, span: Option<Range<usize>>, path: &[&Ident], candidates: Vec<String>) {
        let Some(span) = span else { return };
        let path = path.iter().map(|i| i.value.clone()).collect();
        self.push(FoundRef::unresolved(table, column.value.clone(), span, candidates).with_path(path));
    }
}

pub(super) enum Lookup<'s> {
    Found(&'s Relation),
    Ambiguous(Vec<String>),
    NotFound,
}

/// The relation an unqualified column name belongs to, innermost scope first.
/// A name no known relation has belongs to the only relation whose columns
/// are unknown; with several such relations it is ambiguous, never guessed.
pub(super) fn lookup<'s>(scope: &'s Scope<'s>, name: &str) -> Lookup<'s> {
    let mut current = Some(scope);
    while let Some(s) = current {
        // Counted first, collected only when ambiguous: this runs for every column.
        let has = |r: &&Relation| r.column(name).is_some();
        match s.relations.iter().filter(has).count() {
            1 => return Lookup::Found(s.relations.iter().find(has).unwrap()),
            0 => {}
            _ => return Lookup::Ambiguous(s.relations.iter().filter(has).map(Relation::label).collect()),
        }
        // Relations whose columns are unknown: tables without a schema, stars
        // over them, and anonymous UNNESTs (whose element's fields are columns).
        let unknown = |r: &&Relation| r.columns_unknown();
        match s.relations.iter().filter(unknown).count() {
            1 => return Lookup::Found(s.relations.iter().find(unknown).unwrap()),
            0 => {}
            _ => return Lookup::Ambiguous(s.relations.iter().filter(unknown).map(Relation::label).collect()),
        }
        current = s.parent;
    }
    Lookup::NotFound
}

/// Whether the FROM of `scope` itself (not an outer query's) has a column.
enum LocalColumn {
    Known,
    /// Not among the known columns, but relations whose columns are unknown
    /// (labelled here) may have it.
    Maybe(Vec<String>),
    None,
}

fn local_column(scope: &Scope, name: &str) -> LocalColumn {
    if scope.relations.iter().any(|r| r.column(name).is_some()) || scope.using.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
        return LocalColumn::Known;
    }
    let unknown: Vec<String> = scope.relations.iter().filter(|r| r.columns_unknown()).map(Relation::label).collect();
    if unknown.is_empty() {
        LocalColumn::None
    } else {
        LocalColumn::Maybe(unknown)
    }
}
