//! `diffSchemas`: the change between two versions of a dataset's schema.
//! In Node's build only (the `dbt` feature), beside the dbt bindings: its
//! YAML reader would take the browser's `.wasm` over its 1 MB goal.

use ripple_engine::{diff_schemas, Dialect, DiffOptions, SchemaFormat};
use serde::Deserialize;
use tsify::Tsify;
use wasm_bindgen::prelude::*;

use crate::boundary::{json_arg, options_arg, to_js, to_js_error, BindingError};
use crate::SourceFile;

/// What `diffSchemas` needs besides the two files. Every field is optional.
#[derive(Default, Deserialize, Tsify)]
#[serde(default, deny_unknown_fields)]
pub struct DiffSchemasOptions {
    /// Both files' format; by default each file's own, from its path and text.
    #[tsify(optional)]
    pub format: Option<SchemaFormat>,
    /// The dialect of DDL and of the change's types; by default `generic`
    /// (`bigquery` for BigQuery schemas).
    #[tsify(optional, type = "Dialect")]
    pub dialect: Option<String>,
    /// The dataset's table when the files hold several, or a move declared
    /// as `OLD=NEW`.
    #[tsify(optional)]
    pub table: Option<String>,
}

/// The change from the schema in `old` to the one in `new` (each `{path,
/// text}`: the path says the format and, for BigQuery's layout, the
/// table): the change spec of what the files decide, renames to confirm
/// (`suggestions`), and what no change spec can say (`undecided`). Throws
/// an `invalid_schema_file` error, with the file, line and column, for a
/// format it does not know or malformed JSON, YAML or DDL.
#[wasm_bindgen(js_name = diffSchemas, unchecked_return_type = "SchemaDiff")]
pub fn diff_schemas_binding(
    #[wasm_bindgen(unchecked_param_type = "SourceFile")] old: JsValue,
    #[wasm_bindgen(unchecked_param_type = "SourceFile")] new: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "DiffSchemasOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let old = file_arg(&old, "old")?;
    let new = file_arg(&new, "new")?;
    let options: DiffSchemasOptions = options_arg(options, "options")?;
    let dialect: Option<Dialect> = options.dialect.map(|d| d.parse()).transpose().map_err(to_js_error)?;
    let options = DiffOptions { format: options.format, dialect, table: options.table };
    to_js(&diff_schemas((&old.path, &old.text), (&new.path, &new.text), &options).map_err(to_js_error)?)
}

fn file_arg(value: &JsValue, argument: &str) -> Result<SourceFile, JsValue> {
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(to_js_error(BindingError::InvalidArgument { argument: argument.into(), message: "expected a file: {path, text}".into() }));
    }
    json_arg(value, argument)
}
