//! WebAssembly bindings of Ripple's engine. wasm-pack builds them into the
//! `@ripple/engine` npm package, used by the backend (Node) and the browser.
//!
//! Values cross the boundary as plain JSON-compatible objects whose
//! TypeScript types are generated from the Rust types (tsify). Engine errors
//! are thrown as JS `Error`s named `RippleError` carrying the error's fields.

use ripple_engine::{Dialect, EngineError};
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
