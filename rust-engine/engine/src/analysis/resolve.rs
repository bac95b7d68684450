//! Name resolution: every column reference resolved to the table it comes
//! from, through aliases, CTEs, derived tables, joins, set operations,
//! UNNEST/LATERAL/FLATTEN, struct paths and correlated subqueries, and the
//! lineage of each output column.
//!
//! The walk follows the query's scopes by hand; expressions are walked with
//! `sqlparser`'s visitor, which hands every subquery back to the resolver so
//! it gets a scope of its own.

use std::collections::{HashMap, HashSet};
use std::ops::{ControlFlow, Range};
use std::rc::Rc;

use sqlparser::ast::{
    AccessExpr, AssignmentTarget, Distinct, Expr, Join, PipeOperator, SelectFlavor, FromTable, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, Ident,
    JoinConstraint, JoinOperator, MergeAction, ObjectType, MergeInsertKind, MergeUpdateKind, ObjectName, ObjectNamePart, OrderBy,
    OrderByKind, Query, Select, SelectItem, SelectItemQualifiedWildcardKind, SetExpr, Statement, TableAlias, TableFactor,
    TableObject, TableWithJoins, UpdateTableFromKind, Value, ValueWithSpan, Visit, Visitor, WildcardAdditionalOptions,
};

use super::output_names::{self, ItemName};
use super::spans::Spans;
use super::found::{Found, FoundRef};
use super::tokens::Lite;
use super::{ColumnSource, ExpressionOutput, Output, ReferenceKind};
use crate::schema::names_match;
use crate::source::PLACEHOLDER_PREFIX;
use crate::dialect::{AliasClause, AliasRule};
use crate::{Dialect, Location, Schema};

/// An output column of a query, and where its values come from.
#[derive(Debug, Clone)]
struct Column {
    name: Option<String>,
    sources: Vec<ColumnSource>,
    /// Set when the column passes a source column through under the same
    /// name, so references to it name that source column.
    base: Option<ColumnSource>,
    /// `*` over a table whose columns are unknown: any name may be one of them.
    star: Option<String>,
}

/// Something a query reads from: a table, a CTE, a derived table, an UNNEST.
#[derive(Debug, Clone)]
struct Relation {
    alias: Option<String>,
    /// The source table's name as written, for a table.
    table: Option<String>,
    /// Known columns (CTE and derived outputs, or the schema's); `None`
    /// when unknown.
    columns: Option<Rc<Vec<Column>>>,
    /// For UNNEST, FLATTEN and table functions: every name is a field of the
    /// element, whose values come from these sources.
    open: Option<Vec<ColumnSource>>,
    /// A table named by a placeholder (a Jinja expression, an interpolated
    /// variable): its columns are unknown and never reported.
    dynamic: bool,
}

impl Relation {
    fn label(&self) -> String {
        self.alias.clone().or_else(|| self.table.clone()).unwrap_or_else(|| "(subquery)".into())
    }

    fn named(&self, qualifier: &str) -> bool {
        match (&self.alias, &self.table) {
            (Some(alias), _) => alias.eq_ignore_ascii_case(qualifier),
            (None, Some(table)) => names_match(table, qualifier),
            (None, None) => false,
        }
    }

    fn column(&self, name: &str) -> Option<&Column> {
        self.columns.as_ref()?.iter().find(|c| c.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name)))
    }

    fn has_star(&self) -> Option<&Column> {
        self.columns.as_ref()?.iter().find(|c| c.star.is_some())
    }

    /// Whether any name may be a column of this relation: a table without
    /// a schema, a star over one, an anonymous UNNEST (whose element's
    /// fields are columns).
    fn columns_unknown(&self) -> bool {
        (self.columns.is_none() || (self.table.is_none() && self.has_star().is_some())) && (self.open.is_none() || self.alias.is_none())
    }
}

struct Scope<'p> {
    relations: Vec<Relation>,
    parent: Option<&'p Scope<'p>>,
    /// Output aliases of the SELECT list, visible in GROUP BY, HAVING,
    /// QUALIFY and ORDER BY (and later items of the list, in some dialects).
    aliases: Aliases,
    /// Columns joined with USING: an unqualified name reads every side.
    using: Vec<(String, Vec<usize>)>,
}

impl<'p> Scope<'p> {
    fn new(parent: Option<&'p Scope<'p>>) -> Self {
        Scope { relations: Vec::new(), parent, aliases: Aliases::default(), using: Vec::new() }
    }

    fn alias(&self, name: &str) -> Option<&Column> {
        let at = *self.aliases.first.get(&name.to_ascii_lowercase())?;
        self.aliases.columns.get(at)
    }

    /// True when the output alias `name` is a column selected under its own name.
    fn alias_passes_through(&self, name: &str) -> bool {
        self.aliases.first.get(&name.to_ascii_lowercase()).is_some_and(|&at| self.aliases.passes[at])
    }
}

/// Output aliases, found by name through a map: a SELECT of tens of
/// thousands of columns looked each name up in all of them.
#[derive(Default)]
struct Aliases {
    columns: Vec<Column>,
    /// Whether each column passes a column through under its own name.
    passes: Vec<bool>,
    /// Lowercase name to the first column of that name.
    first: HashMap<String, usize>,
}

impl Aliases {
    /// Adds output columns, each with whether it passes a column through
    /// under that column's own name.
    fn extend(&mut self, columns: impl Iterator<Item = (Column, bool)>) {
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
fn passes_through(item: &SelectItem) -> bool {
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
enum Clause {
    /// FROM, ON, and everything outside a SELECT: no output alias is visible.
    Plain,
    /// A clause of a SELECT; `bare` when the name is the whole item
    /// (`GROUP BY x`, not `GROUP BY x + 1`), which some dialects treat apart.
    Select { clause: AliasClause, bare: bool },
}

impl Clause {
    fn of(clause: AliasClause) -> Self {
        Clause::Select { clause, bare: false }
    }

    /// The clause for one item of GROUP BY or ORDER BY.
    fn item(clause: AliasClause, expr: &Expr) -> Self {
        Clause::Select { clause, bare: matches!(expr, Expr::Identifier(_)) }
    }
}

type Ctes = [(String, Rc<Vec<Column>>)];

pub(crate) struct Resolver<'a> {
    spans: &'a Spans<'a>,
    dialect: Dialect,
    schema: Option<&'a Schema>,
    /// Scripting variables (DECLARE), lowercase: never columns.
    variables: HashSet<String>,
    references: Vec<FoundRef>,
    bare_outputs: Vec<Range<usize>>,
    expression_outputs: Vec<ExpressionOutput>,
    /// The fragment's tokens, where SELECT lists are split into items.
    tokens: &'a [Lite],
    writes: Vec<String>,
    /// Inside `EXISTS (SELECT * ...)`, whose star reads no column.
    in_exists: usize,
    /// Inside a query whose output columns nobody reads by name: a
    /// subquery in an expression, an INSERT's rows.
    unnamed_outputs: usize,
}

impl<'a> Resolver<'a> {
    pub fn new(spans: &'a Spans<'a>, tokens: &'a [Lite], schema: Option<&'a Schema>, dialect: Dialect) -> Self {
        Resolver {
            spans,
            dialect,
            schema,
            variables: HashSet::new(),
            references: Vec::new(),
            bare_outputs: Vec::new(),
            expression_outputs: Vec::new(),
            tokens,
            writes: Vec::new(),
            in_exists: 0,
            unnamed_outputs: 0,
        }
    }

    /// The scripting variables declared so far.
    pub fn variables(&self) -> &HashSet<String> {
        &self.variables
    }

    /// Declares a scripting variable (a FOR loop's, a procedure parameter)
    /// for a block; false when it already was one.
    pub fn declare(&mut self, name: &Ident) -> bool {
        self.variables.insert(name.value.to_ascii_lowercase())
    }

    /// Ends a block's variable.
    pub fn forget(&mut self, name: &Ident) {
        self.variables.remove(&name.value.to_ascii_lowercase());
    }

    /// A scripting block's condition or loop query (`WHILE (SELECT COUNT(*)
    /// FROM t) > 0 DO`): analysed like the conditions of a parsed IF, its
    /// queries resolved and its other names taken for variables.
    pub fn condition(&mut self, condition: &Expr, range: Range<usize>) -> Found {
        let mut walker = StatementWalker { resolver: self, nested: 0, root: false };
        let _ = condition.visit(&mut walker);
        self.found(range, Vec::new())
    }

    pub fn statement(&mut self, statement: &Statement, range: Range<usize>) -> Found {
        let columns = self.statement_columns(statement);
        let outputs = columns.into_iter().map(|c| Output { name: c.name, sources: dedup(c.sources) }).collect();
        self.found(range, outputs)
    }

    /// The statement at `range`, with what the resolver recorded since the
    /// last one.
    fn found(&mut self, range: Range<usize>, outputs: Vec<Output>) -> Found {
        Found {
            range,
            writes: std::mem::take(&mut self.writes),
            outputs,
            references: std::mem::take(&mut self.references),
            bare_outputs: std::mem::take(&mut self.bare_outputs),
            expression_outputs: std::mem::take(&mut self.expression_outputs),
            parsed: true,
        }
    }

    fn statement_columns(&mut self, statement: &Statement) -> Vec<Column> {
        match statement {
            Statement::Query(query) => self.query(query, None, &[]),
            Statement::Insert(insert) => {
                let target = match &insert.table {
                    TableObject::TableName(name) => {
                        self.table_ref(name, true, &[]);
                        Some(object_name(name))
                    }
                    other => {
                        self.walk_node(other, &Scope::new(None), &[], Clause::Plain);
                        None
                    }
                };
                let names: Vec<&Ident> = insert.columns.iter().filter_map(last_ident).collect();
                if let Some(table) = &target {
                    for ident in &names {
                        self.target_column(table, ident);
                    }
                }
                self.unnamed_outputs += 1;
                let mut columns = insert.source.as_ref().map(|q| self.query(q, None, &[])).unwrap_or_default();
                self.unnamed_outputs -= 1;
                for (column, ident) in columns.iter_mut().zip(&names) {
                    column.name = Some(ident.value.clone());
                }
                columns
            }
            Statement::CreateTable(create) => {
                self.table_ref(&create.name, true, &[]);
                create.query.as_ref().map(|q| self.query(q, None, &[])).unwrap_or_default()
            }
            Statement::CreateView(create) => {
                self.table_ref(&create.name, true, &[]);
                self.query(&create.query, None, &[])
            }
            Statement::Update(update) => {
                let mut scope = Scope::new(None);
                self.join_item(&update.table, &mut scope, &[], true);
                let target = target_scope(&scope);
                if let Some(from) = &update.from {
                    let (UpdateTableFromKind::BeforeSet(items) | UpdateTableFromKind::AfterSet(items)) = from;
                    for item in items {
                        self.join_item(item, &mut scope, &[], false);
                    }
                }
                for assignment in &update.assignments {
                    self.assignment_target(&assignment.target, &target);
                    self.walk(&assignment.value, &scope, &[], Clause::Plain);
                }
                if let Some(selection) = &update.selection {
                    self.walk(selection, &scope, &[], Clause::Plain);
                }
                Vec::new()
            }
            Statement::Delete(delete) => {
                let mut scope = Scope::new(None);
                for name in &delete.tables {
                    self.table_ref(name, true, &[]);
                }
                let (FromTable::WithFromKeyword(items) | FromTable::WithoutKeyword(items)) = &delete.from;
                for (i, item) in items.iter().enumerate() {
                    self.join_item(item, &mut scope, &[], i == 0 && delete.tables.is_empty());
                }
                for item in delete.using.iter().flatten() {
                    self.join_item(item, &mut scope, &[], false);
                }
                if let Some(selection) = &delete.selection {
                    self.walk(selection, &scope, &[], Clause::Plain);
                }
                Vec::new()
            }
            Statement::Merge(merge) => {
                let mut scope = Scope::new(None);
                self.factor(&merge.table, &mut scope, &[], true);
                let target_relation = target_scope(&scope);
                let target = scope.relations.first().and_then(|r| r.table.clone());
                self.factor(&merge.source, &mut scope, &[], false);
                self.walk(&merge.on, &scope, &[], Clause::Plain);
                for clause in &merge.clauses {
                    if let Some(predicate) = &clause.predicate {
                        self.walk(predicate, &scope, &[], Clause::Plain);
                    }
                    match &clause.action {
                        MergeAction::Update(update) => {
                            let MergeUpdateKind::Set(assignments) = &update.kind else { continue };
                            for assignment in assignments {
                                self.assignment_target(&assignment.target, &target_relation);
                                self.walk(&assignment.value, &scope, &[], Clause::Plain);
                            }
                        }
                        MergeAction::Insert(insert) => {
                            if let Some(table) = &target {
                                for ident in insert.columns.iter().filter_map(last_ident) {
                                    self.target_column(table, ident);
                                }
                            }
                            if let MergeInsertKind::Values(values) = &insert.kind {
                                for row in &values.rows {
                                    for value in &row.content {
                                        self.walk(value, &scope, &[], Clause::Plain);
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
                Vec::new()
            }
            Statement::Drop { object_type: ObjectType::Table | ObjectType::View | ObjectType::MaterializedView, names, .. } => {
                for name in names {
                    self.table_ref(name, true, &[]);
                }
                Vec::new()
            }
            Statement::Declare { stmts } => {
                for declare in stmts {
                    self.variables.extend(declare.names.iter().map(|n| n.value.to_ascii_lowercase()));
                    self.walk_node(declare, &Scope::new(None), &[], Clause::Plain);
                }
                Vec::new()
            }
            other => {
                // Everything else (scripting blocks, DDL, ...): nested
                // statements and queries are analysed, names in relation
                // positions are table references.
                let mut walker = StatementWalker { resolver: self, nested: 0, root: true };
                let _ = other.visit(&mut walker);
                Vec::new()
            }
        }
    }

    fn query(&mut self, query: &Query, outer: Option<&Scope>, ctes: &Ctes) -> Vec<Column> {
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

    /// BigQuery pipe syntax, `FROM t |> WHERE ... |> SELECT ...`: each
    /// operator reads the table the one before made. The FROM's names stay
    /// visible until an operator makes a new table (SELECT, AGGREGATE, AS,
    /// set operations); JOIN and EXTEND add to them.
    fn pipe(&mut self, query: &Query, outer: Option<&Scope>, ctes: &Ctes) -> Vec<Column> {
        let mut scope = Scope::new(outer);
        match query.body.as_ref() {
            SetExpr::Select(select) if select.flavor == SelectFlavor::FromFirstNoSelect => {
                for item in &select.from {
                    self.join_item(item, &mut scope, ctes, false);
                }
            }
            body => {
                let columns = self.set_expr(body, outer, ctes, query.order_by.as_ref());
                scope.relations.push(derived(None, columns));
            }
        }
        for operator in &query.pipe_operators {
            let table = |scope: &Scope| -> Vec<Column> { scope.relations.iter().flat_map(|r| star_columns(r, &HashSet::new())).collect() };
            match operator {
                PipeOperator::Where { expr } => {
                    self.walk(expr, &scope, ctes, Clause::Plain);
                }
                PipeOperator::Limit { expr, offset } => {
                    for expr in std::iter::once(expr).chain(offset) {
                        self.walk(expr, &scope, ctes, Clause::Plain);
                    }
                }
                PipeOperator::OrderBy { exprs } => {
                    for expr in exprs {
                        self.walk(&expr.expr, &scope, ctes, Clause::Plain);
                    }
                }
                PipeOperator::Select { exprs } => {
                    let columns = self.projection(exprs, &mut scope, ctes, None);
                    scope = Scope::new(outer);
                    scope.relations.push(derived(None, columns));
                }
                PipeOperator::Extend { exprs } => {
                    let columns = self.projection(exprs, &mut scope, ctes, None);
                    scope.relations.push(derived(None, columns));
                }
                PipeOperator::Set { assignments } => {
                    for assignment in assignments {
                        self.walk_node(&assignment.target, &scope, ctes, Clause::Plain);
                        self.walk(&assignment.value, &scope, ctes, Clause::Plain);
                    }
                }
                PipeOperator::Drop { columns } => {
                    for ident in columns {
                        self.resolve(&[ident], &scope, Clause::Plain);
                    }
                }
                PipeOperator::Rename { mappings } => {
                    let mut columns = table(&scope);
                    for mapping in mappings {
                        self.resolve(&[&mapping.ident], &scope, Clause::Plain);
                        if let Some(column) = columns.iter_mut().find(|c| c.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(&mapping.ident.value))) {
                            column.name = Some(mapping.alias.value.clone());
                            column.base = None;
                        }
                    }
                    scope = Scope::new(outer);
                    scope.relations.push(derived(None, columns));
                }
                PipeOperator::As { alias } => {
                    let columns = table(&scope);
                    scope = Scope::new(outer);
                    scope.relations.push(derived(Some(alias.value.clone()), columns));
                }
                PipeOperator::Aggregate { full_table_exprs, group_by_expr } => {
                    let mut columns = Vec::new();
                    for item in group_by_expr.iter().chain(full_table_exprs) {
                        let sources = self.walk(&item.expr.expr, &scope, ctes, Clause::Plain);
                        let name = item.expr.alias.as_ref().map(|a| a.value.clone()).or_else(|| output_name(&item.expr.expr));
                        let base = self.base_of(&item.expr.expr, &name, &sources);
                        columns.push(Column { name, sources, base, star: None });
                    }
                    scope = Scope::new(outer);
                    scope.relations.push(derived(None, columns));
                }
                PipeOperator::Union { queries, .. } | PipeOperator::Intersect { queries, .. } | PipeOperator::Except { queries, .. } => {
                    let mut columns = table(&scope);
                    for other in queries {
                        for (column, other) in columns.iter_mut().zip(self.query(other, outer, ctes)) {
                            column.sources.extend(other.sources);
                            if column.base != other.base {
                                column.base = None;
                            }
                        }
                    }
                    scope = Scope::new(outer);
                    scope.relations.push(derived(None, columns));
                }
                PipeOperator::Join(join) => self.join(join, &mut scope, ctes),
                // Table functions and pivots make tables whose columns are
                // not known here; names read after them are not reported.
                PipeOperator::Call { function, alias } => {
                    self.walk_node(function, &scope, ctes, Clause::Plain);
                    scope = Scope::new(outer);
                    scope.relations.push(Relation { alias: alias.as_ref().map(|a| a.value.clone()), table: None, columns: None, open: None, dynamic: true });
                }
                PipeOperator::Pivot { aggregate_functions, value_column, alias, .. } => {
                    for function in aggregate_functions {
                        self.walk(&function.expr, &scope, ctes, Clause::Plain);
                    }
                    for ident in value_column {
                        self.resolve(&[ident], &scope, Clause::Plain);
                    }
                    scope = Scope::new(outer);
                    scope.relations.push(Relation { alias: alias.as_ref().map(|a| a.value.clone()), table: None, columns: None, open: None, dynamic: true });
                }
                PipeOperator::Unpivot { unpivot_columns, alias, .. } => {
                    for ident in unpivot_columns {
                        self.resolve(&[ident], &scope, Clause::Plain);
                    }
                    scope = Scope::new(outer);
                    scope.relations.push(Relation { alias: alias.as_ref().map(|a| a.value.clone()), table: None, columns: None, open: None, dynamic: true });
                }
                PipeOperator::TableSample { .. } => {}
            }
        }
        scope.relations.iter().flat_map(|r| star_columns(r, &HashSet::new())).collect()
    }

    /// Runs `f` without recording references (a pass whose results are only
    /// needed for their columns).
    fn muted<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let references = self.references.len();
        let writes = self.writes.len();
        let result = f(self);
        self.references.truncate(references);
        self.writes.truncate(writes);
        result
    }

    fn set_expr(&mut self, body: &SetExpr, outer: Option<&Scope>, ctes: &Ctes, order_by: Option<&OrderBy>) -> Vec<Column> {
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
                    for (column, other) in columns.iter_mut().zip(other) {
                        column.sources.extend(other.sources);
                        if column.base != other.base {
                            column.base = None;
                        }
                    }
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
                            columns.push(Column { name: None, sources: Vec::new(), base: None, star: None });
                        }
                        columns[i].sources.extend(sources);
                    }
                }
                columns
            }
            SetExpr::Insert(statement) | SetExpr::Update(statement) | SetExpr::Delete(statement) | SetExpr::Merge(statement) => {
                self.statement_columns(statement)
            }
            SetExpr::Table(table) => {
                let Some(name) = &table.table_name else { return Vec::new() };
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
            let columns = view
                .lateral_col_alias
                .iter()
                .map(|alias| Column { name: Some(alias.value.clone()), sources: sources.clone(), base: None, star: None })
                .collect();
            scope.relations.push(Relation {
                alias: view.lateral_view_name.0.last().map(part_value),
                table: None,
                columns: Some(Rc::new(columns)),
                open: None,
                dynamic: false,
            });
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

    /// The source column an output column passes through under its own name.
    /// The columns of a SELECT list over `scope`; each named one becomes an
    /// alias later items and clauses may use.
    /// `select` is where the SELECT keyword starts, when the list is a
    /// SELECT's (not a pipe operator's).
    fn projection(&mut self, items: &[SelectItem], scope: &mut Scope, ctes: &Ctes, select: Option<Location>) -> Vec<Column> {
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
                        columns.push(Column { name: Some(alias.value.clone()), sources: sources.clone(), base: None, star: None });
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
                        columns.push(Column { name: None, sources, base: None, star: None });
                    }
                },
            }
            let passes = passes_through(item);
            scope.aliases.extend(columns[before..].iter().filter(|c| c.name.is_some() && c.star.is_none()).map(|c| (c.clone(), passes)));
        }
        columns
    }

    fn base_of(&self, expr: &Expr, name: &Option<String>, sources: &[ColumnSource]) -> Option<ColumnSource> {
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
                    (Some(base), _) => (Some(base.table.clone()), Some(base.column.clone()), relation.table.is_none().then(|| relation.label())),
                    (None, Some(table)) => (Some(table.clone()), None, relation.table.is_none().then(|| relation.label())),
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

    fn join_item(&mut self, item: &TableWithJoins, scope: &mut Scope, ctes: &Ctes, write: bool) {
        self.factor(&item.relation, scope, ctes, write);
        for join in &item.joins {
            self.join(join, scope, ctes);
        }
    }

    /// Adds a joined relation to `scope` and resolves the join's condition.
    fn join(&mut self, join: &Join, scope: &mut Scope, ctes: &Ctes) {
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
        let Some(right) = scope.relations.get(left) else { return };
        if scope.relations.iter().any(Relation::columns_unknown) {
            return;
        }
        let names: Vec<String> = right.columns.iter().flat_map(|c| c.iter()).filter_map(|c| c.name.clone()).collect();
        for name in names {
            let sides: Vec<usize> = (0..scope.relations.len()).filter(|&i| scope.relations[i].column(&name).is_some()).collect();
            if sides.iter().any(|&i| i < left) {
                scope.using.push((name, sides));
            }
        }
    }

    fn factor(&mut self, factor: &TableFactor, scope: &mut Scope, ctes: &Ctes, write: bool) {
        let relation = match factor {
            TableFactor::Table { name, alias, args, .. } => {
                if let Some(args) = args {
                    // A table-valued function (`read_parquet(...) AS t(a, b)`), no
                    // table of the catalog: its arguments are expressions.
                    let mut sources = Vec::new();
                    for arg in &args.args {
                        sources.extend(self.walk_node(arg, scope, ctes, Clause::Plain));
                    }
                    function_relation(alias, sources)
                } else if let Some(columns) = cte(ctes, name) {
                    Relation {
                        alias: alias_name(alias).or_else(|| Some(object_name(name))),
                        table: None,
                        columns: Some(Rc::new(renamed(columns.to_vec(), alias.as_ref()))),
                        open: None,
                        dynamic: false,
                    }
                } else if object_name(name).contains(PLACEHOLDER_PREFIX) {
                    Relation { alias: alias_name(alias), table: None, columns: None, open: None, dynamic: true }
                } else {
                    self.table_ref(name, write, ctes);
                    let relation = self.table_relation(object_name(name), alias_name(alias));
                    match alias {
                        Some(alias) if !alias.columns.is_empty() => Relation {
                            columns: Some(Rc::new(renamed(star_columns(&relation, &HashSet::new()), Some(alias)))),
                            ..relation
                        },
                        _ => relation,
                    }
                }
            }
            TableFactor::Derived { lateral, subquery, alias, .. } => {
                let columns = if *lateral { self.query(subquery, Some(scope), ctes) } else { self.query(subquery, scope.parent, ctes) };
                Relation { alias: alias_name(alias), table: None, columns: Some(Rc::new(renamed(columns, alias.as_ref()))), open: None, dynamic: false }
            }
            TableFactor::UNNEST { alias, array_exprs, with_offset_alias, .. } => {
                let mut sources = Vec::new();
                for expr in array_exprs {
                    sources.extend(self.walk(expr, scope, ctes, Clause::Plain));
                }
                let mut columns: Vec<Column> = Vec::new();
                if let Some(alias) = alias {
                    if alias.columns.is_empty() {
                        // BigQuery: UNNEST(arr) AS x names the element itself.
                        columns.push(Column { name: Some(alias.name.value.clone()), sources: sources.clone(), base: None, star: None });
                    } else {
                        columns.extend(alias.columns.iter().map(|c| Column { name: Some(c.name.value.clone()), sources: sources.clone(), base: None, star: None }));
                    }
                }
                if let Some(offset) = with_offset_alias {
                    columns.push(Column { name: Some(offset.value.clone()), sources: Vec::new(), base: None, star: None });
                }
                if alias.is_none() {
                    // An anonymous UNNEST exposes its element's fields as columns.
                    Relation { alias: None, table: None, columns: None, open: Some(sources), dynamic: false }
                } else {
                    Relation { alias: alias_name(alias), table: None, columns: Some(Rc::new(columns)), open: Some(sources), dynamic: false }
                }
            }
            TableFactor::Function { args, alias, .. } => {
                let mut sources = Vec::new();
                for arg in args {
                    sources.extend(self.walk_node(arg, scope, ctes, Clause::Plain));
                }
                function_relation(alias, sources)
            }
            TableFactor::TableFunction { expr, alias } => {
                let sources = self.walk(expr, scope, ctes, Clause::Plain);
                function_relation(alias, sources)
            }
            TableFactor::NestedJoin { table_with_joins, alias } => {
                let mut inner = Scope::new(scope.parent);
                self.join_item(table_with_joins, &mut inner, ctes, write);
                if alias.is_none() {
                    scope.relations.extend(inner.relations);
                    return;
                }
                let columns: Vec<Column> = inner.relations.iter().flat_map(|r| star_columns(r, &HashSet::new())).collect();
                Relation { alias: alias_name(alias), table: None, columns: Some(Rc::new(columns)), open: None, dynamic: false }
            }
            TableFactor::Pivot { table, aggregate_functions, value_column, alias, .. } => {
                let mut inner = Scope::new(scope.parent);
                self.factor(table, &mut inner, ctes, false);
                let first = self.references.len();
                let mut sources = Vec::new();
                for function in aggregate_functions {
                    sources.extend(self.walk(&function.expr, &inner, ctes, Clause::Plain));
                }
                for expr in value_column {
                    self.walk(expr, &inner, ctes, Clause::Plain);
                }
                // The columns it does not aggregate or pivot on pass through;
                // the ones it makes are named after the pivot's values.
                let made = Column { name: None, sources, base: None, star: Some(alias_name(alias).unwrap_or_else(|| "(pivot)".into())) };
                self.passed_through(&inner, first, alias, vec![made])
            }
            TableFactor::Unpivot { table, value, name, columns, alias, .. } => {
                let mut inner = Scope::new(scope.parent);
                self.factor(table, &mut inner, ctes, false);
                let first = self.references.len();
                let mut sources = Vec::new();
                for column in columns {
                    sources.extend(self.walk(&column.expr, &inner, ctes, Clause::Plain));
                }
                // The value column is named, not read: `UNPIVOT (amount FOR month IN (jan, feb))`.
                let made = output_name(value)
                    .map(|n| Column { name: Some(n), sources, base: None, star: None })
                    .into_iter()
                    .chain([Column { name: Some(name.value.clone()), sources: Vec::new(), base: None, star: None }])
                    .collect();
                self.passed_through(&inner, first, alias, made)
            }
            other => {
                let sources = self.walk_node(other, scope, ctes, Clause::Plain);
                Relation { alias: None, table: None, columns: None, open: Some(sources), dynamic: false }
            }
        };
        scope.relations.push(relation);
    }

    /// A PIVOT's or UNPIVOT's relation: the input's columns that the
    /// references since `first` do not name pass through, then `made`.
    /// With the input's columns unknown, so are its own.
    fn passed_through(&self, inner: &Scope, first: usize, alias: &Option<TableAlias>, made: Vec<Column>) -> Relation {
        let used: HashSet<String> = self.references[first..].iter().filter_map(|r| r.column.as_ref()).map(|c| c.to_ascii_lowercase()).collect();
        if inner.relations.iter().any(Relation::columns_unknown) {
            return Relation { alias: alias_name(alias), table: None, columns: None, open: None, dynamic: false };
        }
        let mut columns: Vec<Column> = inner.relations.iter().flat_map(|r| star_columns(r, &used)).collect();
        columns.extend(made);
        Relation { alias: alias_name(alias), table: None, columns: Some(Rc::new(renamed(columns, alias.as_ref()))), open: None, dynamic: false }
    }

    fn table_relation(&self, table: String, alias: Option<String>) -> Relation {
        let columns = self.schema.and_then(|s| s.columns(&table)).map(|columns| {
            Rc::new(
                columns
                    .iter()
                    .map(|c| {
                        let source = ColumnSource { table: table.clone(), column: c.name.clone() };
                        Column { name: Some(c.name.clone()), sources: vec![source.clone()], base: Some(source), star: None }
                    })
                    .collect(),
            )
        });
        Relation { alias, table: Some(table), columns, open: None, dynamic: false }
    }

    /// Records a table name in FROM, JOIN, INTO, ... (not a CTE's name).
    fn table_ref(&mut self, name: &ObjectName, write: bool, ctes: &Ctes) {
        if cte(ctes, name).is_some() {
            return;
        }
        let table = object_name(name);
        if table.contains(PLACEHOLDER_PREFIX) {
            return;
        }
        let Some(span) = self.spans.name(name) else { return };
        if write && !self.writes.contains(&table) {
            self.writes.push(table.clone());
        }
        self.push(FoundRef::table(table, span, write));
    }

    /// A column of a table the statement writes (INSERT column lists).
    fn target_column(&mut self, table: &str, ident: &Ident) {
        let Some(span) = self.spans.ident(ident) else { return };
        self.push(FoundRef::column(table.to_string(), ident.value.clone(), span).written());
    }

    /// `SET col = ...` in UPDATE and MERGE: a written column of the target.
    fn assignment_target(&mut self, target: &AssignmentTarget, scope: &Scope) {
        let names: Vec<&ObjectName> = match target {
            AssignmentTarget::ColumnName(name) => vec![name],
            AssignmentTarget::Tuple(names) => names.iter().collect(),
        };
        for name in names {
            let parts: Vec<&Ident> = name.0.iter().filter_map(ObjectNamePart::as_ident).collect();
            let first = self.references.len();
            self.resolve(&parts, scope, Clause::Plain);
            for reference in &mut self.references[first..] {
                reference.write = true;
            }
        }
    }

    /// Resolves a column reference written as `parts` (`col`, `t.col`,
    /// `ds.t.col`, `t.col.field`, ...), records it, and returns the source
    /// columns it reads.
    fn resolve(&mut self, parts: &[&Ident], scope: &Scope, clause: Clause) -> Vec<ColumnSource> {
        let Some(first) = parts.first() else { return Vec::new() };
        // Names built at run time (placeholders), query parameters (`@day`)
        // and system variables are not columns.
        if first.value.starts_with('@') || parts.iter().any(|p| p.value.contains(PLACEHOLDER_PREFIX)) {
            return Vec::new();
        }
        // Qualified: the longest qualifier naming a relation in scope. A
        // qualifier has no more parts than the longest name in scope, which
        // keeps a name of thousands of parts (`(a).f.f.f...`) linear.
        let mut longest = 1;
        let mut current = Some(scope);
        while let Some(s) = current {
            for relation in &s.relations {
                longest = longest.max(relation.table.as_deref().map_or(1, |t| t.matches('.').count() + 1));
            }
            current = s.parent;
        }
        for k in (1..parts.len().min(longest + 1)).rev() {
            let qualifier = parts[..k].iter().map(|i| i.value.as_str()).collect::<Vec<_>>().join(".");
            let mut current = Some(scope);
            while let Some(s) = current {
                if let Some(relation) = s.relations.iter().find(|r| r.named(&qualifier)) {
                    let span = self.spans.parts(parts).swap_remove(k);
                    return self.column_of(relation, parts[k], span, &parts[k + 1..]);
                }
                current = s.parent;
            }
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
    fn positional(&mut self, n: usize, span: sqlparser::tokenizer::Span, scope: &Scope) -> Vec<ColumnSource> {
        let [relation] = scope.relations.as_slice() else { return Vec::new() };
        let name = match (&relation.columns, &relation.table, self.schema) {
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
        if relation.dynamic {
            return Vec::new();
        }
        let path: Vec<String> = path.iter().map(|i| i.value.clone()).collect();
        if let Some(table) = &relation.table {
            let known = relation.columns.is_none() || relation.column(&column.value).is_some();
            let reference = if known {
                FoundRef::column(table.clone(), column.value.clone(), span)
            } else {
                FoundRef::unresolved(Some(table.clone()), column.value.clone(), span, vec![table.clone()])
            };
            self.push(reference.with_path(path));
            return vec![ColumnSource { table: table.clone(), column: column.value.clone() }];
        }
        if let Some(found) = relation.column(&column.value) {
            if let Some(base) = &found.base {
                self.push(FoundRef::column(base.table.clone(), base.column.clone(), span).with_path(path).via(Some(relation.label())));
            }
            return found.sources.clone();
        }
        if let Some(sources) = &relation.open {
            return sources.clone();
        }
        if let Some(star) = relation.has_star().and_then(|c| c.star.clone()) {
            // A CTE selecting `*` from a table of unknown columns.
            self.push(FoundRef::column(star.clone(), column.value.clone(), span).with_path(path).via(Some(relation.label())));
            return vec![ColumnSource { table: star, column: column.value.clone() }];
        }
        if relation.columns.is_some() {
            self.unresolved(Some(relation.label()), column, Some(span), &[], vec![relation.label()]);
        }
        Vec::new()
    }

    fn unresolved(&mut self, table: Option<String>, column: &Ident, span: Option<Range<usize>>, path: &[&Ident], candidates: Vec<String>) {
        let Some(span) = span else { return };
        let path = path.iter().map(|i| i.value.clone()).collect();
        self.push(FoundRef::unresolved(table, column.value.clone(), span, candidates).with_path(path));
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

    fn push(&mut self, reference: FoundRef) {
        self.references.push(reference);
    }

    fn walk(&mut self, expr: &Expr, scope: &Scope, ctes: &Ctes, clause: Clause) -> Vec<ColumnSource> {
        self.walk_node(expr, scope, ctes, clause)
    }

    /// Resolves every name in any syntax node, returning the source columns read.
    fn walk_node<N: Visit + ?Sized>(&mut self, node: &N, scope: &Scope, ctes: &Ctes, clause: Clause) -> Vec<ColumnSource> {
        let mut walker = ExprWalker { resolver: self, scope, ctes, clause, nested: 0, sources: Vec::new(), skip: HashSet::new(), lambdas: Vec::new(), exists: false };
        let _ = node.visit(&mut walker);
        walker.sources
    }
}

enum Lookup<'s> {
    Found(&'s Relation),
    Ambiguous(Vec<String>),
    NotFound,
}

/// The relation an unqualified column name belongs to, innermost scope first.
/// A name no known relation has belongs to the only relation whose columns
/// are unknown; with several such relations it is ambiguous, never guessed.
fn lookup<'s>(scope: &'s Scope<'s>, name: &str) -> Lookup<'s> {
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
    if unknown.is_empty() { LocalColumn::None } else { LocalColumn::Maybe(unknown) }
}

/// A scope holding only a statement's target (the first relation), where
/// `SET col = ...` names are resolved: they always belong to the target.
fn target_scope(scope: &Scope) -> Scope<'static> {
    Scope { relations: scope.relations.iter().take(1).cloned().collect(), parent: None, aliases: Aliases::default(), using: Vec::new() }
}

/// A table function's relation: its columns are the alias's list when it
/// has one (`AS t(a, b)`), and unknown otherwise.
fn function_relation(alias: &Option<TableAlias>, sources: Vec<ColumnSource>) -> Relation {
    match alias {
        Some(a) if !a.columns.is_empty() => {
            let columns = a.columns.iter().map(|c| Column { name: Some(c.name.value.clone()), sources: sources.clone(), base: None, star: None }).collect();
            Relation { alias: alias_name(alias), table: None, columns: Some(Rc::new(columns)), open: None, dynamic: false }
        }
        _ => Relation { alias: alias_name(alias), table: None, columns: None, open: Some(sources), dynamic: false },
    }
}

/// A table made by a query, its columns known.
fn derived(alias: Option<String>, columns: Vec<Column>) -> Relation {
    Relation { alias, table: None, columns: Some(Rc::new(columns)), open: None, dynamic: false }
}

/// The columns `*` stands for over `relation`, without `excluded` names.
fn star_columns(relation: &Relation, excluded: &HashSet<String>) -> Vec<Column> {
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

/// Applies a table alias's column list (`AS t(a, b)`) to `columns`.
fn renamed(mut columns: Vec<Column>, alias: Option<&TableAlias>) -> Vec<Column> {
    let Some(alias) = alias else { return columns };
    for (column, name) in columns.iter_mut().zip(&alias.columns) {
        if column.name.as_deref() != Some(name.name.value.as_str()) {
            column.base = None;
        }
        column.name = Some(name.name.value.clone());
    }
    columns
}

fn cte<'c>(ctes: &'c Ctes, name: &ObjectName) -> Option<&'c [Column]> {
    if name.0.len() != 1 {
        return None;
    }
    let wanted = part_value(&name.0[0]);
    ctes.iter().rev().find(|(n, _)| n.eq_ignore_ascii_case(&wanted)).map(|(_, c)| c.as_slice())
}

fn alias_name(alias: &Option<TableAlias>) -> Option<String> {
    alias.as_ref().map(|a| a.name.value.clone())
}

fn part_value(part: &ObjectNamePart) -> String {
    match part {
        ObjectNamePart::Identifier(ident) => ident.value.clone(),
        other => other.to_string(),
    }
}

/// A table name as the SQL writes it: quotes removed, parts joined by `.`.
pub(crate) fn object_name(name: &ObjectName) -> String {
    name.0.iter().map(part_value).collect::<Vec<_>>().join(".")
}

fn last_ident(name: &ObjectName) -> Option<&Ident> {
    name.0.last().and_then(ObjectNamePart::as_ident)
}

fn output_name(expr: &Expr) -> Option<String> {
    let name = match expr {
        Expr::Identifier(ident) => Some(ident.value.clone()),
        Expr::CompoundIdentifier(idents) => idents.last().map(|i| i.value.clone()),
        Expr::CompoundFieldAccess { access_chain, .. } => match access_chain.last() {
            Some(AccessExpr::Dot(Expr::Identifier(ident))) => Some(ident.value.clone()),
            _ => None,
        },
        Expr::Nested(inner) => output_name(inner),
        _ => None,
    };
    name.filter(|n| !n.contains(PLACEHOLDER_PREFIX))
}

fn dedup(mut sources: Vec<ColumnSource>) -> Vec<ColumnSource> {
    let mut seen = HashSet::new();
    sources.retain(|s| seen.insert((s.table.to_ascii_lowercase(), s.column.to_ascii_lowercase())));
    sources
}

/// Date parts written as bare words in date functions (`DATE_TRUNC(d, MONTH)`)
/// are not columns.
fn is_date_part_argument(function: &str, word: &str) -> bool {
    const FUNCTIONS: &[&str] = &[
        "DATEADD", "DATEDIFF", "DATEPART", "DATETIME_ADD", "DATETIME_DIFF", "DATETIME_SUB", "DATETIME_TRUNC", "DATE_ADD", "DATE_DIFF",
        "DATE_PART", "DATE_SUB", "DATE_TRUNC", "LAST_DAY", "TIMESTAMPADD", "TIMESTAMPDIFF", "TIMESTAMP_ADD", "TIMESTAMP_DIFF",
        "TIMESTAMP_SUB", "TIMESTAMP_TRUNC", "TIME_ADD", "TIME_DIFF", "TIME_SUB", "TIME_TRUNC", "TRUNC", "WEEK",
    ];
    const PARTS: &[&str] = &[
        "D", "DATE", "DAY", "DAYOFWEEK", "DAYOFYEAR", "DAYS", "DD", "DW", "FRIDAY", "HH", "HOUR", "HOURS", "ISOWEEK", "ISOYEAR", "MI",
        "MICROSECOND", "MILLISECOND", "MINUTE", "MINUTES", "MM", "MON", "MONDAY", "MONTH", "MONTHS", "NANOSECOND", "QUARTER", "SATURDAY",
        "SECOND", "SECONDS", "SS", "SUNDAY", "THURSDAY", "TUESDAY", "WEDNESDAY", "WEEK", "WEEKDAY", "WEEKS", "WK", "Y", "YEAR", "YEARS",
        "YY", "YYYY",
    ];
    FUNCTIONS.contains(&function.to_ascii_uppercase().as_str()) && PARTS.contains(&word.to_ascii_uppercase().as_str())
}

/// Walks an expression (or any node), resolving its names in one scope and
/// handing each subquery to the resolver with a child scope.
struct ExprWalker<'r, 'a, 's, 'p> {
    resolver: &'r mut Resolver<'a>,
    scope: &'s Scope<'p>,
    ctes: &'s Ctes,
    clause: Clause,
    /// Depth inside subqueries the resolver already handled.
    nested: usize,
    sources: Vec<ColumnSource>,
    /// Positions of identifiers already resolved as part of a larger name.
    /// Where names already resolved as part of a longer one start: a set,
    /// since a name of thousands of parts puts thousands here.
    skip: HashSet<(u64, u64)>,
    lambdas: Vec<String>,
    /// The next subquery is an EXISTS subquery.
    exists: bool,
}

impl ExprWalker<'_, '_, '_, '_> {
    fn resolve(&mut self, parts: &[&Ident]) {
        if parts.len() == 1 && self.lambdas.iter().any(|l| l.eq_ignore_ascii_case(&parts[0].value)) {
            return;
        }
        if let Some(first) = parts.first() {
            if self.skip.contains(&(first.span.start.line, first.span.start.column)) {
                return;
            }
        }
        let sources = self.resolver.resolve(parts, self.scope, self.clause);
        self.sources.extend(sources);
    }

    fn skip(&mut self, ident: &Ident) {
        self.skip.insert((ident.span.start.line, ident.span.start.column));
    }
}

impl Visitor for ExprWalker<'_, '_, '_, '_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if self.nested == 0 {
            let exists = std::mem::take(&mut self.exists);
            self.resolver.in_exists += usize::from(exists);
            self.resolver.unnamed_outputs += 1;
            let columns = self.resolver.query(query, Some(self.scope), self.ctes);
            self.resolver.unnamed_outputs -= 1;
            self.resolver.in_exists -= usize::from(exists);
            if !exists {
                self.sources.extend(columns.into_iter().flat_map(|c| c.sources));
            }
        }
        self.nested += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
        self.nested -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        if self.nested > 0 {
            return ControlFlow::Continue(());
        }
        match expr {
            Expr::Exists { .. } => self.exists = true,
            Expr::Identifier(ident) => self.resolve(&[ident]),
            Expr::Value(ValueWithSpan { value: Value::Placeholder(p), span }) if self.resolver.dialect == Dialect::Snowflake => {
                if let Some(n) = p.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
                    let sources = self.resolver.positional(n, *span, self.scope);
                    self.sources.extend(sources);
                }
            }
            Expr::CompoundIdentifier(idents) => {
                let parts: Vec<&Ident> = idents.iter().collect();
                self.resolve(&parts);
            }
            Expr::CompoundFieldAccess { root, access_chain } => {
                // `t.col.field[0].x`: the name up to the first subscript.
                let mut parts = field_path(root);
                for access in access_chain {
                    match (access, parts.as_mut()) {
                        (AccessExpr::Dot(Expr::Identifier(ident)), Some(parts)) => parts.push(ident),
                        // A field after a subscript (`arr[0].x`) is no column.
                        (AccessExpr::Dot(Expr::Identifier(ident)), None) => self.skip(ident),
                        (_, Some(_)) => {
                            let path = parts.take().unwrap_or_default();
                            self.resolve(&path);
                            path.into_iter().for_each(|ident| self.skip(ident));
                        }
                        (_, None) => {}
                    }
                }
                if let Some(path) = parts {
                    self.resolve(&path);
                    path.into_iter().for_each(|ident| self.skip(ident));
                }
            }
            Expr::Function(function) => {
                let name = function.name.0.last().map(part_value).unwrap_or_default();
                if let FunctionArguments::List(list) = &function.args {
                    for arg in &list.args {
                        if let FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Identifier(ident))) = arg {
                            if is_date_part_argument(&name, &ident.value) {
                                self.skip(ident);
                            }
                        }
                    }
                }
            }
            Expr::Lambda(lambda) => {
                self.lambdas.extend(lambda.params.iter().map(|p| p.name.value.clone()));
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// The name parts of a column and field path, also through PostgreSQL's
/// parentheses around a composite value (`((o.customer).address).city`).
fn field_path(expr: &Expr) -> Option<Vec<&Ident>> {
    match expr {
        Expr::Identifier(ident) => Some(vec![ident]),
        Expr::CompoundIdentifier(idents) => Some(idents.iter().collect()),
        Expr::Nested(inner) => field_path(inner),
        Expr::CompoundFieldAccess { root, access_chain } => {
            let mut parts = field_path(root)?;
            for access in access_chain {
                match access {
                    AccessExpr::Dot(Expr::Identifier(ident)) => parts.push(ident),
                    _ => return None,
                }
            }
            Some(parts)
        }
        _ => None,
    }
}

/// Walks statements the resolver has no special handling for.
struct StatementWalker<'r, 'a> {
    resolver: &'r mut Resolver<'a>,
    nested: usize,
    root: bool,
}

impl Visitor for StatementWalker<'_, '_> {
    type Break = ();

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<()> {
        // The root is the statement being walked; a statement nested in it
        // (inside IF, BEGIN ... END) gets the resolver's full handling.
        if std::mem::take(&mut self.root) {
            return ControlFlow::Continue(());
        }
        if self.nested == 0 {
            self.resolver.statement_columns(statement);
        }
        self.nested += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_statement(&mut self, _statement: &Statement) -> ControlFlow<()> {
        self.nested = self.nested.saturating_sub(1);
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if self.nested == 0 {
            self.resolver.query(query, None, &[]);
        }
        self.nested += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
        self.nested -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<()> {
        if self.nested == 0 {
            self.resolver.table_ref(relation, false, &[]);
        }
        ControlFlow::Continue(())
    }
}
