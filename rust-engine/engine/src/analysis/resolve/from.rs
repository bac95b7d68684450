//! FROM items: tables, CTEs, derived tables, UNNEST and table functions,
//! pivots, and joins with their conditions.

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::rc::Rc;

use sqlparser::ast::{Expr, ExprWithAlias, Ident, Join, JoinConstraint, JoinOperator, ObjectName, TableAlias, TableFactor, TableFunctionArgs, TableWithJoins};

use crate::analysis::found::FoundRef;
use crate::analysis::ColumnSource;
use crate::source::PLACEHOLDER_PREFIX;

use super::lookup::{lookup, Lookup};
use super::scope::{cte, renamed, star_columns, Aliases, Clause, Column, Ctes, Relation, Scope};
use super::{alias_name, last_ident, object_name, output_name, Resolver};

impl Resolver<'_> {
    pub(super) fn join_item(&mut self, item: &TableWithJoins, scope: &mut Scope, ctes: &Ctes, write: bool) {
        self.factor(&item.relation, scope, ctes, write);
        for join in &item.joins {
            self.join(join, scope, ctes);
        }
    }

    /// Adds a joined relation to `scope` and resolves the join's condition.
    pub(super) fn join(&mut self, join: &Join, scope: &mut Scope, ctes: &Ctes) {
        let left = scope.relations.len();
        self.factor(&join.relation, scope, ctes, false);
        let constraint = match &join.join_operator {
            JoinOperator::Join(c)
            | JoinOperator::Inner(c)
            | JoinOperator::Left(c)
            | JoinOperator::LeftOuter(c)
            | JoinOperator::Right(c)
            | JoinOperator::RightOuter(c)
            | JoinOperator::FullOuter(c)
            | JoinOperator::CrossJoin(c)
            | JoinOperator::Semi(c)
            | JoinOperator::LeftSemi(c)
            | JoinOperator::RightSemi(c)
            | JoinOperator::Anti(c)
            | JoinOperator::LeftAnti(c)
            | JoinOperator::RightAnti(c)
            | JoinOperator::StraightJoin(c) => Some(c),
            JoinOperator::AsOf { match_condition, constraint } => {
                self.walk(match_condition, scope, ctes, Clause::Plain);
                Some(constraint)
            }
            _ => None,
        };
        match constraint {
            Some(JoinConstraint::On(on)) => {
                self.walk(on, scope, ctes, Clause::Plain);
            }
            Some(JoinConstraint::Natural) => self.natural(scope, left),
            Some(JoinConstraint::Using(names)) => {
                // USING (col) names the column on both sides.
                for ident in names.iter().filter_map(last_ident) {
                    let mut sides = Vec::new();
                    for side in [0..left, left..scope.relations.len()] {
                        let offset = side.start;
                        let sub = Scope { relations: scope.relations[side].to_vec(), parent: None, aliases: Aliases::default(), using: Vec::new() };
                        self.resolve(&[ident], &sub, Clause::Plain);
                        if let Lookup::Found(relation) = lookup(&sub, &ident.value) {
                            if let Some(i) = sub.relations.iter().position(|r| std::ptr::eq(r, relation)) {
                                sides.push(offset + i);
                            }
                        }
                    }
                    scope.using.push((ident.value.clone(), sides));
                }
            }
            _ => {}
        }
        // A semi or anti join outputs one side's columns only: the other
        // side's names end with its condition.
        match &join.join_operator {
            JoinOperator::Semi(_) | JoinOperator::LeftSemi(_) | JoinOperator::Anti(_) | JoinOperator::LeftAnti(_) => {
                scope.relations.truncate(left);
                scope.using.retain(|(_, sides)| sides.iter().all(|&i| i < left));
            }
            JoinOperator::RightSemi(_) | JoinOperator::RightAnti(_) => {
                scope.relations.drain(..left);
                scope.using.retain(|(_, sides)| sides.iter().all(|&i| i >= left));
                for (_, sides) in &mut scope.using {
                    sides.iter_mut().for_each(|i| *i -= left);
                }
            }
            _ => {}
        }
    }

    /// `NATURAL JOIN` joins on every name both sides have: with their
    /// columns known, those names read both sides, as with `USING`.
    fn natural(&mut self, scope: &mut Scope, left: usize) {
        let Some(right) = scope.relations.get(left) else {
            return;
        };
        if scope.relations.iter().any(Relation::columns_unknown) {
            return;
        }
        let names: Vec<String> = right.columns().into_iter().flatten().filter_map(|c| c.name.clone()).collect();
        for name in names {
            let sides: Vec<usize> = (0..scope.relations.len()).filter(|&i| scope.relations[i].column(&name).is_some()).collect();
            if sides.iter().any(|&i| i < left) {
                scope.using.push((name, sides));
            }
        }
    }

    /// Adds the relation a FROM item makes to `scope`; `write` when the
    /// statement writes the table it names.
    pub(super) fn factor(&mut self, factor: &TableFactor, scope: &mut Scope, ctes: &Ctes, write: bool) {
        let relation = match factor {
            TableFactor::Table { name, alias, args, .. } => self.table(name, alias, args.as_ref(), scope, ctes, write),
            TableFactor::Derived { lateral, subquery, alias, .. } => {
                let columns = if *lateral { self.query(subquery, Some(scope), ctes) } else { self.query(subquery, scope.parent, ctes) };
                Relation::derived(alias_name(alias), renamed(columns, alias.as_ref()))
            }
            TableFactor::UNNEST { alias, array_exprs, with_offset_alias, .. } => self.unnest(array_exprs, alias, with_offset_alias.as_ref(), scope, ctes),
            TableFactor::Function { args, alias, .. } => {
                let mut sources = Vec::new();
                for arg in args {
                    sources.extend(self.walk_node(arg, scope, ctes, Clause::Plain));
                }
                Relation::function(alias, sources)
            }
            TableFactor::TableFunction { expr, alias } => {
                let sources = self.walk(expr, scope, ctes, Clause::Plain);
                Relation::function(alias, sources)
            }
            TableFactor::NestedJoin { table_with_joins, alias } => {
                let mut inner = Scope::new(scope.parent);
                self.join_item(table_with_joins, &mut inner, ctes, write);
                if alias.is_none() {
                    scope.relations.extend(inner.relations);
                    return;
                }
                Relation::derived(alias_name(alias), inner.columns())
            }
            TableFactor::Pivot { table, aggregate_functions, value_column, alias, .. } => {
                let mut input = Scope::new(scope.parent);
                self.factor(table, &mut input, ctes, false);
                self.pivot(&input, aggregate_functions, value_column, alias, ctes)
            }
            TableFactor::Unpivot { table, value, name, columns, alias, .. } => {
                let mut input = Scope::new(scope.parent);
                self.factor(table, &mut input, ctes, false);
                self.unpivot(&input, value, name, columns, alias, ctes)
            }
            other => {
                let sources = self.walk_node(other, scope, ctes, Clause::Plain);
                Relation::Element { alias: None, sources, columns: None }
            }
        };
        scope.relations.push(relation);
    }

    /// A name in FROM: a table-valued function when it has arguments, else
    /// a CTE, a table named at run time, or a table of the catalog.
    fn table(&mut self, name: &ObjectName, alias: &Option<TableAlias>, args: Option<&TableFunctionArgs>, scope: &Scope, ctes: &Ctes, write: bool) -> Relation {
        if let Some(args) = args {
            // A table-valued function (`read_parquet(...) AS t(a, b)`), no
            // table of the catalog: its arguments are expressions.
            let mut sources = Vec::new();
            for arg in &args.args {
                sources.extend(self.walk_node(arg, scope, ctes, Clause::Plain));
            }
            Relation::function(alias, sources)
        } else if let Some(columns) = cte(ctes, name) {
            Relation::derived(alias_name(alias).or_else(|| Some(object_name(name))), renamed(columns.to_vec(), alias.as_ref()))
        } else if object_name(name).contains(PLACEHOLDER_PREFIX) {
            Relation::Opaque { alias: alias_name(alias) }
        } else {
            self.table_ref(name, write, ctes);
            let relation = self.table_relation(object_name(name), alias_name(alias));
            let Some(listed) = alias.as_ref().filter(|a| !a.columns.is_empty()) else {
                return relation;
            };
            // `t AS a(x, y)`: the list renames the table's columns, in order.
            let columns = renamed(star_columns(&relation, &HashSet::new()), Some(listed));
            match relation {
                Relation::Table { alias, name, .. } => Relation::Table { alias, name, columns: Some(Rc::new(columns)) },
                other => other,
            }
        }
    }

    /// `UNNEST(arrays) [AS alias [(columns)]] [WITH OFFSET AS offset]`.
    fn unnest(&mut self, arrays: &[Expr], alias: &Option<TableAlias>, offset: Option<&Ident>, scope: &Scope, ctes: &Ctes) -> Relation {
        let mut sources = Vec::new();
        for expr in arrays {
            sources.extend(self.walk(expr, scope, ctes, Clause::Plain));
        }
        let mut columns: Vec<Column> = Vec::new();
        if let Some(alias) = alias {
            if alias.columns.is_empty() {
                // BigQuery: UNNEST(arr) AS x names the element itself.
                columns.push(Column::new(Some(alias.name.value.clone()), sources.clone()));
            } else {
                columns.extend(alias.columns.iter().map(|c| Column::new(Some(c.name.value.clone()), sources.clone())));
            }
        }
        if let Some(offset) = offset {
            columns.push(Column::new(Some(offset.value.clone()), Vec::new()));
        }
        if alias.is_none() {
            // An anonymous UNNEST exposes its element's fields as columns.
            Relation::Element { alias: None, sources, columns: None }
        } else {
            Relation::Element { alias: alias_name(alias), sources, columns: Some(Rc::new(columns)) }
        }
    }

    /// `PIVOT (aggregates FOR values IN (...)) [AS alias]` over the table in
    /// `input`.
    fn pivot(&mut self, input: &Scope, aggregates: &[ExprWithAlias], values: &[Expr], alias: &Option<TableAlias>, ctes: &Ctes) -> Relation {
        let mut sources = Vec::new();
        for function in aggregates {
            sources.extend(self.walk(&function.expr, input, ctes, Clause::Plain));
        }
        for expr in values {
            self.walk(expr, input, ctes, Clause::Plain);
        }
        // The columns it does not aggregate or pivot on pass through;
        // the ones it makes are named after the pivot's values.
        let made = Column { name: None, sources, base: None, star: Some(alias_name(alias).unwrap_or_else(|| "(pivot)".into())) };
        let consumed: Vec<&Expr> = aggregates.iter().map(|f| &f.expr).chain(values).collect();
        passed_through(input, &consumed, alias, vec![made])
    }

    /// `UNPIVOT (value FOR name IN (columns)) [AS alias]` over the table in
    /// `input`.
    fn unpivot(&mut self, input: &Scope, value: &Expr, name: &Ident, columns: &[ExprWithAlias], alias: &Option<TableAlias>, ctes: &Ctes) -> Relation {
        let mut sources = Vec::new();
        for column in columns {
            sources.extend(self.walk(&column.expr, input, ctes, Clause::Plain));
        }
        // The value column is named, not read: `UNPIVOT (amount FOR month IN (jan, feb))`.
        let made = output_name(value).map(|n| Column::new(Some(n), sources)).into_iter().chain([Column::new(Some(name.value.clone()), Vec::new())]).collect();
        let consumed: Vec<&Expr> = columns.iter().map(|c| &c.expr).collect();
        passed_through(input, &consumed, alias, made)
    }

    pub(super) fn table_relation(&self, table: String, alias: Option<String>) -> Relation {
        let columns = self.schema.and_then(|s| s.columns(&table)).map(|columns| {
            Rc::new(
                columns
                    .iter()
                    .map(|c| {
                        let source = ColumnSource { table: table.clone(), column: c.name.clone() };
                        Column { base: Some(source.clone()), ..Column::new(Some(c.name.clone()), vec![source]) }
                    })
                    .collect(),
            )
        });
        Relation::Table { alias, name: table, columns }
    }

    /// Records a table name in FROM, JOIN, INTO, ... (not a CTE's name).
    pub(super) fn table_ref(&mut self, name: &ObjectName, write: bool, ctes: &Ctes) {
        if cte(ctes, name).is_some() {
            return;
        }
        let table = object_name(name);
        if table.contains(PLACEHOLDER_PREFIX) {
            return;
        }
        let Some(span) = self.spans.name(name) else {
            return;
        };
        if write && !self.writes.contains(&table) {
            self.writes.push(table.clone());
        }
        self.push(FoundRef::table(table, span, write));
    }
}

/// A PIVOT's or UNPIVOT's relation: the input's columns that the
/// `consumed` expressions do not name pass through, then `made`. With the
/// input's columns unknown, so are its own.
fn passed_through(input: &Scope, consumed: &[&Expr], alias: &Option<TableAlias>, made: Vec<Column>) -> Relation {
    let used = written_names(consumed);
    if input.relations.iter().any(Relation::columns_unknown) {
        return Relation::Opaque { alias: alias_name(alias) };
    }
    let mut columns: Vec<Column> = input.relations.iter().flat_map(|r| star_columns(r, &used)).collect();
    columns.extend(made);
    Relation::derived(alias_name(alias), renamed(columns, alias.as_ref()))
}

/// The column names `exprs` write (the last part of each name), lowercase.
fn written_names(exprs: &[&Expr]) -> HashSet<String> {
    let mut names = HashSet::new();
    for expr in exprs {
        let _ = sqlparser::ast::visit_expressions(*expr, |e| {
            match e {
                Expr::Identifier(ident) => _ = names.insert(ident.value.to_ascii_lowercase()),
                Expr::CompoundIdentifier(idents) => names.extend(idents.last().map(|i| i.value.to_ascii_lowercase())),
                _ => {}
            }
            ControlFlow::<()>::Continue(())
        });
    }
    names
}
