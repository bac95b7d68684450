//! Queries: CTEs, SELECT (its list, wildcards and clauses) and set
//! operations, each giving its output columns.

use std::collections::HashSet;
use std::ops::Range;
use std::rc::Rc;

use sqlparser::ast::{Distinct, Expr, GroupByExpr, Ident, ObjectNamePart, OrderBy, OrderByKind, Query, Select, SelectItem, SelectItemQualifiedWildcardKind, SetExpr, WildcardAdditionalOptions};

use crate::analysis::found::FoundRef;
use crate::analysis::output_names::{self, ItemName};
use crate::analysis::{ColumnSource, ExpressionOutput, ReferenceKind};
use crate::dialect::AliasClause;
use crate::Location;

use super::scope::{passes_through, renamed, star_columns, union, Aliases, Clause, Column, Ctes, Relation, Scope};
use super::{last_ident, object_name, output_name, part_value, Resolver};

impl Resolver<'_> {
    pub(super) fn query(&mut self, query: &Query, outer: Option<&Scope>, ctes: &Ctes) -> Vec<Column> {
        let mut local: Vec<(String, Rc<Vec<Column>>)> = ctes.to_vec();
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                let name = cte.alias.name.value.clone();
                if with.recursive {
                    // The recursive part reads the CTE itself: give it the
                    // columns of the non-recursive part first.
                    let anchor = match cte.query.body.as_ref() {
                        SetExpr::SetOperation { left, .. } => self.muted(|r| r.set_expr(left, outer, &local, None)),
                        _ => Vec::new(),
                    };
                    local.push((name.clone(), Rc::new(renamed(anchor, Some(&cte.alias)))));
                }
                let columns = renamed(self.query(&cte.query, outer, &local), Some(&cte.alias));
                local.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
                local.push((name, Rc::new(columns)));
            }
        }
        if query.pipe_operators.is_empty() {
            self.set_expr(&query.body, outer, &local, query.order_by.as_ref())
        } else {
            self.pipe(query, outer, &local)
        }
    }

    pub(super) fn set_expr(&mut self, body: &SetExpr, outer: Option<&Scope>, ctes: &Ctes, order_by: Option<&OrderBy>) -> Vec<Column> {
        match body {
            SetExpr::Select(select) => self.select(select, outer, ctes, order_by),
            SetExpr::Query(query) => self.query(query, outer, ctes),
            SetExpr::SetOperation { .. } => {
                // `a UNION ALL b UNION ALL c ...` nests one level per
                // operation, to the left; generated SQL chains thousands.
                // The chain is walked in a loop, not by recursion, so its
                // length costs no stack.
                let mut branches = Vec::new();
                let mut first = body;
                while let SetExpr::SetOperation { left, right, .. } = first {
                    branches.push(right.as_ref());
                    first = left;
                }
                let mut columns = self.set_expr(first, outer, ctes, None);
                for branch in branches.into_iter().rev() {
                    let other = self.set_expr(branch, outer, ctes, None);
                    union(&mut columns, other);
                }
                columns
            }
            SetExpr::Values(values) => {
                let scope = Scope::new(outer);
                let mut columns = Vec::new();
                for row in &values.rows {
                    for (i, value) in row.content.iter().enumerate() {
                        let sources = self.walk(value, &scope, ctes, Clause::Plain);
                        if columns.len() <= i {
                            columns.push(Column::new(None, Vec::new()));
                        }
                        columns[i].sources.extend(sources);
                    }
                }
                columns
            }
            SetExpr::Insert(statement) | SetExpr::Update(statement) | SetExpr::Delete(statement) | SetExpr::Merge(statement) => self.statement_columns(statement),
            SetExpr::Table(table) => {
                let Some(name) = &table.table_name else {
                    return Vec::new();
                };
                let full = match &table.schema_name {
                    Some(schema) => format!("{schema}.{name}"),
                    None => name.clone(),
                };
                let relation = self.table_relation(full, None);
                star_columns(&relation, &HashSet::new())
            }
        }
    }

    fn select(&mut self, select: &Select, outer: Option<&Scope>, ctes: &Ctes, order_by: Option<&OrderBy>) -> Vec<Column> {
        let mut scope = Scope::new(outer);
        for item in &select.from {
            self.join_item(item, &mut scope, ctes, false);
        }
        for view in &select.lateral_views {
            // Hive/Spark: LATERAL VIEW explode(t.items) v AS item
            let sources = self.walk(&view.lateral_view, &scope, ctes, Clause::Plain);
            let columns = view.lateral_col_alias.iter().map(|alias| Column::new(Some(alias.value.clone()), sources.clone())).collect();
            scope.relations.push(Relation::derived(view.lateral_view_name.0.last().map(part_value), columns));
        }

        let columns = self.projection(&select.projection, &mut scope, ctes, Some(select.select_token.0.span.start.into()));

        // PostgreSQL reads DISTINCT ON's expressions by ORDER BY's rules.
        if let Some(Distinct::On(exprs)) = &select.distinct {
            for expr in exprs {
                self.walk(expr, &scope, ctes, Clause::item(AliasClause::OrderBy, expr));
            }
        }
        for expr in select.selection.iter().chain(&select.prewhere) {
            self.walk(expr, &scope, ctes, Clause::of(AliasClause::Where));
        }
        if let GroupByExpr::Expressions(exprs, _) = &select.group_by {
            for expr in exprs {
                self.walk(expr, &scope, ctes, Clause::item(AliasClause::GroupBy, expr));
            }
        }
        if let Some(expr) = &select.having {
            self.walk(expr, &scope, ctes, Clause::of(AliasClause::Having));
        }
        if let Some(expr) = &select.qualify {
            self.walk(expr, &scope, ctes, Clause::of(AliasClause::Qualify));
        }
        // Hive's CLUSTER BY, DISTRIBUTE BY and SORT BY order and spread the
        // output as ORDER BY does.
        for expr in select.cluster_by.iter().chain(&select.distribute_by).chain(select.sort_by.iter().map(|o| &o.expr)) {
            self.walk(expr, &scope, ctes, Clause::item(AliasClause::OrderBy, expr));
        }
        for window in &select.named_window {
            self.walk_node(window, &scope, ctes, Clause::of(AliasClause::Window));
        }
        if let Some(OrderBy { kind: OrderByKind::Expressions(exprs), .. }) = order_by {
            for expr in exprs {
                self.walk(&expr.expr, &scope, ctes, Clause::item(AliasClause::OrderBy, &expr.expr));
            }
        }
        columns
    }

    /// The columns of a SELECT list over `scope`; each named one becomes an
    /// alias later items and clauses may use.
    /// `select` is where the SELECT keyword starts, when the list is a
    /// SELECT's (not a pipe operator's).
    pub(super) fn projection(&mut self, items: &[SelectItem], scope: &mut Scope, ctes: &Ctes, select: Option<Location>) -> Vec<Column> {
        let mut columns = Vec::new();
        // Each item's extent, measured only when an item may be named after its text.
        let mut extents: Option<Option<Vec<Range<usize>>>> = None;
        for (index, item) in items.iter().enumerate() {
            let before = columns.len();
            match item {
                SelectItem::UnnamedExpr(expr) => {
                    let first = self.references.len();
                    let sources = self.walk(expr, scope, ctes, Clause::of(AliasClause::SelectList));
                    self.bare_output(expr);
                    let mut name = output_name(expr);
                    if name.is_none() {
                        let extents = extents.get_or_insert_with(|| select.and_then(|at| self.spans.select_items(self.tokens, at, items.len())));
                        let span = extents.as_ref().map(|e| e[index].clone());
                        name = self.expression_output(expr, span, first);
                    }
                    let base = self.base_of(expr, &name, &sources);
                    columns.push(Column { name, sources, base, star: None });
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    let sources = self.walk(expr, scope, ctes, Clause::of(AliasClause::SelectList));
                    let name = Some(alias.value.clone());
                    let base = self.base_of(expr, &name, &sources);
                    columns.push(Column { name, sources, base, star: None });
                }
                SelectItem::ExprWithAliases { expr, aliases } => {
                    let sources = self.walk(expr, scope, ctes, Clause::of(AliasClause::SelectList));
                    for alias in aliases {
                        columns.push(Column::new(Some(alias.value.clone()), sources.clone()));
                    }
                }
                SelectItem::Wildcard(options) => {
                    let relations: Vec<usize> = (0..scope.relations.len()).collect();
                    columns.extend(self.wildcard(scope, &relations, options, ctes));
                }
                SelectItem::QualifiedWildcard(kind, options) => match kind {
                    SelectItemQualifiedWildcardKind::ObjectName(name) => {
                        let qualifier = object_name(name);
                        let relations: Vec<usize> = (0..scope.relations.len()).filter(|&i| scope.relations[i].named(&qualifier)).collect();
                        if relations.is_empty() {
                            // `s.*` of a struct column `s`, or an unknown qualifier.
                            let parts: Vec<&Ident> = name.0.iter().filter_map(ObjectNamePart::as_ident).collect();
                            let sources = self.resolve(&parts, scope, Clause::Plain);
                            columns.push(Column { name: None, sources, base: None, star: Some(qualifier) });
                        } else {
                            columns.extend(self.wildcard(scope, &relations, options, ctes));
                        }
                    }
                    SelectItemQualifiedWildcardKind::Expr(expr) => {
                        let sources = self.walk(expr, scope, ctes, Clause::Plain);
                        columns.push(Column::new(None, sources));
                    }
                },
            }
            let passes = passes_through(item);
            scope.aliases.extend(columns[before..].iter().filter(|c| c.name.is_some() && c.star.is_none()).map(|c| (c.clone(), passes)));
        }
        columns
    }

    /// The source column an output column passes through under its own name.
    pub(super) fn base_of(&self, expr: &Expr, name: &Option<String>, sources: &[ColumnSource]) -> Option<ColumnSource> {
        let plain = matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_) | Expr::Nested(_));
        match (plain, name, sources) {
            (true, Some(name), [source]) if source.column.eq_ignore_ascii_case(name) => Some(source.clone()),
            _ => None,
        }
    }

    fn wildcard(&mut self, scope: &Scope, relations: &[usize], options: &WildcardAdditionalOptions, ctes: &Ctes) -> Vec<Column> {
        let star = self.spans.offset(options.wildcard_token.0.span.start.into());
        let star = star..star + 1;
        let selected: Vec<&Relation> = relations.iter().map(|&i| &scope.relations[i]).collect();

        // Names taken out of the star (EXCEPT / EXCLUDE) are references too.
        let mut excluded: HashSet<String> = HashSet::new();
        let mut except_idents: Vec<&Ident> = Vec::new();
        if let Some(except) = &options.opt_except {
            except_idents.push(&except.first_element);
            except_idents.extend(&except.additional_elements);
        }
        if let Some(exclude) = &options.opt_exclude {
            match exclude {
                sqlparser::ast::ExcludeSelectItem::Single(name) => except_idents.extend(last_ident(name)),
                sqlparser::ast::ExcludeSelectItem::Multiple(names) => except_idents.extend(names.iter().filter_map(last_ident)),
            }
        }
        for ident in except_idents {
            excluded.insert(ident.value.to_ascii_lowercase());
            let sub = Scope { relations: selected.iter().map(|r| (*r).clone()).collect(), parent: None, aliases: Aliases::default(), using: Vec::new() };
            self.resolve(&[ident], &sub, Clause::Plain);
        }
        let mut replaced: Vec<(String, Vec<ColumnSource>)> = Vec::new();
        if let Some(replace) = &options.opt_replace {
            for item in &replace.items {
                let sources = self.walk(&item.expr, scope, ctes, Clause::Plain);
                replaced.push((item.column_name.value.to_ascii_lowercase(), sources));
            }
        }

        let mut columns = Vec::new();
        for relation in selected {
            let expanded = star_columns(relation, &excluded);
            let record = self.in_exists == 0;
            for column in expanded.iter().filter(|_| record) {
                // The star names each source column it stands for.
                let (table, name, via) = match (&column.base, &column.star) {
                    (Some(base), _) => (Some(base.table.clone()), Some(base.column.clone()), relation.table().is_none().then(|| relation.label())),
                    (None, Some(table)) => (Some(table.clone()), None, relation.table().is_none().then(|| relation.label())),
                    _ => (None, None, None),
                };
                if let Some(table) = table {
                    self.push(FoundRef::wildcard(table, name, star.clone()).via(via));
                }
            }
            for mut column in expanded {
                if let Some((_, sources)) = column.name.as_ref().and_then(|n| replaced.iter().find(|(r, _)| r.eq_ignore_ascii_case(n))) {
                    column.sources = sources.clone();
                    column.base = None;
                }
                columns.push(column);
            }
        }
        columns
    }

    /// The output name of an unaliased item that is not a bare column, as
    /// the dialect gives it; records the item when a rename inside it may
    /// rename its output. `first` is the index of its first reference.
    fn expression_output(&mut self, expr: &Expr, span: Option<Range<usize>>, first: usize) -> Option<String> {
        match output_names::item_name(self.dialect, expr) {
            ItemName::Fixed => None,
            ItemName::Text(name) => {
                // Only an item that reads a column can be renamed by a
                // change, and only a name someone reads matters.
                let read = self.unnamed_outputs == 0;
                if let Some(reference) = self.references[first..].iter().find(|r| r.kind == ReferenceKind::Column).filter(|_| read) {
                    let at = reference.span.start;
                    self.expression_outputs.push(ExpressionOutput { span, at, name: name.clone() });
                }
                name
            }
        }
    }

    /// A projection item that is only a column name: a rewrite that renames
    /// the column must alias it to keep the output column's name.
    fn bare_output(&mut self, expr: &Expr) {
        let last = match expr {
            Expr::Identifier(ident) => Some(ident),
            Expr::CompoundIdentifier(idents) => idents.last(),
            _ => None,
        };
        if let Some(span) = last.and_then(|ident| self.spans.ident(ident)) {
            self.bare_outputs.push(span);
        }
    }
}
