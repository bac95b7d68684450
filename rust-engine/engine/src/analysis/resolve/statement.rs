//! Statements: what each reads and writes (INSERT, UPDATE, DELETE, MERGE,
//! CREATE, DROP, DECLARE), and a walk of any other for its queries and
//! tables.

use std::ops::{ControlFlow, Range};

use sqlparser::ast::{
    AssignmentTarget, Delete, Expr, FromTable, Ident, Insert, Merge, MergeAction, MergeInsertKind, MergeUpdateKind, ObjectName, ObjectNamePart, ObjectType, Query, Statement, TableObject, Update,
    UpdateTableFromKind, Value, ValueWithSpan, Visit, Visitor,
};
use sqlparser::tokenizer::Span;

use crate::analysis::found::{Found, FoundRef};

use super::scope::{target_scope, Clause, Column, Scope};
use super::{last_ident, object_name, Resolver};

impl Resolver<'_> {
    /// A scripting block's condition or loop query (`WHILE (SELECT COUNT(*)
    /// FROM t) > 0 DO`): analysed like the conditions of a parsed IF, its
    /// queries resolved and its other names taken for variables.
    pub fn condition(&mut self, condition: &Expr, range: Range<usize>) -> Found {
        let mut walker = StatementWalker { resolver: self, nested: 0, root: false, placeholders: None };
        let _ = condition.visit(&mut walker);
        self.found(range, Vec::new())
    }

    /// A statement's output columns (a query's, an INSERT's rows'), its
    /// names resolved and recorded on the way.
    pub(super) fn statement_columns(&mut self, statement: &Statement) -> Vec<Column> {
        match statement {
            Statement::Query(query) => self.query(query, None, &[]),
            Statement::Insert(insert) => self.insert(insert),
            Statement::CreateTable(create) => {
                self.table_ref(&create.name, true, &[]);
                create.query.as_ref().map(|q| self.query(q, None, &[])).unwrap_or_default()
            }
            Statement::CreateView(create) => {
                self.table_ref(&create.name, true, &[]);
                self.query(&create.query, None, &[])
            }
            Statement::Update(update) => {
                self.update(update);
                Vec::new()
            }
            Statement::Delete(delete) => {
                self.delete(delete);
                Vec::new()
            }
            Statement::Merge(merge) => {
                self.merge(merge);
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
                let mut walker = StatementWalker { resolver: self, nested: 0, root: true, placeholders: None };
                let _ = other.visit(&mut walker);
                Vec::new()
            }
        }
    }

    /// An INSERT's rows, named after its column list.
    fn insert(&mut self, insert: &Insert) -> Vec<Column> {
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

    fn update(&mut self, update: &Update) {
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
    }

    fn delete(&mut self, delete: &Delete) {
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
    }

    fn merge(&mut self, merge: &Merge) {
        let mut scope = Scope::new(None);
        self.factor(&merge.table, &mut scope, &[], true);
        let target_relation = target_scope(&scope);
        let target = scope.relations.first().and_then(|r| r.table().map(str::to_string));
        self.factor(&merge.source, &mut scope, &[], false);
        self.walk(&merge.on, &scope, &[], Clause::Plain);
        for clause in &merge.clauses {
            if let Some(predicate) = &clause.predicate {
                self.walk(predicate, &scope, &[], Clause::Plain);
            }
            match &clause.action {
                MergeAction::Update(update) => {
                    let MergeUpdateKind::Set(assignments) = &update.kind else {
                        continue;
                    };
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
    }

    /// A column of a table the statement writes (INSERT column lists).
    fn target_column(&mut self, table: &str, ident: &Ident) {
        let Some(span) = self.spans.ident(ident) else {
            return;
        };
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
}

/// Walks statements the resolver has no special handling for.
pub(super) struct StatementWalker<'r, 'a> {
    resolver: &'r mut Resolver<'a>,
    nested: usize,
    root: bool,
    /// Set when the walk only collects placeholders ([`Resolver::placeholders`]).
    placeholders: Option<Vec<(String, Span)>>,
}

impl Resolver<'_> {
    /// Every placeholder value in `statement` (`Value::Placeholder`), with
    /// its span, in the order of the tree. Walked by the visitor type that
    /// walks other statements, in a mode of its own: each visitor type
    /// instantiates `sqlparser`'s walk of the whole tree again, 80 KB of the
    /// WebAssembly module.
    pub fn placeholders(&mut self, statement: &Statement) -> Vec<(String, Span)> {
        let mut walker = StatementWalker { resolver: self, nested: 0, root: false, placeholders: Some(Vec::new()) };
        let _ = statement.visit(&mut walker);
        walker.placeholders.unwrap_or_default()
    }
}

impl Visitor for StatementWalker<'_, '_> {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        if let (Some(found), Expr::Value(ValueWithSpan { value: Value::Placeholder(text), span })) = (&mut self.placeholders, expr) {
            found.push((text.clone(), *span));
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<()> {
        if self.placeholders.is_some() {
            return ControlFlow::Continue(());
        }
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
        if self.placeholders.is_some() {
            return ControlFlow::Continue(());
        }
        self.nested = self.nested.saturating_sub(1);
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if self.placeholders.is_some() {
            return ControlFlow::Continue(());
        }
        if self.nested == 0 {
            self.resolver.query(query, None, &[]);
        }
        self.nested += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
        if self.placeholders.is_some() {
            return ControlFlow::Continue(());
        }
        self.nested -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<()> {
        if self.placeholders.is_some() {
            return ControlFlow::Continue(());
        }
        if self.nested == 0 {
            self.resolver.table_ref(relation, false, &[]);
        }
        ControlFlow::Continue(())
    }
}
