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

impl Column {
    /// A column named `name` (or unnamed) whose values come from `sources`,
    /// passing no source column through.
    pub fn new(name: Option<String>, sources: Vec<ColumnSource>) -> Self {
        Column { name, sources, base: None, star: None }
    }
}

/// Something a query reads from, under its alias when it has one.
#[derive(Debug, Clone)]
pub(super) enum Relation {
    /// A table of the catalog, named as the SQL writes it; its columns when
    /// the schema gives them (renamed by an alias's column list).
    Table { alias: Option<String>, name: String, columns: Option<Rc<Vec<Column>>> },
    /// A table a query makes (a CTE, a derived table, a LATERAL VIEW, a pipe
    /// operator's result, a table function with a column list): its columns
    /// are known.
    Derived { alias: Option<String>, columns: Rc<Vec<Column>> },
    /// UNNEST, FLATTEN and table functions: any name may be a field of the
    /// element, whose values come from `sources`. An alias names the element
    /// itself, and `columns` what the alias lists.
    Element { alias: Option<String>, sources: Vec<ColumnSource>, columns: Option<Rc<Vec<Column>>> },
    /// A table whose columns cannot be known (named by a placeholder, made
    /// by a pipe CALL or PIVOT, a PIVOT over a table of unknown columns):
    /// names read from it are not reported.
    Opaque { alias: Option<String> },
}

impl Relation {
    /// A table function's relation: its columns are the alias's list when it
    /// has one (`AS t(a, b)`), and unknown otherwise.
    pub fn function(alias: &Option<TableAlias>, sources: Vec<ColumnSource>) -> Relation {
        match alias {
            Some(a) if !a.columns.is_empty() => {
                let columns = a.columns.iter().map(|c| Column::new(Some(c.name.value.clone()), sources.clone())).collect();
                Relation::derived(alias_name(alias), columns)
            }
            _ => Relation::Element { alias: alias_name(alias), sources, columns: None },
        }
    }

    /// A table made by a query, its columns known.
    pub fn derived(alias: Option<String>, columns: Vec<Column>) -> Relation {
        Relation::Derived { alias, columns: Rc::new(columns) }
    }

    pub fn alias(&self) -> Option<&str> {
        match self {
            Relation::Table { alias, .. } | Relation::Derived { alias, .. } | Relation::Element { alias, .. } | Relation::Opaque { alias } => alias.as_deref(),
        }
    }

    /// The catalog table's name, for a table.
    pub fn table(&self) -> Option<&str> {
        match self {
            Relation::Table { name, .. } => Some(name),
            _ => None,
        }
    }

    /// The columns known by name: the schema's, a query's, an alias's list.
    pub fn columns(&self) -> Option<&[Column]> {
        match self {
            Relation::Table { columns, .. } | Relation::Element { columns, .. } => columns.as_deref().map(Vec::as_slice),
            Relation::Derived { columns, .. } => Some(columns),
            Relation::Opaque { .. } => None,
        }
    }

    pub fn label(&self) -> String {
        self.alias().or(self.table()).unwrap_or("(subquery)").to_string()
    }

    pub fn named(&self, qualifier: &str) -> bool {
        match (self.alias(), self.table()) {
            (Some(alias), _) => alias.eq_ignore_ascii_case(qualifier),
            (None, Some(table)) => names_match(table, qualifier),
            (None, None) => false,
        }
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns()?.iter().find(|c| c.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name)))
    }

    pub fn has_star(&self) -> Option<&Column> {
        self.columns()?.iter().find(|c| c.star.is_some())
    }

    /// Whether any name may be a column of this relation: a table without
    /// a schema, a star over one, an anonymous UNNEST (whose element's
    /// fields are columns).
    pub fn columns_unknown(&self) -> bool {
        match self {
            Relation::Table { columns, .. } => columns.is_none(),
            Relation::Derived { .. } => self.has_star().is_some(),
            Relation::Element { alias, .. } => alias.is_none() && (self.columns().is_none() || self.has_star().is_some()),
            Relation::Opaque { .. } => true,
        }
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
                longest = longest.max(relation.table().map_or(1, |t| t.matches('.').count() + 1));
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

/// The columns `*` stands for over `relation`, without `excluded` names.
pub(super) fn star_columns(relation: &Relation, excluded: &HashSet<String>) -> Vec<Column> {
    if let Some(columns) = relation.columns() {
        return columns.iter().filter(|c| c.name.as_ref().is_none_or(|n| !excluded.contains(&n.to_ascii_lowercase()))).cloned().collect();
    }
    match relation {
        Relation::Table { name, .. } => vec![Column { name: None, sources: vec![ColumnSource { table: name.clone(), column: "*".into() }], base: None, star: Some(name.clone()) }],
        Relation::Element { sources, .. } => vec![Column::new(None, sources.clone())],
        Relation::Derived { .. } | Relation::Opaque { .. } => vec![Column::new(None, Vec::new())],
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
