//! The views the engine writes for a change: compatibility views (the old
//! shape over the new table) and forward views (the new shape over the old
//! table, in a scratch schema).

use ripple_engine::{ChangeSpec, Dialect};
use serde::Deserialize;
use wasm_bindgen::prelude::*;

use crate::boundary::{options_arg, schema_arg, string_arg, to_js, to_js_error};
use crate::json_text;

/// `CompatViewOptions` as it crosses the boundary: the schema may also be JSON text.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct CompatViewArgs {
    dialect: Option<String>,
    schema: Option<serde_json::Value>,
}

/// The DDL of a view under the dataset's old name that exposes the old
/// columns from the new table, and the DDL that removes it. `change` is a
/// change spec (an object or its JSON text); `options.schema`, the dataset's
/// table before the change, is an object or JSON text too.
#[wasm_bindgen(js_name = compatView, unchecked_return_type = "CompatView")]
pub fn compat_view(
    #[wasm_bindgen(unchecked_param_type = "ChangeSpec | string")] change: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "CompatViewOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let options: CompatViewArgs = options_arg(options, "options")?;
    let dialect: Option<Dialect> = options.dialect.as_deref().map(str::parse).transpose().map_err(to_js_error)?;
    // Through JSON text, so errors name the field at fault (`changes[1].to`);
    // its SQL is checked in the dialect the view is written in.
    let spec = ChangeSpec::from_json_in(&json_text(&change)?.unwrap_or_default(), dialect).map_err(to_js_error)?;
    let dialect = dialect.or(spec.dialect).unwrap_or(Dialect::Generic);
    let schema = schema_arg(options.schema)?;
    to_js(&ripple_engine::compat_view(&spec, dialect, schema.as_ref()).map_err(to_js_error)?)
}

/// `ForwardViewOptions` as it crosses the boundary: the schema may also be JSON text.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ForwardViewArgs {
    view: Option<String>,
    dialect: Option<String>,
    schema: Option<serde_json::Value>,
}

/// The DDL of a forward view named `options.view` (in a scratch schema):
/// the dataset's new columns read from its table as it is now, so a
/// consumer's patched query can run before the producer changes anything;
/// and the DDL that removes it. Arguments as for `compatView`.
#[wasm_bindgen(js_name = forwardView, unchecked_return_type = "ForwardView")]
pub fn forward_view(
    #[wasm_bindgen(unchecked_param_type = "ChangeSpec | string")] change: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ForwardViewOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let options: ForwardViewArgs = options_arg(options, "options")?;
    let view = string_arg(&options.view.map(JsValue::from).unwrap_or(JsValue::UNDEFINED), "options.view")?;
    let dialect: Option<Dialect> = options.dialect.as_deref().map(str::parse).transpose().map_err(to_js_error)?;
    let spec = ChangeSpec::from_json_in(&json_text(&change)?.unwrap_or_default(), dialect).map_err(to_js_error)?;
    let dialect = dialect.or(spec.dialect).unwrap_or(Dialect::Generic);
    let schema = schema_arg(options.schema)?;
    to_js(&ripple_engine::forward_view(&spec, dialect, schema.as_ref(), &view).map_err(to_js_error)?)
}

/// `StepPlanOptions` as it crosses the boundary: the schema may also be JSON text.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct StepPlanArgs {
    dialect: Option<String>,
    schema: Option<serde_json::Value>,
    key: Option<String>,
    batch_rows: Option<u64>,
}

/// The step plan of a change on the warehouse: expand, backfill, verify,
/// switch and contract, each with its statements and rollback. `change` is
/// a change spec (an object or its JSON text); `options.schema`, the
/// dataset's table before the change with every column's type, is required
/// (an object or JSON text).
#[wasm_bindgen(js_name = stepPlan, unchecked_return_type = "StepPlan")]
pub fn step_plan(
    #[wasm_bindgen(unchecked_param_type = "ChangeSpec | string")] change: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Omit<StepPlanOptions, 'schema'> & { schema: Schema | string }")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let options: StepPlanArgs = options_arg(options, "options")?;
    let dialect: Option<Dialect> = options.dialect.as_deref().map(str::parse).transpose().map_err(to_js_error)?;
    let spec = ChangeSpec::from_json_in(&json_text(&change)?.unwrap_or_default(), dialect).map_err(to_js_error)?;
    // An absent schema is the engine's error (naming `tables`), like an empty one.
    let schema = schema_arg(options.schema)?.unwrap_or_default();
    let options = ripple_engine::StepPlanOptions { dialect, schema, key: options.key, batch_rows: options.batch_rows };
    to_js(&ripple_engine::step_plan(&spec, &options).map_err(to_js_error)?)
}
