//! dbt property files (`schema.yml`, `_models.yml`, ...) rewritten for a
//! change to a dataset, in the same patch as the SQL: what a consumer's
//! YAML says about the dataset's model or columns follows the change.
//!
//! - `ref('model')` / `source('src', 'table')` naming the dataset get the
//!   new table's name when the table moves, wherever they are written
//!   (`to:` of tests, `input:` of unit tests, `depends_on:` of exposures,
//!   `model:` of semantic models and metrics, `compare_model:` ...);
//! - tests whose `to:` is the dataset: their `field:` (a column of the
//!   dataset) and `to_condition:` (SQL over it);
//! - unit tests: fixture rows given for the dataset (`input:`), inline or
//!   CSV;
//! - semantic models and (legacy) metrics on the dataset: their column
//!   names and SQL expressions.
//!
//! The entry that defines the dataset (`models: - name: stg_orders`, a
//! `sources:` table, a seed or snapshot of that name) and the unit tests of
//! the dataset's own model are the producer's change: they are never
//! edited. Everything else in the same file is a consumer's.

use crate::analysis::MAX_FILE_BYTES;
use crate::{ChangeSpec, ColumnFate, FileRewrite, Finding, FindingKind, FindingSeverity, LineIndex, Location, RewriteStatus};

use super::diff::unified_diff;
use super::edits::Edits;
use super::expression::rewrite_expression;
use super::names::{self, last_part, CallKind};
use super::outputs::RenamedOutputs;
use super::sources;
use super::yaml::{self, Map, Node, Scalar};

/// The top-level keys of a dbt property file.
const PROPERTY_KEYS: [&str; 11] = ["models", "sources", "seeds", "snapshots", "analyses", "macros", "unit_tests", "exposures", "metrics", "semantic_models", "saved_queries"];

/// Rewrites one dbt property file (YAML) for `spec`. Never fails: invalid
/// YAML is the file's `error` status, with its line and column, and what a
/// person must edit is `needs_edit` with the reasons.
pub fn rewrite_properties(path: &str, text: &str, spec: &ChangeSpec) -> FileRewrite {
    rewrite_properties_with(path, text, spec, &RenamedOutputs::default())
}

/// [`rewrite_properties`] knowing which outputs of the project's models
/// the change renames (only with `"preserve_output_names": false`): their
/// `columns:` entries and their unit tests' expected rows follow.
pub fn rewrite_properties_with(path: &str, text: &str, spec: &ChangeSpec, outputs: &RenamedOutputs) -> FileRewrite {
    let result = FileRewrite { path: path.to_string(), status: RewriteStatus::Unaffected, findings: Vec::new(), reasons: Vec::new(), edits: 0, patch: None, content: None };
    let error = |mut result: FileRewrite, finding: Finding| {
        result.status = RewriteStatus::Error;
        result.reasons.push(finding.to_string());
        result.findings.push(finding);
        result
    };
    if text.len() > MAX_FILE_BYTES {
        let message = format!("file is {} bytes, over the {MAX_FILE_BYTES}-byte limit; not rewritten", text.len());
        return error(result, Finding::file(FindingKind::FileTooLarge, FindingSeverity::Error, message));
    }
    if let Err(e) = spec.validate() {
        return error(result, Finding::file(FindingKind::InvalidChange, FindingSeverity::Error, e.to_string()));
    }
    let roots = match yaml::parse(text) {
        Ok(roots) => roots,
        Err(e) => {
            let at = Location { line: e.line, column: e.column };
            return error(result, Finding::at(FindingKind::InvalidYaml, FindingSeverity::Error, at, at, format!("invalid YAML: {}", e.message)));
        }
    };
    let mut result = result;
    let mut planner = Planner { text, sources: Vec::new(), producer: Vec::new(), outputs, spec, lines: LineIndex::new(text), edits: Edits::default(), manual: Vec::new(), notes: Vec::new() };
    for root in &roots {
        planner.definitions(root);
    }
    for root in &roots {
        planner.document(root);
    }
    let Planner { edits, manual, notes, .. } = planner;
    let needs_edit = !manual.is_empty();
    // As the SQL rewrite: the findings its status is about.
    result.findings = if needs_edit { manual } else { notes };
    result.reasons = result.findings.iter().map(Finding::to_string).collect();
    if edits.is_empty() {
        if needs_edit {
            result.status = RewriteStatus::NeedsEdit;
        }
        return result;
    }
    let checked = edits.apply(text).and_then(|new_text| edits.verify(&roots, &new_text).map(|()| new_text));
    match checked {
        Ok(new_text) => {
            result.status = if needs_edit { RewriteStatus::NeedsEdit } else { RewriteStatus::Rewritten };
            result.edits = edits.file.len();
            result.patch = Some(unified_diff(path, text, &edits.sorted()));
            result.content = Some(new_text);
        }
        Err(why) => {
            result.status = RewriteStatus::NeedsEdit;
            let message = format!("the rewrite could not be verified, so none is proposed: {why}");
            let finding = Finding::file(FindingKind::VerificationFailed, FindingSeverity::NeedsEdit, message);
            result.reasons.push(finding.to_string());
            result.findings.push(finding);
        }
    }
    result
}

struct Planner<'a> {
    text: &'a str,
    /// Sources declared in this file whose table is the dataset (source
    /// and table names, lowercase): `source('ecom', 'raw_orders')` names
    /// `raw.raw_orders` when the file says source `ecom` is schema `raw`.
    sources: Vec<(String, String)>,
    /// Node ids of the producer's entries, which are not read as consumers.
    producer: Vec<usize>,
    outputs: &'a RenamedOutputs,
    spec: &'a ChangeSpec,
    lines: LineIndex,
    edits: Edits,
    /// What a person must edit, each with its line and column.
    manual: Vec<Finding>,
    /// What the change does to the file that needs no edit.
    notes: Vec<Finding>,
}

impl Planner<'_> {
    /// True for a document of a dbt property file: other YAML (CI configs,
    /// catalogs, `dbt_project.yml`'s settings) is no consumer.
    fn is_properties(root: &Node) -> bool {
        root.map().is_some_and(|top| top.entries.iter().any(|(k, _)| k.str().is_some_and(|k| PROPERTY_KEYS.contains(&k))))
    }

    /// Finds the producer's entries of a document (see the module's doc),
    /// and the sources it declares for the dataset, before any consumer is
    /// read: a `source()` anywhere in the file may name one of them.
    fn definitions(&mut self, root: &Node) {
        let Some(top) = root.map().filter(|_| Self::is_properties(root)) else {
            return;
        };
        for (key, value) in &top.entries {
            match key.str().unwrap_or_default() {
                kind @ ("models" | "seeds" | "snapshots") => {
                    for entry in value.items() {
                        let name = entry.map().and_then(|m| m.get("name")).and_then(Node::scalar);
                        if let Some(name) = name.filter(|n| last_part(&self.spec.dataset).eq_ignore_ascii_case(&n.value)) {
                            self.producer.push(entry.id());
                            self.note(name.span.start, format!("`{}` is defined here ({kind}): its entry is the producer's change and is not rewritten", name.value));
                        }
                    }
                }
                "sources" => {
                    for source in value.items().iter().filter_map(Node::map) {
                        for table in source.get("tables").map(Node::items).unwrap_or_default() {
                            if let Some(name) = self.defined_source(source, table) {
                                let source_name = source.get_str("name").unwrap_or_default().to_ascii_lowercase();
                                self.sources.push((source_name, name.value.to_ascii_lowercase()));
                                self.producer.push(table.id());
                                self.note(name.span.start, format!("source table `{}` is defined here: its entry is the producer's change and is not rewritten", name.value));
                            }
                        }
                    }
                }
                "unit_tests" => {
                    for test in value.items() {
                        let model = test.map().and_then(|m| m.get("model")).and_then(Node::scalar);
                        // A unit test of the dataset's own model tests the producer.
                        if let Some(model) = model.filter(|m| last_part(&self.spec.dataset).eq_ignore_ascii_case(&m.value)) {
                            self.producer.push(test.id());
                            self.note(model.span.start, format!("this unit test tests `{}` itself: the producer's change, not rewritten", model.value));
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// The consumers in a document: everything but the producer's entries.
    fn document(&mut self, root: &Node) {
        let Some(top) = root.map().filter(|_| Self::is_properties(root)) else {
            return;
        };
        for (key, value) in &top.entries {
            let items: Vec<&Map> = value.items().iter().filter(|n| !self.producer.contains(&n.id())).filter_map(Node::map).collect();
            match key.str().unwrap_or_default() {
                "models" | "seeds" | "snapshots" => {
                    for entry in items {
                        if let Some(renamed) = entry.get_str("name").and_then(|name| self.outputs.of(name)) {
                            self.model_columns(entry, renamed);
                        }
                    }
                }
                "unit_tests" => items.into_iter().for_each(|test| self.unit_test(test)),
                "semantic_models" => items.into_iter().for_each(|m| self.semantic_model(m)),
                "metrics" => items.into_iter().for_each(|m| self.metric(m)),
                _ => {}
            }
        }
        let producer = std::mem::take(&mut self.producer);
        self.visit(root, &producer);
        self.producer = producer;
    }

    /// True when `value` holds a `ref(...)` or `source(...)` naming the dataset.
    fn names_dataset(&self, value: &str) -> bool {
        names::calls(value).iter().any(|c| self.call_names_dataset(c))
    }

    fn call_names_dataset(&self, call: &names::Call) -> bool {
        call.names(&self.spec.dataset)
            || call.kind == CallKind::Source && call.args.len() == 2 && self.sources.iter().any(|(s, t)| call.args[0].0.eq_ignore_ascii_case(s) && call.args[1].0.eq_ignore_ascii_case(t))
    }

    /// The name of a `sources:` table entry when it is the dataset: as
    /// `source.table`, or as the `schema.identifier` it stands for.
    fn defined_source<'n>(&self, source: &Map, table: &'n Node) -> Option<&'n Scalar> {
        let (name, relation) = sources::declared(source, table)?;
        let source_name = source.get_str("name")?;
        let identifier = relation.rsplit('.').next().unwrap_or(&relation);
        let dataset = self.spec.dataset.as_str();
        let named = crate::schema::names_match(dataset, &format!("{source_name}.{}", name.value))
            || crate::schema::names_match(dataset, &relation)
            || crate::schema::names_match(&relation, dataset)
            || (!dataset.contains('.') && (dataset.eq_ignore_ascii_case(&name.value) || dataset.eq_ignore_ascii_case(identifier)));
        named.then_some(name)
    }

    /// Every node outside the producer's entries: refs and sources in its
    /// strings, and tests pointing at the dataset.
    fn visit(&mut self, node: &Node, producer: &[usize]) {
        if producer.contains(&node.id()) {
            return;
        }
        match node {
            Node::Scalar(s) => self.tables_in(s),
            Node::Seq { items, .. } => items.iter().for_each(|n| self.visit(n, producer)),
            Node::Map(map) => {
                self.test_arguments(map);
                for (k, v) in &map.entries {
                    self.visit(k, producer);
                    self.visit(v, producer);
                }
            }
            Node::Alias { .. } => {}
        }
    }

    /// `ref(...)` and `source(...)` naming the dataset get its new name.
    fn tables_in(&mut self, scalar: &Scalar) {
        let Some(to) = self.spec.new_table() else {
            return;
        };
        let new_last = last_part(to);
        for call in names::calls(&scalar.value) {
            if !self.call_names_dataset(&call) {
                continue;
            }
            let Some((old, range)) = call.table_arg().cloned() else {
                continue;
            };
            let new = in_case_of(&old, new_last);
            if !self.edits.replace_in_scalar(self.text, scalar, range, &new) {
                self.manual(scalar.span.start, FindingKind::UneditableName, format!("`{}` names the dataset in a way Ripple cannot edit here; rename `{old}` to `{new}` by hand", scalar.value));
                continue;
            }
            if call.kind == CallKind::Source {
                let schema = |name: &str| name.rsplit('.').nth(1).map(str::to_ascii_lowercase);
                if schema(&self.spec.dataset) != schema(to) {
                    let source = &call.args[0].0;
                    self.manual(scalar.span.start, FindingKind::DbtSourceMove, format!("the table moves to `{to}`: check that dbt source `{source}` declares `{new_last}` in that schema"));
                }
            }
        }
    }

    /// A test's arguments (`relationships: {to: ref('stg_orders'), field:
    /// order_id}`, also under `arguments:`): `field` and `to_condition`
    /// name the `to` model's columns; `compare_columns` name both models'.
    fn test_arguments(&mut self, map: &Map) {
        let names_dataset = |key: &str| map.get_str(key).is_some_and(|v| self.names_dataset(v));
        let (to, compare_model) = (names_dataset("to"), names_dataset("compare_model"));
        if to {
            if let Some(field) = map.get("field").and_then(Node::scalar) {
                self.column(field, "the test's `field`");
            }
            if let Some(condition) = map.get("to_condition").and_then(Node::scalar) {
                self.expression(condition, "to_condition");
            }
        }
        if compare_model {
            for column in map.get("compare_columns").map(Node::items).unwrap_or_default().iter().filter_map(Node::scalar) {
                if self.spec.column_fate(&column.value) != ColumnFate::Kept && !matches!(self.spec.column_fate(&column.value), ColumnFate::Retyped(_)) {
                    self.manual(column.span.start, FindingKind::UneditableName, format!("`compare_columns` names `{}` in both models, and the change renames or drops it in one", column.value));
                }
            }
        }
    }

    /// A unit test of a consumer: fixture rows given for the dataset name
    /// its columns.
    fn unit_test(&mut self, test: &Map) {
        let mut reads_dataset = false;
        for given in test.get("given").map(Node::items).unwrap_or_default().iter().filter_map(Node::map) {
            let input = given.get_str("input").unwrap_or_default();
            if !self.names_dataset(input) {
                continue;
            }
            reads_dataset = true;
            self.fixture(given, "fixture");
        }
        // The model under test keeps its output names unless the change
        // says otherwise; then which of them follow the rename is in its SQL.
        let model = test.get_str("model").unwrap_or_default();
        if let (Some(renamed), Some(expect)) = (self.outputs.of(model), test.get("expect").and_then(Node::map)) {
            self.expected_rows(expect, renamed);
        } else if reads_dataset && !self.spec.preserve_output_names {
            if let Some(expect) = test.get("expect").and_then(Node::map) {
                for (name, at) in self.fixture_columns(expect) {
                    if matches!(self.spec.column_fate(&name), ColumnFate::Renamed(_) | ColumnFate::Path(_) | ColumnFate::Expression(_)) {
                        let model = test.get_str("model").unwrap_or("the model");
                        self.manual(at, FindingKind::UneditableName, format!("the expected rows name `{name}`; with output names not kept, rename it if `{model}` passes the column through"));
                    }
                }
            }
        }
    }

    /// Fixture rows (`rows:` inline or as CSV, or a `fixture:` file) of
    /// the dataset's columns.
    fn fixture(&mut self, given: &Map, what: &str) {
        // A retype leaves the fixture's names as they are.
        let changes_columns = self.spec.changed_columns().any(|c| !matches!(self.spec.column_fate(c), ColumnFate::Retyped(_)));
        match given.get_str("format").unwrap_or("dict").to_ascii_lowercase().as_str() {
            "dict" => {
                for row in given.get("rows").map(Node::items).unwrap_or_default().iter().filter_map(Node::map) {
                    for (key, _) in &row.entries {
                        if let Some(key) = key.scalar() {
                            self.column(key, &format!("the {what} row"));
                        }
                    }
                }
            }
            "csv" => {
                if let Some(rows) = given.get("rows").and_then(Node::scalar) {
                    for (name, range) in names::csv_header(&rows.value) {
                        self.column_in(rows, range, &name, &format!("the {what}'s CSV header"));
                    }
                }
            }
            // A SQL fixture names the columns as its own output aliases.
            _ => {
                if let Some(rows) = given.get("rows").and_then(Node::scalar) {
                    for column in self.spec.changed_columns().collect::<Vec<_>>() {
                        let fate = match self.spec.column_fate(column) {
                            ColumnFate::Kept | ColumnFate::Retyped(_) => continue,
                            ColumnFate::Dropped => "drops".to_string(),
                            ColumnFate::Renamed(to) | ColumnFate::Path(to) | ColumnFate::Expression(to) => format!("makes `{to}`"),
                        };
                        if names::mentions(&rows.value, column) {
                            self.manual(rows.span.start, FindingKind::UneditableName, format!("the SQL {what} names `{column}`, which the change {fate}; edit its columns by hand"));
                        }
                    }
                }
            }
        }
        if let (true, Some(file)) = (changes_columns, given.get("fixture").and_then(Node::scalar)) {
            self.manual(file.span.start, FindingKind::UneditableName, format!("the fixture file `{}` holds rows of the dataset: check its columns by hand", file.value));
        }
    }

    /// A model's own property entry, when the change renames some of its
    /// outputs: its `columns:` entries and the columns its tests name.
    fn model_columns(&mut self, model: &Map, renamed: &[(String, String)]) {
        for column in model.get("columns").map(Node::items).unwrap_or_default().iter().filter_map(Node::map) {
            if let Some(name) = column.get("name").and_then(Node::scalar) {
                self.output(name, renamed, "the column entry");
            }
        }
        for test in ["data_tests", "tests"].iter().flat_map(|k| model.get(k).map(Node::items).unwrap_or_default()) {
            let Some(test) = test.map() else { continue };
            for (_, arguments) in &test.entries {
                let Some(arguments) = arguments.map() else {
                    continue;
                };
                for arguments in [Some(arguments), arguments.get("arguments").and_then(Node::map)].into_iter().flatten() {
                    if let Some(column) = arguments.get("column_name").and_then(Node::scalar) {
                        self.output(column, renamed, "the test's `column_name`");
                    }
                    for column in arguments.get("combination_of_columns").map(Node::items).unwrap_or_default().iter().filter_map(Node::scalar) {
                        self.output(column, renamed, "the test's `combination_of_columns`");
                    }
                }
            }
        }
    }

    /// The expected rows of a unit test of a model whose outputs are renamed.
    fn expected_rows(&mut self, expect: &Map, renamed: &[(String, String)]) {
        match expect.get("rows") {
            Some(Node::Scalar(csv)) if expect.get_str("format").is_some_and(|f| f.eq_ignore_ascii_case("csv")) => {
                for (name, range) in names::csv_header(&csv.value) {
                    if let Some((_, new)) = renamed.iter().find(|(old, _)| old.eq_ignore_ascii_case(&name)) {
                        self.rename_in(csv, range, &name, new, "the expected rows' CSV header");
                    }
                }
            }
            Some(rows) => {
                for row in rows.items().iter().filter_map(Node::map) {
                    for key in row.entries.iter().filter_map(|(k, _)| k.scalar()) {
                        self.output(key, renamed, "the expected row");
                    }
                }
            }
            None => {}
        }
    }

    /// A scalar naming an output of a model, renamed when the change renames it.
    fn output(&mut self, scalar: &Scalar, renamed: &[(String, String)], what: &str) {
        if let Some((_, new)) = renamed.iter().find(|(old, _)| old.eq_ignore_ascii_case(&scalar.value)) {
            let name = scalar.value.clone();
            self.rename_in(scalar, 0..name.len(), &name, new, what);
        }
    }

    /// The column names of an `expect:` (or `given:`) block's rows.
    fn fixture_columns(&self, block: &Map) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        match block.get("rows") {
            Some(Node::Scalar(csv)) if block.get_str("format").is_some_and(|f| f.eq_ignore_ascii_case("csv")) => {
                out.extend(names::csv_header(&csv.value).into_iter().map(|(n, _)| (n, csv.span.start)));
            }
            Some(rows) => {
                for row in rows.items().iter().filter_map(Node::map) {
                    out.extend(row.entries.iter().filter_map(|(k, _)| k.scalar()).map(|k| (k.value.clone(), k.span.start)));
                }
            }
            None => {}
        }
        out
    }

    /// A semantic model on the dataset: its entities, dimensions and
    /// measures read a column by their `expr` (SQL), or else by their name,
    /// which is also their name in the semantic layer and so is kept: an
    /// `expr:` with the new column is added instead.
    fn semantic_model(&mut self, model: &Map) {
        if !model.get_str("model").is_some_and(|m| self.names_dataset(m)) {
            return;
        }
        for (kind, one) in [("entities", "entity"), ("dimensions", "dimension"), ("measures", "measure")] {
            for item in model.get(kind).map(Node::items).unwrap_or_default().iter().filter_map(Node::map) {
                if let Some(expr) = item.get("expr").and_then(Node::scalar) {
                    self.expression(expr, "expr");
                    continue;
                }
                let Some(name_entry) = item.entry("name") else {
                    continue;
                };
                let Some(name) = name_entry.1.scalar() else {
                    continue;
                };
                let to = match self.spec.column_fate(&name.value) {
                    ColumnFate::Kept | ColumnFate::Retyped(_) => continue,
                    ColumnFate::Dropped => {
                        self.manual(name.span.start, FindingKind::DroppedColumnUsed, format!("the {one} `{}` reads the column of its name, which the change drops", name.value));
                        continue;
                    }
                    ColumnFate::Renamed(to) => in_case_of(&name.value, to),
                    ColumnFate::Path(to) | ColumnFate::Expression(to) => to.to_string(),
                };
                if !self.edits.insert_after(self.text, item, name_entry, "expr", &to) {
                    self.manual(name.span.start, FindingKind::MappedColumnUse, format!("the {one} `{}` reads the column of its name, which becomes `{to}`: add `expr: {to}` by hand", name.value));
                }
            }
        }
    }

    /// A metric of dbt's older spec on the dataset (`model: ref(...)`): its
    /// SQL, its timestamp, dimensions and filters name columns.
    fn metric(&mut self, metric: &Map) {
        if !metric.get_str("model").is_some_and(|m| self.names_dataset(m)) {
            return;
        }
        for key in ["sql", "expression"] {
            if let Some(sql) = metric.get(key).and_then(Node::scalar) {
                self.expression(sql, key);
            }
        }
        if let Some(timestamp) = metric.get("timestamp").and_then(Node::scalar) {
            self.column(timestamp, "the metric's `timestamp`");
        }
        for dimension in metric.get("dimensions").map(Node::items).unwrap_or_default().iter().filter_map(Node::scalar) {
            self.column(dimension, "the metric's dimension");
        }
        for filter in metric.get("filters").map(Node::items).unwrap_or_default().iter().filter_map(Node::map) {
            if let Some(field) = filter.get("field").and_then(Node::scalar) {
                self.column(field, "the metric's filter");
            }
        }
    }

    /// A scalar whose whole value is a column of the dataset.
    fn column(&mut self, scalar: &Scalar, what: &str) {
        let len = scalar.value.len();
        let name = scalar.value.clone();
        self.column_in(scalar, 0..len, &name, what);
    }

    /// `range` of a scalar's value names column `name` of the dataset.
    fn column_in(&mut self, scalar: &Scalar, range: std::ops::Range<usize>, name: &str, what: &str) {
        let at = yaml::raw_range(self.text, scalar, range.clone()).map_or(scalar.span.start, |r| r.start);
        match self.spec.column_fate(name) {
            ColumnFate::Kept | ColumnFate::Retyped(_) => {}
            ColumnFate::Dropped => self.manual(at, FindingKind::DroppedColumnUsed, format!("{what} names `{name}`, which the change drops; edit it by hand")),
            ColumnFate::Path(to) | ColumnFate::Expression(to) => {
                self.manual(at, FindingKind::MappedColumnUse, format!("{what} names `{name}`, which becomes `{to}` in the new table; a name cannot stand for it here"))
            }
            ColumnFate::Renamed(to) => self.rename_in(scalar, range, name, to, what),
        }
    }

    /// Renames `name`, written at `range` of a scalar's value, to `to`.
    fn rename_in(&mut self, scalar: &Scalar, range: std::ops::Range<usize>, name: &str, to: &str, what: &str) {
        let new = in_case_of(name, to);
        let whole = range.start == 0 && range.end == scalar.value.len();
        let at = yaml::raw_range(self.text, scalar, range.clone()).map_or(scalar.span.start, |r| r.start);
        let done = if whole { self.edits.replace_scalar(self.text, scalar, &new) } else { self.edits.replace_in_scalar(self.text, scalar, range, &new) };
        if !done {
            self.manual(at, FindingKind::UneditableName, format!("{what} names `{name}` in a way Ripple cannot edit here; rename it to `{new}` by hand"));
        }
    }

    /// A SQL expression over the dataset's columns (`expr`, `sql`,
    /// `to_condition`), rewritten by the engine's own SQL rewrite.
    fn expression(&mut self, scalar: &Scalar, what: &str) {
        let changed: Vec<&str> = self.spec.changed_columns().collect();
        if !changed.iter().any(|c| names::mentions(&scalar.value, c)) {
            return;
        }
        let value = scalar.value.trim_end_matches('\n');
        match rewrite_expression(value, self.spec) {
            Ok(None) => {}
            Ok(Some(new)) => {
                if !self.replace_tokens(scalar, value, &new) {
                    self.manual(scalar.span.start, FindingKind::UneditableName, format!("`{what}` must read `{new}`; Ripple cannot edit it in place, so rewrite it by hand"));
                }
            }
            Err(reasons) => {
                for reason in reasons {
                    self.manual(scalar.span.start, FindingKind::UneditableName, format!("in `{what}`: {reason}"));
                }
            }
        }
    }

    /// Edits the names that differ between `old` (the start of the scalar's
    /// value) and `new`; false, with nothing edited, when one cannot be.
    fn replace_tokens(&mut self, scalar: &Scalar, old: &str, new: &str) -> bool {
        let (a, b) = (names::tokens(old), names::tokens(new));
        let a_text: Vec<&str> = a.iter().map(|r| &old[r.clone()]).collect();
        let b_text: Vec<&str> = b.iter().map(|r| &new[r.clone()]).collect();
        let mut hunks = Vec::new();
        for op in similar::capture_diff_slices(similar::Algorithm::Myers, &a_text, &b_text) {
            let (_, old_range, new_range) = op.as_tag_tuple();
            if op.tag() == similar::DiffTag::Equal {
                continue;
            }
            // An insertion replaces the token before it (or after it) too.
            let (old_range, new_range) = match (old_range.is_empty(), old_range.start) {
                (true, 0) => (0..1, new_range.start..new_range.end + 1),
                (true, i) => (i - 1..i, new_range.start - 1..new_range.end),
                (false, _) => (old_range, new_range),
            };
            let (Some(first), Some(last)) = (a.get(old_range.start), a.get(old_range.end - 1)) else {
                return false;
            };
            let text = match (b.get(new_range.start), new_range.end.checked_sub(1).and_then(|i| b.get(i))) {
                (Some(s), Some(e)) if !new_range.is_empty() => &new[s.start..e.end],
                _ => "",
            };
            hunks.push((first.start..last.end, text.to_string()));
        }
        let mut trial = Edits::default();
        if !hunks.iter().all(|(range, text)| trial.replace_in_scalar(self.text, scalar, range.clone(), text)) {
            return false;
        }
        hunks.into_iter().for_each(|(range, text)| {
            self.edits.replace_in_scalar(self.text, scalar, range, &text);
        });
        true
    }

    fn manual(&mut self, at: usize, kind: FindingKind, message: String) {
        let l = self.lines.location(self.text, at);
        self.manual.push(Finding::at(kind, FindingSeverity::NeedsEdit, l, l, message));
    }

    /// The producer's own entry, left as it is.
    fn note(&mut self, at: usize, message: String) {
        let l = self.lines.location(self.text, at);
        self.notes.push(Finding::at(FindingKind::ProducerEntry, FindingSeverity::Note, l, l, message));
    }
}

/// `name` in the case `written` uses when it is all capitals (`ORDER_ID`
/// renamed `order_key` reads `ORDER_KEY`), as the SQL rewrite writes names.
fn in_case_of(written: &str, name: &str) -> String {
    let letters = || written.chars().filter(|c| c.is_ascii_alphabetic());
    if letters().next().is_some() && letters().all(|c| c.is_ascii_uppercase()) && !name.chars().any(|c| c.is_ascii_uppercase()) {
        name.to_ascii_uppercase()
    } else {
        name.to_string()
    }
}
