//! BigQuery pipe syntax: `FROM t |> WHERE ... |> SELECT ...`.

use sqlparser::ast::{IdentWithAlias, PipeOperator, Query, SelectFlavor, SetExpr};

use super::scope::{union, Clause, Column, Ctes, Relation, Scope};
use super::{output_name, Resolver};

impl Resolver<'_> {
    /// BigQuery pipe syntax, `FROM t |> WHERE ... |> SELECT ...`: each
    /// operator reads the table the one before made. The FROM's names stay
    /// visible until an operator makes a new table (SELECT, AGGREGATE, AS,
    /// set operations); JOIN and EXTEND add to them.
    pub(super) fn pipe(&mut self, query: &Query, outer: Option<&Scope>, ctes: &Ctes) -> Vec<Column> {
        let mut scope = Scope::new(outer);
        match query.body.as_ref() {
            SetExpr::Select(select) if select.flavor == SelectFlavor::FromFirstNoSelect => {
                for item in &select.from {
                    self.join_item(item, &mut scope, ctes, false);
                }
            }
            body => {
                let columns = self.set_expr(body, outer, ctes, query.order_by.as_ref());
                scope.relations.push(Relation::derived(None, columns));
            }
        }
        for operator in &query.pipe_operators {
            if let Some(relation) = self.pipe_operator(operator, &mut scope, outer, ctes) {
                // A new table: the names before it are gone.
                scope = Scope::new(outer);
                scope.relations.push(relation);
            }
        }
        scope.columns()
    }

    /// One pipe operator over the table in `scope`: the relation it makes
    /// when it makes a new table, `None` when it keeps or adds to `scope`.
    fn pipe_operator(&mut self, operator: &PipeOperator, scope: &mut Scope, outer: Option<&Scope>, ctes: &Ctes) -> Option<Relation> {
        match operator {
            PipeOperator::Where { expr } => {
                self.walk(expr, scope, ctes, Clause::Plain);
            }
            PipeOperator::Limit { expr, offset } => {
                for expr in std::iter::once(expr).chain(offset) {
                    self.walk(expr, scope, ctes, Clause::Plain);
                }
            }
            PipeOperator::OrderBy { exprs } => {
                for expr in exprs {
                    self.walk(&expr.expr, scope, ctes, Clause::Plain);
                }
            }
            PipeOperator::Select { exprs } => return Some(Relation::derived(None, self.projection(exprs, scope, ctes, None))),
            PipeOperator::Extend { exprs } => {
                let columns = self.projection(exprs, scope, ctes, None);
                scope.relations.push(Relation::derived(None, columns));
            }
            PipeOperator::Set { assignments } => {
                for assignment in assignments {
                    self.walk_node(&assignment.target, scope, ctes, Clause::Plain);
                    self.walk(&assignment.value, scope, ctes, Clause::Plain);
                }
            }
            PipeOperator::Drop { columns } => {
                for ident in columns {
                    self.resolve(&[ident], scope, Clause::Plain);
                }
            }
            PipeOperator::Rename { mappings } => return Some(self.rename(mappings, scope)),
            PipeOperator::As { alias } => return Some(Relation::derived(Some(alias.value.clone()), scope.columns())),
            PipeOperator::Aggregate { full_table_exprs, group_by_expr } => {
                let mut columns = Vec::new();
                for item in group_by_expr.iter().chain(full_table_exprs) {
                    let sources = self.walk(&item.expr.expr, scope, ctes, Clause::Plain);
                    let name = item.expr.alias.as_ref().map(|a| a.value.clone()).or_else(|| output_name(&item.expr.expr));
                    let base = self.base_of(&item.expr.expr, &name, &sources);
                    columns.push(Column { name, sources, base, star: None });
                }
                return Some(Relation::derived(None, columns));
            }
            PipeOperator::Union { queries, .. } | PipeOperator::Intersect { queries, .. } | PipeOperator::Except { queries, .. } => {
                let mut columns = scope.columns();
                for other in queries {
                    union(&mut columns, self.query(other, outer, ctes));
                }
                return Some(Relation::derived(None, columns));
            }
            PipeOperator::Join(join) => self.join(join, scope, ctes),
            // Table functions and pivots make tables whose columns are
            // not known here; names read after them are not reported.
            PipeOperator::Call { function, alias } => {
                self.walk_node(function, scope, ctes, Clause::Plain);
                return Some(Relation::Opaque { alias: alias.as_ref().map(|a| a.value.clone()) });
            }
            PipeOperator::Pivot { aggregate_functions, value_column, alias, .. } => {
                for function in aggregate_functions {
                    self.walk(&function.expr, scope, ctes, Clause::Plain);
                }
                for ident in value_column {
                    self.resolve(&[ident], scope, Clause::Plain);
                }
                return Some(Relation::Opaque { alias: alias.as_ref().map(|a| a.value.clone()) });
            }
            PipeOperator::Unpivot { unpivot_columns, alias, .. } => {
                for ident in unpivot_columns {
                    self.resolve(&[ident], scope, Clause::Plain);
                }
                return Some(Relation::Opaque { alias: alias.as_ref().map(|a| a.value.clone()) });
            }
            PipeOperator::TableSample { .. } => {}
        }
        None
    }

    /// `|> RENAME a AS b, ...`: the table with those columns renamed.
    fn rename(&mut self, mappings: &[IdentWithAlias], scope: &Scope) -> Relation {
        let mut columns = scope.columns();
        for mapping in mappings {
            self.resolve(&[&mapping.ident], scope, Clause::Plain);
            if let Some(column) = columns.iter_mut().find(|c| c.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(&mapping.ident.value))) {
                column.name = Some(mapping.alias.value.clone());
                column.base = None;
            }
        }
        Relation::derived(None, columns)
    }
}
