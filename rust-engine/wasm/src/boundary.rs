//! What every binding needs at the JS boundary: reading arguments that may be
//! of any JS type, converting results to plain JSON-compatible values, and
//! throwing errors as `RippleError`s.

use std::fmt::Display;

use ripple_engine::{Dialect, Schema};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tsify::Tsify;
use wasm_bindgen::prelude::*;

/// Errors of the bindings themselves, thrown like the engine's own
/// (`EngineError`): a `RippleError` whose `kind` says which.
#[derive(Debug, Serialize, Tsify)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BindingError {
    /// An argument JS passed is of the wrong type or shape; `argument` names
    /// it (`text`, `options.language`).
    InvalidArgument { argument: String, message: String },
    /// A bug in the engine (a Rust panic, or a WebAssembly trap caught by the
    /// package's entry points). The engine is reloaded before the next call.
    Internal { message: String },
}

impl Display for BindingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BindingError::InvalidArgument { argument, message } => {
                write!(f, "invalid argument `{argument}`: {message}")
            }
            BindingError::Internal { message } => {
                write!(f, "internal error in Ripple's engine: {message}")
            }
        }
    }
}

/// A JS value as a plain JSON-compatible value (objects, not `Map`s).
pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| to_js_error(BindingError::Internal { message: format!("cannot convert the result: {e}") }))
}

/// The `RippleError` JS sees for an engine or binding error: an `Error` named
/// `RippleError` carrying the error's fields (`kind`, `line`, `field`, ...).
pub fn to_js_error<E: Serialize + Display>(error: E) -> JsValue {
    let message = error.to_string();
    let js_error = js_sys::Error::new(&message);
    js_error.set_name("RippleError");
    // Plain serialization: this also runs for serialization failures, so it
    // must not go back through `to_js`.
    if let Ok(fields) = error.serialize(&serde_wasm_bindgen::Serializer::json_compatible()) {
        js_sys::Object::assign(&js_error, &fields.unchecked_into());
    }
    // `message` stays the whole sentence (location, field), whatever the
    // error's own `message` field says.
    let _ = js_sys::Reflect::set(&js_error, &"message".into(), &message.into());
    js_error.into()
}

fn invalid_argument(argument: &str, message: impl Into<String>) -> JsValue {
    to_js_error(BindingError::InvalidArgument { argument: argument.to_string(), message: message.into() })
}

/// `typeof`, except that `null` is `null` and arrays are `array`.
fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        "null".into()
    } else if js_sys::Array::is_array(value) {
        "array".into()
    } else {
        value.js_typeof().as_string().unwrap_or_default()
    }
}

/// A string argument. Lone UTF-16 surrogates become U+FFFD (one UTF-16 unit
/// each, so positions in the result still match the JS string).
pub fn string_arg(value: &JsValue, argument: &str) -> Result<String, JsValue> {
    value.as_string().ok_or_else(|| invalid_argument(argument, format!("expected a string, got {}", type_name(value))))
}

/// A dialect name; unknown names are the engine's `unknown_dialect` error.
pub fn dialect_arg(value: &JsValue, argument: &str) -> Result<Dialect, JsValue> {
    string_arg(value, argument)?.parse().map_err(to_js_error)
}

/// An options object (`undefined` and `null` mean all defaults). It is read
/// as its JSON text (`JSON.stringify`), so that unknown fields are refused
/// like everywhere else in the engine (serde-wasm-bindgen only looks at the
/// fields it knows); a wrong field is named by its path (`options.language`).
pub fn options_arg<T: DeserializeOwned + Default>(value: JsValue, argument: &str) -> Result<T, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(T::default());
    }
    if !value.is_object() || js_sys::Array::is_array(&value) {
        return Err(invalid_argument(argument, format!("expected an object, got {}", type_name(&value))));
    }
    json_arg(&value, argument)
}

/// Any JSON-compatible argument (an object, an array), read as its JSON
/// text so that unknown fields are refused and a wrong one is named by its
/// path (`files[2].text`).
pub fn json_arg<T: DeserializeOwned>(value: &JsValue, argument: &str) -> Result<T, JsValue> {
    let json = js_sys::JSON::stringify(value).ok().and_then(|json| json.as_string()).ok_or_else(|| invalid_argument(argument, "cannot be read as JSON (a BigInt or a cycle?)"))?;
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(&json)).map_err(|e| {
        let path = e.path().to_string();
        let argument = match path.as_str() {
            "." => argument.to_string(),
            _ if path.starts_with('[') => format!("{argument}{path}"),
            _ => format!("{argument}.{path}"),
        };
        // The JSON text is ours: a position in it would mean nothing to the caller.
        let message = e.into_inner().to_string();
        let message = message.rsplit_once(" at line ").map_or(message.as_str(), |(m, _)| m);
        invalid_argument(&argument, message)
    })
}

/// A schema given as an object or as its JSON text (absent when `null`). Both
/// are read by the engine's `Schema::from_json`, so they are held to the
/// same rules and a wrong field is the same `invalid_schema` error naming it.
pub fn schema_arg(value: Option<serde_json::Value>) -> Result<Option<Schema>, JsValue> {
    let json = match value {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::String(json)) => json,
        Some(object) => object.to_string(),
    };
    Schema::from_json(&json).map(Some).map_err(to_js_error)
}
