//! Bindings for dbt projects as a whole: the schema a project already
//! knows, and property files rewritten with the SQL. Built into the Node
//! package only (the `dbt` feature): the YAML and CSV readers they need
//! would take the browser's `.wasm` over its 1 MB goal, and only the
//! backend and the scaffolder read whole projects.

use ripple_engine::dbt::{project_schema, rewrite_properties, ProjectFile};
use ripple_engine::{ChangeSpec, Dialect};
use serde::Deserialize;
use tsify::Tsify;
use wasm_bindgen::prelude::*;

use crate::boundary::{options_arg, schema_arg, string_arg, to_js, to_js_error};
use crate::{files_arg, json_text};

/// What `projectSchema` needs besides the project's files. Every field is
/// optional.
#[derive(Default, Deserialize, Tsify)]
#[serde(default, deny_unknown_fields)]
pub struct ProjectSchemaOptions {
    /// The dialect the models are written in; `generic` by default.
    #[tsify(optional, type = "Dialect")]
    pub dialect: Option<String>,
    /// Columns known for sure (a dataset's annotation): they win over
    /// everything the project says.
    #[tsify(optional, type = "Schema | string")]
    pub schema: Option<serde_json::Value>,
    /// The change being made: the dataset's columns are then those before
    /// it, even where the project already holds the producer's change.
    #[tsify(optional, type = "ChangeSpec | string")]
    pub change: Option<serde_json::Value>,
}

/// The schemas a dbt project knows: its models' output columns from their
/// SQL (through refs), seeds' CSV headers, property files' `columns`, and
/// `target/catalog.json` and `target/manifest.json` when given; where each
/// table's columns came from, the conflicts left out, the files that could
/// not be read, and the sources it declares. `files` are the project's
/// files with paths from its root (`dbt_project.yml`, `models/...`).
#[wasm_bindgen(js_name = projectSchema, unchecked_return_type = "ProjectSchema")]
pub fn project_schema_binding(
    #[wasm_bindgen(unchecked_param_type = "SourceFile[]")] files: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ProjectSchemaOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let files: Vec<ProjectFile> = files_arg(&files)?.into_iter().map(|f| ProjectFile { path: f.path, text: f.text }).collect();
    let options: ProjectSchemaOptions = options_arg(options, "options")?;
    let dialect: Option<Dialect> = options.dialect.map(|d| d.parse()).transpose().map_err(to_js_error)?;
    let schema = schema_arg(options.schema)?;
    let change = match options.change {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(text)) => Some(ChangeSpec::from_json_in(&text, dialect).map_err(to_js_error)?),
        Some(value) => Some(ChangeSpec::from_json_in(&value.to_string(), dialect).map_err(to_js_error)?),
    };
    let dialect = dialect.or(change.as_ref().and_then(|c| c.dialect)).unwrap_or(Dialect::Generic);
    to_js(&project_schema(&files, dialect, schema.as_ref(), change.as_ref()))
}

/// One dbt property file (`schema.yml`) rewritten for a change: tests,
/// unit-test fixtures, exposures, metrics and semantic models that name the
/// dataset or its columns follow it, formatting and comments kept. The
/// producer's own entry is not touched. Invalid YAML is the `error` status
/// with its line and column.
#[wasm_bindgen(js_name = rewriteProperties, unchecked_return_type = "FileRewrite")]
pub fn rewrite_properties_binding(
    #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ChangeSpec | string")] change: JsValue,
) -> Result<JsValue, JsValue> {
    let path = string_arg(&path, "path")?;
    let text = string_arg(&text, "text")?;
    let spec = ChangeSpec::from_json(&json_text(&change)?.unwrap_or_default()).map_err(to_js_error)?;
    to_js(&rewrite_properties(&path, &text, &spec))
}
