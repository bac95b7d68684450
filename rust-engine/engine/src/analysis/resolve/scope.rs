//! Scopes as data: the relations a query reads, their columns, the
//! output aliases and USING columns visible in it.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use sqlparser::ast::{Expr, ObjectName, SelectItem, TableAlias};

use crate::analysis::ColumnSource;
use crate::dialect::AliasClause;
use crate::schema::names_match;

use super::{alias_name, part_value};

/// An output column of a query, and where its values come from.
#[derive(Debug, Clone)]
pub(super) struct Column {
    pub name: Option<String>,
    pub sources: Vec<ColumnSource>,
    /// Set when the column passes a source column through under the same
    /// name, so references to it name that source column.
    pub base: Option<ColumnSource>,
    /// `*` over a table whose columns are unknown: any name may be one of them.
    pub star: Option<String>,
}

/// Something a query reads from: a table, a CTE, a derived table, an UNNEST.
#[derive(Debug, Clone)]
pub(super) struct Relation {
    pub alias: Option<String>,
    /// The source table's name as written, for a table.
    pub table: Option<String>,
    /// Known columns (CTE and derived outputs, or the schema's); `None`
    /// when unknown.
    pub columns: Option<Rc<Vec<Column>>>,
    /// For UNNEST, FLATTEN and table functions: every name is a field of the
    /// element, whose values come from these sources.
    pub open: Option<Vec<ColumnSource>>,
    /// A table named by a placeholder (a Jinja expression, an interpolated
    /// variable): its columns are unknown and never reported.
    pub dynamic: bool,
}

impl Relation {
    pub fn label(&self) -> String {
        self.alias.clone().or_else(|| self.table.clone()).unwrap_or_else(|| "(subquery)".into())
    }

    pub fn named(&self, qualifier: &str) -> bool {
        match (&self.alias, &self.table) {
            (Some(alias), _) => alias.eq_ignore_ascii_case(qualifier),
            (None, Some(table)) => names_match(table, qualifier),
            (None, None) => false,
        }
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.as_ref()?.iter().find(|c| c.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name)))
    }

    pub fn has_star(&self) -> Option<&Column> {
        self.columns.as_ref()?.iter().find(|c| c.star.is_some())
    }

    /// Whether any name may be a column of this relation: a table without
    /// a schema, a star over one, an anonymous UNNEST (whose element's
    /// fields are columns).
    pub fn columns_unknown(&self) -> bool {
        (self.columns.is_none() || (self.table.is_none() && self.has_star().is_some())) && (self.open.is_none() || self.alias.is_none())
    }
}

pub(super) struct Scope<'p> {
    pub relations: Vec<Relation>,
    pub parent: Option<&'p Scope<'p>>,
    /// Output aliases of the SELECT list, visible in GROUP BY, HAVING,
    /// QUALIFY and ORDER BY (and later items of the list, in some dialects).
    pub aliases: Aliases,
    /// Columns joined with USING: an unqualified name reads every side.
    pub using: Vec<(String, Vec<usize>)>,
}

impl<'p> Scope<'p> {
    pub fn new(parent: Option<&'p Scope<'p>>) -> Self {
        Scope { relations: Vec::new(), parent, aliases: Aliases::default(), using: Vec::new() }
    }

    /// The most parts the name of a relation in this scope or an outer one
    /// has.
    pub fn longest_name(&self) -> usize {
        let mut longest = 1;
        let mut current = Some(self);
        while let Some(s) = current {
            for relation in &s.relations {
                longest = longest.max(relation.table.as_deref().map_or(1, |t| t.matches('.').count() + 1));
            }
            current = s.parent;
        }
        longest
    }

    /// The relation `qualifier` names, innermost scope first.
    pub fn named(&self, qualifier: &str) -> Option<&Relation> {
        let mut current = Some(self);
        while let Some(s) = current {
            if let Some(relation) = s.relations.iter().find(|r| r.named(qualifier)) {
                return Some(relation);
            }
            current = s.parent;
        }
        None
    }

    /// The columns of the relations in this scope, as `*` gives them.
    pub fn columns(&self) -> Vec<Column> {
        self.relations.iter().flat_map(|r| star_columns(r, &HashSet::new())).collect()
    }

    pub fn alias(&self, name: &str) -> Option<&Column> {
        let at = *self.aliases.first.get(&name.to_ascii_lowercase())?;
        self.aliases.columns.get(at)
    }

    /// True when the output alias `name` is a column selected under its own name.
    pub fn alias_passes_through(&self, name: &str) -> bool {
        self.aliases.first.get(&name.to_ascii_lowercase()).is_some_and(|&at| self.aliases.passes[at])
    }
}

/// Output aliases, found by name through a map: a SELECT of tens of
/// thousands of columns looked each name up in all of them.
#[derive(Default)]
pub(super) struct Aliases {
    pub columns: Vec<Column>,
    /// Whether each column passes a column through under its own name.
    pub passes: Vec<bool>,
    /// Lowercase name to the first column of that name.
    pub first: HashMap<String, usize>,
}

impl Aliases {
    /// Adds output columns, each with whether it passes a column through
    /// under that column's own name.
    pub fn extend(&mut self, columns: impl Iterator<Item = (Column, bool)>) {
        for (column, passes) in columns {
            if let Some(name) = &column.name {
                self.first.entry(name.to_ascii_lowercase()).or_insert(self.columns.len());
            }
            self.columns.push(column);
            self.passes.push(passes);
        }
    }
}

/// True for a SELECT item that is a column under its own name (`amount`,
/// `o.amount`, `o.amount AS amount`): its alias and the column are one.
pub(super) fn passes_through(item: &SelectItem) -> bool {
    let last = |expr: &Expr| match expr {
        Expr::Identifier(ident) => Some(ident.value.clone()),
        Expr::CompoundIdentifier(idents) => idents.last().map(|i| i.value.clone()),
        _ => None,
    };
    match item {
        SelectItem::UnnamedExpr(expr) => last(expr).is_some(),
        SelectItem::ExprWithAlias { expr, alias } => last(expr).is_some_and(|n| n.eq_ignore_ascii_case(&alias.value)),
        SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..) => true,
        SelectItem::ExprWithAliases { .. } => false,
    }
}

/// Where a name is written: whether it may also name an output alias, and
/// which wins then, is the dialect's rule (`Dialect::alias_rule`).
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Clause {
    /// FROM, ON, and everything outside a SELECT: no output alias is visible.
    Plain,
    /// A clause of a SELECT; `bare` when the name is the whole item
    /// (`GROUP BY x`, not `GROUP BY x + 1`), which some dialects treat apart.
    Select { clause: AliasClause, bare: bool },
}

impl Clause {
    pub fn of(clause: AliasClause) -> Self {
        Clause::Select { clause, bare: false }
    }

    /// The clause for one item of GROUP BY or ORDER BY.
    pub fn item(clause: AliasClause, expr: &Expr) -> Self {
        Clause::Select { clause, bare: matches!(expr, Expr::Identifier(_)) }
    }
}

pub(super) type Ctes = [(String, Rc<Vec<Column>>)];

/// A scope holding only a statement's target (the first relation), where
/// `SET col = ...` names are resolved: they always belong to the target.
pub(super) fn target_scope(scope: &Scope) -> Scope<'static> {
    Scope { relations: scope.relations.iter().take(1).cloned().collect(), parent: None, aliases: Aliases::default(), using: Vec::new() }
}

/// A table function's relation: its columns are the alias's list when it
/// has one (`AS t(a, b)`), and unknown otherwise.
pub(super) fn function_relation(alias: &Option<TableAlias>, sources: Vec<ColumnSource>) -> Relation {
    match alias {
        Some(a) if !a.columns.is_empty() => {
            let columns = a.columns.iter().map(|c| Column { name: Some(c.name.value.clone()), sources: sources.clone(), base: None, star: None }).collect();
            Relation { alias: alias_name(alias), table: None, columns: Some(Rc::new(columns)), open: None, dynamic: false }
        }
        _ => Relation { alias: alias_name(alias), table: None, columns: None, open: Some(sources), dynamic: false },
    }
}

/// A table made by a query, its columns known.
pub(super) fn derived(alias: Option<String>, columns: Vec<Column>) -> Relation {
    Relation { alias, table: None, columns: Some(Rc::new(columns)), open: None, dynamic: false }
}

/// The columns `*` stands for over `relation`, without `excluded` names.
pub(super) fn star_columns(relation: &Relation, excluded: &HashSet<String>) -> Vec<Column> {
    match (&relation.columns, &relation.table) {
        (Some(columns), _) => columns
            .iter()
            .filter(|c| c.name.as_ref().is_none_or(|n| !excluded.contains(&n.to_ascii_lowercase())))
            .cloned()
            .collect(),
        (None, Some(table)) => vec![Column {
            name: None,
            sources: vec![ColumnSource { table: table.clone(), column: "*".into() }],
            base: None,
            star: Some(table.clone()),
        }],
        (None, None) => vec![Column { name: None, sources: relation.open.clone().unwrap_or_default(), base: None, star: None }],
    }
}

/// Adds the columns of a set operation's other branch to `columns`, one
/// by one: a column passes a source column through only when every branch
/// passes the same one.
pub(super) fn union(columns: &mut [Column], other: Vec<Column>) {
    for (column, other) in columns.iter_mut().zip(other) {
        column.sources.extend(other.sources);
        if column.base != other.base {
            column.base = None;
        }
    }
}

/// Applies a table alias's column list (`AS t(a, b)`) to `columns`.
pub(super) fn renamed(mut columns: Vec<Column>, alias: Option<&TableAlias>) -> Vec<Column> {
    let Some(alias) = alias else { return columns };
    for (column, name) in columns.iter_mut().zip(&alias.columns) {
        if column.name.as_deref() != Some(name.name.value.as_str()) {
            column.base = None;
        }
        column.name = Some(name.name.value.clone());
    }
    columns
}

pub(super) fn cte<'c>(ctes: &'c Ctes, name: &ObjectName) -> Option<&'c [Column]> {
    if name.0.len() != 1 {
        return None;
    }
    let wanted = part_value(&name.0[0]);
    ctes.iter().rev().find(|(n, _)| n.eq_ignore_ascii_case(&wanted)).map(|(_, c)| c.as_slice())
}
