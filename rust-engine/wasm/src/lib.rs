//! WebAssembly bindings of Ripple's engine. wasm-pack builds them into the
//! `@ripple/engine` npm package, used by the backend (Node) and the browser.
//!
//! Values cross the boundary as plain JSON-compatible objects whose
//! TypeScript types are generated from the Rust types (tsify). Engine errors
//! are thrown as JS `Error`s named `RippleError` carrying the error's fields.

use ripple_engine::{ChangeSpec, Dialect, EngineError, Schema};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const RIPPLE_ERROR: &'static str = r#"
/** What the engine throws: a JS `Error` named `RippleError` with the fields of `EngineError`. */
export type RippleError = Error & { name: 'RippleError' } & EngineError;
"#;

/// The engine's version.
#[wasm_bindgen]
pub fn version() -> String {
    ripple_engine::VERSION.to_string()
}

/// The tables each statement of `sql` reads and writes.
#[wasm_bindgen(unchecked_return_type = "StatementTables[]")]
pub fn tables(
    sql: &str,
    #[wasm_bindgen(unchecked_param_type = "Dialect")] dialect: &str,
) -> Result<JsValue, JsValue> {
    let dialect: Dialect = dialect.parse().map_err(to_js_error)?;
    let found = ripple_engine::tables(sql, dialect).map_err(to_js_error)?;
    to_js(&found)
}

/// The DDL of a view under the dataset's old name that exposes the old
/// columns from the new table, and the DDL that removes it. `change` is a
/// change spec (an object or its JSON text); `options.schema`, the dataset's
/// table before the change, is an object or JSON text too.
#[wasm_bindgen(js_name = compatView, unchecked_return_type = "CompatView")]
pub fn compat_view(
    #[wasm_bindgen(unchecked_param_type = "ChangeSpec | string")] change: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "CompatViewOptions")] options: Option<js_sys::Object>,
) -> Result<JsValue, JsValue> {
    // Through JSON text, so errors name the field at fault (`changes[1].to`).
    let change = json_text(&change)?.unwrap_or_default();
    let spec = ChangeSpec::from_json(&change).map_err(to_js_error)?;
    let option = |name: &str| match &options {
        Some(options) => js_sys::Reflect::get(options, &name.into()).map(|v| Some(v).filter(|v| !v.is_undefined() && !v.is_null())),
        None => Ok(None),
    };
    let dialect = match option("dialect")? {
        Some(name) => name.as_string().unwrap_or_default().parse().map_err(to_js_error)?,
        None => spec.dialect.unwrap_or(Dialect::Generic),
    };
    let schema = match option("schema")? {
        Some(schema) => Some(Schema::from_json(&json_text(&schema)?.unwrap_or_default()).map_err(to_js_error)?),
        None => None,
    };
    to_js(&ripple_engine::compat_view(&spec, dialect, schema.as_ref()).map_err(to_js_error)?)
}

/// A JSON value given as text, or as the object it stands for; `None` for
/// what JSON cannot hold (`undefined`, a function), which then reads as empty
/// text and fails with the JSON reader's message.
fn json_text(value: &JsValue) -> Result<Option<String>, JsValue> {
    match value.as_string() {
        Some(text) => Ok(Some(text)),
        None => Ok(js_sys::JSON::stringify(value)?.as_string()),
    }
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from(js_sys::Error::new(&e.to_string())))
}

fn to_js_error(error: EngineError) -> JsValue {
    let message = error.to_string();
    let js_error = js_sys::Error::new(&message);
    js_error.set_name("RippleError");
    // The error's fields (`kind`, `line`, `column`, ...) go on the Error
    // object; `message` stays the whole sentence, location included.
    if let Ok(fields) = to_js(&error) {
        js_sys::Object::assign(&js_error, &fields.unchecked_into());
        let _ = js_sys::Reflect::set(&js_error, &"message".into(), &message.into());
    }
    js_error.into()
}
